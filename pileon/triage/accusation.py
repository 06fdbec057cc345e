"""Second-person accusation plus a counter-speech cue: the shape a classifier mistakes for support.

"Traitor! You are not one of us ... Shame on you!" carries the words of counter-speech ("shame
on you") around a direct attack. Patterns live in data/accusation_cues.toml; this module only
compiles them and says whether a text shows both.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from pileon.analyze.normalize import normalize

__all__ = ["AccusationMatch", "accusation_with_shame_cue"]


@dataclass(frozen=True, slots=True)
class AccusationMatch:
    accusation: str  # the matched words, normalized
    cue: str


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    text = (resources.files("pileon.triage") / "data" / "accusation_cues.toml").read_text(
        encoding="utf-8")
    data = tomllib.loads(text)

    def joined(section: str) -> re.Pattern[str]:
        parts = [p for patterns in data[section].values() for p in patterns]
        return re.compile("|".join(f"(?:{p})" for p in parts))

    return joined("accusation"), joined("shame_cue")


def accusation_with_shame_cue(text: str, lang: str | None = None) -> AccusationMatch | None:
    """The accusation and the cue when `text` has both (in any of the six languages), else None."""
    accusation, cue = _patterns()
    folded = normalize(text, lang).text
    found = accusation.search(folded)
    if found is None:
        return None
    shame = cue.search(folded)
    if shame is None:
        return None
    return AccusationMatch(found.group(0).strip(" @.,!?"), shame.group(0))
