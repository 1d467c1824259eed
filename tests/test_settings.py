"""Settings: the spec's defaults, overrides that coerce and validate, ``--set`` parsing.

The expected defaults are copied by hand from ``shared/spec/metrics.md`` so that
a changed default in code shows up here as a failure, not as a silent new truth.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from ihub_analysis.errors import BadInput
from ihub_analysis.settings import DEFAULT_SETTINGS, Settings

#: shared/spec/metrics.md, section by section.
SPEC_DEFAULTS: dict[str, Any] = {
    # Time
    "window_days": 30,
    # Vocabulary
    "error_event_types": ("error", "validation_error"),
    "non_friction_categories": ("praise",),
    "severity_weights": {"low": 1, "medium": 2, "high": 4, "critical": 8},
    "other_severity_weight": 2,
    "closed_candidate_statuses": ("accepted", "rejected", "duplicate", "promoted", "withdrawn"),
    "open_requirement_statuses": ("active",),
    "implementing_outcomes": ("approved",),
    "candidate_threshold_days": 30,
    "requirement_threshold_days": 60,
    "decision_threshold_days": 30,
    "observation_threshold_days": 14,
    "min_volume": 20,
    # Friction score
    "annotation_weight": 2.0,
    "annotation_cap": 40.0,
    "error_rate_weight": 300.0,
    "error_cap": 30.0,
    "regression_points": 20.0,
    "stale_weight": 5.0,
    "stale_cap": 10.0,
    "band_yellow": 25,
    "band_amber": 50,
    "band_red": 75,
    # Regression flag
    "regression_eval_max_score": 2,
    "regression_rate_ratio": 1.5,
    "regression_min_errors": 3,
    "regression_window_days": 14,
    # Bottlenecks
    "severity_critical_ratio": 4.0,
    "severity_high_ratio": 2.0,
    "severity_medium_ratio": 1.5,
    # Funnel
    "cohort_days": 90,
    "wip_excluded_statuses": ("rejected", "duplicate", "withdrawn"),
    # Hub health
    "health_open_candidate_weight": 2,
    "health_open_candidate_cap": 20,
    "health_regressed_weight": 10,
    "health_regressed_cap": 30,
    "health_stale_decision_weight": 5,
    "health_stale_decision_cap": 20,
    "health_bottleneck_weight": 3,
    "health_bottleneck_cap": 15,
    "health_red_widget_weight": 5,
    "health_red_widget_cap": 15,
    "health_healthy_min": 80,
    "health_watch_min": 60,
    "weeks": 12,
    "trend_arrow_weeks": 4,
    "compare_days": 28,
    # Propagation
    "cluster_min_annotations": 3,
    "type_min_widgets": 2,
    "type_min_mean_score": 50.0,
    "pattern_min_hubs": 2,
    # Change evaluation
    "report_days": 90,
    "change_window_days": 14,
    "improved_delta": -5.0,
    "regressed_delta": 5.0,
    "control_window_days": 14,
}


def test_defaults_are_the_spec() -> None:
    """Every setting has the spec's default value and type, and nothing is left unchecked."""
    settings = Settings()
    names = {f.name for f in dataclasses.fields(Settings)}
    assert names == set(SPEC_DEFAULTS), names ^ set(SPEC_DEFAULTS)
    for name, want in SPEC_DEFAULTS.items():
        got = getattr(settings, name)
        assert got == want, name
        assert type(got) is type(want), name
    assert settings == DEFAULT_SETTINGS
    assert settings.differences() == {}


def test_defaults_do_not_share_mutable_state() -> None:
    """Two settings objects do not share one severity map."""
    a, b = Settings(), Settings()
    assert a.severity_weights is not b.severity_weights


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("window_days", "14", 14),
        ("window_days", 14.0, 14),
        ("window_days", " 7 ", 7),
        ("min_volume", 1, 1),
        ("type_min_mean_score", "62.5", 62.5),
        ("type_min_mean_score", 60, 60.0),
        ("improved_delta", "-2", -2.0),
        ("error_event_types", "error,crash", ("error", "crash")),
        ("error_event_types", "error, crash ", ("error", "crash")),
        ("error_event_types", '["error", "timeout"]', ("error", "timeout")),
        ("error_event_types", ["error"], ("error",)),
        ("non_friction_categories", ("praise", "question"), ("praise", "question")),
        ("severity_weights", "low:1,high:3", {"low": 1, "high": 3}),
        ("severity_weights", '{"low": 1, "blocker": 16}', {"low": 1, "blocker": 16}),
        ("severity_weights", {"low": "2"}, {"low": 2}),
    ],
)
def test_overrides_are_coerced(name: str, value: Any, expected: Any) -> None:
    """Strings from the command line and loose Python values become the right types."""
    settings = Settings().replace(**{name: value})
    got = getattr(settings, name)
    assert got == expected
    assert type(got) is type(expected)
    assert settings.differences() == {
        name: list(expected) if isinstance(expected, tuple) else expected
    }


