"""Where the time of one metric goes: DuckDB's JSON profile, Postgres's ``EXPLAIN (ANALYZE)``.

Both take the exact statement the workbench runs (``wb.explain(method)``) and
return the same shape: total milliseconds, the most expensive plan operators by
*self* time (their own time, children excluded) and, for Postgres, self time per
materialised CTE — i.e. per SQL model of ``sql/metrics/`` — so a slow metric
points at the file and the operator to look at.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import json
import pstats
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

#: The workbench plan of each CLI metric name.
PLAN_OF = {
    "friction": "friction",
    "bottlenecks": "bottlenecks",
    "funnel": "funnel",
    "health": "health",
    "health-trend": "health_trend",
    "propagation": "propagation",
    "changes": "changes",
}
TOP = 6


def metric_sql(source: str, metric: str, as_of: dt.datetime) -> str:
    """The one statement ``metric`` runs on ``source`` (health trend with 12 weeks)."""
    import ihub_analysis

    settings = {"weeks": 12} if metric == "health-trend" else {}
    with ihub_analysis.connect(source) as wb:
        return wb.explain(PLAN_OF[metric], as_of=as_of, **settings)


def _short(text: Any, limit: int = 140) -> str:
    flat = re.sub(r"\s+", " ", str(text or "")).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# ------------------------------------------------------------------- DuckDB
def _duck_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("children", []):
        yield from _duck_nodes(child)


def _duck_extra(extra: Any) -> str:
    if isinstance(extra, dict):
        keep = [f"{k}: {v}" for k, v in extra.items() if k not in ("Estimated Cardinality",)]
        return _short("; ".join(keep))
    return _short(extra)


def duckdb_profile(path: Path, statement: str) -> dict[str, Any]:
    """Run ``statement`` on the DuckDB file with JSON profiling; the costliest operators."""
    import duckdb

    with tempfile.TemporaryDirectory(prefix="ihub-bench-prof-") as tmp:
        out = Path(tmp) / "profile.json"
        con = duckdb.connect(str(path), read_only=True)
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET enable_profiling = 'json'")
            con.execute(f"SET profiling_output = '{out}'")
            con.execute(statement).fetchall()
            con.execute("SET enable_profiling = 'no_output'")
        finally:
            con.close()
        profile = json.loads(out.read_text())
    roots = profile.get("operator") or profile.get("children") or []
    roots = roots if isinstance(roots, list) else [roots]
    nodes = [n for root in roots for n in _duck_nodes(root)]
    query = profile.get("query", {}) if isinstance(profile.get("query"), dict) else {}
    total = query.get("total_time", profile.get("latency", 0.0)) or 0.0
    ops = []
    for n in nodes:
        seconds = n.get("timing", n.get("operator_timing", 0.0)) or 0.0
        ops.append(
            {
                "operator": n.get("name", n.get("operator_name", n.get("operator_type", "?"))),
                "detail": _duck_extra(n.get("extra_info")),
                "self_ms": round(seconds * 1000, 2),
                "rows": n.get("intermediate_rows", n.get("operator_cardinality")),
            }
        )
    ops.sort(key=lambda o: -o["self_ms"])
    system = profile.get("system", {}) if isinstance(profile.get("system"), dict) else {}
    return {
        "engine": "duckdb",
        "total_ms": round(total * 1000, 1),
        "cpu_ms": round((query.get("cpu_time") or 0.0) * 1000, 1),
        "operators_ms": round(sum(o["self_ms"] for o in ops), 1),
        "peak_buffer_mb": round((system.get("peak_buffer_memory") or 0) / 2**20, 1),
        "rows_scanned": query.get("total_rows_scanned"),
        "by_type": _by_type(ops, "operator", total * 1000),
        "top_operators": ops[:TOP],
    }


def _by_type(nodes: list[dict[str, Any]], key: str, total_ms: float) -> list[dict[str, Any]]:
    """Self time summed per operator / node type, largest first."""
    sums: dict[str, float] = defaultdict(float)
    for n in nodes:
        sums[str(n[key])] += n["self_ms"]
    return [
        {"type": k, "self_ms": round(v, 1), "share": round(v / total_ms, 3) if total_ms else None}
        for k, v in sorted(sums.items(), key=lambda kv: -kv[1])[:TOP]
    ]


# ----------------------------------------------------------------- Postgres
def _pg_walk(
    node: dict[str, Any], cte: str, out: list[dict[str, Any]], parent: dict[str, Any] | None
) -> None:
    name = node.get("Subplan Name", "")
    if name.startswith("CTE "):
        cte = name[4:]
    node["_cte"] = cte
    node["_inclusive"] = float(node.get("Actual Total Time", 0.0)) * float(
        node.get("Actual Loops", 1) or 0
    )
    node["_parent"] = parent
    out.append(node)
    for child in node.get("Plans", []):
        _pg_walk(child, cte, out, node)


def _pg_detail(node: dict[str, Any]) -> str:
    parts = [node.get("Node Type", "?")]
    for key, word in (("Relation Name", "on"), ("CTE Name", "on CTE"), ("Index Name", "using")):
        if node.get(key):
            parts.append(f"{word} {node[key]}")
    for key in ("Hash Cond", "Index Cond", "Recheck Cond", "Join Filter", "Filter", "Group Key"):
        if node.get(key):
            parts.append(f"[{key}: {node[key]}]")
            break
    return _short(" ".join(str(p) for p in parts), 200)


def pg_self_times(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every plan node with its self time (ms): inclusive time minus its children's.

    A materialised CTE is timed twice by Postgres — in its own subtree and in the
    ``CTE Scan`` that first pulls its rows — so the CTE's time is taken off the
    scans that reference it (largest first) to count it once.
    """
    nodes: list[dict[str, Any]] = []
    _pg_walk(plan, "(final SELECT)", nodes, None)
    cte_time = {
        n["Subplan Name"][4:]: n["_inclusive"]
        for n in nodes
        if str(n.get("Subplan Name", "")).startswith("CTE ")
    }
    for n in nodes:
        kids = [
            c for c in n.get("Plans", []) if not str(c.get("Subplan Name", "")).startswith("CTE ")
        ]
        n["_self"] = n["_inclusive"] - sum(c["_inclusive"] for c in kids)
    left = dict(cte_time)
    for n in sorted(nodes, key=lambda n: -n["_inclusive"]):
        if n.get("Node Type") == "CTE Scan" and left.get(n.get("CTE Name", "")):
            take = min(left[n["CTE Name"]], n["_self"])
            n["_self"] -= take
            left[n["CTE Name"]] -= take
    return [
        {
            "cte": n["_cte"],
            "type": n.get("Node Type", "?"),
            "relation": n.get("Relation Name"),
            "node": _pg_detail(n),
            "self_ms": round(max(n["_self"], 0.0), 1),
            "loops": int(n.get("Actual Loops", 1) or 0),
            "rows_per_loop": n.get("Actual Rows"),
            "estimated_rows": n.get("Plan Rows"),
        }
        for n in nodes
    ]


