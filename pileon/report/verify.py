"""Checking a report folder: the signature over manifest.json, every file's SHA-256, the
evidence list and its digest, and files added since. Reports every problem, not only the first.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pileon.errors import ReportError
from pileon.report.keys import fingerprint, public_key_raw
from pileon.report.manifest import (
    EVIDENCE_LIST,
    FORMAT,
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    UNLISTED,
    file_sha256,
    folder_files,
)
from pileon.report.tsa import TIMESTAMPS_DIR, verify_token
from pileon.report.verify_proofs import check_report_proofs

__all__ = ["Problem", "VerifyResult", "verify_report"]


@dataclass(frozen=True, slots=True)
class Problem:
    item: str      # the file (or "manifest.json" / "signature") that failed
    what: str      # changed | missing | added | signature | digest | key | unreadable | proof

    detail: str

    def __str__(self) -> str:
        return f"{self.what}: {self.item} — {self.detail}"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    folder: Path
    problems: tuple[Problem, ...]
    files: int
    raw_payloads: int
    digest: str | None
    key_fingerprint: str | None
    timestamps: int = 0
    proofs: int = 0  # Bluesky posts whose signed record checked

    @property
    def ok(self) -> bool:
        return not self.problems


def _load_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read the public key ({exc})", path=str(path)) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ReportError("not an Ed25519 public key", path=str(path))
    return key


def verify_report(folder: Path, expected_key: Path | None = None,
                  tsa_ca: Path | None = None) -> VerifyResult:
    """Recompute every hash and the signature of a report folder, and check its timestamps."""
    if not folder.is_dir():
        raise ReportError("not a report folder", path=str(folder))
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise ReportError("no manifest.json: not a pileon report folder", path=str(folder))
    manifest_bytes = manifest_path.read_bytes()
    problems: list[Problem] = []

    key = _check_signature(folder, manifest_bytes, expected_key, problems)
    try:
        manifest: dict[str, Any] = json.loads(manifest_bytes)
        if not isinstance(manifest, dict):
            raise ValueError(f"a JSON {type(manifest).__name__}, not an object")
        if not isinstance(manifest.get("public_key", {}), dict) or not isinstance(
                manifest.get("public_key", {}).get("raw_hex", ""), str):
            raise ValueError("public_key is not an object with a raw_hex string")
        if manifest.get("format") != FORMAT:
            raise ValueError(f"format {manifest.get('format')!r}, expected {FORMAT!r}")
        listed = {str(f["path"]): str(f["sha256"]) for f in manifest["files"]}
        digest = str(manifest["digest"]["value"])
        raw = [str(r["sha256"]) for r in manifest["raw_payloads"]]
    except RecursionError:  # nested deeper than Python's parser goes: no manifest pileon wrote
        problems.append(Problem(MANIFEST, "unreadable", "not a valid manifest (nested too"
                                " deeply)"))
        return VerifyResult(folder, tuple(problems), 0, 0, None,
                            fingerprint(key) if key else None)
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(Problem(MANIFEST, "unreadable", f"not a valid manifest ({exc})"))
        return VerifyResult(folder, tuple(problems), 0, 0, None,
                            fingerprint(key) if key else None)

    if key is not None and manifest.get("public_key", {}).get("raw_hex") != \
            public_key_raw(key).hex():
        problems.append(Problem(PUBLIC_KEY, "key", "differs from the key named in manifest.json"))
    present = set(folder_files(folder))
    for path in sorted(listed):
        if Path(path).is_absolute() or ".." in Path(path).parts:
            problems.append(Problem(path, "unreadable", "manifest.json names a file outside"
                                    " the report folder"))
            listed.pop(path)
    for path, expected in sorted(listed.items()):
        if path not in present:
            problems.append(Problem(path, "missing", "listed in manifest.json, not in the folder"))
            continue
        found, _ = file_sha256(folder / path)
        if found != expected:
            problems.append(Problem(path, "changed",
                                    f"SHA-256 is {found}, manifest.json says {expected}"))
    stamps = sorted(p for p in present if p.startswith(TIMESTAMPS_DIR + "/") and (
        p.endswith(".tsr") or p == f"{TIMESTAMPS_DIR}/authorities.txt"))
    for path in stamps:
        if path.endswith(".tsr"):
            failure = verify_token(folder / path, manifest_path, tsa_ca)
            if failure is not None:
                problems.append(Problem(path, "timestamp", failure))
    for path in sorted(present - set(listed) - UNLISTED - set(stamps)):
        problems.append(Problem(path, "added", "not listed in manifest.json"))
    for path in _empty_dirs(folder):
        problems.append(Problem(path + "/", "added", "an empty folder, not in the report as"
                                " written"))
    for sha in raw:
        if f"raw/{sha}.bin" not in listed:
            problems.append(Problem(f"raw/{sha}.bin", "missing", "raw payload not in the files"))
    evidence = folder / EVIDENCE_LIST
    if evidence.is_file():
        found = hashlib.sha256(evidence.read_bytes()).hexdigest()
        if found != digest:
            problems.append(Problem(EVIDENCE_LIST, "digest",
                                    f"SHA-256 is {found}, the report digest is {digest}"))
    proven, failed = check_report_proofs(folder)
    problems.extend(Problem(post, "proof", detail) for post, detail in failed)
    return VerifyResult(folder, tuple(problems), len(listed), len(raw), digest,
                        fingerprint(key) if key else None,
                        sum(1 for p in stamps if p.endswith(".tsr")), proven)


def _empty_dirs(folder: Path) -> list[str]:
    """Folders under `folder` holding no file at any depth (a report never has one)."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_dir() and not path.is_symlink() and not any(
                p.is_file() for p in path.rglob("*")):
            found.append(path.relative_to(folder).as_posix())
    return found


def _check_signature(folder: Path, manifest: bytes, expected_key: Path | None,
                     problems: list[Problem]) -> Ed25519PublicKey | None:
    key_path, sig_path = folder / PUBLIC_KEY, folder / SIGNATURE
    if not key_path.is_file():
        problems.append(Problem(PUBLIC_KEY, "missing", "the signature cannot be checked"))
        return None
    key = _load_key(key_path)
    if expected_key is not None:
        trusted = _load_key(expected_key)
        if public_key_raw(trusted) != public_key_raw(key):
            problems.append(Problem(PUBLIC_KEY, "key",
                                    f"signed by {fingerprint(key)}, not by the key you trust"
                                    f" ({fingerprint(trusted)})"))
    if not sig_path.is_file():
        problems.append(Problem(SIGNATURE, "missing", "manifest.json is not signed"))
        return key
    try:
        key.verify(sig_path.read_bytes(), manifest)
    except InvalidSignature:
        problems.append(Problem(MANIFEST, "signature",
                                "the signature does not match: manifest.json or manifest.sig"
                                " was changed"))
    return key
