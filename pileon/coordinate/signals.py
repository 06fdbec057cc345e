"""Account profile signals, defined ONCE for the coordination stage and the triage rules.

Both `pileon coordination` (coordinate/accounts.py: per-account signals and score) and
`pileon triage` (triage/folders.py: throwaway accounts) call `profile_signals` with one
`AccountSignalConfig`. The triage rules file's `[account_signals]` section is that config
(`pileon run` and `pileon coordination --rules FILE` pass it to the coordination stage too);
without a file both use `AccountSignalConfig()`'s defaults, which default_rules.toml repeats
(a test checks they agree).

The definitions, in words:
- new_account: the account was created FEWER than `new_account_days` days before it posted,
  or after it posted (a clock or a platform that backdates). Judged at each post for triage;
  for an account in coordination, at its first dated post in the thread. Unknown without a
  creation date or without a post time.
- no_avatar: the platform says default/no avatar (only when `no_avatar` is on). Unknown when
  the payload has no avatar field.
- numbered_handle: the handle's local part ends in 4+ digits or holds 6+ digits. Unknown
  without a handle.
- few_followers: FEWER than `few_followers` followers. Unknown without a follower count.
- few_posts: FEWER than `few_posts` posts in total. Unknown without a post count.
A signal the payload does not carry is None ("unknown"), never False.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

__all__ = ["DEFAULT_ACCOUNT_SIGNALS", "PROFILE_SIGNALS", "AccountSignalConfig", "numbered_handle",
           "profile_signals"]

#: The profile signals, in the order they are reported.
PROFILE_SIGNALS: tuple[str, ...] = ("new_account", "no_avatar", "numbered_handle",
                                    "few_followers", "few_posts")

_DIGITS_AT_END = re.compile(r"\d{4,}$")
_DIGIT = re.compile(r"\d")
_DAY_S = 86400


@dataclass(frozen=True, slots=True)
class AccountSignalConfig:
    """The thresholds of the profile signals (see the module docstring for their meaning)."""

    new_account_days: int = 30
    few_followers: int = 10
    few_posts: int = 20
    no_avatar: bool = True


DEFAULT_ACCOUNT_SIGNALS = AccountSignalConfig()


def numbered_handle(handle: str | None) -> bool | None:
    """True for default-looking handles: the local part ends in 4+ digits or holds 6+ digits."""
    if not handle:
        return None
    # "@name@instance" (Mastodon) and "name.bsky.social" (Bluesky): the first label counts.
    local = handle.lstrip("@").split("@")[0].split(".")[0]
    digits = len(_DIGIT.findall(local))
    return bool(_DIGITS_AT_END.search(local)) or digits >= 6


def new_account(created_at: datetime | None, posted_at: datetime | None,
                config: AccountSignalConfig) -> bool | None:
    """Created fewer than `new_account_days` days before `posted_at` (or after it)."""
    if created_at is None or posted_at is None:
        return None
    return (posted_at - created_at).total_seconds() < config.new_account_days * _DAY_S


def profile_signals(config: AccountSignalConfig, *, posted_at: datetime | None,
                    created_at: datetime | None = None, has_avatar: bool | None = None,
                    handle: str | None = None, followers: int | None = None,
                    posts: int | None = None) -> dict[str, bool | None]:
    """Every profile signal of one account at `posted_at`; None where the field is unknown."""
    return {
        "new_account": new_account(created_at, posted_at, config),
        "no_avatar": None if has_avatar is None or not config.no_avatar else not has_avatar,
        "numbered_handle": numbered_handle(handle),
        "few_followers": None if followers is None else followers < config.few_followers,
        "few_posts": None if posts is None else posts < config.few_posts,
    }
