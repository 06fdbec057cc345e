"""Turning stored rows into what a page shows: content warnings, highlighted evidence, cards.

Only Support and Inbox are shown in clear. Shielded and To review text (and any reply not
yet triaged) is never put in a card unless the user chose to see it; the card carries only the
category's content warning ("might be: ..." in To review), and the text, name and address come
from /reveal on an explicit click.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time

from pileon.store.triage import post_ref

__all__ = ["BIDI_CONTROLS", "CLEAR_FOLDERS", "Card", "Segment", "card_from_row", "category_names",
           "day", "evidence_segments", "folder_names", "hour_label", "is_blurred", "language_name",
           "own_record", "rule_names", "signal_names", "when"]


def category_names(_: Callable[[str], str]) -> dict[str, str]:
    """Content-warning names, in words a person would use, per category."""
    return {
        "identity_attack": _("hateful slur or attack on a group"),
        "sexual_harassment": _("sexual attack on you or your family"),
        "identity_denial": _("denies who you are"),
        "bad_faith": _("calls you a traitor, paid or fake"),
        "ridicule": _("mockery"),
        "insult": _("insult"),
        "threat": _("threat"),
        "atrocity_denial": _("denial or praise of violence"),
        "profanity": _("swearing"),
        "supportive": _("supportive"),
        "supportive_with_doubt": _("supportive, but with a trace of possible abuse, so it waits for you"),
        "disagreement": _("civil disagreement"),
        "neutral": _("neutral"),
    }


def folder_names(_: Callable[[str], str]) -> dict[str, str]:
    return {"support": _("Support"), "inbox": _("Inbox"), "review": _("To review"),
            "shielded": _("Abusive replies")}


def rule_names(_: Callable[[str], str]) -> dict[str, str]:
    """Why a reply is in its folder, in words (the rule's name stays beside it for experts)."""
    return {
        "not_analysed": _("not analysed yet, so it waits for you"),
        "shield_but_supportive": _("looks hurtful but also clearly supportive, so it waits for you"),
        "shield_threshold": _("clearly abusive for this category"),
        "shield_threshold_throwaway": _("abusive, from an account that looks made for it"),
        "review_threshold": _("might be abusive; pileon is not sure"),
        "supportive": _("supportive"),
        "supportive_with_doubt": _("supportive, but with a trace of possible abuse, so it waits for you"),
        "default": _("neither abusive nor clearly supportive"),
        "coordinated_cluster": _("part of a group of near-identical replies that is mostly abuse"),
        "supportive_but_coordinated": _("kind words, but sent by a coordinated group, so they wait for you"),
        "accusation_with_shame_cue": _("accuses you directly while sounding like a defence, so it waits for you"),
        "abuse_trace": _("carries a faint sign of abuse, so it is not shown in clear"),
        "copies_share_fate": _("the same text as other replies: every copy goes where the strictest copy went"),
        "supportive_unconfirmed": _("the classifier finds it supportive, but its words do not say so, so it waits for you"),
        "contempt_word": _("holds a word of contempt, so it is not shown in clear"),
        "second_person_accusation": _("accuses you directly, so it is not shown in clear"),
        "supportive_mockery": _("kind words that read like mockery, so they wait for you"),
        "copies_read_together": _("the same text as other replies; read together, they support you"),
    }


def signal_names(_: Callable[[str], str]) -> dict[str, str]:
    return {"new_account": _("new account"), "no_avatar": _("no profile picture"),
            "few_followers": _("few followers"), "coordinated": _("acts in a coordinated way")}


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    category: str | None  # None: plain text; else highlighted evidence


def evidence_segments(text: str, evidence: Sequence[Mapping[str, Any]]) -> list[Segment]:
    """`text` cut into plain and highlighted pieces by the classifier's evidence spans."""
    spans = []
    for item in evidence:
        try:
            start, end = int(item["start"]), int(item["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= start < end <= len(text):
            spans.append((start, end, str(item.get("category") or "")))
    spans.sort()
    out: list[Segment] = []
    at = 0
    for start, end, category in spans:
        if start < at:
            continue  # overlapping spans: keep the first
        if start > at:
            out.append(Segment(text[at:start], None))
        out.append(Segment(text[start:end], category or "evidence"))
        at = end
    if at < len(text):
        out.append(Segment(text[at:], None))
    return out


@dataclass(frozen=True, slots=True)
class Card:
    """One post as a list shows it. `text` is None when the post is shielded and hidden."""

    platform: str
    post_id: str
    folder: str
    category: str | None
    created_at: str | None
    lang: str | None
    labels: tuple[str, ...]
    signals: tuple[str, ...]
    cluster_id: str | None
    decided: bool
    hidden: bool
    text: str | None
    author: str | None  # display name (or handle), None when hidden
    handle: str | None
    deleted: bool
    coordinated: bool = False  # its cluster shows time + account evidence, not just wording
    reordered: bool = False  # holds bidi controls: the letters show in another order than sent
    ref: str = ""  # the opaque name used in addresses (/post/<ref>)
    copies: int = 1  # how many replies share this text (itself included)


#: Explicit direction controls (embeddings, overrides, isolates) that reorder what is shown.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


#: The folders whose text is shown without a click.
CLEAR_FOLDERS = frozenset({"support", "inbox"})


def is_blurred(folder: str | None, unblur_all: bool) -> bool:
    """True unless the reply was sorted into Support or Inbox (or the user unblurred all):
    To review may be abuse, and a reply not triaged yet was never looked at."""
    return folder not in CLEAR_FOLDERS and not unblur_all


def card_from_row(row: sqlite3.Row, unblur_all: bool, coordinated: bool = False) -> Card:
    hidden = is_blurred(row["folder"], unblur_all)
    author = row["author_display_name"] or row["author_handle"] or row["author_id"]
    return Card(
        platform=row["platform"], post_id=row["post_id"], folder=row["folder"],
        category=row["category"], created_at=row["created_at"], lang=row["lang"],
        labels=tuple(json.loads(row["labels_json"] or "[]")),
        signals=tuple(s for s in (row["signals"] or "").split(",") if s),
        cluster_id=row["cluster_id"], decided=bool(row["decided"]), hidden=hidden,
        text=None if hidden else row["text"], author=None if hidden else author,
        handle=None if hidden else row["author_handle"],
        deleted=row["deleted_at_source"] is not None, coordinated=coordinated,
        reordered=not hidden and not BIDI_CONTROLS.isdisjoint(row["text"] or ""),
        ref=row["ref"] or post_ref(row["platform"], row["post_id"]),
        copies=int(row["copies_size"] or 1))


_TEXT_KEYS = ("text", "content", "record", "full_text", "body", "message")


def own_record(raw: bytes, post_id: str, uri: str | None) -> str | None:
    """This post's own object inside its raw payload, pretty-printed; None if not found.

    A payload is often a whole page of replies (a Bluesky thread, a Mastodon context, an X
    search page), shielded ones among them: the post page shows only the reply's own part.
    """
    try:
        document = json.loads(raw)
    except ValueError:  # a CSV row is its own payload
        text = raw.decode("utf-8", errors="replace")
        return text if post_id in text and "\n" not in text.strip() else None
    stack: list[Any] = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            matches = str(item.get("id")) == post_id or (uri is not None and item.get("uri") == uri)
            if matches and any(key in item for key in _TEXT_KEYS):
                return json.dumps(item, indent=2, ensure_ascii=False)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


# --- dates and language names in the interface language (Babel) --------------------------------

_BABEL_LOCALE = {"en": "en_GB", "fr": "fr", "az": "az", "hy": "hy", "ru": "ru"}


def _parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is None else parsed.astimezone(UTC).replace(tzinfo=None)


def when(value: str | None, lang: str) -> str:
    """A stored UTC time as the interface language writes a date and time ("7 déc. 2026, 10:13")."""
    moment = _parse_iso(value)
    if moment is None:
        return value or ""
    locale = Locale.parse(_BABEL_LOCALE.get(lang, "en_GB"))
    pattern = str(locale.datetime_formats.get("medium", "{1} {0}"))
    return pattern.format(format_time(moment, "short", locale=locale),
                          format_date(moment, "medium", locale=locale))


def hour_label(moment: datetime, lang: str) -> str:
    """A day and hour, short, as the interface language writes them ("7 déc. 10:00",
    "7 дек., 10:00"): the chart's axis and bar labels."""
    locale = Locale.parse(_BABEL_LOCALE.get(lang, "en_GB"))
    pattern = str(locale.datetime_formats.get("short", "{1} {0}"))
    return pattern.format(format_skeleton("Hm", moment, locale=locale),
                          format_skeleton("MMMd", moment, locale=locale))


def day(value: str | None, lang: str) -> str:
    """A stored date as the interface language writes it ("7 дек. 2026 г.")."""
    moment = _parse_iso(value)
    if moment is None:
        return value or ""
    return format_date(moment, "medium", locale=Locale.parse(_BABEL_LOCALE.get(lang, "en_GB")))


def language_name(code: str | None, lang: str, _: Callable[[str], str]) -> str:
    """A language tag as a name in the interface language; `und` and unknown tags in words."""
    if not code or code in ("und", "unknown", "?"):
        unknown = _("unknown language")  # capitalised like the names beside it
        return unknown[:1].upper() + unknown[1:]
    locale = Locale.parse(_BABEL_LOCALE.get(lang, "en_GB"))
    base = code.replace("_", "-").split("-")[0].lower()
    name = locale.languages.get(base)
    if not name:
        other = _("another language (%(code)s)") % {"code": code}
        return other[:1].upper() + other[1:]
    return name[:1].upper() + name[1:]
