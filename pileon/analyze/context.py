"""Context rules: what the words around a lexicon hit do to it.

Negation ("you are not a traitor") and counter-speech ("those calling you a traitor should be
ashamed") turn an abusive hit into support; second person and family raise it; profanity beside
support stays profanity; laughing-emoji spam is ridicule. Every change names the rule that made it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pileon.analyze.lexicon import CUE_KINDS, Hit
from pileon.records import ABUSIVE_LABELS, LABELS

__all__ = [
    "FEATURE_NAMES",
    "RULES",
    "Adjusted",
    "ContextResult",
    "apply_context",
    "negating_cue",
]

#: Why an item counts the way it does (shown to the user beside the evidence).
RULES: tuple[str, ...] = (
    "plain",  # the hit counts as the lexicon says
    "negated",  # a negation cue next to an abusive hit: it counts as support, not abuse
    "countered",  # a counter-speech cue near it: the insult is quoted to reject it
    "reported",  # reported speech near it ("they call you ..."): quoted, not the replier's own
    "quoted",  # inside quotation marks in a longer reply: mentioned (to reject it), not used
    "second_person",  # aimed at the author ("you", "sən", "ты"...): severity raised
    "family_sexual",  # sexual or profane words aimed at the author's mother or sister
    "profanity_in_support",  # swearing inside a supportive reply: profanity, not an insult
    "laughter_with_support",  # laughing emoji in a supportive reply: not ridicule
    "laughing_spam",  # three or more laughing emoji / a "hahaha" run and no support: ridicule
    "negated_support",  # a support word negated ("nobody could ever love ..."): not support
    "group_hostility",  # hatred or violence toward a named group (hostility.py, classify.py)
)

_CATEGORIES: tuple[str, ...] = tuple(label for label in LABELS if label != "neutral")
_FLAGS: tuple[str, ...] = (
    "negated", "countered", "reported", "second_person", "family", "laughing_spam",
    "profanity_in_support",
)  # fmt: skip
#: Names of `ContextResult.features()`, in order: a stable input for a statistical model.
FEATURE_NAMES: tuple[str, ...] = (
    tuple(f"count_{c}" for c in _CATEGORIES)
    + tuple(f"max_{c}" for c in _CATEGORIES)
    + tuple(f"flag_{f}" for f in _FLAGS)
)

# Languages that put the negation after the word it negates ("xain deyilsən", "դավաճան չես").
_NEGATION_FOLLOWS = frozenset({"az", "tr", "hy"})
_NEGATION_BEFORE_WORDS = 4  # "I would never call you a traitor": 3 words in between
_NEGATION_AFTER_WORDS = 2
_COUNTER_WORDS = 8
# Quotation marks people type: «», “”, „“, ‹›, ‘’ and straight double quotes.
_QUOTED = re.compile(r"«[^»\n]{1,200}»|“[^”\n]{1,200}”|„[^“”\n]{1,200}[“”]|‹[^›\n]{1,200}›"
                     r"|‘[^’\n]{1,200}’|\"[^\"\n]{1,200}\"")
#: A quote that is nearly the whole reply is the replier's own words, not a mention.
_QUOTE_MAX_SHARE = 0.8
_TARGET_WORDS = 3
_WORD = re.compile(r"\w+|[\u2190-\u2bff\U0001f000-\U0001faff]")
_SENTENCE_END = re.compile(r"[.!?;\n։]")
_CLAUSE_BREAK = re.compile(r"[,:—–]|\s-\s")
_LAUGH_EMOJI = re.compile("[😂🤣😆😹]")
_LAUGH_RUN = re.compile(
    r"(?i)\b(?:(?:ha|xa|ja|he)\s?){3,}h?\b|\b(?:а?(?:ха|хa)\s?){3,}х?\b|(?:ախ|հա){3,}"
)
_SEXUAL_OR_PROFANE = frozenset({"sexual_harassment", "profanity"})


@dataclass(frozen=True, slots=True)
class Adjusted:
    """One piece of evidence after context: which category it now counts for and why."""

    hit: Hit
    category: str
    severity: int
    rule: str
    cue: Hit | None = None  # the cue that made the rule fire, if any

    @property
    def counts(self) -> bool:
        return self.severity > 0


@dataclass(frozen=True, slots=True)
class ContextResult:
    """The evidence of one text after context rules, with per-category totals and flags."""

    items: tuple[Adjusted, ...]
    cues: tuple[Hit, ...]
    counts: Mapping[str, int]
    max_severity: Mapping[str, int]
    negated: bool
    countered: bool
    reported: bool
    second_person: bool
    family: bool
    laughing_spam: bool
    profanity_in_support: bool

    def features(self) -> dict[str, float]:
        """Counts, maximum severities and flags under the names of FEATURE_NAMES."""
        counts, maxima = self.counts, self.max_severity
        values = [float(counts.get(c, 0)) for c in _CATEGORIES]
        values += [float(maxima.get(c, 0)) for c in _CATEGORIES]
        values += [float(getattr(self, flag)) for flag in _FLAGS]
        return dict(zip(FEATURE_NAMES, values, strict=True))


class _Words:
    """Word positions of the original text, to measure how far a cue is from a hit."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        if self._starts is None:  # only texts with both a hit and a cue need word positions
            self._starts = [m.start() for m in _WORD.finditer(self.text)]
        return self._starts

    def index(self, pos: int) -> int:
        return max(bisect_right(self.starts, pos) - 1, 0)

    def span(self, hit: Hit) -> tuple[int, int]:
        return self.index(hit.start), self.index(max(hit.end - 1, hit.start))

    def gap(self, cue: Hit, hit: Hit, *, same_sentence: bool) -> tuple[int, str]:
        """(words between, "before"/"after"/"inside"/"covers") from the cue to the hit."""
        c0, c1 = self.span(cue)
        h0, h1 = self.span(hit)
        if cue.start >= hit.start and cue.end <= hit.end:
            return 0, "inside"  # the cue is part of the hit's own pattern
        if cue.start <= hit.start and cue.end >= hit.end:
            return 0, "covers"  # the hit is part of the cue ("դավաճան չես")
        if cue.end <= hit.start:
            between, where, words = self.text[cue.end : hit.start], "before", h0 - c1 - 1
        elif cue.start >= hit.end:
            between, where, words = self.text[hit.end : cue.start], "after", c0 - h1 - 1
        else:
            return 0, "covers"
        if same_sentence and _SENTENCE_END.search(between):
            return 10**6, where
        return max(words, 0), where


