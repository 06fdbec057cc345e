"""The timeline chart: replies per hour, stacked by folder, drawn as inline SVG on the server.

No script, no external file: only numbers and escaped labels go into the markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from html import escape

from markupsafe import Markup

from pileon.web.present import hour_label

__all__ = ["FOLDER_COLOURS", "timeline_svg"]

#: Calm colours, none of them alarm red; each passes 3:1 against the white background.
FOLDER_COLOURS: dict[str, str] = {
    "support": "#2f7d6d",
    "inbox": "#5b6f95",
    "review": "#9a7a2e",
    "shielded": "#7b6a86",
}


def timeline_svg(hours: Sequence[tuple[str, str, int]], folders: Sequence[str],
                 names: Callable[[str], str], title: str, width: int = 720,
                 height: int = 180, lang: str = "en") -> Markup:
    """`hours` rows are ('2024-11-25T10', folder, count); labels are written the way the
    interface language `lang` writes a day and an hour."""
    if not hours:
        return Markup("")
    per_hour: dict[str, dict[str, int]] = {}
    for hour, folder, count in hours:
        per_hour.setdefault(hour, {})[folder] = int(count)
    first = datetime.fromisoformat(min(per_hour) + ":00")
    last = datetime.fromisoformat(max(per_hour) + ":00")
    slots = int((last - first).total_seconds() // 3600) + 1
    step = max(1, -(-slots // 96))  # at most 96 bars: group hours when the thread is long
    bars: list[dict[str, int]] = []
    labels: list[str] = []
    for index in range(0, slots, step):
        bar: dict[str, int] = {}
        for offset in range(step):
            key = (first + timedelta(hours=index + offset)).strftime("%Y-%m-%dT%H")
            for folder, count in per_hour.get(key, {}).items():
                bar[folder] = bar.get(folder, 0) + count
        bars.append(bar)
        labels.append(hour_label(first + timedelta(hours=index), lang))
    peak = max((sum(b.values()) for b in bars), default=1) or 1
    left, bottom, top = 44, 22, 8
    plot_h = height - bottom - top
    bar_w = (width - left - 4) / len(bars)
    parts = [f'<svg class="timeline" viewBox="0 0 {width} {height}" role="img"'
             f' aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}"'
             ' stroke="#8a8f98" stroke-width="1"/>',
             f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" font-size="11"'
             f' fill="#3d4350">{peak}</text>',
             f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11"'
             ' fill="#3d4350">0</text>']
    for i, bar in enumerate(bars):
        x = left + i * bar_w
        y = float(top + plot_h)
        for folder in folders:
            count = bar.get(folder, 0)
            if not count:
                continue
            h = plot_h * count / peak
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}"'
                         f' height="{h:.1f}" fill="{FOLDER_COLOURS[folder]}">'
                         f"<title>{escape(labels[i])}: {escape(names(folder))} {count}</title>"
                         "</rect>")
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="11" fill="#3d4350">'
                 f"{escape(labels[0])} UTC</text>")
    if len(bars) > 1:
        parts.append(f'<text x="{width - 2}" y="{height - 6}" text-anchor="end" font-size="11"'
                     f' fill="#3d4350">{escape(labels[-1])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
