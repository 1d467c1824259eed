"""Open an Inter-Hub source read-only: a DuckDB snapshot or a live Postgres.

A *source* is one string (see docs/interface.md): a DuckDB file
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
import logging
import os
import re
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ihub_analysis.errors import IhubError, SourceError
from ihub_analysis.redact import scrub
from ihub_analysis.schema import inter_hub_schema

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

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
    """A parsed source string: every displayed and connecting form derives from this parse."""

    kind: str  # "duckdb" | "postgres" | "parquet" | "spark" (more kinds register in _SCHEMES)
    location: str  # file path, or the URL rendered from ``url`` (may hold a password;
    # SQLAlchemy's rendering, not libpq's: connect with ``connect_kwargs()``)
    text: str  # as given: never shown, only used to scrub echoes of it
    url: URL | None = None  # the one parse of a Postgres URL (connects and displays)

    @property
    def display(self) -> str:
        """The source without its password: safe for messages, reports and metadata."""
        if self.url is None:
            return self.location
        return _render(self.url, password=False)

    def secrets(self) -> list[str]:
        """The password the source carries (URL userinfo or ``?password=``), if any."""
        if self.url is None:
            return []
        found = [self.url.password] + [
            v for k, v in _query_items(self.url) if k.lower() == "password"
        ]
        return [s for s in found if s]

    def connect_kwargs(self) -> dict[str, Any]:
        """libpq connection parameters from the parse, as SQLAlchemy's psycopg dialect
        builds them: ``psycopg.connect(**kwargs)`` then sees the same host, user and
        password as the workbench's engine, whatever characters the password holds."""
        if self.url is None:
            raise ValueError(f"{self.kind} source has no connection parameters")
        kwargs: dict[str, Any] = self.url.translate_connect_args(username="user", database="dbname")
        kwargs.update(_query_items(self.url))
        return kwargs


def _query_items(url: URL) -> list[tuple[str, str]]:
    """The URL's query as (key, value) pairs; a repeated key keeps its last value."""
    return [(k, v if isinstance(v, str) else v[-1]) for k, v in url.query.items()]


def _render(url: URL, *, password: bool) -> str:
    """``url`` as text, with or without its password (userinfo and ``?password=``)."""
    from sqlalchemy.engine import URL

    if not password:
        url = URL.create(
            url.drivername,
            username=url.username or None,
            password=None,
            host=url.host,
            port=url.port,
            database=url.database,
            query={k: v for k, v in url.query.items() if k.lower() != "password"},
        )
    return url.render_as_string(hide_password=False)


def _parse_postgres(text: str, scheme: str) -> SourceSpec:
    """Parse with SQLAlchemy's URL parser, the one the engine connects with."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    problem = "it does not read as user@host:port/dbname"
    try:
        url = make_url(text)
    except ArgumentError:
        url = None
    except ValueError:  # SQLAlchemy's int() of the port
        url, problem = None, "the port is not a number"
    if url is not None and ("@" in (url.username or "") or "@" in (url.host or "")):
        url = None
    if url is None:
        if text.count("@") > 1:
            problem = "more than one '@' before the host"
        # unparsed, so nothing of it can be shown safely: not even the host
        raise SourceError(
            f"invalid Postgres URL {scheme}://…: {problem} (percent-encode '@', ':', '/', "
            "'?', '#' and '%' in the user or password, e.g. '@' as %40)"
        )
    return SourceSpec(
        "postgres", _render(url.set(drivername="postgresql"), password=True), text, url
    )


def _parse_duckdb(text: str, scheme: str) -> SourceSpec:
    path = text.split("://", 1)[1]
    if not path.startswith("/"):
        raise SourceError(
            f"duckdb:// URL needs an absolute path (duckdb:///abs/file.duckdb): {text}"
        )
    return SourceSpec("duckdb", path, text)


#: Source URL schemes and their parsers; a new kind of source registers here.
_SCHEMES: dict[str, Callable[[str, str], SourceSpec]] = {
    "postgresql": _parse_postgres,
    "postgres": _parse_postgres,
    "postgresql+psycopg": _parse_postgres,
    "duckdb": _parse_duckdb,
    # Spark Connect: sc://host:port/;data=DIR, parsed by pyspark (sources_spark)
    "sc": lambda text, _scheme: SourceSpec("spark", text, text),
}


def parse_source(text: str) -> SourceSpec:
    """Parse a source string; raise :class:`SourceError` (exit 2) when it is not one."""
    text = text.strip()
    if not text:
        raise SourceError("empty source: give a DuckDB file or a postgresql:// URL")
    for prefix in ("parquet:", "spark:"):  # an export directory (sources_parquet/_spark)
        if text.lower().startswith(prefix) and not text.lower().startswith(prefix + "//"):
            return SourceSpec(prefix[:-1], text[len(prefix) :], text)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in _SCHEMES:
        return _SCHEMES[scheme](text, scheme)
    if scheme:
        plain = scheme.replace("+", "").replace(".", "").replace("-", "").isalnum()
        shown = scheme if plain else "?"
        raise SourceError(
            f"unsupported source scheme {shown!r}: use a .duckdb file or a postgresql:// URL"
        )
    if _is_conninfo(text):
        raise SourceError(
            "a libpq key=value connection string is not a source: give a "
            "postgresql://user@host:port/dbname URL (the password in PGPASSWORD or ~/.pgpass)"
        )
    return SourceSpec("duckdb", text, text)


def _is_conninfo(text: str) -> bool:
    """Whether libpq itself reads ``text`` as a ``key=value`` connection string."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        return bool(conninfo_to_dict(text))
    except Exception:  # psycopg.ProgrammingError: not conninfo, so a file path
        return False


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

    def query_model(self, sql: str) -> pl.DataFrame:
        """Run a statement composed from the metric models (planner settings for them)."""
        return self.query(sql)

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


