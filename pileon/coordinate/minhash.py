"""MinHash signatures, LSH banding and exact Jaccard for many texts at once, vectorised with
numpy: character shingles hashed in one pass over all texts, one permutation per column, bands
matched by sorting arrays of band keys (no per-text Python objects, no dicts of buckets).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ShingleSets", "band_keys", "candidate_pairs", "distinct", "estimated_jaccard", "exact_jaccard", "minhash_signatures", "shingle_sets"]

_U64 = np.uint64
_MIX1 = _U64(0xBF58476D1CE4E5B9)
_MIX2 = _U64(0x94D049BB133111EB)
_BASE = _U64(0x100000001B3)  # FNV-64 prime: the polynomial base of the rolling hash
_CHUNK = 1 << 21  # shingles per signature chunk: bounded memory, cache-sized temporaries
_ALL_PAIRS = 32  # LSH buckets up to this many texts propose every pair


@dataclass(frozen=True)
class ShingleSets:
    """The distinct 32-bit shingle hashes of each text, sorted, back to back.

    Text i owns `hashes[starts[i]:starts[i] + sizes[i]]`; every text has at least one.
    """

    hashes: np.ndarray  # uint32
    starts: np.ndarray  # int64
    sizes: np.ndarray  # int64

    def of(self, i: int) -> np.ndarray:
        return self.hashes[self.starts[i]: self.starts[i] + self.sizes[i]]


def _splitmix(values: np.ndarray) -> np.ndarray:
    values = values ^ (values >> _U64(30))
    values *= _MIX1
    values ^= values >> _U64(27)
    values *= _MIX2
    return values ^ (values >> _U64(31))


def shingle_sets(texts: Sequence[str], k: int, chunk: int = 20_000) -> ShingleSets:
    """Character k-shingles of every (non-empty) text; a text shorter than k is one shingle.
    Computed `chunk` texts at a time, so temporaries stay small at a million texts."""
    if len(texts) > chunk:
        parts = [_shingle_sets(texts[lo:lo + chunk], k) for lo in range(0, len(texts), chunk)]
        sizes = np.concatenate([p.sizes for p in parts])
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        return ShingleSets(np.concatenate([p.hashes for p in parts]), starts, sizes)
    return _shingle_sets(texts, k)


def _shingle_sets(texts: Sequence[str], k: int) -> ShingleSets:
    if not texts:
        empty = np.zeros(0, dtype=np.int64)
        return ShingleSets(np.zeros(0, dtype=np.uint32), empty, empty)
    padded = [t if len(t) >= k else t.ljust(k, "\x00") for t in texts]
    lengths = np.fromiter((len(t) for t in padded), dtype=np.int64, count=len(padded))
    codes = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    text_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    n_windows = lengths - k + 1
    # Rolling polynomial hash of every window of k code points, all texts at once.
    total = len(codes) - k + 1
    rolling = np.zeros(total, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(k):
            rolling *= _BASE
            rolling += codes[offset: offset + total]
        mixed = _splitmix(rolling) >> _U64(32)
    owner = np.repeat(np.arange(len(padded), dtype=np.uint64), n_windows)
    positions = np.arange(n_windows.sum()) - np.repeat(np.cumsum(n_windows) - n_windows, n_windows)
    window_at = np.repeat(text_starts, n_windows) + positions
    keys = np.sort((owner << _U64(32)) | mixed[window_at])  # distinct shingles per text
    if len(keys) > 1:
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    owners = (keys >> _U64(32)).astype(np.int64)
    sizes = np.bincount(owners, minlength=len(padded)).astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    return ShingleSets((keys & _U64(0xFFFFFFFF)).astype(np.uint32), starts, sizes)


def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | _U64(1)  # odd multipliers
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


def minhash_signatures(sets: ShingleSets, num_perm: int, seed: int) -> np.ndarray:
    """(texts x num_perm) uint32 MinHash signatures.

    Permutation p maps a 32-bit shingle hash h to the top 32 bits of a_p * h + b_p (mod 2^64),
    a multiply-shift universal family: ten times cheaper than a Mersenne-prime modulus.
    """
    n = len(sets.sizes)
    signatures = np.empty((n, num_perm), dtype=np.uint32)
    if n == 0:
        return signatures
    a, b = _permutations(num_perm, seed)
    ends = sets.starts + sets.sizes
    first = 0
    while first < n:  # chunks of whole texts
        last = int(np.searchsorted(ends, ends[first] - sets.sizes[first] + _CHUNK, "right"))
        last = max(last, first + 1)
        lo, hi = int(sets.starts[first]), int(ends[last - 1])
        chunk = sets.hashes[lo:hi].astype(np.uint64)
        local_starts = sets.starts[first:last] - lo
        buffer = np.empty_like(chunk)
        with np.errstate(over="ignore"):
            for p in range(num_perm):
                np.multiply(chunk, a[p], out=buffer)
                np.add(buffer, b[p], out=buffer)
                np.right_shift(buffer, _U64(32), out=buffer)
                signatures[first:last, p] = np.minimum.reduceat(buffer, local_starts)
        first = last
    return signatures


def band_keys(signatures: np.ndarray, bands: int) -> np.ndarray:
    """(texts x bands) uint32: one hash per band of `num_perm // bands` signature rows (a
    chance collision only proposes a pair that exact Jaccard then rejects)."""
    n, num_perm = signatures.shape
    rows = num_perm // bands
    out = np.empty((n, bands), dtype=np.uint32)
    with np.errstate(over="ignore"):
        for band in range(bands):
            key = np.full(n, _U64(band + 1), dtype=np.uint64)
            for column in range(band * rows, (band + 1) * rows):
                key = _splitmix(key ^ signatures[:, column].astype(np.uint64))
            out[:, band] = (key >> _U64(32)).astype(np.uint32)
    return out


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of a 1-D array: `np.unique` by sorting (numpy 2's hash
    table is several times slower on millions of 64-bit codes)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def _unpack(packed: np.ndarray) -> np.ndarray:
    return np.stack([(packed >> _U64(32)).astype(np.int64),
                     (packed & _U64(0xFFFFFFFF)).astype(np.int64)], axis=1)


def _band_codes(key: np.ndarray) -> np.ndarray:
    """The pairs one band proposes, packed (i << 32 | j, i < j), possibly repeated."""
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return np.zeros(0, dtype=np.uint64)
    starts = np.concatenate(([True], ~same))
    run_id = np.cumsum(starts)
    run_first = np.flatnonzero(starts)
    member = np.flatnonzero(np.concatenate(([False], same)))
    order64 = order.astype(np.uint64)
    left = [order64[run_first[run_id[member] - 1]], order64[member - 1]]
    right = [order64[member], order64[member]]
    # Small buckets (up to `_ALL_PAIRS` texts) give all their pairs: a wave's members are each
    # a few edits from the template, so a member far from the bucket's first text would
    # otherwise lose its only proposals.
    run_size = np.diff(np.concatenate((run_first, [len(ordered)])))
    size_of = run_size[run_id - 1]
    small = np.flatnonzero((size_of >= 4) & (size_of <= _ALL_PAIRS))
    if len(small):
        position = small - run_first[run_id[small] - 1]
        for back in range(2, _ALL_PAIRS):
            has = position >= back
            if not has.any():
                break
            at = small[has]
            left.append(order64[at - back])
            right.append(order64[at])
    a, b = np.concatenate(left), np.concatenate(right)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return ((lo << _U64(32)) | hi)[lo != hi]


def candidate_pairs(keys: np.ndarray,
                    keep: Callable[[np.ndarray], np.ndarray] | None = None,
                    bands_per_pass: int = 4) -> np.ndarray:
    """(m x 2) int64 distinct pairs of texts sharing a whole band (equal `band_keys` column),
    i < j, in ascending order.

    Within a bucket of equal band keys each text is paired with the bucket's first text and
    with its predecessor, not with all others: linear in bucket size; buckets of at most 32
    texts propose all their pairs. `keep(pairs)` (a boolean mask) filters the distinct pairs
    of every `bands_per_pass` bands before they are collected (bounded memory; a pair found
    in many bands is tested once per pass, not once per band). Clustering then looks a
    member's neighbours' neighbours up too, so a bucket's members still meet its centre.
    """
    n = keys.shape[0]
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    kept: list[np.ndarray] = []
    for first in range(0, keys.shape[1], bands_per_pass):
        codes = distinct(np.concatenate(
            [_band_codes(keys[:, band])
             for band in range(first, min(first + bands_per_pass, keys.shape[1]))]))
        if keep is not None and len(codes):
            codes = codes[keep(_unpack(codes))]
        kept.append(codes)
    return _unpack(distinct(np.concatenate(kept)))


def estimated_jaccard(signatures: np.ndarray, pairs: np.ndarray,
                      chunk: int = 1 << 16) -> np.ndarray:
    """MinHash estimate of each pair's Jaccard: the share of equal signature columns."""
    out = np.empty(len(pairs), dtype=np.float32)
    for lo in range(0, len(pairs), chunk):
        part = pairs[lo:lo + chunk]
        out[lo:lo + len(part)] = (signatures[part[:, 0]] == signatures[part[:, 1]]).mean(axis=1)
    return out


