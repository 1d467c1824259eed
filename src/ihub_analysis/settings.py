"""Every tunable of the metric definitions, in one place, with their defaults.

docs/metrics.md (Settings) explains each one.  Each metric method takes
overrides as keyword arguments (``wb.friction(window_days=14)``), the CLI has
flags for the common ones and ``--set name=value`` for the rest, and every
report prints the settings it used.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from dataclasses import dataclass, field
from typing import Any

from ihub_analysis.errors import BadInput

#: Upper bound of every ``*_days`` setting: ten years.
MAX_DAYS = 3650
#: Upper bound of ``weeks`` and ``trend_arrow_weeks``: ten years of weekly points.
MAX_WEEKS = 520
#: Largest magnitude of any other number (weights, caps, ratios, thresholds).
MAX_MAGNITUDE = 1_000_000


def _mapping(**kw: int) -> dict[str, int]:
    return dict(kw)


@dataclass(frozen=True)
class Settings:
    # --- time -------------------------------------------------------------
    window_days: int = 30
    """W: the half-open window [T − W, T) of friction and propagation."""
    cohort_days: int = 90
    """Funnel cohort: candidates created in [T − cohort_days, T)."""
    report_days: int = 90
    """Change evaluation: deployments with deployed_at in [T − report_days, T)."""
    weeks: int = 12
    """Health trend / friction history: points T − 7k days, k = 0 … weeks − 1."""
    trend_arrow_weeks: int = 4
    """The trend arrow compares the score at T with the one this many weeks before."""
    compare_days: int = 28
    """Comparison baseline: B = T − compare_days unless a baseline is given."""

    # --- vocabulary -------------------------------------------------------
    error_event_types: tuple[str, ...] = ("error", "validation_error")
    non_friction_categories: tuple[str, ...] = ("praise",)
    severity_weights: dict[str, int] = field(
        default_factory=lambda: _mapping(low=1, medium=2, high=4, critical=8)
    )
    other_severity_weight: int = 2
    """Weight of a severity not listed in ``severity_weights``."""
    closed_candidate_statuses: tuple[str, ...] = (
        "accepted",
        "rejected",
        "duplicate",
        "promoted",
        "withdrawn",
    )
    open_requirement_statuses: tuple[str, ...] = ("active",)
    implementing_outcomes: tuple[str, ...] = ("approved",)
    wip_excluded_statuses: tuple[str, ...] = ("rejected", "duplicate", "withdrawn")
    """Funnel WIP leaves out candidates whose status at T is one of these."""

    # --- stage thresholds (days) -------------------------------------------
    candidate_threshold_days: int = 30
    requirement_threshold_days: int = 60
    decision_threshold_days: int = 30
    observation_threshold_days: int = 14
    severity_critical_ratio: float = 4.0
    severity_high_ratio: float = 2.0
    severity_medium_ratio: float = 1.5

    # --- friction score -----------------------------------------------------
    min_volume: int = 20
    """Error-rate denominator floor: rate = E / max(N, min_volume)."""
    annotation_weight: float = 2.0
    annotation_cap: float = 40.0
    error_rate_weight: float = 300.0
    error_cap: float = 30.0
    regression_points: float = 20.0
    stale_weight: float = 5.0
    stale_cap: float = 10.0
    band_yellow: int = 25
    band_amber: int = 50
    band_red: int = 75

    # --- regression flag ------------------------------------------------------
    regression_eval_max_score: int = 2
    """Rule (a): a change evaluation with score ≤ this flags a regression."""
    regression_rate_ratio: float = 1.5
    """Rule (b): error rate after > ratio × rate before …"""
    regression_min_errors: int = 3
    """… with at least this many error events after."""
    regression_window_days: int = 14
    """Rule (b): before = [d − 14, d), after = [d, min(d + 14, T))."""

    # --- hub health -------------------------------------------------------------
    health_open_candidate_weight: int = 2
    health_open_candidate_cap: int = 20
    health_regressed_weight: int = 10
    health_regressed_cap: int = 30
    health_stale_decision_weight: int = 5
    health_stale_decision_cap: int = 20
    health_bottleneck_weight: int = 3
    health_bottleneck_cap: int = 15
    health_red_widget_weight: int = 5
    health_red_widget_cap: int = 15
    health_healthy_min: int = 80
    health_watch_min: int = 60

    # --- propagation ---------------------------------------------------------------
    cluster_min_annotations: int = 3
    type_min_widgets: int = 2
    type_min_mean_score: float = 50.0
    pattern_min_hubs: int = 2

    # --- change evaluation --------------------------------------------------------------
    change_window_days: int = 14
    """before = friction as of deployed_at, after = as of deployed_at + this; both this window."""
    improved_delta: float = -5.0
    regressed_delta: float = 5.0
    control_window_days: int = 14
    """Control widgets: not linked to any deployment within this many days of the one evaluated."""

    def replace(self, **overrides: Any) -> Settings:
        """A copy with ``overrides`` applied, each checked and coerced to its type."""
        if not overrides:
            return self
        known = {f.name: f for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            raise BadInput(
                f"unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                f"(known: see `ihub metrics --help` or docs/metrics.md)"
            )
        coerced = {
            name: _coerce(name, _field_type(name), value) for name, value in overrides.items()
        }
        new = dataclasses.replace(self, **coerced)
        new.validate()
        return new

    def validate(self) -> None:
        """Reject values that would make a definition meaningless."""
        positive = [
            "window_days",
            "cohort_days",
            "report_days",
            "weeks",
            "candidate_threshold_days",
            "requirement_threshold_days",
            "decision_threshold_days",
            "observation_threshold_days",
            "regression_window_days",
            "change_window_days",
            "compare_days",
        ]
        for name in positive:
            if getattr(self, name) <= 0:
                raise BadInput(f"setting {name} must be positive, got {getattr(self, name)}")
        if self.min_volume < 1:
            raise BadInput(f"setting min_volume must be at least 1, got {self.min_volume}")
        if self.trend_arrow_weeks < 1:
            raise BadInput("setting trend_arrow_weeks must be at least 1")
        self._validate_bounds(set(positive))

    def _validate_bounds(self, positive: set[str]) -> None:
        """Finite numbers of sane size: no NaN weights, no 100 000-week trends."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            values = value.values() if isinstance(value, dict) else [value]
            for v in values:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    continue
                if f.name.endswith("_days"):
                    low, high = (1 if f.name in positive else 0), MAX_DAYS
                elif f.name.endswith("weeks"):
                    low, high = 1, MAX_WEEKS
                else:
                    low, high = -MAX_MAGNITUDE, MAX_MAGNITUDE
                if not ((isinstance(v, int) or math.isfinite(v)) and low <= v <= high):
                    raise BadInput(
                        f"setting {f.name} must be a number from {low:,} to {high:,}, got {v}"
                    )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able values, for reports and notebook parameters."""
        return {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()
        }

    def differences(self) -> dict[str, Any]:
        """The settings that differ from the spec's defaults."""
        default = Settings().as_dict()
        return {k: v for k, v in self.as_dict().items() if default[k] != v}

    @staticmethod
    def parse_assignment(text: str) -> tuple[str, Any]:
        """Parse ``name=value`` from ``--set``; lists as ``a,b``, maps as ``k:v,k:v`` or JSON."""
        if "=" not in text:
            raise BadInput(f"--set expects name=value, got {text!r}")
        name, value = (part.strip() for part in text.split("=", 1))
        return name, value


def _field_type(name: str) -> Any:
    hints = typing.get_type_hints(Settings)
    return hints[name]


def _coerce(name: str, kind: Any, value: Any) -> Any:
    origin = typing.get_origin(kind)
    given = value
    try:
        if kind is int:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if kind is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if origin is tuple:
            if isinstance(value, str):
                value = json.loads(value) if value.startswith("[") else value.split(",")
            items = tuple(str(v).strip() for v in value)
            if any(not v for v in items):
                raise ValueError
            return items
        if origin is dict:
            if isinstance(value, str):
                if value.startswith("{"):
                    value = json.loads(value)
                else:
                    value = dict(item.split(":", 1) for item in value.split(",") if item)
            return {str(k).strip(): int(v) for k, v in dict(value).items()}
    except (ValueError, TypeError, json.JSONDecodeError):
        pass
    raise BadInput(f"setting {name}: cannot use {given!r} (expected {_describe(kind)})")


def _describe(kind: Any) -> str:
    origin = typing.get_origin(kind)
    if origin is tuple:
        return "a comma-separated list"
    if origin is dict:
        return "name:weight pairs, e.g. low:1,high:4"
    return {int: "an integer", float: "a number"}.get(kind, str(kind))


DEFAULT_SETTINGS = Settings()
