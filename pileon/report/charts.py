"""The report's charts as inline SVG strings: stacked bars over time and horizontal bars.

Pure Python, no browser and no plotting library: WeasyPrint draws the same SVG into the PDF.
Only numbers and escaped labels go into the markup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from html import escape

__all__ = [
    "CATEGORY_COLOURS",
    "account_months_chart",
    "cluster_sizes_chart",
    "hbar_chart",
    "hours_chart",
    "languages_chart",
    "stacked_bar_chart",
]

#: One calm colour per category (no alarm red); unknown categories fall back to grey.
CATEGORY_COLOURS: dict[str, str] = {
    "identity_attack": "#6b3f7a",
    "sexual_harassment": "#8e4a63",
    "identity_denial": "#a8664a",
    "bad_faith": "#9a7a2e",
    "ridicule": "#6f7f3a",
    "insult": "#3f7a6b",
    "threat": "#39557f",
    "atrocity_denial": "#5b4a3a",
    "profanity": "#7d8794",
    "supportive": "#2f7d6d",
    "disagreement": "#5b6f95",
    "neutral": "#a0a7b0",
    "unlabelled": "#c4c8ce",
}
_VERDICT_COLOURS = {"coordinated": "#6b3f7a", "synchronised": "#9a7a2e",
                    "near_duplicate": "#7d8794"}
_INK = "#2b303a"
_MAX_BARS = 96
_MIN_HOURS = 24   # a short burst is drawn on a day's axis, not as a few page-wide bars
_MIN_MONTHS = 12
_SIZE_BINS: tuple[tuple[int, int | None], ...] = ((2, 4), (5, 9), (10, 19), (20, 49),
                                                  (50, 99), (100, None))


def _legend(items: Sequence[tuple[str, str]]) -> str:
    """The legend as HTML after the SVG, so long names in any script wrap instead of overlap."""
    return '<p class="legend">' + "".join(
        f'<span class="key"><span class="swatch" style="background:{colour}"></span>'
        f"{escape(name)}</span> " for name, colour in items) + "</p>"


def stacked_bar_chart(bins: Sequence[str], series: Sequence[tuple[str, Sequence[int], str]],
                      title: str, *, width: int = 680, height: int = 200) -> str:
    """Bars over `bins`, each stacked from `series` (name, one count per bin, colour)."""
    if not bins:
        return ""
    totals = [sum(s[1][i] for s in series) for i in range(len(bins))]
    peak = max(totals) or 1
    left, top, bottom = 44, 8, 20
    plot_h = height - top - bottom
    bar_w = (width - left - 4) / len(bins)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img"'
             f' aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}"'
             ' stroke="#8a8f98" stroke-width="1"/>',
             f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" font-size="10"'
             f' fill="{_INK}">{peak}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="10"'
             f' fill="{_INK}">0</text>']
    for i in range(len(bins)):
        x = left + i * bar_w
        y = float(top + plot_h)
        for _name, counts, colour in series:
            if not counts[i]:
                continue
            h = plot_h * counts[i] / peak
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 0.6):.1f}"'
                         f' height="{h:.1f}" fill="{colour}"/>')
    axis_y = top + plot_h + 13
    if len(bins) <= 12:  # few bins (sizes, a year of months): label each one under its bar
        for i, label in enumerate(bins):
            parts.append(f'<text x="{left + (i + 0.5) * bar_w:.1f}" y="{axis_y}"'
                         f' text-anchor="middle" font-size="10" fill="{_INK}">'
                         f"{escape(label)}</text>")
    else:
        parts.append(f'<text x="{left}" y="{axis_y}" font-size="10" fill="{_INK}">'
                     f"{escape(bins[0])}</text>")
        parts.append(f'<text x="{width - 2}" y="{axis_y}" text-anchor="end" font-size="10"'
                     f' fill="{_INK}">{escape(bins[-1])}</text>')
    parts.append("</svg>")
    if len(series) > 1 or series[0][0]:
        parts.append(_legend([(n, c) for n, _, c in series]))
    return "".join(parts)


def hbar_chart(items: Sequence[tuple[str, int]], title: str, *, width: int = 680,
               colour: str = "#5b6f95") -> str:
    """One horizontal bar per (label, count), in the order given."""
    if not items:
        return ""
    row, left = 18, 170
    height = row * len(items) + 8
    peak = max(n for _, n in items) or 1
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img"'
             f' aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i, (label, count) in enumerate(items):
        y = 4 + i * row
        w = (width - left - 60) * count / peak
        parts.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end" font-size="11"'
                     f' fill="{_INK}">{escape(label)}</text>'
                     f'<rect x="{left}" y="{y + 2}" width="{max(w, 1):.1f}" height="{row - 5}"'
                     f' fill="{colour}"/>'
                     f'<text x="{left + w + 4:.1f}" y="{y + 12}" font-size="11"'
                     f' fill="{_INK}">{count}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hours_chart(hours: Sequence[tuple[str, str, int]], name: Callable[[str], str],
                title: str) -> str:
    """Replies per hour (UTC), stacked by category; long threads group hours into wider bars."""
    if not hours:
        return ""
    first = datetime.fromisoformat(min(h for h, _, _ in hours) + ":00")
    last = datetime.fromisoformat(max(h for h, _, _ in hours) + ":00")
    slots = max(int((last - first).total_seconds() // 3600) + 1, _MIN_HOURS)
    step = max(1, -(-slots // _MAX_BARS))
    bars = -(-slots // step)
    per_cat: dict[str, list[int]] = {}
    for hour, category, count in hours:
        index = int((datetime.fromisoformat(hour + ":00") - first).total_seconds() // 3600)
        per_cat.setdefault(category, [0] * bars)[index // step] += count
    order = [c for c in CATEGORY_COLOURS if c in per_cat] + sorted(
        c for c in per_cat if c not in CATEGORY_COLOURS)
    series = [(name(c), per_cat[c], CATEGORY_COLOURS.get(c, "#c4c8ce")) for c in order]
    labels = [(first + timedelta(hours=i * step)).strftime("%Y-%m-%d %H:00") for i in range(bars)]
    labels[0] += " UTC"
    return stacked_bar_chart(labels, series, title)


def languages_chart(by_lang: Sequence[tuple[str, int]], name: Callable[[str], str],
                    title: str) -> str:
    return hbar_chart([(name(code), n) for code, n in by_lang], title)


def cluster_sizes_chart(sizes: Sequence[tuple[int, str]], verdict_name: Callable[[str], str],
                        title: str) -> str:
    """How many clusters of each size range, stacked by verdict."""
    if not sizes:
        return ""
    bins = [f"{lo}–{hi}" if hi else f"{lo}+" for lo, hi in _SIZE_BINS]
    per: dict[str, list[int]] = {}
    for size, verdict in sizes:
        index = next((i for i, (lo, hi) in enumerate(_SIZE_BINS) if hi is None or size <= hi), 0)
        per.setdefault(verdict, [0] * len(bins))[index] += 1
    series = [(verdict_name(v), per[v], _VERDICT_COLOURS.get(v, "#a0a7b0"))
              for v in sorted(per, key=lambda v: list(_VERDICT_COLOURS).index(v)
                              if v in _VERDICT_COLOURS else 99)]
    return stacked_bar_chart(bins, series, title, height=180)


def account_months_chart(months: Sequence[tuple[str, int]], series_name: str,
                         title: str) -> str:
    """Authors by the month their account was created (years when the span is long)."""
    if not months:
        return ""
    counts: Mapping[str, int] = dict(months)
    first_y, first_m = map(int, months[0][0].split("-"))
    last_y, last_m = map(int, months[-1][0].split("-"))
    span = max((last_y - first_y) * 12 + last_m - first_m + 1, _MIN_MONTHS)
    if span > _MAX_BARS:
        years: dict[str, int] = {}
        for month, n in counts.items():
            years[month[:4]] = years.get(month[:4], 0) + n
        bins = [str(y) for y in range(first_y, last_y + 1)]
        values = [years.get(b, 0) for b in bins]
    else:
        bins = []
        for i in range(span):
            y, m = divmod(first_m - 1 + i, 12)
            bins.append(f"{first_y + y:04d}-{m + 1:02d}")
        values = [counts.get(b, 0) for b in bins]
    return stacked_bar_chart(bins, [(series_name, values, "#5b6f95")], title, height=170)
