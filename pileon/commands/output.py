"""Shared CLI output: a rich console on stderr for people, plain JSON on stdout for scripts."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

__all__ = ["byte_progress", "console", "echo", "print_json", "terminal_safe"]

console = Console(stderr=True, highlight=False)


def print_json(value: Any) -> None:
    # Controls (and lone surrogates) become \uXXXX escapes: the same JSON, safe on a terminal.
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    sys.stdout.write(terminal_safe(text) + "\n")


def byte_progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
        transient=True,
    )


# C0 and C1 controls (but tab and newline), DEL, and the bidi embeddings, overrides and isolates:
# post text printed raw could set the window title, write the clipboard (OSC 52) or hide links.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ud800-\udfff]")


def terminal_safe(text: object, *, newlines: bool = True) -> str:
    """`text` with every control character and bidi override shown as a visible \\uXXXX escape."""
    value = str(text)
    if not newlines:
        value = value.replace("\t", " ").replace("\n", " ")
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)


def echo(text: object = "") -> None:
    """click.echo for anything that may hold text from a post, an account or a file."""
    click.echo(terminal_safe(text))
