"""The benchmark ladder: every section at every size, A and B interleaved, results as one dict.

Per size the steps share their data: synthetic events go into DuckDB and into a
throwaway Postgres database; that database (after ``VACUUM ANALYZE``, as
autovacuum would leave it) is snapshotted with ``ihub snapshot`` and the
snapshot is what the DuckDB side of the metric comparison reads — so both
engines see identical rows.  Reports render from the same DuckDB file.  Every
database and file made here is removed again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from benchmarks import profiling
from benchmarks.common import (
    ADMIN_URL,
    DB_PREFIX,
    Measured,
    create_db,
    db_exists,
    drop_db,
    load_avg,
    machine,
    now_iso,
    ratio_stats,
    run_measured,
    scaling_exponent,
    stats,
    versions,
)
from benchmarks.worker import METRICS

M = 1_000_000
REPORT_NAMES = ("friction", "bottlenecks", "health", "changes")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_OUTPUT = RESULTS_DIR / "latest.json"


@dataclass
class Config:
    """What to run; :func:`full_config` and :func:`quick_config` are the two presets."""

    mode: str
    sizes: list[int]
    pg_max_events: int  # Postgres steps run up to this many events
    no_stats_max_events: int  # metrics on a never-analysed Postgres database up to this size
    repeats: int  # cheap steps (DuckDB synthesis)
    heavy_repeats: int  # Postgres loads, snapshots, metric suites, reports
    big_repeats: int  # DuckDB steps at >= 10M events
    pg_big_repeats: int  # Postgres loads at >= 10M events
    snapshot_sizes: list[int]
    report_sizes: list[int]
    reports: list[str]
    demo_repeats: int
    demo_events: int | None  # None: the demo's own default (500k)
    metric_timeout: str
    warmup: bool
    python_profile_events: int
    admin_url: str = ADMIN_URL
    extra: dict[str, Any] = field(default_factory=dict)


def full_config() -> Config:
    return Config(
        mode="full",
        sizes=[100_000, M, 10 * M],
        pg_max_events=10 * M,
        no_stats_max_events=M,
        repeats=5,
        heavy_repeats=3,
        big_repeats=3,
        pg_big_repeats=1,
        snapshot_sizes=[100_000, M, 10 * M],
        report_sizes=[100_000, M, 10 * M],
        reports=list(REPORT_NAMES),
        demo_repeats=3,
        demo_events=None,
        metric_timeout="600s",
        warmup=True,
        python_profile_events=M,
    )


def quick_config() -> Config:
    return Config(
        mode="quick",
        sizes=[1_000, 10_000],
        pg_max_events=10_000,
        no_stats_max_events=10_000,
        repeats=1,
        heavy_repeats=1,
        big_repeats=1,
        pg_big_repeats=1,
        snapshot_sizes=[10_000],
        report_sizes=[10_000],
        reports=["health"],
        demo_repeats=1,
        demo_events=1_000,
        metric_timeout="120s",
        warmup=False,
        python_profile_events=1_000,
    )


def _log(text: str) -> None:
    print(f"bench {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def _size(n: int) -> str:
    return f"{n // M}M" if n % M == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def _worker(*args: Any) -> list[str]:
    return [sys.executable, "-m", "benchmarks.worker", *[str(a) for a in args]]


def _ihub(*args: Any) -> list[str]:
    return [sys.executable, "-m", "ihub_analysis", *[str(a) for a in args]]


def _json_out(m: Measured) -> dict[str, Any]:
    lines = [ln for ln in m.stdout.strip().splitlines() if ln.startswith("{")]
    return json.loads(lines[-1])


def _remove_duckdb(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


class Ladder:
    """Runs the configured sections and collects the results dict."""

    def __init__(self, cfg: Config, scratch: Path) -> None:
        self.cfg = cfg
        self.scratch = scratch
        self.tag = f"{DB_PREFIX}_{os.getpid()}"
        self.databases: list[str] = []
        self.errors: list[dict[str, str]] = []
        self.commands: dict[str, str] = {}
        self.sections: dict[str, dict[str, Any]] = {
            name: {"by_size": {}, "load_avg": {}}
            for name in ("synth", "snapshot", "metrics", "reports")
        }
        self.sections["demo"] = {}
        self.sections["profile"] = {}

    # ------------------------------------------------------------ plumbing
    def _command(self, key: str, argv: list[str]) -> None:
        """Remember one concrete command per kind of step (shown in the doc)."""
        shown = [Path(a).name if a == sys.executable else a for a in argv]
        self.commands.setdefault(key, " ".join(shown))

    @contextlib.contextmanager
    def _guard(self, where: str) -> Iterator[None]:
        """Record a failing step and go on with the next one."""
        try:
            yield
        except Exception as exc:
            _log(f"FAILED {where}: {exc}")
            self.errors.append(
                {"where": where, "error": str(exc)[:2000], "trace": traceback.format_exc()[-2000:]}
            )

    def _step(self, key: str, argv: list[str], label: str) -> dict[str, Any]:
        """Run one worker step: its JSON, process wall time and peak RSS."""
        self._command(key, argv)
        m = run_measured(argv)
        out = {**_json_out(m), "wall": m.seconds, "rss": m.peak_rss_mb}
        _log(f"{label}: {out['seconds']:.2f} s")
        return out

    def _new_db(self, label: str) -> tuple[str, str]:
        name = f"{self.tag}_{label}"
        url = create_db(name, self.cfg.admin_url)
        self.databases.append(name)
        return name, url

    def _drop(self, name: str) -> None:
        drop_db(name, self.cfg.admin_url)
        if name in self.databases:
            self.databases.remove(name)

    def cleanup(self) -> None:
        for name in list(self.databases):
            with contextlib.suppress(Exception):
                self._drop(name)

    # ------------------------------------------------------------- the run
    def run(self) -> None:
        pg_sizes = [n for n in self.cfg.sizes if n <= self.cfg.pg_max_events]
        self.largest_pg = max(pg_sizes) if pg_sizes else 0
        for n in self.cfg.sizes:
            with self._guard(f"size {_size(n)}"):
                self.run_size(n)
        with self._guard("demo"):
            self.sections["demo"] = self.demo()
        with self._guard("python profile"):
            self.sections["profile"]["python"] = self.python_profile()

    def run_size(self, n: int) -> None:
        """Every section at ``n`` events, sharing one data set."""
        work = self.scratch / _size(n)
        work.mkdir(parents=True, exist_ok=True)
        pg = n <= self.cfg.pg_max_events
        try:
            db = self.synth(n, work, pg)
            duck = work / "synth.duckdb"
            if db is not None:
                url = db[1]
                if n <= self.cfg.no_stats_max_events:
                    with self._guard(f"metrics freshly loaded at {_size(n)}"):
                        self.no_stats_metrics(n, url)
                analyze_s = self.analyze(url)
                self.sections["metrics"]["by_size"].setdefault(_size(n), {})["analyze_s"] = (
                    analyze_s
                )
                with self._guard(f"snapshot of the synthetic database at {_size(n)}"):
                    duck = self.snapshot_synthetic(n, url, work)
            else:
                url = None
            if n in self.cfg.snapshot_sizes:
                with self._guard(f"snapshot throughput at {_size(n)}"):
                    self.snapshot_throughput(n)
            with self._guard(f"metrics at {_size(n)}"):
                self.metrics(n, duck, url)
            with self._guard(f"metric profiles at {_size(n)}"):
                self.metric_profiles(n, duck, url)
            if n in self.cfg.report_sizes:
                with self._guard(f"reports at {_size(n)}"):
                    self.reports(n, duck, work)
            if db is not None:
                self._drop(db[0])
        finally:
            shutil.rmtree(work, ignore_errors=True)

    # ---------------------------------------------------------- synthesis
    def synth(self, n: int, work: Path, pg: bool) -> tuple[str, str] | None:
        """DuckDB and Postgres loads interleaved; keeps the last DuckDB file and database."""
        section = self.sections["synth"]
        section["load_avg"][_size(n)] = load_avg()
        big = n >= 10 * M
        r_duck = self.cfg.big_repeats if big else self.cfg.repeats
        r_pg = (self.cfg.pg_big_repeats if big else self.cfg.heavy_repeats) if pg else 0
        runs: dict[str, list[dict[str, Any]]] = {"duckdb": [], "postgres": []}
        kept: tuple[str, str] | None = None
        out = work / "synth.duckdb"
        for r in range(max(r_duck, r_pg)):
            if r < r_duck:
                _remove_duckdb(out)
                argv = _worker("synth-duckdb", "--events", n, "--out", out)
                label = f"[{_size(n)}] synth duckdb {r + 1}/{r_duck}"
                runs["duckdb"].append(self._step("synth_duckdb", argv, label))
            if r < r_pg:
                name, url = self._new_db(f"{_size(n).lower()}_{r}")
                init = _ihub("db", "init", url)
                self._command("db_init", init)
                run_measured(init)
                argv = _worker("synth-pg", "--events", n, "--url", url)
                label = f"[{_size(n)}] synth postgres {r + 1}/{r_pg}"
                runs["postgres"].append(self._step("synth_pg", argv, label))
                if kept is not None:
                    self._drop(kept[0])
                kept = (name, url)
        entry: dict[str, Any] = {}
        for target, rs in runs.items():
            if not rs:
                entry[target] = {
                    "skipped": f"Postgres steps run up to {self.cfg.pg_max_events:,} events"
                }
                continue
            entry[target] = {
                "events": n,
                "rows": rs[0]["rows"],
                "seconds": stats([x["seconds"] for x in rs]),
                "events_per_s": stats([n / x["seconds"] for x in rs], 0),
                "wall_s": stats([x["wall"] for x in rs]),
                "peak_rss_mb": stats([x["rss"] for x in rs], 1),
            }
        section["by_size"][_size(n)] = entry
        return kept

    def analyze(self, url: str) -> float:
        start = time.perf_counter()
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("VACUUM ANALYZE")
        return round(time.perf_counter() - start, 3)

    # ----------------------------------------------------------- snapshot
    def snapshot_synthetic(self, n: int, url: str, work: Path) -> Path:
        """``ihub snapshot`` of the synthetic database: time and peak RSS; the file is kept."""
        out = work / "snapshot.duckdb"
        reps = self.cfg.pg_big_repeats if n >= 10 * M else self.cfg.heavy_repeats
        rs = []
        for r in range(reps):
            _remove_duckdb(out)
            argv = _worker("snapshot", "--url", url, "--out", out)
            label = f"[{_size(n)}] ihub snapshot of the synthetic database {r + 1}/{reps}"
            rs.append(self._step("snapshot_worker", argv, label))
        section = self.sections["snapshot"]["by_size"].setdefault(_size(n), {})
        section["synthetic"] = {
            "events": n,
            "rows": rs[0]["rows"],
            "bytes": rs[-1]["bytes"],
            "seconds": stats([x["seconds"] for x in rs]),
            "rows_per_s": stats([x["rows"] / x["seconds"] for x in rs], 0),
            "wall_s": stats([x["wall"] for x in rs]),
            "peak_rss_mb": stats([x["rss"] for x in rs], 1),
        }
        return out

    def snapshot_throughput(self, n: int) -> None:
        """``benchmarks.snapshot_throughput.run``: ``ihub snapshot`` ÷ ``psql`` binary COPY."""
        from benchmarks import snapshot_throughput

        self.sections["snapshot"]["load_avg"][_size(n)] = load_avg()
        name = f"ihub_bench_snapshot_{n}"
        existed = db_exists(name, self.cfg.admin_url)
        reps = self.cfg.big_repeats if n >= 10 * M else self.cfg.repeats
        start = time.perf_counter()
        try:
            result = snapshot_throughput.run(n, reps)
        finally:
            if not existed:  # made for this run: a throwaway; a colleague's is left alone
                with contextlib.suppress(Exception):
                    drop_db(name, self.cfg.admin_url)
        result["database_reused"] = existed
        result["section_seconds"] = round(time.perf_counter() - start, 1)
        self.commands.setdefault(
            "snapshot_throughput",
            "python -c 'from benchmarks import snapshot_throughput as s; "
            f"print(s.run({n}, {reps}))'",
        )
        self.sections["snapshot"]["by_size"].setdefault(_size(n), {})["throughput"] = result
        _log(f"[{_size(n)}] snapshot / psql binary COPY = {result.get('ratio')}")

    # ------------------------------------------------------------ metrics
    def _suite(self, source: str, timeout: str | None = None) -> tuple[dict[str, Any], Measured]:
        argv = _worker("metrics", "--source", source, "--as-of", _as_of())
        if timeout:
            argv += ["--timeout", timeout]
        self._command("metrics_worker", argv)
        m = run_measured(argv)
        return _json_out(m), m

    def no_stats_metrics(self, n: int, url: str) -> None:
        """The suite once on the freshly loaded database: only the loader's own ``ANALYZE``."""
        out, _ = self._suite(url, self.cfg.metric_timeout)
        per = {k: v.get("seconds") for k, v in out["metrics"].items()}
        slowest = max((k for k, v in per.items() if v is not None), key=lambda k: per[k] or 0)
        entry: dict[str, Any] = {
            "metrics": out["metrics"],
            "total_s": round(sum(v for v in per.values() if v), 3),
            "slowest": slowest,
            "timeout": self.cfg.metric_timeout,
        }
        _log(f"[{_size(n)}] postgres freshly loaded: slowest {slowest} {per[slowest]:.2f} s")
        if n == min(self.largest_pg, self.cfg.no_stats_max_events):
            statement = profiling.metric_sql(url, slowest, _as_of_dt())
            entry["profile"] = profiling.pg_profile(url, statement, self.cfg.metric_timeout)
            entry["profile"].update({"metric": slowest, "events": n})
        self.sections["metrics"]["by_size"].setdefault(_size(n), {})["postgres_no_stats"] = entry

    def metrics(self, n: int, duck: Path, url: str | None) -> None:
        """DuckDB and Postgres suites alternating (A B, B A, …); per-metric times, ratios, RSS."""
        self.sections["metrics"]["load_avg"][_size(n)] = load_avg()
        sources = {"duckdb": str(duck)}
        if url:
            sources["postgres"] = url
        if self.cfg.warmup:
            for src in sources.values():
                self._suite(src, self.cfg.metric_timeout)
        reps = self.cfg.heavy_repeats
        runs: dict[str, list[tuple[dict[str, Any], Measured]]] = {k: [] for k in sources}
        for r in range(reps):
            order = list(sources) if r % 2 == 0 else list(reversed(sources))
            for engine in order:
                runs[engine].append(self._suite(sources[engine], self.cfg.metric_timeout))
                total = sum(v.get("seconds", 0) for v in runs[engine][-1][0]["metrics"].values())
                _log(f"[{_size(n)}] metrics {engine} {r + 1}/{reps}: suite {total:.2f} s")
        entry = self.sections["metrics"]["by_size"].setdefault(_size(n), {})
        entry["events"] = n
        entry["duckdb_source"] = (
            "snapshot of the Postgres database" if url else "synthetic DuckDB file"
        )
        for engine, rs in runs.items():
            entry[engine] = _suite_stats(rs)
        if "postgres" in runs:
            entry["ratio_duckdb_over_postgres"] = {
                k: ratio_stats(
                    [o["metrics"][k]["seconds"] for o, _ in runs["duckdb"]],
                    [o["metrics"][k]["seconds"] for o, _ in runs["postgres"]],
                )
                for k in METRICS
                if all("seconds" in o["metrics"][k] for o, _ in runs["duckdb"] + runs["postgres"])
            }
            entry["same_row_counts"] = all(
                runs["duckdb"][0][0]["metrics"][k].get("rows")
                == runs["postgres"][0][0]["metrics"][k].get("rows")
                for k in METRICS
            )
        else:
            entry["postgres"] = {
                "skipped": f"Postgres steps run up to {self.cfg.pg_max_events:,} events"
            }

    def metric_profiles(self, n: int, duck: Path, url: str | None) -> None:
        """Plan profile of the slowest metric per engine, at the largest size each engine ran."""
        entry = self.sections["metrics"]["by_size"].get(_size(n), {})
        prof = self.sections["profile"]
        targets: list[tuple[str, str]] = []
        if n == max(self.cfg.sizes):
            targets.append(("duckdb", str(duck)))
        if url and n == self.largest_pg:
            targets.append(("postgres", url))
        for engine, source in targets:
            per = entry.get(engine, {}).get("metrics", {})
            timed = {k: v["seconds"]["median"] for k, v in per.items() if "seconds" in v}
            if not timed:
                continue
            slowest = max(timed, key=lambda k: timed[k])
            statement = profiling.metric_sql(source, slowest, _as_of_dt())
            if engine == "duckdb":
                result = profiling.duckdb_profile(duck, statement)
            else:
                result = profiling.pg_profile(source, statement, self.cfg.metric_timeout)
            result.update({"metric": slowest, "events": n, "timed_median_s": timed[slowest]})
            prof[f"slowest_metric_{engine}"] = result
            _log(f"[{_size(n)}] profiled {slowest} on {engine}: {result['total_ms']:.0f} ms")

    # ------------------------------------------------------------ reports
    def reports(self, n: int, duck: Path, work: Path) -> None:
        """Each report alone (``--jobs 1``), the reports interleaved round by round."""
        self.sections["reports"]["load_avg"][_size(n)] = load_avg()
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in self.cfg.reports}
        for r in range(self.cfg.heavy_repeats):
            for name in self.cfg.reports:
                out = work / f"reports-{r}-{name}"
                argv = _ihub("report", name, "--source", duck, "--out", out, "--jobs", 1)
                self._command("report", argv)
                m = run_measured(argv, cwd=work)
                runs[name].append(_report_run(m, out, name))
                shutil.rmtree(out, ignore_errors=True)
                _log(f"[{_size(n)}] report {name} {r + 1}: {runs[name][-1]['render_s']} s")
        self.sections["reports"]["by_size"][_size(n)] = {
            name: _report_stats(rs) for name, rs in runs.items()
        }

    # --------------------------------------------------------------- demo
    def demo(self) -> dict[str, Any]:
        """``ihub demo`` from nothing: a fresh working directory, so no data/demo.duckdb exists."""
        entry: dict[str, Any] = {"load_avg": load_avg()}
        runs = []
        for r in range(self.cfg.demo_repeats):
            home = self.scratch / f"demo-{r}"
            home.mkdir()
            argv = _ihub("demo", "--out", home / "reports")
            if self.cfg.demo_events:
                argv += ["--events", str(self.cfg.demo_events)]
            self._command("demo", ["cd", "$(mktemp -d)", "&&", *argv])
            m = run_measured(argv, cwd=home)
            runs.append(_demo_run(m, home))
            shutil.rmtree(home, ignore_errors=True)
            _log(f"demo {r + 1}/{self.cfg.demo_repeats}: {m.seconds:.1f} s")
        entry["events"] = self.cfg.demo_events or 500_000
        entry["wall_s"] = stats([x["wall"] for x in runs], 2)
        entry["peak_rss_mb"] = stats([x["rss"] for x in runs], 1)
        entry["synth_s"] = stats([x["synth_s"] for x in runs if x["synth_s"] is not None] or [0])
        entry["board_s"] = stats([x["board_s"] for x in runs if x["board_s"] is not None] or [0])
        entry["reports"] = {
            name: {
                "render_s": stats([x["render"][name] for x in runs if name in x["render"]], 2),
                "html_bytes": runs[-1]["sizes"].get(f"{name}.html"),
            }
            for name in REPORT_NAMES
        }
        entry["index_html_bytes"] = runs[-1]["sizes"].get("index.html")
        return entry

    # ------------------------------------------------------ Python profile
    def python_profile(self) -> dict[str, Any]:
        """cProfile of loading synthetic data into Postgres (the slowest load per event)."""
        n = self.cfg.python_profile_events
        name, url = self._new_db(f"profile_{_size(n).lower()}")
        try:
            run_measured(_ihub("db", "init", url))
            m = run_measured(_worker("profile-synth-pg", "--events", n, "--url", url))
            result = _json_out(m)
        finally:
            self._drop(name)
        result.update({"step": "synthesize_postgres", "events": n})
        _log(f"profiled synthesize_postgres at {_size(n)}: {result['total_s']} s")
        return result


