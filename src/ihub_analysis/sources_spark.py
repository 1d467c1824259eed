"""``spark:DIR`` and ``sc://host:port/;data=DIR``: the same metric SQL, run by Apache Spark.

The source is a Parquet export (``ihub export parquet``).  Each of its tables
becomes a temporary view over the export's files, and every statement — the
metrics' composed SQL and :meth:`Workbench.sql` alike — is translated from the
models' one dialect to Spark SQL (:mod:`ihub_analysis.spark_sql`) and run there.

Where Spark runs:

* ``spark:DIR`` in a process that already has a Spark session (``spark-submit``
  on a cluster, a notebook attached to one): that session, so the same call
  runs on the cluster.  ``DIR`` may be any location the cluster reads
  (``hdfs://…``, ``s3a://…``, a shared path).
* ``spark:DIR`` otherwise: a local session, ``local[2]`` (``IHUB_SPARK_MASTER``
  overrides), with ``IHUB_SPARK_DRIVER_MEMORY`` (default 4g).
* ``sc://host:15002/;data=DIR``: a Spark Connect server; ``data`` names the
  export as the server sees it.

The session runs in UTC with ``TIMESTAMP`` meaning an instant (Spark's
``TIMESTAMP_LTZ``), the semantics of ``timestamptz``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import threading
import uuid
from pathlib import Path
from typing import Any

import polars as pl

from ihub_analysis.errors import IhubError, SourceError
from ihub_analysis.parquet_export import META_FILE, read_sidecar, sidecar_meta
from ihub_analysis.sources import SnapshotMeta, Source, SourceSpec
from ihub_analysis.sources_parquet import export_dir, load_sidecar, table_columns
from ihub_analysis.spark_sql import INSTALL_HINT, to_spark_steps

DEFAULT_MASTER = "local[2]"
DEFAULT_DRIVER_MEMORY = "4g"
#: The Spark Connect URL parameter that names the export.
DATA_PARAM = "data"
_LOG4J = Path(__file__).with_name("spark_log4j2.properties")
_TOKEN = re.compile(r"(;token=)[^;]*", re.I)

#: Settings every session gets: UTC instants, as a snapshot has them.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_LTZ",
}


#: Postgres type (as the export's sidecar names it) → Spark type of its Parquet column.
_SPARK_TYPES = {
    "uuid": "STRING",
    "text": "STRING",
    "jsonb": "STRING",
    "timestamp with time zone": "TIMESTAMP",
    "integer": "INT",
    "smallint": "SMALLINT",
    "boolean": "BOOLEAN",
    "numeric": "DECIMAL(38,10)",
}


_DECIMAL = re.compile(r"DECIMAL\(\d{1,2},\d{1,2}\)")


def decimal_types(sidecar: dict[str, Any], table: str) -> dict[str, str]:
    """The exact DECIMAL(p,s) of each numeric column of ``table``, as the export wrote it."""
    out = {}
    for col in sidecar["tables"][table].get("columns", []):
        kind = str(col.get("duckdb_type", ""))
        if col.get("type") == "numeric" and _DECIMAL.fullmatch(kind):
            out[str(col["name"])] = kind
    return out


def _spark_type(pg_type: str, decimal: str | None = None) -> str:
    if pg_type == "numeric" and decimal:
        return decimal
    try:
        return _SPARK_TYPES[pg_type]
    except KeyError:
        raise SourceError(f"{META_FILE}: unknown column type {pg_type!r}") from None


class _LocalSession:
    """The process's own local Spark session, shared by its sources, stopped with the last."""

    lock = threading.Lock()
    users = 0
    session: Any = None


def _pyspark() -> Any:
    try:
        import pyspark
        from pyspark.sql import SparkSession
    except ImportError:
        raise SourceError(f"Spark sources need pyspark; {INSTALL_HINT}") from None
    del pyspark
    return SparkSession


def local_builder(
    spark_session: Any, conf: dict[str, str] | None = None, java_options: str = ""
) -> Any:
    """A builder for a quiet local session sized for this machine (``SparkSession`` given).

    ``conf`` overrides settings; ``java_options`` are added to the driver JVM's
    options (a local session's driver is the whole of Spark).
    """
    java_opts = f"-Dlog4j2.configurationFile={_LOG4J.as_uri()} {java_options}".strip()
    settings = {
        "spark.driver.memory": os.environ.get("IHUB_SPARK_DRIVER_MEMORY", DEFAULT_DRIVER_MEMORY),
        "spark.driver.extraJavaOptions": java_opts,
        "spark.log.structuredLogging.enabled": "false",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "8",
        # an export has a file per day: read them in a few tasks, not one task per file
        "spark.sql.files.maxPartitionNum": "8",
        # one machine: list the day folders in the driver, not in a Spark job
        "spark.sql.sources.parallelPartitionDiscovery.threshold": "100000",
        # a local session listens on the loopback interface only
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        **SESSION_CONF,
        **(conf or {}),
    }
    builder = spark_session.builder.master(
        os.environ.get("IHUB_SPARK_MASTER", DEFAULT_MASTER)
    ).appName("ihub-analysis")
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder


def _start_error(exc: BaseException) -> SourceError:
    text = str(exc)
    if "JAVA_GATEWAY_EXITED" in text or "Java gateway process exited" in text:
        return SourceError(
            "Spark could not start: its Java process exited (Spark needs Java 17 or later; "
            "check `java -version` and JAVA_HOME)"
        )
    return SourceError(f"Spark could not start: {_first_line(text)}")


def redact_connect_url(text: str) -> str:
    """``text`` with a Spark Connect ``;token=`` value masked."""
    return _TOKEN.sub(r"\1***", text)


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else "unknown error"


