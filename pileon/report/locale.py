"""The report's own words in five languages, one TOML catalog per language (locales/<lang>.toml).

Every catalog holds the same keys as English (a test checks it); a key missing at run time is a
bug, so it fails loudly rather than printing a blank.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pileon.errors import ReportError

__all__ = ["REPORT_LANGUAGES", "Catalog", "load_catalog"]

#: Report languages, each named in itself.
REPORT_LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "az": "Azərbaycanca",
    "hy": "Հայերեն",
    "ru": "Русский",
}


@dataclass(frozen=True, slots=True)
class Catalog:
    lang: str
    strings: dict[str, str]
    categories: dict[str, dict[str, str]]   # label -> {name, meaning}
    names: dict[str, dict[str, str]]        # "languages" / "folders" / "verdicts" / "actions"

    def __call__(self, key: str, **values: Any) -> str:
        text = self.strings[key]
        return text.format(**values) if values else text

    def category(self, label: str | None) -> str:
        if not label:
            return self.strings["unlabelled"]
        entry = self.categories.get(label)
        return entry["name"] if entry else label

    def meaning(self, label: str) -> str:
        return self.categories[label]["meaning"]

    def name(self, group: str, code: str | None) -> str:
        """A language, folder, verdict or action named in the report language (code if unknown)."""
        if code is None:
            return self.strings["unknown"]
        return self.names.get(group, {}).get(code, code)


@cache
def load_catalog(lang: str) -> Catalog:
    if lang not in REPORT_LANGUAGES:
        raise ReportError(f"no report language {lang!r}",
                          hint="one of: " + ", ".join(REPORT_LANGUAGES))
    source = resources.files("pileon.report") / "locales" / f"{lang}.toml"
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    return Catalog(lang, dict(data["strings"]), dict(data["categories"]),
                   {k: dict(v) for k, v in data["names"].items()})
