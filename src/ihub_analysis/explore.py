"""The friction workbook behind ``notebooks/explore.ipynb``: where and why people struggle.

:func:`load` gathers, for the worst widgets at T, everything an analyst looks at
when asking "why is this widget painful?": its score components week by week, its
events and errors by type per day, its annotations, and the deployments and
requirement candidates that touch it.  Each part is one SQL model of
``sql/metrics/explore_*.sql`` run where the data lives (aggregated or limited
there: no raw events reach Python).

:func:`widget_explorer` turns that into one interactive Altair view — pick a hub,
click a widget, and every panel follows — that draws offline (the notebook inlines
the Vega bundle).  :func:`hub_breakdown` and :func:`type_breakdown` are the static
overviews beside it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import polars as pl

from ihub_analysis.metrics.inputs import (
    eval_points_relation,
    scalar_settings,
    vocabulary_relations,
)
from ihub_analysis.metrics.sqlmodels import compose, values_relation
from ihub_analysis.workbench import AsOf, Workbench

__all__ = [
    "COMPONENTS",
    "Workbook",
    "excerpt",
    "hub_breakdown",
    "load",
    "type_breakdown",
    "widget_explorer",
]

#: The friction score's components, in the order they are stacked.
COMPONENTS = {
    "annotation_points": "Annotations",
    "error_points": "Errors",
    "regression_points": "Regression",
    "stale_points": "Stale candidates",
}
_COMPONENT_COLORS = ("#CC79A7", "#D55E00", "#0072B2", "#E69F00")
_BANDS = ("green", "yellow", "amber", "red")
_BAND_COLORS = ("#2ca25f", "#fde725", "#f28e2b", "#8b0000")
_FONT = "Helvetica Neue, Helvetica, Arial, Liberation Sans, DejaVu Sans, sans-serif"
_EXCERPT_CHARS = 110
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e]")

_UTC = pl.Datetime("us", "UTC")
_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "explore_widget_days": {
        "widget_id": pl.String,
        "day": pl.Int64,
        "event_type": pl.String,
        "is_error": pl.Int64,
        "events": pl.Int64,
    },
    "explore_annotations": {
        "widget_id": pl.String,
        "annotation_id": pl.String,
        "created_at": _UTC,
        "category": pl.String,
        "severity": pl.String,
        "is_friction": pl.Boolean,
        "retracted": pl.Boolean,
        "excerpt": pl.String,
        "body_length": pl.Int64,
    },
    "explore_deployments": {
        "widget_id": pl.String,
        "deployment_id": pl.String,
        "version_ref": pl.String,
        "deployed_at": _UTC,
        "decision_title": pl.String,
        "evaluation_score": pl.Int64,
    },
    "explore_candidates": {
        "widget_id": pl.String,
        "candidate_id": pl.String,
        "title": pl.String,
        "created_at": _UTC,
        "status": pl.String,
        "is_open": pl.Boolean,
    },
}


@dataclass(frozen=True)
class Workbook:
    """Everything the explorer draws, for the ``widgets`` chosen at ``as_of``."""

    as_of: dt.datetime
    window_days: int
    friction: pl.DataFrame  # every widget at T (after the hub filter), worst first
    widgets: pl.DataFrame  # the ones explored: the worst ``top_n`` per hub
    history: pl.DataFrame  # their friction week by week, with the four components
    days: pl.DataFrame  # events per widget, day and event type
    annotations: pl.DataFrame  # newest annotations per widget, text excerpted
    deployments: pl.DataFrame  # deployments linked to them
    candidates: pl.DataFrame  # requirement candidates raised from them


def excerpt(text: str | None, limit: int = _EXCERPT_CHARS) -> str:
    """One clean line of at most ``limit`` characters: no control or bidi characters."""
    if not text:
        return ""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _query(
    wb: Workbench, model: str, as_of: dt.datetime, widget_ids: Sequence[str], **settings: Any
) -> pl.DataFrame:
    s = wb.settings_with(**settings)
    inputs = vocabulary_relations(s)
    inputs["explore_widgets"] = values_relation(["widget_id"], [[w] for w in widget_ids], ["UUID"])
    inputs["eval_points"] = eval_points_relation(
        [(0, as_of, as_of - dt.timedelta(days=s.window_days))]
    )
    statement = compose(
        model,
        inputs=inputs,
        scalars=scalar_settings(s, as_of),
        tables=wb.tables,
        materialize=wb.source.kind == "postgres",
    )
    frame = wb.sql(statement)
    schema = _SCHEMAS[model]
    if frame.is_empty() and not frame.columns:
        return pl.DataFrame(schema=schema)
    return frame.select(
        [
            pl.col(c).cast(t, strict=False) if c in frame.columns else pl.lit(None, t).alias(c)
            for c, t in schema.items()
        ]
    )


def load(
    wb: Workbench,
    as_of: AsOf = None,
    hubs: Sequence[str] = (),
    top_n: int = 10,
    **settings: Any,
) -> Workbook:
    """Gather the workbook for the ``top_n`` worst widgets of each hub (all with ``hubs``=[]).

    Widgets without any friction at T are left out, unless a hub has none with
    friction: then its top widgets by interactions stand in, so every hub can be picked.
    """
    t = wb.resolve_as_of(as_of)
    s = wb.settings_with(**settings)
    friction = wb.friction(as_of=t, **settings)
    if hubs:
        friction = friction.filter(pl.col("hub_slug").is_in(list(hubs)))
    widgets = (
        friction.sort(["score", "interaction_count", "widget_name"], descending=[True, True, False])
        .with_columns(pl.int_range(pl.len()).over("hub_slug").alias("_rank"))
        .filter(pl.col("_rank") < top_n)
        .drop("_rank")
    )
    ids = widgets["widget_id"].cast(pl.String).to_list()
    history = wb.friction_history(as_of=t, **settings).filter(
        pl.col("widget_id").cast(pl.String).is_in(ids)
    )
    days = _query(wb, "explore_widget_days", t, ids, **settings).with_columns(
        (pl.col("day") * 86_400_000_000).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    )
    annotations = _query(wb, "explore_annotations", t, ids, **settings).with_columns(
        pl.col("excerpt").map_elements(excerpt, return_dtype=pl.String)
    )
    deployments = _query(wb, "explore_deployments", t, ids, **settings)
    candidates = _query(wb, "explore_candidates", t, ids, **settings)
    return Workbook(
        as_of=t,
        window_days=s.window_days,
        friction=friction,
        widgets=widgets,
        history=history,
        days=days,
        annotations=annotations,
        deployments=deployments,
        candidates=candidates,
    )


# ----------------------------------------------------------------------------- charts
def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: ids as text, times as ISO 8601 UTC."""
    out = frame.with_columns(
        [pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t == pl.Object]
        + [
            pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            for c, t in frame.schema.items()
            if isinstance(t, pl.Datetime)
        ]
    )
    return out.to_dicts()


