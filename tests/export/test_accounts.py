"""X and Bluesky account lists: accounts keyed on their ids, listed even without a handle,
each account once however many posts it wrote."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from dbs import Person, small_db

from pileon.cli import main


def test_x_ids_lists_accounts_without_a_handle_by_their_id_once(tmp_path: Path) -> None:
    db = small_db(tmp_path / "x.db", "x", [
        Person("1288834974657", "troll_one"), Person("42", None),
        Person("1288834974657", "troll_one_renamed")])
    out = tmp_path / "x.csv"
    result = CliRunner().invoke(main, ["export", str(db), "--format", "x-ids", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["user_id"], r["username"], r["posts_in_selection"]) for r in rows] == [
        ("1288834974657", "troll_one_renamed", "2"), ("42", "", "1")]
    assert rows[1]["profile_url"] == "https://x.com/i/user/42"


def test_bluesky_list_takes_invalid_handles_by_did_and_skips_non_dids(tmp_path: Path) -> None:
    db = small_db(tmp_path / "b.db", "bluesky", [
        Person("did:plc:ewvi7nxzyoun6zhxrhs64oiz", "handle.invalid"),
        Person("did:web:troll.example", "troll.example"),
        Person("not-a-did", "odd.bsky.social")])
    result = CliRunner().invoke(main, ["bluesky-list", str(db), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert [line for line in result.stdout.splitlines() if line.startswith("did:")] == [
        "did:plc:ewvi7nxzyoun6zhxrhs64oiz\thandle.invalid", "did:web:troll.example\ttroll.example"]
    assert "left out: 1 accounts whose id is not a DID" in result.output


def test_dry_run_shows_odd_handles_escaped_one_account_a_line(tmp_path: Path) -> None:
    db = small_db(tmp_path / "odd.db", "bluesky", [
        Person("did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", "evil\nline.bsky.social"),
        Person("did:plc:bbbbbbbbbbbbbbbbbbbbbbbb", "\u202elaicos.yksb.live")])
    result = CliRunner().invoke(main, ["bluesky-list", str(db), "--dry-run", "-q"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa\tevil\\u000aline.bsky.social",
        "did:plc:bbbbbbbbbbbbbbbbbbbbbbbb\t\\u202elaicos.yksb.live"]


def test_account_lists_neutralise_spreadsheet_formulas(tmp_path: Path) -> None:
    # Handles are whatever a hostile file claims; a cell starting with = + - @ would be run by a
    # spreadsheet. Both account CSVs use the main CSV export's rule (a leading apostrophe).
    for platform, fmt, key in (("x", "x-ids", "username"), ("bluesky", "bluesky-list", "handle")):
        ids = ("1", "2", "3", "4") if platform == "x" else tuple(
            f"did:plc:{c * 24}" for c in "abcd")
        db = small_db(tmp_path / f"{platform}.db", platform, [
            Person(ids[0], '=HYPERLINK("http://evil.example","x")'), Person(ids[1], "+1+2"),
            Person(ids[2], "-2+3"), Person(ids[3], "@SUM(A1)")])
        out = tmp_path / f"{platform}.csv"
        result = CliRunner().invoke(main, ["export", str(db), "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        with out.open(encoding="utf-8", newline="") as fh:
            handles = sorted(r[key] for r in csv.DictReader(fh))
        assert handles == sorted(["'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1+2", "'-2+3",
                                  "'@SUM(A1)"])
