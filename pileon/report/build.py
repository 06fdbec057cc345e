"""Writing a report folder: gather, write the evidence files, hash them, render the pages, sign.

Everything is written into a temporary folder beside the target and renamed into place at the
end, so the target is either the old report (or absent) or the whole new one, never half of each.
"""

from __future__ import annotations

import dataclasses
import errno
import glob
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pileon import __version__
from pileon.errors import ReportError
from pileon.report.data import ReportData, ReportPost, gather
from pileon.report.html import Integrity, render_html, render_parts
from pileon.report.keys import fingerprint, load_or_create_key, public_key_pem, public_key_raw
from pileon.report.locale import Catalog, load_catalog
from pileon.report.manifest import (
    EVIDENCE_LIST,
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    SUMS,
    build_manifest,
    evidence_listing,
    file_sha256,
    folder_files,
    sign,
    sums_listing,
)
from pileon.report.pdf import check_fonts, pdf_engine, write_pdf
from pileon.report.tsa import TIMESTAMPS_DIR, request_token
from pileon.report.verify_proofs import PROOFS_FILE
from pileon.store import connect, to_iso
from pileon.store.evidence import log_custody
from pileon.store.report import raw_payload

__all__ = ["ReportOptions", "ReportResult", "build_report", "check_target", "remove_leftovers",
           "resolve_zone"]

RAW_DIR = "raw"
HTML_FILE = "index.html"
PDF_FILE = "report.pdf"
PDF_SCRATCH = "pdf-parts"  # inside the temporary folder while the PDF is printed
POSTS_FILE = "data/posts.jsonl"
SUMMARY_FILE = "data/report.json"
#: A PDF is printed by one process per core, at most this many.
_MAX_PDF_WORKERS = 4
#: What a report folder holds at its top level (anything else: not ours, left alone).
_REPORT_NAMES = frozenset({"raw", "data", "timestamps", "index.html", "report.pdf", "manifest.json",
                           "manifest.sig", "public_key.pem", "evidence.sha256", "SHA256SUMS",
                           PDF_SCRATCH})
#: What one PDF part may hold, in printed posts (a list row weighs a fraction of a post):
#: WeasyPrint's memory grows with the document, about 0.5 GB per 1,000 posts.
_PART_BUDGET = 300.0
#: The same for Chromium. Its time and memory grow faster than linearly with the rows of a
#: long table (a 1,500-post part of 12,500 member/account rows: 110 s, one renderer at 3.5 GB;
#: its first 2,500 rows: 12 s, 0.4 GB), so its parts are as small as WeasyPrint's.
_CHROMIUM_PART_BUDGET = 300.0
# One shared encoder: json.dumps with options builds a new one per call (3x slower at 100k).
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


@dataclass(frozen=True, slots=True)
class ReportOptions:
    out: Path
    lang: str = "en"
    folders: tuple[str, ...] = ("shielded",)
    pdf: bool = False
    force: bool = False
    zone: str | None = None  # IANA name; None: this machine's zone
    tsa: tuple[str, ...] = ()  # RFC 3161 timestamp authorities to ask; none: nothing is sent
    #: Called with (stage, fraction done) as the report is written (the review UI's progress bar).
    progress: Callable[[str, float], None] | None = None


@dataclass(frozen=True, slots=True)
class ReportResult:
    out: Path
    digest: str
    posts: int
    raw_payloads: int
    files: int
    pdf: bool
    key_path: Path
    key_created: bool
    key_fingerprint: str
    notices: tuple[str, ...]
    seconds: float
    cleaned: tuple[str, ...] = ()  # leftover temporary folders of an interrupted report
    pdf_engine: str | None = None  # "chromium" or "weasyprint": what printed report.pdf


