"""``ihub synth``: deterministic synthetic Inter-Hub data, into DuckDB or Postgres.

The same (``events``, ``seed``, ``end``) always gives the same rows — ids
included — whichever target they are written to.  About 180 days of history
end at ``end``; events are exactly ``events``, and everything people write
(widgets, annotations, candidates, …) grows sub-linearly with it:

==========  ====  =============  ===========  ==========  ===========
events      hubs  widgets / hub  annotations  candidates  deployments
==========  ====  =============  ===========  ==========  ===========
2 000       6     ~21            ~390         ~50         ~20
500 000     8     ~45            ~1 050       ~160        ~50
10 000 000  10    ~57            ~2 400       ~350        ~110
==========  ====  =============  ===========  ==========  ===========

What the data says — painful widgets, fixes, regressions, stalls, cross-hub
patterns — is written down in :mod:`ihub_analysis.synth.story`.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

from ihub_analysis import __version__
from ihub_analysis.errors import BadInput
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.sources import SnapshotMeta
from ihub_analysis.synth.assemble import (
    EVENTS_TABLE,
    TABLE_ORDER,
    Draft,
    SyntheticData,
    draft,
    generate,
)
from ihub_analysis.synth.targets import Progress, postgres_spec, write_duckdb, write_postgres
from ihub_analysis.timeutil import iso_utc, parse_as_of

DEFAULT_END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)

__all__ = [
    "DEFAULT_END",
    "EVENTS_TABLE",
    "TABLE_ORDER",
    "Draft",
    "SynthResult",
    "SyntheticData",
    "draft",
    "generate",
    "synthesize_duckdb",
    "synthesize_postgres",
]


@dataclass(frozen=True)
class SynthResult:
    """What a synth run wrote, where, and how fast."""

    target: str  # the file, or the database URL without its password
    row_counts: dict[str, int]
    seconds: float
    events: int
    seed: int
    end: dt.datetime

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")

    def describe(self) -> str:
        return (
            f"wrote {self.total_rows:,} rows in {len(self.row_counts)} tables "
            f"({self.events:,} interaction events, seed {self.seed}, history ending "
            f"{iso_utc(self.end)}) to {self.target} in {self.seconds:.1f} s"
        )


def _checked(events: int, end: dt.datetime) -> dt.datetime:
    if events < 1:
        raise BadInput(f"--events must be a positive number, got {events}")
    return parse_as_of(end)


def _source_text(events: int, seed: int, end: dt.datetime) -> str:
    return f"synthetic: seed={seed}, events={events}, end={iso_utc(end)}"


def synthesize_duckdb(
    path: Path, *, events: int, seed: int, end: dt.datetime, progress: bool
) -> SynthResult:
    """Write a new DuckDB file at ``path`` (replacing it atomically if it exists)."""
    started = time.perf_counter()
    end = _checked(events, end)
    path = Path(path)
    if path.is_dir():
        raise BadInput(f"{path} is a directory, not a DuckDB file")
    plan = draft(events=events, seed=seed, end=end)

    def meta(counts: dict[str, int]) -> SnapshotMeta:
        return SnapshotMeta(
            taken_at=end,
            source=_source_text(events, seed, end),
            tool_version=__version__,
            schema_fingerprint=inter_hub_schema().fingerprint(),
            row_counts=counts,
        )

    bar = Progress(progress, events)
    data = write_duckdb(plan, path, meta, bar)
    bar.finish()
    return SynthResult(
        str(path), data.row_counts(), time.perf_counter() - started, events, seed, end
    )


def synthesize_postgres(
    url: str, *, events: int, seed: int, end: dt.datetime, progress: bool
) -> SynthResult:
    """Load an empty Inter-Hub database (see ``ihub db init``) in one transaction."""
    started = time.perf_counter()
    end = _checked(events, end)
    spec = postgres_spec(url)
    data = generate(events=events, seed=seed, end=end)
    bar = Progress(progress, events)
    write_postgres(data, spec, bar)
    bar.finish()
    return SynthResult(
        spec.display, data.row_counts(), time.perf_counter() - started, events, seed, end
    )
