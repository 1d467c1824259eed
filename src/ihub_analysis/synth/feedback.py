"""Annotations and threads: ordinary feedback, complaints where it hurts, replies, retractions.

Ordinary feedback follows usage (busy widgets hear more), complaints follow the
story's pains (many, severe, grouped into threads), and a burst of
accessibility reports crosses hubs in the last weeks.  Annotations a candidate
cites are never retracted, so every escalation keeps a visible source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ihub_analysis.synth.core import DAY_US, HOUR_US, MINUTE_US, NO_TIME, Clock, days
from ihub_analysis.synth.pipeline import END_MARGIN
from ihub_analysis.synth.story import ACCESSIBILITY_WAVE, Pain, Seed
from ihub_analysis.synth.traffic import Traffic, times_in_days
from ihub_analysis.synth.vocab import (
    BACKGROUND_CATEGORY_MIX,
    BACKGROUND_SEVERITY_MIX,
    CATEGORIES,
    CONTEXTS,
    ISSUES,
    PAIN_CATEGORY_MIX,
    PAIN_ISSUES,
    PAIN_SEVERITY_MIX,
    PRAISE_SEVERITY_MIX,
    REPLIES,
    SEVERITIES,
    in_sentence,
)
from ihub_analysis.synth.world import World

STAFF, END_USER, AGENT, SYSTEM = range(4)
#: Who writes annotations: staff, the widgets' users, AI agents, the system itself.
_ACTOR_CDF = np.cumsum([0.33, 0.58, 0.06])


@dataclass
class Thread:
    widget: int
    created: int
    title: str
    description: str | None
    created_by: int


@dataclass
class Annotations:
    """Column lists of the annotations table, referenced by index until ids exist."""

    widget: list[int] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    severity: list[str] = field(default_factory=list)
    issue: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    actor_kind: list[int] = field(default_factory=list)
    actor: list[int] = field(default_factory=list)
    state_ref: list[str | None] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    thread: list[int] = field(default_factory=list)
    retracted: list[int] = field(default_factory=list)  # NO_TIME when not retracted
    pain: list[int] = field(default_factory=list)  # index of the story pain it reports, -1 if none
    protected: set[int] = field(default_factory=set)  # cited or story-critical: never retracted

    def __len__(self) -> int:
        return len(self.widget)

    def add(
        self,
        rng: np.random.Generator,
        world: World,
        widget: int,
        created: int,
        category: str,
        severity: str,
        issue: str,
        *,
        pain: int = -1,
        parent: int = -1,
        thread: int = -1,
        body: str | None = None,
    ) -> int:
        kind = int(np.searchsorted(_ACTOR_CDF, rng.random(), side="right"))
        pool = {
            STAFF: len(world.user_names),
            END_USER: len(world.end_users),
            AGENT: len(world.agents),
        }
        self.widget.append(widget)
        self.created.append(created)
        self.category.append(category)
        self.severity.append(severity)
        self.issue.append(issue)
        self.body.append(body or _body(rng, world.widgets.name[widget], issue, kind))
        self.actor_kind.append(kind)
        self.actor.append(int(rng.integers(pool[kind])) if kind in pool else -1)
        self.state_ref.append(f"ws-{rng.bytes(5).hex()}" if rng.random() < 0.6 else None)
        self.parent.append(parent)
        self.thread.append(thread)
        self.retracted.append(NO_TIME)
        self.pain.append(pain)
        return len(self.widget) - 1


def _body(rng: np.random.Generator, widget_name: str, issue: str, kind: int) -> str:
    context = CONTEXTS[rng.integers(len(CONTEXTS))]
    text = f"The {in_sentence(widget_name)} {issue}{context}."
    return f"Automated check: {text}" if kind == AGENT else text


def _pick_issue(rng: np.random.Generator, category: str, widget_type: str | None = None) -> str:
    pool = (
        PAIN_ISSUES.get(widget_type or "", ()) if category not in ("praise", "suggestion") else ()
    )
    pool = pool or ISSUES[category]
    return str(pool[rng.integers(len(pool))])


def _draw(rng: np.random.Generator, options: tuple[str, ...], mix: tuple[float, ...]) -> str:
    """One of ``options`` with probabilities ``mix`` (cheaper than ``rng.choice`` for one value)."""
    return options[
        min(
            int(np.searchsorted(np.cumsum(mix), rng.random() * sum(mix), side="right")),
            len(options) - 1,
        )
    ]


def _severity(rng: np.random.Generator, category: str, mix: tuple[float, ...]) -> str:
    return _draw(rng, SEVERITIES, PRAISE_SEVERITY_MIX if category == "praise" else mix)


def add_background(
    ann: Annotations, rng: np.random.Generator, world: World, clock: Clock, traffic: Traffic, n: int
) -> None:
    """Ordinary feedback, more of it on busier widgets and days."""
    weight = traffic.expected.ravel() ** 0.7
    cells = rng.choice(len(weight), size=n, p=weight / weight.sum())
    n_days = traffic.expected.shape[1]
    widgets, day = cells // n_days, cells % n_days
    times = times_in_days(rng, clock, day)
    for w, t in zip(widgets, times, strict=True):
        category = _draw(rng, CATEGORIES, BACKGROUND_CATEGORY_MIX)
        if t >= clock.end - END_MARGIN:
            continue
        ann.add(
            rng,
            world,
            int(w),
            int(t),
            category,
            _severity(rng, category, BACKGROUND_SEVERITY_MIX),
            _pick_issue(rng, category),
        )


def add_pains(
    ann: Annotations, rng: np.random.Generator, world: World, clock: Clock, pains: list[Pain]
) -> None:
    """Complaints while a widget hurts (a first report right away), and a trickle after a fix."""
    limit = clock.end - END_MARGIN
    for p, pain in enumerate(pains):
        wtype = world.widgets.wtype[pain.widget]
        stop = min(pain.stop, limit)
        expected = pain.annotation_rate * (stop - pain.start) / DAY_US
        # A floor under the Poisson draw: a pain the story relies on is never quiet by bad luck.
        count = max(int(rng.poisson(expected)), int(0.7 * expected))
        # Jittered, evenly spread: any month of a long pain hears about as much as any other.
        spread = (np.arange(count) + rng.random(count)) / max(count, 1)
        times = [
            pain.start + days(rng.uniform(0.02, 0.5)),
            *pain.start + spread * (stop - pain.start),
        ]
        for i, t in enumerate(times):
            if t >= stop:
                continue
            category = _draw(rng, CATEGORIES, PAIN_CATEGORY_MIX[pain.problem])
            if i == 0:
                category = "bug" if pain.problem == "bug" else "friction"
            issue = (
                pain.issue if i == 0 or rng.random() < 0.6 else _pick_issue(rng, category, wtype)
            )
            k = ann.add(
                rng,
                world,
                pain.widget,
                int(t),
                category,
                "high" if i == 0 else _severity(rng, category, PAIN_SEVERITY_MIX),
                issue,
                pain=p,
            )
            if i == 0:
                ann.protected.add(k)
        if pain.fixed:
            after = pain.stop + rng.random(rng.poisson(0.06 * (limit - pain.stop) / DAY_US)) * (
                limit - pain.stop
            )
            for t in after:
                category = (
                    "praise"
                    if rng.random() < 0.5
                    else _draw(rng, CATEGORIES, BACKGROUND_CATEGORY_MIX)
                )
                ann.add(
                    rng,
                    world,
                    pain.widget,
                    int(t),
                    category,
                    _severity(rng, category, BACKGROUND_SEVERITY_MIX),
                    _pick_issue(rng, category),
                )


def add_accessibility_wave(
    ann: Annotations, rng: np.random.Generator, world: World, clock: Clock
) -> None:
    """The recent cross-hub burst of accessibility complaints."""
    domains = [h.domain for h in world.hubs]
    since = clock.ago(26)
    w = world.widgets
    for domain, count in ACCESSIBILITY_WAVE:
        if domain not in domains:
            continue
        pool = np.flatnonzero(
            (w.hub == domains.index(domain)) & (w.weight > 0) & (w.created < since)
        )
        p = w.weight[pool] / w.weight[pool].sum()
        for _ in range(count):
            widget = int(rng.choice(pool, p=p))
            t = since + int(rng.random() * (clock.ago(1) - since))
            severity = str(rng.choice(["medium", "high", "critical"], p=[0.5, 0.4, 0.1]))
            ann.protected.add(
                ann.add(
                    rng,
                    world,
                    widget,
                    t,
                    "accessibility",
                    severity,
                    _pick_issue(rng, "accessibility"),
                )
            )


def add_seeds(
    ann: Annotations, rng: np.random.Generator, world: World, seeds: list[Seed]
) -> list[int]:
    """The reports pinned flows were escalated from; returns their indices."""
    out = []
    for seed in seeds:
        severity = _severity(rng, seed.category, BACKGROUND_SEVERITY_MIX)
        k = ann.add(rng, world, seed.widget, seed.time, seed.category, severity, seed.issue)
        ann.protected.add(k)
        out.append(k)
    return out


def latest_report(ann: Annotations, widget: int, before: int) -> int:
    """The newest first-hand complaint about a pain on ``widget`` before ``before``."""
    best, best_t = -1, -1
    for k in range(len(ann)):
        if (
            ann.widget[k] == widget
            and ann.pain[k] >= 0
            and ann.parent[k] < 0
            and best_t < ann.created[k] < before
        ):
            best, best_t = k, ann.created[k]
    if best >= 0:
        ann.protected.add(best)
    return best


def add_threads(
    ann: Annotations,
    rng: np.random.Generator,
    world: World,
    clock: Clock,
    pains: list[Pain],
    staff: np.ndarray,
) -> list[Thread]:
    """Group complaints into threads: one or two per pain, small ones around ordinary feedback."""
    threads: list[Thread] = []
    limit = clock.end - END_MARGIN
    names = world.widgets.name
    for p, pain in enumerate(pains):
        members = sorted(
            (k for k in range(len(ann)) if ann.pain[k] == p), key=lambda k: ann.created[k]
        )
        if not members:
            continue
        split = (
            pain.start + (pain.stop - pain.start) // 2
            if pain.stop - pain.start > days(60)
            else None
        )
        groups = (
            [members]
            if split is None
            else [
                [k for k in members if ann.created[k] < split],
                [k for k in members if ann.created[k] >= split],
            ]
        )
        for group in (g for g in groups if g):
            opened = ann.created[group[0]] + days(rng.uniform(0.05, 1.5))
            if opened >= limit:
                continue
            t = len(threads)
            threads.append(
                Thread(
                    pain.widget,
                    opened,
                    f"{names[pain.widget]}: {pain.issue}",
                    f"Reports that the {in_sentence(names[pain.widget])} {pain.issue}."
                    if rng.random() < 0.6
                    else None,
                    int(rng.choice(staff)),
                )
            )
            for k in group:
                if k == group[0] or rng.random() < 0.75:
                    ann.thread[k] = t
    by_widget: dict[int, list[int]] = {}
    for k in range(len(ann)):
        if ann.pain[k] < 0 and ann.category[k] != "praise":
            by_widget.setdefault(ann.widget[k], []).append(k)
    for widget, ks in by_widget.items():
        ks.sort(key=lambda k: ann.created[k])
        for i, k in enumerate(ks):
            if ann.thread[k] >= 0 or rng.random() >= 0.12:
                continue
            opened = ann.created[k] + int(rng.integers(10, 24 * 60)) * MINUTE_US
            if opened >= limit:
                continue
            t = len(threads)
            threads.append(
                Thread(
                    widget, opened, f"{names[widget]}: {ann.issue[k]}", None, int(rng.choice(staff))
                )
            )
            ann.thread[k] = t
            for j in ks[i + 1 :]:
                if ann.created[j] - ann.created[k] > days(14):
                    break
                if ann.thread[j] < 0 and rng.random() < 0.5:
                    ann.thread[j] = t
    return threads


def add_replies(ann: Annotations, rng: np.random.Generator, world: World, clock: Clock) -> None:
    """People answering each other: "+1", "same here", workarounds."""
    limit = clock.end - END_MARGIN
    for k in range(len(ann)):
        chance = 0.22 if ann.thread[k] >= 0 else (0.05 if ann.category[k] != "praise" else 0.0)
        if rng.random() >= chance:
            continue
        t = ann.created[k] + int(5 * HOUR_US * rng.lognormal(0, 1.0))
        if t >= limit:
            continue
        text = str(REPLIES[rng.integers(len(REPLIES))]).format(
            issue=ann.issue[k], context=CONTEXTS[rng.integers(len(CONTEXTS))]
        )
        ann.add(
            rng,
            world,
            ann.widget[k],
            t,
            ann.category[k],
            ann.severity[k],
            ann.issue[k],
            parent=k,
            thread=ann.thread[k],
            body=text,
        )


def retract_some(ann: Annotations, rng: np.random.Generator, clock: Clock) -> None:
    """A few people take their annotation back, usually within a day or two."""
    limit = clock.end - END_MARGIN
    for k in range(len(ann)):
        if k in ann.protected or rng.random() >= 0.04:
            continue
        t = ann.created[k] + int(DAY_US * rng.lognormal(0, 1.0))
        if t < limit:
            ann.retracted[k] = t
