"""Serving the review UI on 127.0.0.1: pick a free port (say so when the asked one is taken),
print the one-time link, open the browser, run uvicorn. Never binds to another address.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import json
import os
import secrets
import signal
import socket
import sys
import threading
import time
import webbrowser
from pathlib import Path
from urllib.parse import urlencode

import uvicorn

from pileon.commands.output import console
from pileon.crash_log import log_dir
from pileon.errors import PileonError
from pileon.web.app import create_app
from pileon.web.protocol import PileonH11Protocol
from pileon.web.security import CONTROL_HEADER, CONTROL_PATH, HELPER, Sessions

__all__ = ["HOST", "ServerThread", "bind_free_port", "control_file", "request_new_link",
           "serve_forever"]

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


def control_file(db: Path) -> Path:
    """Where a running `pileon serve DB` leaves its port and control secret (readable by the
    user only), for `pileon serve DB --new-link`: in the user's state folder, one per database."""
    key = hashlib.sha256(str(db.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return log_dir() / "serve" / f"{key}.json"


def _write_control(db: Path, port: int, secret: str) -> Path:
    path = control_file(db)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fresh = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"port": port, "pid": os.getpid(), "db": str(db.resolve()),
                   "secret": secret}, handle)
    os.replace(fresh, path)
    return path


def _remove_control(path: Path, secret: str) -> None:
    """Remove the control file if it is still this server's (a newer server may own it)."""
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text(encoding="utf-8")).get("secret") == secret:
            path.unlink()


def request_new_link(db: Path, helper: str | None = None, timeout: float = 10.0) -> str:
    """A fresh one-time link from the `pileon serve` running on `db` (for the author, or for
    the trusted helper `helper`), without restarting it."""
    path = control_file(db)
    hint = f"start it with `pileon serve {db}`: it prints a link when it starts"
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        port, secret = int(found["port"]), str(found["secret"])
    except FileNotFoundError:
        raise PileonError(f"no review UI is running for {db}", hint=hint) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PileonError(f"cannot read {path} ({exc})", hint=hint) from exc
    target = CONTROL_PATH + ("?" + urlencode({"helper": helper}) if helper else "")
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("POST", target, headers={
            "Host": f"{HOST}:{port}", CONTROL_HEADER.decode(): secret})
        answer = connection.getresponse()
        body = answer.read()
    except ConnectionRefusedError:
        _remove_control(path, secret)  # the server is gone (killed): its file is stale
        raise PileonError(f"no review UI is running for {db} (it stopped)", hint=hint) from None
    except OSError as exc:
        raise PileonError(f"the review UI on port {port} did not answer ({exc})",
                          hint=hint) from exc
    finally:
        connection.close()
    if answer.status != 200:
        raise PileonError(f"the review UI on port {port} refused a new link"
                          f" ({answer.status}: {body.decode('utf-8', 'replace')[:200]})",
                          hint="is it another program on that port? restart `pileon serve`")
    return str(json.loads(body)["link"])


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
    if port and actual != port:
        console.print(f"port {port} is in use; using {actual} instead.", soft_wrap=True)
    config, sessions = _config(db, sock)
    sessions.on_new_link = _print_new_link
    sessions.control = secrets.token_urlsafe(32)
    host = f"{HOST}:{actual}"
    link = sessions.link(host)
    console.print(f"pileon review UI: {link}", soft_wrap=True)  # never break the link
    for name in helpers:
        helper_link = sessions.link(host, sessions.issue(HELPER, name))
        console.print(f"link for your helper {name} (shows abusive replies unblurred; give it"
                      f" only to someone you trust): {helper_link}", soft_wrap=True)
    console.print("Only this computer can open it. Each link works once; press Enter here for"
                  f" a new one (or run `pileon serve {db} --new-link` in another terminal)."
                  " Press Ctrl+C to stop.", soft_wrap=True)
    threading.Thread(target=_index_for_search, args=(db,), daemon=True).start()
    if sys.stdin is not None and sys.stdin.isatty():
        threading.Thread(target=_new_links_on_enter, args=(sessions, host), daemon=True).start()
    if open_browser:
        threading.Timer(0.5, lambda: webbrowser.open(link)).start()
    control = _write_control(db, actual, sessions.control)
    # uvicorn stops gracefully on SIGTERM and then raises the signal again to end the process;
    # ending it through SystemExit instead lets the control file be removed on the way out.
    previous = signal.signal(signal.SIGTERM, _exit_on_term)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        _remove_control(control, sessions.control)
        signal.signal(signal.SIGTERM, previous)


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(0)


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