#: Read-only, locked-down DuckDB connections by resolved file path, with their users.
#: DuckDB shares one database instance per file within a process, and once its
#: configuration is locked a second connection could not set its session (time zone):
#: so every source of one file in a process uses the same connection.
_SHARED: dict[str, tuple[Any, int]] = {}
_SHARED_LOCK = threading.Lock()


def _open_shared(path: Path) -> str:
    """Open (or reuse) the locked-down read-only connection of ``path``; return its key."""
    import duckdb

    key = str(path.resolve())
    with _SHARED_LOCK:
        if key in _SHARED:
            con, users = _SHARED[key]
            _SHARED[key] = (con, users + 1)
            return key
        try:
            con = duckdb.connect(key, read_only=True)
        except duckdb.Error as exc:
            raise SourceError(f"cannot open {path} as DuckDB: {_first_line(str(exc))}") from None
        try:
            con.execute("SET TimeZone = 'UTC'").fetchall()
            _lock_down(con)
        except duckdb.Error as exc:
            con.close()
            raise SourceError(f"cannot read {path} as DuckDB: {_first_line(str(exc))}") from None
        _SHARED[key] = (con, 1)
        return key


def _close_shared(key: str) -> None:
    """One user fewer; the last one closes the connection."""
    with _SHARED_LOCK:
        con, users = _SHARED[key]
        if users > 1:
            _SHARED[key] = (con, users - 1)
            return
        del _SHARED[key]
    con.close()


class DuckDBSource(Source):
    kind = "duckdb"

    def __init__(self, spec: SourceSpec) -> None:
        import duckdb

        from ihub_analysis.duckdb_files import check_columns, check_duckdb_file

        self.spec = spec
        path = Path(spec.location)
        check_duckdb_file(path)  # a FIFO would block connect() forever
        self._key = _open_shared(path)  # the same file twice in one process: one connection
        self.con = _SHARED[self._key][0]
        try:
            names = {
                r[0]
                for r in self.con.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'main' AND table_catalog = current_database()"
                ).fetchall()
            }
            self._has_meta = SNAPSHOT_META_TABLE in names
            self.tables = self._check_inter_hub(names)
            check_columns(self.con, self.tables, self.display)
        except duckdb.Error as exc:  # e.g. a truncated file: its catalog is unreadable
            self._release()
            raise SourceError(f"cannot read {path} as DuckDB: {_first_line(str(exc))}") from None
        except BaseException:
            self._release()  # do not keep the file open behind a refused source
            raise

    def _release(self) -> None:
        _close_shared(self._key)

    def query(self, sql: str) -> pl.DataFrame:
        import duckdb

        try:
            return self.con.sql(sql).pl()
        except duckdb.IOException as exc:  # the file, not the query, is at fault: exit 2
            raise SourceError(f"cannot read {self.display}: {_first_line(str(exc))}") from None
        except duckdb.Error as exc:
            raise IhubError(f"query failed on {self.display}: {_first_line(str(exc))}") from None

    def snapshot_meta(self) -> SnapshotMeta | None:
        if not self._has_meta:
            return None
        import duckdb

        try:
            rows = self.con.execute(
                "SELECT taken_at, source, tool_version, schema_fingerprint, "
                f"CAST(row_counts AS VARCHAR) FROM {SNAPSHOT_META_TABLE} LIMIT 1"
            ).fetchall()
        except (duckdb.Error, ValueError, OverflowError) as exc:  # damaged, look-alike, ±infinity
            raise SourceError(f"cannot read {self.display}: {_first_line(str(exc))}") from None
        if not rows:
            return None
        row = rows[0]
        try:
            taken_at = row[0].astimezone(dt.UTC)
        except (ValueError, OverflowError):  # -infinity arrives as datetime.min
            raise SourceError(f"{self.display} has an unusable taken_at ({row[0]})") from None
        return SnapshotMeta(taken_at, row[1], row[2], row[3], json.loads(row[4] or "{}"))

    def now(self) -> dt.datetime:
        meta = self.snapshot_meta()
        if meta is not None:
            return meta.taken_at
        return dt.datetime.now(dt.UTC)

    def close(self) -> None:
        if self._key is not None:
            self._release()
            self._key = None


