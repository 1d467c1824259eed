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
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from ihub_analysis.errors import BadInput, MissingTablesError
from ihub_analysis.infinite_times import finite_relations
from ihub_analysis.metrics import cache as results_cache
from ihub_analysis.metrics import evidence, schemas
from ihub_analysis.metrics.cache import ResultsCache
from ihub_analysis.metrics.compare import (
    BaselineValue,
    compare_frames,
    comparison,
    resolve_baseline,
)
from ihub_analysis.metrics.derived import build_patterns, trend_arrows
from ihub_analysis.metrics.inputs import (
    eval_points_relation,
    event_span,
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
#: Sources whose metrics count events in day buckets (see ``event_span``).
_DAY_BUCKET_ENGINES = frozenset({"duckdb", "parquet"})
_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class _Plan:
    """How a workbench method runs: its SQL model, evaluation points, output schema."""

    model: str
    points: str | None  # "single" (T), "weekly" (T − 7k), "deployments", or None (scalars only)
    schema: dict[str, pl.DataType]
    requires: tuple[str, str] | None = None  # (what, REQUIRED_TABLES key) when it needs tables


_CHANGES = ("change evaluation", "changes")
_PROPAGATION_CANDIDATES = {
    "pattern_type": pl.String,
    "key": pl.String,
    "hub_slug": pl.String,
    "metric": pl.Float64,
    "hub_count": pl.Int64,
}
_PLANS: dict[str, _Plan] = {
    "friction": _Plan("friction", "single", schemas.FRICTION),
    "friction_history": _Plan("friction", "weekly", schemas.FRICTION),
    "bottlenecks": _Plan(
        "bottlenecks", "single", schemas.BOTTLENECKS, ("bottlenecks", "bottlenecks")
    ),
    "funnel": _Plan("funnel", "single", schemas.FUNNEL, ("funnel", "funnel")),
    "funnel_annotations": _Plan("funnel_annotations", None, schemas.FUNNEL_ANNOTATIONS),
    "health": _Plan("health", "single", schemas.HEALTH, ("health", "health")),
    "health_trend": _Plan(
        "health_trend", "weekly", schemas.HEALTH_TREND, ("health trend", "health-trend")
    ),
    "recorded_health": _Plan("recorded_health", None, schemas.RECORDED_HEALTH),
    "propagation": _Plan("propagation_candidates", "single", _PROPAGATION_CANDIDATES),
    "changes": _Plan("changes", "deployments", schemas.CHANGES, _CHANGES),
    "changes_summary": _Plan("changes_summary", "deployments", schemas.CHANGES_SUMMARY, _CHANGES),
    "change_widgets": _Plan("change_widgets", "deployments", schemas.CHANGE_WIDGETS, _CHANGES),
    "change_signals": _Plan("change_signals", None, schemas.CHANGE_SIGNALS, _CHANGES),
}


class UnknownMetricError(BadInput, ValueError):
    """A metric or method name the workbench does not know (the message lists valid ones)."""


def _method_name(name: str, valid: Mapping[str, object] | None = None) -> str:
    """``name`` as a method name: case, spaces and ``-`` forgiven; else a friendly error."""
    if not isinstance(name, str):
        raise UnknownMetricError(f"a metric name is a string, got {name!r}")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    choices = _PLANS if valid is None else valid
    if key in choices:
        return key
    names = sorted(choices)
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownMetricError(f"unknown metric {name!r}{hint}; valid names: {', '.join(names)}")


def _metric_kind(name: str) -> str:
    """``name`` as a CLI metric kind (``health_trend`` → ``health-trend``)."""
    kinds = {k.replace("-", "_"): k for k in REQUIRED_TABLES}
    return kinds[_method_name(name, kinds)]


class Workbench:
    """Metrics over one Inter-Hub source.  Use as a context manager or call :meth:`close`."""

    def __init__(self, source: Source, settings: Settings | None = None) -> None:
        self.source = source
        self.settings = settings or Settings()
        #: Results shared within one report run (``$IHUB_RESULTS_CACHE``), else None.
        self.results: ResultsCache | None = results_cache.from_env(source)

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
        """Whether metric ``kind`` (``health-trend`` or ``health_trend``) can run here."""
        key = _metric_kind(kind)
        return all(t in self.source.tables for t in REQUIRED_TABLES[key])

    def default_as_of(self) -> dt.datetime:
        """Snapshot ``taken_at`` for a DuckDB snapshot, the server's ``now()`` when live."""
        return self.source.now()

    def resolve_as_of(self, as_of: AsOf) -> dt.datetime:
        if as_of is not None:
            return parse_as_of(as_of)
        default = self.default_as_of()
        try:
            return parse_as_of(default)  # a snapshot's taken_at is data: check its range too
        except BadInput:
            raise BadInput(
                f"the default as-of of {self.source.display} ({default.isoformat()}) is out of "
                "range: give one with --as-of"
            ) from None

    def settings_with(self, **overrides: Any) -> Settings:
        """The workbench settings with ``overrides`` applied (validated)."""
        return self.settings.replace(**overrides)

    def sql(self, query: str) -> pl.DataFrame:
        """Run your own read-only SQL against the source: one query (SELECT, WITH, VALUES,
        EXPLAIN), checked by :mod:`ihub_analysis.sqlguard` before it runs."""
        from ihub_analysis.sqlguard import check_read_only_query  # sqlglot: only when used

        check_read_only_query(query, self.source.kind)
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
        return getattr(self, _method_name(_metric_kind(kind)))(**kwargs)

    # --------------------------------------------------------------- plumbing
    def _require(self, what: str, kind: str) -> None:
        missing = [t for t in REQUIRED_TABLES[kind] if t not in self.source.tables]
        if missing:
            raise MissingTablesError(what, missing)

    def _settings_and_time(
        self, as_of: AsOf, overrides: dict[str, Any]
    ) -> tuple[dt.datetime, Settings]:
        settings = self.settings_with(**overrides)
        return self.resolve_as_of(as_of), settings

    def explain(self, method: str, as_of: AsOf = None, **settings: Any) -> str:
        """The one SQL statement ``method`` runs, as it would run now.

        ``method`` is a method name (``"health_trend"``) or the CLI's metric name
        (``"health-trend"``); anything else is a :class:`UnknownMetricError` listing both.
        """
        plan = _PLANS[_method_name(method, _PLANS)]
        t, s = self._settings_and_time(as_of, settings)
        return self._statement(plan, t, s)

    def _statement(
        self, plan: _Plan, t: dt.datetime, s: Settings, also: Sequence[dt.datetime] = ()
    ) -> str:
        """``also``: more evaluation points for a "single" plan (rows tell them by ``as_of``)."""
        inputs = vocabulary_relations(s)
        points = None
        if plan.points == "single":
            points = [
                (k, p, p - dt.timedelta(days=s.window_days)) for k, p in enumerate((t, *also))
            ]
        elif plan.points == "weekly":
            points = weekly_points(t, s.weeks, s.window_days)
        if points is not None:
            inputs["eval_points"] = eval_points_relation(points)
        inputs.update(finite_relations(self.source))  # ±infinity in the data: unknown time
        return compose(
            plan.model,
            inputs=inputs,
            scalars={
                **scalar_settings(s, t),
                **event_span(points, s, t, day_buckets=self.source.kind in _DAY_BUCKET_ENGINES),
            },
            tables=self.source.tables,
            overrides=_CHANGE_OVERRIDES if plan.points == "deployments" else None,
            materialize=self.source.kind == "postgres",
        )

    def _frame(
        self, method: str, as_of: AsOf, overrides: dict[str, Any]
    ) -> tuple[pl.DataFrame, dt.datetime, Settings]:
        """Run ``method``'s plan: its frame (conformed to its schema), T and the settings used."""
        plan = _PLANS[method]
        if plan.requires:
            self._require(plan.requires[0], plan.requires[1])
        t, s = self._settings_and_time(as_of, overrides)
        statement = self._statement(plan, t, s)

        def compute() -> pl.DataFrame:
            return schemas.conform(self.source.query_model(statement), plan.schema)

        if self.results is None:
            return compute(), t, s
        return self.results.fetch(method, t, s, statement, compute), t, s

    # ---------------------------------------------------------------- metrics
    def friction(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Friction score per widget existing at T, worst first."""
        frame, _, _ = self._frame("friction", as_of, settings)
        return frame.sort(
            ["score", "hub_slug", "widget_name", "widget_id"],
            descending=[True, False, False, False],
        )

    def friction_history(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Friction per widget at the end of each of the last ``weeks`` weeks (T − 7k days)."""
        frame, _, _ = self._frame("friction_history", as_of, settings)
        return frame.sort(["as_of", "hub_slug", "widget_name", "widget_id"])

    def bottlenecks(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Open pipeline items stalled past their stage threshold at T, most severe first."""
        frame, _, _ = self._frame("bottlenecks", as_of, settings)
        rank = pl.col("severity").replace_strict(_SEVERITY_ORDER, default=9, return_dtype=pl.Int64)
        return frame.sort(
            [rank, pl.col("age_days"), pl.col("subject_id")], descending=[False, True, False]
        )

    def funnel(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Pipeline funnel of the cohort created in [T − cohort_days, T), per hub and ``all``."""
        frame, _, _ = self._frame("funnel", as_of, settings)
        return frame.sort([pl.col("hub_slug") != "all", "hub_slug", "step_index"])

    def funnel_annotations(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Friction annotations of the funnel's cohort window and the share a candidate cites."""
        frame, _, _ = self._frame("funnel_annotations", as_of, settings)
        return frame.sort([pl.col("hub_slug") != "all", "hub_slug"])

    def health(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Hub health at T, one row per hub."""
        return self._frame("health", as_of, settings)[0].sort("hub_slug")

    def health_trend(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Hub health at T − 7k days (k < ``weeks``), each as of its own date, in one query."""
        return self._frame("health_trend", as_of, settings)[0].sort(["hub_slug", "as_of"])

    def health_arrows(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Per hub: score at T vs ``trend_arrow_weeks`` weeks before, with the trend arrow."""
        s = self.settings_with(**settings)
        weeks = max(s.weeks, s.trend_arrow_weeks + 1)
        trend = self.health_trend(as_of=as_of, **{**settings, "weeks": weeks})
        return trend_arrows(trend, s.trend_arrow_weeks)

    def recorded_health(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """The application's own ``hub_health_snapshots`` over the trend's span (may be empty)."""
        frame, _, _ = self._frame("recorded_health", as_of, settings)
        return frame.sort(["hub_slug", "computed_at"])

    def propagation(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Cross-hub patterns at T: annotation clusters and painful widget types."""
        candidates, t, s = self._frame("propagation", as_of, settings)
        stamped = candidates.with_columns(pl.lit(t).cast(schemas.UTC).alias("as_of"))
        return build_patterns(stamped, s.pattern_min_hubs)

    def resolve_baseline(
        self, as_of: AsOf = None, baseline: BaselineValue = None, **settings: Any
    ) -> tuple[dt.datetime, dt.datetime]:
        """(T, B): ``baseline`` a time, ``-28d``/``-4w``/``-12h``, or None (``compare_days``)."""
        t, s = self._settings_and_time(as_of, settings)
        return t, resolve_baseline(baseline, t, s.compare_days)

    def compare(
        self, kind: str, as_of: AsOf = None, baseline: BaselineValue = None, **settings: Any
    ) -> pl.DataFrame:
        """Metric ``kind`` at T beside itself at the baseline B, with deltas and a ``change``.

        Friction, bottlenecks and health compute both points in one statement (one
        consistent read of a live database); funnel and propagation, whose models are
        anchored to a single T, run one statement per point.
        """
        spec = comparison(kind)
        t, s = self._settings_and_time(as_of, settings)
        b = resolve_baseline(baseline, t, s.compare_days)
        if kind in ("friction", "bottlenecks", "health"):
            plan = _PLANS[kind]
            if plan.requires:
                self._require(plan.requires[0], plan.requires[1])
            both = schemas.conform(
                self.source.query_model(self._statement(plan, t, s, also=(b,))), spec.schema
            )
            now = both.filter(pl.col("as_of") == t)
            base = both.filter(pl.col("as_of") == b)
        else:
            now = self.metric(kind, as_of=t, **settings)
            base = self.metric(kind, as_of=b, **settings)
        return compare_frames(kind, now, base, t, b)

    def widget_evidence(
        self, widget_id: str, as_of: AsOf = None, **settings: Any
    ) -> evidence.WidgetEvidence:
        """The rows behind one widget's friction score at T (annotations, events, …)."""
        return evidence.widget_evidence(self, widget_id, as_of, **settings)

    def hub_evidence(
        self, hub_slug: str, as_of: AsOf = None, **settings: Any
    ) -> evidence.HubEvidence:
        """The items behind each of one hub's health deductions at T."""
        return evidence.hub_evidence(self, hub_slug, as_of, **settings)

    def changes(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Change evaluation of each deployment in [T − report_days, T), newest first."""
        frame, _, _ = self._frame("changes", as_of, settings)
        return frame.sort(["deployed_at", "deployment_id"], descending=[True, False])

    def changes_summary(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """One row: deployments, share evaluated, verdicts, change failure rate, lead times."""
        return self._frame("changes_summary", as_of, settings)[0]

    def change_widgets(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Before/after friction of each evaluated deployment's widgets and its control group."""
        frame, _, _ = self._frame("change_widgets", as_of, settings)
        return frame.sort(["deployment_id", "role", "widget_name", "widget_id"])

    def change_signals(self, as_of: AsOf = None, **settings: Any) -> pl.DataFrame:
        """Mean outcome-signal value per signal type per deployment in the report range."""
        frame, _, _ = self._frame("change_signals", as_of, settings)
        return frame.sort(["deployment_id", "signal_type"])


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
