"""Bluesky proofs: `collect --bsky-proofs` against a loopback AppView + DID directory + PDS that
serve real-format getRecord CAR files (atproto_repo.py), and `pileon verify` checking them
offline in a report, including against a forger who re-signs the whole report folder."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pileon.cli import main
from pileon.collect.bluesky_proof import ProofError, check_proof, cid_of_record
from pileon.collect.run import CollectOptions, collect_round

from . import payloads as p
from .atproto_repo import Repo, car
from .server import ReplayServer, Reply
from .test_bluesky import serve_bluesky

CAR_TYPE = {"Content-Type": "application/vnd.ipld.car"}
POST = "app.bsky.feed.post"


def record_views(*pages: Any) -> Iterator[dict[str, Any]]:
    stack = list(pages)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if {"uri", "cid", "record"} <= node.keys() and isinstance(node["record"], dict):
                yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def the_views() -> list[dict[str, Any]]:
    return list({v["uri"]: v for v in record_views(*p.bsky_thread_cut(), *p.bsky_quotes_pages())
                 }.values())


def test_real_records_get_the_cids_bluesky_gave_them() -> None:
    # The AppView's JSON re-encoded as DAG-CBOR hashes to the CID Bluesky's own PDS computed.
    views = [v for v in record_views(*p.bsky_thread_cut())]
    assert len(views) >= 5
    assert all(cid_of_record(v["record"]) == v["cid"] for v in views)


def serve_repos(server: ReplayServer, *, key_type: str = "secp256k1",
                wrong_key_for: str | None = None, only_real: bool = False) -> dict[str, Repo]:
    """One repository per author of the fixture posts, their DID documents and proofs
    (`only_real`: not for the post the fixtures made up, whose CID no record has)."""
    repos: dict[str, Repo] = {}
    for view in the_views():
        if only_real and cid_of_record(view["record"]) != view["cid"]:
            continue
        did = view["uri"].split("/")[2]
        repo = repos.setdefault(did, Repo(did, key_type=key_type))
        repo.put(POST, view["uri"].rsplit("/", 1)[1], view["record"])
    for did, repo in repos.items():
        for n in range(60):  # other records: a tree of more than one level
            repo.put("app.bsky.feed.like", f"3lk{n:010d}", {
                "$type": "app.bsky.feed.like", "createdAt": "2026-03-01T10:00:00.000Z",
                "subject": {"uri": p.BSKY_ROOT, "cid": "bafyreib2rxk3rybloqtqwbo"
                            "2ztlpc3fhsrzpcndmcbs3zfftb3gwebjtp4"}})
        repo.commit()
        document = repo.did_document(server.base_url)
        if did == wrong_key_for:  # the directory names another key than the one that signed
            document = Repo(did, key_type=key_type).did_document(server.base_url)
        server.route(f"/{did}", Reply.json(document))
        for key in repo.records:
            collection, rkey = key.split("/")
            if collection == POST:
                server.route("/xrpc/com.atproto.sync.getRecord",
                             Reply(200, repo.proof_car(collection, rkey), dict(CAR_TYPE)),
                             did=did, rkey=rkey)
    return repos


@pytest.fixture
def proof_options(options: CollectOptions, server: ReplayServer) -> CollectOptions:
    from dataclasses import replace

    return replace(options, bsky_proofs=True, bsky_plc_url=server.base_url)


def proofs(conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    conn.row_factory = sqlite3.Row
    return {r["post_id"]: r for r in conn.execute("SELECT * FROM bluesky_proofs")}


@pytest.mark.parametrize("key_type", ["secp256k1", "p256"])
def test_collect_keeps_a_checked_proof_per_post(server: ReplayServer, conn: sqlite3.Connection,
                                                proof_options: CollectOptions, clock: object,
                                                key_type: str) -> None:
    serve_bluesky(server)
    serve_repos(server, key_type=key_type)
    collect_round(conn, p.BSKY_URL, proof_options, clock=clock)  # type: ignore[arg-type]
    found = proofs(conn)
    views = {v["uri"]: v for v in the_views()}
    stored = {r[0] for r in conn.execute("SELECT id FROM posts WHERE platform = 'bluesky'"
                                         " AND placeholder IS NULL")}
    assert stored <= set(views) and len(stored) >= 6
    assert set(found) == stored
    assert all(found[u]["problem"] is None for u in stored)
    # The CID in the signed repository is the CID the AppView gave: the real posts' CIDs are
    # Bluesky's. The one post the fixtures made up (a copy with an edited CID) does not match.
    made_up = {u for u in stored if u.endswith("/3mh2b2222222a")}
    assert len(made_up) == 1
    assert all(found[u]["record_cid"] == views[u]["cid"] for u in stored - made_up)
    assert all(found[u]["record_cid"] != views[u]["cid"] for u in made_up)
    # One DID document per author, one getRecord per post; both kept byte for byte.
    asked = [r.path for r in server.requests]
    assert sum(path.startswith("/did:plc:") for path in asked) == len({u.split("/")[2]
                                                                      for u in stored})
    row = found[p.BSKY_ROOT]
    car_bytes = conn.execute("SELECT data FROM raw_payloads WHERE sha256 = ?",
                             (row["car_sha256"],)).fetchone()[0]
    document = conn.execute("SELECT data FROM raw_payloads WHERE sha256 = ?",
                            (row["did_doc_sha256"],)).fetchone()[0]
    assert check_proof(bytes(car_bytes), bytes(document), p.BSKY_ROOT).record_cid == \
        views[p.BSKY_ROOT]["cid"]


def test_a_proof_signed_by_another_key_is_kept_as_failed(
        server: ReplayServer, conn: sqlite3.Connection, proof_options: CollectOptions,
        clock: object) -> None:
    serve_bluesky(server)
    serve_repos(server, wrong_key_for=p.BSKY_DID)
    result = collect_round(conn, p.BSKY_URL, proof_options, clock=clock)  # type: ignore[arg-type]
    found = proofs(conn)
    mine = [u for u in found if u.split("/")[2] == p.BSKY_DID]
    assert mine and all("signature does not verify" in found[u]["problem"] for u in mine)
    assert all(found[u]["problem"] is None for u in found if u not in mine)
    assert any("without a proof that checks" in note for note in result.notes)


def tampered_cases(repo: Repo, rkey: str) -> dict[str, tuple[bytes, str]]:
    good = repo.proof_car(POST, rkey)
    blocks = []
    from pileon.collect.bluesky_proof import read_car

    roots, by_cid = read_car(good)
    blocks = list(by_cid.items())
    record_cid, record = blocks[-1]
    changed = record.replace(b"\xd0", b"\xd1", 1) if b"\xd0" in record else record[:-1] + b"!"
    return {
        "a changed record byte": (car(roots[0], [*blocks[:-1], (record_cid, changed)]),
                                  "does not match its CID"),
        "the record left out": (car(roots[0], blocks[:-1]), "lacks the record block"),
        "a cut-off file": (good[:-7], "cut short"),
    }


def test_tampered_proofs_are_named() -> None:
    view = next(v for v in the_views() if v["uri"] == p.BSKY_ROOT)
    rkey = p.BSKY_ROOT.rsplit("/", 1)[1]
    repo = Repo(p.BSKY_DID)
    repo.put(POST, rkey, view["record"])
    for n in range(40):
        repo.put(POST, f"3mzz{n:09d}", {"$type": POST, "text": f"other {n}",
                                        "createdAt": "2026-03-01T10:00:00.000Z"})
    repo.commit()
    document = json.dumps(repo.did_document("http://127.0.0.1:9")).encode()
    assert check_proof(repo.proof_car(POST, rkey), document, p.BSKY_ROOT).record_cid == view["cid"]
    for what, (data, expected) in tampered_cases(repo, rkey).items():
        with pytest.raises(ProofError, match=expected):
            check_proof(data, document, p.BSKY_ROOT)
        assert what
    with pytest.raises(ProofError, match="not did:plc:other's"):
        check_proof(repo.proof_car(POST, rkey), document,
                    "at://did:plc:other/app.bsky.feed.post/" + rkey)
    with pytest.raises(ProofError, match="does not hold|lacks the tree node"):  # not its proof
        check_proof(repo.proof_car(POST, "3mzz000000001"), document,
                    p.BSKY_ROOT.rsplit("/", 1)[0] + "/3mzz000000099")


def _resign(folder: Path) -> None:
    """What a forger with their own key does after editing: every hash and the signature again."""
    from pileon.report.keys import public_key_pem

    manifest = json.loads((folder / "manifest.json").read_text())
    forger = Ed25519PrivateKey.generate()
    (folder / "public_key.pem").write_bytes(public_key_pem(forger.public_key()))
    sha = {}
    for path in sorted(q for q in folder.rglob("*") if q.is_file()):
        sha[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    evidence = "".join(f"{h}  {n}\n" for n, h in sorted(sha.items())
                       if n.startswith(("raw/", "data/")) or n == "public_key.pem")
    (folder / "evidence.sha256").write_text(evidence)
    sha["evidence.sha256"] = hashlib.sha256(evidence.encode()).hexdigest()
    sums = "".join(f"{h}  {n}\n" for n, h in sorted(sha.items())
                   if n not in ("manifest.json", "manifest.sig", "SHA256SUMS"))
    (folder / "SHA256SUMS").write_text(sums)
    sha["SHA256SUMS"] = hashlib.sha256(sums.encode()).hexdigest()
    for entry in manifest["files"]:
        entry["sha256"] = sha[entry["path"]]
        entry["bytes"] = (folder / entry["path"]).stat().st_size
    manifest["digest"]["value"] = sha["evidence.sha256"]
    raw = forger.public_key().public_bytes_raw()
    manifest["public_key"]["raw_hex"] = raw.hex()
    from pileon.report.keys import fingerprint

    manifest["public_key"]["fingerprint"] = fingerprint(forger.public_key())
    body = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    (folder / "manifest.json").write_bytes(body)
    (folder / "manifest.sig").write_bytes(forger.sign(body))


def test_report_carries_the_proofs_and_verify_checks_them_offline(
        server: ReplayServer, conn: sqlite3.Connection, proof_options: CollectOptions,
        clock: object, db_path: Path, tmp_path: Path) -> None:
    serve_bluesky(server)
    serve_repos(server, only_real=True)
    collect_round(conn, p.BSKY_URL, proof_options, clock=clock)  # type: ignore[arg-type]
    conn.close()
    runner = CliRunner()
    for args in (["analyze", str(db_path)], ["triage", str(db_path)]):
        assert runner.invoke(main, args).exit_code == 0
    out = tmp_path / "report"
    result = runner.invoke(main, ["report", str(db_path), "--out", str(out),
                                  "--include", "review,inbox,support"])
    assert result.exit_code == 0, result.output
    server.down()  # offline from here: verify asks nobody
    entries = [json.loads(line) for line in
               (out / "data/bluesky_proofs.jsonl").read_text(encoding="utf-8").splitlines()]
    posts = {json.loads(line)["post_id"] for line in
             (out / "data/posts.jsonl").read_text(encoding="utf-8").splitlines()}
    assert {e["post_id"] for e in entries} == {u for u in posts if u.startswith("at://")
                                               and not u.endswith("/3mh2b2222222a")}
    checked = runner.invoke(main, ["verify", str(out), "--json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["proofs"] == len(entries) >= 5
    # A forger changes a proven post's text and re-signs the whole folder with their own key:
    # every hash and the signature agree again, the author's repository signature does not.
    lines = (out / "data/posts.jsonl").read_text(encoding="utf-8").splitlines()
    victim = entries[0]["post_id"]
    edited = []
    for line in lines:
        record = json.loads(line)
        if record["post_id"] == victim:
            record["text"] = "a text the author never wrote"
        edited.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
    (out / "data/posts.jsonl").write_text("\n".join(edited) + "\n", encoding="utf-8")
    _resign(out)
    code = runner.invoke(main, ["verify", str(out)])
    assert code.exit_code == 1
    failed = [line for line in code.output.splitlines() if line.startswith("FAILED")]
    assert failed == [f"FAILED proof: {victim} — the text printed differs from the signed"
                      f" record's text"]
    # The signed record swapped for another post's proof: named too.
    car_path = out / entries[1]["car"]
    car_path.write_bytes((out / entries[0]["car"]).read_bytes())
    _resign(out)
    output = runner.invoke(main, ["verify", str(out)]).output
    assert f"FAILED proof: {entries[1]['post_id']}" in output
