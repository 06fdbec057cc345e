"""The coordination analysis as per-partition map + reduce, so the same code runs on one thread
in-process and on a campaign partitioned across Dask workers.

    map_partition(batch: PostBatch, params: CoordinationParams) -> PartitionSketch
        Over one columnar batch of posts (any subset of a thread or campaign): each row's
        distinct coordination text (`key_of`, -1 = nothing comparable), and per distinct text
        its 64-bit hash, folded text, one original sample, character-shingle sets, MinHash
        signatures (keys x num_perm uint32) and LSH band keys (keys x bands uint32); plus the
        posts per minute and per account. Pure, picklable, numpy columns only (plus the id and
        text lists the batch came with).

    merge_sketches(sketches: Sequence[PartitionSketch]) -> PartitionSketch
        Concatenate partitions; distinct texts seen in several partitions become one key (by
        hash). Associative: partial merges (tree reduction) are allowed.

    reduce_sketches(sketch: PartitionSketch, accounts: Mapping[str, Account],
                    params: CoordinationParams, reference: datetime | None
                    ) -> tuple[PostBatch, CoordinationResult]
        Band grouping, exact Jaccard, template-centred clusters, pairwise-window time groups
        weighed against the thread's own per-minute rate, text specificity, account signals
        and the co-action graph. Row numbers in the result index the returned PostBatch; its
        `platforms[i]`, `ids[i]` identify the post (posts are named by (platform, id), never
        by position across partitions). `reference` (the thread's start, for "account created
        shortly before") is passed explicitly; None = unknown.

    analyse_coordination(batch, accounts, params, reference) in pileon.coordinate.run is
    reduce_sketches(map_partition(batch, params), ...) for one in-memory batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import overload

import numpy as np

from pileon.coordinate.batch import NO_TIME, PostBatch
from pileon.coordinate.minhash import ShingleSets, band_keys, minhash_signatures, shingle_sets
from pileon.coordinate.near_duplicates import text_keys
from pileon.coordinate.results import CoordinationParams, CoordinationResult
from pileon.records import Account

__all__ = ["PartitionSketch", "map_partition", "merge_sketches", "reduce_sketches"]

_MINUTE_MS = 60_000


class KeyTexts(Sequence[str]):
    """Row texts seen through their distinct key: row i reads the sample text of its key.

    A reduce never needs every original text, only one per distinct coordination text (for
    templates) and whether a row had any text at all."""

    def __init__(self, key_of: np.ndarray, samples: Sequence[str]) -> None:
        self._key_of = key_of
        self._samples = samples

    def __len__(self) -> int:
        return len(self._key_of)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        key = int(self._key_of[index])
        return "" if key < 0 else self._samples[key]


@dataclass(frozen=True)
class PartitionSketch:
    """What the map step keeps of one partition; see the module docstring."""

    posts: PostBatch  # texts replaced by a KeyTexts view (one sample per distinct text)
    key_of: np.ndarray  # int64 per row: index into the per-key columns, -1 = no comparable text
    key_hash: np.ndarray  # uint64 per key: blake2b of the folded text
    key_text: list[str]  # folded coordination text per key
    sample_text: list[str]  # one original text per key
    shingles: ShingleSets  # per key
    signatures: np.ndarray  # (keys x num_perm) uint32
    bands: np.ndarray  # (keys x bands) uint32
    minutes: np.ndarray  # int64 epoch minutes with at least one dated post, ascending
    minute_posts: np.ndarray  # int64 posts in each of those minutes
    empty_texts: int  # rows whose text was empty before folding


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"),
                                          digest_size=8).digest(), "little")


def map_partition(batch: PostBatch, params: CoordinationParams) -> PartitionSketch:
    """Text keys, signatures, band keys and per-minute counts of one partition."""
    keys = text_keys(batch.texts)
    sample = [""] * len(keys.keys)
    if len(keys.keys):
        present = np.flatnonzero(keys.key_of >= 0)
        _, first = np.unique(keys.key_of[present], return_index=True)
        sample = [batch.texts[int(present[i])] for i in first]
    sets = shingle_sets(keys.keys, params.shingle_size)
    signatures = minhash_signatures(sets, params.num_perm, params.seed)
    dated = batch.created_ms[batch.created_ms != NO_TIME]
    minutes, counts = np.unique(dated // _MINUTE_MS, return_counts=True)
    posts = PostBatch(platforms=batch.platforms, ids=batch.ids,
                      texts=KeyTexts(keys.key_of, sample), authors=batch.authors,
                      created_ms=batch.created_ms, kinds=batch.kinds, reply_to=batch.reply_to,
                      quote_of=batch.quote_of)
    return PartitionSketch(
        posts=posts, key_of=keys.key_of,
        key_hash=np.fromiter((_hash(k) for k in keys.keys), dtype=np.uint64,
                             count=len(keys.keys)),
        key_text=keys.keys, sample_text=sample, shingles=sets, signatures=signatures,
        bands=band_keys(signatures, params.bands),
        minutes=minutes.astype(np.int64), minute_posts=counts.astype(np.int64),
        empty_texts=sum(1 for t in batch.texts if not t.strip()),
    )


def _take_sets(parts: Sequence[ShingleSets], picks: Sequence[np.ndarray]) -> ShingleSets:
    hashes, sizes = [], []
    for sets, pick in zip(parts, picks, strict=True):
        sizes.append(sets.sizes[pick])
        counts = sets.sizes[pick]
        starts = np.repeat(sets.starts[pick], counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        hashes.append(sets.hashes[starts + offsets])
    all_sizes = np.concatenate(sizes).astype(np.int64) if sizes else np.zeros(0, np.int64)
    starts = np.concatenate(([0], np.cumsum(all_sizes)[:-1])).astype(np.int64)
    return ShingleSets(np.concatenate(hashes) if hashes else np.zeros(0, np.uint32),
                       starts[: len(all_sizes)], all_sizes)


def merge_sketches(sketches: Sequence[PartitionSketch]) -> PartitionSketch:
    """One sketch of all partitions; equal texts across partitions share one key."""
    if len(sketches) == 1:
        return sketches[0]
    if not sketches:
        raise ValueError("merge_sketches needs at least one sketch")
    hashes = np.concatenate([s.key_hash for s in sketches])
    unique, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    offsets = np.cumsum([0] + [len(s.key_hash) for s in sketches])
    picks = [np.sort(first[(first >= lo) & (first < hi)]) - lo
             for lo, hi in zip(offsets[:-1], offsets[1:], strict=True)]
    # Keys are renumbered in the order of the kept first occurrences.
    order = np.argsort(first, kind="stable")
    new_of_unique = np.empty(len(unique), dtype=np.int64)
    new_of_unique[order] = np.arange(len(unique))
    key_of = []
    for s, lo in zip(sketches, offsets[:-1], strict=True):
        local = s.key_of.copy()
        present = local >= 0
        local[present] = new_of_unique[inverse[lo + local[present]]]
        key_of.append(local)
    key_of_all = np.concatenate(key_of)
    sample = [s.sample_text[int(i)] for s, pick in zip(sketches, picks, strict=True)
              for i in pick]
    minutes = np.concatenate([s.minutes for s in sketches])
    counts = np.concatenate([s.minute_posts for s in sketches])
    merged_minutes, where = np.unique(minutes, return_inverse=True)

    def column(name: str) -> list[object]:
        return [v for s in sketches for v in getattr(s.posts, name)]

    posts = PostBatch(
        platforms=column("platforms"), ids=column("ids"),  # type: ignore[arg-type]
        texts=KeyTexts(key_of_all, sample), authors=column("authors"),  # type: ignore[arg-type]
        created_ms=np.concatenate([s.posts.created_ms for s in sketches]),
        kinds=column("kinds"), reply_to=column("reply_to"),  # type: ignore[arg-type]
        quote_of=column("quote_of"),  # type: ignore[arg-type]
    )
    return PartitionSketch(
        posts=posts, key_of=key_of_all,
        key_hash=np.concatenate([s.key_hash[p] for s, p in zip(sketches, picks, strict=True)]),
        key_text=[s.key_text[int(i)] for s, pick in zip(sketches, picks, strict=True)
                  for i in pick],
        sample_text=sample,
        shingles=_take_sets([s.shingles for s in sketches], picks),
        signatures=np.concatenate([s.signatures[p] for s, p in
                                   zip(sketches, picks, strict=True)]),
        bands=np.concatenate([s.bands[p] for s, p in zip(sketches, picks, strict=True)]),
        minutes=merged_minutes.astype(np.int64),
        minute_posts=np.bincount(where, weights=counts).astype(np.int64),
        empty_texts=sum(s.empty_texts for s in sketches),
    )


def reduce_sketches(sketch: PartitionSketch, accounts: Mapping[str, Account],
                    params: CoordinationParams, reference: datetime | None
                    ) -> tuple[PostBatch, CoordinationResult]:
    """The whole analysis over a (merged) sketch; see the module docstring."""
    from pileon.coordinate.run import analyse_sketch

    return sketch.posts, analyse_sketch(sketch, accounts, params, reference)
