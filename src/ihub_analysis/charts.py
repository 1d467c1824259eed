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

    >>> from ihub_analysis import charts
    >>> charts.friction_heatmap(wb.friction_history(), top_n=20)
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import polars as pl

__all__ = [
    "BANDS",
    "BAND_COLORS",
    "HEALTH_BANDS",
    "SEVERITIES",
    "STAGES",
    "VERDICTS",
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
    "stalled_chart",
]

# ----------------------------------------------------------------------------- look
#: Friction bands, best to worst, and their colours: a 4-step green → yellow →
#: orange → dark-red ramp whose steps stay apart under deuteranopia, protanopia and
#: tritanopia (checked by simulation; min ΔE ≈ 26) and whose lightness alone
#: separates yellow/orange from green/red.  Cells also print the score.
BANDS: tuple[str, ...] = ("green", "yellow", "amber", "red")
BAND_COLORS: tuple[str, ...] = ("#2ca25f", "#fde725", "#f28e2b", "#8b0000")
#: Severity of a stalled item: a sequential (light → dark) orange-red ramp.
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
SEVERITY_COLORS: tuple[str, ...] = ("#fdcc8a", "#fc8d59", "#d7301f", "#7f0000")
#: Pipeline stages of a bottleneck, in pipeline order.
STAGES: tuple[str, ...] = ("candidate", "requirement", "decision", "observation")
STAGE_LABELS = {
    "candidate": "Candidate → triage",
    "requirement": "Requirement → decision",
    "decision": "Decision → deployment",
    "observation": "Deployment → evaluation",
}
#: Default stage thresholds (days), as in the spec; pass the report's own to override.
STAGE_THRESHOLDS = {"candidate": 30, "requirement": 60, "decision": 30, "observation": 14}
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


def _finish(chart: Any) -> Any:
    """Apply the house style (top-level config) to a finished figure."""
    return (
        chart.configure(
            font=FONT, background="white", padding={"left": 8, "right": 16, "top": 8, "bottom": 8}
        )
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
        )
        .configure_legend(labelFontSize=11, titleFontSize=11, titleFontWeight=600, symbolSize=110)
        .configure_header(labelFontSize=12, titleFontSize=12)
        .configure_view(stroke=None)
    )


def _title(text: str, subtitle: str | Sequence[str] | None = None) -> alt.TitleParams:
    if subtitle is None:
        return alt.TitleParams(text)
    return alt.TitleParams(text, subtitle=subtitle if isinstance(subtitle, str) else list(subtitle))


def _scale(domain: Sequence[str], colors: Sequence[str]) -> alt.Scale:
    return alt.Scale(domain=list(domain), range=list(colors))


