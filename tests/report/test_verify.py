"""`pileon verify`: OK on a fresh report; a changed byte, an edited manifest, a missing or added
file, or another signer each fail and name the item. Also checked by hand with sha256sum/openssl.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pileon.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), prog_name="pileon")
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from report_db import build_report_db

    from pileon.report.keys import KEY_ENV

    base = tmp_path_factory.mktemp("verify")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, str(base / "key.pem"))
        db = build_report_db(base / "thread.db")
        code, output = run("report", str(db), "--out", str(base / "report"))
        assert code == 0, output
    return base / "report"


@pytest.fixture
def report(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "report"
    shutil.copytree(pristine, copy)
    return copy


def flip_byte(path: Path, at: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_fresh_report_verifies(report: Path) -> None:
    code, output = run("verify", str(report))
    assert code == 0, output
    assert output.startswith("OK ")
    digest = json.loads((report / "manifest.json").read_text())["digest"]["value"]
    assert f"digest {digest}" in output


def test_one_changed_byte_in_a_raw_payload_is_named(report: Path) -> None:
    raw = sorted((report / "raw").iterdir())[0]
    flip_byte(raw)
    code, output = run("verify", str(report))
    assert code == 1
    assert f"FAILED changed: raw/{raw.name}" in output
    assert output.count("FAILED") == 1


def test_one_changed_byte_in_the_page_is_named(report: Path) -> None:
    flip_byte(report / "index.html", at=500)
    code, output = run("verify", str(report))
    assert code == 1 and "FAILED changed: index.html" in output


def test_edited_evidence_list_breaks_the_digest(report: Path) -> None:
    flip_byte(report / "evidence.sha256", at=3)
    code, output = run("verify", str(report))
    assert code == 1
    assert "changed: evidence.sha256" in output and "digest: evidence.sha256" in output


def test_edited_manifest_fails_the_signature(report: Path) -> None:
    manifest = report / "manifest.json"
    body = json.loads(manifest.read_text())
    victim = body["files"][0]
    victim["sha256"] = "0" * 64  # someone "fixes" the manifest to hide a change
    manifest.write_text(json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    code, output = run("verify", str(report))
    assert code == 1
    assert "FAILED signature: manifest.json" in output
    assert f"changed: {victim['path']}" in output


def test_missing_and_added_files_are_named(report: Path) -> None:
    (report / "data" / "report.json").unlink()
    (report / "raw" / "extra.bin").write_bytes(b"planted")
    code, output = run("verify", str(report))
    assert code == 1
    assert "FAILED missing: data/report.json" in output
    assert "FAILED added: raw/extra.bin" in output


def test_a_report_resigned_with_another_key_fails_against_the_trusted_key(
        report: Path, signing_key: Path, tmp_path: Path) -> None:
    # The user's real key: keep its public half as the one they trust.
    from pileon.report.keys import load_or_create_key, public_key_pem

    trusted = tmp_path / "trusted.pem"
    original = serialization.load_pem_public_key((report / "public_key.pem").read_bytes())
    trusted.write_bytes(original.public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo))
    assert run("verify", str(report), "--key", str(trusted))[0] == 0
    # A forger swaps in their own key and signature: self-consistent, but not the trusted key.
    forger = Ed25519PrivateKey.generate()
    (report / "public_key.pem").write_bytes(public_key_pem(forger.public_key()))
    (report / "manifest.sig").write_bytes(forger.sign((report / "manifest.json").read_bytes()))
    code, output = run("verify", str(report), "--key", str(trusted))
    assert code == 1 and "not by the key you trust" in output
    assert load_or_create_key().path == signing_key


def test_not_a_report_folder_is_a_clear_error(tmp_path: Path) -> None:
    code, output = run("verify", str(tmp_path))
    assert code == 1 and "no manifest.json" in output and "Traceback" not in output


def test_verifiable_by_hand_with_sha256sum_and_openssl(report: Path) -> None:
    """What docs/report.md tells a lawyer to type, without pileon."""
    sums = subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=report,
                          capture_output=True, text=True)
    assert sums.returncode == 0, sums.stdout + sums.stderr
    evidence = subprocess.run(["sha256sum", "--check", "--quiet", "evidence.sha256"],
                              cwd=report, capture_output=True, text=True)
    assert evidence.returncode == 0
    digest = subprocess.run(["sha256sum", "evidence.sha256"], cwd=report, capture_output=True,
                            text=True).stdout.split()[0]
    assert digest == json.loads((report / "manifest.json").read_text())["digest"]["value"]
    signature = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "public_key.pem", "-rawin",
         "-in", "manifest.json", "-sigfile", "manifest.sig"], cwd=report, capture_output=True,
        text=True)
    assert signature.returncode == 0 and "Signature Verified Successfully" in signature.stdout
    flip_byte(report / "manifest.json", at=40)
    again = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "public_key.pem", "-rawin",
         "-in", "manifest.json", "-sigfile", "manifest.sig"], cwd=report, capture_output=True,
        text=True)
    assert again.returncode != 0


def test_manifest_naming_files_outside_the_folder_is_refused(report: Path, tmp_path: Path) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_text("not part of the report")
    manifest = report / "manifest.json"
    body = json.loads(manifest.read_text())
    body["files"].append({"path": "../outside.txt", "sha256": "0" * 64, "bytes": 1})
    manifest.write_text(json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    code, output = run("verify", str(report))
    assert code == 1
    assert "FAILED unreadable: ../outside.txt" in output
    assert "FAILED signature: manifest.json" in output


def test_an_added_empty_folder_is_named(report: Path) -> None:
    (report / "raw" / "planted").mkdir()
    code, output = run("verify", str(report))
    assert code == 1 and "FAILED added: raw/planted/" in output


@pytest.mark.parametrize("body", ["[1, 2, 3]", '"a string"', "null",
                                  '{"format": "pileon-report-manifest/1", "public_key": "x"}',
                                  '{"format": "pileon-report-manifest/1",'
                                  ' "public_key": {"raw_hex": 7}}'])
def test_a_manifest_of_the_wrong_shape_is_named_not_a_traceback(report: Path, body: str) -> None:
    (report / "manifest.json").write_text(body + "\n")
    code, output = run("verify", str(report))
    assert code == 1 and "Traceback" not in output
    assert "FAILED unreadable: manifest.json" in output
    assert "FAILED signature: manifest.json" in output


def test_a_manifest_swapped_in_from_another_report_is_named(report: Path,
                                                           pristine: Path) -> None:
    other = report.parent / "other"
    shutil.copytree(report, other)
    (other / "data" / "report.json").write_text("{}\n")  # a different report, re-signed below
    body = json.loads((report / "manifest.json").read_text())
    for entry in body["files"]:
        if entry["path"] == "data/report.json":
            entry["sha256"] = "f" * 64
    (report / "manifest.json").write_text(json.dumps(body, indent=1, sort_keys=True) + "\n")
    code, output = run("verify", str(report))
    assert code == 1 and "FAILED signature: manifest.json" in output
    assert "FAILED changed: data/report.json" in output
