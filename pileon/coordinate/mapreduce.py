"""The coordination analysis as per-partition map + reduce, so the same code runs on one thread
in-process and on a campaign partitioned across Dask workers.

    map_partition(batch: PostBatch, params: CoordinationParams) -> PartitionSketch
        Over one columnar batch of posts (any subset of a thread or campaign): each row's
        distinct coordination text (`key_of`, -1 = nothing comparable), and per distinct text
        its 64-bit hash, folded text, one original sample, character-shingle sets, MinHash
        signatures (keys x num_perm, low 16 bits as uint16) and LSH band keys (keys x bands
        uint32, from the full 32-bit values); plus the posts per minute. Pure, picklable, numpy
        columns only (plus the id lists the batch came with and one text per distinct text).

    merge_sketches(sketches: Sequence[PartitionSketch]) -> PartitionSketch
        Concatenate partitions; distinct texts seen in several partitions become one key (by
        hash). Associative: partial merges (tree reduction) are allowed.

    Nothing depends on how a thread was cut into partitions or in which order its rows came:
    keys are numbered by the hash of their folded text, each key's sample text is the one of
    its earliest post (ties: the hash of (platform, id)), and every tie the reduce breaks
    (template post, window edges, cluster order) is broken by that same (time, hash) rank.

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
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import overload

import numpy as np

from pileon.coordinate.batch import NO_TIME, PostBatch
from pileon.coordinate.minhash import ShingleSets, band_keys, minhash_signatures, shingle_sets
from pileon.coordinate.near_duplicates import text_keys
from pileon.coordinate.results import CoordinationParams, CoordinationResult
from pileon.records import Account

__all__ = ["PartitionSketch", "map_partition", "merge_sketches", "reduce_sketches", "row_hashes",
           "with_posts", "without_posts"]

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
    signatures: np.ndarray  # (keys x num_perm) uint16: low bits of the MinHash values
    bands: np.ndarray  # (keys x bands) uint32
    minutes: np.ndarray  # int64 epoch minutes with at least one dated post, ascending
    minute_posts: np.ndarray  # int64 posts in each of those minutes
    empty_texts: int  # rows whose text was empty before folding
    row_hash: np.ndarray  # uint64 per row: hash of (platform, id), the canonical tie-break
    sample_rank: np.ndarray  # (keys x 2) int64: (created_ms, row hash) of each key's sample

    def key_rank(self) -> np.ndarray:
        """Each key's place in the order of its earliest post (the canonical order)."""
        order = np.lexsort((self.sample_rank[:, 1], self.sample_rank[:, 0]))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank

    def row_rank(self) -> np.ndarray:
        """Each row's place in the canonical order (time, then hash of (platform, id))."""
        order = np.lexsort((self.row_hash.view(np.int64), self.posts.created_ms))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"),
                                          digest_size=8).digest(), "little")


def row_hashes(platforms: Sequence[str], ids: Sequence[str]) -> np.ndarray:
    """64-bit hash of each row's (platform, id): CRC-32 and Adler-32 side by side (cheap, and
    only ever a tie-break between posts of the same millisecond)."""
    return np.fromiter(
        ((zlib.crc32(b := f"{p}\x1f{i}".encode("utf-8", "surrogatepass")) << 32)
         | zlib.adler32(b) for p, i in zip(platforms, ids, strict=True)),
        dtype=np.uint64, count=len(ids))


