"""Account signals in the spirit of Block Party's filters, and a per-account coordination
score with its reasons. A signal the platform's payload does not carry is None ("unknown"),
never False, and an unknown signal neither raises nor lowers the profile score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pileon.coordinate.results import AccountSignals, CoordinationParams
from pileon.coordinate.signals import PROFILE_SIGNALS, numbered_handle
from pileon.coordinate.signals import profile_signals as shared_signals
from pileon.records import Account

__all__ = ["BEHAVIOUR_WEIGHTS", "PROFILE_WEIGHTS", "AccountActivity", "account_signals",
           "numbered_handle", "profile_signals", "profile_score"]

#: What the account looks like (from the platform's profile fields).
PROFILE_WEIGHTS: dict[str, float] = dict(zip(PROFILE_SIGNALS, (2.0, 1.0, 1.0, 1.0, 1.0),
                                             strict=True))
#: What the account did in this thread. Replying often to a viral post and posting in several
#: near-duplicate clusters (stock replies, slogans) are reported as context, weight 0: heavy
#: organic repliers do both. Only membership of a coordinated group counts.
BEHAVIOUR_WEIGHTS: dict[str, float] = {
    "many_replies": 0.0,
    "several_clusters": 0.0,
    "coordinated_group": 2.0,
}


@dataclass(frozen=True, slots=True)
class AccountActivity:
    """What one account did in the thread, counted by the caller from the posts."""

    replies: int
    clusters: int  # near-duplicate clusters (of at least min_group_size posts) it posted in
    coordinated_groups: int


def profile_signals(account: Account | None, posted_at: datetime | None,
                    params: CoordinationParams) -> dict[str, bool | None]:
    """The profile signals of one account (coordinate/signals.py, shared with triage), judged
    at `posted_at` (its first dated post in the thread); all None without a profile."""
    if account is None:
        return dict.fromkeys(PROFILE_WEIGHTS)
    return shared_signals(params.account_signal_config(), posted_at=posted_at,
                          created_at=account.created_at, has_avatar=account.has_avatar,
                          handle=account.handle, followers=account.followers_count,
                          posts=account.posts_count)


def profile_score(signals: Mapping[str, bool | None]) -> float | None:
    """Weight of true profile signals over the weight of the KNOWN ones; None if none known."""
    known = [(name, value) for name, value in signals.items()
             if name in PROFILE_WEIGHTS and value is not None]
    if not known:
        return None
    total = sum(PROFILE_WEIGHTS[name] for name, _ in known)
    return sum(PROFILE_WEIGHTS[name] for name, value in known if value) / total


def _reasons(account: Account | None, signals: Mapping[str, bool | None],
             activity: AccountActivity, posted_at: datetime | None) -> tuple[str, ...]:
    reasons = []
    if signals.get("new_account") and account and account.created_at and posted_at:
        days = (posted_at - account.created_at).total_seconds() / 86400
        reasons.append(f"account created {abs(days):.0f} days {'before' if days >= 0 else 'after'}"
                       " its first post here")
    if signals.get("no_avatar"):
        reasons.append("no avatar")
    if signals.get("numbered_handle") and account:
        reasons.append(f"numbered handle ({account.handle})")
    if signals.get("few_followers") and account:
        reasons.append(f"{account.followers_count} followers")
    if signals.get("few_posts") and account:
        reasons.append(f"{account.posts_count} posts in total")
    if signals.get("many_replies"):
        reasons.append(f"{activity.replies} replies to this thread (context, not counted)")
    if signals.get("several_clusters"):
        reasons.append(f"posted in {activity.clusters} near-duplicate clusters (context, not "
                       "counted)")
    if signals.get("coordinated_group"):
        reasons.append(f"member of {activity.coordinated_groups} coordinated group(s)")
    unknown = [name for name, value in signals.items() if value is None]
    if unknown:
        reasons.append("unknown (not in the payload): " + ", ".join(unknown))
    return tuple(reasons)


def account_signals(key: str, account: Account | None, activity: AccountActivity,
                    posted_at: datetime | None, params: CoordinationParams, *,
                    profile: Mapping[str, bool | None] | None = None,
                    component: int | None = None) -> AccountSignals:
    """All signals of one account, its score (0..1, unknowns count as not shown) and reasons.
    `posted_at` is the account's first dated post in the thread; `profile` passes profile
    signals the caller already computed."""
    signals = dict(profile) if profile is not None else profile_signals(account, posted_at,
                                                                         params)
    signals["many_replies"] = activity.replies >= params.many_replies
    signals["several_clusters"] = activity.clusters >= 2
    signals["coordinated_group"] = activity.coordinated_groups > 0
    weights = PROFILE_WEIGHTS | BEHAVIOUR_WEIGHTS
    score = sum(weights[name] for name, value in signals.items() if value) / sum(weights.values())
    platform, _, account_id = key.partition(":")
    return AccountSignals(
        platform=platform,
        account_id=account_id,
        handle=account.handle if account else None,
        signals=signals,
        score=round(score, 4),
        profile_score=profile_score(signals),
        reasons=_reasons(account, signals, activity, posted_at),
        replies=activity.replies,
        clusters=activity.clusters,
        component=component,
    )
