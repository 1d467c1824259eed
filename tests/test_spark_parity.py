"""Parity: every metric on Apache Spark equals DuckDB on the same Parquet export.

Synthetic data goes into a DuckDB file, is exported with ``ihub export parquet``
and read twice: by DuckDB in place (``parquet:DIR``) and by a local Spark
session (``spark:DIR``), where the metric SQL runs as translated by sqlglot.
Each workbench method is compared at several as-of dates, including an odd
instant between whole days and one early in the history.

One Spark session serves the module (starting one is the slowest step, more so on a busy
machine); it is tuned for tiny data and picked up by the source as the active
session — the same path a ``spark-submit`` job on a cluster takes.

This test is part of ``make test``.  A missing pyspark or Java fails it: a skip
would hide a broken feature.  Only ``IHUB_SKIP_SPARK=1`` (a deliberate opt-out,
e.g. a machine that cannot install Java) skips it, and says so.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import METRIC_METHODS
from polars.testing import assert_frame_equal

import ihub_analysis
from ihub_analysis.errors import IhubError
from ihub_analysis.parquet_export import export_parquet
from ihub_analysis.synth import DEFAULT_END, synthesize_duckdb
from ihub_analysis.workbench import Workbench

#: Set to 1 to skip the Spark parity test on purpose (reported as a skip with this reason).
SKIP_ENV = "IHUB_SKIP_SPARK"
if os.environ.get(SKIP_ENV) == "1":
    pytest.skip(f"{SKIP_ENV}=1: Spark parity opted out", allow_module_level=True)

try:
    import pyspark  # noqa: F401
    import sqlglot  # noqa: F401
except ImportError as exc:  # fail, not skip: see the module docstring
    raise ImportError(
        f"the Spark parity test needs the spark extra ({exc}); run `make install-spark`, "
        f"or set {SKIP_ENV}=1 to opt out"
    ) from exc

pytestmark = [
    pytest.mark.spark,
    pytest.mark.slow,
    pytest.mark.xdist_group("spark"),
    # pyspark and py4j deprecate things in their own code (not ours); warnings stay
    # errors for everything else, including what ihub_analysis itself triggers
    pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:py4j"),
]

AS_OF = [
    DEFAULT_END,
    DEFAULT_END - dt.timedelta(days=17, hours=5, minutes=3, microseconds=7),
    DEFAULT_END - dt.timedelta(days=120, seconds=1),
]


#: Settings for a few thousand rows, where Spark's fixed costs per job are all the time
#: there is: one task per scan and per shuffle, no code to generate and compile, no
#: re-planning between stages.  Results do not depend on any of them.
SMALL_DATA_CONF = {
    "spark.master": "local[2]",
    "spark.driver.memory": "1g",
    "spark.default.parallelism": "2",
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.files.maxPartitionNum": "2",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.adaptive.enabled": "false",
}
#: A short-lived JVM: the quick JIT tier only, the simplest collector.
SMALL_DATA_JAVA = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def _java_or_fail() -> None:
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and Path(java_home, "bin/java").exists()):
        pytest.fail(
            "Spark needs Java 17 or later and none was found (no `java` on PATH, no JAVA_HOME): "
            f"run scripts/install-java.sh, or set {SKIP_ENV}=1 to opt out of the Spark tests"
        )


@pytest.fixture(scope="module")
def spark_session() -> Iterator[object]:
    from pyspark.sql import SparkSession

    from ihub_analysis.sources_spark import local_builder

    _java_or_fail()
    session = local_builder(SparkSession, SMALL_DATA_CONF, SMALL_DATA_JAVA).getOrCreate()
    yield session
    session.stop()


@pytest.fixture(scope="module")
def engines(
    tmp_path_factory: pytest.TempPathFactory, spark_session: object
) -> Iterator[tuple[Workbench, Workbench]]:
    folder = tmp_path_factory.mktemp("spark")
    snap = folder / "s.duckdb"
    synthesize_duckdb(snap, events=4_000, seed=3, end=DEFAULT_END, progress=False)
    export = folder / "export"
    export_parquet(str(snap), export)
    with (
        ihub_analysis.connect(f"parquet:{export}") as duck,
        ihub_analysis.connect(f"spark:{export}") as spark,
    ):
        yield duck, spark


@pytest.mark.parametrize("as_of", AS_OF, ids=["end", "mid-day", "early"])
@pytest.mark.parametrize("method", METRIC_METHODS)
def test_same_rows_on_spark_and_duckdb(
    engines: tuple[Workbench, Workbench], method: str, as_of: dt.datetime
) -> None:
    duck, spark = engines
    expected = getattr(duck, method)(as_of=as_of)
    got = getattr(spark, method)(as_of=as_of)
    assert_frame_equal(expected, got, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("kind", ["friction", "bottlenecks", "health"])
def test_two_point_comparison_on_spark(engines: tuple[Workbench, Workbench], kind: str) -> None:
    """``compare`` of these kinds runs one statement holding both points (T and baseline)."""
    duck, spark = engines
    expected = duck.compare(kind, as_of=AS_OF[1], baseline="-28d")
    assert expected.height > 0
    got = spark.compare(kind, as_of=AS_OF[1], baseline="-28d")
    assert_frame_equal(expected, got, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def test_evidence_on_spark(engines: tuple[Workbench, Workbench]) -> None:
    """The worst widget's and the worst hub's evidence: the evidence models' own SQL."""
    duck, spark = engines
    widget_id = duck.friction(as_of=AS_OF[0])["widget_id"][0]
    hub_slug = duck.health(as_of=AS_OF[0]).sort("health_score")["hub_slug"][0]
    for expected, got in (
        (
            duck.widget_evidence(widget_id, as_of=AS_OF[0]),
            spark.widget_evidence(widget_id, as_of=AS_OF[0]),
        ),
        (duck.hub_evidence(hub_slug, as_of=AS_OF[0]), spark.hub_evidence(hub_slug, as_of=AS_OF[0])),
    ):
        frames = got.frames()
        for name, frame in expected.frames().items():
            assert_frame_equal(frame, frames[name], check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def test_the_comparison_is_not_vacuous(engines: tuple[Workbench, Workbench]) -> None:
    duck, _ = engines
    for method in ("friction", "bottlenecks", "funnel", "health_trend", "changes"):
        assert getattr(duck, method)(as_of=DEFAULT_END).height > 0, method


def test_source_facts_match(engines: tuple[Workbench, Workbench], spark_session: object) -> None:
    duck, spark = engines
    assert spark.source.kind == "spark"
    assert spark.source.spark is spark_session  # the active session, as under spark-submit
    assert spark.tables == duck.tables
    assert spark.default_as_of() == duck.default_as_of()
    assert spark.source.snapshot_meta() == duck.source.snapshot_meta()


def test_own_sql_is_translated_and_read_only(engines: tuple[Workbench, Workbench]) -> None:
    duck, spark = engines
    query = (
        "SELECT h.slug, count(*) FILTER (WHERE e.event_type = 'error') AS errors, "
        "EXTRACT(EPOCH FROM (max(e.occurred_at) - min(e.occurred_at))) / 86400.0 AS span_days "
        "FROM interaction_events AS e JOIN widgets AS w ON w.id = e.widget_id "
        "JOIN hubs AS h ON h.id = w.hub_id GROUP BY h.slug ORDER BY h.slug"
    )
    assert_frame_equal(duck.sql(query), spark.sql(query), check_exact=False, rel_tol=1e-12)
    with pytest.raises(IhubError):
        spark.sql("INSERT INTO hubs SELECT * FROM hubs")
    with pytest.raises(IhubError, match="query failed"):
        spark.sql("SELECT no_such_column FROM hubs")


def test_no_views_are_left_behind(engines: tuple[Workbench, Workbench], spark_session) -> None:
    _, spark = engines
    spark.friction(as_of=DEFAULT_END)
    views = {t.name for t in spark_session.catalog.listTables()}
    assert not [v for v in views if v.startswith("ihub_")]


def test_tmp_dir_is_untouched(engines: tuple[Workbench, Workbench], tmp_path: Path) -> None:
    assert list(tmp_path.iterdir()) == []
