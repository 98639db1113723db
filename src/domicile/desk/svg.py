"""A small, dependency-free SVG bar-chart writer for the desk's reports.

Each bar is a ``<rect>`` carrying ``data-label``, ``data-series`` and ``data-value``, so a test
(or a reader) can check the chart against the numbers it shows. Bars are stacked per label.
Text is XML-escaped; the output is a standalone SVG 1.1 document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

__all__ = ["PALETTE", "bar_chart"]

PALETTE: tuple[str, ...] = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip


def _nice_max(value: int) -> int:
    if value <= 5:
        return max(value, 1)
    step: int = 10 ** (len(str(value)) - 1)
    for mult in (1, 2, 5, 10):
        if value <= mult * step:
            return int(mult * step)
    return int(10 * step)  # pragma: no cover - unreachable


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[int]],
    *,
    width: int = 760,
    height: int = 380,
) -> str:
    """A stacked bar chart: one bar per label, one colour per series.

    Args:
        title: chart title.
        labels: category labels (x axis).
        series: series name -> one non-negative value per label.
        width, height: canvas size in pixels.

    Raises:
        ValueError: a series has the wrong length or a negative value.
    """
    for name, values in series.items():
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
        if any(v < 0 for v in values):
            raise ValueError(f"series {name!r} has a negative value")
    left, right, top, bottom = 56, 180, 40, 90
    plot_w, plot_h = max(width - left - right, 10), max(height - top - bottom, 10)
    totals = [sum(vals[i] for vals in series.values()) for i in range(len(labels))]
    vmax = _nice_max(max(totals, default=0))
    slot = plot_w / max(len(labels), 1)
    bar_w = max(slot * 0.7, 1.0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="22" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>',
    ]
    for k in range(5):
        value = vmax * k / 4
        y = top + plot_h - plot_h * k / 4
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>')
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar_w) / 2
        base = float(top + plot_h)
        for s, (name, values) in enumerate(series.items()):
            v = values[i]
            h = plot_h * v / vmax
            base -= h
            out.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}" data-label={quoteattr(label)} '
                f'data-series={quoteattr(name)} data-value="{v}">'
                f"<title>{escape(f'{label} / {name}: {v}')}</title></rect>"
            )
        cx, cy = x + bar_w / 2, top + plot_h + 12
        out.append(
            f'<text x="{cx:.1f}" y="{cy:.1f}" text-anchor="end" '
            f'transform="rotate(-35 {cx:.1f} {cy:.1f})">{escape(label)}</text>'
        )
        out.append(
            f'<text x="{cx:.1f}" y="{top + plot_h - plot_h * totals[i] / vmax - 4:.1f}" '
            f'text-anchor="middle">{totals[i]}</text>'
        )
    for s, name in enumerate(series):
        y = top + 14 * s
        out.append(
            f'<rect x="{width - right + 12}" y="{y}" width="10" height="10" '
            f'fill="{PALETTE[s % len(PALETTE)]}"/>'
        )
        out.append(f'<text x="{width - right + 28}" y="{y + 9}">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
