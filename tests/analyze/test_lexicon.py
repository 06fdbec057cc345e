"""Lexicons: parsing with clear errors, matching every spelling trick, spans in the original text."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pileon.analyze.lexicon import (
    CUE_KINDS,
    LEXICON_LANGUAGES,
    Lexicon,
    default_lexicons,
    load_lexicons,
    match_all,
)
from pileon.analyze.normalize import normalize
from pileon.errors import ConfigError, InputFileError

DATA = Path(__file__).parent / "data"
TINY = load_lexicons(DATA / "lexicons")
HEADER = "category\tseverity\tpattern\tnote\n"


def _cases() -> list[dict[str, Any]]:
    lines = (DATA / "lexicon_cases.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["id"])
def test_lexicon_case(case: dict[str, Any]) -> None:
    hits = match_all(case["text"], case["langs"], TINY)
    found = {(h.category, h.matched) for h in hits}
    for category, matched in case.get("hits", []):
        assert (category, matched) in found, (case["text"], hits)
    for category, matched in case.get("no", []):
        assert (category, matched) not in found, (case["text"], hits)
    if case.get("hits") == [] and "no" not in case:
        assert [h for h in hits if h.category not in CUE_KINDS] == []
    for category, count in case.get("count", {}).items():
        assert Counter(h.category for h in hits)[category] == count
    for hit in hits:  # every span is the very text that produced the hit
        assert case["text"][hit.start : hit.end] == hit.matched


def _tiny_words(category: str) -> list[tuple[str, str]]:
    return [(lang, e.pattern.rstrip("*")) for lang, lex in TINY.items() for e in lex.entries
            if e.category == category and " " not in e.pattern]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(_tiny_words("bad_faith") + _tiny_words("insult")),
    st.text(alphabet=st.sampled_from(list("abc xyz .,!?😂🙏\u200b")), max_size=15),
    st.text(alphabet=st.sampled_from(list("abc xyz .,!?😂🙏\u200b")), max_size=15),
)
def test_a_lexicon_word_is_found_anywhere_and_its_span_is_the_word(
    entry: tuple[str, str], before: str, after: str
) -> None:
    lang, word = entry
    text = f"{before} {word} {after}"
    hits = [h for h in match_all(text, [lang], TINY) if h.category not in CUE_KINDS]
    start = len(before) + 1
    assert any(h.start == start and h.matched == word for h in hits), (text, hits)


def test_match_on_a_single_view_works_without_match_all() -> None:
    hits = TINY["ru"].match(normalize("ты предатель"))
    assert {(h.category, h.matched, h.lang) for h in hits} >= {("bad_faith", "предатель", "ru")}


def test_low_severity_entries_can_be_left_out() -> None:
    assert TINY["ru"].match(normalize("ты дебил"), min_severity=3) == []


def test_load_by_path_takes_the_language_from_the_file_name() -> None:
    lexicon = Lexicon.load(DATA / "lexicons" / "hy.tsv")
    assert lexicon.lang == "hy" and len(lexicon.entries) > 5


def _write(tmp_path: Path, body: str, name: str = "az.tsv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (HEADER + "insult\t2\tword\tnote\nslur\t3\tword\tnote\n", "unknown category 'slur'"),
        (HEADER + "insult\ttwo\tword\tnote\n", "severity must be"),
        (HEADER + "insult\t7\tword\tnote\n", "severity must be"),
        (HEADER + "insult\t2\n", "expected category"),
        (HEADER + "insult\t2\t~ word\tnote\n", "misplaced ~"),
        (HEADER + "insult\t2\t!!!\tnote\n", "nothing left to match"),
        ("insult\t2\tword\tnote\n", "header"),
    ],
)
def test_a_malformed_line_names_the_file_and_the_line(
    tmp_path: Path, body: str, message: str
) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(ConfigError) as error:
        Lexicon.load(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)
    bad_line = len(body.splitlines())
    assert f"line {bad_line}" in str(error.value)


def test_comments_blank_lines_and_a_missing_note_are_fine(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "# comment\n\ncue_negation\t0\tdeyil\n")
    assert [e.pattern for e in Lexicon.load(path).entries] == ["deyil"]


def test_a_missing_lexicon_file_or_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError):
        Lexicon.load(tmp_path / "nope.tsv")
    with pytest.raises(InputFileError):
        load_lexicons(tmp_path / "nope")


def test_bundled_lexicons_all_load_and_find_their_own_patterns() -> None:
    lexicons = default_lexicons()
    assert set(lexicons) == set(LEXICON_LANGUAGES)
    for lang, lexicon in lexicons.items():
        missed = [
            e.pattern for e in lexicon.entries
            if "~" not in e.pattern and "*" not in e.pattern
            and not any(h.pattern == e.pattern for h in lexicon.match(normalize(e.pattern)))
        ]
        assert missed == [], (lang, missed[:10])


def test_match_all_on_a_100_kb_text_and_on_empty_text() -> None:
    assert match_all("", ["und"], TINY) == []
    text = "sən xain deyilsən. " * 5300
    hits = match_all(text, ["az"], TINY)
    assert sum(h.category == "bad_faith" for h in hits) == 5300


# Disguised spellings seen in pile-ons, matched with the bundled lexicons (their plain spelling is
# in the lexicon); the evidence is the disguised text itself.
@pytest.mark.parametrize(
    ("text", "lang", "category", "matched"),
    [
        ("g r a n t e a t e r", "en", "bad_faith", "g r a n t e a t e r"),
        ("you are a g r a n t e a t e r lol", "en", "bad_faith", "g r a n t e a t e r"),
        ("G R A N T  E A T E R S all of you", "en", "bad_faith", "G R A N T  E A T E R S"),
        ("sen bir x a i n s e n", "az", "bad_faith", "x a i n s e n"),
        ("sen a x a i n", "az", "bad_faith", "x a i n"),
        ("you f a g", "en", "identity_attack", "f a g"),
        ("я тебя уб*ю", "ru", "threat", "уб*ю"),
        ("ты п*дор", "ru", "identity_attack", "п*дор"),
        ("ty p*dor", "ru", "identity_attack", "p*dor"),
        ("s*ktir git", "tr", "profanity", "s*ktir"),
        ("s1kt1r git", "tr", "profanity", "s1kt1r"),
        ("f*ck off", "en", "profanity", "f*ck"),
        ("F**KING clown", "en", "profanity", "F**KING"),
        ("what a load of sh*t", "en", "profanity", "sh*t"),
        ("f*ck your mother", "en", "sexual_harassment", "f*ck your mother"),
        ("s0ld 0ut to soros", "en", "bad_faith", "s0ld 0ut"),
        ("gr4nt 34ter", "en", "bad_faith", "gr4nt 34ter"),
        ("@mk ya yine mi", "tr", "profanity", "@mk"),
        ("ne diyor bu @MK", "tr", "profanity", "@MK"),
    ],
)
def test_a_disguised_spelling_is_matched_and_its_evidence_is_the_disguise(
    text: str, lang: str, category: str, matched: str
) -> None:
    hits = match_all(text, [lang])
    assert (category, matched) in {(h.category, h.matched) for h in hits}, hits
    for hit in hits:
        assert text[hit.start : hit.end] == hit.matched


@pytest.mark.parametrize(
    "text",
    [
        "*sigh* fine, whatever",
        "5*3=15 and 2*2=4",
        "rated 4* on the app, 5* support",
        "J. R. R. Tolkien wrote it in 1937",
        "a b c d",
        "2020",
        "1 0 0",
        "* * *",
        "x*y = y*x",
        "the *best* post **ever**",
        "see footnote* below",
        "ping @me and @ana.k about the link",
        "cc @mkx @mk.news @mk2",
    ],
)
def test_ordinary_asterisks_initials_and_numbers_match_nothing(text: str) -> None:
    hits = [h for h in match_all(text, ["und"]) if h.category not in CUE_KINDS]
    assert hits == []
