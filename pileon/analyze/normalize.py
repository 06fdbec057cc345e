"""Text normalization for matching: one canonical spelling per word, with a map back to the original.

`normalize` folds case, diacritics, homoglyphs, leetspeak, spaced-out letters, repeated letters and
Azerbaijani Cyrillic so that every spelling trick of a word meets the lexicon's spelling; each
normalized character remembers which original characters it came from, so evidence spans point into
the text the user actually received. `script_variants` adds Latin-translit views for ru and hy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "MENTION",
    "ONE_LETTER_WORDS",
    "Normalized",
    "View",
    "armenian_skeleton",
    "normalize",
    "russian_skeleton",
    "script_variants",
]


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalized view of `original`: `text[i]` came from `original[offsets[i]:ends[i]]`.

    `view` names how the text was produced: "base" (normalize), "ru_translit" / "hy_translit"
    (Latin letters read as Russian / Armenian), "az_latin" (Cyrillic read as Azerbaijani).
    `spaced` says that letters written one by one ("g r a n t") were joined into words, whose
    word boundaries are then unknown ("g r a n t e a t e r" reads "granteater").
    """

    text: str
    offsets: tuple[int, ...]
    ends: tuple[int, ...]
    original: str
    view: str = "base"
    spaced: bool = False

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of `original` that produced `text[start:end]`."""
        n = len(self.text)
        start = min(max(start, 0), n)
        end = min(max(end, start), n)
        if start == end:
            pos = self.offsets[start] if start < n else len(self.original)
            return pos, pos
        return self.offsets[start], self.ends[end - 1]


#: A variant view is the same kind of object as the base view.
View = Normalized

# --- character tables (built once at import) -------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")

# Invisible format characters, combining marks left after NFKC, emoji variation selectors,
# skin-tone modifiers and tag characters: removed so they cannot split or disguise a word.
_DROP = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufe00-\ufe0f\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff"
    "\u20d0-\u20ff\ufe20-\ufe2f\U0001f3fb-\U0001f3ff\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
_EXPAND = {"ß": "ss", "æ": "ae", "œ": "oe", "ĳ": "ij", "þ": "th"}
_EXPAND_RE = re.compile("[" + "".join(_EXPAND) + "]")


def _build_fold_table() -> dict[int, str]:
    """One-to-one folds: dotted/dotless i, Latin diacritics, ё, apostrophe look-alikes."""
    table: dict[int, str] = {}
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        decomposed = unicodedata.normalize("NFD", chr(cp))
        base = decomposed[0]
        if len(decomposed) > 1 and base.isascii() and base.isalpha():
            table[cp] = base.lower()
    extra = {
        "ə": "e", "Ə": "e", "ı": "i", "İ": "i", "I": "i", "ø": "o", "Ø": "o", "ł": "l",
        "Ł": "l", "đ": "d", "Đ": "d", "ħ": "h", "ё": "е", "Ё": "е", "ʼ": "'", "’": "'",
        "‘": "'", "`": "'", "´": "'", "ʻ": "'", "′": "'",
    }  # fmt: skip
    table.update({ord(k): v for k, v in extra.items()})
    return table


_FOLD = _build_fold_table()

_LETTER = "[^\\W\\d_]"
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LATIN = re.compile("[a-z]")
_ARMENIAN = re.compile("[\u0531-\u058f]")

# Homoglyphs, lowercase after folding: a letter of one script that looks like a letter of another.
_CYR_TO_LAT = dict(zip("авекмнорстухіјѕԁһӏ", "abekmhopctyxijsdhl", strict=True))
_LAT_TO_CYR = dict(zip("abcehkmoptxyrnu", "авсенкмортхугпи", strict=True))
_ARM_TO_LAT = dict(zip("օոսհցզ", "onuhgq", strict=True))
_LAT_TO_ARM = {v: k for k, v in _ARM_TO_LAT.items()}
_HOMOGLYPHS = {
    ("cyrillic", "latin"): _CYR_TO_LAT,
    ("latin", "cyrillic"): _LAT_TO_CYR,
    ("armenian", "latin"): _ARM_TO_LAT,
    ("latin", "armenian"): _LAT_TO_ARM,
}
# Digits and symbols standing for letters, by the script of the word they sit in.
_LEET = {
    "latin": dict(zip("013457@$", "oieastas", strict=True)),
    "cyrillic": dict(zip("0346@$", "озчбас", strict=True)),
    "armenian": {},
}
_LEET_CHAR = re.compile("[0-9@$]")
_LEET_SET = frozenset("013457@$")
# Vowels, and the leet characters that stand for vowels (counted as vowels whether or not they are
# read, so that a second pass decides the same way).
_VOWELS = frozenset("aeiouyаеиоуыэюяіїєөүәաեէըիոօս0134@")
_WORD_WITH_LEET = re.compile(r"[\w@$]+")
# An @-mention: a handle, not a disguised word (and the commonest digits in a reply).
#: An @handle (not an e-mail address): a name, not a disguised word.
MENTION = re.compile(r"(?<![\w@$])@[\w.]+")

# Azerbaijani Cyrillic (1958-1991 alphabet, still typed by many) to Latin, already folded.
_AZ_CYR_LETTERS = re.compile("[әҹһјөүғҝ]")
_AZ_CYR_1TO1 = dict(
    zip("абвгғдеәжзиыјкҝлмнопрстуүөфхһчҹшйэ", "abvqgdeejziiykglmnoprstuuofxhccsye", strict=True)
)
_AZ_CYR_MULTI = {"ю": "yu", "я": "ya", "ц": "ts", "щ": "sc", "ъ": "", "ь": ""}
_AZ_CYR_TABLE = str.maketrans(_AZ_CYR_1TO1)
_AZ_CYR_MULTI_RE = re.compile("[" + "".join(_AZ_CYR_MULTI) + "]")

# Letters written one by one: "x a i n", "x.a.i.n", "x-a-i-n".
_SPACED = re.compile(rf"(?<!\w){_LETTER}(?:[ .\-_*]{_LETTER}){{2,}}(?!\w)")
# Runs of ordinary one-letter words ("а я в шоке", "il y a à") are left alone when space-separated.
_COMMON_SINGLE = frozenset("aioyeuавиксоуяжбէը")
#: Letters that are words on their own ("a", "и", "y"), so may start a run of spaced letters.
ONE_LETTER_WORDS = _COMMON_SINGLE
_SQUEEZE = re.compile(rf"({_LETTER})\1{{2,}}")
# How many times the word-level steps may run over a text before it is left as it is.
_MAX_ROUNDS = 6


# --- offset bookkeeping ----------------------------------------------------------------------


class _Text:
    """A string under rewriting plus, per character, the original span it came from."""

    __slots__ = ("text", "offs", "ends")

    def __init__(self, text: str) -> None:
        self.text = text
        self.offs: list[int] | None = None  # None while the map is still the identity
        self.ends: list[int] | None = None

    def maps(self) -> tuple[list[int], list[int]]:
        if self.offs is None or self.ends is None:
            n = len(self.text)
            self.offs, self.ends = list(range(n)), list(range(1, n + 1))
        return self.offs, self.ends

    def rewrite(self, edits: Iterable[tuple[int, int, str]]) -> None:
        """Replace sorted, non-overlapping spans [start, end) of the current text.

        A replacement of the same length maps character by character; any other length maps all
        of its characters to the whole replaced span (an empty one deletes the span).
        """
        text = self.text
        offs, ends = self.maps()
        parts: list[str] = []
        new_offs: list[int] = []
        new_ends: list[int] = []
        pos = 0
        for start, end, repl in edits:
            if start > pos:
                parts.append(text[pos:start])
                new_offs += offs[pos:start]
                new_ends += ends[pos:start]
            if repl:
                parts.append(repl)
                if len(repl) == end - start:
                    new_offs += offs[start:end]
                    new_ends += ends[start:end]
                else:
                    new_offs += [offs[start]] * len(repl)
                    new_ends += [ends[end - 1]] * len(repl)
            pos = end
        if pos == 0 and not parts:
            return
        parts.append(text[pos:])
        new_offs += offs[pos:]
        new_ends += ends[pos:]
        self.text, self.offs, self.ends = "".join(parts), new_offs, new_ends

    def freeze(self, original: str, view: str = "base", spaced: bool = False) -> Normalized:
        offs, ends = self.maps()
        return Normalized(self.text, tuple(offs), tuple(ends), original, view, spaced)


# --- the steps -------------------------------------------------------------------------------


def _nfkc(t: _Text) -> None:
    if unicodedata.is_normalized("NFKC", t.text):
        return
    text = t.text
    edits: list[tuple[int, int, str]] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        chunk = text[i:j]
        folded = unicodedata.normalize("NFKC", chunk)
        if folded != chunk:
            edits.append((i, j, folded))
        i = j
    t.rewrite(edits)


def _case_and_diacritics(t: _Text) -> None:
    # İ is the one character whose lower() is two characters; the fold table maps it first.
    t.text = t.text.translate(_FOLD).lower().translate(_FOLD)
    if _DROP.search(t.text):
        t.rewrite((m.start(), m.end(), "") for m in _DROP.finditer(t.text))
    if _EXPAND_RE.search(t.text):
        t.rewrite((m.start(), m.end(), _EXPAND[m.group()]) for m in _EXPAND_RE.finditer(t.text))


def _script_of(ch: str) -> str | None:
    if "a" <= ch <= "z":
        return "latin"
    if "\u0400" <= ch <= "\u04ff":
        return "cyrillic"
    if "\u0531" <= ch <= "\u058f":
        return "armenian"
    return None


_SCRIPT_ORDER = ("latin", "cyrillic", "armenian")
_SCRIPT_NAMES = {"l": "latin", "c": "cyrillic", "a": "armenian"}


class _ScriptCodes(dict[int, "str | None"]):
    """str.translate table: a character of a script -> its code ("l", "c", "a"), any other
    character -> deleted. Filled as characters are met (a word's scripts counted in C)."""

    def __missing__(self, key: int) -> str | None:
        script = _script_of(chr(key))
        value = None if script is None else script[0]
        if len(self) < 100_000:
            self[key] = value
        return value


_SCRIPT_CODES = _ScriptCodes()


def _leet_positions(word: str) -> set[int]:
    """Indices of digits/symbols that stand for letters: inside a word, or a clear start/end."""
    out: set[int] = set()
    if _LEET_CHAR.search(word) is None:
        return out
    n = len(word)
    i = 0
    while i < n:
        if word[i] in "0123456789@$":
            j = i
            while j < n and word[j] in "0123456789@$":
                j += 1
            before = word[i - 1].isalpha() if i > 0 else False
            after = word[j].isalpha() if j < n else False
            # Leet characters count as letters here, so that a second pass decides the same way.
            letters_after = sum(c.isalpha() or c in _LEET_SET for c in word[j:])
            letters_before = sum(c.isalpha() or c in _LEET_SET for c in word[:i])
            if (
                (before and after)
                or (i == 0 and after and letters_after >= 3 and n >= 5)
                or (j == n and before and j - i == 1 and letters_before >= 3)
                # "0ut", "0nly": a lone 0 for o before a short word that has a vowel ("0ms",
                # "0km" and "0db" have none and stay numbers, and "0x1f" is hexadecimal)
                or (i == 0 and j == 1 and word[0] == "0" and after and n >= 3
                    and word[1] != "x" and any(c in _VOWELS for c in word[1:]))
            ):
                out.update(range(i, j))
            i = j
        else:
            i += 1
    return out


def _mixed_words(t: _Text) -> None:
    """Homoglyphs and leetspeak, decided word by word from the word's own majority script."""
    text = t.text
    words = MENTION.sub(" ", text) if "@" in text else text
    has_leet = _LEET_CHAR.search(words) is not None
    scripts = sum(bool(r.search(words)) for r in (_LATIN, _CYRILLIC, _ARMENIAN))
    if not has_leet and scripts < 2:
        return
    found: list[tuple[re.Match[str], dict[str, int]]] = []
    for m in _WORD_WITH_LEET.finditer(text):
        if m.group()[0] == "@":
            continue  # a mention: the handle is a name, not a disguised word
        codes = m.group().translate(_SCRIPT_CODES)  # one letter per char of a script
        if not codes:
            continue
        if codes.count(codes[0]) == len(codes):
            counts = {_SCRIPT_NAMES[codes[0]]: len(codes)}
        else:
            counts = {name: n for code, name in _SCRIPT_NAMES.items()
                      if (n := codes.count(code))}
        found.append((m, counts))
    # The text's script is voted by the words that have a clear majority of their own: a
    # rewrite keeps each such word's majority, so a second pass votes, and decides, the same.
    votes = dict.fromkeys(_SCRIPT_ORDER, 0)
    for _, counts in found:
        top = sorted(counts.values(), reverse=True)
        if len(top) == 1 or top[0] > top[1]:
            votes[max(counts, key=counts.__getitem__)] += 1
    dominant = max(_SCRIPT_ORDER, key=votes.__getitem__)
    edits: list[tuple[int, int, str]] = []
    for m, counts in found:
        word = m.group()
        best = max(counts.values())
        tied = [s for s in _SCRIPT_ORDER if counts.get(s) == best]
        if len(tied) > 1 and dominant not in tied:
            continue  # no script of its own and not the text's: nothing to decide it by
        majority = dominant if dominant in tied else tied[0]
        leet = _leet_positions(word) if has_leet else set()
        if len(counts) == 1 and not leet:
            continue
        chars = list(word)
        for i, ch in enumerate(chars):
            s = _script_of(ch)
            if s and s != majority:
                chars[i] = _HOMOGLYPHS.get((s, majority), {}).get(ch, ch)
            elif i in leet:
                chars[i] = _LEET[majority].get(ch, ch)
        new = "".join(chars)
        if new != word:
            edits.append((m.start(), m.end(), new))
    if edits:
        t.rewrite(edits)


def _az_cyrillic_to_latin(t: _Text) -> None:
    t.text = t.text.translate(_AZ_CYR_TABLE)
    if _AZ_CYR_MULTI_RE.search(t.text):
        t.rewrite(
            (m.start(), m.end(), _AZ_CYR_MULTI[m.group()]) for m in _AZ_CYR_MULTI_RE.finditer(t.text)
        )


def _join_spaced(t: _Text) -> bool:
    """Join letters written one by one; True if any were joined."""
    text = t.text
    edits: list[tuple[int, int, str]] = []
    for m in _SPACED.finditer(text):
        run = m.group()
        letters = run[0::2]
        if all(ch == " " for ch in run[1::2]) and all(ch in _COMMON_SINGLE for ch in letters):
            continue
        edits.extend((m.start() + k, m.start() + k + 1, "") for k in range(1, len(run), 2))
    if edits:
        t.rewrite(edits)
    return bool(edits)


def _squeeze(t: _Text) -> None:
    t.rewrite((m.start(), m.end(), m.group(1)) for m in _SQUEEZE.finditer(t.text))


def normalize(text: str, lang: str | None = None) -> Normalized:
    """Normalize `text` for matching. `lang="az"` also reads plain Cyrillic as Azerbaijani."""
    original = text
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)  # lone surrogates cannot be encoded: replace them
    t = _Text(text)
    if text.isascii():
        t.text = text.lower()
    else:
        _nfkc(t)
        _case_and_diacritics(t)
    if _CYRILLIC.search(t.text) and (lang == "az" or _AZ_CYR_LETTERS.search(t.text)):
        _az_cyrillic_to_latin(t)
    spaced = False
    # Each step can give another one something to do (squeezing "ooo" changes a word's majority
    # script, a read leet digit becomes a letter that counts): repeat until nothing changes, so
    # that normalizing the result again changes nothing.
    for _ in range(_MAX_ROUNDS):
        before = t.text
        _mixed_words(t)
        if _SPACED.search(t.text):
            spaced = _join_spaced(t) or spaced
            _mixed_words(t)  # letters just joined into one word are one word's script now
        if _SQUEEZE.search(t.text):
            _squeeze(t)
        if t.text == before:
            break
    return t.freeze(original, spaced=spaced)


