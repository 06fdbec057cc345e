"""Every malformed request gets a 4xx WITH the security headers (issue 19), over raw sockets on
loopback against the real server (`pileon serve`'s uvicorn), not an in-process client: the
requests here never reach the app through an ASGI client, and some never reach the app at all
(uvicorn's h11 layer answers them)."""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from triaged_db import triaged

from pileon.web.security import SECURITY_HEADERS
from pileon.web.serve import ServerThread

HOST = b"HOST"  # replaced by 127.0.0.1:PORT
SESSION = b"SESSION"  # replaced by a real session cookie

#: Requests h11 refuses before the app sees them, and requests the Guard refuses (no session).
WITHOUT_SESSION = {
    "garbage line": b"HELLO\r\n\r\n",
    "HTTP/1.1 without Host": b"GET / HTTP/1.1\r\n\r\n",
    "header line without colon": b"GET / HTTP/1.1\r\nHost: HOST\r\nBad Header\r\n\r\n",
    "space before the colon": b"GET / HTTP/1.1\r\nHost : HOST\r\n\r\n",
    "bad method token": b"G(T / HTTP/1.1\r\nHost: HOST\r\n\r\n",
    "HTTP/0.9 request": b"GET /\r\n\r\n",
    "raw non-ASCII path": b"GET /\xff\xfe HTTP/1.1\r\nHost: HOST\r\n\r\n",
    "raw non-ASCII query": b"GET /?token=\xff HTTP/1.1\r\nHost: HOST\r\n\r\n",
    "NUL in a header": b"GET / HTTP/1.1\r\nHost: HOST\r\nX-A: a\x00b\r\n\r\n",
    "Content-Length not a number": b"POST / HTTP/1.1\r\nHost: HOST\r\nContent-Length: abc\r\n\r\n",
    "two Content-Lengths": (b"POST / HTTP/1.1\r\nHost: HOST\r\nContent-Length: 1\r\n"
                            b"Content-Length: 2\r\n\r\nab"),
    "bad chunk size": (b"POST / HTTP/1.1\r\nHost: HOST\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"zz\r\nab\r\n0\r\n\r\n"),
    "TLS hello on the HTTP port": bytes.fromhex("16030100a5010000a10303") + b"\x00" * 40,
    "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "another Host": b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n",
    "CONNECT": b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n",
    "absolute-form target": b"GET http://evil.example/ HTTP/1.1\r\nHost: HOST\r\n\r\n",
    "asterisk-form target": b"OPTIONS * HTTP/1.1\r\nHost: HOST\r\n\r\n",
    "WebSocket upgrade": (b"GET / HTTP/1.1\r\nHost: HOST\r\nUpgrade: websocket\r\nConnection:"
                          b" Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          b"Sec-WebSocket-Version: 13\r\n\r\n"),
    "h2c upgrade": b"GET / HTTP/1.1\r\nHost: HOST\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
    "HTTP/3.0": b"GET / HTTP/3.0\r\nHost: HOST\r\n\r\n",
    "Content-Length and chunked": (b"POST / HTTP/1.1\r\nHost: HOST\r\nContent-Length: 3\r\n"
                                   b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    "3,000 headers": (b"GET / HTTP/1.1\r\nHost: HOST\r\n"
                      + b"".join(b"X-%d: y\r\n" % i for i in range(3000)) + b"\r\n"),
    "bare LF line ends": b"GET / HTTP/1.1\nHost: HOST\n\n",
    "TRACE": b"TRACE / HTTP/1.1\r\nHost: HOST\r\n\r\n",
}

#: Requests with a valid session: malformed in what the app must read.
WITH_SESSION = {
    "bad percent escape": b"GET /%zz HTTP/1.1\r\nHost: HOST\r\nCookie: SESSION\r\n\r\n",
    "percent-encoded non-UTF-8 path": (b"GET /post/%ff%fe HTTP/1.1\r\nHost: HOST\r\n"
                                       b"Cookie: SESSION\r\n\r\n"),
    "path escaping the static folder": (b"GET /static/..%2f..%2fpyproject.toml HTTP/1.1\r\n"
                                        b"Host: HOST\r\nCookie: SESSION\r\n\r\n"),
    "POST without CSRF token": (b"POST /decide HTTP/1.1\r\nHost: HOST\r\nCookie: SESSION\r\n"
                                b"Content-Type: application/x-www-form-urlencoded\r\n"
                                b"Content-Length: 9\r\n\r\naction=%ff"),
    "POST form that is not UTF-8": (b"POST /decide HTTP/1.1\r\nHost: HOST\r\nCookie: SESSION\r\n"
                                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                                    b"Content-Length: 12\r\n\r\n\xff\xfe=\xfa&csrf=\x80"),
    "multipart without boundary": (b"POST /decide HTTP/1.1\r\nHost: HOST\r\nCookie: SESSION\r\n"
                                   b"Content-Type: multipart/form-data\r\n"
                                   b"Content-Length: 4\r\n\r\nabcd"),
    "method not allowed": b"DELETE / HTTP/1.1\r\nHost: HOST\r\nCookie: SESSION\r\n\r\n",
    "unknown page": b"GET /nope HTTP/1.1\r\nHost: HOST\r\nCookie: SESSION\r\n\r\n",
    "query 20,000 parameters": (b"GET /?" + b"&".join(b"a%d=b" % i for i in range(20000))
                                + b" HTTP/1.1\r\nHost: HOST\r\nCookie: SESSION\r\n\r\n"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    running = ServerThread(triaged(tmp_path_factory.mktemp("raw") / "thread.db")).start()
    yield running
    running.stop()


def _exchange(server: ServerThread, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the answer's head: (status, headers, raw head)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        # the server may close as soon as it has seen enough; the answer is still there
        with contextlib.suppress(OSError):
            sock.sendall(request.replace(HOST, f"127.0.0.1:{server.port}".encode()))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    status_line, *lines = head.split("\r\n")
    match = re.match(r"HTTP/1\.[01] (\d{3}) ", status_line + " ")
    assert match, f"no HTTP answer: {data[:200]!r}"
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        assert name.lower() not in headers, f"header {name} sent twice"
        headers[name.lower()] = value.strip()
    return int(match.group(1)), headers, data


def _session(server: ServerThread) -> bytes:
    link = server.link.split(f"127.0.0.1:{server.port}", 1)[1]
    status, headers, _ = _exchange(server, f"GET {link} HTTP/1.1\r\nHost: HOST\r\n\r\n".encode())
    assert status == 303
    return headers["set-cookie"].split(";", 1)[0].encode()


def _has_every_security_header(headers: dict[str, str]) -> None:
    for name, value in SECURITY_HEADERS:
        assert headers.get(name.decode()) == value.decode(), name


@pytest.mark.parametrize("name", sorted(WITHOUT_SESSION))
def test_malformed_request_gets_a_4xx_with_the_security_headers(
    server: ServerThread, name: str
) -> None:
    status, headers, _ = _exchange(server, WITHOUT_SESSION[name])
    assert 400 <= status < 500, status
    _has_every_security_header(headers)


@pytest.mark.parametrize("name", sorted(WITH_SESSION))
def test_malformed_request_in_a_session_gets_a_4xx_with_the_security_headers(
    server: ServerThread, name: str
) -> None:
    status, headers, raw = _exchange(server, WITH_SESSION[name].replace(SESSION, _session(server)))
    assert 400 <= status < 500, (status, raw[:300])
    _has_every_security_header(headers)
    assert b"Traceback" not in raw


def test_a_crash_inside_the_guard_still_answers_with_the_headers(
    server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn's own 500 (an exception before the response began) would carry no headers."""

    def broken(token: str) -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr(server.sessions, "exchange", broken)
    status, headers, raw = _exchange(server, b"GET /?token=x HTTP/1.1\r\nHost: HOST\r\n\r\n")
    assert status == 500
    _has_every_security_header(headers)
    assert b"a bug" not in raw


def test_a_good_request_still_gets_each_header_once(server: ServerThread) -> None:
    status, headers, _ = _exchange(server, b"GET / HTTP/1.1\r\nHost: HOST\r\nCookie: SESSION\r\n"
                                   b"\r\n".replace(SESSION, _session(server)))
    assert status == 200
    _has_every_security_header(headers)  # and none twice (checked while reading the head)


def test_the_server_runs_pileons_protocol_whatever_is_installed() -> None:
    from pileon.web.protocol import PileonH11Protocol
    from pileon.web.serve import _config

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        config, _ = _config(Path("unused.db"), sock)
    finally:
        sock.close()
    assert config.http is PileonH11Protocol and config.ws == "none"
