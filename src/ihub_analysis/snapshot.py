"""``ihub snapshot``: a consistent, typed copy of a live Inter-Hub database in one DuckDB file.

Everything is read inside one read-only REPEATABLE READ transaction, so every
table shows the same instant, and that instant (the clock read inside the
statement that takes the snapshot) becomes the file's ``taken_at`` (the default
``as_of`` of every metric read from it).

Speed: each table travels as ``COPY (SELECT …) TO STDOUT (FORMAT binary)``,
the cheapest form for the server (CSV costs its backend 1.7× the CPU, mostly
formatting timestamps and UUIDs — more than the whole budget of 1.5× ``psql``'s
binary COPY).  The rows are read from libpq in a tight non-blocking loop,
decoded a couple of megabytes at a time by vectorised numpy code into Arrow
arrays that point into the received bytes (``string_view``; no per-value
Python objects), and appended to DuckDB by a worker thread, so Postgres, the
reader and DuckDB overlap.  ``benchmarks/snapshot_throughput.py`` measures the
result against ``psql``'s own binary COPY.

Credentials (:data:`ihub_analysis.schema.CREDENTIAL_COLUMNS`) are never read:
the ``SELECT`` puts an empty value in their place.

The file also records where the snapshot stands in the source's transaction
history (:mod:`ihub_analysis.snapshot_state`), which lets ``--refresh``
(:mod:`ihub_analysis.snapshot_refresh`) prove tables unchanged; both share
:func:`open_source` and :func:`_copy_table`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import queue
import select
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import numpy as np
import psycopg
import pyarrow as pa
from psycopg import pq, sql

from ihub_analysis import __version__, snapshot_state
from ihub_analysis.atomic import atomic_path
from ihub_analysis.duckdb_files import create_tables, write_meta
from ihub_analysis.errors import BadInput, IhubError, SourceError
from ihub_analysis.redact import scrub
from ihub_analysis.schema import (
    CREDENTIAL_COLUMNS,
    UNCONSTRAINED_NUMERIC,
    Column,
    Table,
    fingerprint_of,
    inter_hub_schema,
)
from ihub_analysis.sources import (
    APPLICATION_NAME,
    CORE_TABLES,
    SnapshotMeta,
    SourceSpec,
    parse_source,
    postgres_error_message,
    resolve_statement_timeout,
    session_options,
)

#: Bytes of COPY data decoded and appended to DuckDB at a time: large enough
#: that per-batch costs vanish, small enough that the column-by-column passes
#: over a batch stay in the CPU cache (16 MB batches decode 25% slower).
BATCH_BYTES = 2 << 20
#: Decoded batches waiting for DuckDB; the reader blocks beyond this.
QUEUE_DEPTH = 8

_BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER_BYTES = len(_BINARY_SIGNATURE) + 8  # signature, flags, header-extension length
_TRAILER = b"\xff\xff"
_PAD = bytes(16)  # lets fixed-width reads near the end of a batch stay in bounds

#: Postgres timestamps count microseconds from 2000-01-01, Arrow's from 1970-01-01.
_PG_EPOCH_US = 946_684_800_000_000
_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min
#: The largest Postgres timestamp DuckDB can hold (DuckDB stops at 294247-01-10).
_MAX_PG_TIMESTAMP = _INT64_MAX - 1 - _PG_EPOCH_US

#: Arrow's JSON type: DuckDB takes it as JSON without re-validating what jsonb produced.
_JSON = pa.json_(pa.string_view())
#: Sizes of the fixed-width types in binary COPY (each value's length word repeats it).
_FIXED_WIDTH = {
    "uuid": 16,
    "timestamp with time zone": 8,
    "integer": 4,
    "smallint": 2,
    "boolean": 1,
}
#: Bytes kept inline in an Arrow string view; longer strings point into the batch.
_INLINE = 12


def _view_masks() -> np.ndarray:
    """Masks for words 1-3 of a string view, by ``min(length, 13)``.

    Row ``k`` <= 12 keeps the first ``k`` inline bytes (the rest must be zero);
    row 13, for longer strings, keeps the 4-byte prefix and clears the buffer
    index and offset words, filled in afterwards.
    """
    masks = np.tril(np.full((_INLINE + 2, _INLINE), 0xFF, dtype=np.uint8), -1)
    masks[_INLINE + 1, 4:] = 0
    return masks.view(np.uint32)


_VIEW_MASKS = _view_masks()


@dataclasses.dataclass(frozen=True)
class SnapshotResult:
    """What ``ihub snapshot`` wrote, for its one-line summary."""

    out: Path
    meta: SnapshotMeta
    seconds: float

    def describe(self) -> str:
        rows = sum(self.meta.row_counts.values())
        size = self.out.stat().st_size / 1e6
        return (
            f"snapshot of {self.meta.source} as of "
            f"{self.meta.taken_at.isoformat().replace('+00:00', 'Z')}: "
            f"{len(self.meta.row_counts)} tables, {rows:,} rows -> {self.out} "
            f"({size:,.1f} MB, {self.seconds:.1f} s; credentials not copied)"
        )


def take_snapshot(source: str, out: Path, *, progress: bool | None = None) -> SnapshotResult:
    """Copy every Inter-Hub table of ``source`` into ``out`` as one consistent snapshot.

    ``out`` is replaced only when the copy is complete; ``progress=None`` shows
    per-table row counts on stderr when it is a terminal.
    """
    started = time.perf_counter()
    spec = parse_source(source)
    if spec.kind != "postgres":
        raise BadInput(
            f"snapshot copies a live database: give a postgresql:// URL, not {spec.display}"
        )
    out = Path(out)
    if out.is_dir():
        raise BadInput(f"{out} is a directory: give the path of the .duckdb file to write")
    report = _Progress(sys.stderr.isatty() if progress is None else progress)
    pg = _connect(spec)
    try:
        with atomic_path(out) as tmp:
            meta = _copy_database(pg, spec, tmp, report)
    except psycopg.Error as exc:
        raise IhubError(_copy_error_message(exc, spec)) from None
    finally:
        pg.close()  # also ends the read-only transaction; safe even mid-COPY
    return SnapshotResult(out, meta, time.perf_counter() - started)


# --- the Postgres side -------------------------------------------------------------


def _connect(spec: SourceSpec) -> psycopg.Connection:
    """Open a session with the same read-only settings as :class:`sources.PostgresSource`."""
    try:
        pg = psycopg.connect(
            **spec.connect_kwargs(),  # the source's one parse: same host, user, password
            application_name=APPLICATION_NAME,
            options=session_options(resolve_statement_timeout()),
            client_encoding="UTF8",
            connect_timeout=int(os.environ.get("IHUB_CONNECT_TIMEOUT", "10")),
        )
    except psycopg.Error as exc:
        raise SourceError(postgres_error_message(exc, spec)) from None
    pg.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    pg.read_only = True
    return pg


def _copy_error_message(exc: psycopg.Error, spec: SourceSpec) -> str:
    """One line, no secrets; a statement timeout says how to lift it."""
    first = scrub(str(exc), spec).strip().splitlines()
    text = first[0] if first else type(exc).__name__
    if isinstance(exc, psycopg.errors.QueryCanceled) and "timeout" in text:
        text += " (raise IHUB_STATEMENT_TIMEOUT, e.g. 30min, or 0 for none)"
    return f"snapshot of {spec.display} failed: {text}"


@dataclasses.dataclass(frozen=True)
class _SourceColumn:
    table: str
    name: str
    data_type: str  # as information_schema names it: the canonical names of schema.py
    not_null: bool


def _source_columns(pg: psycopg.Connection) -> list[_SourceColumn]:
    """Every column of every table in the source's schema, read inside the snapshot.

    From the catalog rather than ``information_schema.columns``, which hides the
    columns a role may not read — a role kept away from the credential columns
    would otherwise see tables without them.  ``format_type`` without a type
    modifier gives the same names as ``information_schema``'s ``data_type``.
    """
    rows = pg.execute(
        "SELECT c.relname, a.attname, format_type(a.atttypid, NULL), a.attnotnull "
        "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
    ).fetchall()
    return [_SourceColumn(*row) for row in rows]


def _plan(columns: list[_SourceColumn], spec: SourceSpec) -> list[Table]:
    """The Inter-Hub tables the source has, each with the columns it has.

    Older deployments lack later phases' tables and columns; the copy mirrors
    what is there, nullability included (the decoder trusts NOT NULL).  A column
    whose type differs from the schema is refused rather than converted.
    """
    present: dict[str, dict[str, _SourceColumn]] = {}
    for c in columns:
        present.setdefault(c.table, {})[c.name] = c
    missing_core = [t for t in CORE_TABLES if t not in present]
    if missing_core:
        raise SourceError(
            f"{spec.display} is not an Inter-Hub database (no {', '.join(missing_core)} table"
            f"{'s' if len(missing_core) > 1 else ''})"
        )
    tables = []
    for table in inter_hub_schema().tables:
        if table.name not in present:
            continue
        have = present[table.name]
        for col in table.columns:
            if col.name in have and have[col.name].data_type != col.pg_type:
                raise SourceError(
                    f"{table.name}.{col.name} is {have[col.name].data_type} in {spec.display}, "
                    f"but the Inter-Hub schema says {col.pg_type}"
                )
        kept = tuple(
            dataclasses.replace(c, not_null=have[c.name].not_null)  # the source's, not ours
            for c in table.columns
            if c.name in have
        )
        tables.append(Table(table.name, table.phase, kept))
    return tables


def _fingerprint(columns: list[_SourceColumn]) -> str:
    """The source's own schema fingerprint, comparable with ``Schema.fingerprint()``."""
    known = set(inter_hub_schema().table_names)
    return fingerprint_of(
        [(c.table, c.name, c.data_type, c.not_null) for c in columns if c.table in known]
    )