# --- script variants -------------------------------------------------------------------------

# Russian in Latin letters, read into a "skeleton" Cyrillic in which the letters that informal
# transliteration cannot tell apart are merged (ы/й/и, э/е, щ/ш, soft and hard signs dropped).
_RU_SKELETON = str.maketrans({"ы": "и", "й": "и", "э": "е", "щ": "ш", "ь": None, "ъ": None})
_RU_TRANSLIT = {
    "shch": "ш", "sch": "ш", "sh": "ш", "ch": "ч", "zh": "ж", "kh": "х", "ts": "ц", "tz": "ц",
    "ya": "я", "ja": "я", "yu": "ю", "ju": "ю", "yo": "е", "jo": "е", "ye": "е", "je": "е",
    "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "e": "е", "z": "з", "i": "и", "y": "и",
    "j": "и", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р", "s": "с",
    "t": "т", "u": "у", "f": "ф", "h": "х", "x": "х", "c": "ц", "w": "в", "q": "к", "'": "",
}  # fmt: skip

# Armenian in Latin letters, read into a skeleton Armenian that merges what translit merges
# (թ/տ, ք/կ, փ/պ, ռ/ր, է/ե, օ/ո, ծ/ց, ճ/ջ/չ) and drops the often-unwritten ը.
_HY_SKELETON = str.maketrans(
    {"թ": "տ", "ք": "կ", "փ": "պ", "ռ": "ր", "է": "ե", "օ": "ո", "ծ": "ց", "ճ": "չ", "ջ": "չ",
     "ը": None}
)  # fmt: skip
_HY_TRANSLIT = {
    "sh": "շ", "ch": "չ", "zh": "ժ", "kh": "խ", "gh": "ղ", "ts": "ց", "tz": "ց", "dz": "ձ",
    "ou": "ու", "u": "ու", "a": "ա", "b": "բ", "g": "գ", "d": "դ", "e": "ե", "z": "զ",
    "t": "տ", "i": "ի", "l": "լ", "x": "խ", "k": "կ", "q": "կ", "h": "հ", "j": "չ", "m": "մ",
    "y": "յ", "n": "ն", "o": "ո", "p": "պ", "r": "ր", "s": "ս", "v": "վ", "w": "վ", "f": "ֆ",
    "c": "ց", "'": "",
}  # fmt: skip


