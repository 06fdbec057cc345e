"""The PDF: real WeasyPrint output parsed with pypdf and poppler (text, pages, embedded fonts)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from pileon.cli import main
from pileon.report.pdf import check_fonts


@pytest.fixture(scope="module")
def pdf_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from report_db import build_report_db

    from pileon.report.keys import KEY_ENV

    base = tmp_path_factory.mktemp("pdf")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, str(base / "key.pem"))
        db = build_report_db(base / "thread.db")
        result = CliRunner().invoke(main, ["report", str(db), "--out", str(base / "report"),
                                           "--pdf", "--lang", "hy", "--tz", "Europe/Paris"])
        assert result.exit_code == 0, result.output
    return base / "report"


def assert_numbered(pdf: Path) -> None:
    """Every page ends with its own "n / N", N the PDF's real page count, exactly once."""
    total = len(PdfReader(pdf).pages)
    for number in range(1, total + 1):
        page = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), "-enc",
                               "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert page.count(f"{number} / {total}") == 1, (number, page[-200:])
        assert f"{number + 1} / {total}" not in page


def pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_pdf_text_round_trips_armenian_azerbaijani_and_cyrillic(pdf_report: Path) -> None:
    pdf = pdf_report / "report.pdf"
    text = pdftotext(pdf)
    assert "Դու դավաճան ես, ամոթ քեզ" in text            # a post in Armenian
    assert "ə ş ğ ı — erməni qrantyeyən" in text          # Azerbaijani letters, ə included
    assert "продажная тварь" in text                      # Cyrillic
    assert "Ապացույցների զեկույց" in text                 # the report's own words, in Armenian
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 10
    first = reader.pages[0].extract_text()
    assert "Ապացույցների զեկույց" in " ".join(first.split())
    # The cover prints the digest that manifest.json signs.
    import json

    digest = json.loads((pdf_report / "manifest.json").read_text())["digest"]["value"]
    assert digest in first.replace("\n", "")


def test_pdf_embeds_a_font_covering_armenian(pdf_report: Path) -> None:
    fonts = subprocess.run(["pdffonts", str(pdf_report / "report.pdf")], capture_output=True,
                           text=True, check=True).stdout
    armenian = [line for line in fonts.splitlines() if "Armenian" in line]
    assert armenian, fonts
    assert all(line.split()[-5] == "yes" for line in armenian)  # the "emb" column


def test_hostile_markup_is_printed_as_text_in_the_pdf(pdf_report: Path) -> None:
    text = pdftotext(pdf_report / "report.pdf")
    assert "<h1>pwned</h1><style>body{display:none}</style>" in text
    assert "U+202E" in text and "\u202e" not in text


def test_fifty_kilobyte_post_is_printed_whole(pdf_report: Path) -> None:
    text = " ".join(pdftotext(pdf_report / "report.pdf").split())
    assert text.count("Ты предатель и продажная тварь.") >= 51200 // 33


def test_pdf_page_renders_to_png(pdf_report: Path, tmp_path: Path) -> None:
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1",
                    str(pdf_report / "report.pdf"), str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_pdf_report_verifies(pdf_report: Path) -> None:
    result = CliRunner().invoke(main, ["verify", str(pdf_report)])
    assert result.exit_code == 0, result.output
    assert "report.pdf" in (pdf_report / "SHA256SUMS").read_text()


def test_missing_armenian_font_names_the_debian_package(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "fonts"
    empty.mkdir()
    config = tmp_path / "fonts.conf"
    config.write_text(f"<?xml version='1.0'?><fontconfig><dir>{empty}</dir>"
                      f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))
    from pileon.errors import ReportError

    with pytest.raises(ReportError, match="fonts-noto-core") as caught:
        check_fonts(["hy", "en"])
    assert "Armenian" in str(caught.value)


