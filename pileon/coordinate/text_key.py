"""The text two replies are compared on: mentions and URLs removed, then the analyzer's
`normalize` (homoglyphs, leetspeak, spaced letters, Azerbaijani Cyrillic), then every script
folded to one Latin skeleton (Russian and Armenian letters, translit digraphs), emoji and
punctuation dropped, so a copy retyped in Cyrillic or Latin translit still matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from pileon.analyze.normalize import (
    _AZ_CYR_LETTERS,
    _AZ_CYR_MULTI,
    _AZ_CYR_MULTI_RE,
    _AZ_CYR_TABLE,
    _DROP,
    _EXPAND,
    _EXPAND_RE,
    _FOLD,
    _LETTER,
    _SPACED,
    _SQUEEZE,
    normalize,
)

__all__ = ["comparable_text", "comparable_texts", "coordination_text", "strip_addresses",
           "strip_addresses_many"]

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# @user, @user.bsky.social, @user@instance.social; an e-mail's @ is preceded by a word character.
_MENTION = re.compile(r"(?<!\w)@[\w.\-]+(?:@[\w.\-]+)?")
_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
_REPEATS = re.compile(r"(.)\1+")
_SPACES = re.compile(r" {2,}")
_PLAIN = re.compile(r"[A-Za-z ,.?']*")

# Cyrillic (Russian + Azerbaijani) and Armenian letters to Latin, then digraphs to one letter,
# so "привет", "privet" and "prиvet" meet, and so do "çox", "cox" and "чох".
_TO_LATIN: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "ҝ": "g", "д": "d", "е": "e", "ё": "io",
    "ә": "e", "ж": "z", "з": "z", "и": "i", "й": "i", "ј": "i", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ү": "u",
    "ф": "f", "х": "h", "һ": "h", "ц": "c", "ч": "c", "ҹ": "c", "ш": "s", "щ": "s", "ъ": "",
    "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia", "і": "i", "ї": "i", "є": "e", "ў": "u",
    "ա": "a", "բ": "b", "գ": "g", "դ": "d", "ե": "e", "զ": "z", "է": "e", "ը": "i", "թ": "t",
    "ժ": "z", "ի": "i", "լ": "l", "խ": "h", "ծ": "c", "կ": "k", "հ": "h", "ձ": "z", "ղ": "g",
    "ճ": "c", "մ": "m", "յ": "i", "ն": "n", "շ": "s", "ո": "o", "չ": "c", "պ": "p", "ջ": "z",
    "ռ": "r", "ս": "s", "վ": "v", "տ": "t", "ր": "r", "ց": "c", "ւ": "v", "փ": "p", "ք": "k",
    "օ": "o", "ֆ": "f", "և": "ev",
    "ı": "i", "ə": "e", "ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d",
    "x": "h", "q": "g", "y": "i", "j": "z", "w": "v",
}
_TRANSLATE = str.maketrans(_TO_LATIN)
# Applied after the letters above, longest first: Latin translit spellings of one letter.
_DIGRAPHS = (("sch", "s"), ("tch", "c"), ("sh", "s"), ("ch", "c"), ("zh", "z"), ("kh", "h"),
             ("gh", "g"), ("ts", "c"), ("dz", "z"), ("ou", "u"))


def _strip_marks(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _emoji_key(text: str) -> str:
    """Emoji-only replies ("🤡🤡🤡") are compared on their emoji, repeats collapsed."""
    symbols = [c for c in text if unicodedata.category(c) == "So"]
    return _REPEATS.sub(r"\1", "".join(symbols))


def strip_addresses(text: str) -> str:
    """`text` without URLs and @-mentions: cheap, so copies can be collapsed before folding."""
    if "@" not in text and "://" not in text and "www." not in text:
        return text
    return _MENTION.sub(" ", _URL.sub(" ", text))


def strip_addresses_many(texts: Sequence[str]) -> list[str]:
    """`strip_addresses` of every text; the texts that hold an address are stripped in one
    pass over them joined by newlines (neither pattern crosses a newline)."""
    out = list(texts)
    todo = [i for i, t in enumerate(out)
            if ("@" in t or "://" in t or "www." in t) and "\n" not in t]
    for i, t in enumerate(out):
        if "\n" in t:
            out[i] = strip_addresses(t)
    if todo:
        joined = "\n".join(out[i] for i in todo)
        for i, t in zip(todo, _MENTION.sub(" ", _URL.sub(" ", joined)).split("\n"), strict=True):
            out[i] = t
    return out


def _plain_lower(stripped: str) -> str | None:
    """`normalize(stripped).text` for plain ASCII prose (letters, spaces, , . ? '), with no
    spaced-out letters and no letter repeated 3+ times: there it is just lower(); else None."""
    if not _PLAIN.fullmatch(stripped):
        return None
    lowered = stripped.lower()
    if _SPACED.search(lowered) or _SQUEEZE.search(lowered):
        return None
    return lowered


def comparable_text(stripped: str) -> str:
    """The folded core of a text whose addresses are already stripped; "" if nothing is left."""
    if not stripped.strip():
        return ""
    plain = _plain_lower(stripped)
    lowered = plain if plain is not None else normalize(stripped).text
    # Armenian "ու" is one vowel; before the letter table splits it into "ov".
    lowered = lowered.replace("ու", "u")
    folded = _strip_marks(lowered.translate(_TRANSLATE)).translate(_TRANSLATE)
    folded = _NOT_WORD.sub(" ", folded)
    for digraph, letter in _DIGRAPHS:
        folded = folded.replace(digraph, letter)
    folded = _SPACES.sub(" ", _REPEATS.sub(r"\1", folded)).strip()
    if folded:
        return folded
    return _emoji_key(unicodedata.normalize("NFKC", stripped))


_PLAIN_CODES = np.zeros(129, dtype=bool)  # code point (capped at 128) -> plain prose?
for _c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,.?'":
    _PLAIN_CODES[ord(_c)] = True
_PLAIN_FOLD = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZ,.?'",
    b"abcdefghijklmnopqrstuvwxyz    ").translate(
    bytes.maketrans(b"xqyjw", b"hgizv"))
_REPEATS_IN_LINE = re.compile(rb"([^\n])\1+")
# `normalize`'s spaced-letter and squeeze patterns, for lowered plain prose only (letters a-z,
# space and , . ? '), where a letter is [a-z] and a word character is too: bytes, and no
# Unicode classes, so a million texts are scanned in a second, not twenty.
_SPACED_PLAIN = re.compile(rb"(?<![a-z])[a-z](?:[ .][a-z]){2,}(?![a-z])")
_SQUEEZE_PLAIN = re.compile(rb"([a-z])\1{2,}")
_SPACES_BYTES = re.compile(rb" {2,}")


def comparable_texts(stripped: list[str], chunk: int = 100_000) -> list[str]:
    """`comparable_text` of many address-stripped texts at once: plain ASCII prose is folded
    in a few passes over all of it joined (C speed), the rest one by one."""
    if len(stripped) > chunk:
        return [t for lo in range(0, len(stripped), chunk)
                for t in _comparable_texts(stripped[lo:lo + chunk])]
    return _comparable_texts(stripped)


def _comparable_texts(stripped: list[str]) -> list[str]:
    if not stripped:
        return []
    lengths = np.fromiter((len(t) for t in stripped), dtype=np.int64, count=len(stripped))
    codes = np.frombuffer("".join(stripped).encode("utf-32-le", "surrogatepass"),
                          dtype=np.uint32)
    owner = np.repeat(np.arange(len(stripped)), lengths)
    bad = np.zeros(len(stripped), dtype=bool)
    bad[owner[~_PLAIN_CODES[np.minimum(codes, 128)]]] = True
    plain = ["" if b else t for t, b in zip(stripped, bad.tolist(), strict=True)]
    joined = "\n".join(plain).lower()
    # Offsets in `joined`, where a row already sent one by one is an empty line: a regex hit
    # is owned by the row it falls in, whatever else shares the batch.
    starts = np.concatenate(([0], np.cumsum(np.where(bad, 0, lengths) + 1)[:-1]))
    encoded = joined.encode("ascii")
    for pattern in (_SPACED_PLAIN, _SQUEEZE_PLAIN):
        hits = np.fromiter((m.start() for m in pattern.finditer(encoded)), dtype=np.int64)
        if len(hits):
            bad[np.searchsorted(starts, hits, side="right") - 1] = True
    folded = encoded.translate(_PLAIN_FOLD)
    for digraph, letter in _DIGRAPHS:
        folded = folded.replace(digraph.encode(), letter.encode())
    folded = _SPACES_BYTES.sub(b" ", _REPEATS_IN_LINE.sub(rb"\1", folded))
    out = [t.strip() for t in folded.decode("ascii").split("\n")]
    rest = np.flatnonzero(bad)
    if len(rest):
        for i, text in zip(rest.tolist(), _folded_batch([stripped[i] for i in rest.tolist()]),
                           strict=True):
            out[i] = comparable_text(stripped[i]) if text is None else text
    return out


# --- every other text without spelling tricks, in a few passes over all of them joined ------

_SEPARATOR_CODES = frozenset(map(ord, " .-_*"))
_LETTER_RE = re.compile(_LETTER)
_WORD_RE = re.compile(r"\w")


_BMP = 0x10000


@lru_cache(maxsize=1)
def _tables() -> dict[str, np.ndarray]:
    """Per BMP code point: the fold and Latin tables as 1:1 code maps (identity elsewhere),
    and whether it is a letter, a word character or a combining mark."""
    identity = np.arange(_BMP, dtype=np.uint32)
    chars = [chr(c) for c in range(_BMP)]
    out = {"letter": np.fromiter((_LETTER_RE.fullmatch(c) is not None for c in chars), bool, _BMP),
           "word": np.fromiter((_WORD_RE.fullmatch(c) is not None for c in chars), bool, _BMP),
           "combining": np.fromiter((unicodedata.combining(c) > 0 for c in chars), bool, _BMP)}
    for name, table in (("fold", _FOLD), ("latin", _TRANSLATE)):
        mapped = identity.copy()
        for key, value in table.items():
            if isinstance(value, str) and len(value) == 1:
                mapped[key] = ord(value)
        out[name] = mapped
    return out


_LATIN_MULTI = {chr(k): v for k, v in _TRANSLATE.items() if not (isinstance(v, str)
                                                                  and len(v) == 1)}
assert all(len(v) == 1 for v in _FOLD.values())  # the fold table is 1:1: a code map


def _flags(codes: np.ndarray, name: str, test: re.Pattern[str] | None) -> np.ndarray:
    """Per code point: its flag in `_tables()[name]`; above the BMP decided one by one."""
    low = codes < _BMP
    flags = np.zeros(len(codes), dtype=bool)
    flags[low] = _tables()[name][codes[low]]
    high = np.flatnonzero(~low)
    if len(high):
        values, where = np.unique(codes[high], return_inverse=True)
        known = np.fromiter(
            ((test.fullmatch(chr(int(v))) is not None) if test is not None
             else unicodedata.combining(chr(int(v))) > 0 for v in values.tolist()),
            dtype=bool, count=len(values))
        flags[high] = known[where.reshape(-1)]
    return flags


def _mapped(text: str, name: str, multi: dict[str, str] | None = None) -> str:
    """`text.translate(table)` for a 1:1 code table (plus `multi`: keys to several or no
    characters, replaced first), as one numpy lookup over the code points."""
    for key, value in (multi or {}).items():
        if key in text:
            text = text.replace(key, value)
    codes = _codes(text).copy()
    low = codes < _BMP
    codes[low] = _tables()[name][codes[low]]
    return codes.tobytes().decode("utf-32-le", "surrogatepass")


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _line_of(codes: np.ndarray) -> np.ndarray:
    """For each code point of texts joined by newlines, the number of its text."""
    newline = codes == 10
    return np.cumsum(newline) - newline


@lru_cache(maxsize=1 << 16)
def _nfkc_char(c: str) -> str:
    return unicodedata.normalize("NFKC", c)


def _nfkc_alone(text: str) -> str | None:
    """normalize's NFKC step for a text without combining marks (there it is the NFKC of each
    character alone); None when NFKC has work to do and a combining mark is present."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    if any(unicodedata.combining(c) for c in text):
        return None
    return "".join(map(_nfkc_char, text))