def _alternation(table: dict[str, str]) -> re.Pattern[str]:
    keys = sorted(table, key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys))


_RU_RE = _alternation(_RU_TRANSLIT)
_HY_RE = re.compile(r"\bvo|\bye|" + _alternation(_HY_TRANSLIT).pattern)
_HY_WORD_START = {"vo": "ո", "ye": "ե"}


def russian_skeleton(text: str) -> str:
    """Merge the Cyrillic letters Latin translit cannot tell apart (for patterns and views)."""
    return text.translate(_RU_SKELETON)


def armenian_skeleton(text: str) -> str:
    """Merge the Armenian letters Latin translit cannot tell apart (for patterns and views)."""
    return text.replace("ու", "\x00").replace("ւ", "վ").replace("\x00", "ու").translate(_HY_SKELETON)


def _translit_view(base: Normalized, pattern: re.Pattern[str], table: dict[str, str],
                   view: str) -> Normalized:
    t = _Text(base.text)
    t.offs, t.ends = list(base.offsets), list(base.ends)
    t.rewrite(
        (m.start(), m.end(), _HY_WORD_START.get(m.group()) or table[m.group()])
        if view == "hy_translit"
        else (m.start(), m.end(), table[m.group()])
        for m in pattern.finditer(base.text)
    )
    return t.freeze(base.original, view, base.spaced)


