"""The user's Ed25519 signing key: created on first use, kept outside the database, mode 0600.

Where it lives: $PILEON_SIGNING_KEY (a file path) if set, else $PILEON_HOME/signing_key.pem,
else ~/.config/pileon/signing_key.pem. Tests point $PILEON_SIGNING_KEY at a temporary folder.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pileon.errors import ReportError

__all__ = [
    "HOME_ENV",
    "KEY_ENV",
    "SigningKey",
    "default_key_path",
    "fingerprint",
    "load_or_create_key",
    "public_key_pem",
    "public_key_raw",
]

KEY_ENV = "PILEON_SIGNING_KEY"
HOME_ENV = "PILEON_HOME"


@dataclass(frozen=True, slots=True)
class SigningKey:
    private: Ed25519PrivateKey
    path: Path
    created: bool  # True when this call made the key (the CLI says so once)


def default_key_path() -> Path:
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV]).expanduser()
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser() / "signing_key.pem"
    return Path.home() / ".config" / "pileon" / "signing_key.pem"


def load_or_create_key(path: Path | None = None) -> SigningKey:
    """Read the signing key, or make one (0600, in a 0700 folder) when there is none yet."""
    path = path or default_key_path()
    if not path.exists():
        return SigningKey(_create(path), path, True)
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        raise ReportError("signing key is not a regular file", path=str(path))
    if mode & 0o077:
        raise ReportError("signing key can be read by other users", path=str(path),
                          hint=f"run `chmod 600 {path}`")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ReportError(f"not a readable PEM private key ({exc})", path=str(path),
                          hint=f"move it away and a new key is made, or set ${KEY_ENV}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ReportError("signing key is not an Ed25519 key", path=str(path))
    return SigningKey(key, path, False)


def _create(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise ReportError(f"cannot create the signing key ({exc.strerror})", path=str(path),
                          hint=f"set ${KEY_ENV} to a writable file path") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def public_key_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the 32 raw public-key bytes, hex in groups of four: easy to read aloud."""
    digest = hashlib.sha256(public_key_raw(key)).hexdigest()
    return ":".join(digest[i:i + 4] for i in range(0, 64, 4))
