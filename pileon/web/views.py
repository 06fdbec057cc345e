"""The review UI's pages and actions: first screen, overview, folders, post, reveal, decisions.

Every POST checks the session's CSRF token. Blurred text (Shielded, To review, and any reply
not triaged yet), with its author and address, leaves the server only from /reveal, after the
user clicked "show" on that one post (or turned on "unblur everything"). Post pages are named
by an opaque ref (/post/<ref>), never by an id or URL that could hold a handle.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace
from typing import Any
from urllib.parse import quote, unquote, urlencode

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from pileon.records import LABELS
from pileon.store.db import transaction
from pileon.store.triage import (
    DecisionInput,
    PageFilter,
    batch_keys,
    block_candidates,
    cluster_sample,
    coordinated_clusters,
    decisions_for,
    distinct_values,
    folder_page,
    key_for_ref,
    latest_run,
    latest_score,
    matching_keys,
    overview,
    post_detail,
    post_ref,
    raw_bytes,
    replies_to,
    set_setting,
    support_summary,
    thread_context,
    undone_batches,
)
from pileon.triage.decisions import ACTIONS
from pileon.triage.folders import FOLDERS
from pileon.triage.run import record_decisions, undo_batch
from pileon.web import search
from pileon.web.app import helper_name, language_of, render, state_of, unblur_all, viewer_of
from pileon.web.chart import FOLDER_COLOURS, timeline_svg
from pileon.web.i18n import LANGUAGES, gettext_for
from pileon.web.present import (
    BIDI_CONTROLS,
    Card,
    card_from_row,
    evidence_segments,
    folder_names,
    is_blurred,
)
from pileon.web.security import check_csrf

PAGE_SIZE = 50
SIMILAR_SHOWN = 10  # near-identical (not coordinated) groups listed on the overview


def key_of(platform: str, post_id: str) -> str:
    return quote(platform, safe="") + "/" + quote(post_id, safe="")


def parse_key(value: str) -> tuple[str, str] | None:
    if "/" not in value:
        return None
    platform, post_id = value.split("/", 1)
    return unquote(platform), unquote(post_id)


def _cards(request: Request, rows: list[Any]) -> list[Card]:
    unblur = unblur_all(request)
    coordinated = coordinated_clusters(state_of(request).conn, (r["cluster_id"] for r in rows))
    return [card_from_row(r, unblur, r["cluster_id"] in coordinated) for r in rows]


def _run_id(request: Request) -> int | None:
    run = latest_run(state_of(request).conn)
    return None if run is None else int(run["id"])


async def home(request: Request) -> Response:
    if helper_name(request) is not None:  # a helper is here to review, not to be comforted
        return RedirectResponse("/folder/review", status_code=303)
    run_id = _run_id(request)
    if run_id is None:
        return render(request, "empty.html")
    conn = state_of(request).conn
    page = max(1, _int(request.query_params.get("page"), 1))
    rows, total = folder_page(conn, run_id, PageFilter(folder="support"),
                              offset=(page - 1) * 20, limit=20)
    summary = state_of(request).memo(("summary", *_stamp(request)),
                                     lambda: support_summary(conn, run_id))
    return render(request, "home.html", summary=summary, unsorted=_unsorted(request),
                  cards=_cards(request, rows), total=total,
                  page=page, pages=max(1, -(-total // 20)), key_of=key_of)


async def overview_page(request: Request) -> Response:
    run_id = _run_id(request)
    if run_id is None:
        return render(request, "empty.html")
    web = state_of(request)
    stats, clusters, similar = web.memo(("overview", *_stamp(request)),
                                        lambda: _overview_data(web.conn, run_id))
    _, _n = gettext_for(language_of(request))
    names = folder_names(_)
    chart = timeline_svg(stats["hours"], FOLDERS, lambda f: names[f],
                         _("Replies per hour, by folder"), lang=language_of(request))
    return render(request, "overview.html", stats=stats, chart=chart, clusters=clusters,
                  similar=similar,
                  colours=FOLDER_COLOURS)


def _unsorted(request: Request) -> bool:
    """True when the newest triage ran before any analysis: nothing is really sorted yet."""
    run = latest_run(state_of(request).conn)
    return run is not None and run["scores_source"] is None


def _stamp(request: Request) -> tuple[int, int]:
    stamp = state_of(request).stamp()
    assert stamp is not None  # callers checked that a triage run exists
    return stamp


Groups = list[dict[str, Any]]


def _overview_data(conn: sqlite3.Connection, run_id: int) -> tuple[dict[str, Any], Groups,
                                                                    Groups]:
    """Overview counts, then coordinated groups and the largest merely near-identical ones."""
    stats = overview(conn, run_id)
    coordinated = coordinated_clusters(conn, (c[0] for c in stats["clusters"]))
    clusters: Groups = []
    similar: Groups = []
    for cluster_id, size, first, last, shielded, support, inbox, review in stats["clusters"]:
        group = clusters if cluster_id in coordinated else similar
        if group is similar and len(similar) >= SIMILAR_SHOWN:
            continue
        sample = None if shielded * 2 >= size else cluster_sample(conn, run_id, cluster_id)
        where = {"shielded": shielded, "support": support, "inbox": inbox, "review": review}
        group.append({"id": cluster_id, "size": size, "first": first, "last": last,
                      "shielded": shielded, "support": support,
                      "mostly": max(FOLDERS, key=lambda f: where[f]),  # where most of it is
                      "sample": sample["text"] if sample else None})
    return stats, clusters, similar


def _filter_from(params: Any, folder: str | None) -> PageFilter:
    def get(name: str) -> str | None:
        value = params.get(name)
        return str(value).strip() or None if value is not None else None

    since, until = get("since"), get("until")
    return PageFilter(folder=folder, category=get("category"), lang=get("lang"),
                      signal=get("signal"), cluster_id=get("cluster"),
                      since=since.replace(" ", "T") if since else None,
                      until=until.replace(" ", "T") if until else None, query=get("q"))


async def folder_page_view(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in FOLDERS:
        raise HTTPException(404)
    run_id = _run_id(request)
    if run_id is None:
        return render(request, "empty.html")
    conn = state_of(request).conn
    flt = _filter_from(request.query_params, name)
    # Searching hidden text tells whether some abuse holds a word: only after the user asks.
    search_held = bool(flt.query and is_blurred(name, unblur_all(request))
                       and request.query_params.get("inside") != "1")
    flt = _searchable(conn, flt, held=search_held)
    page = max(1, _int(request.query_params.get("page"), 1))
    # A search must not tell what a blurred reply says: in a blurred folder it finds nothing
    # (not even a count) until the user asks to search the hidden text too, or unblurs all.
    search_withheld = search_held
    rows: list[sqlite3.Row]
    if search_withheld:
        rows, total = [], 0
    else:
        rows, total = folder_page(conn, run_id, flt, offset=(page - 1) * PAGE_SIZE,
                                  limit=PAGE_SIZE)
    query = {k: v for k, v in request.query_params.items()
             if k not in ("page", "done", "n", "did", "focus") and v}
    return render(request, "folder.html", folder=name, cards=_cards(request, rows),
        total=total, page=page, search_withheld=search_withheld, unsorted=_unsorted(request),
        pages=max(1, -(-total // PAGE_SIZE)), flt=flt, query=query, urlencode=urlencode,
        langs=state_of(request).memo(("langs", *_stamp(request), name),
                                     lambda: distinct_values(conn, run_id, "lang", name)),
        categories=state_of(request).memo(
            ("categories", *_stamp(request), name),
            lambda: distinct_values(conn, run_id, "category", name)),
        key_of=key_of, search_held=search_held,
        indexing=search.pending_count(conn) if flt.match else 0,
        request_inside=request.query_params.get("inside") == "1", q=request.query_params.get("q", ""),
        filtered=any(query.get(k) for k in ("q", "category", "lang", "signal", "cluster",
                                            "since", "until")))


def _searchable(conn: sqlite3.Connection, flt: PageFilter, *, held: bool) -> PageFilter:
    """`flt` with its search words turned into an FTS5 match over every spelling (the index
    first catches up with new or changed posts); with `held`, without the search."""
    if not flt.query:
        return flt
    if held:
        return replace(flt, query=None)
    search.catch_up(conn)
    expression = search.match_expression(flt.query)
    if expression is None:
        return replace(flt, query=None)
    return replace(flt, query=None, match=expression)


async def post_by_id(request: Request) -> Response:
    """The older address (/post?p=..&id=..), still served for links kept from before; the UI
    itself links only to /post/<ref>."""
    return await _post(request, (request.query_params.get("p", ""),
                                 request.query_params.get("id", "")))


def _authors(request: Request) -> frozenset[tuple[str, str]]:
    web = state_of(request)
    return web.memo(("authors", *(web.stamp() or (0, 0))),
                    lambda: thread_context(web.conn).authors)


async def post_page(request: Request) -> Response:
    found = key_for_ref(state_of(request).conn, _run_id(request) or 0,
                        request.path_params["ref"])
    if found is None:
        raise HTTPException(404)
    return await _post(request, found)


async def _post(request: Request, found: tuple[str, str]) -> Response:
    conn = state_of(request).conn
    run_id = _run_id(request) or 0
    platform, post_id = found
    row = post_detail(conn, run_id, platform, post_id)
    if row is None:
        raise HTTPException(404)
    authors = _authors(request)
    own = row["kind"] == "root" and row["folder"] is None \
        or (platform, row["author_id"]) in authors
    hidden = not own and is_blurred(row["folder"], unblur_all(request))
    # Replies around a blurred one often name its writer ("@handle ..."): masked, so the
    # thread does not tell who wrote what is hidden.
    masked = row["author_handle"] if hidden and row["author_handle"] else None
    score = latest_score(conn, platform, post_id)
    scores: dict[str, float] = json.loads(score["scores_json"]) if score else {}
    evidence = json.loads(score["evidence_json"] or "[]") if score else []
    context: list[dict[str, Any]] = []
    parent = row["reply_to"]
    seen = {post_id}
    while parent and parent not in seen and len(context) < 10:
        seen.add(parent)
        above = post_detail(conn, run_id, platform, parent)
        if above is None:
            break
        context.insert(0, _context_item(above, request, authors, masked))
        parent = above["reply_to"]
    below = [_context_item(r, request, authors, masked) for r in (
        post_detail(conn, run_id, platform, x["id"]) for x in replies_to(conn, run_id, platform,
                                                                         post_id)) if r]
    raw = None if hidden else _own_record(request, row["raw_sha256"], post_id, row["uri"])
    return render(
        request, "post.html", post=row, hidden=hidden, own=own, key=key_of(platform, post_id),
        segments=None if hidden else evidence_segments(row["text"], evidence),
        scores=sorted(((k, v) for k, v in scores.items() if k in LABELS), key=lambda kv: -kv[1]),
        labels=json.loads(row["labels_json"] or "[]"), raw=raw,
        signals=[s for s in (row["signals"] or "").split(",") if s],
        decisions=decisions_for(conn, platform, post_id), context=context, below=below,
        explain=json.loads(row["explain_json"] or "{}"), actions=ACTIONS,
        latest=_latest_decision(conn, platform, post_id),
        copies=int(row["copies_size"] or 1))


#: Decisions that say where a reply belongs (notes, blocks and evidence do not).
_PLACING = ("move", "mark_abuse", "mark_not_abuse", "mark_supportive")


def _latest_decision(conn: sqlite3.Connection, platform: str, post_id: str) -> Any:
    """The newest decision that placed this reply and is not undone, or None."""
    undone = undone_batches(conn)
    for d in reversed(decisions_for(conn, platform, post_id)):
        if d["action"] in _PLACING and d["batch"] not in undone:
            return d
    return None


def _own_record(request: Request, sha256: str, post_id: str, uri: str | None) -> str | None:
    """The post's own part of its raw payload; each payload is parsed once, not per view."""
    web = state_of(request)
    return web.payloads.own_record(sha256, lambda: raw_bytes(web.conn, sha256), post_id, uri)


