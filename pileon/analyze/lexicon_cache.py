"""A disk cache of the built lexicons, so a process (a pool worker, a Dask worker) loads them in
about a second instead of building 70,000 patterns' automata.

The cache file is keyed by a hash of every bundled lexicon file and of the code that builds and
matches them (lexicon.py, normalize.py, this file, the Python and pyahocorasick versions): when
any of them changes the key changes and the lexicons are built again. The payload carries its own
SHA-256, so a truncated or corrupt file is rebuilt, never used. Where: `$PILEON_CACHE_DIR`, else
`$XDG_CACHE_HOME/pileon`, else `~/.cache/pileon` (a 0700 folder: the file is a pickle, so it
is only read from the user's own cache folder). `PILEON_CACHE_DIR=off` turns the cache off; a
folder that cannot be written only means the lexicons are built each time.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from importlib import metadata
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

__all__ = ["cache_dir", "cached", "gc_paused", "lexicon_key"]

_MAGIC = b"pileon-lexicons-1\n"
_PREFIX = "lexicons-"


def cache_dir() -> Path | None:
    """The folder of the cache file, or None when the cache is turned off."""
    configured = os.environ.get("PILEON_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "none") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pileon"


def _files(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, bytes]]:
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        name = prefix + item.name
        if item.is_dir():
            yield from _files(item, name + "/")
        elif item.is_file():
            yield name, item.read_bytes()


def lexicon_key(folder: Traversable) -> str:
    """Hash of the lexicon files under `folder` and of the code that builds them."""
    digest = hashlib.sha256(_MAGIC)
    here = Path(__file__).parent
    code = [here / "lexicon.py", here / "normalize.py", Path(__file__)]
    try:
        aho = metadata.version("pyahocorasick")
    except metadata.PackageNotFoundError:
        aho = "?"
    digest.update(f"{sys.version}|{aho}|{pickle.HIGHEST_PROTOCOL}".encode())
    for path in code:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name, data in _files(folder):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()[:32]


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while hundreds of thousands of objects are made (they are
    all kept; the collector would only walk them again and again: ~2x the build time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read(path: Path) -> Any:
    blob = path.read_bytes()
    if not blob.startswith(_MAGIC):
        raise ValueError("not a lexicon cache file")
    checksum, payload = blob[len(_MAGIC):len(_MAGIC) + 32], blob[len(_MAGIC) + 32:]
    if hashlib.sha256(payload).digest() != checksum:
        raise ValueError("checksum mismatch")
    with gc_paused():
        return pickle.loads(payload)  # noqa: S301 - our own file, checked, in a 0700 folder


def _write(folder: Path, path: Path, value: Any) -> None:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-" + _PREFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)  # atomic: a reader sees the old file or the whole new one
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    for stale in folder.glob(_PREFIX + "*.pickle"):
        if stale != path:
            with suppress(OSError):
                stale.unlink()


def cached(key: str, build: Callable[[], Any], valid: Callable[[Any], bool]) -> Any:
    """The value stored under `key`, or `build()` (then stored) when there is none, it is
    stale, corrupt or fails `valid`."""
    folder = cache_dir()
    path = folder / f"{_PREFIX}{key}.pickle" if folder is not None else None
    if path is not None and path.is_file():
        try:
            value = _read(path)
            if valid(value):
                return value
        except Exception:  # noqa: BLE001 - any unreadable cache is rebuilt, never fatal
            pass
    with gc_paused():
        value = build()
    if folder is not None and path is not None:
        with suppress(OSError, pickle.PicklingError):
            _write(folder, path, value)
    return value
