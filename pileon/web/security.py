"""Who may talk to the review UI: the person holding the one-time link, from this machine only.

A pure ASGI middleware checks the Host header (DNS rebinding), swaps the link's token for an
HttpOnly SameSite=Strict cookie and redirects to a clean URL, refuses requests without that
cookie, refuses cross-site POSTs by Origin, and adds a strict Content-Security-Policy to every
answer. Views check the CSRF token of each POST with `check_csrf`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "SECURITY_HEADERS", "Guard", "Sessions", "check_csrf", "equal_secrets",
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


@dataclass
class Sessions:
    """The link token (printed once) and the sessions it has opened, each with a CSRF token."""

    port: int
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    allowed_hosts: tuple[str, ...] = ()
    _csrf: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.allowed_hosts:
            self.allowed_hosts = (f"127.0.0.1:{self.port}", f"localhost:{self.port}")

    @property
    def cookie_name(self) -> str:
        return f"pileon_{self.port}"  # cookies ignore ports: two pileons must not collide

    def open(self) -> str:
        session = secrets.token_urlsafe(32)
        self._csrf[session] = secrets.token_urlsafe(32)
        return session

    def csrf_for(self, session: str | None) -> str | None:
        return self._csrf.get(session or "")

    def link(self, host: str) -> str:
        return f"http://{host}/?token={self.token}"


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
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host") or ""
        if host not in self.sessions.allowed_hosts:
            await _plain(send, 421, "This address is not served here.")
            return
        path: str = scope.get("path", "/")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        token = query.get("token")
        if token is not None:
            if not equal_secrets(self.sessions.token, token):
                await _plain(send, 403, "This link is not valid. Use the link pileon printed.")
                return
            opened = self.sessions.open()
            del query["token"]
            clean = same_site_path(path) + (("?" + urlencode(query)) if query else "")
            cookie = (f"{self.sessions.cookie_name}={opened}; HttpOnly; SameSite=Strict;"
                      " Path=/")
            await send({"type": "http.response.start", "status": 303, "headers": [
                (b"location", clean.encode("latin-1")), (b"set-cookie", cookie.encode()),
                *SECURITY_HEADERS]})
            await send({"type": "http.response.body", "body": b""})
            return
        session = _cookie(scope, self.sessions.cookie_name)
        is_public = path.startswith(self.public_prefixes) if self.public_prefixes else False
        if not is_public and self.sessions.csrf_for(session) is None:
            await _plain(send, 403, "Open pileon with the link it printed in your terminal"
                                    " (pileon serve).")
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
        scope.setdefault("state", {})["session"] = session

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
