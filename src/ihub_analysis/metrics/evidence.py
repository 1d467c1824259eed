"""The rows behind a number: why a widget scores what it scores, why a hub lost points.

Evidence is computed by the same SQL models as the metrics (``evidence_*.sql``
restrict them to one widget or one hub through the ``evidence_scope`` relation),
so the rows add up exactly to the figures they explain: the annotation weights to
``annotation_points``, the events per day to ``interaction_count``, the candidates
to ``stale_candidate_count`` and ``open_candidates``, and so on.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import polars as pl

from ihub_analysis.errors import BadInput
from ihub_analysis.infinite_times import finite_relations
from ihub_analysis.metrics import schemas
from ihub_analysis.metrics.inputs import (
    eval_points_relation,
    event_span,
    scalar_settings,
    vocabulary_relations,
)
from ihub_analysis.metrics.sqlmodels import compose, literal
from ihub_analysis.settings import Settings
from ihub_analysis.timeutil import iso_utc

if TYPE_CHECKING:
    from ihub_analysis.workbench import AsOf, Workbench

#: Longest annotation excerpt shown, in characters (the rest is cut with an ellipsis).
EXCERPT_CHARS = 200

ANNOTATIONS = {
    "widget_id": pl.String,
    "annotation_id": pl.String,
    "created_at": schemas.UTC,
    "category": pl.String,
    "severity": pl.String,
    "excerpt": pl.String,
    "retracted": pl.Boolean,
    "counts": pl.Boolean,
    "severity_weight": pl.Int64,
}
ACTIVITY = {
    "widget_id": pl.String,
    "day": pl.Date,
    "event_type": pl.String,
    "is_error": pl.Boolean,
    "events": pl.Int64,
}
DEPLOYMENTS = {
    "widget_id": pl.String,
    "deployment_id": pl.String,
    "version_ref": pl.String,
    "deployed_at": schemas.UTC,
    "in_window": pl.Boolean,
    "lowest_evaluation_score": pl.Int64,
    "evaluations": pl.Int64,
    "events_before": pl.Int64,
    "errors_before": pl.Int64,
    "events_after": pl.Int64,
    "errors_after": pl.Int64,
    "rule_a": pl.Boolean,
    "rule_b": pl.Boolean,
    "regression": pl.Boolean,
    "verdict": pl.String,
}
CANDIDATES = {
    "widget_id": pl.String,
    "candidate_id": pl.String,
    "title": pl.String,
    "status": pl.String,
    "created_at": schemas.UTC,
    "stalled_since": schemas.UTC,
    "age_days": pl.Float64,
    "stale": pl.Boolean,
}
DEDUCTIONS = {
    "component": pl.String,
    "count": pl.Int64,
    "weight": pl.Int64,
    "cap": pl.Int64,
    "points": pl.Int64,
}

_WHITESPACE = re.compile(r"\s+")
_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class WidgetEvidence:
    """One widget at T: its score's components and the rows behind each of them."""

    widget_id: str
    as_of: dt.datetime
    score: pl.DataFrame  # one friction row (schemas.FRICTION)
    annotations: pl.DataFrame  # friction annotations in the window, most severe first
    activity: pl.DataFrame  # events per UTC day and event type in the window
    deployments: pl.DataFrame  # deployments that touched it, with the rule that fires
    candidates: pl.DataFrame  # candidates citing it, open at T (stale or not)

    def frames(self) -> dict[str, pl.DataFrame]:
        """The frames by name (for notebooks and exports)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.type == "pl.DataFrame"}


@dataclass(frozen=True)
class HubEvidence:
    """One hub at T: its health, each deduction, and the items behind each deduction."""

    hub_slug: str
    as_of: dt.datetime
    health: pl.DataFrame  # one health row (schemas.HEALTH)
    deductions: pl.DataFrame  # component, count, weight, cap, points (sum = 100 - score)
    open_candidates: pl.DataFrame  # CANDIDATES plus widget_name
    regressed_widgets: pl.DataFrame  # friction rows with regression_flag
    regressions: pl.DataFrame  # the deployments that set those flags (DEPLOYMENTS)
    red_widgets: pl.DataFrame  # friction rows with band red
    bottlenecks: pl.DataFrame  # the hub's bottlenecks (stale decisions: stage decision)
    widgets: pl.DataFrame  # friction of every widget of the hub, worst first

    def frames(self) -> dict[str, pl.DataFrame]:
        """The frames by name (for notebooks and exports)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.type == "pl.DataFrame"}


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """Whitespace collapsed to single spaces, cut to ``limit`` characters with an ellipsis."""
    flat = _WHITESPACE.sub(" ", text or "").strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _query(wb: Workbench, model: str, scope: str, t: dt.datetime, s: Settings) -> pl.DataFrame:
    """Run evidence model ``model`` (or a metric model) restricted to ``scope``'s widgets."""
    inputs = vocabulary_relations(s)
    points = [(0, t, t - dt.timedelta(days=s.window_days))]
    inputs["eval_points"] = eval_points_relation(points)
    inputs["evidence_scope"] = scope
    inputs.update(finite_relations(wb.source))  # ±infinity: an unknown time, as in the metrics
    statement = compose(
        model,
        inputs=inputs,
        scalars={**scalar_settings(s, t), **event_span(points, s, t)},
        tables=wb.source.tables,
        overrides={"point_widgets": "evidence_point_widgets"},
        materialize=wb.source.kind == "postgres",
    )
    return wb.source.query_model(statement)


