"""Hub health, its trend (each point as of its own date) and the recorded series."""

from __future__ import annotations

from builder import T, World, days
from conftest import OpenWorld


def health_world() -> World:
    w = World()
    billing, _search = w.hub("billing"), w.hub("search")
    w.hub("support", created_at=T)  # created at T: not a hub yet
    a, b = w.widget(billing, "A"), w.widget(billing, "B")
    # A is red (40 + 30 + 20 = 90) and regressed (rule a), through a deployment at T-10
    for _ in range(3):
        w.annotation(a, T - days(1), severity="critical")
    w.spread(a, 10, T - days(5), T - days(1), "error")
    c_a = w.candidate(a, T - days(100), status="promoted")
    dep = w.deployment(w.decision(T - days(12), candidate=c_a), T - days(10))
    w.signal(a, dep, T - days(9))
    w.evaluation(dep, 1, T - days(5))
    # a stale decision: approved at T-40, never deployed
    c_b = w.candidate(b, T - days(100), status="accepted")
    w.triage(c_b, "accepted", T - days(90))
    w.decision(T - days(40), candidate=c_b)
    # open candidates: one past its threshold (a bottleneck), two recent
    w.candidate(b, T - days(50))
    w.candidate(b, T - days(10))
    w.candidate(b, T - days(5))
    w.health_snapshot(billing, 70, T - days(3))
    w.health_snapshot(billing, 75, T - days(4))
    w.health_snapshot(billing, 90, T - days(10))
    w.health_snapshot(billing, 11, T)  # at T: not part of the series at T
    return w


def test_health_components_score_and_band(open_world: OpenWorld) -> None:
    h = {r["hub_slug"]: r for r in open_world(health_world()).health(as_of=T).to_dicts()}
    assert set(h) == {"billing", "search"}
    b = h["billing"]
    assert (b["open_candidates"], b["regressed_widgets"], b["stale_decisions"]) == (3, 1, 1)
    assert (b["active_bottlenecks"], b["red_widgets"]) == (2, 1)
    assert b["health_score"] == 100 - 6 - 10 - 5 - 6 - 5
    assert b["band"] == "watch"
    assert (h["search"]["health_score"], h["search"]["band"]) == (100, "healthy")


def test_health_caps_and_band_boundaries(open_world: OpenWorld) -> None:
    w = World()
    hub = w.hub("busy")
    wid = w.widget(hub, "W")
    for _ in range(12):
        w.candidate(wid, T - days(1))  # 12 open: min(20, 24) = 20 -> 80, still healthy
    h = open_world(w).health(as_of=T).to_dicts()[0]
    assert (h["open_candidates"], h["health_score"], h["band"]) == (12, 80, "healthy")


def test_at_risk_band(open_world: OpenWorld) -> None:
    w = World()
    hub = w.hub("busy")
    wid = w.widget(hub, "W")
    for _ in range(6):
        w.candidate(wid, T - days(40))  # 6 open (12), 6 bottlenecks (min(15, 18) = 15)
    for _ in range(5):
        c = w.candidate(wid, T - days(200), status="accepted")
        w.triage(c, "accepted", T - days(199))
        w.decision(
            T - days(50), candidate=c
        )  # 5 stale decisions: min(20, 25) = 20, bottlenecks too
    h = open_world(w).health(as_of=T).to_dicts()[0]
    assert h["health_score"] == 100 - 12 - 0 - 20 - 15 - 0
    assert h["band"] == "at_risk"


def test_trend_points_each_as_of_their_own_date(open_world: OpenWorld) -> None:
    trend = open_world(health_world()).health_trend(as_of=T, weeks=5)
    billing = {
        r["weeks_before"]: r for r in trend.filter(trend["hub_slug"] == "billing").to_dicts()
    }
    assert sorted(billing) == [0, 1, 2, 3, 4]
    assert billing[0]["as_of"] == T and billing[2]["as_of"] == T - days(14)
    assert billing[0]["health_score"] == 68
    assert billing[1]["health_score"] == 100 - 4 - 0 - 5 - 6 - 0  # 85
    assert billing[2]["health_score"] == 100 - 2 - 0 - 0 - 3 - 0  # 95
    assert billing[4]["health_score"] == 98
    assert billing[0]["recorded_health_score"] == 70  # the latest of [T-7d, T)
    assert billing[1]["recorded_health_score"] == 90
    assert billing[2]["recorded_health_score"] is None


def test_trend_arrows_compare_with_four_weeks_before(open_world: OpenWorld) -> None:
    arrows = {
        r["hub_slug"]: r for r in open_world(health_world()).health_arrows(as_of=T).to_dicts()
    }
    assert (
        arrows["billing"]["previous_score"],
        arrows["billing"]["change"],
        arrows["billing"]["arrow"],
    ) == (
        98,
        -30,
        "↓",
    )
    assert arrows["search"]["arrow"] == "→"


def test_recorded_series(open_world: OpenWorld) -> None:
    rec = open_world(health_world()).recorded_health(as_of=T, weeks=2)
    assert rec["health_score"].to_list() == [90, 75, 70]
