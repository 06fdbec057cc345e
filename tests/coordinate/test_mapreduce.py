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


def _full(batch: PostBatch, result: object) -> tuple[object, ...]:
    """Everything a reader sees, named by (platform, id): clusters with their template post and
    text, every group with its members and verdict, account signals, edges, components."""
    def name(r: int) -> tuple[str, str]:
        return batch.platforms[r], batch.ids[r]

    clusters = []
    for c in result.clusters:  # type: ignore[attr-defined]
        groups = tuple((tuple(sorted(name(r) for r in g.members)), g.coordinated, g.why,
                        tuple(sorted(name(r) for r in g.coordinated_members)))
                       for g in c.groups)
        members = dict(zip((name(r) for r in c.members), c.similarity, strict=True))
        clusters.append((c.id, c.verdict, name(c.template_row), c.template_text,
                         tuple(sorted(members.items())), groups, c.text_bits))
    accounts = tuple((a.platform, a.account_id, a.score, a.component, a.reasons)
                     for a in result.accounts)  # type: ignore[attr-defined]
    return (tuple(clusters), accounts, tuple(result.edges),  # type: ignore[attr-defined]
            tuple(result.components), result.bursts, result.not_computed,  # type: ignore[attr-defined]
            tuple(sorted(result.notes.items())))  # type: ignore[attr-defined]


def _tricky_thread() -> object:
    """Planted waves beside texts that once made keys batch-dependent (spaced-out words after
    non-ASCII ones), exact copies across partitions, several spellings of one text (whose
    sample must not depend on the partition), posts in the same millisecond, undated ones."""
    rng = random.Random(33)
    thread = organic_thread(rng, 1200)
    plant_wave(thread, rng, "a", "they are all paid liars and everyone knows the truth about "
               "this story", 25, ROOT_AT + timedelta(hours=3))
    plant_wave(thread, rng, "b", "report this account now it spreads lies about our history "
               "and our people", 25, ROOT_AT + timedelta(hours=9))
    same_ms = ROOT_AT + timedelta(hours=5, seconds=1)
    for n in range(40):
        at = ROOT_AT + timedelta(minutes=23 * n)
        thread.add_post(["Héllo there friends", "f u c k this", "Well said!", "well said",
                         "WELL SAID 👏", "n i c e one", "Привет всем друзья"][n % 7],
                        f"o{n % 9 + 1}", same_ms if n % 5 == 0 else at)
    for n in range(6):
        thread.add_post("no time on this one at all my friends", f"o{n + 20}", None)
    return thread


def test_partition_count_and_order_do_not_change_anything() -> None:
    """The same thread cut into 1, 3 and 7 partitions, by time or at random, in any order,
    merged flat or as a tree: identical clusters, templates, groups, verdicts and graph."""
    thread = _tricky_thread()
    params = CoordinationParams()
    posts = list(thread.posts)  # type: ignore[attr-defined]
    accounts = thread.accounts  # type: ignore[attr-defined]
    whole = PostBatch.from_posts(posts)
    reference = reference_time(whole)
    expected = _full(whole, analyse_coordination(whole, accounts, params))
    assert any(c[1] == "coordinated" for c in expected[0])  # type: ignore[index]
    assert len(expected[0]) >= 4  # type: ignore[arg-type]
    rng = random.Random(5)
    by_time = sorted(posts, key=lambda p: (p.created_at is None, p.created_at or ROOT_AT))
    for count in (1, 3, 7):
        shuffled = list(posts)
        rng.shuffle(shuffled)
        for ordering in (by_time, shuffled):
            size = -(-len(ordering) // count)
            parts = [PostBatch.from_posts(ordering[i:i + size])
                     for i in range(0, len(ordering), size)]
            assert len(parts) == count
            sketches = [map_partition(p, params) for p in parts]
            rng.shuffle(sketches)
            for merged in (merge_sketches(sketches),
                           merge_sketches([merge_sketches(sketches[: count // 2 + 1]),
                                           *sketches[count // 2 + 1:]])):
                batch, result = reduce_sketches(merged, accounts, params, reference)
                assert _full(batch, result) == expected, (count, ordering is by_time)
