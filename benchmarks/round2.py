"""The "performance, round 2" targets, measured side by side in one run.

    python -m benchmarks.round2 [--events 10M] [--repeats 3] [--sections …]

Sections (all by default):

* ``baselines`` — each of the seven metrics on DuckDB against its hand-written
  single-query equivalent (``benchmarks/baselines/*.sql``, same rows asserted),
  alternated; ``--baseline-file`` measures an existing synthetic file.
* ``postgres`` — every metric on the benchmark databases at 1M and at
  ``--events`` (as of the synthetic history's end): growth and suite total.
* ``snapshot`` — ``ihub snapshot`` against ``psql``'s binary COPY
  (:mod:`benchmarks.snapshot_throughput`).
* ``refresh`` — ``ihub snapshot --refresh`` after +1 % events against a full
  snapshot of the same database (a throwaway copy of the benchmark database).
* ``ladder`` — the DuckDB ladder at ``--ladder-sizes`` (10M and 100M): streamed
  synthesis (time, peak RSS, file size) and the metric suite on the file
  (:mod:`benchmarks.ladder`).

Results go to ``benchmarks/results/round2.json``; ``python -m benchmarks.docgen``
renders them into ``docs/performance.md``.
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
import uuid
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from benchmarks import baselines, ladder, snapshot_throughput
from benchmarks.common import REPO

OUTPUT = REPO / "benchmarks" / "results" / "round2.json"
AS_OF = "2026-11-01T00:00:00Z"
METRICS = ("friction", "bottlenecks", "funnel", "health", "health-trend", "propagation", "changes")
SETTINGS: dict[str, dict[str, Any]] = {"health-trend": {"weeks": 12}}


def _events(text: str) -> int:
    text = text.strip().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def _ihub(*args: str) -> float:
    """Run ``python -m ihub_analysis ARGS`` as a user would; its wall time."""
    start = time.perf_counter()
    env = {**os.environ, "IHUB_STATEMENT_TIMEOUT": "0"}  # a busy machine is no error
    subprocess.run(
        [sys.executable, "-m", "ihub_analysis", *args],
        stdout=subprocess.DEVNULL,
        check=True,
        env=env,
    )
    return time.perf_counter() - start


def section_baselines(
    events: int, repeats: int, work: Path, source: Path | None = None
) -> dict[str, Any]:
    """Every metric vs its hand-written query on a synthetic DuckDB file of ``events``.

    ``source``: an existing ``ihub synth --events EVENTS`` file to measure instead of
    synthesising one (synthesis at 10M takes longer than the measurement).
    """
    path = source or work / "synth.duckdb"
    if source is None:
        _ihub("synth", "--out", str(path), "--events", str(events))
    have = set(baselines.available())
    missing = [m for m in METRICS if m not in have]
    if missing:
        raise SystemExit(f"no hand-written baseline for {', '.join(missing)}")
    result = baselines.measure(str(path), list(METRICS), repeats)
    if source is None:
        path.unlink()
    return {"events": events, **result}


def _pg_metrics(url: str) -> dict[str, float]:
    from ihub_analysis.workbench import connect

    times = {}
    with connect(url) as wb:
        for m in METRICS:
            start = time.perf_counter()
            wb.metric(m, as_of=AS_OF, **SETTINGS.get(m, {}))
            times[m] = round(time.perf_counter() - start, 3)
    return times


def section_postgres(events: int, repeats: int) -> dict[str, Any]:
    """Every metric at 1M and ``events`` on Postgres, runs alternating between the sizes."""
    urls = {n: snapshot_throughput._database(n) for n in (1_000_000, events)}
    runs: dict[int, list[dict[str, float]]] = {n: [] for n in urls}
    load = os.getloadavg()[0]
    for _ in range(repeats):
        for n, url in urls.items():
            runs[n].append(_pg_metrics(url))
    medians = {
        n: {m: round(statistics.median(r[m] for r in rs), 3) for m in METRICS}
        for n, rs in runs.items()
    }
    small, big = medians[1_000_000], medians[events]
    return {
        "events": events,
        "repeats": repeats,
        "medians": {str(n): v for n, v in medians.items()},
        "growth": {m: round(big[m] / small[m], 2) for m in METRICS},
        "suite_s": {str(n): round(sum(v.values()), 2) for n, v in medians.items()},
        "load_avg": [round(load, 2), round(os.getloadavg()[0], 2)],
    }


def section_snapshot(events: int, repeats: int) -> dict[str, Any]:
    return snapshot_throughput.run(events, repeats)


def section_refresh(events: int, repeats: int, work: Path) -> dict[str, Any]:
    """Full snapshot vs ``--refresh`` after +1 % events, on a copy of the benchmark database."""
    template = snapshot_throughput._database(events).rsplit("/", 1)[1]
    name = f"ihub_bench_refresh_{uuid.uuid4().hex[:8]}"
    admin = snapshot_throughput.ADMIN_URL
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
        sql.Identifier(name), sql.Identifier(template)
    )
    for attempt in range(25):  # the template must have no other sessions for a moment
        try:
            with psycopg.connect(admin, autocommit=True) as con:
                con.execute(create)
            break
        except psycopg.errors.ObjectInUse:
            if attempt == 24:  # in use all along (pooled sessions stay): copy it instead
                _copy_by_dump(admin, template, name)
                break
            time.sleep(5)
    out = work / "refresh.duckdb"
    full_out = work / "full.duckdb"
    full_s, refresh_s = [], []
    load = os.getloadavg()[0]
    try:
        _ihub("snapshot", url, str(out))
        for _ in range(repeats):
            with psycopg.connect(url, autocommit=True) as con:
                con.execute(ADD_EVENTS, [events // 100])
                con.execute("VACUUM ANALYZE interaction_events")
            full_out.unlink(missing_ok=True)
            refresh_s.append(_ihub("snapshot", url, str(out), "--refresh"))
            full_s.append(_ihub("snapshot", url, str(full_out)))
        same = _counts(out) == _counts_pg(url)
        identical = _differing_tables(out, full_out)  # nothing was written in between
        full_out.unlink()
        with psycopg.connect(url, autocommit=True) as con:  # one more round, profiled
            con.execute(ADD_EVENTS, [events // 100])
            con.execute("VACUUM ANALYZE interaction_events")
        profile = _profile_refresh(url, out)
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            con.execute(drop.format(sql.Identifier(name)))
        out.unlink(missing_ok=True)
    return {
        "events": events,
        "added_per_round": events // 100,
        "repeats": repeats,
        "full_s": round(statistics.median(full_s), 3),
        "refresh_s": round(statistics.median(refresh_s), 3),
        "ratio": round(statistics.median(refresh_s) / statistics.median(full_s), 3),
        "row_counts_match": same,
        "tables_differing_from_full": identical,
        "rounds": [
            {"refresh_s": round(r, 3), "full_s": round(f, 3)}
            for r, f in zip(refresh_s, full_s, strict=True)
        ],
        "profile": profile,
        "load_avg": [round(load, 2), round(os.getloadavg()[0], 2)],
    }


#: The rows a refresh round adds: copies of existing events, stamped now.
ADD_EVENTS = (
    "INSERT INTO interaction_events (id, widget_id, event_type, actor_id, "
    "actor_type, view_context_ref, metadata, occurred_at) "
    "SELECT uuid_generate_v4(), widget_id, event_type, actor_id, actor_type, "
    "view_context_ref, metadata, now() FROM interaction_events LIMIT %s"
)
#: Where a refresh spends its time: (file name ending, function) → label.
PROFILED = {
    ("snapshot_refresh.py", "_read_previous"): "read the file's provenance (DuckDB)",
    ("snapshot.py", "open_source"): "open the snapshot, read catalog and state (Postgres)",
    ("snapshot_refresh.py", "make"): "prove tables unchanged (Postgres)",
    ("snapshot.py", "_copy_table"): "copy new and recent events (Postgres → DuckDB)",
    ("snapshot_refresh.py", "_append"): "append: delete recent rows, copy, count (all)",
    ("snapshot_refresh.py", "apply"): "apply in one DuckDB transaction (all)",
    ("~", "<method 'close' of '_duckdb.DuckDBPyConnection' objects>"): "close (checkpoint)",
    ("connection.py", "wait"): "waiting for Postgres (psycopg queries)",
    ("snapshot.py", "_wait_readable"): "waiting for Postgres (COPY data)",
    ("snapshot_refresh.py", "refresh_snapshot"): "refresh in process (total)",
}


def _self_us(line: str) -> int:
    """A ``-X importtime`` line's own microseconds (0 for its header)."""
    own = line.partition(":")[2].partition("|")[0].strip()
    return int(own) if own.isdigit() else 0


