"""Who may talk to the review UI: the person holding the one-time link, from this machine only.

A pure ASGI middleware checks the Host header (DNS rebinding), swaps the link's token for an
HttpOnly SameSite=Strict cookie and redirects to a clean URL, refuses requests without that
cookie, refuses cross-site POSTs by Origin, and adds a strict Content-Security-Policy to every
answer. Views check the CSRF token of each POST with `check_csrf`.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pileon.web.i18n import gettext_for, negotiate

__all__ = ["AUTHOR", "CONTROL_HEADER", "CONTROL_PATH", "CSP", "HELPER", "SECURITY_HEADERS",
           "Guard", "Session", "Sessions", "check_csrf", "equal_secrets", "link_page",
           "same_site_path"]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
       " font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none';"
       " base-uri 'none'")

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` on the UI's
    # own form posts, which the Origin check must refuse. Nothing links off-site anyway.
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


#: Who holds a session: the author (abusive text stays blurred) or a trusted helper.
AUTHOR, HELPER = "author", "helper"

#: `pileon serve DB --new-link` asks the running server for a fresh link here, with the
#: server's control secret (kept in a file only the user can read) in CONTROL_HEADER. A browser
#: cannot: it never has the secret, and any request it sends carries an Origin header.
CONTROL_PATH = "/_pileon/new-link"
CONTROL_HEADER = b"x-pileon-control"


@dataclass
class Session:
    csrf: str
    role: str = AUTHOR
    name: str | None = None  # the helper's name; None for the author
    lang: str | None = None  # a helper's own interface language (the author's is in the database)


@dataclass
class Sessions:
    """One-time link tokens and the sessions they opened, each with a CSRF token and a role.

    A token works once: the first request carrying it swaps it for a session cookie; the same
    link opened again gets a calm "already used" page. `issue()` mints a new link (for the author
    or a named helper); `remove_helper(name)` ends that helper's sessions and unused links.
    """

    port: int
    allowed_hosts: tuple[str, ...] = ()
    token: str = ""  # the author's newest unused token (printed by `pileon serve`)
    on_new_link: Callable[[str], None] | None = None  # prints a link asked for from the UI
    control: str | None = None  # the secret `pileon serve --new-link` proves itself with
    _pending: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)
    _sessions: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not self.allowed_hosts:
            self.allowed_hosts = (f"127.0.0.1:{self.port}", f"localhost:{self.port}")
        if not self.token:
            self.issue()

    @property
    def cookie_name(self) -> str:
        return f"pileon_{self.port}"  # cookies ignore ports: two pileons must not collide

    def issue(self, role: str = AUTHOR, name: str | None = None) -> str:
        """A new one-time token for the author, or for the helper called `name`."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._pending[token] = (role, name)
        if role == AUTHOR:
            self.token = token
        return token

    def exchange(self, token: str) -> str | None:
        """The session a still-unused token opens (the token is spent), else None."""
        with self._lock:
            match = next((t for t in self._pending if equal_secrets(t, token)), None)
            if match is None:
                return None
            role, name = self._pending.pop(match)
            self._used.add(match)
            session = secrets.token_urlsafe(32)
            self._sessions[session] = Session(secrets.token_urlsafe(32), role, name)
        return session

    def was_used(self, token: str) -> bool:
        return any(equal_secrets(t, token) for t in list(self._used))

    def open(self, role: str = AUTHOR, name: str | None = None) -> str:
        """A session without a link (tests and benchmarks)."""
        session = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[session] = Session(secrets.token_urlsafe(32), role, name)
        return session

    def get(self, session: str | None) -> Session | None:
        return self._sessions.get(session or "")

    def csrf_for(self, session: str | None) -> str | None:
        found = self.get(session)
        return None if found is None else found.csrf

    def helpers(self) -> list[str]:
        """Names of the helpers who have a link or a session, in order."""
        names = {n for r, n in self._pending.values() if r == HELPER and n}
        names |= {s.name for s in self._sessions.values() if s.role == HELPER and s.name}
        return sorted(names)

    def remove_helper(self, name: str) -> int:
        """End every session and unused link of the helper `name`; returns how many."""
        with self._lock:
            gone = [t for t, (r, n) in self._pending.items() if r == HELPER and n == name]
            for t in gone:
                del self._pending[t]
            ended = [s for s, v in self._sessions.items() if v.role == HELPER and v.name == name]
            for s in ended:
                del self._sessions[s]
        return len(gone) + len(ended)

    def link(self, host: str, token: str | None = None) -> str:
        return f"http://{host}/?token={token or self.token}"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed cookie header is just "no session"
        return None
    morsel = jar.get(name)
    return None if morsel is None else morsel.value