def resolve_zone(name: str | None) -> tuple[tzinfo, str]:
    """The zone local times are printed in: `name`, else $TZ, else /etc/localtime, else UTC."""
    candidates = [name] if name else [os.environ.get("TZ"), _system_zone(), "UTC"]
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate.lstrip(":")), candidate.lstrip(":")
        except (ZoneInfoNotFoundError, ValueError) as exc:
            if name:
                raise ReportError(f"unknown time zone {name!r}",
                                  hint="use an IANA name such as Europe/Paris or Asia/Baku"
                                  ) from exc
    return UTC, "UTC"


def _system_zone() -> str | None:
    link = Path("/etc/localtime")
    if link.is_symlink():
        target = os.readlink(link)
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    return None


def remove_leftovers(out: Path) -> tuple[str, ...]:
    """Remove what a killed report left beside OUT; returns the names removed.

    `.OUT.tmp-*` is a report being written, `.OUT.old-*` the report it replaced, moved aside
    (both hold the shielded text). An old report whose replacement never arrived (killed
    between the two renames) is put back as OUT instead. Only folders of exactly the names
    pileon gives them are touched, and only when they hold nothing but what a report writes.
    """
    prefix = re.escape(f".{out.name}.")
    pattern = re.compile(prefix + r"(tmp-[a-z0-9_]{8}|old-[0-9a-f]{8})")
    removed = []
    for path in sorted(out.parent.glob(f".{glob.escape(out.name)}.*-*")):
        if pattern.fullmatch(path.name) and path.is_dir() and not path.is_symlink() and {
                p.name for p in path.iterdir()} <= _REPORT_NAMES:
            if ".old-" in path.name and not out.exists() and not out.is_symlink():
                os.rename(path, out)
                continue
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return tuple(removed)


def check_target(out: Path, force: bool) -> None:
    """Refuse an existing output folder unless forced; never write into a regular file."""
    if out.exists() or out.is_symlink():
        if not out.is_dir() or out.is_symlink():
            raise ReportError("exists and is not a folder", path=str(out),
                              hint="choose another --out")
        if not force:
            raise ReportError("output folder already exists", path=str(out),
                              hint="choose another --out, or add --force to replace it whole")


