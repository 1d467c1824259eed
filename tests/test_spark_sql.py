"""The translation of the metric SQL to Spark SQL (no Spark needed).

Every composed metric statement must translate; the rewrites that keep results
equal (epoch seconds, exact percentiles, decimal and JSON types) must be applied,
and anything but one query must be refused.  The engine-level proof is
``test_spark_parity.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from builder import T, World
from conftest import METRIC_METHODS

import ihub_analysis
from ihub_analysis import cli
from ihub_analysis.errors import BadInput, SourceError

sqlglot = pytest.importorskip("sqlglot")
from ihub_analysis.spark_sql import INSTALL_HINT, to_spark_sql  # noqa: E402

PLANNED = [m for m in METRIC_METHODS if m != "health_arrows"]  # arrows reuse health_trend


@pytest.fixture(scope="module")
def world_wb(tmp_path_factory: pytest.TempPathFactory) -> ihub_analysis.Workbench:
    w = World()
    w.widget(w.hub("alpha"), "Grid")
    src = w.to_duckdb(tmp_path_factory.mktemp("w") / "w.duckdb")
    wb = ihub_analysis.connect(src)
    yield wb
    wb.close()


@pytest.mark.parametrize("method", PLANNED)
def test_every_metric_statement_translates(world_wb: ihub_analysis.Workbench, method: str) -> None:
    spark = to_spark_sql(world_wb.explain(method, as_of=T))
    upper = spark.upper()
    assert "EPOCH" not in upper  # Spark has no epoch field
    assert "PERCENTILE_APPROX" not in upper  # approximate would differ
    assert "PERCENTILE_CONT" not in upper
    assert "DISTINCT ON" not in upper
    assert "ROW_NUMBER() OVER ()" not in upper  # Spark requires an ordered window
    assert "::" not in spark
    assert sqlglot.parse_one(spark, read="spark") is not None


def test_epoch_rewrites_keep_microseconds() -> None:
    diff = to_spark_sql("SELECT EXTRACT(EPOCH FROM (a - b)) / 86400.0 AS d FROM t")
    assert "CAST((UNIX_MICROS(a) - UNIX_MICROS(b)) AS DOUBLE) / 1000000" in diff
    assert "AS DOUBLE" in diff.upper()
    single = to_spark_sql("SELECT floor(date_part('epoch', ts) / 86400) AS day FROM t")
    assert "CAST(UNIX_MICROS(ts) AS DOUBLE) / 1000000" in single


def test_percentile_cont_is_exact_percentile() -> None:
    out = to_spark_sql("SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY x) AS p FROM t")
    assert out.upper().startswith("SELECT PERCENTILE(X, 0.9)")
    with pytest.raises(BadInput, match="ascending"):
        to_spark_sql("SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY x DESC) FROM t")


def test_types_match_a_snapshot() -> None:
    out = to_spark_sql(
        "SELECT CAST(NULL AS NUMERIC) AS n, CAST(NULL AS JSONB) AS j, CAST(NULL AS UUID) AS u, "
        "CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS t, CAST(1 AS DOUBLE PRECISION) AS d"
    )
    assert "DECIMAL(38, 10)" in out
    assert "JSON" not in out.upper()
    assert "UUID" not in out.upper()
    assert "CAST(NULL AS TIMESTAMP)" in out


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO hubs SELECT * FROM hubs",
        "DROP TABLE hubs",
        "SELECT 1; SELECT 2",
        "CREATE TABLE x AS SELECT 1",
        "DELETE FROM hubs",
    ],
)
def test_only_one_query_is_accepted(sql: str) -> None:
    with pytest.raises(BadInput):
        to_spark_sql(sql)


def test_unparsable_sql_is_one_line() -> None:
    with pytest.raises(BadInput, match="cannot translate") as err:
        to_spark_sql("SELECT (((")
    assert "\n" not in str(err.value)


def test_spark_missing_is_a_clear_bad_input(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if the extra were not installed
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(SourceError, match="install the spark extra"):
        ihub_analysis.connect(f"spark:{tmp_path}")
    assert cli.main(["metrics", "friction", "--source", f"spark:{tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and INSTALL_HINT in err


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: f"spark:{p / 'missing'}", "no such Parquet export directory"),
        (lambda p: f"spark:{p}", "not an Inter-Hub Parquet export"),
        (lambda p: "sc://localhost:15002", "names no data"),
        (lambda p: "sc://localhost:15002/;token=Zq7secret", "names no data"),
        (lambda p: "sc://localhost:15002/some/path;data=/x", "invalid Spark Connect URL"),
        (lambda p: "sc://:15002/;token=Zq7secret;data=/x", "invalid Spark Connect URL"),
    ],
    ids=["dir-missing", "not-an-export", "no-data", "no-data-token", "bad-url", "no-host"],
)
def test_bad_spark_sources_fail_before_spark_starts(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: object,
    message: str,
) -> None:
    pytest.importorskip("pyspark")
    source = make(tmp_path)  # type: ignore[operator]
    code = cli.main(["metrics", "friction", "--source", source])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and message in err, err
    assert "Zq7secret" not in err


def test_isfinite_keeps_the_unknown_time_rule() -> None:
    """DuckDB's ±infinity travel through Parquet as the extreme microsecond counts."""
    out = to_spark_sql("SELECT CASE WHEN isfinite(t) THEN t END AS t FROM x")
    assert "ISFINITE" not in out.upper()
    assert "UNIX_MICROS(t) > -9223372036854775807" in out
    assert "UNIX_MICROS(t) < 9223372036854775807" in out


def test_epoch_of_a_case_of_differences() -> None:
    out = to_spark_sql(
        "SELECT EXTRACT(EPOCH FROM (CASE k WHEN 2 THEN b - a WHEN 3 THEN c - b END)) FROM t"
    )
    assert "UNIX_MICROS(b) - UNIX_MICROS(a)" in out and "UNIX_MICROS(c) - UNIX_MICROS(b)" in out
    assert "UNIX_MICROS(CASE" not in out
