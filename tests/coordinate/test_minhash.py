"""Vectorised shingles, signatures, banding and exact Jaccard against plain Python sets and
against datasketch's own MinHash."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash

from pileon.coordinate.minhash import (
    band_keys,
    candidate_pairs,
    exact_jaccard,
    minhash_signatures,
    shingle_sets,
)

TEXTS = [
    "they knew what they were doing and they will answer for it",
    "they knew what they were doing and they will answer for this",
    "a completely different sentence about bread and rivers in winter",
    "ok",
    "they knew what you were doing and they will answer for it now",
]


def _python_shingles(text: str, k: int) -> set[str]:
    text = text.ljust(k, "\x00")
    return {text[i:i + k] for i in range(len(text) - k + 1)}


def test_exact_jaccard_equals_python_sets() -> None:
    sets = shingle_sets(TEXTS, 5)
    pairs = np.array([(i, j) for i in range(len(TEXTS)) for j in range(i + 1, len(TEXTS))])
    ours = exact_jaccard(sets, pairs)
    for (i, j), value in zip(pairs, ours, strict=True):
        a, b = _python_shingles(TEXTS[i], 5), _python_shingles(TEXTS[j], 5)
        assert abs(value - len(a & b) / len(a | b)) < 1e-9
    for batch in (1, 7, 50):  # many small passes give the same numbers
        assert np.array_equal(exact_jaccard(sets, pairs, batch=batch), ours)


def test_every_text_gets_its_distinct_shingles() -> None:
    sets = shingle_sets(["aaaaaa", "ok"], 5)
    assert list(sets.sizes) == [1, 1]  # "aaaaa" twice is one shingle; "ok" is padded to one


def test_signature_agreement_estimates_jaccard_like_datasketch() -> None:
    sets = shingle_sets(TEXTS, 5)
    signatures = minhash_signatures(sets, 256, seed=3)
    exact = exact_jaccard(sets, np.array([[0, 1], [0, 2], [0, 4]]))
    ours = [(signatures[0] == signatures[j]).mean() for j in (1, 2, 4)]
    reference = []
    for j in (1, 2, 4):
        a, b = MinHash(num_perm=256, seed=3), MinHash(num_perm=256, seed=3)
        a.update_batch([s.encode() for s in _python_shingles(TEXTS[0], 5)])
        b.update_batch([s.encode() for s in _python_shingles(TEXTS[j], 5)])
        reference.append(a.jaccard(b))
    for mine, theirs, truth in zip(ours, reference, exact, strict=True):
        assert abs(mine - truth) < 0.12
        assert abs(theirs - truth) < 0.12


def test_banding_proposes_near_copies_and_not_strangers() -> None:
    sets = shingle_sets(TEXTS, 5)
    pairs = {tuple(p) for p in candidate_pairs(band_keys(minhash_signatures(sets, 60, 1), 20)).tolist()}
    assert (0, 1) in pairs
    assert (0, 2) not in pairs and (1, 2) not in pairs


def test_empty_and_single_inputs() -> None:
    empty = shingle_sets([], 5)
    assert minhash_signatures(empty, 60, 1).shape == (0, 60)
    one = shingle_sets(["hello there"], 5)
    assert candidate_pairs(band_keys(minhash_signatures(one, 60, 1), 20)).shape == (0, 2)
