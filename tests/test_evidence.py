"""Evidence: the rows behind a widget's friction and a hub's health add up to the figures."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from builder import T, World, days
from conftest import OpenWorld

from ihub_analysis.errors import BadInput
from ihub_analysis.metrics.evidence import EXCERPT_CHARS, excerpt

HOSTILE = "<script>alert('x')</script> & \"quotes\"\n\tand  tabs " + "é" * 300


def evidence_world() -> tuple[World, dict[str, str]]:
    w = World()
    hub = w.hub("billing")
    pay = w.widget(hub, "Pay")
    other = w.widget(hub, "Other")
    user = w.user("Ada Secretname")
    # annotations: counted (critical, high, unknown severity), praise (not friction),
    # retracted before T (listed, not counted), retracted at T (counted), outside the window
    w.annotation(pay, T - days(1), severity="critical", body=HOSTILE, actor_id=user)
    w.annotation(pay, T - days(29.9), severity="high")
    w.annotation(pay, T - days(2), severity="weird")
    w.annotation(pay, T - days(3), category="praise", severity="critical")
    w.annotation(pay, T - days(4), severity="critical", retracted_at=T - days(1))
    w.annotation(pay, T - days(4), severity="low", retracted_at=T)
    w.annotation(pay, T - days(31), severity="critical")
    w.annotation(pay, T, severity="critical")
    w.annotation(other, T - days(1), severity="critical")
    # events: 30 clicks and 7 errors in the window, on several days; some outside it
    w.spread(pay, 30, T - days(20), T - days(1))
    w.spread(pay, 4, T - days(3), T - days(2), "error")
    w.spread(pay, 3, T - days(0.5), T, "validation_error")
    w.spread(pay, 50, T - days(60), T - days(31), "error")
    w.events(pay, [T], "error")
    # deployments: one in the window evaluated badly (rule a), one older (not in window)
    cand = w.candidate(pay, T - days(200), status="promoted")
    recent = w.deployment(w.decision(T - days(12), candidate=cand), T - days(10), "pay@2")
    w.signal(pay, recent, T - days(9))
    w.evaluation(recent, 1, T - days(5))
    old = w.deployment(w.decision(T - days(90), candidate=cand), T - days(80), "pay@1")
    w.signal(pay, old, T - days(79))
    # candidates: two stale, one recent, one closed
    w.candidate(pay, T - days(45), title="Stale <b>one</b>")
    w.candidate(pay, T - days(31))
    w.candidate(pay, T - days(5))
    closed = w.candidate(pay, T - days(60))
    w.triage(closed, "rejected", T - days(50))
    return w, {"pay": str(pay), "other": str(other), "recent": str(recent), "old": str(old)}


def test_widget_evidence_adds_up_to_the_score(open_world: OpenWorld) -> None:
    world, ids = evidence_world()
    wb = open_world(world)
    ev = wb.widget_evidence(ids["pay"], as_of=T)
    score = ev.score.row(0, named=True)
    full = wb.friction(as_of=T).filter(pl.col("widget_id") == ids["pay"])
    assert score == full.row(0, named=True)
    s = wb.settings
    # annotations: 5 listed in the window and friction; 4 count
    a = ev.annotations
    assert a.height == 5 and a["widget_id"].unique().to_list() == [ids["pay"]]
    counted = a.filter(pl.col("counts"))
    assert counted.height == score["annotation_count"] == 4
    assert sorted(counted["severity_weight"].to_list()) == [1, 2, 4, 8]
    points = min(s.annotation_cap, s.annotation_weight * counted["severity_weight"].sum())
    assert points == score["annotation_points"] == 30.0
    assert a.filter(pl.col("retracted"))["severity"].to_list() == ["critical"]
    assert a["counts"].to_list()[:4] == [True] * 4  # counted first, most severe first
    assert a["severity"][0] == "critical"
    assert "praise" not in a["category"].to_list()
    assert not any(c in a.columns for c in ("actor_id", "author", "body"))
    # activity: per day and event type, adds up to N and E
    act = ev.activity
    assert act["events"].sum() == score["interaction_count"] == 37
    assert act.filter(pl.col("is_error"))["events"].sum() == score["error_event_count"] == 7
    assert set(act["event_type"]) == {"click", "error", "validation_error"}
    assert act["day"].min() >= (T - days(30)).date() and act["day"].max() < T.date() + days(1)
    errors = score["error_event_count"] / max(score["interaction_count"], s.min_volume)
    assert min(s.error_cap, s.error_rate_weight * errors) == score["error_points"]
    # deployments: the recent one fires rule (a); the regression flag is their OR
    dep = {r["deployment_id"]: r for r in ev.deployments.to_dicts()}
    assert set(dep) == {ids["recent"], ids["old"]}
    r = dep[ids["recent"]]
    assert (r["in_window"], r["rule_a"], r["regression"], r["lowest_evaluation_score"]) == (
        True,
        True,
        True,
        1,
    )
    o = dep[ids["old"]]
    assert (o["in_window"], o["regression"], o["evaluations"]) == (False, False, 0)
    assert any(dep[d]["regression"] for d in dep) == score["regression_flag"]
    # candidates: open ones, stale by the candidate threshold
    cands = ev.candidates
    assert cands.height == 3
    assert cands["stale"].sum() == score["stale_candidate_count"] == 2
    assert min(s.stale_cap, s.stale_weight * cands["stale"].sum()) == score["stale_points"]
    assert "Stale <b>one</b>" in cands["title"].to_list()
    total = (
        score["annotation_points"]
        + score["error_points"]
        + score["regression_points"]
        + score["stale_points"]
    )
    assert score["score"] == min(100, int(total + 0.5))


def test_widget_evidence_change_verdict(open_world: OpenWorld) -> None:
    """Each deployment's verdict is the change evaluation's, even beyond report_days."""
    world, ids = evidence_world()
    wb = open_world(world)
    ev = wb.widget_evidence(ids["pay"], as_of=T, report_days=30)  # pay@1 is 80 days old
    verdicts = dict(zip(ev.deployments["deployment_id"], ev.deployments["verdict"], strict=True))
    changes = wb.changes(as_of=T)
    expected = dict(zip(changes["deployment_id"], changes["verdict"], strict=True))
    assert verdicts[ids["recent"]] == "observing"  # 10 of its 14 days after have passed
    assert verdicts[ids["old"]] == expected[ids["old"]] is not None


def test_excerpt_is_flat_and_short() -> None:
    text = excerpt(HOSTILE)
    assert len(text) == EXCERPT_CHARS and text.endswith("…")
    assert "\n" not in text and "\t" not in text and "  " not in text
    assert excerpt("  short\n\ntext ") == "short text"
    assert excerpt(None) == "" and excerpt("") == ""


def test_widget_evidence_of_a_quiet_widget(open_world: OpenWorld) -> None:
    w = World()
    quiet = w.widget(w.hub("h"), "Quiet")
    ev = open_world(w).widget_evidence(str(quiet), as_of=T)
    assert ev.score["score"].to_list() == [0]
    for name in ("annotations", "activity", "deployments", "candidates"):
        assert getattr(ev, name).height == 0, name
    assert set(ev.frames()) == {"score", "annotations", "activity", "deployments", "candidates"}


@pytest.mark.parametrize(
    "widget_id",
    ["00000000-0000-0000-0000-00000000abcd", "not-a-uuid", "x' OR '1'='1", "", "é\u202e"],
)
def test_unknown_widget_is_bad_input(open_world: OpenWorld, widget_id: str) -> None:
    world, _ = evidence_world()
    with pytest.raises(BadInput, match="no widget"):
        open_world(world).widget_evidence(widget_id, as_of=T)


def test_widget_created_after_as_of_is_bad_input(open_world: OpenWorld) -> None:
    w = World()
    late = w.widget(w.hub("h"), "Late", created_at=T)
    with pytest.raises(BadInput, match="no widget"):
        open_world(w).widget_evidence(str(late), as_of=T)


def test_hub_evidence_items_match_the_deductions(open_world: OpenWorld) -> None:
    from test_metric_health import health_world

    wb = open_world(health_world())
    ev = wb.hub_evidence("billing", as_of=T)
    h = ev.health.row(0, named=True)
    d = {r["component"]: r for r in ev.deductions.to_dicts()}
    assert 100 - ev.deductions["points"].sum() == h["health_score"] == 68
    assert ev.open_candidates.height == h["open_candidates"] == d["open_candidates"]["count"]
    assert ev.regressed_widgets.height == h["regressed_widgets"] == 1
    assert ev.red_widgets.height == h["red_widgets"] == 1
    assert ev.bottlenecks.height == h["active_bottlenecks"] == 2
    stale = ev.bottlenecks.filter(pl.col("stage") == "decision")
    assert stale.height == h["stale_decisions"] == 1
    assert ev.regressions["widget_id"].to_list() == ev.regressed_widgets["widget_id"].to_list()
    assert set(ev.open_candidates["widget_name"]) == {"B"}
    assert d["open_candidates"]["points"] == min(20, 2 * h["open_candidates"])
    assert ev.widgets.height == 2


def test_hub_evidence_of_an_empty_hub_and_unknown_hubs(open_world: OpenWorld) -> None:
    w = World()
    w.hub("empty")
    w.hub("future", created_at=T + dt.timedelta(seconds=1))
    wb = open_world(w)
    ev = wb.hub_evidence("empty", as_of=T)
    assert ev.health["health_score"].to_list() == [100]
    assert ev.deductions["points"].to_list() == [0] * 5
    for name in ("open_candidates", "regressed_widgets", "red_widgets", "bottlenecks", "widgets"):
        assert getattr(ev, name).height == 0, name
    for slug in ("future", "nope", "empty' --", ""):
        with pytest.raises(BadInput, match="no hub"):
            wb.hub_evidence(slug, as_of=T)


def test_evidence_adds_up_with_infinite_times(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """±infinity is an unknown time in the evidence exactly as in the metric it explains."""
    import duckdb

    import ihub_analysis

    world, ids = evidence_world()
    path = world.to_duckdb(tmp_path / "inf.duckdb")
    con = duckdb.connect(path)
    pay = ids["pay"]
    con.execute(
        "UPDATE annotations SET retracted_at = '-infinity' WHERE severity = 'critical' "
        f"AND retracted_at IS NOT NULL AND CAST(widget_id AS TEXT) = '{pay}'"
    )
    con.execute(
        "UPDATE annotations SET created_at = '-infinity' WHERE severity = 'high' "
        f"AND CAST(widget_id AS TEXT) = '{pay}'"
    )
    con.execute(
        "UPDATE interaction_events SET occurred_at = 'infinity' WHERE id IN "
        f"(SELECT id FROM interaction_events WHERE CAST(widget_id AS TEXT) = '{pay}' LIMIT 5)"
    )
    con.close()
    with ihub_analysis.connect(path) as wb:
        ev = wb.widget_evidence(pay, as_of=T)
        score = ev.score.row(0, named=True)
        counted = ev.annotations.filter(pl.col("counts"))
    assert counted.height == score["annotation_count"]
    weights = counted["severity_weight"].sum()
    assert min(40.0, 2.0 * weights) == score["annotation_points"]
    assert ev.annotations.filter(pl.col("retracted")).height == 0  # infinite: not set
    assert "high" not in ev.annotations["severity"].to_list()  # unknown creation time
    assert ev.activity["events"].sum() == score["interaction_count"]


def test_hub_evidence_in_a_report_run_equals_the_hub_alone(open_world: OpenWorld) -> None:
    """In a report run every hub's evidence is cut from one all-widget query; the cut must
    equal the hub's own query, frame by frame, for every hub (and twice: from the cache)."""
    from test_metric_health import health_world

    from ihub_analysis.metrics import cache
    from ihub_analysis.metrics.evidence import hub_evidence, hub_slugs

    world = health_world()
    extra = world.hub("second")
    widget = world.widget(extra, "Lone")
    world.spread(widget, 40, T - days(20), T - days(1), "error")
    world.annotation(widget, T - days(2), severity="critical")
    wb = open_world(world)
    slugs = hub_slugs(wb, as_of=T)
    assert len(slugs) >= 2
    alone = {slug: hub_evidence(wb, slug, as_of=T).frames() for slug in slugs}
    with cache.run_scoped(wb):
        for _ in range(2):
            for slug in slugs:
                shared = hub_evidence(wb, slug, as_of=T).frames()
                assert shared.keys() == alone[slug].keys()
                for name, frame in shared.items():
                    assert frame.equals(alone[slug][name]), (slug, name)
    assert any(alone[s]["widgets"].height for s in slugs)