class Guard:
    """ASGI middleware enforcing Host, session cookie, Origin and the security headers."""

    def __init__(self, app: ASGIApp, sessions: Sessions, public_paths: Iterable[str] = ()):
        self.app = app
        self.sessions = sessions
        self.public_prefixes = tuple(public_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every answer carries the security headers, a failure inside pileon's own code too:
        uvicorn's fallback 500 (a crash before the response began, or no response at all)
        would carry none of them."""
        if scope["type"] != "http":  # lifespan is off and WebSocket is not served (serve.py)
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._guarded(scope, receive, tracked)
        except Exception:
            if not started:
                await _plain(send, 500, failed_text(scope))
            raise  # uvicorn logs it and closes the connection
        if not started:
            await _plain(send, 500, failed_text(scope))

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = _header(scope, b"host") or ""
        if host not in self.sessions.allowed_hosts:
            await _plain(send, 421, "This address is not served here.")
            return
        path: str = scope.get("path", "/")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if path == CONTROL_PATH:
            await self._control(scope, send, host, query.get("helper"))
            return
        token = query.get("token")
        if token is not None:
            held = _cookie(scope, self.sessions.cookie_name)
            opened = self.sessions.exchange(token)
            if opened is None and self.sessions.get(held) is None:
                used = self.sessions.was_used(token)
                await _page(send, 403, *link_page("used" if used else "bad", _languages(scope)))
                return
            del query["token"]
            clean = same_site_path(path) + (("?" + urlencode(query)) if query else "")
            headers = [(b"location", clean.encode("latin-1")), *SECURITY_HEADERS]
            if opened is not None:
                cookie = (f"{self.sessions.cookie_name}={opened}; HttpOnly; SameSite=Strict;"
                          " Path=/")
                headers.append((b"set-cookie", cookie.encode()))
            await send({"type": "http.response.start", "status": 303, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if path == "/new-link" and scope["method"] == "POST":
            # Asked for from the "already used" page: the new link goes to the terminal only.
            if _header(scope, b"origin") not in (None, f"http://{host}"):
                await _plain(send, 403, "Cross-site request refused.")
                return
            fresh = self.sessions.issue()
            if self.sessions.on_new_link is not None:
                self.sessions.on_new_link(self.sessions.link(host, fresh))
            await _page(send, 200, *link_page("printed", _languages(scope)))
            return
        session = _cookie(scope, self.sessions.cookie_name)
        is_public = path.startswith(self.public_prefixes) if self.public_prefixes else False
        if not is_public and self.sessions.csrf_for(session) is None:
            await _page(send, 403, *link_page("bad", _languages(scope)))
            return
        if scope["method"] not in ("GET", "HEAD"):
            origin = _header(scope, b"origin")
            fetch_site = _header(scope, b"sec-fetch-site")
            # `Origin: null` (privacy settings, sandboxed frames) passes only when the browser
            # itself vouches, in a header no page can set, that the request is same-origin.
            vouched = origin == "null" and fetch_site == "same-origin"
            if origin is not None and origin != f"http://{host}" and not vouched:
                await _plain(send, 403, "Cross-site request refused.")
                return
            if origin is None and fetch_site not in (None, "same-origin", "none"):
                await _plain(send, 403, "Cross-site request refused.")
                return
        state = scope.setdefault("state", {})
        state["session"] = session
        state["viewer"] = self.sessions.get(session)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _control(self, scope: Scope, send: Send, host: str, helper: str | None) -> None:
        """A fresh one-time link for `pileon serve --new-link` (JSON), for the author or the
        helper `helper`; refused without the control secret, or from a browser."""
        secret = _header(scope, CONTROL_HEADER)
        expected = self.sessions.control
        if (scope["method"] != "POST" or expected is None or secret is None
                or _header(scope, b"origin") is not None
                or not equal_secrets(expected, secret)):
            await _plain(send, 403, "Refused.")
            return
        name = (helper or "").strip()
        if len(name) > 60 or not name.isprintable():
            await _plain(send, 400, "A helper's name is at most 60 printable characters.")
            return
        fresh = self.sessions.issue(HELPER, name) if name else self.sessions.issue()
        body = json.dumps({"link": self.sessions.link(host, fresh), "helper": name or None})
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"), *SECURITY_HEADERS]})
        await send({"type": "http.response.body", "body": body.encode()})


_PAGE = ("<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>pileon</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>"
         "<body><main class=\"calm-page\">{body}</main></body></html>")
_NEW_LINK_FORM = ("<form method=\"post\" action=\"/new-link\"><p><button type=\"submit\">"
                  "{button}</button></p></form>")


FAILED = "Something went wrong in pileon. Nothing was changed; the details are in the terminal."


def failed_text(scope: Scope) -> str:
    """FAILED in the browser's language (a failure in the Guard: no session to know better)."""
    try:
        _, _n = gettext_for(negotiate(_languages(scope)))
        return _("Something went wrong in pileon. Nothing was changed; the details are in the"
                 " terminal.")
    except Exception:  # noqa: BLE001 - the last resort must not fail in its turn
        return FAILED


def _languages(scope: Scope) -> str | None:
    return _header(scope, b"accept-language")


def link_page(kind: str, accept_language: str | None) -> tuple[str, str]:
    """(language, body) of the calm page for a link that was `used`, is `bad`, or a new link
    `printed` in the terminal, in the browser's language (no session yet to know better)."""
    lang = negotiate(accept_language)
    _, _n = gettext_for(lang)
    command = "<code>pileon serve</code>"
    other = "<code>pileon serve DB --new-link</code>"

    def line(text: str, **values: str) -> str:  # translations are escaped like any text
        return escape(text) % values if values else escape(text)

    button = _NEW_LINK_FORM.format(button=line(_("Print a new link in the terminal")))
    if kind == "used":
        body = (f"<h1>{line(_('This link has already been used'))}</h1>"
                f"<p>{line(_('Each pileon link opens the review page once, so that nobody else can open it after you. If this was you, the page is already open in another tab or browser.'))}</p>"  # noqa: E501
                f"{button}<p>{line(_('The new link appears in the terminal where %(command)s runs. Or type %(other)s in another terminal.'), command=command, other=other)}</p>")  # noqa: E501
    elif kind == "printed":
        body = (f"<h1>{line(_('A new link is in the terminal'))}</h1>"
                f"<p>{line(_('Open the link pileon just printed in the terminal where %(command)s runs.'), command=command)}</p>")  # noqa: E501
    else:
        body = (f"<h1>{line(_('This link is not valid'))}</h1>"
                f"<p>{line(_('Use the link pileon printed in the terminal where %(command)s runs.'), command=command)}</p>{button}")  # noqa: E501
    return lang, body


async def _page(send: Send, status: int, lang: str, body: str) -> None:
    """A calm, self-contained HTML page (no user data in it) for link problems."""
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-language", lang.encode()), *SECURITY_HEADERS]})
    page = _PAGE.format(lang=lang, body=body)
    await send({"type": "http.response.body", "body": page.encode("utf-8")})


async def _plain(send: Send, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": text.encode("utf-8")})


def check_csrf(request: Request, sessions: Sessions, submitted: str | None) -> bool:
    """True when a POST carries this session's CSRF token (form field or X-CSRF-Token header)."""
    expected = sessions.csrf_for(request.scope.get("state", {}).get("session"))
    given = submitted or request.headers.get("x-csrf-token")
    return bool(expected and given and equal_secrets(expected, given))


def equal_secrets(expected: str, given: str) -> bool:
    """Constant-time comparison that takes any text: `secrets.compare_digest` raises on
    non-ASCII str, so a token like `é` must be a plain "no", not a server error."""
    return secrets.compare_digest(expected.encode("utf-8"),
                                  given.encode("utf-8", "surrogatepass"))


def same_site_path(path: str) -> str:
    """A path that stays on this server when used as a redirect: `//evil.example/` and
    `/\\evil.example` are protocol-relative to a browser, so leading slashes and backslashes
    collapse into one `/`."""
    rest = path.lstrip("/\\")
    return "/" + rest.replace("\\", "%5C")
