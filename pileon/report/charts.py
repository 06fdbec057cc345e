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
    "nice_ticks",
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
_MIN_BAR = 3.0  # px: the least a non-zero count is drawn, so that it is seen
_SIZE_BINS: tuple[tuple[int, int | None], ...] = ((2, 4), (5, 9), (10, 19), (20, 49),
                                                  (50, 99), (100, None))


def _legend(items: Sequence[tuple[str, str]]) -> str:
    """The legend as HTML after the SVG, so long names in any script wrap instead of overlap."""
    return '<p class="legend">' + "".join(
        f'<span class="key"><span class="swatch" style="background:{colour}"></span>'
        f"{escape(name)}</span> " for name, colour in items) + "</p>"


def nice_ticks(peak: int, wanted: int = 4) -> list[int]:
    """Round axis ticks from 0 to at least `peak`: steps of 1, 2 or 5 times a power of ten."""
    if peak <= 0:
        return [0, 1]
    raw = peak / wanted
    step = 1
    while step * 10 <= raw:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= raw:
            step *= factor
            break
    return list(range(0, -(-peak // step) * step + 1, step))


def stacked_bar_chart(bins: Sequence[str], series: Sequence[tuple[str, Sequence[int], str]],
                      title: str, *, width: int = 680, height: int = 200, x_label: str = "",
                      y_label: str = "") -> str:
    """Bars over `bins`, each stacked from `series` (name, one count per bin, colour), with a
    y axis of round ticks and a labelled x axis.

    A count too small to see at the chart's scale (a few coordinated clusters beside thousands
    of near-duplicates) is drawn at least _MIN_BAR px high; with few bins every bar also gets
    its counts written above it, one per series in the series' colour.
    """
    if not bins:
        return ""
    totals = [sum(s[1][i] for s in series) for i in range(len(bins))]
    ticks = nice_ticks(max(totals))
    scale_top = ticks[-1]
    few = len(bins) <= 12
    shown = [s for s in series if any(s[1])]
    left, right = 56, 6
    top = 8 + (12 * len(shown) if few else 0)
    bottom = 36 if x_label else 22
    plot_h = height - top - bottom
    plot_w = width - left - right
    bar_w = plot_w / len(bins)
    base_y = top + plot_h
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img"'
             f' aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for tick in ticks:
        y = base_y - plot_h * tick / scale_top
        parts.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"'
                     f' stroke="{"#8a8f98" if tick == 0 else "#e1e3e6"}" stroke-width="1"/>'
                     f'<text x="{left - 7}" y="{y + 3.5:.1f}" text-anchor="end" font-size="10"'
                     f' fill="{_INK}">{tick}</text>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base_y}" stroke="#8a8f98"'
                 ' stroke-width="1"/>')
    if y_label:
        parts.append(f'<text transform="translate(11 {top + plot_h / 2:.1f}) rotate(-90)"'
                     f' text-anchor="middle" font-size="10" fill="{_INK}">'
                     f"{escape(y_label)}</text>")
    for i in range(len(bins)):
        x = left + i * bar_w
        y = float(base_y)
        for _name, counts, colour in series:
            if not counts[i]:
                continue
            h = max(plot_h * counts[i] / scale_top, _MIN_BAR)
            y -= h
            parts.append(f'<rect x="{x + 0.5:.1f}" y="{y:.1f}" width="{max(bar_w - 1.5, 0.8):.1f}"'
                         f' height="{h:.1f}" fill="{colour}"/>')
        if few:  # the counts, per series, above the bar: small ones are read, not guessed
            label_y = y - 3
            for _name, counts, colour in reversed(shown):
                if counts[i]:
                    parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{label_y:.1f}"'
                                 f' text-anchor="middle" font-size="9.5" fill="{colour}"'
                                 f' font-weight="bold">{counts[i]}</text>')
                    label_y -= 11
    axis_y = base_y + 13
    longest = max(len(label) for label in bins)
    every = 1 if few else max(1, -(-len(bins) * (longest * 5.6 + 12) // plot_w))
    last_end = float("-inf")
    for i in range(0, len(bins), int(every)):
        tick_x = left + (i + 0.5) * bar_w
        half = len(bins[i]) * 2.8  # about half the label's width at font size 10
        cx, anchor, start, end = tick_x, "middle", tick_x - half, tick_x + half
        if not few and i == 0:  # the first label starts at the axis, not before it
            cx, anchor, start, end = left, "start", left, left + 2 * half
        if start < last_end + 6:
            continue  # would run into the label before it
        last_end = end
        parts.append(f'<line x1="{tick_x:.1f}" y1="{base_y}" x2="{tick_x:.1f}"'
                     f' y2="{base_y + 4}" stroke="#8a8f98" stroke-width="1"/>'
                     f'<text x="{cx:.1f}" y="{axis_y}" text-anchor="{anchor}" font-size="10"'
                     f' fill="{_INK}">{escape(bins[i])}</text>')
    if x_label:
        parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle"'
                     f' font-size="10" fill="{_INK}">{escape(x_label)}</text>')
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
                     f'<rect x="{left}" y="{y + 2}" width="{max(w, _MIN_BAR):.1f}" height="{row - 5}"'
                     f' fill="{colour}"/>'
                     f'<text x="{left + max(w, _MIN_BAR) + 4:.1f}" y="{y + 12}" font-size="11"'
                     f' fill="{_INK}">{count}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hours_chart(hours: Sequence[tuple[str, str, int]], name: Callable[[str], str],
                title: str, x_label: str = "", y_label: str = "") -> str:
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
    # the first tick carries the year; the others only month, day and hour, so more fit
    labels = [(first + timedelta(hours=i * step)).strftime("%m-%d %H:00") for i in range(bars)]
    labels[0] = first.strftime("%Y-%m-%d %H:00")
    return stacked_bar_chart(labels, series, title, x_label=x_label, y_label=y_label)


def languages_chart(by_lang: Sequence[tuple[str, int]], name: Callable[[str], str],
                    title: str) -> str:
    return hbar_chart([(name(code), n) for code, n in by_lang], title)


def cluster_sizes_chart(sizes: Sequence[tuple[int, str]], verdict_name: Callable[[str], str],
                        title: str, x_label: str = "", y_label: str = "") -> str:
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
    return stacked_bar_chart(bins, series, title, height=200, x_label=x_label,
                             y_label=y_label)


def account_months_chart(months: Sequence[tuple[str, int]], series_name: str,
                         title: str, x_label: str = "", y_label: str = "") -> str:
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
    return stacked_bar_chart(bins, [(series_name, values, "#5b6f95")], title, height=190,
                             x_label=x_label, y_label=y_label)