def _check_numerics(pg: psycopg.Connection, table: Table) -> None:
    """Refuse values that ``DECIMAL(38,10)`` would round or cannot hold (NaN, ±Infinity)."""
    for col in table.columns:
        if col.duckdb_type != UNCONSTRAINED_NUMERIC:
            continue
        name = f'"{col.name}"'
        nan, inexact, example = pg.execute(
            f"SELECT count(*) FILTER (WHERE {name} = 'NaN'), "
            f"count(*) FILTER (WHERE {name} <> 'NaN' "
            f"  AND ({name} <> round({name}, 10) OR abs({name}) >= 1e28)), "
            f"min({name}::text) FILTER (WHERE {name} <> 'NaN' "
            f"  AND ({name} <> round({name}, 10) OR abs({name}) >= 1e28)) "
            f'FROM "{table.name}"'
        ).fetchone()  # type: ignore[misc]
        where = f"{table.name}.{col.name}"
        if nan:
            raise IhubError(f"{where} holds {nan:,} NaN value(s), which DuckDB cannot store")
        if inexact:
            raise IhubError(
                f"{where} holds {inexact:,} value(s) that {UNCONSTRAINED_NUMERIC} cannot store "
                f"exactly (e.g. {example}); refusing to round them"
            )


def _select_list(table: Table) -> str:
    """Columns to copy: credentials replaced by an empty value, NUMERIC as exact text."""
    secrets = CREDENTIAL_COLUMNS.get(table.name, ())
    items = []
    for col in table.columns:
        if col.name in secrets:
            empty = "''" if col.not_null else "NULL"
            items.append(f'{empty}::text AS "{col.name}"')
        elif col.pg_type == "numeric":
            items.append(f'"{col.name}"::text AS "{col.name}"')
        else:
            items.append(f'"{col.name}"')
    return ", ".join(items)


