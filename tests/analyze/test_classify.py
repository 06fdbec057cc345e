"""The shipped builtin classifier on cases written for these tests (not the eval sets): labels,
context rules, evidence that points at the original text, and texts that must never crash it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pileon.analyze.classify import builtin_classifier
from pileon.records import ABUSIVE_LABELS, LABELS

CASES = [json.loads(line) for line in
         (Path(__file__).parent / "data" / "classify_cases.jsonl").read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    found = builtin_classifier().classify([c["text"] for c in CASES])
    return {c["id"]: r for c, r in zip(CASES, found, strict=True)}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_labels(case: dict, results: dict) -> None:
    result = results[case["id"]]
    labels = set(result.labels)
    for label in case.get("present", []):
        assert label in labels, (case["text"], result.labels, result.scores)
    for label in case.get("absent", []):
        assert label not in labels, (case["text"], result.labels)
    assert bool(labels & ABUSIVE_LABELS) == case["abusive"], (case["text"], result.labels)
    if "lang" in case:
        assert result.lang == case["lang"]


def test_every_result_has_all_scores_and_a_model_version(results: dict) -> None:
    for result in results.values():
        assert set(result.scores) == set(LABELS)
        assert all(0.0 <= v <= 1.0 for v in result.scores.values())
        assert result.model_version and result.backend == "builtin"
        assert result.labels  # at least "neutral"


def test_evidence_spans_point_into_the_original_text(results: dict) -> None:
    checked = 0
    for case in CASES:
        result = results[case["id"]]
        for e in result.evidence:
            assert case["text"][e.start:e.end] == e.text
            checked += 1
        for label in set(result.labels) - {"neutral"}:
            assert any(e.category == label for e in result.evidence), (case["id"], label)
    assert checked >= len(CASES)


def test_negation_names_the_rule_that_fired(results: dict) -> None:
    negated = results["en-negated"]
    assert "negated" in negated.rules
    assert any(e.rule == "negated" and e.cue for e in negated.evidence)


def test_spaced_slur_evidence_covers_the_spaced_letters(results: dict) -> None:
    spaced = results["az-traitor-spaced"]
    spans = [e.text for e in spaced.evidence if e.category == "bad_faith"]
    assert any(span.replace(" ", "").startswith("xain") for span in spans)


@pytest.mark.parametrize("text", [
    "", "   ", "🙂", "a" * 100_000, "x\ud800y", "\u202egnirts desrever\u202c",
    "<script>alert(1)</script>", "Это mixed ալ script ə", "\x00\x01\x02", "1234 5678",
])
def test_hostile_or_empty_texts_get_a_result(text: str) -> None:
    result = builtin_classifier().classify([text])[0]
    assert result.labels
    assert result.lang in {"az", "tr", "ru", "en", "hy", "fr", "und"}
    json.dumps(result.to_json())  # serialisable, no lone surrogates left


def test_empty_and_emoji_only_are_unknown_language() -> None:
    empty, emoji = builtin_classifier().classify(["", "🙂🙂"])
    assert empty.lang == "und" and emoji.lang == "und"
    assert empty.labels == ("neutral",)


def test_very_long_text_is_marked_truncated() -> None:
    result = builtin_classifier().classify(["thank you " * 5000])[0]
    assert result.truncated


def test_a_batch_gives_one_result_per_text_in_order() -> None:
    texts = [c["text"] for c in CASES]
    one_by_one = [builtin_classifier().classify([t])[0].labels for t in texts]
    batched = [r.labels for r in builtin_classifier().classify(texts)]
    assert one_by_one == batched


def test_cli_classify_prints_labels_and_evidence() -> None:
    from click.testing import CliRunner

    from pileon.cli import main

    case = next(c for c in CASES if c["id"] == "az-traitor-nodiacritics")
    human = CliRunner().invoke(main, ["classify", case["text"]])
    assert human.exit_code == 0, human.output
    assert "bad_faith" in human.output and "evidence:" in human.output
    as_json = CliRunner().invoke(main, ["classify", "--json", case["text"]])
    data = json.loads(as_json.stdout)
    assert data["lang"] == "az" and "bad_faith" in data["labels"]
    assert all(case["text"][e["start"]:e["end"]] == e["text"] for e in data["evidence"])


def test_builtin_backend_is_registered_through_the_plugin_hook() -> None:
    from pileon.plugins import classifiers

    backend = classifiers()["builtin"]
    assert backend.name == "builtin" and backend.version


def test_a_repeated_text_is_answered_from_memory_and_memory_is_bounded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pileon.analyze import classify as classify_module

    monkeypatch.setattr(classify_module, "_MEMORY_SIZE", 3)
    backend = classify_module.BuiltinClassifier()
    texts = [c["text"] for c in CASES[:5]]
    first = backend.classify(texts + texts[:1])
    assert first[0] is first[-1]
    assert len(backend._memory) == 3
    again = backend.classify(texts)
    assert [r.labels for r in again] == [r.labels for r in first[:5]]
