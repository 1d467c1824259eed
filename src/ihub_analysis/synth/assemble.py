"""Put the parts together: plan, draw, and lay every table out in schema order with real ids.

Parts refer to each other by list index while they are built; ids are drawn
per table only here, from their own seeded stream, and foreign keys are
resolved through them.  The result is the same bytes whichever target it is
written to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa

from ihub_analysis.synth import feedback, observe
from ihub_analysis.synth.agents import AgentWork, build_agent_work
from ihub_analysis.synth.arrow import ref, table, uuid_text
from ihub_analysis.synth.core import HOUR_US, MINUTE_US, Clock, Sizes, stream, to_us, uuid_bytes
from ihub_analysis.synth.pipeline import (
    FlowContext,
    FlowPlan,
    Pipeline,
    Staff,
    add_signals,
    free_plans,
    materialize,
)
from ihub_analysis.synth.story import Seed, Story, plan_stalls, plan_story, roles_for
from ihub_analysis.synth.traffic import EventExpander, Traffic, build_traffic
from ihub_analysis.synth.vocab import ARIA_ROLES, BASE_LATENCY_MS, HUBS, TRACKER_KEYS, jsonb_text
from ihub_analysis.synth.world import World, build_world

#: Insert order that satisfies every foreign key (requirement_candidates.requirement_id,
#: which points forward, is the one column a constrained target fills in afterwards).
TABLE_ORDER: tuple[str, ...] = (
    "users",
    "hubs",
    "envelope_emission_contracts",
    "interaction_reporting_contracts",
    "widget_adapter_specs",
    "widgets",
    "widget_versions",
    "annotation_threads",
    "annotations",
    "requirement_candidates",
    "triage_states",
    "reviewer_assignments",
    "requirements",
    "decision_records",
    "policy_references",
    "implementation_change_references",
    "deployment_records",
    "outcome_signals",
    "change_evaluations",
    "agent_proposals",
    "agent_review_records",
    "confidence_annotations",
    "friction_scores",
    "bottleneck_records",
    "hub_health_snapshots",
    "cross_hub_propagations",
    "interaction_events",
)
EVENTS_TABLE = "interaction_events"
TRIAGE_NOTES = {
    "open": "Raised from feedback.",
    "in_review": "Picked up for review.",
    "accepted": "Clear user impact.",
    "rejected": "Works as designed.",
    "duplicate": "Duplicate of an earlier candidate.",
    "withdrawn": "Reporter withdrew the request.",
    "promoted": "Promoted to a requirement.",
}


@dataclass(frozen=True)
class SyntheticData:
    """All generated rows: small tables in memory, events expanded on demand."""

    tables: dict[str, pa.Table]  # every table but interaction_events, in TABLE_ORDER
    events: EventExpander

    def row_counts(self) -> dict[str, int]:
        counts = {name: t.num_rows for name, t in self.tables.items()}
        counts[EVENTS_TABLE] = self.events.total
        return {name: counts[name] for name in TABLE_ORDER}


@dataclass
class _Ids:
    """Each table's ids come from a stream of their own, drawn once."""

    seed: int
    drawn: dict[str, np.ndarray] = field(default_factory=dict)

    def draw(self, name: str, n: int) -> np.ndarray:
        if name not in self.drawn:
            self.drawn[name] = uuid_bytes(stream(self.seed, f"ids:{name}"), n)
        return self.drawn[name]


def generate(*, events: int, seed: int, end: dt.datetime) -> SyntheticData:
    """Generate the whole synthetic Inter-Hub database for (``events``, ``seed``, ``end``)."""
    return draft(events=events, seed=seed, end=end).finish()