def pg_profile(url: str, statement: str, timeout: str = "0") -> dict[str, Any]:
    """``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`` of ``statement``; costliest nodes and CTEs."""
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET statement_timeout = '{timeout}'")
        row = con.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement).fetchone()  # type: ignore[arg-type]
    doc = row[0] if row else []
    doc = json.loads(doc) if isinstance(doc, str) else doc
    top = doc[0]
    nodes = pg_self_times(top["Plan"])
    by_cte: dict[str, float] = defaultdict(float)
    for n in nodes:
        by_cte[n["cte"]] += n["self_ms"]
    total = float(top.get("Execution Time", 0.0))
    ctes = sorted(by_cte.items(), key=lambda kv: -kv[1])
    return {
        "engine": "postgres",
        "total_ms": round(total, 1),
        "planning_ms": round(float(top.get("Planning Time", 0.0)), 1),
        "top_ctes": [
            {"cte": k, "self_ms": round(v, 1), "share": round(v / total, 3) if total else None}
            for k, v in ctes[:TOP]
        ],
        "by_type": _by_type(nodes, "type", total),
        "event_scans": [
            {"node": n["node"], "rows": n["rows_per_loop"] * n["loops"], "self_ms": n["self_ms"]}
            for n in nodes
            if n["relation"] == "interaction_events"
        ],
        "top_operators": sorted(nodes, key=lambda n: -n["self_ms"])[:TOP],
    }


def pg_insert_breakdown(url: str) -> dict[str, Any]:
    """What the server pays per event on a load: heap, then indexes, then the foreign key.

    The loaded events are inserted again (``INSERT … SELECT``, one transaction each)
    into three copies of ``interaction_events``: bare, with its indexes, and with
    its indexes and its foreign key to ``widgets``.  The differences are the
    indexes' and the foreign-key check's share of the load.
    """
    variants = {
        "heap only": "INCLUDING DEFAULTS",
        "+ indexes": "INCLUDING DEFAULTS INCLUDING INDEXES",
        "+ indexes + foreign key": "INCLUDING DEFAULTS INCLUDING INDEXES",
    }
    out: dict[str, Any] = {}
    with psycopg.connect(url, autocommit=True) as con:
        rows = con.execute("SELECT count(*) FROM interaction_events").fetchone()[0]  # type: ignore[index]
        for i, (label, like) in enumerate(variants.items()):
            table = f"bench_events_{i}"
            con.execute(f"CREATE TABLE {table} (LIKE interaction_events {like})")  # type: ignore[arg-type]
            if "foreign key" in label:
                con.execute(
                    f"ALTER TABLE {table} ADD FOREIGN KEY (widget_id) REFERENCES widgets (id)"  # type: ignore[arg-type]
                )
            start = time.perf_counter()
            with con.transaction():
                con.execute("SET LOCAL synchronous_commit = off")
                con.execute(f"INSERT INTO {table} SELECT * FROM interaction_events")  # type: ignore[arg-type]
            out[label] = round(time.perf_counter() - start, 3)
            con.execute(f"DROP TABLE {table}")  # type: ignore[arg-type]
    return {"rows": rows, "seconds": out}


# ------------------------------------------------------------------- Python
def python_profile(func: Any, *args: Any, top: int = 8, **kwargs: Any) -> dict[str, Any]:
    """cProfile of ``func(*args, **kwargs)`` in this thread: the functions with most own time."""
    prof = cProfile.Profile()
    prof.enable()
    try:
        func(*args, **kwargs)
    finally:
        prof.disable()
    stream = io.StringIO()
    st = pstats.Stats(prof, stream=stream)
    total = st.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in st.stats.items():  # type: ignore[attr-defined]
        where = filename.split("site-packages/")[-1].split("/src/")[-1]
        rows.append(
            {
                "function": f"{where}:{line}({name})" if line else name,
                "calls": ncalls,
                "own_s": round(tottime, 3),
                "cumulative_s": round(cumtime, 3),
            }
        )
    rows.sort(key=lambda r: -r["own_s"])
    return {"total_s": round(total, 3), "top_functions": rows[:top]}
