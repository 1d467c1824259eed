"""Interaction traffic: how many events and errors each widget has each day, then the events.

The day × widget counts are drawn first — a multinomial over expected load, so
the total is exactly the requested number — and the error counts on top of
them.  Everything the rest of the data needs (friction, outcome signals, the
application's own health records) is read from these counts, and the events
themselves are only expanded at the end, a chunk at a time, with vectorised
numpy: nothing is looped in Python per event, and no chunk holds more than
``2 * CHUNK_EVENTS`` events whatever the total, so memory stays flat however
many events are asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pyarrow as pa

from ihub_analysis.synth.arrow import dictionary, json_dictionary, timestamps, uuid_array
from ihub_analysis.synth.core import DAY_US, HOUR_US, Clock, gather_rows, stream, uuid_bytes
from ihub_analysis.synth.story import Pain
from ihub_analysis.synth.vocab import (
    EVENT_TYPES,
    HOUR_PROFILE,
    TYPE_NAMES,
    WEEKDAY_FACTOR,
    WIDGET_TYPES,
    metadata_templates,
)
from ihub_analysis.synth.world import World

#: Events per generated chunk: big enough for fast bulk inserts, small enough that making the
#: next chunk overlaps writing this one, and memory stays flat at any size.
CHUNK_EVENTS = 250_000
ACTOR_TYPES = ("user", "agent", "system")
#: After a fix, a widget errs less than it used to before it went wrong.
FIXED_ERROR_FACTOR = 0.7


@dataclass(frozen=True)
class Traffic:
    expected: np.ndarray  # (widgets, days) relative load
    counts: np.ndarray  # (widgets, days) events
    errors: np.ndarray  # (widgets, days) error events among them


def day_factors(rng: np.random.Generator, clock: Clock) -> np.ndarray:
    """Relative load per day: quiet weekends, slow growth, a little noise, a partial last day."""
    n = clock.n_days
    weekday = np.array(WEEKDAY_FACTOR)[clock.weekday]
    trend = 0.85 + 0.3 * np.arange(n) / n
    return weekday * trend * rng.lognormal(0, 0.07, n) * (clock.day_len / DAY_US)


def first_active_day(world: World, clock: Clock) -> np.ndarray:
    """The first day a widget is used: the day after its creation (0 if it predates the history)."""
    created = world.widgets.created
    day = (created - clock.start) // DAY_US + 1
    return np.where(created < clock.start, 0, day)


def coverage(clock: Clock, start: int, stop: int) -> np.ndarray:
    """Share of each day that lies inside ``[start, stop)``."""
    lo = np.maximum(clock.day_start, start)
    hi = np.minimum(clock.day_start + clock.day_len, stop)
    return np.clip(hi - lo, 0, None) / clock.day_len


def error_probability(world: World, clock: Clock, pains: list[Pain]) -> np.ndarray:
    """Per widget and day, the chance that an event is an error, pains and fixes blended in."""
    base = world.widgets.base_error
    p = np.repeat(base[:, None], clock.n_days, axis=1)
    for pain in pains:
        share = coverage(clock, pain.start, pain.stop)
        p[pain.widget] = p[pain.widget] * (1 - share) + pain.error_rate * share
        if pain.fixed:
            after = coverage(clock, pain.stop, clock.end)
            p[pain.widget] = (
                p[pain.widget] * (1 - after) + base[pain.widget] * FIXED_ERROR_FACTOR * after
            )
    return p


def build_traffic(seed: int, events: int, world: World, clock: Clock, pains: list[Pain]) -> Traffic:
    rng = stream(seed, "traffic")
    active = np.arange(clock.n_days)[None, :] >= first_active_day(world, clock)[:, None]
    expected = world.widgets.weight[:, None] * day_factors(rng, clock)[None, :] * active
    flat = expected.ravel()
    counts = rng.multinomial(events, flat / flat.sum()).reshape(expected.shape)
    p = error_probability(world, clock, pains)
    errors = rng.binomial(counts, p)
    # Story widgets get their expected errors by systematic rounding of the running total
    # instead: every window of days is within one error of its expectation, so a fix or a
    # regression shows even at a few events a day.
    story = sorted({pain.widget for pain in pains})
    running = np.cumsum(counts[story] * p[story], axis=1)
    offset = rng.random((len(story), 1))
    errors[story] = np.diff(np.floor(running + offset), axis=1, prepend=0).astype(np.int64)
    return Traffic(expected, counts, errors)


def times_in_days(rng: np.random.Generator, clock: Clock, day: np.ndarray) -> np.ndarray:
    """A time on each given day, busier in working hours; a partial last day is squeezed to fit."""
    n = len(day)
    hour = _HOUR_LUT[rng.integers(0, LUT_SIZE, n)]
    offset = hour * HOUR_US + rng.integers(0, HOUR_US, n)
    length = clock.day_len[day]
    partial = length < DAY_US
    if partial.any():
        offset[partial] = (offset[partial] * (length[partial] / DAY_US)).astype(np.int64)
    return clock.day_start[day] + offset


@dataclass(frozen=True)
class Chunk:
    """Events ``[first, stop)`` of days ``[d0, d1)``, counted in the order they are expanded.

    Days are expanded cell by cell (day-major, then widget), so a chunk of whole
    days is ``first = 0, stop = None``; a day busier than ``CHUNK_EVENTS`` is
    split into parts that each cover a slice of its cells.
    """

    d0: int
    d1: int
    first: int = 0
    stop: int | None = None


def event_chunks(counts: np.ndarray, size: int = CHUNK_EVENTS) -> list[Chunk]:
    """Consecutive pieces of about ``size`` events each, never more than ``2 * size``.

    Days are gathered until they hold ``size`` events.  A day with more than
    ``size`` events on its own closes the gathered ones and is cut into equal
    parts.  Below about 25M events no day is that busy and every chunk is whole
    days; either way the plan depends only on the counts, so the rows do too.
    """
    per_day = counts.sum(axis=0)
    chunks: list[Chunk] = []
    start, total = 0, 0
    for d, n in enumerate(per_day.tolist()):
        if n > size:
            if d > start:
                chunks.append(Chunk(start, d))
            parts = -(-n // size)
            bounds = [n * k // parts for k in range(parts + 1)]
            chunks += [Chunk(d, d + 1, a, b) for a, b in pairwise(bounds)]
            start, total = d + 1, 0
            continue
        total += n
        if total >= size:
            chunks.append(Chunk(start, d + 1))
            start, total = d + 1, 0
    if start < len(per_day):
        chunks.append(Chunk(start, len(per_day)))
    return chunks


@dataclass(frozen=True)
class EventExpander:
    """Turns the day × widget counts into interaction_events rows, chunk by chunk."""

    seed: int
    clock: Clock
    traffic: Traffic
    widget_ids: np.ndarray  # (widgets, 16) UUID bytes
    widget_type: np.ndarray  # index into TYPE_NAMES
    view_contexts: list[str]
    actors: np.ndarray  # (end users + agents, 16) UUID bytes; agents last
    n_agents: int

    @classmethod
    def for_world(
        cls, seed: int, clock: Clock, traffic: Traffic, world: World, widget_ids: np.ndarray
    ) -> EventExpander:
        return cls(
            seed=seed,
            clock=clock,
            traffic=traffic,
            widget_ids=widget_ids,
            widget_type=np.array([TYPE_NAMES.index(t) for t in world.widgets.wtype]),
            view_contexts=world.widgets.view_context,
            actors=np.vstack([world.end_users, world.agents]),
            n_agents=len(world.agents),
        )

    @property
    def total(self) -> int:
        return int(self.traffic.counts.sum())

    def chunks(self, size: int = CHUNK_EVENTS) -> Iterator[pa.Table]:
        """Every event, chunk by chunk: each chunk has its own random stream, by position."""
        for i, piece in enumerate(event_chunks(self.traffic.counts, size)):
            yield self.chunk(i, piece)

    def chunk(self, index: int, piece: Chunk) -> pa.Table:
        """The events of ``piece``, in day order (good zone maps for time filters)."""
        rng = stream(self.seed, "events", index)
        n_widgets = self.traffic.counts.shape[0]
        d0, d1 = piece.d0, piece.d1
        cells = self.traffic.counts[:, d0:d1].T.ravel()
        errs = self.traffic.errors[:, d0:d1].T.ravel()
        nz = np.flatnonzero(cells)
        cells, errs = cells[nz], errs[nz]
        ends = np.cumsum(cells)
        stop = (int(ends[-1]) if len(ends) else 0) if piece.stop is None else piece.stop
        position = np.arange(piece.first, stop)
        n = len(position)
        cell = np.searchsorted(ends, position, side="right")
        widget = (nz % n_widgets)[cell]
        day = (nz // n_widgets + d0)[cell]
        # Within a cell, the first `errors` events are the errors; their times are random anyway.
        is_error = position - (ends - cells)[cell] < errs[cell]
        occurred = times_in_days(rng, self.clock, day)
        event_type = self._event_types(rng, widget, is_error, n)
        metadata = self._metadata(rng, event_type, n)
        actor_kind = np.searchsorted([0.975, 0.985], rng.random(n), side="right").astype(np.int8)
        n_users = len(self.actors) - self.n_agents
        heavy = rng.random(n)
        actor = np.where(
            actor_kind == 1,
            n_users + rng.integers(0, self.n_agents, n),
            (n_users * heavy * heavy * heavy).astype(np.int64),  # a few heavy users, a long tail
        )
        actor_known = (actor_kind == 1) | ((actor_kind == 0) & (rng.random(n) >= 0.04))
        view_known = rng.random(n) >= 0.07
        return pa.table(
            {
                "id": uuid_array(uuid_bytes(rng, n)),
                "widget_id": uuid_array(gather_rows(self.widget_ids, widget)),
                "event_type": dictionary(event_type, EVENT_TYPES),
                "actor_id": uuid_array(gather_rows(self.actors, actor), actor_known),
                "actor_type": dictionary(actor_kind, ACTOR_TYPES),
                "view_context_ref": dictionary(
                    widget.astype(np.int32), self.view_contexts, view_known
                ),
                "metadata": json_dictionary(metadata, _TEMPLATES),
                "occurred_at": timestamps(occurred),
            }
        )

    def _event_types(
        self, rng: np.random.Generator, widget: np.ndarray, is_error: np.ndarray, n: int
    ) -> np.ndarray:
        wtype = self.widget_type[widget]
        ordinary = _MIX_LUT[wtype, rng.integers(0, LUT_SIZE, n)]
        validation = rng.random(n) < _VALIDATION_SHARE[wtype]
        error_code = np.where(
            validation, EVENT_TYPES.index("validation_error"), EVENT_TYPES.index("error")
        )
        return np.where(is_error, error_code, ordinary).astype(np.int8)

    def _metadata(self, rng: np.random.Generator, event_type: np.ndarray, n: int) -> np.ndarray:
        lo = _META_LO[event_type]
        return (lo + rng.random(n) * (_META_HI[event_type] - lo)).astype(np.int16)


def _lookup(weights: np.ndarray) -> np.ndarray:
    """Category by uniform slot, one row per weight row: a categorical draw becomes one gather."""
    cdf = np.cumsum(weights / weights.sum(axis=-1, keepdims=True), axis=-1)
    slots = (np.arange(LUT_SIZE) + 0.5) / LUT_SIZE
    rows = np.atleast_2d(cdf)
    return np.stack([np.searchsorted(row, slots, side="right") for row in rows]).astype(np.int8)


#: Resolution of the lookup tables: shares are exact to 1/1024, plenty for synthetic traffic.
LUT_SIZE = 1024
_HOUR_LUT = _lookup(np.array(HOUR_PROFILE))[0].astype(np.int64)
_MIX_LUT = _lookup(np.array([WIDGET_TYPES[t][4] for t in TYPE_NAMES]))
_VALIDATION_SHARE = np.array([WIDGET_TYPES[t][3] for t in TYPE_NAMES])
_TEMPLATES, _RANGES = metadata_templates()
_META_LO = np.array([_RANGES[t][0] for t in EVENT_TYPES])
_META_HI = np.array([_RANGES[t][1] for t in EVENT_TYPES])