def _keyed(frame: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """``widget_id`` replaced by the small integer ``k`` of :func:`widget_explorer`.

    Keeps the chart's inline data small: a UUID costs 38 bytes on every row.
    """
    return (
        frame.with_columns(pl.col("widget_id").cast(pl.String))
        .join(keys, on="widget_id", how="inner")
        .drop("widget_id")
    )


def _configure(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=_FONT)
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=11, titleFontSize=11, grid=False)
        .configure_title(fontSize=13, anchor="start")
    )


def _empty(message: str) -> alt.Chart:
    chart = (
        alt.Chart(alt.Data(values=[{"message": message}]))
        .mark_text(align="left", fontSize=13, color="#555")
        .encode(text="message:N")
        .properties(width=560, height=30)
    )
    chart.usermeta = {"ihub": {"empty": True, "message": message}}
    return chart


def widget_explorer(book: Workbook) -> alt.TopLevelMixin:
    """Pick a hub, click a widget: its score components week by week, its events and
    errors by type per day, its annotations, and the deployments and candidates that
    touch it.  One self-contained Vega-Lite view; the selections are linked."""
    if book.widgets.is_empty():
        return _empty("No widget has friction at this date: there is nothing to explore.")
    keys = book.widgets.select(pl.col("widget_id").cast(pl.String)).with_row_index("k")
    widgets = _keyed(book.widgets, keys).select(
        "k",
        "hub_slug",
        "widget_name",
        "widget_type",
        "score",
        "band",
        "interaction_count",
        "error_event_count",
        "annotation_count",
        *COMPONENTS,
    )
    hubs = sorted(widgets["hub_slug"].unique().to_list())
    worst = widgets.row(0, named=True)
    first_hub = worst["hub_slug"]

    hub = alt.selection_point(
        name="hub",
        fields=["hub_slug"],
        bind=alt.binding_select(options=hubs, name="Hub "),
        value=first_hub,
    )
    widget = alt.selection_point(
        name="widget",
        fields=["k"],
        value=[{"k": worst["k"]}],
        empty=False,
        clear=False,
        on="click",
    )

    ranked = (
        alt.Chart(alt.Data(values=_records(widgets)))
        .mark_bar()
        .encode(
            x=alt.X(
                "score:Q",
                title="Friction score at the report date",
                scale=alt.Scale(domain=[0, 100]),
            ),
            y=alt.Y("widget_name:N", sort="-x", title=None),
            color=alt.Color(
                "band:N", scale=alt.Scale(domain=_BANDS, range=_BAND_COLORS), title="Band"
            ),
            opacity=alt.condition(widget, alt.value(1.0), alt.value(0.45)),
            stroke=alt.condition(widget, alt.value("#222"), alt.value(None)),
            tooltip=[
                alt.Tooltip("widget_name:N", title="Widget"),
                alt.Tooltip("widget_type:N", title="Type"),
                alt.Tooltip("score:Q", title="Score"),
                *(
                    alt.Tooltip(f"{c}:Q", title=label, format=".1f")
                    for c, label in COMPONENTS.items()
                ),
                alt.Tooltip("interaction_count:Q", title="Interactions"),
                alt.Tooltip("error_event_count:Q", title="Errors"),
                alt.Tooltip("annotation_count:Q", title="Friction annotations"),
            ],
        )
        .add_params(hub, widget)
        .transform_filter(hub)
        .properties(
            width=560,
            height=alt.Step(16),
            title=alt.TitleParams(
                "Widgets of the hub, worst first",
                subtitle="Pick a hub above, then click a widget: the panels below follow it.",
            ),
        )
    )

    history = _keyed(book.history, keys).with_columns(pl.col("as_of").dt.strftime("%Y-%m-%d"))
    history_long = (
        history.unpivot(
            index=["k", "as_of", "score"],
            on=list(COMPONENTS),
            variable_name="component",
            value_name="points",
        )
        .filter(pl.col("points") > 0)
        .with_columns(pl.col("component").replace_strict(COMPONENTS))
    )
    components = (
        alt.Chart(alt.Data(values=_records(history_long)))
        .mark_bar()
        .encode(
            x=alt.X("as_of:O", title="Week ending", axis=alt.Axis(labelAngle=-40)),
            y=alt.Y("sum(points):Q", title="Points", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "component:N",
                scale=alt.Scale(domain=list(COMPONENTS.values()), range=_COMPONENT_COLORS),
                title="Component",
            ),
            order=alt.Order("component:N"),
            tooltip=[
                alt.Tooltip("as_of:O", title="Week ending"),
                alt.Tooltip("component:N", title="Component"),
                alt.Tooltip("points:Q", title="Points", format=".1f"),
                alt.Tooltip("score:Q", title="Score (rounded sum)"),
            ],
        )
        .transform_filter(widget)
        .properties(
            width=560,
            height=170,
            title=alt.TitleParams(
                "What the score is made of, week by week",
                subtitle=f"Each bar is the score as of that date, over the {book.window_days} "
                "days before it.",
            ),
        )
    )

    days = _keyed(book.days, keys).with_columns(pl.col("day").dt.strftime("%Y-%m-%d"))
    all_days = days.drop("is_error")
    events = (
        alt.Chart(alt.Data(values=_records(all_days)))
        .mark_bar()
        .encode(
            x=alt.X("utcyearmonthdate(day):T", title="Day (UTC)"),
            y=alt.Y("sum(events):Q", title="Events"),
            color=alt.Color(
                "event_type:N", title="Event type", scale=alt.Scale(scheme="tableau10")
            ),
            tooltip=[
                alt.Tooltip("day:N", title="Day (UTC)"),
                alt.Tooltip("event_type:N", title="Event type"),
                alt.Tooltip("events:Q", title="Events"),
            ],
        )
        .transform_filter(widget)
        .properties(width=560, height=150, title="Interactions per day, by event type")
    )
    errors = (
        alt.Chart(alt.Data(values=_records(days.filter(pl.col("is_error") == 1).drop("is_error"))))
        .mark_bar(color="#D55E00")
        .encode(
            x=alt.X("utcyearmonthdate(day):T", title="Day (UTC)"),
            y=alt.Y("sum(events):Q", title="Error events"),
            tooltip=[
                alt.Tooltip("day:N", title="Day (UTC)"),
                alt.Tooltip("event_type:N", title="Error type"),
                alt.Tooltip("events:Q", title="Errors"),
            ],
        )
        .transform_filter(widget)
        .properties(
            width=560,
            height=90,
            title=alt.TitleParams(
                "Errors per day", subtitle="The event types counted as errors by the settings."
            ),
        )
    )

    notes = _keyed(book.annotations, keys).with_columns(
        (
            pl.col("created_at").dt.strftime("%Y-%m-%d")
            + "  "
            + pl.col("severity")
            + " "
            + pl.col("category")
            + pl.when(pl.col("retracted")).then(pl.lit(" (retracted)")).otherwise(pl.lit(""))
            + pl.when(pl.col("is_friction")).then(pl.lit("")).otherwise(pl.lit(" (not friction)"))
            + ": "
            + pl.col("excerpt")
        ).alias("line")
    )
    annotation_list = _text_list(
        notes, widget, "Annotations, newest first (text shortened)", "created_at"
    )

    touches = pl.concat(
        [
            _keyed(book.deployments, keys).select(
                "k",
                pl.col("deployed_at").alias("at"),
                (
                    pl.col("deployed_at").dt.strftime("%Y-%m-%d")
                    + "  deployment "
                    + pl.col("version_ref").map_elements(excerpt, return_dtype=pl.String)
                    + pl.when(pl.col("evaluation_score").is_not_null())
                    .then(
                        pl.lit(", evaluated ") + pl.col("evaluation_score").cast(pl.String) + "/5"
                    )
                    .otherwise(pl.lit(", not evaluated"))
                    + ": "
                    + pl.col("decision_title")
                    .fill_null("")
                    .map_elements(excerpt, return_dtype=pl.String)
                ).alias("line"),
            ),
            _keyed(book.candidates, keys).select(
                "k",
                pl.col("created_at").alias("at"),
                (
                    pl.col("created_at").dt.strftime("%Y-%m-%d")
                    + "  candidate ("
                    + pl.col("status")
                    + "): "
                    + pl.col("title").map_elements(excerpt, return_dtype=pl.String)
                ).alias("line"),
            ),
        ]
    )
    touch_list = _text_list(
        touches, widget, "Deployments and requirement candidates that touch it", "at"
    )

    view = alt.vconcat(ranked, components, events, errors, annotation_list, touch_list, spacing=24)
    return _configure(view.resolve_scale(color="independent"))


