"""A metric at T beside the same metric at a baseline B, joined on the metric's key.

Both sides are computed by the same SQL with the same settings, each as of its own
date, so the comparison needs no stored history.  The join and the ``change`` label
are done here, on the two (small, aggregated) frames, so both engines agree exactly.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import polars as pl

from ihub_analysis.errors import BadInput
from ihub_analysis.metrics import schemas
from ihub_analysis.timeutil import iso_utc, parse_as_of

BaselineValue = str | dt.datetime | dt.date | dt.timedelta | None

#: ``change`` values, in the order a comparison is listed (what needs attention first).
CHANGES = ("worse", "new", "better", "gone", "same")

_RELATIVE = re.compile(r"^\s*-\s*(\d+(?:\.\d+)?)\s*([dwh])\s*$", re.I)
_UNIT_DAYS = {"d": 1.0, "w": 7.0, "h": 1.0 / 24.0}


@dataclass(frozen=True)
class Comparison:
    """How one metric is compared: its key, its columns and the direction of its main figure."""

    kind: str
    schema: dict[str, pl.DataType]  # the metric frame's schema
    key: tuple[str, ...]
    columns: tuple[str, ...]  # shown as of T (after the key), in this order
    numeric: tuple[str, ...]  # each gets X_baseline and X_delta
    ordinal: tuple[str, ...]  # bands, severities, flags: each gets X_baseline
    main: str  # the figure whose direction decides worse/better
    higher_is_worse: bool
    context: tuple[str, ...] = ()  # carried at the end, no baseline

    @property
    def descriptive(self) -> tuple[str, ...]:
        """Labels (names, hub, title): taken from B for a row that is gone at T."""
        return tuple(c for c in self.columns if c not in self.numeric and c not in self.ordinal)

    def output_schema(self) -> dict[str, pl.DataType]:
        """The comparison frame's columns and types."""
        out: dict[str, pl.DataType] = {c: self.schema[c] for c in (*self.key, *self.columns)}
        for c in self.numeric:
            out[f"{c}_baseline"] = self.schema[c]
            out[f"{c}_delta"] = self.schema[c]
        for c in self.ordinal:
            out[f"{c}_baseline"] = self.schema[c]
        out["change"] = pl.String
        for c in self.context:
            out[c] = self.schema[c]
        out["as_of"] = schemas.UTC
        out["baseline"] = schemas.UTC
        return out


COMPARISONS: dict[str, Comparison] = {
    "friction": Comparison(
        "friction",
        schemas.FRICTION,
        key=("widget_id",),
        columns=(
            "hub_slug",
            "widget_name",
            "widget_type",
            "interaction_count",
            "error_event_count",
            "annotation_count",
            "regression_flag",
            "stale_candidate_count",
            "score",
            "band",
        ),
        numeric=(
            "interaction_count",
            "error_event_count",
            "annotation_count",
            "stale_candidate_count",
            "score",
        ),
        ordinal=("regression_flag", "band"),
        main="score",
        higher_is_worse=True,
    ),
    "bottlenecks": Comparison(
        "bottlenecks",
        schemas.BOTTLENECKS,
        key=("stage", "subject_id"),
        columns=(
            "hub_slug",
            "subject_type",
            "stalled_since",
            "age_days",
            "threshold_days",
            "severity",
            "ratio",
            "title",
        ),
        numeric=("age_days", "threshold_days", "ratio"),
        ordinal=("severity",),
        main="ratio",
        higher_is_worse=True,
    ),
    "funnel": Comparison(
        "funnel",
        schemas.FUNNEL,
        key=("hub_slug", "step"),
        columns=("reached", "conversion", "p50_days", "p90_days", "wip"),
        numeric=("reached", "conversion", "p50_days", "p90_days", "wip"),
        ordinal=(),
        main="conversion",
        higher_is_worse=False,
        context=("step_index",),
    ),
    "health": Comparison(
        "health",
        schemas.HEALTH,
        key=("hub_slug",),
        columns=(
            "health_score",
            "band",
            "open_candidates",
            "regressed_widgets",
            "stale_decisions",
            "active_bottlenecks",
            "red_widgets",
        ),
        numeric=(
            "health_score",
            "open_candidates",
            "regressed_widgets",
            "stale_decisions",
            "active_bottlenecks",
            "red_widgets",
        ),
        ordinal=("band",),
        main="health_score",
        higher_is_worse=False,
        context=("hub_name",),
    ),
    "propagation": Comparison(
        "propagation",
        schemas.PROPAGATION,
        key=("pattern_type", "key"),
        columns=("source_hub", "affected_hubs", "metric", "hub_count"),
        numeric=("metric", "hub_count"),
        ordinal=(),
        main="metric",
        higher_is_worse=True,
        context=("summary",),
    ),
}

