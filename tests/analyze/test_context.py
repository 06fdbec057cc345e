"""Context rules: negation, counter-speech, reported speech, targeting, profanity in support, laughter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pileon.analyze.context import FEATURE_NAMES, RULES, apply_context
from pileon.analyze.lexicon import Hit, load_lexicons, match_all

DATA = Path(__file__).parent / "data"
TINY = load_lexicons(DATA / "lexicons")


def _cases() -> list[dict[str, Any]]:
    lines = (DATA / "context_cases.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["id"])
def test_context_case(case: dict[str, Any]) -> None:
    text, lang = case["text"], case["lang"]
    result = apply_context(text, match_all(text, [lang], TINY), lang)
    why = [(i.hit.matched, i.category, i.severity, i.rule) for i in result.items]
    for category in case.get("present", []):
        assert result.counts.get(category, 0) >= 1, (category, why)
    for category in case.get("absent", []):
        assert result.counts.get(category, 0) == 0, (category, why)
    for category, severity in case.get("max", {}).items():
        assert result.max_severity[category] == severity, why
    for category, count in case.get("count", {}).items():
        assert result.counts[category] == count, why
    if "rule" in case:
        assert case["rule"] in {i.rule for i in result.items}, why
    for flag, value in case.get("flags", {}).items():
        assert getattr(result, flag) is value, (flag, why)


def test_every_language_has_negation_and_counter_speech_cases() -> None:
    covered = {(c["lang"], c.get("rule")) for c in _cases()}
    for lang in ("az", "tr", "ru", "en", "hy", "fr"):
        assert (lang, "negated") in covered and (lang, "countered") in covered, lang


def test_every_adjusted_item_names_a_known_rule_and_its_cue() -> None:
    text = "you are not a traitor, you idiot"
    result = apply_context(text, match_all(text, ["en"], TINY), "en")
    assert {i.rule for i in result.items} <= set(RULES)
    negated = next(i for i in result.items if i.rule == "negated")
    assert negated.cue is not None and negated.cue.matched == "not"
    assert text[negated.hit.start : negated.hit.end] == "traitor"


def test_features_have_stable_names_and_reflect_the_rules() -> None:
    text = "sən xain deyilsən"
    features = apply_context(text, match_all(text, ["az"], TINY), "az").features()
    assert tuple(features) == FEATURE_NAMES
    assert features["count_bad_faith"] == 0.0 and features["flag_negated"] == 1.0


def test_no_hits_no_evidence() -> None:
    result = apply_context("where can I read more?", [], "en")
    assert result.items == () and result.counts == {} and not result.negated


def test_hits_outside_the_text_bounds_do_not_crash() -> None:
    stray = Hit("insult", 2, "x", 0, 0, "", "en")
    result = apply_context("", [stray], "en")
    assert result.counts == {"insult": 1}
