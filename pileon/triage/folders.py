"""Deciding a post's folder from its scores, its author's signals and its cluster: pure functions.

`choose_folder` looks at one post; `apply_cluster_rule` then looks at whole coordinated clusters.
Both return a FolderChoice saying which rule decided and with which numbers, for `--explain`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pileon.records import ABUSIVE_LABELS, LABELS
from pileon.triage.rules import Rules

__all__ = ["FOLDERS", "AccountFacts", "FolderChoice", "PostFacts", "account_signals",
           "apply_cluster_rule", "choose_folder"]

#: The four folders, in the order the UI shows them.
FOLDERS: tuple[str, ...] = ("support", "inbox", "review", "shielded")
_ABUSE_ORDER = [label for label in LABELS if label in ABUSIVE_LABELS]


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the store knows of a reply's author; None means the platform did not say."""

    created_at: datetime | None
    followers_count: int | None
    has_avatar: bool | None
    coordinated: bool = False  # flagged by `pileon coordination`


@dataclass(frozen=True, slots=True)
class PostFacts:
    platform: str
    post_id: str
    created_at: datetime | None
    lang: str | None
    labels: tuple[str, ...]
    scores: Mapping[str, float] | None  # None: not analysed yet
    signals: tuple[str, ...] = ()
    cluster_id: str | None = None


@dataclass(frozen=True, slots=True)
class FolderChoice:
    folder: str
    rule: str
    category: str | None
    explain: Mapping[str, Any] = field(default_factory=dict)


def account_signals(account: AccountFacts | None, posted_at: datetime | None,
                    rules: Rules) -> tuple[str, ...]:
    """The Block-Party-style signals an author shows; unknown fields give no signal."""
    if account is None:
        return ()
    found = []
    if account.created_at is not None and posted_at is not None:
        age_days = (posted_at - account.created_at).total_seconds() / 86400
        if age_days < rules.accounts.new_account_days:
            found.append("new_account")
    if rules.accounts.no_avatar and account.has_avatar is False:
        found.append("no_avatar")
    if account.followers_count is not None and account.followers_count < rules.accounts.few_followers:
        found.append("few_followers")
    if account.coordinated:
        found.append("coordinated")
    return tuple(found)


def _is_throwaway(signals: Sequence[str], rules: Rules) -> bool:
    counted = [s for s in signals if s in ("new_account", "no_avatar", "few_followers")]
    return len(counted) >= rules.accounts.signals_needed


def choose_folder(post: PostFacts, rules: Rules) -> FolderChoice:
    """The folder one post goes to, before looking at clusters."""
    if post.scores is None:
        return FolderChoice("review", "not_analysed", None,
                            {"why": "no classifier scores yet: run `pileon analyze`"})
    scores = post.scores
    throwaway = _is_throwaway(post.signals, rules)
    discount = rules.accounts.shield_discount if throwaway else 0.0
    supportive = float(scores.get("supportive", 0.0))
    # One pass over the abusive categories (this runs for every reply: keep it lean).
    abuse: dict[str, float] = {}
    over_shield: list[tuple[float, int, str]] = []
    over_review: list[tuple[float, int, str]] = []
    for order, label in enumerate(_ABUSE_ORDER):
        value = float(scores.get(label, 0.0))
        if value >= 0.05:
            abuse[label] = round(value, 3)
        if value >= rules.shield[label] - discount:
            over_shield.append((value - rules.shield[label], -order, label))
        elif value >= rules.review[label]:
            over_review.append((value - rules.review[label], -order, label))
    explain: dict[str, Any] = {
        "supportive": round(supportive, 3),
        "abuse": abuse,
        "signals": list(post.signals),
        "throwaway_account": throwaway,
        "shield_discount": discount,
    }
    if over_shield:
        top = max(over_shield)[2]  # furthest over its threshold; ties: the earlier category
        explain["threshold"] = round(rules.shield[top] - discount, 3)
        if supportive >= rules.support_protect:
            return FolderChoice("review", "shield_but_supportive", top, explain)
        rule = "shield_threshold_throwaway" if discount and scores.get(top, 0.0) < \
            rules.shield[top] else "shield_threshold"
        return FolderChoice("shielded", rule, top, explain)
    if over_review:
        top = max(over_review)[2]
        explain["threshold"] = rules.review[top]
        return FolderChoice("review", "review_threshold", top, explain)
    if supportive >= rules.support_min:
        doubt = max(abuse.items(), key=lambda kv: kv[1], default=None)
        if doubt is not None and doubt[1] >= rules.support_max_abuse:
            explain["threshold"] = rules.support_max_abuse
            return FolderChoice("review", "supportive_with_doubt", doubt[0], explain)
        explain["threshold"] = rules.support_min
        return FolderChoice("support", "supportive", None, explain)
    return FolderChoice("inbox", "default", None, explain)


def apply_cluster_rule(
    choices: Mapping[tuple[str, str], FolderChoice],
    clusters: Mapping[str, Sequence[tuple[str, str]]],
    rules: Rules,
) -> dict[tuple[str, str], FolderChoice]:
    """Moves the rest of a mostly-abusive coordinated cluster to review or shielded.

    Supportive replies are never moved by this rule: a wave of copied kindness stays kind.
    """
    changed: dict[tuple[str, str], FolderChoice] = {}
    target = "shielded" if rules.clusters.shield_members else "review"
    for cluster_id, members in clusters.items():
        present = [m for m in members if m in choices]
        if len(present) < rules.clusters.min_size:
            continue
        shielded = [m for m in present if choices[m].folder == "shielded"]
        share = len(shielded) / len(present)
        if share < rules.clusters.abusive_share:
            continue
        categories = [choices[m].category for m in shielded if choices[m].category]
        category = max(set(categories), key=categories.count) if categories else None
        for member in present:
            choice = choices[member]
            if choice.folder in ("shielded", "support") or choice.rule == "not_analysed":
                continue
            if float(choice.explain.get("supportive", 0.0)) >= rules.support_min:
                continue
            explain = dict(choice.explain)
            explain["cluster"] = {"id": cluster_id, "size": len(present),
                                  "shielded_share": round(share, 3)}
            changed[member] = replace(choice, folder=target, rule="coordinated_cluster",
                                      category=choice.category or category, explain=explain)
    return changed
