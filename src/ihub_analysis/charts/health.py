"""Health report: hub health over the weeks, its recent change and its components."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

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
    COMPONENT_COLORS,
    DIRECTION_COLORS,
    DIRECTIONS,
    HEALTH_BAND_COLORS,
    INK,
    SERIES_COLORS,
    chart_title,
    color_scale,
    finish,
)


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
    return long.with_columns(date_label("as_of", "%Y-%m-%d %H:%M UTC").alias("when"))


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
    trend = filter_hubs(trend, hubs)
    if trend.is_empty():
        return no_data_chart(title, "No hub to show for this selection.")
    recorded = filter_hubs(recorded, hubs) if recorded is not None else None
    arrows = filter_hubs(arrows, hubs) if arrows is not None else None
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
        scale=color_scale(series_domain, SERIES_COLORS[: len(series_domain)]),
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
            data=inline_data(
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
            title=chart_title(
                title,
                f"Shaded bands: healthy ≥ {healthy_min}, watch {watch_min}–{healthy_min - 1}, "
                f"at risk < {watch_min}. "
                f"Panel header: score at the report date and its change over {arrow_weeks} weeks.",
            ),
        )
    )
    table = data.sort("hub_slug", "as_of", "series")
    return describe(
        finish(chart),
        _trend_summary(table.filter(pl.col("series") == "Computed")),
        table,
        {
            "hub_slug": "Hub",
            "series": "Series",
            "when": "As of",
            "health_score": "Health score",
            "band": "Band",
        },
    )


def _trend_summary(computed: pl.DataFrame) -> str:
    """The latest week in one sentence: the lowest hub and how many are at risk."""
    weeks = computed["as_of"].n_unique()
    latest = computed.filter(pl.col("as_of") == pl.col("as_of").max().over("hub_slug")).sort(
        "health_score", "hub_slug", nulls_last=True
    )
    hubs = latest.height
    lowest = latest.row(0, named=True)
    at_risk = latest.filter(pl.col("band") == "at_risk").height
    return (
        f"{plural(hubs, 'hub')} over {plural(weeks, 'week')}; at the latest week the lowest is "
        f"{lowest['hub_slug']} at {lowest['health_score']} "
        f"({str(lowest['band'] or 'no band').replace('_', ' ')}), and {at_risk} of {hubs} "
        f"{'is' if at_risk == 1 else 'are'} at risk."
    )


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
    frame = filter_hubs(arrows, hubs)
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
        scale=color_scale(DIRECTIONS, DIRECTION_COLORS),
        legend=alt.Legend(title=f"Change over {arrow_weeks} weeks", orient="top"),
    )
    tooltip = [
        alt.Tooltip("hub_slug:N", title="Hub"),
        alt.Tooltip("health_score:Q", title="Health now"),
        alt.Tooltip("previous_score:Q", title=f"{arrow_weeks} weeks before"),
        alt.Tooltip("change:Q", title="Change"),
    ]
    base = alt.Chart(inline_data(data))
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
        title=chart_title(
            title,
            f"○ score {arrow_weeks} weeks before → ● score at the report date; "
            f"dashed lines: band thresholds {watch_min} and {healthy_min}",
        ),
    )
    counts = {d: data.filter(pl.col("direction") == d).height for d in DIRECTIONS}
    drops = data.filter(pl.col("change") < 0).sort("change", "hub_slug")
    worst = (
        f"; the largest drop is {drops['hub_slug'][0]}, down {-drops['change'][0]} points"
        if not drops.is_empty()
        else ""
    )
    summary = (
        f"Over {arrow_weeks} weeks {counts['better']} "
        f"{'hub' if counts['better'] == 1 else 'hubs'} got better, {counts['worse']} worse "
        f"and {counts['unchanged']} stayed the same"
        + (f" ({counts['unknown']} without an earlier score)" if counts["unknown"] else "")
        + worst
        + "."
    )
    return describe(
        finish(chart),
        summary,
        data.sort(["health_score", "hub_slug"]),
        {
            "hub_slug": "Hub",
            "previous_score": f"{arrow_weeks} weeks before",
            "health_score": "Health now",
            "change": "Change",
            "direction": "Direction",
        },
    )


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
    frame = filter_hubs(health, hubs)
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
        alt.Chart(inline_data(data))
        .mark_bar(height={"band": 0.7})
        .encode(
            x=alt.X(
                "sum(points):Q", title="Points deducted from 100", scale=alt.Scale(domain=[0, 100])
            ),
            y=alt.Y("hub_slug:N", title="Hub", sort=order),
            color=alt.Color(
                "component:N",
                scale=color_scale([c[1] for c in _COMPONENTS], COMPONENT_COLORS),
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
            title=chart_title(
                title, "health = 100 − the sum of these capped deductions; lowest health first"
            ),
        )
    )
    lost = (
        data.group_by("component")
        .agg(pl.col("points").sum())
        .sort(["points", "component"], descending=[True, False])
    )
    lowest = frame.sort(["health_score", "hub_slug"]).row(0, named=True)
    most = (
        f"most points are lost to {lost['component'][0].lower()} ({lost['points'][0]:g} in all)"
        if lost["points"][0] > 0
        else "no hub loses any point"
    )
    summary = (
        f"Across {plural(frame.height, 'hub')}, {most}; the lowest health is "
        f"{lowest['hub_slug']} at {lowest['health_score']}."
    )
    table = data.sort(
        pl.col("hub_slug").replace_strict({h: i for i, h in enumerate(order)}), "order"
    )
    return describe(
        finish(chart),
        summary,
        table,
        {
            "hub_slug": "Hub",
            "component": "Component",
            "count": "Count",
            "points": "Points deducted",
            "health_score": "Health score",
        },
    )
