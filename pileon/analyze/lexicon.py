"""Lexicons: the team's per-language TSV files, parsed, normalized and compiled for fast matching.

Patterns go through the same `normalize` as the text, are cut into tokens (`*` stems, `~` gaps of
0-3 words) and compiled into one Aho-Corasick automaton per lexicon and view; `match` returns hits
with spans in the ORIGINAL text, so the evidence a user sees is exactly what they received.

Two disguises are undone here rather than in `normalize`, because they need the lexicon's words:
a masked word ("f*ck", "уб*ю": each `*` between letters stands for one letter) is read as each
lexicon word it can be, and letters written one by one across words ("g r a n t e a t e r") are
matched against the patterns written without their spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import ahocorasick

from pileon.analyze.lexicon_cache import cached, gc_paused, lexicon_key
from pileon.analyze.normalize import (
    ONE_LETTER_WORDS,
    Normalized,
    armenian_skeleton,
    normalize,
    russian_skeleton,
    script_variants,
)
from pileon.errors import ConfigError, InputFileError
from pileon.records import LABELS

__all__ = [
    "CUE_KINDS",
    "LEXICON_LANGUAGES",
    "Entry",
    "Hit",
    "Lexicon",
    "default_lexicons",
    "load_lexicons",
    "match_all",
    "tokenize",
]

LEXICON_LANGUAGES: tuple[str, ...] = ("az", "tr", "ru", "en", "hy", "fr")
CUE_KINDS: frozenset[str] = frozenset(
    {"cue_negation", "cue_counter", "cue_reported", "cue_second_person", "cue_family",
     "cue_endorse", "cue_not_negation", "cue_hostile", "cue_violence", "cue_intent",
     "cue_they"}
)
_CATEGORIES = frozenset(label for label in LABELS if label != "neutral") | CUE_KINDS
_HEADER = ("category", "severity", "pattern")
#: Severity from which a lexicon entry is matched whatever the detected language.
HIGH_SEVERITY = 3
#: How many words a `~` may skip.
MAX_GAP = 3
# Languages close enough that a text guessed as one is matched with the other's full lexicon.
_SIBLINGS = {"az": ("tr",), "tr": ("az",)}

# A token is a word, or one emoji/symbol (so "😂 😂" and "😂😂" are both two tokens).
_TOKEN = re.compile(r"\w+|[\u2190-\u2bff\u3297\u3299\U0001f000-\U0001faff]")
_SEP = "\x1f"
_NATIVE_SCRIPT = {"ru": re.compile("[\u0400-\u04ff]"), "hy": re.compile("[\u0531-\u058f]")}
# A word with `*` in it; `_masked_word` decides whether the stars are a mask.
_STARRED = re.compile(r"(?<![\w*])[\w*]*\w\*[\w*]*(?![\w*])")
_STAR_RUN = re.compile(r"\*+")
# "@mk", "@ss": a handle too short to be one, which may be a word with @ for its first "a".
_SHORT_HANDLE = re.compile(r"(?<![\w@$*])@([^\W\d_]{2,3})(?![\w@$.*])")
_AT_LETTER = {"latin": "a", "cyrillic": "а"}
# Signs of arithmetic, in which "x*y" is a product rather than a masked three-letter word.
_FORMULA = re.compile(r"[=+^<>]|\d\s*\*|\*\s*\d")
#: How many stars in a row a masked word may have (each is one letter).
MAX_MASK = 3
#: How many readings of a masked word are tried (best first).
MAX_READINGS = 3
# Letters that masks usually hide: a reading that fills the stars with these is tried first.
_MASKED_LETTERS = frozenset("aeiouyаеиоуыэюяьъіїєөүәաեէըիոօ")
_SPACED_SEPARATORS = frozenset(" .-_*")


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a lexicon file."""

    category: str
    severity: int
    pattern: str
    note: str
    lang: str
    line: int


@dataclass(frozen=True, slots=True)
class Hit:
    """A lexicon entry found in a text; `start:end` and `matched` refer to the original text."""

    category: str
    severity: int
    pattern: str
    start: int
    end: int
    matched: str
    lang: str


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A pattern as segments of adjacent tokens; `gaps[i]` is how many words may sit between
    segment i and i+1 (0 for a stem in the middle of a phrase, MAX_GAP for `~`)."""

    entry: Entry
    segments: tuple[int, ...]  # segment ids
    lengths: tuple[int, ...]  # tokens per segment
    gaps: tuple[int, ...]


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Words and emoji of a normalized text, with their spans in that text."""
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _pattern_tokens(raw: str, fold: str) -> list[tuple[str, bool] | None]:
    """(token, is_stem) per pattern word, None for a `~` gap; `fold` is "ru"/"hy" skeleton or ""."""
    out: list[tuple[str, bool] | None] = []
    for word in raw.split():
        if word == "~":
            out.append(None)
            continue
        stem = word.endswith("*")
        pieces = _word_pieces(word.rstrip("*"), fold)
        out += [(piece, stem and i == len(pieces) - 1) for i, piece in enumerate(pieces)]
        if not pieces and not stem:
            return []
    return out


