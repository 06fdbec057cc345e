"""What collect archives comes out of `pileon export --format warc` as HTTP response records:
the request URL, status and headers as received, and the body byte for byte."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from pileon.cli import main

from . import payloads as p
from .server import ReplayServer
from .test_watch import serve_masto


def test_collected_responses_export_as_warc_response_records(
    server: ReplayServer, db_path: Path, tmp_path: Path
) -> None:
    serve_masto(server)
    runner = CliRunner()
    assert runner.invoke(main, ["collect", str(db_path), p.MASTO_URL, "--base-url",
                                server.base_url, "--rate", "0", "-q"]).exit_code == 0
    assert runner.invoke(main, ["triage", str(db_path)]).exit_code == 0
    out = tmp_path / "evidence.warc.gz"
    result = runner.invoke(main, ["export", str(db_path), "--format", "warc", "--folder", "all",
                                  "--out", str(out)])
    assert result.exit_code == 0, result.output
    context_url = f"{server.base_url}/api/v1/statuses/{p.MASTO_ROOT}/context"
    with sqlite3.connect(db_path) as db:
        stored = db.execute("SELECT data FROM raw_payloads WHERE request_url = ?",
                            (context_url,)).fetchone()[0]
    with out.open("rb") as fh:
        records = {r.rec_headers.get_header("WARC-Target-URI"): (r, r.content_stream().read())
                   for r in ArchiveIterator(fh) if r.rec_type != "warcinfo"}
    record, body = records[context_url]
    assert record.rec_type == "response"
    assert record.http_headers.get_statuscode() == "200"
    assert record.http_headers.get_header("Content-Type").startswith("application/json")
    assert body == stored
    digest = record.rec_headers.get_header("WARC-Payload-Digest")
    assert digest == "sha256:" + hashlib.sha256(stored).hexdigest()
