"""Change evaluation: verdicts, deltas, control group, lead times, summary, signals."""

from __future__ import annotations

import pytest
from builder import T, World, days
from conftest import OpenWorld


def changes_world() -> World:
    w = World()
    billing = w.hub("billing")
    p, q, r = w.widget(billing, "P"), w.widget(billing, "Q"), w.widget(billing, "R")
    s = w.widget(billing, "S", created_at=T - days(20))
    # P: 10 errors before dep1 (score 30), clean after (0)
    w.spread(p, 10, T - days(44), T - days(30), "error")
    w.spread(p, 20, T - days(30), T - days(16))
    # Q (control of dep1 and dep2): two critical annotations after, 0 -> 32
    for _ in range(2):
        w.annotation(q, T - days(20), severity="critical")
    w.annotation(r, T - days(20), severity="critical")  # R: 0 -> 16

    def decision(created_days: int, widget=p):
        cand = w.candidate(widget, T - days(created_days), status="promoted")
        return w.decision(T - days(created_days - 1), candidate=cand)

    req_cand = w.candidate(p, T - days(100), status="promoted")
    dec1 = w.decision(
        T - days(31),
        requirement=w.requirement(req_cand, T - days(95)),
        candidate=w.candidate(p, T - days(120), status="promoted"),
        title="Fix the pay form",
    )
    dep1 = w.deployment(dec1, T - days(30), "pay@2")
    w.signal(p, dep1, T - days(29), "error_rate", 0.5)
    w.signal(p, dep1, T - days(20), "error_rate", 0.3)
    w.signal(p, dep1, T - days(20), "task_success", 0.9)
    w.evaluation(dep1, 4, T - days(20))
    dep2 = w.deployment(decision(60, r), T - days(25), "pay@3")
    w.signal(r, dep2, T - days(24))
    w.evaluation(dep2, 2, T - days(8))
    dep3 = w.deployment(decision(50, s), T - days(5), "pay@4")
    w.signal(s, dep3, T - days(4))
    w.deployment(w.decision(T - days(41), title="orphan"), T - days(40), "orphan@1")
    dep6 = w.deployment(decision(70), T - days(35), "pay@1")
    w.signal(p, dep6, T)  # observed only at T: no widgets yet
    w.deployment(decision(200), T - days(100), "old@1")  # outside the report range
    return w


def test_per_deployment_rows(open_world: OpenWorld) -> None:
    c = open_world(changes_world()).changes(as_of=T)
    rows = {r["version_ref"]: r for r in c.to_dicts()}
    assert set(rows) == {"pay@1", "pay@2", "pay@3", "pay@4", "orphan@1"}
    assert c["version_ref"].to_list() == [
        "pay@4",
        "pay@3",
        "pay@2",
        "pay@1",
        "orphan@1",
    ]  # newest first
    d1 = rows["pay@2"]
    assert (d1["widgets"], d1["delta"], d1["verdict"]) == (1, -30.0, "improved")
    assert (d1["before_mean"], d1["after_mean"], d1["control_widgets"]) == (30.0, 0.0, 1)
    assert d1["did"] == -30.0 - 32.0
    assert (d1["score"], d1["hub_slug"], d1["decision_title"]) == (4, "billing", "Fix the pay form")
    assert d1["lead_time_days"] == pytest.approx(90.0)
    d2 = rows["pay@3"]
    assert (d2["delta"], d2["verdict"], d2["did"], d2["control_widgets"]) == (
        16.0,
        "regressed",
        -16.0,
        1,
    )
    assert d2["lead_time_days"] == pytest.approx(35.0)
    d3 = rows["pay@4"]
    assert (d3["widgets"], d3["verdict"], d3["delta"], d3["did"]) == (1, "observing", None, None)
    assert (rows["orphan@1"]["verdict"], rows["orphan@1"]["hub_slug"]) == (
        "no_widgets",
        "unassigned",
    )
    assert rows["orphan@1"]["lead_time_days"] is None
    assert (rows["pay@1"]["widgets"], rows["pay@1"]["verdict"]) == (0, "no_widgets")


def test_control_group_and_widget_detail(open_world: OpenWorld) -> None:
    detail = open_world(changes_world()).change_widgets(as_of=T)
    by_dep: dict[str, dict[str, tuple]] = {}
    changes = open_world(changes_world()).changes(as_of=T)
    ids = dict(zip(changes["version_ref"], changes["deployment_id"], strict=True))
    for r in detail.to_dicts():
        by_dep.setdefault(r["deployment_id"], {})[r["widget_name"]] = (
            r["role"],
            r["before"],
            r["after"],
        )
    # dep1: R is linked to dep2 (5 days away) and S did not exist yet: neither is a control
    assert by_dep[ids["pay@2"]] == {"P": ("changed", 30, 0), "Q": ("control", 0, 32)}
    assert by_dep[ids["pay@3"]] == {"R": ("changed", 0, 16), "Q": ("control", 0, 32)}
    assert ids["pay@4"] not in by_dep  # still observing: nothing after T is read


def test_summary(open_world: OpenWorld) -> None:
    s = open_world(changes_world()).changes_summary(as_of=T).to_dicts()[0]
    assert (s["deployments"], s["improved"], s["neutral"], s["regressed"]) == (5, 1, 0, 1)
    assert (s["observing"], s["no_widgets"]) == (1, 2)
    assert s["evaluated_share"] == pytest.approx(0.4)
    assert s["mean_evaluation_score"] == pytest.approx(3.0)
    assert s["change_failure_rate"] == pytest.approx(0.5)
    assert s["lead_time_p50_days"] == pytest.approx(40.0)  # [35, 35, 45, 90]
    assert s["lead_time_p90_days"] == pytest.approx(76.5)


def test_signals(open_world: OpenWorld) -> None:
    wb = open_world(changes_world())
    ids = dict(wb.changes(as_of=T).select("version_ref", "deployment_id").iter_rows())
    signals = wb.change_signals(as_of=T)
    got = {
        r["signal_type"]: (r["mean_value"], r["signals"])
        for r in signals.filter(signals["deployment_id"] == ids["pay@2"]).to_dicts()
    }
    assert got == {"error_rate": (pytest.approx(0.4), 2), "task_success": (pytest.approx(0.9), 1)}
    assert ids["pay@1"] not in signals["deployment_id"].to_list()  # its only signal is at T


def test_nothing_after_t_is_read(open_world: OpenWorld) -> None:
    rows = {
        r["version_ref"]: r
        for r in open_world(changes_world()).changes(as_of=T - days(21)).to_dicts()
    }
    d1 = rows["pay@2"]  # deployed T-30: at T-21 still observing, evaluated only at T-20
    assert (d1["verdict"], d1["score"], d1["delta"], d1["evaluated_at"]) == (
        "observing",
        None,
        None,
        None,
    )
    assert "pay@4" not in rows  # deployed after T-21
