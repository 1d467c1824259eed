"""Empty, older and odd databases: clear results or clear errors, never a crash."""

from __future__ import annotations

import pytest
from builder import T, World, days
from conftest import OpenWorld

from ihub_analysis.errors import MissingTablesError
from ihub_analysis.metrics import schemas
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.workbench import Workbench

ALL_METHODS = {
    "friction": schemas.FRICTION,
    "friction_history": schemas.FRICTION,
    "bottlenecks": schemas.BOTTLENECKS,
    "funnel": schemas.FUNNEL,
    "funnel_annotations": schemas.FUNNEL_ANNOTATIONS,
    "health": schemas.HEALTH,
    "health_trend": schemas.HEALTH_TREND,
    "health_arrows": schemas.HEALTH_ARROWS,
    "recorded_health": schemas.RECORDED_HEALTH,
    "propagation": schemas.PROPAGATION,
    "changes": schemas.CHANGES,
    "changes_summary": schemas.CHANGES_SUMMARY,
    "change_widgets": schemas.CHANGE_WIDGETS,
    "change_signals": schemas.CHANGE_SIGNALS,
}
CHANGE_METHODS = {"changes", "changes_summary", "change_widgets", "change_signals"}
PIPELINE_METHODS = {"bottlenecks", "funnel", "health", "health_trend", "health_arrows"}


def run_all(wb: Workbench) -> dict[str, object]:
    """Every metric method: its frame, or the MissingTablesError it raised."""
    out: dict[str, object] = {}
    for name, schema in ALL_METHODS.items():
        try:
            frame = getattr(wb, name)(as_of=T, weeks=2)
        except MissingTablesError as exc:
            out[name] = exc
            continue
        assert dict(frame.schema) == schema, name
        out[name] = frame
    return out


def test_empty_database(open_world: OpenWorld) -> None:
    results = run_all(open_world(World()))
    for name, frame in results.items():
        assert not isinstance(frame, Exception), name
        if name == "changes_summary":
            row = frame.to_dicts()[0]
            assert (row["deployments"], row["change_failure_rate"], row["evaluated_share"]) == (
                0,
                None,
                None,
            )
        elif name == "funnel":
            assert frame["hub_slug"].unique().to_list() == ["all"]
            assert frame["reached"].to_list() == [0] * 6
        elif name == "funnel_annotations":
            assert frame.to_dicts()[0]["friction_annotations"] == 0
        else:
            assert frame.height == 0, name


def _old_world() -> World:
    w = World()
    hub = w.hub("billing")
    wid = w.widget(hub, "Pay")
    w.spread(wid, 10, T - days(5), T - days(1), "error")
    w.annotation(wid, T - days(2), severity="critical")
    w.candidate(wid, T - days(45))
    dep = w.deployment(w.decision(T - days(20)), T - days(10))  # rows of tables a phase-2 db lacks
    w.evaluation(dep, 1, T - days(5))
    return w


def test_phase_two_database(open_world: OpenWorld) -> None:
    wb = open_world(_old_world(), phase=2)
    assert "deployment_records" in wb.missing_tables()
    assert not wb.supports("changes") and wb.supports("health")
    results = run_all(wb)
    for name in CHANGE_METHODS:
        err = results[name]
        assert isinstance(err, MissingTablesError), name
        assert "deployment_records" in str(err) and "older Inter-Hub deployment" in str(err)
        assert err.exit_code == 2
    friction = results["friction"].to_dicts()[0]
    assert (friction["score"], friction["regression_flag"], friction["stale_candidate_count"]) == (
        51,
        False,
        1,
    )
    assert results["bottlenecks"]["stage"].to_list() == ["candidate"]
    assert results["health"].to_dicts()[0]["open_candidates"] == 1
    assert results["recorded_health"].height == 0  # phase 7 table absent: no recorded series


def test_phase_one_database(open_world: OpenWorld) -> None:
    results = run_all(open_world(_old_world(), phase=1))
    for name in PIPELINE_METHODS | CHANGE_METHODS:
        assert isinstance(results[name], MissingTablesError), name
    assert "requirement_candidates" in str(results["bottlenecks"])
    assert results["friction"].to_dicts()[0]["stale_candidate_count"] == 0
    assert results["propagation"].height == 0


