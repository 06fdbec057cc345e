"""Fixtures for the review UI: a triaged thread database and a client that drives the ASGI app
in-process through httpx.ASGITransport (no network), plus the real server for browser tests."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "triage"))
from thread_db import build_thread_db  # noqa: E402

from pileon.store import connect  # noqa: E402
from pileon.triage.rules import load_rules  # noqa: E402
from pileon.triage.run import run_triage  # noqa: E402
from pileon.web.app import create_app  # noqa: E402
from pileon.web.security import Sessions  # noqa: E402

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"


class Client:
    """A synchronous face on httpx.AsyncClient + ASGITransport, keeping cookies between calls."""

    def __init__(self, db: Path):
        self.sessions = Sessions(port=PORT)
        self.app = create_app(db, self.sessions)
        self.cookies = httpx.Cookies()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=ORIGIN,
                                         cookies=self.cookies) as client:
                response = await client.request(method, url, **kwargs)
                self.cookies.update(client.cookies)
                return response
        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True,
             **kwargs: Any) -> httpx.Response:
        fields = dict(data or {})
        if csrf:
            fields.setdefault("csrf", self.csrf)
        headers = {"origin": ORIGIN, **kwargs.pop("headers", {})}
        return self.request("POST", url, data=fields, headers=headers, **kwargs)

    def login(self) -> Client:
        response = self.get(f"/?token={self.sessions.token}")
        assert response.status_code == 303
        return self

    @property
    def csrf(self) -> str:
        session = self.cookies.get(self.sessions.cookie_name)
        return self.sessions.csrf_for(session) or ""


def triaged(path: Path, **kwargs: Any) -> Path:
    build_thread_db(path, **kwargs)
    conn = connect(path)
    run_triage(conn, load_rules(None))
    conn.close()
    return path


@pytest.fixture
def ui_db(tmp_path: Path) -> Path:
    return triaged(tmp_path / "thread.db")


@pytest.fixture
def client(ui_db: Path) -> Client:
    return Client(ui_db).login()