def _negating(cue: Hit, hit: Hit, words: _Words, lang: str) -> bool:
    gap, where = words.gap(cue, hit, same_sentence=True)
    if where == "before":
        # A clause break ends a negation's reach: "nobody asked, clown" negates nothing.
        if _CLAUSE_BREAK.search(words.text[cue.end:hit.start]):
            return False
        return gap < _NEGATION_BEFORE_WORDS
    if where == "after":
        follows = lang in _NEGATION_FOLLOWS or cue.lang in _NEGATION_FOLLOWS
        return follows and gap < _NEGATION_AFTER_WORDS
    return where == "covers"


def negating_cue(text: str, hit: Hit, cues: Sequence[Hit], lang: str) -> Hit | None:
    """The negation cue among `cues` that negates `hit` in `text`, if any (the same reach as for
    a lexicon hit; a negation word inside a `cue_not_negation` idiom negates nothing)."""
    idioms = [c for c in cues if c.category == "cue_not_negation"]
    words = _Words(text)
    return _first([c for c in cues if c.category == "cue_negation"],
                  lambda c: not any(i.start <= c.start and c.end <= i.end for i in idioms)
                  and _negating(c, hit, words, lang))


def _near(cue: Hit, hit: Hit, words: _Words, limit: int, *, same_sentence: bool) -> bool:
    gap, where = words.gap(cue, hit, same_sentence=same_sentence)
    return where == "covers" or (where in ("before", "after") and gap <= limit)


