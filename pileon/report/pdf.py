"""The PDF: headless Chromium (chromium_pdf.py) or, when it is absent, WeasyPrint prints the
report's HTML (its print stylesheet), fonts checked first.

A long report comes as several HTML parts printed in parallel (browser contexts, or worker
processes for WeasyPrint, which uses one core) and joined with pypdf; the joined PDF then gets
its page numbers ("n / N") stamped on, since no part knows the pages before it. The printers
die with their parent (Playwright's driver, pileon.worker_pool), so a killed `pileon report`
leaves none running.

A PDF whose Armenian or Azerbaijani letters fell back to empty boxes would be useless as
evidence, so a missing font is an error naming the Debian package to install.
"""

from __future__ import annotations

import html
import multiprocessing
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pileon.errors import ReportError
from pileon.report.chromium_pdf import chromium_executable, print_with_chromium
from pileon.worker_pool import worker_pool

__all__ = ["FONT_PACKAGES", "check_fonts", "pdf_engine", "write_pdf"]

#: Language -> (fontconfig language tag, what the PDF needs, Debian package that provides it).
FONT_PACKAGES: dict[str, tuple[str, str, str]] = {
    "hy": ("hy", "Armenian", "fonts-noto-core"),
    "az": ("az-az", "Azerbaijani (ə)", "fonts-noto-core"),
    "ru": ("ru", "Cyrillic", "fonts-noto-core"),
}
_WEASYPRINT_LIBS = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"


def check_fonts(langs: Iterable[str]) -> None:
    """Fail with the Debian package to install when no font covers a language of the report."""
    wanted = sorted({lang for lang in langs if lang in FONT_PACKAGES})
    if not wanted:
        return
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise ReportError("fc-list not found: cannot check the fonts for the PDF",
                          hint="install the Debian package fontconfig")
    for lang in wanted:
        tag, script, package = FONT_PACKAGES[lang]
        found = subprocess.run([fc_list, f":lang={tag}", "family"], capture_output=True,
                               text=True, check=False).stdout.strip()
        if not found:
            raise ReportError(f"no installed font covers {script}, needed by this PDF",
                              hint=f"install the Debian package {package}"
                                   f" (sudo apt-get install {package})")


def pdf_engine() -> tuple[str, str | None]:
    """Which printer a PDF gets: ("chromium", its executable) when headless Chromium and
    Playwright are installed (set PILEON_CHROMIUM=none to refuse it), else ("weasyprint", None)."""
    executable = chromium_executable()
    return ("chromium", executable) if executable else ("weasyprint", None)


def write_pdf(html_paths: Sequence[Path], pdf_path: Path, workers: int = 1,
              engine: tuple[str, str | None] | None = None) -> str:
    """Print the HTML part(s) to one PDF and return the printer's name ("chromium" or
    "weasyprint"); several parts are printed `workers` at a time, then joined in order and
    numbered "n / N" (a part cannot know the pages before it)."""
    name, executable = engine or pdf_engine()
    if name == "chromium" and executable:
        _write_with_chromium(executable, html_paths, pdf_path, workers)
        return name
    _write_with_weasyprint(html_paths, pdf_path, workers)
    return "weasyprint"


def _write_with_chromium(executable: str, html_paths: Sequence[Path], pdf_path: Path,
                         workers: int) -> None:
    from pypdf import PdfReader, PdfWriter

    pdfs = [path.with_suffix(".pdf") for path in html_paths]
    scratch = html_paths[0].parent

    def numbers_html(parts: Sequence[Path]) -> Path:
        headers = [header for part in parts for header in _page_headers(part)]
        target = scratch / "numbers.html"
        target.write_text(_numbers_page(headers), encoding="utf-8")
        return target

    overlay = print_with_chromium(executable, list(zip(html_paths, pdfs, strict=True)),
                                  workers, numbers_html)
    writer = PdfWriter()
    for part in pdfs:
        writer.append(str(part))
        part.unlink()  # the parts hold the shielded text; the joined PDF is enough from here
    _stamp(writer, PdfReader(overlay))
    with pdf_path.open("wb") as handle:
        writer.write(handle)


