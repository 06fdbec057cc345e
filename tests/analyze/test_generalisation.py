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


def test_group_templates_expand_over_every_group_and_determiner() -> None:
    from pileon.analyze.lexicon import expand_group_templates

    templates = ("category\tseverity\tpattern\tnote\n@determiners\tall|the\n"
                 "threat\t3\tkill {D} {G}\tviolence\nidentity_attack\t2\t{G} are vermin\tx\n")
    entries = expand_group_templates(templates, "# groups\nmartians\nplutonians\n", "en")
    assert sorted(e.pattern for e in entries if e.category == "threat") == [
        "kill all martians", "kill all plutonians", "kill martians", "kill plutonians",
        "kill the martians", "kill the plutonians"]
    assert {e.pattern for e in entries if e.category == "identity_attack"} == {
        "martians are vermin", "plutonians are vermin"}


def test_group_hate_is_not_support_and_its_negation_is_not_abuse() -> None:
    # Invented group names: what is tested is the template structure, not a memorised case.
    from pileon.analyze.lexicon import Lexicon, expand_group_templates
    from pileon.records import ABUSIVE_LABELS

    assert expand_group_templates  # the bundled English templates are loaded into `en`
    en = Lexicon.load("en")
    assert any(e.pattern == "kill all immigrants" for e in en.entries)
    hateful, negated = builtin_classifier().classify(
        ["Honestly I want to kill all immigrants.", "I would never hurt immigrants."])
    assert set(hateful.labels) & ABUSIVE_LABELS and "supportive" not in hateful.labels
    assert not set(negated.labels) & ABUSIVE_LABELS


def test_bad_input_gets_a_result_and_no_label_without_evidence() -> None:
    texts = ["", "🙂🙂🙂", "a" * 100_000, "lone \ud800 surrogate", "🔪🔪 ⚰️"]
    empty, smileys, huge, surrogate, knives = builtin_classifier().classify(texts)
    assert empty.labels == ("neutral",) and smileys.labels != ()
    assert not {"threat", "insult", "identity_attack"} & set(smileys.labels)
    assert huge.truncated and surrogate.labels
    assert "threat" in knives.labels and knives.evidence  # the emoji lexicon still reads these
    for result in (smileys, huge, surrogate, knives):
        given = set(result.labels) - {"neutral"}
        assert given <= {e.category for e in result.evidence}, result