def _az_lines(joined: str) -> str:
    """normalize's Azerbaijani Cyrillic reading, line by line, for the lines that hold one of
    its own letters (lowered text: then every such line has Cyrillic)."""
    if not _AZ_CYR_LETTERS.search(joined):
        return joined
    lines = joined.split("\n")
    for i, text in enumerate(lines):
        if _AZ_CYR_LETTERS.search(text):
            text = text.translate(_AZ_CYR_TABLE)
            lines[i] = _AZ_CYR_MULTI_RE.sub(lambda m: _AZ_CYR_MULTI[m.group()], text)
    return "\n".join(lines)


def _folded_batch(texts: list[str]) -> list[str | None]:
    """`comparable_text` of many address-stripped texts at once, for every text that has no
    spelling trick for `normalize` to undo: no digits, @ or $ (leetspeak), no word with
    letters of two scripts (no homoglyphs), no letters spaced out or repeated three times,
    no combining mark where NFKC has work to do, and one line. For those, `normalize` is NFKC
    (character by character), case and diacritic folding and, for Azerbaijani Cyrillic, its
    letter table, and the same string operations can run over all of them joined, at C speed.
    None = the text has a trick (or nothing left but emoji): fold it one by one."""
    n = len(texts)
    bad = np.fromiter(("\n" in t for t in texts), dtype=bool, count=n)
    composed = [None if b else _nfkc_alone(t) for t, b in zip(texts, bad.tolist(), strict=True)]
    bad |= np.fromiter((t is None for t in composed), dtype=bool, count=n)
    joined = "\n".join(t or "" for t in composed)
    codes = _codes(joined)
    line = _line_of(codes)
    tricky = ((codes >= 48) & (codes <= 57)) | (codes == 64) | (codes == 36) \
        | ((codes >= 0xD800) & (codes <= 0xDFFF))
    bad[line[tricky]] = True
    # normalize's case and diacritic folding (the same calls, over all texts at once)
    lowered = _mapped(_mapped(joined, "fold").lower(), "fold")
    lowered = _DROP.sub("", lowered)
    lowered = _EXPAND_RE.sub(lambda m: _EXPAND[m.group()], lowered)
    lowered = _az_lines(lowered)
    codes = _codes(lowered)
    line = _line_of(codes)
    latin = (codes >= 97) & (codes <= 122)
    cyrillic = (codes >= 0x400) & (codes <= 0x4FF)
    armenian = (codes >= 0x531) & (codes <= 0x58F)
    word = _flags(codes, "word", _WORD_RE)
    # A word (a run of word characters) with letters of two scripts: homoglyphs, which
    # normalize rewrites. Words of one script each are left as they are, whatever the mix.
    script = np.where(latin, 1, np.where(cyrillic, 2, np.where(armenian, 3, 0)))
    script[~word] = 0
    word_no = np.cumsum(np.concatenate(([True], ~word[:-1])) & word) if len(codes) else codes
    at = np.flatnonzero(script)
    mixed = (word_no[at][1:] == word_no[at][:-1]) & (script[at][1:] != script[at][:-1])
    bad[line[at[1:][mixed]]] = True
    letter = _flags(codes, "letter", _LETTER_RE)
    sep = np.isin(codes, np.array(sorted(_SEPARATOR_CODES), dtype=np.uint32))
    m = len(codes)
    if m >= 3:  # a letter repeated three times or more (normalize squeezes it)
        same = letter[:-2] & (codes[:-2] == codes[1:-1]) & (codes[1:-1] == codes[2:])
        bad[line[:-2][same]] = True
    if m >= 5:  # the start of letters written one by one ("x a i n", "x.a.i.n")
        start = letter[:-4] & sep[1:-3] & letter[2:-2] & sep[3:-1] & letter[4:]
        start &= np.concatenate(([True], ~word[:-5])) if m > 5 else np.array([True])
        bad[line[:-4][start]] = True
    # comparable_text's own folding, over the same joined texts
    folded = _mapped(lowered.replace("ու", "u"), "latin", _LATIN_MULTI)
    if not folded.isascii():
        decomposed = _codes(unicodedata.normalize("NFD", folded))
        folded = decomposed[~_flags(decomposed, "combining", None)].tobytes().decode(
            "utf-32-le", "surrogatepass")
    codes = _codes(_mapped(folded, "latin", _LATIN_MULTI)).copy()
    kept = ((codes >= 97) & (codes <= 122)) | ((codes >= 48) & (codes <= 57)) | (codes == 10)
    codes[~kept] = 32  # every other character is a space (a run of them: see below)
    folded = codes.tobytes().decode("utf-32-le")
    for digraph, letter_ in _DIGRAPHS:
        folded = folded.replace(digraph, letter_)
    codes = _codes(folded)
    # a run of one character is one character (spaces too), but no newline is ever dropped
    first = np.concatenate(([True], codes[1:] != codes[:-1])) | (codes == 10)
    folded = codes[first].tobytes().decode("utf-32-le")
    out: list[str | None] = [t.strip() for t in folded.split("\n")]
    for i in np.flatnonzero(bad).tolist():
        out[i] = None
    return [t or None for t in out]


@lru_cache(maxsize=4096)
def coordination_text(text: str) -> str:
    """The comparable core of `text`; "" when nothing comparable is left (empty, only a link)."""
    return comparable_text(strip_addresses(text or ""))
