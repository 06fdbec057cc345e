"""The review UI application: routes, templates and the per-request context.

`create_app(db, sessions)` returns a Starlette app wrapped in the security Guard. Views live in
views.py; this module wires them together and renders templates in the user's language.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pileon.store import connect
from pileon.store.db import set_busy_timeout
from pileon.store.triage import (
    decisions_stamp,
    folder_counts,
    get_setting,
    last_batch,
    latest_run,
)
from pileon.triage.folders import FOLDERS
from pileon.web.i18n import LANGUAGES, gettext_for, negotiate
from pileon.web.offload import off_loop
from pileon.web.payloads import PayloadIndex
from pileon.web.present import (
    category_names,
    day,
    folder_names,
    language_name,
    rule_names,
    signal_names,
    when,
)
from pileon.web.security import HELPER, Guard, Session, Sessions

__all__ = ["WebState", "create_app", "helper_name", "render", "viewer_of"]

T = TypeVar("T")

STATIC = Path(__file__).parent / "static"
BUSY_TIMEOUT_MS = 3000


@dataclass
class WebState:
    db_path: Path
    sessions: Sessions
    env: Environment
    _local: threading.local = field(default_factory=threading.local)
    _memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    payloads: PayloadIndex = field(default_factory=PayloadIndex)

    def memo(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()` once per key. Keys carry the triage run and the newest decision's id, so
        a new run or any decision (from the UI or `pileon decide`) makes a new key."""
        if key not in self._memo:
            if len(self._memo) > 64:
                self._memo.clear()
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value

    def stamp(self) -> tuple[int, int] | None:
        """(triage run id, newest decision id), or None before the first triage."""
        run = latest_run(self.conn)
        return None if run is None else (int(run["id"]), decisions_stamp(self.conn))

    def abandon_transaction(self) -> None:
        """Roll back whatever this thread's connection left open when a view failed."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and conn.in_transaction:
            conn.rollback()

    @property
    def conn(self) -> sqlite3.Connection:
        """One connection per thread (SQLite connections stay on the thread that opened them)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.db_path, create=False)
            # A request should not hang for the CLI's 30 s behind another writer: after a few
            # seconds the user gets the "database is busy" page, their action kept for a retry.
            set_busy_timeout(conn, BUSY_TIMEOUT_MS)
            self._local.conn = conn
        return conn


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.pileon
    return state


def viewer_of(request: Request) -> Session | None:
    """The session behind this request (its role: the author or a trusted helper)."""
    found: Session | None = request.scope.get("state", {}).get("viewer")
    return found


def helper_name(request: Request) -> str | None:
    """The trusted helper's name when a helper is looking, else None (the author)."""
    viewer = viewer_of(request)
    return viewer.name if viewer is not None and viewer.role == HELPER else None


def language_of(request: Request) -> str:
    viewer = viewer_of(request)
    if viewer is not None and viewer.role == HELPER:  # a helper's choice is their own
        if viewer.lang in LANGUAGES:
            return str(viewer.lang)
        return negotiate(request.headers.get("accept-language"))
    chosen = get_setting(state_of(request).conn, "lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return negotiate(request.headers.get("accept-language"))


def unblur_all(request: Request) -> bool:
    """Shielded text shown in clear: for a trusted helper always, for the author only after
    they turned on "unblur everything"."""
    if helper_name(request) is not None:
        return True
    return get_setting(state_of(request).conn, "unblur_all") == "1"


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    web = state_of(request)
    lang = language_of(request)
    _, ngettext = gettext_for(lang)
    run = latest_run(web.conn)
    stamp = web.stamp()
    counts: dict[str, int] = {}
    if stamp is not None:
        run_id = stamp[0]
        counts = web.memo(("counts", *stamp), lambda: folder_counts(web.conn, run_id))
    undo = last_batch(web.conn)
    viewer = viewer_of(request)
    helper = helper_name(request)
    base = {
        "_": _, "ngettext": ngettext, "lang": lang, "languages": LANGUAGES,
        "helper": helper, "viewer": viewer,
        "when": lambda v: when(v, lang), "day": lambda v: day(v, lang),
        "lang_name": lambda c: language_name(c, lang, _),
        "focus": request.query_params.get("focus", ""),
        "csrf": web.sessions.csrf_for(request.scope.get("state", {}).get("session")) or "",
        "folders": FOLDERS, "folder_names": folder_names(_), "counts": counts,
        "category_names": category_names(_), "signal_names": signal_names(_), "rule_names": rule_names(_),
        "path": request.url.path, "full_path": _full_path(request),
        "unblur_all": unblur_all(request),
        "lang_chosen": helper is not None or get_setting(web.conn, "lang") in LANGUAGES, "undo": undo, "analysed": bool(run is not None and run["scores_source"]), "has_run": run is not None, "done": request.query_params.get("done"),
        "done_n": request.query_params.get("n"), "request_did": request.query_params.get("did"),
        "undone": request.query_params.get("undone"),
    }
    base.update(context)
    html = web.env.get_template(template).render(**base)
    return HTMLResponse(html, status_code=status)


def _full_path(request: Request) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items()
             if k not in ("done", "n", "focus")]
    from urllib.parse import urlencode

    return request.url.path + ("?" + urlencode(query) if query else "")


def create_app(db_path: Path, sessions: Sessions) -> Guard:
    from pileon.web import report_views, views
    from pileon.web.report_jobs import ReportJobs

    env = Environment(loader=PackageLoader("pileon.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    routes = [
        Route("/", off_loop(views.home)),
        Route("/overview", off_loop(views.overview_page)),
        Route("/folder/{name}", off_loop(views.folder_page_view)),
        Route("/post", off_loop(views.post_by_id)),
        Route("/post/{ref}", off_loop(views.post_page)),
        Route("/block-list", off_loop(views.block_list_page)),
        Route("/settings", off_loop(views.settings_page), methods=["GET", "POST"]),
        Route("/lang", off_loop(views.set_language), methods=["POST"]),
        Route("/reveal", off_loop(views.reveal), methods=["POST"]),
        Route("/actions", off_loop(views.actions), methods=["POST"]),
        Route("/undo", off_loop(views.undo), methods=["POST"]),
        Route("/helpers/remove", off_loop(views.remove_helper), methods=["POST"]),
        *report_views.ROUTES,
        Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: views.not_found,
                                                       500: views.server_error})
    app.state.pileon = WebState(db_path, sessions, env)
    app.state.report_jobs = ReportJobs(db_path)
    return Guard(app, sessions, public_paths=("/static/",))
