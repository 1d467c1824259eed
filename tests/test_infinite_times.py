"""±infinity in every timestamp column: an unknown time, the same on both engines.

The same synthetic data goes into Postgres and DuckDB; then, in every timestamp
column of every table, some rows get ``infinity`` and others ``-infinity``.
Every metric method must run on both and agree, and agree with a third copy in
which the documented rule was applied by hand (rows whose required time is
infinite deleted, optional infinite times set to NULL).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from conftest import METRIC_METHODS
from polars.testing import assert_frame_equal

import ihub_analysis
from ihub_analysis.dbinit import init_database
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.synth import DEFAULT_END, synthesize_duckdb, synthesize_postgres
from ihub_analysis.workbench import Workbench

HEX = "0123456789abcdef"


def _plan() -> list[tuple[str, str, bool, str, str]]:
    """(table, column, required, prefix of +infinity ids, prefix of -infinity ids)."""
    plan = []
    k = 0
    for table in inter_hub_schema().tables:
        for col in table.columns:
            if col.pg_type.startswith("timestamp"):
                plan.append((table.name, col.name, col.not_null, HEX[k % 16], HEX[(k + 7) % 16]))
                k += 1
    return plan


def _matches(prefix: str) -> str:
    return f"CAST(id AS TEXT) LIKE '{prefix}%'"


def _infinities(execute: Callable[[str], Any]) -> None:
    for table, col, _, plus, minus in _plan():
        execute(
            f"UPDATE {table} SET {col} = CAST('infinity' AS TIMESTAMPTZ) WHERE {_matches(plus)}"
        )
        execute(
            f"UPDATE {table} SET {col} = CAST('-infinity' AS TIMESTAMPTZ) WHERE {_matches(minus)}"
        )


def _rule_by_hand(execute: Callable[[str], Any]) -> None:
    for table, col, required, plus, minus in _plan():
        hit = f"({_matches(plus)} OR {_matches(minus)})"
        if required:
            execute(f"DELETE FROM {table} WHERE {hit}")
        else:
            execute(f"UPDATE {table} SET {col} = NULL WHERE {hit}")


@pytest.fixture(scope="module")
def engines(
    tmp_path_factory: pytest.TempPathFactory, pg_admin: str
) -> Iterator[tuple[Workbench, Workbench, Workbench]]:
    """Workbenches over Postgres and DuckDB with infinities, and the by-hand reference."""
    name = f"ihub_test_infinity_{uuid.uuid4().hex[:12]}"
    url = pg_admin.rsplit("/", 1)[0] + "/" + name
    folder: Path = tmp_path_factory.mktemp("infinity")
    with psycopg.connect(pg_admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        init_database(url)
        synthesize_postgres(url, events=4000, seed=3, end=DEFAULT_END, progress=False)
        with psycopg.connect(url) as pg:
            pg.execute("SET session_replication_role = replica")  # past append-only triggers
            _infinities(pg.execute)
        paths = {}
        for kind in ("infinite", "reference"):
            paths[kind] = folder / f"{kind}.duckdb"
            synthesize_duckdb(paths[kind], events=4000, seed=3, end=DEFAULT_END, progress=False)
            with duckdb.connect(str(paths[kind])) as duck:
                (_infinities if kind == "infinite" else _rule_by_hand)(duck.execute)
        with (
            ihub_analysis.connect(url) as live,
            ihub_analysis.connect(str(paths["infinite"])) as snap,
            ihub_analysis.connect(str(paths["reference"])) as reference,
        ):
            yield live, snap, reference
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("method", METRIC_METHODS)
def test_every_metric_treats_infinity_as_unknown_time_on_both_engines(
    engines: tuple[Workbench, Workbench, Workbench], method: str
) -> None:
    live, snap, reference = engines
    expected = getattr(reference, method)(as_of=DEFAULT_END, weeks=3)
    for wb in (snap, live):
        got = getattr(wb, method)(as_of=DEFAULT_END, weeks=3)
        assert_frame_equal(expected, got, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def test_the_data_really_holds_infinities(
    engines: tuple[Workbench, Workbench, Workbench],
) -> None:
    live, snap, reference = engines
    probe = (
        "SELECT count(*) AS n FROM interaction_events WHERE NOT isfinite(occurred_at) "
        "UNION ALL SELECT count(*) FROM annotations WHERE NOT isfinite(created_at)"
    )
    for wb in (live, snap):
        counts = wb.sql(probe)["n"].to_list()
        assert all(n > 0 for n in counts), counts
    assert reference.sql(probe)["n"].to_list() == [0, 0]
    assert snap.friction(as_of=DEFAULT_END).height > 0
