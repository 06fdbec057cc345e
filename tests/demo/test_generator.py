"""The demo pile-on generator: deterministic, complete, real-format, with waves that look
coordinated and a common phrase that does not."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pileon.demo import TRUTH_FILE, generate, parse_size
from pileon.errors import ConfigError
from pileon.records import ABUSIVE_LABELS, LABELS

FORMATS = Path(__file__).parent.parent / "fixtures" / "formats"


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _bodies(path: Path) -> Iterator[dict[str, Any]]:
    """Every response body in a payload file: one JSON document, or one per line."""
    if path.suffix == ".json":
        yield json.loads(path.read_text("utf-8"))
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def _thread_posts(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for reply in node.get("replies", []):
        if reply["$type"].endswith("#threadViewPost"):
            yield reply["post"]
            yield from _thread_posts(reply)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate(folder, 3000, 13)
    return folder


@pytest.fixture(scope="module")
def truth(demo: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (demo / TRUTH_FILE).read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def payload_posts(demo: Path) -> dict[str, list[dict[str, Any]]]:
    """Posts as a reader of the payload files finds them, per platform."""
    found: dict[str, list[dict[str, Any]]] = {"x": [], "bluesky": [], "mastodon": []}
    for name in ("x_conversation_search.jsonl", "x_quote_tweets.jsonl", "x_mentions.jsonl"):
        for body in _bodies(demo / name):
            found["x"].extend(body.get("data", []))
    for body in _bodies(demo / "bluesky_getPostThread.json"):
        found["bluesky"].extend(_thread_posts(body["thread"]))
    for body in _bodies(demo / "bluesky_getQuotes.jsonl"):
        found["bluesky"].extend(body["posts"])
    for body in _bodies(demo / "mastodon_context.json"):
        found["mastodon"].extend(body["descendants"])
    return found


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", 600, 7)
    second = generate(tmp_path / "b", 600, 7)
    other = generate(tmp_path / "c", 600, 8)
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert (tmp_path / "a" / TRUTH_FILE).read_bytes() == (tmp_path / "b" / TRUTH_FILE).read_bytes()
    assert first[0].read_bytes() != other[0].read_bytes()


def test_the_3000_demo_has_3000_posts_on_three_platforms(
        payload_posts: dict[str, list[dict[str, Any]]], truth: list[dict[str, Any]]) -> None:
    counts = {platform: len(posts) for platform, posts in payload_posts.items()}
    assert sum(counts.values()) >= 3000
    assert len(truth) == sum(counts.values())
    # Roughly 60 % X, 25 % Bluesky, 15 % Mastodon.
    assert 0.55 < counts["x"] / 3000 < 0.65
    assert 0.20 < counts["bluesky"] / 3000 < 0.30
    assert 0.10 < counts["mastodon"] / 3000 < 0.20


def test_every_language_category_and_hard_case_is_present(truth: list[dict[str, Any]]) -> None:
    assert {row["lang"] for row in truth} == {"az", "tr", "ru", "en", "hy", "fr"}
    assert {label for row in truth for label in row["labels"]} == set(LABELS)
    scripts = {(row["lang"], row["script"]) for row in truth}
    assert {("az", "latin"), ("az", "latin_plain"), ("az", "cyrillic"), ("ru", "latin_translit"),
            ("hy", "armenian"), ("hy", "latin_translit")} <= scripts
    hard = {row["hard"] for row in truth}
    assert {"negation", "counter_speech", "profanity_in_support", "civil_disagreement",
            "emoji_only", "spaced", "leetspeak", "reported_speech"} <= hard


def test_abuse_support_and_the_rest_are_mixed_through_the_whole_flood(
        truth: list[dict[str, Any]]) -> None:
    abusive = [row for row in truth if ABUSIVE_LABELS & set(row["labels"])]
    supportive = [row for row in truth if "supportive" in row["labels"]]
    assert 0.38 < len(abusive) / len(truth) < 0.52
    assert 0.20 < len(supportive) / len(truth) < 0.32
    ordered = sorted(truth, key=lambda row: row["created_at"])
    for quarter in range(4):
        part = ordered[quarter * len(ordered) // 4:(quarter + 1) * len(ordered) // 4]
        assert sum("supportive" in row["labels"] for row in part) / len(part) > 0.12


def test_texts_vary_instead_of_repeating_a_few_sentences(
        payload_posts: dict[str, list[dict[str, Any]]]) -> None:
    texts = [post["record"]["text"] for post in payload_posts["bluesky"]]
    texts += [post["text"].split(" ", 1)[-1] for post in payload_posts["x"]]
    assert len(set(texts)) > 0.3 * len(texts)
    assert Counter(texts).most_common(1)[0][1] < 0.03 * len(texts)


def test_timestamps_cover_two_days_with_a_viral_peak_early(truth: list[dict[str, Any]]) -> None:
    times = sorted(_when(row["created_at"]) for row in truth)
    span = times[-1] - times[0]
    assert timedelta(hours=44) < span <= timedelta(hours=48)
    per_hour = Counter(int((t - times[0]).total_seconds() // 3600) for t in times)
    peak = max(per_hour, key=per_hour.__getitem__)
    assert peak < 8
    assert per_hour[peak] > 10 * max(per_hour[40], 1)


def _x_users(demo: Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    users: dict[str, dict[str, Any]] = {}
    tweets: dict[str, dict[str, Any]] = {}
    for name in ("x_conversation_search.jsonl", "x_quote_tweets.jsonl", "x_mentions.jsonl"):
        for body in _bodies(demo / name):
            users.update({u["id"]: u for u in body.get("includes", {}).get("users", [])})
            tweets.update({t["id"]: t for t in body.get("data", [])})
    return users, tweets


def test_waves_come_from_fresh_accounts_within_minutes(demo: Path,
                                                       truth: list[dict[str, Any]]) -> None:
    waves: dict[str, list[dict[str, Any]]] = {}
    for row in truth:
        if row["wave"]:
            waves.setdefault(row["wave"], []).append(row)
    assert len(waves) >= 3
    users, tweets = _x_users(demo)
    checked = 0
    for rows in waves.values():
        assert 15 <= len(rows) <= 60
        times = sorted(_when(row["created_at"]) for row in rows)
        assert times[-1] - times[0] <= timedelta(minutes=10)
        assert all(row["fresh_account"] for row in rows)
        for row in rows:
            if row["platform"] != "x":
                continue
            tweet = tweets[row["id"]]
            user = users[tweet["author_id"]]
            age = _when(tweet["created_at"]) - _when(user["created_at"])
            assert timedelta(0) < age < timedelta(days=10)
            assert user["profile_image_url"].endswith("default_profile_normal.png")
            assert user["public_metrics"]["followers_count"] < 20
            assert user["username"][-8:].isdigit()
            checked += 1
    assert checked >= 30
    # Near-duplicates: within a wave, most posts share their first words.
    for rows in waves.values():
        xs = [tweets[r["id"]]["text"] for r in rows if r["platform"] == "x" and r["kind"] == "quote"]
        if xs:
            openings = Counter(" ".join(text.split()[:2]) for text in xs)
            assert openings.most_common(1)[0][1] >= 3


def test_a_wave_is_partly_written_in_another_script(truth: list[dict[str, Any]]) -> None:
    for wave in ("w1", "w2"):
        scripts = Counter(row["script"] for row in truth if row["wave"] == wave)
        assert len(scripts) == 2, scripts


def test_thank_you_for_sharing_comes_from_old_accounts_over_hours(
        demo: Path, truth: list[dict[str, Any]]) -> None:
    users, tweets = _x_users(demo)
    rows = [row for row in truth if row["planted"] == "organic_phrase" and row["platform"] == "x"]
    assert len(rows) >= 10
    times = sorted(_when(row["created_at"]) for row in rows)
    assert times[-1] - times[0] > timedelta(hours=6)
    for row in rows:
        tweet = tweets[row["id"]]
        assert "thank you for sharing" in tweet["text"].lower()
        user = users[tweet["author_id"]]
        assert _when(tweet["created_at"]) - _when(user["created_at"]) > timedelta(days=365)
        assert not user["profile_image_url"].endswith("default_profile_normal.png")
    assert not any(row["fresh_account"] for row in rows)


def test_some_replies_are_deleted_at_the_source(demo: Path) -> None:
    thread = next(_bodies(demo / "bluesky_getPostThread.json"))["thread"]
    assert any(r["$type"] == "app.bsky.feed.defs#notFoundPost" for r in thread["replies"])
    errors = [e for body in _bodies(demo / "x_conversation_search.jsonl")
              for e in body.get("errors", [])]
    assert errors and all(e["type"].endswith("resource-not-found") for e in errors)
    context = next(_bodies(demo / "mastodon_context.json"))
    ids = {status["id"] for status in context["descendants"]}
    parents = {status["in_reply_to_id"] for status in context["descendants"]}
    assert len(parents - ids) >= 2  # the root plus at least one deleted parent


def test_hostile_strings_arrive_as_each_platform_encodes_them(demo: Path) -> None:
    x_raw = (demo / "x_conversation_search.jsonl").read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in x_raw  # X escapes its text
    assert "<script>" not in x_raw
    assert "\u200b" in x_raw
    bluesky_raw = (demo / "bluesky_getPostThread.json").read_text("utf-8")
    assert "<script>" in bluesky_raw and "\u202e" in bluesky_raw  # Bluesky text is plain
    mastodon_raw = (demo / "mastodon_context.json").read_text("utf-8")
    assert "&lt;a href=&quot;javascript:alert(1)&quot;&gt;" in mastodon_raw  # escaped HTML


def _example(name: str) -> Any:
    return json.loads((FORMATS / name).read_text("utf-8"))


def _keys(objects: list[dict[str, Any]]) -> set[str]:
    return {key for obj in objects for key in obj}


def test_x_pages_have_the_shape_of_the_api_examples(demo: Path) -> None:
    search = _example("x_v2_conversation_search.json")
    quotes = _example("x_v2_quote_tweets.json")
    tweet_keys = _keys(search["data"] + search["includes"]["tweets"] + quotes["data"])
    user_keys = _keys(search["includes"]["users"])
    for name in ("x_conversation_search.jsonl", "x_quote_tweets.jsonl", "x_mentions.jsonl"):
        pages = list(_bodies(demo / name))
        assert all(len(page["data"]) == 100 for page in pages[:-1])
        assert all("next_token" in page["meta"] for page in pages[:-1])
        assert "next_token" not in pages[-1]["meta"]
        for page in pages:
            assert set(page) <= set(search) | {"errors"}
            assert page["meta"]["result_count"] == len(page["data"])
            for tweet in page["data"] + page["includes"].get("tweets", []):
                assert {"id", "text", "author_id", "created_at"} <= set(tweet)
                assert set(tweet) <= tweet_keys, set(tweet) - tweet_keys
            for user in page["includes"]["users"]:
                assert set(user) == user_keys
            authors = {u["id"] for u in page["includes"]["users"]}
            assert {t["author_id"] for t in page["data"]} <= authors


def test_bluesky_and_mastodon_bodies_have_the_shape_of_the_examples(
        demo: Path, payload_posts: dict[str, list[dict[str, Any]]]) -> None:
    thread = _example("bluesky_getPostThread.json")["thread"]
    example_posts = [thread["post"], *_thread_posts(thread),
                     *_example("bluesky_getQuotes.json")["posts"]]
    post_keys = _keys(example_posts)
    record_keys = _keys([p["record"] for p in example_posts]) | {"facets"}
    author_keys = _keys([p["author"] for p in example_posts])
    for post in payload_posts["bluesky"]:
        assert {"uri", "cid", "author", "record", "indexedAt"} <= set(post)
        assert set(post) <= post_keys
        assert set(post["record"]) <= record_keys
        assert set(post["author"]) <= author_keys
        assert post["uri"].startswith("at://did:plc:") and post["cid"].startswith("bafyrei")
    profile_keys = _keys(_example("bluesky_getProfiles.json")["profiles"])
    profiles = [p for body in _bodies(demo / "bluesky_getProfiles.jsonl") for p in body["profiles"]]
    assert all(set(p) <= profile_keys for p in profiles)
    assert {p["did"] for p in profiles} >= {post["author"]["did"] for post in payload_posts["bluesky"]}
    context = _example("mastodon_context.json")
    status_keys = _keys(context["descendants"])
    every_status_has = set.intersection(*(set(s) for s in context["descendants"]))
    account_keys = _keys([s["account"] for s in context["descendants"]])
    for status in payload_posts["mastodon"]:
        assert every_status_has <= set(status) <= status_keys
        assert set(status["account"]) <= account_keys
        assert status["content"].startswith("<p>") and status["content"].endswith("</p>")


def test_sizes_are_read_as_people_write_them() -> None:
    assert parse_size("3000") == 3000
    assert parse_size("10k") == 10_000
    assert parse_size("1M") == 1_000_000
    with pytest.raises(ConfigError):
        parse_size("lots")


def _root_ids(folder: Path) -> set[tuple[str, str]]:
    """(platform, id) of the thread's root posts, read back by pileon's own ingest."""
    from pileon.ingest.run import ingest_file
    from pileon.store import connect

    db = folder / "roots.db"
    conn = connect(db)
    for path in sorted(folder.glob("*.json*")):
        if path.name != TRUTH_FILE:
            ingest_file(conn, path)
    roots = {(r[0], r[1]) for r in conn.execute("SELECT platform, id FROM posts WHERE kind='root'")}
    # A Mastodon /context body holds the replies, not the root: the root is what most reply to.
    roots |= {("mastodon", r[0]) for r in conn.execute(
        "SELECT reply_to FROM posts WHERE platform='mastodon' AND reply_to IS NOT NULL"
        " GROUP BY reply_to ORDER BY count(*) DESC LIMIT 1")}
    conn.close()
    return roots


def test_another_seed_is_another_thread_with_its_own_root_posts(tmp_path: Path) -> None:
    default = _root_ids(generate(tmp_path / "s13", 200, 13)[0].parent)
    other = _root_ids(generate(tmp_path / "s14", 200, 14)[0].parent)
    again = _root_ids(generate(tmp_path / "s14-again", 200, 14)[0].parent)
    assert {p for p, _ in default} == {p for p, _ in other} == {"x", "bluesky", "mastodon"}
    assert not default & other  # no root post in common: two threads
    assert other == again
    accounts = json.loads((Path(__file__).parents[2] / "pileon" / "demo" / "data" / "root.json"
                           ).read_text("utf-8"))["accounts"]
    # The default seed (make demo) keeps the ids it always had.
    assert ("x", accounts["x"]["post_id"]) in default
    assert ("mastodon", accounts["mastodon"]["post_id"]) in default
