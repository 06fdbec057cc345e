"""`pileon eval`: the metrics are right on cases small enough to check by hand, the JSON keys
other tools read are there, and bad case files fail in one clear line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from pileon.analyze.evaluate import evaluate, read_cases
from pileon.cli import main
from pileon.errors import InputFileError


@dataclass
class Fake:
    labels: tuple[str, ...]
    lang: str
    scores: dict


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_metrics_by_hand(tmp_path: Path) -> None:
    rows = [
        {"id": "1", "lang": "en", "text": "a", "labels": ["supportive"]},
        {"id": "2", "lang": "en", "text": "b", "labels": ["insult"]},
        {"id": "3", "lang": "fr", "text": "c", "labels": []},
        {"id": "4", "lang": "fr", "text": "d", "labels": ["supportive", "profanity"]},
    ]
    answers = {"a": ("supportive",), "b": ("neutral",), "c": ("insult",),
               "d": ("supportive",)}
    langs = {"a": "en", "b": "en", "c": "fr", "d": "en"}
    cases = read_cases(_write(tmp_path / "c.jsonl", rows))

    def fake(texts: list[str]) -> list[Fake]:
        return [Fake(answers[t], langs[t], {}) for t in texts]

    report = evaluate(cases, fake)
    assert report["n"] == 4
    assert report["per_label"]["supportive"]["f1"] == 1.0
    assert report["per_label"]["insult"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                                             "support": 1}
    assert report["per_label"]["profanity"]["recall"] == 0.0
    # labels present in the reference: supportive 1.0, insult 0, profanity 0, neutral 0
    assert report["macro_f1"] == 0.25
    assert report["supportive_recall"] == 1.0
    assert report["lang_accuracy"] == 0.75
    binary = report["binary"]
    assert (binary["tp"], binary["fp"], binary["tn"], binary["fn"]) == (0, 1, 2, 1)
    assert binary["accuracy"] == 0.5
    assert report["per_language"]["fr"]["n"] == 2
    assert {e["id"] for e in report["worst_errors"]} == {"2", "3", "4"}


def test_wordless_replies_are_reported_apart_in_language_accuracy(tmp_path: Path) -> None:
    rows = [
        {"id": "1", "lang": "az", "text": "sağ ol", "labels": ["supportive"]},
        {"id": "2", "lang": "az", "text": "❤️🙏", "labels": ["supportive"]},
        {"id": "3", "lang": "tr", "text": "teşekkürler", "labels": ["supportive"]},
        {"id": "4", "lang": "tr", "text": "😂😂😂", "labels": ["ridicule"]},
    ]
    langs = {"sağ ol": "az", "❤️🙏": "und", "teşekkürler": "az", "😂😂😂": "und"}
    cases = read_cases(_write(tmp_path / "c.jsonl", rows))
    report = evaluate(cases, lambda texts: [Fake(("supportive",), langs[t], {}) for t in texts])
    assert report["lang_accuracy"] == 0.25  # every case with a `lang` counts here
    assert report["lang_accuracy_worded"] == 0.5  # only "sağ ol" and "teşekkürler" count here
    assert report["lang_wordless"] == 2


def test_binary_cases_are_detected(tmp_path: Path) -> None:
    path = _write(tmp_path / "b.jsonl", [
        {"text": "x", "abusive": True, "functionality": "plain_abuse"},
        {"text": "y", "abusive": False, "functionality": "negation"},
        {"text": "z", "abusive": False, "functionality": "negation"}])
    cases = read_cases(path)
    assert all(c.binary_only for c in cases)
    report = evaluate(cases, lambda texts: [
        Fake(("insult",) if t != "z" else ("supportive",), "en", {}) for t in texts])
    assert report["binary"]["accuracy"] == round(2 / 3, 4)
    assert report["macro_f1"] is None
    assert report["per_group"] == {"negation": {"n": 2, "abusive_accuracy": 0.5},
                                   "plain_abuse": {"n": 1, "abusive_accuracy": 1.0}}


def test_bad_case_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        read_cases(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "labels": []}\n{"text": \n', "utf-8")
    with pytest.raises(InputFileError, match="line 2"):
        read_cases(bad)
    wrong = _write(tmp_path / "w.jsonl", [{"text": "x", "labels": ["rude"]}])
    with pytest.raises(InputFileError, match="unknown label"):
        read_cases(wrong)


def test_cli_eval_json_keys(tmp_path: Path) -> None:
    path = Path(__file__).parent / "data" / "classify_cases.jsonl"
    rows = [{"id": c["id"], "text": c["text"], "lang": c.get("lang"),
             "labels": c.get("present", [])}
            for c in map(json.loads, path.read_text("utf-8").splitlines())]
    cases = _write(tmp_path / "cases.jsonl", rows)
    result = CliRunner().invoke(main, ["eval", str(cases), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for key in ("n", "macro_f1", "per_label", "per_language", "supportive_recall",
                "lang_accuracy", "binary"):
        assert key in report
    assert {"accuracy", "f1", "macro_f1"} <= set(report["binary"])
    assert report["n"] == len(rows)
    human = CliRunner().invoke(main, ["eval", str(cases)])
    assert human.exit_code == 0 and "macro-F1" in human.output


def test_cli_eval_bad_file_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["eval", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1
    assert "no such file" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("line", "needle"), [
    ('{"text": "x", "labels": 5}', "labels must be a list"),
    ('{"text": "x", "labels": [["insult"]]}', "labels must be a list"),
    ('{"text": "x", "labels": {"insult": 1}}', "labels must be a list"),
    ('{"text": "x", "labels": ' + "[" * 2000 + "]" * 2000 + "}", "nested too deeply"),
    ('{"text": "x", "lang": 7, "labels": ["insult"]}', "lang is a JSON int"),
    ('[1, 2]', "not an object"),
    ('"just text"', "not an object"),
])
def test_cli_eval_rejects_wrongly_typed_cases_in_one_line(tmp_path: Path, line: str,
                                                          needle: str) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"text": "fine", "labels": ["neutral"]}\n' + line + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(cases)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.startswith(f"Error: {cases} (line 2): not a case") or (
        result.output.startswith(f"Error: {cases} (line 2):")), result.output
    assert needle in result.output


def test_cli_eval_json_with_a_lone_surrogate(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "s\\udc80", "text": "you are brave \\ud800", "labels": ["supportive"]}'
                     '\n{"text": "idiot", "labels": ["insult"]}\n', encoding="ascii")
    result = CliRunner().invoke(main, ["eval", str(cases), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 2
