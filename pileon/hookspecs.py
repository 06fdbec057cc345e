"""pluggy hook specifications: how built-in and third-party plugins add sources, classifiers
and exporters. Built-ins register through exactly these hooks (see plugins.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pluggy

from pileon.records import SourceBatch

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
    """A classifier backend: labels a batch of texts (pure; the store stays at the edge)."""

    name: str
    version: str

    def classify(self, texts: Sequence[str]) -> list[Any]:
        ...


@runtime_checkable
class Exporter(Protocol):
    """Writes a selection of posts in some format (CSV, block lists, WARC...)."""

    name: str

    def export(self, rows: Sequence[Any], out: Path, options: dict[str, Any]) -> list[Path]:
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
