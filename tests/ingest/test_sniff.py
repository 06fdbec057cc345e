"""Format detection: every real-format example is recognised, a wrong --format is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pileon.errors import FormatError
from pileon.ingest.sniff import choose_source
from pileon.plugins import sources


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("x_v2_conversation_search.json", "x"),
        ("x_v2_quote_tweets.json", "x"),
        ("bluesky_getPostThread.json", "bluesky"),
        ("bluesky_getPostThread_deleted_parent.json", "bluesky"),
        ("bluesky_getQuotes.json", "bluesky"),
        ("bluesky_getProfiles.json", "bluesky"),
        ("mastodon_context.json", "mastodon"),
        ("mastodon_blocks_import.csv", "csv"),
    ],
)
def test_real_format_examples_are_recognised(formats: Path, name: str, expected: str) -> None:
    assert choose_source(formats / name, sources()).name == expected


def test_json_lines_of_pages_are_recognised_by_content(formats: Path, tmp_path: Path) -> None:
    page = json.loads((formats / "mastodon_context.json").read_text("utf-8"))
    path = tmp_path / "dump.txt"
    path.write_text(json.dumps(page) + "\n" + json.dumps(page) + "\n", "utf-8")
    assert choose_source(path, sources()).name == "mastodon"


def test_generic_json_lines_fall_back_to_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text('{"id": "1", "text": "hello", "conversation_id": "9"}\n', "utf-8")
    assert choose_source(path, sources()).name == "jsonl"


def test_forcing_the_wrong_format_names_the_file_and_the_likely_one(formats: Path) -> None:
    path = formats / "x_v2_quote_tweets.json"
    with pytest.raises(FormatError) as caught:
        choose_source(path, sources(), "bluesky")
    message = str(caught.value)
    assert message.startswith(f"{path}: this is not a bluesky file; it looks like x")
    assert "mastodon" in message and "csv" in message


def test_unrecognised_file_lists_the_formats(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some words\nno structure at all\n", "utf-8")
    with pytest.raises(FormatError, match="not a format pileon recognises.*--format"):
        choose_source(path, sources())


def test_every_builtin_adapter_is_registered_through_the_hook() -> None:
    assert {"x", "bluesky", "mastodon", "csv", "jsonl"} <= set(sources())
