"""What every live client shares: one httpx client with timeouts, a polite pace, retries with
backoff and jitter on 429/5xx and network errors (honouring Retry-After and rate-limit headers)
and a User-Agent naming pileon. It returns each response whole, bytes exactly as received.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from pileon import __version__
from pileon.errors import CollectError, NetworkError

__all__ = [
    "RETRY_STATUSES",
    "USER_AGENT",
    "Clock",
    "Exchange",
    "HttpClient",
    "Response",
    "RetryPolicy",
    "SystemClock",
    "retry_after_seconds",
]

USER_AGENT = f"pileon/{__version__} (personal evidence archive of one thread; httpx)"

#: Answers worth asking again: rate limited, or the server failed for a moment.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class Clock(Protocol):
    """Time as the client sees it; tests pass one that does not really sleep."""

    def time(self) -> float: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5  # tries per request, the first included
    base_delay: float = 1.0  # seconds; doubled per retry, then jittered
    max_delay: float = 60.0
    max_wait: float = 900.0  # the longest Retry-After / rate-limit reset pileon waits out
    min_interval: float = 1.0  # polite pace: at most one request per second per client
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class Exchange:
    """One complete HTTP response with the request that asked for it (enough for a WARC record)."""

    method: str
    url: str  # the full request URL, query included (credentials only ever go in headers)
    status: int
    reason: str
    http_version: str
    headers: tuple[tuple[str, str], ...]  # as received: order and repeats kept
    body: bytes
    requested_at: datetime

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON, or a CollectError naming the URL (an HTML error page, say)."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CollectError(
                f"{self.host} answered HTTP {self.status} with a body that is not JSON",
                path=self.url.split("?", 1)[0],
            ) from exc


@dataclass(frozen=True, slots=True)
class Response:
    """The final answer to one request, the answers before it that were retried, and the
    redirects on the way to the final one (all kept: each is something the server said)."""

    exchange: Exchange
    retried: tuple[Exchange, ...] = field(default=())
    redirects: tuple[Exchange, ...] = field(default=())


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Retry-After as seconds to wait: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)


def _reset_at(exchange: Exchange) -> float | None:
    """When an exhausted rate-limit window reopens (X: Unix seconds; Mastodon: an ISO time)."""
    remaining = exchange.header("x-rate-limit-remaining") or exchange.header("x-ratelimit-remaining")
    if remaining is None or remaining.strip() != "0":
        return None
    reset = exchange.header("x-rate-limit-reset") or exchange.header("x-ratelimit-reset")
    if not reset:
        return None
    reset = reset.strip()
    if reset.isdigit():
        return float(reset)
    try:
        return datetime.fromisoformat(reset.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class HttpClient:
    """GETs and POSTs with pileon's manners; never raises for an HTTP status, only for the network."""

    def __init__(
        self,
        *,
        policy: RetryPolicy | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        headers: Mapping[str, str] | None = None,
        say: Callable[[str], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.clock: Clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.say = say or (lambda _message: None)
        self.requests = 0
        self._last_request: float | None = None
        self._resume_at: float | None = None  # wall-clock time a rate-limit window reopens
        self._client = httpx.Client(
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                # The archive keeps the body as it came; ask for it uncompressed.
                "Accept-Encoding": "identity",
                **dict(headers or {}),
            },
            timeout=httpx.Timeout(self.policy.timeout),
            follow_redirects=True,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        params: Sequence[tuple[str, str]] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        return self._send("GET", url, params=params, headers=headers)

    def post_json(
        self, url: str, body: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
    ) -> Response:
        return self._send("POST", url, json_body=body, headers=headers)

    def _pace(self) -> None:
        clock = self.clock
        if self._resume_at is not None:
            wait = self._resume_at - clock.time()
            reopens = datetime.fromtimestamp(self._resume_at, UTC).strftime("%H:%M UTC")
            self._resume_at = None
            if wait > self.policy.max_wait:
                raise NetworkError(
                    f"rate limit reached; the window reopens at {reopens}",
                    hint="what was collected is stored; run the same command again then",
                )
            if wait > 0:
                self.say(f"rate limit reached: waiting {wait:.0f} s for the window to reopen")
                clock.sleep(wait)
        if self._last_request is not None:
            gap = self.policy.min_interval - (clock.monotonic() - self._last_request)
            if gap > 0:
                clock.sleep(gap)
        self._last_request = clock.monotonic()

    def _backoff(self, attempt: int) -> float:
        p = self.policy
        return min(p.max_delay, p.base_delay * (2**attempt)) * self.rng.uniform(0.5, 1.0)

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        json_body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        retried: list[Exchange] = []
        where = url.split("?", 1)[0]
        for attempt in range(self.policy.attempts):
            last = attempt == self.policy.attempts - 1
            self._pace()
            requested_at = datetime.fromtimestamp(self.clock.time(), UTC)
            try:
                # httpx replaces a URL's own query with `params`, even an empty list: a
                # Link-header URL carries its query, so pass params only when there are some.
                reply = self._client.request(
                    method, url, params=list(params) if params else None, json=json_body,
                    headers=headers,
                )
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                if last:
                    raise NetworkError(
                        f"network: {_describe(exc)} after {self.policy.attempts} attempts",
                        path=where,
                        hint="nothing from this request was stored;"
                        " run the same command again to resume",
                    ) from exc
                delay = self._backoff(attempt)
                self.say(f"network: {_describe(exc)}; retrying in {delay:.1f} s")
                self.clock.sleep(delay)
                continue
            finally:
                self.requests += 1
            exchange = _exchange(reply, requested_at)
            hops = tuple(_exchange(hop, requested_at) for hop in reply.history)
            reset = _reset_at(exchange)
            if reset is not None:
                self._resume_at = reset
            if exchange.status not in RETRY_STATUSES or last:
                return Response(exchange, tuple(retried), hops)
            wait = retry_after_seconds(exchange.header("retry-after"), self.clock.time())
            if wait is None and exchange.status == 429 and reset is not None:
                wait = max(0.0, reset - self.clock.time())
            if wait is not None and wait > self.policy.max_wait:
                return Response(exchange, tuple(retried), hops)  # the caller says when to return
            self._resume_at = None
            delay = wait + self.rng.uniform(0, 0.1 * self.policy.base_delay) if wait is not None \
                else self._backoff(attempt)
            self.say(f"{exchange.host} answered HTTP {exchange.status}; retrying in {delay:.1f} s")
            retried.append(exchange)
            self.clock.sleep(delay)
        raise AssertionError("unreachable: the last attempt always returns or raises")


def _exchange(reply: httpx.Response, requested_at: datetime) -> Exchange:
    return Exchange(
        method=reply.request.method,
        url=str(reply.request.url),
        status=reply.status_code,
        reason=reply.reason_phrase,
        http_version=reply.http_version,
        headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in reply.headers.raw),
        body=reply.content,
        requested_at=requested_at,
    )


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection broke mid-response (body cut off)"
    return f"{type(exc).__name__}"