@lru_cache(maxsize=1 << 18)
def _word_pieces(word: str, fold: str) -> tuple[str, ...]:
    """The tokens one pattern word normalizes to. `normalize` is a pure function and the group
    templates repeat the same words over thousands of patterns, so each word is read once."""
    text = normalize(word).text
    if fold == "ru":
        text = russian_skeleton(text)
    elif fold == "hy":
        text = armenian_skeleton(text)
    return tuple(tok for tok, _, _ in tokenize(text))


class _Prepared:
    """A view cut into tokens once, joined for the automata of every lexicon."""

    __slots__ = ("view", "tokens", "joined", "token_at")

    def __init__(self, view: Normalized) -> None:
        self.view = view
        self.tokens = tokenize(view.text)
        self.joined = _SEP + _SEP.join(tok for tok, _, _ in self.tokens) + _SEP
        self.token_at: dict[int, int] = {}
        pos = 1
        for i, (tok, _, _) in enumerate(self.tokens):
            self.token_at[pos] = i
            pos += len(tok) + 1


class _Automaton:
    """All patterns of one lexicon for one kind of view, in one Aho-Corasick automaton."""

    def __init__(self, entries: Iterable[Entry], fold: str) -> None:
        self._automaton = ahocorasick.Automaton()
        self._segment_ids: dict[str, int] = {}
        self.patterns: list[_Compiled] = []
        self.by_first_segment: dict[int, list[_Compiled]] = {}
        # Pattern words by first letter, for reading masked words: (word, is_stem, severity).
        vocab: dict[tuple[str, bool], int] = {}
        # Patterns without `~`, their words written together: (letters, is_stem) -> patterns.
        self._squashed: dict[tuple[str, bool], list[_Compiled]] = {}
        for entry in entries:
            if fold and not _NATIVE_SCRIPT[fold].search(entry.pattern):
                continue  # a Latin pattern: it is matched on the base view already
            tokens = _pattern_tokens(entry.pattern, fold)
            compiled = self._compile(entry, tokens)
            if compiled:
                self.patterns.append(compiled)
                self.by_first_segment.setdefault(compiled.segments[0], []).append(compiled)
                words = [t for t in tokens if t is not None]
                for word, stem in words:
                    if len(word) >= 3 and word.isalpha():
                        vocab[word, stem] = max(vocab.get((word, stem), 0), entry.severity)
                squashed = "".join(word for word, _ in words)
                if len(words) == len(tokens) and len(squashed) >= 3 and squashed.isalpha():
                    self._squashed.setdefault((squashed, words[-1][1]), []).append(compiled)
        self._vocab: dict[str, list[tuple[str, bool, int]]] = {}
        for (word, stem), severity in sorted(vocab.items()):
            self._vocab.setdefault(word[0], []).append((word, stem, severity))
        if self._segment_ids:
            self._automaton.make_automaton()

    def _compile(self, entry: Entry, tokens: list[tuple[str, bool] | None]) -> _Compiled | None:
        segments: list[int] = []
        lengths: list[int] = []
        gaps: list[int] = []
        current: list[str] = []
        pending_gap = 0

        def close(stem: bool) -> None:
            nonlocal current, pending_gap
            if not current:
                return
            key = _SEP + _SEP.join(current) + ("" if stem else _SEP)
            seg = self._segment_ids.get(key)
            if seg is None:
                seg = self._segment_ids[key] = len(self._segment_ids)
                self._automaton.add_word(key, (seg, len(key)))
            if segments:
                gaps.append(pending_gap)
            segments.append(seg)
            lengths.append(len(current))
            current, pending_gap = [], 0

        for token in tokens:
            if token is None:
                close(False)
                pending_gap = MAX_GAP
                continue
            word, stem = token
            current.append(word)
            if stem:
                close(True)
        close(False)
        if not segments:
            return None
        return _Compiled(entry, tuple(segments), tuple(lengths), tuple(gaps))

    def find(self, prepared: _Prepared, min_severity: int | Mapping[str, int] = 0) -> list[Hit]:
        """Hits in a prepared view; `min_severity` may be one floor or a floor per language
        (entries of a language missing from the mapping are left out). Masked words and
        letters spaced across words are matched too."""
        hits = self._find(prepared, min_severity)
        view = prepared.view
        extra = False
        if ("*" in view.text or "@" in view.text) and self._vocab:
            for unmasked in self._unmasked_views(view):
                hits += self._find(_Prepared(unmasked), min_severity)
                extra = True
        if view.spaced and self._squashed:
            hits += self._find_spaced(prepared, min_severity)
            extra = True
        if not extra:
            return hits
        unique: dict[tuple[str, str, int, int], Hit] = {}
        for hit in hits:
            unique.setdefault((hit.category, hit.pattern, hit.start, hit.end), hit)
        return list(unique.values())

    def _unmasked_views(self, view: Normalized) -> list[Normalized]:
        """The view with its masked words read as lexicon words: one view per reading (the best
        reading of every word first). Each `*` is one letter, so spans stay character for
        character and the evidence is the masked word itself. A two- or three-letter "handle"
        is read with @ as "a" only when that makes a lexicon word ("@mk" is "amk")."""
        readings: list[tuple[int, list[str]]] = []
        formula = _FORMULA.search(view.text) is not None
        if "*" in view.text:
            for m in _STARRED.finditer(view.text):
                word = m.group()
                if _masked_word(word, formula):
                    found = self._readings(word)
                    if found:
                        readings.append((m.start(), found))
        if "@" in view.text:
            for m in _SHORT_HANDLE.finditer(view.text):
                rest = m.group(1)
                a = _AT_LETTER["cyrillic" if "\u0400" <= rest[0] <= "\u04ff" else "latin"]
                if any(w == a + rest and not stem for w, stem, _ in self._vocab.get(a, ())):
                    readings.append((m.start(), [a + rest]))
        readings.sort()
        views = []
        for k in range(max((len(found) for _, found in readings), default=0)):
            chars = list(view.text)
            for start, found in readings:
                reading = found[min(k, len(found) - 1)]
                chars[start : start + len(reading)] = reading
            views.append(Normalized("".join(chars), view.offsets, view.ends, view.original,
                                    view.view, view.spaced))
        return views

    def _readings(self, word: str) -> list[str]:
        """Lexicon words (or stems plus the rest of `word`) that `word` with its stars can be."""
        scored: list[tuple[tuple[bool, int, int], str]] = []
        for candidate, stem, severity in self._vocab.get(word[0], ()):
            n = len(candidate)
            if (len(word) < n or "*" in word[n:]) if stem else len(word) != n:
                continue
            hidden = [c for w, c in zip(word, candidate, strict=False) if w == "*"]
            if not hidden or not all(c.isalpha() for c in hidden):
                continue
            if any(w != c for w, c in zip(word, candidate, strict=False) if w != "*"):
                continue
            usual = all(c in _MASKED_LETTERS for c in hidden)
            scored.append(((not usual, -severity, -n), candidate + word[n:]))
        out: list[str] = []
        for _, reading in sorted(scored):
            if reading not in out:
                out.append(reading)
        return out[:MAX_READINGS]

    def _find_spaced(self, prepared: _Prepared, min_severity: int | Mapping[str, int]) -> list[Hit]:
        """Patterns found in words joined from spaced letters, where the spaces between the
        pattern's words are lost ("g r a n t e a t e r"); a one-letter word such as "a" may
        start the run ("a g r a n t ...")."""
        view = prepared.view
        hits: list[Hit] = []
        for tok, s, e in prepared.tokens:
            if len(tok) < 3 or not tok.isalpha():
                continue
            o_start, o_end = view.offsets[s], view.ends[e - 1]
            if o_end - o_start < 2 * len(tok) - 1 or not any(
                c in _SPACED_SEPARATORS for c in view.original[o_start:o_end]
            ):
                continue
            skips = (0, 1) if tok[0] in ONE_LETTER_WORDS and len(tok) > 3 else (0,)
            for skip in skips:
                rest = tok[skip:]
                keys = [(rest, False)] + [(rest[:k], True) for k in range(3, len(rest) + 1)]
                for key in keys:
                    for compiled in self._squashed.get(key, ()):
                        if skip == 0 and compiled.lengths == (1,):
                            continue  # one word: the automaton finds it in the token already
                        entry = compiled.entry
                        if entry.severity < _floor(entry, min_severity):
                            continue
                        start, end = view.original_span(s + skip, e)
                        hits.append(Hit(entry.category, entry.severity, entry.pattern, start,
                                        end, view.original[start:end], entry.lang))
        return hits

    def _find(self, prepared: _Prepared, min_severity: int | Mapping[str, int] = 0) -> list[Hit]:
        if not self._segment_ids or not prepared.tokens:
            return []
        floors = min_severity if isinstance(min_severity, Mapping) else None
        view, tokens, token_at = prepared.view, prepared.tokens, prepared.token_at
        found: dict[int, list[int]] = {}
        for end, (seg, length) in self._automaton.iter(prepared.joined):
            found.setdefault(seg, []).append(token_at[end - length + 2])
        hits: list[Hit] = []
        for seg, starts in found.items():
            for compiled in self.by_first_segment.get(seg, ()):
                entry = compiled.entry
                floor = floors.get(entry.lang, 99) if floors is not None else min_severity
                if entry.severity < floor:  # type: ignore[operator]
                    continue
                for first in starts:
                    last = _chain(compiled, first, found)
                    if last is not None:
                        hits.append(_hit(view, tokens, first, last, compiled.entry))
        return hits


