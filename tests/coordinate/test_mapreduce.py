"""The map/reduce API: a thread split into partitions (in any order) gives the same clusters,
verdicts and graph as the whole thread analysed at once."""

from __future__ import annotations

import random
from datetime import timedelta

from pileon.coordinate import CoordinationParams, analyse_coordination
from pileon.coordinate.batch import PostBatch
from pileon.coordinate.mapreduce import map_partition, merge_sketches, reduce_sketches
from pileon.coordinate.run import reference_time

from .planted import ROOT_AT, organic_thread, plant_wave


def _summary(batch: PostBatch, result: object) -> tuple[object, ...]:
    clusters = sorted(
        (c.verdict, tuple(sorted((batch.platforms[r], batch.ids[r]) for r in c.members)),
         tuple(sorted((batch.platforms[r], batch.ids[r]) for g in c.groups
                      for r in g.coordinated_members)))
        for c in result.clusters)  # type: ignore[attr-defined]
    edges = sorted((e.source, e.target, e.co_posts) for e in result.edges)  # type: ignore[attr-defined]
    return tuple(clusters), tuple(edges)


def test_partitions_reduce_to_the_same_result_as_one_batch() -> None:
    rng = random.Random(21)
    thread = organic_thread(rng, 1500)
    plant_wave(thread, rng, "a", "they are all paid liars and everyone knows the truth about "
               "this story", 25, ROOT_AT + timedelta(hours=3))
    plant_wave(thread, rng, "b", "report this account now it spreads lies about our history "
               "and our people", 25, ROOT_AT + timedelta(hours=9))
    for n in range(30):  # exact copies spread over partitions must become one key again
        thread.add_post("well said", f"o{n + 1}", ROOT_AT + timedelta(minutes=37 * n))
    params = CoordinationParams()
    whole = PostBatch.from_posts(thread.posts)
    expected = _summary(whole, analyse_coordination(whole, thread.accounts, params))
    assert any(v == "coordinated" for v, _, _ in expected[0])

    posts = list(thread.posts)
    rng.shuffle(posts)
    parts = [PostBatch.from_posts(posts[i::3]) for i in range(3)]
    sketches = [map_partition(p, params) for p in parts]
    merged = merge_sketches([merge_sketches(sketches[:2]), sketches[2]])  # a tree reduction
    batch, result = reduce_sketches(merged, thread.accounts, params, reference_time(whole))
    assert len(batch) == len(whole)
    assert _summary(batch, result) == expected
