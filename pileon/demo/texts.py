"""The demo's words: loads the template and filler files in pileon/demo/data and fills them.

Templates use `{slot}` for fillers from slots.tsv and `[a|b|c]` for small edits; `\\uXXXX`
escapes let a TSV carry invisible characters (zero-width, RTL override) without hiding them.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from pileon.errors import ConfigError
from pileon.records import ABUSIVE_LABELS, LABELS

__all__ = [
    "LANGS",
    "STANCES",
    "Template",
    "TextBank",
    "fill",
    "load_rows",
    "stance_of",
    "text_bank",
]

LANGS: tuple[str, ...] = ("az", "tr", "ru", "en", "hy", "fr")
STANCES: tuple[str, ...] = ("abusive", "supportive", "other")

_SLOT = re.compile(r"\{(\w+)\}")
_CHOICE = re.compile(r"\[([^\[\]]*\|[^\[\]]*)\]")
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True, slots=True)
class Template:
    lang: str
    labels: tuple[str, ...]
    hard: str | None
    text: str

    @property
    def stance(self) -> str:
        return stance_of(self.labels)


def stance_of(labels: tuple[str, ...]) -> str:
    if ABUSIVE_LABELS.intersection(labels):
        return "abusive"
    return "supportive" if "supportive" in labels else "other"


def _data_dir() -> Path:
    return Path(str(resources.files("pileon.demo") / "data"))


def load_rows(name: str) -> Iterator[dict[str, str]]:
    """Rows of a TSV in pileon/demo/data as dicts; `#` lines are comments."""
    path = _data_dir() / name
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if line.strip() and not line.startswith("#"))
        reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        for number, row in enumerate(reader, start=2):
            if None in row or any(value is None for value in row.values()):
                raise ConfigError("wrong number of columns", path=str(path), record=f"row {number}")
            yield {key: _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
                   for key, value in row.items()}


def parse_labels(value: str, *, where: str) -> tuple[str, ...]:
    labels = tuple(label.strip() for label in value.split(",") if label.strip())
    unknown = [label for label in labels if label not in LABELS]
    if not labels or unknown:
        raise ConfigError(f"unknown or missing labels {unknown or value!r}", path=where)
    return labels


class TextBank:
    """Templates by language and stance, plus the fillers for their slots."""

    def __init__(self) -> None:
        self.templates: dict[tuple[str, str], list[Template]] = {}
        self.emoji: dict[str, list[Template]] = {stance: [] for stance in STANCES}
        self.slots: dict[tuple[str, str], list[str]] = {}
        for lang in LANGS:
            for row in load_rows(f"texts_{lang}.tsv"):
                template = Template(lang, parse_labels(row["labels"], where=f"texts_{lang}.tsv"),
                                    row["hard"] or None, row["text"])
                self.templates.setdefault((lang, template.stance), []).append(template)
        for row in load_rows("texts_emoji.tsv"):
            template = Template("und", parse_labels(row["labels"], where="texts_emoji.tsv"),
                                row["hard"] or None, row["text"])
            self.emoji[template.stance].append(template)
        for row in load_rows("slots.tsv"):
            self.slots.setdefault((row["slot"], row["lang"]), []).append(row["value"])

    def pick(self, lang: str, stance: str, rng: random.Random) -> Template:
        if self.emoji[stance] and rng.random() < 0.05:
            return rng.choice(self.emoji[stance])
        return rng.choice(self.templates[(lang, stance)])

    def filler(self, slot: str, lang: str, rng: random.Random) -> str:
        values = self.slots.get((slot, lang)) or self.slots.get((slot, "*"))
        if not values:
            raise ConfigError(f"no filler for slot {{{slot}}} in language {lang}",
                              path="pileon/demo/data/slots.tsv")
        return rng.choice(values)


def fill(text: str, lang: str, bank: TextBank, rng: random.Random) -> str:
    """The template with every `[a|b]` choice made and every `{slot}` filled."""
    text = _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), text)
    return _SLOT.sub(lambda m: bank.filler(m.group(1), lang, rng), text).strip()


@cache
def text_bank() -> TextBank:
    return TextBank()