def draft(*, events: int, seed: int, end: dt.datetime) -> Draft:
    """The organisation, its story and its traffic: all that events are expanded from."""
    clock = Clock.ending(to_us(end))
    sizes = Sizes.for_events(events)
    roles = roles_for([h.domain for h in HUBS[: sizes.hubs]])
    world = build_world(seed, clock, sizes, roles)
    story = plan_story(
        stream(seed, "story"), clock, world.roles, world.widgets.wtype, sizes.pain_rate
    )
    traffic = build_traffic(seed, events, world, clock, story.pains)
    ids = _Ids(seed)
    widget_ids = ids.draw("widgets", world.widgets.n)
    expander = EventExpander.for_world(seed, clock, traffic, world, widget_ids)
    return Draft(seed, sizes, clock, world, story, traffic, ids, expander)


@dataclass(frozen=True)
class Draft:
    """Enough to start writing events; :meth:`finish` derives every other table.

    The split lets a writer expand events on one core while the (pure Python)
    feedback, pipeline and observability tables are built on another.
    """

    seed: int
    sizes: Sizes
    clock: Clock
    world: World
    story: Story
    traffic: Traffic
    ids: _Ids
    events: EventExpander

    def finish(self) -> SyntheticData:
        seed, clock, world, traffic = self.seed, self.clock, self.world, self.traffic
        ann, threads, plans = _feedback_and_plans(
            seed, world, clock, self.sizes, self.story, traffic
        )
        staff = _staff(world)
        ctx = FlowContext(
            clock=clock,
            staff=staff,
            widget_names=world.widgets.name,
            widget_hub=world.widgets.hub,
            widget_policy=world.widgets.policy,
            hub_names=[h.name for h in world.hubs],
            hub_services=[(h.service, h.major) for h in world.hubs],
            hub_tracker_keys=[TRACKER_KEYS[h.domain] for h in world.hubs],
            annotation_body=ann.body,
        )
        rng = stream(seed, "pipeline")
        pipe = materialize(sorted(plans, key=lambda p: p.created), ctx, rng)
        latency = np.array([BASE_LATENCY_MS[t] for t in world.widgets.wtype])
        add_signals(pipe, rng, clock, traffic.counts, traffic.errors, latency)
        agents = build_agent_work(
            stream(seed, "agents"), clock, pipe, threads, world.widgets.name, staff.everyone
        )
        observed = observe.observe(
            _facts(clock, world, traffic, ann, pipe), stream(seed, "observe")
        )
        widget_ids = self.events.widget_ids
        tables = _tables(
            self.ids, seed, world, clock, ann, threads, pipe, agents, observed, widget_ids
        )
        return SyntheticData(tables, self.events)


