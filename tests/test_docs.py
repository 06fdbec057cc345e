"""The reference pages in docs/ are generated from the code and must match it (`make docs`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import click
import pytest

from pileon.cli import main

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _generator()


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    rendered: dict[str, str] = generate.render_all()
    return rendered


def test_docs_in_the_repository_match_the_code(pages: dict[str, str]) -> None:
    stale = generate.stale_pages(pages)
    assert not stale, f"docs/{', docs/'.join(stale)} out of date with the code: run `make docs`"


def test_cli_reference_has_the_help_of_every_command(pages: dict[str, str]) -> None:
    for name, command in main.commands.items():
        if command.hidden:
            continue
        assert f"\n## pileon {name}\n" in pages["cli.md"]
        assert f"Usage: pileon {name} [OPTIONS]" in pages["cli.md"]


def test_cli_reference_does_not_depend_on_the_terminal(
    pages: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "41")
    assert generate.render_cli() == pages["cli.md"]
    width = max(len(line) for line in pages["cli.md"].split("```")[1].splitlines())
    assert 41 < width <= generate.WIDTH


def test_schema_reference_names_every_table_column_and_trigger(pages: dict[str, str]) -> None:
    schema = pages["schema.md"]
    assert "| `sha256` | TEXT |  |  | SHA-256 of `data`, lowercase hex |" in schema
    assert "| `id` | INTEGER | auto |  |" in schema  # INTEGER PRIMARY KEY: numbered by SQLite
    assert "| `0001_core.sql` | the evidence core." in schema
    assert (
        "| `decisions_never_deleted` | `decisions` | BEFORE DELETE | "
        "user decisions are never deleted |"
    ) in schema
    assert "| `request_url` | TEXT |  |  | " in schema and "(added by `0007_collect.sql`)" in schema
    assert "→ `raw_payloads(sha256)`" in schema


def test_index_lists_every_page_in_docs(pages: dict[str, str]) -> None:
    for page in DOCS.glob("*.md"):
        if page.name != "README.md":
            assert f"]({page.name})" in pages["README.md"], page.name


def test_a_note_for_a_column_that_does_not_exist_stops_generation(tmp_path: Path) -> None:
    notes = tmp_path / "schema-notes.toml"
    notes.write_text('[columns.posts]\ntextt = "the text"\n', encoding="utf-8")
    with pytest.raises(generate.DocsError, match=r"no such table or column posts\.textt"):
        generate.render_schema(notes)


def test_a_note_cannot_override_the_migrations_own_comment(tmp_path: Path) -> None:
    notes = tmp_path / "schema-notes.toml"
    notes.write_text('[columns.raw_payloads]\nsha256 = "a hash"\n', encoding="utf-8")
    with pytest.raises(generate.DocsError, match=r"raw_payloads\.sha256 is commented in 0001_core"):
        generate.render_schema(notes)


def test_a_changed_or_missing_page_is_stale(tmp_path: Path) -> None:
    (tmp_path / "cli.md").write_text("old\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("same\n", encoding="utf-8")
    pages = {"cli.md": "new\n", "schema.md": "x\n", "README.md": "same\n"}
    assert generate.stale_pages(pages, tmp_path) == ["cli.md", "schema.md"]


def test_subcommands_are_documented_and_hidden_commands_are_not() -> None:
    @click.group()
    def cli() -> None:
        """A tool."""

    @cli.group()
    def plugins() -> None:
        """Manage plugins."""

    @plugins.command("list")
    @click.option("--json", "as_json", is_flag=True, help="One JSON object a line. " * 12)
    def list_plugins(as_json: bool) -> None:
        """List the plugins."""

    @cli.command(hidden=True)
    def secret() -> None:
        """Not for users."""

    text = generate.render_cli(cli)
    assert "\n## pileon plugins\n" in text
    assert "\n## pileon plugins list\n" in text
    assert "Usage: pileon plugins list [OPTIONS]" in text
    assert "secret" not in text
    assert max(len(line) for line in text.split("## pileon plugins list")[1].splitlines()) <= 100
