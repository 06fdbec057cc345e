"""The distinct accounts behind a selection of posts, on one platform, for the block lists.

Accounts are keyed on the platform's own id (a DID, a numeric id), never on the handle, so an
account that changed its handle mid-thread is listed once. The thread's own author is never
listed: nobody wants to block themselves. Nor is anyone who is not clearly abusive: an account
is listed only when it has a post in Shielded (or one the user marked abusive) and no
supportive post, so a supporter whose counter-speech was misread is never blocked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pileon.export.selection import ExportSelection
from pileon.store.triage import blockable_accounts, thread_context

__all__ = ["SelectedAccount", "selected_accounts"]


@dataclass(frozen=True, slots=True)
class SelectedAccount:
    platform: str
    account_id: str
    handle: str | None
    account_url: str | None
    post_url: str | None  # the first selected post's URL (a local handle's instance is in it)
    posts: int  # selected posts by this account


def selected_accounts(selection: ExportSelection, platform: str
                      ) -> tuple[list[SelectedAccount], Counter[str]]:
    """Accounts on `platform` in order of their first selected post, and skipped posts by reason."""
    yourself = thread_context(selection.conn).authors
    abusive, supporters = blockable_accounts(selection.conn, selection.run_id)
    found: dict[str, SelectedAccount] = {}
    skipped: Counter[str] = Counter()
    for post in selection.posts():
        if post.platform != platform:
            skipped[f"posts on {post.platform}, not {platform}"] += 1
            continue
        if not post.author_id:
            skipped["posts with no known author"] += 1
            continue
        if (post.platform, post.author_id) in yourself:
            skipped["posts by the thread's author (you)"] += 1
            continue
        if (post.platform, post.author_id) in supporters:
            skipped["posts by accounts that also wrote supportive replies"] += 1
            continue
        if (post.platform, post.author_id) not in abusive:
            skipped["posts by accounts with nothing in Shielded"] += 1
            continue
        seen = found.get(post.author_id)
        if seen is None:
            found[post.author_id] = SelectedAccount(
                platform, post.author_id, post.author_handle, post.author_url, post.url, 1)
        else:
            found[post.author_id] = SelectedAccount(
                platform, seen.account_id, seen.handle or post.author_handle,
                seen.account_url or post.author_url, seen.post_url or post.url, seen.posts + 1)
    return list(found.values()), skipped
