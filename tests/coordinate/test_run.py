"""Plant waves and organic look-alikes in a thread and check what the analysis recovers."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from pileon.coordinate import CoordinationParams, analyse_coordination
from pileon.coordinate.batch import PostBatch
from pileon.records import Post

from .planted import (
    ROOT_AT,
    Thread,
    old_account,
    organic_thread,
    plant_wave,
)

RU = "ты врешь и все это знают, хватит уже писать эту ложь про нашу историю"
RU_TRANSLIT = "ty vresh i vse eto znayut, hvatit uzhe pisat etu lozh pro nashu istoriyu"


def _planted(seed: int = 5) -> Thread:
    rng = random.Random(seed)
    thread = organic_thread(rng, 4000)
    plant_wave(thread, rng, "small", "they are all paid liars and everyone knows the truth "
               "about this story", 5, ROOT_AT + timedelta(hours=3))
    plant_wave(thread, rng, "medium", "report this account now it spreads lies about our "
               "history and our people", 40, ROOT_AT + timedelta(hours=10), edits=3)
    plant_wave(thread, rng, "large", "nobody believes a single word of this fake sad story "
               "stop crying for attention", 500, ROOT_AT + timedelta(hours=14), minutes=9)
    plant_wave(thread, rng, "scripts", RU, 12, ROOT_AT + timedelta(hours=20),
               variants=[RU, RU_TRANSLIT])
    # The same template again a day later: a second wave, not one big one.
    plant_wave(thread, rng, "again", "report this account now it spreads lies about our "
               "history and our people", 20, ROOT_AT + timedelta(hours=34))
    return thread


def _coordinated_ids(thread: Thread) -> tuple[set[str], list[set[str]]]:
    batch = PostBatch.from_posts(thread.posts)
    result = analyse_coordination(batch, thread.accounts)
    groups = [{batch.ids[r] for r in g.coordinated_members} for c in result.clusters
              for g in c.groups if g.coordinated]
    return set().union(*groups) if groups else set(), groups


def test_planted_waves_are_recovered_with_precision_and_recall_of_095() -> None:
    thread = _planted()
    found, groups = _coordinated_ids(thread)
    planted = set().union(*thread.waves.values())
    precision = len(found & planted) / len(found)
    recall = len(found & planted) / len(planted)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)
    # Each wave is one group: the template reused a day later is a separate group.
    for wave in thread.waves.values():
        best = max(groups, key=lambda g: len(g & wave))
        assert len(best & wave) >= 0.95 * len(wave)
        assert len(best - wave) <= 0.05 * len(best)


def test_transliterated_copies_land_in_one_cluster() -> None:
    found, groups = _coordinated_ids(_planted())
    thread = _planted()
    scripts = thread.waves["scripts"]
    assert any(g >= scripts for g in groups)


def test_common_phrase_from_old_accounts_over_hours_is_not_coordinated() -> None:
    rng = random.Random(11)
    thread = organic_thread(rng, 1500)
    for n in range(80):  # "thank you for sharing" from established accounts over 8 hours
        author = thread.add_account(old_account(rng, 5000 + n))
        at = ROOT_AT + timedelta(hours=1, seconds=rng.uniform(0, 8 * 3600))
        thread.add_post(rng.choice(["Thank you for sharing this 🙏", "thank you for sharing",
                                    "@nargiz Thank you for sharing this."]), author, at)
    # ... and a burst of them within minutes, still from old accounts with avatars.
    for n in range(8):
        author = thread.add_account(old_account(rng, 6000 + n))
        thread.add_post("Thank you for sharing this", author,
                        ROOT_AT + timedelta(hours=12, minutes=n))
    batch = PostBatch.from_posts(thread.posts)
    result = analyse_coordination(batch, thread.accounts)
    phrase = max(result.clusters, key=lambda c: len(c.members))
    assert len(phrase.members) >= 85  # it IS one near-duplicate cluster
    assert phrase.verdict != "coordinated"
    # The burst of 8 is tight in time, but a five-word thank-you is no evidence on its own,
    # and these accounts' profiles add none.
    assert phrase.groups and not any(g.coordinated for g in phrase.groups)
    assert all("evidence" in g.why or "not enough together" in g.why for g in phrase.groups)
    assert not any(a.signals["coordinated_group"] for a in result.accounts)


def test_without_account_fields_text_and_time_decide_and_say_so() -> None:
    rng = random.Random(3)
    thread = organic_thread(rng, 2000)
    plant_wave(thread, rng, "w", "they are all paid liars and everyone knows it", 10,
               ROOT_AT + timedelta(hours=5), edits=1)
    batch = PostBatch.from_posts(thread.posts)
    result = analyse_coordination(batch, {})  # no profiles at all
    wave = max(result.clusters, key=lambda c: len({batch.ids[r] for r in c.members}
                                                  & thread.waves["w"]))
    assert wave.verdict == "coordinated"
    (group,) = [g for g in wave.groups if g.coordinated]
    assert "profiles unknown" in group.why and "text and time" in group.why
    assert {batch.ids[r] for r in group.coordinated_members} == thread.waves["w"]
    assert all(a.signals["no_avatar"] is None for a in result.accounts)


def test_a_window_the_thread_itself_fills_is_no_time_evidence() -> None:
    rng = random.Random(3)
    thread = Thread()
    plant_wave(thread, rng, "w", "they are all paid liars and everyone knows it", 10, ROOT_AT,
               edits=1)
    result = analyse_coordination(PostBatch.from_posts(thread.posts), {})
    (cluster,) = result.clusters
    # All ten posts of the thread are in those minutes: its own rate predicts all ten, so
    # the window is reported but the cluster is only a near-duplicate.
    assert cluster.verdict == "near_duplicate" and not cluster.groups[0].tight
    assert "no time evidence" in cluster.groups[0].why


def test_window_is_anchored_on_the_first_member() -> None:
    thread = Thread()
    rng = random.Random(2)
    # Six copies 3 minutes apart: each consecutive pair is within 10 minutes, but only
    # four lie within 10 minutes of the first one.
    for n in range(6):
        author = thread.add_account(old_account(rng, n))
        thread.add_post("everyone should report this account right now", author,
                        ROOT_AT + timedelta(minutes=3 * n))
    batch = PostBatch.from_posts(thread.posts)
    params = CoordinationParams(min_group_size=4, min_group_accounts=4)
    (cluster,) = analyse_coordination(batch, thread.accounts, params).clusters
    assert [len(g.members) for g in cluster.groups] == [4]


@pytest.mark.parametrize("count", [0, 1, 2])
def test_tiny_threads_do_not_crash_and_say_what_is_missing(count: int) -> None:
    posts = [Post(platform="x", id=str(n), text="same words here", author_id=f"a{n}",
                  created_at=ROOT_AT + timedelta(minutes=n)) for n in range(count)]
    result = analyse_coordination(PostBatch.from_posts(posts), {})
    assert result.posts == count
    if count < 2:
        assert any("at least 2" in note for note in result.not_computed)
        assert any("bursts" in note for note in result.not_computed)
    else:
        assert len(result.clusters) == 1


def test_empty_texts_missing_times_and_authors_are_reported_not_fatal() -> None:
    posts = [
        Post(platform="x", id="1", text="", author_id="a", created_at=ROOT_AT),
        Post(platform="x", id="2", text="same words here", author_id=None, created_at=None),
        Post(platform="x", id="3", text="same words here", author_id="b", created_at=None),
        Post(platform="x", id="4", text="🙂", author_id="c", created_at=ROOT_AT),
    ]
    result = analyse_coordination(PostBatch.from_posts(posts), {})
    notes = " | ".join(result.not_computed)
    assert "1 post(s) with empty text" in notes
    assert "2 post(s) without a timestamp" in notes
    assert "1 post(s) without an author" in notes
    assert "no profile" in notes
    (cluster,) = result.clusters
    assert cluster.undated == 2 and cluster.first_ms is None and cluster.groups == ()


def test_established_accounts_posting_the_same_text_inside_a_wave_are_not_counted() -> None:
    rng = random.Random(4)
    thread = organic_thread(rng, 300)
    text = "report this account now it spreads lies about our history and our people"
    plant_wave(thread, rng, "w", text, 20, ROOT_AT + timedelta(hours=2), edits=1)
    bystanders = set()
    for n in range(2):
        author = thread.add_account(old_account(rng, 9000 + n))
        bystanders.add(thread.add_post(text, author, ROOT_AT + timedelta(hours=2, minutes=2)).id)
    found, groups = _coordinated_ids(thread)
    assert found == thread.waves["w"]
    batch = PostBatch.from_posts(thread.posts)
    (group,) = [g for c in analyse_coordination(batch, thread.accounts).clusters
                for g in c.groups]
    assert {batch.ids[r] for r in group.ordinary} == bystanders
    assert "2 member(s) from established-looking accounts not counted" in group.why


HEADLINE = "city council votes to rebuild the old river bridge before next winter says mayor"


def _headline_thread(seed: int) -> tuple[Thread, set[str]]:
    """Organic replies, a headline shared with its link by 150 ordinary accounts (share times
    exponential from the moment the news breaks, mean one hour: a dense first ten minutes),
    and a 20-account wave of a fresh template that is over in six minutes."""
    rng = random.Random(seed)
    thread = organic_thread(rng, 3000)
    shares = set()
    news = ROOT_AT + timedelta(hours=6)
    for n in range(150):
        author = thread.add_account(old_account(rng, 7000 + n))
        text = HEADLINE + " https://news.example/bridge"
        if rng.random() < 0.25:
            text = rng.choice(["finally", "good news", "about time"]) + " " + text
        at = news + timedelta(seconds=rng.expovariate(1 / 3600))
        shares.add(thread.add_post(text, author, at).id)
    plant_wave(thread, rng, "w", "nobody believes this story and everyone knows who paid "
               "for it stop lying", 20, ROOT_AT + timedelta(hours=20), edits=1)
    return thread, shares


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_headline_people_keep_sharing_for_hours_is_not_coordination(seed: int) -> None:
    thread, shares = _headline_thread(seed)
    batch = PostBatch.from_posts(thread.posts)
    result = analyse_coordination(batch, {})  # a CSV without profile fields
    headline = max(result.clusters, key=lambda c: len({batch.ids[r] for r in c.members}
                                                      & shares))
    assert len({batch.ids[r] for r in headline.members} & shares) >= 140
    # Its first ten minutes are dense and the text is specific, but it keeps spreading.
    assert headline.groups and headline.verdict != "coordinated"
    dense = max(headline.groups, key=lambda g: len(g.members))
    assert dense.time_surprise is not None and dense.time_surprise >= 6
    assert dense.text_level == "specific"
    assert "keeps spreading" in dense.why and (dense.spread_accounts or 0) > dense.accounts
    # The wave, with no profile fields either, still is.
    found = {batch.ids[r] for c in result.clusters for g in c.groups
             for r in g.coordinated_members}
    assert found == thread.waves["w"]


def test_a_wave_with_a_few_later_copies_is_still_coordinated() -> None:
    rng = random.Random(8)
    thread = organic_thread(rng, 2000)
    text = "report this account now it spreads lies about our history and our people"
    start = ROOT_AT + timedelta(hours=9)
    plant_wave(thread, rng, "w", text, 25, start, edits=1)
    for n in range(6):  # people who saw the wave and pasted its text later that hour
        author = thread.add_account(old_account(rng, 8000 + n))
        thread.add_post(text, author, start + timedelta(minutes=20 + 6 * n))
    found, _ = _coordinated_ids(thread)
    assert found >= thread.waves["w"]


def test_a_wave_longer_than_w_links_all_its_accounts() -> None:
    rng = random.Random(12)
    thread = organic_thread(rng, 2000)
    plant_wave(thread, rng, "w", "nobody believes this story and everyone knows who paid "
               "for it stop lying", 40, ROOT_AT + timedelta(hours=7), minutes=16, edits=1)
    batch = PostBatch.from_posts(thread.posts)
    result = analyse_coordination(batch, {})
    groups = [g for c in result.clusters for g in c.groups if g.coordinated]
    assert len(groups) >= 2  # the window cuts the wave
    accounts = {f"x:w-{n}" for n in range(40)}
    linked = {(e.source, e.target) for e in result.edges if e.co_posts}
    flagged = sorted({batch.account_key(r) for g in groups for r in g.coordinated_members})
    assert set(flagged) <= accounts and len(flagged) >= 36
    assert all((a, b) in linked for i, a in enumerate(flagged) for b in flagged[i + 1:])


def test_a_common_reply_all_day_is_a_near_duplicate_not_synchronised() -> None:
    rng = random.Random(21)
    thread = organic_thread(rng, 3000)
    for n in range(400):  # what a demo thread is full of: one stock reply, typed all day
        author = thread.add_account(old_account(rng, 9500 + n))
        thread.add_post("thank you for sharing 🙏", author,
                        ROOT_AT + timedelta(seconds=rng.uniform(60, 48 * 3600)))
    batch = PostBatch.from_posts(thread.posts)
    result = analyse_coordination(batch, {})
    phrase = max(result.clusters, key=lambda c: len(c.members))
    assert len(phrase.members) == 400
    # Windows of five copies happen by chance at this rate; none is tighter than it predicts.
    assert phrase.groups and not any(g.tight for g in phrase.groups)
    assert phrase.verdict == "near_duplicate"


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_the_tail_of_a_wave_cut_by_the_window_joins_it(seed: int) -> None:
    # 25 near-copies over 14 minutes with W = 10: the densest window holds ~18; the few
    # before and after it are fewer than a group needs, yet each posted within W of many of
    # the group. They are the same wave: counted, and linked to every other member.
    rng = random.Random(seed)
    thread = organic_thread(rng, 2000)
    plant_wave(thread, rng, "w", "nobody believes this story and everyone knows who paid "
               "for it stop lying", 25, ROOT_AT + timedelta(hours=7), minutes=14, edits=1)
    later = thread.add_account(old_account(rng, 9000))  # same text 40 min later: not the wave
    thread.add_post("nobody believes this story and everyone knows who paid for it stop lying",
                    later, ROOT_AT + timedelta(hours=7, minutes=54))
    batch = PostBatch.from_posts(thread.posts)
    result = analyse_coordination(batch, {})
    groups = [g for c in result.clusters for g in c.groups if g.coordinated]
    flagged = {batch.ids[r] for g in groups for r in g.coordinated_members}
    assert flagged == thread.waves["w"]
    accounts = sorted({f"x:w-{n}" for n in range(25)})
    linked = {(e.source, e.target) for e in result.edges if e.co_posts}
    assert all((a, b) in linked for i, a in enumerate(accounts) for b in accounts[i + 1:])
    assert len(groups) >= 2  # the window did cut the wave


def test_a_tail_shorter_than_a_group_is_its_own_coordinated_tail() -> None:
    # The same wave: what lies outside its densest window is fewer posts than a group needs;
    # it is kept as a tail of the group, not dropped.
    rng = random.Random(3)
    thread = organic_thread(rng, 2000)
    plant_wave(thread, rng, "w", "nobody believes this story and everyone knows who paid "
               "for it stop lying", 25, ROOT_AT + timedelta(hours=7), minutes=14, edits=1)
    result = analyse_coordination(PostBatch.from_posts(thread.posts), {})
    tails = [g for c in result.clusters for g in c.groups if g.why.startswith("tail of group")]
    assert tails and all(g.coordinated and len(g.members) < 5 for g in tails)
