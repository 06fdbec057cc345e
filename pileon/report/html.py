"""Rendering the report as one self-contained HTML file (CSS inline, charts as inline SVG).

Autoescaping is on for everything; post text goes through `post_text`, which escapes it, marks
the classifier's evidence spans and shows invisible direction and zero-width controls as visible
codes, so hostile markup or an RTL override in a post stays inert text in the HTML and the PDF.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from pileon.records import LABELS
from pileon.report.charts import (
    account_months_chart,
    cluster_sizes_chart,
    hours_chart,
    languages_chart,
)
from pileon.report.data import ReportData, ReportPost
from pileon.report.locale import Catalog
from pileon.report.post_html import post_block_writer
from pileon.report.text_html import post_text, short, utc, visible
from pileon.store.db import from_iso
from pileon.store.report import ClusterRow

__all__ = ["SECTIONS", "Integrity", "Piece", "copy_groups", "pdf_pieces", "post_text", "render_html",
           "render_parts", "visible"]

@dataclass(frozen=True, slots=True)
class Integrity:
    """What the cover prints about the folder's hashes and the signing key."""

    digest: str
    public_key_pem: str
    fingerprint: str
    tool_version: str


def _details(details: Mapping[str, Any]) -> str:
    parts = []
    for key in sorted(details):
        value = details[key]
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                                sort_keys=True)
        if len(shown) > 240:
            shown = shown[:240] + "…"
        parts.append(f"{key}: {shown}")
    return "; ".join(parts)


@cache
def model_quality() -> dict[str, dict[str, Any]]:
    """Measured quality per shipped model version (quality.toml), for the method section."""
    source = resources.files("pileon.report") / "quality.toml"
    return dict(tomllib.loads(source.read_text(encoding="utf-8")))


