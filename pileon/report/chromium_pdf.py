"""Printing the report's HTML parts with headless Chromium (Debian's `chromium`, driven by
Playwright), several parts at a time, each in its own browser context.

Chromium lays a report out 15-25 times faster than WeasyPrint, so it is the printer whenever
it is installed (pdf.py falls back to WeasyPrint otherwise). Nothing is fetched: the pages
carry a `default-src 'none'` Content-Security-Policy, JavaScript is off, and every request
other than the part's own file is aborted. The browser is Playwright's child: when the pileon
process dies, Playwright's driver sees its pipe close and kills the browser's process group,
so a killed report leaves no printer running.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM_ENV", "chromium_executable", "print_with_chromium"]

#: An explicit Chromium executable; "none" turns Chromium off (WeasyPrint prints instead).
CHROMIUM_ENV = "PILEON_CHROMIUM"
_CANDIDATES = ("chromium", "chromium-browser")


def chromium_executable() -> str | None:
    """The Chromium to print with, or None when none is installed (or Playwright is not)."""
    wanted = os.environ.get(CHROMIUM_ENV, "").strip()
    if wanted.lower() == "none":
        return None
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return None
    if wanted:
        return wanted if os.access(wanted, os.X_OK) else shutil.which(wanted)
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_with_chromium(executable: str, parts: Sequence[tuple[Path, Path]], workers: int,
                        numbers_html: Callable[[Sequence[Path]], Path]) -> Path:
    """Print each (html, pdf) pair, `workers` at a time; then print the page-number overlay
    that `numbers_html(the parts' PDFs)` writes, and return its PDF."""
    return asyncio.run(_print_all(executable, parts, max(1, workers), numbers_html))


async def _print_all(executable: str, parts: Sequence[tuple[Path, Path]], workers: int,
                     numbers_html: Callable[[Sequence[Path]], Path]) -> Path:
    from playwright.async_api import async_playwright
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, headless=True,
                                                   args=args)
        try:
            slots = asyncio.Semaphore(workers)

            async def one(html: Path, pdf: Path) -> None:
                async with slots:
                    await _print_one(browser, html, pdf)

            await asyncio.gather(*(one(html, pdf) for html, pdf in parts))
            overlay_html = numbers_html([pdf for _, pdf in parts])
            overlay = overlay_html.with_suffix(".pdf")
            await _print_one(browser, overlay_html, overlay)
        finally:
            await browser.close()
    return overlay


async def _print_one(browser: Any, html: Path, pdf: Path, outline: bool = True) -> None:
    own = html.resolve().as_uri()
    context = await browser.new_context(java_script_enabled=False)
    try:
        page = await context.new_page()

        async def guard(route: Any) -> None:  # the part itself, nothing else
            await (route.continue_() if route.request.url == own else route.abort())

        await page.route("**/*", guard)
        await page.goto(own, wait_until="load", timeout=0)
        # tagged: Chromium builds the outline (bookmarks) from the headings' structure tree
        await page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True,
                       outline=outline, tagged=outline)
    finally:
        await context.close()
