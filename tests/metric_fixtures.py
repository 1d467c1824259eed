"""Open a hand-built :class:`~builder.World` on DuckDB *and* on Postgres.

Every hand-computed metric test runs on both engines: the expected values are
the spec's, so passing on both is also a parity check of the portable SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from builder import World

import ihub_analysis
from ihub_analysis.workbench import Workbench

OpenWorld = Callable[..., Workbench]


@pytest.fixture(params=["duckdb", "postgres"])
def open_world(
    request: pytest.FixtureRequest, tmp_path: Path, make_pg_db: Callable[[], str]
) -> Iterator[OpenWorld]:
    """``open_world(world, phase=7)`` → a workbench over the world on this engine."""
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
