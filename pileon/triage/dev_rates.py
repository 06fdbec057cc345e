"""How the triage rules sort labelled replies: the two figures the default rules are tuned for.

Supportive replies that end up shielded (target <= 2%), and abusive replies that end up in
support (target <= 1%), per language. Pure: gold labels and classifier scores in, counts out; the
`pileon triage-eval` command does the reading and the classifying.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pileon.records import ABUSIVE_LABELS
from pileon.triage.folders import FOLDERS, PostFacts, choose_folder
from pileon.triage.rules import Rules

__all__ = ["FolderRates", "LabelledScores", "folder_rates"]


@dataclass(frozen=True, slots=True)
class LabelledScores:
    """One labelled reply: its language, its gold labels and the classifier's scores."""

    lang: str
    gold: frozenset[str]
    scores: Mapping[str, float]
    text: str | None = None  # for the text rules (accusation with a shame cue)


@dataclass(frozen=True, slots=True)
class FolderRates:
    lang: str  # "all" for every language together
    cases: int = 0
    supportive: int = 0  # gold says supportive
    supportive_shielded: int = 0
    supportive_in_support: int = 0  # how full Support is: recall of supportive replies
    abusive: int = 0  # gold has an abusive category
    abusive_in_support: int = 0
    folders: dict[str, int] = field(default_factory=dict)

    @property
    def supportive_shielded_rate(self) -> float | None:
        return self.supportive_shielded / self.supportive if self.supportive else None

    @property
    def supportive_in_support_rate(self) -> float | None:
        return self.supportive_in_support / self.supportive if self.supportive else None

    @property
    def abusive_in_support_rate(self) -> float | None:
        return self.abusive_in_support / self.abusive if self.abusive else None


def folder_rates(items: Iterable[LabelledScores], rules: Rules) -> list[FolderRates]:
    """Per language (sorted), then "all": where the rules put supportive and abusive replies.

    No account signals or clusters: this measures the rules on each text and its scores alone
    (copies and coordination can only make a folder stricter).
    """
    counts: dict[str, Counter[str]] = {}
    for n, item in enumerate(items):
        folder = choose_folder(PostFacts("eval", str(n), None, item.lang, (), item.scores,
                                         text=item.text), rules).folder
        supportive = "supportive" in item.gold
        abusive = bool(item.gold & ABUSIVE_LABELS)
        for lang in (item.lang, "all"):
            c = counts.setdefault(lang, Counter())
            c["cases"] += 1
            c["folder:" + folder] += 1
            c["supportive"] += supportive
            c["supportive_shielded"] += supportive and folder == "shielded"
            c["supportive_in_support"] += supportive and folder == "support"
            c["abusive"] += abusive
            c["abusive_in_support"] += abusive and folder == "support"
    order = sorted(k for k in counts if k != "all") + (["all"] if "all" in counts else [])
    return [FolderRates(lang, counts[lang]["cases"], counts[lang]["supportive"],
                        counts[lang]["supportive_shielded"], counts[lang]["supportive_in_support"],
                        counts[lang]["abusive"],
                        counts[lang]["abusive_in_support"],
                        {f: counts[lang]["folder:" + f] for f in FOLDERS}) for lang in order]
