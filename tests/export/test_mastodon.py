"""Mastodon block and mute lists: the documented import headers, user@domain addresses,
distinct accounts, odd handles left out and counted, and files split under the import limits."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from dbs import Person, small_db
from hypothesis import given, settings
from hypothesis import strategies as st

from pileon.export import mastodon
from pileon.export.mastodon import mastodon_address
from pileon.export.run import make_selection, run_export
from pileon.store import connect
from pileon.store.export import ExportFilter


def _export(db: Path, fmt: str, out: Path, **options: object):
    conn = connect(db, create=False)
    try:
        selection = make_selection(conn, db, ExportFilter(folder="shielded"))
        return run_export(conn, selection, fmt, out, options=options)
    finally:
        conn.close()


def _documented_header(fixtures: Path, name: str) -> str:
    return (fixtures / "formats" / name).read_text(encoding="utf-8").splitlines()[0]


def test_blocks_file_has_the_documented_header_and_one_address_a_row(
        demo_db: Path, tmp_path: Path, fixtures: Path) -> None:
    outcome = _export(demo_db, "mastodon-blocks", tmp_path / "blocks.csv")
    raw = (tmp_path / "blocks.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "a BOM would hide the header from Mastodon"
    lines = raw.decode("utf-8").splitlines()
    assert lines[0] == _documented_header(fixtures, "mastodon_blocks_import.csv")
    assert len(lines) - 1 == outcome.result.rows > 0
    assert all(line.count("@") == 1 and "," not in line for line in lines[1:])
    assert len({line.lower() for line in lines[1:]}) == len(lines) - 1  # distinct accounts


def test_blocks_list_every_shielded_mastodon_author_once_but_no_supporter(demo_db: Path, tmp_path: Path) -> None:
    _export(demo_db, "mastodon-blocks", tmp_path / "blocks.csv")
    listed = (tmp_path / "blocks.csv").read_text(encoding="utf-8").splitlines()[1:]
    conn = sqlite3.connect(demo_db)
    expected = {h for (h,) in conn.execute(
        "SELECT DISTINCT a.handle FROM post_folders f JOIN posts p ON p.platform=f.platform"
        " AND p.id=f.post_id JOIN accounts a ON a.platform=p.platform AND a.id=p.author_id"
        " WHERE f.folder='shielded' AND f.platform='mastodon'"
        " AND f.run_id=(SELECT MAX(id) FROM triage_runs)"
        # supporters are never blocked, even when one of their replies was shielded
        " AND p.author_id NOT IN (SELECT q.author_id FROM post_folders g JOIN posts q ON"
        " q.platform=g.platform AND q.id=g.post_id WHERE g.run_id=f.run_id AND q.author_id IS"
        " NOT NULL AND (g.folder='support' OR (g.labels_json LIKE '%\"supportive\"%' AND"
        " g.rule != 'copies_share_fate')))")}
    conn.close()
    assert set(listed) == expected


def test_mutes_file_matches_the_documented_columns(demo_db: Path, tmp_path: Path,
                                                   fixtures: Path) -> None:
    _export(demo_db, "mastodon-mutes", tmp_path / "mutes.csv", hide_notifications=True)
    with (tmp_path / "mutes.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    documented = _documented_header(fixtures, "mastodon_mutes_import.csv")
    assert ",".join(rows[0]) == documented == "Account address,Hide notifications"
    assert rows[1:] and all(r[1] == "true" and "@" in r[0] for r in rows[1:])
    _export(demo_db, "mastodon-mutes", tmp_path / "shown.csv", hide_notifications=False)
    shown = (tmp_path / "shown.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert shown and all(line.endswith(",false") for line in shown)


@pytest.mark.parametrize(("handle", "account_url", "expected"), [
    ("anna@social.example", None, "anna@social.example"),
    ("@anna@social.example", None, "anna@social.example"),
    ("kirill", "https://mastodon.example/@kirill", "kirill@mastodon.example"),
    ("@kirill", None, "kirill@home.example"),  # from the post URL
    ("Anna_K@Social.Example.", None, "Anna_K@social.example"),
    ("nargiz@bakı.example", None, "nargiz@xn--bak-lua.example"),
    ("first.last@social.example", None, "first.last@social.example"),
    ("evil,user@x.example", None, None),
    ("evil\nuser@x.example", None, None),
    ("\u202eevil@x.example", None, None),
    ("ayşe@x.example", None, None),
    ("ıbrahim@x.example", None, None),  # dotless ı is not the ASCII i Mastodon allows
    ("user@10.0.0.1", None, None),
    ("user@localhost", None, None),
    ("user@", None, None),
    ("kirill", None, "kirill@home.example"),
])
def test_handles_become_importable_addresses_or_none(handle: str, account_url: str | None,
                                                      expected: str | None) -> None:
    assert mastodon_address(handle, account_url, "https://home.example/@x/1") == expected


def test_odd_and_missing_handles_are_left_out_and_counted(tmp_path: Path) -> None:
    db = small_db(tmp_path / "odd.db", "mastodon", [
        Person("1", "good@social.example"),
        Person("2", "kirill", url="https://mastodon.example/@kirill"),
        Person("3", None),
        Person("4", "evil,user@x.example"),
        Person("5", "\u202eevil@x.example"),
        Person("6", "@good@social.example"),  # a second account with the same address
    ])
    outcome = _export(db, "mastodon-blocks", tmp_path / "blocks.csv")
    lines = (tmp_path / "blocks.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["Account address", "good@social.example", "kirill@mastodon.example"]
    assert outcome.result.skipped == {
        "accounts with no handle": 1,
        "accounts whose handle is not a valid user@domain": 2}


def test_the_thread_author_is_never_on_a_block_list(tmp_path: Path) -> None:
    db = small_db(tmp_path / "self.db", "mastodon", [
        Person("me", "me@home.example"), Person("2", "troll@x.example")])
    outcome = _export(db, "mastodon-blocks", tmp_path / "blocks.csv")
    assert (tmp_path / "blocks.csv").read_text().splitlines()[1:] == ["troll@x.example"]
    # The author's own reply is context: never sorted into a folder, so never even selected.
    assert outcome.result.skipped == {}


def test_many_accounts_are_split_into_files_under_the_row_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mastodon, "MAX_ROWS", 4)
    db = small_db(tmp_path / "many.db", "mastodon",
                  [Person(str(n), f"troll{n}@x.example") for n in range(10)])
    outcome = _export(db, "mastodon-blocks", tmp_path / "blocks.csv")
    names = [f.path.name for f in outcome.files]
    assert names == ["blocks-1-of-3.csv", "blocks-2-of-3.csv", "blocks-3-of-3.csv"]
    rows: list[str] = []
    for f in outcome.files:
        lines = f.path.read_text(encoding="utf-8").splitlines()
        assert lines[0] == "Account address" and 1 <= len(lines) - 1 <= 4
        rows += lines[1:]
    assert rows == [f"troll{n}@x.example" for n in range(10)]
    assert not (tmp_path / "blocks.csv").exists()
    assert any("import them one after another" in n for n in outcome.result.notes)


def test_files_are_split_under_the_byte_limit(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mastodon, "MAX_BYTES", 100)
    db = small_db(tmp_path / "bytes.db", "mastodon",
                  [Person(str(n), f"a_rather_long_username_{n:02d}@x.example")
                   for n in range(12)])
    outcome = _export(db, "mastodon-mutes", tmp_path / "mutes.csv")
    assert len(outcome.files) > 1
    assert all(f.bytes <= 100 for f in outcome.files)
    rows = [line for f in outcome.files
            for line in f.path.read_text(encoding="utf-8").splitlines()[1:]]
    assert len(rows) == 12


def test_no_mastodon_account_in_the_selection_is_an_error_not_an_empty_file(
        tmp_path: Path) -> None:
    from pileon.errors import PileonError

    db = small_db(tmp_path / "bsky.db", "bluesky", [Person("did:plc:aaaa", "a.bsky.social")])
    with pytest.raises(PileonError, match="nothing to write for mastodon-blocks: 1 posts on"
                                          " bluesky, not mastodon"):
        _export(db, "mastodon-blocks", tmp_path / "blocks.csv")
    assert list(tmp_path.glob("blocks*")) == []


_IMPORTABLE = re.compile(r"[A-Za-z0-9_]+(?:[.-]+[A-Za-z0-9_]+)*@[a-z0-9-]+(?:\.[a-z0-9-]+)+")


_USER = st.text(st.sampled_from(list("abX09_.-ışЖ ,;\"\n\u202e\u200b")), min_size=1,
                max_size=12)
_LABEL = st.text(st.sampled_from(list("ab09-əıX_")), min_size=1, max_size=8)
_DOMAIN = st.lists(_LABEL, min_size=1, max_size=3).map(".".join)
_HANDLE = st.builds(lambda at, user, domain: f"{at}{user}@{domain}",
                    st.sampled_from(["", "@", " @"]), _USER, _DOMAIN)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_HANDLE, _USER, st.text(max_size=40)), st.one_of(st.none(), _DOMAIN))
def test_any_handle_gives_an_importable_address_or_none(handle: str,
                                                        host: str | None) -> None:
    url = None if host is None else f"https://{host}/@x"
    address = mastodon_address(handle, url)
    if address is not None:
        assert _IMPORTABLE.fullmatch(address), address
        # Mastodon strips the cell and a leading @: the address must survive both unchanged
        assert address.strip().removeprefix("@") == address


def test_force_replaces_a_whole_set_of_parts_without_leftovers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = small_db(tmp_path / "many.db", "mastodon",
                  [Person(str(n), f"troll{n}@x.example") for n in range(10)])
    out = tmp_path / "lists" / "blocks.csv"
    mine = tmp_path / "lists" / "blocks-notes.csv"
    out.parent.mkdir()
    mine.write_text("not pileon's\n")
    first = _export(db, "mastodon-blocks", out)
    assert [f.path for f in first.files] == [out]
    monkeypatch.setattr(mastodon, "MAX_ROWS", 4)
    conn = connect(db, create=False)
    try:
        selection = make_selection(conn, db, ExportFilter(folder="shielded"))
        run_export(conn, selection, "mastodon-blocks", out, force=True)
        monkeypatch.setattr(mastodon, "MAX_ROWS", 20_000)
        assert sorted(p.name for p in out.parent.iterdir()) == [
            "blocks-1-of-3.csv", "blocks-2-of-3.csv", "blocks-3-of-3.csv", "blocks-notes.csv"]
        run_export(conn, selection, "mastodon-blocks", out, force=True)
    finally:
        conn.close()
    assert sorted(p.name for p in out.parent.iterdir()) == ["blocks-notes.csv", "blocks.csv"]
    assert mine.read_text() == "not pileon's\n"


def _mastodon_reads(path: Path, kind: str) -> dict:
    """What Mastodon's importer makes of the file, by its own rules, in Ruby's CSV parser."""
    script = Path(__file__).parent / "mastodon_import.rb"
    done = subprocess.run(["ruby", str(script), str(path), kind], check=True,
                          capture_output=True, text=True)
    return dict(json.loads(done.stdout))


def test_mastodon_importer_rules_read_every_address_back(demo_db: Path, tmp_path: Path) -> None:
    _export(demo_db, "mastodon-blocks", tmp_path / "blocks.csv")
    _export(demo_db, "mastodon-mutes", tmp_path / "mutes.csv", hide_notifications=True)
    ours = (tmp_path / "blocks.csv").read_text(encoding="utf-8").splitlines()[1:]
    blocks = _mastodon_reads(tmp_path / "blocks.csv", "blocking")
    assert blocks["errors"] == []
    assert [r["Account address"] for r in blocks["rows"]] == ours
    mutes = _mastodon_reads(tmp_path / "mutes.csv", "muting")
    assert mutes["errors"] == []
    assert mutes["rows"] == [{"Account address": a, "Hide notifications": True} for a in ours]


def test_mastodon_importer_rules_accept_each_part_of_a_split_list(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mastodon, "MAX_ROWS", 3)
    db = small_db(tmp_path / "many.db", "mastodon",
                  [Person(str(n), f"@troll{n}@X.example") for n in range(7)])
    outcome = _export(db, "mastodon-mutes", tmp_path / "mutes.csv", hide_notifications=False)
    read = [_mastodon_reads(f.path, "muting") for f in outcome.files]
    assert all(r["errors"] == [] for r in read)
    assert [row for r in read for row in r["rows"]] == [
        {"Account address": f"troll{n}@x.example", "Hide notifications": False}
        for n in range(7)]
