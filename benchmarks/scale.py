"""Metric suite times per source kind: DuckDB snapshot, Postgres, Parquet + DuckDB, Spark.

``python -m benchmarks.scale --events 1000000 --runs 3`` generates synthetic
data into a DuckDB file, exports it with ``ihub export parquet`` and runs the
seven-metric suite (as ``benchmarks.worker metrics`` does) on each source in
turn, alternating the sources between rounds so machine noise hits all of them.
``postgres`` reads the benchmark database of the same size and seed
(``ihub_bench_snapshot_<events>``, built by ``benchmarks.snapshot_throughput``;
``--pg-url`` names another), read-only like any live source.
Each suite run is its own process, bounded by ``--timeout`` seconds (a run cut
off is recorded as such, with the metrics it finished); Spark's session start is
measured apart from the suite.  Results (medians, min–max, load average before
and after) are printed as JSON and appended to ``benchmarks/results/scale.jsonl``;
``docs/scale.md`` cites them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.worker import METRICS

RESULTS = Path(__file__).resolve().parent / "results" / "scale.jsonl"
AS_OF = "2026-11-01T00:00:00Z"
#: The benchmark databases' server (``ihub_bench_snapshot_<events>``, same synth seed).
PG_BASE = "postgresql://postgres@127.0.0.1:5432"

_SUITE = r"""
import json, sys, time
import ihub_analysis
t0 = time.perf_counter()
wb = ihub_analysis.connect(sys.argv[1])
wb.sql("SELECT 1 AS one")
print(json.dumps({"connect_s": time.perf_counter() - t0}), flush=True)
with wb:
    for kind in sys.argv[3].split(","):
        t = time.perf_counter()
        wb.metric(kind, as_of=sys.argv[2])
        print(json.dumps({"metric": kind, "s": time.perf_counter() - t}), flush=True)
"""


def _suite(source: str, timeout: float) -> dict[str, Any]:
    """One suite run in its own process; what it finished if it ran past ``timeout``."""
    try:
        out = subprocess.run(
            [sys.executable, "-c", _SUITE, source, AS_OF, ",".join(METRICS)],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        ).stdout
        timed_out = False
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        timed_out = True
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    result: dict[str, Any] = {"connect_s": None, "metrics": {}, "timed_out": timed_out}
    for line in lines:
        if "connect_s" in line:
            result["connect_s"] = line["connect_s"]
        else:
            result["metrics"][line["metric"]] = line["s"]
    return result


def _stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _kind_summary(rs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the complete runs; a kind with none says how far its runs got."""
    done = [r for r in rs if not r["timed_out"]]
    out: dict[str, Any] = {"complete_runs": len(done), "timed_out_runs": len(rs) - len(done)}
    if done:
        out["suite_s"] = _stats([sum(r["metrics"].values()) for r in done])
        out["connect_s"] = _stats([r["connect_s"] for r in done])
        out["per_metric_median_s"] = {
            m: statistics.median(r["metrics"][m] for r in done) for m in METRICS
        }
    else:
        out["partial_runs"] = rs
    return out


def run(
    events: int, runs: int, kinds: list[str], timeout: float, pg_url: str | None
) -> dict[str, Any]:
    from ihub_analysis.parquet_export import export_parquet
    from ihub_analysis.synth import DEFAULT_END, synthesize_duckdb

    with tempfile.TemporaryDirectory(prefix="ihub-scale-") as tmp:
        snap = Path(tmp) / "synth.duckdb"
        synthesize_duckdb(snap, events=events, seed=7, end=DEFAULT_END, progress=False)
        t = time.perf_counter()
        export = export_parquet(str(snap), Path(tmp) / "export")
        export_s = time.perf_counter() - t
        sources = {"duckdb": str(snap), "parquet": f"parquet:{export.out}"}
        sources["spark"] = f"spark:{export.out}"
        sources["postgres"] = pg_url or f"{PG_BASE}/ihub_bench_snapshot_{events}"
        results: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
        load_before = os.getloadavg()
        for _ in range(runs):
            for kind in kinds:
                results[kind].append(_suite(sources[kind], timeout))
        summary: dict[str, Any] = {
            "events": events,
            "runs": runs,
            "timeout_s": timeout,
            "load_avg_before": load_before,
            "load_avg": os.getloadavg(),
            "export_s": export_s,
            "export_mb": export.size_bytes / 1e6,
            "snapshot_mb": snap.stat().st_size / 1e6,
        }
        for kind, rs in results.items():
            summary[kind] = _kind_summary(rs)
        return summary


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kinds", default="duckdb,postgres,parquet,spark")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per suite run")
    parser.add_argument("--pg-url", help="the Postgres source (default: the benchmark database)")
    args = parser.parse_args()
    summary = run(args.events, args.runs, args.kinds.split(","), args.timeout, args.pg_url)
    summary["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(json.dumps(summary, indent=2))
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
