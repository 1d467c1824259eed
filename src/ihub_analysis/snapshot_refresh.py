"""``ihub snapshot SOURCE OUT --refresh``: bring an existing snapshot up to date.

Everything is read in one read-only REPEATABLE READ transaction, as for a full
snapshot (:func:`ihub_analysis.snapshot.open_source`), and applied to ``OUT`` in
one DuckDB transaction: a failure or an interruption leaves the previous
snapshot as it was.  Each table is, by what can be proved about it:

* **unchanged** — skipped.  Proved by the row versions' ``xmin`` (see
  :mod:`ihub_analysis.snapshot_state`): no row written since the previous
  snapshot's mark, as many rows as the file holds, the same file node.  One
  query over every table not appended to (for those, a scan of their heap
  would cost more than the copy it could save).
* **appended** — ``interaction_events`` when the source proves it append-only:
  enabled BEFORE triggers refuse every UPDATE and DELETE, and neither they nor
  their functions were written since the previous snapshot (disabling a trigger
  rewrites its catalog row), and the table kept its file node (TRUNCATE gives a
  new one).  Its rows from a little before the oldest transaction running at the
  previous snapshot on (:data:`MARGIN`; such a transaction may commit rows
  stamped from its start) are replaced; the older part is kept when the source
  has exactly as many rows as the file outside that window — none can have been
  removed or changed, so equal counts mean equal rows, and a row inserted late
  with an old ``occurred_at`` breaks the equality, which copies the table whole.
* **copied whole** — anything else.

When no comparison is possible (a file without the state record, another
source, another cluster, a changed schema) the whole snapshot is taken again
(:func:`ihub_analysis.snapshot.take_snapshot`).  Not caught: rows changed with
triggers bypassed by ``session_replication_role = replica`` (superuser-only,
used by replication and restores), which leaves no mark a cheap check can see.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import time
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

from ihub_analysis import snapshot_state
from ihub_analysis.errors import BadInput, IhubError
from ihub_analysis.schema import Table
from ihub_analysis.snapshot import (
    OpenSource,
    SnapshotResult,
    _check_numerics,
    _connect,
    _copy_error_message,
    _copy_table,
    _Progress,
    open_source,
    take_snapshot,
)
from ihub_analysis.snapshot_state import SourceState
from ihub_analysis.sources import SNAPSHOT_META_TABLE, SnapshotMeta, parse_source

#: Rows this long before the start of the oldest transaction running at the
#: previous snapshot are copied again (such a transaction may commit rows stamped
#: from its start on); when that start is unknown, this long before ``taken_at``.
#: Only speed depends on it: a row stamped earlier that arrives late changes the
#: older part's count, and the table is copied whole.
MARGIN = dt.timedelta(minutes=1)
OVERLAP = dt.timedelta(hours=1)
#: Tables appended to when the source enforces append-only, with their time column.
APPEND_ONLY = {"interaction_events": "occurred_at"}


@dataclasses.dataclass(frozen=True)
class RefreshResult(SnapshotResult):
    """A refreshed snapshot: which tables were skipped, appended to or copied whole."""

    partial: dict[str, int] = dataclasses.field(default_factory=dict)  # table → rows copied
    whole: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    full_reason: str | None = None  # why the whole snapshot was taken again

    def describe(self) -> str:
        text = super().describe().replace("snapshot of", "refreshed snapshot of", 1)
        if self.full_reason:
            return f"{text}; copied in full: {self.full_reason}"
        parts = [f"{t}: {n:,} new or recent rows" for t, n in self.partial.items()]
        parts.append(f"{len(self.whole)} tables copied whole, {len(self.unchanged)} unchanged")
        return f"{text}; {', '.join(parts)}"


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
    old, old_state = _read_previous(out)
    if old.source != spec.display:
        raise BadInput(f"{out} is a snapshot of {old.source}, not of {spec.display}")
    report = _Progress(sys.stderr.isatty() if progress is None else progress)
    pg = _connect(spec)
    try:
        src = open_source(pg, spec)
        reason = _full_reason(src, old, old_state)
        if reason is None:
            assert old_state is not None
            plan = _Plan.make(pg, src, old, old_state)
            try:
                duck = duckdb.connect(str(out))
            except duckdb.Error:
                raise BadInput(f"{out} cannot be opened for writing (is it in use?)") from None
            try:
                meta = plan.apply(pg, duck, report)
            except duckdb.Error as exc:
                raise IhubError(f"refreshing {out} failed: {str(exc).splitlines()[0]}") from None
            except BaseException:
                report.abandon()
                raise
            finally:
                duck.close()
    except psycopg.Error as exc:
        raise IhubError(_copy_error_message(exc, spec)) from None
    finally:
        pg.close()
    if reason is not None:
        return _full(source, out, progress, reason)
    return RefreshResult(
        out,
        meta,
        time.perf_counter() - started,
        partial=plan.partial,
        whole=tuple(plan.whole),
        unchanged=tuple(plan.unchanged),
    )


def _full(source: str, out: Path, progress: bool | None, reason: str) -> RefreshResult:
    result = take_snapshot(source, out, progress=progress)
    return RefreshResult(result.out, result.meta, result.seconds, full_reason=reason)


def _read_previous(out: Path) -> tuple[SnapshotMeta, SourceState | None]:
    """The previous snapshot's provenance and state; a one-line error if not a snapshot."""
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
    try:
        state = snapshot_state.read(con) if len(rows) == 1 else None
    finally:
        con.close()
    if len(rows) != 1:
        raise BadInput(f"{out} is not an ihub snapshot (no provenance record)")
    taken_at, src, version, fingerprint, counts = rows[0]
    meta = SnapshotMeta(taken_at.astimezone(dt.UTC), src, version, fingerprint, json.loads(counts))
    return meta, state


