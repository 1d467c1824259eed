"""Smoke test of the benchmark harness: ``python -m benchmarks --quick`` runs every section.

It asserts that the run completes and writes valid JSON with every section (and
the generated markdown) — never any timing: performance is not asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SECTIONS = ("synth", "snapshot", "metrics", "reports", "demo", "profile")
METRICS = ("friction", "bottlenecks", "funnel", "health", "health-trend", "propagation", "changes")

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """One quick run for all the assertions of this module."""
    from conftest import PG_ADMIN_URL

    out = tmp_path_factory.mktemp("bench") / "quick.json"
    env = {**os.environ, "IHUB_BENCH_PG": PG_ADMIN_URL}
    env.pop("IHUB_SOURCE", None)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(out.read_text()), out


def test_quick_run_writes_every_section(quick_run: tuple[dict, Path]) -> None:
    result, _ = quick_run
    assert result["mode"] == "quick"
    assert result["errors"] == []
    for key in ("machine", "versions", "config", "commands", "scaling", "targets"):
        assert result[key], key
    for name in SECTIONS:
        assert result["sections"][name], name
    assert {"cores", "memory_gib", "cpu_model", "load_avg_at_start"} <= set(result["machine"])
    assert {"python", "duckdb", "postgres"} <= set(result["versions"])


def test_quick_run_covers_both_engines_and_every_metric(quick_run: tuple[dict, Path]) -> None:
    result, _ = quick_run
    sizes = result["sections"]["metrics"]["by_size"]
    assert len(sizes) == len(result["config"]["sizes"])
    for entry in sizes.values():
        for engine in ("duckdb", "postgres"):
            assert set(entry[engine]["metrics"]) == set(METRICS)
            for metric in METRICS:
                assert "seconds" in entry[engine]["metrics"][metric], (engine, metric)
        assert set(entry["ratio_duckdb_over_postgres"]) == set(METRICS)
        assert entry["same_row_counts"] is True
    synth = result["sections"]["synth"]["by_size"]
    assert all(
        "events_per_s" in e["duckdb"] and "events_per_s" in e["postgres"] for e in synth.values()
    )
    assert any("throughput" in e for e in result["sections"]["snapshot"]["by_size"].values())
    assert result["sections"]["demo"]["wall_s"]["n"] == 1
    targets = {t["target"] for t in result["targets"]}
    assert len(targets) >= 5
    assert all(t["met"] in (True, False) for t in result["targets"])


def test_quick_run_writes_the_doc_beside_the_results(quick_run: tuple[dict, Path]) -> None:
    _, out = quick_run
    doc = out.with_suffix(".md").read_text()
    for heading in (
        "## Targets",
        "## Metric suite",
        "## Reports",
        "## What limits the slowest step",
    ):
        assert heading in doc
    committed = REPO / "benchmarks" / "results" / "latest.json"
    assert out.resolve() != committed.resolve()
