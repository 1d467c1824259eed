"""``ihub snapshot SOURCE OUT --refresh``: bring an existing snapshot up to date.

Everything is read in one read-only REPEATABLE READ transaction, as for a full
snapshot, and applied to ``OUT`` in one DuckDB transaction: a failure or an
interruption leaves the previous snapshot as it was.

Only ``interaction_events`` is copied in part, and only when the source proves
it append-only: its triggers refuse every UPDATE and DELETE.  Then the rows
from a little before the previous ``taken_at`` on (:data:`OVERLAP`, for
transactions that were open at that moment) are replaced, and the older part is
kept if it still has exactly as many rows in the source as in the file —
nothing can be removed or changed there, so equal counts mean equal rows; a
row inserted late with an old ``occurred_at`` breaks the equality.  Every other
table is small and is copied whole.  Without that proof, for a file from
another source or a source whose schema changed, the whole snapshot is taken
again (:func:`ihub_analysis.snapshot.take_snapshot`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from pathlib import Path

import duckdb
import psycopg
import pyarrow as pa

from ihub_analysis import __version__
from ihub_analysis.errors import BadInput, IhubError
from ihub_analysis.schema import Table
from ihub_analysis.snapshot import (
    SnapshotResult,
    _arrow_type,
    _begin_snapshot,
    _check_numerics,
    _connect,
    _copy_error_message,
    _copy_out,
    _fingerprint,
    _plan,
    _select_list,
    _source_columns,
    decode_rows,
    take_snapshot,
)
from ihub_analysis.sources import SNAPSHOT_META_TABLE, SnapshotMeta, SourceSpec, parse_source

#: Rows this long before the previous ``taken_at`` are copied again: a transaction
#: that was open then may commit rows stamped earlier (``now()`` is its start).
OVERLAP = dt.timedelta(hours=1)
#: Tables copied in part when the source enforces append-only, with their time column.
APPEND_ONLY = {"interaction_events": "occurred_at"}


@dataclasses.dataclass(frozen=True)
class RefreshResult(SnapshotResult):
    """A refreshed snapshot: which tables were copied whole and which only in part."""

    partial: dict[str, int] = dataclasses.field(default_factory=dict)  # table → rows copied
    full_reason: str | None = None  # why the whole snapshot was taken again

    def describe(self) -> str:
        text = super().describe().replace("snapshot of", "refreshed snapshot of", 1)
        if self.full_reason:
            return f"{text}; copied in full: {self.full_reason}"
        parts = ", ".join(f"{t}: {n:,} new or recent rows" for t, n in self.partial.items())
        return f"{text}; {parts or 'every table copied whole'}"


def refresh_snapshot(source: str, out: Path, *, progress: bool | None = None) -> SnapshotResult:
    """Update snapshot ``out`` of ``source`` in place, or take it again when that is not safe."""
    started = time.perf_counter()
    spec = parse_source(source)
    if spec.kind != "postgres":
        raise BadInput(
            f"snapshot copies a live database: give a postgresql:// URL, not {spec.display}"
        )
    out = Path(out)
    if out.is_dir():
        raise BadInput(f"{out} is a directory: give the path of the .duckdb file to write")
    if not out.exists():
        return _full(source, out, progress, f"{out} did not exist")
    old = _read_meta(out)
    if old.source != spec.display:
        raise BadInput(f"{out} is a snapshot of {old.source}, not of {spec.display}")
    pg = _connect(spec)
    try:
        plan = _Refresh(pg, spec, old)
        if plan.full_reason is None:
            try:
                duck = duckdb.connect(str(out))
            except duckdb.Error:
                raise BadInput(f"{out} cannot be opened for writing (is it in use?)") from None
            try:
                meta, partial = plan.apply(duck)
            except duckdb.Error as exc:
                raise IhubError(f"refreshing {out} failed: {str(exc).splitlines()[0]}") from None
            finally:
                duck.close()
    except psycopg.Error as exc:
        raise IhubError(_copy_error_message(exc, spec)) from None
    finally:
        pg.close()
    if plan.full_reason is not None:
        return _full(source, out, progress, plan.full_reason)
    return RefreshResult(out, meta, time.perf_counter() - started, partial)


def _full(source: str, out: Path, progress: bool | None, reason: str) -> RefreshResult:
    result = take_snapshot(source, out, progress=progress)
    return RefreshResult(result.out, result.meta, result.seconds, full_reason=reason)


def _read_meta(out: Path) -> SnapshotMeta:
    """The previous snapshot's provenance; a one-line error if ``out`` is not a snapshot."""
    try:
        con = duckdb.connect(str(out), read_only=True)
    except duckdb.Error:
        raise BadInput(f"{out} is not a DuckDB file (or is in use)") from None
    try:
        rows = con.execute(
            "SELECT taken_at, source, tool_version, schema_fingerprint, "
            f"CAST(row_counts AS VARCHAR) FROM {SNAPSHOT_META_TABLE}"
        ).fetchall()
    except duckdb.Error:
        rows = []
    finally:
        con.close()
    if len(rows) != 1:
        raise BadInput(f"{out} is not an ihub snapshot (no provenance record)")
    taken_at, src, version, fingerprint, counts = rows[0]
    return SnapshotMeta(taken_at.astimezone(dt.UTC), src, version, fingerprint, json.loads(counts))


