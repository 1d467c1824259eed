"""What a snapshot records so that a later ``--refresh`` can prove a table unchanged.

Postgres stamps every row version with the transaction that wrote it
(``xmin``).  A snapshot's ``pg_snapshot_xmin`` is the oldest transaction still
running when it was taken: every transaction below it had finished, so a row
version written below it was either visible to that snapshot or never
committed.  A later refresh that finds, in a table, no row version written at
or above that mark and as many rows as the file holds knows that the table
still holds exactly the rows it copied (an UPDATE writes a new version, a
DELETE lowers the count and an INSERT does both).

Transaction ids are only comparable within one cluster and one database, so
the cluster's system identifier and the database's oid are recorded too, and
so is each table's file node: TRUNCATE, VACUUM FULL, CLUSTER and a restore
give a table a new one, which a refresh takes as "changed".

The record lives in its own table of the DuckDB file, which every reader of
snapshots ignores; a file without it (from an older version, or ``ihub
synth``) is refreshed by taking it again.
"""

from __future__ import annotations

import dataclasses
import json

import duckdb
import psycopg

STATE_TABLE = "ihub_snapshot_state"
#: Row versions whose 32-bit ``xmin`` is read relative to the snapshot's xmax:
#: exact for anything younger than 2^31 transactions, which is all that matters.
_XID_HORIZON = 1 << 31


@dataclasses.dataclass(frozen=True)
class SourceState:
    """Where in the source's transaction history a snapshot stands."""

    xmin: int | None  # pg_snapshot_xmin (64-bit); None: the server cannot say
    xmax: int | None  # pg_snapshot_xmax (64-bit): the next transaction id then
    cluster: str | None  # pg_control_system().system_identifier, when readable
    database: int  # the database's oid
    filenodes: dict[str, int | None]  # table → pg_relation_filenode
    #: When the oldest transaction running at the snapshot began (ISO 8601), or None
    #: when some session was hidden from this role: rows it commits later carry
    #: stamps from then on (``now()`` is a transaction's start).
    oldest_running: str | None = None
    #: table → its triggers that refuse changes: [trigger oid, its xmin, tgtype, function
    #: xmin].  A trigger disabled, dropped or replaced since has another entry.
    guards: dict[str, list[list[int]]] = dataclasses.field(default_factory=dict)

    def refuses_changes(self, table: str) -> bool:
        """Whether ``table`` has enabled triggers refusing both UPDATE and DELETE."""
        types = [tgtype for _, _, tgtype, _ in self.guards.get(table, [])]
        return any(t & 8 for t in types) and any(t & 16 for t in types)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SourceState:
        return cls(**json.loads(text))

    def succeeds(self, earlier: SourceState) -> bool:
        """Whether row versions can be compared with ``earlier``'s mark (see the module)."""
        return (
            self.cluster is not None
            and self.cluster == earlier.cluster
            and self.database == earlier.database
            and self.xmax is not None
            and earlier.xmin is not None
            and earlier.xmax is not None
            and earlier.xmax <= self.xmax
            and self.xmax - earlier.xmin < _XID_HORIZON
        )

    def written_since(self, earlier: SourceState, xid_column: str = "xmin") -> str:
        """SQL: ``xid_column`` (a 32-bit xid) is at or after ``earlier``'s xmin.

        The 64-bit id of a row version visible now is ``xmax`` minus its distance
        from ``xmax`` modulo 2^32; it is at or after ``earlier.xmin`` exactly when
        that distance is at most ``xmax - earlier.xmin``.  Anything older than
        2^32 transactions (frozen rows) may come out as "after": copied, not missed.
        """
        assert self.xmax is not None and earlier.xmin is not None
        low = self.xmax & 0xFFFFFFFF
        return (
            f"((({low} - {xid_column}::text::bigint) & 4294967295) <= {self.xmax - earlier.xmin})"
        )


def capture(pg: psycopg.Connection) -> SourceState:
    """Read the state inside the snapshot transaction (after its first statement)."""
    xmin = xmax = None
    if pg.info.server_version >= 130000:  # pg_current_snapshot() is from Postgres 13
        row = pg.execute(
            "SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint "
            "FROM pg_current_snapshot() s"
        ).fetchone()
        assert row is not None
        xmin, xmax = row
    row = pg.execute(
        "SELECT CASE WHEN has_function_privilege('pg_control_system()', 'EXECUTE') "
        "THEN (SELECT system_identifier::text FROM pg_control_system()) END, "
        "(SELECT oid::bigint FROM pg_catalog.pg_database WHERE datname = current_database())"
    ).fetchone()
    assert row is not None
    cluster, database = row
    filenodes = dict(
        pg.execute(
            "SELECT c.relname, pg_relation_filenode(c.oid)::bigint "
            "FROM pg_catalog.pg_class c "
            "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')"
        ).fetchall()
    )
    guards: dict[str, list[list[int]]] = {}
    for table, *guard in pg.execute(
        "SELECT c.relname, t.oid::bigint, t.xmin::text::bigint, t.tgtype::int, "
        "p.xmin::text::bigint "
        "FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal "
        "AND t.tgenabled <> 'D' AND t.tgtype & 3 = 3 "  # BEFORE, FOR EACH ROW
        "AND t.tgtype & 24 <> 0 AND p.prosrc ILIKE '%RAISE EXCEPTION%' "  # UPDATE or DELETE
        "ORDER BY 1, 2"
    ).fetchall():
        guards.setdefault(table, []).append(guard)
    row = pg.execute(
        "SELECT min(xact_start), bool_or(query = '<insufficient privilege>') "
        "FROM pg_catalog.pg_stat_activity WHERE backend_type <> 'autovacuum worker'"
    ).fetchone()
    assert row is not None
    oldest = None if row[1] or row[0] is None else row[0].isoformat()
    return SourceState(xmin, xmax, cluster, database, filenodes, oldest, guards)


def write(duck: duckdb.DuckDBPyConnection, state: SourceState) -> None:
    """Record ``state`` in the file, replacing any earlier record."""
    duck.execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (state VARCHAR NOT NULL)")
    duck.execute(f"DELETE FROM {STATE_TABLE}")
    duck.execute(f"INSERT INTO {STATE_TABLE} VALUES (?)", [state.to_json()])


def read(duck: duckdb.DuckDBPyConnection) -> SourceState | None:
    """The file's record; None when it has none (or one this version cannot read)."""
    try:
        rows = duck.execute(f"SELECT state FROM {STATE_TABLE}").fetchall()
        return SourceState.from_json(rows[0][0]) if len(rows) == 1 else None
    except (duckdb.Error, TypeError, ValueError):
        return None
