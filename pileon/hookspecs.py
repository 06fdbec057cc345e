"""pluggy hook specifications: how built-in and third-party plugins add sources, classifiers
and exporters. Built-ins register through exactly these hooks (see plugins.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pluggy

from pileon.records import SourceBatch

if TYPE_CHECKING:  # the export stage's own types; hookspecs imports no stage at run time
    from pileon.export.selection import ExportResult, ExportSelection

__all__ = ["Classifier", "Exporter", "Source", "hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("pileon")
hookimpl = pluggy.HookimplMarker("pileon")


@runtime_checkable
class Source(Protocol):
    """A file format adapter: recognises a file and turns it into raw payloads + records."""

    name: str  # "x", "bluesky", "mastodon", "csv", "jsonl"
    version: str

    def sniff(self, head: bytes, path: Path) -> float:
        """Confidence 0..1 that the file starting with `head` is this format."""
        ...

    def read(self, path: Path, options: dict[str, Any]) -> Iterator[SourceBatch]:
        """Stream the file as batches, one per raw payload (page, line or record).

        Must not hold the whole file in memory: a 2 GB input is streamed.
        """
        ...


@runtime_checkable
class Classifier(Protocol):
    """A classifier backend: labels a batch of texts (pure; the store stays at the edge).

    Registering one must be cheap: load weights on first use (`version` may read metadata)."""

    name: str

    @property
    def version(self) -> str:
        ...

    def classify(self, texts: Sequence[str]) -> list[Any]:
        ...


@runtime_checkable
class Exporter(Protocol):
    """Writes a selection of posts in some format (CSV, block lists, WARC...).

    It gets the selection, not a list of rows: the selection streams its posts (100k posts are
    never all in memory) and also yields the raw payloads behind them, which a WARC needs and a
    list of post rows cannot give. `out` is the file to write; a format that must split its
    output (Mastodon's 20,000-row import limit) writes `out` or numbered siblings of it, and
    returns every file it wrote. It writes into a temporary folder chosen by the caller, who
    moves the files into place only when all of them are complete.
    """

    name: str  # the --format value: "csv", "mastodon-blocks", "warc"
    suffix: str  # the default file extension: ".csv", ".warc.gz"
    description: str  # one line for `pileon export --help` and the "unknown format" error

    def export(self, selection: ExportSelection, out: Path,
               options: Mapping[str, Any]) -> ExportResult:
        ...


@hookspec
def register_sources() -> Sequence[Source]:  # type: ignore[empty-body]
    """Return the file-format adapters this plugin provides."""


@hookspec
def register_classifiers() -> Sequence[Classifier]:  # type: ignore[empty-body]
    """Return the classifier backends this plugin provides."""


@hookspec
def register_exporters() -> Sequence[Exporter]:  # type: ignore[empty-body]
    """Return the exporters this plugin provides."""
