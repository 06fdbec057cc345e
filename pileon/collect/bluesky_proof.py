"""Bluesky proofs, checked offline: what `com.atproto.sync.getRecord` answers is a CAR file
holding the author's signed repository commit, the Merkle search tree (MST) nodes from the
commit down to the post's key, and the post's record. With the DID document captured at the
same time (it names the repository's signing key) anyone can check, without asking Bluesky:

1. every block's bytes hash to its CID (SHA-256, CIDv1, DAG-CBOR);
2. the commit is the author's (its `did`) and its signature verifies with the `#atproto`
   key of the DID document (ECDSA P-256 or secp256k1, low-S, over the DAG-CBOR of the commit
   without `sig`, as the atproto repository spec says);
3. the MST path from the commit's `data` root leads to `app.bsky.feed.post/<rkey>`, whose
   value is the record's CID; the record block is there and decodes.

The report then compares the record's CID with the CID the AppView gave for the post and the
record's text with the text printed (pileon/report/verify.py). What this cannot prove: that the
DID document was the author's at the time (a reader can compare it with the DID directory's
own audit log, e.g. https://plc.directory/<did>/log/audit).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import libipld

__all__ = ["ProofCheck", "ProofError", "check_proof", "cid_text", "cid_of_record", "ipld_from_json", "pds_endpoint",
           "read_car", "signing_key"]

_DAG_CBOR = 0x71
_SHA2_256 = 0x12


class ProofError(ValueError):
    """A proof that does not check, with what failed in words."""


@dataclass(frozen=True, slots=True)
class ProofCheck:
    record_cid: str
    record: dict[str, Any]
    rev: str
    key_type: str  # "p256" or "secp256k1"


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ProofError("the CAR file is cut short")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _cid_end(data: bytes, pos: int) -> int:
    version, pos = _varint(data, pos)
    if version != 1:
        raise ProofError(f"CID version {version}, not 1")
    _codec, pos = _varint(data, pos)
    _code, pos = _varint(data, pos)
    size, pos = _varint(data, pos)
    return pos + size


def read_car(data: bytes) -> tuple[list[bytes], dict[bytes, bytes]]:
    """(roots, CID bytes -> block bytes) of a CAR v1 file, each block's hash checked."""
    length, pos = _varint(data, 0)
    try:
        header = libipld.decode_dag_cbor(data[pos:pos + length])
    except (ValueError, TypeError) as exc:
        raise ProofError(f"the CAR header is not DAG-CBOR ({exc})") from exc
    pos += length
    roots = header.get("roots") if isinstance(header, dict) else None
    if not isinstance(header, dict) or header.get("version") != 1 or not roots:
        raise ProofError("not a CAR v1 file with a root")
    blocks: dict[bytes, bytes] = {}
    while pos < len(data):
        length, pos = _varint(data, pos)
        end = pos + length
        cid_end = _cid_end(data, pos)
        if end > len(data) or cid_end > end:
            raise ProofError("the CAR file is cut short")
        cid, block = data[pos:cid_end], data[cid_end:end]
        _check_hash(cid, block)
        blocks[cid] = block
        pos = end
    return [bytes(r) for r in roots], blocks


def _check_hash(cid: bytes, block: bytes) -> None:
    parsed = libipld.decode_cid(cid)
    digest = parsed["hash"]
    if digest["code"] != _SHA2_256 or digest["digest"] != hashlib.sha256(block).digest():
        raise ProofError(f"block {cid_text(cid)} does not match its CID (changed bytes)")


def cid_text(cid: bytes) -> str:
    return str(libipld.encode_cid(cid))


def _cid_bytes(text: str) -> bytes:
    parsed = libipld.decode_cid(text)
    digest = parsed["hash"]
    return (_uvarint(parsed["version"]) + _uvarint(parsed["codec"]) + _uvarint(digest["code"])
            + _uvarint(digest["size"]) + digest["digest"])