def _wait_readable(pgconn: pq.abc.PGconn) -> None:
    select.select([pgconn.socket], [], [])
    pgconn.consume_input()


def _copy_out(
    pgconn: pq.abc.PGconn, query: str, deliver: Callable[[bytearray, list[int]], None]
) -> None:
    """Run a binary ``COPY … TO STDOUT`` and hand over its rows ``BATCH_BYTES`` at a time.

    Drives libpq directly, non-blocking: psycopg's row iterator costs about
    twice the CPU per row, and its blocking read would hold the GIL that the
    DuckDB worker needs.  ``deliver`` gets the rows' bytes (header and trailer
    removed, padded by ``_PAD``) and each row's length.
    """
    pgconn.send_query(query.encode())
    while pgconn.flush():
        select.select([], [pgconn.socket], [])
    while pgconn.is_busy():
        _wait_readable(pgconn)
    result = pgconn.get_result()
    if result is None or result.status != pq.ExecStatus.COPY_OUT:
        _finish(pgconn, result)
        raise IhubError(f"unexpected reply to {query[:60]}…")
    get, limit = pgconn.get_copy_data, BATCH_BYTES  # locals: this loop runs once per row
    buf, lengths = bytearray(), []
    append = lengths.append
    header_seen = False
    while True:
        n, data = get(1)
        if n > 0:
            buf += data
            append(n)
            if len(buf) >= limit:
                if not header_seen:
                    _strip_header(buf, lengths)
                    header_seen = True
                buf += _PAD
                deliver(buf, lengths)
                buf, lengths = bytearray(), []
                append = lengths.append
        elif n == 0:
            _wait_readable(pgconn)
        else:
            break
    _finish(pgconn, None)
    if not header_seen:
        _strip_header(buf, lengths)
    if lengths and lengths[-1] == len(_TRAILER) and buf[-len(_TRAILER) :] == _TRAILER:
        del buf[-len(_TRAILER) :]
        lengths.pop()
    if lengths:
        buf += _PAD
        deliver(buf, lengths)


