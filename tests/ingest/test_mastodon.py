"""Mastodon adapter on the real-format /context body, single statuses and account objects."""

from __future__ import annotations

import html
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pileon.ingest.html_text import html_to_text
from pileon.ingest.mastodon import normalise_acct

from .conftest import IngestFn
from .rows import account, count, post

ROOT = "116226706668358875"


def _context(formats: Path) -> dict[str, list[dict[str, object]]]:
    loaded: dict[str, list[dict[str, object]]] = json.loads(
        (formats / "mastodon_context.json").read_text("utf-8")
    )
    return loaded


def test_context_statuses_become_replies_with_plain_text(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "mastodon_context.json")
    anna = post(conn, "mastodon", "116226727084096703")
    assert anna["text"] == (
        "@nargiz Thank you for writing this. I read every word, and I believe you."
        " You are not alone."
    )
    assert anna["reply_to"] == ROOT
    assert anna["root_id"] == ROOT
    assert anna["uri"] == "https://social.example/users/anna/statuses/116226727084035137"
    assert anna["url"] == "https://social.example/@anna/116226727084035137"
    mira = post(conn, "mastodon", "116226786000916424")
    assert mira["text"] == "@user8812 @nargiz Reported. Please don't engage with this account."
    aysel = post(conn, "mastodon", "116226831482895715")
    assert aysel["lang_reported"] == "az"
    assert aysel["reply_to"] == "116226744661635127"


def test_content_warning_is_kept_with_the_text(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "mastodon_context.json")
    text = post(conn, "mastodon", "116226767644741780")["text"]
    assert text == (
        "war, displacement\n\n(2/2) My grandmother kept the key to that house until she died."
        " I have it now."
    )


def test_reply_to_a_filtered_status_hangs_on_a_placeholder(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "mastodon_context.json")
    missing = post(conn, "mastodon", "116226754061295276")
    assert missing["placeholder"] == "unavailable"
    assert missing["text"] == ""
    assert missing["author_id"] == "116224181207082072"
    # the root itself is never part of /context and is not invented
    assert conn.execute("SELECT 1 FROM posts WHERE id = ?", (ROOT,)).fetchone() is None


def test_accounts_acct_avatar_and_age(ingest: IngestFn, formats: Path) -> None:
    conn = ingest(formats / "mastodon_context.json")
    nargiz = account(conn, "mastodon", "109845518745654485")
    assert nargiz["handle"] == "nargiz@mastodon.example"  # local acct gets its server's host
    assert nargiz["description"].startswith("Writer. Baku → Tbilisi → Berlin.")
    assert account(conn, "mastodon", "110226387763217269")["handle"] == "anna@social.example"
    kirill = account(conn, "mastodon", "116217898729475729")
    assert kirill["has_avatar"] == 0  # /avatars/original/missing.png
    assert kirill["created_at"] == "2026-03-12T00:00:00.000Z"
    assert account(conn, "mastodon", "113049914572851152")["has_avatar"] == 1


def test_single_status_and_array_of_statuses(
    ingest: IngestFn, formats: Path, tmp_path: Path
) -> None:
    statuses = _context(formats)["descendants"]
    one = tmp_path / "status.json"
    one.write_text(json.dumps(statuses[2], ensure_ascii=False, indent=2), "utf-8")
    conn = ingest(one)
    assert post(conn, "mastodon", "116226744661635127")["text"] == (
        "@nargiz И сколько тебе заплатили за этот пост?"
    )
    many = tmp_path / "statuses.json"
    many.write_text(json.dumps(statuses, ensure_ascii=False), "utf-8")
    ingest(many)
    assert count(conn, "posts") == 6
    assert count(conn, "raw_payloads") == 7  # one per status in the array, plus the single file


def test_account_objects_alone(ingest: IngestFn, formats: Path, tmp_path: Path) -> None:
    accounts = [s["account"] for s in _context(formats)["descendants"]]
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps(accounts, ensure_ascii=False), "utf-8")
    conn = ingest(path)
    assert count(conn, "posts") == 0
    assert count(conn, "accounts") == 5
    assert account(conn, "mastodon", "111340840550449669")["handle"] == "mira@social.example"


def test_html_paragraphs_breaks_and_entities() -> None:
    assert html_to_text("<p>one<br>two</p><p>three &amp; &#39;four&#39;</p>") == (
        "one\ntwo\n\nthree & 'four'"
    )
    link = (
        '<a href="https://example.com/x"><span class="invisible">https://</span>'
        '<span class="ellipsis">example.com/a-long</span><span class="invisible">-path</span></a>'
    )
    assert html_to_text(f"<p>see {link}</p>") == "see https://example.com/a-long-path"
    assert html_to_text("<p>x</p><script>alert(1)</script>") == "x"


def test_normalise_acct() -> None:
    assert normalise_acct("kirill", "https://mastodon.example/@kirill") == "kirill@mastodon.example"
    assert normalise_acct("@aysel@baku.example", None) == "aysel@baku.example"


@given(st.text())
def test_any_escaped_text_survives_the_html_round_trip(text: str) -> None:
    assert html_to_text("<p>" + html.escape(text) + "</p>") == text.strip()


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_arbitrary_markup_never_crashes_and_is_trimmed(markup: str) -> None:
    result = html_to_text(markup)
    assert result == result.strip()
    if "<" not in markup and "&" not in markup:
        assert result == markup.strip()
