"""A synchronous client for the review UI: httpx.AsyncClient over ASGITransport, in-process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from pileon.web.app import create_app
from pileon.web.security import Sessions

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
        response = self.get(f"/?token={self.sessions.issue()}")
        assert response.status_code == 303
        return self

    @property
    def csrf(self) -> str:
        session = self.cookies.get(self.sessions.cookie_name)
        return self.sessions.csrf_for(session) or ""