def _uvarint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def ipld_from_json(value: Any) -> Any:
    """The atproto JSON form of a record (as an AppView shows it) in the data model DAG-CBOR
    encodes: {"$link": cid} is a link, {"$bytes": base64} is bytes."""
    if isinstance(value, dict):
        if set(value) == {"$link"} and isinstance(value["$link"], str):
            return _cid_bytes(value["$link"])
        if set(value) == {"$bytes"} and isinstance(value["$bytes"], str):
            return base64.b64decode(value["$bytes"] + "=" * (-len(value["$bytes"]) % 4))
        return {key: ipld_from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [ipld_from_json(item) for item in value]
    return value


def cid_of_record(record: Mapping[str, Any]) -> str:
    """The CID a PDS gives a record written in atproto JSON (DAG-CBOR, SHA-256, CIDv1)."""
    block = libipld.encode_dag_cbor(ipld_from_json(dict(record)))
    return cid_text(bytes([1, _DAG_CBOR, _SHA2_256, 32]) + hashlib.sha256(block).digest())


def _did_document(raw: bytes, did: str) -> dict[str, Any]:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProofError("the DID document is not JSON") from exc
    if not isinstance(doc, dict) or doc.get("id") != did:
        raise ProofError(f"the DID document is not {did}'s")
    return doc


def signing_key(did_document: Mapping[str, Any]) -> tuple[str, bytes]:
    """(key type, compressed public key) of the DID document's `#atproto` verification method."""
    from atproto_crypto.did import parse_multikey

    did = str(did_document.get("id", ""))
    for method in did_document.get("verificationMethod") or []:
        if not isinstance(method, Mapping) or method.get("id") not in ("#atproto",
                                                                       f"{did}#atproto"):
            continue
        multibase = method.get("publicKeyMultibase")
        if not isinstance(multibase, str):
            break
        try:
            key = parse_multikey(multibase)
        except Exception as exc:  # noqa: BLE001 - the library raises several kinds
            raise ProofError(f"the #atproto key cannot be read ({exc})") from exc
        return {"ES256": "p256", "ES256K": "secp256k1"}.get(key.jwt_alg, key.jwt_alg), \
            key.key_bytes
    raise ProofError("the DID document names no #atproto signing key")


def pds_endpoint(did_document: Mapping[str, Any]) -> str | None:
    """The author's PDS (the `#atproto_pds` service) from a DID document."""
    did = str(did_document.get("id", ""))
    for service in did_document.get("service") or []:
        if isinstance(service, Mapping) and service.get("id") in ("#atproto_pds",
                                                                  f"{did}#atproto_pds"):
            endpoint = service.get("serviceEndpoint")
            return endpoint.rstrip("/") if isinstance(endpoint, str) else None
    return None


def _verify_signature(key_type: str, key: bytes, data: bytes, signature: bytes) -> bool:
    from atproto_crypto.algs import P256, Secp256k1

    if len(signature) != 64:
        return False
    algorithm = P256() if key_type == "p256" else Secp256k1()
    try:
        return bool(algorithm.verify_signature(key, data, signature))
    except Exception:  # noqa: BLE001 - a high-S or malformed signature does not verify
        return False


def _decode(blocks: Mapping[bytes, bytes], cid: bytes, what: str) -> Any:
    block = blocks.get(cid)
    if block is None:
        raise ProofError(f"the proof lacks the {what} block {cid_text(cid)}")
    return libipld.decode_dag_cbor(block)


def _mst_lookup(blocks: Mapping[bytes, bytes], root: bytes, key: bytes) -> bytes:
    """The value CID stored under `key` in the MST rooted at `root`, walking only the path."""
    node_cid: bytes | None = root
    while node_cid is not None:
        node = _decode(blocks, node_cid, "tree node")
        if not isinstance(node, dict) or not isinstance(node.get("e"), list):
            raise ProofError(f"tree node {cid_text(node_cid)} is not an MST node")
        chosen = node.get("l")
        previous = b""
        for entry in node["e"]:
            full = previous[:int(entry["p"])] + bytes(entry["k"])
            if full == key:
                return bytes(entry["v"])
            if key < full:
                break
            chosen, previous = entry.get("t"), full
        node_cid = bytes(chosen) if chosen is not None else None
    raise ProofError(f"the signed tree does not hold {key.decode('utf-8', 'replace')}")


def check_proof(car: bytes, did_document: bytes, uri: str) -> ProofCheck:
    """Check one post's proof; raises ProofError saying what failed."""
    parts = uri.removeprefix("at://").split("/")
    if not uri.startswith("at://") or len(parts) != 3:
        raise ProofError(f"not a record URI: {uri[:120]}")
    did, collection, rkey = parts
    roots, blocks = read_car(car)
    commit = _decode(blocks, roots[0], "commit")
    if not isinstance(commit, dict) or not isinstance(commit.get("sig"), bytes):
        raise ProofError("the root block is not a signed commit")
    if commit.get("did") != did:
        raise ProofError(f"the commit is {commit.get('did')!r}'s, not {did}'s")
    key_type, key = signing_key(_did_document(did_document, did))
    unsigned = {name: value for name, value in commit.items() if name != "sig"}
    if not _verify_signature(key_type, key, libipld.encode_dag_cbor(unsigned), commit["sig"]):
        raise ProofError("the commit's signature does not verify with the DID document's"
                         " #atproto key")
    data = commit.get("data")
    if not isinstance(data, bytes):
        raise ProofError("the commit has no tree root")
    value = _mst_lookup(blocks, data, f"{collection}/{rkey}".encode())
    record = _decode(blocks, value, "record")
    if not isinstance(record, dict):
        raise ProofError("the record is not an object")
    return ProofCheck(cid_text(value), record, str(commit.get("rev", "")), key_type)
