"""scikit-learn's `char_wb` hashed n-grams, computed once per distinct word.

`char_wb` n-grams never cross a word boundary (each whitespace-separated word is padded with one
space and cut alone), so a text's n-gram counts are the sum of its words' counts. Replies repeat
the same few thousand words, so each word goes through scikit-learn's own (pure-Python) analyzer
and hasher once; a text is then the concatenation of its words' hashed indices, summed and
normalised by the same scipy / scikit-learn calls `HashingVectorizer.transform` makes. The matrix
is the same one, bit for bit (tests/analyze/test_ngrams.py compares them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize as sk_normalize

__all__ = ["WordCachedHashing"]

_EMPTY = np.zeros(0, dtype=np.int32)


class WordCachedHashing:
    """`transform` equal to `vectorizer.transform` (a `char_wb` HashingVectorizer without
    accent stripping, a preprocessor, alternate signs or binary counts; any other is passed
    through), with a bounded per-word memory of hashed n-gram indices."""

    def __init__(self, vectorizer: HashingVectorizer, max_words: int = 200_000) -> None:
        params = vectorizer.get_params()
        self.exact = (params["analyzer"] == "char_wb" and not params["alternate_sign"]
                      and not params["binary"] and params["strip_accents"] is None
                      and params["preprocessor"] is None)
        self.vectorizer = vectorizer
        self._counts = clone(vectorizer).set_params(norm=None)
        self._norm = params["norm"]
        self._dtype = params["dtype"]
        self._n_features = int(params["n_features"])
        self._max_words = max_words
        self._words: dict[str, np.ndarray] = {}

    def _learn(self, words: list[str]) -> None:
        counts = self._counts.transform(words)
        counts.sort_indices()
        indptr, indices, data = counts.indptr, counts.indices, counts.data
        for row, word in enumerate(words):
            lo, hi = indptr[row], indptr[row + 1]
            self._words[word] = np.repeat(indices[lo:hi], data[lo:hi].astype(np.int64)).astype(
                np.int32) if hi > lo else _EMPTY

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        if not self.exact or not texts:
            return self.vectorizer.transform(texts)
        # A word's n-grams do not depend on its neighbours; lowercasing (where the vectorizer
        # does it) is done on each word by the vectorizer itself.
        split = [t.split() for t in texts]
        known = self._words
        new = list(dict.fromkeys(w for words in split for w in words if w not in known))
        if new and len(known) + len(new) > self._max_words:
            known.clear()  # a bounded memory: start again rather than grow
            new = list(dict.fromkeys(w for words in split for w in words))
        if new:
            self._learn(new)
        pieces: list[np.ndarray] = []
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        total = 0
        for row, words in enumerate(split):
            for w in words:
                arr = known[w]
                pieces.append(arr)
                total += len(arr)
            indptr[row + 1] = total
        indices = np.concatenate(pieces) if pieces else _EMPTY
        if indices.size and indices.size < np.iinfo(np.int32).max:
            indptr = indptr.astype(np.int32)
        values = np.ones(indices.size, dtype=self._dtype)
        matrix = sp.csr_array((values, indices, indptr), dtype=self._dtype,
                              shape=(len(texts), self._n_features))
        matrix.sum_duplicates()  # also sorts the indices, as HashingVectorizer does
        if self._norm is not None:
            matrix = sk_normalize(matrix, norm=self._norm, copy=False)
        return sp.csr_matrix(matrix)
