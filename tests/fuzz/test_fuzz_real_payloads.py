"""Mutation fuzzing of real captures (issue 19): payloads written by other people's tools
(tests/fixtures: X API v2 and twarc, X web GraphQL from twscrape inside a HAR and Zeeschuimer
lines, Bluesky, Mastodon), each changed the way a damaged or forged file is: bytes flipped,
inserted or cut off, a field deleted or given another type, a lone surrogate in a string, a huge
value (2**64, a 5,000-digit integer, 1e308, NaN, a 1 MB string, a 100,000-item list).

Each run checks: no exception but pileon's own one-line errors, `PRAGMA integrity_check` ok, no
open transaction, the post already in the database unchanged, a surrogate in a text field loses
no post of the page, and ingesting the real capture afterwards stores every one of its posts with
its own text (the damaged copy never wins)."""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pileon.errors import PileonError
from pileon.ingest.run import ingest_file
from pileon.store import connect

from .hostile import paths, replaced
from .profile import FUZZ

FIXTURES = Path(__file__).parent.parent / "fixtures"
XWEB = FIXTURES / "xweb"
HUGE_INT = "__pileon_fuzz_huge_int__"  # becomes a 5,000-digit JSON integer once written
#: Keys whose string value is free text: a surrogate there must cost no post.
TEXT_KEYS = frozenset({"text", "full_text", "content", "display_name", "displayName", "name",
                       "description", "spoiler_text", "note"})
GOOD = {"id": "good-1", "text": "a good line", "author": "acct-1", "lang": "en"}


@dataclass(frozen=True)
class Capture:
    """A real capture as JSON documents and how a file of them is written."""

    name: str
    docs: tuple[Any, ...]
    write: Callable[[list[str]], bytes]  # the documents' JSON texts -> the file's bytes
    fmt: str = ""  # the format to force, when not the CAPTURES key (jsonl-map: jsonl)
    options: tuple[tuple[str, Any], ...] = ()  # ingest options (a --map)
    escapes: bool = True  # JSON: a lone surrogate is an escape; in CSV it can only be bad UTF-8


def _one(texts: list[str]) -> bytes:
    return texts[0].encode()


def _lines(texts: list[str]) -> bytes:
    return ("\n".join(texts) + "\n").encode()


