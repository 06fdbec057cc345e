"""Account signals in the spirit of Block Party's filters, and a per-account coordination
score with its reasons. A signal the platform's payload does not carry is None ("unknown"),
never False, and an unknown signal neither raises nor lowers the profile score.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pileon.coordinate.results import AccountSignals, CoordinationParams
from pileon.records import Account

__all__ = ["BEHAVIOUR_WEIGHTS", "PROFILE_WEIGHTS", "AccountActivity", "account_signals",
           "numbered_handle", "profile_signals", "profile_score"]

#: What the account looks like (from the platform's profile fields).
PROFILE_WEIGHTS: dict[str, float] = {
    "new_account": 2.0,
    "no_avatar": 1.0,
    "numbered_handle": 1.0,
    "few_followers": 1.0,
    "few_posts": 1.0,
}
#: What the account did in this thread. Replying often to a viral post and posting in several
#: near-duplicate clusters (stock replies, slogans) are reported as context, weight 0: heavy
#: organic repliers do both. Only membership of a coordinated group counts.
BEHAVIOUR_WEIGHTS: dict[str, float] = {
    "many_replies": 0.0,
    "several_clusters": 0.0,
    "coordinated_group": 2.0,
}

_DIGITS_AT_END = re.compile(r"\d{4,}$")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class AccountActivity:
    """What one account did in the thread, counted by the caller from the posts."""

    replies: int
    clusters: int  # near-duplicate clusters (of at least min_group_size posts) it posted in
    coordinated_groups: int


def numbered_handle(handle: str | None) -> bool | None:
    """True for default-looking handles: the local part ends in 4+ digits or holds 6+ digits."""
    if not handle:
        return None
    # "@name@instance" (Mastodon) and "name.bsky.social" (Bluesky): the first label counts.
    local = handle.lstrip("@").split("@")[0].split(".")[0]
    digits = len(_DIGIT.findall(local))
    return bool(_DIGITS_AT_END.search(local)) or digits >= 6


def profile_signals(account: Account | None, reference: datetime | None,
                    params: CoordinationParams) -> dict[str, bool | None]:
    """The profile signals of one account; all None when we have no profile at all."""
    if account is None:
        return dict.fromkeys(PROFILE_WEIGHTS)
    new: bool | None = None
    if account.created_at is not None and reference is not None:
        age_days = (reference - account.created_at).total_seconds() / 86400
        new = age_days <= params.new_account_days  # created after the post counts too
    return {
        "new_account": new,
        "no_avatar": None if account.has_avatar is None else not account.has_avatar,
        "numbered_handle": numbered_handle(account.handle),
        "few_followers": None if account.followers_count is None
        else account.followers_count < params.few_followers,
        "few_posts": None if account.posts_count is None
        else account.posts_count < params.few_posts,
    }


def profile_score(signals: Mapping[str, bool | None]) -> float | None:
    """Weight of true profile signals over the weight of the KNOWN ones; None if none known."""
    known = [(name, value) for name, value in signals.items()
             if name in PROFILE_WEIGHTS and value is not None]
    if not known:
        return None
    total = sum(PROFILE_WEIGHTS[name] for name, _ in known)
    return sum(PROFILE_WEIGHTS[name] for name, value in known if value) / total


def _reasons(account: Account | None, signals: Mapping[str, bool | None],
             activity: AccountActivity, reference: datetime | None) -> tuple[str, ...]:
    reasons = []
    if signals.get("new_account") and account and account.created_at and reference:
        days = (reference - account.created_at).total_seconds() / 86400
        reasons.append(f"account created {abs(days):.0f} days {'before' if days >= 0 else 'after'}"
                       " the post")
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
                    reference: datetime | None, params: CoordinationParams, *,
                    profile: Mapping[str, bool | None] | None = None,
                    component: int | None = None) -> AccountSignals:
    """All signals of one account, its score (0..1, unknowns count as not shown) and reasons.
    `profile` passes profile signals the caller already computed."""
    signals = dict(profile) if profile is not None else profile_signals(account, reference,
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
        reasons=_reasons(account, signals, activity, reference),
        replies=activity.replies,
        clusters=activity.clusters,
        component=component,
    )
