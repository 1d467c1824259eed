"""Issue 2's "done when": the four data commands round-trip through the ``ihub`` CLI.

``ihub db init`` + ``ihub synth --pg`` fill Postgres, ``ihub snapshot`` copies it,
``ihub synth --out`` writes the same data straight to DuckDB: every one of the 27
tables holds the same rows in the snapshot as in the direct file (credentials
excepted, which a snapshot never copies), and the snapshot's counts are Postgres'.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg

from ihub_analysis.cli import main
from ihub_analysis.schema import CREDENTIAL_COLUMNS, inter_hub_schema

ARGS = ["--events", "15000", "--seed", "3", "--end", "2026-09-01T00:00:00Z"]


def test_db_init_synth_snapshot_and_synth_out_agree(empty_pg_db: str, tmp_path: Path) -> None:
    snap, direct = tmp_path / "snap.duckdb", tmp_path / "direct.duckdb"
    assert main(["db", "init", empty_pg_db]) == 0
    assert main(["synth", "--pg", empty_pg_db, *ARGS]) == 0
    assert main(["snapshot", empty_pg_db, str(snap)]) == 0
    assert main(["synth", "--out", str(direct), *ARGS]) == 0

    con = duckdb.connect()
    con.execute(f"ATTACH '{snap}' AS snap (READ_ONLY)")
    con.execute(f"ATTACH '{direct}' AS direct (READ_ONLY)")
    with psycopg.connect(empty_pg_db) as pg:
        for table in inter_hub_schema().tables:
            cols = [
                c for c in table.column_names if c not in CREDENTIAL_COLUMNS.get(table.name, ())
            ]
            select = ", ".join(cols)
            pg_count = pg.execute(f"SELECT count(*) FROM {table.name}").fetchone()
            counts = [
                con.execute(f"SELECT count(*) FROM {db}.{table.name}").fetchall()[0][0]
                for db in ("snap", "direct")
            ]
            assert pg_count is not None and counts == [pg_count[0]] * 2, table.name
            assert counts[0] > 0, table.name
            differing = con.execute(
                f"SELECT count(*) FROM (SELECT {select} FROM snap.{table.name} "
                f"EXCEPT ALL SELECT {select} FROM direct.{table.name})"
            ).fetchall()[0][0]
            assert differing == 0, f"{table.name}: {differing} rows differ"
        for table, columns in CREDENTIAL_COLUMNS.items():
            for column in columns:
                kept = con.execute(
                    f"SELECT count(*) FROM snap.{table} WHERE coalesce({column}, '') <> ''"
                ).fetchall()[0][0]
                assert kept == 0, f"{table}.{column} was copied"