def _qualities(models: Sequence[tuple[str, int]]) -> list[tuple[str, dict[str, Any] | None]]:
    """(model, measured quality or None) for every classifier version that labelled posts."""
    table = model_quality()
    return [(model, table.get(model.split("/", 1)[-1])) for model, _ in models]


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("pileon.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["visible"] = visible
    env.filters["post_text"] = post_text
    env.filters["details"] = _details
    env.filters["utc"] = utc
    env.filters["short"] = short
    return env


def _account_line(t: Catalog, p: ReportPost) -> str:
    unknown = t("unknown")
    avatar = unknown if p.has_avatar is None else t("yes") if p.has_avatar else t("no")
    parts = [t("account_created", at=(p.account_created_at or unknown)[:10]),
             t("followers", n=unknown if p.followers_count is None else p.followers_count),
             t("avatar", value=avatar)]
    if p.signals:
        parts.append(t("signals") + ": " + ", ".join(t.name("signals", s) for s in p.signals))
    if p.coordination_score is not None:
        parts.append(t("coordination_score", score=f"{p.coordination_score:.2f}"))
    return " · ".join(parts)


def _words(t: Catalog) -> dict[str, str]:
    """Words printed on every post, looked up once per report."""
    keys = {"unknown": "unknown", "labels": "labels", "folder": "folder",
            "post_id": "post_id", "raw": "raw_sha256", "marked": "marked_evidence",
            "posted": "posted_at", "captured": "captured_at", "account_id": "account_id",
            "in_reply": "in_reply_to", "not_labelled": "not_labelled",
            "user_labelled": "labelled_by_user", "decisions": "your_decisions",
            "note": "your_note", "reply_to": "reply_to_id", "quote_of": "quote_of_id",
            "thread": "thread_id"}
    return {name: t(key) for name, key in keys.items()}


def _group_lines(t: Catalog, cluster: ClusterRow) -> list[str]:
    """The evidence of coordination in words, one line per synchronised group."""
    lines = []
    for group in cluster.groups:
        if cluster.verdict == "coordinated" and not group.get("coordinated"):
            continue
        first, last = from_iso(group.get("first_at")), from_iso(group.get("last_at"))
        minutes = max(1, round((last - first).total_seconds() / 60)) if first and last else 0
        score = group.get("profile_score")
        lines.append(t("group_words", size=group.get("size", 0),
                       accounts=group.get("accounts", 0), minutes=minutes,
                       first=utc(group.get("first_at")), last=utc(group.get("last_at")),
                       profile=t("unknown") if score is None else f"{float(score):.2f}"))
    lines.append(t("group_similarity", similarity=f"{cluster.mean_similarity:.2f}"))
    return lines


def _charts(data: ReportData, t: Catalog) -> list[tuple[str, Markup]]:
    return [
        (t("chart_hours"), Markup(hours_chart(data.hours, t.category, t("chart_hours"),
                                              t("axis_time_utc"), t("axis_posts")))),
        (t("chart_languages"), Markup(languages_chart(
            data.summary.by_lang, lambda c: t.name("languages", c), t("chart_languages")))),
        (t("chart_cluster_sizes"), Markup(cluster_sizes_chart(
            data.cluster_sizes, lambda v: t.name("verdicts", v), t("chart_cluster_sizes"),
            t("axis_cluster_size"), t("axis_clusters")))),
        (t("chart_account_months"), Markup(account_months_chart(
            data.account_months, t("chart_account_series"), t("chart_account_months"),
            t("axis_month_created"), t("axis_accounts")))),
    ]


def _selection_text(data: ReportData, t: Catalog) -> str:
    folders = ", ".join(t.name("folders", f) for f in data.folders)
    return t("selection_text", folders=folders)


#: The report's sections in print order (report.html prints those a piece shows).
SECTIONS = ("cover", "incident", "summary", "timeline", "clusters", "accounts", "posts", "own",
            "method", "notice", "custody", "appendix")
_ALL = frozenset(SECTIONS)

#: Cluster members (spans), account rows, URLs and so on weigh this much against one printed
#: post in a PDF piece: what WeasyPrint lays out for each, roughly (its memory follows it).
_WEIGHTS = {"member": 0.03, "account": 0.12, "copy": 0.1, "url": 0.03, "near": 0.01}
#: Members of one cluster per piece at most (a synchronised group can have thousands).
_MEMBERS_PER_SLICE = 2000

ClusterSlice = tuple[ClusterRow, Sequence[Mapping[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class Piece:
    """What one HTML file holds: whole sections and slices of the long ones."""

    show: frozenset[str]
    first: frozenset[str] = _ALL      # sliced sections whose heading and intro are printed here
    last: frozenset[str] = _ALL       # sliced sections whose closing part is printed here
    coordinated: Sequence[ClusterSlice] = ()
    accounts: Sequence[Any] = ()
    posts: Sequence[ReportPost] = ()
    copies: Mapping[int, list[ReportPost]] = dataclasses.field(default_factory=dict)
    own_posts: Sequence[ReportPost] = ()
    notice_posts: Sequence[ReportPost] = ()
    near_duplicates: Sequence[ClusterSlice] = ()


def _whole(clusters: Sequence[ClusterRow]) -> list[ClusterSlice]:
    return [(c, c.members, True) for c in clusters]


def render_html(data: ReportData, t: Catalog, integrity: Integrity, target: Path) -> None:
    """Write the whole report to `target`, streamed so a 100k-post page never sits in memory."""
    piece = Piece(_ALL, coordinated=_whole(data.coordinated), accounts=data.accounts,
                  posts=data.posts, own_posts=data.own_posts,
                  notice_posts=[p for p in data.posts if p.abusive],
                  near_duplicates=_whole(data.near_duplicates))
    _write(data, t, integrity, target, piece, posts_heading=True, page_numbers=True)


def copy_groups(posts: Sequence[ReportPost]) -> list[tuple[ReportPost, list[ReportPost]]]:
    """Each distinct text once (its first post), with the later posts of exactly that text
    (case and spacing aside): the PDF prints the text once and the copies as table rows."""
    first: dict[str, int] = {}
    groups: list[tuple[ReportPost, list[ReportPost]]] = []
    for post in posts:
        key = " ".join(post.text.casefold().split())
        at = first.get(key) if key else None
        if at is None:
            if key:
                first[key] = len(groups)
            groups.append((post, []))
        else:
            groups[at][1].append(post)
    return groups


def _packed(items: Sequence[Any], weight: Callable[[Any], float], budget: float
            ) -> list[list[Any]]:
    """Consecutive runs of `items` whose weights add up to at most `budget` (one item at
    least per run), in order."""
    runs: list[list[Any]] = []
    run: list[Any] = []
    total = 0.0
    for item in items:
        w = weight(item)
        if run and total + w > budget:
            runs.append(run)
            run, total = [], 0.0
        run.append(item)
        total += w
    if run or not runs:
        runs.append(run)
    return runs


def _sliced(clusters: Sequence[ClusterRow]) -> list[ClusterSlice]:
    out: list[ClusterSlice] = []
    for c in clusters:
        members = c.members or []
        for start in range(0, max(1, len(members)), _MEMBERS_PER_SLICE):
            out.append((c, members[start:start + _MEMBERS_PER_SLICE], start == 0))
    return out


def pdf_pieces(data: ReportData, budget: float) -> list[tuple[Piece, bool]]:
    """The report for the PDF as pieces small enough to print one by one: no piece weighs
    more than `budget` printed posts (a long group, account table or URL list is cut into
    several), so no WeasyPrint run holds a whole 100k-reply thread. Each piece comes with
    whether it starts the posts section (its heading)."""
    pieces: list[tuple[Piece, bool]] = [(Piece(frozenset({"cover", "incident", "summary",
                                                          "timeline"})), False)]

    def sliced(section: str, items: Sequence[Any], weight: Callable[[Any], float],
               field_name: str) -> None:
        runs = _packed(items, weight, budget)
        for index, run in enumerate(runs):
            piece = dataclasses.replace(
                Piece(frozenset({section}),
                      first=frozenset({section}) if index == 0 else frozenset(),
                      last=frozenset({section}) if index == len(runs) - 1 else frozenset()),
                **{field_name: run})  # type: ignore[arg-type]
            pieces.append((piece, section == "posts" and index == 0))

    sliced("clusters", _sliced(data.coordinated),
           lambda s: 1 + _WEIGHTS["member"] * len(s[1]), "coordinated")
    sliced("accounts", data.accounts, lambda a: _WEIGHTS["account"], "accounts")
    groups = copy_groups(data.posts)
    runs = _packed(groups, lambda g: 1 + _WEIGHTS["copy"] * len(g[1]), budget)
    for index, run in enumerate(runs):
        pieces.append((Piece(frozenset({"posts"}), posts=[g[0] for g in run],
                             copies={g[0].number: g[1] for g in run}), index == 0))
    sliced("own", data.own_posts, lambda p: 1.0, "own_posts")
    pieces.append((Piece(frozenset({"method"})), False))
    sliced("notice", [p for p in data.posts if p.abusive], lambda p: _WEIGHTS["url"],
           "notice_posts")
    pieces.append((Piece(frozenset({"custody"})), False))
    sliced("appendix", _sliced(data.near_duplicates),
           lambda s: 1 + _WEIGHTS["near"] * len(s[1]), "near_duplicates")
    return pieces


def _weight(piece: Piece) -> float:
    return (sum(1 + _WEIGHTS["member"] * len(m) for _, m, _ in piece.coordinated)
            + _WEIGHTS["account"] * len(piece.accounts)
            + sum(1 + _WEIGHTS["copy"] * len(c) for c in piece.copies.values())
            + len(piece.posts) - len(piece.copies) + len(piece.own_posts)
            + _WEIGHTS["url"] * len(piece.notice_posts)
            + sum(1 + _WEIGHTS["near"] * len(m) for _, m, _ in piece.near_duplicates))


def render_parts(data: ReportData, t: Catalog, integrity: Integrity, folder: Path,
                 budget: float, numbered: bool = True) -> list[Path]:
    """The report cut into small HTML files (pdf_pieces), to print in parallel and join.

    Printed, each distinct text comes once: its later exact copies are rows of a table under
    it (index.html keeps every post in full). A part cannot know the page count of the parts
    before it: its pages are numbered after the parts are joined (pdf.py); every page's header
    names its posts ("#12–#18") either way. `numbered`: a one-part report numbers its own
    pages (WeasyPrint); Chromium's parts never do (pdf.py stamps them).
    """
    pieces = pdf_pieces(data, budget)
    if sum(_weight(piece) for piece, _ in pieces) <= budget:  # small: one part, as index.html
        groups = copy_groups(data.posts)
        whole = dataclasses.replace(
            pieces[0][0], show=_ALL, coordinated=_sliced(data.coordinated),
            accounts=data.accounts, posts=[g[0] for g in groups],
            copies={g[0].number: g[1] for g in groups}, own_posts=data.own_posts,
            notice_posts=[p for p in data.posts if p.abusive],
            near_duplicates=_sliced(data.near_duplicates))
        pieces = [(whole, True)]
    paths = []
    for index, (piece, posts_heading) in enumerate(pieces):
        path = folder / f"part-{index:04d}.html"
        _write(data, t, integrity, path, piece, posts_heading=posts_heading,
               page_numbers=numbered and len(pieces) == 1)
        paths.append(path)
    return paths


def _write(data: ReportData, t: Catalog, integrity: Integrity, target: Path, piece: Piece, *,
           posts_heading: bool, page_numbers: bool) -> None:
    css = (resources.files("pileon.report") / "templates" / "report.css").read_text("utf-8")
    template = _environment().get_template("report.html")
    numbers = {(p.platform, p.post_id): p.number for p in data.posts}

    def names(group: str, codes: Iterable[str]) -> str:
        return ", ".join(t.name(group, c) for c in codes)

    words = _words(t)
    category_list = cache(lambda labels: ", ".join(t.category(x) for x in labels))
    head_words = cache(lambda kind, lang: t.name("kinds", kind) + " · " + t(
        "written_in", lang=t.name("languages", lang or "und")))
    automated_by = cache(lambda model: t("automated_by", model=model))
    folder_name = cache(lambda folder: t.name("folders", folder))

    def action_list(actions: Iterable[str]) -> str:
        return names("actions", actions)

    def account_line(p: ReportPost) -> str:
        return _account_line(t, p)

    stream = template.generate(
        data=data, t=t, css=Markup(css), digest=integrity.digest,
        public_key_pem=integrity.public_key_pem.strip(), fingerprint=integrity.fingerprint,
        tool_version=integrity.tool_version,
        charts=_charts(data, t) if "timeline" in piece.show else [],
        labels=LABELS, selection_text=_selection_text(data, t), show=piece.show,
        first=piece.first, last=piece.last, posts=piece.posts, coordinated=piece.coordinated,
        accounts=piece.accounts, own_posts=piece.own_posts, notice_posts=piece.notice_posts,
        near_duplicates=piece.near_duplicates, posts_heading=posts_heading,
        page_numbers=page_numbers, copies=piece.copies,
        account_line=account_line, category_list=category_list, head_words=head_words,
        automated_by=automated_by, folder_name=folder_name, action_list=action_list,
        post_block=post_block_writer(t, words, head_words=head_words,
                                     category_list=category_list, automated_by=automated_by,
                                     folder_name=folder_name, action_list=action_list,
                                     account_line=account_line),
        post_number=lambda m: numbers.get((m["platform"], m["post_id"]), ""),
        qualities=_qualities(data.models),
        group_lines=lambda c: _group_lines(t, c), w=words)
    with target.open("w", encoding="utf-8", newline="\n") as handle:
        for chunk in stream:
            handle.write(chunk)
