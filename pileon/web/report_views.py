"""The review UI's evidence pages: what is marked as evidence, writing the report (with its
progress), and filing reports on Mastodon or Bluesky: the dry run first, then an explicit send.

These call what `pileon report` and `pileon report-to` call (`build_report`, `plan_filing`,
`send_filing`). Marked replies are shown as cards, blurred by the same rules as the folders;
the requests a dry run shows name the reported accounts, so they open only on a click. The
user's token is used for one send and kept nowhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from pileon.errors import PileonError
from pileon.report.filing import Selection
from pileon.report.filing_plan import (
    BlueskyTarget,
    FilingPlan,
    MastodonTarget,
    Target,
    plan_filing,
    send_filing,
)
from pileon.report.locale import REPORT_LANGUAGES
from pileon.report.to_mastodon import CATEGORIES
from pileon.store.report import evidence_keys
from pileon.store.triage import coordinated_clusters, post_detail
from pileon.web.app import helper_name, language_of, render, state_of, unblur_all
from pileon.web.i18n import gettext_for
from pileon.web.offload import off_loop
from pileon.web.present import Card, card_from_row
from pileon.web.report_jobs import ReportJob, ReportJobs
from pileon.web.security import check_csrf

__all__ = ["ROUTES", "mastodon_categories", "stage_names"]

#: Marked replies listed on the evidence page (the report itself holds all of them).
EVIDENCE_SHOWN = 50
_BLUESKY_PDS = "https://bsky.social"
#: Folders the user may add to the report (shielded is always in it).
EXTRA_FOLDERS = ("review", "inbox", "support")


def stage_names(_: Callable[[str], str]) -> dict[str, str]:
    return {"waiting": _("Starting…"), "gathering": _("Gathering the posts"),
            "raw payloads": _("Copying the original data"), "pages": _("Writing the pages"),
            "pdf": _("Printing the PDF"), "signing": _("Signing"), "done": _("Done")}


def mastodon_categories(_: Callable[[str], str]) -> dict[str, str]:
    """Mastodon's report categories as its own report form names them."""
    return {"other": _("Other"), "spam": _("Spam"),
            "legal": _("Illegal content (against the law where you or they live)")}


def _jobs(request: Request) -> ReportJobs:
    jobs: ReportJobs = request.app.state.report_jobs
    return jobs


