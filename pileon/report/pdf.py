"""The PDF: WeasyPrint prints the report's HTML (its print stylesheet), fonts checked first.

A long report comes as several HTML parts printed by parallel worker processes and joined with
pypdf, since WeasyPrint itself uses one core; the joined PDF then gets its page numbers
("n / N") stamped on, since no part knows the pages before it. Workers die with their parent
(pileon.worker_pool), so a killed `pileon report` leaves no printer running.

A PDF whose Armenian or Azerbaijani letters fell back to empty boxes would be useless as
evidence, so a missing font is an error naming the Debian package to install.
"""

from __future__ import annotations

import multiprocessing
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from pileon.errors import ReportError
from pileon.worker_pool import worker_pool

__all__ = ["FONT_PACKAGES", "check_fonts", "write_pdf"]

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


def write_pdf(html_paths: Sequence[Path], pdf_path: Path, workers: int = 1) -> None:
    """Print the HTML part(s) to one PDF; several parts are printed by `workers` processes at
    a time (each replaced after a few parts, so no printer grows), then joined in order."""
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
    from pypdf import PdfReader, PdfWriter

    assert isinstance(writer, PdfWriter)
    total = len(writer.pages)
    html = f"<html><head><style>{_NUMBERS_CSS}</style></head><body>{'<div></div>' * total}"
    numbers_pdf = scratch / "numbers.pdf"  # beside the parts, removed with them
    weasyprint.HTML(string=html, url_fetcher=_refuse).write_pdf(numbers_pdf)
    numbers = PdfReader(numbers_pdf)
    for page, overlay in zip(writer.pages, numbers.pages, strict=True):
        page.merge_page(overlay)


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
