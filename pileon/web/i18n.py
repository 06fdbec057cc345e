"""Interface languages: gettext catalogs (locales/<lang>.po) compiled by Babel when the app starts.

The language is the one the user chose (kept in the database), else the browser's
Accept-Language, else English.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = ["LANGUAGES", "catalog", "gettext_for", "negotiate"]

#: Interface languages, each named in itself.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "az": "Azərbaycanca",
    "hy": "Հայերեն",
    "ru": "Русский",
}


@cache
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog for `lang` (English is the source text, so it needs none)."""
    if lang not in LANGUAGES or lang == "en":
        return gettext.NullTranslations()
    source = resources.files("pileon.web") / "locales" / f"{lang}.po"
    with source.open("rb") as handle:
        po = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, po)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(lang: str) -> tuple[Callable[[str], str], Callable[[str, str, int], str]]:
    translations = catalog(lang)
    return translations.gettext, translations.ngettext


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header ("fr-CA,fr;q=0.9,en;q=0.5")."""
    best, best_q = "en", -1.0
    for position, part in enumerate((accept_language or "").split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        q = 1.0
        for param in pieces[1:]:
            if param.strip().startswith("q="):
                try:
                    q = float(param.strip()[2:])
                except ValueError:
                    q = 0.0
        q -= position * 1e-6  # earlier wins on a tie
        if tag in LANGUAGES and q > best_q:
            best, best_q = tag, q
    return best
