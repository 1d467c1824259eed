"""The story the demo data tells: which widgets hurt, what fixed them, what broke, what is stuck.

Roles are fixed so the narrative is the same for every seed and size (the seed
picks the details: exact days, texts, which background widgets stall):

* **Fixed pain** — ``onboarding-id-upload`` (chronic upload failures, fixed
  ~80 days before the end), ``onboarding-company-step`` (fixed ~45 days
  before), ``billing-invoice-table`` (slow table, fixed ~62 days before), and
  in bigger data one more per extra hub (identity, catalog, notifications,
  reporting).  Errors and complaints fall after the fix; evaluations score 4–5.
* **Regressions** — ``checkout-payment-form`` (~21 days before the end) and
  ``analytics-revenue-chart`` (~18 days before) get worse after a feature
  release: errors jump well above 1.5× with evaluations of 1–2, so both carry
  the regression flag at the end.  ``search-global-box`` regressed ~75 days
  before and was hot-fixed (patch version) about a week later.
* **Stuck and painful** — four date pickers, two in ``billing-portal`` and two
  in ``checkout-flow``, each stuck at a different stage (candidate in review,
  candidate never triaged, requirement without decision, approved decision
  without deployment): the ``widget_type_friction`` pattern for
  ``date-picker``.  ``customer-onboarding`` has two healthy date pickers as the
  counter-example.  ``support-new-ticket`` has been in review for ~150 days
  (a critical candidate bottleneck); ``analytics-segment-filters`` started
  hurting ~12 days ago and has no candidate yet.
* **Accessibility wave** — a burst of accessibility complaints in the last
  four weeks in support-desk (largest), analytics-studio and product-search:
  the ``annotation_cluster`` pattern for ``accessibility``.
* **Background stalls** — besides the roles, a few items per stage stuck at
  ages spread from just over the threshold to 3–5× it (requirements can be at
  most ~3× in 180 days), across hubs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ihub_analysis.synth.core import HOUR_US, Clock, days
from ihub_analysis.synth.pipeline import FlowPlan, sample_gaps
from ihub_analysis.synth.vocab import (
    BACKGROUND_CATEGORY_MIX,
    CATEGORIES,
    ISSUES,
    PAIN_CATEGORY_MIX,
    PAIN_ISSUES,
)


@dataclass(frozen=True)
class Role:
    key: str
    domain: str
    widget_type: str
    noun: str
    kind: str  # fixed | regressed | regress-hotfix | stalled-* | emerging
    problem: str  # bug | ux | performance: what users run into
    pain_ago: tuple[float, float] | None  # pain starts this many days before the end
    at_ago: tuple[float, float] | None  # fix, regression or stall anchor, days before the end


# fmt: off
ROLES: tuple[Role, ...] = (
    Role("onboarding-id-upload", "onboarding", "upload", "ID document", "fixed", "bug",
         (176, 179), (74, 86)),
    Role("onboarding-company-step", "onboarding", "wizard-step", "Company details", "fixed", "ux",
         (140, 160), (40, 50)),
    Role("billing-invoice-table", "billing", "table", "Invoice history", "fixed", "performance",
         (130, 150), (56, 68)),
    Role("search-global-box", "search", "search-box", "Global", "regress-hotfix", "bug",
         None, (70, 80)),
    Role("checkout-payment-form", "checkout", "form", "Payment details", "regressed", "bug",
         None, (19, 23)),
    Role("analytics-revenue-chart", "analytics", "chart", "Revenue trend", "regressed",
         "performance", None, (16.5, 19)),
    Role("checkout-delivery-date", "checkout", "date-picker", "Delivery", "stalled-candidate",
         "ux", (100, 115), (85, 95)),
    Role("checkout-card-expiry", "checkout", "date-picker", "Card expiry", "stalled-requirement",
         "bug", (125, 140), (70, 80)),
    Role("billing-period-picker", "billing", "date-picker", "Billing period", "stalled-decision",
         "ux", (110, 125), (50, 58)),
    Role("billing-due-date", "billing", "date-picker", "Invoice due", "stalled-open", "bug",
         (62, 75), (45, 55)),
    Role("support-new-ticket", "support", "form", "New ticket", "stalled-candidate", "ux",
         (170, 176), (150, 158)),
    Role("analytics-segment-filters", "analytics", "filter-panel", "Segment", "emerging", "ux",
         (10, 13), None),
    Role("identity-mfa-dialog", "identity", "modal", "MFA", "fixed", "bug", (120, 170), (25, 85)),
    Role("catalog-image-upload", "catalog", "upload", "Image", "fixed", "performance",
         (120, 170), (25, 85)),
    Role("notifications-preference-form", "notifications", "form", "Preference", "fixed", "ux",
         (120, 170), (25, 85)),
    Role("reporting-ledger-table", "reporting", "table", "Ledger", "fixed", "performance",
         (120, 170), (25, 85)),
)
# fmt: on
PROPAGATION_TYPE = "date-picker"
#: Hubs whose only date pickers are the painful ones above.
PROPAGATION_DOMAINS = ("billing", "checkout")
#: Two healthy date pickers, so one hub with ≥ 2 of them does *not* qualify.
HEALTHY_TWINS: dict[str, tuple[str, ...]] = {"onboarding": ("Start", "Birth")}
#: (domain, complaints) of the recent accessibility wave, the largest first.
ACCESSIBILITY_WAVE: tuple[tuple[str, int], ...] = (("support", 7), ("analytics", 5), ("search", 4))

_ERROR_RATE = {"bug": (0.25, 0.38), "ux": (0.15, 0.22), "performance": (0.11, 0.16)}
_REGRESSION_ERROR_RATE = (0.16, 0.24)
#: Decision histories of the stalled approvals: the first ones went through every other outcome.
_DECISION_SCRIPTS: tuple[tuple[str, ...], ...] = (
    ("needs_info", "approved"),
    ("deferred", "approved"),
    ("rejected", "approved"),
    ("approved",),
)
#: Stage → (threshold days, largest stall ratio reachable in the history).
STALL_STAGES: dict[str, tuple[int, float]] = {
    "candidate": (30, 5.0),
    "requirement": (60, 2.8),
    "decision": (30, 4.8),
    "observation": (14, 5.0),
}


@dataclass(frozen=True)
class Pain:
    """A widget hurting users for a while: many errors and many complaints."""

    widget: int
    start: int
    stop: int  # when it ended (a fix or hotfix), or the end of history
    error_rate: float
    annotation_rate: float  # complaints per day
    problem: str
    issue: str  # the recurring complaint
    fixed: bool


@dataclass(frozen=True)
class Seed:
    """An annotation a pinned flow needs as its source (a feature wish, a report)."""

    plan: int
    widget: int
    time: int
    category: str
    issue: str


@dataclass
class Story:
    pains: list[Pain] = field(default_factory=list)
    plans: list[FlowPlan] = field(default_factory=list)
    seeds: list[Seed] = field(default_factory=list)
    reserved: set[int] = field(default_factory=set)  # story widgets, kept out of free flows


def _deploy_time(plan: FlowPlan) -> int:
    return next(t for name, t in plan.stages() if name == "deploy")


def roles_for(domains: list[str]) -> list[Role]:
    return [r for r in ROLES if r.domain in domains]


def _uniform_ago(rng: np.random.Generator, clock: Clock, span: tuple[float, float]) -> int:
    return max(clock.ago(float(rng.uniform(*span))), clock.start)


def _issue(rng: np.random.Generator, widget_type: str, category: str) -> str:
    pool = PAIN_ISSUES.get(widget_type) or ISSUES[category]
    return str(pool[rng.integers(len(pool))])


def _category(rng: np.random.Generator, problem: str) -> str:
    return str(rng.choice(CATEGORIES, p=PAIN_CATEGORY_MIX[problem]))


def plan_story(
    rng: np.random.Generator,
    clock: Clock,
    roles: dict[str, int],
    widget_type: list[str],
    pain_rate: float,
) -> Story:
    """Pains and pinned flows for every role present (``roles``: role key → widget)."""
    story = Story()
    by_key = {r.key: r for r in ROLES}
    for key, widget in roles.items():
        role = by_key[key]
        story.reserved.add(widget)
        _plan_role(story, role, widget, rng, clock, widget_type[widget], pain_rate)
    return story


def _pain(
    rng: np.random.Generator,
    widget: int,
    start: int,
    stop: int,
    problem: str,
    issue: str,
    rate: float,
    *,
    fixed: bool,
    regression: bool = False,
) -> Pain:
    low, high = _REGRESSION_ERROR_RATE if regression else _ERROR_RATE[problem]
    return Pain(widget, start, stop, float(rng.uniform(low, high)), rate, problem, issue, fixed)


def _plan_role(
    story: Story,
    role: Role,
    widget: int,
    rng: np.random.Generator,
    clock: Clock,
    wtype: str,
    pain_rate: float,
) -> None:
    category = _category(rng, role.problem)
    issue = _issue(rng, wtype, category)
    base = FlowPlan(
        widget=widget,
        created=0,
        category=category,
        issue=issue,
        triage="accepted",
        route="requirement",
        decisions=("approved",),
        gaps=sample_gaps(rng, urgent=True),
    )
    kind = role.kind
    if kind == "emerging":
        assert role.pain_ago is not None
        start = _uniform_ago(rng, clock, role.pain_ago)
        story.pains.append(
            _pain(rng, widget, start, clock.end, role.problem, issue, pain_rate * 1.5, fixed=False)
        )
        return
    assert role.at_ago is not None
    at = clock.ago(float(rng.uniform(*role.at_ago)))
    if kind in ("regressed", "regress-hotfix"):
        _plan_regression(story, role, base, at, rng, clock, pain_rate)
        return
    stage, plan = {
        "fixed": ("deploy", replace(base, deploy=True, evaluate=True, effect="fix")),
        "stalled-candidate": ("in_review", replace(base, triage="stuck-review")),
        "stalled-open": ("open", replace(base, triage="stuck-open")),
        "stalled-requirement": ("promoted", replace(base, decisions=())),
        "stalled-decision": ("decision", base),
    }[kind]
    plan = plan.anchored(stage, at)
    assert role.pain_ago is not None
    start = min(_uniform_ago(rng, clock, role.pain_ago), plan.created - days(rng.uniform(3, 8)))
    start = max(start, clock.start)
    if plan.created < start + days(3):
        plan = _squeeze(plan, stage, start + days(3), at)
    plan = _evaluated_soon(plan, rng)
    story.plans.append(plan)
    stop = at if kind == "fixed" else clock.end
    story.pains.append(
        _pain(rng, widget, start, stop, role.problem, issue, pain_rate, fixed=kind == "fixed")
    )


def _squeeze(plan: FlowPlan, stage: str, earliest: int, anchor_at: int) -> FlowPlan:
    """Shorten the gaps so a plan anchored at ``anchor_at`` starts no earlier than ``earliest``."""
    factor = (anchor_at - earliest) / max(anchor_at - plan.created, 1)
    gaps = {k: (v if k in ("open", "evaluate") else int(v * factor)) for k, v in plan.gaps.items()}
    return replace(plan, gaps=gaps).anchored(stage, anchor_at)


def _evaluated_soon(plan: FlowPlan, rng: np.random.Generator) -> FlowPlan:
    """Story deployments are evaluated 14–17 days after they ship (always before the end)."""
    return replace(plan, gaps={**plan.gaps, "evaluate": days(rng.uniform(14.2, 16.5))})


def _plan_regression(
    story: Story,
    role: Role,
    base: FlowPlan,
    at: int,
    rng: np.random.Generator,
    clock: Clock,
    pain_rate: float,
) -> None:
    """A feature release that breaks the widget (and, for a hotfix role, its quick repair)."""
    wish = str(ISSUES["suggestion"][rng.integers(len(ISSUES["suggestion"]))])
    feature = _evaluated_soon(
        replace(
            base,
            category="suggestion",
            issue=wish,
            deploy=True,
            evaluate=True,
            effect="regress",
            gaps=sample_gaps(rng),
        ),
        rng,
    ).anchored("deploy", at)
    story.seeds.append(
        Seed(
            len(story.plans),
            base.widget,
            feature.created - int(rng.integers(2, 48)) * HOUR_US,
            "suggestion",
            wish,
        )
    )
    story.plans.append(feature)
    stop = clock.end
    if role.kind == "regress-hotfix":
        gaps = {
            **base.gaps,
            "review": days(0.2),
            "outcome": days(0.4),
            "hot_decide": days(0.3),
            "hot_deploy": days(rng.uniform(5, 7)),
        }
        hotfix = _evaluated_soon(
            replace(
                base,
                category="bug",
                route="hotfix",
                deploy=True,
                evaluate=True,
                effect="hotfix",
                gaps=gaps,
                created=at + days(rng.uniform(1, 2)),
            ),
            rng,
        )
        story.plans.append(hotfix)
        stop = _deploy_time(hotfix)
    story.pains.append(
        _pain(
            rng,
            base.widget,
            at,
            stop,
            role.problem,
            base.issue,
            pain_rate * 1.2,
            fixed=stop < clock.end,
            regression=True,
        )
    )


def plan_stalls(
    rng: np.random.Generator,
    clock: Clock,
    per_stage: int,
    eligible: np.ndarray,
    eligible_weight: np.ndarray,
    widget_created: np.ndarray,
) -> tuple[list[FlowPlan], list[tuple[int, int, str, str]]]:
    """Items stuck at each stage with ages spread from just over the threshold to several times it.

    Returns the plans and, per plan, the (widget, time, category, issue) of the
    report it was escalated from.
    """
    plans: list[FlowPlan] = []
    seeds: list[tuple[int, int, str, str]] = []
    p = eligible_weight / eligible_weight.sum()
    for stage, (threshold, max_ratio) in STALL_STAGES.items():
        for i in range(per_stage):
            ratio = 1.05 + (max_ratio - 1.05) * (i + rng.uniform(0.1, 0.9)) / per_stage
            anchor = clock.end - days(ratio * threshold)
            category = str(rng.choice(CATEGORIES[:-1], p=_normalised(BACKGROUND_CATEGORY_MIX[:-1])))
            base = FlowPlan(
                widget=-1,
                created=0,
                category=category,
                issue="",
                triage="accepted",
                route="requirement",
                decisions=("approved",),
                gaps=sample_gaps(rng),
            )
            plan = _stalled(base, stage, i, anchor)
            earliest = clock.start + days(rng.uniform(1, 4))
            if plan.created < earliest:
                plan = plan.anchored(_anchor_stage(stage, i), anchor + earliest - plan.created)
            fits = eligible[widget_created[eligible] < plan.created - days(3)]
            if not len(fits):
                continue
            widget = int(rng.choice(fits, p=_normalised(p[np.isin(eligible, fits)])))
            issue = str(ISSUES[category][rng.integers(len(ISSUES[category]))])
            plans.append(replace(plan, widget=widget, issue=issue))
            seed_time = max(
                plan.created - int(rng.integers(2, 72)) * HOUR_US,
                int(widget_created[widget]) + HOUR_US,
                clock.start,
            )
            seeds.append((widget, seed_time, category, issue))
    return plans, seeds


def _anchor_stage(stage: str, i: int) -> str:
    if stage == "candidate":
        return "in_review" if i % 2 == 0 else "open"
    return {"requirement": "promoted", "decision": "decision", "observation": "deploy"}[stage]


def _stalled(base: FlowPlan, stage: str, i: int, anchor: int) -> FlowPlan:
    if stage == "candidate":
        triage = "stuck-review" if i % 2 == 0 else "stuck-open"
        plan = replace(base, triage=triage)
    elif stage == "requirement":
        plan = replace(base, decisions=())
    elif stage == "decision":
        plan = replace(base, decisions=_DECISION_SCRIPTS[min(i, len(_DECISION_SCRIPTS) - 1)])
    else:
        plan = replace(base, deploy=True, evaluate=False)
    return plan.anchored(_anchor_stage(stage, i), anchor)


def _normalised(weights: tuple[float, ...] | np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()
