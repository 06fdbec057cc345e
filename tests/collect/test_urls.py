"""Post URLs of the three platforms, and a clear error listing the forms for anything else."""

from __future__ import annotations

import pytest

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
