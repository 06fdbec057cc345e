"""The single-thread SQLite path (`pileon run`'s pipeline) and the Dask campaign path give the
same scores, clusters, verdicts and triage folders on the same threads, on a real 2-worker
LocalCluster."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pileon.campaign.layout import Campaign
from pileon.campaign.run import run_campaign
from pileon.campaign.threads import add_threads
from pileon.pipeline import PipelineOptions, run_pipeline
from pileon.records import LABELS
from pileon.store import connect
from pileon.store.triage import DecisionInput
from pileon.triage.run import record_decisions

Key = tuple[str, str]


def _single_path(db: Path) -> dict[str, Any]:
    conn = connect(db, create=False)
    run_pipeline(conn, (), PipelineOptions(stages=("analyze", "coordination", "triage"),
                                           workers=1))
    conn.close()
    raw = sqlite3.connect(db)
    scores = {(p, i): (json.loads(labels), lang,
                       {k: round(v, 12) for k, v in json.loads(s).items()})
              for p, i, labels, lang, s in raw.execute(
                  "SELECT platform, post_id, labels_json, lang, scores_json FROM scores")}
    run = raw.execute("SELECT max(id) FROM coordination_runs").fetchone()[0]
    members: dict[int, set[Key]] = {}
    for cid, p, i in raw.execute("SELECT cluster_id, platform, post_id FROM cluster_members"
                                 " WHERE run_id=?", (run,)):
        members.setdefault(cid, set()).add((p, i))
    verdicts = {frozenset(members[cid]): (verdict, json.loads(groups))
                for cid, verdict, groups in raw.execute(
                    "SELECT id, verdict, groups_json FROM clusters WHERE run_id=?", (run,))}
    accounts = {(p, a): round(score, 9) for p, a, score in raw.execute(
        "SELECT platform, account_id, score FROM account_signals WHERE run_id=?", (run,))}
    triage = raw.execute("SELECT max(id) FROM triage_runs").fetchone()[0]
    folders = {(p, i): (folder, model, rule, category, json.loads(labels),
                        [s for s in signals.split(",") if s], copies, kind)
               for p, i, folder, model, rule, category, labels, signals, copies, kind
               in raw.execute(
                   "SELECT platform, post_id, folder, model_folder, rule, category, labels_json,"
                   " signals, copies_size, kind FROM post_folders WHERE run_id=?", (triage,))}
    raw.close()
    clusters = {k: (v, sorted((g["coordinated"], g["size"], g["accounts"]) for g in groups))
                for k, (v, groups) in verdicts.items()}
    return {"scores": scores, "clusters": clusters, "accounts": accounts, "folders": folders}


def _dask_path(campaign: Campaign, thread: str) -> dict[str, Any]:
    scores = {}
    for path in campaign.table_dir("scores", thread).glob("day=*/part.parquet"):
        for row in pq.read_table(path).to_pylist():
            scores[(row["platform"], row["id"])] = (
                row["labels"], row["lang"],
                {label: round(row[f"score_{label}"], 12) for label in LABELS
                 if row[f"score_{label}"] is not None})
    members: dict[int, set[Key]] = {}
    for row in pq.read_table(campaign.partition("cluster_members", thread)).to_pylist():
        members.setdefault(row["cluster_id"], set()).add((row["platform"], row["id"]))
    groups: dict[int, list[tuple[bool, int, int]]] = {}
    for row in pq.read_table(campaign.partition("groups", thread)).to_pylist():
        groups.setdefault(row["cluster_id"], []).append(
            (row["coordinated"], row["size"], row["accounts"]))
    clusters = {frozenset(members[row["cluster_id"]]): (
        row["verdict"], sorted(groups.get(row["cluster_id"], [])))
        for row in pq.read_table(campaign.partition("clusters", thread)).to_pylist()}
    accounts = {(row["platform"], row["account_id"]): round(row["score"], 9)
                for row in pq.read_table(campaign.partition("accounts", thread)).to_pylist()}
    folders = {(r["platform"], r["id"]): (r["folder"], r["model_folder"], r["rule"],
                                          r["category"], r["labels"], r["signals"],
                                          r["copies_size"], r["kind"])
               for r in pq.read_table(campaign.partition("folders", thread)).to_pylist()}
    return {"scores": scores, "clusters": clusters, "accounts": accounts, "folders": folders}


def test_dask_path_gives_the_same_scores_clusters_verdicts_and_folders(
        fresh_dbs: list[Path], tmp_path: Path, client: Any) -> None:
    # The user's own decisions, stored in the thread database, win on both paths.
    conn = connect(fresh_dbs[0], create=False)
    replies = [r[0] for r in conn.execute(
        "SELECT id FROM posts WHERE kind='reply' AND placeholder IS NULL ORDER BY id LIMIT 2")]
    record_decisions(conn, [DecisionInput("jsonl", replies[0], "move", "inbox"),
                            DecisionInput("jsonl", replies[1], "mark_abuse")], via="cli")
    conn.close()
    campaign = Campaign.init(tmp_path / "camp")
    added = add_threads(campaign, fresh_dbs)
    assert all(a.thread is not None for a in added), [a.error for a in added]
    # One thread in flight at a time: the windowed submission (two threads here) is what a
    # campaign of more threads than 2 x workers runs through.
    report = run_campaign(campaign, client=client, in_flight=1)
    assert report.failed == [] and report.workers == 2
    for item in added:
        assert item.thread is not None
        single = _single_path(item.source)
        dask = _dask_path(campaign, item.thread.name)
        assert len(single["scores"]) >= 500
        assert dask["scores"] == single["scores"]
        assert any(v == "coordinated" for v, _ in single["clusters"].values())
        assert dask["clusters"] == single["clusters"]
        assert dask["accounts"] == single["accounts"]
        # Triage: every post aimed at the author in the same folder, by the same rule.
        assert len(single["folders"]) >= 400
        assert {f for f, *_ in single["folders"].values()} >= {"support", "shielded"}
        assert dask["folders"] == single["folders"]
    decided = _dask_path(campaign, added[0].thread.name)["folders"]
    assert decided[("jsonl", replies[0])][0] == "inbox"
    assert decided[("jsonl", replies[1])][0] == "shielded"
    summary = json.loads((campaign.root / "summary.json").read_text(encoding="utf-8"))
    assert summary["overall"]["posts"] == sum(a.thread.posts for a in added if a.thread)
    assert summary["overall"]["scored_posts"] == summary["overall"]["posts"]
    assert sum(summary["overall"]["folders"].values()) == sum(
        len(pq.read_table(campaign.partition("folders", a.thread.name))) for a in added
        if a.thread)
    _check_cross_target_outputs(campaign)


def _check_cross_target_outputs(campaign: Campaign) -> None:
    """The planted cross-target waves (tests/campaign/threadgen.py: the same template from the
    same fresh accounts on both generated targets within minutes) are found, and the exports
    hold what the summary says."""
    waves = pq.read_table(campaign.cross("waves_across_targets")).to_pylist()
    assert any({"target00", "target01"} <= set(w["threads"]) and w["accounts_on_several"] >= 5
               for w in waves), waves
    accounts = pq.read_table(campaign.cross("accounts_across_targets")).to_pylist()
    wave_accounts = {a["account_id"] for a in accounts if a["coordinated_targets"] >= 2}
    assert any(name.startswith("wave0-acct") for name in wave_accounts)
    templates = pq.read_table(campaign.cross("templates_across_threads")).to_pylist()
    assert any(t["targets"] >= 2 and t["coordinated_clusters"] >= 2 for t in templates)

    summary = json.loads((campaign.root / "summary.json").read_text(encoding="utf-8"))
    db = sqlite3.connect(campaign.root / "campaign.sqlite")
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"threads", "clusters", "groups", "accounts", "edges", "accounts_across_targets",
                "waves_across_targets", "templates_across_threads"} <= tables
        assert db.execute("SELECT sum(posts) FROM threads").fetchone()[0] == \
            summary["overall"]["posts"]
        assert db.execute("SELECT count(*) FROM waves_across_targets").fetchone()[0] == \
            len(waves)
        threads = json.loads(db.execute("SELECT threads FROM accounts_across_targets LIMIT 1"
                                        ).fetchone()[0])
        assert isinstance(threads, list) and len(threads) >= 2
    finally:
        db.close()

    html = (campaign.root / "summary.html").read_text(encoding="utf-8")
    assert "Waves that hit several targets" in html
    # Template texts (they may be abuse) only behind a click, and escaped.
    shown = templates[0]["template_text"]
    body_outside_details = re.sub(r"<details>.*?</details>", "", html, flags=re.S)
    assert shown not in body_outside_details
    assert "<script" not in html