def _profile_refresh(url: str, out: Path) -> dict[str, Any]:
    """One refresh under cProfile in this process: seconds per step, and the import cost."""
    import cProfile
    import pstats

    from ihub_analysis.snapshot_refresh import refresh_snapshot

    os.environ.setdefault("IHUB_STATEMENT_TIMEOUT", "0")  # as for the timed runs
    imports = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import ihub_analysis.cli"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    profiler = cProfile.Profile()
    profiler.enable()
    result = refresh_snapshot(url, out, progress=False)
    profiler.disable()
    steps: dict[str, float] = {}
    for (file, _, func), (_, _, _, cumulative, _) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        for (ending, name), label in PROFILED.items():
            if func == name and file.endswith(ending):
                steps[label] = round(steps.get(label, 0.0) + cumulative, 3)
    return {
        "steps_s": steps,
        "partial_rows": result.partial,  # type: ignore[attr-defined]
        "copied_whole": list(result.whole),  # type: ignore[attr-defined]
        "unchanged": len(result.unchanged),  # type: ignore[attr-defined]
        "import_cli_s": round(sum(_self_us(line) for line in imports.splitlines()) / 1e6, 3),
    }


def _copy_by_dump(admin: str, template: str, name: str) -> None:
    """Copy database ``template`` to a new ``name`` through pg_dump, which reads it as is."""
    base = psycopg.conninfo.conninfo_to_dict(admin)
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    source = psycopg.conninfo.make_conninfo(**{**base, "dbname": template})
    target = psycopg.conninfo.make_conninfo(**{**base, "dbname": name})
    dump = subprocess.Popen(["pg_dump", "--no-owner", "-d", source], stdout=subprocess.PIPE)
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", target],
        stdin=dump.stdout,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    if dump.wait() != 0:
        raise RuntimeError(f"pg_dump of {template} failed")
    with psycopg.connect(target, autocommit=True) as con:
        con.execute("VACUUM ANALYZE")  # as the benchmark database was left


