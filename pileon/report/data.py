"""Gathering what the report prints: the selected posts, the summary, chart series, clusters
and the custody log, as frozen records. Reads through pileon.store.report only.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from pileon.errors import ReportError
from pileon.records import ABUSIVE_LABELS, LABELS
from pileon.store.db import from_iso
from pileon.store.proofs import ProofRow, latest_proofs
from pileon.store.report import (
    BurstRow,
    ClusterRow,
    CustodyRow,
    ParentRow,
    PostRow,
    Translation,
    abusive_keys,
    all_cluster_sizes,
    author_creation_dates,
    clusters_touching,
    coordinated_member_keys,
    coordination_run,
    custody_rows,
    decisions_about,
    evidence_keys,
    folder_keys,
    load_selection,
    mention_keys,
    own_post_keys,
    read_account_signals,
    read_bursts,
    read_parents,
    read_posts,
    read_scores,
    read_translations,
    thread_roots,
    undone_batches,
)
from pileon.store.triage import latest_run

__all__ = [
    "AccountEntry",
    "DEFAULT_FOLDERS",
    "Incident",
    "EvidenceSpan",
    "ReportData",
    "ReportPost",
    "Summary",
    "gather",
    "post_category",
]

DEFAULT_FOLDERS: tuple[str, ...] = ("shielded",)
#: Decisions that mean the user looked at the post and judged it themselves.
_REVIEW_ACTIONS = frozenset({"move", "mark_abuse", "mark_not_abuse", "mark_supportive",
                             "evidence"})
_ABUSE_ORDER = [label for label in LABELS if label in ABUSIVE_LABELS]
#: "Most concerning" first, as victim-support guides rank abuse: threats, then sexual abuse,
#: then hatred of a group and denial of atrocities; the rest after.
_CONCERN = {"threat": 0, "sexual_harassment": 1, "identity_attack": 2, "atrocity_denial": 3,
            "identity_denial": 4, "bad_faith": 5, "insult": 6, "ridicule": 7}
#: Cluster verdicts reported in full as groups (timing evidence; coordinated adds accounts).
_GROUP_VERDICTS = frozenset({"coordinated", "synchronised"})
_USER_LABELS = frozenset({"mark_abuse", "mark_not_abuse", "mark_supportive", "move"})


@dataclass(frozen=True, slots=True)
class EvidenceSpan:
    start: int
    end: int
    text: str
    category: str
    rule: str


@dataclass(frozen=True, slots=True)
class ReportPost:
    number: int
    platform: str
    post_id: str
    kind: str
    text: str
    url: str | None
    lang: str | None
    created_at: str | None
    local_time: str | None
    handle: str | None
    display_name: str | None
    author_id: str | None
    account_created_at: str | None
    followers_count: int | None
    posts_count: int | None
    has_avatar: bool | None
    signals: tuple[str, ...]
    coordination_score: float | None
    coordination_reasons: tuple[str, ...]
    folder: str | None
    category: str | None
    labels: tuple[str, ...]
    evidence: tuple[EvidenceSpan, ...]
    model: str | None
    user_actions: tuple[str, ...]
    notes: tuple[str, ...]
    raw_sha256: str
    deleted_at_source: str | None
    cluster_id: str | None
    marked_evidence: bool
    translations: tuple[Translation, ...] = ()
    uri: str | None = None
    reply_to: str | None = None
    quote_of: str | None = None
    root_id: str | None = None
    captured_at: str | None = None       # when pileon read the payload this text came from
    parent: ParentRow | None = None      # the post it replies to or quotes, when stored
    parent_number: int | None = None     # that post's number in this report, when included
    own: bool = False                    # written by the targeted account: context only

    @property
    def reviewed(self) -> bool:
        return bool(set(self.user_actions) & _REVIEW_ACTIONS)

    @property
    def abusive(self) -> bool:
        if "mark_not_abuse" in self.user_actions or "mark_supportive" in self.user_actions:
            return False
        return ("mark_abuse" in self.user_actions or self.folder == "shielded"
                or bool(ABUSIVE_LABELS & set(self.labels)))

    @property
    def labelled_by_user(self) -> bool:
        return bool(set(self.user_actions) & _USER_LABELS)


@dataclass(frozen=True, slots=True)
class AccountEntry:
    """One row of the per-account table: an author and what they posted in this report."""

    platform: str
    author_id: str
    handle: str | None
    display_name: str | None
    posts: int
    abusive: int
    categories: tuple[tuple[str, int], ...]
    first_at: str | None
    last_at: str | None
    signals: tuple[str, ...]
    groups: tuple[str, ...]     # clusters judged coordinated the account posted in
    first_number: int


@dataclass(frozen=True, slots=True)
class Incident:
    """The incident summary victim-support guides ask for, as post numbers of this report."""

    first: ReportPost | None
    recent: tuple[ReportPost, ...]
    concerning: tuple[ReportPost, ...]


@dataclass(frozen=True, slots=True)
class Summary:
    posts: int
    accounts: int
    first_at: str | None
    last_at: str | None
    by_category: list[tuple[str, int]]
    by_lang: list[tuple[str, int]]
    by_folder: list[tuple[str, int]]
    in_clusters: int
    coordinated_posts: int
    clusters: int
    coordinated_clusters: int
    deleted: int
    reviewed: int
    with_notes: int
    marked_evidence: int
    abusive: int = 0


@dataclass(frozen=True, slots=True)
class ReportData:
    db_name: str
    generated_at: str
    zone_name: str
    folders: tuple[str, ...]
    triage_run: int | None
    coordination_run: int | None
    analysed: bool
    posts: list[ReportPost]
    summary: Summary
    clusters: list[ClusterRow]
    hours: list[tuple[str, str, int]]          # (YYYY-MM-DDTHH, category, posts)
    cluster_sizes: list[tuple[int, str]]        # (size, verdict) of every cluster of the run
    account_months: list[tuple[str, int]]       # (YYYY-MM, authors created that month)
    models: list[tuple[str, int]]               # ("backend/version", posts it labelled)
    custody: list[CustodyRow]
    raw_sha256s: list[str]
    notices: list[str] = field(default_factory=list)  # catalog keys: what is missing and why
    targets: list[ParentRow] = field(default_factory=list)  # the post(s) the pile-on is about
    own_posts: list[ReportPost] = field(default_factory=list)
    accounts: list[AccountEntry] = field(default_factory=list)
    incident: Incident = field(default_factory=lambda: Incident(None, (), ()))
    bursts: list[BurstRow] = field(default_factory=list)
    coordinated: list[ClusterRow] = field(default_factory=list)  # in full, every member
    near_duplicates: list[ClusterRow] = field(default_factory=list)  # for the appendix
    proofs: list[ProofRow] = field(default_factory=list)  # Bluesky getRecord proofs that checked


def post_category(folder_category: str | None, labels: Sequence[str]) -> str | None:
    """The category a post is counted under: triage's deciding category, else its worst label."""
    if folder_category:
        return folder_category
    for label in _ABUSE_ORDER:
        if label in labels:
            return label
    return labels[0] if labels else None


