"""Candidate status at T and bottlenecks: stages, thresholds, severity, hubs, reviewers."""

from __future__ import annotations

import datetime as dt

import pytest
from builder import T, World, days
from conftest import OpenWorld

US = dt.timedelta(microseconds=1)


def by_title(frame):
    return {r["title"]: r for r in frame.to_dicts()}


def test_candidate_stage_status_at_t_and_severity(open_world: OpenWorld) -> None:
    w = World()
    wid = w.widget(w.hub("billing"), "Pay")
    w.candidate(wid, T - days(31), title="fresh")  # no triage: stalled since created, 31/30
    for title, since in (("medium", 45), ("high", 60), ("critical", 120), ("just under", 44.9)):
        c = w.candidate(wid, T - days(200), title=title, status="in_review")
        w.triage(c, "in_review", T - days(since))
    w.candidate(wid, T - days(30), title="exactly 30 d")  # age 30 is not > 30
    closed = w.candidate(wid, T - days(200), title="accepted", status="accepted")
    w.triage(closed, "accepted", T - days(100))
    tie = w.candidate(wid, T - days(200), title="tie", status="rejected")
    w.triage(tie, "in_review", T - days(100))
    w.triage(tie, "rejected", T - days(100))  # same instant: the closed status wins
    future = w.candidate(wid, T - days(40), title="triaged after T", status="rejected")
    w.triage(future, "rejected", T)  # at T: not yet -> 'open' at T
    reopened = w.candidate(wid, T - days(200), title="reopened", status="open")
    w.triage(reopened, "accepted", T - days(150))
    w.triage(reopened, "open", T - days(50))  # reopened: open again, since T-50
    b = by_title(open_world(w).bottlenecks(as_of=T))
    assert set(b) == {
        "fresh",
        "medium",
        "high",
        "critical",
        "just under",
        "triaged after T",
        "reopened",
    }
    assert b["fresh"]["severity"] == "low"
    assert b["fresh"]["age_days"] == pytest.approx(31)
    assert b["fresh"]["stalled_since"] == T - days(31)
    assert b["medium"]["severity"] == "medium"
    assert b["just under"]["severity"] == "low"
    assert b["high"]["severity"] == "high"
    assert b["critical"]["severity"] == "critical"
    assert b["critical"]["ratio"] == pytest.approx(4.0)
    assert b["triaged after T"]["stalled_since"] == T - days(40)
    assert b["reopened"]["stalled_since"] == T - days(50)
    assert {r["stage"] for r in b.values()} == {"candidate"}
    assert {r["subject_type"] for r in b.values()} == {"requirement_candidates"}
    assert {r["threshold_days"] for r in b.values()} == {30}


def test_candidate_without_triage_rows_uses_its_status_column(open_world: OpenWorld) -> None:
    w = World()
    wid = w.widget(w.hub("billing"), "Pay")
    w.candidate(wid, T - days(90), title="withdrawn", status="withdrawn")
    w.candidate(wid, T - days(90), title="unknown status", status="parked")  # not closed: open
    b = by_title(open_world(w).bottlenecks(as_of=T))
    assert set(b) == {"unknown status"}


def test_reviewer_assigned_before_t_is_shown(open_world: OpenWorld) -> None:
    w = World()
    wid = w.widget(w.hub("billing"), "Pay")
    ada, bob = w.user("Ada"), w.user("Bob")
    w.reviewer(w.candidate(wid, T - days(90), title="assigned"), ada, T - days(80))
    w.reviewer(w.candidate(wid, T - days(90), title="assigned at T"), bob, T)
    w.candidate(wid, T - days(90), title="unassigned")
    b = by_title(open_world(w).bottlenecks(as_of=T))
    assert b["assigned"]["reviewer"] == "Ada"
    assert b["assigned at T"]["reviewer"] is None
    assert b["unassigned"]["reviewer"] is None


