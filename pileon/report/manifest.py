"""The report folder's hashes: the evidence list and its digest, manifest.json and its signature.

    evidence.sha256  `sha256sum` lines ("<hex>  <path>\\n", sorted by path) for the raw payloads,
                     the data files and the public key: everything the report describes
    digest           SHA-256 of the bytes of evidence.sha256 (printed on the cover)
    manifest.json    every file in the folder but itself and its signature, with SHA-256 and size,
                     the raw payload hashes and the digest
    manifest.sig     64-byte Ed25519 signature over the exact bytes of manifest.json
The cover cannot hold its own hash, so the digest covers the evidence, and the pages that print
the digest are covered by the signed manifest. See docs/report.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "EVIDENCE_LIST",
    "FORMAT",
    "MANIFEST",
    "PUBLIC_KEY",
    "SIGNATURE",
    "SUMS",
    "UNLISTED",
    "build_manifest",
    "evidence_listing",
    "file_sha256",
    "folder_files",
    "sign",
    "sums_listing",
]

FORMAT = "pileon-report-manifest/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public_key.pem"
EVIDENCE_LIST = "evidence.sha256"
SUMS = "SHA256SUMS"
#: Files manifest.json cannot list: itself and the signature over it.
UNLISTED = frozenset({MANIFEST, SIGNATURE})


def file_sha256(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def folder_files(folder: Path) -> list[str]:
    """Every regular file under `folder`, as sorted POSIX paths relative to it."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _lines(hashes: Mapping[str, str], paths: Iterable[str]) -> bytes:
    # Two spaces: sha256sum's text-mode format, so `sha256sum -c` reads the file as it is.
    return "".join(f"{hashes[p]}  {p}\n" for p in sorted(paths)).encode("utf-8")


def evidence_listing(hashes: Mapping[str, str], evidence_paths: Iterable[str]) -> bytes:
    """The bytes of evidence.sha256; the report digest is SHA-256 of exactly these bytes."""
    return _lines(hashes, evidence_paths)


def sums_listing(hashes: Mapping[str, str]) -> bytes:
    """SHA256SUMS: every file but the manifest, its signature and SHA256SUMS itself."""
    return _lines(hashes, (p for p in hashes if p not in UNLISTED | {SUMS}))


def build_manifest(*, files: Mapping[str, tuple[str, int]], raw_sha256s: Sequence[str],
                   raw_dir: str, digest: str, meta: Mapping[str, Any],
                   public_key_raw_hex: str, key_fingerprint: str) -> bytes:
    """manifest.json bytes: sorted keys, UTF-8, one trailing newline (stable to re-serialise)."""
    body = {
        "format": FORMAT,
        **meta,
        "digest": {"algorithm": "sha256", "of": EVIDENCE_LIST, "value": digest},
        "public_key": {"algorithm": "ed25519", "file": PUBLIC_KEY, "raw_hex": public_key_raw_hex,
                       "fingerprint": key_fingerprint},
        "signature": {"algorithm": "ed25519", "file": SIGNATURE, "over": MANIFEST},
        "raw_payloads": [{"sha256": sha, "path": f"{raw_dir}/{sha}.bin",
                          "bytes": files[f"{raw_dir}/{sha}.bin"][1]} for sha in raw_sha256s],
        "files": [{"path": path, "sha256": sha, "bytes": size}
                  for path, (sha, size) in sorted(files.items())],
    }
    return (json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def sign(key: Ed25519PrivateKey, manifest: bytes) -> bytes:
    return key.sign(manifest)
