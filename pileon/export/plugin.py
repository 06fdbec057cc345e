"""The built-in exporters, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

from collections.abc import Sequence

from pileon.export.bluesky_file import BlueskyListExporter
from pileon.export.mastodon import MastodonBlocksExporter, MastodonMutesExporter
from pileon.export.tabular import CsvExporter, JsonlExporter
from pileon.export.wacz import WaczExporter
from pileon.export.warc import WarcExporter
from pileon.export.x_ids import XIdsExporter
from pileon.hookspecs import Exporter, hookimpl

__all__ = ["register_exporters"]


@hookimpl
def register_exporters() -> Sequence[Exporter]:
    return [CsvExporter(), JsonlExporter(), MastodonBlocksExporter(), MastodonMutesExporter(),
            BlueskyListExporter(), XIdsExporter(), WarcExporter(), WaczExporter()]
