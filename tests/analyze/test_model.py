"""The statistical model follows the scikit-learn estimator contract, trains deterministically
from a seed, ships as a small versioned file, and fails clearly when that file is damaged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.base import clone

from pileon.analyze.classify import BuiltinClassifier
from pileon.analyze.model import MODEL_DIR, LexiconLinearClassifier, load_model
from pileon.analyze.train import DEFAULT_TEAM, load_examples, train
from pileon.cli import main
from pileon.errors import ModelError
from pileon.records import LABELS


@pytest.fixture(scope="module")
def small_team() -> list:
    team, _ = load_examples(DEFAULT_TEAM, public=None)
    by_lang: dict[str, list] = {}
    for e in team:
        by_lang.setdefault(e.lang, []).append(e)
    return [e for rows in by_lang.values() for e in rows[:70]]


def test_estimator_contract(small_team: list) -> None:
    model = LexiconLinearClassifier(C=1.0)
    assert clone(model).get_params() == model.get_params()
    texts = [e.text for e in small_team]
    Y = np.array([[label in e.labels for label in LABELS] for e in small_team])
    assert model.fit(texts, Y) is model
    assert list(model.classes_) == list(LABELS)
    proba = model.predict_proba(texts[:5])
    assert proba.shape == (5, len(LABELS))
    assert ((proba >= 0) & (proba <= 1)).all()
    assert model.predict(texts[:5]).shape == (5, len(LABELS))
    assert not hasattr(LexiconLinearClassifier(), "coef_")  # learned state only after fit


def test_training_is_deterministic_and_round_trips(small_team: list, tmp_path: Path) -> None:
    first, meta = train(small_team, [], seed=7, log=False)
    second, _ = train(small_team, [], seed=7, log=False)
    assert np.array_equal(first.coef_, second.coef_)
    assert np.array_equal(first.thresholds_, second.thresholds_)
    version = first.save(tmp_path / "m", {**meta, "date": "test"})
    loaded, loaded_meta = load_model(tmp_path / "m")
    assert loaded_meta["version"] == version
    texts = [e.text for e in small_team[:20]]
    # weights ship as float16: scores agree to a few decimals
    assert np.allclose(loaded.predict_proba(texts), first.predict_proba(texts), atol=5e-3)


def test_shipped_model_is_small_and_versioned() -> None:
    meta = json.loads((MODEL_DIR / "model.json").read_text("utf-8"))
    size = sum(p.stat().st_size for p in MODEL_DIR.iterdir())
    assert size < 25_000_000
    assert meta["labels"] == list(LABELS)
    assert meta["version"].endswith(meta["weights_sha256"][:8])


def test_missing_model_file_names_it_and_how_to_rebuild(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as caught:
        BuiltinClassifier(tmp_path).classify(["hello"])
    assert "weights.npz" in str(caught.value) and "make model" in str(caught.value)


def test_damaged_model_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    for name in ("weights.npz", "model.json"):
        (folder / name).write_bytes((MODEL_DIR / name).read_bytes())
    blob = bytearray((folder / "weights.npz").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (folder / "weights.npz").write_bytes(bytes(blob))
    with pytest.raises(ModelError, match="damaged or replaced"):
        load_model(folder)


def test_cli_reports_a_damaged_model_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    from pileon.analyze import classify as classify_module

    monkeypatch.setattr(classify_module.builtin_classifier(), "_loaded", None)
    monkeypatch.setattr(classify_module.builtin_classifier(), "model_dir", tmp_path)
    result = CliRunner().invoke(main, ["classify", "hello"])
    assert result.exit_code == 1
    assert "model file is missing" in result.output
    assert "Traceback" not in result.output