def test_nulls_in_every_nullable_column(open_world: OpenWorld) -> None:
    """One row in each of the 27 tables with only its NOT NULL columns set."""
    w = World()
    hub = w.hub("billing")
    wid = w.widget(hub, "Pay", created_at=T - days(100))
    ids = {"hubs": hub, "widgets": wid}
    for table in inter_hub_schema().tables:
        if table.name in ids:
            continue
        values = {}
        for col in table.columns:
            if not col.not_null or col.name == "id":
                continue
            if col.pg_type == "uuid":
                ref = {"widget_id": wid, "source_widget_id": wid, "hub_id": hub}.get(col.name)
                values[col.name] = ref or next(
                    (
                        ids[t]
                        for t in ids
                        if col.name.rstrip("_id") in t or t.startswith(col.name[:-3])
                    ),
                    wid,
                )
            elif col.pg_type == "timestamp with time zone":
                values[col.name] = T - days(20)
            elif col.name == "score":
                values[col.name] = 1
        ids[table.name] = w.add(table.name, **values)
    # fix up the references the generic filler guessed
    w.rows["requirement_candidates"][0]["source_widget_id"] = wid
    for t, col, ref in (
        ("triage_states", "candidate_id", "requirement_candidates"),
        ("reviewer_assignments", "candidate_id", "requirement_candidates"),
        ("reviewer_assignments", "user_id", "users"),
        ("requirements", "source_candidate_id", "requirement_candidates"),
        ("policy_references", "decision_id", "decision_records"),
        ("implementation_change_references", "decision_id", "decision_records"),
        ("deployment_records", "decision_id", "decision_records"),
        ("outcome_signals", "deployment_id", "deployment_records"),
        ("change_evaluations", "deployment_id", "deployment_records"),
        ("agent_review_records", "proposal_id", "agent_proposals"),
        ("confidence_annotations", "proposal_id", "agent_proposals"),
        ("bottleneck_records", "subject_id", "requirement_candidates"),
        ("annotations", "widget_id", "widgets"),
        ("annotation_threads", "widget_id", "widgets"),
        ("widget_versions", "widget_id", "widgets"),
        ("interaction_events", "widget_id", "widgets"),
        ("friction_scores", "widget_id", "widgets"),
        ("outcome_signals", "widget_id", "widgets"),
        ("hub_health_snapshots", "hub_id", "hubs"),
        ("bottleneck_records", "hub_id", "hubs"),
    ):
        w.rows[t][0][col] = ids[ref]
    results = run_all(open_world(w))
    assert all(not isinstance(r, Exception) for r in results.values())
    assert results["friction"].height == 1
    signals = results["change_signals"].to_dicts()
    assert signals and signals[0]["mean_value"] is None  # outcome_signals.value is NULL


def test_unknown_vocabulary(open_world: OpenWorld) -> None:
    w = World()
    wid = w.widget(w.hub("billing"), "Pay")
    w.spread(wid, 20, T - days(5), T - days(1), "teleported")  # not an error type
    w.annotation(wid, T - days(1), category="mystery", severity="apocalyptic")  # friction, weight 2
    c = w.candidate(wid, T - days(60), status="limbo")
    w.triage(c, "limbo", T - days(50))  # unknown status: not closed, so open
    w.decision(T - days(40), candidate=c, outcome="maybe")  # not implementing: no stage
    f = open_world(w)
    r = f.friction(as_of=T).to_dicts()[0]
    assert (r["error_event_count"], r["annotation_count"], r["annotation_points"]) == (0, 1, 4)
    stages = f.bottlenecks(as_of=T)["stage"].to_list()
    assert stages == ["candidate"]
    funnel = f.funnel(as_of=T)
    reached = funnel.filter(funnel["hub_slug"] == "all")["reached"].to_list()
    assert reached == [1, 1, 1, 1, 0, 0]  # decided directly, whatever the outcome


@pytest.mark.parametrize(
    "as_of", ["2026-06-01", "2026-06-01T12:00:00+02:00", "2026-06-01T12:00:00Z"]
)
def test_as_of_accepts_iso_strings(open_world: OpenWorld, as_of: str) -> None:
    wb = open_world(World())
    assert wb.resolve_as_of(as_of).tzinfo is not None
    assert wb.friction(as_of=as_of).height == 0
