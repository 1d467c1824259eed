"""The workbench: one object per source, one method per metric.

``connect(source)`` opens the source read-only; each metric method renders the
metric's SQL (``sql/metrics/``) with the settings in force and runs it where the
data lives — DuckDB for a snapshot, Postgres for a live database — returning a
polars DataFrame with the columns of :mod:`ihub_analysis.metrics.schemas`.
Every method takes ``as_of=`` (default: the snapshot's ``taken_at``, or the
server's ``now()`` when live) and any setting of :class:`Settings` as a keyword.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from ihub_analysis.errors import MissingTablesError
from ihub_analysis.metrics import schemas
from ihub_analysis.metrics.derived import build_patterns, trend_arrows
from ihub_analysis.metrics.inputs import (
    eval_points_relation,
    scalar_settings,
    vocabulary_relations,
    weekly_points,
)
from ihub_analysis.metrics.sqlmodels import compose
from ihub_analysis.paths import default_source
from ihub_analysis.settings import Settings
from ihub_analysis.sources import Source, open_source
from ihub_analysis.timeutil import parse_as_of

AsOf = str | dt.datetime | dt.date | None

#: Tables without which a metric means nothing.  Other tables a metric touches may
#: be missing in an older deployment: they stand in as empty (e.g. no deployment
#: tables → no regression flags), and :attr:`Workbench.missing_tables` says so.
PIPELINE = ("requirement_candidates", "triage_states")
CHANGE_TABLES = (
    "requirements",
    "decision_records",
    "deployment_records",
    "outcome_signals",
    "change_evaluations",
)
REQUIRED_TABLES: dict[str, tuple[str, ...]] = {
    "friction": (),
    "bottlenecks": PIPELINE,
    "funnel": PIPELINE,
    "health": PIPELINE,
    "health-trend": PIPELINE,
    "propagation": (),
    "changes": PIPELINE + CHANGE_TABLES,
}

#: The models whose evaluation points come from deployments, not from T.
_CHANGE_OVERRIDES = {"eval_points": "change_points", "point_widgets": "change_point_widgets"}
_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class Workbench:
    """Metrics over one Inter-Hub source.  Use as a context manager or call :meth:`close`."""

    def __init__(self, source: Source, settings: Settings | None = None) -> None:
        self.source = source
        self.settings = settings or Settings()

    # ------------------------------------------------------------------ basics
    @property
    def tables(self) -> frozenset[str]:
        """The Inter-Hub tables this source holds."""
        return self.source.tables

    def missing_tables(self) -> list[str]:
        """Inter-Hub tables this (older) deployment lacks."""
        from ihub_analysis.schema import inter_hub_schema

        return [t for t in inter_hub_schema().table_names if t not in self.source.tables]

    def supports(self, kind: str) -> bool:
        """Whether metric ``kind`` can run on this database's tables."""
        return all(t in self.source.tables for t in REQUIRED_TABLES[kind])

    def default_as_of(self) -> dt.datetime:
        """Snapshot ``taken_at`` for a DuckDB snapshot, the server's ``now()`` when live."""
        return self.source.now()

    def resolve_as_of(self, as_of: AsOf) -> dt.datetime:
        return self.default_as_of() if as_of is None else parse_as_of(as_of)

    def settings_with(self, **overrides: Any) -> Settings:
        """The workbench settings with ``overrides`` applied (validated)."""
        return self.settings.replace(**overrides)

    def sql(self, query: str) -> pl.DataFrame:
        """Run your own read-only SQL against the source (the connection cannot write)."""
        return self.source.query(query)

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workbench({self.source.display!r}, phase {self.source.phase})"

    def metric(self, kind: str, **kwargs: Any) -> pl.DataFrame:
        """Dispatch by the CLI's metric name (``health-trend`` → :meth:`health_trend`)."""
        if kind not in REQUIRED_TABLES:
            raise ValueError(f"unknown metric {kind!r}")
        return getattr(self, kind.replace("-", "_"))(**kwargs)

    # --------------------------------------------------------------- plumbing
    def _require(self, what: str, kind: str) -> None:
        missing = [t for t in REQUIRED_TABLES[kind] if t not in self.source.tables]
        if missing:
            raise MissingTablesError(what, missing)

    def statement(
        self,
        target: str,
        settings: Settings,
        as_of: dt.datetime,
        points: Sequence[tuple[int, dt.datetime, dt.datetime]] | None = None,
        overrides: Mapping[str, str] | None = None,
    ) -> str:
        """The one SQL statement computing model ``target`` (for inspection or reuse)."""
        inputs = vocabulary_relations(settings)
        if points is not None:
            inputs["eval_points"] = eval_points_relation(points)
        return compose(
            target,
            inputs=inputs,
            scalars=scalar_settings(settings, as_of),
            tables=self.source.tables,
            overrides=overrides,
            materialize=self.source.kind == "postgres",
        )

    def _run(
        self,
        target: str,
        schema: dict[str, pl.DataType],
        settings: Settings,
        as_of: dt.datetime,
        points: Sequence[tuple[int, dt.datetime, dt.datetime]] | None = None,
        overrides: Mapping[str, str] | None = None,
    ) -> pl.DataFrame:
        sql = self.statement(target, settings, as_of, points, overrides)
        return schemas.conform(self.source.query(sql), schema)

    def _prepare(self, as_of: AsOf, overrides: dict[str, Any]) -> tuple[dt.datetime, Settings]:
        settings = self.settings_with(**overrides)
        return self.resolve_as_of(as_of), settings

    @staticmethod
    def _single_point(t: dt.datetime, s: Settings) -> list[tuple[int, dt.datetime, dt.datetime]]:
        return [(0, t, t - dt.timedelta(days=s.window_days))]

    # ---------------------------------------------------------------- metrics
    def friction(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Friction score per widget existing at T, worst first."""
        t, s = self._prepare(as_of, settings)
        frame = self._run("friction", schemas.FRICTION, s, t, self._single_point(t, s))
        return frame.sort(
            ["score", "hub_slug", "widget_name", "widget_id"],
            descending=[True, False, False, False],
        )

    def friction_history(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Friction per widget at the end of each of the last ``weeks`` weeks (T − 7k days)."""
        t, s = self._prepare(as_of, settings)
        frame = self._run(
            "friction", schemas.FRICTION, s, t, weekly_points(t, s.weeks, s.window_days)
        )
        return frame.sort(["as_of", "hub_slug", "widget_name", "widget_id"])

    def bottlenecks(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Open pipeline items stalled past their stage threshold at T, most severe first."""
        self._require("bottlenecks", "bottlenecks")
        t, s = self._prepare(as_of, settings)
        frame = self._run("bottlenecks", schemas.BOTTLENECKS, s, t, self._single_point(t, s))
        rank = pl.col("severity").replace_strict(_SEVERITY_ORDER, default=9, return_dtype=pl.Int64)
        return frame.sort(
            [rank, pl.col("age_days"), pl.col("subject_id")], descending=[False, True, False]
        )

    def funnel(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Pipeline funnel of the cohort created in [T − cohort_days, T), per hub and ``all``."""
        self._require("funnel", "funnel")
        t, s = self._prepare(as_of, settings)
        frame = self._run("funnel", schemas.FUNNEL, s, t, self._single_point(t, s))
        return frame.sort([pl.col("hub_slug") != "all", "hub_slug", "step_index"])

    def funnel_annotations(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Friction annotations of the funnel's cohort window and the share a candidate cites."""
        t, s = self._prepare(as_of, settings)
        frame = self._run("funnel_annotations", schemas.FUNNEL_ANNOTATIONS, s, t)
        return frame.sort([pl.col("hub_slug") != "all", "hub_slug"])

    def health(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Hub health at T, one row per hub."""
        self._require("health", "health")
        t, s = self._prepare(as_of, settings)
        return self._run("health", schemas.HEALTH, s, t, self._single_point(t, s)).sort("hub_slug")

    def health_trend(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Hub health at T − 7k days (k < ``weeks``), each as of its own date, in one query."""
        self._require("health trend", "health-trend")
        t, s = self._prepare(as_of, settings)
        points = weekly_points(t, s.weeks, s.window_days)
        return self._run("health_trend", schemas.HEALTH_TREND, s, t, points).sort(
            ["hub_slug", "as_of"]
        )

    def health_arrows(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Per hub: score at T vs ``trend_arrow_weeks`` weeks before, with the trend arrow."""
        t, s = self._prepare(as_of, settings)
        weeks = max(s.weeks, s.trend_arrow_weeks + 1)
        trend = self.health_trend(as_of=t, **{**settings, "weeks": weeks})
        return trend_arrows(trend, s.trend_arrow_weeks)

    def recorded_health(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """The application's own ``hub_health_snapshots`` over the trend's span (may be empty)."""
        t, s = self._prepare(as_of, settings)
        return self._run("recorded_health", schemas.RECORDED_HEALTH, s, t).sort(
            ["hub_slug", "computed_at"]
        )

    def propagation(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Cross-hub patterns at T: annotation clusters and painful widget types."""
        t, s = self._prepare(as_of, settings)
        candidates = self._run(
            "propagation_candidates",
            {
                "pattern_type": pl.String,
                "key": pl.String,
                "hub_slug": pl.String,
                "metric": pl.Float64,
                "hub_count": pl.Int64,
            },
            s,
            t,
            self._single_point(t, s),
        ).with_columns(pl.lit(t).cast(schemas.UTC).alias("as_of"))
        return build_patterns(candidates, s.pattern_min_hubs)

    def changes(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Change evaluation of each deployment in [T − report_days, T), newest first."""
        self._require("change evaluation", "changes")
        t, s = self._prepare(as_of, settings)
        frame = self._run("changes", schemas.CHANGES, s, t, overrides=_CHANGE_OVERRIDES)
        return frame.sort(["deployed_at", "deployment_id"], descending=[True, False])

    def changes_summary(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """One row: deployments, share evaluated, verdicts, change failure rate, lead times."""
        self._require("change evaluation", "changes")
        t, s = self._prepare(as_of, settings)
        return self._run(
            "changes_summary", schemas.CHANGES_SUMMARY, s, t, overrides=_CHANGE_OVERRIDES
        )

    def change_widgets(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Before/after friction of each evaluated deployment's widgets and its control group."""
        self._require("change evaluation", "changes")
        t, s = self._prepare(as_of, settings)
        frame = self._run(
            "change_widgets", schemas.CHANGE_WIDGETS, s, t, overrides=_CHANGE_OVERRIDES
        )
        return frame.sort(["deployment_id", "role", "widget_name", "widget_id"])

    def change_signals(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Mean outcome-signal value per signal type per deployment in the report range."""
        self._require("change evaluation", "changes")
        t, s = self._prepare(as_of, settings)
        return self._run("change_signals", schemas.CHANGE_SIGNALS, s, t).sort(
            ["deployment_id", "signal_type"]
        )


def connect(
    source: str | None = None,
    *,
    settings: Settings | None = None,
    statement_timeout: str | None = None,
) -> Workbench:
    """Open ``source`` (default ``$IHUB_SOURCE``, else ``data/demo.duckdb``) read-only."""
    return Workbench(
        open_source(source or default_source(), statement_timeout=statement_timeout), settings
    )
