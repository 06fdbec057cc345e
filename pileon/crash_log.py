"""Where an unexpected error goes: its traceback into a log file, one line to the user.

The log lives in the user's state folder ($PILEON_LOG_DIR, else $XDG_STATE_HOME/pileon, else
~/.local/state/pileon); when that cannot be written, in the system's temporary folder.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from pileon import __version__

__all__ = ["log_dir", "write_crash_log"]

_MAX_LOG_BYTES = 5 * 1024 * 1024


def log_dir() -> Path:
    if os.environ.get("PILEON_LOG_DIR"):
        return Path(os.environ["PILEON_LOG_DIR"])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "pileon"


def write_crash_log(exc: BaseException, argv: list[str]) -> Path | None:
    """Append the traceback of `exc` to errors.log; the path written, or None if none could be."""
    entry = (
        f"--- {datetime.now(UTC).isoformat(timespec='seconds')} pileon {__version__}\n"
        f"command: {' '.join(argv)!r}\n"
        + "".join(traceback.format_exception(exc))
    )
    for folder in (log_dir(), Path(tempfile.gettempdir()) / "pileon"):
        path = folder / "errors.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if path.exists() and path.stat().st_size > _MAX_LOG_BYTES:
                path.replace(path.with_suffix(".log.1"))
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace") as log:
                log.write(entry)
        except OSError:
            continue
        return path
    return None
