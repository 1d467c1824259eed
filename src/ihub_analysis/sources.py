"""Open an Inter-Hub source read-only: a DuckDB snapshot or a live Postgres.

A *source* is one string (see ``shared/spec/interface.md``): a DuckDB file
path, ``duckdb:///abs/path.duckdb`` or ``postgresql[+psycopg]://user@host/db``.
Both kinds are opened so that analysis can never write: DuckDB files read-only,
Postgres sessions with ``default_transaction_read_only`` plus a
``statement_timeout`` so a heavy query cannot stall production.  Each source
knows which Inter-Hub tables it holds, because older deployments stop at an
earlier phase.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from ihub_analysis.errors import IhubError, SourceError
from ihub_analysis.redact import redact_source, scrub
from ihub_analysis.schema import inter_hub_schema

APPLICATION_NAME = "ihub-analysis"
#: Default per-statement limit on a live database; ``IHUB_STATEMENT_TIMEOUT`` overrides.
DEFAULT_STATEMENT_TIMEOUT = "300s"
#: The table a snapshot (or a synthetic DuckDB file) records its provenance in.
SNAPSHOT_META_TABLE = "ihub_snapshot_meta"
#: Tables whose absence means "this is not an Inter-Hub database at all".
CORE_TABLES = ("hubs", "widgets", "interaction_events", "annotations")


@dataclass(frozen=True)
class SnapshotMeta:
    """Provenance of a DuckDB snapshot, as written by ``ihub snapshot`` / ``ihub synth``."""

    taken_at: dt.datetime
    source: str
    tool_version: str
    schema_fingerprint: str
    row_counts: dict[str, int]


@dataclass(frozen=True)
class SourceSpec:
    """A parsed source string."""

    kind: str  # "duckdb" | "postgres" | "parquet" | "spark"
    location: str  # file path, or the libpq-style URL (may hold a password)
    text: str

    @property
    def display(self) -> str:
        return redact_source(self.text)


def parse_source(text: str) -> SourceSpec:
    """Parse a source string; raise :class:`SourceError` (exit 2) when it is not one."""
    text = text.strip()
    if not text:
        raise SourceError("empty source: give a DuckDB file or a postgresql:// URL")
    for prefix in ("parquet:", "spark:"):  # an export directory (sources_parquet/_spark)
        if text.lower().startswith(prefix) and not text.lower().startswith(prefix + "//"):
            return SourceSpec(prefix[:-1], text[len(prefix) :], text)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme == "sc":  # Spark Connect: sc://host:port/;data=DIR (sources_spark)
        return SourceSpec("spark", text, text)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        rest = text.split("://", 1)[1]
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
        if authority.count("@") > 1:
            # libpq and SQLAlchemy would take the text after the first '@' as the host
            raise SourceError(
                f"{redact_source(text)}: more than one '@' before the host; "
                "percent-encode an '@' in the user or password as %40"
            )
        return SourceSpec("postgres", f"postgresql://{rest}", text)
    if scheme == "duckdb":
        path = text.split("://", 1)[1]
        if not path.startswith("/"):
            raise SourceError(
                f"duckdb:// URL needs an absolute path (duckdb:///abs/file.duckdb): {text}"
            )
        return SourceSpec("duckdb", path, text)
    if scheme:
        raise SourceError(
            f"unsupported source scheme {scheme!r} in {redact_source(text)}: "
            "use a .duckdb file or a postgresql:// URL"
        )
    if _CONNINFO.match(text):
        raise SourceError(
            f"{redact_source(text)} looks like a libpq key=value string: "
            "give a postgresql://user@host:port/dbname URL instead"
        )
    return SourceSpec("duckdb", text, text)


#: A libpq ``key=value`` connection string (not a source, but easily mistaken for one).
_CONNINFO = re.compile(r"^(host|hostaddr|port|dbname|user|password|service)\s*=", re.I)


class Source(ABC):
    """A read-only Inter-Hub database the metrics run inside."""

    kind: str
    spec: SourceSpec
    tables: frozenset[str]

    @property
    def display(self) -> str:
        """The source string without its password: safe for messages and reports."""
        return self.spec.display

    @abstractmethod
    def query(self, sql: str) -> pl.DataFrame:
        """Run one read-only statement and return its rows."""

    @abstractmethod
    def now(self) -> dt.datetime:
        """The default ``as_of``: snapshot ``taken_at`` or the server's ``now()``."""

    @abstractmethod
    def close(self) -> None: ...

    def snapshot_meta(self) -> SnapshotMeta | None:
        return None

    @property
    def phase(self) -> int:
        """The highest phase whose tables are all present."""
        schema = inter_hub_schema()
        phase = 0
        for p in range(1, 8):
            if all(t.name in self.tables for t in schema.tables if t.phase == p):
                phase = p
            else:
                break
        return phase

    def _check_inter_hub(self, present: set[str]) -> frozenset[str]:
        known = set(inter_hub_schema().table_names)
        tables = frozenset(present & known)
        missing_core = [t for t in CORE_TABLES if t not in tables]
        if missing_core:
            raise SourceError(
                f"{self.display} is not an Inter-Hub database "
                f"(no {', '.join(missing_core)} table{'s' if len(missing_core) > 1 else ''})"
            )
        return tables

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DuckDBSource(Source):
    kind = "duckdb"

    def __init__(self, spec: SourceSpec) -> None:
        import duckdb

        self.spec = spec
        path = Path(spec.location)
        if not path.exists():
            raise SourceError(f"no such DuckDB file: {path}")
        if path.is_dir():
            raise SourceError(f"{path} is a directory, not a DuckDB file")
        try:
            self.con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise SourceError(f"cannot open {path} as DuckDB: {_first_line(str(exc))}") from None
        try:
            self.con.execute("SET TimeZone = 'UTC'").fetchall()
            names = {
                r[0]
                for r in self.con.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'main' AND table_catalog = current_database()"
                ).fetchall()
            }
            self._has_meta = SNAPSHOT_META_TABLE in names
            self.tables = self._check_inter_hub(names)
        except BaseException:
            self.con.close()  # do not keep the file open behind a refused source
            raise

    def query(self, sql: str) -> pl.DataFrame:
        import duckdb

        try:
            return self.con.sql(sql).pl()
        except duckdb.Error as exc:
            raise IhubError(f"query failed on {self.display}: {_first_line(str(exc))}") from None

    def snapshot_meta(self) -> SnapshotMeta | None:
        if not self._has_meta:
            return None
        rows = self.con.execute(
            "SELECT taken_at, source, tool_version, schema_fingerprint, "
            f"CAST(row_counts AS VARCHAR) FROM {SNAPSHOT_META_TABLE} LIMIT 1"
        ).fetchall()
        if not rows:
            return None
        row = rows[0]
        taken_at = row[0].astimezone(dt.UTC)
        return SnapshotMeta(taken_at, row[1], row[2], row[3], json.loads(row[4] or "{}"))

    def now(self) -> dt.datetime:
        meta = self.snapshot_meta()
        if meta is not None:
            return meta.taken_at
        return dt.datetime.now(dt.UTC)

    def close(self) -> None:
        self.con.close()


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else text.strip()


