"""Hostility toward a named group, read from cue words whatever the n-gram model says.

A sentence that names a protected group and, in that same sentence, hates, despises or
dehumanises ("Nothing makes me angrier than <group>", "I have met many <group> and I hate every
one of them"), or threatens it with violence in the form of intent, wish or norm ("<group>
should be hanged", "we will burn their homes"), is hostile toward the group. A pronoun ("they",
"ils", "они") in the sentence after the one naming the group stands for it. Cue words are the
`cue_hostile`, `cue_violence`, `cue_intent` and `cue_they` entries of the lexicons, also when
misspelled by one swap or one dropped letter ("haet", "shuold"). Negation, counter-speech,
reported speech and quotation cancel it, as they cancel any lexicon hit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from pileon.analyze.context import negating_cue
from pileon.analyze.features import ReadText, group_spans, stopwords
from pileon.analyze.lexicon import Hit, default_lexicons, tokenize

__all__ = ["Hostility", "fuzzy_cues", "hostility"]

_KINDS = ("cue_hostile", "cue_violence", "cue_intent")
#: Languages whose violence cues are written in forms that carry the intent themselves
#: (Turkish and Azerbaijani -meli/-malı, -ecek/-acaq, imperatives).
_INTENT_IN_FORM = frozenset({"tr", "az"})
_SENTENCE_END = re.compile(r"[.!?;\n։]+")
_CLAUSE_BREAK = re.compile(r"[,:—–]|\s-\s")
#: Cue words shorter than this are not read through misspellings (too many real words).
_FUZZY_MIN = 4
_PRONOUN_WORDS = 2
_CANCELLING = ("cue_counter", "cue_reported")


@dataclass(frozen=True, slots=True)
class Hostility:
    """What a text says against a named group; spans are in the original text."""

    hostile: tuple[Hit, ...]  # hatred, disgust, dehumanising words, anywhere, not negated
    toward_group: tuple[Hit, ...]  # those cue hits that meet a named group (see module doc)
    threat: bool  # a violence cue with intent toward the group
    group: str | None  # the group as written, for the evidence

    @property
    def any(self) -> bool:
        return bool(self.toward_group)


_NONE = Hostility((), (), False, None)


def _variants(word: str) -> set[str]:
    """The word with two adjacent letters swapped, or with one letter (not the first) left
    out."""
    out = {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}
    out |= {word[:i] + word[i + 1:] for i in range(1, len(word))}
    out.discard(word)
    return out


#: (words before, misspelled last word) -> (kind, pattern, last word is a stem).
_Table = dict[tuple[tuple[str, ...], str], tuple[str, str, bool]]


@cache
def _misspellings(lang: str) -> _Table:
    """Misspelled forms of the cues of a language: the last word of a cue misspelled by one swap
    or one dropped letter, the words before it as written; a two-word cue written as one word
    ("ihate") is a one-word form. A misspelling that is itself a word of the lexicons or a
    function word is left out."""
    lexicon = default_lexicons().get(lang)
    if lexicon is None:
        return {}
    from pileon.analyze.normalize import normalize

    real: set[str] = set(stopwords())
    for entry in lexicon.entries:
        real.update(normalize(word.rstrip("*")).text for word in entry.pattern.split())
    found: _Table = {}
    for entry in lexicon.entries:
        if entry.category not in _KINDS:
            continue
        words = entry.pattern.split()
        if "~" in words:
            continue
        folded = [normalize(w.rstrip("*")).text for w in words]
        if not all(w.isalpha() for w in folded):
            continue
        stem = words[-1].endswith("*")
        value = (entry.category, entry.pattern, stem)
        if len(folded) == 2:
            found.setdefault(((), "".join(folded)), value)
        last = folded[-1]
        if len(last) < _FUZZY_MIN:
            continue
        for variant in _variants(last):
            if variant not in real:
                found.setdefault((tuple(folded[:-1]), variant), value)
    return found


@cache
def _longest_before(lang: str) -> int:
    """The most words before the misspelled one in a form of the language (speed only)."""
    return max((len(before) for before, _ in _misspellings(lang)), default=0)


def fuzzy_cues(read: ReadText) -> list[Hit]:
    """Cues of the text's language whose last word is misspelled by one swap or one dropped
    letter ("I haet", "shuold"), or two cue words written together ("ihate"); spans in the
    original text."""
    table = _misspellings(read.lang.lang)
    if not table:
        return []
    tokens = tokenize(read.norm.text)
    longest = _longest_before(read.lang.lang)
    out = []
    for k, (token, _, end) in enumerate(tokens):
        if len(token) < _FUZZY_MIN - 1 or not token.isalpha():
            continue
        for n in range(min(longest, k), -1, -1):
            before = tuple(t for t, _, _ in tokens[k - n:k])
            found = table.get((before, token))
            if found is None:  # a stem: the misspelling is in its first letters only
                found = next((table[before, token[:m]]
                              for m in range(len(token) - 1, _FUZZY_MIN - 2, -1)
                              if (before, token[:m]) in table and table[before, token[:m]][2]),
                             None)
            if found is None:
                continue
            kind, pattern, _ = found
            o_start, o_end = read.norm.original_span(tokens[k - n][1], end)
            out.append(Hit(kind, 0, pattern, o_start, o_end, read.text[o_start:o_end],
                           read.lang.lang))
            break
    return out


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    return [s for s in spans if text[s[0]:s[1]].strip()]


def _inside(hit: Hit, span: tuple[int, int]) -> bool:
    return span[0] <= hit.start < span[1]


def _clause(text: str, hit: Hit, span: tuple[int, int]) -> tuple[int, int]:
    """The clause of its sentence the hit lies in (a comma, colon or dash ends one)."""
    start, end = span
    for m in _CLAUSE_BREAK.finditer(text, span[0], span[1]):
        if m.end() <= hit.start:
            start = m.end()
        elif m.start() >= hit.end:
            end = m.start()
            break
    return start, end


def _close(text: str, a: Hit, b: Hit) -> bool:
    """At most _PRONOUN_WORDS words between two hits."""
    between = text[a.end:b.start] if a.end <= b.start else text[b.end:a.start]
    return len(between.split()) <= _PRONOUN_WORDS


def _imperative(text: str, hit: Hit, span: tuple[int, int]) -> bool:
    """A violence word as written in the pattern (no ending added) opening its sentence:
    a call ("Kill all ..."), not a report ("Killing ... was a crime")."""
    opening = not text[span[0]:hit.start].strip(" \t\"'«“")
    return opening and len(hit.matched) <= len(hit.pattern.rstrip("*"))


def hostility(read: ReadText) -> Hostility:
    """Hostility of one text toward a protected group it names (see the module doc)."""
    cues = read.context.cues
    kinds: dict[str, list[Hit]] = {}
    for cue in cues:
        kinds.setdefault(cue.category, []).append(cue)
    known = {(c.start, c.end) for c in cues}
    for cue in fuzzy_cues(read):
        if not any(s <= cue.start < e for s, e in known):
            kinds.setdefault(cue.category, []).append(cue)
    words = kinds.get("cue_hostile", []) + kinds.get("cue_violence", [])
    if not words:
        return _NONE
    lang = read.lang.lang
    quotes = kinds.get("cue_quote", [])
    live = [h for h in words if negating_cue(read.text, h, cues, lang) is None
            and not any(q.start <= h.start and h.end <= q.end for q in quotes)]
    hostile = tuple(h for h in live if h.category == "cue_hostile")
    groups = group_spans(read)
    if not live or not groups or any(kinds.get(k) for k in _CANCELLING):
        return Hostility(hostile, (), False, None)
    sentences = _sentences(read.text)
    intents = kinds.get("cue_intent", [])
    pronouns = kinds.get("cue_they", [])
    toward: list[Hit] = []
    threat = False
    group_text: str | None = None
    for k, span in enumerate(sentences):
        earlier = [g for g in groups if span[0] <= g[0] < span[1]]
        if k > 0:
            earlier += [g for g in groups if sentences[k - 1][0] <= g[0] < sentences[k - 1][1]]
        if not earlier:
            continue
        intent = lang in _INTENT_IN_FORM or any(_inside(i, span) for i in intents)
        for h in (h for h in live if _inside(h, span)):
            if h.category == "cue_violence" and not (intent or _imperative(read.text, h, span)):
                continue
            clause = _clause(read.text, h, span)
            # the group in the cue's own clause, or a pronoun right beside the cue ("they are
            # parasites", "I despise them") standing for a group named before it
            group = next((g for g in earlier if clause[0] <= g[0] < clause[1]), None)
            if group is None and any(_inside(p, clause) and _close(read.text, p, h)
                                     for p in pronouns):
                group = next((g for g in earlier if g[0] < h.start), None)
            if group is None:
                continue
            toward.append(h)
            threat = threat or h.category == "cue_violence"
            group_text = group_text or read.text[group[0]:group[1]]
    return Hostility(hostile, tuple(toward), threat, group_text)