def map_partition(batch: PostBatch, params: CoordinationParams) -> PartitionSketch:
    """Text keys, signatures, band keys and per-minute counts of one partition."""
    found = text_keys(batch.texts)
    key_hash = np.fromiter((_hash(k) for k in found.keys), dtype=np.uint64,
                           count=len(found.keys))
    # Keys numbered by hash, not by first appearance: the same texts get the same numbers
    # whatever the partition holds besides them.
    by_hash = np.argsort(key_hash, kind="stable")
    renumber = np.empty(len(by_hash), dtype=np.int64)
    renumber[by_hash] = np.arange(len(by_hash))
    key_of = np.where(found.key_of >= 0, renumber[np.maximum(found.key_of, 0)], -1) \
        if len(by_hash) else found.key_of
    key_text = [found.keys[int(k)] for k in by_hash]
    key_hash = key_hash[by_hash]
    row_hash = row_hashes(batch.platforms, batch.ids)
    sample: list[str] = []
    sample_rank = np.zeros((len(key_text), 2), dtype=np.int64)
    if len(key_text):
        present = np.flatnonzero(key_of >= 0)
        # Each key's sample: its earliest row (then smallest row hash).
        signed = row_hash.view(np.int64)  # the same order as `sample_rank` and `row_rank`
        order = present[np.lexsort((signed[present], batch.created_ms[present],
                                    key_of[present]))]
        first = order[np.concatenate(([True], key_of[order][1:] != key_of[order][:-1]))]
        sample = [batch.texts[int(r)] for r in first]
        sample_rank[:, 0] = batch.created_ms[first]
        sample_rank[:, 1] = signed[first]
    sets = shingle_sets(key_text, params.shingle_size)
    full = minhash_signatures(sets, params.num_perm, params.seed)
    bands = band_keys(full, params.bands)
    # The low 16 bits of each MinHash value are kept for similarity estimates (a chance match
    # of two different values adds 1/65536 to an estimate); band keys used all 32.
    signatures = full.astype(np.uint16)
    del full
    dated = batch.created_ms[batch.created_ms != NO_TIME]
    minutes, counts = np.unique(dated // _MINUTE_MS, return_counts=True)
    posts = PostBatch(platforms=batch.platforms, ids=batch.ids,
                      texts=KeyTexts(key_of, sample), authors=batch.authors,
                      created_ms=batch.created_ms, kinds=batch.kinds, reply_to=batch.reply_to,
                      quote_of=batch.quote_of)
    return PartitionSketch(
        posts=posts, key_of=key_of, key_hash=key_hash, key_text=key_text, sample_text=sample,
        shingles=sets, signatures=signatures, bands=bands,
        minutes=minutes.astype(np.int64), minute_posts=counts.astype(np.int64),
        empty_texts=sum(1 for t in batch.texts if not t.strip()),
        row_hash=row_hash, sample_rank=sample_rank,
    )


def merge_sketches(sketches: Sequence[PartitionSketch]) -> PartitionSketch:
    """One sketch of all partitions; equal texts across partitions share one key."""
    if len(sketches) == 1:
        return sketches[0]
    if not sketches:
        raise ValueError("merge_sketches needs at least one sketch")
    hashes = np.concatenate([s.key_hash for s in sketches])
    ranks = np.concatenate([s.sample_rank for s in sketches])
    offsets = np.cumsum([0] + [len(s.key_hash) for s in sketches])
    # Per distinct hash (ascending: the new key numbers), the occurrence whose sample is the
    # earliest post; every other column of a key is the same in every partition.
    order = np.lexsort((ranks[:, 1], ranks[:, 0], hashes))
    keep = np.concatenate(([True], hashes[order][1:] != hashes[order][:-1])) \
        if len(order) else np.zeros(0, dtype=bool)
    chosen = order[keep]
    new_of_occurrence = np.cumsum(keep) - 1
    new_key = np.empty(len(hashes), dtype=np.int64)
    new_key[order] = new_of_occurrence
    part_of = np.searchsorted(offsets, chosen, side="right") - 1
    local = chosen - offsets[part_of]
    picks = [np.flatnonzero(part_of == p) for p in range(len(sketches))]
    key_of = []
    for s, lo in zip(sketches, offsets[:-1], strict=True):
        mapped = s.key_of.copy()
        present = mapped >= 0
        mapped[present] = new_key[lo + mapped[present]]
        key_of.append(mapped)
    key_of_all = np.concatenate(key_of)

    def per_key(column: str) -> list[str]:
        values = [""] * len(chosen)
        for p, where in enumerate(picks):
            source = getattr(sketches[p], column)
            for k, i in zip(where.tolist(), local[where].tolist(), strict=True):
                values[k] = source[i]
        return values

    def stacked(column: str) -> np.ndarray:
        first = getattr(sketches[0], column)
        out = np.empty((len(chosen), *first.shape[1:]), dtype=first.dtype)
        for p, where in enumerate(picks):
            out[where] = getattr(sketches[p], column)[local[where]]
        return out

    sample = per_key("sample_text")
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
        posts=posts, key_of=key_of_all, key_hash=hashes[chosen],
        key_text=per_key("key_text"), sample_text=sample,
        shingles=_take_sets_in_order([s.shingles for s in sketches], part_of, local),
        signatures=stacked("signatures"), bands=stacked("bands"),
        minutes=merged_minutes.astype(np.int64),
        minute_posts=np.bincount(where, weights=counts).astype(np.int64),
        empty_texts=sum(s.empty_texts for s in sketches),
        row_hash=np.concatenate([s.row_hash for s in sketches]),
        sample_rank=ranks[chosen],
    )


