"""Well-formed platform identifiers for invented posts and accounts.

X snowflakes, Mastodon ids, Bluesky DIDs, TIDs and CIDs all carry their time where the real
ones do, so an id read back gives the same time as the payload's timestamp.
"""

from __future__ import annotations

import base64
import hashlib

__all__ = [
    "X_EPOCH_MS",
    "bluesky_cid",
    "bluesky_did",
    "bluesky_tid",
    "mastodon_id",
    "opaque_token",
    "stable_int",
    "x_snowflake",
]

X_EPOCH_MS = 1288834974657
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def stable_int(*parts: object) -> int:
    """A 64-bit integer derived from the parts; the same on every machine and run."""
    key = "|".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def x_snowflake(epoch_ms: int, unique: int) -> str:
    """X id: ms since the X epoch in the high bits, a per-run unique number in the low 22."""
    return str(((epoch_ms - X_EPOCH_MS) << 22) | (unique & 0x3FFFFF))


def mastodon_id(epoch_ms: int, unique: int) -> str:
    """Mastodon id: 48-bit ms timestamp shifted by 16, a 16-bit sequence below."""
    return str((epoch_ms << 16) | (unique & 0xFFFF))


def bluesky_tid(epoch_us: int, clock_id: int) -> str:
    """Record key: 53-bit µs timestamp and 10-bit clock id in 13 sortable base32 chars."""
    value = (epoch_us << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def _base32(data: bytes) -> str:
    return base64.b32encode(data).decode().lower().rstrip("=")


def bluesky_did(*parts: object) -> str:
    key = "|".join(str(part) for part in parts).encode()
    return "did:plc:" + _base32(hashlib.sha256(key).digest())[:24]


def bluesky_cid(content: bytes, *, blob: bool = False) -> str:
    """CIDv1, base32: dag-cbor (`bafyrei…`) for records, raw (`bafkrei…`) for blobs.

    The digest is taken over the bytes given (our JSON), not over a dag-cbor encoding, so the
    CID is well-formed but a verifier cannot recompute it from the record.
    """
    codec = 0x55 if blob else 0x71
    return "b" + _base32(bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(content).digest())


def opaque_token(*parts: object, length: int = 40) -> str:
    """A pagination token that looks like the platform's and means nothing."""
    key = "|".join(str(part) for part in parts).encode()
    return _base32(hashlib.sha256(key).digest()).replace("=", "")[:length]
