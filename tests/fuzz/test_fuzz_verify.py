"""Fuzzing `pileon verify` (issue 19): a real report folder, then a tampered manifest (hostile
values in the real one, random bytes, deep nesting), files replaced by random bytes, a foreign
key or signature, files and folders added under hostile names. Whatever was done: one clear
answer (OK, FAILED lines, or one `Error:` line), exit 0 or 1, nothing printed raw that could
drive the terminal, and a tampered folder is never called OK."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from pileon.cli import main
from pileon.report.keys import KEY_ENV

from .hostile import JSON, TEXT, deep, dumps, mutated
from .profile import FUZZ

sys.path.insert(0, str(Path(__file__).parent.parent / "report"))
from report_db import build_report_db  # noqa: E402

#: What a terminal must never receive raw: C0/C1 controls but tab and newline, DEL, bidi.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
NAME_BYTES = st.binary(min_size=1, max_size=30).filter(
    lambda b: b"/" not in b and b"\x00" not in b and b not in (b".", b".."))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("verify-fuzz")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, str(work / "key.pem"))
        db = build_report_db(work / "thread.db")
        out = work / "report"
        result = CliRunner().invoke(main, ["report", str(db), "--out", str(out), "-q"])
        assert result.exit_code == 0, result.output
    yield out


def _verify(folder: Path) -> tuple[int, str]:
    """Exit code and everything printed, for the text and the JSON answer; checked for both."""
    outputs = []
    codes = set()
    for extra in ([], ["--json"]):
        result = CliRunner().invoke(main, ["verify", str(folder), *extra])
        printed = result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), printed
        assert result.exit_code in (0, 1), printed
        assert "Traceback" not in printed and "this is a bug in pileon" not in printed, printed
        assert not RAW_CONTROL.search(printed), printed
        printed.encode("utf-8")  # no lone surrogate reached the terminal
        if extra and "Error:" not in printed:
            answer = json.loads(result.stdout)
            assert answer["ok"] == (result.exit_code == 0)
        codes.add(result.exit_code)
        outputs.append(printed)
    assert len(codes) == 1, outputs
    return codes.pop(), "\n".join(outputs)


def _copy(report: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="pileon-verify-fuzz-")) / "report"
    shutil.copytree(report, folder)
    return folder


def test_the_untouched_report_is_ok(report: Path) -> None:
    code, printed = _verify(report)
    assert code == 0 and printed.startswith("OK ")


MANIFEST_VALUE = st.one_of(
    st.just(b""),
    st.binary(max_size=300),
    JSON.map(lambda v: dumps(v).encode()),
    st.integers(1, 5000).map(lambda n: ("[" * n + "]" * n).encode()),
    st.integers(1, 900).map(lambda n: dumps(deep(n)).encode()),
)


@FUZZ
@given(data=st.data())
def test_a_tampered_manifest(report: Path, data: st.DataObject) -> None:
    folder = _copy(report)
    try:
        manifest = folder / "manifest.json"
        if data.draw(st.booleans(), label="mutate the real manifest"):
            try:
                body = dumps(data.draw(mutated(json.loads(manifest.read_bytes())))).encode(
                    "utf-8", "surrogatepass")
            except (RecursionError, ValueError):
                return
        else:
            body = data.draw(MANIFEST_VALUE, label="manifest bytes")
        changed = body != manifest.read_bytes()
        manifest.write_bytes(body)
        code, _ = _verify(folder)
        assert code == 1 or not changed  # a changed manifest breaks its signature
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


@FUZZ
@given(what=st.sampled_from(["replace", "delete", "add-file", "add-folder", "key",
                             "signature"]),
       pick=st.integers(0, 10_000), place=st.integers(0, 10_000), content=st.binary(max_size=200),
       name=NAME_BYTES, text_name=TEXT, use_text=st.booleans())
def test_a_tampered_folder(report: Path, what: str, pick: int, place: int, content: bytes,
                           name: bytes, text_name: str, use_text: bool) -> None:
    # Every choice is drawn up front: what the folder holds never changes what is drawn.
    folder = _copy(report)
    try:
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        target = files[pick % len(files)]
        tampered = True
        if what == "replace":
            tampered = target.read_bytes() != content
            target.write_bytes(content)
        elif what == "delete":
            target.unlink()
        elif what in ("add-file", "add-folder"):
            places = [folder, *sorted(p for p in folder.rglob("*") if p.is_dir())]
            where = places[place % len(places)]
            try:
                fs_name = os.fsencode(text_name) if text_name and use_text else name
            except UnicodeEncodeError:
                fs_name = name
            if b"/" in fs_name or b"\x00" in fs_name or fs_name in (b".", b".."):
                fs_name = name
            path = Path(os.fsdecode(os.path.join(os.fsencode(where), fs_name)))
            try:
                if os.path.lexists(path):
                    return
                if what == "add-file":
                    path.write_bytes(content)
                else:
                    path.mkdir()
            except OSError:  # a name too long for the file system
                return
        elif what == "key":
            (folder / "public_key.pem").write_bytes(content)
        else:
            (folder / "manifest.sig").write_bytes(content)
        code, _ = _verify(folder)
        assert code == 1 or not tampered
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


def test_a_forged_file_name_cannot_drive_the_terminal(report: Path) -> None:
    folder = _copy(report)
    try:
        (folder / "\x1b]0;owned\x07\u202egnp.exe").write_bytes(b"x")
        (folder / os.fsdecode(b"raw\xff")).write_bytes(b"x")  # not UTF-8: a lone surrogate
        code, printed = _verify(folder)
        assert code == 1
        assert "FAILED added: \\u001b]0;owned\\u0007\\u202egnp.exe" in printed
        assert "FAILED added: raw\\udcff" in printed
        nested = folder / "manifest.json"
        nested.write_bytes(b"[" * 100_000 + b"]" * 100_000)
        code, printed = _verify(folder)
        assert code == 1 and "not a valid manifest (nested too deeply)" in printed
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)
