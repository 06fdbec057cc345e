"""The signing key: made once on first use with 0600, reused after, refused when others can read it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pileon.errors import ReportError
from pileon.report.keys import HOME_ENV, KEY_ENV, default_key_path, load_or_create_key


def test_key_is_created_once_private_and_reused(signing_key: Path) -> None:
    first = load_or_create_key()
    assert first.created and first.path == signing_key
    assert stat.S_IMODE(signing_key.stat().st_mode) == 0o600
    again = load_or_create_key()
    assert not again.created
    assert again.private.public_key().public_bytes_raw() == \
        first.private.public_key().public_bytes_raw()


def test_key_readable_by_others_is_refused(signing_key: Path) -> None:
    load_or_create_key()
    signing_key.chmod(0o644)
    with pytest.raises(ReportError, match="chmod 600"):
        load_or_create_key()


def test_damaged_key_is_a_clear_error(signing_key: Path) -> None:
    signing_key.write_text("not a key")
    signing_key.chmod(0o600)
    with pytest.raises(ReportError, match="not a readable PEM private key"):
        load_or_create_key()


def test_key_location_follows_the_environment(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    assert default_key_path() == tmp_path / "home" / "signing_key.pem"
    monkeypatch.delenv(HOME_ENV)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_key_path() == tmp_path / ".config" / "pileon" / "signing_key.pem"
    created = load_or_create_key()
    assert created.path.is_file() and stat.S_IMODE(created.path.parent.stat().st_mode) == 0o700