# ------------------------------------------------------------------ helpers
def _as_of() -> str:
    from ihub_analysis.synth import DEFAULT_END

    return DEFAULT_END.isoformat().replace("+00:00", "Z")


def _as_of_dt() -> dt.datetime:
    from ihub_analysis.synth import DEFAULT_END

    return DEFAULT_END


def _suite_stats(rs: list[tuple[dict[str, Any], Measured]]) -> dict[str, Any]:
    """Per metric: seconds, rows, peak RSS (client and, on Postgres, the backend)."""
    outs = [o for o, _ in rs]
    per: dict[str, Any] = {}
    for k in METRICS:
        vals = [o["metrics"][k] for o in outs]
        ok = [v for v in vals if "seconds" in v]
        if len(ok) < len(vals):
            per[k] = {"error": next(v["error"] for v in vals if "error" in v)}
            continue
        item: dict[str, Any] = {
            "seconds": stats([v["seconds"] for v in ok]),
            "rows": ok[0]["rows"],
            "peak_rss_mb": stats([v["peak_rss_mb"] for v in ok if v["peak_rss_mb"]] or [0], 1),
            "rss_growth_mb": stats(
                [v["peak_rss_mb"] - v["rss_before_mb"] for v in ok if v.get("rss_before_mb")]
                or [0],
                1,
            ),
        }
        backend = [v["backend_peak_rss_mb"] for v in ok if v.get("backend_peak_rss_mb")]
        if backend:
            item["backend_peak_rss_mb"] = stats(backend, 1)
        per[k] = item
    totals = [sum(o["metrics"][k].get("seconds", 0.0) for k in METRICS) for o in outs]
    return {
        "metrics": per,
        "suite_s": stats(totals),
        "connect_s": stats([o["connect_s"] for o in outs]),
        "process_wall_s": stats([m.seconds for _, m in rs]),
        "process_peak_rss_mb": stats([m.peak_rss_mb for _, m in rs], 1),
    }