def _differing_tables(refreshed: Path, full: Path) -> list[str]:
    """Tables whose rows differ (as multisets) between the two files."""
    import duckdb

    from ihub_analysis.schema import inter_hub_schema

    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{refreshed}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{full}' AS b (READ_ONLY)")
        differing = []
        for t in inter_hub_schema().table_names:
            query = (
                f'SELECT count(*) FROM (SELECT * FROM a."{t}" EXCEPT ALL SELECT * FROM b."{t}") '
                f'UNION ALL SELECT count(*) FROM (SELECT * FROM b."{t}" EXCEPT ALL '
                f'SELECT * FROM a."{t}")'
            )
            if any(n for (n,) in con.execute(query).fetchall()):
                differing.append(t)
        return differing
    finally:
        con.close()


def _counts(path: Path) -> dict[str, int]:
    import duckdb

    from ihub_analysis.schema import inter_hub_schema

    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # type: ignore[index]
            for t in inter_hub_schema().table_names
        }
    finally:
        con.close()


def _counts_pg(url: str) -> dict[str, int]:
    from ihub_analysis.schema import inter_hub_schema

    with psycopg.connect(url) as con:
        count = sql.SQL("SELECT count(*) FROM {}")
        return {
            t: con.execute(count.format(sql.Identifier(t))).fetchone()[0]  # type: ignore[index]
            for t in inter_hub_schema().table_names
        }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.round2", description=__doc__)
    p.add_argument("--events", type=_events, default=10_000_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--sections", default="baselines,postgres,snapshot,refresh,ladder")
    p.add_argument(
        "--ladder-sizes",
        default=",".join(str(n) for n in ladder.SIZES),
        help="event counts of the ladder section, e.g. 10M,100M",
    )
    p.add_argument("--output", type=Path, default=OUTPUT)
    p.add_argument(
        "--baseline-file",
        type=Path,
        help="baselines: measure this `ihub synth --events EVENTS` file instead of making one",
    )
    args = p.parse_args(argv)
    previous = json.loads(args.output.read_text()) if args.output.exists() else {}
    result: dict[str, Any] = {**previous}
    with tempfile.TemporaryDirectory(prefix="ihub-round2-") as tmp:
        work = Path(tmp)
        for name in args.sections.split(","):
            started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            print(f"round2: {name} …", file=sys.stderr, flush=True)
            if name == "baselines":
                data = section_baselines(args.events, args.repeats, work, args.baseline_file)
            elif name == "postgres":
                data = section_postgres(args.events, args.repeats)
            elif name == "snapshot":
                data = section_snapshot(args.events, args.repeats)
            elif name == "refresh":
                data = section_refresh(args.events, args.repeats, work)
            elif name == "ladder":
                sizes = tuple(_events(x) for x in args.ladder_sizes.split(","))
                data = ladder.section_ladder(sizes, args.repeats, work, AS_OF, METRICS)
            else:
                raise SystemExit(f"unknown section {name}")
            key = name
            if name == "baselines" and args.events >= 100_000_000:
                key = "baselines_100m"  # beside the 10M result, not over it
            result[key] = {"started": started, **data}
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(json.dumps(result, indent=1) + "\n")
    print(f"round2: results in {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