def _first(cues: Sequence[Hit], test: Callable[[Hit], bool]) -> Hit | None:
    return next((c for c in cues if test(c)), None)


def _family_near(hit: Hit, cues: Mapping[str, list[Hit]], words: _Words) -> Hit | None:
    return _first(cues["cue_family"],
                  lambda c: _near(c, hit, words, _TARGET_WORDS, same_sentence=True))


def _quotes(text: str, lang: str) -> list[Hit]:
    """Quoted passages of a reply, as cues (only where the reply says more than the quote)."""
    if not any(mark in text for mark in "«“„‹‘\""):
        return []
    size = len(text.strip()) or 1
    return [Hit("cue_quote", 0, "quotation marks", m.start(), m.end(), m.group(), lang)
            for m in _QUOTED.finditer(text) if (m.end() - m.start()) / size <= _QUOTE_MAX_SHARE]


def _adjust_abusive(hit: Hit, cues: Mapping[str, list[Hit]], words: _Words, lang: str) -> Adjusted:
    # "They all say you're paid, and they are right": reporting abuse to endorse it is abuse.
    endorsed = bool(cues["cue_endorse"])
    quote = _first(cues["cue_quote"], lambda q: q.start < hit.start and hit.end < q.end)
    if quote and not endorsed:
        return Adjusted(hit, "supportive", 1, "quoted", quote)
    counter = _first(cues["cue_counter"],
                     lambda c: _near(c, hit, words, _COUNTER_WORDS, same_sentence=False))
    if counter:
        return Adjusted(hit, "supportive", 1, "countered", counter)
    reported = _first(cues["cue_reported"],
                      lambda c: _near(c, hit, words, _COUNTER_WORDS, same_sentence=True))
    if reported and not endorsed:
        return Adjusted(hit, "supportive", 1, "reported", reported)
    # "I can't stand ...", "терпеть не могу ...": a negation word inside such an idiom
    # strengthens what follows instead of negating it.
    idioms = cues["cue_not_negation"]
    negation = _first(cues["cue_negation"],
                      lambda c: not any(i.start <= c.start and c.end <= i.end for i in idioms)
                      and _negating(c, hit, words, lang))
    if negation:
        return Adjusted(hit, "supportive", 1, "negated", negation)
    family = _family_near(hit, cues, words)
    if family and (hit.category in _SEXUAL_OR_PROFANE or hit.severity >= 3):
        return Adjusted(hit, "sexual_harassment", 3, "family_sexual", family)
    target = _first(cues["cue_second_person"],
                    lambda c: _near(c, hit, words, _TARGET_WORDS, same_sentence=True))
    if target:
        return Adjusted(hit, hit.category, min(hit.severity + 1, 3), "second_person", target)
    return Adjusted(hit, hit.category, hit.severity, "plain")


def _laughter(text: str) -> tuple[int, int, int]:
    """(how many laughs, start, end) of laughing emoji and "hahaha" runs in the text."""
    spans = [m.span() for m in _LAUGH_EMOJI.finditer(text)]
    spans += [m.span() for m in _LAUGH_RUN.finditer(text)]
    if not spans:
        return 0, 0, 0
    runs = sum(1 for m in _LAUGH_RUN.finditer(text))
    count = len(spans) + 2 * runs  # one "hahaha" run is laughter enough on its own
    return count, min(s for s, _ in spans), max(e for _, e in spans)


