"""Hostility toward a named group (analyze/hostility.py) and the support it blocks: hatred,
disgust or dehumanisation of a named group, or violence with intent, is identity_attack whatever
the n-gram model says, and such a reply is never `supportive`; negation, counter-speech and a
report of the past are not hostility. Cases written for these tests (not the eval sets)."""

from __future__ import annotations

import pytest

from pileon.analyze.classify import builtin_classifier
from pileon.analyze.features import read_text
from pileon.analyze.hostility import fuzzy_cues, hostility
from pileon.records import ABUSIVE_LABELS

HOSTILE = [
    ("en", "Honestly nothing disgusts me like refugees, they make me sick."),
    ("en", "I have worked beside many immigrants and I despise each of them."),
    ("en", "Muslims keep arriving in our town. They are parasites."),
    ("en", "We are going to kill the Jews who live on our street."),
    ("en", "I haet immigrants."),
    ("fr", "Les immigrés me dégoûtent, franchement."),
    ("fr", "Il faudrait tuer tous les musulmans."),
    ("ru", "Я ненавижу армян всей душой."),
    ("tr", "Suriyeliler öldürülmeli."),
    ("az", "Ermənilərə nifrət edirəm."),
    ("hy", "Ես ատում եմ թուրքերին։"),
]

NOT_HOSTILE = [
    ("en", "I don't despise immigrants, I despise the people who exploit them."),
    ("en", "Calling refugees parasites is racist."),
    ("en", "Armenians were killed in Baku in January 1990."),
    ("en", "Thank you for this. I hate what the trolls did to you."),
    ("fr", "Les réfugiés ont tout perdu pendant la guerre."),
]


@pytest.mark.parametrize(("lang", "text"), HOSTILE)
def test_hostility_toward_a_named_group_is_an_attack_and_never_support(lang: str,
                                                                       text: str) -> None:
    read = read_text(text)
    found = hostility(read)
    assert found.any and found.group, (text, read.lang, read.context.cues)
    result = builtin_classifier().classify([text])[0]
    assert "identity_attack" in result.labels, (text, result.labels)
    assert "supportive" not in result.labels, (text, result.labels)
    cues = [e for e in result.evidence if e.rule == "group_hostility"]
    assert cues, result.evidence
    for e in cues:  # the hostile words themselves, never the group's name alone
        assert text[e.start:e.end] == e.text and e.text.lower() != (found.group or "").lower()


@pytest.mark.parametrize(("lang", "text"), NOT_HOSTILE)
def test_negation_counter_speech_and_reports_are_not_hostility(lang: str, text: str) -> None:
    assert not hostility(read_text(text)).any, text
    result = builtin_classifier().classify([text])[0]
    assert "group_hostility" not in result.rules


def test_violence_toward_a_group_with_intent_is_also_a_threat() -> None:
    result = builtin_classifier().classify(["Someone should shoot all the refugees."])[0]
    assert {"identity_attack", "threat"} <= set(result.labels)
    assert any(e.category == "threat" and e.text == "shoot" for e in result.evidence)


def test_misspelled_cue_words_are_read() -> None:
    for text, word in (("I haet immigrants.", "I haet"), ("Ihate immigrants.", "Ihate"),
                       ("Refugees shuold all be hanged.", "shuold")):
        assert word in [h.matched for h in fuzzy_cues(read_text(text))], text
    # a real word is not a misspelling of a cue ("kill" minus a letter is not "ill")
    assert not fuzzy_cues(read_text("She was ill for a week."))


def test_support_is_blocked_by_hatred_without_a_support_cue_but_kept_with_one() -> None:
    clf = builtin_classifier()
    hateful, warm = clf.classify(["I despise every one of them.",
                                  "Thank you for writing this, stay strong."])
    assert "supportive" not in hateful.labels
    assert "supportive" in warm.labels


def test_a_negated_support_word_is_not_support() -> None:
    read = read_text("Nobody will ever respect you.")
    assert any(i.rule == "negated_support" and not i.counts for i in read.context.items)
    result = builtin_classifier().classify([read.text])[0]
    assert "supportive" not in result.labels
    assert not set(result.labels) & {"identity_attack"} & ABUSIVE_LABELS
