"""Triage rules: read and check the TOML file that decides folders (see default_rules.toml).

A typo never passes silently: an unknown key, a wrong type or a value out of range raises a
ConfigError naming the key and the line it is on.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pileon.coordinate.signals import AccountSignalConfig
from pileon.errors import ConfigError
from pileon.records import ABUSIVE_LABELS

__all__ = ["AccountSignalRules", "ClusterRules", "Rules", "default_rules_text", "load_rules",
           "parse_rules"]


@dataclass(frozen=True, slots=True)
class AccountSignalRules:
    """[account_signals]: the thresholds are the ONE account-signal config that triage and
    the coordination stage share (pileon/coordinate/signals.py); the rest is triage's own."""

    signals: AccountSignalConfig
    signals_needed: int
    shield_discount: float


@dataclass(frozen=True, slots=True)
class ClusterRules:
    min_size: int
    abusive_share: float
    shield_members: bool


@dataclass(frozen=True, slots=True)
class Rules:
    support_min: float
    support_protect: float
    support_max_abuse: float  # any abusive score at or above: review, never the first screen
    support_max_severe: float  # the same for threat, sexual harassment, identity attack
    support_exclude_coordinated: bool  # coordinated groups never reach Support
    support_check_accusation: bool  # 2nd-person accusation + counter-speech cue: review
    support_check_words: bool  # contempt, unreported accusation, mockery: never in Support
    support_require_cue: bool  # Support needs a support cue in the reply's own words
    support_cue_protects: bool  # a support cue (no accusation, no mockery): never shielded
    inbox_max_abuse: float  # any abusive score at or above: review, not the clear Inbox
    inbox_severe_floor: float  # the same for threat, sexual harassment, identity attack
    shield: dict[str, float]
    review: dict[str, float]
    accounts: AccountSignalRules
    clusters: ClusterRules
    source: str  # path, or "default"
    sha256: str


# key -> (type, lower bound, upper bound); bounds None for booleans.
_SCHEMA: dict[str, dict[str, tuple[type, float | None, float | None]]] = {
    "support": {"min_score": (float, 0.0, 1.0), "protect_score": (float, 0.0, 1.0),
                "max_abuse": (float, 0.0, 1.0), "max_severe": (float, 0.0, 1.0),
                "exclude_coordinated": (bool, None, None),
                "check_accusation": (bool, None, None), "check_words": (bool, None, None),
                "require_cue": (bool, None, None), "cue_protects": (bool, None, None)},
    "inbox": {"max_abuse": (float, 0.0, 1.0), "severe_floor": (float, 0.0, 1.0)},
    "shield": {label: (float, 0.0, 1.0) for label in ABUSIVE_LABELS},
    "review": {label: (float, 0.0, 1.0) for label in ABUSIVE_LABELS},
    "account_signals": {
        "new_account_days": (int, 0, 36500),
        "few_followers": (int, 0, 10**9),
        "few_posts": (int, 0, 10**9),
        "no_avatar": (bool, None, None),
        "signals_needed": (int, 1, 3),
        "shield_discount": (float, 0.0, 1.0),
    },
    "clusters": {
        "min_size": (int, 2, 10**9),
        "abusive_share": (float, 0.0, 1.0),
        "shield_members": (bool, None, None),
    },
}


def default_rules_text() -> str:
    return (resources.files("pileon.triage") / "default_rules.toml").read_text(encoding="utf-8")


def load_rules(path: Path | None = None) -> Rules:
    """The rules in `path`, each missing key taken from the commented defaults."""
    if path is None:
        return parse_rules(default_rules_text(), "default")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError("no such rules file", path=str(path),
                          hint="omit --rules to use the defaults") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the rules file ({exc})", path=str(path)) from exc
    return parse_rules(text, str(path))


def _line_of(text: str, section: str, key: str | None) -> str:
    """'line N' where `key` (inside [section]) is written, for the error message."""
    lines = text.splitlines()
    current = ""
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", stripped)
        if header:
            current = header.group(1)
            if key is None and current == section:
                return f"line {number}"
            continue
        if key is not None and current == section and re.match(
            rf"^\"?{re.escape(key)}\"?\s*=", stripped
        ):
            return f"line {number}"
    return "line ?"