class _Refresh:
    """What a refresh reads from Postgres, all inside its one snapshot transaction."""

    def __init__(self, pg: psycopg.Connection, spec: SourceSpec, old: SnapshotMeta) -> None:
        self.pg = pg
        self.spec = spec
        self.old = old
        self.taken_at = _begin_snapshot(pg)
        self.columns = _source_columns(pg)
        self.fingerprint = _fingerprint(self.columns)
        self.full_reason: str | None = None
        if self.fingerprint != old.schema_fingerprint:
            self.full_reason = "the source's schema differs from the snapshot's"
        elif self.taken_at < old.taken_at:
            self.full_reason = "the source's clock is behind the snapshot's taken_at"
        if self.full_reason is None:
            self.tables = _plan(self.columns, spec)

    def apply(self, duck: duckdb.DuckDBPyConnection) -> tuple[SnapshotMeta, dict[str, int]]:
        """Replace what changed, all in one DuckDB transaction; the new provenance."""
        counts: dict[str, int] = {}
        partial: dict[str, int] = {}
        cutoff = self.old.taken_at - OVERLAP
        duck.execute("BEGIN TRANSACTION")
        try:
            for table in self.tables:
                _check_numerics(self.pg, table)
                if self._partial_ok(duck, table, cutoff):
                    time_column = APPEND_ONLY[table.name]
                    condition = f'"{time_column}" >= %s'
                    duck.execute(f'DELETE FROM "{table.name}" WHERE "{time_column}" >= ?', [cutoff])
                    partial[table.name] = self._copy(duck, table, condition, cutoff)
                else:
                    duck.execute(f'DELETE FROM "{table.name}"')
                    self._copy(duck, table)
                counts[table.name] = duck.execute(
                    f'SELECT count(*) FROM "{table.name}"'
                ).fetchone()[0]  # type: ignore[index]
            meta = SnapshotMeta(
                taken_at=self.taken_at.astimezone(dt.UTC),
                source=self.spec.display,
                tool_version=__version__,
                schema_fingerprint=self.fingerprint,
                row_counts=counts,
            )
            duck.execute(
                f"UPDATE {SNAPSHOT_META_TABLE} SET taken_at = ?, source = ?, tool_version = ?, "
                "schema_fingerprint = ?, row_counts = ?, written_at = now()",
                [
                    meta.taken_at,
                    meta.source,
                    meta.tool_version,
                    meta.schema_fingerprint,
                    json.dumps(counts, sort_keys=True),
                ],
            )
            duck.execute("COMMIT")
        except BaseException:
            duck.execute("ROLLBACK")
            raise
        duck.execute("CHECKPOINT")
        return meta, partial

    def _partial_ok(
        self, duck: duckdb.DuckDBPyConnection, table: Table, cutoff: dt.datetime
    ) -> bool:
        """Whether only ``table``'s rows from ``cutoff`` on need copying (see the module)."""
        column = APPEND_ONLY.get(table.name)
        if column is None or column not in table.column_names or not table.column(column).not_null:
            return False
        return self._append_only(table.name) and self._older_rows_match(
            duck, table.name, column, cutoff
        )

    def _append_only(self, table: str) -> bool:
        """Whether the source refuses every UPDATE and DELETE of ``table`` (its triggers)."""
        row = self.pg.execute(
            "SELECT count(*) FILTER (WHERE t.tgtype & 8 <> 0), "  # DELETE
            "count(*) FILTER (WHERE t.tgtype & 16 <> 0) "  # UPDATE
            "FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid "
            "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace "
            "AND t.tgenabled <> 'D' AND t.tgtype & 2 <> 0 AND t.tgtype & 1 <> 0 "  # BEFORE, ROW
            "AND p.prosrc ILIKE '%%RAISE EXCEPTION%%'",
            [table],
        ).fetchone()
        return row is not None and row[0] > 0 and row[1] > 0

    def _older_rows_match(
        self, duck: duckdb.DuckDBPyConnection, table: str, column: str, cutoff: dt.datetime
    ) -> bool:
        """Equal row counts before ``cutoff``: with no UPDATE or DELETE possible, equal rows."""
        q = f'SELECT count(*) FROM "{table}" WHERE "{column}" < '
        source = self.pg.execute(q + "%s", [cutoff]).fetchone()[0]  # type: ignore[index]
        kept = duck.execute(q + "?", [cutoff]).fetchone()[0]  # type: ignore[index]
        return source == kept

    def _copy(
        self,
        duck: duckdb.DuckDBPyConnection,
        table: Table,
        condition: str | None = None,
        value: dt.datetime | None = None,
    ) -> int:
        """Append the source's rows of ``table`` (those matching ``condition``); the count."""
        where = ""
        if condition is not None:
            where = " WHERE " + condition.replace("%s", f"'{value.isoformat()}'::timestamptz")
        query = (
            f'COPY (SELECT {_select_list(table)} FROM "{table.name}"{where}) '
            "TO STDOUT (FORMAT binary)"
        )
        schema = pa.schema([pa.field(c.name, _arrow_type(c)) for c in table.columns])
        copied = 0

        def deliver(buf: bytearray, lengths: list[int]) -> None:
            nonlocal copied
            batch = decode_rows(table, buf, lengths)
            duck.register("refresh_batch", pa.Table.from_batches([batch], schema))
            duck.execute(f'INSERT INTO "{table.name}" SELECT * FROM refresh_batch')
            duck.unregister("refresh_batch")
            copied += len(lengths)

        _copy_out(self.pg.pgconn, query, deliver)
        return copied
