"""Rules files: the defaults load, partial files inherit defaults, typos name key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pileon.errors import ConfigError
from pileon.records import ABUSIVE_LABELS
from pileon.triage.rules import load_rules, parse_rules


def test_default_rules_cover_every_abusive_category() -> None:
    rules = load_rules(None)
    assert set(rules.shield) == set(ABUSIVE_LABELS) == set(rules.review)
    assert all(rules.review[k] < rules.shield[k] for k in ABUSIVE_LABELS)


def test_a_partial_file_keeps_the_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[shield]\nthreat = 0.4\n", encoding="utf-8")
    rules = load_rules(path)
    assert rules.shield["threat"] == 0.4
    assert rules.shield["insult"] == load_rules(None).shield["insult"]


@pytest.mark.parametrize("text, needle", [
    ("[shield]\nthreat = 0.5\ninslut = 0.6\n", "(line 3): unknown key 'shield.inslut'"),
    ("[sheild]\nthreat = 0.5\n", "(line 1): unknown section or key 'sheild'"),
    ("\n[account_signals]\nfew_followers = \"ten\"\n",
     "(line 3): 'account_signals.few_followers' must be int"),
    ("[support]\nmin_score = 1.5\n", "(line 2): 'support.min_score' = 1.5 is out of range"),
    ("[review]\nthreat = 0.9\n", "(line 2): review.threat (0.9) is above shield.threat"),
    ("[shield\nthreat = 0.5\n", "(line 1): not valid TOML"),
])
def test_a_typo_gives_one_line_naming_key_and_line(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rules(path)
    message = str(info.value)
    assert needle in message
    assert "\n" not in message
    assert str(path) in message


def test_missing_rules_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such rules file"):
        load_rules(tmp_path / "nope.toml")


def test_the_rules_hash_changes_with_the_text() -> None:
    assert parse_rules("", "a").sha256 != parse_rules("[shield]\nthreat = 0.5\n", "b").sha256


@pytest.mark.parametrize(("text", "needle"), [
    ("version = 1\n[shield]\ninsult = " + "9" * 5000 + "\n", "more than 4,300 digits"),
    ("a = " + "[" * 1000 + "]" * 1000 + "\n", "nested too deeply"),
    ("[shield]\ninsult = " + "9" * 4000 + "\n", "out of range"),
    ("[shield]\ninsult = [" + "1," * 3000 + "]\n", "must be float"),
])
def test_hostile_rules_files_are_one_clear_error(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=needle) as caught:
        load_rules(path)
    assert len(str(caught.value)) < 400  # one readable line, not the value echoed back
