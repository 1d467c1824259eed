"""Friction score: every rule of the spec, boundaries included, on both engines."""

from __future__ import annotations

import datetime as dt

import pytest
from builder import T, World, days
from conftest import OpenWorld

US = dt.timedelta(microseconds=1)


def row(frame, name):
    rows = frame.filter(frame["widget_name"] == name).to_dicts()
    assert len(rows) == 1, f"expected one row for {name}, got {len(rows)}"
    return rows[0]


def test_window_is_half_open_and_nothing_at_or_after_t_counts(open_world: OpenWorld) -> None:
    w = World()
    hub = w.hub("billing")
    wid = w.widget(hub, "Pay")
    w.events(wid, [T - days(30), T - days(1), T - US])  # inside [T-30d, T)
    w.events(wid, [T - days(30) - US, T, T + days(1)])  # outside
    w.events(wid, [T - days(30), T], "error")  # one inside, one at T
    f = open_world(w).friction(as_of=T)
    r = row(f, "Pay")
    assert (r["interaction_count"], r["error_event_count"]) == (4, 1)


def test_error_rate_uses_min_volume_floor_and_caps_at_30(open_world: OpenWorld) -> None:
    w = World()
    hub = w.hub("billing")
    low = w.widget(hub, "Low volume")  # 10 events, 2 errors: 2 / max(10, 20) = 0.1 -> 30 points
    w.spread(low, 8, T - days(10), T - days(1))
    w.spread(low, 2, T - days(10), T - days(1), "validation_error")
    mid = w.widget(hub, "Mid")  # 100 events, 5 errors: 0.05 -> 15 points
    w.spread(mid, 95, T - days(10), T - days(1))
    w.spread(mid, 5, T - days(10), T - days(1), "error")
    capped = w.widget(hub, "Capped")  # 40 events, 20 errors: 0.5 -> 150 -> capped at 30
    w.spread(capped, 20, T - days(10), T - days(1))
    w.spread(capped, 20, T - days(10), T - days(1), "error")
    other = w.widget(hub, "Other types")  # 'crash' is not an error type by default
    w.spread(other, 30, T - days(10), T - days(1), "crash")
    f = open_world(w).friction(as_of=T)
    assert row(f, "Low volume")["error_rate"] == pytest.approx(0.1)
    assert row(f, "Low volume")["score"] == 30
    assert row(f, "Mid")["error_points"] == pytest.approx(15.0)
    assert row(f, "Mid")["score"] == 15
    assert row(f, "Capped")["error_points"] == 30
    assert row(f, "Other types")["error_event_count"] == 0
    crash = open_world(w).friction(as_of=T, error_event_types=("crash",))
    assert row(crash, "Other types")["error_event_count"] == 30


def test_annotation_points_weights_retraction_and_categories(open_world: OpenWorld) -> None:
    w = World()
    hub = w.hub("billing")
    wid = w.widget(hub, "Pay")
    at = T - days(5)
    w.annotation(wid, at, severity="low")  # 1
    w.annotation(wid, at, severity="high")  # 4
    w.annotation(wid, at, severity="weird")  # any other value: 2
    w.annotation(wid, at, severity="medium", retracted_at=T)  # retracted at T: still counts, 2
    w.annotation(wid, at, severity="critical", retracted_at=T - US)  # retracted before T: no
    w.annotation(wid, at, severity="critical", category="praise")  # not friction
    w.annotation(wid, T - days(30) - US, severity="critical")  # before the window
    w.annotation(wid, T, severity="critical")  # at T
    r = row(open_world(w).friction(as_of=T), "Pay")
    assert r["annotation_count"] == 4
    assert r["annotation_points"] == 2 * (1 + 4 + 2 + 2)
    assert r["score"] == 18
    assert r["band"] == "green"


def test_annotation_points_cap_at_40(open_world: OpenWorld) -> None:
    w = World()
    wid = w.widget(w.hub("billing"), "Pay")
    for _ in range(3):
        w.annotation(wid, T - days(1), severity="critical")  # 2 x 24 = 48 -> 40
    r = row(open_world(w).friction(as_of=T), "Pay")
    assert (r["annotation_points"], r["score"], r["band"]) == (40, 40, "yellow")