_DONE = re.compile(r"report (\w+): done in ([\d.]+) s")
_BOARD = re.compile(r"board: done in ([\d.]+) s")
_SYNTH = re.compile(r"demo: wrote .* in ([\d.]+) s")


def _notebook_timing(path: Path) -> dict[str, Any]:
    """Papermill's timings in an executed notebook: kernel start, cells, the slowest cells."""
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    meta = nb.get("metadata", {}).get("papermill", {})
    cells = []
    for cell in nb.get("cells", []):
        pm = cell.get("metadata", {}).get("papermill", {})
        if cell.get("cell_type") == "code" and pm.get("duration") is not None:
            source = "".join(cell.get("source", ""))
            first = next((ln for ln in source.splitlines() if ln.strip()), "")
            cells.append((float(pm["duration"]), first[:90], pm.get("start_time")))
    start = meta.get("start_time")
    first_cell = cells[0][2] if cells else None
    kernel_start = None
    if start and first_cell:
        kernel_start = (
            dt.datetime.fromisoformat(first_cell) - dt.datetime.fromisoformat(start)
        ).total_seconds()
    top = sorted(cells, key=lambda c: -c[0])[:3]
    return {
        "papermill_s": meta.get("duration"),
        "kernel_start_s": kernel_start,
        "cells_s": round(sum(c[0] for c in cells), 3),
        "slowest_cells": [{"seconds": round(c[0], 3), "first_line": c[1]} for c in top],
    }