def _har(texts: list[str]) -> bytes:
    """Firefox's HAR around the bodies; the second is base64, as browsers store some."""
    entries = []
    for i, text in enumerate(texts):
        body = text.encode("utf-8", "surrogatepass")
        encoded = i % 2 == 1
        entries.append({
            "startedDateTime": f"2026-07-09T10:00:0{i}.000Z", "time": 120.5,
            "request": {"method": "GET", "httpVersion": "HTTP/2", "headers": [],
                        "url": f"https://x.com/i/api/graphql/q{i}/"
                               f"{'SearchTimeline' if encoded else 'TweetDetail'}?variables=%7B%7D"},
            "response": {"status": 200, "statusText": "", "httpVersion": "HTTP/2", "headers": [],
                         "content": {"size": len(body), "mimeType": "application/json",
                                     "text": base64.b64encode(body).decode() if encoded else text,
                                     **({"encoding": "base64"} if encoded else {})}},
            "cache": {}, "timings": {"send": 0, "wait": 100, "receive": 20},
        })
    log = {"log": {"version": "1.2", "creator": {"name": "Firefox", "version": "128.0"},
                   "pages": [], "entries": entries}}
    return json.dumps(log, ensure_ascii=True).encode()


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _tweet_results(answer: Any) -> list[Any]:
    found: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            inner = value.get("tweet_results")
            if isinstance(inner, dict) and isinstance(inner.get("result"), dict):
                found.append(inner["result"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(answer)
    return found


def _zeeschuimer() -> tuple[Any, ...]:
    """Zeeschuimer's lines around the real TweetDetail results (as its export writes them)."""
    results = _tweet_results(_json(XWEB / "twscrape_TweetDetail_2026.json"))
    return tuple({"nav_index": f"1:1:{i}", "item_id": r["rest_id"],
                  "timestamp_collected": 1783591200123 + i, "source_platform": "twitter.com",
                  "source_platform_url": "https://x.com/XDevelopers/status/1649191520250245121",
                  "source_url": "https://x.com/i/api/graphql/x/TweetDetail",
                  "user_agent": "Mozilla/5.0", "data": r} for i, r in enumerate(results))


@dataclass(frozen=True)
class Raw:
    """A line of a real capture that is not JSON (twarc's stream cut off mid-line): kept as is."""

    text: str


def _jsonl(path: Path) -> tuple[Any, ...]:
    def parsed(line: str) -> Any:
        try:
            return json.loads(line)
        except ValueError:
            return Raw(line)

    return tuple(parsed(line) for line in path.read_text(encoding="utf-8").splitlines()
                 if line.strip())


#: Mastodon's own status fields, named for `pileon ingest --map` (nested keys with dots).
MASTODON_MAP = (("map", {"id": "id", "text": "content", "author": "account.id",
                         "author_handle": "account.acct", "author_name": "account.display_name",
                         "author_followers": "account.followers_count",
                         "created_at": "created_at", "reply_to": "in_reply_to_id",
                         "lang": "language", "url": "url"}),)
CSV_COLUMNS = ("id", "content", "account_id", "acct", "display_name", "followers_count",
               "created_at", "in_reply_to_id", "language", "url")


def _statuses() -> list[Any]:
    context = _json(FIXTURES / "formats" / "mastodon_context.json")
    return [*context.get("ancestors", []), *context.get("descendants", [])]


def _csv_rows() -> tuple[Any, ...]:
    """The real statuses as rows of a spreadsheet export (one dict a row)."""
    rows = []
    for status in _statuses():
        account = status.get("account") or {}
        rows.append({"id": status["id"], "content": status.get("content"),
                     "account_id": account.get("id"), "acct": account.get("acct"),
                     "display_name": account.get("display_name"),
                     "followers_count": account.get("followers_count"),
                     "created_at": status.get("created_at"),
                     "in_reply_to_id": status.get("in_reply_to_id"),
                     "language": status.get("language"), "url": status.get("url")})
    return tuple(rows)


def _csv(texts: list[str]) -> bytes:
    """Each row (a JSON text after damage) as a CSV line; a value that is not text is written
    as its JSON (a damaged cell), a row that is not an object as one cell."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for text in texts:
        try:
            row = json.loads(text)
        except ValueError:
            row = text
        if not isinstance(row, dict):
            writer.writerow([text])
            continue
        writer.writerow(["" if row.get(c) is None else row[c] if isinstance(row.get(c), str)
                         else json.dumps(row[c]) for c in CSV_COLUMNS]
                        + [json.dumps(v) for k, v in row.items() if k not in CSV_COLUMNS])
    return out.getvalue().encode("utf-8", "surrogatepass")


def _archive() -> tuple[Any, ...]:
    """X's account archive (tweets.js) of the real 2025 TweetDetail's legacy tweets."""
    results = _tweet_results(_json(XWEB / "twscrape_TweetDetail_2025.json"))
    return ([{"tweet": {k: v for k, v in r["legacy"].items() if k != "user_id_str"}}
             for r in results if isinstance(r.get("legacy"), dict)],)


def _tweets_js(texts: list[str]) -> bytes:
    return ("window.YTD.tweets.part0 = " + texts[0]).encode()


def _web_exporter() -> tuple[Any, ...]:
    """twitter-web-exporter's JSON rows around the real 2025 TweetDetail results."""
    results = _tweet_results(_json(XWEB / "twscrape_TweetDetail_2025.json"))
    return ([{"id": r["rest_id"], "full_text": r["legacy"]["full_text"], "metadata": r,
              "screen_name": r["core"]["user_results"]["result"]["legacy"]["screen_name"]}
             for r in results],)


def _captures() -> dict[str, list[Capture]]:
    formats = FIXTURES / "formats"
    return {
        "x": [Capture(n, (_json(formats / n),), _one)
              for n in ("x_v2_conversation_search.json", "x_v2_quote_tweets.json")]
        + [Capture(n, _jsonl(FIXTURES / "twarc" / n), _lines)
           for n in ("edited_after.jsonl", "streaming_output_with_error.jsonl",
                     "verified_type.jsonl")],
        "x-web": [Capture(n, (_json(XWEB / n),), _one)
                  for n in ("twscrape_TweetDetail_2026.json", "twscrape_TweetDetail_2025.json",
                            "twscrape_SearchTimeline_2026.json", "twscrape_UserTweets_2025.json")],
        "har": [Capture("x.com.har", (_json(XWEB / "twscrape_TweetDetail_2026.json"),
                                      _json(XWEB / "twscrape_SearchTimeline_2026.json")), _har)],
        "zeeschuimer": [Capture("zeeschuimer-twitter.ndjson", _zeeschuimer(), _lines)],
        "bluesky": [Capture(n, (_json(formats / n),), _one)
                    for n in ("bluesky_getPostThread.json", "bluesky_getQuotes.json",
                              "bluesky_getPostThread_deleted_parent.json")]
        + [Capture("idunno_getPostThreadV2.json",
                   (_json(FIXTURES / "bluesky" / "idunno_getPostThreadV2.json"),), _one)],
        "mastodon": [Capture("mastodon_context.json", (_json(formats / "mastodon_context.json"),),
                             _one)],
        "jsonl-map": [Capture("mastodon_statuses.jsonl", tuple(_statuses()), _lines,
                              fmt="jsonl", options=MASTODON_MAP)],
        "csv": [Capture("mastodon_statuses.csv", _csv_rows(), _csv, escapes=False)],
        "x-archive": [Capture("tweets.js", _archive(), _tweets_js)],
        "x-web-exporter": [Capture("twitter-web-exporter-tweets.json", _web_exporter(), _one,
                                   fmt="x-web")],
    }


CAPTURES = _captures()


def _texts(docs: tuple[Any, ...] | list[Any]) -> list[str]:
    return [d.text if isinstance(d, Raw) else
            json.dumps(d, ensure_ascii=True).replace(f'"{HUGE_INT}"', "9" * 5000) for d in docs]


def _stored(db: Path) -> dict[tuple[str, str], str]:
    with closing(connect(db)) as conn:
        return {(p, i): t for p, i, t in conn.execute("SELECT platform, id, text FROM posts")}


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[tuple[str, str], str]]:
    """What each real capture stores alone: (platform, post id) -> text."""
    out: dict[str, dict[tuple[str, str], str]] = {}
    for fmt, captures in CAPTURES.items():
        for capture in captures:
            folder = tmp_path_factory.mktemp("real")
            path = folder / capture.name
            path.write_bytes(capture.write(_texts(capture.docs)))
            with closing(connect(folder / "thread.db")) as conn:
                ingest_file(conn, path, fmt=capture.fmt or fmt, options=dict(capture.options))
            out[capture.name] = _stored(folder / "thread.db")
            assert out[capture.name], capture.name  # the real capture stores posts
    return out


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database that already holds one good post from another file."""
    folder = tmp_path_factory.mktemp("template")
    good = folder / "good.jsonl"
    good.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    with closing(connect(folder / "thread.db")) as conn:
        ingest_file(conn, good, fmt="jsonl")
    return folder / "thread.db"


def _other_type(value: Any) -> list[Any]:
    choices: list[Any] = [None, True, 0, -1, 1.5, "", "x", [], {}, [value], {"k": value}]
    return [c for c in choices if type(c) is not type(value) or c in ([value], {"k": value})]


HUGE = [2**64, -(2**63) - 1, HUGE_INT, 1e308, -1e308, float("nan"), float("inf"), 10**19,
        "x" * 1_000_000, [0] * 100_000, "9" * 5000]


@st.composite
def damaged(draw: st.DrawFn, capture: Capture) -> tuple[str, bytes, bool]:
    """(the kind of damage, the file's bytes, whether a surrogate went into a free-text field)."""
    kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "type", "surrogate",
                                 "huge", "several"]))
    docs = list(capture.docs)
    in_text = False
    if kind in ("delete", "type", "surrogate", "huge", "several"):
        for _ in range(draw(st.integers(2, 4)) if kind == "several" else 1):
            which = draw(st.integers(0, len(docs) - 1))
            how = draw(st.sampled_from(["delete", "type", "surrogate", "huge"])) \
                if kind == "several" else kind
            where = [p for p in paths(docs[which]) if p]
            if how == "surrogate":
                where = [p for p in where if isinstance(_at(docs[which], p), str)]
            if not where:
                continue
            path = draw(st.sampled_from(where))
            old = _at(docs[which], path)
            if how == "delete":
                docs[which] = _deleted(docs[which], path)
                continue
            if how == "type":
                new = draw(st.sampled_from(_other_type(old)))
            elif how == "huge":
                new = draw(st.sampled_from(HUGE))
            else:
                cut = draw(st.integers(0, len(old)))
                lone = draw(st.sampled_from(["\ud800", "\udfff", "\udc80", "\ud83d"]))
                new = old[:cut] + lone + old[cut:]
                in_text = in_text or (kind == "surrogate" and path[-1] in TEXT_KEYS)
            docs[which] = replaced(docs[which], path, new)
    content = bytearray(capture.write(_texts(docs)))
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(content) - 1))
            content[at] ^= draw(st.integers(1, 255))
    elif kind == "truncate":
        content = content[:draw(st.integers(0, len(content) - 1))]
    elif kind == "insert":
        at = draw(st.integers(0, len(content)))
        content[at:at] = draw(st.binary(min_size=1, max_size=16))
    return kind, bytes(content), in_text


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _deleted(value: Any, path: tuple[Any, ...]) -> Any:
    copy = json.loads(json.dumps(value))
    parent = _at(copy, path[:-1])
    del parent[path[-1]]
    return copy


