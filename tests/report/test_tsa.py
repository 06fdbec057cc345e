"""`report --tsa`: RFC 3161 tokens from a real timestamp authority on loopback (`openssl ts
-reply` behind a tiny HTTP server), checked by `verify` with the authority's certificate chain;
a TSA that does not answer, or answers garbage, is one clear error."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from pileon.cli import main

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

_CONF = """
[ req ]
distinguished_name = dn
[ dn ]
[ tsa_ext ]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
[ ca_ext ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = {dir}/serial
signer_cert = {dir}/tsa.pem
signer_key = {dir}/tsa.key
certs = {dir}/ca.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ess_cert_id_alg = sha256
"""


def _ssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tsa")
    (d / "openssl.cnf").write_text(_CONF.format(dir=d))
    (d / "serial").write_text("01\n")
    conf = str(d / "openssl.cnf")
    _ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "ca.key"),
         "-out", str(d / "ca.pem"), "-days", "2", "-subj", "/CN=Test Root", "-config", conf,
         "-extensions", "ca_ext")
    _ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "tsa.key"), "-out",
         str(d / "tsa.csr"), "-subj", "/CN=Test TSA", "-config", conf)
    _ssl("x509", "-req", "-in", str(d / "tsa.csr"), "-CA", str(d / "ca.pem"), "-CAkey",
         str(d / "ca.key"), "-CAcreateserial", "-out", str(d / "tsa.pem"), "-days", "2",
         "-extfile", conf, "-extensions", "tsa_ext")
    return d


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsr"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tsa_url(authority: Path) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            query = authority / "q.tsq"
            query.write_bytes(body)
            done = subprocess.run(["openssl", "ts", "-reply", "-config",
                                   str(authority / "openssl.cnf"), "-queryfile", str(query),
                                   "-out", "-"], capture_output=True, check=False)
            self.send_response(200 if done.returncode == 0 else 500)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.end_headers()
            self.wfile.write(done.stdout)

        def log_message(self, *args: object) -> None:
            pass

    yield from _serve(Handler)


@pytest.fixture
def garbage_url() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>not a timestamp</html>")

        def log_message(self, *args: object) -> None:
            pass

    yield from _serve(Handler)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_report_with_two_timestamps_verifies_with_the_chain(
        report_db: Path, tmp_path: Path, tsa_url: str, authority: Path) -> None:
    out = tmp_path / "report"
    code, output = run("report", str(report_db), "--out", str(out), "--tsa", tsa_url,
                       "--tsa", tsa_url)
    assert code == 0, output
    assert sorted(p.name for p in (out / "timestamps").iterdir()) == [
        "01.tsr", "02.tsr", "authorities.txt"]
    code, output = run("verify", str(out), "--tsa-ca", str(authority / "ca.pem"))
    assert code == 0, output
    assert "2 timestamp token(s) valid" in output
    # Against CAs that do not include the authority's root, the tokens fail and are named.
    code, output = run("verify", str(out), "--tsa-ca", str(authority / "tsa.pem"))
    assert code == 1 and "FAILED timestamp: timestamps/01.tsr" in output
    # A token over another manifest: the manifest changed after it was stamped.
    (out / "timestamps" / "02.tsr").write_bytes(b"\x30\x03\x02\x01\x00")
    code, output = run("verify", str(out), "--tsa-ca", str(authority / "ca.pem"))
    assert code == 1 and "FAILED timestamp: timestamps/02.tsr" in output


def test_tsa_answering_garbage_or_not_at_all_is_one_clear_error(
        report_db: Path, tmp_path: Path, garbage_url: str) -> None:
    out = tmp_path / "report"
    code, output = run("report", str(report_db), "--out", str(out), "--tsa", garbage_url)
    assert code == 1 and output.startswith("Error:") and "not a granted RFC 3161" in output
    assert not out.exists() and [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    code, output = run("report", str(report_db), "--out", str(out), "--tsa",
                       "http://127.0.0.1:9/nothing-listens-here")
    assert code == 1 and "did not answer" in output and "Traceback" not in output
    assert not out.exists()