def _mask_handle(text: str, handle: str | None) -> str:
    if not handle:
        return text
    return re.sub("@" + re.escape(handle.lstrip("@")) + r"(?![\w.-]*\w)", "@…", text,
                  flags=re.IGNORECASE)


def _context_item(row: Any, request: Request, authors: frozenset[tuple[str, str]],
                  masked: str | None = None) -> dict[str, Any]:
    own = (row["kind"] == "root" and row["folder"] is None) \
        or (row["platform"], row["author_id"]) in authors
    hidden = not own and is_blurred(row["folder"], unblur_all(request))
    return {"key": key_of(row["platform"], row["post_id"]), "platform": row["platform"],
            "post_id": row["post_id"], "ref": post_ref(row["platform"], row["post_id"]),
            "kind": row["kind"], "hidden": hidden, "own": own, "folder": row["folder"],
            "category": row["category"], "created_at": row["created_at"], "lang": row["lang"],
            "text": None if hidden else _mask_handle(row["text"], masked),
            "author": None if hidden else (row["author_display_name"] or row["author_handle"])}


async def reveal(request: Request) -> Response:
    """The text, author and evidence of one post: called only when the user clicks "show"."""
    form = await request.form()
    if not check_csrf(request, state_of(request).sessions, _str(form, "csrf")):
        return JSONResponse({"error": "csrf"}, status_code=403)
    parsed = parse_key(_str(form, "key") or "")
    if parsed is None:
        return JSONResponse({"error": "key"}, status_code=400)
    conn = state_of(request).conn
    row = post_detail(conn, _run_id(request) or 0, *parsed)
    if row is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    score = latest_score(conn, *parsed)
    evidence = json.loads(score["evidence_json"] or "[]") if score else []
    body: dict[str, Any] = {
        "text": row["text"], "lang": row["lang"] or row["lang_reported"],
        "author": row["author_display_name"] or row["author_handle"] or row["author_id"],
        "handle": row["author_handle"],
        "reordered": not BIDI_CONTROLS.isdisjoint(row["text"] or ""),
        "segments": [{"text": s.text, "category": s.category}
                     for s in evidence_segments(row["text"], evidence)]}
    if _str(form, "raw") == "1":
        body["raw"] = _own_record(request, row["raw_sha256"], parsed[1], row["uri"]) or ""
    return JSONResponse(body)


