"""Running one export: check the format and the selection, let the exporter write into a
temporary folder beside the destination, move the finished files into place, log custody.

Nothing is half-written: a failure leaves no file behind, an existing file is kept unless the
user said --force, and the custody log names every file written with its SHA-256.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pileon.errors import FormatError, InputFileError, PileonError, StoreError
from pileon.export.selection import ExportResult, ExportSelection
from pileon.hookspecs import Exporter
from pileon.plugins import exporters
from pileon.store.custody import run_rows_digest
from pileon.store.evidence import log_custody
from pileon.store.export import ExportFilter, keys_for_ids
from pileon.store.triage import latest_run

__all__ = ["ExportOutcome", "WrittenFile", "choose_exporter", "make_selection", "read_ids",
           "remove_leftovers", "run_export", "sha256_file"]


_PART = re.compile(r"-\d+-of-\d+\.[A-Za-z0-9.]+")  # what follows the stem in a set's part
#: An export is written in `.OUT.export-XXXXXXXX` beside OUT, and holds that folder's lock
#: (flock) while it writes: a kill -9 releases the lock, and the next export of OUT removes it.
_WORK_INFIX = ".export-"


@dataclass(frozen=True, slots=True)
class WrittenFile:
    path: Path
    sha256: str
    bytes: int


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    format: str
    selection: str
    posts: int
    result: ExportResult
    files: tuple[WrittenFile, ...]
    cleaned: tuple[str, ...] = ()  # temporary folders a killed export had left beside OUT


def choose_exporter(fmt: str) -> Exporter:
    found = exporters()
    if fmt not in found:
        raise FormatError(f"unknown export format {fmt!r}",
                          hint="supported: " + ", ".join(sorted(found)))
    return found[fmt]


def read_ids(path: Path) -> list[str]:
    """Post ids, URIs or URLs, one a line; blank lines and # comments ignored."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read the ids file ({exc})", path=str(path)) from exc
    ids = [line.strip() for line in text.splitlines()]
    ids = [i for i in ids if i and not i.startswith("#")]
    if not ids:
        raise InputFileError("no post ids in the file", path=str(path),
                             hint="one post id, URI or URL a line")
    return ids


def _describe(flt: ExportFilter, ids_file: Path | None) -> str:
    parts = [f"folder {flt.folder}" if flt.folder else "all folders"]
    if flt.categories:
        parts.append("category " + "/".join(flt.categories))
    if flt.langs:
        parts.append("language " + "/".join(flt.langs))
    if flt.marked:
        parts.append(f"marked '{flt.marked}' by you")
    if ids_file is not None:
        parts.append(f"ids in {ids_file.name}")
    return ", ".join(parts)


def make_selection(conn: sqlite3.Connection, db: Path, flt: ExportFilter,
                   ids_file: Path | None = None) -> ExportSelection:
    """The selection in the newest finished triage run; clear errors when there is none."""
    run = latest_run(conn)
    if run is None:
        raise StoreError("no triage yet: exports read the folders of the newest triage run",
                         path=str(db), hint=f"run `pileon triage {db}` first")
    if ids_file is not None:
        keys, missing = keys_for_ids(conn, read_ids(ids_file))
        if missing:
            raise InputFileError(f"{len(missing)} id(s) match no post, e.g. {missing[0]!r}",
                                 path=str(ids_file), hint="check them with `pileon show`")
        flt = ExportFilter(flt.folder, flt.categories, flt.langs, flt.marked, tuple(keys))
    selection = ExportSelection(conn, int(run["id"]), flt, _describe(flt, ids_file))
    if selection.count() == 0:
        raise PileonError(f"nothing to export: no post in {selection.name}"
                          f" (triage run {run['id']})", path=str(db),
                          hint=f"see what each folder holds with `pileon folders {db}`")
    return selection


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _nothing_written(result: ExportResult, fmt: str) -> PileonError:
    why = "; ".join(f"{n} {reason}" for reason, n in result.skipped.items()) or "no rows"
    return PileonError(f"nothing to write for {fmt}: {why}",
                       hint="choose another folder, or the format of the platform they are on")