def test_stale_candidates_strictly_older_than_threshold_and_open_at_t(
    open_world: OpenWorld,
) -> None:
    w = World()
    wid = w.widget(w.hub("billing"), "Pay")
    w.candidate(wid, T - days(30))  # exactly 30 d: not stale (needs > 30 d)
    w.candidate(wid, T - days(30) - US)  # stale
    closed = w.candidate(wid, T - days(90), status="accepted")
    w.triage(closed, "accepted", T - days(60))  # closed before T: not stale
    later = w.candidate(wid, T - days(90), status="accepted")
    w.triage(later, "accepted", T)  # accepted at T: still open at T -> stale
    w.candidate(wid, T - days(90), status="rejected")  # no triage rows: table status, closed
    w.candidate(wid, T - days(90), status="in_review")  # no triage rows: open -> stale
    r = row(open_world(w).friction(as_of=T), "Pay")
    assert r["stale_candidate_count"] == 3
    assert r["stale_points"] == 10  # min(10, 5 x 3)
    assert r["score"] == 10


def _linked_deployment(w: World, widget, deployed_at, **signal):
    cand = w.candidate(widget, deployed_at - days(100), status="promoted")
    dec = w.decision(deployed_at - days(1), candidate=cand)
    dep = w.deployment(dec, deployed_at)
    w.signal(widget, dep, signal.get("observed_at", deployed_at + days(1)))
    return dep


def test_regression_rule_a_low_evaluation_score(open_world: OpenWorld) -> None:
    w = World()
    hub = w.hub("billing")
    flagged, at_t, high, outside = (
        w.widget(hub, n) for n in ("Flagged", "Eval at T", "Score 3", "Old")
    )
    w.evaluation(_linked_deployment(w, flagged, T - days(10)), 2, T - days(2))
    w.evaluation(_linked_deployment(w, at_t, T - days(10)), 1, T)
    w.evaluation(_linked_deployment(w, high, T - days(10)), 3, T - days(2))
    w.evaluation(_linked_deployment(w, outside, T - days(31)), 1, T - days(20))  # before the window
    f = open_world(w).friction(as_of=T)
    assert row(f, "Flagged")["regression_flag"] is True
    assert row(f, "Flagged")["score"] == 20
    assert row(f, "Eval at T")["regression_flag"] is False
    assert row(f, "Score 3")["regression_flag"] is False
    assert row(f, "Old")["regression_flag"] is False


def test_regression_rule_b_error_rate_after_deployment(open_world: OpenWorld) -> None:
    w = World()
    hub = w.hub("billing")
    d_at = T - days(10)
    rising = w.widget(hub, "Rising")  # before 1/20, after 3/20: 0.15 > 1.5 x 0.05
    boundary = w.widget(hub, "Exactly 1.5x")  # before 2/20, after 3/20: 0.15 is not > 0.15
    few = w.widget(hub, "Two errors")  # after 2/20 vs 0/20: fewer than 3 errors after
    truncated = w.widget(hub, "After T")  # the errors after come at/after T: unseen
    for wid, before_err, after_err in ((rising, 1, 3), (boundary, 2, 3), (few, 0, 2)):
        w.spread(wid, 20 - before_err, d_at - days(14), d_at)
        w.spread(wid, before_err, d_at - days(14), d_at, "error")
        w.spread(wid, 20 - after_err, d_at, d_at + days(9))
        w.spread(wid, after_err, d_at, d_at + days(9), "error")
        _linked_deployment(w, wid, d_at)
    w.spread(truncated, 20, d_at - days(14), d_at)
    w.events(truncated, [T, T + days(1), T + days(2)], "error")
    _linked_deployment(w, truncated, d_at)
    f = open_world(w).friction(as_of=T)
    assert row(f, "Rising")["regression_flag"] is True
    assert row(f, "Exactly 1.5x")["regression_flag"] is False
    assert row(f, "Two errors")["regression_flag"] is False
    assert row(f, "After T")["regression_flag"] is False