def _full_reason(src: OpenSource, old: SnapshotMeta, old_state: SourceState | None) -> str | None:
    """Why nothing of the previous snapshot can be kept, or None."""
    if old_state is None:
        return "the snapshot has no refresh record (taken by an older version)"
    if src.fingerprint != old.schema_fingerprint:
        return "the source's schema differs from the snapshot's"
    if src.taken_at < old.taken_at:
        return "the source's clock is behind the snapshot's taken_at"
    if not src.state.succeeds(old_state):
        return "the source's transaction history cannot be compared with the snapshot's"
    if {t.name for t in src.tables} != set(old.row_counts):
        return "the source's tables differ from the snapshot's"
    return None


@dataclasses.dataclass
class _Plan:
    """Which tables to skip, append to or copy whole; decided inside the snapshot."""

    src: OpenSource
    old: SnapshotMeta
    old_state: SourceState
    unchanged: list[str]
    whole: list[str]
    appended: dict[str, str]  # table → time column
    partial: dict[str, int] = dataclasses.field(default_factory=dict)

    @classmethod
    def make(
        cls, pg: psycopg.Connection, src: OpenSource, old: SnapshotMeta, old_state: SourceState
    ) -> _Plan:
        same_file = [
            t
            for t in src.tables
            if src.state.filenodes.get(t.name) is not None
            and src.state.filenodes.get(t.name) == old_state.filenodes.get(t.name)
        ]
        appended = {
            t.name: APPEND_ONLY[t.name] for t in same_file if _append_only(t, src.state, old_state)
        }
        checked = [t for t in same_file if t.name not in appended]
        untouched = _untouched(pg, checked, old, src.state, old_state)
        whole = [t.name for t in src.tables if t.name not in appended and t.name not in untouched]
        return cls(src, old, old_state, sorted(untouched), whole, appended)

    def apply(
        self, pg: psycopg.Connection, duck: duckdb.DuckDBPyConnection, report: _Progress
    ) -> SnapshotMeta:
        """Replace what changed, all in one DuckDB transaction; the new provenance."""
        counts = {t: self.old.row_counts[t] for t in self.unchanged}
        cutoff = _cutoff(self.old, self.old_state)
        duck.execute("BEGIN TRANSACTION")
        try:
            for table in self.src.tables:
                if table.name in self.unchanged:
                    continue
                column = self.appended.get(table.name)
                if column is not None:
                    counts[table.name] = self._append(pg, duck, table, column, cutoff, report)
                else:
                    counts[table.name] = self._replace(pg, duck, table, report)
            meta = self.src.meta(dict(sorted(counts.items())))
            duck.execute(
                f"UPDATE {SNAPSHOT_META_TABLE} SET taken_at = ?, source = ?, tool_version = ?, "
                "schema_fingerprint = ?, row_counts = ?, written_at = now()",
                [
                    meta.taken_at,
                    meta.source,
                    meta.tool_version,
                    meta.schema_fingerprint,
                    json.dumps(meta.row_counts, sort_keys=True),
                ],
            )
            snapshot_state.write(duck, self.src.state)
            duck.execute("COMMIT")
        except BaseException:
            duck.execute("ROLLBACK")
            raise
        return meta

    def _replace(
        self,
        pg: psycopg.Connection,
        duck: duckdb.DuckDBPyConnection,
        table: Table,
        report: _Progress,
    ) -> int:
        _check_numerics(pg, table)
        duck.execute(f'DELETE FROM "{table.name}"')
        if table.name not in self.whole:
            self.whole.append(table.name)
        return _copy_table(pg, duck, table, report, own_cursor=False)

    def _append(
        self,
        pg: psycopg.Connection,
        duck: duckdb.DuckDBPyConnection,
        table: Table,
        column: str,
        cutoff: dt.datetime,
        report: _Progress,
    ) -> int:
        """Replace the rows from ``cutoff`` on; copy it whole if the older part differs."""
        _check_numerics(pg, table)
        deleted = duck.execute(
            f'DELETE FROM "{table.name}" WHERE "{column}" >= ?', [cutoff]
        ).fetchone()[0]  # type: ignore[index]
        where = sql.SQL("{} >= {}").format(sql.Identifier(column), sql.Literal(cutoff))
        copied = _copy_table(pg, duck, table, report, where=where, own_cursor=False)
        # The whole table's count is cheaper than the older part's (the planner
        # may pick any index); the newer part's is what was just copied.
        total = pg.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table.name))
        ).fetchone()[0]  # type: ignore[index]
        if total - copied != self.old.row_counts[table.name] - deleted:
            return self._replace(pg, duck, table, report)
        self.partial[table.name] = copied
        return total