def parse_rules(text: str, source: str) -> Rules:
    try:
        given = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(f"not valid TOML: {exc}", path=source,
                          record=f"line {match.group(1)}" if match else None) from exc
    except ValueError:  # an integer of more than 4,300 digits (Python's own limit)
        raise ConfigError("not a usable rules file: a number has more than 4,300 digits",
                          path=source, hint="thresholds are numbers between 0 and 1") from None
    except RecursionError:
        raise ConfigError("not a usable rules file: values nested too deeply",
                          path=source) from None
    defaults = tomllib.loads(default_rules_text())
    merged: dict[str, dict[str, Any]] = {}
    for section, value in given.items():
        if section == "version":
            if value != 1:
                raise ConfigError(f"version {value!r} is not supported (only 1)", path=source,
                                  record=_line_of(text, "", "version"))
            continue
        if section not in _SCHEMA:
            raise ConfigError(
                f"unknown section or key '{section}'", path=source,
                record=_line_of(text, section, None) if isinstance(value, dict)
                else _line_of(text, "", section),
                hint="known sections: " + ", ".join(sorted(_SCHEMA)))
        if not isinstance(value, dict):
            raise ConfigError(f"'{section}' must be a [section]", path=source,
                              record=_line_of(text, "", section))
        for key, item in value.items():
            _check(section, key, item, text, source)
    for section, keys in _SCHEMA.items():
        merged[section] = {k: given.get(section, {}).get(k, defaults[section][k]) for k in keys}
    for label in ABUSIVE_LABELS:
        if merged["review"][label] > merged["shield"][label]:
            raise ConfigError(
                f"review.{label} ({merged['review'][label]}) is above shield.{label}"
                f" ({merged['shield'][label]})", path=source,
                record=_line_of(text, "review", label), hint="a review threshold must be lower")
    s, a, c = merged["support"], merged["account_signals"], merged["clusters"]
    return Rules(
        support_min=float(s["min_score"]),
        support_protect=float(s["protect_score"]),
        support_max_abuse=float(s["max_abuse"]),
        support_max_severe=float(s["max_severe"]),
        support_exclude_coordinated=bool(s["exclude_coordinated"]),
        support_check_accusation=bool(s["check_accusation"]),
        support_check_words=bool(s["check_words"]),
        support_require_cue=bool(s["require_cue"]),
        support_cue_protects=bool(s["cue_protects"]),
        inbox_max_abuse=float(merged["inbox"]["max_abuse"]),
        inbox_severe_floor=float(merged["inbox"]["severe_floor"]),
        shield={k: float(v) for k, v in merged["shield"].items()},
        review={k: float(v) for k, v in merged["review"].items()},
        accounts=AccountSignalRules(
            AccountSignalConfig(new_account_days=int(a["new_account_days"]),
                                few_followers=int(a["few_followers"]),
                                few_posts=int(a["few_posts"]), no_avatar=bool(a["no_avatar"])),
            int(a["signals_needed"]), float(a["shield_discount"])),
        clusters=ClusterRules(int(c["min_size"]), float(c["abusive_share"]),
                              bool(c["shield_members"])),
        source=source,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _show(value: Any) -> str:
    """A value for an error message, at most 60 characters (a rules file may hold anything)."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        text = f"a {type(value).__name__} too large to show"
    return text if len(text) <= 60 else text[:57] + "..."


def _check(section: str, key: str, value: Any, text: str, source: str) -> None:
    where = _line_of(text, section, key)
    if key not in _SCHEMA[section]:
        known = ", ".join(sorted(_SCHEMA[section]))
        raise ConfigError(f"unknown key '{section}.{key}'", path=source, record=where,
                          hint=f"known keys in [{section}]: {known}")
    kind, low, high = _SCHEMA[section][key]
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok:
        raise ConfigError(f"'{section}.{key}' must be {kind.__name__}, not {_show(value)}",
                          path=source, record=where)
    if low is not None and high is not None and not low <= value <= high:
        raise ConfigError(f"'{section}.{key}' = {_show(value)} is out of range {low}..{high}",
                          path=source, record=where)