def _strip_header(buf: bytearray, lengths: list[int]) -> None:
    if not buf.startswith(_BINARY_SIGNATURE):
        raise IhubError("the server's COPY output is not in PostgreSQL's binary format")
    del buf[:_HEADER_BYTES]
    lengths[0] -= _HEADER_BYTES
    if lengths[0] == 0:
        lengths.pop(0)


def _finish(pgconn: pq.abc.PGconn, result: pq.abc.PGresult | None) -> None:
    """Collect the statement's remaining results; raise the server's error if any."""
    error = result if result is not None and result.status == pq.ExecStatus.FATAL_ERROR else None
    while True:
        while pgconn.is_busy():
            _wait_readable(pgconn)
        result = pgconn.get_result()
        if result is None:
            break
        if result.status == pq.ExecStatus.FATAL_ERROR and error is None:
            error = result
    if error is not None:
        raise psycopg.errors.error_from_result(error)
    if pgconn.status != pq.ConnStatus.OK:
        raise psycopg.OperationalError(pgconn.get_error_message())


# --- decoding binary COPY rows into Arrow --------------------------------------------


def _arrow_type(col: Column) -> pa.DataType:
    """The Arrow type a column is decoded to; DuckDB casts it to the table's type."""
    return {
        "uuid": pa.uuid(),
        "jsonb": _JSON,
        "timestamp with time zone": pa.timestamp("us", tz="UTC"),
        "integer": pa.int32(),
        "smallint": pa.int16(),
        "boolean": pa.bool_(),
    }.get(col.pg_type, pa.string_view())  # text, and numeric sent as text


def _at(data: np.ndarray, dtype: str, offsets: np.ndarray) -> np.ndarray:
    """The ``dtype`` values starting at each byte offset (unaligned, any endianness)."""
    size = np.dtype(dtype).itemsize
    window = np.ndarray((len(data) - size + 1,), dtype=dtype, buffer=data, strides=(1,))
    return window[offsets]


def _validity(valid: np.ndarray) -> pa.Buffer | None:
    return None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))


