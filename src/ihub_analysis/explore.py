"""The friction workbook behind ``notebooks/explore.ipynb``: where and why people struggle.

:func:`load` gathers, for the worst widgets at T, everything an analyst looks at
when asking "why is this widget painful?": its score components week by week, its
events and errors by type per day, its annotations, and the deployments and
requirement candidates that touch it.  Each part is one SQL model of
``sql/metrics/explore_*.sql`` run where the data lives (aggregated or limited
there: no raw events reach Python).

:func:`widget_explorer` turns that into one interactive Altair view — pick a hub,
click a widget, and every panel follows — that draws offline (the notebook inlines
the Vega bundle); :func:`hub_breakdown` and :func:`type_breakdown` are the static
overviews beside it.  The views live in :mod:`ihub_analysis.charts.explore` and are
re-exported here, so a notebook needs one import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from ihub_analysis.charts.explore import (
    COMPONENTS,
    excerpt,
    hub_breakdown,
    type_breakdown,
    widget_explorer,
)
from ihub_analysis.infinite_times import finite_relations
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


def _query(
    wb: Workbench, model: str, as_of: dt.datetime, widget_ids: Sequence[str], **settings: Any
) -> pl.DataFrame:
    s = wb.settings_with(**settings)
    inputs = vocabulary_relations(s)
    inputs["explore_widgets"] = values_relation(["widget_id"], [[w] for w in widget_ids], ["UUID"])
    inputs["eval_points"] = eval_points_relation(
        [(0, as_of, as_of - dt.timedelta(days=s.window_days))]
    )
    inputs.update(finite_relations(wb.source))  # ±infinity in the data: unknown time
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
