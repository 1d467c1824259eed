"""The hand-written baselines of ``benchmarks/baselines/`` return their metric's rows.

A baseline that disagrees with its metric would make its ratio meaningless, so
this checks the agreement on synthetic worlds (several seeds and evaluation
times, so regression flags, stale candidates and partial windows all occur) and
that the comparison notices a wrong row.  No timing is asserted.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import polars as pl
import pytest

from ihub_analysis import synth
from ihub_analysis.metrics.inputs import scalar_settings
from ihub_analysis.metrics.sqlmodels import _bind
from ihub_analysis.settings import Settings
from ihub_analysis.workbench import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks import baselines


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("baselines") / "synth.duckdb"
    synth.synthesize_duckdb(path, events=60_000, seed=11, end=synth.DEFAULT_END, progress=False)
    return path


@pytest.mark.parametrize("metric", baselines.available())
@pytest.mark.parametrize(
    "as_of",
    [
        synth.DEFAULT_END,
        synth.DEFAULT_END - dt.timedelta(days=9, hours=13, microseconds=7),
        synth.DEFAULT_END - dt.timedelta(days=60, seconds=1),
    ],
)
def test_baseline_returns_the_metric_rows(world: Path, metric: str, as_of: dt.datetime) -> None:
    with connect(str(world)) as wb:
        text = (baselines.FOLDER / f"{metric.replace('-', '_')}.sql").read_text()
        sql = _bind(text, scalar_settings(Settings(), as_of))
        got = wb.metric(metric, as_of=as_of)
        base = wb.source.con.sql(sql).pl()  # type: ignore[attr-defined]
    assert got.height > 0
    assert baselines.same_rows(got, base) is None


def test_a_wrong_row_is_noticed(world: Path) -> None:
    with connect(str(world)) as wb:
        got = wb.metric("friction")
        base = wb.source.con.sql(baselines.baseline_sql("friction", wb)).pl()  # type: ignore[attr-defined]
    assert baselines.same_rows(got, base) is None
    changed = base.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.col("score") + 1)
        .otherwise(pl.col("score"))
        .alias("score")
    )
    assert "rows differ" in (baselines.same_rows(got, changed) or "")
    assert "rows from the metric" in (baselines.same_rows(got, base.head(3)) or "")