# ----------------------------------------------------------------------------- data
def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-able dicts: datetimes as ISO 8601 UTC strings, NaN as null."""
    rows = frame.to_dicts()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, dt.datetime):
                row[key] = _iso(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
            elif isinstance(value, dt.date):
                row[key] = value.isoformat()
            elif isinstance(value, float) and not math.isfinite(value):
                row[key] = None
    return rows


def _data(frame: pl.DataFrame) -> alt.Data:
    """Inline values (no data transformer, no row limit surprises, no URLs)."""
    return alt.Data(values=_records(frame))


def _filter_hubs(
    frame: pl.DataFrame, hubs: Sequence[str] | None, column: str = "hub_slug"
) -> pl.DataFrame:
    if hubs:
        return frame.filter(pl.col(column).is_in(list(hubs)))
    return frame


def _date_label(column: str, fmt: str = "%Y-%m-%d") -> pl.Expr:
    return pl.col(column).dt.convert_time_zone("UTC").dt.strftime(fmt)


def _pct(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f} %"


# ----------------------------------------------------------------------------- no data
def no_data_chart(
    title: str, message: str = "No data for this selection.", *, width: int = 480
) -> alt.Chart:
    """A placeholder figure: the title and a centred message (see :func:`is_empty`)."""
    chart = (
        alt.Chart(alt.Data(values=[{"message": message}]), title=_title(title))
        .mark_text(fontSize=13, color=MUTED, fontStyle="italic")
        .encode(text=alt.Text("message:N"))
        .properties(width=width, height=60, usermeta={"ihub": {"empty": True, "message": message}})
    )
    return _finish(chart)


def is_empty(chart: Any) -> bool:
    """Whether ``chart`` is a :func:`no_data_chart` placeholder."""
    meta = getattr(chart, "usermeta", alt.Undefined)
    return isinstance(meta, dict) and bool(meta.get("ihub", {}).get("empty"))


# ----------------------------------------------------------------------------- friction
def _band_legend(thresholds: Sequence[int]) -> alt.Legend:
    yellow, amber, red = thresholds
    labels = {
        "green": f"green  < {yellow}",
        "yellow": f"yellow  {yellow}–{amber - 1}",
        "amber": f"amber  {amber}–{red - 1}",
        "red": f"red  ≥ {red}",
    }
    expr = " : ".join(f"datum.label == '{k}' ? '{v}'" for k, v in labels.items()) + " : datum.label"
    return alt.Legend(
        title="Friction band (score)", labelExpr=expr, orient="top", direction="horizontal"
    )


def _unique_labels(frame: pl.DataFrame) -> pl.DataFrame:
    """``widget`` label: the name, disambiguated by a short id where a hub repeats a name."""
    return frame.with_columns(
        pl.when(pl.col("widget_id").n_unique().over(["hub_slug", "widget_name"]) > 1)
        .then(pl.col("widget_name") + " (" + pl.col("widget_id").str.slice(0, 8) + ")")
        .otherwise(pl.col("widget_name"))
        .alias("widget")
    )


def friction_heatmap(
    history: pl.DataFrame,
    *,
    top_n: int | None = 25,
    hubs: Sequence[str] | None = None,
    band_thresholds: Sequence[int] = (25, 50, 75),
    window_days: int | None = None,
    title: str = "Widget friction, week by week",
) -> alt.Chart | alt.FacetChart:
    """Widgets (grouped by hub) × weeks, each cell the friction score at that week's end.

    ``history`` is :meth:`Workbench.friction_history`.  Only the ``top_n`` widgets
    with the highest score at the latest week (ties: highest score over the
    period) are drawn; ``hubs`` keeps only those hub slugs.  Colour is the band,
    the number is the score; tooltips give the score's components and counts.
    """
    frame = _filter_hubs(history, hubs)
    if frame.is_empty():
        return no_data_chart(title, "No widget has friction data for this selection.")
    latest = frame["as_of"].max()
    rank = (
        frame.group_by("widget_id")
        .agg(
            pl.col("score").filter(pl.col("as_of") == latest).max().fill_null(-1).alias("latest"),
            pl.col("score").max().alias("peak"),
            pl.col("widget_name").first(),
        )
        .sort(["latest", "peak", "widget_name", "widget_id"], descending=[True, True, False, False])
        .with_row_index("rank")
    )
    if top_n is not None and top_n > 0:
        rank = rank.head(top_n)
    frame = frame.join(rank.select("widget_id", "rank"), on="widget_id", how="inner")
    frame = _unique_labels(frame).with_columns(
        _date_label("as_of").alias("week"),
        (pl.col("error_rate") * 100).round(1).alias("error_pct"),
        pl.when(pl.col("regression_flag"))
        .then(pl.lit("yes"))
        .otherwise(pl.lit("no"))
        .alias("regressed"),
        pl.col("annotation_points").round(1),
        pl.col("error_points").round(1),
        pl.col("regression_points").round(1),
        pl.col("stale_points").round(1),
        pl.when(pl.col("band") == "red").then(pl.lit("white")).otherwise(pl.lit(INK)).alias("ink"),
    )
    # hubs ordered by their worst widget (the rank of their best-ranked widget)
    hub_order = (
        frame.group_by("hub_slug").agg(pl.col("rank").min().alias("r")).sort(["r", "hub_slug"])
    )
    frame = frame.join(hub_order.rename({"r": "hub_rank"}), on="hub_slug")
    cols = [
        "hub_slug",
        "hub_rank",
        "widget",
        "widget_type",
        "rank",
        "week",
        "score",
        "band",
        "ink",
        "annotation_points",
        "error_points",
        "regression_points",
        "stale_points",
        "annotation_count",
        "interaction_count",
        "error_event_count",
        "error_pct",
        "stale_candidate_count",
        "regressed",
    ]
    data = frame.select(cols).sort(["hub_rank", "rank", "week"])
    weeks = frame["week"].n_unique()
    shown = data["widget"].n_unique()
    which = (
        f"the {shown} widgets with the highest current score"
        if top_n and shown >= top_n
        else f"all {shown} widget{'s' if shown != 1 else ''}"
    )
    subtitle = [
        f"Friction score (0–100) at the end of each week"
        f"{f', {window_days}-day window' if window_days else ''}; "
        f"{which}, grouped by hub, worst first.",
        "Hover a cell for the score's components "
        "(annotation, error, regression and stale-candidate points).",
    ]
    x = alt.X(
        "week:O",
        title="Week ending (UTC)",
        sort="ascending",
        axis=alt.Axis(
            labelExpr="utcFormat(toDate(datum.value), '%d %b')", labelAngle=0, orient="bottom"
        ),
    )
    y = alt.Y(
        "widget:N",
        title=None,
        sort=alt.EncodingSortField(field="rank", op="min"),
        axis=alt.Axis(labelLimit=220),
    )
    tooltip = [
        alt.Tooltip("widget:N", title="Widget"),
        alt.Tooltip("hub_slug:N", title="Hub"),
        alt.Tooltip("widget_type:N", title="Type"),
        alt.Tooltip("week:N", title="Week ending"),
        alt.Tooltip("score:Q", title="Friction score"),
        alt.Tooltip("band:N", title="Band"),
        alt.Tooltip("annotation_points:Q", title="Annotation pts (≤ 40)"),
        alt.Tooltip("error_points:Q", title="Error pts (≤ 30)"),
        alt.Tooltip("regression_points:Q", title="Regression pts (0 or 20)"),
        alt.Tooltip("stale_points:Q", title="Stale pts (≤ 10)"),
        alt.Tooltip("annotation_count:Q", title="Friction annotations"),
        alt.Tooltip("interaction_count:Q", title="Interactions"),
        alt.Tooltip("error_event_count:Q", title="Error events"),
        alt.Tooltip("error_pct:Q", title="Error rate (%)"),
        alt.Tooltip("stale_candidate_count:Q", title="Stale candidates"),
        alt.Tooltip("regressed:N", title="Regression flag"),
    ]
    base = alt.Chart().encode(x=x, y=y)
    cells = base.mark_rect(stroke="white", strokeWidth=1.5, cornerRadius=2).encode(
        color=alt.Color(
            "band:N", scale=_scale(BANDS, BAND_COLORS), legend=_band_legend(band_thresholds)
        ),
        tooltip=tooltip,
    )
    labels = base.mark_text(fontSize=10).encode(
        text=alt.Text("score:Q"),
        color=alt.Color("ink:N", scale=None),
        tooltip=tooltip,
    )
    layered = alt.layer(cells, labels, data=_data(data)).properties(
        width=alt.Step(46) if weeks > 1 else 60, height=alt.Step(18)
    )
    chart = layered.facet(
        row=alt.Row(
            "hub_slug:N",
            sort=alt.EncodingSortField(field="hub_rank", op="min"),
            header=alt.Header(
                title=None,
                labelAngle=0,
                labelOrient="top",
                labelAnchor="start",
                labelFontWeight="bold",
                labelFontSize=12,
                labelPadding=4,
            ),
        ),
        spacing=10,
        title=_title(title, subtitle),
    ).resolve_scale(y="independent")
    return _finish(chart)


# ----------------------------------------------------------------------------- bottlenecks
def _step_label(step: str, index: int) -> str:
    return f"{index}. {step}"


def _funnel_panel(
    frame: pl.DataFrame, title: str | None, show_axis_titles: bool = True
) -> alt.HConcatChart:
    data = frame.sort("step_index").with_columns(
        pl.struct("step", "step_index")
        .map_elements(lambda r: _step_label(r["step"], r["step_index"]), return_dtype=pl.String)
        .alias("step_label"),
        (pl.col("conversion") * 100).round(1).alias("conversion_pct"),
        pl.col("p50_days").round(1),
        pl.col("p90_days").round(1),
    )
    data = data.with_columns(
        pl.when(pl.col("step_index") == 1)
        .then(pl.col("reached").cast(pl.String))
        .otherwise(
            pl.col("reached").cast(pl.String)
            + "  ("
            + pl.col("conversion_pct").round(0).cast(pl.Int64).cast(pl.String)
            + " %)"
        )
        .alias("label")
    ).select(
        "hub_slug",
        "step",
        "step_index",
        "step_label",
        "reached",
        "conversion_pct",
        "p50_days",
        "p90_days",
        "wip",
        "label",
    )
    order = data["step_label"].to_list()
    y = alt.Y(
        "step_label:N",
        sort=order,
        title="Step" if show_axis_titles else None,
        axis=alt.Axis(labelLimit=160),
    )
    tooltip = [
        alt.Tooltip("step:N", title="Step"),
        alt.Tooltip("reached:Q", title="Candidates reaching it"),
        alt.Tooltip("conversion_pct:Q", title="Conversion from previous step (%)"),
        alt.Tooltip("wip:Q", title="Waiting for this step now"),
        alt.Tooltip("p50_days:Q", title="Median days from previous step"),
        alt.Tooltip("p90_days:Q", title="90th percentile days"),
    ]
    top = max(1, int(data["reached"].max() or 1))
    bars = (
        alt.Chart()
        .mark_bar(color=ACCENT, cornerRadiusEnd=2, height={"band": 0.7})
        .encode(
            x=alt.X(
                "reached:Q",
                title="Candidates reaching the step (count)",
                scale=alt.Scale(domain=[0, top * 1.3]),
            ),
            y=y,
            tooltip=tooltip,
        )
    )
    text = (
        alt.Chart()
        .mark_text(align="left", dx=4, fontSize=11, color=INK)
        .encode(x="reached:Q", y=y, text="label:N", tooltip=tooltip)
    )
    reached = alt.layer(bars, text, data=_data(data)).properties(
        width=320,
        height=alt.Step(26),
        title=alt.TitleParams(
            "Reached (conversion from previous step)", fontSize=12, fontWeight=500
        ),
    )
    times = data.filter(pl.col("p50_days").is_not_null())
    y2 = alt.Y(
        "step_label:N",
        sort=order,
        title=None,
        axis=alt.Axis(labels=False, ticks=False, domain=False),
    )
    if times.is_empty():
        span = (
            alt.Chart(
                alt.Data(
                    values=[{"step_label": order[0] if order else "", "m": "no step times yet"}]
                )
            )
            .mark_text(color=MUTED, fontStyle="italic")
            .encode(y=y2, text="m:N")
        )
    else:
        rng = (
            alt.Chart()
            .mark_rule(color=ACCENT, strokeWidth=3, opacity=0.45)
            .encode(
                x=alt.X(
                    "p50_days:Q", title="Days from previous step (median ● to 90th percentile |)"
                ),
                x2="p90_days:Q",
                y=y2,
                tooltip=tooltip,
            )
        )
        p50 = (
            alt.Chart()
            .mark_point(filled=True, size=70, color=ACCENT, opacity=1)
            .encode(x="p50_days:Q", y=y2, tooltip=tooltip)
        )
        p90 = (
            alt.Chart()
            .mark_tick(color=ACCENT, thickness=2, size=14)
            .encode(x="p90_days:Q", y=y2, tooltip=tooltip)
        )
        span = alt.layer(rng, p50, p90, data=_data(data))
    span = span.properties(
        width=260,
        height=alt.Step(26),
        title=alt.TitleParams("Step time (days)", fontSize=12, fontWeight=500),
    )
    return alt.hconcat(
        reached,
        span,
        spacing=18,
        title=alt.TitleParams(title, fontSize=13) if title else alt.Undefined,
    )


def funnel_chart(
    funnel: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    cohort_days: int | None = None,
    title: str = "Pipeline funnel",
) -> alt.VConcatChart | alt.HConcatChart | alt.Chart:
    """Funnel steps with reached counts, conversion and p50/p90 step times.

    ``funnel`` is :meth:`Workbench.funnel`.  Without ``hubs`` the ``all`` rows are
    drawn; with ``hubs`` one funnel per selected hub, stacked.
    """
    wanted = list(hubs) if hubs else ["all"]
    frame = funnel.filter(pl.col("hub_slug").is_in(wanted))
    if frame.is_empty() or int(frame["reached"].max() or 0) == 0:
        return no_data_chart(title, "No candidate was created in the cohort window.")
    cohort = (
        f"candidates created in the last {cohort_days} days"
        if cohort_days
        else "the cohort of candidates"
    )
    subtitle = (
        f"How far {cohort} got by the report date; a candidate reaching a later step counts "
        "for every earlier one."
    )
    panels = [
        _funnel_panel(
            frame.filter(pl.col("hub_slug") == hub), None if wanted == ["all"] else f"Hub: {hub}"
        )
        for hub in wanted
        if not frame.filter(pl.col("hub_slug") == hub).is_empty()
    ]
    chart = alt.vconcat(*panels, spacing=24, title=_title(title, subtitle))
    return _finish(chart)


def stalled_chart(
    bottlenecks: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    title: str = "Stalled items by stage and severity",
) -> alt.Chart:
    """Count of bottlenecks per stage, stacked by severity (low → critical)."""
    frame = _filter_hubs(bottlenecks, hubs)
    if frame.is_empty():
        return no_data_chart(title, "No item is stalled past its stage threshold.")
    counts = (
        frame.group_by("stage", "severity")
        .agg(
            pl.len().cast(pl.Int64).alias("items"),
            pl.col("age_days").median().round(1).alias("median_age"),
        )
        .with_columns(
            pl.col("stage")
            .replace_strict(STAGE_LABELS, default=pl.col("stage"))
            .alias("stage_label"),
            pl.col("severity")
            .replace_strict({s: i for i, s in enumerate(SEVERITIES)}, default=9)
            .alias("severity_order"),
        )
        .sort("stage", "severity_order")
    )
    totals = counts.group_by("stage_label").agg(pl.col("items").sum().alias("total"))
    stage_order = [STAGE_LABELS[s] for s in STAGES] + sorted(
        set(counts["stage_label"].to_list()) - set(STAGE_LABELS.values())
    )
    y = alt.Y(
        "stage_label:N",
        title="Stage (waiting for)",
        sort=stage_order,
        scale=alt.Scale(domain=stage_order),
    )
    tooltip = [
        alt.Tooltip("stage_label:N", title="Stage"),
        alt.Tooltip("severity:N", title="Severity"),
        alt.Tooltip("items:Q", title="Stalled items"),
        alt.Tooltip("median_age:Q", title="Median age (days)"),
    ]
    bars = (
        alt.Chart(_data(counts))
        .mark_bar(height={"band": 0.65})
        .encode(
            x=alt.X(
                "sum(items):Q",
                title="Stalled items (count)",
                axis=alt.Axis(tickMinStep=1, format="d"),
            ),
            y=y,
            color=alt.Color(
                "severity:N",
                scale=_scale(SEVERITIES, SEVERITY_COLORS),
                legend=alt.Legend(
                    title="Severity (age ÷ threshold)",
                    orient="top",
                    labelExpr=(
                        "datum.label == 'low' ? 'low  < 1.5×' : "
                        "datum.label == 'medium' ? 'medium  ≥ 1.5×' : "
                        "datum.label == 'high' ? 'high  ≥ 2×' : "
                        "datum.label == 'critical' ? 'critical  ≥ 4×' : datum.label"
                    ),
                ),
            ),
            order=alt.Order("severity_order:Q"),
            tooltip=tooltip,
        )
    )
    text = (
        alt.Chart(_data(totals))
        .mark_text(align="left", dx=4, fontSize=11, color=INK)
        .encode(x="total:Q", y=y, text="total:Q")
    )
    chart = alt.layer(bars, text).properties(
        width=420,
        height=alt.Step(30),
        title=_title(
            title,
            f"{frame.height} open item{'s' if frame.height != 1 else ''} "
            "past their stage threshold",
        ),
    )
    return _finish(chart)


def _jitter(key: str) -> float:
    """A deterministic offset in [-1, 1) from a key (stable across renders)."""
    digest = hashlib.blake2b(key.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") / 2**31 - 1.0


def aging_chart(
    bottlenecks: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    thresholds: Mapping[str, int] | None = None,
    title: str = "Age of stalled items against their stage threshold",
) -> alt.LayerChart | alt.Chart:
    """One dot per stalled item (age in days) per stage; a bar marks the stage threshold."""
    frame = _filter_hubs(bottlenecks, hubs)
    if frame.is_empty():
        return no_data_chart(title, "No item is stalled past its stage threshold.")
    limits = dict(STAGE_THRESHOLDS)
    limits.update(
        {
            r["stage"]: int(r["threshold_days"])
            for r in frame.select("stage", "threshold_days").unique().iter_rows(named=True)
        }
    )
    if thresholds:
        limits.update({k: int(v) for k, v in thresholds.items()})
    items = frame.with_columns(
        pl.col("stage").replace_strict(STAGE_LABELS, default=pl.col("stage")).alias("stage_label"),
        pl.col("subject_id").map_elements(_jitter, return_dtype=pl.Float64).alias("jitter"),
        pl.col("age_days").round(1),
        pl.col("ratio").round(2),
        _date_label("stalled_since").alias("since"),
        pl.col("title").fill_null("—"),
        pl.col("reviewer").fill_null("unassigned"),
    ).select(
        "stage_label",
        "hub_slug",
        "title",
        "reviewer",
        "severity",
        "age_days",
        "threshold_days",
        "ratio",
        "since",
        "jitter",
    )
    stage_order = [STAGE_LABELS[s] for s in STAGES] + sorted(
        set(items["stage_label"].to_list()) - set(STAGE_LABELS.values())
    )
    rules = pl.DataFrame(
        {
            "stage_label": [STAGE_LABELS.get(s, s) for s in limits],
            "threshold_days": list(limits.values()),
            "label": [f"threshold {v} d" for v in limits.values()],
        }
    ).filter(pl.col("stage_label").is_in(stage_order))
    y = alt.Y(
        "stage_label:N",
        title="Stage (waiting for)",
        sort=stage_order,
        scale=alt.Scale(domain=stage_order),
    )
    top = float(max(items["age_days"].max() or 0, max(limits.values())))
    x_scale = alt.Scale(domain=[0, math.ceil(top * 1.05 / 10) * 10], nice=False)
    thresh = (
        alt.Chart(_data(rules))
        .mark_tick(color=INK, thickness=2.5, size=30)
        .encode(
            x=alt.X("threshold_days:Q", scale=x_scale),
            y=y,
            tooltip=[
                alt.Tooltip("stage_label:N", title="Stage"),
                alt.Tooltip("threshold_days:Q", title="Threshold (days)"),
            ],
        )
    )
    thresh_text = (
        alt.Chart(_data(rules))
        .mark_text(align="right", dx=-5, dy=-11, fontSize=10, color=MUTED)
        .encode(x="threshold_days:Q", y=y, text="label:N")
    )
    tooltip = [
        alt.Tooltip("title:N", title="Item"),
        alt.Tooltip("hub_slug:N", title="Hub"),
        alt.Tooltip("stage_label:N", title="Stage"),
        alt.Tooltip("severity:N", title="Severity"),
        alt.Tooltip("age_days:Q", title="Age (days)"),
        alt.Tooltip("threshold_days:Q", title="Threshold (days)"),
        alt.Tooltip("ratio:Q", title="Age ÷ threshold"),
        alt.Tooltip("since:N", title="Stalled since (UTC)"),
        alt.Tooltip("reviewer:N", title="Reviewer"),
    ]
    dots = (
        alt.Chart(_data(items))
        .mark_circle(size=60, opacity=0.85, stroke="white", strokeWidth=0.6)
        .encode(
            x=alt.X("age_days:Q", title="Age in the stage (days)", scale=x_scale),
            y=y,
            yOffset=alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-1.6, 1.6])),
            color=alt.Color(
                "severity:N",
                scale=_scale(SEVERITIES, SEVERITY_COLORS),
                legend=alt.Legend(title="Severity", orient="top"),
            ),
            tooltip=tooltip,
        )
    )
    chart = alt.layer(thresh, thresh_text, dots).properties(
        width=560,
        height=alt.Step(56),
        title=_title(
            title,
            "Each dot is one open item past its threshold (black bar); "
            "severity by age ÷ threshold.",
        ),
    )
    return _finish(chart)


# ----------------------------------------------------------------------------- health
def _health_long(
    trend: pl.DataFrame,
    recorded: pl.DataFrame | None,
    arrows: pl.DataFrame | None,
    arrow_weeks: int,
) -> pl.DataFrame:
    computed = trend.select(
        "hub_slug",
        "as_of",
        "health_score",
        pl.lit("Computed").alias("series"),
        "band",
        "open_candidates",
        "regressed_widgets",
        "stale_decisions",
        "active_bottlenecks",
        "red_widgets",
    )
    parts = [computed]
    lo, hi = trend["as_of"].min(), trend["as_of"].max()
    if recorded is not None and not recorded.is_empty():
        rec = recorded.filter(
            pl.col("hub_slug").is_in(trend["hub_slug"].unique().to_list())
            & (pl.col("computed_at") >= lo - dt.timedelta(days=7))  # type: ignore[operator]
            & (pl.col("computed_at") <= hi)
        ).select(
            "hub_slug",
            pl.col("computed_at").alias("as_of"),
            "health_score",
            pl.lit("Recorded").alias("series"),
            pl.lit(None, pl.String).alias("band"),
            "open_candidates",
            "regressed_widgets",
            "stale_decisions",
            "active_bottlenecks",
            pl.lit(None, pl.Int64).alias("red_widgets"),
        )
        parts.append(rec)
    long = pl.concat(parts, how="vertical_relaxed")
    if arrows is not None and not arrows.is_empty():
        heads = arrows.select(
            "hub_slug",
            pl.format(
                "{}   {} {}",
                "hub_slug",
                pl.col("health_score").cast(pl.String),
                pl.when(pl.col("change").is_null())
                .then(pl.lit("· no score 4 weeks before"))
                .otherwise(
                    pl.col("arrow")
                    + " "
                    + pl.when(pl.col("change") > 0)
                    .then(pl.lit("+"))
                    .when(pl.col("change") < 0)
                    .then(pl.lit("−"))
                    .otherwise(pl.lit("±"))
                    + pl.col("change").abs().cast(pl.String)
                    + pl.lit(f" in {arrow_weeks} weeks")
                ),
            ).alias("panel"),
        )
        long = long.join(heads, on="hub_slug", how="left").with_columns(
            pl.col("panel").fill_null(pl.col("hub_slug"))
        )
    else:
        long = long.with_columns(pl.col("hub_slug").alias("panel"))
    return long.with_columns(_date_label("as_of", "%Y-%m-%d %H:%M UTC").alias("when"))


def health_trend_chart(
    trend: pl.DataFrame,
    recorded: pl.DataFrame | None = None,
    arrows: pl.DataFrame | None = None,
    *,
    hubs: Sequence[str] | None = None,
    healthy_min: int = 80,
    watch_min: int = 60,
    arrow_weeks: int = 4,
    columns: int = 3,
    title: str = "Hub health, week by week",
) -> alt.FacetChart | alt.Chart:
    """Health score per hub over the weeks (small multiples), band thresholds shaded.

    ``trend`` is :meth:`Workbench.health_trend`; ``recorded`` (optional) is
    :meth:`Workbench.recorded_health`, drawn dashed beside the computed series;
    ``arrows`` (optional, :meth:`Workbench.health_arrows`) puts the current score
    and the ``arrow_weeks``-week trend arrow in each panel's header.
    """
    trend = _filter_hubs(trend, hubs)
    if trend.is_empty():
        return no_data_chart(title, "No hub to show for this selection.")
    recorded = _filter_hubs(recorded, hubs) if recorded is not None else None
    arrows = _filter_hubs(arrows, hubs) if arrows is not None else None
    data = _health_long(trend, recorded, arrows, arrow_weeks)
    has_recorded = data.filter(pl.col("series") == "Recorded").height > 0
    series_domain = ["Computed", "Recorded"] if has_recorded else ["Computed"]
    series_labels = (
        "datum.label == 'Computed' ? 'computed from the data' : 'recorded (hub_health_snapshots)'"
    )
    x = alt.X(
        "as_of:T",
        title="Week ending (UTC)",
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format="%d %b", formatType="utc", labelAngle=0, tickCount=4, grid=False),
    )
    y = alt.Y(
        "health_score:Q",
        title="Health score (0–100)",
        scale=alt.Scale(domain=[0, 100], nice=False),
        axis=alt.Axis(values=[0, 20, 40, 60, 80, 100]),
    )
    one = alt.Chart().transform_aggregate(n="count()")
    zones = [
        (healthy_min, 100, HEALTH_BAND_COLORS[0]),
        (watch_min, healthy_min, HEALTH_BAND_COLORS[1]),
        (0, watch_min, HEALTH_BAND_COLORS[2]),
    ]
    layers: list[Any] = [
        one.mark_rect(color=color, opacity=0.09).encode(
            y=alt.datum(lo_, type="quantitative"), y2=alt.datum(hi_)
        )
        for lo_, hi_, color in zones
    ]
    layers += [
        one.mark_rule(color="#888888", strokeDash=[3, 3], strokeWidth=1).encode(
            y=alt.datum(v, type="quantitative")
        )
        for v in (healthy_min, watch_min)
    ]
    tooltip = [
        alt.Tooltip("hub_slug:N", title="Hub"),
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("when:N", title="As of"),
        alt.Tooltip("health_score:Q", title="Health score"),
        alt.Tooltip("band:N", title="Band"),
        alt.Tooltip("open_candidates:Q", title="Open candidates"),
        alt.Tooltip("regressed_widgets:Q", title="Regressed widgets"),
        alt.Tooltip("stale_decisions:Q", title="Stale decisions"),
        alt.Tooltip("active_bottlenecks:Q", title="Active bottlenecks"),
        alt.Tooltip("red_widgets:Q", title="Red widgets"),
    ]
    color = alt.Color(
        "series:N",
        scale=_scale(series_domain, SERIES_COLORS[: len(series_domain)]),
        legend=alt.Legend(title="Series", orient="top", labelExpr=series_labels, labelLimit=320),
    )
    dash = alt.StrokeDash(
        "series:N",
        scale=alt.Scale(domain=series_domain, range=[[1, 0], [5, 3]][: len(series_domain)]),
        legend=None,
    )
    lines = (
        alt.Chart()
        .mark_line(strokeWidth=2, interpolate="linear")
        .encode(x=x, y=y, color=color, strokeDash=dash, detail="series:N")
    )
    points = (
        alt.Chart()
        .mark_point(size=28, filled=True)
        .encode(
            x=x,
            y=y,
            color=color,
            shape=alt.Shape(
                "series:N",
                scale=alt.Scale(
                    domain=series_domain, range=["circle", "diamond"][: len(series_domain)]
                ),
                legend=None,
            ),
            tooltip=tooltip,
        )
    )
    layers += [lines, points]
    n_hubs = data["hub_slug"].n_unique()
    cols = max(1, min(columns, n_hubs))
    chart = (
        alt.layer(
            *layers,
            data=_data(
                data.drop("as_of").with_columns(
                    data["as_of"]
                    .dt.convert_time_zone("UTC")
                    .dt.strftime("%Y-%m-%dT%H:%M:%SZ")
                    .alias("as_of")
                )
            ),
        )
        .properties(width=230, height=150)
        .facet(
            facet=alt.Facet(
                "panel:N",
                title=None,
                sort=alt.EncodingSortField(field="hub_slug", op="min"),
                header=alt.Header(
                    labelFontWeight="bold", labelFontSize=12, labelAnchor="start", labelOrient="top"
                ),
            ),
            columns=cols,
            spacing={"row": 18, "column": 20},
            title=_title(
                title,
                f"Shaded bands: healthy ≥ {healthy_min}, watch {watch_min}–{healthy_min - 1}, "
                f"at risk < {watch_min}. "
                f"Panel header: score at the report date and its change over {arrow_weeks} weeks.",
            ),
        )
    )
    return _finish(chart)


#: The words the legend gives the trend arrows of ``Workbench.health_arrows()``.
_DIRECTION_OF_ARROW = {"↑": "better", "↓": "worse", "→": "unchanged", "·": "unknown"}


def health_change_chart(
    arrows: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    arrow_weeks: int = 4,
    healthy_min: int = 80,
    watch_min: int = 60,
    title: str = "Health now and four weeks before",
) -> alt.LayerChart | alt.Chart:
    """Per hub: the score ``arrow_weeks`` weeks before (○) → now (●), coloured by direction."""
    frame = _filter_hubs(arrows, hubs)
    if frame.is_empty():
        return no_data_chart(title, "No hub to show for this selection.")
    data = frame.with_columns(
        pl.col("arrow").replace_strict(_DIRECTION_OF_ARROW, default="unknown").alias("direction"),
        pl.format("{} {}", "arrow", pl.col("health_score").cast(pl.String)).alias("label"),
        pl.max_horizontal(
            "health_score", pl.col("previous_score").fill_null(pl.col("health_score"))
        ).alias("label_x"),
    )
    order = data.sort(["health_score", "hub_slug"])["hub_slug"].to_list()
    y = alt.Y("hub_slug:N", title="Hub", sort=order)
    x_scale = alt.Scale(domain=[0, 100], nice=False)
    direction = alt.Color(
        "direction:N",
        scale=_scale(
            ("better", "unchanged", "worse", "unknown"),
            ("#0072B2", "#8c8c8c", "#D55E00", "#bbbbbb"),
        ),
        legend=alt.Legend(title=f"Change over {arrow_weeks} weeks", orient="top"),
    )
    tooltip = [
        alt.Tooltip("hub_slug:N", title="Hub"),
        alt.Tooltip("health_score:Q", title="Health now"),
        alt.Tooltip("previous_score:Q", title=f"{arrow_weeks} weeks before"),
        alt.Tooltip("change:Q", title="Change"),
    ]
    base = alt.Chart(_data(data))
    guides = (
        alt.Chart(alt.Data(values=[{"v": healthy_min}, {"v": watch_min}]))
        .mark_rule(color="#888888", strokeDash=[3, 3])
        .encode(x=alt.X("v:Q", scale=x_scale))
    )
    rule = base.mark_rule(strokeWidth=2.5).encode(
        x=alt.X("previous_score:Q", scale=x_scale, title="Health score (0–100)"),
        x2="health_score:Q",
        y=y,
        color=direction,
        tooltip=tooltip,
    )
    before = base.mark_point(size=60, filled=False, strokeWidth=1.5, color="#777777").encode(
        x=alt.X("previous_score:Q", scale=x_scale), y=y, tooltip=tooltip
    )
    now = base.mark_circle(size=90, opacity=1).encode(
        x=alt.X("health_score:Q", scale=x_scale), y=y, color=direction, tooltip=tooltip
    )
    text = base.mark_text(align="left", dx=10, fontSize=11, color=INK).encode(
        x=alt.X("label_x:Q", scale=x_scale), y=y, text="label:N"
    )
    chart = alt.layer(guides, rule, before, now, text).properties(
        width=460,
        height=alt.Step(24),
        title=_title(
            title,
            f"○ score {arrow_weeks} weeks before → ● score at the report date; "
            f"dashed lines: band thresholds {watch_min} and {healthy_min}",
        ),
    )
    return _finish(chart)


_COMPONENTS = (
    (
        "open_candidates",
        "Open candidates",
        "health_open_candidate_weight",
        "health_open_candidate_cap",
    ),
    ("regressed_widgets", "Regressed widgets", "health_regressed_weight", "health_regressed_cap"),
    (
        "stale_decisions",
        "Stale decisions",
        "health_stale_decision_weight",
        "health_stale_decision_cap",
    ),
    (
        "active_bottlenecks",
        "Active bottlenecks",
        "health_bottleneck_weight",
        "health_bottleneck_cap",
    ),
    ("red_widgets", "Red widgets", "health_red_widget_weight", "health_red_widget_cap"),
)
COMPONENT_COLORS = ("#56B4E9", "#D55E00", "#CC79A7", "#0072B2", "#8b0000")


def health_components_chart(
    health: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    settings: Any = None,
    title: str = "Where each hub loses health points",
) -> alt.Chart:
    """Points deducted from 100 per hub, by component (weights and caps from ``settings``)."""
    from ihub_analysis.settings import Settings

    s = settings or Settings()
    frame = _filter_hubs(health, hubs)
    if frame.is_empty():
        return no_data_chart(title, "No hub to show for this selection.")
    rows = []
    for r in frame.iter_rows(named=True):
        for i, (col, label, weight, cap) in enumerate(_COMPONENTS):
            count = int(r[col] or 0)
            points = min(getattr(s, cap), getattr(s, weight) * count)
            rows.append(
                {
                    "hub_slug": r["hub_slug"],
                    "component": label,
                    "order": i,
                    "count": count,
                    "points": points,
                    "health_score": r["health_score"],
                }
            )
    data = pl.DataFrame(rows)
    order = frame.sort(["health_score", "hub_slug"])["hub_slug"].to_list()
    chart = (
        alt.Chart(_data(data))
        .mark_bar(height={"band": 0.7})
        .encode(
            x=alt.X(
                "sum(points):Q", title="Points deducted from 100", scale=alt.Scale(domain=[0, 100])
            ),
            y=alt.Y("hub_slug:N", title="Hub", sort=order),
            color=alt.Color(
                "component:N",
                scale=_scale([c[1] for c in _COMPONENTS], COMPONENT_COLORS),
                legend=alt.Legend(title="Component", orient="top", columns=3),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("hub_slug:N", title="Hub"),
                alt.Tooltip("component:N", title="Component"),
                alt.Tooltip("count:Q", title="Count"),
                alt.Tooltip("points:Q", title="Points deducted"),
                alt.Tooltip("health_score:Q", title="Health score"),
            ],
        )
        .properties(
            width=460,
            height=alt.Step(24),
            title=_title(
                title, "health = 100 − the sum of these capped deductions; lowest health first"
            ),
        )
    )
    return _finish(chart)


# ----------------------------------------------------------------------------- changes
def _deployment_labels(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.format("{} · {}", "version_ref", "hub_slug").alias("deployment"),
        _date_label("deployed_at").alias("deployed"),
    ).with_columns(
        # keep labels unique when a version is deployed twice in one hub
        pl.when(pl.col("deployment").count().over("deployment") > 1)
        .then(pl.format("{} ({})", "deployment", "deployed"))
        .otherwise(pl.col("deployment"))
        .alias("deployment")
    )


def _change_tooltip() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("deployment:N", title="Deployment"),
        alt.Tooltip("decision_title:N", title="Decision"),
        alt.Tooltip("deployed:N", title="Deployed (UTC)"),
        alt.Tooltip("verdict:N", title="Verdict"),
        alt.Tooltip("before_mean:Q", title="Friction before", format=".1f"),
        alt.Tooltip("after_mean:Q", title="Friction after", format=".1f"),
        alt.Tooltip("delta:Q", title="Δ friction", format="+.1f"),
        alt.Tooltip("did:Q", title="Δ vs control (DiD)", format="+.1f"),
        alt.Tooltip("control_widgets:Q", title="Control widgets"),
        alt.Tooltip("widgets:Q", title="Changed widgets"),
        alt.Tooltip("score:Q", title="Evaluation score (1–5)"),
    ]


_CHANGE_COLS = [
    "deployment",
    "decision_title",
    "deployed",
    "deployed_at",
    "verdict",
    "before_mean",
    "after_mean",
    "delta",
    "did",
    "control_widgets",
    "widgets",
    "score",
    "hub_slug",
]


def change_dumbbell(
    changes: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    limit: int | None = 40,
    title: str = "Friction before and after each deployment",
) -> alt.LayerChart | alt.Chart:
    """Dumbbell per evaluated deployment: mean friction of its widgets before (○) and after (●).

    ``changes`` is :meth:`Workbench.changes`; deployments still observing (no
    ``after`` yet) or without widgets are left out.  Newest first, at most ``limit``.
    """
    frame = _filter_hubs(changes, hubs).filter(
        pl.col("before_mean").is_not_null() & pl.col("after_mean").is_not_null()
    )
    if frame.is_empty():
        return no_data_chart(title, "No deployment in the range has a before/after comparison yet.")
    frame = _deployment_labels(frame.sort("deployed_at", descending=True))
    if limit:
        frame = frame.head(limit)
    data = frame.select(_CHANGE_COLS).with_columns(
        pl.col("deployed_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    order = data["deployment"].to_list()
    y = alt.Y(
        "deployment:N",
        title=None,
        sort=order,
        axis=alt.Axis(labelLimit=320),
    )
    verdict = alt.Color(
        "verdict:N",
        scale=_scale(VERDICTS[:3], VERDICT_COLORS[:3]),
        legend=alt.Legend(title="Verdict", orient="top"),
    )
    tooltip = _change_tooltip()
    x_title = "Mean friction score of the changed widgets (0–100)"
    base = alt.Chart(_data(data))
    rule = base.mark_rule(strokeWidth=3, opacity=0.7).encode(
        x=alt.X("before_mean:Q", title=x_title, scale=alt.Scale(domain=[0, 100], nice=False)),
        x2="after_mean:Q",
        y=y,
        color=verdict,
        tooltip=tooltip,
    )
    before = base.mark_point(
        size=70,
        shape="circle",
        filled=True,
        fill="white",
        stroke="#555555",
        strokeWidth=1.8,
        opacity=1,
    ).encode(x="before_mean:Q", y=y, tooltip=tooltip)
    after = base.mark_circle(size=90, opacity=1).encode(
        x="after_mean:Q", y=y, color=verdict, tooltip=tooltip
    )
    chart = alt.layer(rule, before, after).properties(
        width=460,
        height=alt.Step(22),
        title=_title(
            title,
            [
                "Newest first. ○ friction (14-day window) as of the deployment → ● 14 days after.",
                "Verdict: improved if the mean change Δ ≤ −5, regressed if Δ ≥ +5, "
                "otherwise neutral.",
            ],
        ),
    )
    return _finish(chart)


def change_verdicts(
    changes: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    title: str = "Verdicts and change failure rate",
) -> alt.LayerChart | alt.Chart:
    """Deployments per verdict; the subtitle gives the change failure rate."""
    frame = _filter_hubs(changes, hubs)
    if frame.is_empty():
        return no_data_chart(title, "No deployment in the report range.")
    counts = frame.group_by("verdict").agg(pl.len().cast(pl.Int64).alias("deployments"))
    present = set(counts["verdict"].to_list())
    domain = [v for v in VERDICTS if v in present] + sorted(present - set(VERDICTS))
    colors = dict(zip(VERDICTS, VERDICT_COLORS, strict=True))
    n = {v: int(c) for v, c in counts.iter_rows()}
    judged = n.get("improved", 0) + n.get("neutral", 0) + n.get("regressed", 0)
    cfr = n.get("regressed", 0) / judged if judged else None
    subtitle = (
        f"Change failure rate {_pct(cfr)} = regressed ÷ (improved + neutral + regressed) = "
        f"{n.get('regressed', 0)} ÷ {judged}"
        if cfr is not None
        else "Change failure rate: no deployment judged yet"
    )
    y = alt.Y("verdict:N", title="Verdict", sort=domain, scale=alt.Scale(domain=domain))
    base = alt.Chart(_data(counts))
    bars = base.mark_bar(height={"band": 0.65}).encode(
        x=alt.X(
            "deployments:Q", title="Deployments (count)", axis=alt.Axis(tickMinStep=1, format="d")
        ),
        y=y,
        color=alt.Color(
            "verdict:N",
            scale=_scale(domain, [colors.get(v, "#999999") for v in domain]),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("verdict:N", title="Verdict"),
            alt.Tooltip("deployments:Q", title="Deployments"),
        ],
    )
    text = base.mark_text(align="left", dx=4, fontSize=11, color=INK).encode(
        x="deployments:Q", y=y, text="deployments:Q"
    )
    chart = alt.layer(bars, text).properties(
        width=360, height=alt.Step(26), title=_title(title, subtitle)
    )
    return _finish(chart)


def did_chart(
    changes: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    limit: int | None = 40,
    title: str = "Change against the control group (difference in differences)",
) -> alt.LayerChart | alt.Chart:
    """Per deployment: its friction change minus its control widgets' (negative is better)."""
    frame = _filter_hubs(changes, hubs).filter(pl.col("did").is_not_null())
    if frame.is_empty():
        return no_data_chart(title, "No deployment has a control group to compare with yet.")
    frame = _deployment_labels(frame.sort("deployed_at", descending=True))
    if limit:
        frame = frame.head(limit)
    data = frame.select(_CHANGE_COLS).with_columns(
        pl.col("deployed_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        pl.when(pl.col("did") < 0)
        .then(pl.lit("less friction than control"))
        .when(pl.col("did") > 0)
        .then(pl.lit("more friction than control"))
        .otherwise(pl.lit("same as control"))
        .alias("effect"),
    )
    order = data["deployment"].to_list()
    y = alt.Y(
        "deployment:N",
        title=None,
        sort=order,
        axis=alt.Axis(labelLimit=320),
    )
    base = alt.Chart(_data(data))
    bars = base.mark_bar(height={"band": 0.7}).encode(
        x=alt.X("did:Q", title="Δ friction minus the control widgets' Δ (score points)"),
        y=y,
        color=alt.Color(
            "effect:N",
            scale=_scale(
                ("less friction than control", "same as control", "more friction than control"),
                ("#0072B2", "#8c8c8c", "#D55E00"),
            ),
            legend=alt.Legend(title=None, orient="top"),
        ),
        tooltip=_change_tooltip(),
    )
    zero = alt.Chart(alt.Data(values=[{"v": 0}])).mark_rule(color=INK).encode(x="v:Q")
    chart = alt.layer(bars, zero).properties(
        width=420,
        height=alt.Step(22),
        title=_title(
            title,
            "Newest first. Negative: the changed widgets improved more than "
            "comparable widgets of the hub",
        ),
    )
    return _finish(chart)


def _quantile(values: pl.Series, q: float) -> float | None:
    values = values.drop_nulls()
    if values.is_empty():
        return None
    return float(values.quantile(q, interpolation="linear"))  # type: ignore[arg-type]


def lead_time_chart(
    changes: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    title: str = "Lead time from first candidate to deployment",
) -> alt.LayerChart | alt.Chart:
    """Histogram of deployments' lead times (days) with the median and 90th percentile marked."""
    frame = _filter_hubs(changes, hubs).filter(pl.col("lead_time_days").is_not_null())
    if frame.is_empty():
        return no_data_chart(title, "No deployment with a known lead time in the report range.")
    p50 = _quantile(frame["lead_time_days"], 0.5)
    p90 = _quantile(frame["lead_time_days"], 0.9)
    data = frame.select(pl.col("lead_time_days").round(2), "hub_slug", "version_ref")
    bars = (
        alt.Chart(_data(data))
        .mark_bar(color=ACCENT, opacity=0.85, binSpacing=1)
        .encode(
            x=alt.X("lead_time_days:Q", bin=alt.Bin(maxbins=14), title="Lead time (days)"),
            y=alt.Y(
                "count():Q", title="Deployments (count)", axis=alt.Axis(tickMinStep=1, format="d")
            ),
            tooltip=[
                alt.Tooltip("lead_time_days:Q", bin=alt.Bin(maxbins=14), title="Lead time (days)"),
                alt.Tooltip("count():Q", title="Deployments"),
            ],
        )
    )
    marks = pl.DataFrame({"v": [p50, p90], "label": [f"median {p50:.1f} d", f"p90 {p90:.1f} d"]})
    rules = (
        alt.Chart(_data(marks))
        .mark_rule(color=INK, strokeDash=[4, 3], strokeWidth=1.5)
        .encode(x="v:Q")
    )
    texts = [
        alt.Chart(_data(marks[i : i + 1]))
        .mark_text(align=align, dx=dx, baseline="bottom", fontSize=11, color=INK)
        .encode(x="v:Q", y=alt.value(-4), text="label:N")
        for i, (align, dx) in enumerate((("right", -3), ("left", 3)))
    ]
    chart = alt.layer(bars, rules, *texts).properties(
        width=460,
        height=200,
        title=alt.TitleParams(
            title,
            subtitle=f"{frame.height} deployments; "
            "from the earliest candidate behind the decision to deployed_at",
            offset=22,
        ),
    )
    return _finish(chart)


def evaluation_scores_chart(
    changes: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    title: str = "Evaluation scores",
) -> alt.LayerChart | alt.Chart:
    """Deployments per change-evaluation score (1–5); the subtitle gives the mean and coverage."""
    frame = _filter_hubs(changes, hubs)
    scored = frame.filter(pl.col("score").is_not_null())
    if scored.is_empty():
        return no_data_chart(title, "No deployment in the range has been evaluated yet.")
    counts = (
        pl.DataFrame({"score": [1, 2, 3, 4, 5]})
        .join(
            scored.group_by("score").agg(pl.len().cast(pl.Int64).alias("deployments")),
            on="score",
            how="left",
        )
        .with_columns(pl.col("deployments").fill_null(0))
    )
    mean = float(scored["score"].mean())  # type: ignore[arg-type]
    subtitle = (
        f"{scored.height} of {frame.height} deployments evaluated "
        f"({_pct(scored.height / frame.height)}); "
        f"mean score {mean:.1f}; ≤ 2 flags a regression"
    )
    base = alt.Chart(_data(counts))
    x = alt.X(
        "score:O",
        title="Evaluation score (1 = much worse … 5 = much better)",
        axis=alt.Axis(labelAngle=0),
    )
    bars = base.mark_bar(width={"band": 0.7}).encode(
        x=x,
        y=alt.Y(
            "deployments:Q", title="Deployments (count)", axis=alt.Axis(tickMinStep=1, format="d")
        ),
        color=alt.Color(
            "score:O",
            scale=alt.Scale(
                domain=[1, 2, 3, 4, 5],
                range=["#D55E00", "#E69F00", "#8c8c8c", "#56B4E9", "#0072B2"],
            ),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("score:O", title="Score"),
            alt.Tooltip("deployments:Q", title="Deployments"),
        ],
    )
    text = base.mark_text(dy=-6, fontSize=11, color=INK).encode(
        x=x, y="deployments:Q", text="deployments:Q"
    )
    chart = alt.layer(bars, text).properties(width=300, height=180, title=_title(title, subtitle))
    return _finish(chart)


# ----------------------------------------------------------------------------- offline rendering
RENDERER_NAME = "ihub_report"


def _script_safe(text: str) -> str:
    """JSON that can sit inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` become JSON escapes, so no ``</script>``, ``<!--`` or
    ``]]>`` from the data can end the element or change how it is parsed; U+2028
    and U+2029 likewise, which older JavaScript parsers take for line ends.
    JSON has these characters only inside strings, where the escapes mean the same.
    """
    return text.translate(_SCRIPT_ESCAPES)


_SCRIPT_ESCAPES = {ord(c): f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029"}


def report_html(spec: Mapping[str, Any]) -> str:
    """The HTML for one chart: a ``<div>`` and a script handing the spec to ``vegaEmbed``.

    The global ``vegaEmbed`` comes from :func:`javascript_bundle`, injected once per
    page by the report pipeline (before or after the charts: the script waits for
    the page to load when it is not there yet).  No URL appears in the output.
    """
    body = {k: v for k, v in spec.items() if k != "$schema"}  # the schema URL is not needed offline
    element = f"ihub-chart-{uuid.uuid4().hex[:16]}"
    payload = _script_safe(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    )
    return (
        f'<div id="{element}" class="ihub-chart"></div>\n'
        "<script>\n"
        "(function () {\n"
        f'  var el = document.getElementById("{element}");\n'
        f"  var spec = {payload};\n"
        "  function draw() {\n"
        '    vegaEmbed(el, spec, {actions: false, renderer: "svg", mode: "vega-lite"})\n'
        "      .catch(function (err) {\n"
        '        el.textContent = "This chart could not be drawn: " + err;\n'
        "      });\n"
        "  }\n"
        '  if (typeof vegaEmbed === "function") { draw(); }\n'
        '  else { window.addEventListener("load", function () {\n'
        '    if (typeof vegaEmbed === "function") { draw(); }\n'
        "    else {\n"
        '      el.textContent = "Charts need the report\'s embedded script, which is missing.";\n'
        "    }\n"
        "  }); }\n"
        "})();\n"
        "</script>"
    )


def _report_renderer(spec: dict[str, Any], **metadata: Any) -> dict[str, str]:
    return {"text/html": report_html(spec)}


def enable_report_renderer() -> None:
    """Register and enable the offline renderer (reports); JupyterLab needs no call."""
    if RENDERER_NAME not in alt.renderers.names():
        alt.renderers.register(RENDERER_NAME, _report_renderer)
    alt.renderers.enable(RENDERER_NAME)


def _vegalite_version() -> str | None:
    parts = str(getattr(alt, "VEGALITE_VERSION", "")).split(".")
    return f"{parts[0]}.{parts[1]}" if len(parts) >= 2 else None


@functools.cache
def javascript_bundle() -> str:
    """Vega, Vega-Lite (Altair's version) and Vega-Embed (with vega-tooltip) as one script.

    About 900 KB, defining the globals ``vegaEmbed``, ``vega`` and ``vegaLite``;
    meant to be inlined once per HTML page.  Computed once per process.
    """
    import vl_convert

    version = _vegalite_version()
    try:
        return (
            vl_convert.javascript_bundle(vl_version=version)
            if version
            else vl_convert.javascript_bundle()
        )
    except ValueError:  # vl-convert lacks Altair's exact minor version: use its latest
        return vl_convert.javascript_bundle()
