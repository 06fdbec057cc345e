"""detect_language(): script rules, az vs tr, Russian and Armenian typed in Latin letters, und."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pileon.analyze.langid import LANGUAGES, LangGuess, detect_language, detect_languages

DEV = Path(__file__).parent / "data" / "langid_dev.jsonl"


def _dev() -> list[dict[str, str]]:
    return [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]


def test_dev_set_has_at_least_30_messy_texts_per_language() -> None:
    counts = Counter(row["lang"] for row in _dev())
    assert all(counts[lang] >= 30 for lang in LANGUAGES), counts
    hard = Counter(row.get("hard") for row in _dev())
    assert hard["no_diacritics"] >= 10 and hard["latin_translit"] >= 20
    assert hard["cyrillic_script"] >= 5


def test_dev_set_accuracy_is_at_least_95_percent_and_no_language_is_left_behind() -> None:
    rows = _dev()
    guesses = detect_languages(row["text"] for row in rows)
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for row, guess in zip(rows, guesses, strict=True):
        total[row["lang"]] += 1
        right[row["lang"]] += guess.lang == row["lang"]
    assert sum(right.values()) / len(rows) >= 0.95
    for lang in LANGUAGES:
        assert right[lang] / total[lang] >= 0.85, (lang, right[lang], total[lang])


def test_hard_cases_of_the_dev_set_are_mostly_right() -> None:
    rows = [row for row in _dev() if row.get("hard")]
    right = sum(detect_language(row["text"]).lang == row["lang"] for row in rows)
    assert right / len(rows) >= 0.9


def test_script_rules_decide_before_anything_else() -> None:
    assert detect_language("Շնորհակալություն").lang == "hy"
    assert detect_language("Сағ ол, гардаш").lang == "az"
    assert detect_language("Спасибо, держись").lang == "ru"
    assert detect_language("Çox sağ ol, gözəl yazmısan").lang == "az"


def test_azerbaijani_without_diacritics_is_not_taken_for_turkish() -> None:
    assert detect_language("cox sag ol qardas, yaxsi yazmisan").lang == "az"
    assert detect_language("cok tesekkurler kardesim, guzel yazmissin").lang == "tr"
    assert detect_language("men seninle razi deyilem amma hormet edirem").lang == "az"
    assert detect_language("seninle ayni fikirde degilim ama saygi duyuyorum").lang == "tr"


def test_translit_russian_and_armenian_are_flagged() -> None:
    ru = detect_language("spasibo, ty ne odna, derzhis")
    hy = detect_language("shnorhakalutyun, shat lav es grel")
    assert (ru.lang, ru.script, ru.translit) == ("ru", "latin", True)
    assert (hy.lang, hy.script, hy.translit) == ("hy", "latin", True)
    en = detect_language("thank you, you are not alone")
    assert (en.lang, en.translit) == ("en", False)


def test_links_and_mentions_do_not_decide_the_language() -> None:
    assert detect_language("@someone_from_paris https://example.com/article merci beaucoup").lang == "fr"


def test_empty_emoji_only_and_tiny_texts_are_und_with_low_confidence() -> None:
    for text in ("", "   ", "🙏❤️", "😂😂😂", "!!!", "x", "12345"):
        guess = detect_language(text)
        assert guess.lang == "und" and guess.confidence <= 0.2, (text, guess)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=50))
def test_any_text_gets_a_guess_never_a_crash(text: str) -> None:
    guess = detect_language(text)
    assert isinstance(guess, LangGuess)
    assert guess.lang in (*LANGUAGES, "und")
    assert 0.0 <= guess.confidence <= 1.0


def test_a_100_kb_text_gets_a_guess() -> None:
    assert detect_language("Спасибо за смелость. " * 5000).lang == "ru"


def test_batch_gives_the_same_answers_in_order() -> None:
    texts = ["ty predatel", "Merci pour ton courage", "🙏", "xain sen"]
    assert detect_languages(texts) == [detect_language(t) for t in texts]
