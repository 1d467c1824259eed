"""Bottleneck report: the pipeline funnel and the stalled items."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence

import altair as alt
import polars as pl

from ihub_analysis.charts.base import (
    date_label,
    describe,
    filter_hubs,
    inline_data,
    no_data_chart,
    pct,
    plural,
)
from ihub_analysis.charts.theme import (
    ACCENT,
    INK,
    MUTED,
    SEVERITIES,
    SEVERITY_COLORS,
    chart_title,
    color_scale,
    finish,
)

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
    reached = alt.layer(bars, text, data=inline_data(data)).properties(
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
        span = alt.layer(rng, p50, p90, data=inline_data(data))
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
    chart = alt.vconcat(*panels, spacing=24, title=chart_title(title, subtitle))
    table = frame.filter(pl.col("hub_slug").is_in(wanted)).sort("hub_slug", "step_index")
    table = table.with_columns(
        (pl.col("conversion") * 100).round(1).alias("conversion_pct"),
        pl.col("p50_days").round(1),
        pl.col("p90_days").round(1),
    )
    return describe(
        finish(chart),
        _sentence(
            "; ".join(_funnel_sentence(table.filter(pl.col("hub_slug") == h), h) for h in wanted)
        ),
        table,
        {
            "hub_slug": "Hub",
            "step_index": "Step",
            "step": "Step name",
            "reached": "Reached",
            "conversion_pct": "Conversion from previous step (%)",
            "wip": "Waiting now",
            "p50_days": "Median days",
            "p90_days": "90th percentile days",
        },
    )


def _sentence(text: str) -> str:
    """Clauses joined into one sentence: capital first letter, full stop."""
    return text[:1].upper() + text[1:] + "."


def _funnel_sentence(steps: pl.DataFrame, hub: str) -> str:
    """How many entered the funnel and how many reached its last step."""
    if steps.is_empty():
        return f"{hub}: no candidate"
    steps = steps.sort("step_index")
    first, last = steps.row(0, named=True), steps.row(-1, named=True)
    share = last["reached"] / first["reached"] if first["reached"] else None
    who = "" if hub == "all" else f"{hub}: "
    return (
        f"{who}of {plural(int(first['reached']), 'candidate')}, {last['reached']} reached "
        f"the last step, {last['step']} ({pct(share)})"
    )


def stalled_chart(
    bottlenecks: pl.DataFrame,
    *,
    hubs: Sequence[str] | None = None,
    title: str = "Stalled items by stage and severity",
) -> alt.Chart:
    """Count of bottlenecks per stage, stacked by severity (low → critical)."""
    frame = filter_hubs(bottlenecks, hubs)
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
        alt.Chart(inline_data(counts))
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
                scale=color_scale(SEVERITIES, SEVERITY_COLORS),
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
        alt.Chart(inline_data(totals))
        .mark_text(align="left", dx=4, fontSize=11, color=INK)
        .encode(x="total:Q", y=y, text="total:Q")
    )
    chart = alt.layer(bars, text).properties(
        width=420,
        height=alt.Step(30),
        title=chart_title(
            title,
            f"{frame.height} open item{'s' if frame.height != 1 else ''} "
            "past their stage threshold",
        ),
    )
    by_stage = totals.sort(["total", "stage_label"], descending=[True, False])
    top = by_stage.row(0, named=True)
    critical = int(counts.filter(pl.col("severity") == "critical")["items"].sum())
    summary = (
        f"{plural(frame.height, 'item')} stalled past their stage threshold, "
        f"most of them waiting at {top['stage_label']} ({top['total']}); "
        f"{critical} critical."
    )
    table = counts.sort(
        pl.col("stage_label").replace_strict(
            {s: i for i, s in enumerate(stage_order)}, default=len(stage_order)
        ),
        "severity_order",
    )
    return describe(
        finish(chart),
        summary,
        table,
        {
            "stage_label": "Stage",
            "severity": "Severity",
            "items": "Stalled items",
            "median_age": "Median age (days)",
        },
    )


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
    frame = filter_hubs(bottlenecks, hubs)
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
        date_label("stalled_since").alias("since"),
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
        alt.Chart(inline_data(rules))
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
        alt.Chart(inline_data(rules))
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
        alt.Chart(inline_data(items))
        .mark_circle(size=60, opacity=0.85, stroke="white", strokeWidth=0.6)
        .encode(
            x=alt.X("age_days:Q", title="Age in the stage (days)", scale=x_scale),
            y=y,
            yOffset=alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-1.6, 1.6])),
            color=alt.Color(
                "severity:N",
                scale=color_scale(SEVERITIES, SEVERITY_COLORS),
                legend=alt.Legend(title="Severity", orient="top"),
            ),
            tooltip=tooltip,
        )
    )
    chart = alt.layer(thresh, thresh_text, dots).properties(
        width=560,
        height=alt.Step(56),
        title=chart_title(
            title,
            "Each dot is one open item past its threshold (black bar); "
            "severity by age ÷ threshold.",
        ),
    )
    table = items.sort(["ratio", "age_days"], descending=True)
    oldest = table.row(0, named=True)
    summary = (
        f"{plural(items.height, 'item')} past their stage threshold; the furthest past it is "
        f"“{oldest['title']}” ({oldest['hub_slug']}), {oldest['age_days']} days at "
        f"{oldest['stage_label']}, {oldest['ratio']} × its {oldest['threshold_days']}-day "
        f"threshold ({oldest['severity']})."
    )
    return describe(
        finish(chart),
        summary,
        table,
        {
            "title": "Item",
            "hub_slug": "Hub",
            "stage_label": "Stage",
            "severity": "Severity",
            "age_days": "Age (days)",
            "threshold_days": "Threshold (days)",
            "ratio": "Age ÷ threshold",
            "since": "Stalled since (UTC)",
            "reviewer": "Reviewer",
        },
    )
