"""Friction report: the widget × week friction heatmap."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from ihub_analysis.charts.base import (
    date_label,
    describe,
    filter_hubs,
    inline_data,
    no_data_chart,
    plural,
)
from ihub_analysis.charts.theme import (
    BAND_COLORS,
    BANDS,
    INK,
    chart_title,
    color_scale,
    finish,
)


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
    frame = filter_hubs(history, hubs)
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
        date_label("as_of").alias("week"),
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
            "band:N", scale=color_scale(BANDS, BAND_COLORS), legend=_band_legend(band_thresholds)
        ),
        tooltip=tooltip,
    )
    labels = base.mark_text(fontSize=10).encode(
        text=alt.Text("score:Q"),
        color=alt.Color("ink:N", scale=None),
        tooltip=tooltip,
    )
    layered = alt.layer(cells, labels, data=inline_data(data)).properties(
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
        title=chart_title(title, subtitle),
    ).resolve_scale(y="independent")
    grid, weeks_shown = _friction_grid(data)
    return describe(
        finish(chart),
        _friction_summary(data),
        grid,
        {"hub_slug": "Hub", "widget": "Widget"} | {w: f"Week ending {w}" for w in weeks_shown},
    )


def _friction_grid(data: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The heatmap as a table read the same way: a row per widget, a column per week.

    Each cell is "score band", so the band is in words, not only in the cell's colour.
    """
    weeks = sorted(data["week"].unique().to_list())
    cells = data.with_columns(
        pl.format("{} {}", pl.col("score").round(0).cast(pl.Int64), "band").alias("cell")
    )
    grid = cells.pivot(on="week", index=["hub_rank", "rank", "hub_slug", "widget"], values="cell")
    return grid.sort("hub_rank", "rank").select("hub_slug", "widget", *weeks), weeks


def _friction_summary(data: pl.DataFrame) -> str:
    """The latest week in one sentence: how many widgets are red, and the worst one."""
    week = data["week"].max()
    latest = data.filter(pl.col("week") == week).sort(
        ["score", "rank"], descending=[True, False], nulls_last=True
    )
    widgets = data["widget"].n_unique()
    red = latest.filter(pl.col("band") == "red").height
    head = (
        f"{plural(widgets, 'widget')} over {plural(data['week'].n_unique(), 'week')}; "
        f"in the week ending {week}, {red} of them {'is' if red == 1 else 'are'} red"
    )
    if latest.is_empty():
        return head + "."
    worst = latest.row(0, named=True)
    return (
        f"{head} and the highest score is {worst['widget']} ({worst['hub_slug']}) "
        f"at {worst['score']}, band {worst['band']}."
    )
