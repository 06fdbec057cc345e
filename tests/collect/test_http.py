"""The shared client's manners, against a real loopback server and a clock that never sleeps."""

from __future__ import annotations

import random
import socket

import pytest

from pileon.collect.http import HttpClient, RetryPolicy, retry_after_seconds
from pileon.errors import NetworkError

from .conftest import FakeClock
from .server import ReplayServer, Reply

OK = Reply.json({"ok": True})


def client(clock: FakeClock, **policy: float) -> HttpClient:
    settings = {"attempts": 4, "min_interval": 0.0, "base_delay": 1.0, **policy}
    return HttpClient(policy=RetryPolicy(**settings), clock=clock,  # type: ignore[arg-type]
                      rng=random.Random(7))


def test_429_waits_exactly_as_long_as_retry_after_says(server: ReplayServer,
                                                       clock: FakeClock) -> None:
    server.route("/a", Reply.json({"error": "RateLimitExceeded"}, 429, **{"Retry-After": "7"}), OK)
    with client(clock) as http:
        response = http.get(server.base_url + "/a")
    assert response.exchange.status == 200
    assert [e.status for e in response.retried] == [429]
    assert len(clock.sleeps) == 1 and 7.0 <= clock.sleeps[0] <= 7.1


def test_500s_back_off_exponentially_with_jitter_then_succeed(server: ReplayServer,
                                                             clock: FakeClock) -> None:
    server.route("/b", Reply(500, b"oops"), Reply(502, b"bad gateway"), OK)
    with client(clock, base_delay=2.0) as http:
        response = http.get(server.base_url + "/b")
    assert response.exchange.ok and len(response.retried) == 2
    first, second = clock.sleeps
    assert 1.0 <= first <= 2.0 and 2.0 <= second <= 4.0  # base * 2**n, times 0.5..1


def test_a_server_that_keeps_failing_gives_the_last_answer_back(server: ReplayServer,
                                                               clock: FakeClock) -> None:
    server.route("/c", Reply(503, b"down for maintenance"))
    with client(clock) as http:
        response = http.get(server.base_url + "/c")
    assert response.exchange.status == 503 and len(response.retried) == 3
    assert len(server.requests) == 4


def test_a_retry_after_longer_than_max_wait_is_not_waited_out(server: ReplayServer,
                                                             clock: FakeClock) -> None:
    server.route("/d", Reply(429, b"{}", {"Retry-After": "86400"}))
    with client(clock, max_wait=900) as http:
        response = http.get(server.base_url + "/d")
    assert response.exchange.status == 429 and clock.sleeps == []


def test_exhausted_rate_limit_window_is_waited_out_before_the_next_request(
    server: ReplayServer, clock: FakeClock
) -> None:
    reset = int(clock.now) + 42
    server.route("/e", Reply.json({}, 200, **{"x-rate-limit-remaining": "0",
                                               "x-rate-limit-reset": str(reset)}))
    with client(clock) as http:
        http.get(server.base_url + "/e")
        assert clock.sleeps == []
        http.get(server.base_url + "/e")
    assert len(clock.sleeps) == 1 and 41 <= clock.sleeps[0] <= 42


def test_polite_pace_between_requests(server: ReplayServer, clock: FakeClock) -> None:
    server.route("/f", OK)
    with client(clock, min_interval=1.0) as http:
        for _ in range(3):
            http.get(server.base_url + "/f")
    assert clock.sleeps == [1.0, 1.0]


def test_truncated_body_is_retried_and_then_a_clean_network_error(server: ReplayServer,
                                                                 clock: FakeClock) -> None:
    body = Reply.json({"posts": ["x" * 200]}).body
    server.route("/g", Reply(200, body, {"Content-Type": "application/json"}, truncate=True))
    with client(clock) as http, pytest.raises(NetworkError, match="cut off") as caught:
        http.get(server.base_url + "/g")
    assert "after 4 attempts" in str(caught.value)
    assert "run the same command again" in str(caught.value)
    assert len(server.requests) == 4


def test_connection_refused_is_a_network_error(clock: FakeClock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with client(clock, attempts=2) as http, pytest.raises(NetworkError, match="cannot connect"):
        http.get(f"http://127.0.0.1:{port}/nothing")


def test_asks_for_the_body_uncompressed_and_names_pileon(server: ReplayServer,
                                                         clock: FakeClock) -> None:
    server.route("/h", OK)
    with client(clock) as http:
        http.get(server.base_url + "/h", [("q", "a b"), ("q", "c")])
    request = server.requests[0]
    assert request.headers["accept-encoding"] == "identity"
    assert request.headers["user-agent"].startswith("pileon/0.")
    assert request.query == {"q": ["a b", "c"]}


def test_retry_after_as_http_date() -> None:
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) == 10.0
    assert retry_after_seconds("120", 0.0) == 120.0
    assert retry_after_seconds("soon", 0.0) is None


def test_a_rate_limit_window_reopening_too_late_stops_with_the_time(
    server: ReplayServer, clock: FakeClock
) -> None:
    reset = int(clock.now) + 7200
    server.route("/i", Reply.json({}, 200, **{"x-rate-limit-remaining": "0",
                                               "x-rate-limit-reset": str(reset)}))
    with client(clock, max_wait=900) as http:
        http.get(server.base_url + "/i")
        with pytest.raises(NetworkError, match="rate limit reached; the window reopens at"):
            http.get(server.base_url + "/i")
    assert clock.sleeps == [] and len(server.requests) == 1


def test_a_credential_never_shows_its_value() -> None:
    from pileon.collect.round import Credential

    secret = Credential("X_TOKEN", "AAAA-very-secret")
    assert "very-secret" not in repr(secret) and "very-secret" not in f"{secret}"
    assert "X_TOKEN" in repr(secret)


def test_redirects_are_followed_and_each_hop_kept(server: ReplayServer, clock: FakeClock) -> None:
    server.route("/old", Reply(301, b"", {"Location": "/new"}))
    server.route("/new", OK)
    with client(clock) as http:
        response = http.get(server.base_url + "/old")
    assert response.exchange.ok and response.exchange.url == server.base_url + "/new"
    assert [(h.status, h.url) for h in response.redirects] == [(301, server.base_url + "/old")]