#: Ranks of the ordinal columns, for readers that ask "did it get worse" (higher = worse).
BAND_RANK = {"green": 0, "yellow": 1, "amber": 2, "red": 3}
HEALTH_BAND_RANK = {"healthy": 0, "watch": 1, "at_risk": 2}
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def comparison(kind: str) -> Comparison:
    """The comparison of metric ``kind``; a one-line error for a metric that has none."""
    try:
        return COMPARISONS[kind]
    except KeyError:
        raise BadInput(
            f"metric {kind} cannot be compared with a baseline "
            f"(comparable: {', '.join(COMPARISONS)})"
        ) from None


def is_relative(text: str) -> bool:
    """Whether ``text`` is a relative baseline such as ``-28d``."""
    return bool(_RELATIVE.match(text))


def resolve_baseline(value: BaselineValue, as_of: dt.datetime, compare_days: int) -> dt.datetime:
    """B as an aware UTC datetime: a time, a relative form (``-28d``, ``-4w``, ``-12h``) or None.

    None means ``as_of − compare_days``.  B must lie before T: a comparison of T with
    itself or with the future says nothing, so it is refused as bad input.
    """
    try:
        if value is None:
            baseline = as_of - dt.timedelta(days=compare_days)
        elif isinstance(value, dt.timedelta):
            baseline = as_of - abs(value)
        elif isinstance(value, str) and (m := _RELATIVE.match(value)):
            baseline = as_of - dt.timedelta(days=float(m.group(1)) * _UNIT_DAYS[m.group(2).lower()])
        else:
            baseline = None
    except OverflowError:
        raise BadInput(f"baseline {value or f'-{compare_days}d'!s} is too far back") from None
    if baseline is None:
        try:
            baseline = parse_as_of(value)
        except BadInput:
            raise BadInput(
                f"invalid baseline {value!r}: use an ISO 8601 time (2026-10-01T00:00:00Z) "
                "or a relative form such as -28d, -4w, -12h"
            ) from None
    if baseline >= as_of:
        raise BadInput(f"baseline {iso_utc(baseline)} must be before as-of {iso_utc(as_of)}")
    return baseline


def compare_frames(
    kind: str,
    now: pl.DataFrame,
    base: pl.DataFrame,
    as_of: dt.datetime,
    baseline: dt.datetime,
) -> pl.DataFrame:
    """Join the metric at T (``now``) and at B (``base``) on the key and label each row."""
    spec = comparison(kind)
    carried = (*spec.columns, *spec.context)
    left = now.select(*spec.key, *carried).with_columns(pl.lit(True).alias("_at_t"))
    right = base.select(
        *spec.key, *(pl.col(c).alias(f"{c}_b") for c in carried), pl.lit(True).alias("_at_b")
    )
    joined = left.join(right, on=list(spec.key), how="full", coalesce=True, nulls_equal=True)
    at_t = pl.col("_at_t").fill_null(False)
    at_b = pl.col("_at_b").fill_null(False)
    exprs: list[pl.Expr] = []
    for c in (*spec.descriptive, *spec.context):
        exprs.append(pl.when(at_t).then(pl.col(c)).otherwise(pl.col(f"{c}_b")).alias(c))
    for c in spec.numeric:
        exprs.append(pl.col(f"{c}_b").alias(f"{c}_baseline"))
        exprs.append((pl.col(c) - pl.col(f"{c}_b")).alias(f"{c}_delta"))
    for c in spec.ordinal:
        exprs.append(pl.col(f"{c}_b").alias(f"{c}_baseline"))
    exprs.append(_change(spec, at_t, at_b).alias("change"))
    out = joined.with_columns(exprs).with_columns(
        pl.lit(as_of).cast(schemas.UTC).alias("as_of"),
        pl.lit(baseline).cast(schemas.UTC).alias("baseline"),
    )
    out = schemas.conform(out, spec.output_schema())
    return _sort(spec, out)


def _change(spec: Comparison, at_t: pl.Expr, at_b: pl.Expr) -> pl.Expr:
    """new / gone, else worse / better / same by the main figure rounded to 2 decimals."""
    now = pl.col(spec.main).cast(pl.Float64).round(2)
    before = pl.col(f"{spec.main}_b").cast(pl.Float64).round(2)
    up, down = ("worse", "better") if spec.higher_is_worse else ("better", "worse")
    return (
        pl.when(~at_b)
        .then(pl.lit("new"))
        .when(~at_t)
        .then(pl.lit("gone"))
        .when(now > before)
        .then(pl.lit(up))
        .when(now < before)
        .then(pl.lit(down))
        .otherwise(pl.lit("same"))
    )


def _sort(spec: Comparison, frame: pl.DataFrame) -> pl.DataFrame:
    """Funnel in its step order; everything else worst first, biggest moves first."""
    if spec.kind == "funnel":
        return frame.sort([pl.col("hub_slug") != "all", "hub_slug", "step_index"])
    rank = pl.col("change").replace_strict(
        {c: i for i, c in enumerate(CHANGES)}, return_dtype=pl.Int64
    )
    move = pl.col(f"{spec.main}_delta").abs().round(6).fill_null(-1.0)  # engine-neutral ties
    return frame.sort([rank, move, *spec.key], descending=[False, True, *[False] * len(spec.key)])
