"""A Bluesky repository built the way a PDS builds one, to serve getRecord proofs from a loopback
fake: DAG-CBOR blocks and CIDs by libipld (the Rust IPLD library, not pileon's code), a Merkle
search tree laid out by key height as the atproto repository spec says, a v3 commit signed with
a real P-256 or secp256k1 key (low-S, 64-byte r||s) and a DID document naming the key.

The records are the real ones a Bluesky AppView returned (tests/collect/payloads.py): their
CIDs, recomputed here from the DAG-CBOR bytes, are the CIDs Bluesky gave them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import libipld
from atproto_crypto.did import format_multikey
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from pileon.collect.bluesky_proof import ipld_from_json

_ORDERS = {"p256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
           "secp256k1": 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141}


def cid_for(block: bytes) -> bytes:
    return bytes([1, 0x71, 0x12, 0x20]) + hashlib.sha256(block).digest()


def _height(key: bytes) -> int:
    """Leading zero bits of SHA-256(key), counted in pairs (the MST fan-out of 4)."""
    digest = hashlib.sha256(key).digest()
    zeros = 0
    for byte in digest:
        if byte == 0:
            zeros += 8
            continue
        zeros += 8 - byte.bit_length()
        break
    return zeros // 2


@dataclass
class Repo:
    did: str
    key_type: str = "secp256k1"
    rev: str = "3mh2b3aaaaaa2"

    def __post_init__(self) -> None:
        curve = ec.SECP256R1() if self.key_type == "p256" else ec.SECP256K1()
        self.private = ec.generate_private_key(curve)
        self.records: dict[str, bytes] = {}  # key -> DAG-CBOR block
        self.blocks: dict[bytes, bytes] = {}

    def put(self, collection: str, rkey: str, record_json: Mapping[str, Any]) -> str:
        """Store a record given in atproto JSON; returns its CID (text)."""
        block = libipld.encode_dag_cbor(ipld_from_json(dict(record_json)))
        self.records[f"{collection}/{rkey}"] = block
        return str(libipld.encode_cid(cid_for(block)))

    # the tree --------------------------------------------------------------------------
    def _store(self, value: Any) -> bytes:
        block = libipld.encode_dag_cbor(value)
        cid = cid_for(block)
        self.blocks[cid] = block
        return cid

    def _node(self, keys: list[bytes], layer: int) -> bytes | None:
        if not keys:
            return None
        here = [i for i, k in enumerate(keys) if _height(k) == layer]
        if layer == 0 and len(here) != len(keys):
            raise AssertionError("a key is higher than the layer it was placed in")
        bounds = [-1, *here, len(keys)]
        subtrees = [self._node(keys[bounds[n] + 1:bounds[n + 1]], layer - 1)
                    for n in range(len(bounds) - 1)]
        entries, previous = [], b""
        for n, index in enumerate(here):
            key = keys[index]
            shared = 0
            while shared < min(len(key), len(previous)) and key[shared] == previous[shared]:
                shared += 1
            entries.append({"p": shared, "k": key[shared:],
                            "v": cid_for(self.records[key.decode()]), "t": subtrees[n + 1]})
            previous = key
        return self._store({"l": subtrees[0], "e": entries})

    def commit(self) -> bytes:
        """Lay out the tree, sign a v3 commit over it; returns the commit's CID."""
        self.blocks = {cid_for(b): b for b in self.records.values()}
        keys = sorted(k.encode() for k in self.records)
        root = self._node(keys, max(_height(k) for k in keys))
        unsigned = {"did": self.did, "version": 3, "data": root, "rev": self.rev, "prev": None}
        der = self.private.sign(libipld.encode_dag_cbor(unsigned), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        order = _ORDERS[self.key_type]
        s = min(s, order - s)  # low-S, as atproto requires
        signed = {**unsigned, "sig": r.to_bytes(32, "big") + s.to_bytes(32, "big")}
        self.commit_cid = self._store(signed)
        return self.commit_cid

    def proof_car(self, collection: str, rkey: str) -> bytes:
        """What com.atproto.sync.getRecord answers: the commit, the path, the record."""
        key = f"{collection}/{rkey}".encode()
        wanted = [self.commit_cid]
        commit = libipld.decode_dag_cbor(self.blocks[self.commit_cid])
        node_cid = commit["data"]
        while node_cid is not None:
            wanted.append(node_cid)
            node = libipld.decode_dag_cbor(self.blocks[node_cid])
            chosen, previous = node["l"], b""
            for entry in node["e"]:
                full = previous[:entry["p"]] + entry["k"]
                if full == key:
                    wanted.append(entry["v"])
                    chosen = None
                    break
                if key < full:
                    break
                chosen, previous = entry["t"], full
            node_cid = chosen
        return car(self.commit_cid, [(c, self.blocks[c]) for c in wanted])

    def did_document(self, pds: str) -> dict[str, Any]:
        public = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        alg = "ES256" if self.key_type == "p256" else "ES256K"
        return {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.did,
            "alsoKnownAs": [f"at://{self.did.rsplit(':', 1)[-1][:8]}.bsky.social"],
            "verificationMethod": [{"id": f"{self.did}#atproto", "type": "Multikey",
                                    "controller": self.did,
                                    "publicKeyMultibase": format_multikey(alg, public)}],
            "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                         "serviceEndpoint": pds}],
        }


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def car(root: bytes, blocks: list[tuple[bytes, bytes]]) -> bytes:
    header = libipld.encode_dag_cbor({"version": 1, "roots": [root]})
    out = bytearray(_varint(len(header)) + header)
    for cid, block in blocks:
        out += _varint(len(cid) + len(block)) + cid + block
    return bytes(out)


__all__ = ["Repo", "car", "cid_for"]
