"""The built-in file adapters, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

from collections.abc import Sequence

from pileon.hookspecs import Source, hookimpl
from pileon.ingest.bluesky import BlueskySource
from pileon.ingest.har import HarSource
from pileon.ingest.mastodon import MastodonSource
from pileon.ingest.tabular import CsvSource, JsonlSource
from pileon.ingest.x import XSource
from pileon.ingest.xarchive import XArchiveSource
from pileon.ingest.xweb import XGraphQLSource
from pileon.ingest.zeeschuimer import ZeeschuimerSource

__all__ = ["register_sources"]


@hookimpl
def register_sources() -> Sequence[Source]:
    return [
        XSource(),
        HarSource(),
        ZeeschuimerSource(),
        XGraphQLSource(),
        XArchiveSource(),
        BlueskySource(),
        MastodonSource(),
        CsvSource(),
        JsonlSource(),
    ]
