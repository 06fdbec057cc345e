"""A real HTTP server on 127.0.0.1 that replays scripted responses, for the live clients' tests.

Routes match a path (and optionally some query parameters); each route answers from its queue
of replies in order and repeats the last one. Every request is recorded. `down()` makes the
server drop every connection without answering (the network is gone) until `up()`.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    truncate: bool = False  # announce the whole body, send half of it, hang up
    down_after: bool = False  # the network goes down right after this answer

    @classmethod
    def json(cls, value: Any, status: int = 200, **headers: str) -> Reply:
        body = json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8")
        return cls(status, body, {"Content-Type": "application/json; charset=utf-8", **headers})


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class _Route:
    path: str
    when: dict[str, str]
    replies: list[Reply]
    used: int = 0

    def matches(self, path: str, query: dict[str, list[str]]) -> bool:
        if path != self.path:
            return False
        return all(value in query.get(key, []) for key, value in self.when.items()) and (
            "cursor" in self.when or "next_token" in self.when or "pagination_token" in self.when
            or not ({"cursor", "next_token", "pagination_token"} & query.keys())
        )

    def next(self) -> Reply:
        reply = self.replies[min(self.used, len(self.replies) - 1)]
        self.used += 1
        return reply


class ReplayServer:
    def __init__(self) -> None:
        self.routes: list[_Route] = []
        self.requests: list[Request] = []
        self.is_down = False
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body leave in two writes: without this, Nagle + delayed ACK add 40 ms.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(self.command, parts.path, parse_qs(parts.query),
                                  {k.lower(): v for k, v in self.headers.items()}, body)
                with server._lock:
                    server.requests.append(request)
                    down = server.is_down
                    reply = server._reply_for(request)
                    if reply.down_after and not down:
                        server.is_down = True
                if down:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.truncate:
                    self.wfile.write(reply.body[: len(reply.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(reply.body)

            do_GET = _answer
            do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, *replies: Reply, **when: str) -> None:
        """Answer requests for `path` (whose query holds `when`) with `replies`, in order."""
        self.routes.insert(0, _Route(path, dict(when), list(replies)))

    def _reply_for(self, request: Request) -> Reply:
        for route in self.routes:
            if route.matches(request.path, request.query):
                return route.next()
        return Reply.json({"error": "NotFound", "message": f"no route for {request.path}"}, 404)

    def down(self) -> None:
        self.is_down = True

    def up(self) -> None:
        self.is_down = False

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def start(self) -> ReplayServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