def build_report(db_path: Path, options: ReportOptions) -> ReportResult:
    started = time.perf_counter()
    out = options.out
    say = options.progress or (lambda stage, fraction: None)
    say("gathering", 0.02)
    # First: an old report a killed run had moved aside is back in place before OUT is checked.
    cleaned = remove_leftovers(out) if out.parent.is_dir() else ()
    check_target(out, options.force)
    zone, zone_name = resolve_zone(options.zone)
    catalog = load_catalog(options.lang)
    conn = connect(db_path, create=False)  # before the key: a wrong path creates nothing
    try:
        key = load_or_create_key()
        public = key.private.public_key()
        generated_at = to_iso(datetime.now(UTC)) or ""
        data = gather(conn, db_name=db_path.name, folders=options.folders, zone=zone,
                      zone_name=zone_name, generated_at=generated_at)
        if options.pdf:
            check_fonts({options.lang, *(p.lang or "" for p in data.posts)})
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        engine: str | None = None
        try:
            (tmp / RAW_DIR).mkdir()
            (tmp / "data").mkdir()
            say("raw payloads", 0.2)
            _write_raw(conn, data, tmp)
            _write_data(data, tmp)
            (tmp / PUBLIC_KEY).write_bytes(public_key_pem(public))
            hashes = {p: file_sha256(tmp / p)[0] for p in folder_files(tmp)}
            listing = evidence_listing(hashes, hashes)
            (tmp / EVIDENCE_LIST).write_bytes(listing)
            digest = hashlib.sha256(listing).hexdigest()
            integrity = Integrity(digest, public_key_pem(public).decode("ascii"),
                                  fingerprint(public), f"pileon {__version__}")
            say("pages", 0.35)
            render_html(data, catalog, integrity, tmp / HTML_FILE)
            if options.pdf:
                say("pdf", 0.5)
                engine = _print(data, catalog, integrity, tmp)
            say("signing", 0.95)
            files = {p: file_sha256(tmp / p) for p in folder_files(tmp)}
            (tmp / SUMS).write_bytes(sums_listing({p: h for p, (h, _) in files.items()}))
            files[SUMS] = file_sha256(tmp / SUMS)
            meta = _meta(data, options, generated_at, engine)
            manifest = build_manifest(
                files=files, raw_sha256s=data.raw_sha256s, raw_dir=RAW_DIR, digest=digest,
                meta=meta, public_key_raw_hex=public_key_raw(public).hex(),
                key_fingerprint=integrity.fingerprint)
            (tmp / MANIFEST).write_bytes(manifest)
            (tmp / SIGNATURE).write_bytes(sign(key.private, manifest))
            if options.tsa:
                (tmp / TIMESTAMPS_DIR).mkdir()
                for number, url in enumerate(options.tsa, start=1):
                    token = request_token(url, tmp / MANIFEST)
                    (tmp / TIMESTAMPS_DIR / f"{number:02d}.tsr").write_bytes(token)
                (tmp / TIMESTAMPS_DIR / "authorities.txt").write_text(
                    "".join(f"{n:02d}.tsr {url}\n" for n, url in enumerate(options.tsa, 1)),
                    encoding="utf-8")
            _swap_in(tmp, out, options.force)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise ReportError("no space left on the disk while writing the report",
                                  path=str(out), hint="free some space, or choose an --out on"
                                  " another disk; nothing half-written was left behind"
                                  ) from exc
            raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        log_custody(conn, "report", {
            "out": str(out), "digest": digest, "posts": len(data.posts),
            "folders": list(options.folders), "lang": options.lang, "pdf": options.pdf,
            "pdf_engine": engine,
            "key_fingerprint": integrity.fingerprint, "timestamp_authorities": list(options.tsa)},
            data.raw_sha256s, wrote=[digest, hashlib.sha256(manifest).hexdigest()])
    finally:
        conn.close()
    return ReportResult(out, digest, len(data.posts), len(data.raw_sha256s), len(files) + 2,
                        options.pdf, key.path, key.created, integrity.fingerprint,
                        tuple(data.notices), time.perf_counter() - started, cleaned, engine)


def _print(data: ReportData, catalog: Catalog, integrity: Integrity, folder: Path) -> str:
    """report.pdf: index.html's content with each exact copy printed as a table row under its
    text; a long report is printed in small parts, one per core at a time. Returns the
    printer's name."""
    workers = min(os.cpu_count() or 1, _MAX_PDF_WORKERS)
    # The parts hold the shielded text: they live inside the report's own temporary folder
    # (removed with it, or by the next run if this one is killed), never in /tmp.
    scratch = folder / PDF_SCRATCH
    scratch.mkdir()
    try:
        engine = pdf_engine()
        chromium = engine[0] == "chromium"
        parts = render_parts(data, catalog, integrity, scratch,
                             _CHROMIUM_PART_BUDGET if chromium else _PART_BUDGET,
                             numbered=not chromium)
        return write_pdf(parts, folder / PDF_FILE, workers, engine)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _write_raw(conn: Any, data: ReportData, folder: Path) -> None:
    for sha in data.raw_sha256s:
        payload = raw_payload(conn, sha)
        if payload is None or hashlib.sha256(payload).hexdigest() != sha:
            raise ReportError("raw payload is missing or does not match its SHA-256 in the"
                              " database", record=sha, path=data.db_name,
                              hint="the database was altered; keep a copy and report it")
        (folder / RAW_DIR / f"{sha}.bin").write_bytes(payload)


