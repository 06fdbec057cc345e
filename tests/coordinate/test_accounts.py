"""Account signals: unknown stays unknown, and the reasons say what was seen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pileon.coordinate.accounts import (
    AccountActivity,
    account_signals,
    numbered_handle,
    profile_score,
    profile_signals,
)
from pileon.coordinate.results import CoordinationParams
from pileon.records import Account

from .planted import ROOT_AT

PARAMS = CoordinationParams()


@pytest.mark.parametrize(("handle", "numbered"), [
    ("user84720193", True), ("Aysel19283746", True), ("@ali2024x@mastodon.social", False),
    ("nargiz.bsky.social", False), ("bot88213344.bsky.social", True), ("mira", False),
    (None, None),
])
def test_numbered_handles(handle: str | None, numbered: bool | None) -> None:
    assert numbered_handle(handle) is numbered


def test_missing_profile_fields_are_unknown_not_false() -> None:
    bare = Account(platform="bluesky", id="did:plc:x", handle="mira.bsky.social")
    signals = profile_signals(bare, ROOT_AT, PARAMS)
    assert signals["no_avatar"] is None and signals["few_followers"] is None
    assert signals["new_account"] is None and signals["numbered_handle"] is False
    assert profile_score(signals) == 0.0  # only the handle is known, and it is ordinary
    assert profile_score(profile_signals(None, ROOT_AT, PARAMS)) is None


def test_fresh_faceless_account_scores_high_with_reasons() -> None:
    fresh = Account(platform="x", id="1", handle="user84720193",
                    created_at=ROOT_AT - timedelta(days=2), followers_count=0, posts_count=3,
                    has_avatar=False)
    result = account_signals("x:1", fresh, AccountActivity(replies=7, clusters=3,
                                                           coordinated_groups=1), ROOT_AT, PARAMS)
    assert result.score == 1.0 and result.profile_score == 1.0
    text = " | ".join(result.reasons)
    assert "created 2 days before" in text and "no avatar" in text
    assert "7 replies" in text and "3 near-duplicate clusters" in text


def test_established_account_scores_low_and_lists_its_unknowns() -> None:
    old = Account(platform="x", id="2", handle="aysel_m",
                  created_at=ROOT_AT - timedelta(days=3000), has_avatar=True)
    result = account_signals("x:2", old, AccountActivity(1, 0, 0), ROOT_AT, PARAMS)
    assert result.score == 0.0
    assert result.reasons == ("unknown (not in the payload): few_followers, few_posts",)