def _text_list(frame: pl.DataFrame, widget: Any, title: str, order: str) -> alt.Chart:
    """A list of text lines for the selected widget (Vega draws text, never markup)."""
    if frame.is_empty():
        frame = pl.DataFrame(
            {"k": [-1], order: [None], "line": [""]},
            schema={"k": pl.UInt32, order: _UTC, "line": pl.String},
        )
    base = alt.Chart(alt.Data(values=_records(frame.select("k", order, "line"))))
    return (
        base.transform_filter(widget)
        .transform_window(rank="row_number()", sort=[alt.SortField(order, order="descending")])
        .transform_filter("datum.rank <= 12")
        .mark_text(align="left", baseline="middle", fontSize=11.5, color="#222", limit=620)
        .encode(
            x=alt.value(0),
            y=alt.Y("rank:O", axis=None),
            text="line:N",
            tooltip=alt.Tooltip("line:N", title=""),
        )
        .properties(width=620, height=alt.Step(17), title=title)
    )


def hub_breakdown(friction: pl.DataFrame) -> alt.TopLevelMixin:
    """Per hub: widgets by band (stacked) — where the struggle concentrates."""
    if friction.is_empty():
        return _empty("No widget is scored at this date.")
    counts = friction.group_by("hub_slug", "band").agg(
        pl.len().alias("widgets"), pl.col("score").mean().alias("mean_score")
    )
    chart = (
        alt.Chart(alt.Data(values=_records(counts)))
        .mark_bar()
        .encode(
            y=alt.Y("hub_slug:N", title=None, sort="ascending"),
            x=alt.X("sum(widgets):Q", title="Widgets"),
            color=alt.Color(
                "band:N", scale=alt.Scale(domain=_BANDS, range=_BAND_COLORS), title="Band"
            ),
            order=alt.Order("band_order:Q"),
            tooltip=[
                alt.Tooltip("hub_slug:N", title="Hub"),
                alt.Tooltip("band:N", title="Band"),
                alt.Tooltip("widgets:Q", title="Widgets"),
            ],
        )
        .transform_calculate(band_order=f"indexof({list(_BANDS)!r}, datum.band)")
        .properties(width=420, height=alt.Step(20), title="Widgets per hub by friction band")
    )
    return _configure(chart)


