"""The script gate and the generalisation harness (pileon/analyze/harness.py)."""

from __future__ import annotations

from pileon.analyze.classify import builtin_classifier
from pileon.analyze.harness import expand_functional, foreign, foreign_cases, round_of
from pileon.analyze.langid import detect_language


def test_every_foreign_script_case_is_und_with_no_label() -> None:
    report = foreign(builtin_classifier().classify)
    assert report["n"] == len(foreign_cases()) >= 40
    assert report["failures"] == []
    assert report["und"] == 1.0 and report["any_label"] == 0.0


def test_foreign_script_result_has_low_confidence_and_no_evidence() -> None:
    (result,) = builtin_classifier().classify(["شكرا لك على هذا المنشور"])
    assert result.lang == "und" and result.lang_confidence <= 0.1
    assert result.labels == ("neutral",) and result.evidence == ()
    assert detect_language("谢谢你的分享").script == "other"


def test_a_few_foreign_letters_do_not_hide_a_latin_reply() -> None:
    # A Latin-script reply quoting one foreign word is still read in its own language.
    guess = detect_language("thank you so much for writing this, شكرا")
    assert guess.lang == "en" and guess.script == "latin"


def test_functional_suite_covers_every_hatecheck_functionality() -> None:
    cases = expand_functional()
    en = {c["functionality"] for c in cases if c["lang"] == "en"}
    assert len(en) == 29  # the 29 functionalities of HateCheck (Röttger et al. 2021)
    assert {c["abusive"] for c in cases} == {True, False}
    assert all("{G}" not in c["text"] for c in cases)
    assert len({c["id"] for c in cases}) == len(cases)


def test_round_of_team_files() -> None:
    assert [round_of(s) for s in ("en", "groups_fr", "az_extra", "tr_extra5", "hy_extra7")] == [
        0, 0, 1, 5, 7]
