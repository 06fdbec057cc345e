"""WARC and WACZ: read back with warcio, every raw payload comes out byte for byte with the
SHA-256 stored at ingest; the WACZ holds the same WARC and a datapackage.json whose hashes
match its files."""

from __future__ import annotations

import gc
import gzip
import hashlib
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from pileon import __version__
from pileon.export.run import make_selection, run_export
from pileon.store import connect
from pileon.store.export import ExportFilter


def _export(db: Path, fmt: str, out: Path, folder: str | None = "shielded"):
    conn = connect(db, create=False)
    try:
        return run_export(conn, make_selection(conn, db, ExportFilter(folder=folder)), fmt, out)
    finally:
        conn.close()


def _stored(db: Path) -> dict[str, tuple[bytes, str, str]]:
    conn = sqlite3.connect(db)
    rows = {sha: (bytes(data), source, fetched) for sha, data, source, fetched in conn.execute(
        "SELECT sha256, data, source, fetched_at FROM raw_payloads")}
    conn.close()
    return rows


def _records(stream: io.BufferedIOBase | io.BytesIO) -> list[tuple[str, dict[str, str], bytes]]:
    found = []
    for record in ArchiveIterator(stream, check_digests="raise"):
        headers = dict(record.rec_headers.headers)
        found.append((record.rec_type, headers, record.content_stream().read()))
    return found