def test_regression_needs_a_signal_observed_before_t(open_world: OpenWorld) -> None:
    w = World()
    wid = w.widget(w.hub("billing"), "Pay")
    dep = _linked_deployment(w, wid, T - days(10), observed_at=T)  # the only link is at T
    w.evaluation(dep, 1, T - days(5))
    assert row(open_world(w).friction(as_of=T), "Pay")["regression_flag"] is False


def test_rounding_and_bands(open_world: OpenWorld) -> None:
    w = World()
    hub = w.hub("billing")
    half = w.widget(hub, "Half")  # 1 error in 40 events: 300/40 = 7.5 -> floor(8.0) = 8
    w.spread(half, 39, T - days(3), T - days(1))
    w.events(half, [T - days(2)], "error")
    yellow = w.widget(hub, "Yellow")  # 25: annotation 12 x 2 = 24 ... plus error 1 point
    for sev in ("critical", "high"):
        w.annotation(yellow, T - days(1), severity=sev)
    w.spread(yellow, 299, T - days(3), T - days(1))
    w.events(yellow, [T - days(2)], "error")  # 1/300 * 300 = 1 -> 25
    amber = w.widget(hub, "Amber")  # 40 + 10 = 50
    for _ in range(3):
        w.annotation(amber, T - days(1), severity="critical")
    w.spread(amber, 30, T - days(3), T - days(1))
    w.spread(amber, 1, T - days(3), T - days(1), "error")  # 1/31*300 = 9.68 -> 49.68 -> 50
    f = open_world(w).friction(as_of=T)
    assert (row(f, "Half")["score"], row(f, "Half")["band"]) == (8, "green")
    assert (row(f, "Yellow")["score"], row(f, "Yellow")["band"]) == (25, "yellow")
    assert (row(f, "Amber")["score"], row(f, "Amber")["band"]) == (50, "amber")


def test_red_band_and_score_sum(open_world: OpenWorld) -> None:
    w = World()
    wid = w.widget(w.hub("billing"), "Broken")
    for _ in range(3):
        w.annotation(wid, T - days(1), severity="critical")  # 40
    w.spread(wid, 10, T - days(5), T - days(1), "error")  # 30
    w.evaluation(_linked_deployment(w, wid, T - days(7)), 1, T - days(1))  # 20
    for _ in range(2):
        w.candidate(wid, T - days(60))  # 10
    r = row(open_world(w).friction(as_of=T), "Broken")
    assert (r["score"], r["band"]) == (100, "red")


def test_widgets_created_at_or_after_t_are_not_scored(open_world: OpenWorld) -> None:
    w = World()
    hub = w.hub("billing")
    w.widget(hub, "Quiet", created_at=T - days(1))  # exists, no events: all zeros
    w.widget(hub, "Born at T", created_at=T)
    f = open_world(w).friction(as_of=T)
    assert f["widget_name"].to_list() == ["Quiet"]
    r = row(f, "Quiet")
    assert (r["interaction_count"], r["score"], r["error_rate"], r["band"]) == (0, 0, 0.0, "green")


def test_window_days_override(open_world: OpenWorld) -> None:
    w = World()
    wid = w.widget(w.hub("billing"), "Pay")
    w.events(wid, [T - days(20), T - days(5)])
    wb = open_world(w)
    assert row(wb.friction(as_of=T), "Pay")["interaction_count"] == 2
    assert row(wb.friction(as_of=T, window_days=7), "Pay")["interaction_count"] == 1


def test_friction_history_points_are_weekly_and_each_as_of_its_own_date(
    open_world: OpenWorld,
) -> None:
    w = World()
    wid = w.widget(w.hub("billing"), "Pay")
    w.events(wid, [T - days(8)])
    hist = open_world(w).friction_history(as_of=T, weeks=3, window_days=7)
    counts = {r["as_of"]: r["interaction_count"] for r in hist.to_dicts()}
    assert counts == {T - days(14): 0, T - days(7): 1, T: 0}
