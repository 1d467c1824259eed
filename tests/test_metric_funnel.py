"""Pipeline funnel and the cohort's annotation figures, hand-computed."""

from __future__ import annotations

import pytest
from builder import T, World, days
from conftest import OpenWorld


def funnel_world() -> World:
    w = World()
    billing, search = w.hub("billing"), w.hub("search")
    w.hub("support")  # no candidates at all: zero rows, empty conversions
    pay, find = w.widget(billing, "Pay"), w.widget(search, "Find")
    a1 = w.annotation(pay, T - days(50))
    th = w.thread(pay, T - days(41))
    w.annotation(pay, T - days(40), thread_id=th)
    w.annotation(pay, T - days(30))  # not cited
    w.annotation(pay, T - days(30), category="praise")  # not friction
    a5 = w.annotation(find, T - days(10))
    w.annotation(pay, T - days(100))  # before the cohort window
    w.candidate(find, T, source_annotation_id=a5)  # cites a5, but only at T

    # c1 flows all the way: triaged +2 d, accepted +8, decided +10, deployed +10, evaluated +10
    c1 = w.candidate(pay, T - days(80), status="accepted", source_annotation_id=a1)
    w.triage(c1, "open", T - days(80))  # an 'open' row is not a triage outcome
    w.triage(c1, "in_review", T - days(78))
    w.triage(c1, "accepted", T - days(77))
    r1 = w.requirement(c1, T - days(70))
    d1 = w.decision(T - days(60), requirement=r1)
    dep1 = w.deployment(d1, T - days(50))
    w.evaluation(dep1, 4, T - days(40))
    # c2 stops at decided: triaged +4, accepted +6, decided +5
    c2 = w.candidate(pay, T - days(60), status="accepted", source_thread_id=th)
    w.triage(c2, "accepted", T - days(56))
    w.decision(T - days(45), requirement=w.requirement(c2, T - days(50)))
    # c3 rejected after 10 d: furthest step 'triaged', left out of WIP
    c3 = w.candidate(pay, T - days(30), status="rejected")
    w.triage(c3, "rejected", T - days(20))
    # c4 untouched: waiting for triage
    w.candidate(pay, T - days(10))
    # c5 (search) triaged only at T: not yet triaged
    c5 = w.candidate(find, T - days(5), status="in_review")
    w.triage(c5, "in_review", T)
    # c7 decided directly, without triage or requirement: reaches triaged..decided
    c7 = w.candidate(pay, T - days(20))
    w.decision(T - days(15), candidate=c7)
    # outside the cohort
    w.candidate(pay, T - days(100))
    return w


def test_funnel_all_rows(open_world: OpenWorld) -> None:
    f = open_world(funnel_world()).funnel(as_of=T)
    rows = {r["step"]: r for r in f.filter(f["hub_slug"] == "all").to_dicts()}
    assert [
        rows[s]["reached"]
        for s in ("created", "triaged", "accepted", "decided", "deployed", "evaluated")
    ] == [
        6,
        4,
        3,
        3,
        1,
        1,
    ]
    assert rows["created"]["conversion"] == 1.0
    assert rows["triaged"]["conversion"] == pytest.approx(4 / 6)
    assert rows["accepted"]["conversion"] == pytest.approx(3 / 4)
    assert rows["deployed"]["conversion"] == pytest.approx(1 / 3)
    assert rows["triaged"]["p50_days"] == pytest.approx(4.0)
    assert rows["triaged"]["p90_days"] == pytest.approx(8.8)  # [2, 4, 10], linear interpolation
    assert rows["accepted"]["p50_days"] == pytest.approx(7.0)
    assert rows["accepted"]["p90_days"] == pytest.approx(7.8)
    assert rows["decided"]["p50_days"] == pytest.approx(7.5)
    assert rows["decided"]["p90_days"] == pytest.approx(9.5)
    assert rows["evaluated"]["p50_days"] == pytest.approx(10.0)
    assert rows["created"]["p50_days"] is None
    assert [
        rows[s]["wip"]
        for s in ("created", "triaged", "accepted", "decided", "deployed", "evaluated")
    ] == [
        None,
        2,
        0,
        0,
        2,
        0,
    ]


def test_funnel_hub_rows_including_empty_hubs(open_world: OpenWorld) -> None:
    f = open_world(funnel_world()).funnel(as_of=T)
    assert f["hub_slug"].unique(maintain_order=True).to_list() == [
        "all",
        "billing",
        "search",
        "support",
    ]
    billing = {r["step"]: r for r in f.filter(f["hub_slug"] == "billing").to_dicts()}
    assert [billing[s]["reached"] for s in ("created", "triaged", "accepted")] == [5, 4, 3]
    assert billing["triaged"]["wip"] == 1
    search = {r["step"]: r for r in f.filter(f["hub_slug"] == "search").to_dicts()}
    assert (search["created"]["reached"], search["triaged"]["reached"]) == (1, 0)
    assert search["triaged"]["conversion"] == 0.0
    assert search["accepted"]["conversion"] is None  # 0 / 0
    support = f.filter(f["hub_slug"] == "support")
    assert support["reached"].to_list() == [0] * 6
    assert support["conversion"].to_list() == [1.0, None, None, None, None, None]


def test_funnel_counts_never_grow_down_the_funnel(open_world: OpenWorld) -> None:
    f = open_world(funnel_world()).funnel(as_of=T)
    for hub in f["hub_slug"].unique().to_list():
        reached = f.filter(f["hub_slug"] == hub).sort("step_index")["reached"].to_list()
        assert reached == sorted(reached, reverse=True)


def test_funnel_annotation_figures(open_world: OpenWorld) -> None:
    fa = open_world(funnel_world()).funnel_annotations(as_of=T)
    got = {
        r["hub_slug"]: (r["friction_annotations"], r["cited_annotations"], r["cited_share"])
        for r in fa.to_dicts()
    }
    assert got["all"] == (4, 2, 0.5)
    assert got["billing"][:2] == (3, 2)
    assert got["billing"][2] == pytest.approx(2 / 3)
    assert got["search"] == (1, 0, 0.0)
    assert got["support"] == (0, 0, None)


def test_cohort_days_setting(open_world: OpenWorld) -> None:
    f = open_world(funnel_world()).funnel(as_of=T, cohort_days=25)
    rows = {r["step"]: r["reached"] for r in f.filter(f["hub_slug"] == "all").to_dicts()}
    assert rows["created"] == 3  # c4, c5, c7