def _widget_scope(widget_id: str) -> str:
    return (
        "SELECT w.id AS widget_id FROM widgets AS w "
        f"WHERE CAST(w.id AS TEXT) = {literal(widget_id)}"
    )


def _hub_scope(hub_slug: str) -> str:
    return (
        "SELECT w.id AS widget_id FROM widgets AS w JOIN hubs AS h ON h.id = w.hub_id "
        f"WHERE h.slug = {literal(hub_slug)}"
    )


def _frames(wb: Workbench, scope: str, t: dt.datetime, s: Settings) -> dict[str, pl.DataFrame]:
    """Friction, annotations, activity, deployments and candidates of the widgets in scope."""
    score = schemas.conform(_query(wb, "friction", scope, t, s), schemas.FRICTION).sort(
        ["score", "widget_name", "widget_id"], descending=[True, False, False]
    )
    raw = _query(wb, "evidence_annotations", scope, t, s)
    annotations = _annotations(raw)
    activity = _activity(_query(wb, "evidence_activity", scope, t, s))
    deployments = _deployments(wb, _query(wb, "evidence_deployments", scope, t, s), t, s)
    candidates = schemas.conform(_query(wb, "evidence_candidates", scope, t, s), CANDIDATES)
    candidates = candidates.sort(["created_at", "candidate_id"])
    return {
        "score": score,
        "annotations": annotations,
        "activity": activity,
        "deployments": deployments,
        "candidates": candidates,
    }


def _annotations(raw: pl.DataFrame) -> pl.DataFrame:
    if raw.height == 0:
        return pl.DataFrame(schema=ANNOTATIONS)
    frame = raw.with_columns(
        pl.col("body").map_elements(excerpt, return_dtype=pl.String).alias("excerpt"),
        (~pl.col("retracted").cast(pl.Boolean)).alias("counts"),
    )
    frame = schemas.conform(frame, ANNOTATIONS)
    rank = pl.col("severity").replace_strict(_SEVERITY_RANK, default=9, return_dtype=pl.Int64)
    return frame.sort(
        [pl.col("counts"), rank, "created_at", "annotation_id"],
        descending=[True, False, True, False],
    )


def _activity(raw: pl.DataFrame) -> pl.DataFrame:
    if raw.height == 0:
        return pl.DataFrame(schema=ACTIVITY)
    frame = raw.with_columns(
        pl.col("day_number").cast(pl.Int32).cast(pl.Date).alias("day"),
    )
    return schemas.conform(frame, ACTIVITY).sort(["widget_id", "day", "event_type"])


def _deployments(wb: Workbench, raw: pl.DataFrame, t: dt.datetime, s: Settings) -> pl.DataFrame:
    """Deployments with the change verdict of the change evaluation (where it has one at T)."""
    if raw.height == 0:
        return pl.DataFrame(schema=DEPLOYMENTS)
    frame = raw.with_columns(pl.lit(None, dtype=pl.String).alias("verdict"))
    if wb.supports("changes"):
        earliest = frame["deployed_at"].min()
        assert isinstance(earliest, dt.datetime)
        reach = max(s.report_days, (t - earliest).days + 1)
        verdicts = wb.changes(as_of=t, **{**s.differences(), "report_days": reach}).select(
            pl.col("deployment_id"), pl.col("verdict").alias("_verdict")
        )
        frame = frame.join(verdicts, on="deployment_id", how="left").with_columns(
            pl.col("_verdict").alias("verdict")
        )
    frame = schemas.conform(frame, DEPLOYMENTS)
    return frame.sort(["deployed_at", "deployment_id"], descending=[True, False])


