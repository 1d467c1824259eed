"""``ihub snapshot`` throughput against its floor: ``psql``'s binary COPY of the same tables.

The floor is the cheapest way Postgres can hand over the tables: one ``psql``
session running ``COPY <table> TO STDOUT (FORMAT binary)`` for every Inter-Hub
table, output to /dev/null.  ``ihub snapshot`` runs as the user runs it (a fresh
``python -m ihub_analysis snapshot`` process, interpreter start included, just as
the floor includes starting ``psql``).  The two alternate in one run so they see
the same machine; ``psql``'s CSV COPY is timed alongside because it is the
server-side cost of any text-based design.

    python -m benchmarks.snapshot_throughput 1000000 5

The database (``ihub_bench_snapshot_<events>`` on ``IHUB_BENCH_PG``, else
``IHUB_TEST_PG``, else the local server) is filled once by ``ihub synth`` and
kept for later runs.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from ihub_analysis.dbinit import init_database
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.synth import DEFAULT_END, synthesize_postgres

ADMIN_URL = os.environ.get(
    "IHUB_BENCH_PG",
    os.environ.get("IHUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
)
SEED = 7


def _database(events: int) -> str:
    """URL of the benchmark database for ``events``; built (minutes at 10M) when missing."""
    name = f"ihub_bench_snapshot_{events}"
    marker = f"ihub benchmark data: synth events={events} seed={SEED}, complete"
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        found = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        if found is not None and found[0] == marker:
            return url
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    init_database(url)
    synthesize_postgres(url, events=events, seed=SEED, end=DEFAULT_END, progress=False)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("VACUUM ANALYZE")  # as a live database would be: hint bits set, stats fresh
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(marker)
            )
        )
    return url


def _tables(url: str) -> list[str]:
    known = set(inter_hub_schema().table_names)
    with psycopg.connect(url) as con:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return sorted(r[0] for r in rows if r[0] in known)


def _row_count(url: str, tables: list[str]) -> int:
    with psycopg.connect(url) as con:
        return sum(
            con.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]  # type: ignore[index]
            for t in tables
        )


def _psql_copy(url: str, tables: list[str], fmt: str) -> Callable[[], None]:
    """One psql session copying every table to /dev/null."""
    argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url]
    for t in tables:
        argv += ["-c", f'COPY "{t}" TO STDOUT (FORMAT {fmt})']

    def copy() -> None:
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)

    return copy


def _ihub_snapshot(url: str, directory: Path) -> Callable[[], None]:
    out = directory / "bench.duckdb"

    def snap() -> None:
        subprocess.run(
            [sys.executable, "-m", "ihub_analysis", "snapshot", url, str(out)],
            stdout=subprocess.DEVNULL,
            check=True,
        )
        out.unlink()

    return snap


def _timed(fn: Callable[[], None], cpu: list[float] | None = None) -> float:
    """Wall seconds of ``fn``; its child processes' CPU seconds appended to ``cpu``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    fn()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def run(events: int, repeats: int) -> dict:
    """Time the floor and ``ihub snapshot`` ``repeats`` times each, interleaved.

    Returns seconds (median/min/max) per contender and ``ratio`` = median snapshot
    / median floor; ``pair_ratio`` summarises the ratios of back-to-back pairs,
    which a busy machine disturbs less.  ``load_avg`` (before, after) says how
    busy the machine was: numbers from a loaded machine overstate the ratio.
    """
    url = _database(events)
    tables = _tables(url)
    contenders = {"psql_binary": _psql_copy(url, tables, "binary")}
    times: dict[str, list[float]] = {"psql_binary": [], "ihub_snapshot": [], "psql_csv": []}
    cpu: dict[str, list[float]] = {name: [] for name in times}  # the client's own CPU
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ihub-bench-") as tmp:
        contenders["ihub_snapshot"] = _ihub_snapshot(url, Path(tmp))
        contenders["psql_csv"] = _psql_copy(url, tables, "csv")
        for fn in contenders.values():  # warm the caches
            fn()
        for _ in range(repeats):
            for name, fn in contenders.items():
                times[name].append(_timed(fn, cpu[name]))
    pairs = [s / f for s, f in zip(times["ihub_snapshot"], times["psql_binary"], strict=True)]
    return {
        "events": events,
        "rows": _row_count(url, tables),
        "tables": len(tables),
        "repeats": repeats,
        **{name: _stats(values) for name, values in times.items()},
        "ratio": round(
            statistics.median(times["ihub_snapshot"]) / statistics.median(times["psql_binary"]), 3
        ),
        "pair_ratio": _stats(pairs),
        "client_cpu_s": {name: _stats(values) for name, values in cpu.items()},
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


if __name__ == "__main__":
    args = [int(a.replace("_", "")) for a in sys.argv[1:3]]
    print(json.dumps(run(*(args + [1_000_000, 5][len(args) :])), indent=2))
