"""Near-duplicate clusters: replies whose coordination text is near-identical to a template.

Exact copies collapse first; distinct texts get MinHash signatures, LSH bands propose pairs and
exact Jaccard over the shingle sets accepts or rejects each. Clusters are CENTRED, not connected
components: the text with the most near-copies (posts weighted) becomes a centre and takes every
text within `jaccard_threshold` of IT among its neighbours and their neighbours; then the next
unclaimed text. Every member is within the threshold of its own template, so "A ~ B ~ C ~ D"
chains of slowly drifting texts do not merge into one giant cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from pileon.coordinate.minhash import (
    ShingleSets,
    band_keys,
    candidate_pairs,
    distinct,
    estimated_jaccard,
    exact_jaccard,
    minhash_signatures,
    shingle_sets,
)
from pileon.coordinate.results import CoordinationParams
from pileon.coordinate.text_key import comparable_texts, strip_addresses_many

__all__ = ["KeyClusters", "TextCluster", "TextKeys", "centred_clusters", "near_duplicate_groups",
           "text_keys"]


#: Candidate pairs whose MinHash estimate is below threshold - margin get no exact check. Two
#: standard errors of a 60-column estimate near 0.4: on the 1M-post QUT-layout thread this
#: drops 584 of 1,389,777 pairs whose exact Jaccard reaches 0.4 (0.04%) and 40% of the work.
_ESTIMATE_MARGIN = 0.12


@dataclass(frozen=True)
class TextKeys:
    """Each row's distinct coordination text: `key_of[row]` indexes `keys`, -1 = nothing left."""

    keys: list[str]
    key_of: np.ndarray  # int64 per row
    rows_per_key: np.ndarray  # int64 per key


@dataclass(frozen=True)
class TextCluster:
    rows: np.ndarray  # int64 row numbers, in row order
    similarity: np.ndarray  # float64 exact Jaccard of each row's text to the template
    template_row: int


@dataclass(frozen=True)
class KeyClusters:
    """Centred clusters over distinct texts (keys)."""

    cluster_of: np.ndarray  # int64 per key, -1 = in no cluster
    centres: np.ndarray  # int64 key of each cluster's template
    similarity: np.ndarray  # float64 per key: exact Jaccard to its cluster's template


def text_keys(texts: Sequence[str]) -> TextKeys:
    """Coordination text of every row, folded once per distinct text without addresses."""
    stripped_index: dict[str, int] = {}
    stripped_of = np.fromiter(
        (stripped_index.setdefault(t, len(stripped_index)) for t in strip_addresses_many(texts)),
        dtype=np.int64, count=len(texts))
    key_index: dict[str, int] = {}
    key_of_stripped = np.empty(len(stripped_index), dtype=np.int64)
    for position, key in enumerate(comparable_texts(list(stripped_index))):
        key_of_stripped[position] = key_index.setdefault(key, len(key_index)) if key else -1
    key_of = key_of_stripped[stripped_of] if len(texts) else np.zeros(0, dtype=np.int64)
    counted = key_of[key_of >= 0]
    return TextKeys(list(key_index), key_of, np.bincount(counted, minlength=len(key_index)))


