"""Change and cause in the reports: headline deltas, "What changed" sections, the board panel."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest
from builder import T, World, days
from test_compare import friction_world

import ihub_analysis
from ihub_analysis import notebook as nb
from ihub_analysis import whatchanged as wc
from ihub_analysis.reports import board

B = T - days(28)
HEADLINE = re.compile(r'<div class="ihub-headline" data-key="([^"]*)" data-value="([^"]*)">')


@pytest.mark.parametrize(
    ("key", "now", "before", "verdict", "text"),
    [
        ("red_widgets", 5, 2, "worse", "↑ +3 since 2026-05-04"),
        ("red_widgets", 2, 5, "better", "↓ -3 since 2026-05-04"),
        ("mean_health", 70.25, 70.0, "better", "↑ +0.2 since 2026-05-04"),
        ("mean_health", 70.0, 70.0, "same", "→ unchanged since 2026-05-04"),
        ("widgets", 7, 5, "neutral", "↑ +2 since 2026-05-04"),
        ("widgets", 5, 5, "same", "→ unchanged since 2026-05-04"),
        ("mean_score", 10.0, None, "neutral", "no value at 2026-05-04"),
        ("lowest_hub", "alpha", "beta", "neutral", "was beta at 2026-05-04"),
        ("lowest_hub", "alpha", "alpha", "neutral", "unchanged since 2026-05-04"),
        ("mean_score", None, None, "neutral", ""),
        ("mean_score", float("nan"), 3.0, "neutral", "was 3.0 at 2026-05-04"),
    ],
)
def test_changed_headline(key: str, now: object, before: object, verdict: str, text: str):
    (h,) = wc.with_changes([nb.Headline(key, "L", now)], [nb.Headline(key, "L", before)], B)
    assert isinstance(h, wc.ChangedHeadline)
    assert h.delta_text() == text
    markup = h.html()
    assert HEADLINE.search(markup).groups()[0] == key  # type: ignore[union-attr]
    if text:
        assert f'class="ihub-delta ihub-delta-{verdict}"' in markup
    else:
        assert "ihub-delta" not in markup


def test_percent_headline_delta_in_points() -> None:
    (h,) = wc.with_changes(
        [nb.Headline("evaluated_share", "E", 0.5, unit="%")],
        [nb.Headline("evaluated_share", "E", 0.25, unit="%")],
        B,
    )
    assert h.delta_text() == "↑ +25.0 pp since 2026-05-04"
    assert 'data-delta="0.25" data-baseline-value="0.25"' in h.html()


def test_headlines_without_a_baseline_are_unchanged() -> None:
    now = [nb.Headline("widgets", "W", 3)]
    assert wc.with_changes(now, None, B) == now


def test_markup_in_headline_values_is_escaped() -> None:
    (h,) = wc.with_changes(
        [nb.Headline("lowest_hub", "L", "<b>x</b>")], [nb.Headline("lowest_hub", "L", "<i>")], B
    )
    assert "<b>" not in h.html() and "<i>" not in h.html() and "&lt;i&gt;" in h.html()


def test_baseline_view_rebuilds_the_metric_at_b(open_world) -> None:  # type: ignore[no-untyped-def]
    world, _ = friction_world()
    wb = open_world(world)
    view = wc.baseline_view(wb.compare("friction", as_of=T), "friction")
    at_b = wb.friction(as_of=B)
    assert nb.friction_headlines(view) == nb.friction_headlines(at_b)
    assert set(view["widget_id"]) == set(at_b["widget_id"])


def test_friction_section_lists_entries_risers_and_fallers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = World()
    hub = w.hub("h")
    red = w.widget(hub, "Turns red")  # 40 + 30 + 20 (rule a) = 90 at T, 0 at B
    for _ in range(3):
        w.annotation(red, T - days(1), severity="critical")
    w.spread(red, 10, T - days(5), T - days(1), "error")
    cand = w.candidate(red, T - days(100), status="promoted")
    dep = w.deployment(w.decision(T - days(12), candidate=cand), T - days(10))
    w.signal(red, dep, T - days(9))
    w.evaluation(dep, 1, T - days(5))
    calm = w.widget(hub, "Calms <down>")
    for _ in range(3):
        w.annotation(calm, T - days(33), severity="critical")
    with ihub_analysis.connect(w.to_duckdb(tmp_path / "w.duckdb")) as wb:
        markup = wc.friction_changes_html(wb.compare("friction", as_of=T), B)
    assert "What changed since 2026-05-04 12:00 UTC: friction" in markup
    assert "1 widget entered amber or red, 0 left; 1 scored higher, 1 lower" in markup
    risers = markup[markup.index("Biggest risers") : markup.index("Biggest fallers")]
    assert "Turns red" in risers and "+90" in risers
    fallers = markup[markup.index("Biggest fallers") :]
    assert "Calms &lt;down&gt;" in fallers and "-40" in fallers
    assert "<down>" not in markup


def test_bottleneck_health_funnel_and_pattern_sections(tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = World()
    hub = w.hub("alpha")
    wid = w.widget(hub, "W")
    w.candidate(wid, T - days(50), title="Started stalling")
    resolved = w.candidate(wid, T - days(100), title="Was stalled")
    w.triage(resolved, "accepted", T - days(10))
    w.candidate(wid, T - days(70), title="Escalated one")
    with ihub_analysis.connect(w.to_duckdb(tmp_path / "w.duckdb")) as wb:
        stalled = wc.bottleneck_changes_html(wb.compare("bottlenecks", as_of=T), B)
        health = wc.health_changes_html(wb.compare("health", as_of=T), B)
        funnel = wc.funnel_changes_html(wb.compare("funnel", as_of=T), B)
        patterns = wc.propagation_changes_html(wb.compare("propagation", as_of=T), B)
    assert "1 item started stalling, 1 stalled item moved on or closed, and 1 escalated" in stalled
    new = stalled[stalled.index("New bottlenecks") : stalled.index("Resolved bottlenecks")]
    assert "Started stalling" in new
    assert "Was stalled" in stalled[stalled.index("Resolved bottlenecks") :]
    assert "Escalated one" in stalled[stalled.index("Escalated bottlenecks") :]
    assert "0 hubs lost points, 1 gained" in health and "No hub changed band." in health
    assert "triaged" in funnel and "created" not in funnel.split("<table")[1]
    assert "No cross-hub pattern appeared" in patterns


def test_what_users_said_shows_severe_excerpts_without_authors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = World()
    hub = w.hub("h")
    wid = w.widget(hub, "Pay")
    user = w.user("Ada Secretname")
    w.annotation(wid, T - days(1), severity="low", body="minor gripe", actor_id=user)
    w.annotation(wid, T - days(2), severity="critical", body="<img src=x onerror=alert(1)>")
    w.annotation(wid, T - days(3), severity="high", body="retracted", retracted_at=T - days(2))
    quiet = w.widget(hub, "Quiet")
    with ihub_analysis.connect(w.to_duckdb(tmp_path / "w.duckdb")) as wb:
        widgets = wb.friction(as_of=T).sort("widget_name")
        markup = wc.what_users_said_html(wb, widgets, T, per_widget=1)
        assert wc.what_users_said_html(wb, widgets.head(0), T) == ""
    assert "&lt;img src=x onerror=alert(1)&gt;" in markup and "<img" not in markup
    assert "minor gripe" not in markup  # one per widget: the most severe
    assert "retracted" not in markup and "Secretname" not in markup
    assert f'data-widget="{quiet}"' in markup and "No friction annotation" in markup


def test_deductions_list_the_items_behind_each(open_world) -> None:  # type: ignore[no-untyped-def]
    from test_metric_health import health_world

    wb = open_world(health_world())
    markup = wc.deductions_html(wb.hub_evidence("billing", as_of=T))
    assert "billing: health 68 = 100 − 32" in markup
    for title in (
        "Open candidates: −6 points",
        "Regressed widgets: −10 points",
        "Stale decisions: −5 points",
        "Active bottlenecks: −6 points",
        "Red widgets: −5 points",
    ):
        assert title in markup, title


def test_board_since_panel(tmp_path) -> None:  # type: ignore[no-untyped-def]
    world, _ = friction_world()
    with ihub_analysis.connect(world.to_duckdb(tmp_path / "w.duckdb")) as wb:
        data = board.compute_board(wb, T, {}, baseline="-28d")
        plain = board.compute_board(wb, T, {})
    assert plain.since == ""
    since = data.since
    assert since.startswith('<section id="since"') and "Since the last review" in since
    assert 'data-baseline="2026-05-04T12:00:00Z"' in since
    keys = dict(HEADLINE.findall(since))
    assert keys["red_widgets"] == "0" and keys["open_bottlenecks"] == "0"
    assert "No widget turned red." in since
    assert 'data-new="0" data-resolved="0" data-escalated="0"' in since


def test_board_since_panel_on_an_older_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    world, _ = friction_world()
    with ihub_analysis.connect(world.to_duckdb(tmp_path / "w.duckdb", phase=1)) as wb:
        since = board.compute_board(wb, T, {}, baseline=T - dt.timedelta(days=7)).since
    keys = dict(HEADLINE.findall(since))
    assert "red_widgets" in keys and "open_bottlenecks" not in keys
    assert "Hubs that lost health" not in since


def test_baseline_caption_and_gap() -> None:
    assert wc.baseline_caption(T, B) == "compared with 2026-05-04 12:00 UTC (28 days earlier)"
    assert wc.gap_text(T, T - days(1)) == "1 day"
    assert wc.gap_text(T, T - days(1.5)) == "1.5 days"


def test_deployments_since(tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = World()
    wid = w.widget(w.hub("h"), "W")
    cand = w.candidate(wid, T - days(200), status="promoted")
    recent = w.deployment(w.decision(T - days(12), candidate=cand), T - days(10), "w@recent")
    w.signal(wid, recent, T - days(9))
    w.deployment(w.decision(T - days(60), candidate=cand), T - days(50), "w@old")
    with ihub_analysis.connect(w.to_duckdb(tmp_path / "w.duckdb")) as wb:
        markup = wc.deployments_since_html(wb.changes(as_of=T), B)
    assert "w@recent" in markup and "w@old" not in markup
    assert "with their verdict now: 1 observing." in markup
    assert pl.__version__  # polars in use for the frames above