def _local(moment: str | None, zone: tzinfo) -> str | None:
    when = from_iso(moment)
    if when is None:
        return None
    here = when.astimezone(zone)
    offset = here.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    return (f"{here.year:04d}-{here.month:02d}-{here.day:02d} {here.hour:02d}:{here.minute:02d}:"
            f"{here.second:02d} {here.tzname() or ''} ({sign}{minutes // 60:02d}{minutes % 60:02d})")


def _spans(raw: Sequence[dict[str, Any]], text: str) -> tuple[EvidenceSpan, ...]:
    spans = []
    for item in raw:
        try:
            start, end = int(item["start"]), int(item["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= start < end <= len(text):
            spans.append(EvidenceSpan(start, end, text[start:end], str(item.get("category", "")),
                                      str(item.get("rule", ""))))
    return tuple(sorted(spans, key=lambda s: (s.start, s.end)))


def gather(conn: sqlite3.Connection, *, db_name: str, folders: Sequence[str], zone: tzinfo,
           zone_name: str, generated_at: str) -> ReportData:
    """Everything the report prints: the posts in `folders`, every post with an abuse label
    whatever its folder, every mention, the coordinated groups in full, the posts marked as
    evidence, and the targeted account's own posts as context."""
    notices: list[str] = []
    run = latest_run(conn)
    if run is None:
        raise ReportError("the posts were never sorted into folders, so there is nothing to"
                          " report yet", path=db_name,
                          hint=f"run `pileon analyze {db_name}`, `pileon coordination"
                               f" {db_name}` and `pileon triage {db_name}` first")
    run_id = int(run["id"])
    coord_run = coordination_run(conn)
    targets = thread_roots(conn)
    target_authors = {(t.platform, t.author_id) for t in targets if t.author_id}
    keys: list[tuple[str, str]] = list(folder_keys(conn, run_id, folders))
    keys.extend(abusive_keys(conn, run_id, ABUSIVE_LABELS))
    keys.extend(mention_keys(conn))
    if coord_run is not None:
        keys.extend(coordinated_member_keys(conn, coord_run))
    marked = set(evidence_keys(conn))
    keys.extend(marked)
    own = set(own_post_keys(conn, target_authors))
    keys.extend(own)
    load_selection(conn, keys)

    rows = read_posts(conn, run_id)
    scores = read_scores(conn)
    if not scores:
        notices.append("notice_no_scores")
    if coord_run is None:
        notices.append("notice_no_coordination")
    signals = read_account_signals(conn, coord_run) if coord_run is not None else {}
    clusters = clusters_touching(conn, coord_run) if coord_run is not None else []
    coordinated_posts = {(m["platform"], m["post_id"]) for c in clusters for m in c.members
                         if m["coordinated"]}
    member_posts = {(m["platform"], m["post_id"]): str(c.cluster_id)
                    for c in clusters for m in c.members}

    undone = undone_batches(conn)
    actions: dict[tuple[str, str], list[str]] = {}
    notes: dict[tuple[str, str], list[str]] = {}
    for d in decisions_about(conn):
        if d["batch"] in undone or d["action"] == "undo":
            continue
        key = (d["platform"], d["post_id"])
        if d["action"] == "note" and d["value"]:
            notes.setdefault(key, []).append(str(d["value"]))
        elif d["action"] not in actions.get(key, []):
            actions.setdefault(key, []).append(str(d["action"]))

    translations = read_translations(conn)
    parents = read_parents(conn)
    local = zone if zone_name not in ("UTC", "Etc/UTC", "Z") else None  # no second UTC column
    main_rows = [r for r in rows if (r.platform, r.post_id) not in own]
    own_rows = [r for r in rows if (r.platform, r.post_id) in own]
    numbers: dict[tuple[str, str], int] = {}
    for n, row in enumerate([*main_rows, *own_rows], start=1):
        numbers[(row.platform, row.post_id)] = n
        if row.uri:
            numbers[(row.platform, row.uri)] = n

    def build(row: PostRow) -> ReportPost:
        key = (row.platform, row.post_id)
        return _post(numbers[key], row, scores, signals, member_posts, actions, notes, marked,
                     local, tuple(translations.get(key, ())), parents, numbers, key in own)

    posts = [build(row) for row in main_rows]
    own_posts = [build(row) for row in own_rows]
    summary = _summary(posts, clusters, coordinated_posts)
    hours = Counter((p.created_at[:13], p.category or "unlabelled") for p in posts
                    if p.created_at)
    months = Counter(c[:7] for c in author_creation_dates(conn))
    models = Counter(p.model for p in posts if p.model)
    proofs = [proof for proof in latest_proofs(conn, [
        p.post_id for p in (*posts, *own_posts) if p.platform == "bluesky"]).values()
        if proof.problem is None]
    return ReportData(
        db_name=db_name, generated_at=generated_at, zone_name=zone_name, folders=tuple(folders),
        triage_run=run_id, coordination_run=coord_run, analysed=bool(scores), posts=posts,
        summary=summary, clusters=clusters,
        hours=sorted((h, c, n) for (h, c), n in hours.items()),
        cluster_sizes=all_cluster_sizes(conn, coord_run) if coord_run is not None else [],
        account_months=sorted(months.items()), models=models.most_common(),
        custody=custody_rows(conn),
        raw_sha256s=sorted({p.raw_sha256 for p in (*posts, *own_posts)}
                           | {h for proof in proofs for h in (proof.car_sha256,
                                                              proof.did_doc_sha256)}),
        notices=notices, targets=targets, own_posts=own_posts,
        accounts=_accounts(posts, clusters), incident=_incident(posts),
        bursts=read_bursts(conn, coord_run) if coord_run is not None else [],
        coordinated=[c for c in clusters if c.verdict in _GROUP_VERDICTS],
        near_duplicates=[c for c in clusters if c.verdict not in _GROUP_VERDICTS],
        proofs=sorted(proofs, key=lambda proof: numbers.get(("bluesky", proof.post_id), 0)))


def _incident(posts: Sequence[ReportPost]) -> Incident:
    abusive = [p for p in posts if p.abusive]
    if not abusive:
        return Incident(None, (), ())
    dated = [p for p in abusive if p.created_at]
    recent = sorted(dated, key=lambda p: p.created_at or "", reverse=True)[:3]

    def concern(p: ReportPost) -> tuple[int, int, str]:
        rank = min((_CONCERN.get(x, 9) for x in (p.category, *p.labels) if x), default=9)
        return (rank, 0 if p.coordination_reasons else 1, p.created_at or "")

    return Incident(dated[0] if dated else abusive[0], tuple(recent),
                    tuple(sorted(abusive, key=concern)[:3]))


def _accounts(posts: Sequence[ReportPost], clusters: Sequence[ClusterRow]) -> list[AccountEntry]:
    coordinated_in: dict[tuple[str, str], set[str]] = {}
    by_post = {(m["platform"], m["post_id"]): c for c in clusters for m in c.members
               if m["coordinated"]}
    grouped: dict[tuple[str, str], list[ReportPost]] = {}
    for p in posts:
        author = (p.platform, p.author_id or f"?{p.handle or p.post_id}")
        grouped.setdefault(author, []).append(p)
        cluster = by_post.get((p.platform, p.post_id))
        if cluster is not None:
            coordinated_in.setdefault(author, set()).add(str(cluster.cluster_id))
    entries = []
    for (platform, account), items in grouped.items():
        times = sorted(p.created_at for p in items if p.created_at)
        first = items[0]
        entries.append(AccountEntry(
            platform=platform, author_id=first.author_id or "", handle=first.handle,
            display_name=first.display_name, posts=len(items),
            abusive=sum(1 for p in items if p.abusive),
            categories=tuple(Counter(p.category for p in items if p.category).most_common()),
            first_at=times[0] if times else None, last_at=times[-1] if times else None,
            signals=tuple(dict.fromkeys(s for p in items for s in p.signals)),
            groups=tuple(sorted(coordinated_in.get((platform, account), ()), key=int)),
            first_number=first.number))
    entries.sort(key=lambda e: (-e.abusive, -e.posts, e.first_at or "", e.handle or ""))
    return entries


def _post(number: int, row: PostRow, scores: dict[tuple[str, str], Any],
          signals: dict[tuple[str, str], Any], member_posts: dict[tuple[str, str], str],
          actions: dict[tuple[str, str], list[str]], notes: dict[tuple[str, str], list[str]],
          marked: set[tuple[str, str]], zone: tzinfo | None,
          translations: tuple[Translation, ...], parents: dict[tuple[str, str], ParentRow],
          numbers: dict[tuple[str, str], int], own: bool) -> ReportPost:
    key = (row.platform, row.post_id)
    parent_ref = row.reply_to or row.quote_of
    parent = parents.get((row.platform, parent_ref)) if parent_ref else None
    score = scores.get(key)
    labels = tuple(score.labels) if score else ()
    signal = signals.get((row.platform, row.author_id or ""))
    return ReportPost(
        number=number, platform=row.platform, post_id=row.post_id, kind=row.kind, text=row.text,
        url=row.url, lang=(score.lang if score and score.lang != "und" else None)
        or row.triage_lang or row.lang_reported,
        created_at=row.created_at,
        local_time=_local(row.created_at, zone) if zone is not None else None,
        handle=row.handle, display_name=row.display_name, author_id=row.author_id,
        account_created_at=row.account_created_at, followers_count=row.followers_count,
        posts_count=row.posts_count,
        has_avatar=None if row.has_avatar is None else bool(row.has_avatar),
        signals=tuple(s for s in (row.signals or "").split(",") if s),
        coordination_score=signal.score if signal else None,
        coordination_reasons=tuple(signal.reasons) if signal else (),
        folder=row.folder, category=post_category(row.category, labels), labels=labels,
        evidence=_spans(score.evidence, row.text) if score else (),
        model=f"{score.backend}/{score.model_version}" if score else None,
        user_actions=tuple(actions.get(key, ())), notes=tuple(notes.get(key, ())),
        raw_sha256=row.raw_sha256, deleted_at_source=row.deleted_at_source,
        cluster_id=member_posts.get(key) or row.cluster_id, marked_evidence=key in marked,
        translations=translations, uri=row.uri, reply_to=row.reply_to, quote_of=row.quote_of,
        root_id=row.root_id, captured_at=row.seen_at, parent=parent,
        parent_number=numbers.get((row.platform, parent_ref)) if parent_ref else None, own=own)


def _summary(posts: Sequence[ReportPost], clusters: Sequence[ClusterRow],
             coordinated_posts: set[tuple[str, str]]) -> Summary:
    times = sorted(p.created_at for p in posts if p.created_at)
    keys = {(p.platform, p.post_id) for p in posts}
    return Summary(
        posts=len(posts),
        accounts=len({(p.platform, p.author_id) for p in posts if p.author_id}),
        first_at=times[0] if times else None, last_at=times[-1] if times else None,
        by_category=Counter(p.category or "unlabelled" for p in posts).most_common(),
        by_lang=Counter(p.lang or "und" for p in posts).most_common(),
        by_folder=Counter(p.folder or "none" for p in posts).most_common(),
        in_clusters=sum(1 for p in posts if p.cluster_id),
        coordinated_posts=len(keys & coordinated_posts),
        clusters=len({p.cluster_id for p in posts if p.cluster_id}),
        coordinated_clusters=sum(1 for c in clusters if c.verdict == "coordinated"),
        deleted=sum(1 for p in posts if p.deleted_at_source),
        reviewed=sum(1 for p in posts if p.reviewed),
        with_notes=sum(1 for p in posts if p.notes),
        marked_evidence=sum(1 for p in posts if p.marked_evidence),
        abusive=sum(1 for p in posts if p.abusive))
