"""Fuzzing `pileon eval`'s case reader and the triage rules loader (issue 19): any line, any TOML,
gives cases or rules, or one clear error naming the file (and the line) — never a traceback."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pileon.analyze.evaluate import read_cases
from pileon.cli import main
from pileon.errors import ConfigError, InputFileError
from pileon.records import LABELS
from pileon.triage.rules import default_rules_text, parse_rules

from .hostile import JSON, TEXT, dumps
from .profile import EXAMPLES, FUZZ

CASE = st.fixed_dictionaries(
    {"text": st.one_of(TEXT, JSON)},
    optional={"id": JSON, "lang": st.one_of(st.sampled_from(["en", "ru", "az"]), JSON),
              "labels": st.one_of(st.lists(st.sampled_from(LABELS), max_size=3), JSON),
              "abusive": JSON, "functionality": JSON, "hard": JSON})
LINE = st.one_of(CASE.map(dumps), JSON.map(dumps), TEXT,
                 st.integers(1, 3000).map(lambda n: '{"text": "x", "labels": ' + "[" * n
                                          + "]" * n + "}"))


@FUZZ
@given(lines=st.lists(LINE, min_size=1, max_size=6))
def test_eval_case_reader_takes_any_line(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.jsonl"
        path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
        try:
            cases = read_cases(path)
        except InputFileError as exc:
            assert str(exc).startswith(str(path))
            return
        for case in cases:
            case.text.encode("utf-8")  # printable: surrogates were replaced
            assert case.lang is None or isinstance(case.lang, str)
            assert case.labels is None or case.labels <= set(LABELS)


@settings(FUZZ, max_examples=max(10, EXAMPLES // 10))  # each example loads the classifier
@given(case=CASE)
def test_eval_json_output_on_any_valid_case(case: dict[str, object]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.jsonl"
        path.write_text(dumps(case) + "\n", encoding="ascii")
        result = CliRunner().invoke(main, ["eval", str(path), "--json"])
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        if result.exit_code == 0:
            json.loads(result.stdout)
        else:
            assert result.output.startswith("Error: ")


TOML_VALUE = st.one_of(
    st.floats(allow_nan=True).map(repr), st.integers().map(str), st.sampled_from(["true", "false"]),
    st.text(max_size=10).map(json.dumps), st.just("9" * 5000), st.just("[" * 600 + "]" * 600),
    st.just("{a = {b = {c = 1}}}"), st.just("1979-05-27T07:32:00Z"), st.just("inf"),
    st.just("nan"), st.just('"""\n"""'), st.just("[1, 'x']"))
SECTIONS = ("shield", "review", "support", "account_signals", "clusters", "nonsense")


@FUZZ
@given(edits=st.lists(st.tuples(st.sampled_from(SECTIONS), st.text(max_size=20) | st.sampled_from(
    ["insult", "threat", "min_score", "few_followers", "min_size", "version"]), TOML_VALUE),
    max_size=5), junk=st.text(max_size=30))
def test_rules_loader_takes_any_toml(edits: list[tuple[str, str, str]], junk: str) -> None:
    lines = default_rules_text().splitlines() if edits and edits[0][0] == "shield" else []
    for section, key, value in edits:
        lines += [f"[{section}]", f"{json.dumps(key)} = {value}"]
    lines.append(junk)
    text = "\n".join(lines)
    try:
        rules = parse_rules(text, "rules.toml")
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith("rules.toml") and len(message) < 2000
        return
    assert all(0.0 <= v <= 1.0 for v in rules.shield.values())
