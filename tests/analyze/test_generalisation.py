"""The script gate and the generalisation harness (pileon/analyze/harness.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pileon.analyze.classify import builtin_classifier
from pileon.analyze.harness import expand_functional, foreign, foreign_cases, round_of
from pileon.analyze.langid import detect_language

_REPO = Path(__file__).resolve().parents[2]


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


@pytest.mark.parametrize(("lang", "hateful", "pattern"), [
    ("tr", "Bütün ermenilerden nefret ediyorum.", "ermeniler* nefret ediyorum"),
    ("az", "Bu qaraçılar ölsün!", "qaraçılar ölsün"),
    ("ru", "Ненавижу всех цыган.", "ненавижу всех цыган*"),
    ("hy", "Բոլոր գնչուներին պետք է սպանել", "գնչուներ* պետք է սպանել"),
])
def test_group_templates_of_every_language_reach_the_lexicon(lang: str, hateful: str,
                                                              pattern: str) -> None:
    from pileon.analyze.lexicon import Lexicon, group_entries
    from pileon.records import ABUSIVE_LABELS

    entries = group_entries(lang)
    assert len(entries) > 1000 and any(e.pattern == pattern for e in entries)
    assert len(Lexicon.load(lang).entries) > len(entries)
    result = builtin_classifier().classify([hateful])[0]
    assert set(result.labels) & ABUSIVE_LABELS and "supportive" not in result.labels
    assert any(e.source == "lexicon" and e.category in ("identity_attack", "threat")
               for e in result.evidence), result.evidence


def test_model_evidence_is_never_a_link_a_handle_a_number_or_a_function_word() -> None:
    """Over the whole dev set: every word the model shows as a reason is a content word."""
    import json

    from pileon.analyze.features import stopwords
    from pileon.analyze.normalize import normalize

    rows = [json.loads(line) for path in sorted((_REPO / "eval" / "dev").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = builtin_classifier().classify([r["text"] for r in rows])
    stop = stopwords()
    shown = bad = 0
    for row, result in zip(rows, results, strict=True):
        words = [w for w in normalize(row["text"]).text.split() if w.isalpha()]
        all_stop = all(w in stop for w in words)
        for e in result.evidence:
            if e.source != "model":
                continue
            shown += 1
            text = row["text"]
            word = normalize(e.text).text
            in_link = any(a <= e.start < a + len(m) for m in text.split()
                          for a in [text.find(m)] if m.startswith(("http", "www.")))
            handle = e.start > 0 and text[e.start - 1] == "@"
            if in_link or handle or word.isdigit() or (word in stop and not all_stop):
                bad += 1
                print("bad evidence:", repr(e.text), "in", repr(text))
    assert shown > 300  # the audit looked at real explanations
    assert bad == 0