#: Settings that close a DuckDB connection to everything but the open snapshot,
#: applied in this order: the last one freezes them (and every other setting).
_DUCKDB_LOCKDOWN = (
    "SET python_enable_replacements = false",  # no scans of the caller's Python variables
    "SET enable_external_access = false",  # no files, network, ATTACH, INSTALL or LOAD
    "SET lock_configuration = true",  # no SET/RESET/PRAGMA: results cannot be skewed
)


def _lock_down(con: Any) -> None:
    """Once the snapshot is open, nothing a query says can reach beyond it.

    This is the engine's own guarantee, below the SQL guard: even a function the
    guard does not know cannot read or write a file, and a ``SET`` cannot
    persist into later metric queries (``default_order`` once reversed funnels).
    """
    for statement in _DUCKDB_LOCKDOWN:
        con.execute(statement)


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else text.strip()


def postgres_error_message(exc: BaseException, spec: SourceSpec) -> str:
    """Turn a libpq connection failure into one line that names the problem."""
    raw = scrub(str(exc), spec)
    text = raw.lower()
    url = spec.url
    host = (url.host if url else None) or os.environ.get("PGHOST", "localhost")
    port = (url.port if url else None) or os.environ.get("PGPORT", "5432")
    user = (url.username if url else None) or os.environ.get("PGUSER", "")
    dbname = (url.database if url else None) or user
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
    ``standard_conforming_strings`` is pinned on so a backslash in a literal is
    a backslash, as the SQL guard's parser reads it.  No JIT: a metric statement
    is large and runs once, and compiling it cost more than it saved (seconds at
    10M events, once the planner's row estimates were right).  ``work_mem`` is
    64 MB (the server default is 4 MB) so that a metric's aggregations and sorts of
    millions of events stay in memory instead of spilling to disk; Postgres may use
    that much per sort or hash node (hash nodes twice that), so one metric statement
    can take a few hundred MB of server memory while it runs.
    """
    return (
        f"-c default_transaction_read_only=on -c statement_timeout={statement_timeout} "
        "-c TimeZone=UTC -c standard_conforming_strings=on -c jit=off -c work_mem=64MB"
    )


#: Planner settings for the statements composed from the metric models, local to the
#: transaction each runs in (ad-hoc SQL keeps the server's).  The models chain
#: materialised CTEs, whose row counts and distinct values Postgres can only guess:
#: it guessed single rows for thousands of intervals and joined them in nested loops
#: (minutes at 10M events), and it read the event range with a plain index scan on
#: ``occurred_at``, which fetches a heap page per event when the events of a day are
#: stored in no particular order, where a bitmap or sequential scan reads each page
#: once.  Hash and merge joins and bitmap scans remain.
MODEL_PLANNER_SETTINGS: dict[str, str] = {"enable_nestloop": "off", "enable_indexscan": "off"}


logger = logging.getLogger("ihub_analysis.security")
#: Sources whose role was already checked in this process (by display form).
_NOTICED: set[str] = set()
_ROLE_ATTRIBUTES = (
    "superuser",
    "can create roles",
    "can create databases",
    "replication",
    "bypasses row security",
)
#: Built-in roles that reach files, programs, other sessions or every table's data.
_POWERFUL_ROLES = (
    "pg_write_all_data",
    "pg_write_server_files",
    "pg_read_server_files",
    "pg_execute_server_program",
    "pg_signal_backend",
)
_PRIVILEGES_SQL = """
SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,
       (SELECT array_agg(p.rolname::text ORDER BY p.rolname) FROM pg_roles p
         WHERE p.rolname = ANY(%s) AND pg_has_role(current_user, p.oid, 'USAGE')),
       (SELECT count(*) FROM pg_class c
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
           AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')),
       has_schema_privilege(current_schema(), 'CREATE')
FROM pg_roles r WHERE r.rolname = current_user
"""


class PostgresSource(Source):
    kind = "postgres"

    def __init__(self, spec: SourceSpec, *, statement_timeout: str | None = None) -> None:
        import sqlalchemy as sa

        self.spec = spec
        self.statement_timeout = resolve_statement_timeout(statement_timeout)
        options = session_options(self.statement_timeout)
        if spec.url is None:
            raise SourceError(f"not a Postgres source: {spec.display}")
        url = spec.url.set(drivername="postgresql+psycopg")
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
        except sa.exc.DBAPIError as exc:  # OperationalError, or a bad option in the URL
            self.engine.dispose()
            raise SourceError(postgres_error_message(exc.orig or exc, spec)) from None
        try:
            self.tables = self._check_inter_hub(names)
        except SourceError:
            self.engine.dispose()  # close the pooled connection of a refused source
            raise
        self._notice_privileges()

    def privileges(self) -> list[str]:
        """What the connected role can do beyond reading: empty for a least-privilege role."""
        with self.engine.connect() as con:
            row = con.exec_driver_sql(_PRIVILEGES_SQL, (list(_POWERFUL_ROLES),)).one()
        if row[0]:
            return ["superuser"]  # can do everything the rest would list
        found = [attr for attr, has in zip(_ROLE_ATTRIBUTES, row[:5], strict=True) if has]
        found += [f"member of {r}" for r in row[5] or []]
        if row[6]:
            found.append(f"can write to {row[6]} table{'s' if row[6] != 1 else ''}")
        if row[7]:
            found.append("can create objects in the schema")
        return found

    def _notice_privileges(self) -> None:
        """Tell the user, once per process and database, that the role can do more than read."""
        if os.environ.get("IHUB_PRIVILEGE_NOTICE", "").lower() in ("off", "0", "no"):
            return
        key = self.display
        if key in _NOTICED:
            return
        _NOTICED.add(key)
        try:
            powers = self.privileges()
        except Exception:  # the notice is advice: never let it break opening the source
            return
        if powers:
            url = self.spec.url
            who = url.username if url is not None and url.username else "the connecting role"
            logger.warning(
                "ihub: notice: %s on %s is not a least-privilege role (%s); the workbench "
                "stays read-only, but use a role that can only SELECT (see docs/security.md)",
                who,
                self.display,
                "; ".join(powers),
            )

    def raw_connection(self):  # a psycopg connection, for COPY-based tools
        """A DBAPI (psycopg) connection with the same read-only session settings."""
        return self.engine.raw_connection()

    def query_model(self, sql: str) -> pl.DataFrame:
        return self.query(sql, settings=MODEL_PLANNER_SETTINGS)

    def query(self, sql: str, *, settings: Mapping[str, str] | None = None) -> pl.DataFrame:
        """Run exactly one statement; the transaction it runs in is always rolled back.

        The session default is read-only, but a script such as ``BEGIN READ WRITE;
        INSERT …`` sent with the simple query protocol would switch its own
        transaction to read-write.  Pipeline mode sends the text with the extended
        protocol, which refuses more than one statement, and the rollback drops
        any ``SET`` the statement made, so nothing can turn the guard off.
        ``settings`` are set for this transaction only (``set_config(…, true)``).
        """
        import psycopg
        import sqlalchemy as sa

        try:
            with self.engine.connect() as con:
                pg = con.connection.driver_connection
                try:
                    with pg.cursor() as cur:
                        for name, value in (settings or {}).items():
                            cur.execute("SELECT set_config(%s, %s, true)", (name, value))
                        with pg.pipeline():
                            cur.execute(sql)
                        names = [d.name for d in cur.description or []]
                        rows = cur.fetchall() if cur.description else []
                finally:
                    with contextlib.suppress(psycopg.Error):
                        pg.rollback()
        except (psycopg.Error, sa.exc.DBAPIError) as exc:
            orig = getattr(exc, "orig", None) or exc
            message = _first_line(scrub(str(orig), self.spec))
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
