"""``ihub synth`` streams its events: bounded chunks, written as they are made, same rows.

The events table is the only one that grows with ``--events``; it is expanded
chunk by chunk and each chunk is committed as it is written, so memory does not
grow with the size asked for (100M events must fit on a laptop).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ihub_analysis.cli import _event_count, main
from ihub_analysis.synth import DEFAULT_END, draft, synthesize_duckdb
from ihub_analysis.synth.traffic import CHUNK_EVENTS, Chunk, event_chunks
from ihub_analysis.synth.vocab import EVENT_TYPES

SEED = 5
ERROR_CODES = [EVENT_TYPES.index("error"), EVENT_TYPES.index("validation_error")]


def _cells(chunk: pa.Table, widget_ids: np.ndarray, day_start: np.ndarray) -> np.ndarray:
    """(widget index, day index, is error) of every event in ``chunk``."""
    raw = np.frombuffer(chunk["widget_id"].combine_chunks().storage.buffers()[1], np.uint8)
    lookup = {bytes(w): i for i, w in enumerate(widget_ids)}
    widget = np.array([lookup[bytes(r)] for r in raw.reshape(-1, 16)])
    us = chunk["occurred_at"].combine_chunks().cast(pa.int64()).to_numpy()
    day = np.searchsorted(day_start, us, side="right") - 1
    codes = chunk["event_type"].combine_chunks().indices.to_numpy()
    return np.column_stack([widget, day, np.isin(codes, ERROR_CODES)])


def test_busy_days_are_split_and_no_chunk_exceeds_twice_the_chunk_size() -> None:
    plan = draft(events=60_000, seed=SEED, end=DEFAULT_END)
    size = 300  # about a day's events at this size: quiet days gather, busy ones split
    per_day = plan.traffic.counts.sum(axis=0)
    assert per_day.max() > size > per_day.min()
    chunks = list(plan.events.chunks(size))
    pieces = event_chunks(plan.traffic.counts, size)
    assert any(p.stop is not None for p in pieces)
    assert any(p.d1 - p.d0 > 1 for p in pieces)
    assert max(c.num_rows for c in chunks) <= 2 * size
    assert sum(c.num_rows for c in chunks) == 60_000
    # Together the chunks expand exactly the drawn day × widget counts and errors.
    cells = np.vstack(
        [_cells(c, plan.events.widget_ids, plan.clock.day_start) for c in chunks]
    ).astype(np.int64)
    counts = np.zeros_like(plan.traffic.counts)
    errors = np.zeros_like(plan.traffic.errors)
    np.add.at(counts, (cells[:, 0], cells[:, 1]), 1)
    np.add.at(errors, (cells[:, 0], cells[:, 1]), cells[:, 2])
    assert np.array_equal(counts, plan.traffic.counts)
    assert np.array_equal(errors, plan.traffic.errors)


def test_the_parts_of_a_split_day_are_its_whole_expansion_cut_in_order() -> None:
    plan = draft(events=60_000, seed=SEED, end=DEFAULT_END)
    day = int(np.argmax(plan.traffic.counts.sum(axis=0)))
    n = int(plan.traffic.counts[:, day].sum())
    whole = plan.events.chunk(0, Chunk(day, day + 1))
    parts = pa.concat_tables(
        plan.events.chunk(k, Chunk(day, day + 1, a, b))
        for k, (a, b) in enumerate([(0, 1), (1, n // 3), (n // 3, n)])
    )
    assert parts.num_rows == whole.num_rows == n
    assert parts["widget_id"].equals(whole["widget_id"])
    is_error = [
        pc.is_in(t["event_type"].combine_chunks().indices, pa.array(ERROR_CODES, pa.int8()))
        for t in (parts, whole)
    ]
    assert is_error[0].equals(is_error[1])


def test_up_to_ten_million_events_every_chunk_is_whole_days() -> None:
    """Below ~25M events no day outgrows a chunk: the plan (and so every row) is unchanged."""
    counts = draft(events=10_000_000, seed=7, end=DEFAULT_END).traffic.counts
    pieces = event_chunks(counts)
    assert all(p.first == 0 and p.stop is None for p in pieces)
    assert [p.d0 for p in pieces] == [0] + [p.d1 for p in pieces[:-1]]
    assert pieces[-1].d1 == counts.shape[1]
    per_day = counts.sum(axis=0)
    assert all(per_day[p.d0 : p.d1].sum() >= CHUNK_EVENTS for p in pieces[:-1])


def test_streamed_file_holds_exactly_the_chunks_in_order(tmp_path: Path) -> None:
    events = 600_000  # three chunks, each its own transaction, re-cut into row groups
    path = tmp_path / "streamed.duckdb"
    synthesize_duckdb(path, events=events, seed=SEED, end=DEFAULT_END, progress=False)
    plan = draft(events=events, seed=SEED, end=DEFAULT_END)
    chunks = list(plan.events.chunks())
    assert len(chunks) >= 3
    expected = pa.concat_tables(chunks)
    expected = expected.append_column("i", pa.array(np.arange(expected.num_rows)))
    columns = [c for c in expected.column_names if c != "i"]
    differ = " OR ".join(f"f.{c} IS DISTINCT FROM m.{c}" for c in columns)
    with duckdb.connect(str(path), read_only=True) as con:
        con.register("m", expected)
        n, matched, differing = con.execute(
            "WITH f AS (SELECT rowid AS i, * FROM interaction_events) "
            f"SELECT (SELECT count(*) FROM f), count(*), count(*) FILTER ({differ}) "
            "FROM f JOIN m USING (i)"
        ).fetchone()
    assert (n, matched, differing) == (events, events, 0)


_PEAK = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from ihub_analysis.synth import DEFAULT_END, synthesize_duckdb
    synthesize_duckdb(Path(sys.argv[2]), events=int(sys.argv[1]), seed=7, end=DEFAULT_END,
                      progress=False)
    print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024))
    """
)


def _peak_mb(events: int, out: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(events), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(json.loads(done.stdout))


@pytest.mark.slow
def test_peak_memory_hardly_grows_with_the_event_count(tmp_path: Path) -> None:
    """15× the events: holding them in one open transaction would add ~110 B each (~300 MB)."""
    small = _peak_mb(200_000, tmp_path / "small.duckdb")
    big = _peak_mb(3_000_000, tmp_path / "big.duckdb")
    assert big - small < 180, (small, big)


def test_the_cli_takes_a_hundred_million_events_and_still_refuses_typos(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _event_count("100000000") == 100_000_000
    assert main(["synth", "--out", str(tmp_path / "x.duckdb"), "--events", "10" * 6]) == 2
    assert "at most 1,000,000,000 events" in capsys.readouterr().err
    assert not (tmp_path / "x.duckdb").exists()
