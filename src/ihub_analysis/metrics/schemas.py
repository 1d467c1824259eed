"""The columns and types of every metric frame.

The first columns of each are the interface contract's (``ihub metrics … --format
csv``), in its order; the rest are context the reports use.  Both engines'
results are cast to these schemas, so a frame from Postgres and one from a
DuckDB snapshot compare equal.
"""

from __future__ import annotations

import polars as pl

UTC = pl.Datetime("us", "UTC")

FRICTION = {
    "widget_id": pl.String,
    "hub_slug": pl.String,
    "widget_name": pl.String,
    "widget_type": pl.String,
    "interaction_count": pl.Int64,
    "error_event_count": pl.Int64,
    "annotation_count": pl.Int64,
    "regression_flag": pl.Boolean,
    "stale_candidate_count": pl.Int64,
    "score": pl.Int64,
    "band": pl.String,
    # context
    "as_of": UTC,
    "hub_name": pl.String,
    "error_rate": pl.Float64,
    "annotation_points": pl.Float64,
    "error_points": pl.Float64,
    "regression_points": pl.Float64,
    "stale_points": pl.Float64,
}

BOTTLENECKS = {
    "hub_slug": pl.String,
    "stage": pl.String,
    "subject_type": pl.String,
    "subject_id": pl.String,
    "stalled_since": UTC,
    "age_days": pl.Float64,
    "threshold_days": pl.Int64,
    "severity": pl.String,
    # context
    "as_of": UTC,
    "ratio": pl.Float64,
    "title": pl.String,
    "reviewer": pl.String,
}

FUNNEL = {
    "hub_slug": pl.String,
    "step": pl.String,
    "reached": pl.Int64,
    "conversion": pl.Float64,
    "p50_days": pl.Float64,
    "p90_days": pl.Float64,
    "wip": pl.Int64,
    # context
    "as_of": UTC,
    "step_index": pl.Int64,
}

FUNNEL_ANNOTATIONS = {
    "hub_slug": pl.String,
    "friction_annotations": pl.Int64,
    "cited_annotations": pl.Int64,
    "cited_share": pl.Float64,
    "as_of": UTC,
}

HEALTH = {
    "hub_slug": pl.String,
    "health_score": pl.Int64,
    "band": pl.String,
    "open_candidates": pl.Int64,
    "regressed_widgets": pl.Int64,
    "stale_decisions": pl.Int64,
    "active_bottlenecks": pl.Int64,
    "red_widgets": pl.Int64,
    # context
    "as_of": UTC,
    "hub_name": pl.String,
}

HEALTH_TREND = {
    "hub_slug": pl.String,
    "as_of": UTC,
    "health_score": pl.Int64,
    # context
    "band": pl.String,
    "open_candidates": pl.Int64,
    "regressed_widgets": pl.Int64,
    "stale_decisions": pl.Int64,
    "active_bottlenecks": pl.Int64,
    "red_widgets": pl.Int64,
    "weeks_before": pl.Int64,
    "recorded_health_score": pl.Int64,
    "recorded_at": UTC,
}

RECORDED_HEALTH = {
    "hub_slug": pl.String,
    "computed_at": UTC,
    "health_score": pl.Int64,
    "open_candidates": pl.Int64,
    "regressed_widgets": pl.Int64,
    "stale_decisions": pl.Int64,
    "active_bottlenecks": pl.Int64,
}

HEALTH_ARROWS = {
    "hub_slug": pl.String,
    "health_score": pl.Int64,
    "previous_score": pl.Int64,
    "change": pl.Int64,
    "arrow": pl.String,
}

PROPAGATION = {
    "pattern_type": pl.String,
    "key": pl.String,
    "source_hub": pl.String,
    "affected_hubs": pl.String,
    "metric": pl.Float64,
    # context
    "summary": pl.String,
    "hub_count": pl.Int64,
    "as_of": UTC,
}

CHANGES = {
    "deployment_id": pl.String,
    "hub_slug": pl.String,
    "version_ref": pl.String,
    "deployed_at": UTC,
    "score": pl.Int64,
    "widgets": pl.Int64,
    "delta": pl.Float64,
    "verdict": pl.String,
    "did": pl.Float64,
    "lead_time_days": pl.Float64,
    # context
    "as_of": UTC,
    "decision_title": pl.String,
    "evaluated_at": UTC,
    "before_mean": pl.Float64,
    "after_mean": pl.Float64,
    "control_widgets": pl.Int64,
    "control_delta": pl.Float64,
}

CHANGE_WIDGETS = {
    "deployment_id": pl.String,
    "widget_id": pl.String,
    "hub_slug": pl.String,
    "widget_name": pl.String,
    "role": pl.String,  # "changed" (linked by an outcome signal) or "control"
    "before": pl.Int64,
    "after": pl.Int64,
    "as_of": UTC,
}

CHANGES_SUMMARY = {
    "deployments": pl.Int64,
    "evaluated_share": pl.Float64,
    "mean_evaluation_score": pl.Float64,
    "improved": pl.Int64,
    "neutral": pl.Int64,
    "regressed": pl.Int64,
    "observing": pl.Int64,
    "no_widgets": pl.Int64,
    "change_failure_rate": pl.Float64,
    "lead_time_p50_days": pl.Float64,
    "lead_time_p90_days": pl.Float64,
    "as_of": UTC,
}

CHANGE_SIGNALS = {
    "deployment_id": pl.String,
    "signal_type": pl.String,
    "mean_value": pl.Float64,
    "signals": pl.Int64,
    "as_of": UTC,
}

#: The contract's columns per ``ihub metrics`` kind (what CSV must contain first).
CONTRACT_COLUMNS: dict[str, list[str]] = {
    "friction": list(FRICTION)[:11],
    "bottlenecks": list(BOTTLENECKS)[:8],
    "funnel": list(FUNNEL)[:7],
    "health": list(HEALTH)[:8],
    "health-trend": list(HEALTH_TREND)[:3],
    "propagation": list(PROPAGATION)[:5],
    "changes": list(CHANGES)[:10],
}


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select ``schema``'s columns in order, cast to its types (engine-neutral frames)."""
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise ValueError(f"query result lacks columns {missing}")
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    exprs = []
    for name, dtype in schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime) and frame.schema[name] == pl.String:
            col = col.str.to_datetime(time_zone="UTC")
        elif isinstance(dtype, pl.Datetime) and isinstance(frame.schema[name], pl.Datetime):
            col = (
                col.dt.convert_time_zone("UTC")
                if frame.schema[name].time_zone
                else col.dt.replace_time_zone("UTC")
            )
        exprs.append(col.cast(dtype).alias(name))
    return frame.select(exprs)
