"""Metric suite times per source kind: DuckDB snapshot, Parquet + DuckDB, Spark (local).

``python -m benchmarks.scale --events 1000000 --runs 3`` generates synthetic
data into a DuckDB file, exports it with ``ihub export parquet`` and runs the
seven-metric suite (as ``benchmarks.worker metrics`` does) on each source in
turn, alternating the sources between rounds so machine noise hits all of them.
Each suite run is its own process; Spark's session start is measured apart
from the suite.  Results (medians, min–max, load average) are printed as JSON
and appended to ``benchmarks/results/scale.jsonl``; ``docs/scale.md`` cites them.
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

_SUITE = r"""
import json, sys, time
import ihub_analysis
t0 = time.perf_counter()
wb = ihub_analysis.connect(sys.argv[1])
wb.sql("SELECT 1 AS one")
connect_s = time.perf_counter() - t0
times = {}
with wb:
    for kind in sys.argv[3].split(","):
        t = time.perf_counter()
        wb.metric(kind, as_of=sys.argv[2])
        times[kind] = time.perf_counter() - t
print(json.dumps({"connect_s": connect_s, "metrics": times}))
"""


def _suite(source: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _SUITE, source, AS_OF, ",".join(METRICS)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def run(events: int, runs: int, kinds: list[str]) -> dict[str, Any]:
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
        results: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
        for _ in range(runs):
            for kind in kinds:
                results[kind].append(_suite(sources[kind]))
        summary: dict[str, Any] = {
            "events": events,
            "runs": runs,
            "load_avg": os.getloadavg(),
            "export_s": export_s,
            "export_mb": export.size_bytes / 1e6,
            "snapshot_mb": snap.stat().st_size / 1e6,
        }
        for kind, rs in results.items():
            summary[kind] = {
                "suite_s": _stats([sum(r["metrics"].values()) for r in rs]),
                "connect_s": _stats([r["connect_s"] for r in rs]),
                "per_metric_median_s": {
                    m: statistics.median(r["metrics"][m] for r in rs) for m in METRICS
                },
            }
        return summary


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kinds", default="duckdb,parquet,spark")
    args = parser.parse_args()
    summary = run(args.events, args.runs, args.kinds.split(","))
    summary["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(json.dumps(summary, indent=2))
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
