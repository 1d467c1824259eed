"""The rows the application writes about itself (phase 7), from the spec's own rules.

``friction_scores``, ``hub_health_snapshots``, ``bottleneck_records`` and
``cross_hub_propagations`` are what Inter-Hub's nightly jobs would have
recorded over the history.  They are computed here with the definitions of
docs/metrics.md (default settings), evaluated at midnights so the
day × widget traffic counts are exact; regression windows around a deployment
are rounded to whole days, as a nightly batch would.  Recorded values are
therefore close to, but not a substitute for, the workbench's own metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ihub_analysis.synth.core import DAY_US, NO_TIME, Clock, days, from_us
from ihub_analysis.synth.pipeline import Pipeline

WINDOW_DAYS = 30
MIN_VOLUME = 20
SEVERITY_WEIGHT = {"low": 1, "medium": 2, "high": 4, "critical": 8}
OTHER_SEVERITY_WEIGHT = 2
CLOSED = frozenset({"accepted", "rejected", "duplicate", "promoted", "withdrawn"})
THRESHOLDS = {"candidate": 30, "requirement": 60, "decision": 30, "observation": 14}
SUBJECT_TABLE = {
    "candidate": "requirement_candidates",
    "requirement": "requirements",
    "decision": "decision_records",
    "observation": "deployment_records",
}


@dataclass(frozen=True)
class Facts:
    """Everything the application's jobs read, as arrays and the pipeline's records."""

    clock: Clock
    widget_hub: np.ndarray
    widget_type: list[str]
    widget_created: np.ndarray
    hub_slugs: list[str]
    cum_events: np.ndarray  # (widgets, days + 1): events before each midnight
    cum_errors: np.ndarray
    ann_widget: np.ndarray
    ann_created: np.ndarray
    ann_friction: np.ndarray  # category is not praise
    ann_category: np.ndarray
    ann_weight: np.ndarray
    ann_retracted: np.ndarray  # NO_TIME when never retracted
    pipe: Pipeline

    @classmethod
    def cumulative(cls, daily: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [np.zeros((daily.shape[0], 1), np.int64), np.cumsum(daily, axis=1)], axis=1
        )


def severity_weight(severity: str) -> int:
    return SEVERITY_WEIGHT.get(severity, OTHER_SEVERITY_WEIGHT)


def _status_at(triage: list[tuple[str, int, int]], final: str, t: int) -> str:
    before = [row for row in triage if row[1] < t]
    if before:
        return before[-1][0]
    return "open" if triage else final


def _open_candidates(f: Facts, t: int) -> list[int]:
    return [
        c
        for c, cand in enumerate(f.pipe.candidates)
        if cand.created < t and _status_at(cand.triage, cand.status, t) not in CLOSED
    ]


def _live_annotations(f: Facts, t: int) -> np.ndarray:
    """Friction annotations in the window before ``t``, not retracted by then."""
    return (
        f.ann_friction
        & (f.ann_created >= t - days(WINDOW_DAYS))
        & (f.ann_created < t)
        & ((f.ann_retracted == NO_TIME) | (f.ann_retracted >= t))
    )


def _window(cum: np.ndarray, lo: int, hi: int) -> np.ndarray:
    lo, hi = max(lo, 0), max(hi, 0)
    return cum[:, hi] - cum[:, lo]


def _rate(errors: np.ndarray | int, events: np.ndarray | int) -> np.ndarray:
    return np.asarray(errors) / np.maximum(events, MIN_VOLUME)


@dataclass(frozen=True)
class Friction:
    score: np.ndarray
    annotations: np.ndarray
    errors: np.ndarray
    regression: np.ndarray
    stale: np.ndarray
    exists: np.ndarray  # widget created before T


def friction_at(f: Facts, day: int) -> Friction:
    """Friction of every widget as of midnight ``day`` (index into the day grid)."""
    t = int(f.clock.day_start[day])
    n = len(f.widget_hub)
    live = _live_annotations(f, t)
    count = np.bincount(f.ann_widget[live], minlength=n)
    weight = np.bincount(f.ann_widget[live], weights=f.ann_weight[live], minlength=n)
    events = _window(f.cum_events, day - WINDOW_DAYS, day)
    errors = _window(f.cum_errors, day - WINDOW_DAYS, day)
    regression = _regression_flags(f, t, day)
    stale = np.zeros(n, dtype=np.int64)
    for c in _open_candidates(f, t):
        cand = f.pipe.candidates[c]
        if t - cand.created > days(THRESHOLDS["candidate"]):
            stale[cand.widget] += 1
    raw = (
        np.minimum(40, 2 * weight)
        + np.minimum(30, 300 * _rate(errors, events))
        + 20 * regression
        + np.minimum(10, 5 * stale)
    )
    return Friction(
        np.floor(raw + 0.5).astype(np.int64), count, errors, regression, stale, f.widget_created < t
    )


def _regression_flags(f: Facts, t: int, day: int) -> np.ndarray:
    flags = np.zeros(len(f.widget_hub), dtype=bool)
    pipe = f.pipe
    scores = {e.deployment: e.score for e in pipe.evaluations if e.evaluated < t}
    for s in pipe.signals:
        dep = pipe.deployments[s.deployment]
        if s.observed >= t or not t - days(WINDOW_DAYS) <= dep.deployed < t or flags[s.widget]:
            continue
        if scores.get(s.deployment, 5) <= 2:
            flags[s.widget] = True
            continue
        d = int((dep.deployed - f.clock.start) // DAY_US)
        before_e = f.cum_events[s.widget, d] - f.cum_events[s.widget, max(d - 14, 0)]
        before_x = f.cum_errors[s.widget, d] - f.cum_errors[s.widget, max(d - 14, 0)]
        hi = min(d + 14, day)
        after_e = f.cum_events[s.widget, hi] - f.cum_events[s.widget, d]
        after_x = f.cum_errors[s.widget, hi] - f.cum_errors[s.widget, d]
        if after_x >= 3 and _rate(after_x, after_e) > 1.5 * _rate(before_x, before_e):
            flags[s.widget] = True
    return flags


def _severity(ratio: float) -> str:
    return (
        "critical" if ratio >= 4 else "high" if ratio >= 2 else "medium" if ratio >= 1.5 else "low"
    )


@dataclass(frozen=True)
class Bottleneck:
    stage: str
    subject: int  # index into the stage's subjects
    hub: int
    since: int
    severity: str
    age_days: float


def _candidate_hub(f: Facts, c: int) -> int:
    return int(f.widget_hub[f.pipe.candidates[c].widget])


def _decision_hub(f: Facts, d: int) -> int:
    decision = f.pipe.decisions[d]
    if decision.requirement >= 0:
        return _candidate_hub(f, f.pipe.requirements[decision.requirement].candidate)
    return _candidate_hub(f, decision.candidate)


def bottlenecks_at(f: Facts, t: int) -> list[Bottleneck]:
    """Open items stalled past their stage threshold at ``t``."""
    pipe = f.pipe
    found: list[Bottleneck] = []

    def add(stage: str, subject: int, hub: int, since: int) -> None:
        age = (t - since) / DAY_US
        if age > THRESHOLDS[stage]:
            found.append(
                Bottleneck(stage, subject, hub, since, _severity(age / THRESHOLDS[stage]), age)
            )

    for c in _open_candidates(f, t):
        cand = pipe.candidates[c]
        before = [row[1] for row in cand.triage if row[1] < t]
        add("candidate", c, _candidate_hub(f, c), before[-1] if before else cand.created)
    decided_reqs = {d.requirement for d in pipe.decisions if d.decided < t}
    for r, req in enumerate(pipe.requirements):
        if req.created < t and req.status == "active" and r not in decided_reqs:
            add("requirement", r, _candidate_hub(f, req.candidate), req.created)
    deployed = {dep.decision for dep in pipe.deployments if dep.deployed < t}
    for d, decision in enumerate(pipe.decisions):
        if decision.decided < t and decision.outcome == "approved" and d not in deployed:
            add("decision", d, _decision_hub(f, d), decision.decided)
    evaluated = {e.deployment for e in pipe.evaluations if e.evaluated < t}
    for i, dep in enumerate(pipe.deployments):
        if dep.deployed < t and i not in evaluated:
            add("observation", i, _decision_hub(f, dep.decision), dep.deployed)
    return found


@dataclass(frozen=True)
class Health:
    score: int
    open_candidates: int
    regressed: int
    stale_decisions: int
    bottlenecks: int


def health_at(f: Facts, day: int, friction: Friction, stalls: list[Bottleneck]) -> list[Health]:
    t = int(f.clock.day_start[day])
    n_hubs = len(f.hub_slugs)
    open_by_hub = np.bincount(
        [_candidate_hub(f, c) for c in _open_candidates(f, t)], minlength=n_hubs
    )
    live = friction.exists
    regressed = np.bincount(f.widget_hub[live & friction.regression], minlength=n_hubs)
    red = np.bincount(f.widget_hub[live & (friction.score >= 75)], minlength=n_hubs)
    stale = np.bincount([b.hub for b in stalls if b.stage == "decision"], minlength=n_hubs)
    active = np.bincount([b.hub for b in stalls], minlength=n_hubs)
    out = []
    for h in range(n_hubs):
        score = (
            100
            - min(20, 2 * open_by_hub[h])
            - min(30, 10 * regressed[h])
            - min(20, 5 * stale[h])
            - min(15, 3 * active[h])
            - min(15, 5 * red[h])
        )
        out.append(
            Health(
                int(score), int(open_by_hub[h]), int(regressed[h]), int(stale[h]), int(active[h])
            )
        )
    return out


@dataclass(frozen=True)
class Pattern:
    pattern_type: str
    key: str
    source: int
    affected: tuple[int, ...]
    metric: float


def patterns_at(f: Facts, day: int, friction: Friction) -> list[Pattern]:
    """Cross-hub patterns: annotation categories and widget types hurting in two or more hubs."""
    t = int(f.clock.day_start[day])
    live = _live_annotations(f, t)
    found = []
    for category in sorted(set(f.ann_category[live].tolist())):
        hubs = f.widget_hub[f.ann_widget[live & (f.ann_category == category)]]
        counts = np.bincount(hubs, minlength=len(f.hub_slugs))
        found += _pattern(
            f, "annotation_cluster", category, {h: float(c) for h, c in enumerate(counts) if c >= 3}
        )
    n_hubs = len(f.hub_slugs)
    types = sorted(set(f.widget_type))
    group = np.searchsorted(types, f.widget_type) * n_hubs + f.widget_hub
    live_group = group[friction.exists]
    size = np.bincount(live_group, minlength=len(types) * n_hubs)
    total = np.bincount(
        live_group, weights=friction.score[friction.exists], minlength=len(types) * n_hubs
    )
    mean = total / np.maximum(size, 1)
    for i, wtype in enumerate(types):
        cells = range(i * n_hubs, (i + 1) * n_hubs)
        found += _pattern(
            f,
            "widget_type_friction",
            wtype,
            {g - i * n_hubs: float(mean[g]) for g in cells if size[g] >= 2 and mean[g] >= 50},
        )
    return found


def _pattern(f: Facts, pattern_type: str, key: str, qualifying: dict[int, float]) -> list[Pattern]:
    if len(qualifying) < 2:
        return []
    source = min(qualifying, key=lambda h: (-qualifying[h], f.hub_slugs[h]))
    affected = tuple(sorted((h for h in qualifying if h != source), key=lambda h: f.hub_slugs[h]))
    return [Pattern(pattern_type, key, source, affected, qualifying[source])]


@dataclass
class BottleneckRecord:
    hub: int
    stage: str
    subject: int
    since: int
    severity: str
    created: int
    resolved: int = NO_TIME
    notes: str = ""


@dataclass
class PropagationRecord:
    pattern: Pattern
    detected: int
    status: str = "open"
    notes: str | None = None


@dataclass
class Observed:
    friction_time: int = 0  # when the friction job last ran
    friction: Friction | None = None
    health: list[tuple[int, int, Health]] = field(default_factory=list)  # (time, hub, health)
    bottlenecks: list[BottleneckRecord] = field(default_factory=list)
    propagations: list[PropagationRecord] = field(default_factory=list)


def observe(f: Facts, rng: np.random.Generator) -> Observed:
    """Replay the nightly jobs once a week over the history, and the friction job last night."""
    clock = f.clock
    last = clock.n_days - 1
    job_days = sorted(range(last, 6, -7))
    out = Observed(friction_time=int(clock.day_start[last]))
    open_stalls: dict[tuple[str, int], BottleneckRecord] = {}
    open_patterns: dict[tuple[str, str], PropagationRecord] = {}
    for day in job_days:
        t = int(clock.day_start[day])
        friction = friction_at(f, day)
        stalls = bottlenecks_at(f, t)
        out.health += [
            (t, h, health) for h, health in enumerate(health_at(f, day, friction, stalls))
        ]
        _track_stalls(out, open_stalls, stalls, t)
        _track_patterns(out, open_patterns, patterns_at(f, day, friction), t)
        if day == last:
            out.friction = friction
    for record in out.propagations:
        if record.status == "open" and rng.random() < 0.3:
            record.status = "acknowledged"
            record.notes = "Owners of the affected hubs informed."
    return out


def _track_stalls(
    out: Observed,
    current: dict[tuple[str, int], BottleneckRecord],
    stalls: list[Bottleneck],
    t: int,
) -> None:
    seen = set()
    for b in stalls:
        key = (b.stage, b.subject)
        seen.add(key)
        record = current.get(key)
        if record is None:
            record = BottleneckRecord(b.hub, b.stage, b.subject, b.since, b.severity, t)
            current[key] = record
            out.bottlenecks.append(record)
        record.severity = b.severity
        record.notes = f"Waiting {b.age_days:.0f} days (threshold {THRESHOLDS[b.stage]})."
    for key in [k for k in current if k not in seen]:
        current.pop(key).resolved = t


def _track_patterns(
    out: Observed,
    current: dict[tuple[str, str], PropagationRecord],
    patterns: list[Pattern],
    t: int,
) -> None:
    seen = set()
    for p in patterns:
        key = (p.pattern_type, p.key)
        seen.add(key)
        record = current.get(key)
        if record is None:
            record = PropagationRecord(p, t)
            current[key] = record
            out.propagations.append(record)
        record.pattern = p
    for key in [k for k in current if k not in seen]:
        record = current.pop(key)
        record.status = "resolved"
        record.notes = f"Not detected since {from_us(t).date().isoformat()}."


def summary(p: Pattern, hub_slugs: list[str]) -> str:
    others = ", ".join(hub_slugs[h] for h in p.affected)
    if p.pattern_type == "annotation_cluster":
        return (
            f"{p.metric:.0f} {p.key} annotations in {hub_slugs[p.source]} in the last "
            f"{WINDOW_DAYS} days; also clustering in {others}"
        )
    source = hub_slugs[p.source]
    return f"{p.key} widgets average friction {p.metric:.0f} in {source}; also high in {others}"