def exact_jaccard(sets: ShingleSets, pairs: np.ndarray, batch: int = 1 << 22) -> np.ndarray:
    """Exact Jaccard of the shingle sets of each pair (float64, one per row of `pairs`)."""
    result = np.zeros(len(pairs), dtype=np.float64)
    first = 0
    # Enough pairs per pass to hold about `batch` shingles on each side.
    total = np.cumsum(sets.sizes[pairs[:, 0]] + sets.sizes[pairs[:, 1]]) if len(pairs) else None
    while first < len(pairs):
        done = int(total[first - 1]) if first else 0  # type: ignore[index]
        last = max(first + 1, int(np.searchsorted(total, done + batch)))  # type: ignore[arg-type]
        part = pairs[first:last]
        tag = np.arange(len(part), dtype=np.uint64)
        lists = []
        for side in (0, 1):
            counts = sets.sizes[part[:, side]]
            starts = np.repeat(sets.starts[part[:, side]], counts)
            offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            values = sets.hashes[starts + offsets].astype(np.uint64)
            # Each set is sorted and tags ascend: (tag << 32 | hash) is sorted already.
            lists.append((np.repeat(tag, counts) << _U64(32)) | values)
        left, right = lists
        at = np.minimum(np.searchsorted(left, right), len(left) - 1)
        common = right[left[at] == right] >> _U64(32)
        inter = np.bincount(common.astype(np.int64), minlength=len(part)).astype(np.float64)
        union = sets.sizes[part[:, 0]] + sets.sizes[part[:, 1]] - inter
        result[first:last] = inter / np.maximum(union, 1)
        first = last
    return result