def _str(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _evidence_cards(request: Request) -> tuple[list[Card], int]:
    conn = state_of(request).conn
    run = state_of(request).stamp()
    keys = list(dict.fromkeys(evidence_keys(conn)))
    rows = [r for r in (post_detail(conn, run[0] if run else 0, p, i)
                        for p, i in keys[:EVIDENCE_SHOWN]) if r is not None]
    coordinated = coordinated_clusters(conn, (r["cluster_id"] for r in rows))
    unblur = unblur_all(request)
    cards = [card_from_row({**dict(r), "ref": None},  # type: ignore[arg-type]
                           unblur, r["cluster_id"] in coordinated) for r in rows]
    return cards, len(keys)


async def report_page(request: Request) -> Response:
    """What is marked as evidence, and the form that writes the report."""
    if state_of(request).stamp() is None:
        return render(request, "empty.html")
    from pileon.web.views import key_of

    cards, marked = _evidence_cards(request)
    jobs = _jobs(request)
    lang = language_of(request)
    return render(request, "report.html", cards=cards, marked=marked, key_of=key_of,
                  report_lang=lang if lang in REPORT_LANGUAGES else "en",
                  extra_folders=EXTRA_FOLDERS, job=jobs.running() or jobs.newest(),
                  stages=stage_names(gettext_for(lang)[0]))


async def build(request: Request) -> Response:
    form = await request.form()
    if not check_csrf(request, state_of(request).sessions, _str(form, "csrf")):
        raise HTTPException(403, "csrf")
    if state_of(request).stamp() is None:
        return render(request, "empty.html")
    lang = _str(form, "lang") or "en"
    if lang not in REPORT_LANGUAGES:
        raise HTTPException(400, "lang")
    extra = [str(v) for v in form.getlist("include")]
    if any(f not in EXTRA_FOLDERS for f in extra):
        raise HTTPException(400, "folder")
    folders = ("shielded", *(f for f in EXTRA_FOLDERS if f in extra))
    job = _jobs(request).start(lang, folders, _str(form, "pdf") == "1")
    return RedirectResponse(f"/report/job/{job.id}", status_code=303)


def _job(request: Request) -> ReportJob:
    job = _jobs(request).get(request.path_params["job"])
    if job is None:
        raise HTTPException(404)
    return job


async def job_page(request: Request) -> Response:
    job = _job(request)
    _, _n = gettext_for(language_of(request))
    return render(request, "report_job.html", job=job, stages=stage_names(_),
                  percent=round(job.fraction * 100))


async def job_status(request: Request) -> Response:
    """The progress page's poll: stage (in the user's language) and fraction done."""
    job = _job(request)
    _, _n = gettext_for(language_of(request))
    return JSONResponse({**job.as_json(), "label": stage_names(_).get(job.stage, job.stage)})


# --- filing reports on a platform ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FilingForm:
    """What the filing form asked for, as the form fields hold it (sent back with the send)."""

    platform: str = "mastodon"
    what: str = "evidence"  # evidence | shielded
    again: bool = False
    instance: str = ""
    category: str = "other"
    forward: bool = True
    pds: str = _BLUESKY_PDS
    handle: str = ""
    comment: str = ""

    @classmethod
    def read(cls, form: FormData) -> FilingForm:
        def text(name: str, default: str = "") -> str:
            return (_str(form, name) or default).strip()[:2000]

        platform = text("platform", "mastodon")
        what = text("what", "evidence")
        category = text("category", "other")
        if platform not in ("mastodon", "bluesky") or what not in ("evidence", "shielded") \
                or category not in CATEGORIES or category == "violation":
            raise HTTPException(400, "form")
        return cls(platform, what, text("again") == "1", text("instance"), category,
                   text("forward", "1") == "1", text("pds", _BLUESKY_PDS) or _BLUESKY_PDS,
                   text("handle"), text("comment"))

    def fields(self) -> dict[str, str]:
        """The hidden fields that carry this form from the dry run to the send."""
        return {"platform": self.platform, "what": self.what, "again": "1" if self.again else "",
                "instance": self.instance, "category": self.category,
                "forward": "1" if self.forward else "0", "pds": self.pds,
                "handle": self.handle, "comment": self.comment}

    def target(self) -> Target:
        if self.platform == "mastodon":
            return MastodonTarget(self.instance, self.category, (), self.forward,
                                  self.comment or None)
        return BlueskyTarget(self.pds, comment=self.comment or None, handle=self.handle or None)

    def selection(self) -> Selection:
        if self.what == "shielded":
            return Selection(folders=("shielded",), again=self.again)
        return Selection(evidence=True, again=self.again)


def _author_only(request: Request) -> None:
    if helper_name(request) is not None:
        raise HTTPException(403, "only the author files reports with their own account")


def _requests(plan: FilingPlan) -> list[dict[str, Any]]:
    return [{"method": p.method, "url": p.url, "account": p.account,
             "headers": dict(p.headers), "posts": len(p.rows), "pending": p.pending,
             "body": json.dumps(p.body, ensure_ascii=False, indent=2)} for p in plan.planned]


async def file_page(request: Request) -> Response:
    _author_only(request)
    return render(request, "report_file.html", step="form", form=FilingForm(),
                  categories=[c for c in CATEGORIES if c != "violation"],
                  category_labels=mastodon_categories(gettext_for(language_of(request))[0]))


async def file_preview(request: Request) -> Response:
    """The dry run: exactly what would be sent. Nothing leaves this machine."""
    form = await request.form()
    if not check_csrf(request, state_of(request).sessions, _str(form, "csrf")):
        raise HTTPException(403, "csrf")
    _author_only(request)
    asked = FilingForm.read(form)
    return _preview(request, asked)


def _preview(request: Request, asked: FilingForm, error: str | None = None) -> Response:
    categories = [c for c in CATEGORIES if c != "violation"]
    try:
        plan = plan_filing(state_of(request).conn, asked.target(), asked.selection())
    except PileonError as exc:
        return render(request, "report_file.html", step="form", form=asked,
                      categories=categories, error=str(exc), status=400,
                      category_labels=mastodon_categories(gettext_for(language_of(request))[0]))
    return render(request, "report_file.html", step="preview", form=asked, plan=plan,
                  requests=_requests(plan), categories=categories, error=error)


async def file_send(request: Request) -> Response:
    """The explicit send: the same plan, checked unchanged since the dry run, then filed."""
    form = await request.form()
    if not check_csrf(request, state_of(request).sessions, _str(form, "csrf")):
        raise HTTPException(403, "csrf")
    _author_only(request)
    asked = FilingForm.read(form)
    _, _n = gettext_for(language_of(request))
    secret = (_str(form, "secret") or "").strip()
    if _str(form, "confirm") != "yes":
        return _preview(request, asked, _("Tick the box to confirm that you want to file these"
                                          " reports."))
    if not secret or not secret.isascii() or not secret.isprintable():
        return _preview(request, asked, _("Give your access token or app password."))
    conn = state_of(request).conn
    target = asked.target()
    try:
        plan = plan_filing(conn, target, asked.selection())
        if plan.digest != _str(form, "digest"):
            return _preview(request, asked, _("What would be sent has changed since you looked"
                                              " at it. Look at it again, then send."))
        filed = send_filing(conn, target, plan, secret)
    except PileonError as exc:
        return _preview(request, asked, _("Not filed: %(error)s") % {"error": str(exc)})
    return render(request, "report_file.html", step="done", form=asked, plan=plan,
                  filed=[{"id": f.report_id, "account": f.planned.account,
                          "posts": len(f.planned.rows)} for f in filed],
                  categories=[c for c in CATEGORIES if c != "violation"])


ROUTES = [
    Route("/report", off_loop(report_page)),
    Route("/report/build", off_loop(build), methods=["POST"]),
    Route("/report/job/{job}", off_loop(job_page)),
    Route("/report/job/{job}/status", off_loop(job_status)),
    Route("/report/file", off_loop(file_page)),
    Route("/report/file/preview", off_loop(file_preview), methods=["POST"]),
    Route("/report/file/send", off_loop(file_send), methods=["POST"]),
]
