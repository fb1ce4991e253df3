"""The score chart: an inline SVG with one horizontal bar per answered question (0-100, coloured by bucket)
and the overall score marked. Mirrored for right-to-left languages. Every text is escaped here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from markupsafe import Markup, escape

COLOURS = {"strong": "#2f9e44", "moderate": "#f08c00", "weak": "#e03131"}
OVERALL_COLOUR = "#1c2d6b"
WIDTH = 640
LABEL = 112  # the question labels' column
VALUE = 40  # room after the longest bar for its value
ROW = 24
TOP = 26  # room for the overall score's label
AXIS = 20


# Scripts that need bidi reordering or complex shaping (Hebrew, Arabic, Indic, Thai...): SVG text draws them
# glyph by glyph, so their labels are left to the HTML around the chart and the SVG says only numbers.
_COMPLEX = ((0x0590, 0x08FF), (0x0900, 0x0DFF), (0x0E00, 0x0FFF), (0x1000, 0x109F), (0xFB1D, 0xFEFF))


def svg_safe(text: str) -> bool:
    """Whether SVG text draws `text` right: no character of a script that needs shaping or reordering."""
    return not any(low <= ord(char) <= high for char in text for low, high in _COMPLEX)


@dataclass(frozen=True)
class Bar:
    label: str  # e.g. "Question 1"
    score: float  # 0..100
    bucket: str  # strong, moderate, weak
    value: str  # the score as the report's language writes it


def score_chart(
    bars: Sequence[Bar],
    *,
    overall: float | None,
    overall_label: str,
    ticks: Sequence[str],
    rtl: bool = False,
    title: str = "",
) -> Markup:
    """The chart as SVG markup; `ticks` are the axis labels for 0, 25, 50, 75 and 100.

    A label the SVG cannot draw right (see `svg_safe`) is replaced by the bar's number (1, 2, ...) and the
    overall score's label by its value alone."""
    bars = [bar if svg_safe(bar.label) else replace(bar, label=str(index)) for index, bar in enumerate(bars, 1)]
    if not svg_safe(overall_label):
        overall_label = overall_label.rsplit(" ", 1)[-1]
    plot = WIDTH - LABEL - VALUE
    height = TOP + ROW * len(bars) + AXIS

    def x(position: float, width: float = 0) -> float:
        """A left edge in left-to-right coordinates, mirrored for right-to-left."""
        return round(WIDTH - position - width if rtl else position, 2)

    def scale(score: float) -> float:
        return max(0.0, min(100.0, score)) / 100 * plot

    end = "start" if rtl else "end"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="score-chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(title)}" '
        'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">'
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    bottom = TOP + ROW * len(bars)
    for index, tick in enumerate(ticks[:5]):
        at = LABEL + plot * index / 4
        parts.append(
            f'<line x1="{x(at)}" y1="{TOP - 4}" x2="{x(at)}" y2="{bottom}" stroke="#e5e7eb" stroke-width="0.8"/>'
        )
        parts.append(
            f'<text x="{x(at)}" y="{bottom + 13}" font-size="9" fill="#6b7280" text-anchor="middle">'
            f"{escape(tick)}</text>"
        )
    for row, bar in enumerate(bars):
        y = TOP + row * ROW
        width = scale(bar.score)
        colour = COLOURS.get(bar.bucket, "#868e96")
        parts.append(
            f'<rect x="{x(LABEL, plot)}" y="{y + 5}" width="{plot}" height="{ROW - 10}" rx="2" fill="#f3f4f6"/>'
        )
        parts.append(
            f'<rect x="{x(LABEL, width)}" y="{y + 5}" width="{round(width, 2)}" height="{ROW - 10}" rx="2" '
            f'fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{x(LABEL - 8)}" y="{y + ROW / 2 + 3.5}" font-size="10" fill="#374151" '
            f'text-anchor="{end}">{escape(bar.label)}</text>'
        )
        parts.append(
            f'<text x="{x(LABEL + plot + VALUE - 4)}" y="{y + ROW / 2 + 3.5}" font-size="10" font-weight="bold" '
            f'fill="{colour}" text-anchor="{end}">{escape(bar.value)}</text>'
        )
    if overall is not None:
        at = LABEL + scale(overall)
        parts.append(
            f'<line x1="{x(at)}" y1="{TOP - 6}" x2="{x(at)}" y2="{bottom + 2}" stroke="{OVERALL_COLOUR}" '
            'stroke-width="1.4" stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{x(at)}" y="{TOP - 10}" font-size="9.5" font-weight="bold" fill="{OVERALL_COLOUR}" '
            f'text-anchor="middle">{escape(overall_label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()
