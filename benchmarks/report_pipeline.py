"""The report pipeline against the metric suite, and the demo's render phase against a baseline.

Three ratios, each measured side by side within one run, steps alternating
round by round so machine noise hits both sides alike:

* ``ihub report`` (all reports and the board) ÷ the in-process metric suite on
  the same DuckDB snapshot;
* the same on a live Postgres database (``--pg``);
* ``ihub demo`` with the demo snapshot already there, this checkout ÷ another
  checkout (``--base``, e.g. ``git worktree add /tmp/base <commit>`` and
  ``make install`` there).

Every step is its own process.  Wall time is measured around the process;
CPU time (user + system of the process and every child it waited for, i.e.
the Jupyter kernels) comes from ``wait4``: on a shared machine CPU time is the
steadier figure.  The suite's time is the sum of its metrics' own times inside
the worker (interpreter start excluded), as in the engine benchmarks.

    python -m benchmarks.report_pipeline --snapshot S.duckdb [--pg URL] \\
        [--base /tmp/base] [--demo-snapshot demo.duckdb] [--rounds 3] [--out FILE] \\
        [--steps suite_pg,report_pg] [--note TEXT]
    python -m benchmarks.report_pipeline --merge A.json B.json --out FILE [--note TEXT]

``--steps`` runs only some steps (e.g. the slow Postgres pair in a run of its
own, at the same time as the others); ``--merge`` pools such runs' steps into
one result, spanning from the first start to the last end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import child_env, load_avg, now_iso

RESULTS = Path(__file__).resolve().parent / "results" / "report_pipeline.json"
PYTHON = sys.executable
#: The T of the engine benchmarks; suite and report of one source use the same.
AS_OF = "2026-11-01T00:00:00Z"


@dataclass
class Step:
    """One measured process."""

    name: str
    wall_s: float
    cpu_s: float
    inner_s: float | None = None  # the library's own time, where the step reports it


def run(name: str, argv: list[str], *, cwd: Path | None = None, python_path: bool = False) -> Step:
    """Run ``argv``; wall time, and the CPU of it and its reaped children (the kernels)."""
    env = child_env() if python_path else {**os.environ}
    env.pop("IHUB_SOURCE", None)
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{stderr[-2000:]}")
    inner = None
    if stdout.lstrip().startswith("{"):
        metrics = json.loads(stdout)["metrics"]
        inner = sum(m["seconds"] for m in metrics.values())
    return Step(name, wall, usage.ru_utime + usage.ru_stime, inner)


def suite(name: str, source: str, as_of: str) -> Step:
    """The seven metrics in one process, as ``benchmarks.worker metrics`` runs them."""
    argv = [PYTHON, "-m", "benchmarks.worker", "metrics", "--source", source, "--as-of", as_of]
    return run(name, argv, python_path=True)


#: The reports commit 456a066 rendered: no hub dossiers yet (like for like with it).
FOUR_REPORTS = ("friction", "bottlenecks", "health", "changes")


def report(
    name: str, python: str, source: str, as_of: str, scratch: Path, names: tuple[str, ...] = ()
) -> Step:
    """``ihub report [NAMES]`` (default: every report and a dossier per hub) and the board."""
    out = scratch / f"{name}-{time.monotonic_ns()}"
    argv = [python, "-m", "ihub_analysis", "report", *names, "--source", source]
    argv += ["--as-of", as_of] if as_of else []  # none: the snapshot's own T, as ihub demo
    argv += ["--out", str(out)]
    step = run(name, argv)
    shutil.rmtree(out, ignore_errors=True)
    return step


def demo(name: str, python: str, cwd: Path) -> Step:
    """``ihub demo`` in ``cwd``, whose ``data/demo.duckdb`` is already there: the render phase."""
    out = cwd / "reports"
    step = run(name, [python, "-m", "ihub_analysis", "demo", "--out", str(out)], cwd=cwd)
    shutil.rmtree(out, ignore_errors=True)
    return step


def summary(steps: list[Step], name: str) -> dict[str, Any]:
    mine = [s for s in steps if s.name == name]
    pick = {
        "wall_s": [s.wall_s for s in mine],
        "cpu_s": [s.cpu_s for s in mine],
        "inner_s": [s.inner_s for s in mine if s.inner_s is not None],
    }
    return {k: {"median": statistics.median(v), "values": v} for k, v in pick.items() if v}


def ratio(steps: list[Step], a: str, b: str, what: str, b_what: str | None = None) -> float:
    """Median of ``a``'s ``what`` ÷ median of ``b``'s ``b_what`` (default: the same field)."""
    top = statistics.median(getattr(s, what) for s in steps if s.name == a)
    bottom = statistics.median(getattr(s, b_what or what) for s in steps if s.name == b)
    return top / bottom


#: (name of the report step, of the step it is divided by, field of the divisor)
RATIOS = (
    ("report_duckdb", "suite_duckdb", "inner_s"),
    ("report_pg", "suite_pg", "inner_s"),
    ("report_duckdb_base", "suite_duckdb", "inner_s"),
    ("report_duckdb_base", "report_duckdb", "wall_s"),
    ("demo_base", "demo_new", "wall_s"),
    ("report_duckdb_base", "report4_duckdb", "wall_s"),
    ("demo_base", "report4_demo", "wall_s"),
    ("report_duckdb_fresh", "report_duckdb_warm", "wall_s"),
    ("demo_fresh", "demo_warm", "wall_s"),
)


def ratios(steps: list[Step]) -> dict[str, float]:
    """Each ratio of :data:`RATIOS` whose two sides were measured (wall; CPU where alike)."""
    have = {s.name for s in steps}
    out: dict[str, float] = {}
    for a, b, field in RATIOS:
        if a in have and b in have:
            out[f"{a} wall / {b} {field.removesuffix('_s')}"] = ratio(steps, a, b, "wall_s", field)
            if field == "wall_s":
                out[f"{a} cpu / {b} cpu"] = ratio(steps, a, b, "cpu_s")
    return {k: round(v, 3) for k, v in out.items()}


def save(path: Path, header: dict[str, Any], steps: list[Step]) -> dict[str, Any]:
    result = {
        **header,
        "finished": now_iso(),
        "load_avg_end": load_avg(),
        "steps": [asdict(s) for s in steps],
        "summary": {n: summary(steps, n) for n in sorted({s.name for s in steps})},
        "ratios": ratios(steps),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


_LOG_LINE = re.compile(
    r"^round \d+: (\w+): wall ([\d.]+) s, cpu ([\d.]+) s(?:, metrics ([\d.]+) s)?$"
)


def steps_from_log(log: Path) -> list[Step]:
    """The steps an earlier run printed (one line each), e.g. of a run stopped early."""
    found = []
    for line in log.read_text(encoding="utf-8").splitlines():
        m = _LOG_LINE.match(line.strip())
        if m:
            inner = float(m[4]) if m[4] else None
            found.append(Step(m[1], float(m[2]), float(m[3]), inner))
    return found


def merge(paths: list[Path], out: Path, note: str | None) -> dict[str, Any]:
    """Pool the steps of several result files (runs made at the same time) into ``out``."""
    runs = sorted(
        (json.loads(p.read_text(encoding="utf-8")) for p in paths), key=lambda r: r["started"]
    )
    steps = [Step(**s) for r in runs for s in r["steps"]]
    header: dict[str, Any] = {
        "started": runs[0]["started"],
        "load_avg_start": runs[0]["load_avg_start"],
        "argv": [r["argv"] for r in runs],
    }
    if note:
        header["note"] = note
    last = max(runs, key=lambda r: r["finished"])
    result = save(out, header, steps)
    result.update(finished=last["finished"], load_avg_end=last["load_avg_end"])
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report_pipeline")
    parser.add_argument("--merge", type=Path, nargs="+", help="result files to pool into --out")
    parser.add_argument("--note", help="a sentence on this run, shown in the doc")
    parser.add_argument("--steps", help="only these steps, comma-separated (default: all)")
    parser.add_argument("--snapshot", help="DuckDB snapshot (e.g. 10M events)")
    parser.add_argument("--pg", help="live Postgres URL with the same data")
    parser.add_argument("--base", type=Path, help="checkout (with .venv) to compare the demo with")
    parser.add_argument(
        "--base-name",
        default="base",
        help="suffix of the base checkout's steps (base: commit 456a066; fresh: the commit "
        "before warm kernels; then this checkout's are report_duckdb_warm and demo_warm, so "
        "that runs can be pooled with --merge and every ratio stays within one run)",
    )
    parser.add_argument("--demo-snapshot", type=Path, help="an existing demo.duckdb to render")
    parser.add_argument("--as-of", default=AS_OF, help=f"T of suites and reports ({AS_OF})")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--steps-from-log", type=Path, help="add the steps of an earlier run's log")
    args = parser.parse_args(argv)
    if args.merge:
        print(json.dumps(merge(args.merge, args.out, args.note)["ratios"], indent=2))
        return 0
    if not args.snapshot:
        parser.error("--snapshot is required (unless --merge)")
    wanted = set(args.steps.split(",")) if args.steps else None
    steps: list[Step] = steps_from_log(args.steps_from_log) if args.steps_from_log else []
    header: dict[str, Any] = {"started": now_iso(), "load_avg_start": load_avg(), "argv": sys.argv}
    if args.note:
        header["note"] = args.note
    with tempfile.TemporaryDirectory(prefix="ihub-bench-report-") as tmp_name:
        scratch = Path(tmp_name)
        demo_dirs: dict[str, Path] = {}
        if args.base and args.demo_snapshot:
            for side in ("new", "base"):
                (scratch / side / "data").mkdir(parents=True)
                shutil.copy(args.demo_snapshot, scratch / side / "data" / "demo.duckdb")
                demo_dirs[side] = scratch / side
        base_python = str(args.base / ".venv" / "bin" / "python") if args.base else None
        base_report, base_demo = f"report_duckdb_{args.base_name}", f"demo_{args.base_name}"
        warm = args.base_name == "fresh"
        new_report, new_demo = (
            ("report_duckdb_warm", "demo_warm") if warm else ("report_duckdb", "demo_new")
        )
        snapshot, as_of = args.snapshot, args.as_of
        for k in range(args.rounds):
            plan: list[tuple[str, Any]] = [
                ("suite_duckdb", lambda: suite("suite_duckdb", args.snapshot, args.as_of)),
                (
                    new_report,
                    lambda: report(new_report, PYTHON, args.snapshot, args.as_of, scratch),
                ),
            ]
            if args.pg:
                plan += [
                    ("suite_pg", lambda: suite("suite_pg", args.pg, args.as_of)),
                    (
                        "report_pg",
                        lambda: report("report_pg", PYTHON, args.pg, args.as_of, scratch),
                    ),
                ]
            if base_python:
                plan.append(
                    (
                        base_report,
                        lambda: report(base_report, base_python, snapshot, as_of, scratch),
                    )
                )
                plan.append(  # the same four reports as the base renders, this checkout
                    (
                        "report4_duckdb",
                        lambda: report(
                            "report4_duckdb", PYTHON, snapshot, as_of, scratch, FOUR_REPORTS
                        ),
                    )
                )
            if demo_dirs and base_python:
                pair = [
                    (new_demo, lambda: demo(new_demo, PYTHON, demo_dirs["new"])),
                    (base_demo, lambda: demo(base_demo, base_python, demo_dirs["base"])),
                ]
                pair.append(  # the demo's four reports alone: what the base's demo renders
                    (
                        "report4_demo",
                        lambda: report(
                            "report4_demo",
                            PYTHON,
                            str(demo_dirs["new"] / "data" / "demo.duckdb"),
                            "",
                            scratch,
                            FOUR_REPORTS,
                        ),
                    )
                )
                plan += pair if k % 2 == 0 else pair[::-1]  # alternate which goes first
            plan = [(name, step) for name, step in plan if wanted is None or name in wanted]
            for name, step in plan if k % 2 == 0 else plan[::-1]:
                measured = step()
                steps.append(measured)
                save(args.out, header, steps)  # a stopped run keeps what it measured
                print(
                    f"round {k + 1}: {name}: wall {measured.wall_s:.1f} s, "
                    f"cpu {measured.cpu_s:.1f} s"
                    + (f", metrics {measured.inner_s:.2f} s" if measured.inner_s else ""),
                    file=sys.stderr,
                    flush=True,
                )
    print(json.dumps(save(args.out, header, steps)["ratios"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
