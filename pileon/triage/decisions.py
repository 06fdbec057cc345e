"""What the user's decisions mean: which actions exist and which folder they put a post in.

Decisions are append-only. An `undo` names a batch; every decision of an undone batch is
ignored, so undo never deletes anything. The last effective folder decision wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pileon.errors import ConfigError
from pileon.triage.folders import FOLDERS

__all__ = ["ACTIONS", "FOLDER_ACTIONS", "StoredDecision", "check_action", "effective_folder",
           "undone_batches"]

#: Every action a user can take. Folder actions change where a post is shown.
ACTIONS: tuple[str, ...] = ("move", "mark_abuse", "mark_not_abuse", "mark_supportive", "note",
                            "block", "evidence", "undo")
FOLDER_ACTIONS: frozenset[str] = frozenset({"move", "mark_abuse", "mark_not_abuse",
                                            "mark_supportive"})


@dataclass(frozen=True, slots=True)
class StoredDecision:
    id: int
    batch: str
    platform: str
    post_id: str
    action: str
    value: str | None
    reason: str | None
    decided_at: str
    via: str


def check_action(action: str, value: str | None) -> None:
    if action not in ACTIONS:
        raise ConfigError(f"unknown action {action!r}", hint="one of: " + ", ".join(ACTIONS))
    if action == "move" and value not in FOLDERS:
        raise ConfigError(f"cannot move to {value!r}", hint="folders: " + ", ".join(FOLDERS))
    if action in ("note", "undo") and not value:
        raise ConfigError(f"{action} needs a value")


def undone_batches(decisions: Iterable[StoredDecision]) -> set[str]:
    return {d.value for d in decisions if d.action == "undo" and d.value}


def effective_folder(decisions: Iterable[StoredDecision], model_folder: str,
                     undone: set[str]) -> str | None:
    """The folder the user's decisions put a post in, or None when they never moved it.

    `decisions` must be in the order they were made.
    """
    folder: str | None = None
    for d in decisions:
        if d.batch in undone or d.action not in FOLDER_ACTIONS:
            continue
        if d.action == "move":
            folder = d.value
        elif d.action == "mark_abuse":
            folder = "shielded"
        elif d.action == "mark_supportive":
            folder = "support"
        elif d.action == "mark_not_abuse":
            base = folder or model_folder
            folder = base if base in ("support", "inbox") else "inbox"
    return folder
