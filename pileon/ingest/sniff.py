"""Choosing an adapter for a file: each registered source scores the file's first bytes."""

from __future__ import annotations

from pathlib import Path

from pileon.errors import FormatError, InputFileError
from pileon.hookspecs import Source

__all__ = ["HEAD_BYTES", "choose_source", "read_head"]

HEAD_BYTES = 256 * 1024


def read_head(path: Path) -> bytes:
    if not path.exists():
        raise InputFileError("no such file", path=str(path), hint="check the path")
    if path.is_dir():
        raise InputFileError("is a directory, not a file", path=str(path))
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise InputFileError(f"cannot read ({exc.strerror})", path=str(path)) from exc
    if not head.strip():
        raise InputFileError("file is empty", path=str(path), hint="nothing to ingest")
    return head


def choose_source(path: Path, sources: dict[str, Source], fmt: str = "auto") -> Source:
    """The forced format, or the adapter most confident about the file's first bytes."""
    if fmt != "auto" and fmt not in sources:
        raise FormatError(
            f"unknown format {fmt!r}",
            path=str(path),
            hint="choose one of: auto, " + ", ".join(sorted(sources)),
        )
    head = read_head(path)
    scored = sorted(
        ((source.sniff(head, path), name) for name, source in sources.items()), reverse=True
    )
    if fmt != "auto":
        if sources[fmt].sniff(head, path) > 0.0:
            return sources[fmt]
        guess = f"; it looks like {scored[0][1]}" if scored and scored[0][0] >= 0.5 else ""
        raise FormatError(
            f"this is not a {fmt} file{guess}",
            path=str(path),
            hint="leave out --format to let pileon detect it, or choose one of: "
            + ", ".join(sorted(sources)),
        )
    if not scored or scored[0][0] < 0.5:
        raise FormatError(
            "not a format pileon recognises",
            path=str(path),
            hint="expected X API v2, Bluesky, Mastodon JSON, CSV or JSONL; force one with"
            " --format " + "|".join(sorted(sources)),
        )
    return sources[scored[0][1]]
