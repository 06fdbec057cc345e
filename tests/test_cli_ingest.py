"""`pileon ingest`, `stats` and `show` driven through click's CliRunner on the real-format files."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from pileon.cli import main
from pileon.records import sha256_hex

FORMATS = Path(__file__).parent / "fixtures" / "formats"


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="pileon")


def test_auto_detection_says_what_it_chose_one_line_per_file(db_path: Path) -> None:
    files = [FORMATS / "x_v2_conversation_search.json", FORMATS / "bluesky_getPostThread.json",
             FORMATS / "mastodon_context.json"]
    result = _run("ingest", db_path, *files)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines == [
        f"{files[0]}: format x (detected); 1 new payloads, 0 already stored; 7 posts, 6 accounts",
        f"{files[1]}: format bluesky (detected); 1 new payloads, 0 already stored; 7 posts,"
        " 4 accounts",
        f"{files[2]}: format mastodon (detected); 1 new payloads, 0 already stored; 7 posts,"
        " 5 accounts",
    ]


def test_json_report_and_second_run_adds_nothing(db_path: Path) -> None:
    path = FORMATS / "bluesky_getQuotes.json"
    first = json.loads(_run("ingest", db_path, path, "--json").stdout)
    assert first == {"file": str(path), "format": "bluesky", "payloads_new": 1,
                     "payloads_already_stored": 0, "posts": 4, "accounts": 4, "rejected": 0}
    second = json.loads(_run("ingest", db_path, path, "--json", "--format", "bluesky").stdout)
    assert (second["payloads_new"], second["payloads_already_stored"], second["posts"]) == (0, 1, 0)


def test_quiet_prints_nothing(db_path: Path) -> None:
    result = _run("ingest", db_path, FORMATS / "x_v2_quote_tweets.json", "--quiet")
    assert result.exit_code == 0
    assert result.output == ""


def test_csv_map_and_platform_through_the_cli(db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("post_id,body,user\n9,Səninləyik,ramin\n", "utf-8")
    result = _run("ingest", db_path, path, "--map", "id=post_id,text=body,author=user",
                  "--platform", "threads")
    assert result.exit_code == 0, result.output
    assert "format csv (detected); 1 new payloads" in result.output
    shown = json.loads(_run("show", db_path, "9", "--json").stdout)
    assert (shown["platform"], shown["text"], shown["author_id"]) == ("threads", "Səninləyik", "ramin")
    assert shown["raw"]["sha256"] == sha256_hex(b"9,S\xc9\x99ninl\xc9\x99yik,ramin")


def test_bad_map_syntax_is_a_usage_error(db_path: Path) -> None:
    result = _run("ingest", db_path, FORMATS / "x_v2_quote_tweets.json", "--map", "text")
    assert result.exit_code == 2
    assert "'text' is not FIELD=COLUMN" in result.output


def test_stats_count_rejects_and_show_gives_the_raw_payload(db_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "replies.jsonl"
    bad.write_text('{"id": "1", "text": "ok"}\n{"id": "2"}\n', "utf-8")
    _run("ingest", db_path, FORMATS / "x_v2_conversation_search.json", bad)
    stats = json.loads(_run("stats", db_path, "--json").stdout)
    assert stats["rejected"] == 1
    assert stats["posts"] == 8
    shown = _run("show", db_path, "2032766679825524794")
    assert shown.exit_code == 0
    assert "placeholder        not_found" in shown.output
    raw = (FORMATS / "x_v2_conversation_search.json").read_bytes().strip()
    assert f"raw sha256         {sha256_hex(raw)}" in shown.output
