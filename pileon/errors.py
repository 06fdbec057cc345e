"""pileon's own exceptions: each says which file and record went wrong and what to do next.

The CLI turns any `PileonError` into one clear line on stderr and a non-zero exit, never a
traceback. Bad records inside a readable file are not errors: they are kept aside as rejects.
"""

from __future__ import annotations

import re

__all__ = [
    "CollectError",
    "ConfigError",
    "FormatError",
    "InputFileError",
    "ModelError",
    "NetworkError",
    "PileonError",
    "RecordError",
    "ReportError",
    "StoreError",
]


#: Everything Python's str.splitlines() breaks a line at: a file name, a CSV header or a value
#: quoted from a hostile file may hold one, and the error must stay one line.
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` with each line break shown as a visible \\uXXXX escape."""
    return _LINE_BREAKS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class PileonError(Exception):
    """Base class. `str()` is the one line the user sees."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        record: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.record = record
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path + (f" ({self.record})" if self.record else "") + ": "
        tail = f" — {self.hint}" if self.hint else ""
        return one_line(f"{where}{self.message}{tail}")


class InputFileError(PileonError):
    """An input file is missing, unreadable, empty or not valid at all."""


class FormatError(PileonError):
    """A file is readable but is not the format asked for, or no adapter recognises it."""


class RecordError(PileonError):
    """One record inside a readable file is unusable (e.g. a required field is missing).

    Adapters catch it and keep the record aside as a reject; it never stops an ingest.
    """


class StoreError(PileonError):
    """The database cannot be opened, is from an unknown schema version, or is damaged."""


class ConfigError(PileonError):
    """A rules or configuration file has a typo or a value out of range."""


class ModelError(PileonError):
    """A classifier model file is missing or corrupt."""


class CollectError(PileonError):
    """Live collection stopped: the network, the platform refused, or a URL pileon cannot read.

    What was stored before the error stays stored; running the same command again resumes.
    """


class ReportError(PileonError):
    """A report cannot be written or checked: output folder, signing key, fonts, manifest."""


class NetworkError(CollectError):
    """The network or the platform failed for a while (no connection, 5xx, rate limited).

    Worth trying again later: a `watch` carries on with its next round.
    """
