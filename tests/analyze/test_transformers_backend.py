"""The `transformers` backend on a tiny randomly initialised model built inside the test: scores
over all twelve labels, the same language and evidence as the builtin stages, a version naming
the directory and the weights' hash, scores written beside the builtin ones, clear errors."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pileon.analyze import run as run_module
from pileon.analyze.features import read_text
from pileon.analyze.run import analyze_db
from pileon.analyze.transformers_backend import MODEL_ENV, THRESHOLDS_FILE, TransformersClassifier
from pileon.cli import main
from pileon.errors import ModelError
from pileon.records import LABELS
from pileon.store import connect

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "triage"))
from thread_db import build_thread_db  # noqa: E402
from tiny_transformer import build_tiny_model  # noqa: E402

CASES = Path(__file__).parent / "data" / "transformers_cases.jsonl"


def _texts() -> list[str]:
    return [json.loads(line)["text"] for line in CASES.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-xlmr")


@pytest.fixture
def model(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(MODEL_ENV, str(tiny))
    return tiny


def _copy(tiny: Path, tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(tiny, tmp_path / name))


def test_classify_gives_every_label_language_evidence_and_version(model: Path) -> None:
    texts = _texts()
    results = TransformersClassifier().classify(texts)
    assert len(results) == len(texts)
    weights = hashlib.sha256((model / "model.safetensors").read_bytes()).hexdigest()
    for text, result in zip(texts, results, strict=True):
        assert set(result.scores) == set(LABELS)
        assert all(0.0 <= s <= 1.0 for s in result.scores.values())
        assert result.labels and set(result.labels) <= set(LABELS)
        for label in result.labels:
            assert label == "neutral" or result.scores[label] >= 0.5
        rules = read_text(text)  # the same rule stages as the builtin backend
        assert (result.lang, result.lang_confidence) == (rules.lang.lang, rules.lang.confidence)
        assert result.backend == "transformers"
        assert result.model_version == f"tiny-xlmr+{weights[:8]}"
        for e in result.evidence:
            assert text[e.start:e.end] == e.text and e.source == "lexicon"
    by_id = dict(zip([json.loads(line)["id"] for line in CASES.read_text().splitlines()],
                     results, strict=True))
    assert by_id["az-traitor"].lang == "az"
    assert [(e.category, e.text) for e in by_id["az-traitor"].evidence] == [("bad_faith", "xain")]
    assert by_id["hy-support"].lang == "hy"
    # the same text twice, or in another batch (other padding), scores the same
    again = TransformersClassifier().classify([texts[3], "", texts[3]])
    assert again[0].scores == again[2].scores
    assert again[0].scores == pytest.approx(results[3].scores, abs=1e-5)


def test_bad_input_gets_a_result(model: Path) -> None:
    texts = ["", "😂😂😂😂", "a\ud800b", "word " * 2000, "x" * 100_000]
    results = TransformersClassifier().classify(texts)
    assert [len(r.scores) for r in results] == [12] * len(texts)
    assert results[0].lang == "und"
    assert results[3].truncated  # the model read only its first 256 tokens
    assert results[4].truncated  # past the rule stages' 20,000 characters
    assert not results[0].truncated


def test_thresholds_file_and_partial_label_sets(tiny: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    text = _texts()[1]
    monkeypatch.setenv(MODEL_ENV, str(tiny))
    base = TransformersClassifier().classify([text])[0]

    low = _copy(tiny, tmp_path, "low")
    (low / THRESHOLDS_FILE).write_text(json.dumps(dict.fromkeys(LABELS, 0.0)))
    monkeypatch.setenv(MODEL_ENV, str(low))
    everything = TransformersClassifier().classify([text])[0]
    assert set(everything.labels) == set(LABELS) - {"neutral"}
    assert everything.scores == pytest.approx(base.scores)

    partial = _copy(tiny, tmp_path, "partial")
    config = json.loads((partial / "config.json").read_text())
    config["id2label"] = {"0": "Identity-Attack", "1": "toxicity"} | {
        str(i): f"LABEL_{i}" for i in range(2, len(LABELS))}
    (partial / "config.json").write_text(json.dumps(config))
    monkeypatch.setenv(MODEL_ENV, str(partial))
    mapped = TransformersClassifier().classify([text])[0]
    assert mapped.scores["identity_attack"] == pytest.approx(base.scores["identity_attack"])
    assert all(mapped.scores[label] == 0.0 for label in LABELS if label != "identity_attack")

    config["id2label"] = {str(i): f"LABEL_{i}" for i in range(len(LABELS))}
    (partial / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="include none of pileon's"):
        TransformersClassifier().classify([text])

    (low / THRESHOLDS_FILE).write_text('{"insult": 1.5}')
    monkeypatch.setenv(MODEL_ENV, str(low))
    with pytest.raises(ModelError, match="pileon_thresholds.json.*from 0 to 1"):
        TransformersClassifier().classify([text])


def test_analyze_writes_beside_builtin_scores(model: Path, tmp_path: Path) -> None:
    db = build_thread_db(tmp_path / "thread.db", scores=False, clusters=False)
    runner = CliRunner()
    first = runner.invoke(main, ["analyze", str(db), "--workers", "1", "--quiet"])
    assert first.exit_code == 0, first.output
    conn = connect(db)
    builtin_rows = [tuple(r) for r in conn.execute(
        "SELECT * FROM scores WHERE backend='builtin' ORDER BY post_id")]
    conn.close()
    result = runner.invoke(main, ["analyze", str(db), "--backend", "transformers", "--json",
                                  "--workers", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["backend"] == "transformers" and summary["analysed"] == len(builtin_rows)
    conn = connect(db)
    after = [tuple(r) for r in conn.execute(
        "SELECT * FROM scores WHERE backend='builtin' ORDER BY post_id")]
    rows = conn.execute("SELECT * FROM scores WHERE backend='transformers'").fetchall()
    conn.close()
    assert after == builtin_rows  # beside the builtin rows, never over them
    assert len(rows) == len(builtin_rows)
    assert {r["model_version"] for r in rows} == {summary["model_version"]}
    assert all(set(json.loads(r["scores_json"])) == set(LABELS) for r in rows)
    again = runner.invoke(main, ["analyze", str(db), "--backend", "transformers", "--json"])
    assert json.loads(again.stdout)["analysed"] == 0


def test_analyze_on_worker_processes_matches_one_process(model: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # torch has already run in this process: the forked workers must still finish, same scores
    monkeypatch.setattr(run_module, "BATCH", 8)
    db = build_thread_db(tmp_path / "thread.db", scores=False, clusters=False)
    conn = connect(db)
    try:
        result = analyze_db(conn, "transformers", workers=2)
        rows = conn.execute("SELECT p.text, s.scores_json FROM scores s JOIN posts p"
                            " ON p.platform = s.platform AND p.id = s.post_id").fetchall()
    finally:
        conn.close()
    assert result.analysed == len(rows) > 2 * 8
    texts = [r["text"] for r in rows]
    for row, direct in zip(rows, TransformersClassifier().classify(texts), strict=True):
        assert json.loads(row["scores_json"]) == pytest.approx(dict(direct.scores), abs=1e-5)


def test_eval_runs_on_the_transformers_backend(model: Path) -> None:
    result = CliRunner().invoke(main, ["eval", str(CASES), "--backend", "transformers", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 12 and report["backend"] == "transformers"
    assert report["model_version"].startswith("tiny-xlmr+")
    assert report["lang_accuracy"] > 0.8  # language comes from the rule stages
    assert {"macro_f1", "per_label", "per_language", "binary"} <= set(report)


def _one_line_error(args: list[str]) -> str:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_missing_model_is_one_clear_line(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MODEL_ENV, raising=False)
    line = _one_line_error(["classify", "--backend", "transformers", "hello"])
    assert MODEL_ENV in line and "config.json" in line
    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "nowhere"))
    line = _one_line_error(["classify", "--backend", "transformers", "hello"])
    assert str(tmp_path / "nowhere") in line and "not found" in line
    db = build_thread_db(tmp_path / "thread.db", scores=False, clusters=False)
    _one_line_error(["analyze", str(db), "--backend", "transformers"])
    conn = connect(db)
    assert conn.execute("SELECT count(*) FROM analysis_runs").fetchone()[0] == 0
    conn.close()


def test_corrupt_weights_or_missing_tokenizer_name_the_file(tiny: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    broken = _copy(tiny, tmp_path, "broken")
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    monkeypatch.setenv(MODEL_ENV, str(broken))
    line = _one_line_error(["classify", "--backend", "transformers", "hello"])
    assert str(broken / "model.safetensors") in line and "save_pretrained" in line
    untokenized = _copy(tiny, tmp_path, "untokenized")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (untokenized / name).unlink()
    monkeypatch.setenv(MODEL_ENV, str(untokenized))
    line = _one_line_error(["classify", "--backend", "transformers", "hello"])
    assert str(untokenized) in line and "no tokenizer files" in line


def test_without_torch_the_error_says_what_to_install(model: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # what `import torch` sees when absent
    with pytest.raises(ModelError, match=r"pip install 'pileon\[transformers\]'"):
        TransformersClassifier().classify(["hello"])
    with pytest.raises(ModelError, match=r"pip install 'pileon\[transformers\]'"):
        _ = TransformersClassifier().version


def test_registering_the_backend_imports_no_torch() -> None:
    probe = ("import sys; from pileon.plugins import classifiers; "
             "print(sorted(classifiers()), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, env={"PATH": "/usr/bin:/bin"}).stdout
    assert out.strip() == "['builtin', 'transformers'] False"