def type_breakdown(friction: pl.DataFrame) -> alt.TopLevelMixin:
    """Mean friction per widget type and hub: a type hurting everywhere is a design issue."""
    if friction.is_empty():
        return _empty("No widget is scored at this date.")
    cells = friction.group_by("hub_slug", "widget_type").agg(
        pl.len().alias("widgets"), pl.col("score").mean().round(1).alias("mean_score")
    )
    base = alt.Chart(alt.Data(values=_records(cells))).encode(
        x=alt.X("hub_slug:N", title="Hub", axis=alt.Axis(labelAngle=-30)),
        y=alt.Y("widget_type:N", title="Widget type"),
    )
    rect = base.mark_rect().encode(
        color=alt.Color(
            "mean_score:Q",
            scale=alt.Scale(domain=[0, 100], scheme="orangered"),
            title="Mean score",
        ),
        tooltip=[
            alt.Tooltip("hub_slug:N", title="Hub"),
            alt.Tooltip("widget_type:N", title="Type"),
            alt.Tooltip("mean_score:Q", title="Mean score"),
            alt.Tooltip("widgets:Q", title="Widgets"),
        ],
    )
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("mean_score:Q", format=".0f"),
        color=alt.condition("datum.mean_score >= 50", alt.value("white"), alt.value("#222")),
    )
    chart = alt.layer(rect, text).properties(
        width=alt.Step(70), height=alt.Step(22), title="Mean friction score by widget type and hub"
    )
    return _configure(chart)