def centred_clusters(sets: ShingleSets, bands: np.ndarray, rows_per_key: np.ndarray,
                     threshold: float, template_threshold: float | None = None,
                     signatures: np.ndarray | None = None,
                     first_seen: np.ndarray | None = None) -> KeyClusters:
    """Template-centred clusters of keys; a cluster needs >= 2 posts (copies count).

    A text joins a centre when it is a near-copy (>= `threshold`) of the centre or of one of
    the centre's near-copies, AND is within `template_threshold` (default: `threshold`) of the
    centre itself: the bound that keeps drifting chains apart. Centres are tried by weight;
    among equal weights the text posted first (`first_seen`, a per-key rank; default the key
    number) goes first."""
    bound = threshold if template_threshold is None else min(template_threshold, threshold)
    n = len(rows_per_key)
    cluster_of = np.full(n, -1, dtype=np.int64)
    similarity = np.zeros(n)
    # Pairs whose MinHash estimate is far below the threshold need no exact check (standard
    # error of a 60-column estimate near 0.4 is about 0.06).
    pairs = candidate_pairs(bands, None if signatures is None else (
        lambda p: estimated_jaccard(signatures, p) >= threshold - _ESTIMATE_MARGIN))
    if len(pairs):
        pairs = pairs[exact_jaccard(sets, pairs) >= threshold]
    both = np.concatenate([pairs, pairs[:, ::-1]]) if len(pairs) else np.zeros((0, 2), np.int64)
    graph = csr_matrix((np.ones(len(both), dtype=np.int8), (both[:, 0], both[:, 1])),
                       shape=(n, n))
    weight = rows_per_key.astype(np.float64)
    priority = graph @ weight + weight
    linked = np.diff(graph.indptr) > 0
    order = np.flatnonzero(linked | (rows_per_key >= 2))
    tie = order if first_seen is None else first_seen[order]
    order = order[np.lexsort((tie, -priority[order]))]
    centres: list[int] = []
    for key in order.tolist():
        if cluster_of[key] >= 0:
            continue
        cid = len(centres)
        centres.append(key)
        cluster_of[key] = cid
        similarity[key] = 1.0
        near = graph.indices[graph.indptr[key]:graph.indptr[key + 1]]
        if not len(near):
            continue
        around = distinct(np.concatenate([near, graph[near].indices]))
        around = around[cluster_of[around] < 0]
        if not len(around):
            continue
        j = exact_jaccard(sets, np.stack([around, np.full(len(around), key)], axis=1))
        take = j >= bound
        cluster_of[around[take]] = cid
        similarity[around[take]] = j[take]
    centre_arr = np.array(centres, dtype=np.int64)
    # A cluster of one post (a lone text whose neighbours all went to other centres, or
    # were reached later) joins the centre of a neighbour when it is within the template
    # bound of THAT centre: the same test a neighbour's neighbour passes in the loop above.
    if len(centre_arr):
        posts = np.bincount(cluster_of[cluster_of >= 0], weights=weight[cluster_of >= 0],
                            minlength=len(centre_arr))
        lone = (cluster_of >= 0) & (posts[np.maximum(cluster_of, 0)] < 2)
        if lone.any() and len(pairs):
            a, b = both[:, 0], both[:, 1]
            cand = lone[a] & (cluster_of[b] >= 0) & ~lone[b]
            a, target = a[cand], centre_arr[cluster_of[b[cand]]]
            if len(a):
                j = exact_jaccard(sets, np.stack([a, target], axis=1))
                ok = j >= bound
                a, target, j = a[ok], target[ok], j[ok]
                best = np.lexsort((-j, a))
                a, target, j = a[best], target[best], j[best]
                first = np.concatenate(([True], a[1:] != a[:-1])) if len(a) else a.astype(bool)
                a, target, j = a[first], target[first], j[first]
                cluster_of[a] = cluster_of[target]
                similarity[a] = j
        _merge_close_centres(sets, both, cluster_of, centre_arr, similarity, weight, threshold)
        _join_centres_directly(sets, bands, cluster_of, centre_arr, similarity, weight,
                               threshold)
        posts = np.bincount(cluster_of[cluster_of >= 0], weights=weight[cluster_of >= 0],
                            minlength=len(centre_arr))
        keep = posts >= 2
        renumber = np.full(len(centre_arr), -1, dtype=np.int64)
        renumber[keep] = np.arange(int(keep.sum()))
        cluster_of = np.where(cluster_of >= 0, renumber[np.maximum(cluster_of, 0)], -1)
        centre_arr = centre_arr[keep]
    similarity[cluster_of < 0] = 0.0
    return KeyClusters(cluster_of, centre_arr, similarity)


def near_duplicate_groups(texts: Sequence[str], params: CoordinationParams) -> list[TextCluster]:
    """Clusters of >= 2 rows whose texts are copies or near-copies of a template, largest first."""
    keys = text_keys(texts)
    if not keys.keys:
        return []
    sets = shingle_sets(keys.keys, params.shingle_size)
    signatures = minhash_signatures(sets, params.num_perm, params.seed)
    bands = band_keys(signatures, params.bands)
    found = centred_clusters(sets, bands, keys.rows_per_key, params.jaccard_threshold,
                             params.template_threshold, signatures)
    return rows_of_clusters(found, keys.key_of)


