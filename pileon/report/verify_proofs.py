"""`pileon verify` on the Bluesky proofs of a report (data/bluesky_proofs.jsonl), offline.

For each proven post: the CAR file checks (block hashes, the commit's signature by the
`#atproto` key of the DID document kept beside it, the tree path to the post's key); the
record's CID is the CID the post's own raw payload gives it (what the AppView answered when the
post was collected); and the record's text is the text the report prints. A report re-signed
by someone else with a changed text therefore still fails here: the author's repository
signature cannot be made again without the author's key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pileon.collect.bluesky_proof import ProofError, check_proof

__all__ = ["PROOFS_FILE", "check_report_proofs", "cids_in_payload"]

PROOFS_FILE = "data/bluesky_proofs.jsonl"
POSTS_FILE = "data/posts.jsonl"


def cids_in_payload(data: bytes) -> dict[str, str]:
    """uri -> cid of every record view in a JSON payload (an AppView answer)."""
    try:
        parsed: Any = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return {}
    found: dict[str, str] = {}
    stack = [parsed]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("uri"), str) and isinstance(item.get("cid"), str):
                found.setdefault(item["uri"], item["cid"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                value = json.loads(line)
                if isinstance(value, dict):
                    yield value


def _inside(folder: Path, name: object) -> Path | None:
    if not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts:
        return None
    path = folder / name
    return path if path.is_file() else None


def check_report_proofs(folder: Path) -> tuple[int, list[tuple[str, str]]]:
    """(proofs that checked, [(post, what failed)]) for the report folder."""
    proofs_path = folder / PROOFS_FILE
    if not proofs_path.is_file():
        return 0, []
    posts: dict[str, dict[str, Any]] = {}
    if (folder / POSTS_FILE).is_file():
        for post in _lines(folder / POSTS_FILE):
            if post.get("platform") == "bluesky":
                posts[str(post.get("post_id"))] = post
    ok, failed = 0, []
    try:
        entries = list(_lines(proofs_path))
    except (ValueError, UnicodeDecodeError) as exc:
        return 0, [(PROOFS_FILE, f"not JSON lines ({exc})")]
    for entry in entries:
        uri = str(entry.get("post_id", ""))
        car, doc = _inside(folder, entry.get("car")), _inside(folder, entry.get("did_document"))
        if car is None or doc is None:
            failed.append((uri, "its CAR file or DID document is not in the folder"))
            continue
        try:
            checked = check_proof(car.read_bytes(), doc.read_bytes(), uri)
        except ProofError as exc:
            failed.append((uri, str(exc)))
            continue
        except (ValueError, TypeError, KeyError) as exc:  # malformed blocks
            failed.append((uri, f"the proof cannot be read ({exc})"))
            continue
        found = posts.get(uri)
        if found is None:
            failed.append((uri, "the proven post is not in data/posts.jsonl"))
            continue
        post = found
        payload = _inside(folder, f"raw/{post.get('raw_sha256')}.bin")
        given = cids_in_payload(payload.read_bytes()).get(uri) if payload else None
        if given != checked.record_cid:
            failed.append((uri, f"the signed record is {checked.record_cid}, the post's payload"
                                f" says {given}"))
        elif checked.record.get("text", "") != post.get("text"):
            failed.append((uri, "the text printed differs from the signed record's text"))
        else:
            ok += 1
    return ok, failed
