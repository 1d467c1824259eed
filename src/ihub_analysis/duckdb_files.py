"""Create Inter-Hub DuckDB files: typed tables and the provenance record.

Used by ``ihub snapshot`` (a copy of a live database) and ``ihub synth --out``
(synthetic data).  Both write the same tables, derived from the one schema
description, and the same ``ihub_snapshot_meta`` row whose ``taken_at`` becomes
the default ``as_of`` of every metric read from the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import duckdb

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
