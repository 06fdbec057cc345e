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
                return read_only_page(request, form)
            if not is_busy(exc):
                raise
            return busy_page(request, form)

    endpoint.__name__ = getattr(view, "__name__", "view")
    endpoint.__doc__ = view.__doc__
    return endpoint


def busy_page(request: Request, form: Any) -> Response:
    """503 with Retry-After: the database is busy (another pileon is writing). A POST's fields
    are kept in a form that sends the same action again with one click; a GET reloads itself."""
    path = html.escape(request.url.path, quote=True)
    if form is not None:
        fields = "".join(
            f'<input type="hidden" name="{html.escape(str(k), quote=True)}"'
            f' value="{html.escape(str(v), quote=True)}">'
            for k, v in form.multi_items() if isinstance(v, str)
        )
        action = (f'<form method="post" action="{path}">{fields}<p><button type="submit">'
                  "Try again</button></p></form><p>Your action has not been lost: the button"
                  " above sends it again.</p>")
    else:
        query = request.url.query
        target = html.escape(request.url.path + (f"?{query}" if query else ""), quote=True)
        action = f'<p><a href="{target}">Try again</a></p>'
    body = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<title>pileon: the database is busy</title>'
            '<link rel="stylesheet" href="/static/app.css"></head><body><main class="calm-page">'
            "<h1>The database is busy</h1><p>Another pileon command (an ingest, an analysis or a"
            " triage) is writing to it right now. Nothing was changed. Wait a few seconds and"
            f" try again.</p>{action}</main></body></html>")
    return HTMLResponse(body, status_code=503, headers={"retry-after": str(BUSY_RETRY_SECONDS)})


READ_ONLY = ("pileon opened this database read-only, because the file, its folder or the disk"
             " it is on cannot be written. So your action was not saved, and nothing else was"
             " changed either: every reply is still where it was.")
READ_ONLY_FIX = ("To decide, mark or undo, stop pileon serve, make the database file and its"
                 " folder writable (or copy them to a folder you can write to), and start it"
                 " again.")


def read_only_page(request: Request, form: Any) -> Response:
    """409: the database can only be read here, so an action cannot be saved. Said plainly,
    with what to do; the page the user came from (the form's `back`) is one click away."""
    if request.headers.get("accept") == "application/json":
        return JSONResponse({"error": f"{READ_ONLY} {READ_ONLY_FIX}"}, status_code=409)
    wanted = form.get("back") if form is not None else None
    back = html.escape(same_site_path(wanted) if isinstance(wanted, str) else "/", quote=True)
    fix = html.escape(READ_ONLY_FIX).replace("pileon serve", "<code>pileon serve</code>")
    body = ('<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<title>pileon: this database can only be read</title>'
            '<link rel="stylesheet" href="/static/app.css"></head><body><main class="calm-page">'
            f"<h1>This database can only be read</h1><p>{html.escape(READ_ONLY)}</p>"
            f'<p>{fix}</p><p><a href="{back}">Back</a></p></main></body></html>')
    return HTMLResponse(body, status_code=409)
