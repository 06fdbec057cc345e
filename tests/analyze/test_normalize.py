"""normalize(): every spelling trick meets one form, and every character maps back to the original."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pileon.analyze.normalize import (
    armenian_skeleton,
    normalize,
    russian_skeleton,
    script_variants,
)

DATA = Path(__file__).parent / "data"


def _spelling_groups() -> list[tuple[str, str]]:
    pairs = []
    for line in (DATA / "spelling_groups.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("expected\t"):
            continue
        expected, *spellings = line.split("\t")
        pairs += [(expected, s) for s in spellings]
    return pairs


@pytest.mark.parametrize(("expected", "spelling"), _spelling_groups())
def test_every_spelling_of_a_word_normalizes_to_the_same_form(expected: str, spelling: str) -> None:
    assert normalize(spelling).text == expected


# Texts mixing what the pile-on actually contains: scripts, diacritics, invisible characters,
# leetspeak, emoji, spacing tricks and lone surrogates.
TRICKY = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            list("aAiIİıxXsSəƏşŞçÇğĞöüé eE.-_*@$0134579!?'’,")
            + list("аАеЕхХиИсСәҹһјөүғёЁьъ")
            + list("դավաճանեսԴԱՎ")
            + ["\u200b", "\u200d", "\u202e", "\ufeff", "\u00ad", "\u0301", "\ufe0f", "😂", "🙏", "🏻",
               "❤", "ﬁ", "𝐱", "ß", "œ", "\ud800", "\udfff"]
        ),
        st.characters(exclude_categories=()),
    ),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(TRICKY)
@example("\ud800\udc00 lone high+low")
@example("İ" * 5)
def test_normalize_never_crashes_and_every_char_maps_into_the_original(text: str) -> None:
    norm = normalize(text)
    assert len(norm.offsets) == len(norm.text) == len(norm.ends)
    assert norm.original == text
    previous = 0
    for start, end in zip(norm.offsets, norm.ends, strict=True):
        assert 0 <= start < end <= len(text)
        assert start >= previous  # spans come in reading order
        previous = start
    assert "\ud800" not in norm.text and "\udfff" not in norm.text


@settings(max_examples=200, deadline=None)
@given(TRICKY, st.integers(0, 80), st.integers(0, 80))
def test_original_span_of_any_normalized_span_stays_inside_the_original(
    text: str, a: int, b: int
) -> None:
    norm = normalize(text)
    start, end = norm.original_span(min(a, b), max(a, b))
    assert 0 <= start <= end <= len(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("abcdeinrstxyz AISƏəşçğıöü.-0134@") + list("аеихнсәөј") + list("դավաճանես")
        ),
        max_size=40,
    )
)
@example("A0ööաադ")  # squeezing "ooo" left a word with an Armenian majority for a second pass
@example("0nս s0ld 0ut")
def test_normalizing_twice_changes_nothing(text: str) -> None:
    once = normalize(text).text
    assert normalize(once).text == once


def test_a_100_kb_text_is_normalized_whole() -> None:
    text = ("Sən x a i n\u200b sən 😂😂😂 ty predatel " * 3000)[:100_000]
    norm = normalize(text)
    assert norm.text.count("xain sen") == norm.text.count("😂") // 3 > 3000 // 2
    assert len(norm.offsets) == len(norm.text)


def test_span_of_a_disguised_word_is_the_disguised_original() -> None:
    text = "Hey X.A.İ.N and more"
    norm = normalize(text)
    start = norm.text.index("xain")
    s, e = norm.original_span(start, start + 4)
    assert text[s:e] == "X.A.İ.N"


def test_squeezed_run_maps_back_to_the_whole_run() -> None:
    text = "soooo good"
    norm = normalize(text)
    assert norm.text == "so good"
    assert norm.original_span(0, 2) == (0, 5)


def test_double_letters_stay_distinct_from_single_ones() -> None:
    assert normalize("massa").text == "massa"
    assert normalize("masssa").text == "masa"


def test_turkish_and_azerbaijani_i_fold_to_one_letter() -> None:
    assert normalize("İSTANBUL ılık Iğdır").text == "istanbul ilik igdir"


def test_ordinary_one_letter_words_are_not_joined() -> None:
    assert normalize("а я в шоке").text == "а я в шоке"
    assert normalize("il y a à manger").text == "il y a a manger"


def test_numbers_and_mentions_are_not_read_as_leetspeak() -> None:
    assert normalize("1st of 10k covid19 @user1 2023").text == "1st of 10k covid19 @user1 2023"


def test_invisible_and_bidi_characters_are_removed() -> None:
    assert normalize("he\u200bl\u202elo\ufeff\u00ad").text == "hello"


def test_emoji_keep_their_count_and_lose_variation_selectors() -> None:
    assert normalize("❤️🙏🏻😂😂😂").text == "❤🙏😂😂😂"


def test_azerbaijani_cyrillic_meets_latin_only_when_it_is_azerbaijani() -> None:
    assert normalize("Бу гардашым үчүн").text == "bu qardasim ucun"
    assert normalize("это просто текст").text == "это просто текст"  # Russian stays Cyrillic
    assert normalize("гардаш", lang="az").text == "qardas"


def test_russian_translit_view_meets_the_cyrillic_skeleton() -> None:
    views = {v.view: v for v in script_variants(normalize("ty durak, spasibo"), "ru")}
    assert views["ru_translit"].text == russian_skeleton("ты дурак, спасибо")
    assert "hy_translit" not in views


def test_armenian_translit_view_meets_the_armenian_skeleton() -> None:
    view = script_variants(normalize("shnorhakalutyun, du ches"), "hy")[0]
    assert view.view == "hy_translit"
    assert view.text == armenian_skeleton("շնորհակալություն, դու չես")


def test_translit_view_spans_point_into_the_original() -> None:
    text = "OK ty Predatel'!"
    view = script_variants(normalize(text), ["ru"])[0]
    start = view.text.index("предател")
    s, e = view.original_span(start, start + len("предател"))
    assert text[s:e] == "Predatel"


def test_plain_cyrillic_gets_an_azerbaijani_latin_view() -> None:
    views = script_variants(normalize("сен гардашсан"), None)
    assert [v.text for v in views if v.view == "az_latin"] == ["sen qardassan"]


def test_latin_text_gets_no_translit_view_when_the_language_rules_it_out() -> None:
    assert script_variants(normalize("thank you so much"), ["en"]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s0ld 0ut", "sold out"),
        ("gr4nt 34ter", "grant eater"),
        ("he s0ld 0ut to them", "he sold out to them"),
    ],
)
def test_leetspeak_0_for_o_is_read_at_the_start_of_a_short_word(text: str, expected: str) -> None:
    assert normalize(text).text == expected


@pytest.mark.parametrize(
    "text",
    ["*sigh* fine", "5*3=15", "rated 4* on the app", "j. r. r. tolkien", "2020", "1 0 0",
     "0ms lag, 0db, 0km", "covid19 in 2020"],
)
def test_asterisks_numbers_and_initials_are_left_as_they_are(text: str) -> None:
    assert normalize(text).text == text


def test_a_masked_word_keeps_its_asterisk_for_the_matcher() -> None:
    assert normalize("F*CK").text == "f*ck"
    assert normalize("уб*ю").text == "уб*ю"
