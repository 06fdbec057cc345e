"""Rendering the report as one self-contained HTML file (CSS inline, charts as inline SVG).

Autoescaping is on for everything; post text goes through `post_text`, which escapes it, marks
the classifier's evidence spans and shows invisible direction and zero-width controls as visible
codes, so hostile markup or an RTL override in a post stays inert text in the HTML and the PDF.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
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

__all__ = ["Integrity", "copy_groups", "post_text", "render_html", "render_parts", "visible"]

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


def render_html(data: ReportData, t: Catalog, integrity: Integrity, target: Path) -> None:
    """Write the whole report to `target`, streamed so a 100k-post page never sits in memory."""
    _write(data, t, integrity, target, posts=data.posts, front=True, back=True,
           posts_heading=True, page_numbers=True)


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


def render_parts(data: ReportData, t: Catalog, integrity: Integrity, folder: Path,
                 parts: int) -> list[Path]:
    """The same report cut into `parts` HTML files at post boundaries, to print in parallel.

    Printed, each distinct text comes once: its later exact copies are rows of a table under
    it (index.html keeps every post in full). The first part holds the cover up to the first
    posts, the last one the method and the
    custody log. A part cannot know the page count of the parts before it: its pages are
    numbered after the parts are joined (pdf.py); every page's header names its posts
    ("#12–#18") either way.
    """
    groups = copy_groups(data.posts)
    size = -(-len(groups) // parts) if groups else 0
    chunks = [groups[i * size:(i + 1) * size] for i in range(parts)] if size else [[]]
    paths = []
    for index, chunk in enumerate(chunks):
        path = folder / f"part-{index:03d}.html"
        _write(data, t, integrity, path, posts=[g[0] for g in chunk], front=index == 0,
               back=index == len(chunks) - 1, posts_heading=index == 0,
               page_numbers=len(chunks) == 1, copies={g[0].number: g[1] for g in chunk})
        paths.append(path)
    return paths


def _write(data: ReportData, t: Catalog, integrity: Integrity, target: Path, *,
           posts: Sequence[ReportPost], front: bool, back: bool, posts_heading: bool,
           page_numbers: bool, copies: Mapping[int, list[ReportPost]] | None = None) -> None:
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
        tool_version=integrity.tool_version, charts=_charts(data, t) if front else [],
        labels=LABELS, selection_text=_selection_text(data, t), posts=posts, front=front,
        back=back, posts_heading=posts_heading, page_numbers=page_numbers,
        copies=copies or {},
        account_line=account_line, category_list=category_list, head_words=head_words,
        automated_by=automated_by, folder_name=folder_name, action_list=action_list,
        post_block=post_block_writer(t, words, head_words=head_words,
                                     category_list=category_list, automated_by=automated_by,
                                     folder_name=folder_name, action_list=action_list,
                                     account_line=account_line),
        post_number=lambda m: numbers.get((m["platform"], m["post_id"]), ""),
        qualities=_qualities(data.models), posts_all=data.posts,
        group_lines=lambda c: _group_lines(t, c), w=words)
    with target.open("w", encoding="utf-8", newline="\n") as handle:
        for chunk in stream:
            handle.write(chunk)
