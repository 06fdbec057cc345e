"""Near-duplicate clusters: replies whose coordination text is near-identical.

Exact copies collapse first; distinct texts get MinHash signatures, LSH bands propose pairs,
exact Jaccard over the shingle sets accepts or rejects each, and clusters are the connected
components of accepted pairs (cluster-level membership, not pair-level).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pileon.coordinate.minhash import (
    candidate_pairs,
    exact_jaccard,
    minhash_signatures,
    shingle_sets,
)
from pileon.coordinate.results import CoordinationParams
from pileon.coordinate.text_key import comparable_text, strip_addresses

__all__ = ["TextCluster", "TextKeys", "near_duplicate_groups", "text_keys"]

_MEDOID_SAMPLE = 64  # distinct texts considered as a cluster's template


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


def text_keys(texts: Sequence[str]) -> TextKeys:
    """Coordination text of every row, folded once per distinct text without addresses."""
    stripped_index: dict[str, int] = {}
    stripped_of = np.fromiter(
        (stripped_index.setdefault(strip_addresses(t), len(stripped_index)) for t in texts),
        dtype=np.int64, count=len(texts))
    key_index: dict[str, int] = {}
    key_of_stripped = np.empty(len(stripped_index), dtype=np.int64)
    for position, stripped in enumerate(stripped_index):
        key = comparable_text(stripped)
        key_of_stripped[position] = key_index.setdefault(key, len(key_index)) if key else -1
    key_of = key_of_stripped[stripped_of] if len(texts) else np.zeros(0, dtype=np.int64)
    counted = key_of[key_of >= 0]
    return TextKeys(list(key_index), key_of, np.bincount(counted, minlength=len(key_index)))


def near_duplicate_groups(texts: Sequence[str], params: CoordinationParams) -> list[TextCluster]:
    """Clusters of >= 2 rows whose texts are copies or near-copies, largest first."""
    keys = text_keys(texts)
    n_keys = len(keys.keys)
    if n_keys == 0:
        return []
    sets = shingle_sets(keys.keys, params.shingle_size)
    signatures = minhash_signatures(sets, params.num_perm, params.seed)
    pairs = candidate_pairs(signatures, params.bands)
    if len(pairs):
        pairs = pairs[exact_jaccard(sets, pairs) >= params.jaccard_threshold]
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])),
                       shape=(n_keys, n_keys))
    _, component_of_key = connected_components(graph, directed=False)
    rows_per_component = np.bincount(component_of_key, weights=keys.rows_per_key)
    wanted = np.flatnonzero(rows_per_component >= 2)
    if len(wanted) == 0:
        return []
    medoids = _medoids(component_of_key, wanted, keys, signatures)
    # Exact Jaccard of every distinct text to its cluster's template, in one batch.
    in_cluster = np.flatnonzero(np.isin(component_of_key, wanted))
    template_key = np.array([medoids[int(component_of_key[k])] for k in in_cluster],
                            dtype=np.int64)
    similarity_of_key = np.zeros(n_keys)
    similarity_of_key[in_cluster] = exact_jaccard(
        sets, np.stack([in_cluster, template_key], axis=1))
    rows = np.flatnonzero(keys.key_of >= 0)
    row_component = component_of_key[keys.key_of[rows]]
    order = np.argsort(row_component, kind="stable")
    rows, row_component = rows[order], row_component[order]
    bounds = np.searchsorted(row_component, wanted)
    ends = np.searchsorted(row_component, wanted, side="right")
    clusters = []
    for component, lo, hi in zip(wanted, bounds, ends, strict=True):
        members = rows[lo:hi]
        template = medoids[int(component)]
        template_row = int(members[np.argmax(keys.key_of[members] == template)])
        clusters.append(TextCluster(members, similarity_of_key[keys.key_of[members]], template_row))
    clusters.sort(key=lambda c: (-len(c.rows), int(c.rows[0])))
    return clusters


def _medoid(members: np.ndarray, keys: TextKeys, signatures: np.ndarray) -> int:
    """The distinct text with the highest post-weighted estimated similarity to the rest."""
    if len(members) == 1:
        return int(members[0])
    weights = keys.rows_per_key[members]
    if len(members) > _MEDOID_SAMPLE:
        keep = np.argsort(-weights, kind="stable")[:_MEDOID_SAMPLE]
        members, weights = members[keep], weights[keep]
    block = signatures[members]
    similar = (block[:, None, :] == block[None, :, :]).mean(axis=2)
    return int(members[np.argmax(similar @ weights)])


def _medoids(component_of_key: np.ndarray, wanted: np.ndarray, keys: TextKeys,
                    signatures: np.ndarray) -> dict[int, int]:
    order = np.argsort(component_of_key, kind="stable")
    ordered = component_of_key[order]
    lo = np.searchsorted(ordered, wanted)
    hi = np.searchsorted(ordered, wanted, side="right")
    return {int(c): _medoid(order[a:b], keys, signatures)
            for c, a, b in zip(wanted, lo, hi, strict=True)}
