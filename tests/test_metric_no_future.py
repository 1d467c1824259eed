"""No future leakage: rows stamped at or after T never change any result at T.

A property test: hypothesis draws a random world (with rows on both sides of T),
then a batch of extra rows whose own timestamps are all >= T (T itself included)
— new events, annotations, widgets, hubs, triage rows, reviewers, requirements,
decisions, deployments, signals, evaluations, recorded health — and every metric
at T must come out identical.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path

from builder import T, World, days
from conftest import METRIC_METHODS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import ihub_analysis

EVENT_TYPES = ["click", "view", "submit", "error", "validation_error"]
CATEGORIES = ["friction", "confusion", "bug", "praise"]
SEVERITIES = ["low", "medium", "high", "critical", "odd"]
TRIAGE = ["in_review", "accepted", "rejected", "duplicate", "open", "promoted"]


def _when(rng: random.Random, lo: float, hi: float) -> dt.datetime:
    """A time T + u days, u in [lo, hi); now and then exactly on a whole day or T itself."""
    if rng.random() < 0.1:
        return T + days(rng.randint(int(lo), max(int(lo), int(hi) - 1)))
    return T + days(rng.uniform(lo, hi))


class Scene:
    """A random world plus the ids needed to hang future rows on it."""

    def __init__(self, seed: int) -> None:
        rng = self.rng = random.Random(seed)
        w = self.world = World(start=T - days(300))
        self.hubs = [w.hub(f"hub-{i}") for i in range(rng.randint(1, 3))]
        self.widgets = [
            w.widget(
                rng.choice(self.hubs), f"w{i}", rng.choice(["form", "table"]), _when(rng, -200, 5)
            )
            for i in range(rng.randint(1, 6))
        ]
        self.users = [w.user(f"u{i}") for i in range(2)]
        for wid in self.widgets:
            for _ in range(rng.randint(0, 60)):
                w.events(wid, [_when(rng, -120, 20)], rng.choice(EVENT_TYPES))
            for _ in range(rng.randint(0, 6)):
                retracted = _when(rng, -20, 20) if rng.random() < 0.3 else None
                w.annotation(
                    wid,
                    _when(rng, -100, 10),
                    category=rng.choice(CATEGORIES),
                    severity=rng.choice(SEVERITIES),
                    retracted_at=retracted,
                )
        self.candidates = []
        self.decisions = []
        self.deployments = []
        for _ in range(rng.randint(0, 8)):
            created = _when(rng, -150, 5)
            triage_times = sorted(
                _when(rng, (created - T).days, 15) for _ in range(rng.randint(0, 3))
            )
            statuses = [rng.choice(TRIAGE) for _ in triage_times]
            # app-consistent: the status column is the latest triage status, else 'open'
            c = w.candidate(
                rng.choice(self.widgets), created, status=statuses[-1] if statuses else "open"
            )
            for at, status in zip(triage_times, statuses, strict=True):
                w.triage(c, status, at)
            if rng.random() < 0.5:
                w.reviewer(c, rng.choice(self.users), _when(rng, (created - T).days, 5))
            self.candidates.append((c, created))
            if rng.random() < 0.6:
                req = w.requirement(
                    c, created + days(rng.uniform(1, 20)), rng.choice(["active", "done"])
                )
                dec = w.decision(
                    created + days(rng.uniform(20, 40)),
                    requirement=req,
                    candidate=c if rng.random() < 0.3 else None,
                    outcome=rng.choice(["approved", "rejected"]),
                )
                self.decisions.append(dec)
                if rng.random() < 0.7:
                    deployed = created + days(rng.uniform(40, 80))
                    dep = w.deployment(dec, deployed)
                    self.deployments.append(dep)
                    for wid in rng.sample(self.widgets, k=rng.randint(0, len(self.widgets))):
                        w.signal(wid, dep, deployed + days(rng.uniform(0, 10)), value=rng.random())
                    if rng.random() < 0.6:
                        w.evaluation(dep, rng.randint(1, 5), deployed + days(rng.uniform(1, 30)))
        for hub in self.hubs:
            for k in range(rng.randint(0, 5)):
                w.health_snapshot(hub, rng.randint(40, 100), T - days(7 * k + rng.random() * 7))

    def add_future_rows(self, n: int) -> None:
        """``n`` rows whose own timestamps are all at or after T."""
        rng, w = self.rng, self.world
        evaluated = {r["deployment_id"] for r in w.rows["change_evaluations"]}
        assigned = {r["candidate_id"] for r in w.rows["reviewer_assignments"]}
        for _ in range(n):
            kind = rng.randrange(11)
            at = _when(rng, 0, 30) if rng.random() < 0.8 else T
            wid = rng.choice(self.widgets)
            if kind == 0:
                w.events(wid, [at], rng.choice(EVENT_TYPES))
            elif kind == 1:
                w.annotation(
                    wid, at, category=rng.choice(CATEGORIES), severity=rng.choice(SEVERITIES)
                )
            elif kind == 2:
                new = w.widget(rng.choice(self.hubs), "future widget", "form", at)
                w.events(new, [at], "error")
            elif kind == 3:
                w.hub(f"future-{len(w.rows['hubs'])}", at)
            elif kind == 4 and self.candidates:
                c, _ = rng.choice(self.candidates)
                w.triage(c, rng.choice(TRIAGE), at)
            elif kind == 5 and self.candidates:
                c, _ = rng.choice(self.candidates)
                if c not in assigned:
                    assigned.add(c)
                    w.reviewer(c, rng.choice(self.users), at)
            elif kind == 6:
                c = w.candidate(wid, at)
                w.requirement(c, at)
            elif kind == 7 and self.decisions:
                dep = w.deployment(rng.choice(self.decisions), at)
                w.signal(wid, dep, at)
            elif kind == 8 and self.deployments:
                w.signal(wid, rng.choice(self.deployments), at)
            elif kind == 9 and self.deployments:
                dep = rng.choice(self.deployments)
                if dep not in evaluated:
                    evaluated.add(dep)
                    w.evaluation(dep, rng.randint(1, 5), at)
            else:
                w.health_snapshot(rng.choice(self.hubs), rng.randint(0, 100), at)


def _results(world: World, path: Path) -> dict[str, object]:
    with ihub_analysis.connect(world.to_duckdb(path)) as wb:
        return {m: getattr(wb, m)(as_of=T, weeks=3) for m in METRIC_METHODS}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), extra=st.integers(1, 40))
def test_rows_at_or_after_t_never_change_results_at_t(seed: int, extra: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scene = Scene(seed)
        before = _results(scene.world, Path(tmp) / "before.duckdb")
        scene.add_future_rows(extra)
        after = _results(scene.world, Path(tmp) / "after.duckdb")
    for name in METRIC_METHODS:
        assert_frame_equal(before[name], after[name], check_exact=True), name
