"""Create Inter-Hub DuckDB files: typed tables and the provenance record.

Used by ``ihub snapshot`` (a copy of a live database) and ``ihub synth --out``
(synthetic data).  Both write the same tables, derived from the one schema
description, and the same ``ihub_snapshot_meta`` row whose ``taken_at`` becomes
the default ``as_of`` of every metric read from the file.  Also the checks a
file must pass before it is opened as a source.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterable
from pathlib import Path

import duckdb

from ihub_analysis.errors import SourceError
from ihub_analysis.schema import Table, inter_hub_schema
from ihub_analysis.sources import SNAPSHOT_META_TABLE, SnapshotMeta


def create_tables(con: duckdb.DuckDBPyConnection, tables: Iterable[Table] | None = None) -> None:
    """Create the given Inter-Hub tables (default: all 27) with DuckDB types."""
    for table in tables if tables is not None else inter_hub_schema().tables:
        con.execute(table.duckdb_ddl())


def write_meta(con: duckdb.DuckDBPyConnection, meta: SnapshotMeta) -> None:
    """Record where the file's data came from and as of when."""
    con.execute(
        f"""CREATE TABLE {SNAPSHOT_META_TABLE} (
            taken_at TIMESTAMPTZ NOT NULL,
            source VARCHAR NOT NULL,
            tool_version VARCHAR NOT NULL,
            schema_fingerprint VARCHAR NOT NULL,
            row_counts JSON NOT NULL,
            written_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )"""
    )
    con.execute(
        f"INSERT INTO {SNAPSHOT_META_TABLE} "
        "(taken_at, source, tool_version, schema_fingerprint, row_counts) VALUES (?, ?, ?, ?, ?)",
        [
            meta.taken_at,
            meta.source,
            meta.tool_version,
            meta.schema_fingerprint,
            json.dumps(meta.row_counts, sort_keys=True),
        ],
    )


def check_duckdb_file(path: Path) -> None:
    """Refuse what DuckDB cannot open as a database file, before it tries.

    A FIFO would block ``duckdb.connect`` forever and a device would be read
    endlessly, so only a regular file gets that far (exit 2 otherwise).
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SourceError(f"no such DuckDB file: {path}") from None
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise SourceError(f"{path} is a directory, not a DuckDB file")
    if not stat.S_ISREG(st.st_mode):
        raise SourceError(f"{path} is not a regular file, so not a DuckDB file")


#: DuckDB column types that hold each Inter-Hub (Postgres) type faithfully
#: enough for the metric SQL; anything else fails inside a query, so it is
#: refused when the file is opened.
_INTEGERS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"})
_ACCEPTED_TYPES: dict[str, frozenset[str]] = {
    "uuid": frozenset({"UUID"}),
    "text": frozenset({"VARCHAR"}),
    "jsonb": frozenset({"JSON", "VARCHAR"}),
    "timestamp with time zone": frozenset({"TIMESTAMP WITH TIME ZONE"}),
    "integer": _INTEGERS,
    "smallint": _INTEGERS,
    "boolean": frozenset({"BOOLEAN"}),
    "numeric": frozenset({"DECIMAL", "DOUBLE", "FLOAT"}) | _INTEGERS,
}


def _type_accepted(pg_type: str, duckdb_type: str) -> bool:
    family = duckdb_type.split("(", 1)[0].strip().upper()
    return family in _ACCEPTED_TYPES[pg_type]


def check_columns(con: duckdb.DuckDBPyConnection, tables: Iterable[str], display: str) -> None:
    """Refuse Inter-Hub tables that lack columns every deployment has, or hold them as another type.

    Checked when the file is opened, so a look-alike file is one clear error
    (exit 2) rather than a query failure inside a metric.  Columns a later
    phase added are not required: older deployments lack them.
    """
    schema = inter_hub_schema()
    wanted = {t: schema[t] for t in tables}
    present: dict[str, dict[str, str]] = {t: {} for t in wanted}
    for table, column, data_type in con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_catalog = current_database()"
    ).fetchall():
        if table in present:
            present[table][column] = data_type
    for name, table in sorted(wanted.items()):
        missing = [c.name for c in table.columns if c.phase <= table.phase]
        missing = [c for c in missing if c not in present[name]]
        if missing:
            raise SourceError(
                f"{display} is not an Inter-Hub database: table {name} has no column "
                f"{', '.join(missing)}"
            )
        for c in table.columns:
            found = present[name].get(c.name)
            if found is not None and not _type_accepted(c.pg_type, found):
                raise SourceError(
                    f"{display} is not an Inter-Hub database: column {name}.{c.name} is "
                    f"{found}, expected {c.duckdb_type}"
                )
