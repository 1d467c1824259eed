"""The measured steps, each run in a fresh process by the harness; one JSON line on stdout.

    python -m benchmarks.worker synth-duckdb --events N --out FILE
    python -m benchmarks.worker synth-pg --events N --url URL
    python -m benchmarks.worker profile-synth-pg --events N --url URL
    python -m benchmarks.worker snapshot --url URL --out FILE
    python -m benchmarks.worker metrics --source S --as-of ISO [--timeout 120s]

Times are taken inside the process around the library call (interpreter start
and imports excluded: the harness records the process wall time beside them).
``metrics`` resets the process's peak-RSS mark (``/proc/self/clear_refs``)
before each metric so every metric gets its own peak; on Postgres it also reads
the peak of the server backend that ran the query (its leader process).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

#: The seven metrics of the suite, by their CLI names (health trend: 12 weekly points).
METRICS = ("friction", "bottlenecks", "funnel", "health", "health-trend", "propagation", "changes")
METRIC_SETTINGS: dict[str, dict[str, Any]] = {"health-trend": {"weeks": 12}}


def _hwm_kb(pid: int | str = "self") -> int | None:
    """Peak resident set (VmHWM) of a process in kB, or None if it cannot be read."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+)", text)
    return int(found.group(1)) if found else None


def _reset_hwm(pid: int | str = "self") -> bool:
    """Reset a process's peak-RSS mark to its current RSS (Linux ≥ 4.0)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


def synth_duckdb(args: argparse.Namespace) -> dict[str, Any]:
    from ihub_analysis import synth

    result = synth.synthesize_duckdb(
        Path(args.out), events=args.events, seed=args.seed, end=synth.DEFAULT_END, progress=False
    )
    return {"seconds": result.seconds, "rows": result.total_rows, "events": result.events}


def synth_pg(args: argparse.Namespace) -> dict[str, Any]:
    from ihub_analysis import synth

    result = synth.synthesize_postgres(
        args.url, events=args.events, seed=args.seed, end=synth.DEFAULT_END, progress=False
    )
    return {"seconds": result.seconds, "rows": result.total_rows, "events": result.events}


def _server_cpu_s() -> float:
    """CPU seconds used so far by the Postgres server's processes, living and exited."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :]
        if name.startswith("postgres"):
            fields = rest.split()
            # utime, stime, and cutime, cstime: the postmaster collects its exited backends'
            total += sum(int(f) for f in fields[11:15])
    return total / tick


def _wal_lsn(url: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        return str(con.execute("SELECT pg_current_wal_lsn()").fetchone()[0])  # type: ignore[index]


def profile_synth_pg(args: argparse.Namespace) -> dict[str, Any]:
    """``synth_pg`` under cProfile, with the server's CPU time and WAL volume beside it."""
    import psycopg

    import ihub_analysis.synth.targets  # noqa: F401 -- imports are not what is profiled
    from benchmarks.profiling import pg_insert_breakdown, python_profile

    lsn = _wal_lsn(args.url)
    server0, client0, wall0 = _server_cpu_s(), time.process_time(), time.perf_counter()
    result = python_profile(synth_pg, args)
    wall = time.perf_counter() - wall0
    client, server = time.process_time() - client0, _server_cpu_s() - server0
    with psycopg.connect(args.url, autocommit=True) as con:
        wal, size = con.execute(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s), "
            "pg_database_size(current_database())",
            [lsn],
        ).fetchone()  # type: ignore[misc]
    result.update(
        {
            "wall_s": round(wall, 3),
            "client_cpu_s": round(client, 3),
            "server_cpu_s": round(server, 3),
            "wal_bytes": int(wal),
            "database_bytes": int(size),
            "insert_breakdown": pg_insert_breakdown(args.url),
        }
    )
    return result


def snapshot(args: argparse.Namespace) -> dict[str, Any]:
    from ihub_analysis.snapshot import take_snapshot

    start = time.perf_counter()
    result = take_snapshot(args.url, Path(args.out), progress=False)
    return {
        "seconds": time.perf_counter() - start,
        "rows": sum(result.meta.row_counts.values()),
        "bytes": Path(args.out).stat().st_size,
    }


def metrics(args: argparse.Namespace) -> dict[str, Any]:
    import ihub_analysis

    start = time.perf_counter()
    wb = ihub_analysis.connect(args.source, statement_timeout=args.timeout)
    backend: int | None = None
    with wb:
        wb.sql("SELECT 1")  # the connection is made and warm
        if wb.source.kind == "postgres":
            backend = int(wb.sql("SELECT pg_backend_pid() AS pid")["pid"][0])
        connect_s = time.perf_counter() - start
        out: dict[str, Any] = {}
        for kind in args.metrics.split(","):
            _reset_hwm()
            before = _hwm_kb()  # = the current RSS right after the reset
            backend_reset = backend is not None and _reset_hwm(backend)
            t0 = time.perf_counter()
            try:
                frame = wb.metric(kind, as_of=args.as_of, **METRIC_SETTINGS.get(kind, {}))
            except Exception as exc:  # a timeout is a result, not a crash
                out[kind] = {"error": str(exc).splitlines()[0][:300]}
                continue
            seconds = time.perf_counter() - t0
            out[kind] = {
                "seconds": seconds,
                "rows": frame.height,
                "peak_rss_mb": _mb(_hwm_kb()),
                "rss_before_mb": _mb(before),
                "backend_peak_rss_mb": _mb(_hwm_kb(backend)) if backend_reset else None,
            }
    return {"engine": wb.source.kind, "connect_s": connect_s, "metrics": out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("synth-duckdb")
    p.add_argument("--events", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=synth_duckdb)
    p = sub.add_parser("synth-pg")
    p.add_argument("--events", type=int, required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=synth_pg)
    p = sub.add_parser("profile-synth-pg")
    p.add_argument("--events", type=int, required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=profile_synth_pg)
    p = sub.add_parser("snapshot")
    p.add_argument("--url", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=snapshot)
    p = sub.add_parser("metrics")
    p.add_argument("--source", required=True)
    p.add_argument("--as-of", required=True)
    p.add_argument("--metrics", default=",".join(METRICS))
    p.add_argument("--timeout", default=None, help="Postgres statement_timeout, e.g. 120s")
    p.set_defaults(func=metrics)
    args = parser.parse_args(argv)
    result = args.func(args)
    with contextlib.suppress(BrokenPipeError):
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
