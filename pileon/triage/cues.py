"""What a reply's own words say, beside the classifier's scores: the text rules of Support.

A supportive score alone does not put a reply on the author's first screen. Its words must
confirm it (a support cue: thanks, solidarity, praise of courage, "you are not alone", hearts,
counter-speech aimed at the attackers), and must not show the shapes a classifier mistakes for
support: a second-person accusation that is not someone else's reported words, mockery
(laughter, condescending endearments, praise turned into a question) or a word of contempt.
Patterns live in data/support_cues.toml, data/accusation_cues.toml and data/contempt.toml; this
module compiles them and reads one text once.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pileon.analyze.normalize import normalize
from pileon.triage.alternation import Alternation

__all__ = ["TextCues", "read_cues"]

_SENTENCE_END = re.compile(r"[.!?։;\n]")
#: How far around a word of contempt a negation is looked for (characters): "you are not a",
#: "sen axmaq deyilsen".
_BEFORE, _AFTER = 24, 16


@dataclass(frozen=True, slots=True)
class TextCues:
    """The cues found in one reply (each the matched words, normalized), None where absent."""

    support: str | None
    mockery: str | None
    contempt: str | None
    accusation: str | None  # a second-person accusation that is not reported speech
    shame_cue: str | None  # "shame on you": with `accusation`, the accusation_with_shame_cue rule
    accusation_any: str | None  # any second-person accusation, reported or not

    @property
    def contradicts_support(self) -> bool:
        return bool(self.mockery or self.contempt or self.accusation)


def _load(name: str) -> dict[str, object]:
    text = (resources.files("pileon.triage") / "data" / name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _joined(data: dict[str, object], section: str) -> Alternation:
    """The section's patterns as one alternation (the same matches as joining them with `|`,
    searched only where their literal prefixes occur: triage/alternation.py)."""
    table = data[section]
    assert isinstance(table, dict)
    return Alternation([p for patterns in table.values() for p in patterns])


@lru_cache(maxsize=1)
def _patterns() -> dict[str, Alternation]:
    support, accusation, contempt = (_load("support_cues.toml"), _load("accusation_cues.toml"),
                                     _load("contempt.toml"))
    return {"support": _joined(support, "support"), "mockery": _joined(support, "mockery"),
            "reported": _joined(support, "reported"),
            "accusation": _joined(accusation, "accusation"),
            "shame_cue": _joined(accusation, "shame_cue"),
            "contempt": _joined(contempt, "contempt"),
            "contempt_negated": _joined(contempt, "negated")}


def _found(match: re.Match[str] | None) -> str | None:
    return None if match is None else (match.group(0).strip(" @.,!?") or match.group(0))


@lru_cache(maxsize=20_000)
def read_cues(text: str, lang: str | None = None) -> TextCues:
    """Every cue of `text`, normalized once (any language's patterns apply). Remembered for
    the last 20,000 texts: copies of one text (a wave, its consensus reading) are read once."""
    p = _patterns()
    folded = normalize(text, lang).text
    accusation = reported = None
    for match in p["accusation"].finditer(folded):
        start = _sentence_start(folded, match.start())
        if p["reported"].search(folded, start, match.start() + 1):
            reported = reported or match
            continue
        accusation = match
        break
    contempt = None
    for match in p["contempt"].finditer(folded):
        start = max(_sentence_start(folded, match.start()), match.start() - _BEFORE)
        after = _SENTENCE_END.split(folded[match.end():match.end() + _AFTER], maxsplit=1)[0]
        if p["contempt_negated"].search(folded[start:match.start()] + " " + after):
            continue  # "you are not an idiot", "sen axmaq deyilsen"
        contempt = match
        break
    return TextCues(_found(p["support"].search(folded)), _found(p["mockery"].search(folded)),
                    _found(contempt), _found(accusation), _found(p["shame_cue"].search(folded)),
                    _found(accusation or reported))


def _sentence_start(text: str, position: int) -> int:
    """Where the sentence holding `position` starts."""
    start = 0
    for end in _SENTENCE_END.finditer(text, 0, position):
        start = end.end()
    return start