def postgres_error_message(exc: BaseException, spec: SourceSpec) -> str:
    """Turn a libpq connection failure into one line that names the problem."""
    raw = scrub(str(exc), spec.text)
    text = raw.lower()
    try:
        parts = urlsplit(spec.location)
        host = parts.hostname or os.environ.get("PGHOST", "localhost")
        port = parts.port or int(os.environ.get("PGPORT", "5432"))
        user = parts.username or os.environ.get("PGUSER", "")
        dbname = parts.path.lstrip("/") or user
    except ValueError:
        return f"invalid Postgres URL {spec.display}"
    where = f"{host}:{port}"
    if "password authentication failed" in text:
        return f"password authentication failed for user {user!r} at {where}"
    if "no password supplied" in text:
        return (
            f"{where} asks for a password for user {user!r} and none was given "
            "(in the URL, PGPASSWORD or ~/.pgpass)"
        )
    m = re.search(r'database "([^"]+)" does not exist', raw)
    if m:
        return f"database {m.group(1)!r} does not exist at {where}"
    m = re.search(r'role "([^"]+)" does not exist', raw)
    if m:
        return f"user {m.group(1)!r} does not exist at {where}"
    if any(
        s in text
        for s in (
            "connection refused",
            "could not translate host name",
            "timeout expired",
            "no route to host",
            "network is unreachable",
            "name or service not known",
            "could not connect",
        )
    ):
        return f"cannot reach Postgres at {where} ({_first_line(raw).split(': ')[-1]})"
    return f"cannot connect to {spec.display}: {_first_line(raw)} (database {dbname!r})"


def resolve_statement_timeout(value: str | None = None) -> str:
    """The per-statement limit: ``value``, else ``IHUB_STATEMENT_TIMEOUT``, else 300s."""
    timeout = (value or os.environ.get("IHUB_STATEMENT_TIMEOUT", DEFAULT_STATEMENT_TIMEOUT)).strip()
    if not re.fullmatch(r"\d+\s*(ms|s|min|h)?", timeout):
        raise SourceError(f"invalid statement timeout {timeout!r} (e.g. 300s, 5min, 0 for none)")
    return timeout.replace(" ", "")


