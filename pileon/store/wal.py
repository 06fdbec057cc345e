"""Reading a WAL-mode database whose -wal cannot be opened the normal way.

SQLite needs a -shm file beside a WAL database to read its -wal. On a read-only folder with no
-shm (a copy of a crashed or still-open database, a read-only mount), SQLite can only open the
main file as "immutable", which ignores the -wal: every change not yet checkpointed would be
missing, silently. `committed_image` instead rebuilds, in memory, the database as the last
committed transaction left it: the main file with every page of each valid, committed WAL frame
written over it (the checks are SQLite's own: header magic and checksum, the salts of every
frame, the running checksum, and only frames up to the last commit frame count).

The WAL format: https://www.sqlite.org/fileformat2.html#walformat
"""

from __future__ import annotations

import struct
from pathlib import Path

_MAGIC = (0x377F0682, 0x377F0683)  # the low bit says the checksums are big-endian
_HEADER = 32
_FRAME_HEADER = 24


def _checksum(data: bytes, s1: int, s2: int, order: str) -> tuple[int, int]:
    words = struct.unpack(f"{order}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s1 = (s1 + words[i] + s2) & 0xFFFFFFFF
        s2 = (s2 + words[i + 1] + s1) & 0xFFFFFFFF
    return s1, s2


def has_frames(wal: Path) -> bool:
    """True when `wal` exists and holds at least one frame (a header alone adds nothing)."""
    try:
        return wal.stat().st_size > _HEADER
    except OSError:
        return False


def committed_image(db: Path, wal: Path) -> bytes:
    """The bytes of `db` with the committed content of `wal` applied (as SQLite would read it)."""
    image = bytearray(db.read_bytes())
    data = wal.read_bytes()
    if len(data) < _HEADER:
        return bytes(image)
    magic, _version, page_size, _seq, salt1, salt2, c1, c2 = struct.unpack(">8I", data[:_HEADER])
    if magic not in _MAGIC or page_size < 512 or page_size & (page_size - 1):
        return bytes(image)  # not a valid WAL: SQLite ignores it too
    order = ">" if magic & 1 else "<"
    s1, s2 = _checksum(data[:24], 0, 0, order)
    if (s1, s2) != (c1, c2):
        return bytes(image)
    frame = _FRAME_HEADER + page_size
    pending: dict[int, int] = {}
    committed: dict[int, int] = {}
    pages_after: int | None = None
    offset = _HEADER
    while offset + frame <= len(data):
        pgno, size_after, f1, f2, fc1, fc2 = struct.unpack(
            ">6I", data[offset:offset + _FRAME_HEADER])
        if (f1, f2) != (salt1, salt2) or pgno == 0:
            break  # a frame of an older generation of the WAL, or garbage: the log ends here
        s1, s2 = _checksum(data[offset:offset + 8], s1, s2, order)
        s1, s2 = _checksum(data[offset + _FRAME_HEADER:offset + frame], s1, s2, order)
        if (s1, s2) != (fc1, fc2):
            break  # a torn write
        pending[pgno] = offset + _FRAME_HEADER
        if size_after:  # a commit frame: everything up to here is committed
            committed.update(pending)
            pending.clear()
            pages_after = size_after
        offset += frame
    if pages_after is None:
        return bytes(image)
    if image and len(image) % page_size:
        raise ValueError("the database file and its -wal disagree on the page size")
    size = pages_after * page_size
    if len(image) < size:
        image.extend(bytes(size - len(image)))
    del image[size:]
    for pgno, start in committed.items():
        if pgno <= pages_after:
            image[(pgno - 1) * page_size:pgno * page_size] = data[start:start + page_size]
    # Bytes 18-19 say "WAL mode"; an in-memory copy has no WAL, so mark it a rollback database.
    if len(image) >= 20:
        image[18] = image[19] = 1
    return bytes(image)
