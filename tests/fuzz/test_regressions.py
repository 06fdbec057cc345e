"""Fixed inputs from issue 19's findings that only the fuzz tests reached before: each failed
with a traceback (ValueError past Python's 4,300-digit limit, RecursionError) before the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pileon.cli import main
from pileon.errors import ConfigError
from pileon.triage.rules import default_rules_text, parse_rules


@pytest.mark.parametrize(("extra", "said"), [
    ("[support]\nhuge = " + "9" * 4301, "rules.toml"),
    ("deep = " + "[" * 1000 + "]" * 1000, "nested too deeply"),
])
def test_rules_with_a_huge_integer_or_deep_nesting_are_one_config_error(extra: str,
                                                                       said: str) -> None:
    text = default_rules_text().replace("[support]", "[support_old]", 1) + "\n" + extra + "\n"
    with pytest.raises(ConfigError) as caught:
        parse_rules(text, "rules.toml")
    message = str(caught.value)
    assert message.startswith("rules.toml") and said in message and "\n" not in message


@pytest.mark.parametrize("args", [["show", "{db}", "osc-1"], ["show", "{db}", "osc-1", "--json"]])
def test_show_never_prints_a_control_sequence_from_a_post(tmp_path: Path, args: list[str]) -> None:
    """A reply holding OSC 52 (clipboard write), a window-title sequence and a bidi override
    used to reach the terminal raw through `pileon show`."""
    hostile = "hi \x1b]52;c;ZXZpbA==\x07 \x1b]0;owned\x07 \u202eexe.gnp \x9b31m"
    source = tmp_path / "replies.jsonl"
    source.write_text(json.dumps({"id": "osc-1", "text": hostile, "author": "a-1"}) + "\n",
                      encoding="utf-8")
    db = tmp_path / "thread.db"
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(db), str(source), "-q"]).exit_code == 0
    shown = runner.invoke(main, [a.format(db=db) for a in args])
    assert shown.exit_code == 0, shown.output
    for raw in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert raw not in shown.output
    assert "\\u001b]52" in shown.output or "\\u001b" in shown.output  # shown, visibly escaped


def test_campaign_add_on_a_full_disk_says_so_and_leaves_no_half_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-check of issue 19's full disk on a command added since: `campaign add` said the
    thread was "not a pileon database or damaged" and left `.NAME.db.tmp-PID`, a half copy
    holding the thread's posts, in the campaign folder."""
    import sqlite3

    from pileon.store import campaign as store_campaign

    thread = tmp_path / "thread.db"
    fixture = Path(__file__).parent.parent / "fixtures" / "formats" / "mastodon_context.json"
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(thread), str(fixture), "-q"]).exit_code == 0
    camp = tmp_path / "camp"
    assert runner.invoke(main, ["campaign", "init", str(camp)]).exit_code == 0
    real_connect = sqlite3.connect

    def small_disk(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)  # type: ignore[arg-type]
        if not kwargs.get("uri"):  # the copy, not the thread database read with mode=ro
            conn.execute("PRAGMA max_page_count=2")  # SQLite's own SQLITE_FULL path
        return conn

    monkeypatch.setattr(store_campaign.sqlite3, "connect", small_disk)
    result = runner.invoke(main, ["campaign", "add", str(camp), str(thread)])
    monkeypatch.undo()
    assert result.exit_code == 1
    assert "the disk is full" in result.output and "damaged" not in result.output
    threads = camp / "threads"
    assert not threads.exists() or not list(threads.iterdir())  # no half copy left