def _string_view(
    buf: pa.Buffer, data: np.ndarray, start: np.ndarray, size: np.ndarray, valid: np.ndarray
) -> pa.Array:
    """Arrow ``string_view`` values pointing into ``buf``: no copy of the text itself.

    One 16-byte read per value, from 4 bytes before its text, gives a whole view
    at once: word 0 becomes the length, words 1-3 hold the first 12 bytes (kept,
    zero-padded, for short strings; for long ones word 1 is the prefix, word 2
    buffer 0 and word 3 the offset).  ``size`` is 0 for NULL.
    """
    views = _at(data, "V16", start - 4).view(np.uint32).reshape(-1, 4)
    views[:, 0] = size
    views[:, 1:] &= _VIEW_MASKS[np.minimum(size, _INLINE + 1)]
    views[:, 3] |= np.where(size > _INLINE, start, 0).astype(np.uint32)
    return pa.Array.from_buffers(
        pa.string_view(), len(start), [_validity(valid), pa.py_buffer(views), buf]
    )


def _timestamps(raw: np.ndarray, valid: np.ndarray, where: str) -> np.ndarray:
    """Postgres microseconds since 2000 → since 1970, keeping ±infinity."""
    finite = (raw != _INT64_MAX) & (raw != _INT64_MIN)
    if np.any(valid & finite & (raw > _MAX_PG_TIMESTAMP)):
        raise IhubError(f"{where} holds a timestamp after 294246 AD, beyond DuckDB's range")
    out = np.where(raw > 0, _INT64_MAX, -_INT64_MAX)  # DuckDB's ±infinity
    np.add(raw, _PG_EPOCH_US, out=out, where=finite)
    return out


def _fixed(
    col: Column, data: np.ndarray, start: np.ndarray, valid: np.ndarray, where: str
) -> pa.Array:
    """A fixed-width column, read at every row's offset."""
    n = len(start)
    validity = _validity(valid)
    if col.pg_type == "uuid":
        storage = pa.Array.from_buffers(
            pa.binary(16), n, [validity, pa.py_buffer(_at(data, "V16", start))]
        )
        return pa.ExtensionArray.from_storage(pa.uuid(), storage)
    if col.pg_type == "timestamp with time zone":
        values = _timestamps(_at(data, ">i8", start).astype(np.int64), valid, where)
    elif col.pg_type == "boolean":
        values = np.packbits(_at(data, "u1", start) != 0, bitorder="little")
    else:
        values = _at(data, ">i4" if col.pg_type == "integer" else ">i2", start)
        values = values.astype(values.dtype.newbyteorder("="))
    return pa.Array.from_buffers(_arrow_type(col), n, [validity, pa.py_buffer(values)])


def _decode_column(
    table: str, col: Column, data: np.ndarray, buf: pa.Buffer, pos: np.ndarray
) -> tuple[pa.Array, np.ndarray]:
    """One column of every row, given each row's offset of that field; also the next offsets."""
    where = f"{table}.{col.name}"
    start = pos + 4  # after the field's length word
    width = _FIXED_WIDTH.get(col.pg_type)
    if width is not None and col.not_null:  # the length word can only say ``width``
        return _fixed(col, data, start, np.ones(len(pos), dtype=bool), where), start + width
    length = _at(data, ">i4", pos).astype(np.int32)  # -1: NULL
    valid = length >= 0
    size = np.maximum(length, 0)
    following = start + size
    if width is not None:
        if np.any(valid & (length != width)):
            raise IhubError(f"{where}: unexpected value width in COPY data")
        return _fixed(col, data, start, valid, where), following
    if col.pg_type == "jsonb":  # a version byte (1), then the JSON text
        if np.any(valid & (_at(data, "u1", start) != 1)):
            raise IhubError(f"{where}: unknown jsonb binary format version")
        text = _string_view(buf, data, start + 1, np.maximum(size - 1, 0), valid)
        return pa.ExtensionArray.from_storage(_JSON, text), following
    return _string_view(buf, data, start, size, valid), following


