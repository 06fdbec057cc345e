"""Post URLs of the three platforms, and a clear error listing the forms for anything else
(examples, and hypothesis properties: every well-formed address round-trips, any text is
either a post or that one error)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pileon.collect.urls import SUPPORTED_FORMS, PostRef, parse_post_url
from pileon.errors import CollectError


@pytest.mark.parametrize(("url", "expected"), [
    ("https://bsky.app/profile/alice.example/post/3k2yihcrp6f2c",
     PostRef("bluesky", "3k2yihcrp6f2c", "alice.example")),
    ("bsky.app/profile/did:plc:ewvi7nxzyoun6zhxrhs64oiz/post/3k2yihcrp6f2c?ref=share",
     PostRef("bluesky", "3k2yihcrp6f2c", "did:plc:ewvi7nxzyoun6zhxrhs64oiz")),
    ("at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k2yihcrp6f2c",
     PostRef("bluesky", "3k2yihcrp6f2c", "did:plc:ewvi7nxzyoun6zhxrhs64oiz")),
    ("https://mastodon.social/@alice/1122334455",
     PostRef("mastodon", "1122334455", "alice", "mastodon.social")),
    ("https://mastodon.social/@anna@social.example/1122334455",
     PostRef("mastodon", "1122334455", "anna@social.example", "mastodon.social")),
    ("https://social.example:8443/users/anna/statuses/1122334455",
     PostRef("mastodon", "1122334455", "anna", "social.example:8443")),
    ("https://x.com/alice/status/1790000000000000000?s=20",
     PostRef("x", "1790000000000000000", "alice")),
    ("https://mobile.twitter.com/alice/status/1790000000000000000/photo/1",
     PostRef("x", "1790000000000000000", "alice")),
    ("https://x.com/i/web/status/1790000000000000000", PostRef("x", "1790000000000000000", None)),
])
def test_supported_forms(url: str, expected: PostRef) -> None:
    ref = parse_post_url(url)
    assert (ref.platform, ref.post_id, ref.author, ref.server) == (
        expected.platform, expected.post_id, expected.author, expected.server)


@pytest.mark.parametrize("url", [
    "https://example.com/some/page",
    "https://bsky.app/profile/alice.example",
    "https://x.com/alice",
    "ftp://x.com/alice/status/1",
    "not a url at all",
    "at://did:plc:abc/app.bsky.feed.like/3k2yihcrp6f2c",
])
def test_unknown_forms_list_what_is_supported(url: str) -> None:
    with pytest.raises(CollectError) as caught:
        parse_post_url(url)
    message = str(caught.value)
    assert repr(url) in message and "\n" not in message
    assert all(form in message for form in SUPPORTED_FORMS)

_TID = st.text("234567abcdefghijklmnopqrstuvwxyz", min_size=12, max_size=12).map(lambda s: "3" + s)
_HANDLE = st.from_regex(r"[a-z][a-z0-9-]{0,20}\.[a-z]{2,6}", fullmatch=True)
_IDS = st.integers(min_value=1, max_value=2**63 - 1).map(str)
_USER = st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True)


@given(handle=_HANDLE, rkey=_TID)
def test_any_bluesky_address_round_trips(handle: str, rkey: str) -> None:
    ref = parse_post_url(f"https://bsky.app/profile/{handle}/post/{rkey}")
    assert (ref.platform, ref.author, ref.post_id) == ("bluesky", handle, rkey)


@given(user=_USER, post_id=_IDS, host=st.sampled_from(["x.com", "twitter.com", "mobile.twitter.com"]))
def test_any_x_address_round_trips(user: str, post_id: str, host: str) -> None:
    ref = parse_post_url(f"https://{host}/{user}/status/{post_id}?s=20")
    assert (ref.platform, ref.post_id) == ("x", post_id)


@given(host=_HANDLE, user=_USER, post_id=_IDS)
def test_any_mastodon_address_round_trips(host: str, user: str, post_id: str) -> None:
    ref = parse_post_url(f"https://{host}/@{user}/{post_id}")
    assert (ref.platform, ref.server, ref.post_id) == ("mastodon", host, post_id)


@given(st.text(max_size=200))
def test_any_text_is_a_post_or_one_clear_error(text: str) -> None:
    try:
        ref = parse_post_url(text)
    except CollectError as exc:
        assert "pileon understands" in str(exc)
    else:
        assert ref.platform in ("bluesky", "mastodon", "x") and ref.post_id
