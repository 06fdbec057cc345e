"""The report's text helpers for HTML: escaped text with invisible controls shown, evidence
spans marked, UTC times and shortened quotes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from pileon.report.data import EvidenceSpan

__all__ = ["post_text", "short", "utc", "visible"]

# Direction overrides and isolates, zero-width characters, BOM, and C0/C1 controls except
# newline and tab: shown as their code point so nobody can hide or reorder text in the report.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff]")


def visible(text: str | None) -> Markup:
    """Escaped text with invisible controls shown as e.g. [U+202E]."""
    if not text:
        return Markup("")
    escaped = escape(text, quote=True)
    return Markup(_INVISIBLE.sub(
        lambda m: f'<span class="ctl">U+{ord(m.group()):04X}</span>', escaped))


def post_text(text: str, spans: Sequence[EvidenceSpan] = ()) -> Markup:
    """A post's original text, escaped, with evidence spans marked (overlaps merged)."""
    merged: list[list[int]] = []
    for span in spans:
        if merged and span.start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], span.end)
        else:
            merged.append([span.start, span.end])
    parts: list[str] = []
    at = 0
    for start, end in merged:
        parts.append(visible(text[at:start]))
        parts.append(Markup("<mark>") + visible(text[start:end]) + Markup("</mark>"))
        at = end
    parts.append(visible(text[at:]))
    return Markup("").join(parts)


def utc(moment: str | None) -> str:
    """'2024-11-25T10:09:00.000Z' -> '2024-11-25 10:09:00 UTC' ('' when unknown)."""
    if not moment:
        return ""
    return moment[:19].replace("T", " ") + " UTC"


def short(text: str | None, limit: int = 280) -> str:
    if not text:
        return ""
    return text if len(text) <= limit else text[:limit].rstrip() + "…"
