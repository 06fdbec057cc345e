"""The comparable text: what is stripped, and which spellings of one reply meet."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from pileon.coordinate.text_key import coordination_text


def test_mentions_links_emoji_and_punctuation_do_not_count() -> None:
    plain = coordination_text("Stop lying about our history")
    assert coordination_text("@aysel @bob.bsky.social Stop lying about our history!! 🔥🔥") == plain
    assert coordination_text("Stop lying about our history https://t.co/abc 👏") == plain
    assert coordination_text("@mira@mastodon.social STOP lying about our history...") == plain


def test_russian_cyrillic_and_latin_translit_meet() -> None:
    assert coordination_text("Хватит врать, все это знают") == \
        coordination_text("Hvatit vrat, vse eto znayut")


def test_azerbaijani_latin_plain_and_cyrillic_meet() -> None:
    proper = coordination_text("Sən çox cəsursan, təşəkkür edirəm")
    assert coordination_text("Sen cox cesursan, tesekkur edirem") == proper
    assert coordination_text("Сән чох ҹәсурсан, тәшәккүр едирәм") == proper


def test_armenian_script_and_latin_translit_meet() -> None:
    assert coordination_text("բարև ձեզ, շնորհակալություն") == \
        coordination_text("barev dzez, shnorhakalutyun")


def test_nothing_comparable_left_is_empty() -> None:
    assert coordination_text("") == ""
    assert coordination_text("   ") == ""
    assert coordination_text("https://example.org/x @someone") == ""


def test_emoji_only_replies_compare_on_their_emoji() -> None:
    assert coordination_text("🤡🤡🤡") == coordination_text("🤡 🤡") != coordination_text("👏👏")


@given(st.text(max_size=200))
def test_any_text_folds_to_latin_letters_digits_or_symbols(text: str) -> None:
    folded = coordination_text(text)
    assert re.fullmatch(r"[a-z0-9 ]*", folded) or not any(c.isalnum() for c in folded)
