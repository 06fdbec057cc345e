"""Folder choice for one post and for clusters: asymmetric, explainable, signals-aware."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pileon.triage.folders import (
    AccountFacts,
    CopyGroup,
    PostFacts,
    account_signals,
    apply_copy_fate,
    choose_folder,
    consensus_choice,
    copy_key,
)
from pileon.triage.rules import load_rules, parse_rules

RULES = load_rules(None)
# Planted texts live in a data file (abuse text never in code).
PLANTED = json.loads((Path(__file__).parent / "data" / "planted.json").read_text("utf-8"))
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
    clean = choose_folder(post({"supportive": 0.6, "sexual_harassment": 0.05}), RULES)
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


def _group(members: list[tuple[str, str]], how: tuple[str, ...] = ("cluster",),
           coordinated: bool = False) -> CopyGroup:
    return CopyGroup("g1", tuple(members), how, coordinated)


def test_a_wave_whose_copies_disagree_shares_the_strictest_folder() -> None:
    members = [("x", str(i)) for i in range(6)]
    choices = {m: choose_folder(post({"bad_faith": 0.9}, pid=m[1]), RULES) for m in members[:2]}
    choices[members[2]] = choose_folder(post({"neutral": 0.8}, pid="2"), RULES)
    choices[members[3]] = choose_folder(post({"insult": 0.45}, pid="3"), RULES)
    choices[members[4]] = choose_folder(post({"neutral": 0.9}, pid="4"), RULES)
    choices[members[5]] = choose_folder(post(None, pid="5"), RULES)
    changed = apply_copy_fate(choices, [_group(members, coordinated=True)], RULES)
    assert set(changed) == set(members[2:])
    assert {c.folder for c in changed.values()} == {"shielded"}
    assert changed[members[2]].rule == "copies_share_fate"
    assert changed[members[2]].category == "bad_faith"
    assert changed[members[2]].explain["copies"]["own_folder"] == "inbox"


def test_copies_where_one_earned_support_wait_in_review_unless_coordinated() -> None:
    members = [("x", "a"), ("x", "b"), ("x", "c")]
    choices = {members[0]: choose_folder(post({"supportive": 0.95}, pid="a"), RULES),
               members[1]: choose_folder(post({"insult": 0.9}, pid="b"), RULES),
               members[2]: choose_folder(post({"insult": 0.9}, pid="c"), RULES)}
    assert choices[members[0]].folder == "support"
    plain = apply_copy_fate(choices, [_group(members, ("same_text",))], RULES)
    assert {c.folder for c in plain.values()} == {"review"} and len(plain) == 3
    coordinated = apply_copy_fate(choices, [_group(members, coordinated=True)], RULES)
    assert coordinated[members[0]].folder == "shielded" and members[1] not in coordinated


def test_a_coordinated_supportive_looking_group_never_reaches_support() -> None:
    members = [("x", str(i)) for i in range(5)]
    choices = {m: choose_folder(post({"supportive": 0.99}, pid=m[1]), RULES) for m in members}
    assert {c.folder for c in choices.values()} == {"support"}
    changed = apply_copy_fate(choices, [_group(members, coordinated=True)], RULES)
    assert {c.folder for c in changed.values()} == {"review"} and len(changed) == 5
    member = choose_folder(PostFacts("x", "9", NOW, "en", (), {"supportive": 0.99}, (),
                                     coordinated_member=True), RULES)
    assert (member.folder, member.rule) == ("review", "supportive_but_coordinated")
    # The same kind words copied by people acting apart stay in Support.
    assert apply_copy_fate(choices, [_group(members, ("same_text",))], RULES) == {}


def test_a_user_decision_on_one_copy_counts_for_the_others_only_when_stricter() -> None:
    members = [("x", "a"), ("x", "b"), ("x", "c")]
    choices = {m: choose_folder(post({"neutral": 0.9}, pid=m[1]), RULES) for m in members}
    shielded_by_user = apply_copy_fate(choices, [_group(members, ("same_text",))], RULES,
                                       {members[0]: "shielded"})
    assert {c.folder for c in shielded_by_user.values()} == {"shielded"}
    assert shielded_by_user[members[1]].explain["copies"]["its_rule"] == "your decision"
    kind_by_user = apply_copy_fate(choices, [_group(members, ("same_text",))], RULES,
                                   {members[0]: "support"})
    assert kind_by_user == {}


def test_a_small_coordination_cluster_is_ignored_but_same_text_copies_never() -> None:
    rules = parse_rules("[clusters]\nmin_size = 5\n", "test")
    members = [("x", str(i)) for i in range(3)]
    choices = {m: choose_folder(post({"bad_faith": 0.9}, pid=m[1]), rules) for m in members[:2]}
    choices[members[2]] = choose_folder(post({"neutral": 0.8}, pid="2"), rules)
    assert apply_copy_fate(choices, [_group(members)], rules) == {}
    assert set(apply_copy_fate(choices, [_group(members, ("same_text",))], rules)) == \
        {members[2]}


def test_support_is_earned_floors_and_the_accusation_rule() -> None:
    accused = PostFacts("x", "1", NOW, "az", (), {"supportive": 0.99}, (),
                        text=_planted("accusation_az"))
    choice = choose_folder(accused, RULES)
    assert (choice.folder, choice.rule) == ("review", "accusation_with_shame_cue")
    defended = PostFacts("x", "2", NOW, "en", (), {"supportive": 0.99}, (),
                         text=_planted("counter_speech_en"))
    assert choose_folder(defended, RULES).folder == "support"
    threat = choose_folder(post({"neutral": 0.8, "threat": RULES.inbox_severe_floor}), RULES)
    assert (threat.folder, threat.rule, threat.category) == ("review", "abuse_trace", "threat")
    assert choose_folder(post({"neutral": 0.8, "insult": 0.09}), RULES).folder == "inbox"


def test_copy_key_ignores_mentions_links_case_and_accents() -> None:
    assert copy_key("@someone Merci, Gunay! https://t.co/x") == copy_key("merci gunay")
    assert copy_key("🕊️🕊️ https://t.co/abc") == copy_key("@a 🕊️🕊️")
    assert copy_key("merci") != copy_key("merci beaucoup")


def _planted(name: str) -> str:
    return PLANTED[name]


def _text(name: str, scores: dict[str, float], lang: str = "en", pid: str = "1") -> PostFacts:
    return PostFacts("x", pid, NOW, lang, (), scores, (), text=_planted(name))


def test_support_needs_the_words_to_agree_with_the_classifier() -> None:
    assert choose_folder(_text("thanks_en", {"supportive": 0.9}), RULES).folder == "support"
    unconfirmed = choose_folder(_text("no_cue_en", {"supportive": 0.9}), RULES)
    assert (unconfirmed.folder, unconfirmed.rule) == ("review", "supportive_unconfirmed")
    off = parse_rules("version = 1\n[support]\nrequire_cue = false\n", "test")
    assert choose_folder(_text("no_cue_en", {"supportive": 0.9}), off).folder == "support"


def test_a_word_of_contempt_never_reaches_support_or_the_clear_inbox() -> None:
    counter = choose_folder(_text("contempt_counter_en", {"supportive": 0.95}), RULES)
    assert (counter.folder, counter.rule, counter.category) == ("review", "contempt_word",
                                                                "insult")
    neutral = choose_folder(_text("contempt_neutral_en", {"neutral": 0.9}), RULES)
    assert (neutral.folder, neutral.rule) == ("review", "contempt_word")
    negated = choose_folder(_text("contempt_negated_az", {"supportive": 0.9}, "az"), RULES)
    assert negated.folder == "support"  # "you are not a fool, thank you"


def test_an_accusation_is_the_writers_own_unless_it_is_reported() -> None:
    own = choose_folder(_text("accusation_en", {"supportive": 0.9}), RULES)
    assert (own.folder, own.rule) == ("review", "second_person_accusation")
    assert choose_folder(_text("accusation_en", {"neutral": 0.9}), RULES).rule == \
        "second_person_accusation"  # not in the clear Inbox either
    reported = choose_folder(_text("reported_en", {"supportive": 0.9}), RULES)
    assert reported.folder == "support"


def test_mockery_keeps_kind_words_out_of_support_but_a_laugh_is_no_abuse() -> None:
    mocking = choose_folder(_text("mockery_fr", {"supportive": 0.9}, "fr"), RULES)
    assert (mocking.folder, mocking.rule) == ("review", "supportive_mockery")
    assert choose_folder(_text("laugh_neutral_en", {"neutral": 0.9}), RULES).folder == "inbox"


def test_words_of_support_keep_a_reply_from_being_shielded_by_the_model_alone() -> None:
    misread = choose_folder(_text("thanks_en", {"supportive": 0.2, "insult": 0.97}), RULES)
    assert (misread.folder, misread.rule) == ("review", "shield_but_supportive")
    laughing = choose_folder(_text("thanks_laughing_en", {"supportive": 0.2, "insult": 0.97}),
                             RULES)
    assert laughing.folder == "shielded"  # "thank you" with laughter is no defence


def _copies(scores: list[dict[str, float]], name: str = "thanks_en") -> dict[
        tuple[str, str], PostFacts]:
    return {("x", str(n)): _text(name, s, pid=str(n)) for n, s in enumerate(scores)}


def test_exact_copies_held_back_by_one_noisy_score_are_read_together() -> None:
    facts = _copies([{"supportive": 0.9}, {"supportive": 0.9},
                     {"supportive": 0.9, "ridicule": 0.35}])
    choices = {k: choose_folder(f, RULES) for k, f in facts.items()}
    assert choices[("x", "2")].rule == "supportive_with_doubt"
    together = consensus_choice(list(facts.values()), RULES)
    assert together is not None and together.folder == "support"
    members = sorted(facts)
    read = {m: together for m in members}
    changed = apply_copy_fate(choices, [_group(members, ("same_text",))], RULES, None, read)
    assert set(changed) == {("x", "2")}
    assert (changed[("x", "2")].folder, changed[("x", "2")].rule) == ("support",
                                                                      "copies_read_together")
    # Not when the group is coordinated, a copy was shielded, or a user decided a copy.
    coordinated = apply_copy_fate(choices, [_group(members, ("same_text",), True)], RULES,
                                  None, read)
    assert {c.folder for c in coordinated.values()} == {"review"} and len(coordinated) == 2
    assert apply_copy_fate(choices, [_group(members, ("same_text",))], RULES,
                           {("x", "0"): "support"}, read)[("x", "1")].folder == "review"
    shielded = dict(choices)
    shielded[("x", "1")] = choose_folder(_text("thanks_laughing_en", {"insult": 0.97}, pid="1"),
                                         RULES)
    assert shielded[("x", "1")].folder == "shielded"
    fate = apply_copy_fate(shielded, [_group(members, ("same_text",))], RULES, None, read)
    assert {fate[m].folder for m in members if m in fate} <= {"review", "shielded"}
    assert fate[("x", "0")].folder == "review" and ("x", "2") not in fate  # x2: already there


def test_copies_whose_average_still_doubts_wait_together() -> None:
    facts = _copies([{"supportive": 0.9, "ridicule": 0.5}, {"supportive": 0.9, "ridicule": 0.5},
                     {"supportive": 0.9}])
    together = consensus_choice(list(facts.values()), RULES)
    assert together is not None and together.folder == "review"
