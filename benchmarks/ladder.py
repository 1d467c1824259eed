"""The DuckDB ladder beyond 10M: streamed synthesis and the metric suite, up to 100M events.

    python -m benchmarks.round2 --sections ladder [--ladder-sizes 10M,100M] [--repeats 3]

Per size, in one run: ``ihub synth`` into a DuckDB file (time, events per
second, peak RSS of the process), the file's size, then the seven-metric suite
on that file (the first run cold, straight after synthesis, then ``repeats``
more), each in its own process like the main ladder
(:mod:`benchmarks.worker`).  A size is skipped, and says so, when the machine
has less than :data:`MIN_AVAILABLE_GB` of memory available when it starts:
other work sharing the machine must not be pushed out.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import child_env, load_avg, run_measured, stats

#: The largest DuckDB sizes: 10M (the top of the main ladder, measured again under the same
#: load for comparison) and 100M.
SIZES = (10_000_000, 100_000_000)
#: Do not start a size with less memory than this available (the synthesis itself needs well
#: under 1 GB; the margin is for everyone else on the machine).
MIN_AVAILABLE_GB = 10.0
METRIC_TIMEOUT = "1800s"


def available_gb() -> float:
    """``MemAvailable`` of ``/proc/meminfo`` in GiB (what ``free -g`` shows as available)."""
    text = Path("/proc/meminfo").read_text()
    found = re.search(r"MemAvailable:\s+(\d+) kB", text)
    return int(found.group(1)) / 2**20 if found else 0.0


def _worker(*args: object) -> list[str]:
    return [sys.executable, "-m", "benchmarks.worker", *[str(a) for a in args]]


def _json(stdout: str) -> dict[str, Any]:
    return json.loads([ln for ln in stdout.splitlines() if ln.startswith("{")][-1])


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def _synth(n: int, path: Path, repeats: int) -> dict[str, Any]:
    runs = []
    for _ in range(repeats):
        _remove(path)
        m = run_measured(_worker("synth-duckdb", "--events", n, "--out", path), env=child_env())
        out = _json(m.stdout)
        runs.append({**out, "wall": m.seconds, "rss": m.peak_rss_mb, "load": load_avg()[0]})
        print(
            f"ladder: synth {n:,}: {out['seconds']:.1f} s, {m.peak_rss_mb:.0f} MB",
            file=sys.stderr,
            flush=True,
        )
    return {
        "rows": runs[0]["rows"],
        "seconds": stats([r["seconds"] for r in runs]),
        "events_per_s": stats([n / r["seconds"] for r in runs], 0),
        "wall_s": stats([r["wall"] for r in runs]),
        "peak_rss_mb": stats([r["rss"] for r in runs], 1),
        "load_after_each": [r["load"] for r in runs],
        "file_bytes": path.stat().st_size,
    }


def _suite(path: Path, as_of: str) -> tuple[dict[str, Any], float]:
    argv = _worker("metrics", "--source", path, "--as-of", as_of, "--timeout", METRIC_TIMEOUT)
    m = run_measured(argv, env=child_env())
    return _json(m.stdout)["metrics"], m.peak_rss_mb


def _metrics(path: Path, as_of: str, repeats: int, metrics: tuple[str, ...]) -> dict[str, Any]:
    cold, cold_rss = _suite(path, as_of)
    runs = []
    for _ in range(repeats):
        runs.append(_suite(path, as_of))
        total = sum(v.get("seconds", 0.0) for v in runs[-1][0].values())
        print(f"ladder: suite on {path.name}: {total:.1f} s", file=sys.stderr, flush=True)
    per: dict[str, Any] = {}
    for k in metrics:
        ok = [r[k] for r, _ in runs if "seconds" in r[k]]
        if len(ok) < len(runs):
            per[k] = {"error": next(r[k]["error"] for r, _ in runs if "error" in r[k])}
            continue
        per[k] = {
            "seconds": stats([v["seconds"] for v in ok]),
            "rows": ok[0]["rows"],
            "peak_rss_mb": stats([v["peak_rss_mb"] for v in ok], 1),
        }
    totals = [sum(r[k].get("seconds", 0.0) for k in metrics) for r, _ in runs]
    return {
        "metrics": per,
        "suite_s": stats(totals),
        "cold_suite_s": round(sum(v.get("seconds", 0.0) for v in cold.values()), 3),
        "cold_errors": {k: v["error"] for k, v in cold.items() if "error" in v},
        "process_peak_rss_mb": stats([rss for _, rss in runs] + [cold_rss], 1),
    }


def section_ladder(
    sizes: tuple[int, ...], repeats: int, work: Path, as_of: str, metrics: tuple[str, ...]
) -> dict[str, Any]:
    """Synthesis and the suite at each size, smallest first; the files are removed after."""
    out: dict[str, Any] = {"repeats": repeats, "sizes": {}}
    for n in sorted(sizes):
        available = available_gb()
        if available < MIN_AVAILABLE_GB:
            out["sizes"][str(n)] = {
                "skipped": f"{available:.1f} GiB available, below {MIN_AVAILABLE_GB:g} GiB"
            }
            continue
        path = work / f"ladder-{n}.duckdb"
        entry: dict[str, Any] = {"available_gib": round(available, 1), "load_avg": [load_avg()]}
        try:
            entry["synth"] = _synth(n, path, repeats)
            entry["suite"] = _metrics(path, as_of, repeats, metrics)
        finally:
            _remove(path)
        entry["load_avg"].append(load_avg())
        out["sizes"][str(n)] = entry
    ok = {n: e for n, e in out["sizes"].items() if "suite" in e}
    if len(ok) >= 2:
        lo, hi = sorted(ok, key=int)[0], sorted(ok, key=int)[-1]
        scale = int(hi) / int(lo)
        out["growth"] = {
            "events": scale,
            "synth_s": round(
                ok[hi]["synth"]["seconds"]["median"] / ok[lo]["synth"]["seconds"]["median"], 2
            ),
            "synth_rss": round(
                ok[hi]["synth"]["peak_rss_mb"]["median"] / ok[lo]["synth"]["peak_rss_mb"]["median"],
                2,
            ),
            "suite_s": round(
                ok[hi]["suite"]["suite_s"]["median"] / ok[lo]["suite"]["suite_s"]["median"], 2
            ),
            "file_bytes": round(ok[hi]["synth"]["file_bytes"] / ok[lo]["synth"]["file_bytes"], 2),
        }
    out["cpus"] = os.cpu_count()
    return out