def decode_rows(table: Table, buf: bytearray, lengths: list[int]) -> pa.RecordBatch:
    """Decode binary COPY rows (concatenated in ``buf``, padded) into one Arrow batch.

    Works column by column over all rows at once: each field's offset is the
    previous one's plus its length, so a handful of numpy gathers per column
    replace a Python loop per value.
    """
    data = np.frombuffer(buf, dtype=np.uint8)
    arrow_buf = pa.py_buffer(buf)
    row_len = np.asarray(lengths, dtype=np.int64)
    starts = np.zeros(len(row_len), dtype=np.int64)
    np.cumsum(row_len[:-1], out=starts[1:])
    if np.any(_at(data, ">i2", starts) != len(table.columns)):
        raise IhubError(f"{table.name}: COPY rows do not have {len(table.columns)} fields")
    pos = starts + 2
    arrays = []
    for col in table.columns:
        array, pos = _decode_column(table.name, col, data, arrow_buf, pos)
        arrays.append(array)
    if np.any(pos != starts + row_len):
        raise IhubError(f"{table.name}: COPY rows are longer than their fields")
    schema = pa.schema([pa.field(c.name, _arrow_type(c)) for c in table.columns])
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


# --- the DuckDB side ---------------------------------------------------------------


class _AbortedError(Exception):
    """Raised inside the DuckDB worker when the copy is abandoned."""


class _TableWriter:
    """Appends one table's decoded batches to DuckDB in a worker thread.

    DuckDB releases the GIL while it stores a batch, so Postgres, the reading
    and decoding thread and DuckDB all run at once.  Decoding stays in the
    reading thread: numpy needs the GIL between its operations, and a worker
    decoding against the busy reading loop keeps waiting for it (measured at
    1M events: never faster, up to 15% slower).
    """

    _END = object()
    _ABORT = object()

    def __init__(
        self, duck: duckdb.DuckDBPyConnection, table: Table, *, own_cursor: bool = True
    ) -> None:
        self.table = table
        self.rows = 0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=QUEUE_DEPTH)
        self._error: BaseException | None = None
        # A refresh writes inside the caller's open transaction, which a cursor
        # (a connection of its own) would not see; the caller waits meanwhile.
        self._own_cursor = own_cursor
        self._cursor = duck.cursor() if own_cursor else duck
        self._thread = threading.Thread(
            target=self._run, name=f"snapshot-{table.name}", daemon=True
        )
        self._thread.start()

    def put(self, buf: bytearray, lengths: list[int]) -> None:
        """Decode raw COPY rows and queue them for DuckDB."""
        self._put(decode_rows(self.table, buf, lengths))
        self.rows += len(lengths)

    def finish(self) -> None:
        """Wait for every queued batch to be stored; re-raise the worker's failure."""
        self._put(self._END)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        """Stop the worker without storing the rest (the file is being discarded)."""
        if not self._thread.is_alive():
            return
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put(self._ABORT)
        self._cursor.interrupt()
        self._thread.join()

    def close(self) -> None:
        if self._own_cursor:
            self._cursor.close()
        else:
            self._cursor.unregister("snapshot_batches")

    def _put(self, item: object) -> None:
        while self._thread.is_alive():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue
        raise self._error or RuntimeError(f"the DuckDB writer of {self.table.name} stopped")

    def _batches(self) -> Iterator[pa.RecordBatch]:
        while (item := self._queue.get()) is not self._END:
            if item is self._ABORT:
                raise _AbortedError
            yield item  # type: ignore[misc]

    def _run(self) -> None:
        schema = pa.schema([pa.field(c.name, _arrow_type(c)) for c in self.table.columns])
        try:
            reader = pa.RecordBatchReader.from_batches(schema, self._batches())
            self._cursor.register("snapshot_batches", reader)
            self._cursor.execute(f'INSERT INTO "{self.table.name}" SELECT * FROM snapshot_batches')
        except BaseException as exc:  # handed to the reading thread by finish()/put()
            self._error = exc


