"""The house look of every chart: palettes, each beside the values it colours, and style.

Palettes are colour-blind safe (see each comment).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt

#: Friction bands, best to worst, and their colours: a 4-step green → yellow →
#: orange → dark-red ramp whose steps stay apart under deuteranopia, protanopia and
#: tritanopia (checked by simulation; min ΔE ≈ 26) and whose lightness alone
#: separates yellow/orange from green/red.  Cells also print the score.
BANDS: tuple[str, ...] = ("green", "yellow", "amber", "red")
BAND_COLORS: tuple[str, ...] = ("#2ca25f", "#fde725", "#f28e2b", "#8b0000")
#: Severity of a stalled item: a sequential (light → dark) orange-red ramp.
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
SEVERITY_COLORS: tuple[str, ...] = ("#fdcc8a", "#fc8d59", "#d7301f", "#7f0000")
HEALTH_BANDS: tuple[str, ...] = ("healthy", "watch", "at_risk")
HEALTH_BAND_COLORS: tuple[str, ...] = ("#2ca25f", "#f28e2b", "#8b0000")
#: Change verdicts: blue = better, vermillion = worse (Okabe–Ito), greys for the rest.
VERDICTS: tuple[str, ...] = ("improved", "neutral", "regressed", "observing", "no_widgets")
VERDICT_COLORS: tuple[str, ...] = ("#0072B2", "#8c8c8c", "#D55E00", "#CC79A7", "#d0d0d0")
#: Two series drawn together (computed vs recorded, before vs after).
SERIES_COLORS: tuple[str, ...] = ("#0072B2", "#E69F00")
ACCENT = "#0072B2"
INK = "#222222"
MUTED = "#666666"

FONT = "Helvetica Neue, Helvetica, Arial, Liberation Sans, DejaVu Sans, sans-serif"
#: Health components (see ``health_components_chart``), in deduction order.
#: Direction of a change: blue = better, grey = unchanged, vermillion = worse (Okabe–Ito).
DIRECTIONS: tuple[str, ...] = ("better", "unchanged", "worse", "unknown")
DIRECTION_COLORS: tuple[str, ...] = ("#0072B2", "#8c8c8c", "#D55E00", "#bbbbbb")
#: A deployment against its control group, in the same blue / grey / vermillion.
EFFECTS: tuple[str, ...] = (
    "less friction than control",
    "same as control",
    "more friction than control",
)
EFFECT_COLORS: tuple[str, ...] = ("#0072B2", "#8c8c8c", "#D55E00")
#: Evaluation scores 1 (much worse) … 5 (much better): a diverging vermillion → blue ramp.
SCORE_COLORS: tuple[str, ...] = ("#D55E00", "#E69F00", "#8c8c8c", "#56B4E9", "#0072B2")
COMPONENT_COLORS = ("#56B4E9", "#D55E00", "#CC79A7", "#0072B2", "#8b0000")


def finish(chart: Any) -> Any:
    """Apply the house style (top-level config) to a finished figure."""
    return (
        chart.configure(
            font=FONT,
            background="white",
            padding={"left": 8, "right": 16, "top": 8, "bottom": 8},
        )
        # The report gives each chart its text alternative (see render.py): Vega's own
        # per-mark and per-guide ARIA labels would only repeat it, less well, so hide them.
        .configure_mark(aria=False)
        .configure_title(
            fontSize=15,
            fontWeight=600,
            color=INK,
            anchor="start",
            subtitleColor=MUTED,
            subtitleFontSize=11,
            subtitlePadding=4,
            offset=12,
        )
        .configure_axis(
            labelFontSize=11,
            titleFontSize=11,
            titleFontWeight=600,
            titleColor="#444444",
            labelColor="#444444",
            gridColor="#ececec",
            domainColor="#999999",
            tickColor="#999999",
            aria=False,
        )
        .configure_legend(
            labelFontSize=11, titleFontSize=11, titleFontWeight=600, symbolSize=110, aria=False
        )
        .configure_header(labelFontSize=12, titleFontSize=12)
        .configure_view(stroke=None)
    )


def chart_title(text: str, subtitle: str | Sequence[str] | None = None) -> alt.TitleParams:
    """A title with an optional subtitle (one line, or one per item)."""
    if subtitle is None:
        return alt.TitleParams(text)
    return alt.TitleParams(text, subtitle=subtitle if isinstance(subtitle, str) else list(subtitle))


def color_scale(domain: Sequence[str], colors: Sequence[str]) -> alt.Scale:
    """A fixed value → colour mapping, so a colour means the same in every chart."""
    return alt.Scale(domain=list(domain), range=list(colors))
