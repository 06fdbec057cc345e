"""The comparable text: what is stripped, and which spellings of one reply meet."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from pileon.coordinate.text_key import (
    _folded_batch,
    comparable_text,
    comparable_texts,
    coordination_text,
)


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


def test_plain_prose_fast_path_matches_the_full_normalizer() -> None:
    """The shortcut for plain ASCII prose must give what normalize() gives, or not be taken."""
    import random

    from pileon.analyze.normalize import normalize
    from pileon.coordinate.text_key import _plain_lower

    rng = random.Random(9)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ    ,.?'"
    samples = ["s t u p i d people", "sooo true", "l.o.l", "Well said.", "why?", "a b c d",
               "it's OK, I guess", "you are a l i a r", "nooo way", "I A M here"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
                for _ in range(3000)]
    taken = 0
    for text in samples:
        fast = _plain_lower(text)
        if fast is not None:
            taken += 1
            assert fast == normalize(text).text, text
    assert taken > 1000  # the shortcut is actually used on plain text


def test_batch_folding_matches_one_by_one() -> None:
    import random

    from pileon.coordinate.text_key import comparable_text, comparable_texts

    rng = random.Random(4)
    alphabet = "abcdefghijklmnopqrstuvwxyzXQYJW  ,.?'!1@çщա🔥\n"
    texts = ["", "?", "lol", "Well said.", "s t u p i d", "shhh", "чох", "x\ny", "100%",
             "Schtch ya", "aaa bbb", "ok\n", "   "]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
              for _ in range(3000)]
    assert comparable_texts(texts) == [comparable_text(t) for t in texts]


@given(st.lists(st.sampled_from([
    "f u c k you", "n i c e one", "so goood", "héllo there", "Привет всем", "plain text",
    "ok", "", "  ", "a b c", "this!!", "👏👏👏", "x y z w", "cool", "Sən çox cəsursan",
    "l o l", "sooo true", "well said", "մեր պատմությունը", "u.s.e.l.e.s.s",
]) | st.text(max_size=40), max_size=40))
def test_many_at_once_is_each_alone(texts: list[str]) -> None:
    """`comparable_texts` of a batch is exactly `comparable_text` of each text: a row's key
    never depends on which other texts share its batch (the partition-count bug: offsets
    into the joined batch ignored the rows sent one by one, so a spaced-out word after a
    non-ASCII text was missed or blamed on its neighbour)."""
    from pileon.coordinate.text_key import (
        comparable_text,
        comparable_texts,
        strip_addresses,
        strip_addresses_many,
    )

    assert comparable_texts(texts) == [comparable_text(t) for t in texts]
    with_addresses = [f"@u{i} {t} https://t.co/x{i}\nwww.a.b @c@d.e" if i % 3 == 0 else
                      f"{t} @x" if i % 3 == 1 else t for i, t in enumerate(texts)]
    assert strip_addresses_many(with_addresses) == [strip_addresses(t) for t in with_addresses]
    assert comparable_texts(texts, chunk=3) == [comparable_text(t) for t in texts]


_TRICKY = ("aAbcIİıəƏxqyjwşçğöü shchzhkhts ՕոսhՈւուбвгдеёжзийклмнопрстуфхцчшщъыьэюя"
           "ЁӘәҹһјөүғҝաբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆև"
           "0134@$ .,-_*!?'’`´ß æœ\u0301\u0308\u200b\ufe0f🔥👏🏽🤡#\n\t\u00a0ﬁＡ")


@given(st.lists(st.text(alphabet=_TRICKY, max_size=40), max_size=30))
def test_texts_folded_together_fold_as_one_by_one(texts: list[str]) -> None:
    """The batch passes (plain prose, and texts with no spelling trick) give exactly what
    `comparable_text` gives for each text alone, whatever else is in the batch."""
    assert comparable_texts(texts) == [comparable_text(t) for t in texts]


def test_the_batch_pass_takes_ordinary_multilingual_replies() -> None:
    texts = ["Sən çox cəsursan, təşəkkür edirəm!! 🙏", "Хватит врать, все это знают 🤡",
             "շնորհակալություն ձեզ", "Très bien dit, merci ❤️", "Çok doğru #haklısın",
             # Azerbaijani Cyrillic, words of two scripts side by side (a hashtag in another
             # script), and NFKC work without combining marks (Armenian "և", a ligature)
             "Сән чох ҹəсурсан", "tak i est #правда", "Ճշմարտությունը և դու", "ﬁne Ａ"]
    assert all(t is not None for t in _folded_batch(texts))
    assert comparable_texts(texts) == [comparable_text(t) for t in texts]
    # ... and sends spelling tricks to `normalize` one by one
    assert _folded_batch(["g r a n t", "xa1n", "hеllo", "sooooo", "ﬁ\u0301ne"]) == [None] * 5