def _write(exporter: Exporter, selection: ExportSelection, out: Path, force: bool,
           options: Mapping[str, Any] | None) -> tuple[ExportResult, list[WrittenFile]]:
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}{_WORK_INFIX}", dir=out.parent))
    lock = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = exporter.export(selection, work / out.name, dict(options or {}))
        if not result.files:
            raise _nothing_written(result, exporter.name)
        targets = [out.parent / f.name for f in result.files]
        clash = [t for t in targets if t.exists()]
        if clash and not force:
            raise InputFileError("already exists; nothing was written", path=str(clash[0]),
                                 hint="choose another --out, or add --force to replace it")
        written = [WrittenFile(t, sha256_file(f), f.stat().st_size)
                   for f, t in zip(result.files, targets, strict=True)]
        for made, target in zip(result.files, targets, strict=True):
            os.replace(made, target)
        if force:
            _drop_stale_parts(out, set(targets))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.close(lock)
    return result, written


def remove_leftovers(out: Path) -> tuple[str, ...]:
    """Remove the temporary folders a killed export of OUT left beside it (they hold the
    selected posts' text); returns their names. One whose lock is held is an export of OUT
    still running, and is left alone."""
    pattern = re.compile(re.escape(f".{out.name}{_WORK_INFIX}") + r"[a-z0-9_]{8}")
    removed = []
    for path in sorted(out.parent.glob(f".{glob.escape(out.name)}{_WORK_INFIX}*")):
        if not pattern.fullmatch(path.name) or path.is_symlink() or not path.is_dir():
            continue
        try:
            held = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # an export of the same file is writing it now
        finally:
            with contextlib.suppress(OSError):
                os.close(held)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return tuple(removed)


def run_export(conn: sqlite3.Connection, selection: ExportSelection, fmt: str, out: Path, *,
               force: bool = False, options: Mapping[str, Any] | None = None) -> ExportOutcome:
    exporter = choose_exporter(fmt)
    cleaned = remove_leftovers(out) if out.parent.is_dir() else ()
    if out.is_dir():
        raise InputFileError("is a folder; give a file name", path=str(out))
    if out.exists() and not force:
        raise InputFileError("already exists; nothing was written", path=str(out),
                             hint="choose another --out, or add --force to replace it")
    try:
        result, written = _write(exporter, selection, out, force, options)
    except OSError as exc:  # a full disk, a folder where a file is named, no permission
        raise InputFileError(f"cannot write the export ({exc.strerror or exc})",
                             path=str(exc.filename or out),
                             hint="check the --out folder and the free disk space") from exc
    _log(conn, fmt, selection, result, written)
    return ExportOutcome(fmt, selection.name, selection.count(), result, tuple(written), cleaned)


def _drop_stale_parts(out: Path, kept: set[Path]) -> None:
    """A replaced set of parts (`name-2-of-3.csv`) must not leave parts of the old set behind,
    nor a single `name.csv` beside a new set: an import of a leftover would undo the user's
    choice of selection."""
    stale = {p for p in out.parent.glob(f"{glob.escape(out.stem)}-*-of-*{out.suffix}")
             if _PART.fullmatch(p.name[len(out.stem):])}
    stale.add(out)
    for path in stale - kept:
        path.unlink(missing_ok=True)


def _log(conn: sqlite3.Connection, fmt: str, selection: ExportSelection, result: ExportResult,
         written: Sequence[WrittenFile]) -> None:
    log_custody(conn, "export", {
        "format": fmt,
        "selection": selection.name,
        "triage_run": selection.run_id,
        "rows": result.rows,
        "unit": result.unit,
        "skipped": dict(result.skipped),
        "files": [{"path": str(w.path), "sha256": w.sha256, "bytes": w.bytes} for w in written],
    }, wrote=[w.sha256 for w in written],
        read=[run_rows_digest(conn, "post_folders", selection.run_id)])
