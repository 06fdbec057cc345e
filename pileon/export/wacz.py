"""The WARC of a selection packed as a WACZ 1.1 (with the py-wacz package), so the raw payloads
open in ReplayWeb.page. The WARC inside is byte-identical to what `--format warc` writes, and
`datapackage.json` lists the SHA-256 of every file in the package.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pileon.errors import PileonError
from pileon.export.selection import ExportResult, ExportSelection
from pileon.export.warc import target_uri, write_warc

__all__ = ["WaczExporter"]


class WaczExporter:
    name = "wacz"
    suffix = ".wacz"
    description = "the same WARC packed as a WACZ 1.1 web archive (opens in ReplayWeb.page)"

    def export(self, selection: ExportSelection, out: Path,
               options: Mapping[str, Any]) -> ExportResult:
        try:
            from wacz.main import main as wacz_main
        except ImportError as exc:  # pragma: no cover - wacz is a declared dependency
            raise PileonError("the py-wacz package is missing",
                              hint="pip install wacz, or export --format warc") from exc
        # The work files sit beside `out` in the caller's temporary folder and go with it.
        warc = out.with_name(out.name.removesuffix(".wacz") + ".warc.gz")
        pages = out.with_name("pages.jsonl")
        with warc.open("wb") as fh:
            count = write_warc(fh, selection.payloads(), filename=warc.name, description=(
                f"raw payloads of {selection.name}, as stored at ingest by pileon"))
        _write_pages(selection, pages)
        title = f"pileon: raw payloads of {selection.name}"
        said = io.StringIO()
        with contextlib.redirect_stdout(said):  # py-wacz narrates on stdout; keep ours clean
            code = wacz_main(["create", str(warc), "-o", str(out), "--hash-type", "sha256",
                              "--pages", str(pages), "--copy-pages", "--title", title,
                              "--desc", "Every payload exactly as pileon stored it at ingest."])
        if code != 0 or not out.exists():
            raise PileonError("py-wacz could not pack the archive: "
                              + " ".join(said.getvalue().split())[-300:], path=str(out))
        return ExportResult(files=(out,), rows=count, unit="raw payloads")


def _write_pages(selection: ExportSelection, pages: Path) -> None:
    """One page per payload, so ReplayWeb.page lists them (WACZ pages/pages.jsonl)."""
    with pages.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"format": "json-pages-1.0", "id": "pages",
                             "title": "Raw payloads"}) + "\n")
        for payload in selection.payloads():
            fh.write(json.dumps({
                "id": payload.sha256, "url": target_uri(payload), "ts": payload.fetched_at,
                "title": f"{payload.adapter} {payload.locator or ''}".strip()},
                ensure_ascii=False) + "\n")