#: A post's head as pdftotext gives it: "#12 · Reply · …" at the start of a line.
_POST_HEAD = re.compile(r"^#(\d+) ·", re.MULTILINE)


def _page_headers(pdf: Path) -> list[str]:
    """Per page of a printed part, the posts it shows ("#12–#18"), as WeasyPrint's running
    header has them; Chromium has no `string-set`, so they are read back with pdftotext."""
    from pypdf import PdfReader

    pages = len(PdfReader(pdf).pages)
    tool = shutil.which("pdftotext")
    if tool is None:
        return [""] * pages
    text = subprocess.run([tool, "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=False).stdout.split("\f")
    headers = []
    for number in range(pages):
        found = _POST_HEAD.findall(text[number]) if number < len(text) else []
        headers.append("" if not found else f"#{found[0]}" if len(found) == 1
                       else f"#{found[0]}–#{found[-1]}")
    return headers


#: One A4 sheet per page: the post range top right, "n / N" bottom right, where report.css
#: puts them when WeasyPrint prints a one-part report.
_CHROMIUM_NUMBERS_CSS = """@page { size: A4; margin: 0; }
html, body { margin: 0; padding: 0; }
.sheet { position: relative; height: 296mm; break-after: page; overflow: hidden; }
.sheet:last-child { break-after: auto; }
span { position: absolute; right: 15mm; font: 8pt "Noto Sans", "DejaVu Sans", sans-serif;
       color: #6a707a; white-space: pre; word-spacing: 0.15em; }
.n { bottom: 7mm; } .h { top: 6.5mm; }"""


def _numbers_page(headers: Sequence[str]) -> str:
    total = len(headers)
    sheets = "".join(f'<div class="sheet"><span class="h">{html.escape(header)}</span>'
                     f'<span class="n">{number} / {total}</span></div>'
                     for number, header in enumerate(headers, start=1))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><meta http-equiv="
            f"'Content-Security-Policy' content=\"default-src 'none'; style-src "
            f"'unsafe-inline'\"><style>{_CHROMIUM_NUMBERS_CSS}</style></head><body>{sheets}"
            f"</body></html>")


def _write_with_weasyprint(html_paths: Sequence[Path], pdf_path: Path, workers: int) -> None:
    _load_weasyprint()
    if len(html_paths) == 1:
        _print_part(str(html_paths[0]), str(pdf_path))
        return
    from pypdf import PdfWriter

    pdfs = [path.with_suffix(".pdf") for path in html_paths]
    # spawn, not fork: WeasyPrint and SQLite state are not shared with the workers.
    context = multiprocessing.get_context("spawn")
    with worker_pool(max(1, min(workers, len(html_paths))), context,
                     max_tasks_per_child=_PARTS_PER_WORKER) as pool:
        for done in [pool.submit(_print_part, str(h), str(p)) for h, p in zip(html_paths, pdfs,
                                                                            strict=True)]:
            done.result()
    writer = PdfWriter()
    for part in pdfs:
        writer.append(str(part))
        part.unlink()  # the parts hold the shielded text; the joined PDF is enough from here
    _stamp_page_numbers(writer, html_paths[0].parent)
    with pdf_path.open("wb") as handle:
        writer.write(handle)


#: A printer process is replaced after this many parts: WeasyPrint keeps caches per process.
_PARTS_PER_WORKER = 8


#: The page number's place and look, as report.css puts it when WeasyPrint numbers the pages.
_NUMBERS_CSS = """@page { size: A4; margin: 16mm 15mm 18mm 15mm;
  @bottom-right { content: counter(page) " / " counter(pages);
                  font: 8pt "Noto Sans", "DejaVu Sans", sans-serif; color: #6a707a; } }
div { break-after: page; } div:last-child { break-after: auto; }"""


def _stamp_page_numbers(writer: object, scratch: Path) -> None:
    """Put "n / N" on every page of the joined PDF: WeasyPrint prints N otherwise-empty pages
    with the same footer as a one-part report, and each is laid over its page."""
    import weasyprint
    from pypdf import PdfReader

    total = len(writer.pages)  # type: ignore[attr-defined]
    html_text = f"<html><head><style>{_NUMBERS_CSS}</style></head><body>{'<div></div>' * total}"
    numbers_pdf = scratch / "numbers.pdf"  # beside the parts, removed with them
    weasyprint.HTML(string=html_text, url_fetcher=_refuse).write_pdf(numbers_pdf)
    _stamp(writer, PdfReader(numbers_pdf))


def _content_bytes(page: Any) -> bytes:
    """A page's content streams, decoded and joined."""
    from pypdf.generic import ArrayObject

    contents = page.get("/Contents")
    if contents is None:
        return b""
    contents = contents.get_object()
    streams = list(contents) if isinstance(contents, ArrayObject) else [contents]
    return b"\n".join(stream.get_object().get_data() for stream in streams)


def _stamp(writer: object, overlay: object) -> None:
    """Lay page i of `overlay` over page i of `writer`, as a form XObject drawn after the
    page's own content (in a saved and restored graphics state). pypdf's merge_page parses
    every content stream, minutes for a few thousand pages; this touches none of them."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
    )

    assert isinstance(writer, PdfWriter) and isinstance(overlay, PdfReader)
    if len(overlay.pages) != len(writer.pages):
        raise ReportError(f"page numbers for {len(overlay.pages)} pages, but the PDF has"
                          f" {len(writer.pages)}")
    for number, (page, over) in enumerate(zip(writer.pages, overlay.pages, strict=True)):
        form = DecodedStreamObject()
        form.set_data(_content_bytes(over))
        form[NameObject("/Type")] = NameObject("/XObject")
        form[NameObject("/Subtype")] = NameObject("/Form")
        form[NameObject("/BBox")] = ArrayObject(over.mediabox)
        form[NameObject("/Resources")] = over.get("/Resources", DictionaryObject()
                                                  ).get_object().clone(writer)
        ref = writer._add_object(form)
        resources = page.get("/Resources")
        resources = DictionaryObject() if resources is None else resources.get_object()
        page[NameObject("/Resources")] = resources
        forms = resources.get("/XObject")
        forms = DictionaryObject() if forms is None else forms.get_object()
        resources[NameObject("/XObject")] = forms
        name = f"/PileonPage{number + 1}"
        forms[NameObject(name)] = ref
        contents = page.get("/Contents")
        old = [] if contents is None else (list(contents.get_object())
                                           if isinstance(contents.get_object(), ArrayObject)
                                           else [contents])
        before, after = DecodedStreamObject(), DecodedStreamObject()
        before.set_data(b"q\n")
        after.set_data(f"\nQ q {name} Do Q\n".encode("ascii"))
        page[NameObject("/Contents")] = ArrayObject(
            [writer._add_object(before), *old, writer._add_object(after)])


def _load_weasyprint() -> None:
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:  # WeasyPrint loads Pango through cffi when imported
        raise ReportError(f"WeasyPrint cannot load its libraries ({exc})",
                          hint=f"install the Debian packages {_WEASYPRINT_LIBS}") from exc


def _refuse(url: str, timeout: int = 10, ssl_context: object = None) -> dict[str, object]:
    # The report is self-contained; anything that asks for a URL is refused, never fetched.
    raise ValueError(f"pileon reports load nothing from outside: {url[:80]}")


def _print_part(html_path: str, pdf_path: str) -> None:
    import weasyprint

    weasyprint.HTML(filename=html_path, url_fetcher=_refuse).write_pdf(pdf_path)
