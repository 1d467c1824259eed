"""Parity: every metric gives the same rows on Postgres and on a snapshot of it.

Synthetic data is loaded into a throwaway Postgres database, snapshotted with
``ihub snapshot`` into DuckDB, and every workbench method is compared between
the two at several as-of dates — including odd instants between whole days
and one before most of the history, where the funnel and changes are sparse.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import METRIC_METHODS
from polars.testing import assert_frame_equal

import ihub_analysis
from ihub_analysis.dbinit import init_database
from ihub_analysis.snapshot import take_snapshot
from ihub_analysis.synth import DEFAULT_END, synthesize_postgres
from ihub_analysis.workbench import Workbench

AS_OF = [
    DEFAULT_END,
    DEFAULT_END - dt.timedelta(days=17, hours=5, minutes=3, microseconds=7),
    DEFAULT_END - dt.timedelta(days=120, seconds=1),
]


@pytest.fixture(scope="module")
def engines(
    tmp_path_factory: pytest.TempPathFactory, pg_admin: str
) -> Iterator[tuple[Workbench, Workbench]]:
    import psycopg

    name = f"ihub_test_parity_{uuid.uuid4().hex[:12]}"  # unique per xdist worker
    url = pg_admin.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        init_database(url)
        synthesize_postgres(url, events=40_000, seed=11, end=DEFAULT_END, progress=False)
        snapshot = tmp_path_factory.mktemp("parity") / "snap.duckdb"
        take_snapshot(url, snapshot, progress=False)
        with ihub_analysis.connect(url) as live, ihub_analysis.connect(str(snapshot)) as snap:
            yield live, snap
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("as_of", AS_OF, ids=["end", "mid-day", "early"])
@pytest.mark.parametrize("method", METRIC_METHODS)
def test_same_rows_on_postgres_and_snapshot(
    engines: tuple[Workbench, Workbench], method: str, as_of: dt.datetime
) -> None:
    live, snap = engines
    call: Callable[..., object] = getattr(live, method)
    expected = call(as_of=as_of)
    got = getattr(snap, method)(as_of=as_of)
    assert_frame_equal(expected, got, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def test_the_comparison_is_not_vacuous(engines: tuple[Workbench, Workbench]) -> None:
    """The synthetic data gives every metric rows to compare."""
    _, snap = engines
    for method in (
        "friction",
        "bottlenecks",
        "propagation",
        "changes",
        "change_widgets",
        "recorded_health",
    ):
        assert getattr(snap, method)(as_of=DEFAULT_END).height > 0, method


def test_snapshot_default_as_of_is_its_taken_at(
    engines: tuple[Workbench, Workbench], tmp_path: Path
) -> None:
    _, snap = engines
    meta = snap.source.snapshot_meta()
    assert meta is not None
    assert snap.default_as_of() == meta.taken_at