def _cutoff(old: SnapshotMeta, old_state: SourceState) -> dt.datetime:
    """From when on an appended table's rows are copied again (see :data:`MARGIN`)."""
    if old_state.oldest_running is None:
        return old.taken_at - OVERLAP
    oldest = dt.datetime.fromisoformat(old_state.oldest_running)
    return min(old.taken_at, oldest) - MARGIN


def _append_only(table: Table, state: SourceState, old_state: SourceState) -> bool:
    """Whether the source refuses, and refused all along since the last snapshot, changes.

    The refusing triggers must be the very catalog row versions the previous
    snapshot saw: disabling a trigger (even if enabled again), dropping or
    replacing it or its function writes a new version with another ``xmin``.
    """
    column = APPEND_ONLY.get(table.name)
    if column is None or column not in table.column_names or not table.column(column).not_null:
        return False
    guards = state.guards.get(table.name)
    return state.refuses_changes(table.name) and guards == old_state.guards.get(table.name)


def _untouched(
    pg: psycopg.Connection,
    tables: list[Table],
    old: SnapshotMeta,
    state: SourceState,
    old_state: SourceState,
) -> set[str]:
    """The tables with the file's row count and no row version written since (one query)."""
    if not tables:
        return set()
    since = sql.SQL(state.written_since(old_state))
    query = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {}, count(*), count(*) FILTER (WHERE {}) FROM {}").format(
            sql.Literal(t.name), since, sql.Identifier(t.name)
        )
        for t in tables
    )
    return {
        name
        for name, rows, written in pg.execute(query).fetchall()
        if written == 0 and rows == old.row_counts.get(name)
    }
