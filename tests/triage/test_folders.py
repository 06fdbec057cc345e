"""Folder choice for one post and for clusters: asymmetric, explainable, signals-aware."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pileon.triage.folders import (
    AccountFacts,
    PostFacts,
    account_signals,
    apply_cluster_rule,
    choose_folder,
)
from pileon.triage.rules import load_rules

RULES = load_rules(None)
NOW = datetime(2024, 11, 25, 12, tzinfo=UTC)


def post(scores: dict[str, float] | None, signals: tuple[str, ...] = (), pid: str = "1") -> PostFacts:
    return PostFacts("x", pid, NOW, "en", (), scores, signals)


def test_unanalysed_posts_wait_in_review_and_say_why() -> None:
    choice = choose_folder(post(None), RULES)
    assert (choice.folder, choice.rule) == ("review", "not_analysed")
    assert "pileon analyze" in choice.explain["why"]


def test_support_neutral_and_abuse_each_find_their_folder() -> None:
    assert choose_folder(post({"supportive": 0.9}), RULES).folder == "support"
    assert choose_folder(post({"neutral": 0.9}), RULES).folder == "inbox"
    assert choose_folder(post({"disagreement": 0.9}), RULES).folder == "inbox"
    threat = choose_folder(post({"threat": 0.9}), RULES)
    assert (threat.folder, threat.category) == ("shielded", "threat")


def test_unsure_abuse_goes_to_review_not_support() -> None:
    choice = choose_folder(post({"supportive": 0.6, "insult": 0.45}), RULES)
    assert (choice.folder, choice.category) == ("review", "insult")


def test_support_with_a_trace_of_abuse_waits_in_review_not_on_the_first_screen() -> None:
    doubtful = choose_folder(post({"supportive": 0.6, "sexual_harassment": 0.25}), RULES)
    assert (doubtful.folder, doubtful.rule, doubtful.category) == (
        "review", "supportive_with_doubt", "sexual_harassment")
    clean = choose_folder(post({"supportive": 0.6, "sexual_harassment": 0.1}), RULES)
    assert clean.folder == "support"


def test_clear_support_is_never_shielded_by_the_model_alone() -> None:
    choice = choose_folder(post({"supportive": 0.9, "identity_attack": 0.7}), RULES)
    assert choice.folder == "review"
    assert choice.rule == "shield_but_supportive"


def test_throwaway_accounts_need_a_lower_score_to_be_shielded() -> None:
    scores = {"insult": RULES.shield["insult"] - 0.05}
    assert choose_folder(post(scores), RULES).folder == "review"
    throwaway = choose_folder(post(scores, ("new_account", "no_avatar")), RULES)
    assert (throwaway.folder, throwaway.rule) == ("shielded", "shield_threshold_throwaway")


def test_account_signals_say_nothing_when_the_platform_did_not_tell() -> None:
    unknown = AccountFacts(created_at=None, followers_count=None, has_avatar=None)
    assert account_signals(unknown, NOW, RULES) == ()
    fresh = AccountFacts(NOW - timedelta(days=2), 3, False, coordinated=True)
    assert account_signals(fresh, NOW, RULES) == ("new_account", "no_avatar", "few_followers",
                                                 "coordinated")


def test_a_mostly_abusive_cluster_takes_its_quiet_members_but_never_support() -> None:
    members = [("x", str(i)) for i in range(6)]
    choices = {m: choose_folder(post({"bad_faith": 0.9}, pid=m[1]), RULES) for m in members[:4]}
    choices[members[4]] = choose_folder(post({"neutral": 0.8}, pid="4"), RULES)
    choices[members[5]] = choose_folder(post({"supportive": 0.9}, pid="5"), RULES)
    changed = apply_cluster_rule(choices, {"c1": members}, RULES)
    assert set(changed) == {members[4]}
    assert changed[members[4]].folder == "shielded"
    assert changed[members[4]].rule == "coordinated_cluster"
    assert changed[members[4]].explain["cluster"]["id"] == "c1"


def test_a_small_cluster_is_ignored() -> None:
    members = [("x", str(i)) for i in range(3)]
    choices = {m: choose_folder(post({"bad_faith": 0.9}, pid=m[1]), RULES) for m in members[:2]}
    choices[members[2]] = choose_folder(post({"neutral": 0.8}, pid="2"), RULES)
    assert apply_cluster_rule(choices, {"c1": members}, RULES) == {}
