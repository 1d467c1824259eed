"""Altair builders for the report figures, and the offline report renderer.

Each builder takes the workbench's DataFrames (see :mod:`ihub_analysis.metrics.schemas`)
plus options, and returns a finished Altair chart: titled, with axis titles and
units, colour-blind-safe colours and tooltips.  Charts only ever embed the
aggregated metric rows they draw (never raw events), passed inline as values.

An empty input gives a placeholder chart carrying the same title and a "no data"
message; :func:`is_empty` tells it apart so a notebook can show a notice instead.

Reports are viewed offline: :func:`enable_report_renderer` switches Altair to a
renderer that emits, per chart, a ``<div>`` and a small ``<script>`` calling the
global ``vegaEmbed``; the report pipeline injects :func:`javascript_bundle`
(Vega, Vega-Lite and Vega-Embed with its tooltip handler) once per page.
Without that call (JupyterLab), Altair's default renderer is untouched.

The builders live in one module per report (:mod:`.friction`, :mod:`.bottlenecks`,
:mod:`.health`, :mod:`.changes`); palettes and style in :mod:`.theme`; shared data
helpers and the placeholder in :mod:`.base`; the offline HTML in :mod:`.render`.
Everything public is re-exported here.

    >>> from ihub_analysis import charts
    >>> charts.friction_heatmap(wb.friction_history(), top_n=20)
"""

from __future__ import annotations

from ihub_analysis.charts.base import is_empty, no_data_chart
from ihub_analysis.charts.bottlenecks import (
    STAGE_LABELS,
    STAGE_THRESHOLDS,
    STAGES,
    aging_chart,
    funnel_chart,
    stalled_chart,
)
from ihub_analysis.charts.changes import (
    change_dumbbell,
    change_verdicts,
    did_chart,
    evaluation_scores_chart,
    lead_time_chart,
)
from ihub_analysis.charts.friction import friction_heatmap
from ihub_analysis.charts.health import (
    health_change_chart,
    health_components_chart,
    health_trend_chart,
)
from ihub_analysis.charts.render import (
    RENDERER_NAME,
    enable_report_renderer,
    javascript_bundle,
    report_html,
)
from ihub_analysis.charts.theme import (
    ACCENT,
    BAND_COLORS,
    BANDS,
    COMPONENT_COLORS,
    FONT,
    HEALTH_BAND_COLORS,
    HEALTH_BANDS,
    INK,
    MUTED,
    SERIES_COLORS,
    SEVERITIES,
    SEVERITY_COLORS,
    VERDICT_COLORS,
    VERDICTS,
)

__all__ = [
    "ACCENT",
    "BANDS",
    "BAND_COLORS",
    "COMPONENT_COLORS",
    "FONT",
    "HEALTH_BANDS",
    "HEALTH_BAND_COLORS",
    "INK",
    "MUTED",
    "RENDERER_NAME",
    "SERIES_COLORS",
    "SEVERITIES",
    "SEVERITY_COLORS",
    "STAGES",
    "STAGE_LABELS",
    "STAGE_THRESHOLDS",
    "VERDICTS",
    "VERDICT_COLORS",
    "aging_chart",
    "change_dumbbell",
    "change_verdicts",
    "did_chart",
    "enable_report_renderer",
    "evaluation_scores_chart",
    "friction_heatmap",
    "funnel_chart",
    "health_change_chart",
    "health_components_chart",
    "health_trend_chart",
    "is_empty",
    "javascript_bundle",
    "lead_time_chart",
    "no_data_chart",
    "report_html",
    "stalled_chart",
]