def _az_latin_view(base: Normalized) -> Normalized:
    t = _Text(base.text)
    t.offs, t.ends = list(base.offsets), list(base.ends)
    _az_cyrillic_to_latin(t)
    return t.freeze(base.original, "az_latin", base.spaced)


def script_variants(norm: Normalized | str, langs: Sequence[str] | str | None = None) -> list[Normalized]:
    """Extra views the lexicons should also be matched on, given the language guess(es).

    Latin text may be Russian or Armenian in translit (views "ru_translit", "hy_translit");
    Cyrillic text without Azerbaijani letters may still be Azerbaijani ("az_latin").
    `langs=None` means the language is unknown: every applicable view is produced.
    """
    base = normalize(norm) if isinstance(norm, str) else norm
    wanted = {langs} if isinstance(langs, str) else set(langs) if langs is not None else None

    def allowed(lang: str) -> bool:
        return wanted is None or lang in wanted or "und" in wanted

    views: list[Normalized] = []
    if _LATIN.search(base.text):
        if allowed("ru"):
            views.append(_translit_view(base, _RU_RE, _RU_TRANSLIT, "ru_translit"))
        if allowed("hy"):
            views.append(_translit_view(base, _HY_RE, _HY_TRANSLIT, "hy_translit"))
    if _CYRILLIC.search(base.text) and (allowed("az") or allowed("tr")):
        views.append(_az_latin_view(base))
    return views