def _staff(world: World) -> Staff:
    n = len(world.user_names)
    everyone = np.arange(n)
    return Staff(
        leads=everyone[:3],
        reviewers=everyone[: max(5, int(0.6 * n))],
        engineers=everyone[n // 3 :],
        everyone=everyone,
    )


def _feedback_and_plans(
    seed: int, world: World, clock: Clock, sizes: Sizes, story: Story, traffic: Traffic
) -> tuple[feedback.Annotations, list[feedback.Thread], list[FlowPlan]]:
    """Annotations first, then the flows that cite them, then threads, replies and retractions."""
    rng = stream(seed, "feedback")
    w = world.widgets
    ann = feedback.Annotations()
    feedback.add_background(ann, rng, world, clock, traffic, sizes.background_annotations)
    feedback.add_pains(ann, rng, world, clock, story.pains)
    feedback.add_accessibility_wave(ann, rng, world, clock)
    eligible = np.flatnonzero((w.weight > 0) & ~np.isin(np.arange(w.n), list(story.reserved)))
    stall_plans, stall_seeds = plan_stalls(
        stream(seed, "stalls"),
        clock,
        sizes.stalls_per_stage,
        eligible,
        np.sqrt(w.weight[eligible]),
        w.created,
    )
    seeds = story.seeds + [Seed(-1, *s) for s in stall_seeds]
    seed_index = feedback.add_seeds(ann, rng, world, seeds)
    plans = []
    story_seed = {s.plan: k for s, k in zip(seeds, seed_index, strict=True) if s.plan >= 0}
    for i, plan in enumerate(story.plans):
        source = story_seed.get(i, -1)
        if source < 0:
            source = feedback.latest_report(ann, plan.widget, plan.created - HOUR_US)
        plans.append(replace(plan, source_annotation=source))
    plans += [
        replace(p, source_annotation=k)
        for p, k in zip(stall_plans, seed_index[len(story.seeds) :], strict=True)
    ]
    plans += _free_plans(rng, ann, world, clock, sizes, story)
    threads = feedback.add_threads(ann, rng, world, clock, story.pains, _staff(world).everyone)
    feedback.add_replies(ann, rng, world, clock)
    feedback.retract_some(ann, rng, clock)
    return ann, threads, plans


def _free_plans(
    rng: np.random.Generator,
    ann: feedback.Annotations,
    world: World,
    clock: Clock,
    sizes: Sizes,
    story: Story,
) -> list[FlowPlan]:
    """Candidates escalated from ordinary complaints, more likely the more severe they are."""
    created = np.array(ann.created)
    widget = np.array(ann.widget)
    ok = (
        (np.array(ann.category) != "praise")
        & (np.array(ann.pain) < 0)
        & (created < clock.end - 24 * HOUR_US)
        & ~np.isin(widget, list(story.reserved))
    )
    pool = np.flatnonzero(ok)
    if not len(pool):
        return []
    weight = np.array([observe.severity_weight(ann.severity[k]) for k in pool], dtype=float)
    chosen = np.sort(
        rng.choice(
            pool, size=min(sizes.free_candidates, len(pool)), replace=False, p=weight / weight.sum()
        )
    )
    ann.protected.update(int(k) for k in chosen)
    w = world.widgets
    usable = (w.weight > 0) & ~np.isin(np.arange(w.n), list(story.reserved))

    def neighbours(of: int, at: int) -> np.ndarray:
        return np.flatnonzero(
            usable & (w.hub == w.hub[of]) & (w.created < at) & (np.arange(w.n) != of)
        )

    return free_plans(
        rng,
        chosen,
        created[chosen],
        widget[chosen],
        [ann.category[k] for k in chosen],
        [ann.issue[k] for k in chosen],
        neighbours,
    )


def _facts(
    clock: Clock, world: World, traffic: Traffic, ann: feedback.Annotations, pipe: Pipeline
) -> observe.Facts:
    return observe.Facts(
        clock=clock,
        widget_hub=world.widgets.hub,
        widget_type=world.widgets.wtype,
        widget_created=world.widgets.created,
        hub_slugs=[h.slug for h in world.hubs],
        cum_events=observe.Facts.cumulative(traffic.counts),
        cum_errors=observe.Facts.cumulative(traffic.errors),
        ann_widget=np.array(ann.widget, dtype=np.int64),
        ann_created=np.array(ann.created, dtype=np.int64),
        ann_friction=np.array(ann.category) != "praise",
        ann_category=np.array(ann.category),
        ann_weight=np.array([observe.severity_weight(s) for s in ann.severity], dtype=float),
        ann_retracted=np.array(ann.retracted, dtype=np.int64),
        pipe=pipe,
    )


def _tables(
    ids: _Ids,
    seed: int,
    world: World,
    clock: Clock,
    ann: feedback.Annotations,
    threads: list[feedback.Thread],
    pipe: Pipeline,
    agents: AgentWork,
    observed: observe.Observed,
    widget_ids: np.ndarray,
) -> dict[str, pa.Table]:
    rng = stream(seed, "tables")
    user_ids = ids.draw("users", len(world.user_names))
    hub_ids = ids.draw("hubs", len(world.hubs))
    out: dict[str, pa.Table] = {
        "users": table(
            "users",
            {
                "id": user_ids,
                "email": world.user_emails,
                "password_hash": world.user_password_hashes,
                "name": world.user_names,
                "locked_at": world.user_locked,
                "failed_login_attempts": world.user_failed_logins,
                "created_at": world.user_created,
            },
        ),
        "hubs": table(
            "hubs",
            {
                "id": hub_ids,
                "slug": [h.slug for h in world.hubs],
                "name": [h.name for h in world.hubs],
                "domain": [h.domain for h in world.hubs],
                "created_at": world.hub_created,
                "api_key": world.hub_api_keys,
            },
        ),
    }
    out.update(_contract_tables(ids, world))
    adapter_ids = ids.draw("widget_adapter_specs", len(world.contracts["widget_adapter_specs"]))
    versions = _widget_versions(rng, world, clock, pipe)
    out["widgets"] = table(
        "widgets",
        {
            "id": widget_ids,
            "hub_id": hub_ids[world.widgets.hub],
            "name": world.widgets.name,
            "widget_type": world.widgets.wtype,
            "capability_ref": world.widgets.capability,
            "view_context": world.widgets.view_context,
            "policy_scope": world.widgets.policy,
            "status": world.widgets.status,
            "version": np.bincount(versions[0], minlength=world.widgets.n),
            "created_at": world.widgets.created,
            "adapter_spec_id": ref(adapter_ids, world.widgets.adapter),
        },
    )
    out["widget_versions"] = table(
        "widget_versions",
        {
            "id": ids.draw("widget_versions", len(versions[0])),
            "widget_id": widget_ids[versions[0]],
            "version": versions[1],
            "schema_snapshot": versions[2],
            "created_at": versions[3],
        },
    )
    thread_ids = ids.draw("annotation_threads", len(threads))
    ann_ids = ids.draw("annotations", len(ann))
    out["annotation_threads"] = table(
        "annotation_threads",
        {
            "id": thread_ids,
            "widget_id": widget_ids[[t.widget for t in threads]],
            "title": [t.title for t in threads],
            "description": [t.description for t in threads],
            "created_by": user_ids[[t.created_by for t in threads]],
            "created_at": [t.created for t in threads],
        },
    )
    out["annotations"] = _annotations_table(ann, ann_ids, widget_ids, thread_ids, user_ids, world)
    out.update(_pipeline_tables(ids, rng, pipe, widget_ids, user_ids, thread_ids, ann_ids, ann))
    out.update(_agent_tables(ids, agents, widget_ids, user_ids, thread_ids, pipe))
    out.update(_observed_tables(ids, observed, widget_ids, hub_ids, pipe, world))
    return {name: out[name] for name in TABLE_ORDER if name != EVENTS_TABLE}


def _contract_tables(ids: _Ids, world: World) -> dict[str, pa.Table]:
    envelopes = world.contracts["envelope_emission_contracts"]
    reporting = world.contracts["interaction_reporting_contracts"]
    specs = world.contracts["widget_adapter_specs"]
    env_ids = ids.draw("envelope_emission_contracts", len(envelopes))
    rep_ids = ids.draw("interaction_reporting_contracts", len(reporting))

    def columns(rows: list[dict], keys: list[str]) -> dict[str, list]:
        return {k: [r[k] for r in rows] for k in keys}

    return {
        "envelope_emission_contracts": table(
            "envelope_emission_contracts", {"id": env_ids, **columns(envelopes, list(envelopes[0]))}
        ),
        "interaction_reporting_contracts": table(
            "interaction_reporting_contracts",
            {"id": rep_ids, **columns(reporting, list(reporting[0]))},
        ),
        "widget_adapter_specs": table(
            "widget_adapter_specs",
            {
                "id": ids.draw("widget_adapter_specs", len(specs)),
                **columns(
                    specs,
                    ["name", "framework", "version", "status", "notes", "created_at", "updated_at"],
                ),
                "envelope_contract_id": ref(env_ids, [s["envelope_contract"] for s in specs]),
                "reporting_contract_id": ref(rep_ids, [s["reporting_contract"] for s in specs]),
            },
        ),
    }


def _widget_versions(
    rng: np.random.Generator, world: World, clock: Clock, pipe: Pipeline
) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Version 1 at creation, an edit or two before the history, one per deployment touching it."""
    w = world.widgets
    shipped: dict[int, list[int]] = {}
    for dep in sorted(pipe.deployments, key=lambda d: d.deployed):
        for widget in dep.widgets:
            shipped.setdefault(widget, []).append(dep.deployed + MINUTE_US)
    widget_col, version_col, snap_col, time_col = [], [], [], []
    for widget in range(w.n):
        times = [int(w.created[widget])]
        if w.created[widget] < clock.start:
            gap = clock.start - int(w.created[widget])
            times += sorted(
                int(w.created[widget]) + int(gap * u) for u in rng.random(rng.integers(0, 3))
            )
        times += shipped.get(widget, [])
        for version, t in enumerate(times, start=1):
            widget_col.append(widget)
            version_col.append(version)
            snap_col.append(
                _schema_snapshot(rng, w.name[widget], w.wtype[widget], version, w.policy[widget])
            )
            time_col.append(t)
    return np.array(widget_col), np.array(version_col), snap_col, np.array(time_col, dtype=np.int64)


def _schema_snapshot(
    rng: np.random.Generator, name: str, wtype: str, version: int, policy: str
) -> str:
    pick = rng.integers(0, 3, 2)
    props: dict[str, object] = {
        "label": name,
        "variant": ("default", "compact", "outlined")[pick[0]],
    }
    props.update(
        {
            "date-picker": {
                "format": ("YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY")[pick[1]],
                "min_date": "today",
            },
            "table": {"page_size": (25, 50, 100)[pick[1]], "sortable": True},
            "form": {"fields": 3 + 3 * int(pick[1]), "inline_validation": version > 1},
            "upload": {"max_mb": (10, 25, 50)[pick[1]], "accept": ["pdf", "png", "jpg"]},
            "chart": {"kind": ("line", "bar", "area")[pick[1]], "max_points": 500},
            "search-box": {"debounce_ms": (150, 250, 400)[pick[1]], "suggestions": True},
            "wizard-step": {"step": 1 + int(pick[1]), "skippable": False},
        }.get(wtype, {})
    )
    events = ["view", "click"] + (
        ["submit"] if wtype in ("form", "upload", "wizard-step", "search-box") else []
    )
    return jsonb_text(
        {
            "type": wtype,
            "version": version,
            "props": props,
            "events": events,
            "a11y": {"role": ARIA_ROLES[wtype], "label": name},
            "policy_scope": policy,
        }
    )


def _annotations_table(
    ann: feedback.Annotations,
    ann_ids: np.ndarray,
    widget_ids: np.ndarray,
    thread_ids: np.ndarray,
    user_ids: np.ndarray,
    world: World,
) -> pa.Table:
    kinds = np.array(ann.actor_kind)
    actor = np.array(ann.actor)
    pools = {
        feedback.STAFF: user_ids,
        feedback.END_USER: world.end_users,
        feedback.AGENT: world.agents,
    }
    actor_bytes = np.zeros((len(ann), 16), dtype=np.uint8)
    for kind, pool in pools.items():
        mask = kinds == kind
        actor_bytes[mask] = pool[actor[mask]]
    actor_col = ref(actor_bytes, np.where(kinds == feedback.SYSTEM, -1, np.arange(len(ann))))
    actor_type = {
        feedback.STAFF: "user",
        feedback.END_USER: "user",
        feedback.AGENT: "agent",
        feedback.SYSTEM: "system",
    }
    return table(
        "annotations",
        {
            "id": ann_ids,
            "widget_id": widget_ids[ann.widget],
            "parent_id": ref(ann_ids, ann.parent),
            "body": ann.body,
            "category": ann.category,
            "severity": ann.severity,
            "thread_id": ref(thread_ids, ann.thread),
            "actor_id": actor_col,
            "actor_type": [actor_type[k] for k in ann.actor_kind],
            "widget_state_ref": ann.state_ref,
            "retracted_at": ann.retracted,
            "created_at": ann.created,
        },
    )


def _pipeline_tables(
    ids: _Ids,
    rng: np.random.Generator,
    pipe: Pipeline,
    widget_ids: np.ndarray,
    user_ids: np.ndarray,
    thread_ids: np.ndarray,
    ann_ids: np.ndarray,
    ann: feedback.Annotations,
) -> dict[str, pa.Table]:
    cands, reqs, decs = pipe.candidates, pipe.requirements, pipe.decisions
    cand_ids = ids.draw("requirement_candidates", len(cands))
    req_ids = ids.draw("requirements", len(reqs))
    dec_ids = ids.draw("decision_records", len(decs))
    ref_ids = ids.draw("implementation_change_references", len(pipe.impl_refs))
    dep_ids = ids.draw("deployment_records", len(pipe.deployments))
    source_thread = [ann.thread[c.source_annotation] if rng.random() < 0.85 else -1 for c in cands]
    triage = [(c, *row) for c, cand in enumerate(cands) for row in cand.triage]
    assigned = [(c, cand.reviewer) for c, cand in enumerate(cands) if cand.reviewer is not None]
    return {
        "requirement_candidates": table(
            "requirement_candidates",
            {
                "id": cand_ids,
                "title": [c.title for c in cands],
                "description": [c.description for c in cands],
                "source_widget_id": widget_ids[[c.widget for c in cands]],
                "source_thread_id": ref(thread_ids, source_thread),
                "source_annotation_id": ref(ann_ids, [c.source_annotation for c in cands]),
                "category": [c.category for c in cands],
                "status": [c.status for c in cands],
                "created_by": user_ids[[c.created_by for c in cands]],
                "created_at": [c.created for c in cands],
                "requirement_id": ref(req_ids, [c.requirement for c in cands]),
            },
        ),
        "triage_states": table(
            "triage_states",
            {
                "id": ids.draw("triage_states", len(triage)),
                "candidate_id": cand_ids[[r[0] for r in triage]],
                "status": [r[1] for r in triage],
                "notes": [TRIAGE_NOTES[r[1]] if rng.random() < 0.7 else None for r in triage],
                "changed_by": user_ids[[r[3] for r in triage]],
                "changed_at": [r[2] for r in triage],
            },
        ),
        "reviewer_assignments": table(
            "reviewer_assignments",
            {
                "id": ids.draw("reviewer_assignments", len(assigned)),
                "candidate_id": cand_ids[[c for c, _ in assigned]],
                "user_id": user_ids[[r[0] for _, r in assigned]],
                "assigned_by": user_ids[[r[1] for _, r in assigned]],
                "assigned_at": [r[2] for _, r in assigned],
            },
        ),
        "requirements": table(
            "requirements",
            {
                "id": req_ids,
                "title": [r.title for r in reqs],
                "description": [r.description for r in reqs],
                "source_candidate_id": cand_ids[[r.candidate for r in reqs]],
                "status": [r.status for r in reqs],
                "created_by": user_ids[[r.created_by for r in reqs]],
                "created_at": [r.created for r in reqs],
            },
        ),
        "decision_records": table(
            "decision_records",
            {
                "id": dec_ids,
                "title": [d.title for d in decs],
                "rationale": [d.rationale for d in decs],
                "outcome": [d.outcome for d in decs],
                "requirement_id": ref(req_ids, [d.requirement for d in decs]),
                "candidate_id": ref(cand_ids, [d.candidate for d in decs]),
                "decided_by": user_ids[[d.decided_by for d in decs]],
                "decided_at": [d.decided for d in decs],
                "notes": [d.notes for d in decs],
                "created_at": [d.created for d in decs],
            },
        ),
        "policy_references": table(
            "policy_references",
            {
                "id": ids.draw("policy_references", len(pipe.policy_refs)),
                "decision_id": dec_ids[[p.decision for p in pipe.policy_refs]],
                "policy_scope": [p.scope for p in pipe.policy_refs],
                "constraint_note": [p.note for p in pipe.policy_refs],
                "created_by": user_ids[[p.created_by for p in pipe.policy_refs]],
                "created_at": [p.created for p in pipe.policy_refs],
            },
        ),
        "implementation_change_references": table(
            "implementation_change_references",
            {
                "id": ref_ids,
                "decision_id": dec_ids[[r.decision for r in pipe.impl_refs]],
                "work_item_ref": [r.ref for r in pipe.impl_refs],
                "system": [r.system for r in pipe.impl_refs],
                "linked_by": user_ids[[r.linked_by for r in pipe.impl_refs]],
                "linked_at": [r.linked for r in pipe.impl_refs],
            },
        ),
        "deployment_records": table(
            "deployment_records",
            {
                "id": dep_ids,
                "impl_ref_id": ref(ref_ids, [d.impl_ref for d in pipe.deployments]),
                "decision_id": dec_ids[[d.decision for d in pipe.deployments]],
                "version_ref": [d.version_ref for d in pipe.deployments],
                "deployed_at": [d.deployed for d in pipe.deployments],
                "deployed_by": user_ids[[d.deployed_by for d in pipe.deployments]],
                "notes": [d.notes for d in pipe.deployments],
                "created_at": [d.created for d in pipe.deployments],
            },
        ),
        "outcome_signals": table(
            "outcome_signals",
            {
                "id": ids.draw("outcome_signals", len(pipe.signals)),
                "widget_id": widget_ids[[s.widget for s in pipe.signals]],
                "deployment_id": dep_ids[[s.deployment for s in pipe.signals]],
                "signal_type": [s.signal_type for s in pipe.signals],
                "value": [s.value for s in pipe.signals],
                "observed_at": [s.observed for s in pipe.signals],
            },
        ),
        "change_evaluations": table(
            "change_evaluations",
            {
                "id": ids.draw("change_evaluations", len(pipe.evaluations)),
                "deployment_id": dep_ids[[e.deployment for e in pipe.evaluations]],
                "decision_id": ref(dec_ids, [e.decision for e in pipe.evaluations]),
                "score": [e.score for e in pipe.evaluations],
                "rationale": [e.rationale for e in pipe.evaluations],
                "evaluated_by": user_ids[[e.evaluated_by for e in pipe.evaluations]],
                "evaluated_at": [e.evaluated for e in pipe.evaluations],
            },
        ),
    }


def _agent_tables(
    ids: _Ids,
    agents: AgentWork,
    widget_ids: np.ndarray,
    user_ids: np.ndarray,
    thread_ids: np.ndarray,
    pipe: Pipeline,
) -> dict[str, pa.Table]:
    props = agents.proposals
    prop_ids = ids.draw("agent_proposals", len(props))
    cand_ids = ids.draw("requirement_candidates", len(pipe.candidates))
    dec_ids = ids.draw("decision_records", len(pipe.decisions))
    return {
        "agent_proposals": table(
            "agent_proposals",
            {
                "id": prop_ids,
                "proposal_type": [p.proposal_type for p in props],
                "source_widget_id": ref(widget_ids, [p.widget for p in props]),
                "source_candidate_id": ref(cand_ids, [p.candidate for p in props]),
                "source_thread_id": ref(thread_ids, [p.thread for p in props]),
                "source_decision_id": ref(dec_ids, [p.decision for p in props]),
                "content": [p.content for p in props],
                "model_ref": [p.model_ref for p in props],
                "confidence": [f"{p.confidence:.3f}" for p in props],
                "status": [p.status for p in props],
                "created_at": [p.created for p in props],
            },
        ),
        "agent_review_records": table(
            "agent_review_records",
            {
                "id": ids.draw("agent_review_records", len(agents.reviews)),
                "proposal_id": prop_ids[[r.proposal for r in agents.reviews]],
                "reviewer_id": user_ids[[r.reviewer for r in agents.reviews]],
                "decision": [r.decision for r in agents.reviews],
                "notes": [r.notes for r in agents.reviews],
                "reviewed_at": [r.reviewed for r in agents.reviews],
            },
        ),
        "confidence_annotations": table(
            "confidence_annotations",
            {
                "id": ids.draw("confidence_annotations", len(agents.confidences)),
                "proposal_id": prop_ids[[c.proposal for c in agents.confidences]],
                "dimension": [c.dimension for c in agents.confidences],
                "score": [f"{c.score:.3f}" for c in agents.confidences],
                "explanation": [c.explanation for c in agents.confidences],
                "created_at": [c.created for c in agents.confidences],
            },
        ),
    }


def _observed_tables(
    ids: _Ids,
    observed: observe.Observed,
    widget_ids: np.ndarray,
    hub_ids: np.ndarray,
    pipe: Pipeline,
    world: World,
) -> dict[str, pa.Table]:
    f = observed.friction
    assert f is not None
    scored = np.flatnonzero(f.exists)
    subject_ids = {
        "candidate": ids.draw("requirement_candidates", len(pipe.candidates)),
        "requirement": ids.draw("requirements", len(pipe.requirements)),
        "decision": ids.draw("decision_records", len(pipe.decisions)),
        "observation": ids.draw("deployment_records", len(pipe.deployments)),
    }
    stalls = observed.bottlenecks
    health = observed.health
    props = observed.propagations
    slugs = [h.slug for h in world.hubs]
    hub_text = uuid_text(ref(hub_ids, np.arange(len(hub_ids)))).to_pylist()
    return {
        "friction_scores": table(
            "friction_scores",
            {
                "id": ids.draw("friction_scores", len(scored)),
                "widget_id": widget_ids[scored],
                "score": f.score[scored],
                "annotation_count": f.annotations[scored],
                "error_event_count": f.errors[scored],
                "regression_flag": f.regression[scored],
                "stale_candidate_count": f.stale[scored],
                "last_computed_at": np.full(len(scored), observed.friction_time),
            },
        ),
        "bottleneck_records": table(
            "bottleneck_records",
            {
                "id": ids.draw("bottleneck_records", len(stalls)),
                "hub_id": hub_ids[[b.hub for b in stalls]],
                "stage": [b.stage for b in stalls],
                "subject_type": [observe.SUBJECT_TABLE[b.stage] for b in stalls],
                "subject_id": np.array([subject_ids[b.stage][b.subject] for b in stalls]).reshape(
                    -1, 16
                ),
                "stalled_since": [b.since for b in stalls],
                "severity": [b.severity for b in stalls],
                "resolved_at": [b.resolved for b in stalls],
                "notes": [b.notes for b in stalls],
                "created_at": [b.created for b in stalls],
            },
        ),
        "hub_health_snapshots": table(
            "hub_health_snapshots",
            {
                "id": ids.draw("hub_health_snapshots", len(health)),
                "hub_id": hub_ids[[h for _, h, _ in health]],
                "health_score": [x.score for _, _, x in health],
                "open_candidates": [x.open_candidates for _, _, x in health],
                "regressed_widgets": [x.regressed for _, _, x in health],
                "stale_decisions": [x.stale_decisions for _, _, x in health],
                "active_bottlenecks": [x.bottlenecks for _, _, x in health],
                "computed_at": [t for t, _, _ in health],
            },
        ),
        "cross_hub_propagations": table(
            "cross_hub_propagations",
            {
                "id": ids.draw("cross_hub_propagations", len(props)),
                "pattern_type": [p.pattern.pattern_type for p in props],
                "source_hub_id": hub_ids[[p.pattern.source for p in props]],
                "affected_hub_ids": [
                    jsonb_text([hub_text[h] for h in p.pattern.affected]) for p in props
                ],
                "summary": [observe.summary(p.pattern, slugs) for p in props],
                "detected_at": [p.detected for p in props],
                "status": [p.status for p in props],
                "notes": [p.notes for p in props],
            },
        ),
    }
