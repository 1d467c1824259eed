"""AI agent proposals with their human reviews and per-dimension confidence (phase 5).

Light but consistent: proposals hang off real threads, candidates and
decisions, come after them, and recent ones are still waiting for review.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ihub_analysis.synth.core import DAY_US, HOUR_US, Clock, days
from ihub_analysis.synth.feedback import Thread
from ihub_analysis.synth.pipeline import END_MARGIN, Pipeline
from ihub_analysis.synth.vocab import AGENT_MODELS, CONFIDENCE_DIMENSIONS, in_sentence


@dataclass
class Proposal:
    proposal_type: str
    widget: int
    candidate: int
    thread: int
    decision: int
    content: str
    model_ref: str
    confidence: float
    status: str
    created: int


@dataclass
class Review:
    proposal: int
    reviewer: int
    decision: str
    notes: str | None
    reviewed: int


@dataclass
class Confidence:
    proposal: int
    dimension: str
    score: float
    explanation: str | None
    created: int


@dataclass
class AgentWork:
    proposals: list[Proposal] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    confidences: list[Confidence] = field(default_factory=list)


def build_agent_work(
    rng: np.random.Generator,
    clock: Clock,
    pipe: Pipeline,
    threads: list[Thread],
    widget_names: list[str],
    staff: np.ndarray,
) -> AgentWork:
    work = AgentWork()
    limit = clock.end - END_MARGIN
    for t, thread in enumerate(threads):
        if rng.random() < 0.3:
            _propose(
                work,
                rng,
                "summary",
                thread.widget,
                -1,
                t,
                -1,
                f"Summary: users report that the {in_sentence(widget_names[thread.widget])} needs "
                f"attention ({thread.title.split(': ', 1)[-1]}).",
                thread.created,
                limit,
                staff,
            )
    for c, cand in enumerate(pipe.candidates):
        if rng.random() < 0.4:
            kind = "requirement_draft" if rng.random() < 0.7 else "duplicate_flag"
            text = (
                f"Draft requirement: {cand.title}. Acceptance: no new reports for 14 days."
                if kind == "requirement_draft"
                else f"Possible duplicate of an earlier candidate on "
                f"the {in_sentence(widget_names[cand.widget])}."
            )
            _propose(work, rng, kind, cand.widget, c, -1, -1, text, cand.created, limit, staff)
    for d, decision in enumerate(pipe.decisions):
        if rng.random() < 0.25:
            cand = (
                decision.candidate
                if decision.candidate >= 0
                else pipe.requirements[decision.requirement].candidate
            )
            kind = "policy_flag" if rng.random() < 0.4 else "impl_proposal"
            text = (
                f"Policy check: “{decision.title}” may touch personal data; confirm the scope."
                if kind == "policy_flag"
                else f"Implementation sketch for “{decision.title}”: "
                "change the component, add a regression test, release behind a flag."
            )
            _propose(
                work,
                rng,
                kind,
                pipe.candidates[cand].widget,
                -1,
                -1,
                d,
                text,
                decision.created,
                limit,
                staff,
            )
    return work


def _propose(
    work: AgentWork,
    rng: np.random.Generator,
    kind: str,
    widget: int,
    candidate: int,
    thread: int,
    decision: int,
    content: str,
    after: int,
    limit: int,
    staff: np.ndarray,
) -> None:
    created = after + int(HOUR_US * rng.uniform(0.5, 36))
    if created >= limit:
        return
    confidence = round(float(rng.beta(6, 2)), 3)
    reviewed = created + int(DAY_US * rng.lognormal(0, 0.8))
    if reviewed >= limit or (created > limit - days(7) and rng.random() < 0.7):
        status = "pending"
    else:
        status = str(
            rng.choice(["accepted", "rejected", "superseded", "pending"], p=[0.5, 0.25, 0.1, 0.15])
        )
    p = len(work.proposals)
    work.proposals.append(
        Proposal(
            kind,
            widget,
            candidate,
            thread,
            decision,
            content,
            str(rng.choice(AGENT_MODELS)),
            confidence,
            status,
            created,
        )
    )
    if status in ("accepted", "rejected"):
        verdict = status if status == "rejected" or rng.random() < 0.8 else "modified"
        work.reviews.append(
            Review(
                p,
                int(rng.choice(staff)),
                verdict,
                "Edited the wording before accepting." if verdict == "modified" else None,
                reviewed,
            )
        )
    dims = rng.choice(CONFIDENCE_DIMENSIONS, size=int(rng.integers(2, 5)), replace=False)
    for dim in dims:
        score = round(float(np.clip(confidence + rng.normal(0, 0.08), 0, 1)), 3)
        work.confidences.append(
            Confidence(
                p,
                str(dim),
                score,
                f"{dim.replace('_', ' ').capitalize()} estimated from similar past items."
                if rng.random() < 0.5
                else None,
                created + int(rng.integers(1, 60)) * 1_000_000,
            )
        )
