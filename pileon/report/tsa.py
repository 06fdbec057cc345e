"""Trusted time for a report: RFC 3161 timestamp tokens over manifest.json, and their check.

Only on request (`pileon report --tsa URL`): nothing is sent anywhere otherwise. The request,
and the check of a token against its certificate chain, are made by `openssl ts`, which every
reader of the report can run by hand the same way (docs/report.md).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx

from pileon.errors import ReportError

__all__ = ["TIMESTAMPS_DIR", "request_token", "verify_token"]

TIMESTAMPS_DIR = "timestamps"
_TIMEOUT = 20.0


def _openssl() -> str:
    found = shutil.which("openssl")
    if found is None:
        raise ReportError("openssl not found: needed for timestamp tokens",
                          hint="install the Debian package openssl")
    return found


def request_token(url: str, manifest: Path) -> bytes:
    """Ask the timestamp authority at `url` for a token over the SHA-256 of `manifest`."""
    openssl = _openssl()
    with tempfile.TemporaryDirectory(prefix="pileon-tsa-") as scratch:
        query = Path(scratch) / "request.tsq"
        subprocess.run([openssl, "ts", "-query", "-data", str(manifest), "-sha256", "-cert",
                        "-out", str(query)], check=True, capture_output=True)
        try:
            response = httpx.post(url, content=query.read_bytes(), timeout=_TIMEOUT,
                                  headers={"Content-Type": "application/timestamp-query"})
        except httpx.HTTPError as exc:
            raise ReportError(f"the timestamp authority did not answer ({exc})", path=url,
                              hint="check the URL, or leave out --tsa") from exc
        if response.status_code != 200:
            raise ReportError(f"the timestamp authority answered HTTP {response.status_code}",
                              path=url, hint="check the URL, or leave out --tsa")
        reply = Path(scratch) / "reply.tsr"
        reply.write_bytes(response.content)
        checked = subprocess.run([openssl, "ts", "-reply", "-in", str(reply), "-text"],
                                 capture_output=True, text=True, check=False)
        if checked.returncode != 0 or "Status: Granted" not in checked.stdout:
            raise ReportError("the timestamp authority answered with something that is not a"
                              " granted RFC 3161 timestamp token", path=url,
                              hint="check the URL (it must be a timestamp service)")
        # The chain is checked by `pileon verify`, against the CAs the reader trusts.
        return response.content


def verify_token(token: Path, manifest: Path, ca_file: Path | None) -> str | None:
    """None when `token` is a valid timestamp over `manifest` chaining to a trusted CA (the
    system's, or `ca_file`); else what failed, in words."""
    openssl = _openssl()
    trust = ["-CAfile", str(ca_file)] if ca_file else ["-CApath", "/etc/ssl/certs"]
    done = subprocess.run([openssl, "ts", "-verify", "-in", str(token), "-data", str(manifest),
                           *trust], capture_output=True, text=True, check=False)
    if done.returncode == 0 and "Verification: OK" in done.stdout:
        return None
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return lines[-1][:200] if lines else "openssl could not check the token"