class _Progress:
    """Rows per table on stderr while copying; silent unless enabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._last = 0.0
        self._open = False  # a progress line without its newline is on screen

    def update(self, table: str, rows: int, *, done: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not done and now - self._last < 0.2:
            return
        self._last = now
        self._open = not done
        sys.stderr.write(f"\r\033[K  {table:<34} {rows:>13,} rows" + ("\n" if done else ""))
        sys.stderr.flush()

    def abandon(self) -> None:
        """End a half-drawn line, so an error message starts on its own."""
        if self.enabled and self._open:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._open = False


def _copy_table(
    pg: psycopg.Connection,
    duck: duckdb.DuckDBPyConnection,
    table: Table,
    report: _Progress,
    *,
    where: sql.Composable | None = None,
    own_cursor: bool = True,
) -> int:
    """Stream one table (its rows matching ``where``) from Postgres into DuckDB; the count.

    ``own_cursor=False`` appends through ``duck`` itself, inside its open
    transaction (a refresh); a full snapshot appends through a cursor of its own.
    """
    writer = _TableWriter(duck, table, own_cursor=own_cursor)

    def deliver(buf: bytearray, lengths: list[int]) -> None:
        writer.put(buf, lengths)
        report.update(table.name, writer.rows)

    rows = f'SELECT {_select_list(table)} FROM "{table.name}"'
    if where is not None:
        rows += " WHERE " + where.as_string(pg)
    query = f"COPY ({rows}) TO STDOUT (FORMAT binary)"
    try:
        _copy_out(pg.pgconn, query, deliver)
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    finally:
        writer.close()
    report.update(table.name, writer.rows, done=True)
    return writer.rows


def _begin_snapshot(pg: psycopg.Connection) -> dt.datetime:
    """Open the snapshot transaction; return the instant its data view reflects.

    A REPEATABLE READ transaction takes its snapshot at its first statement, not
    at ``BEGIN``, so ``now()`` (the transaction's start) can precede commits the
    snapshot shows.  ``clock_timestamp()`` read *inside* that first statement is
    read after the snapshot was taken: every commit the snapshot shows happened
    before it, so no row visible in the file is stamped later than ``taken_at``.
    """
    row = pg.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    return row[0]


@dataclasses.dataclass(frozen=True)
class OpenSource:
    """What every snapshot, full or refresh, reads first inside its transaction."""

    spec: SourceSpec
    taken_at: dt.datetime
    columns: list[_SourceColumn]
    tables: list[Table]
    state: snapshot_state.SourceState

    @property
    def fingerprint(self) -> str:
        return _fingerprint(self.columns)

    def meta(self, counts: dict[str, int]) -> SnapshotMeta:
        """The provenance of a file holding ``counts`` rows per table as of ``taken_at``."""
        return SnapshotMeta(
            taken_at=self.taken_at.astimezone(dt.UTC),
            source=self.spec.display,
            tool_version=__version__,
            schema_fingerprint=self.fingerprint,
            row_counts=counts,
        )


def open_source(pg: psycopg.Connection, spec: SourceSpec) -> OpenSource:
    """Open the snapshot transaction and read the schema, the tables to copy and the state."""
    taken_at = _begin_snapshot(pg)
    columns = _source_columns(pg)
    return OpenSource(spec, taken_at, columns, _plan(columns, spec), snapshot_state.capture(pg))


def _copy_database(
    pg: psycopg.Connection, spec: SourceSpec, path: Path, report: _Progress
) -> SnapshotMeta:
    """Everything inside the one snapshot transaction, into a new DuckDB file at ``path``."""
    source = open_source(pg, spec)
    tables = source.tables
    for table in tables:
        _check_numerics(pg, table)
    # One DuckDB thread: Postgres and the reading thread keep the other cores busy,
    # and a second DuckDB thread only adds overhead (20% more CPU for the same work).
    duck = duckdb.connect(str(path), config={"threads": 1})
    try:
        create_tables(duck, tables)
        counts = {t.name: _copy_table(pg, duck, t, report) for t in tables}
        meta = source.meta(counts)
        write_meta(duck, meta)
        snapshot_state.write(duck, source.state)
    except BaseException:
        report.abandon()
        with contextlib.suppress(duckdb.Error):  # the file is discarded: do not write it out
            duck.execute("PRAGMA disable_checkpoint_on_shutdown")
        raise
    finally:
        duck.close()
    return meta
