"""The governance pipeline: candidate → triage → requirement → decision → deployment → evaluation.

Every candidate follows a :class:`FlowPlan`: its fate at each stage and the
gaps between stages.  Plans are either *free* (fates drawn at random, starting
from a real annotation) or *pinned* by the story (a fix that must ship on a
given day, an item that must be stuck at a given stage for a given age).  One
function turns a plan into rows, dropping every step that would fall after the
end of the history — which is also what makes recent items naturally "in
progress".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ihub_analysis.synth.core import DAY_US, HOUR_US, MINUTE_US, Clock, days
from ihub_analysis.synth.vocab import (
    DECISION_RATIONALES,
    EVALUATION_RATIONALES,
    POLICY_NOTES,
    REQUIREMENT_VERBS,
)

#: Nothing is recorded closer than this to the end, so follow-up timestamps
#: (a decision's created_at a little after decided_at) stay before it too.
END_MARGIN = 3 * HOUR_US

#: Median days and log-spread of each gap, at the normal pace and when urgent.
_GAPS: dict[str, tuple[float, float]] = {
    "review": (1.5, 0.8),
    "outcome": (5.0, 0.7),
    "promote": (2.0, 0.6),
    "decide": (9.0, 0.6),
    "followup": (12.0, 0.5),
    "link": (2.0, 0.5),
    "deploy": (14.0, 0.5),
    "hot_decide": (0.8, 0.5),
    "hot_deploy": (4.0, 0.5),
}
_URGENT = {"review": 0.6, "outcome": 0.6, "promote": 0.7, "decide": 0.5, "deploy": 0.7}


def sample_gaps(rng: np.random.Generator, *, urgent: bool = False) -> dict[str, int]:
    """Durations between pipeline stages, in µs (lognormal: most quick, some slow)."""
    gaps = {
        name: days(median * (_URGENT.get(name, 1.0) if urgent else 1.0) * rng.lognormal(0, sigma))
        for name, (median, sigma) in _GAPS.items()
    }
    gaps["open"] = int(rng.integers(1, 15)) * MINUTE_US
    gaps["evaluate"] = days(14 + 3 * rng.lognormal(0, 0.6))
    return gaps


@dataclass(frozen=True)
class FlowPlan:
    """How one requirement candidate will move through the pipeline."""

    widget: int
    created: int
    category: str
    issue: str
    triage: str  # accepted | rejected | duplicate | withdrawn | stuck-open | stuck-review
    route: str = "none"  # requirement | hotfix | none (what follows acceptance)
    decisions: tuple[str, ...] = ()  # outcomes in order; the last one counts
    deploy: bool = False
    evaluate: bool = False
    effect: str = "neutral"  # neutral | fix | regress | hotfix: what the deployment does
    gaps: dict[str, int] = field(default_factory=dict)
    source_annotation: int = -1
    extra_widgets: tuple[int, ...] = ()
    reject_decision: bool = False  # a 'rejected' decision record on the candidate itself

    def stages(self) -> list[tuple[str, int]]:
        """Stage name and time of every step the plan reaches, ignoring the end of history."""
        g = self.gaps
        t = self.created + g["open"]
        out = [("open", t)]
        if self.triage == "stuck-open":
            return out
        t += g["review"]
        out.append(("in_review", t))
        if self.triage == "stuck-review":
            return out
        t += g["outcome"]
        out.append(("triaged", t))
        if self.triage != "accepted":
            if self.reject_decision:
                out.append(("decision", t + g["hot_decide"]))
            return out
        if self.route == "requirement":
            t += g["promote"]
            out.append(("promoted", t))
            t += g["decide"]
            for i in range(len(self.decisions)):
                if i:
                    t += g["followup"]
                out.append(("decision", t))
        elif self.route == "hotfix":
            t += g["hot_decide"]
            out.append(("decision", t))
        else:
            return out
        if not self.decisions or self.decisions[-1] != "approved":
            return out
        ship = g["hot_deploy"] if self.route == "hotfix" else g["deploy"]
        out.append(("link", t + min(g["link"], ship // 2)))  # work is linked before it ships
        if self.deploy:
            t += ship
            out.append(("deploy", t))
            if self.evaluate:
                out.append(("evaluate", t + g["evaluate"]))
        return out

    def anchored(self, stage: str, at: int) -> FlowPlan:
        """The same plan, started so that the last ``stage`` step happens at ``at``."""
        offset = [t for name, t in replace(self, created=0).stages() if name == stage][-1]
        return replace(self, created=at - offset)


def evaluation_score(rng: np.random.Generator, effect: str) -> int:
    """Reviewers score what they saw: fixes high, regressions low, the rest in between."""
    choices = {
        "fix": ((4, 5), (0.4, 0.6)),
        "hotfix": ((4, 5), (0.3, 0.7)),
        "regress": ((1, 2), (0.5, 0.5)),
        "neutral": ((3, 4, 5), (0.45, 0.4, 0.15)),
    }[effect]
    return int(rng.choice(choices[0], p=choices[1]))


@dataclass
class Candidate:
    widget: int
    created: int
    source_annotation: int
    category: str
    title: str
    description: str
    created_by: int
    triage: list[tuple[str, int, int]] = field(default_factory=list)  # status, changed_at, by
    reviewer: tuple[int, int, int] | None = None  # user, assigned_by, assigned_at
    requirement: int = -1

    @property
    def status(self) -> str:
        return self.triage[-1][0]


@dataclass
class Requirement:
    candidate: int
    created: int
    title: str
    description: str
    created_by: int
    status: str = "active"


@dataclass
class Decision:
    requirement: int
    candidate: int
    outcome: str
    decided: int
    created: int
    title: str
    rationale: str
    decided_by: int
    notes: str | None = None


@dataclass
class ImplRef:
    decision: int
    ref: str
    system: str
    linked_by: int
    linked: int


@dataclass
class Deployment:
    decision: int
    impl_ref: int
    deployed: int
    created: int
    deployed_by: int
    widgets: tuple[int, ...]
    effect: str
    hub: int
    hotfix: bool
    notes: str
    version_ref: str = ""


@dataclass
class Evaluation:
    deployment: int
    decision: int
    score: int
    rationale: str
    evaluated_by: int
    evaluated: int


@dataclass
class PolicyRef:
    decision: int
    scope: str
    note: str | None
    created_by: int
    created: int


@dataclass
class Signal:
    widget: int
    deployment: int
    signal_type: str
    value: str  # NUMERIC as exact decimal text
    observed: int


@dataclass
class Staff:
    """Who does what: leads assign and decide, reviewers triage, engineers ship."""

    leads: np.ndarray
    reviewers: np.ndarray
    engineers: np.ndarray
    everyone: np.ndarray


@dataclass
class Pipeline:
    candidates: list[Candidate] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    impl_refs: list[ImplRef] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    policy_refs: list[PolicyRef] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)


@dataclass(frozen=True)
class FlowContext:
    """What turning plans into rows needs to know about the rest of the world."""

    clock: Clock
    staff: Staff
    widget_names: list[str]
    widget_hub: np.ndarray
    widget_policy: list[str]
    hub_names: list[str]
    hub_services: list[tuple[str, int]]  # deployable and its major version, per hub
    hub_tracker_keys: list[str]  # issue-tracker project key, per hub
    annotation_body: list[str]


def materialize(plans: list[FlowPlan], ctx: FlowContext, rng: np.random.Generator) -> Pipeline:
    """Rows for every plan, in order; steps at or after the end of history are not written."""
    pipe = Pipeline()
    for plan in plans:
        _materialize_one(plan, ctx, rng, pipe)
    _settle_requirement_statuses(pipe, rng)
    _assign_versions(pipe, ctx)
    return pipe


def _pick(rng: np.random.Generator, pool: np.ndarray) -> int:
    return int(pool[rng.integers(len(pool))])


def _materialize_one(
    plan: FlowPlan, ctx: FlowContext, rng: np.random.Generator, pipe: Pipeline
) -> None:
    limit = ctx.clock.end - END_MARGIN
    stages = [(name, t) for name, t in plan.stages() if t < limit]
    if plan.created >= limit or not stages:
        return
    staff = ctx.staff
    name = ctx.widget_names[plan.widget]
    cand = Candidate(
        widget=plan.widget,
        created=plan.created,
        source_annotation=plan.source_annotation,
        category=plan.category,
        title=f"{name} {plan.issue}",
        description=f"Escalated from feedback on {ctx.hub_names[ctx.widget_hub[plan.widget]]}: "
        f"“{ctx.annotation_body[plan.source_annotation]}”",
        created_by=_pick(rng, staff.everyone),
    )
    ci = len(pipe.candidates)
    pipe.candidates.append(cand)
    decision_outcomes = iter(plan.decisions if plan.triage == "accepted" else ("rejected",))
    last_decision = -1
    for stage, t in stages:
        if stage == "open":
            cand.triage.append(("open", t, cand.created_by))
            if plan.triage == "stuck-open" and rng.random() < 0.4:
                cand.reviewer = (
                    _pick(rng, staff.reviewers),
                    _pick(rng, staff.leads),
                    t + MINUTE_US,
                )
        elif stage == "in_review":
            reviewer = _pick(rng, staff.reviewers)
            cand.reviewer = (reviewer, _pick(rng, staff.leads), max(cand.created, t - HOUR_US))
            cand.triage.append(("in_review", t, reviewer))
        elif stage == "triaged":
            cand.triage.append(
                (plan.triage, t, cand.reviewer[0] if cand.reviewer else _pick(rng, staff.reviewers))
            )
        elif stage == "promoted":
            cand.triage.append(("promoted", t, _pick(rng, staff.leads)))
            cand.requirement = len(pipe.requirements)
            verb = REQUIREMENT_VERBS.get(plan.category, "Improve")
            pipe.requirements.append(
                Requirement(
                    candidate=ci,
                    created=t + int(rng.integers(1, 60)) * 1_000_000,
                    title=f"{verb}: {name} {plan.issue}",
                    description=f"From candidate “{cand.title}”. Done when reports about it "
                    "stop for 14 days and the widget's error rate stays at its usual level.",
                    created_by=cand.triage[-1][2],
                )
            )
        elif stage == "decision":
            last_decision = _add_decision(pipe, ci, next(decision_outcomes), t, ctx, rng)
        elif stage == "link":
            _add_impl_refs(pipe, last_decision, t, ctx, rng)
        elif stage == "deploy":
            _add_deployment(pipe, plan, last_decision, t, ctx, rng)
        elif stage == "evaluate":
            dep = len(pipe.deployments) - 1
            score = evaluation_score(rng, plan.effect)
            rationale = EVALUATION_RATIONALES[score]
            pipe.evaluations.append(
                Evaluation(
                    deployment=dep,
                    decision=last_decision,
                    score=score,
                    rationale=rationale[rng.integers(len(rationale))],
                    evaluated_by=_pick(rng, staff.leads),
                    evaluated=t,
                )
            )


def _add_decision(
    pipe: Pipeline, ci: int, outcome: str, t: int, ctx: FlowContext, rng: np.random.Generator
) -> int:
    cand = pipe.candidates[ci]
    on_requirement = cand.requirement >= 0
    subject = pipe.requirements[cand.requirement].title if on_requirement else cand.title
    rationale = DECISION_RATIONALES[outcome]
    decision = Decision(
        requirement=cand.requirement if on_requirement else -1,
        candidate=-1 if on_requirement else ci,
        outcome=outcome,
        decided=t,
        created=t + int(rng.integers(1, 120)) * MINUTE_US,
        title=f"{outcome.replace('_', ' ').capitalize()} — {subject}",
        rationale=rationale[rng.integers(len(rationale))],
        decided_by=_pick(rng, ctx.staff.leads),
        notes="Reviewed in the weekly governance board." if rng.random() < 0.3 else None,
    )
    di = len(pipe.decisions)
    pipe.decisions.append(decision)
    scope = ctx.widget_policy[cand.widget]
    if cand.category == "accessibility":
        scope = "accessibility-wcag22"
    if rng.random() < (0.6 if scope != "internal" else 0.2):
        notes = POLICY_NOTES[scope]
        pipe.policy_refs.append(
            PolicyRef(
                decision=di,
                scope=scope,
                note=notes[rng.integers(len(notes))] if rng.random() < 0.8 else None,
                created_by=decision.decided_by,
                created=decision.created + int(rng.integers(1, 50)) * MINUTE_US,
            )
        )
    return di


def _add_impl_refs(
    pipe: Pipeline, di: int, t: int, ctx: FlowContext, rng: np.random.Generator
) -> None:
    cand_index = pipe.decisions[di].candidate
    if cand_index < 0:
        cand_index = pipe.requirements[pipe.decisions[di].requirement].candidate
    hub = int(ctx.widget_hub[pipe.candidates[cand_index].widget])
    for k in range(1 if rng.random() < 0.7 else 2):
        if rng.random() < 0.6:
            ref, system = f"{ctx.hub_tracker_keys[hub]}-{rng.integers(100, 2000)}", "jira"
        else:
            ref, system = (
                f"inter-hub/{ctx.hub_services[hub][0]}#{rng.integers(200, 4000)}",
                "github",
            )
        pipe.impl_refs.append(
            ImplRef(
                decision=di,
                ref=ref,
                system=system,
                linked_by=_pick(rng, ctx.staff.engineers),
                linked=t + k * int(rng.integers(1, 10)) * 15 * MINUTE_US,
            )
        )


def _add_deployment(
    pipe: Pipeline, plan: FlowPlan, di: int, t: int, ctx: FlowContext, rng: np.random.Generator
) -> None:
    refs = [i for i, r in enumerate(pipe.impl_refs) if r.decision == di]
    pipe.deployments.append(
        Deployment(
            decision=di,
            impl_ref=refs[0] if refs and rng.random() < 0.85 else -1,
            deployed=t,
            created=t + int(rng.integers(1, 10)) * MINUTE_US,
            deployed_by=_pick(rng, ctx.staff.engineers),
            widgets=(plan.widget, *plan.extra_widgets),
            effect=plan.effect,
            hub=int(ctx.widget_hub[plan.widget]),
            hotfix=plan.route == "hotfix",
            notes=f"Ships {pipe.impl_refs[refs[0]].ref}" if refs else "Manual release",
        )
    )


def _settle_requirement_statuses(pipe: Pipeline, rng: np.random.Generator) -> None:
    """Shipped requirements are done; rejected ones are mostly superseded; the rest stay active."""
    deployed = {pipe.decisions[d.decision].requirement for d in pipe.deployments}
    final: dict[int, str] = {}
    for d in pipe.decisions:
        if d.requirement >= 0:
            final[d.requirement] = d.outcome
    for ri, req in enumerate(pipe.requirements):
        if ri in deployed:
            req.status = "done"
        elif final.get(ri) == "rejected" and rng.random() < 0.6:
            req.status = "superseded"


def _assign_versions(pipe: Pipeline, ctx: FlowContext) -> None:
    """Semantic versions per hub service in deployment order: hotfixes bump the patch."""
    minor: dict[int, int] = {}
    patch: dict[int, int] = {}
    for dep in sorted(pipe.deployments, key=lambda d: d.deployed):
        if dep.hotfix and dep.hub in minor:
            patch[dep.hub] += 1
        else:
            minor[dep.hub] = minor.get(dep.hub, 3 + 2 * dep.hub) + 1
            patch[dep.hub] = 0
        service, major = ctx.hub_services[dep.hub]
        dep.version_ref = f"{service}@{major}.{minor[dep.hub]}.{patch[dep.hub]}"


def free_plans(
    rng: np.random.Generator,
    sources: np.ndarray,
    source_time: np.ndarray,
    source_widget: np.ndarray,
    source_category: list[str],
    issues: list[str],
    neighbours: Callable[[int, int], np.ndarray],
) -> list[FlowPlan]:
    """Plans for candidates escalated from ordinary feedback: most flow, a few get stuck.

    ``neighbours(widget, t)``: other widgets of its hub that exist at ``t`` — the
    ones a release fixing it may touch too.
    """
    plans = []
    for k, ai in enumerate(sources):
        gaps = sample_gaps(rng)
        triage = str(
            rng.choice(
                ["accepted", "rejected", "duplicate", "withdrawn", "stuck-open", "stuck-review"],
                p=[0.62, 0.14, 0.10, 0.07, 0.03, 0.04],
            )
        )
        route = str(rng.choice(["requirement", "hotfix", "none"], p=[0.88, 0.07, 0.05]))
        decisions: tuple[str, ...] = ()
        if route == "hotfix":
            decisions = ("approved",)
        elif route == "requirement" and rng.random() > 0.05:
            first = str(
                rng.choice(
                    ["approved", "needs_info", "deferred", "rejected"], p=[0.62, 0.13, 0.13, 0.12]
                )
            )
            decisions = (first,)
            if first in ("needs_info", "deferred") and rng.random() < 0.6:
                decisions += (str(rng.choice(["approved", "rejected"], p=[0.75, 0.25])),)
        widget = int(source_widget[k])
        extra: tuple[int, ...] = ()
        if rng.random() < 0.35:
            nearby = neighbours(widget, int(source_time[k]))
            if len(nearby):
                take = min(len(nearby), int(rng.integers(1, 3)))
                extra = tuple(int(w) for w in rng.choice(nearby, size=take, replace=False))
        plans.append(
            FlowPlan(
                widget=widget,
                created=int(source_time[k]) + days(2 * rng.lognormal(0, 0.8)),
                category=source_category[k],
                issue=issues[k],
                triage=triage,
                route=route,
                decisions=decisions,
                deploy=rng.random() < 0.93,
                evaluate=rng.random() < 0.93,
                gaps=gaps,
                source_annotation=int(ai),
                extra_widgets=extra,
                reject_decision=triage in ("rejected", "duplicate") and rng.random() < 0.35,
            )
        )
    return plans


def add_signals(
    pipe: Pipeline,
    rng: np.random.Generator,
    clock: Clock,
    counts: np.ndarray,
    errors: np.ndarray,
    latency_ms: np.ndarray,
) -> None:
    """Outcome signals 1, 3, 7 and 14 days after each deployment, on every widget it touched.

    The error rate is the one the widget's events really show since the
    deployment, so the signals agree with the events table.
    """
    limit = clock.end - END_MARGIN
    for i, dep in enumerate(pipe.deployments):
        kinds = ["error_rate"]
        if rng.random() < 0.6:
            kinds.append("task_success")
        if rng.random() < 0.4:
            kinds.append("latency_p95")
        first = int((dep.deployed - clock.start) // DAY_US)
        for widget in dep.widgets:
            for after in (1, 3, 7, 14):
                observed = dep.deployed + days(after) + int(rng.integers(0, 120)) * MINUTE_US
                if observed >= limit:
                    break
                last = max(int((observed - clock.start) // DAY_US), first + 1)
                n = int(counts[widget, first:last].sum())
                rate = int(errors[widget, first:last].sum()) / n if n else 0.0
                success = float(np.clip(0.97 - 2.2 * rate + rng.normal(0, 0.01), 0, 1))
                latency = latency_ms[widget] * (1 + 3 * rate) * rng.lognormal(0, 0.08)
                values = {
                    "error_rate": f"{rate:.4f}",
                    "task_success": f"{success:.4f}",
                    "latency_p95": f"{latency:.1f}",
                }
                for kind in kinds:
                    pipe.signals.append(Signal(widget, i, kind, values[kind], observed))
