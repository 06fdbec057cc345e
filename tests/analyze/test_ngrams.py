"""The per-word hashed n-grams give scikit-learn's matrix bit for bit, on texts we did not
write (the eval sets) and on the whitespace and case corners of its analyzer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from pileon.analyze import features, langid
from pileon.analyze.ngrams import WordCachedHashing

EVAL = Path(__file__).parents[2] / "eval"
CORNERS = ["", "   ", "a", "ab", "ΣΑΣ ΟΔΟΣ σας", "İSTANBUL ışık İi", "a\u00a0b\u2003c  d\t\te\n",
           "x\x1cy\x1dz", "😂😂 😂", "f*ck   y0u!!", "\ufffd lone", "ab " * 50, "\u0301e\u0301"]


def _eval_texts() -> list[str]:
    texts = []
    for path in sorted(EVAL.glob("**/*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip() and isinstance(text := json.loads(line).get("text"), str):
                texts.append(features._safe(text))
    return list(dict.fromkeys(texts))


def _same(a: sp.csr_matrix, b: sp.csr_matrix) -> None:
    assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert a.data.tobytes() == b.data.tobytes()  # bit for bit, not approximately


@pytest.mark.parametrize("vectorizer", [features._CHARS, langid._vectorizer()],
                         ids=["model-chars", "langid"])
@pytest.mark.parametrize("max_words", [200_000, 50])
def test_same_matrix_as_scikit_learn(vectorizer: HashingVectorizer, max_words: int) -> None:
    texts = _eval_texts() + CORNERS
    assert len(texts) > 1000
    fast = WordCachedHashing(vectorizer, max_words=max_words)
    assert fast.exact
    for start in range(0, len(texts), 300):  # batches: later ones reuse (or forget) words
        batch = texts[start:start + 300]
        _same(fast.transform(batch), vectorizer.transform(batch))
    _same(fast.transform(CORNERS), vectorizer.transform(CORNERS))


def test_other_settings_are_passed_through() -> None:
    signed = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 3), n_features=2**10)
    words = HashingVectorizer(analyzer="word", n_features=2**10)
    for vectorizer in (signed, words):
        fast = WordCachedHashing(vectorizer)
        assert not fast.exact
        _same(fast.transform(CORNERS), vectorizer.transform(CORNERS))


def test_featurize_uses_it() -> None:
    reads = features.read_texts(_eval_texts()[:200])
    matrix = features.featurize(reads)
    chars = features._CHARS.transform([features.mask_groups(r.model_text) for r in reads])
    _same(sp.csr_matrix(matrix[:, :features.CHAR_FEATURES]), sp.csr_matrix(chars))
