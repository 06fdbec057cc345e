"""`pileon export` through the CLI: every format on a real thread, clear one-line errors for
bad input (unknown format, existing output, no triage yet, empty selection, bad ids file),
nothing half-written, and each export in the chain-of-custody log with its files' hashes."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from dbs import Person, small_db

from pileon.cli import main
from pileon.hookspecs import Exporter
from pileon.plugins import exporters

FORMATS = ["csv", "jsonl", "mastodon-blocks", "mastodon-mutes", "bluesky-list", "x-ids",
           "warc", "wacz"]


def _export(*args: str) -> Result:
    return CliRunner().invoke(main, ["export", *args])


def _custody(db: Path) -> list[dict]:
    conn = sqlite3.connect(db)
    rows = [(json.loads(d), json.loads(w)) for d, w in conn.execute(
        "SELECT details_json, wrote_json FROM custody_log WHERE action='export' ORDER BY id")]
    conn.close()
    return [dict(details, wrote=wrote) for details, wrote in rows]


def test_every_builtin_format_is_a_registered_exporter_plugin() -> None:
    found = exporters()
    assert sorted(found) == sorted(FORMATS)
    assert all(isinstance(e, Exporter) for e in found.values())


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_writes_its_file_and_logs_its_hash(fmt: str, demo_db: Path,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "exports" / f"out-{fmt}"
    result = _export(str(demo_db), "--format", fmt, "--folder", "shielded", "--out", str(out),
                     "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["files"] == [{"path": str(out), "bytes": out.stat().st_size,
                                 "sha256": hashlib.sha256(out.read_bytes()).hexdigest()}]
    assert summary["rows"] > 0 and summary["selection"] == "folder shielded"
    logged = _custody(demo_db)[-1]
    assert logged["format"] == fmt and logged["wrote"] == [summary["files"][0]["sha256"]]
    assert logged["files"][0]["path"] == str(out)
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary leftovers


def test_x_ids_says_x_has_no_import_and_lists_ids_and_handles(demo_db: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    result = _export(str(demo_db), "--format", "x-ids", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "X has no block-list import" in " ".join(result.output.split())
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    conn = sqlite3.connect(demo_db)
    handles = dict(conn.execute("SELECT id, handle FROM accounts WHERE platform='x'"))
    conn.close()
    assert rows and all(r["user_id"].isdigit() and r["username"] == handles[r["user_id"]]
                        for r in rows)
    assert len({r["user_id"] for r in rows}) == len(rows)


def test_unknown_format_lists_the_supported_ones(demo_db: Path) -> None:
    result = _export(str(demo_db), "--format", "pdf")
    assert result.exit_code == 1
    assert "unknown export format 'pdf'" in result.output
    assert all(f in result.output for f in FORMATS)
    assert "Traceback" not in result.output


def test_an_existing_output_is_kept_unless_force(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "shielded.csv"
    out.write_text("my own notes, not an export\n", encoding="utf-8")
    refused = _export(str(demo_db), "--format", "csv", "--out", str(out))
    assert refused.exit_code == 1
    assert "already exists" in refused.output and "--force" in refused.output
    assert out.read_text(encoding="utf-8") == "my own notes, not an export\n"
    assert _custody(demo_db) == []
    forced = _export(str(demo_db), "--format", "csv", "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert out.read_text(encoding="utf-8-sig").startswith("platform,post_id,")


def test_default_output_name_says_what_it_holds(demo_db: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    result = _export(str(demo_db), "--format", "mastodon-blocks", "-q")
    assert result.exit_code == 0 and result.output == ""
    assert [p.name for p in (tmp_path / "here").iterdir()] == [
        "thread-shielded-mastodon-blocks.csv"]


def test_no_triage_yet_gives_a_hint(tmp_path: Path) -> None:
    db = small_db(tmp_path / "raw.db", "mastodon", [Person("1", "a@x.example")], triage=False)
    result = _export(str(db), "--format", "csv")
    assert result.exit_code == 1
    assert "no triage yet" in result.output and "pileon triage" in result.output


def test_an_empty_selection_is_an_error_and_writes_nothing(demo_db: Path,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "none.csv"
    # no reply in an unidentified language waits in To review in the demo (the script gate
    # sends them to Inbox), so this selection is empty whatever the triage rules decide
    result = _export(str(demo_db), "--format", "csv", "--folder", "review", "--lang", "und",
                     "--out", str(out))
    assert result.exit_code == 1
    assert "nothing to export: no post in folder review, language und" in result.output
    assert not out.exists()


def test_unknown_folder_and_missing_database(demo_db: Path, tmp_path: Path) -> None:
    bad = _export(str(demo_db), "--format", "csv", "--folder", "trash")
    assert bad.exit_code == 1 and "unknown folder 'trash'" in bad.output
    missing = _export(str(tmp_path / "nope.db"), "--format", "csv")
    assert missing.exit_code == 1 and "no such database" in missing.output
    assert not (tmp_path / "nope.db").exists()


def test_ids_file_selects_those_posts_in_any_folder(demo_db: Path, tmp_path: Path) -> None:
    conn = sqlite3.connect(demo_db)
    picked = conn.execute("SELECT p.id, p.url FROM post_folders f JOIN posts p ON"
                          " p.platform=f.platform AND p.id=f.post_id WHERE f.folder='support'"
                          " AND p.url IS NOT NULL ORDER BY f.created_at LIMIT 2").fetchall()
    conn.close()
    ids = tmp_path / "ids.txt"
    ids.write_text(f"# two kind replies\n{picked[0][0]}\n\n{picked[1][1]}\n", encoding="utf-8")
    out = tmp_path / "picked.jsonl"
    result = _export(str(demo_db), "--format", "jsonl", "--ids", str(ids), "--out", str(out))
    assert result.exit_code == 0, result.output
    got = [json.loads(line)["post_id"] for line in out.read_text().splitlines()]
    assert got == [picked[0][0], picked[1][0]]
    ids.write_text("no-such-post\n", encoding="utf-8")
    result = _export(str(demo_db), "--format", "jsonl", "--ids", str(ids))
    assert result.exit_code == 1 and "match no post" in result.output


def test_a_failed_export_leaves_no_file_behind(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "blocks.csv"
    out.parent.mkdir()
    result = _export(str(demo_db), "--format", "mastodon-blocks", "--folder", "support",
                     "--lang", "tr", "--out", str(out))  # kind Turkish replies: no Mastodon
    assert result.exit_code == 1, result.output
    assert "nothing to write for mastodon-blocks" in result.output
    assert list(out.parent.iterdir()) == []


def test_a_killed_exports_temporary_folder_is_removed_by_the_next_and_said(
        demo_db: Path, tmp_path: Path) -> None:
    """kill -9 during an export left `.OUT.export-*` (the selected posts' text) for good (found
    by benchmarks/kill_bench.py --stages export); one still locked is a running export."""
    import fcntl
    import os

    out = tmp_path / "all.jsonl"
    killed = tmp_path / ".all.jsonl.export-ab12cd_9"
    killed.mkdir()
    (killed / "all.jsonl").write_text('{"text": "shielded abuse"}\n', encoding="utf-8")
    running = tmp_path / ".all.jsonl.export-zz99yy88"
    running.mkdir()
    other = tmp_path / ".notes.txt.export-ab12cd_9"  # another file's: not this export's to touch
    other.mkdir()
    held = os.open(running, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = _export(str(demo_db), "--format", "jsonl", "--folder", "all", "--out", str(out))
    finally:
        os.close(held)
    assert result.exit_code == 0, result.output
    assert f"removed {killed.name}" in result.output and "interrupted export" in result.output
    assert not killed.exists() and running.is_dir() and other.is_dir()
    assert sorted(p.name for p in tmp_path.glob(".*.export-*")) == sorted(
        [running.name, other.name])  # the new export's own folder is gone too


class _TitlesOnly:
    """A third-party exporter: one line per post, through the same hook as the built-ins."""

    name = "titles"
    suffix = ".txt"
    description = "post ids, one a line"

    def export(self, selection, out, options):  # type: ignore[no-untyped-def]
        from pileon.export.selection import ExportResult

        ids = [post.post_id for post in selection.posts()]
        out.write_text("\n".join(ids) + "\n", encoding="utf-8")
        return ExportResult(files=(out,), rows=len(ids))


class _ThirdPartyPlugin:
    from pileon.hookspecs import hookimpl

    @hookimpl
    def register_exporters(self):  # type: ignore[no-untyped-def]
        return [_TitlesOnly()]


def test_a_plugin_exporter_is_a_format_like_the_builtins(demo_db: Path, tmp_path: Path) -> None:
    from pileon.plugins import plugin_manager

    plugin = _ThirdPartyPlugin()
    plugin_manager().register(plugin, "test-titles")
    try:
        out = tmp_path / "titles.txt"
        result = _export(str(demo_db), "--format", "titles", "--out", str(out), "--json")
    finally:
        plugin_manager().unregister(plugin)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == len(out.read_text().splitlines()) > 0
    assert _custody(demo_db)[-1]["format"] == "titles"


def test_default_name_stays_in_this_folder_whatever_the_filters(
        demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    from pileon.commands.export import _slug
    from pileon.store.export import ExportFilter

    assert _slug(ExportFilter(folder=None, langs=("../../etc",), categories=("a/b",))) == (
        "all-a_b-etc")
    conn = sqlite3.connect(demo_db)
    category, lang = conn.execute("SELECT category, lang FROM post_folders WHERE category IS"
                                  " NOT NULL AND lang IS NOT NULL LIMIT 1").fetchone()
    conn.close()
    result = _export(str(demo_db), "--format", "jsonl", "--folder", "all", "--category",
                     category, "--lang", lang, "-q")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "here").iterdir()] == [
        f"thread-all-{category}-{lang}-jsonl.jsonl"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here", "thread.db"]


def test_block_list_of_the_authors_the_user_chose_to_block(demo_db: Path,
                                                           tmp_path: Path) -> None:
    """`pileon decide --action block` on two replies, then the Mastodon list of exactly them."""
    conn = sqlite3.connect(demo_db)
    picked = conn.execute(
        "SELECT p.id, a.handle FROM post_folders f JOIN posts p ON p.platform=f.platform AND"
        " p.id=f.post_id JOIN accounts a ON a.platform=p.platform AND a.id=p.author_id WHERE"
        " f.platform='mastodon' AND f.folder != 'shielded' ORDER BY f.created_at LIMIT 2"
    ).fetchall()
    conn.close()
    decided = CliRunner().invoke(main, ["decide", str(demo_db), picked[0][0], picked[1][0],
                                        "--action", "block", "--platform", "mastodon"])
    assert decided.exit_code == 0, decided.output
    out = tmp_path / "exports" / "blocks.csv"
    result = _export(str(demo_db), "--format", "mastodon-blocks", "--marked", "block",
                     "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines() == [
        "Account address", *dict.fromkeys(h for _, h in picked)]


def test_an_output_folder_that_is_a_file_is_one_clear_line(demo_db: Path,
                                                           tmp_path: Path) -> None:
    blocker = tmp_path / "exports"
    blocker.write_text("a file, not a folder\n")
    result = _export(str(demo_db), "--format", "csv", "--out", str(blocker / "s.csv"))
    assert result.exit_code == 1
    assert "cannot write the export" in result.output and "Traceback" not in result.output
    assert blocker.read_text() == "a file, not a folder\n"
    assert _custody(demo_db) == []
