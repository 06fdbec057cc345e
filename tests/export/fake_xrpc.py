"""A fake Bluesky PDS on 127.0.0.1: a real HTTP server in a thread that speaks just enough XRPC
for a moderation list (createSession, getSession, createRecord, listRecords) and remembers
every request, so tests check what the atproto SDK actually sent."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OWNER_DID = "did:plc:ownerownerownerownerowne"
CID = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"


def _jwt(payload: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(payload)}.c2lnbmF0dXJl"


@dataclass
class FakePds:
    handle: str
    password: str
    rate_limit_after: int | None = None  # refuse createRecord with 429 after this many
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    access: str = field(default_factory=lambda: _jwt({
        "scope": "com.atproto.appPass", "sub": OWNER_DID, "exp": int(time.time()) + 7200}))

    def created(self, collection: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["collection"] == collection]


def _handler(pds: FakePds) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {pds.access}":
                return True
            self._reply(401, {"error": "AuthRequired", "message": "bad token"})
            return False

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            pds.requests.append(("GET", url.path, dict(self.headers), query))
            if url.path == "/xrpc/com.atproto.server.getSession" and self._authorised():
                self._reply(200, {"handle": pds.handle, "did": OWNER_DID, "active": True})
            elif url.path == "/xrpc/com.atproto.repo.listRecords" and self._authorised():
                found = [{"uri": r["uri"], "cid": CID, "value": r["record"]}
                         for r in pds.created(query["collection"])]
                start = int(query.get("cursor", 0))
                limit = int(query.get("limit", 50))
                page = found[start:start + limit]
                body: dict[str, Any] = {"records": page}
                if start + limit < len(found):
                    body["cursor"] = str(start + limit)
                self._reply(200, body)
            elif not url.path.endswith(("getSession", "listRecords")):
                self._reply(501, {"error": "MethodNotImplemented", "message": url.path})

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            pds.requests.append(("POST", url.path, dict(self.headers), body))
            if url.path == "/xrpc/com.atproto.server.createSession":
                if body.get("identifier") != pds.handle or body.get("password") != pds.password:
                    self._reply(401, {"error": "AuthenticationRequired",
                                      "message": "Invalid identifier or password"})
                    return
                self._reply(200, {"accessJwt": pds.access, "refreshJwt": _jwt({
                    "scope": "com.atproto.refresh", "sub": OWNER_DID,
                    "exp": int(time.time()) + 86400}), "handle": pds.handle, "did": OWNER_DID,
                    "active": True})
            elif url.path == "/xrpc/com.atproto.repo.createRecord" and self._authorised():
                if (pds.rate_limit_after is not None
                        and len(pds.records) >= pds.rate_limit_after):
                    self._reply(429, {"error": "RateLimitExceeded", "message": "slow down"})
                    return
                if body.get("repo") != OWNER_DID or body["record"].get("$type") != body.get(
                        "collection"):
                    self._reply(400, {"error": "InvalidRequest", "message": "bad record"})
                    return
                uri = f"at://{OWNER_DID}/{body['collection']}/3l{len(pds.records):011d}"
                pds.records.append({"collection": body["collection"], "uri": uri,
                                    "record": body["record"]})
                self._reply(200, {"uri": uri, "cid": CID})
            elif url.path != "/xrpc/com.atproto.repo.createRecord":
                self._reply(501, {"error": "MethodNotImplemented", "message": url.path})

    return Handler


class FakePdsServer:
    """Context manager: serve `pds` on a free loopback port; `.url` is its base URL."""

    def __init__(self, pds: FakePds) -> None:
        self.pds = pds
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(pds))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakePdsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
