"""Shared helpers: run a step in its own process (wall time, peak RSS), statistics, machine facts.

Every measured step runs as a child process reaped with :func:`os.wait4`, whose
``ru_maxrss`` is the peak resident set of that child — or of the largest of its
own descendants (e.g. a report's Jupyter kernel) if one grew larger.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get(
    "IHUB_BENCH_PG",
    os.environ.get("IHUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
)
#: Prefix of every database this harness creates (and drops again).
DB_PREFIX = "ihub_bench_run"


class StepFailedError(RuntimeError):
    """A measured child process exited non-zero or timed out."""


@dataclass
class Measured:
    """One child process: its wall time, peak RSS and output."""

    argv: list[str]
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for children: the repo on ``PYTHONPATH`` (for ``benchmarks.worker``)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.pop("IHUB_SOURCE", None)  # every step names its source explicitly
    env.update(extra or {})
    return env


def run_measured(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    check: bool = True,
) -> Measured:
    """Run ``argv`` to completion; return wall seconds and the peak RSS of its process tree."""
    argv = [str(a) for a in argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env or child_env(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if timer:
                timer.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = Measured(
            argv,
            seconds,
            usage.ru_maxrss / 1024,  # kB on Linux
            proc.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            expired.is_set(),
        )
    if check and (result.returncode != 0 or result.timed_out):
        why = f"timed out after {timeout} s" if result.timed_out else f"exit {result.returncode}"
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise StepFailedError(f"{' '.join(argv)}: {why}\n{tail}")
    return result


# ---------------------------------------------------------------- statistics
def stats(values: Sequence[float], digits: int = 4) -> dict[str, Any]:
    """Median, min and max (and the raw values) of one measured quantity."""
    vals = [float(v) for v in values]
    return {
        "median": round(statistics.median(vals), digits),
        "min": round(min(vals), digits),
        "max": round(max(vals), digits),
        "n": len(vals),
        "values": [round(v, digits) for v in vals],
    }


def ratio_stats(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    """A/B two ways: ratio of the medians, and the spread of the per-pair (same-round) ratios."""
    pairs = [x / y for x, y in zip(a, b, strict=True) if y > 0]
    out: dict[str, Any] = {
        "ratio_of_medians": round(statistics.median(a) / statistics.median(b), 4)
        if statistics.median(b) > 0
        else None
    }
    out["pairs"] = stats(pairs) if pairs else None
    return out


def scaling_exponent(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(cost) on log(size): 1 is linear, 2 quadratic, < 1 sub-linear."""
    pts = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    if sxx == 0:
        return None
    return round(sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx, 3)


# -------------------------------------------------------------- the machine
def load_avg() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def wait_for_quiet(threshold: float, max_wait: float, poll: float = 15.0) -> dict[str, Any]:
    """Poll until the 1-minute load average is below ``threshold`` (at most ``max_wait`` s)."""
    start = time.monotonic()
    seen = [load_avg()]
    while seen[-1][0] >= threshold and time.monotonic() - start < max_wait:
        print(
            f"bench: load average {seen[-1][0]} >= {threshold}; waiting "
            f"({time.monotonic() - start:.0f} of {max_wait:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
        time.sleep(poll)
        seen.append(load_avg())
    return {
        "threshold": threshold,
        "waited_s": round(time.monotonic() - start, 1),
        "reached": seen[-1][0] < threshold,
        "load_avg": seen[-1],
    }


def machine() -> dict[str, Any]:
    """Cores, memory, CPU model, kernel and the load at the time of the call."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError):
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        mem_kb = int(found.group(1)) if found else 0
    return {
        "cpu_model": model or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024**2, 1),
        "os": f"{platform.system()} {platform.release()}",
        "load_avg_at_start": load_avg(),
    }


def _command_version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return ""
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""


def versions(admin_url: str) -> dict[str, Any]:
    """Python, the libraries that do the work, the Postgres server, psql and the git commit."""
    import duckdb
    import polars
    import pyarrow

    import ihub_analysis

    server = ""
    with (
        contextlib.suppress(psycopg.Error),
        psycopg.connect(admin_url, connect_timeout=5) as con,
    ):
        server = str(con.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    commit = _command_version(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"])
    dirty = bool(_command_version(["git", "-C", str(REPO), "status", "--porcelain"]))
    return {
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": polars.__version__,
        "pyarrow": pyarrow.__version__,
        "psycopg": psycopg.__version__,
        "postgres": server,
        "psql": _command_version(["psql", "--version"]),
        "ihub_analysis": ihub_analysis.__version__,
        "git_commit": commit,
        "git_dirty": dirty,
    }


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ Postgres
def db_url(name: str, admin_url: str = ADMIN_URL) -> str:
    """The URL of database ``name`` on the admin URL's server."""
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def db_exists(name: str, admin_url: str = ADMIN_URL) -> bool:
    with psycopg.connect(admin_url, autocommit=True) as con:
        found = con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return found is not None


def create_db(name: str, admin_url: str = ADMIN_URL) -> str:
    """Create an empty database ``name`` (dropping a leftover of the same name); its URL."""
    with psycopg.connect(admin_url, autocommit=True) as con:
        con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return db_url(name, admin_url)


def drop_db(name: str, admin_url: str = ADMIN_URL) -> None:
    with psycopg.connect(admin_url, autocommit=True) as con:
        con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def scratch_dir(prefix: str = "ihub-bench-") -> Iterator[Path]:
    """A temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)
