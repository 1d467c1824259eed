"""Render settings and evaluation points as SQL inputs for the metric models.

The vocabulary lists become small literal relations (``error_event_types``,
``severity_weights``, …) and every numeric setting a ``:name`` scalar, so the
same SQL text runs on DuckDB and on a read-only Postgres session (which could
not hold them in temporary tables).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
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


def weekly_points(
    as_of: dt.datetime, weeks: int, window_days: int
) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """Points T − 7k days for k = 0 … weeks − 1 (point_id = k), each with its own window."""
    points = []
    for k in range(weeks):
        t = as_of - dt.timedelta(days=7 * k)
        points.append((k, t, t - dt.timedelta(days=window_days)))
    return points