def apply_context(text: str, hits: Sequence[Hit], lang: str = "und") -> ContextResult:
    """Adjust lexicon hits of `text` (from `match_all`) by the cues around them."""
    cues: dict[str, list[Hit]] = {kind: [] for kind in CUE_KINDS}
    cues["cue_quote"] = _quotes(text, lang)
    evidence: list[Hit] = []
    for hit in hits:
        (cues[hit.category] if hit.category in CUE_KINDS else evidence).append(hit)
    evidence = _drop_nested(evidence)
    words = _Words(text)
    items: list[Adjusted] = []
    for hit in evidence:
        if hit.category in ABUSIVE_LABELS:
            items.append(_adjust_abusive(hit, cues, words, lang))
        elif hit.category == "profanity":
            family = _family_near(hit, cues, words)
            if family:
                items.append(Adjusted(hit, "sexual_harassment", 3, "family_sexual", family))
            else:
                items.append(Adjusted(hit, hit.category, hit.severity, "plain"))
        elif hit.category == "supportive":
            negation = negating_cue(text, hit, [c for k in ("cue_negation", "cue_not_negation")
                                                for c in cues[k]], lang)
            items.append(Adjusted(hit, "supportive", 0, "negated_support", negation)
                         if negation else Adjusted(hit, hit.category, hit.severity, "plain"))
        else:
            items.append(Adjusted(hit, hit.category, hit.severity, "plain"))

    supported = any(i.category == "supportive" and i.rule == "plain" for i in items)
    profanity = [i for i in items if i.category == "profanity"]
    in_support = supported and bool(profanity)
    if in_support:
        items = [_soften_in_support(i, profanity) for i in items]
        items = [Adjusted(i.hit, i.category, i.severity, "profanity_in_support", i.cue)
                 if i.category == "profanity" else i for i in items]
    if supported:
        items = [Adjusted(i.hit, "ridicule", 0, "laughter_with_support")
                 if i.category == "ridicule" and _LAUGH_EMOJI.fullmatch(i.hit.matched) else i
                 for i in items]
    laughs, start, end = _laughter(text)
    spam = laughs >= 3 and not supported
    if spam:
        # The single laughing emoji hits fold into one piece of evidence for the whole run.
        items = [Adjusted(i.hit, "ridicule", 0, "laughing_spam")
                 if i.category == "ridicule" and _LAUGH_EMOJI.fullmatch(i.hit.matched) else i
                 for i in items]
        laugh_hit = Hit("ridicule", 2, "laughing_spam", start, end, text[start:end], lang)
        items.append(Adjusted(laugh_hit, "ridicule", 2, "laughing_spam"))
    return _summarise(items, cues, spam, in_support)


def _drop_nested(evidence: list[Hit]) -> list[Hit]:
    """Leave out a hit lying inside a longer abusive hit: the longer pattern already says it
    ("real Azerbaijani" inside "not a real Azerbaijani")."""
    kept = []
    for hit in evidence:
        inside = any(
            other is not hit and other.category in ABUSIVE_LABELS
            and other.start <= hit.start and hit.end <= other.end
            and other.end - other.start > hit.end - hit.start
            for other in evidence
        )
        if not inside:
            kept.append(hit)
    return kept


def _soften_in_support(item: Adjusted, profanity: Sequence[Adjusted]) -> Adjusted:
    """An insult that is the very swear word of a supportive reply is not an insult."""
    if item.category == "insult" and item.severity <= 2 and any(
        p.hit.start < item.hit.end and item.hit.start < p.hit.end for p in profanity
    ):
        return Adjusted(item.hit, "insult", 0, "profanity_in_support", item.cue)
    return item


def _summarise(items: list[Adjusted], cues: Mapping[str, list[Hit]], spam: bool,
               in_support: bool) -> ContextResult:
    counts: dict[str, int] = {}
    max_severity: dict[str, int] = {}
    for item in items:
        if item.counts:
            counts[item.category] = counts.get(item.category, 0) + 1
            max_severity[item.category] = max(max_severity.get(item.category, 0), item.severity)
    rules = {item.rule for item in items}
    return ContextResult(
        items=tuple(sorted(items, key=lambda i: (i.hit.start, i.hit.end))),
        cues=tuple(sorted((c for kind in cues.values() for c in kind), key=lambda c: c.start)),
        counts=counts,
        max_severity=max_severity,
        negated="negated" in rules,
        countered="countered" in rules or "reported" in rules or "quoted" in rules,
        reported="reported" in rules,
        second_person="second_person" in rules,
        family="family_sexual" in rules,
        laughing_spam=spam,
        profanity_in_support=in_support,
    )