def test_replace_returns_a_new_object() -> None:
    """``replace`` never mutates; no overrides gives the same object back."""
    base = Settings()
    changed = base.replace(window_days=7)
    assert base.window_days == 30 and changed.window_days == 7
    assert base.replace() is base


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nosuch": 1}, "unknown setting nosuch"),
        ({"nosuch": 1, "other": 2}, "unknown settings nosuch, other"),
        ({"window_days": "abc"}, "setting window_days: cannot use 'abc' (expected an integer)"),
        ({"window_days": 1.5}, "setting window_days: cannot use 1.5"),
        ({"window_days": True}, "setting window_days: cannot use True"),
        ({"window_days": None}, "setting window_days: cannot use None"),
        ({"type_min_mean_score": "high"}, "expected a number"),
        ({"type_min_mean_score": False}, "expected a number"),
        ({"error_event_types": ""}, "expected a comma-separated list"),
        ({"error_event_types": "error,,crash"}, "expected a comma-separated list"),
        ({"severity_weights": "low:x"}, "cannot use 'low:x' (expected name:weight pairs"),
        ({"severity_weights": "low"}, "cannot use 'low'"),
        ({"severity_weights": "{broken"}, "cannot use '{broken'"),
        ({"window_days": 0}, "window_days must be positive, got 0"),
        ({"weeks": -1}, "weeks must be positive"),
        ({"observation_threshold_days": 0}, "observation_threshold_days must be positive"),
        ({"min_volume": 0}, "min_volume must be at least 1"),
        ({"trend_arrow_weeks": 0}, "trend_arrow_weeks must be at least 1"),
    ],
)
def test_bad_overrides_are_rejected(overrides: dict[str, Any], message: str) -> None:
    """Unknown names and unusable values are BadInput (exit 2) with a one-line message."""
    with pytest.raises(BadInput) as info:
        Settings().replace(**overrides)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("window_days=14", ("window_days", "14")),
        (" window_days = 14 ", ("window_days", "14")),
        ("error_event_types=error,crash", ("error_event_types", "error,crash")),
        ("severity_weights=low:1,high:4", ("severity_weights", "low:1,high:4")),
        ('severity_weights={"a": 1}', ("severity_weights", '{"a": 1}')),
        ("note=a=b", ("note", "a=b")),
    ],
)
def test_parse_assignment(text: str, expected: tuple[str, str]) -> None:
    """``--set name=value`` splits at the first ``=``; the value is coerced later."""
    assert Settings.parse_assignment(text) == expected


def test_parse_assignment_without_equals() -> None:
    """``--set name`` alone is bad usage."""
    with pytest.raises(BadInput, match="--set expects name=value, got 'window_days'"):
        Settings.parse_assignment("window_days")


@pytest.mark.parametrize(
    ("assignment", "name", "expected"),
    [
        ("error_event_types=error,crash,timeout", "error_event_types",
         ("error", "crash", "timeout")),
        ('closed_candidate_statuses=["accepted","rejected"]', "closed_candidate_statuses",
         ("accepted", "rejected")),
        ("severity_weights=low:1,medium:3,high:9", "severity_weights",
         {"low": 1, "medium": 3, "high": 9}),
        ('severity_weights={"minor": 1, "major": 5}', "severity_weights",
         {"minor": 1, "major": 5}),
        ("cohort_days=120", "cohort_days", 120),
    ],
)  # fmt: skip
def test_set_round_trip(assignment: str, name: str, expected: Any) -> None:
    """What ``--set`` parses, ``replace`` turns into the typed value."""
    key, value = Settings.parse_assignment(assignment)
    assert key == name
    assert getattr(Settings().replace(**{key: value}), name) == expected


def test_as_dict_is_json_ready() -> None:
    """Reports print the settings: plain lists and dicts, round-trippable through JSON."""
    data = Settings().replace(error_event_types="error,crash").as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["error_event_types"] == ["error", "crash"]
    assert data["severity_weights"] == {"low": 1, "medium": 2, "high": 4, "critical": 8}
    rebuilt = Settings().replace(**data)
    assert rebuilt == Settings().replace(error_event_types="error,crash")
