"""Cross-hub propagation: annotation clusters and painful widget types."""

from __future__ import annotations

from builder import T, World, days
from conftest import OpenWorld


def _score(w: World, widget, score: int) -> None:
    """Give a widget an exact friction score from annotations (40) + errors + stale candidates."""
    assert score in (40, 60, 70, 80)
    for _ in range(3):
        w.annotation(widget, T - days(2), severity="critical")  # 3 friction annotations, 40 points
    if score == 60:  # 2 errors in 30 events: 300 x 2 / 30 = 20
        w.spread(widget, 28, T - days(3), T - days(1))
        w.spread(widget, 2, T - days(3), T - days(1), "error")
    if score >= 70:
        w.spread(widget, 10, T - days(3), T - days(1), "error")  # capped at 30
    if score == 80:
        for _ in range(2):
            w.candidate(widget, T - days(60))  # 2 stale candidates, 10 points


def propagation_world() -> World:
    w = World()
    a, b, c, d = (w.hub(s) for s in ("a-hub", "b-hub", "c-hub", "d-hub"))
    _score(w, w.widget(a, "A1", "wizard"), 60)
    _score(w, w.widget(a, "A2", "wizard"), 40)  # a-hub wizards: mean 50, qualifies
    _score(w, w.widget(b, "B1", "wizard"), 80)
    _score(w, w.widget(b, "B2", "wizard"), 70)  # b-hub wizards: mean 75, the source
    _score(w, w.widget(c, "C1", "wizard"), 80)  # a single wizard: c-hub cannot qualify
    for hub, n in ((a, 4), (b, 3), (c, 2), (d, 4)):
        button = w.widget(hub, f"{n} confusions", "button")
        for _ in range(n):
            w.annotation(button, T - days(10), category="confusion", severity="low")
        w.annotation(button, T - days(10), category="confusion", retracted_at=T - days(1))
        w.annotation(button, T - days(31), category="confusion")
        for _ in range(3):
            w.annotation(button, T - days(10), category="praise")
    bug = w.widget(a, "Bug magnet", "table")
    for _ in range(5):
        w.annotation(bug, T - days(5), category="bug", severity="low")
    return w


def test_patterns(open_world: OpenWorld) -> None:
    p = open_world(propagation_world()).propagation(as_of=T)
    got = {(r["pattern_type"], r["key"]): r for r in p.to_dicts()}
    assert set(got) == {
        ("annotation_cluster", "confusion"),
        ("annotation_cluster", "friction"),
        ("widget_type_friction", "wizard"),
    }
    confusion = got[("annotation_cluster", "confusion")]
    assert (confusion["source_hub"], confusion["affected_hubs"], confusion["metric"]) == (
        "a-hub",
        "b-hub;d-hub",
        4,
    )
    friction = got[("annotation_cluster", "friction")]  # 6, 6, 3 annotations: tie -> smallest slug
    assert (friction["source_hub"], friction["affected_hubs"], friction["metric"]) == (
        "a-hub",
        "b-hub;c-hub",
        6,
    )
    wizard = got[("widget_type_friction", "wizard")]
    assert (wizard["source_hub"], wizard["affected_hubs"], wizard["metric"]) == (
        "b-hub",
        "a-hub",
        75,
    )
    assert wizard["hub_count"] == 2
    assert "b-hub" in wizard["summary"] and "wizard" in wizard["summary"]


def test_thresholds_are_settings(open_world: OpenWorld) -> None:
    wb = open_world(propagation_world())
    keys = {r["key"] for r in wb.propagation(as_of=T, cluster_min_annotations=4).to_dicts()}
    assert keys == {"confusion", "friction", "wizard"}  # confusion: a-hub and d-hub still have 4
    keys = {
        r["key"]
        for r in wb.propagation(
            as_of=T, cluster_min_annotations=5, type_min_mean_score=51
        ).to_dicts()
    }
    assert keys == {"friction"}
    assert wb.propagation(as_of=T, pattern_min_hubs=4).height == 0