def _floor(entry: Entry, min_severity: int | Mapping[str, int]) -> int:
    if isinstance(min_severity, Mapping):
        return min_severity.get(entry.lang, 99)
    return min_severity


def _masked_word(word: str, formula: bool = False) -> bool:
    """Whether the stars of `word` mask letters ("f*ck", "f**king", "уб*ю"), rather than being
    punctuation ("*sigh*", "4*"), arithmetic ("5*3", and "x*y" in a text with a formula) or a
    long censor bar ("f*****")."""
    if word[0] == "*" or word[-1] == "*" or "_" in word:
        return False
    for m in _STAR_RUN.finditer(word):
        if m.end() - m.start() > MAX_MASK:
            return False
        if not (word[m.start() - 1].isalpha() and word[m.end()].isalpha()):
            return False
    letters = sum(c.isalpha() for c in word)
    return (letters >= 3 or (letters == 2 and not formula)) and word.count("*") <= letters


def _chain(compiled: _Compiled, first: int, found: Mapping[int, list[int]]) -> int | None:
    """Index of the last token if the pattern's segments follow each other from `first`."""
    nxt = first + compiled.lengths[0]
    for k in range(1, len(compiled.segments)):
        starts = found.get(compiled.segments[k])
        if not starts:
            return None
        allowed = compiled.gaps[k - 1]
        candidates = [s for s in starts if nxt <= s <= nxt + allowed]
        if not candidates:
            return None
        nxt = min(candidates) + compiled.lengths[k]
    return nxt - 1


