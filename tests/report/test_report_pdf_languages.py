"""The PDF in every report language, checked as a reader would see it: pages rendered to
pixels by poppler (pdftoppm), fonts listed by pdffonts, text read back by pdftotext.

The expected words are not written here: they come from the report's own catalogs
(pileon/report/locales/*.toml) and from the posts the report itself exported
(data/posts.jsonl), so the check is of the printer, not of strings copied into the test.
"""

from __future__ import annotations

import json
import subprocess
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from pileon.cli import main
from pileon.report.locale import load_catalog

LANGS = ("en", "fr", "az", "hy", "ru")
#: The script each report language's own words are written in (Unicode character names).
SCRIPT = {"en": "LATIN", "fr": "LATIN", "az": "LATIN", "hy": "ARMENIAN", "ru": "CYRILLIC"}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from report_db import build_report_db

    from pileon.report.keys import KEY_ENV

    base = tmp_path_factory.mktemp("langs")
    out = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEY_ENV, str(base / "key.pem"))
        db = build_report_db(base / "thread.db")
        for lang in LANGS:
            folder = base / f"report-{lang}"
            result = CliRunner().invoke(main, ["report", str(db), "--out", str(folder),
                                               "--pdf", "--lang", lang, "--tz", "UTC"])
            assert result.exit_code == 0, result.output
            out[lang] = folder
    return out


def _text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    pages = [] if first is None else ["-f", str(first), "-l", str(last or first)]
    return subprocess.run(["pdftotext", "-enc", "UTF-8", *pages, str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def _grey_pixels(pdf: Path, page: int, folder: Path) -> tuple[int, int, bytes]:
    """Page `page` rendered by pdftoppm as an 8-bit greyscale PGM: (width, height, pixels)."""
    stem = folder / f"page-{page}"
    subprocess.run(["pdftoppm", "-r", "40", "-gray", "-f", str(page), "-l", str(page),
                    "-singlefile", str(pdf), str(stem)], check=True)
    data = stem.with_suffix(".pgm").read_bytes()
    magic, width, height, maxval, pixels = data.split(maxsplit=4)
    assert magic == b"P5" and maxval == b"255"
    return int(width), int(height), pixels


def _script_letters(text: str, script: str) -> int:
    return sum(1 for ch in text if ch.isalpha() and script in unicodedata.name(ch, ""))


@pytest.mark.parametrize("lang", LANGS)
def test_pdf_in_each_language_shows_its_script_page_numbers_and_ink(
        reports: dict[str, Path], lang: str, tmp_path: Path) -> None:
    folder = reports[lang]
    pdf = folder / "report.pdf"
    catalog = load_catalog(lang)
    total = len(PdfReader(pdf).pages)
    cover = " ".join(_text(pdf, 1).split())
    # The report's own words, in its language and script, on the cover.
    assert catalog("title") in cover
    assert _script_letters(cover, SCRIPT[lang]) > 40, cover[:300]
    assert f"1 / {total}" in cover
    # Every post in Armenian, Azerbaijani or Russian that the report exported is printed with
    # its own letters (a missing font would drop or box them). An exact copy of an earlier
    # text, case aside, is printed once, its copies as rows under it: compare casefolded.
    text = " ".join(_text(pdf).split()).casefold()
    posts = [json.loads(line) for line in
             (folder / "data" / "posts.jsonl").read_text(encoding="utf-8").splitlines()]
    by_script = {"hy": "ARMENIAN", "ru": "CYRILLIC", "az": "LATIN"}
    checked = 0
    for post in posts:
        if post["lang"] in by_script and 0 < len(post["text"]) < 300 \
                and _script_letters(post["text"], by_script[post["lang"]]) > 5:
            words = " ".join(post["text"].split())[:60].casefold()
            assert words in text, (post["lang"], words)
            checked += 1
    assert checked >= 3
    # Every font is embedded, and the Armenian one is among them.
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts
    assert any("Armenian" in line for line in fonts), fonts
    # The cover as pixels: neither blank nor a solid block.
    width, height, pixels = _grey_pixels(pdf, 1, tmp_path)
    assert len(pixels) == width * height
    ink = sum(1 for value in pixels if value < 128) / len(pixels)
    assert 0.01 < ink < 0.5, ink


def test_printer_is_named_in_manifest_and_custody_log(reports: dict[str, Path]) -> None:
    manifest = json.loads((reports["en"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pdf_printer"] in ("chromium", "weasyprint")
    # The next report's custody log holds this one's "report" line, with the printer.
    summary = json.loads((reports["ru"] / "data" / "report.json").read_text(encoding="utf-8"))
    reports_logged = [c for c in summary["custody_log"] if c["action"] == "report"]
    assert reports_logged and all(
        json.loads(c["details"]).get("pdf_engine") == manifest["pdf_printer"]
        if isinstance(c["details"], str) else c["details"].get("pdf_engine")
        == manifest["pdf_printer"] for c in reports_logged)
