"""A fresh one-time link on request: `pileon serve DB --new-link` asks the running server (a
real process on loopback) for one, for the author or a helper, without restarting it; nobody
without the server's control secret (or any browser) can; and the "used link" pages speak the
browser's language."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from triaged_db import triaged
from webclient import Client

from pileon.web.security import CONTROL_PATH
from pileon.web.serve import control_file

LINK = re.compile(r"http://127\.0\.0\.1:(\d+)/\?token=\S+")
PILEON = [sys.executable, "-c", "from pileon.cli import main; main()"]


def _serve(db: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([*PILEON, "serve", str(db), "--port", "0", "--no-browser"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        found = LINK.search(line)
        if found:
            while not control_file(db).exists() and time.monotonic() < deadline:
                time.sleep(0.05)  # written just before uvicorn starts serving
            return process, found.group(0)
    process.kill()
    raise AssertionError("no link printed")


def _new_link(db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PILEON, "serve", str(db), "--new-link", *extra],
                          capture_output=True, text=True, timeout=60)


def _opens(link: str) -> httpx.Response:
    with httpx.Client(follow_redirects=True) as client:  # a real socket on loopback
        return client.get(link)


def test_new_link_comes_from_the_running_server_for_the_author_and_a_helper(
        tmp_path: Path) -> None:
    db = triaged(tmp_path / "t.db")
    process, first = _serve(db)
    try:
        port = LINK.search(first).group(1)  # type: ignore[union-attr]
        assert _opens(first).status_code == 200
        assert _opens(first).status_code == 403  # one-time: the printed link is spent
        done = _new_link(db)
        assert done.returncode == 0, done.stderr
        fresh = done.stdout.strip()
        assert LINK.fullmatch(fresh) and fresh != first and f":{port}/" in fresh
        page = _opens(fresh)
        assert page.status_code == 200 and "What people said to you" in page.text
        assert _opens(fresh).status_code == 403  # and the new one works once too
        helper = _new_link(db, "--helper", "Ana")
        assert helper.returncode == 0, helper.stderr
        assert "helper Ana" in helper.stderr
        seen = _opens(helper.stdout.strip())
        assert seen.status_code == 200 and str(seen.url).endswith("/folder/review")
        assert "trusted helper (Ana)" in seen.text
        secret = json.loads(control_file(db).read_text())["secret"]
        assert os.stat(control_file(db)).st_mode & 0o077 == 0  # only the user can read it
        base = f"http://127.0.0.1:{port}"
        with httpx.Client() as client:
            assert client.post(base + CONTROL_PATH).status_code == 403  # no secret
            assert client.post(base + CONTROL_PATH,
                               headers={"x-pileon-control": "guess"}).status_code == 403
            # a page on any site (even this one) sends Origin: a browser never gets a link
            assert client.post(base + CONTROL_PATH, headers={
                "x-pileon-control": secret, "origin": base}).status_code == 403
            assert client.get(base + CONTROL_PATH,
                              headers={"x-pileon-control": secret}).status_code == 403
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()
    assert not control_file(db).exists()  # a stopped server leaves nothing behind


def test_without_a_running_server_new_link_says_so(tmp_path: Path) -> None:
    db = triaged(tmp_path / "t.db")
    done = _new_link(db)
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.startswith("Error: no review UI is running for"), done.stderr
    assert "Traceback" not in done.stderr
    process, _first = _serve(db)
    process.send_signal(signal.SIGKILL)  # killed: its control file stays, stale
    process.wait(timeout=10)
    assert process.stderr is not None
    process.stderr.close()
    assert control_file(db).exists()
    stale = _new_link(db)
    assert stale.returncode != 0 and "it stopped" in stale.stderr, stale.stderr
    assert not control_file(db).exists()  # cleaned up for the next server


def test_link_pages_speak_the_browsers_language(ui_db: Path) -> None:
    client = Client(ui_db)
    token = client.sessions.issue()
    assert client.get(f"/?token={token}").status_code == 303
    client.cookies = httpx.Cookies()  # another browser: no session, only the spent link
    again = client
    for header, words, lang in (("ru-RU,ru;q=0.9", "Эта ссылка уже использована", "ru"),
                                ("fr", "Ce lien a déjà servi", "fr"),
                                ("hy", "Այս հղումն արդեն օգտագործվել է", "hy"),
                                ("az", "Bu keçiddən artıq istifadə olunub", "az"),
                                ("en-GB", "This link has already been used", "en")):
        page = again.get(f"/?token={token}", headers={"accept-language": header})
        assert page.status_code == 403 and words in page.text, (header, page.text)
        assert f'<html lang="{lang}">' in page.text
        assert "<code>pileon serve DB --new-link</code>" in page.text
    bad = again.get("/?token=nope", headers={"accept-language": "ru"})
    assert bad.status_code == 403 and "Эта ссылка недействительна" in bad.text
