"""Keeping the event loop free: every view runs on a worker thread, and a busy database gets a
calm "try again" page that keeps the user's action instead of the generic error page.

Views are written as `async def` but do their work with SQLite, which blocks. `off_loop(view)`
reads the request body on the loop (form parsing is the only thing a view awaits), then runs the
view to completion on Starlette's thread pool, where each thread holds its own connection.
"""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from pileon.web.i18n import gettext_for, negotiate
from pileon.web.security import same_site_path

__all__ = ["BUSY_RETRY_SECONDS", "busy_page", "is_busy", "is_read_only", "off_loop",
           "read_only_page"]

View = Callable[[Request], Coroutine[Any, Any, Response]]
BUSY_RETRY_SECONDS = 5


def is_busy(exc: BaseException) -> bool:
    text = str(exc)
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def is_read_only(exc: BaseException) -> bool:
    """SQLite's answer to a write on a database opened read-only (a read-only file, folder or
    file system: `store/db.py` then opens it for reading only)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and (
        "readonly database" in text or "read-only" in text)


def _complete(view: View, request: Request) -> Response:
    """Run the coroutine `view(request)` on this (worker) thread. With the form already parsed
    and cached on the request, a view never suspends; if one ever does, that is a bug."""
    coroutine = view(request)
    try:
        coroutine.send(None)
    except StopIteration as finished:
        response: Response = finished.value
        return response
    except BaseException:
        # A write cut short (a busy database) must not leave this thread's connection inside
        # a transaction for the next request it serves.
        request.app.state.pileon.abandon_transaction()
        raise
    coroutine.close()
    raise RuntimeError(f"{getattr(view, '__name__', view)} waited on I/O off the event loop")


def off_loop(view: View) -> View:
    async def endpoint(request: Request) -> Response:
        form: Any = None
        if request.method not in ("GET", "HEAD"):
            form = await request.form()  # read and parsed here; the view gets the cached copy
        try:
            return await run_in_threadpool(_complete, view, request)
        except sqlite3.OperationalError as exc:
            if is_read_only(exc):
                lang = await run_in_threadpool(_language, request)
                return read_only_page(request, form, lang)
            if not is_busy(exc):
                raise
            lang = await run_in_threadpool(_language, request)
            return busy_page(request, form, lang)

    endpoint.__name__ = getattr(view, "__name__", "view")
    endpoint.__doc__ = view.__doc__
    return endpoint


def _language(request: Request) -> str:
    """The user's interface language (their setting, else the browser's); the browser's alone
    when the database cannot even be read for it."""
    from pileon.web.app import language_of  # app wires the views through this module

    try:
        return language_of(request)
    except sqlite3.Error:
        return negotiate(request.headers.get("accept-language"))


def _page(lang: str, title: str, body: str) -> str:
    return (f'<!doctype html><html lang="{html.escape(lang, quote=True)}"><head>'
            '<meta charset="utf-8"><meta name="viewport" content="width=device-width,'
            f' initial-scale=1"><title>{html.escape(title)}</title>'
            '<link rel="stylesheet" href="/static/app.css"></head><body><main class="calm-page">'
            f"{body}</main></body></html>")


def busy_page(request: Request, form: Any, lang: str = "en") -> Response:
    """503 with Retry-After: the database is busy (another pileon is writing). A POST's fields
    are kept in a form that sends the same action again with one click; a GET reloads itself."""
    _, _n = gettext_for(lang)
    path = html.escape(request.url.path, quote=True)
    again = html.escape(_("Try again"))
    if form is not None:
        fields = "".join(
            f'<input type="hidden" name="{html.escape(str(k), quote=True)}"'
            f' value="{html.escape(str(v), quote=True)}">'
            for k, v in form.multi_items() if isinstance(v, str)
        )
        kept = html.escape(_("Your action has not been lost: the button above sends it again."))
        action = (f'<form method="post" action="{path}">{fields}<p><button type="submit">'
                  f"{again}</button></p></form><p>{kept}</p>")
    else:
        query = request.url.query
        target = html.escape(request.url.path + (f"?{query}" if query else ""), quote=True)
        action = f'<p><a href="{target}">{again}</a></p>'
    why = _("Another pileon command (an ingest, an analysis or a triage) is writing to it right"
            " now. Nothing was changed. Wait a few seconds and try again.")
    body = _page(lang, _("pileon: the database is busy"),
                 f"<h1>{html.escape(_('The database is busy'))}</h1><p>{html.escape(why)}</p>"
                 f"{action}")
    return HTMLResponse(body, status_code=503, headers={
        "retry-after": str(BUSY_RETRY_SECONDS), "content-language": lang})


def read_only_page(request: Request, form: Any, lang: str = "en") -> Response:
    """409: the database can only be read here, so an action cannot be saved. Said plainly,
    with what to do; the page the user came from (the form's `back`) is one click away."""
    _, _n = gettext_for(lang)
    said = _("pileon opened this database read-only, because the file, its folder or the disk"
             " it is on cannot be written. So your action was not saved, and nothing else was"
             " changed either: every reply is still where it was.")
    fix = _("To decide, mark or undo, stop %(command)s, make the database file and its folder"
            " writable (or copy them to a folder you can write to), and start it again.")
    if request.headers.get("accept") == "application/json":
        return JSONResponse({"error": f"{said} {fix % {'command': 'pileon serve'}}"},
                            status_code=409, headers={"content-language": lang})
    wanted = form.get("back") if form is not None else None
    back = html.escape(same_site_path(wanted) if isinstance(wanted, str) else "/", quote=True)
    body = _page(lang, _("pileon: this database can only be read"),
                 f"<h1>{html.escape(_('This database can only be read'))}</h1>"
                 f"<p>{html.escape(said)}</p>"
                 f"<p>{html.escape(fix) % {'command': '<code>pileon serve</code>'}}</p>"
                 f'<p><a href="{back}">{html.escape(_("Back"))}</a></p>')
    return HTMLResponse(body, status_code=409, headers={"content-language": lang})