def _ingest(db: Path, path: Path, fmt: str, options: dict[str, Any] | None = None) -> str | None:
    """Ingest; the one-line error pileon refused the file with, else None."""
    with closing(connect(db)) as conn:
        refused = None
        try:
            ingest_file(conn, path, fmt=fmt, options=options)
        except PileonError as exc:
            refused = str(exc)
            assert refused and "\n" not in refused
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert not conn.in_transaction
        return refused


def _check(template: Path, fmt: str, name: str, content: bytes, auto: bool,
           restore: Callable[[Path], list[Path]], expected: dict[tuple[str, str], str],
           none_lost: bool, options: dict[str, Any] | None = None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="pileon-fuzz-real-"))
    try:
        db = folder / "thread.db"
        shutil.copyfile(template, db)
        before = _stored(db)
        bad = folder / f"damaged-{name}"
        bad.write_bytes(content)
        refused = _ingest(db, bad, "auto" if auto else fmt, options)
        after = _stored(db)
        assert after[("jsonl", "good-1")] == before[("jsonl", "good-1")]
        if none_lost:  # a lone surrogate in free text is replaced, never a reason to drop a post
            assert refused is None, refused
            assert set(expected) <= set(after), sorted(set(expected) - set(after))[:3]
        for real in restore(folder):
            assert _ingest(db, real, fmt, options) is None
        restored = _stored(db)
        for key, text in expected.items():
            assert restored.get(key) == text, key
        assert restored[("jsonl", "good-1")] == before[("jsonl", "good-1")]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("fmt", sorted(CAPTURES))
@FUZZ
@given(data=st.data(), auto=st.booleans())
def test_a_damaged_real_capture(template: Path, expected: dict[str, dict[tuple[str, str], str]],
                                fmt: str, data: st.DataObject, auto: bool) -> None:
    capture = data.draw(st.sampled_from(CAPTURES[fmt]), label="capture")
    kind, content, in_text = data.draw(damaged(capture), label="damage")
    # A --map belongs to the format it is given with: detected, the lines are another format's
    # (Mastodon statuses), whose stored payloads the mapped re-ingest then finds already there.
    auto = auto and not capture.options

    def restore(folder: Path) -> list[Path]:
        real = folder / capture.name
        real.write_bytes(capture.write(_texts(capture.docs)))
        return [real]

    _check(template, capture.fmt or fmt, capture.name, content, auto, restore,
           expected[capture.name], none_lost=in_text and capture.escapes and not auto,
           options=dict(capture.options))