def test_warc_round_trip_gives_the_stored_bytes_of_every_payload(demo_db: Path,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "evidence.warc.gz"
    outcome = _export(demo_db, "warc", out, folder=None)
    stored = _stored(demo_db)
    with out.open("rb") as fh:
        records = _records(fh)
    assert records[0][0] == "warcinfo"
    assert f"software: pileon {__version__}".encode() in records[0][2]
    assert records[0][1]["WARC-Type"] == "warcinfo"
    payloads = records[1:]
    assert {r[0] for r in payloads} == {"resource"}
    seen = {}
    for _, headers, body in payloads:
        sha = hashlib.sha256(body).hexdigest()
        assert headers["WARC-Payload-Digest"] == f"sha256:{sha}"
        assert headers["WARC-Block-Digest"] == f"sha256:{sha}"
        seen[sha] = (body, headers)
    # every post and every profile payload of the whole thread: all stored payloads
    assert set(seen) == set(stored) and outcome.result.rows == len(stored)
    for sha, (body, headers) in seen.items():
        data, source, fetched = stored[sha]
        assert body == data
        assert headers["WARC-Target-URI"] == Path(source).as_uri()
        assert headers["WARC-Date"] == fetched
        assert headers["Content-Type"] == "application/json"


def test_warc_of_a_folder_holds_only_the_payloads_behind_it(demo_db: Path,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "shielded.warc.gz"
    _export(demo_db, "warc", out)
    conn = sqlite3.connect(demo_db)
    expected = {s for (s,) in conn.execute(
        "SELECT p.raw_sha256 FROM post_folders f JOIN posts p ON p.platform=f.platform AND"
        " p.id=f.post_id WHERE f.folder='shielded' UNION SELECT a.raw_sha256 FROM post_folders"
        " f JOIN posts p ON p.platform=f.platform AND p.id=f.post_id JOIN accounts a ON"
        " a.platform=p.platform AND a.id=p.author_id WHERE f.folder='shielded'")}
    conn.close()
    with out.open("rb") as fh:
        got = {hashlib.sha256(body).hexdigest() for kind, _, body in _records(fh)
               if kind == "resource"}
    assert got == expected


def test_a_digest_that_does_not_match_is_caught_on_reading(demo_db: Path,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "evidence.warc.gz"
    _export(demo_db, "warc", out)
    raw = gzip.decompress(out.read_bytes())
    at = raw.index(b'"', raw.index(b"WARC-Type: resource"))
    tampered = raw[:at] + b"'" + raw[at + 1:]  # one byte of one payload changed
    with pytest.raises(Exception, match="digest"):
        _records(io.BytesIO(tampered))


def test_live_collected_payloads_become_response_records(demo_db: Path, tmp_path: Path) -> None:
    """Where a collector stored the request URL, status and headers, a response record."""
    conn = sqlite3.connect(demo_db)
    have = {r[1] for r in conn.execute("PRAGMA table_info(raw_payloads)")}
    for column, kind in (("request_url", "TEXT"), ("http_status", "INTEGER"),
                         ("response_headers_json", "TEXT")):
        if column not in have:
            conn.execute(f"ALTER TABLE raw_payloads ADD COLUMN {column} {kind}")
    sha = conn.execute("SELECT raw_sha256 FROM posts WHERE platform='mastodon' LIMIT 1"
                       ).fetchone()[0]
    url = "https://mastodon.example/api/v1/statuses/1/context"
    conn.execute("UPDATE raw_payloads SET request_url=?, http_status=200,"
                 " response_headers_json=? WHERE sha256=?",
                 (url, json.dumps([["Content-Type", "application/json; charset=utf-8"],
                                   ["Content-Encoding", "gzip"], ["X-RateLimit-Remaining", "299"]]),
                  sha))
    conn.commit()
    conn.close()
    out = tmp_path / "live.warc.gz"
    _export(demo_db, "warc", out, folder=None)
    with out.open("rb") as fh:
        for record in ArchiveIterator(fh, check_digests="raise"):
            if record.rec_headers.get_header("WARC-Target-URI") == url:
                assert record.rec_type == "response"
                assert record.http_headers.get_statuscode() == "200"
                assert record.http_headers.get_header("X-RateLimit-Remaining") == "299"
                assert record.http_headers.get_header("Content-Encoding") is None
                body = record.content_stream().read()
                assert hashlib.sha256(body).hexdigest() == sha
                break
        else:
            pytest.fail("no record for the live-collected payload")


def test_wacz_holds_the_warc_and_a_datapackage_with_matching_hashes(demo_db: Path,
                                                                    tmp_path: Path) -> None:
    _export(demo_db, "warc", tmp_path / "thread.warc.gz")
    out = tmp_path / "thread.wacz"
    outcome = _export(demo_db, "wacz", out)
    assert [f.path for f in outcome.files] == [out]
    with zipfile.ZipFile(out) as wacz:
        names = set(wacz.namelist())
        assert {"datapackage.json", "datapackage-digest.json", "archive/thread.warc.gz",
                "indexes/index.cdx.gz", "pages/pages.jsonl"} <= names
        package = json.loads(wacz.read("datapackage.json"))
        assert package["wacz_version"].startswith("1.1")
        assert "pileon" in package["title"]
        for resource in package["resources"]:
            data = wacz.read(resource["path"])
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert resource["bytes"] == len(data)
        assert {r["path"] for r in package["resources"]} == names - {
            "datapackage.json", "datapackage-digest.json"}
        digest = json.loads(wacz.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(
            wacz.read("datapackage.json")).hexdigest()
        # stored, not deflated, so ReplayWeb.page can seek into it
        assert wacz.getinfo("archive/thread.warc.gz").compress_type == zipfile.ZIP_STORED
        inner = wacz.read("archive/thread.warc.gz")
        pages = [json.loads(line) for line in
                 wacz.read("pages/pages.jsonl").decode("utf-8").splitlines()]
    stored = _stored(demo_db)
    bodies = {hashlib.sha256(b).hexdigest(): b for kind, _, b in _records(io.BytesIO(inner))
              if kind == "resource"}
    assert bodies and all(stored[sha][0] == body for sha, body in bodies.items())
    assert pages[0]["format"] == "json-pages-1.0"
    assert {p["id"] for p in pages[1:]} == set(bodies)
    # the WARC inside is the one `--format warc` writes, record for record
    with (tmp_path / "thread.warc.gz").open("rb") as fh:
        plain = [(k, b) for k, _, b in _records(fh) if k == "resource"]
    assert [(k, b) for k, _, b in _records(io.BytesIO(inner)) if k == "resource"] == plain
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pileon-export-")]


@pytest.mark.parametrize(("source", "request_url", "expected"), [
    ("/home/n/replies export/ответы.json", None,
     "file:///home/n/replies%20export/%D0%BE%D1%82%D0%B2%D0%B5%D1%82%D1%8B.json"),
    ("replies.json", None, "file:replies.json"),  # relative stays relative: no guessed folder
    ("https://bsky.social/xrpc/app.bsky.feed.getPostThread?uri=at://x", None,
     "https://bsky.social/xrpc/app.bsky.feed.getPostThread?uri=at://x"),
    ("/tmp/x.json", "https://mastodon.example/api/v1/statuses/1/context",
     "https://mastodon.example/api/v1/statuses/1/context"),
])
def test_target_uri_names_where_the_bytes_came_from(source: str, request_url: str | None,
                                                    expected: str) -> None:
    from pileon.export.warc import target_uri
    from pileon.store.export import StoredPayload

    payload = StoredPayload("0" * 64, b"{}", source, None, "x", "1", "2026-03-14T10:00:00.000Z",
                            request_url=request_url)
    assert target_uri(payload) == expected


def _wacz_validate(path: Path) -> tuple[int, str]:
    import contextlib

    from wacz.main import main as wacz_main

    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        code = wacz_main(["validate", "-f", str(path)])
    gc.collect()  # its open files are closed here, inside the test that ignores their warnings
    return code, said.getvalue()


# py-wacz's validator (not its writer, which pileon uses) leaves files open: its warnings only.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_py_wacz_validates_the_package_and_catches_a_changed_letter(demo_db: Path,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "thread.wacz"
    _export(demo_db, "wacz", out)
    code, said = _wacz_validate(out)
    assert code == 0, said
    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "pages/pages.jsonl":  # still valid JSON, one letter changed
                data = data.replace(b"Raw payloads", b"Raw paylOads")
            target.writestr(info, data)
    code, said = _wacz_validate(tampered)
    assert code == 1 and "invalid" in said
