"""Render settings and evaluation points as SQL inputs for the metric models.

The vocabulary lists become small literal relations (``error_event_types``,
``severity_weights``, …) and every numeric setting a ``:name`` scalar, so the
same SQL text runs on DuckDB and on a read-only Postgres session (which could
not hold them in temporary tables).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence

from ihub_analysis.metrics.sqlmodels import SqlValue, values_relation
from ihub_analysis.settings import Settings

TS = "TIMESTAMP WITH TIME ZONE"


def vocabulary_relations(s: Settings) -> dict[str, str]:
    """The settings' lists and maps as named literal relations."""

    def one_column(name: str, values: Sequence[str]) -> str:
        return values_relation([name], [[v] for v in values], ["TEXT"])

    return {
        "error_event_types": one_column("event_type", s.error_event_types),
        "non_friction_categories": one_column("category", s.non_friction_categories),
        "closed_candidate_statuses": one_column("status", s.closed_candidate_statuses),
        "open_requirement_statuses": one_column("status", s.open_requirement_statuses),
        "implementing_outcomes": one_column("outcome", s.implementing_outcomes),
        "wip_excluded_statuses": one_column("status", s.wip_excluded_statuses),
        "severity_weights": values_relation(
            ["severity", "weight"],
            [[k, v] for k, v in sorted(s.severity_weights.items())],
            ["TEXT", "INTEGER"],
        ),
        "stage_thresholds": values_relation(
            ["stage", "threshold_days"],
            [
                ["candidate", s.candidate_threshold_days],
                ["requirement", s.requirement_threshold_days],
                ["decision", s.decision_threshold_days],
                ["observation", s.observation_threshold_days],
            ],
            ["TEXT", "INTEGER"],
        ),
    }


def eval_points_relation(points: Sequence[tuple[int, dt.datetime, dt.datetime]]) -> str:
    """``eval_points(point_id, as_of, window_start)``: the times a metric is evaluated at."""
    return values_relation(
        ["point_id", "as_of", "window_start"],
        [list(p) for p in points],
        ["INTEGER", TS, TS],
    )


def scalar_settings(s: Settings, as_of: dt.datetime) -> dict[str, SqlValue]:
    """Every numeric setting as a ``:name`` scalar, plus the derived window starts."""
    scalars: dict[str, SqlValue] = {
        f.name: getattr(s, f.name)
        for f in dataclasses.fields(s)
        if isinstance(getattr(s, f.name), int | float) and not isinstance(getattr(s, f.name), bool)
    }
    scalars.update(
        as_of=as_of,
        window_start=as_of - dt.timedelta(days=s.window_days),
        cohort_start=as_of - dt.timedelta(days=s.cohort_days),
        report_start=as_of - dt.timedelta(days=s.report_days),
        series_start=as_of - dt.timedelta(days=7 * s.weeks),
    )
    return scalars


DAY_SECONDS = 86_400


def event_span(
    points: Sequence[tuple[int, dt.datetime, dt.datetime]] | None,
    s: Settings,
    as_of: dt.datetime,
    *,
    day_buckets: bool = False,
) -> dict[str, SqlValue]:
    """Literal bounds and buckets for the interaction events a metric reads.

    ``events_from``/``events_until`` hold every activity interval: a point's window
    [window_start, as_of), and around a deployment linked in it the regression
    rule's ``regression_window_days`` before it and the days after it up to the
    point.  Deployment-driven points (``points`` None) evaluate deployments of
    [T − report_days, T) past their observation period, from change_window_days
    before to change_window_days after (≤ T).  Literals, not subqueries over the
    intervals, because a planner can estimate them: Postgres guessed 50k rows for
    millions and chose an index scan and a spilling sort.

    ``bucket_origin`` (the latest point) and ``bucket_seconds`` place the points'
    windows on bucket edges:
    the widest width dividing every window length and every distance between the
    points (one bucket per window for a single point; a day for weekly points), at
    least a day.  Any choice counts exactly (partial buckets are counted from raw
    events); the alignment only saves work.

    ``day_buckets`` keeps buckets a day wide whenever days fit the points (DuckDB):
    with one bucket per window every deployment interval covers its buckets partly,
    so all its events are counted raw, and DuckDB then reads each linked widget's
    whole span twice; day buckets leave two partial days per interval. Postgres
    aggregates a few wide buckets faster (10M friction: 5.8 s against 7.8 s).
    """
    width = DAY_SECONDS
    if points:
        earliest = min(p[2] for p in points)
        latest = max(p[1] for p in points)
        spans = [p[1] - p[2] for p in points] + [latest - p[1] for p in points]
        whole = 0
        for span in spans:
            seconds = span.total_seconds()
            whole = math.gcd(whole, int(seconds)) if seconds.is_integer() else 1
        if whole % DAY_SECONDS == 0 and not day_buckets:
            width = whole
    else:
        earliest = as_of - dt.timedelta(days=s.report_days + s.change_window_days)
        latest = as_of
    return {
        "events_from": earliest - dt.timedelta(days=s.regression_window_days),
        "events_until": latest,
        "bucket_origin": latest,
        "bucket_seconds": width,
    }


def weekly_points(
    as_of: dt.datetime, weeks: int, window_days: int
) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """Points T − 7k days for k = 0 … weeks − 1 (point_id = k), each with its own window."""
    points = []
    for k in range(weeks):
        t = as_of - dt.timedelta(days=7 * k)
        points.append((k, t, t - dt.timedelta(days=window_days)))
    return points
