"""The built-in exporters, registered through the same hook a third-party plugin uses.

Imported inside the hook, so that commands which never export (ingest, analyze...) do not load
warcio and py-wacz.
"""

from __future__ import annotations

from collections.abc import Sequence

from pileon.hookspecs import Exporter, hookimpl

__all__ = ["register_exporters"]


@hookimpl
def register_exporters() -> Sequence[Exporter]:
    from pileon.export.bluesky_file import BlueskyListExporter
    from pileon.export.mastodon import MastodonBlocksExporter, MastodonMutesExporter
    from pileon.export.tabular import CsvExporter, JsonlExporter
    from pileon.export.wacz import WaczExporter
    from pileon.export.warc import WarcExporter
    from pileon.export.x_ids import XIdsExporter

    return [CsvExporter(), JsonlExporter(), MastodonBlocksExporter(), MastodonMutesExporter(),
            BlueskyListExporter(), XIdsExporter(), WarcExporter(), WaczExporter()]
