"""The embedding head: one logistic regression per label over the static multilingual vector of
`embed.py` (plus the language), mixed with the n-gram model in logit space.

Why: the n-gram model memorises the words its writers used; the e5-distilled vector places
"vermin", "haşarat", "паразиты" and "vermine" near each other, so what is learned on Turkish,
Russian or English public rows carries to Azerbaijani, Armenian and to writers it never saw.

Mixed score per label, each model's logit centred on its own threshold (chosen on out-of-fold
team predictions: the n-gram model's in train.py, the head's here):

    z = (1 - alpha) * (logit p_ngram - logit t_ngram) + alpha * (logit p_head - logit t_head)
    p = sigmoid(z + logit t_ngram)

so the mixture decides exactly where the two models' decisions, weighed by alpha, agree, and
the n-gram model's thresholds (and the calibration built on them) still hold for it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pileon.analyze.embed import StaticEmbedder
from pileon.analyze.features import ReadText
from pileon.analyze.langid import LANGUAGES
from pileon.errors import ModelError
from pileon.records import LABELS

__all__ = ["EmbeddingHead", "head_inputs", "lang_onehot", "load_head", "mix"]

_LANG_SLOTS: tuple[str, ...] = (*LANGUAGES, "und")
_EPS = 1e-6


def lang_onehot(reads: Sequence[ReadText]) -> np.ndarray:
    """One column per language (and `und`), 1 where the text is in it."""
    langs = np.zeros((len(reads), len(_LANG_SLOTS)), dtype=np.float32)
    for i, r in enumerate(reads):
        langs[i, _LANG_SLOTS.index(r.lang.lang) if r.lang.lang in _LANG_SLOTS else -1] = 1.0
    return langs


def head_inputs(embedder: StaticEmbedder, reads: Sequence[ReadText]) -> np.ndarray:
    """The head's input rows: the text's vector, then a one-hot of its language."""
    vectors = embedder.embed([r.model_text for r in reads])
    return np.hstack([vectors, lang_onehot(reads)])


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.asarray(np.log(p / (1 - p)))


def mix(p_ngram: np.ndarray, p_head: np.ndarray, alpha: float, t_ngram: np.ndarray,
        t_head: np.ndarray) -> np.ndarray:
    """Logit-space mixture of the two models' probabilities (n, labels), each centred on its
    own per-label threshold; the result is read against `t_ngram`."""
    base = _logit(np.asarray(t_ngram, dtype=np.float64))
    z = ((1 - alpha) * (_logit(p_ngram) - base)
         + alpha * (_logit(p_head) - _logit(np.asarray(t_head, dtype=np.float64))))
    return np.asarray(1.0 / (1.0 + np.exp(-(z + base))))


class EmbeddingHead:
    """Per-label logistic regression on `head_inputs`; labels a source does not annotate are
    masked out of that label's fit, as in the n-gram model."""

    def __init__(self, C: float = 1.0, alpha: float = 0.5, random_state: int = 13) -> None:
        self.C = C
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, X: np.ndarray, Y: np.ndarray, sample_weight: np.ndarray,
            known: np.ndarray) -> EmbeddingHead:
        from sklearn.linear_model import LogisticRegression

        coef = np.zeros((len(LABELS), X.shape[1]), dtype=np.float32)
        intercept = np.zeros(len(LABELS), dtype=np.float32)
        for j in range(len(LABELS)):
            rows = np.flatnonzero(known[:, j])
            target = Y[rows, j]
            if len(rows) == 0 or target.min() == target.max():
                intercept[j] = 10.0 if len(rows) and target[0] else -10.0
                continue
            model = LogisticRegression(C=self.C, class_weight="balanced", max_iter=500,
                                       random_state=self.random_state)
            model.fit(X[rows], target, sample_weight=sample_weight[rows])
            coef[j] = model.coef_[0]
            intercept[j] = model.intercept_[0]
        self.coef_ = coef
        self.intercept_ = intercept
        self.thresholds_ = np.full(len(LABELS), 0.5)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = X @ self.coef_.T + self.intercept_
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def save(self, directory: Path, meta: dict[str, Any], stem: str = "head") -> str:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{stem}.npz"
        np.savez_compressed(path, coef=self.coef_.astype(np.float32),
                            intercept=self.intercept_.astype(np.float32),
                            thresholds=np.asarray(self.thresholds_, dtype=np.float64),
                            alpha=np.asarray(self.alpha))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        record = {**meta, "C": self.C, "alpha": self.alpha, "head_sha256": digest}
        (directory / f"{stem}.json").write_text(
            json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return digest[:8]


def load_head(directory: Path, stem: str = "head") -> tuple[EmbeddingHead, dict[str, Any]] | None:
    """The head beside a model (`head` on the static table, `e5head` on the e5 encoder), None
    if that model has none; ModelError if damaged."""
    path, meta_path = directory / f"{stem}.npz", directory / f"{stem}.json"
    if not path.is_file() or not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if hashlib.sha256(path.read_bytes()).hexdigest() != meta["head_sha256"]:
            raise ModelError("embedding head does not match head.json (damaged or replaced)",
                             path=str(path), hint="rebuild it with `make model`")
        with np.load(path) as data:
            head = EmbeddingHead(C=float(meta.get("C", 1.0)), alpha=float(data["alpha"]))
            head.coef_ = data["coef"].astype(np.float32)
            head.intercept_ = data["intercept"].astype(np.float32)
            head.thresholds_ = data["thresholds"].astype(np.float64)
    except ModelError:
        raise
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise ModelError(f"embedding head is corrupt ({exc})", path=str(path),
                         hint="rebuild it with `make model`") from exc
    return head, meta
