"""The n-gram model reads a named protected group as one token (features.mask_groups), so it
learns what is said about a group, not which group is named; and the shipped model does not
call praise of a group an attack on it (held-out statements, six languages)."""

from __future__ import annotations

import json
from pathlib import Path

from pileon.analyze.features import GROUP_TOKEN, mask_groups, read_texts
from pileon.records import ABUSIVE_LABELS

_CASES = Path(__file__).parent / "data" / "group_statements.jsonl"


def _masked(text: str) -> str:
    return mask_groups(read_texts([text])[0].model_text)


def test_group_names_become_one_token_in_every_script() -> None:
    for text in ("Армяне прекрасный народ", "Ermenileri seviyorum", "Ermənilər gözəl xalqdır",
                 "Les Arméniens sont un peuple merveilleux", "I love Kurds",
                 "Թուրքերը եկան", "Հայերը խաղաղություն են ուզում"):
        masked = _masked(text)
        assert masked.count(GROUP_TOKEN) == 1, (text, masked)


def test_ordinary_words_sharing_a_prefix_and_slurs_are_left_alone() -> None:
    # "Azərbaycan" (the country) is not a group name; a slur is a reason, not a name.
    assert GROUP_TOKEN not in _masked("Qarabağ Azərbaycandır")
    assert GROUP_TOKEN not in _masked("the refugee camp opened")
    slurs = [json.loads(line)["text"] for line in
             (Path(__file__).parent / "data" / "group_slurs.jsonl").read_text("utf-8")
             .splitlines() if line.strip()]
    for text in slurs:
        assert GROUP_TOKEN not in _masked(text), text


def test_praise_of_a_group_is_not_an_attack_on_it() -> None:
    # Held-out statements (written for this test, never trained on; checked apart from the
    # training rows): praise of a group in six languages, and their hateful twins. Before the
    # group token and the praising rows, 26 of the 48 praising ones came out abusive
    # ("Армяне прекрасный народ" -> identity_attack on "Армяне").
    from pileon.analyze.classify import builtin_classifier

    rows = [json.loads(line) for line in _CASES.read_text("utf-8").splitlines() if line.strip()]
    results = builtin_classifier().classify([r["text"] for r in rows])
    flagged = {r["id"]: bool(set(x.labels) & ABUSIVE_LABELS) for r, x in zip(rows, results,
                                                                              strict=True)}
    praise = [r for r in rows if not r["hateful"]]
    wrong = [r["id"] for r in praise if flagged[r["id"]]]
    assert len(praise) == 48 and len(wrong) < 10, wrong
    for lang in {r["lang"] for r in rows}:
        assert sum(r["lang"] == lang for r in praise if flagged[r["id"]]) <= 3, (lang, wrong)
    # The hateful twins must still be caught. One is not (ru-hate-0: "мерзкий народ, гнать"
    # without the group name reads as neither insult nor attack): at most that one.
    missed = [r["id"] for r in rows if r["hateful"] and not flagged[r["id"]]]
    assert len(missed) <= 1, missed