def _connect_url(url: str) -> tuple[str, str]:
    """The Spark Connect URL and the ``data`` location it names (parsed by pyspark)."""
    _pyspark()
    try:
        from pyspark.sql.connect.client import DefaultChannelBuilder
    except ImportError:
        raise SourceError(f"Spark Connect needs pyspark's connect client; {INSTALL_HINT}") from None
    try:
        channel = DefaultChannelBuilder(url)
    except Exception as exc:  # pyspark's own validation of the URL
        detail = _first_line(redact_connect_url(str(exc)))
        raise SourceError(f"invalid Spark Connect URL: {detail}") from None
    data = channel.getDefault(DATA_PARAM, "")
    if not data:
        raise SourceError(
            f"{redact_connect_url(url)} names no data: add ;{DATA_PARAM}=DIR "
            "(the Parquet export, as the Spark cluster sees it)"
        )
    return url, data


class SparkSource(Source):
    """An Inter-Hub Parquet export, with every query run by Spark."""

    kind = "spark"

    def __init__(self, spec: SourceSpec) -> None:
        self.spec = spec
        spark_session = _pyspark()
        self._owns_local = False
        if spec.location.startswith("sc://"):
            url, self.location = _connect_url(spec.location)
            sidecar_text = None
            try:
                self.spark = spark_session.builder.remote(url).getOrCreate()
            except Exception as exc:
                raise _start_error(exc) from None
        else:
            self.location = spec.location
            local = "://" not in spec.location
            if local:
                path = export_dir(spec).resolve()
                self.location = str(path)
                sidecar_text = (path / META_FILE).read_text(encoding="utf-8")
                load_sidecar(path)  # one clear error for a damaged sidecar, before Spark starts
            else:
                sidecar_text = None
            self.spark = spark_session.getActiveSession() or self._local_session(spark_session)
        try:
            for key, value in SESSION_CONF.items():
                self.spark.conf.set(key, value)
            if sidecar_text is None:
                sidecar_text = self._read_remote_sidecar()
            sidecar = read_sidecar(sidecar_text, self.display)
            self._meta = sidecar_meta(sidecar)
            columns = table_columns(sidecar)
            for name, cols in columns.items():
                self._register(name, cols, decimal_types(sidecar, name))
            self.tables = self._check_inter_hub(set(columns))
        except BaseException:
            self.close()
            raise

    @property
    def display(self) -> str:
        """The source string, without a Spark Connect token."""
        if self.spec.location.startswith("sc://"):
            return redact_connect_url(self.spec.location)
        return "spark:" + self.spec.location

    def _local_session(self, spark_session: Any) -> Any:
        with _LocalSession.lock:
            if _LocalSession.session is None:
                # the JVM resolves its own address before it reads any setting
                os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
                try:
                    _LocalSession.session = local_builder(spark_session).getOrCreate()
                except Exception as exc:
                    raise _start_error(exc) from None
            _LocalSession.users += 1
            self._owns_local = True
            return _LocalSession.session

    def _read_remote_sidecar(self) -> str:
        path = f"{self.location.rstrip('/')}/{META_FILE}"
        try:
            rows = self.spark.read.text(path, wholetext=True).collect()
        except Exception as exc:
            raise SourceError(
                f"cannot read {path} through Spark: {_first_line(str(exc))}"
            ) from None
        if not rows:
            raise SourceError(f"{path} is empty")
        return str(rows[0][0])

    def _register(
        self, table: str, columns: list[tuple[str, str]], decimals: dict[str, str]
    ) -> None:
        """A temporary view of ``table``'s files with exactly the export's columns.

        The schema is given, not inferred: inferring it reads every file's footer
        in a Spark job per table, which costs more than most metric queries.
        """
        folder = f"{self.location.rstrip('/')}/{table}"
        try:
            schema = ", ".join(f"`{c}` {_spark_type(t, decimals.get(c))}" for c, t in columns)
            frame = self.spark.read.schema(schema).parquet(folder)
            frame.select(*[f"`{c}`" for c, _ in columns]).createOrReplaceTempView(table)
        except Exception as exc:
            raise SourceError(
                f"cannot read table {table} of {self.display}: {_first_line(str(exc))}"
            ) from None

    def query(self, sql: str) -> pl.DataFrame:
        """Run ``sql`` model by model (see :func:`spark_sql.to_spark_steps`).

        Each step's rows are computed once and kept with a local checkpoint, which
        also cuts the step's plan off: the next step reads the rows, not the plan
        behind them.  (A cached view would not do: Spark expands a view's whole
        plan, views within views, before it looks for cached data, and analysing
        those ever larger plans takes longer than running them.)
        """
        steps, final = to_spark_steps(sql, f"ihub_{uuid.uuid4().hex[:12]}")
        views: list[str] = []
        try:
            for view, body in steps:
                self.spark.sql(body).localCheckpoint(eager=True).createOrReplaceTempView(view)
                views.append(view)
            table = self.spark.sql(final).toArrow()
        except Exception as exc:
            raise IhubError(f"query failed on {self.display}: {_first_line(str(exc))}") from None
        finally:
            for view in reversed(views):
                with contextlib.suppress(Exception):  # the session may be gone already
                    self.spark.catalog.dropTempView(view)
        return pl.from_arrow(table)  # type: ignore[return-value]

    def snapshot_meta(self) -> SnapshotMeta | None:
        return self._meta

    def now(self) -> dt.datetime:
        return self._meta.taken_at

    def close(self) -> None:
        if not self._owns_local:
            return
        self._owns_local = False
        with _LocalSession.lock:
            _LocalSession.users -= 1
            if _LocalSession.users == 0 and _LocalSession.session is not None:
                _LocalSession.session.stop()
                _LocalSession.session = None
