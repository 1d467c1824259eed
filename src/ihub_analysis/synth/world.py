"""The organisation: users, hubs, widgets and the adapter contracts (phases 1 and 6).

Every story role gets its widget here, with traffic high enough for its error
rate to be measured, and the date-picker population is shaped so the
cross-hub ``date-picker`` pattern holds in exactly the story's hubs.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import numpy as np

from ihub_analysis.synth.core import DAY_US, NO_TIME, Clock, Sizes, days, stream, uuid_bytes
from ihub_analysis.synth.story import HEALTHY_TWINS, PROPAGATION_DOMAINS, PROPAGATION_TYPE, Role
from ihub_analysis.synth.vocab import (
    FIRST_NAMES,
    HUBS,
    LAST_NAMES,
    POLICY_SCOPES,
    TYPE_NAMES,
    WIDGET_POLICY_MIX,
    WIDGET_TYPES,
    HubSpec,
    jsonb_text,
)

#: Adapter specs (name, framework, version, envelope contract, reporting contract, status);
#: contracts by index into ENVELOPES / REPORTING, -1 for none.
ADAPTERS: tuple[tuple[str, str, str, int, int, str], ...] = (
    ("react-adapter", "react", "18.3", 1, 1, "active"),
    ("vue-adapter", "vue", "3.4", 1, 1, "active"),
    ("web-components", "lit", "3.1", 1, 1, "active"),
    ("angular-legacy", "angular", "15.2", 0, 0, "deprecated"),
    ("svelte-adapter", "svelte", "4.2", 2, -1, "draft"),
)
#: Adapters a widget can be built on (not the draft).
USABLE_ADAPTERS = 4


@dataclass(frozen=True)
class Widgets:
    hub: np.ndarray
    wtype: list[str]
    name: list[str]
    created: np.ndarray
    status: list[str]
    weight: np.ndarray  # relative traffic; 0 = never used
    base_error: np.ndarray  # usual share of error events
    policy: list[str]
    capability: list[str | None]
    view_context: list[str]
    adapter: np.ndarray  # index into ADAPTERS, -1 = native

    @property
    def n(self) -> int:
        return len(self.name)


@dataclass(frozen=True)
class World:
    hubs: list[HubSpec]
    hub_created: np.ndarray
    hub_api_keys: list[str]
    user_names: list[str]
    user_emails: list[str]
    user_password_hashes: list[str]
    user_created: np.ndarray
    user_locked: np.ndarray
    user_failed_logins: np.ndarray
    widgets: Widgets
    roles: dict[str, int]  # story role key → widget
    end_users: np.ndarray  # UUID bytes of the people using the widgets (not in users)
    agents: np.ndarray  # UUID bytes of the AI agents that act in the app
    contracts: dict[str, list[dict[str, Any]]]  # phase-6 rows by table


def build_world(seed: int, clock: Clock, sizes: Sizes, roles: list[Role]) -> World:
    rng = stream(seed, "world")
    hubs = list(HUBS[: sizes.hubs])
    hub_created = np.array(
        [clock.start - days(rng.uniform(300, 900)) for _ in hubs], dtype=np.int64
    )
    api_keys = [f"ihk_live_{rng.bytes(20).hex()}" for _ in hubs]
    users = _users(rng, clock, sizes.users)
    widgets, role_widgets = _widgets(rng, clock, sizes, hubs, hub_created, roles)
    return World(
        hubs=hubs,
        hub_created=hub_created,
        hub_api_keys=api_keys,
        user_names=users[0],
        user_emails=users[1],
        user_password_hashes=users[2],
        user_created=users[3],
        user_locked=users[4],
        user_failed_logins=users[5],
        widgets=widgets,
        roles=role_widgets,
        end_users=uuid_bytes(stream(seed, "end-users"), sizes.actors),
        agents=uuid_bytes(stream(seed, "agents"), 3),
        contracts=_contracts(clock),
    )


def _users(rng: np.random.Generator, clock: Clock, n: int) -> tuple[Any, ...]:
    pairs = rng.choice(len(FIRST_NAMES) * len(LAST_NAMES), size=n, replace=False)
    names = [
        f"{FIRST_NAMES[p // len(LAST_NAMES)]} {LAST_NAMES[p % len(LAST_NAMES)]}" for p in pairs
    ]
    emails = [f"{name.lower().replace(' ', '.')}@interhub.example" for name in names]
    hashes = [
        "$argon2id$v=19$m=65536,t=3,p=4$"
        + base64.b64encode(rng.bytes(16)).decode().rstrip("=")
        + "$"
        + base64.b64encode(rng.bytes(32)).decode().rstrip("=")
        for _ in names
    ]
    created = np.array([clock.start - days(rng.uniform(20, 500)) for _ in names], dtype=np.int64)
    newcomers = rng.choice(np.arange(3, n), size=2, replace=False)
    created[newcomers] = [clock.ago(rng.uniform(30, 170)) for _ in newcomers]
    failed = np.where(rng.random(n) < 0.15, rng.integers(1, 4, n), 0)
    locked = np.full(n, NO_TIME, dtype=np.int64)
    victim = int(rng.integers(3, n))
    locked[victim] = clock.ago(rng.uniform(1, 30))
    failed[victim] = 5
    return names, emails, hashes, created, locked, failed


def _forced(
    spec: HubSpec, roles: list[Role], rng: np.random.Generator
) -> list[tuple[str, str, str]]:
    """(noun, type, role key or "") of the widgets the story needs in this hub."""
    forced = []
    for role in roles:
        if role.domain != spec.domain:
            continue
        forced.append((role.noun, role.widget_type, role.key))
        if role.widget_type != PROPAGATION_TYPE:
            # Healthy siblings keep the hub's mean friction for this type below the pattern bar.
            nouns = [n for n in spec.nouns if n != role.noun]
            for noun in rng.choice(nouns, size=2, replace=False):
                forced.append((str(noun), role.widget_type, ""))
    forced += [(noun, PROPAGATION_TYPE, "") for noun in HEALTHY_TWINS.get(spec.domain, ())]
    return forced


def _widgets(
    rng: np.random.Generator,
    clock: Clock,
    sizes: Sizes,
    hubs: list[HubSpec],
    hub_created: np.ndarray,
    roles: list[Role],
) -> tuple[Widgets, dict[str, int]]:
    hub_of: list[int] = []
    wtype: list[str] = []
    nouns: list[str] = []
    role_of: list[str] = []
    placed: list[bool] = []
    for h, spec in enumerate(hubs):
        forced = _forced(spec, roles, rng)
        target = int(np.clip(round(sizes.widgets_per_hub * rng.uniform(0.8, 1.15)), 20, 60))
        target = max(target, len(forced) + 8)
        boost = dict(spec.type_boost)
        p = np.array([boost.get(t, 1.0) for t in TYPE_NAMES])
        if spec.domain in PROPAGATION_DOMAINS or spec.domain in HEALTHY_TWINS:
            p[TYPE_NAMES.index(PROPAGATION_TYPE)] = 0.0
        p /= p.sum()
        taken = {(noun, t) for noun, t, _ in forced}
        chosen = list(forced)
        while len(chosen) < target:
            pair = (
                str(spec.nouns[rng.integers(len(spec.nouns))]),
                str(rng.choice(TYPE_NAMES, p=p)),
            )
            if pair not in taken:
                taken.add(pair)
                chosen.append((*pair, ""))
        for i, (noun, t, role) in enumerate(chosen):
            hub_of.append(h)
            wtype.append(t)
            nouns.append(noun)
            role_of.append(role)
            placed.append(i < len(forced))
    n = len(hub_of)
    hub = np.array(hub_of)
    story = np.array([r != "" for r in role_of])
    forced_mask = np.array(placed)
    created = hub_created[hub] + (
        (clock.start - hub_created[hub]) * rng.uniform(0.05, 0.95, n)
    ).astype(np.int64)
    mid = (~forced_mask) & (rng.random(n) < 0.15)
    created[mid] = clock.start + (
        DAY_US * (rng.integers(3, 170, mid.sum()) + rng.uniform(0, 0.4, mid.sum()))
    ).astype(np.int64)
    status = ["active"] * n
    weight = rng.lognormal(0, 1.15, n) * np.array([WIDGET_TYPES[t][1] for t in wtype])
    weight *= rng.lognormal(0, 0.35, len(hubs))[hub]
    free = np.flatnonzero(~forced_mask & ~mid)
    for w in rng.choice(free, size=max(2, round(0.015 * n)), replace=False):
        status[w], weight[w] = "deprecated", 0.0
    draft = int(rng.choice(np.flatnonzero(~forced_mask & (weight > 0))))
    status[draft], weight[draft] = "draft", 0.0
    created[draft] = clock.ago(rng.uniform(2, 5))
    _boost_story_traffic(rng, weight, story, role_of, roles)
    base_error = np.clip(
        rng.lognormal(np.log(0.009), 0.45, n) * np.array([WIDGET_TYPES[t][2] for t in wtype]),
        0.002,
        0.04,
    )
    policy = [str(s) for s in rng.choice(POLICY_SCOPES, size=n, p=WIDGET_POLICY_MIX)]
    for w in range(n):
        if policy[w] == "payments-pci" and hubs[hub[w]].domain not in ("billing", "checkout"):
            policy[w] = "pii"
    slugs = [noun.lower().replace(" ", "-").replace("&", "and") for noun in nouns]
    capability = [
        None
        if rng.random() < 0.1
        else f"{hubs[hub[w]].domain}.{slugs[w]}.{WIDGET_TYPES[wtype[w]][5]}"
        for w in range(n)
    ]
    adapter = np.where(rng.random(n) < 0.15, rng.integers(0, USABLE_ADAPTERS, n), -1)
    widgets = Widgets(
        hub=hub,
        wtype=wtype,
        name=[f"{noun} {WIDGET_TYPES[t][0]}" for noun, t in zip(nouns, wtype, strict=True)],
        created=created,
        status=status,
        weight=weight,
        base_error=base_error,
        policy=policy,
        capability=capability,
        view_context=[f"/{hubs[hub[w]].domain}/{slugs[w]}" for w in range(n)],
        adapter=adapter,
    )
    return widgets, {role: w for w, role in enumerate(role_of) if role}


def _boost_story_traffic(
    rng: np.random.Generator,
    weight: np.ndarray,
    story: np.ndarray,
    role_of: list[str],
    roles: list[Role],
) -> None:
    """Story widgets are busy ones, so their error rates are measurable even in small data.

    Painful widgets sit in the busiest twentieth of all widgets, regressed ones in the busiest
    fiftieth: a regression needs enough events afterwards to show three errors.
    """
    kinds = {r.key: r.kind for r in roles}
    used = weight[weight > 0]
    for w in np.flatnonzero(story):
        regressed = kinds[role_of[w]] in ("regressed", "regress-hotfix")
        floor = float(np.quantile(used, 0.98 if regressed else 0.95)) * rng.uniform(1.0, 1.3)
        weight[w] = max(weight[w], floor)


def _contracts(clock: Clock) -> dict[str, list[dict[str, Any]]]:
    """Phase-6 contracts: a superseded, an active and a draft generation of each."""
    base = ["data-ihub-widget", "data-ihub-hub"]
    envelopes = [
        {
            "contract_version": "1.0",
            "required_attributes": jsonb_text(base),
            "optional_attributes": jsonb_text([]),
            "validation_rules": jsonb_text({"data-ihub-widget": "uuid", "data-ihub-hub": "slug"}),
            "description": "First envelope: widget and hub only.",
            "status": "superseded",
            "created_at": clock.start - days(420),
        },
        {
            "contract_version": "1.1",
            "required_attributes": jsonb_text([*base, "data-ihub-version"]),
            "optional_attributes": jsonb_text(["data-ihub-view", "data-ihub-capability"]),
            "validation_rules": jsonb_text(
                {
                    "data-ihub-widget": "uuid",
                    "data-ihub-hub": "slug",
                    "data-ihub-version": "integer",
                }
            ),
            "description": "Adds the widget version so events map to schema snapshots.",
            "status": "active",
            "created_at": clock.start - days(210),
        },
        {
            "contract_version": "2.0",
            "required_attributes": jsonb_text([*base, "data-ihub-version", "data-ihub-state"]),
            "optional_attributes": jsonb_text(["data-ihub-view"]),
            "validation_rules": jsonb_text(
                {"data-ihub-state": "opaque", "data-ihub-version": "integer"}
            ),
            "description": "Draft: state references for annotations.",
            "status": "draft",
            "created_at": clock.ago(40),
        },
    ]
    reporting = [
        {
            "contract_version": "v1",
            "endpoint_path": "/api/v1/interactions",
            "accepted_event_types": jsonb_text(["view", "click", "submit", "error"]),
            "required_fields": jsonb_text(["widget_id", "event_type", "occurred_at"]),
            "auth_scheme": "bearer",
            "description": "Original reporting endpoint.",
            "status": "superseded",
            "created_at": clock.start - days(400),
        },
        {
            "contract_version": "v2",
            "endpoint_path": "/api/v2/hubs/{hub_id}/events",
            "accepted_event_types": jsonb_text(
                ["view", "click", "hover", "submit", "focus", "error", "validation_error"]
            ),
            "required_fields": jsonb_text(["widget_id", "event_type", "occurred_at", "actor_type"]),
            "auth_scheme": "bearer",
            "description": "Per-hub endpoint with hub API keys.",
            "status": "active",
            "created_at": clock.start - days(150),
        },
    ]
    specs = [
        {
            "name": name,
            "framework": framework,
            "version": version,
            "envelope_contract": env,
            "reporting_contract": rep,
            "status": status,
            "notes": None if status == "active" else f"{status.capitalize()} adapter.",
            "created_at": clock.start - days(380 - 60 * i),
            "updated_at": clock.start - days(380 - 60 * i) + days(30 + 20 * i),
        }
        for i, (name, framework, version, env, rep, status) in enumerate(ADAPTERS)
    ]
    return {
        "envelope_emission_contracts": envelopes,
        "interaction_reporting_contracts": reporting,
        "widget_adapter_specs": specs,
    }