def _report_run(m: Measured, out: Path, name: str) -> dict[str, Any]:
    done = {k: float(v) for k, v in _DONE.findall(m.stderr)}
    html = out / f"{name}.html"
    return {
        "wall": m.seconds,
        "rss": m.peak_rss_mb,
        "render_s": done.get(name),
        "html_bytes": html.stat().st_size if html.exists() else None,
        "notebook": _notebook_timing(out / f"{name}.ipynb"),
    }


def _report_stats(rs: list[dict[str, Any]]) -> dict[str, Any]:
    nbs = [x["notebook"] for x in rs if x["notebook"]]
    return {
        "render_s": stats([x["render_s"] for x in rs if x["render_s"] is not None] or [0], 2),
        "wall_s": stats([x["wall"] for x in rs], 2),
        "peak_rss_mb": stats([x["rss"] for x in rs], 1),
        "html_bytes": rs[-1]["html_bytes"],
        "papermill_s": stats([x["papermill_s"] for x in nbs if x.get("papermill_s")] or [0], 2),
        "kernel_start_s": stats(
            [x["kernel_start_s"] for x in nbs if x.get("kernel_start_s") is not None] or [0], 2
        ),
        "cells_s": stats([x["cells_s"] for x in nbs if x.get("cells_s") is not None] or [0], 2),
        "slowest_cells": nbs[-1]["slowest_cells"] if nbs else [],
    }


