"""A Bluesky moderation list of the selected accounts, made with the atproto SDK: one
`app.bsky.graph.list` record (purpose modlist) and one `app.bsky.graph.listitem` per account,
written to the user's own repository on their PDS with an app password.

The password is used for one login and kept nowhere: not in the database, not in the custody
log, not in any message. A run stopped by a rate limit is resumed with `list_uri`: accounts
already on the list are read back from the repository and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pileon.errors import PileonError
from pileon.export.accounts import SelectedAccount

__all__ = ["DEFAULT_SERVICE", "ListOutcome", "MODLIST", "add_to_moderation_list",
           "valid_did"]

DEFAULT_SERVICE = "https://bsky.social"
MODLIST = "app.bsky.graph.defs#modlist"
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}")


def valid_did(value: str) -> bool:
    return _DID.fullmatch(value) is not None and not value.endswith(":")


@dataclass(frozen=True, slots=True)
class ListOutcome:
    list_uri: str
    created_list: bool
    added: tuple[str, ...]  # DIDs added in this run, in order
    already: int  # accounts that were on the list before this run
    owner_did: str


class _Progress:
    """What has been done so far, so an error can say exactly where it stopped."""

    def __init__(self) -> None:
        self.list_uri: str | None = None
        self.added: list[str] = []


def _fail(exc: Exception, progress: _Progress, service: str, handle: str) -> PileonError:
    from atproto_client import exceptions as at

    done = (f" after adding {len(progress.added)} account(s) to {progress.list_uri}"
            if progress.list_uri else "")
    resume = (f"run the same command again with --list-uri {progress.list_uri}; accounts"
              " already on the list are skipped") if progress.list_uri else None
    if isinstance(exc, at.RateLimitExceededError):
        return PileonError(f"Bluesky's rate limit stopped the list{done}",
                           hint=resume or "wait an hour and run it again")
    if isinstance(exc, at.UnauthorizedError | at.LoginRequiredError) and not progress.list_uri:
        return PileonError(f"{service} refused the login of {handle} ({exc})",
                           hint="use an app password (Bluesky: Settings › Privacy and security"
                                " › App passwords), in PILEON_BSKY_APP_PASSWORD or at the prompt")
    if isinstance(exc, at.NetworkError) and exc.response is None:
        return PileonError(f"cannot reach {service}{done} ({type(exc).__name__})",
                           hint=resume or "check the network and --service-url")
    return PileonError(f"{service} answered with an error{done}: {exc}", hint=resume)


def add_to_moderation_list(
    accounts: Sequence[SelectedAccount], *, handle: str, password: str, name: str,
    description: str, service_url: str = DEFAULT_SERVICE, list_uri: str | None = None,
    on_added: Callable[[SelectedAccount], None] | None = None,
) -> ListOutcome:
    """Create the list (or reuse `list_uri`) and add every account not yet on it."""
    from atproto_client import Client, models
    from atproto_client import exceptions as at

    progress = _Progress()
    client = Client(base_url=service_url)
    try:
        client.login(handle, password, fetch_bsky_profile=False)
        owner = client.com.atproto.server.get_session().did
        created = list_uri is None
        if list_uri is None:
            made = client.app.bsky.graph.list.create(owner, models.AppBskyGraphList.Record(
                name=name, purpose=MODLIST, description=description or None,
                created_at=client.get_current_time_iso()))
            list_uri = str(made.uri)
            existing: set[str] = set()
        else:
            existing = _members(client, owner, list_uri)
        progress.list_uri = list_uri
        for account in accounts:
            if account.account_id in existing:
                continue
            client.app.bsky.graph.listitem.create(owner, models.AppBskyGraphListitem.Record(
                list=list_uri, subject=account.account_id,
                created_at=client.get_current_time_iso()))
            progress.added.append(account.account_id)
            existing.add(account.account_id)
            if on_added is not None:
                on_added(account)
    except at.AtProtocolError as exc:
        raise _fail(exc, progress, service_url, handle) from exc
    already = sum(1 for a in accounts if a.account_id not in progress.added)
    return ListOutcome(list_uri, created, tuple(progress.added), already, owner)


def _members(client: Any, owner: str, list_uri: str) -> set[str]:
    """DIDs already on `list_uri`, read from the owner's own repository (no AppView needed)."""
    found: set[str] = set()
    cursor: str | None = None
    while True:
        page = client.app.bsky.graph.listitem.list(owner, cursor=cursor, limit=100)
        found.update(str(r.subject) for r in page.records.values() if str(r.list) == list_uri)
        if not page.cursor or not page.records or page.cursor == cursor:
            return found
        cursor = page.cursor
