"""The HTTP/1.1 protocol `pileon serve` runs: uvicorn's h11 protocol, answering what never
reaches the app in pileon's own way.

uvicorn answers a request h11 cannot parse (a garbage line, a missing Host, a bad header, a
bad Content-Length or chunk, a TLS hello sent to the HTTP port) itself, with a bare 400 that
carries none of the security headers. Here that answer carries them all, plus `connection:
close`. Upgrade requests are never switched (the UI has no WebSocket): they reach the Guard as
ordinary requests, like every other request, and uvicorn's advice to install a WebSocket
library is not printed in the user's terminal. Chosen explicitly in `serve.py`, so installing
httptools never silently swaps it for a protocol without these answers.
"""

from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from pileon.web.security import SECURITY_HEADERS

__all__ = ["PileonH11Protocol"]

MALFORMED = b"This request could not be read. pileon's review page speaks plain HTTP/1.1.\n"


class PileonH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        if self.conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            # A response is already under way (the bad bytes followed a good request): the only
            # honest thing left is to end the connection.
            self.transport.close()
            return
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close"),
                   *SECURITY_HEADERS]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                      h11.Data(data=MALFORMED), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()

    def _unsupported_upgrade_warning(self) -> None:
        """An Upgrade header is served as a plain request; nothing for the user to do."""
