"""The report's charts: round y ticks, labelled axes, tick labels along the time axis, and a
handful of coordinated clusters beside thousands of near-duplicates still drawn large enough
to see, with its count written above it. Checked where it matters: printed by WeasyPrint and
rasterised by poppler (pdftoppm), as a reader of the PDF sees it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from pileon.report.charts import cluster_sizes_chart, hours_chart, nice_ticks

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "report-charts"
COORDINATED = (0x6B, 0x3F, 0x7A)


@given(st.integers(min_value=1, max_value=10**9))
def test_ticks_are_round_and_cover_the_peak(peak: int) -> None:
    ticks = nice_ticks(peak)
    step = ticks[1] - ticks[0]
    assert ticks[0] == 0 and ticks[-1] >= peak > ticks[-2]
    assert (2 if peak < 4 else 3) <= len(ticks) <= 6
    assert re.fullmatch(r"[125]0*", str(step))
    assert all(b - a == step for a, b in zip(ticks, ticks[1:], strict=False))


def _print(svg: str, tmp: Path, name: str) -> tuple[Image.Image, str]:
    from weasyprint import HTML

    page = f"<!doctype html><html><body style='margin:0'>{svg}</body></html>"
    pdf = tmp / f"{name}.pdf"
    HTML(string=page).write_pdf(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf),
                    str(tmp / name)], check=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    image = Image.open(tmp / f"{name}.png").convert("RGB")
    image.save(SHOTS / f"{name}.png")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    return image, text


def _rows_with(image: Image.Image, colour: tuple[int, int, int]) -> int:
    width, height = image.size
    pixels = image.load()

    def near(p: tuple[int, int, int]) -> bool:
        return all(abs(a - b) <= 12 for a, b in zip(p, colour, strict=True))

    return sum(1 for y in range(height) if any(near(pixels[x, y]) for x in range(width)))


def test_a_few_coordinated_clusters_beside_thousands_are_seen_and_counted(
        tmp_path: Path) -> None:
    sizes = ([(3, "near_duplicate")] * 3000 + [(3, "coordinated")] * 2
             + [(60, "synchronised")] * 40 + [(7, "near_duplicate")] * 400)
    svg = cluster_sizes_chart(sizes, str.title, "Clusters by size", "cluster size (posts)",
                              "clusters")
    image, text = _print(svg, tmp_path, "cluster-sizes")
    # 2 of 3,002 would be 0.05 px at the chart's scale: it is drawn at least 3 units high
    assert _rows_with(image, COORDINATED) >= 4
    words = text.split()
    assert "3000" in words and "2" in words and "40" in words and "400" in words
    assert "cluster size (posts)" in text and "clusters" in words
    assert {"0", "1000", "2000", "3000"} <= set(words)  # round ticks on the y axis


def test_a_long_time_axis_has_tick_labels_not_only_its_ends(tmp_path: Path) -> None:
    hours = [(f"2026-12-{1 + h // 24:02d}T{h % 24:02d}", "insult", 1 + h % 7)
             for h in range(0, 200)]
    svg = hours_chart(hours, str, "Posts per hour", "time of posting (UTC)", "posts")
    labels = re.findall(r">(\d\d-\d\d \d\d:00|2026-12-01 00:00)<", svg)
    assert labels[0] == "2026-12-01 00:00" and len(labels) >= 5
    _image, text = _print(svg, tmp_path, "hours")
    assert "time of posting (UTC)" in text and "posts" in text.split()
    assert sum(1 for label in labels[1:] if label in text) >= 4