def _write_data(data: ReportData, folder: Path) -> None:
    with (folder / POSTS_FILE).open("w", encoding="utf-8", newline="\n") as handle:
        fields = [f.name for f in dataclasses.fields(ReportPost)]
        for post in (*data.posts, *data.own_posts):
            # Not dataclasses.asdict: its deep copies cost seconds at 100k posts.
            record: dict[str, Any] = {name: getattr(post, name) for name in fields}
            record["evidence"] = [dataclasses.asdict(e) for e in post.evidence]
            record["translations"] = [dataclasses.asdict(t) for t in post.translations]
            record["reviewed_by_user"] = post.reviewed
            record["parent"] = None if post.parent is None else {
                "platform": post.parent.platform, "post_id": post.parent.post_id}
            record["abusive"] = post.abusive
            record["labelled_by"] = "user" if post.labelled_by_user else post.model
            handle.write(_encode(record) + "\n")
    if data.proofs:
        numbers = {p.post_id: p.number for p in (*data.posts, *data.own_posts)}
        with (folder / PROOFS_FILE).open("w", encoding="utf-8", newline="\n") as handle:
            for proof in data.proofs:
                handle.write(_encode({
                    "post_id": proof.post_id, "number": numbers.get(proof.post_id),
                    "did": proof.did, "car": f"{RAW_DIR}/{proof.car_sha256}.bin",
                    "did_document": f"{RAW_DIR}/{proof.did_doc_sha256}.bin",
                    "record_cid": proof.record_cid, "fetched_at": proof.fetched_at}) + "\n")
    summary = {
        "database": data.db_name, "generated_at": data.generated_at, "zone": data.zone_name,
        "folders": list(data.folders), "triage_run": data.triage_run,
        "coordination_run": data.coordination_run, "analysed": data.analysed,
        "notices": data.notices, "summary": dataclasses.asdict(data.summary),
        "models": data.models,
        # Shallow on purpose: dataclasses.asdict deep-copies every member, seconds at 100k.
        "clusters": [{f.name: getattr(c, f.name) for f in dataclasses.fields(c)}
                     for c in data.clusters],
        "custody_log": [{f.name: getattr(c, f.name) for f in dataclasses.fields(c)}
                        for c in data.custody],
        "targets": [dataclasses.asdict(t) for t in data.targets],
        "bursts": [dataclasses.asdict(b) for b in data.bursts],
        # tuples of tuples stay lists of lists in JSON: no deep copy needed (seconds at 100k)
        "accounts": [{f.name: getattr(a, f.name) for f in dataclasses.fields(a)}
                     for a in data.accounts],
        "incident": {"first": data.incident.first.number if data.incident.first else None,
                     "recent": [p.number for p in data.incident.recent],
                     "concerning": [p.number for p in data.incident.concerning]},
    }
    (folder / SUMMARY_FILE).write_text(_top_level_lines(summary), encoding="utf-8")


def _top_level_lines(document: dict[str, Any]) -> str:
    """JSON with one top-level key per line and each value on its line: json.dumps with
    `indent` runs the pure-Python encoder (about 8 s for the clusters of a 100k thread), while
    this uses the C one; the file stays one JSON object, with sorted keys."""
    lines = [f" {_encode(key)}: {_encode(document[key])}" for key in sorted(document)]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _meta(data: ReportData, options: ReportOptions, generated_at: str,
          engine: str | None) -> dict[str, Any]:
    return {
        **({"pdf_printer": engine} if engine else {}),
        "created_at": generated_at,
        "tool_version": f"pileon {__version__}",
        "database": data.db_name,
        "lang": options.lang,
        "zone": data.zone_name,
        "selection": {"folders": list(options.folders), "posts": len(data.posts),
                      "marked_evidence": data.summary.marked_evidence},
        "pages": [HTML_FILE, *([PDF_FILE] if options.pdf else [])],
        "evidence_files": EVIDENCE_LIST,
    }


def _swap_in(tmp: Path, out: Path, force: bool) -> None:
    """Rename the finished folder into place; an old report is moved aside, then removed."""
    check_target(out, force)
    old: Path | None = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        os.rename(out, old)
    try:
        os.rename(tmp, out)
    except OSError:
        if old is not None:
            os.rename(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