def session_options(statement_timeout: str) -> str:
    """libpq ``options`` of every session we open on a live database.

    Read-only by default, bounded in time, in UTC: analysis can neither write to
    nor stall production, and timestamps come back the same as from DuckDB.
    """
    return (
        f"-c default_transaction_read_only=on -c statement_timeout={statement_timeout} "
        "-c TimeZone=UTC"
    )


class PostgresSource(Source):
    kind = "postgres"

    def __init__(self, spec: SourceSpec, *, statement_timeout: str | None = None) -> None:
        import sqlalchemy as sa

        self.spec = spec
        self.statement_timeout = resolve_statement_timeout(statement_timeout)
        options = session_options(self.statement_timeout)
        try:
            url = sa.make_url(spec.location).set(drivername="postgresql+psycopg")
        except Exception:
            raise SourceError(f"invalid Postgres URL {spec.display}") from None
        self.engine = sa.create_engine(
            url,
            connect_args={
                "application_name": APPLICATION_NAME,
                "options": options,
                "connect_timeout": int(os.environ.get("IHUB_CONNECT_TIMEOUT", "10")),
            },
            pool_size=2,
            max_overflow=2,
            pool_pre_ping=True,
        )
        try:
            with self.engine.connect() as con:
                names = {
                    r[0]
                    for r in con.exec_driver_sql(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = current_schema()"
                    )
                }
        except sa.exc.OperationalError as exc:
            self.engine.dispose()
            raise SourceError(postgres_error_message(exc.orig or exc, spec)) from None
        try:
            self.tables = self._check_inter_hub(names)
        except SourceError:
            self.engine.dispose()  # close the pooled connection of a refused source
            raise

    def raw_connection(self):  # a psycopg connection, for COPY-based tools
        """A DBAPI (psycopg) connection with the same read-only session settings."""
        return self.engine.raw_connection()

    def query(self, sql: str) -> pl.DataFrame:
        """Run exactly one statement; the transaction it runs in is always rolled back.

        The session default is read-only, but a script such as ``BEGIN READ WRITE;
        INSERT …`` sent with the simple query protocol would switch its own
        transaction to read-write.  Pipeline mode sends the text with the extended
        protocol, which refuses more than one statement, and the rollback drops
        any ``SET`` the statement made, so nothing can turn the guard off.
        """
        import psycopg
        import sqlalchemy as sa

        try:
            with self.engine.connect() as con:
                pg = con.connection.driver_connection
                try:
                    with pg.cursor() as cur:
                        with pg.pipeline():
                            cur.execute(sql)
                        names = [d.name for d in cur.description or []]
                        rows = cur.fetchall() if cur.description else []
                finally:
                    with contextlib.suppress(psycopg.Error):
                        pg.rollback()
        except (psycopg.Error, sa.exc.DBAPIError) as exc:
            orig = getattr(exc, "orig", None) or exc
            message = _first_line(scrub(str(orig), self.spec.text))
            if "cannot insert multiple commands" in message:
                message = "send one SQL statement at a time (the session is read-only)"
            elif isinstance(orig, psycopg.errors.QueryCanceled) and "statement timeout" in message:
                message += (
                    f" (statement_timeout {self.statement_timeout}; "
                    "raise it with IHUB_STATEMENT_TIMEOUT)"
                )
            raise IhubError(f"query failed on {self.display}: {message}") from None
        return rows_to_frame(names, rows)

    def now(self) -> dt.datetime:
        with self.engine.connect() as con:
            value = con.exec_driver_sql("SELECT now()").scalar_one()
        return value.astimezone(dt.UTC)

    def close(self) -> None:
        self.engine.dispose()


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def rows_to_frame(names: list[str], rows: list[Any]) -> pl.DataFrame:
    """Rows from psycopg as a polars frame: UUIDs as text, JSON as text, NUMERIC as float."""
    columns = {name: [_plain(r[i]) for r in rows] for i, name in enumerate(names)}
    return pl.DataFrame(columns, strict=False)


def open_source(text: str, *, statement_timeout: str | None = None) -> Source:
    """Open ``text`` read-only; raise :class:`SourceError` with a one-line message."""
    spec = parse_source(text)
    if spec.kind == "postgres":
        return PostgresSource(spec, statement_timeout=statement_timeout)
    if spec.kind == "parquet":
        from ihub_analysis.sources_parquet import ParquetSource

        return ParquetSource(spec)
    if spec.kind == "spark":
        from ihub_analysis.sources_spark import SparkSource

        return SparkSource(spec)
    return DuckDBSource(spec)