def _demo_run(m: Measured, home: Path) -> dict[str, Any]:
    out = home / "reports"
    synth = _SYNTH.search(m.stderr)
    board = _BOARD.search(m.stderr)
    return {
        "wall": m.seconds,
        "rss": m.peak_rss_mb,
        "synth_s": float(synth.group(1)) if synth else None,
        "board_s": float(board.group(1)) if board else None,
        "render": {k: float(v) for k, v in _DONE.findall(m.stderr)},
        "sizes": {p.name: p.stat().st_size for p in out.glob("*.html")} if out.is_dir() else {},
    }


# ------------------------------------------------------ scaling and targets
def _median(obj: Any, *path: str) -> float | None:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj.get("median") if isinstance(obj, dict) else obj


def _events(size: str) -> int:
    return int(size[:-1]) * (M if size.endswith("M") else 1000) if size[-1] in "Mk" else int(size)


def scaling(sections: dict[str, Any]) -> list[dict[str, Any]]:
    """How each figure grows with the event count: fitted exponent and the last step's."""
    figures: dict[str, Callable[[dict[str, Any]], float | None]] = {}
    figures["synth DuckDB (s)"] = lambda e: _median(e, "duckdb", "seconds")
    figures["synth Postgres (s)"] = lambda e: _median(e, "postgres", "seconds")
    figures["synth DuckDB peak RSS (MB)"] = lambda e: _median(e, "duckdb", "peak_rss_mb")
    figures["synth Postgres peak RSS (MB)"] = lambda e: _median(e, "postgres", "peak_rss_mb")
    out = _grow(sections["synth"]["by_size"], figures)
    snap: dict[str, Callable[[dict[str, Any]], float | None]] = {
        "ihub snapshot (s)": lambda e: _median(e, "throughput", "ihub_snapshot"),
        "psql binary COPY (s)": lambda e: _median(e, "throughput", "psql_binary"),
        "snapshot ÷ COPY ratio": lambda e: _median(e, "throughput", "ratio"),
        "ihub snapshot peak RSS (MB)": lambda e: _median(e, "synthetic", "peak_rss_mb"),
    }
    out += _grow(sections["snapshot"]["by_size"], snap)
    met: dict[str, Callable[[dict[str, Any]], float | None]] = {}
    for engine in ("duckdb", "postgres"):
        for k in METRICS:
            met[f"{k} on {engine} (s)"] = lambda e, g=engine, k=k: _median(
                e, g, "metrics", k, "seconds"
            )
        met[f"metric suite on {engine} (s)"] = lambda e, g=engine: _median(e, g, "suite_s")
        met[f"metric suite on {engine} peak RSS (MB)"] = lambda e, g=engine: _median(
            e, g, "process_peak_rss_mb"
        )
    out += _grow(sections["metrics"]["by_size"], met)
    rep: dict[str, Callable[[dict[str, Any]], float | None]] = {}
    for name in REPORT_NAMES:
        rep[f"report {name} (s)"] = lambda e, k=name: _median(e, k, "render_s")
        rep[f"report {name} peak RSS (MB)"] = lambda e, k=name: _median(e, k, "peak_rss_mb")
    out += _grow(sections["reports"]["by_size"], rep)
    return out