def _str(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _int(value: str | None, default: int) -> int:
    """A page number from the URL, kept within what SQLite can bind (a 25-digit page is 500)."""
    try:
        return max(-_INT_BOUND, min(_INT_BOUND, int(value or default)))
    except ValueError:
        return default


_INT_BOUND = 10**9


def _safe_back(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _with_done(back: str, batch: str, count: int, did: str = "", focus: str = "") -> str:
    """`back` with the result of an action (for the notice) and where focus goes next."""
    back, _, fragment = back.partition("#")
    joiner = "&" if "?" in back else "?"
    extra = urlencode({k: v for k, v in (("did", did), ("focus", focus)) if v})
    url = f"{back}{joiner}done={quote(batch)}&n={count}" + (f"&{extra}" if extra else "")
    return url + (f"#{fragment}" if fragment else "")


async def actions(request: Request) -> Response:
    """A decision on selected posts, on every post matching a filter, or on a whole cluster."""
    form = await request.form()
    web = state_of(request)
    if not check_csrf(request, web.sessions, _str(form, "csrf")):
        raise HTTPException(403, "csrf")
    action = _str(form, "action") or ""
    value = _str(form, "value") or None
    if action.startswith("move:"):
        action, value = "move", action.split(":", 1)[1]
    if action not in ACTIONS or action == "undo":
        raise HTTPException(400, "action")
    if action == "move" and value not in FOLDERS:
        raise HTTPException(400, "folder")
    if action == "note" and not value:
        raise HTTPException(400, "note")
    run_id = _run_id(request)
    scope = _str(form, "scope") or "selected"
    if scope == "filter" and run_id is not None:
        folder = _str(form, "folder")
        flt = _filter_from(form, folder if folder in FOLDERS else None)
        held = bool(flt.query and is_blurred(folder, unblur_all(request))
                    and _str(form, "inside") != "1")
        # a withheld search showed no reply, so it selects none (never the whole folder)
        keys = [] if held else matching_keys(web.conn, run_id,
                                             _searchable(web.conn, flt, held=False))
    elif scope == "cluster" and run_id is not None:
        cluster = _str(form, "cluster") or ""
        keys = matching_keys(web.conn, run_id, PageFilter(cluster_id=cluster)) if cluster else []
    else:
        keys = [k for k in (parse_key(str(v)) for v in form.getlist("key")) if k]
    back = _safe_back(_str(form, "back"))
    focus = _str(form, "focus") or ""
    if not keys:
        return RedirectResponse(back, status_code=303)
    reason = (_str(form, "reason") or "").strip() or None
    batch = record_decisions(web.conn, [DecisionInput(p, i, action, value, reason)
                                        for p, i in keys],
                             all_copies=_str(form, "all_copies") == "1", by=helper_name(request))
    if request.headers.get("accept") == "application/json":
        return JSONResponse({"batch": batch, "count": len(keys)})
    did = action + (f":{value}" if action == "move" and value else "")
    return RedirectResponse(_with_done(back, batch, len(keys), did, focus), status_code=303)


async def undo(request: Request) -> Response:
    form = await request.form()
    web = state_of(request)
    if not check_csrf(request, web.sessions, _str(form, "csrf")):
        raise HTTPException(403, "csrf")
    batch = _str(form, "batch") or ""
    undone_keys = batch_keys(web.conn, batch)
    count = undo_batch(web.conn, batch, by=helper_name(request))
    back = _safe_back(_str(form, "back"))
    if request.headers.get("accept") == "application/json":
        return JSONResponse({"undone": batch})
    base, _, fragment = back.partition("#")
    joiner = "&" if "?" in base else "?"
    # focus goes back to the reply the undo brought back (a post page keeps its own anchor)
    focus = _str(form, "focus") or ""
    if focus != "decision" and undone_keys:
        focus = key_of(*undone_keys[0])
    extra = urlencode({"undone": count, **({"focus": focus} if focus else {})})
    return RedirectResponse(f"{base}{joiner}{extra}" + (f"#{fragment}" if fragment else ""),
                            status_code=303)


async def set_language(request: Request) -> Response:
    form = await request.form()
    web = state_of(request)
    if not check_csrf(request, web.sessions, _str(form, "csrf")):
        raise HTTPException(403, "csrf")
    lang = _str(form, "lang")
    viewer = viewer_of(request)
    if lang in LANGUAGES and viewer is not None and helper_name(request) is not None:
        viewer.lang = lang  # a helper's language is theirs alone, not the author's setting
    elif lang in LANGUAGES:
        with transaction(web.conn):
            set_setting(web.conn, "lang", lang)
    return RedirectResponse(_safe_back(_str(form, "back")), status_code=303)


async def settings_page(request: Request) -> Response:
    web = state_of(request)
    step = None
    if request.method == "POST":
        form = await request.form()
        if not check_csrf(request, web.sessions, _str(form, "csrf")):
            raise HTTPException(403, "csrf")
        if helper_name(request) is not None:
            raise HTTPException(403, "only the author changes what the author sees")
        wanted = _str(form, "unblur_all")
        if wanted == "1" and _str(form, "confirm") != "yes":
            step = "confirm"  # ask once more before showing every shielded text
        elif wanted in ("0", "1"):
            with transaction(web.conn):
                set_setting(web.conn, "unblur_all", wanted)
            return RedirectResponse("/settings", status_code=303)
    return render(request, "settings.html", step=step, helpers=web.sessions.helpers())


async def remove_helper(request: Request) -> Response:
    """The author ends a trusted helper's access: their sessions and unused links stop working."""
    form = await request.form()
    web = state_of(request)
    if not check_csrf(request, web.sessions, _str(form, "csrf")):
        raise HTTPException(403, "csrf")
    if helper_name(request) is not None:
        raise HTTPException(403, "only the author removes a helper")
    name = _str(form, "name") or ""
    web.sessions.remove_helper(name)
    return RedirectResponse("/settings?removed=" + quote(name) + "#helpers", status_code=303)


async def block_list_page(request: Request) -> Response:
    """The accounts a block or mute list would hold, for review before any export. Handles
    are abusers' names: they are listed only after the user asks (?show=1)."""
    run_id = _run_id(request)
    if run_id is None:
        return render(request, "empty.html")
    web = state_of(request)
    accounts = web.memo(("blocklist", *_stamp(request)), lambda: block_candidates(
        web.conn, run_id, thread_context(web.conn).authors))
    platforms: dict[str, int] = {}
    for a in accounts:
        platforms[a["platform"]] = platforms.get(a["platform"], 0) + 1
    show = request.query_params.get("show") == "1"
    return render(request, "blocklist.html", accounts=accounts if show else [], show=show,
                  total=len(accounts), platforms=sorted(platforms.items()))


async def not_found(request: Request, exc: Exception) -> Response:
    return _error(request, 404)


async def server_error(request: Request, exc: Exception) -> Response:
    return _error(request, 500)


def _error(request: Request, status: int) -> Response:
    try:
        return render(request, "error.html", status=status, code=status)
    except Exception:
        return HTMLResponse("pileon: something went wrong", status_code=status)
