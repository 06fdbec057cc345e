"""The `pileon` command line: one click group. Each command is thin and calls one stage.

Commands live in pileon/commands/<stage>.py (one module per stage, each exposing COMMANDS) so a
stage's CLI sits next to nothing but itself. Any PileonError becomes one line and exit code 1.
"""

from __future__ import annotations

import importlib
import sqlite3
from typing import Any

import click

from pileon import __version__
from pileon.errors import PileonError

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
    "pileon.commands.collect",
    "pileon.commands.pipeline",
    "pileon.commands.campaign",
)


class PileonGroup(click.Group):
    """Turns our own errors into one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PileonError as exc:
            raise click.ClickException(str(exc)) from exc
        except sqlite3.OperationalError as exc:
            raise click.ClickException(f"database error: {exc}") from exc


@click.group(cls=PileonGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pileon")
def main() -> None:
    """pileon: shield yourself from a pile-on and turn it into evidence. Runs offline.

    Every command takes the database file first, e.g. `pileon ingest thread.db replies.json`.
    """


for _module_name in COMMAND_MODULES:
    for _command in importlib.import_module(_module_name).COMMANDS:
        main.add_command(_command)