def _hit(view: Normalized, tokens: Sequence[tuple[str, int, int]], first: int, last: int,
         entry: Entry) -> Hit:
    start, end = view.original_span(tokens[first][1], tokens[last][2])
    return Hit(entry.category, entry.severity, entry.pattern, start, end,
               view.original[start:end], entry.lang)


class Lexicon:
    """One language's lexicon, compiled for the base view and its translit view."""

    def __init__(self, lang: str, entries: Sequence[Entry], path: str = "") -> None:
        self.lang = lang
        self.path = path
        self.entries = tuple(entries)
        # Built on first `match`: `match_all` reads a set of lexicons through one combined
        # automaton, so the per-language ones are only paid for by who asks for them.
        self._automata: tuple[_Automaton, _Automaton | None] | None = None

    def _built(self) -> tuple[_Automaton, _Automaton | None]:
        if self._automata is None:
            fold = {"ru": "ru", "hy": "hy"}.get(self.lang, "")
            self._automata = (_Automaton(self.entries, ""),
                              _Automaton(self.entries, fold) if fold else None)
        return self._automata

    def __repr__(self) -> str:
        return f"Lexicon({self.lang!r}, {len(self.entries)} entries)"

    @classmethod
    def load(cls, lang_or_path: str | Path) -> Lexicon:
        """Load a bundled lexicon by language code ("az") or any lexicon file by path."""
        if isinstance(lang_or_path, str) and lang_or_path in LEXICON_LANGUAGES:
            resource = resources.files("pileon.analyze").joinpath(
                f"data/lexicons/{lang_or_path}.tsv"
            )
            lexicon = cls.parse(resource.read_text("utf-8"), lang_or_path, str(resource))
            extra = group_entries(lang_or_path)
            return cls(lang_or_path, (*lexicon.entries, *extra), str(resource)) if extra else lexicon
        path = Path(lang_or_path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputFileError(f"cannot read lexicon: {exc}", path=str(path),
                                 hint="give a UTF-8 TSV file (see LEXICON_FORMAT)") from exc
        return cls.parse(text, path.stem, str(path))

    @classmethod
    def parse(cls, text: str, lang: str, path: str = "<lexicon>") -> Lexicon:
        """Parse lexicon TSV text; a malformed line raises ConfigError naming file and line."""
        entries: list[Entry] = []
        header_seen = False
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if not header_seen:
                header_seen = True
                if tuple(f.strip() for f in fields[:3]) == _HEADER:
                    continue
                raise ConfigError("the first line must be the header category/severity/pattern/note",
                                  path=path, record=f"line {number}")
            entries.append(_parse_line(fields, lang, path, number))
        return cls(lang, entries, path)

    def match(self, view: Normalized | _Prepared, min_severity: int = 0) -> list[Hit]:
        """Hits of this lexicon in one view (base, or the translit view of ru/hy)."""
        prepared = view if isinstance(view, _Prepared) else _Prepared(view)
        base, translit = self._built()
        if prepared.view.view in ("ru_translit", "hy_translit"):
            return translit.find(prepared, min_severity) if translit else []
        return base.find(prepared, min_severity)


def _parse_line(fields: list[str], lang: str, path: str, number: int) -> Entry:
    where = {"path": path, "record": f"line {number}"}
    if len(fields) < 3:
        raise ConfigError("expected category<TAB>severity<TAB>pattern<TAB>note", **where)
    category, severity_text, pattern = (f.strip() for f in fields[:3])
    note = fields[3].strip() if len(fields) > 3 else ""
    if category not in _CATEGORIES:
        raise ConfigError(f"unknown category {category!r}", **where,
                          hint="use a label of DESIGN.md or a cue_* kind")
    if not severity_text.isdigit() or not 0 <= int(severity_text) <= 3:
        raise ConfigError(f"severity must be 0, 1, 2 or 3, not {severity_text!r}", **where)
    words = pattern.split()
    if not words or words[0] == "~" or words[-1] == "~" or "~ ~" in " ".join(words):
        raise ConfigError(f"pattern {pattern!r} is empty or has a misplaced ~", **where)
    entry = Entry(category, int(severity_text), pattern, note, lang, number)
    if not _pattern_tokens(pattern, ""):
        raise ConfigError(f"pattern {pattern!r} has nothing left to match after normalization",
                          **where)
    return entry


def expand_group_templates(templates: str, groups: str, lang: str,
                           path: str = "<groups>") -> list[Entry]:
    """Entries of a group-template file (`{G}`: every group term, `{D}`: nothing or one of the
    `@determiners` line's alternatives) over a list of group terms (one a line)."""
    terms = [line.strip() for line in groups.splitlines()
             if line.strip() and not line.startswith("#")]
    determiners = [""]
    entries: list[Entry] = []
    header_seen = False
    for number, line in enumerate(templates.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if fields[0] == "@determiners":
            determiners = ["", *(d.strip() for d in fields[1].split("|") if d.strip())]
            continue
        if not header_seen:
            header_seen = True
            if tuple(f.strip() for f in fields[:3]) == _HEADER:
                continue
        if len(fields) < 3 or "{G}" not in fields[2]:
            raise ConfigError("a group template needs category, severity and a {G} pattern",
                              path=path, record=f"line {number}")
        seen: set[str] = set()
        for term in terms:
            for det in determiners if "{D}" in fields[2] else [""]:
                pattern = " ".join(fields[2].replace("{D}", det).replace("{G}", term).split())
                if pattern in seen:
                    continue
                seen.add(pattern)
                entries.append(_parse_line([fields[0], fields[1], pattern, *fields[3:4]],
                                           lang, path, number))
    return entries


@cache
def group_entries(lang: str) -> tuple[Entry, ...]:
    """The bundled group-directed templates of a language (data/lexicons/groups/), expanded."""
    folder = resources.files("pileon.analyze").joinpath("data/lexicons/groups")
    templates, groups = folder.joinpath(f"{lang}.tsv"), folder.joinpath(f"{lang}.groups")
    if not (templates.is_file() and groups.is_file()):
        return ()
    return tuple(expand_group_templates(templates.read_text("utf-8"), groups.read_text("utf-8"),
                                        lang, str(templates)))


def load_lexicons(directory: str | Path | None = None) -> dict[str, Lexicon]:
    """Every `<lang>.tsv` in `directory` (default: the bundled lexicons), keyed by language."""
    if directory is None:
        return dict(default_lexicons())
    folder = Path(directory)
    if not folder.is_dir():
        raise InputFileError("lexicon folder not found", path=str(folder))
    return {p.stem: Lexicon.load(p) for p in sorted(folder.glob("*.tsv"))}


@cache
def default_lexicons() -> Mapping[str, Lexicon]:
    """The bundled lexicons, loaded once per process: from the disk cache of built lexicons
    (lexicon_cache.py) when it holds this version of the files and code, else built (and
    stored there) along with the combined automata `match_all` reads them through."""
    folder = resources.files("pileon.analyze").joinpath("data/lexicons")

    def build() -> tuple[dict[str, Lexicon], _Combined]:
        lexicons = {
            lang: Lexicon.load(lang)
            for lang in LEXICON_LANGUAGES
            if folder.joinpath(f"{lang}.tsv").is_file()
        }
        return lexicons, _build_combined(lexicons)

    def valid(value: Any) -> bool:
        return (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], _Combined)
                and isinstance(value[0], dict)
                and all(isinstance(v, Lexicon) for v in value[0].values()))

    lexicons, combined = cached(lexicon_key(folder), build, valid)
    _COMBINED[id(lexicons)] = (lexicons, combined)
    return lexicons


