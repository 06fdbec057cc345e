"""The `pileon` command line: one click group. Each command is thin and calls one stage.

Commands live in pileon/commands/<stage>.py (one module per stage, each exposing COMMANDS) so a
stage's CLI sits next to nothing but itself. Any error becomes one `Error:` line and exit code 1:
our own errors say what to do; anything unexpected names the log file holding its traceback.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import sqlite3
import sys
from typing import Any

import click

from pileon import __version__
from pileon.commands.output import terminal_safe
from pileon.crash_log import write_crash_log
from pileon.errors import PileonError
from pileon.store.db import is_disk_full

__all__ = ["COMMAND_MODULES", "main"]

#: One line per stage; each module exposes `COMMANDS: list[click.Command]`.
COMMAND_MODULES: tuple[str, ...] = (
    "pileon.commands.ingest",
    "pileon.commands.analyze",
    "pileon.commands.coordination",
    "pileon.commands.triage",
    "pileon.commands.demo",
    "pileon.commands.export",
    "pileon.commands.report",
    "pileon.commands.report_to",
    "pileon.commands.collect",
    "pileon.commands.pipeline",
    "pileon.commands.campaign",
)


class PileonGroup(click.Group):
    """Turns our own errors into one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # `pileon folders db | head`: the reader left, nothing is wrong
            devnull = os.open(os.devnull, os.O_WRONLY)
            with contextlib.suppress(OSError, ValueError):
                os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except Exception as exc:  # noqa: BLE001 (the one place every error is turned into a line)
            raise click.ClickException(terminal_safe(explain(exc), newlines=False)) from None


def explain(exc: BaseException) -> str:
    """The one line shown for `exc`; a traceback goes to the log only for what we did not foresee."""
    if isinstance(exc, PileonError):
        return str(exc)
    if is_disk_full(exc):
        return ("the disk is full — what was stored before is intact; free some space and run"
                " the same command again")
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc)
        if "locked" in text or "busy" in text:
            return ("the database is busy (another pileon command is writing to it)"
                    " — wait for it to finish and run this again")
        if "readonly" in text or "read-only" in text:
            return "the database is read-only — this command needs to write to it"
        return f"database error: {text}"
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc} — check the permissions of that file or folder"
    log = write_crash_log(exc, sys.argv)
    where = f"details in {log}" if log else "no log could be written"
    return (f"unexpected {type(exc).__name__}: {str(exc)[:200]} — this is a bug in pileon;"
            f" {where} (please include it when reporting)")


@click.group(cls=PileonGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pileon")
def main() -> None:
    """pileon: shield yourself from a pile-on and turn it into evidence. Runs offline.

    Every command takes the database file first, e.g. `pileon ingest thread.db replies.json`.
    """


for _module_name in COMMAND_MODULES:
    for _command in importlib.import_module(_module_name).COMMANDS:
        main.add_command(_command)
