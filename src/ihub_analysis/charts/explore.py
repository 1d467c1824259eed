"""The friction workbook's interactive views (``notebooks/explore.ipynb``).

They take a :class:`ihub_analysis.explore.Workbook` (or its ``friction`` frame) and
return Altair figures.  :func:`widget_explorer` is one self-contained Vega-Lite view
whose selections are linked: pick a hub, click a widget, and every panel follows.
Text (annotation excerpts, titles) goes into the data and is drawn by Vega as text,
never as markup.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import altair as alt
import polars as pl

from ihub_analysis.charts.base import no_data_chart
from ihub_analysis.charts.theme import BAND_COLORS, BANDS, INK, finish

if TYPE_CHECKING:
    from ihub_analysis.explore import Workbook

__all__ = ["COMPONENTS", "excerpt", "hub_breakdown", "type_breakdown", "widget_explorer"]

#: The friction score's components, in the order they are stacked.
COMPONENTS = {
    "annotation_points": "Annotations",
    "error_points": "Errors",
    "regression_points": "Regression",
    "stale_points": "Stale candidates",
}
_COMPONENT_COLORS = ("#CC79A7", "#D55E00", "#0072B2", "#E69F00")
_EXCERPT_CHARS = 110
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e]")
_UTC = pl.Datetime("us", "UTC")


def excerpt(text: str | None, limit: int = _EXCERPT_CHARS) -> str:
    """One clean line of at most ``limit`` characters: no control or bidi characters."""
    if not text:
        return ""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


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
    return finish(chart)


def widget_explorer(book: Workbook) -> alt.TopLevelMixin:
    """Pick a hub, click a widget: its score components week by week, its events and
    errors by type per day, its annotations, and the deployments and candidates that
    touch it.  One self-contained Vega-Lite view; the selections are linked."""
    if book.widgets.is_empty():
        return no_data_chart(
            "Widget explorer", "No widget is scored at this date: there is nothing to explore."
        )
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
                "band:N", scale=alt.Scale(domain=BANDS, range=BAND_COLORS), title="Band"
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
            y=alt.Y(
                "sum(events):Q", title="Error events", axis=alt.Axis(tickMinStep=1, format="d")
            ),
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
        .mark_text(align="left", baseline="middle", fontSize=11.5, color=INK, limit=620)
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
        return no_data_chart("Friction overview", "No widget is scored at this date.")
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
                "band:N", scale=alt.Scale(domain=BANDS, range=BAND_COLORS), title="Band"
            ),
            order=alt.Order("band_order:Q"),
            tooltip=[
                alt.Tooltip("hub_slug:N", title="Hub"),
                alt.Tooltip("band:N", title="Band"),
                alt.Tooltip("widgets:Q", title="Widgets"),
            ],
        )
        .transform_calculate(band_order=f"indexof({list(BANDS)!r}, datum.band)")
        .properties(width=420, height=alt.Step(20), title="Widgets per hub by friction band")
    )
    return _configure(chart)


def type_breakdown(friction: pl.DataFrame) -> alt.TopLevelMixin:
    """Mean friction per widget type and hub: a type hurting everywhere is a design issue."""
    if friction.is_empty():
        return no_data_chart("Friction overview", "No widget is scored at this date.")
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
