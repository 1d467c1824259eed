"""Shared fixtures: throwaway Postgres databases on the local server, paths.

Tests talk to the real PostgreSQL at 127.0.0.1:5432 (``IHUB_TEST_PG`` overrides
the admin URL).  Each test database gets a unique name and is dropped at
teardown, so tests can run in parallel (pytest-xdist) and leave nothing behind.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from builder import World

from ihub_analysis.workbench import Workbench

OpenWorld = Callable[..., Workbench]

#: Every metric method of the workbench (each takes ``as_of=`` and settings).
METRIC_METHODS = [
    "friction",
    "friction_history",
    "bottlenecks",
    "funnel",
    "funnel_annotations",
    "health",
    "health_trend",
    "health_arrows",
    "recorded_health",
    "propagation",
    "changes",
    "changes_summary",
    "change_widgets",
    "change_signals",
]

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_ADMIN_URL = os.environ.get("IHUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _db_url(name: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_admin() -> str:
    """The admin URL of the local server; fails loudly if the server is down."""
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=5) as con:
            con.execute("SELECT 1")
    except psycopg.OperationalError as exc:  # pragma: no cover - environment problem
        pytest.fail(f"local PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
    return PG_ADMIN_URL


@pytest.fixture()
def make_pg_db(pg_admin: str) -> Iterator[Callable[[], str]]:
    """Factory: create an empty throwaway database, return its URL; all dropped afterwards."""
    created: list[str] = []

    def make() -> str:
        name = f"ihub_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _db_url(name)

    yield make
    with psycopg.connect(pg_admin, autocommit=True) as con:
        for name in created:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def empty_pg_db(make_pg_db: Callable[[], str]) -> str:
    """URL of an empty throwaway database."""
    return make_pg_db()


@pytest.fixture(params=["duckdb", "postgres"])
def open_world(
    request: pytest.FixtureRequest, tmp_path: Path, make_pg_db: Callable[[], str]
) -> Iterator[OpenWorld]:
    """``open_world(world, phase=7)`` → a workbench over a hand-built world, on each engine.

    Every hand-computed metric test runs on DuckDB *and* on Postgres: the expected
    values are the spec's, so passing on both is also a parity check of the SQL.
    """
    import ihub_analysis

    opened: list[Workbench] = []

    def open_(world: World, phase: int = 7) -> Workbench:
        if request.param == "duckdb":
            source = world.to_duckdb(tmp_path / f"world{len(opened)}.duckdb", phase=phase)
        else:
            source = world.to_postgres(make_pg_db(), phase=phase)
        wb = ihub_analysis.connect(source)
        opened.append(wb)
        return wb

    yield open_
    for wb in opened:
        wb.close()


@pytest.fixture()
def inter_hub_pg(make_pg_db: Callable[[], str]) -> str:
    """URL of a throwaway database holding the full (phase 7) Inter-Hub schema, no rows."""
    from ihub_analysis.dbinit import init_database

    url = make_pg_db()
    init_database(url)
    return url
