"""Account signals are defined once (pileon/coordinate/signals.py): the coordination stage and
the triage rules give the same answer for the same account at the same moment, from one config,
and the triage rules file's [account_signals] is that config."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pileon.coordinate.accounts import AccountActivity
from pileon.coordinate.accounts import account_signals as coordination_signals
from pileon.coordinate.results import CoordinationParams
from pileon.coordinate.signals import DEFAULT_ACCOUNT_SIGNALS, AccountSignalConfig
from pileon.records import Account
from pileon.triage.folders import AccountFacts
from pileon.triage.folders import account_signals as triage_signals
from pileon.triage.rules import load_rules, parse_rules

POSTED = datetime(2026, 3, 1, 12, tzinfo=UTC)
IDLE = AccountActivity(replies=1, clusters=0, coordinated_groups=0)


def _both(config: AccountSignalConfig, age_days: float, followers: int | None,
          avatar: bool | None, rules_text: str) -> tuple[set[str], set[str]]:
    created = POSTED - timedelta(days=age_days)
    account = Account(platform="x", id="1", handle="someone", created_at=created,
                      followers_count=followers, has_avatar=avatar)
    params = CoordinationParams().with_account_signals(config)
    coordination = coordination_signals("x:1", account, IDLE, POSTED, params).signals
    rules = parse_rules(rules_text, "test")
    triage = triage_signals(AccountFacts(created, followers, avatar), POSTED, rules)
    shared = {"new_account", "no_avatar", "few_followers"}
    return {k for k, v in coordination.items() if v and k in shared}, set(triage)


@pytest.mark.parametrize("age_days", [0.5, 29.99, 30.0, 30.01, -2.0, 400.0])
@pytest.mark.parametrize("followers", [None, 0, 9, 10, 11])
@pytest.mark.parametrize("avatar", [None, True, False])
def test_coordination_and_triage_agree_at_every_edge(age_days: float, followers: int | None,
                                                     avatar: bool | None) -> None:
    mine, theirs = _both(DEFAULT_ACCOUNT_SIGNALS, age_days, followers, avatar, "")
    assert mine == theirs


def test_the_boundary_is_strict_in_both() -> None:
    # exactly 30 days old: NOT new (fewer than 30 days), in both stages
    assert _both(DEFAULT_ACCOUNT_SIGNALS, 30.0, 100, True, "") == (set(), set())
    assert _both(DEFAULT_ACCOUNT_SIGNALS, 29.9, 100, True, "") == ({"new_account"},
                                                                   {"new_account"})


def test_one_config_from_the_rules_file_moves_both() -> None:
    text = "[account_signals]\nnew_account_days = 90\nfew_followers = 50\nno_avatar = false\n"
    config = parse_rules(text, "test").accounts.signals
    assert config == AccountSignalConfig(new_account_days=90, few_followers=50,
                                         few_posts=DEFAULT_ACCOUNT_SIGNALS.few_posts,
                                         no_avatar=False)
    mine, theirs = _both(config, 60.0, 30, False, text)
    assert mine == theirs == {"new_account", "few_followers"}  # no_avatar switched off


def test_shipped_rules_repeat_the_one_set_of_defaults() -> None:
    assert load_rules(None).accounts.signals == DEFAULT_ACCOUNT_SIGNALS
    assert CoordinationParams().account_signal_config() == DEFAULT_ACCOUNT_SIGNALS


def test_coordination_cli_takes_the_rules_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pileon.cli import main

    rules = tmp_path / "rules.toml"
    rules.write_text("[account_signals]\nfew_followers = \"ten\"\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["coordination", str(tmp_path / "none.db"), "--rules",
                                    str(rules)])
    assert out.exit_code != 0 and "few_followers" in out.output and "Traceback" not in out.output
