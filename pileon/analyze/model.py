"""The statistical part of the builtin classifier: one logistic regression per label over hashed
character/word n-grams plus lexicon and context features, following the scikit-learn estimator
contract (`fit` returns self, learned state ends in `_`, `predict_proba` columns follow `classes_`).

Labels a training source does not annotate are masked out of that label's fit (`known`), so a
dataset that only marks "offensive" does not teach the model that its texts are not profanity.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from pileon.analyze.features import ReadText, featurize, read_texts
from pileon.errors import ModelError
from pileon.records import LABELS

__all__ = ["MODEL_DIR", "LexiconLinearClassifier", "load_model"]

#: Where the shipped model lives inside the package.
MODEL_DIR = Path(__file__).parent / "data" / "model"
_WEIGHTS = "weights.npz"
_META = "model.json"
_REBUILD = "rebuild it with `make model` (python -m pileon.analyze.train)"


def _as_matrix(X: Any) -> sp.csr_matrix:
    if sp.issparse(X):
        return sp.csr_matrix(X)
    items = list(X)
    if items and isinstance(items[0], ReadText):
        return featurize(items)
    return featurize(read_texts([str(x) for x in items]))


class LexiconLinearClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label: `predict_proba(X)` is (n_samples, n_labels), one sigmoid per label.

    `X` may be raw texts, `ReadText`s (rule stages already run) or a featurized matrix.
    """

    def __init__(self, C: float = 2.0, class_weight: str | None = "balanced",
                 max_iter: int = 300, random_state: int = 13,
                 labels: Sequence[str] = LABELS) -> None:
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state
        self.labels = labels

    def fit(self, X: Any, y: Any, sample_weight: Any = None, known: Any = None
            ) -> LexiconLinearClassifier:
        matrix = _as_matrix(X)
        Y = np.asarray(y, dtype=np.int8)
        if Y.ndim != 2 or Y.shape != (matrix.shape[0], len(self.labels)):
            raise ValueError(f"y must be (n_samples, {len(self.labels)}) indicators")
        mask = np.ones_like(Y, dtype=bool) if known is None else np.asarray(known, dtype=bool)
        weights = np.ones(matrix.shape[0]) if sample_weight is None else np.asarray(
            sample_weight, dtype=float)
        coef = np.zeros((len(self.labels), matrix.shape[1]), dtype=np.float32)
        intercept = np.zeros(len(self.labels), dtype=np.float32)
        for j in range(len(self.labels)):
            rows = np.flatnonzero(mask[:, j])
            target = Y[rows, j]
            if len(rows) == 0 or target.min() == target.max():
                intercept[j] = 10.0 if len(rows) and target[0] else -10.0
                continue
            model = LogisticRegression(C=self.C, class_weight=self.class_weight,
                                       solver="liblinear", dual=True, max_iter=self.max_iter,
                                       random_state=self.random_state)
            model.fit(matrix[rows], target, sample_weight=weights[rows])
            coef[j] = model.coef_[0]
            intercept[j] = model.intercept_[0]
        self.coef_ = coef
        self.intercept_ = intercept
        self.classes_ = np.asarray(self.labels)
        self.n_features_in_ = matrix.shape[1]
        self.thresholds_ = np.full(len(self.labels), 0.5)
        return self

    def weights_by_feature(self) -> np.ndarray:
        """coef_ transposed, contiguous (n_features, n_labels): what sparse rows multiply fast."""
        cached = getattr(self, "_coef_t", None)
        if cached is None or cached.shape[0] != self.coef_.shape[1]:
            cached = np.ascontiguousarray(self.coef_.T)
            self._coef_t = cached
        return cached

    def decision_function(self, X: Any) -> np.ndarray:
        matrix = _as_matrix(X)
        scores = matrix @ self.weights_by_feature()
        return np.asarray(scores, dtype=np.float64) + self.intercept_

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-self.decision_function(X))))

    def predict(self, X: Any) -> np.ndarray:
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int8)

    # -- shipping -------------------------------------------------------------------------------
    def save(self, directory: Path, meta: dict[str, Any]) -> str:
        """Write weights.npz and model.json; returns the model version (date + weights hash)."""
        directory.mkdir(parents=True, exist_ok=True)
        weights = directory / _WEIGHTS
        rows, cols = np.nonzero(self.coef_)  # hash buckets no training text touched stay 0
        np.savez_compressed(weights, rows=rows.astype(np.uint8), cols=cols.astype(np.int32),
                            values=self.coef_[rows, cols].astype(np.float16),
                            shape=np.asarray(self.coef_.shape), intercept=self.intercept_,
                            thresholds=self.thresholds_)
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()
        version = f"{meta.get('date', 'dev')}+{digest[:8]}"
        record = {**meta, "version": version, "labels": list(self.labels),
                  "params": self.get_params(), "weights_sha256": digest}
        (directory / _META).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
        return version


def load_model(directory: Path | None = None) -> tuple[LexiconLinearClassifier, dict[str, Any]]:
    """The shipped (or given) model and its metadata; a clear ModelError if missing or corrupt."""
    folder = directory or MODEL_DIR
    weights, meta_path = folder / _WEIGHTS, folder / _META
    for path in (weights, meta_path):
        if not path.is_file():
            raise ModelError("model file is missing", path=str(path), hint=_REBUILD)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        blob = weights.read_bytes()
        if hashlib.sha256(blob).hexdigest() != meta["weights_sha256"]:
            raise ModelError("model weights do not match model.json (damaged or replaced)",
                             path=str(weights), hint=_REBUILD)
        with np.load(weights) as data:
            coef = np.zeros(tuple(data["shape"]), dtype=np.float32)
            coef[data["rows"], data["cols"]] = data["values"].astype(np.float32)
            intercept = data["intercept"].astype(np.float32)
            thresholds = data["thresholds"].astype(np.float64)
    except ModelError:
        raise
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise ModelError(f"model file is corrupt ({exc})", path=str(weights),
                         hint=_REBUILD) from exc
    model = LexiconLinearClassifier(**{k: v for k, v in meta["params"].items()
                                       if k in ("C", "class_weight", "max_iter", "random_state")},
                                    labels=tuple(meta["labels"]))
    model.coef_ = coef
    model.intercept_ = intercept
    model.thresholds_ = thresholds
    model.classes_ = np.asarray(meta["labels"])
    model.n_features_in_ = int(coef.shape[1])
    return model, meta
