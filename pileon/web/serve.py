"""Serving the review UI on 127.0.0.1: pick a free port (say so when the asked one is taken),
print the one-time link, open the browser, run uvicorn. Never binds to another address.
"""

from __future__ import annotations

import errno
import socket
import sys
import threading
import time
import webbrowser
from pathlib import Path

import uvicorn

from pileon.commands.output import console
from pileon.errors import PileonError
from pileon.web.app import create_app
from pileon.web.protocol import PileonH11Protocol
from pileon.web.security import HELPER, Sessions

__all__ = ["HOST", "ServerThread", "bind_free_port", "serve_forever"]

HOST = "127.0.0.1"


def bind_free_port(start: int, tries: int = 50) -> socket.socket:
    """A listening socket on 127.0.0.1 at `start` or the next free port (0: any free port)."""
    last: OSError | None = None
    for port in ([0] if start == 0 else range(start, start + tries)):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE:
                raise PileonError(f"cannot listen on {HOST}:{port} ({exc.strerror})") from exc
            last = exc
            continue
        sock.listen(64)
        return sock
    raise PileonError(f"ports {start}..{start + tries - 1} are all in use ({last})",
                      hint="choose another with --port")


def _config(db: Path, sock: socket.socket) -> tuple[uvicorn.Config, Sessions]:
    port = int(sock.getsockname()[1])
    sessions = Sessions(port=port)
    app = create_app(db, sessions)
    # http: our h11 protocol (its own 400s carry the security headers); ws: none, the UI has no
    # WebSocket, so an Upgrade request is an ordinary request the Guard answers.
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            server_header=False, date_header=False, http=PileonH11Protocol,
                            ws="none")
    return config, sessions


def _print_new_link(link: str) -> None:
    console.print(f"new one-time link: {link}", soft_wrap=True)


def _new_links_on_enter(sessions: Sessions, host: str) -> None:
    """Each Enter pressed in the terminal prints a fresh one-time link for the author."""
    while True:
        try:
            line = sys.stdin.readline()
        except (OSError, ValueError):
            return
        if not line:
            return
        _print_new_link(sessions.link(host, sessions.issue()))


def _index_for_search(db: Path) -> None:
    """Bring the search index up to date in the background (a new 100k database takes a
    couple of minutes on two cores); searches meanwhile say the index is still being built."""
    from pileon.store import connect
    from pileon.web import search

    try:
        conn = connect(db, create=False)
        try:
            search.sync(conn, batch=500)
        finally:
            conn.close()
    except Exception as exc:  # the UI works without it; searches say the index is incomplete
        console.print(f"search index not updated ({exc})", soft_wrap=True)


def serve_forever(db: Path, *, port: int = 8765, open_browser: bool = True,
                  helpers: tuple[str, ...] = ()) -> None:
    sock = bind_free_port(port)
    actual = int(sock.getsockname()[1])
    if actual != port:
        console.print(f"port {port} is in use; using {actual} instead.", soft_wrap=True)
    config, sessions = _config(db, sock)
    sessions.on_new_link = _print_new_link
    host = f"{HOST}:{actual}"
    link = sessions.link(host)
    console.print(f"pileon review UI: {link}", soft_wrap=True)  # never break the link
    for name in helpers:
        helper_link = sessions.link(host, sessions.issue(HELPER, name))
        console.print(f"link for your helper {name} (shows shielded replies unblurred; give it"
                      f" only to someone you trust): {helper_link}", soft_wrap=True)
    console.print("Only this computer can open it. Each link works once; press Enter here for"
                  " a new one. Press Ctrl+C to stop.")
    threading.Thread(target=_index_for_search, args=(db,), daemon=True).start()
    if sys.stdin is not None and sys.stdin.isatty():
        threading.Thread(target=_new_links_on_enter, args=(sessions, host), daemon=True).start()
    if open_browser:
        threading.Timer(0.5, lambda: webbrowser.open(link)).start()
    uvicorn.Server(config).run(sockets=[sock])


class ServerThread:
    """The real server in a background thread, for browser tests and benchmarks."""

    def __init__(self, db: Path, port: int = 0):
        self.db = db
        self.sock = bind_free_port(port)
        self.port = int(self.sock.getsockname()[1])
        config, self.sessions = _config(db, self.sock)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def link(self) -> str:
        """A fresh one-time link for the author (each link opens one session)."""
        return self.sessions.link(f"{HOST}:{self.port}", self.sessions.issue())

    def helper_link(self, name: str) -> str:
        return self.sessions.link(f"{HOST}:{self.port}", self.sessions.issue(HELPER, name))

    def start(self) -> ServerThread:
        _index_for_search(self.db)  # what `pileon serve` does in the background, done first
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