def _take_sets_in_order(parts: Sequence[ShingleSets], part_of: np.ndarray,
                        local: np.ndarray) -> ShingleSets:
    """The shingle sets of key k = `parts[part_of[k]]`'s set `local[k]`, in key order."""
    sizes = np.zeros(len(part_of), dtype=np.int64)
    for p, sets in enumerate(parts):
        where = part_of == p
        sizes[where] = sets.sizes[local[where]]
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)[: len(sizes)]
    hashes = np.empty(int(sizes.sum()), dtype=np.uint32)
    step = 1 << 16  # keys per pass: the index temporaries stay small at a million texts
    for p, sets in enumerate(parts):
        every = np.flatnonzero(part_of == p)
        for lo in range(0, len(every), step):
            where = every[lo:lo + step]
            counts = sizes[where]
            source = np.repeat(sets.starts[local[where]], counts)
            target = np.repeat(starts[where], counts)
            offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            hashes[target + offsets] = sets.hashes[source + offsets]
    return ShingleSets(hashes, starts, sizes)


def without_posts(sketch: PartitionSketch) -> PartitionSketch:
    """The sketch with only the post times kept of its posts (cheap to send between
    processes); `with_posts` puts a batch read elsewhere, in the same row order, back."""
    n = len(sketch.key_of)
    return replace(sketch, posts=PostBatch(
        platforms=[], ids=[], texts=KeyTexts(sketch.key_of, sketch.sample_text), authors=[],
        created_ms=sketch.posts.created_ms, kinds=[], reply_to=[], quote_of=[])) if n else sketch


def with_posts(sketch: PartitionSketch, batch: PostBatch) -> PartitionSketch:
    """`sketch` (of rows in `batch`'s order) with `batch`'s columns as its posts."""
    if len(batch) != len(sketch.key_of) or not np.array_equal(batch.created_ms,
                                                              sketch.posts.created_ms):
        raise ValueError("the posts changed between the map step and the reduce; run again")
    return replace(sketch, posts=PostBatch(
        platforms=batch.platforms, ids=batch.ids,
        texts=KeyTexts(sketch.key_of, sketch.sample_text), authors=batch.authors,
        created_ms=batch.created_ms, kinds=batch.kinds, reply_to=batch.reply_to,
        quote_of=batch.quote_of))


def reduce_sketches(sketch: PartitionSketch, accounts: Mapping[str, Account],
                    params: CoordinationParams, reference: datetime | None
                    ) -> tuple[PostBatch, CoordinationResult]:
    """The whole analysis over a (merged) sketch; see the module docstring."""
    from pileon.coordinate.run import analyse_sketch

    return sketch.posts, analyse_sketch(sketch, accounts, params, reference)