def test_missing_font_leaves_no_half_written_folder(report_db: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "fonts.conf"
    (tmp_path / "none").mkdir()
    config.write_text(f"<?xml version='1.0'?><fontconfig><dir>{tmp_path / 'none'}</dir>"
                      f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>")
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))
    out = tmp_path / "out" / "report"
    result = CliRunner().invoke(main, ["report", str(report_db), "--out", str(out), "--pdf"])
    assert result.exit_code == 1 and "install the Debian package fonts-noto-core" in result.output
    assert not out.exists()
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.mark.parametrize("printer", ["chromium", "weasyprint"])
def test_long_report_printed_in_parallel_parts_is_one_whole_pdf(
        report_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, printer: str) -> None:
    import pileon.report.build as build

    monkeypatch.setattr(build, "_PART_BUDGET", 5.0)  # 17 posts: printed in many parts
    monkeypatch.setattr(build, "_CHROMIUM_PART_BUDGET", 5.0)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    # WeasyPrint is the fallback when no Chromium is installed; "none" stands for that here.
    monkeypatch.setenv("PILEON_CHROMIUM", "" if printer == "chromium" else "none")
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["report", str(report_db), "--out", str(out), "--pdf"])
    assert result.exit_code == 0, result.output
    assert f"report.pdf printed with {printer}" in result.output
    text = pdftotext(out / "report.pdf")
    # Cover first, every post once and in order, method and custody last.
    assert text.index("Content warning") < text.index("#1 ·") < text.index("#17 ·") \
        < text.rindex("Appendix: chain of custody")
    # Each post once: in full ("#n ·"), or, for an exact copy of an earlier text, as a row of
    # the copies table under that text.
    assert all(text.count(f"#{n} ·") <= 1 for n in range(1, 18))
    copies = [n for n in range(1, 18) if f"#{n} ·" not in text]
    assert all(re.search(rf"#{n}\s", text) for n in copies)
    assert len(copies) < 17 and ("more post(s) with exactly this text" in text) == bool(copies)
    assert "Դու դավաճան ես, ամոթ քեզ" in text and "ə ş ğ ı" in text
    assert "#1–#" in text  # headers name the posts on each page
    assert_numbered(out / "report.pdf")
    assert CliRunner().invoke(main, ["verify", str(out)]).exit_code == 0
    assert list(tmp_path.glob("pileon-pdf-*")) == []


def test_one_part_pdf_pages_are_numbered_n_of_n(pdf_report: Path) -> None:
    assert_numbered(pdf_report / "report.pdf")


_PRINT_IN_PARTS = """
import sys
from pathlib import Path
from pileon.report.pdf import write_pdf
folder = Path(sys.argv[1])
parts = []
for n in range(2):
    part = folder / f"part-{n}.html"
    part.write_text("<html><body>" + "<p>Sən xainsən, Դու դավաճան ես.</p>" * 40000
                    + "</body></html>", encoding="utf-8")
    parts.append(part)
print("printing", flush=True)
write_pdf(parts, folder / "out.pdf", workers=2)
"""


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines()
                          if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _running(pid: int) -> bool:
    try:  # a zombie waiting for init to reap it is not running
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        children = _children(todo.pop())
        found += children
        todo += children
    return found


@pytest.mark.parametrize("printer", ["weasyprint", "chromium"])
def test_pdf_workers_do_not_outlive_a_killed_parent(tmp_path: Path, printer: str) -> None:
    import os
    import signal
    import sys
    import time

    env = dict(os.environ, PILEON_CHROMIUM="none" if printer == "weasyprint" else "")
    marker = b"spawn_main" if printer == "weasyprint" else b"--type=renderer"
    parent = subprocess.Popen([sys.executable, "-c", _PRINT_IN_PARTS, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True, env=env)
    workers: list[int] = []
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "printing"
        deadline = time.monotonic() + 60
        printers: list[int] = []
        while len(printers) < 2 and time.monotonic() < deadline:  # two parts printing at once
            workers = _descendants(parent.pid)
            printers = [c for c in workers if marker in _cmdline(c)]
            time.sleep(0.2)
        assert len(printers) >= 2, f"the {printer} printers never started"
        time.sleep(1.0)  # let them get into the page
    finally:  # a failed wait above must not leave the printers running
        parent.send_signal(signal.SIGKILL)
    parent.wait()
    if parent.stdout is not None:
        parent.stdout.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_running(w) for w in workers):
        time.sleep(0.2)
    alive = [(w, _cmdline(w)[:80]) for w in workers if _running(w)]
    assert alive == [], f"PDF printers {alive} outlived their killed parent"
    assert not (tmp_path / "out.pdf").exists()