def _merge_close_centres(sets: ShingleSets, both: np.ndarray, cluster_of: np.ndarray,
                         centres: np.ndarray, similarity: np.ndarray, weight: np.ndarray,
                         threshold: float) -> None:
    """One level of merging, in place: a cluster whose template is within the threshold of a
    larger linked cluster's template joins it (a wave's members are each a few edits from an
    unseen template, so two of them can be further apart than either is from it). Only
    roots absorb, so every member stays within two template steps of its final template."""
    if not len(both):
        return
    a, b = cluster_of[both[:, 0]], cluster_of[both[:, 1]]
    cross = (a >= 0) & (b >= 0) & (a < b)
    if not cross.any():
        return
    packed = distinct(a[cross] * len(centres) + b[cross])
    ca, cb = packed // len(centres), packed % len(centres)
    j = exact_jaccard(sets, np.stack([centres[ca], centres[cb]], axis=1))
    ok = j >= threshold
    ca, cb, j = ca[ok], cb[ok], j[ok]
    if not len(ca):
        return
    posts = np.bincount(cluster_of[cluster_of >= 0], weights=weight[cluster_of >= 0],
                        minlength=len(centres))
    role = np.zeros(len(centres), dtype=np.int8)  # 0 none, 1 root, 2 absorbed
    parent = np.arange(len(centres))
    for i in np.argsort(-j, kind="stable").tolist():
        x, y = int(ca[i]), int(cb[i])
        if (posts[y], -y) > (posts[x], -x):
            x, y = y, x
        if role[x] != 2 and role[y] == 0:
            parent[y], role[x], role[y] = x, 1, 2
    moved = np.flatnonzero((cluster_of >= 0) & (role[np.maximum(cluster_of, 0)] == 2))
    if not len(moved):
        return
    cluster_of[moved] = parent[cluster_of[moved]]
    similarity[moved] = exact_jaccard(sets, np.stack([moved, centres[cluster_of[moved]]], axis=1))


def _join_centres_directly(sets: ShingleSets, bands: np.ndarray, cluster_of: np.ndarray,
                           centres: np.ndarray, similarity: np.ndarray, weight: np.ndarray,
                           threshold: float) -> None:
    """In place: a text in no cluster that shares a band with a cluster's template and is a
    near-copy (>= threshold) of THAT template joins it. Bucket pairs are only proposed with a
    bucket's first text and each text's predecessor, so a wave member can miss its template's
    pairs when it is far from the other members; the template itself is tested here."""
    posts = np.bincount(cluster_of[cluster_of >= 0], weights=weight[cluster_of >= 0],
                        minlength=len(centres))
    live = np.flatnonzero(posts >= 2)
    if not len(live):
        return
    alone = np.flatnonzero(cluster_of < 0)
    if not len(alone):
        return
    live_centres = centres[live]
    found = []
    for band in range(bands.shape[1]):
        values = bands[live_centres, band]
        order = np.argsort(values, kind="stable")
        values = values[order]
        probe = bands[alone, band]
        at = np.minimum(np.searchsorted(values, probe), len(values) - 1)
        hit = values[at] == probe
        found.append((alone[hit].astype(np.uint64) << np.uint64(32))
                     | live[order[at[hit]]].astype(np.uint64))
    packed = distinct(np.concatenate(found))
    pairs = np.stack([(packed >> np.uint64(32)).astype(np.int64),
                      (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)], axis=1)
    if not len(pairs):
        return
    j = exact_jaccard(sets, np.stack([pairs[:, 0], centres[pairs[:, 1]]], axis=1))
    ok = j >= threshold
    pairs, j = pairs[ok], j[ok]
    best = np.lexsort((pairs[:, 1], -j, pairs[:, 0]))
    pairs, j = pairs[best], j[best]
    first = np.concatenate(([True], pairs[1:, 0] != pairs[:-1, 0])) if len(pairs) else \
        np.zeros(0, dtype=bool)
    cluster_of[pairs[first, 0]] = pairs[first, 1]
    similarity[pairs[first, 0]] = j[first]


def rows_of_clusters(found: KeyClusters, key_of: np.ndarray,
                     rank: np.ndarray | None = None) -> list[TextCluster]:
    """Row-level clusters (largest first) from key-level ones. `rank` (per row; default: row
    order) picks each template's post (the earliest-ranked post of the centre text) and
    orders clusters of equal size, so neither depends on the order the rows came in."""
    rank = np.arange(len(key_of)) if rank is None else rank
    rows = np.flatnonzero(key_of >= 0)
    row_cluster = found.cluster_of[key_of[rows]]
    rows, row_cluster = rows[row_cluster >= 0], row_cluster[row_cluster >= 0]
    order = np.lexsort((rank[rows], row_cluster))
    rows, row_cluster = rows[order], row_cluster[order]
    wanted = np.arange(len(found.centres))
    lo = np.searchsorted(row_cluster, wanted)
    hi = np.searchsorted(row_cluster, wanted, side="right")
    clusters = []
    for c, a, b in zip(wanted.tolist(), lo.tolist(), hi.tolist(), strict=True):
        members = rows[a:b]  # in rank order
        centre = found.centres[c]
        template_row = int(members[np.argmax(key_of[members] == centre)])
        members = np.sort(members)
        clusters.append((int(rank[members].min()),
                         TextCluster(members, found.similarity[key_of[members]], template_row)))
    clusters.sort(key=lambda c: (-len(c[1].rows), c[0]))
    return [c for _, c in clusters]