def test_requirement_decision_and_observation_stages(open_world: OpenWorld) -> None:
    w = World()
    billing, search = w.hub("billing"), w.hub("search")
    pay, find = w.widget(billing, "Pay"), w.widget(search, "Find")
    cand = w.candidate(pay, T - days(300), status="accepted")
    w.triage(cand, "accepted", T - days(299))
    waiting = w.requirement(cand, T - days(61))  # > 60 d, no decision
    decided_at_t = w.requirement(cand, T - days(200))
    w.decision(T, requirement=decided_at_t, title="made at T")  # at T: still waiting, and
    # the decision itself is not yet a decision-stage item
    done = w.requirement(cand, T - days(200), status="done")  # not an open status
    answered = w.requirement(cand, T - days(200))
    w.decision(T - days(100), requirement=answered, outcome="rejected", title="rejected")
    approved = w.decision(T - days(31), requirement=answered, title="approved, not deployed")
    shipped = w.decision(T - days(100), requirement=answered, title="approved, shipped")
    dep_ok = w.deployment(shipped, T - days(90), "pay@1")
    w.evaluation(dep_ok, 4, T - days(70))
    w.deployment(shipped, T - days(15), "pay@2")  # 15 d without evaluation
    dep_eval_at_t = w.deployment(shipped, T - days(20), "pay@3")
    w.evaluation(dep_eval_at_t, 4, T)
    w.decision(
        T - days(40), candidate=w.candidate(find, T - days(300)), title="direct on candidate"
    )
    w.decision(T - days(40), title="orphan")
    b = open_world(w).bottlenecks(as_of=T)
    stages = {(r["stage"], r["title"]): r for r in b.filter(b["stage"] != "candidate").to_dicts()}
    assert set(stages) == {
        ("requirement", "req"),
        ("decision", "approved, not deployed"),
        ("decision", "direct on candidate"),
        ("decision", "orphan"),
        ("observation", "pay@2"),
        ("observation", "pay@3"),
    }
    req_rows = b.filter(b["stage"] == "requirement")
    assert sorted(req_rows["subject_id"].to_list()) == sorted([str(waiting), str(decided_at_t)])
    assert str(done) not in req_rows["subject_id"].to_list()
    assert stages[("decision", "direct on candidate")]["hub_slug"] == "search"
    assert stages[("decision", "orphan")]["hub_slug"] == "unassigned"
    assert stages[("decision", "approved, not deployed")]["hub_slug"] == "billing"
    assert stages[("observation", "pay@2")]["hub_slug"] == "billing"
    assert stages[("observation", "pay@2")]["subject_type"] == "deployment_records"
    assert stages[("observation", "pay@2")]["threshold_days"] == 14
    assert stages[("decision", "approved, not deployed")]["subject_type"] == "decision_records"
    assert {r["subject_type"] for r in req_rows.to_dicts()} == {"requirements"}
    assert approved  # the approved decision above is the one reported


def test_thresholds_and_vocabulary_are_settings(open_world: OpenWorld) -> None:
    w = World()
    wid = w.widget(w.hub("billing"), "Pay")
    w.candidate(wid, T - days(20), title="twenty days")
    parked = w.candidate(wid, T - days(90), title="parked", status="parked")
    w.triage(parked, "parked", T - days(80))
    wb = open_world(w)
    assert set(by_title(wb.bottlenecks(as_of=T))) == {"parked"}
    assert set(by_title(wb.bottlenecks(as_of=T, candidate_threshold_days=10))) == {
        "parked",
        "twenty days",
    }
    closed_too = ("accepted", "rejected", "duplicate", "promoted", "withdrawn", "parked")
    assert set(by_title(wb.bottlenecks(as_of=T, closed_candidate_statuses=closed_too))) == set()


def test_status_changes_after_t_do_not_matter(open_world: OpenWorld) -> None:
    w = World()
    wid = w.widget(w.hub("billing"), "Pay")
    c = w.candidate(wid, T - days(60), title="c", status="accepted")
    w.triage(c, "in_review", T - days(50))
    w.triage(c, "accepted", T + days(1))
    wb = open_world(w)
    assert by_title(wb.bottlenecks(as_of=T))["c"]["stalled_since"] == T - days(50)
    assert wb.bottlenecks(as_of=T + days(2)).height == 0