def widget_evidence(
    wb: Workbench, widget_id: str, as_of: AsOf = None, **settings: Any
) -> WidgetEvidence:
    """The rows behind ``widget_id``'s friction score at T."""
    t, s = wb.resolve_as_of(as_of), wb.settings_with(**settings)
    scope = _widget_scope(str(widget_id))
    frames = _frames(wb, scope, t, s)
    if frames["score"].height == 0:
        raise BadInput(f"no widget {str(widget_id)!r} exists as of {iso_utc(t)}")
    return WidgetEvidence(str(widget_id), t, **frames)


def deductions(health_row: dict[str, Any], s: Settings) -> pl.DataFrame:
    """Each health deduction: min(cap, weight × count); the points add up to 100 − score."""
    parts = [
        ("open_candidates", s.health_open_candidate_weight, s.health_open_candidate_cap),
        ("regressed_widgets", s.health_regressed_weight, s.health_regressed_cap),
        ("stale_decisions", s.health_stale_decision_weight, s.health_stale_decision_cap),
        ("active_bottlenecks", s.health_bottleneck_weight, s.health_bottleneck_cap),
        ("red_widgets", s.health_red_widget_weight, s.health_red_widget_cap),
    ]
    rows = [
        {
            "component": name,
            "count": int(health_row[name]),
            "weight": weight,
            "cap": cap,
            "points": min(cap, weight * int(health_row[name])),
        }
        for name, weight, cap in parts
    ]
    return pl.DataFrame(rows, schema=DEDUCTIONS)


def hub_evidence(wb: Workbench, hub_slug: str, as_of: AsOf = None, **settings: Any) -> HubEvidence:
    """The items behind each of ``hub_slug``'s health deductions at T."""
    t, s = wb.resolve_as_of(as_of), wb.settings_with(**settings)
    health = wb.health(as_of=t, **settings).filter(pl.col("hub_slug") == hub_slug)
    if health.height == 0:
        raise BadInput(f"no hub {hub_slug!r} exists as of {iso_utc(t)}")
    frames = _frames(wb, _hub_scope(hub_slug), t, s)
    widgets = frames["score"]
    names = widgets.select("widget_id", "widget_name")
    candidates = frames["candidates"].join(names, on="widget_id", how="left")
    regressions = frames["deployments"].filter(pl.col("regression"))
    bottlenecks = wb.bottlenecks(as_of=t, **settings).filter(pl.col("hub_slug") == hub_slug)
    return HubEvidence(
        hub_slug=hub_slug,
        as_of=t,
        health=health,
        deductions=deductions(health.row(0, named=True), s),
        open_candidates=candidates,
        regressed_widgets=widgets.filter(pl.col("regression_flag")),
        regressions=regressions,
        red_widgets=widgets.filter(pl.col("band") == "red"),
        bottlenecks=bottlenecks,
        widgets=widgets,
    )


def annotations_for(
    wb: Workbench, widget_ids: Sequence[str], as_of: AsOf = None, **settings: Any
) -> pl.DataFrame:
    """The ``annotations`` evidence of several widgets in one query (for report sections)."""
    if not widget_ids:
        return pl.DataFrame(schema=ANNOTATIONS)
    t, s = wb.resolve_as_of(as_of), wb.settings_with(**settings)
    listed = ", ".join(literal(str(w)) for w in dict.fromkeys(widget_ids))
    scope = f"SELECT w.id AS widget_id FROM widgets AS w WHERE CAST(w.id AS TEXT) IN ({listed})"
    return _annotations(_query(wb, "evidence_annotations", scope, t, s))


def hub_slugs(wb: Workbench, as_of: AsOf = None) -> list[str]:
    """The slugs of the hubs that exist at T, sorted bytewise (one dossier each)."""
    t = wb.resolve_as_of(as_of)
    statement = compose(
        "hub_scopes",
        inputs=finite_relations(wb.source),
        scalars=scalar_settings(wb.settings, t),
        tables=wb.source.tables,
    )
    scopes = wb.source.query(statement).filter(pl.col("hub_id").is_not_null())  # not 'all'
    return sorted(scopes["hub_slug"].to_list(), key=lambda slug: slug.encode())
