"""Package-wide promises: honest __all__, typed package, --help on every command."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import pileon
from pileon.cli import main

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(pileon.__path__, "pileon.") if not m.ispkg
)


@pytest.mark.parametrize("name", MODULES)
def test_every_name_in_all_exists(name: str) -> None:
    module = importlib.import_module(name)
    for exported in getattr(module, "__all__", []):
        assert hasattr(module, exported), f"{name}.__all__ lists missing {exported!r}"


def test_package_ships_py_typed() -> None:
    assert (Path(pileon.__file__).parent / "py.typed").exists()


def _commands() -> list[str]:
    return sorted(main.commands)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"], prog_name="pileon")
    assert result.exit_code == 0, result.output
    assert "Usage: pileon " + command in result.output