def _grow(
    by_size: dict[str, Any], figures: dict[str, Callable[[dict[str, Any]], float | None]]
) -> list[dict[str, Any]]:
    rows = []
    for label, get in figures.items():
        pts = [(_events(s), get(e)) for s, e in by_size.items()]
        pts = sorted((x, float(y)) for x, y in pts if y)
        if len(pts) < 2:
            continue
        rows.append(
            {
                "figure": label,
                "points": pts,
                "exponent": scaling_exponent(pts),
                "last_step_exponent": scaling_exponent(pts[-2:]),
            }
        )
    return rows


def targets(sections: dict[str, Any], sizes: list[int]) -> list[dict[str, Any]]:
    """The issue's targets, each met, missed or not measured."""
    big = _size(max(sizes))
    one_m = _size(M) if M in sizes else _size(min(sizes, key=lambda s: abs(s - M)))
    rows: list[dict[str, Any]] = []

    def add(name: str, value: float | None, limit: float, unit: str, better: str, at: str) -> None:
        met = None if value is None else (value >= limit if better == "higher" else value <= limit)
        rows.append(
            {"target": name, "at": at, "value": value, "limit": limit, "unit": unit, "met": met}
        )

    synth = sections["synth"]["by_size"].get(big, {})
    add(
        "synthetic generation into DuckDB",
        _median(synth, "duckdb", "events_per_s"),
        1_000_000,
        "events/s",
        "higher",
        big,
    )
    snaps = [s for s, e in sections["snapshot"]["by_size"].items() if "throughput" in e]
    if snaps:
        at = max(snaps, key=_events)
        add(
            "ihub snapshot ÷ psql binary COPY",
            _median(sections["snapshot"]["by_size"][at], "throughput", "ratio"),
            1.5,
            "×",
            "lower",
            at,
        )
    met = sections["metrics"]["by_size"]
    add(
        "metric suite (7 metrics) on the DuckDB snapshot",
        _median(met.get(big, {}), "duckdb", "suite_s"),
        5.0,
        "s",
        "lower",
        big,
    )
    pg = met.get(one_m, {}).get("postgres", {}).get("metrics", {})
    worst = [v["seconds"]["median"] for v in pg.values() if "seconds" in v]
    errors = [k for k, v in pg.items() if "error" in v]
    add(
        "slowest single metric on Postgres",
        None if errors or not worst else max(worst),
        10.0,
        "s",
        "lower",
        one_m,
    )
    raw = met.get(one_m, {}).get("postgres_no_stats", {}).get("metrics", {})
    if raw:
        worst_raw = [v["seconds"] for v in raw.values() if "seconds" in v]
        bad = any("error" in v for v in raw.values())
        add(
            "slowest single metric on Postgres, straight after `ihub synth --pg`",
            None if bad or not worst_raw else round(max(worst_raw), 3),
            10.0,
            "s",
            "lower",
            one_m,
        )
    demo = sections.get("demo", {})
    add(
        "ihub demo from nothing",
        _median(demo, "wall_s"),
        90.0,
        "s",
        "lower",
        _size(demo.get("events", 500_000)),
    )
    return rows


def collect(cfg: Config, argv: list[str]) -> dict[str, Any]:
    """Run everything; the results dict (also on failure of single steps)."""
    started = time.perf_counter()
    result: dict[str, Any] = {
        "schema": 1,
        "mode": cfg.mode,
        "started_at": now_iso(),
        "command": "python -m benchmarks " + " ".join(argv),
        "config": {k: v for k, v in asdict(cfg).items() if k not in ("admin_url", "extra")},
        "machine": machine(),
        "versions": versions(cfg.admin_url),
        **cfg.extra,
    }
    with tempfile_dir() as scratch:
        ladder = Ladder(cfg, scratch)
        try:
            ladder.run()
        finally:
            ladder.cleanup()
    result["sections"] = ladder.sections
    result["scaling"] = scaling(ladder.sections)
    result["targets"] = targets(ladder.sections, cfg.sizes)
    result["commands"] = ladder.commands
    result["errors"] = ladder.errors
    result["finished_at"] = now_iso()
    result["duration_s"] = round(time.perf_counter() - started, 1)
    result["load_avg_at_end"] = load_avg()
    return result


@contextlib.contextmanager
def tempfile_dir() -> Iterator[Path]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ihub-bench-") as tmp:
        yield Path(tmp)
