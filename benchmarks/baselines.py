"""Each metric on DuckDB against a hand-written single-query equivalent of it.

The hand-written queries in ``benchmarks/baselines/*.sql`` compute one metric
for one evaluation point and the default settings, the way one would write it
for that case alone (no generic interval machinery).  They are the floor the
composed models are measured against, and they must return the same rows: the
run fails if they do not.  Metric and baseline alternate within one process.

    python -m benchmarks.baselines FILE.duckdb [--repeats 5] [--metrics friction,…]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

from ihub_analysis.metrics.inputs import scalar_settings
from ihub_analysis.metrics.sqlmodels import _bind
from ihub_analysis.settings import Settings
from ihub_analysis.workbench import Workbench, connect

FOLDER = Path(__file__).parent / "baselines"
#: Metric (CLI name) → the workbench settings it is measured with.
METRIC_SETTINGS: dict[str, dict[str, Any]] = {"health-trend": {"weeks": 12}}


def available() -> list[str]:
    """The metrics that have a hand-written baseline."""
    return sorted(p.stem.replace("_", "-") for p in FOLDER.glob("*.sql"))


def baseline_sql(metric: str, wb: Workbench) -> str:
    """The hand-written query of ``metric``, its ``:name`` scalars bound as the models' are."""
    text = (FOLDER / f"{metric.replace('-', '_')}.sql").read_text(encoding="utf-8")
    settings = Settings().replace(**METRIC_SETTINGS.get(metric, {}))
    return _bind(text, scalar_settings(settings, wb.default_as_of()))


def _comparable(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Rows in a canonical order, floats rounded (the two queries add in different orders)."""
    out = frame.select(columns).with_columns(
        pl.col(c).round(9) for c in columns if frame.schema[c].is_float()
    )
    return out.sort(columns, nulls_last=True)


def same_rows(metric_frame: pl.DataFrame, base: pl.DataFrame) -> str | None:
    """None if the baseline returns the metric's rows on every column it has; else why not."""
    columns = [c for c in base.columns if c in metric_frame.columns]
    if len(columns) < len(base.columns):
        return f"baseline columns not in the metric: {sorted(set(base.columns) - set(columns))}"
    if metric_frame.height != base.height:
        return f"{metric_frame.height} rows from the metric, {base.height} from the baseline"
    a = _comparable(metric_frame.cast({c: base.schema[c] for c in columns}), columns)
    b = _comparable(base, columns)
    if not a.equals(b):
        diff = a.join(b, on=columns, how="anti").head(3)
        return f"rows differ, e.g. {diff.to_dicts()}"
    return None


def measure(source: str, metrics: list[str], repeats: int) -> dict[str, Any]:
    """Median seconds of each metric and its baseline, alternated; the ratio of medians."""
    out: dict[str, Any] = {"source": source, "repeats": repeats, "metrics": {}}
    load = os.getloadavg()[0]
    with connect(source) as wb:
        con = wb.source.con  # type: ignore[attr-defined]
        for metric in metrics:
            settings = METRIC_SETTINGS.get(metric, {})
            sql = baseline_sql(metric, wb)
            problem = same_rows(wb.metric(metric, **settings), con.sql(sql).pl())
            if problem:
                raise AssertionError(f"{metric}: the baseline disagrees: {problem}")
            times: dict[str, list[float]] = {"metric": [], "baseline": []}
            for _ in range(repeats):
                start = time.perf_counter()
                wb.metric(metric, **settings)
                times["metric"].append(time.perf_counter() - start)
                start = time.perf_counter()
                con.sql(sql).pl()
                times["baseline"].append(time.perf_counter() - start)
            pairs = [m / b for m, b in zip(times["metric"], times["baseline"], strict=True)]
            out["metrics"][metric] = {
                "metric_s": round(statistics.median(times["metric"]), 4),
                "baseline_s": round(statistics.median(times["baseline"]), 4),
                "ratio": round(
                    statistics.median(times["metric"]) / statistics.median(times["baseline"]), 3
                ),
                "pair_ratio_min_max": [round(min(pairs), 3), round(max(pairs), 3)],
                "same_rows": True,
            }
    out["load_avg"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.baselines", description=__doc__)
    p.add_argument("source", help="a DuckDB file (e.g. an ihub snapshot or ihub synth output)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--metrics", default=",".join(available()))
    args = p.parse_args(argv)
    result = measure(args.source, args.metrics.split(","), args.repeats)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
