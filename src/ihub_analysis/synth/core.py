"""Seeded streams, UUIDs, the day grid and the size ladder every generator part shares.

Times are integer microseconds since the Unix epoch (UTC) throughout: exact,
cheap to vectorise, and what Arrow's ``timestamp("us", "UTC")`` stores.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from dataclasses import dataclass

import numpy as np

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
MINUTE_US = 60_000_000
HISTORY_DAYS = 180
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: Marks a NULL timestamp inside an int64 column.
NO_TIME = np.iinfo(np.int64).min
_U64_MAX = np.iinfo(np.uint64).max


def stream(seed: int, name: str, *extra: int) -> np.random.Generator:
    """An independent generator per part of the data.

    Keying streams by name means a change to one part (more annotations, say)
    does not shift the draws of every other part.
    """
    return np.random.default_rng([seed % 2**64, zlib.crc32(name.encode()), *extra])


def uuid_bytes(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random version-4 UUIDs as an ``(n, 16)`` uint8 array (RFC 4122 byte order).

    Drawn as pairs of 64-bit words, so setting the version and variant bits is
    two vectorised word operations rather than strided byte edits.
    """
    words = rng.integers(0, _U64_MAX, size=(n, 2), dtype=np.uint64, endpoint=True)
    words[:, 0] = (words[:, 0] & np.uint64(0xFF0FFFFFFFFFFFFF)) | np.uint64(0x0040000000000000)
    words[:, 1] = (words[:, 1] & np.uint64(0xFFFFFFFFFFFFFF3F)) | np.uint64(0x80)
    return words.view(np.uint8).reshape(n, 16)


def gather_rows(rows: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``rows[index]`` for ``(n, 16)`` byte rows, copied as single 16-byte items (much faster)."""
    flat = np.ascontiguousarray(rows).view(np.complex128).ravel()
    return flat[index].view(np.uint8).reshape(len(index), 16)


def to_us(value: dt.datetime) -> int:
    """An aware datetime as microseconds since the epoch (naive is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return (value - EPOCH) // dt.timedelta(microseconds=1)


def from_us(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=int(us))


def days(n: float) -> int:
    """``n`` days in microseconds."""
    return round(n * DAY_US)


@dataclass(frozen=True)
class Clock:
    """The history's day grid: UTC calendar days ending at ``end`` (the last may be partial)."""

    end: int
    day_start: np.ndarray  # int64 µs, one per day
    day_len: np.ndarray  # int64 µs; DAY_US except a partial last day

    @classmethod
    def ending(cls, end: int) -> Clock:
        last_midnight = end - end % DAY_US
        first = last_midnight - HISTORY_DAYS * DAY_US
        n = HISTORY_DAYS + (1 if end > last_midnight else 0)
        starts = first + np.arange(n, dtype=np.int64) * DAY_US
        lengths = np.minimum(DAY_US, end - starts)
        return cls(end, starts, lengths)

    @property
    def start(self) -> int:
        return int(self.day_start[0])

    @property
    def n_days(self) -> int:
        return len(self.day_start)

    def ago(self, n_days: float) -> int:
        return self.end - days(n_days)

    @property
    def weekday(self) -> np.ndarray:
        """0 = Monday … 6 = Sunday (the epoch was a Thursday)."""
        return ((self.day_start // DAY_US + 3) % 7).astype(np.int64)


@dataclass(frozen=True)
class Sizes:
    """How big each part is for a given event count.

    Only events grow linearly; everything a person writes (annotations,
    candidates, widgets) grows sub-linearly, so 10M events still look like one
    organisation rather than a hundred.
    """

    hubs: int
    widgets_per_hub: int
    users: int
    actors: int
    background_annotations: int
    free_candidates: int
    stalls_per_stage: int
    pain_rate: float  # friction annotations per day on a painful widget

    @classmethod
    def for_events(cls, events: int) -> Sizes:
        g = min(max(math.log10(max(events, 1) / 2_000) / math.log10(5_000), 0.0), 1.0)
        return cls(
            hubs=int(min(max(round(8 + 2 * math.log10(max(events, 1) / 500_000)), 6), 10)),
            widgets_per_hub=round(20 + 40 * g),
            users=round(14 + 36 * g),
            actors=int(min(max(events // 25, 40), 400_000)),
            background_annotations=round(40 * (max(events, 1) / 2_000) ** 0.42),
            free_candidates=round(24 * (max(events, 1) / 2_000) ** 0.3),
            stalls_per_stage=round(3 + 5 * g),
            pain_rate=0.4 * min(max((max(events, 1) / 500_000) ** 0.1, 0.6), 1.4),
        )