@dataclass(frozen=True, slots=True)
class _Combined:
    """Every lexicon of a set in one automaton per kind of view, so a text is scanned once."""

    base: _Automaton
    ru: _Automaton
    hy: _Automaton


_COMBINED: dict[int, tuple[Mapping[str, Lexicon], _Combined]] = {}


def _combined(lexicons: Mapping[str, Lexicon]) -> _Combined:
    cached = _COMBINED.get(id(lexicons))
    if cached is not None and cached[0] is lexicons:
        return cached[1]
    with gc_paused():
        combined = _build_combined(lexicons)
    _COMBINED[id(lexicons)] = (lexicons, combined)  # the mapping is kept, so its id stays its own
    return combined


def _build_combined(lexicons: Mapping[str, Lexicon]) -> _Combined:
    entries = [e for lexicon in lexicons.values() for e in lexicon.entries]
    return _Combined(
        _Automaton(entries, ""),
        _Automaton([e for e in entries if e.lang == "ru"], "ru"),
        _Automaton([e for e in entries if e.lang == "hy"], "hy"),
    )


def match_all(
    text: str,
    langs: Sequence[str] | str,
    lexicons: Mapping[str, Lexicon] | None = None,
    norm: Normalized | None = None,
) -> list[Hit]:
    """Hits of all lexicons in `text`, in reading order.

    The lexicons of `langs` (the detected language; az and tr count as one another's), English,
    and, for `und`, every language are matched in full; the other languages only with their
    high-severity entries, because people mix languages. Translit views are matched where the
    language guess allows them.
    """
    guessed = {langs} if isinstance(langs, str) else set(langs)
    wanted = set(guessed)
    if "und" in wanted or not wanted:
        wanted |= set(LEXICON_LANGUAGES)
    wanted.add("en")
    for lang in list(wanted):
        wanted.update(_SIBLINGS.get(lang, ()))
    lexicons = default_lexicons() if lexicons is None else lexicons
    combined = _combined(lexicons)
    base = norm if norm is not None else normalize(text, "az" if "az" in guessed else None)
    floors = {lang: 0 if lang in wanted else HIGH_SEVERITY for lang in lexicons}
    az_floors: dict[str, int] = {lang: floors[lang] for lang in ("az", "tr") if lang in floors}
    # The same words found by several lexicons or views count once, at their highest severity.
    best: dict[tuple[str, int, int], Hit] = {}
    for view in (base, *script_variants(base, sorted(wanted | {"az"}))):
        prepared = _Prepared(view)
        if view.view == "ru_translit":
            found = combined.ru.find(prepared, floors)
        elif view.view == "hy_translit":
            found = combined.hy.find(prepared, floors)
        else:
            found = combined.base.find(prepared, az_floors if view.view == "az_latin" else floors)
        for hit in found:
            key = (hit.category, hit.start, hit.end)
            if key not in best or hit.severity > best[key].severity:
                best[key] = hit
    return sorted(best.values(), key=lambda h: (h.start, h.end, h.category))
