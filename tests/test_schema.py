"""The schema under ``sql/schema/`` against upstream, Postgres and DuckDB.

``sql/schema/`` is the project's one description of the Inter-Hub database, split
by phase.  These tests prove that applying it gives exactly what upstream's
``Schema.sql`` gives, that the parsed description (used for DuckDB files, empty
stand-ins and fingerprints) matches what Postgres reports, and that the derived
DuckDB tables carry the documented types.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from ihub_analysis import cli
from ihub_analysis.paths import sql_dir
from ihub_analysis.schema import (
    CREDENTIAL_COLUMNS,
    UNCONSTRAINED_NUMERIC,
    Schema,
    fingerprint_of,
    inter_hub_schema,
    parse_schema,
)

UPSTREAM_SQL = Path(__file__).resolve().parent / "fixtures" / "upstream_schema.sql"

#: The phases as upstream's README describes them (independent of the parser).
EXPECTED_PHASES: dict[int, set[str]] = {
    1: {"users", "hubs", "widgets", "widget_versions", "interaction_events", "annotations"},
    2: {"annotation_threads", "requirement_candidates", "triage_states", "reviewer_assignments"},
    3: {
        "requirements",
        "decision_records",
        "policy_references",
        "implementation_change_references",
    },
    4: {"deployment_records", "outcome_signals", "change_evaluations"},
    5: {"agent_proposals", "agent_review_records", "confidence_annotations"},
    6: {"envelope_emission_contracts", "interaction_reporting_contracts", "widget_adapter_specs"},
    7: {"friction_scores", "bottleneck_records", "hub_health_snapshots", "cross_hub_propagations"},
}
#: Columns added to an earlier table by a later phase's ALTER TABLE.
LATE_COLUMNS = {
    ("requirement_candidates", "requirement_id"): 3,
    ("widgets", "adapter_spec_id"): 6,
    ("hubs", "api_key"): 6,
}
#: Postgres type (information_schema) → DuckDB type (information_schema), as documented.
DUCKDB_TYPES = {
    "uuid": "UUID",
    "jsonb": "JSON",
    "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
    "numeric": UNCONSTRAINED_NUMERIC,
    "text": "VARCHAR",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "boolean": "BOOLEAN",
}

CATALOG_QUERIES = {
    "columns": """
        SELECT table_name, column_name, ordinal_position, data_type, udt_name,
               is_nullable, column_default, numeric_precision, numeric_scale
        FROM information_schema.columns WHERE table_schema = 'public'
        ORDER BY table_name, ordinal_position""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
        ORDER BY 1, 2""",
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' ORDER BY 1, 2""",
    "triggers": """
        SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger
        WHERE NOT tgisinternal ORDER BY 1, 2""",
    "functions": """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid)
        FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1, 2""",
    "extensions": "SELECT extname FROM pg_extension ORDER BY 1",
    "tables": """
        SELECT table_name, table_type FROM information_schema.tables
        WHERE table_schema = 'public' ORDER BY 1""",
}


def _catalog(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as con:
        return {name: con.execute(sql).fetchall() for name, sql in CATALOG_QUERIES.items()}


def _apply(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def schema() -> Schema:
    """The parsed description of ``sql/schema/``."""
    return inter_hub_schema()


@pytest.fixture(scope="module")
def schema_dbs(pg_admin: str) -> Iterator[tuple[str, str]]:
    """Two throwaway databases: ours, set up by ``ihub db init URL``, and one holding
    upstream's Schema.sql verbatim.  Shared by the read-only catalog tests."""
    base = pg_admin.rpartition("/")[0]
    names = [f"ihub_test_{kind}_{uuid.uuid4().hex[:12]}" for kind in ("ours", "upstream")]
    with psycopg.connect(pg_admin, autocommit=True) as con:
        for name in names:
            con.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    ours, upstream = (f"{base}/{name}" for name in names)
    try:
        assert cli.main(["db", "init", ours]) == 0
        _apply(upstream, UPSTREAM_SQL.read_text(encoding="utf-8"))
        yield ours, upstream
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as con:
            for name in names:
                con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def admin_con(pg_admin: str) -> Iterator[psycopg.Connection[Any]]:
    """One autocommit connection to the admin database, for read-only probes."""
    with psycopg.connect(pg_admin, autocommit=True) as con:
        yield con


# ------------------------------------------------------------------ upstream equivalence


@pytest.mark.postgres
@pytest.mark.xdist_group("schema_dbs")  # one pair of databases
def test_phase_files_build_exactly_the_upstream_schema(schema_dbs: tuple[str, str]) -> None:
    """``ihub db init`` (sql/schema/) and upstream's Schema.sql give identical catalogs."""
    ours, upstream = schema_dbs
    got, want = _catalog(ours), _catalog(upstream)
    # the comparison must not be vacuous
    assert len(want["tables"]) == 27
    assert len(want["triggers"]) == 4
    assert {r[0] for r in want["functions"]} >= {
        "prevent_interaction_event_mutation",
        "prevent_outcome_signal_mutation",
        "uuid_generate_v4",
    }
    assert any("WHERE (resolved_at IS NULL)" in r[2] for r in want["indexes"])
    for part in CATALOG_QUERIES:
        assert got[part] == want[part], f"{part} differ from upstream"


@pytest.mark.postgres
@pytest.mark.xdist_group("schema_dbs")
def test_each_phase_prefix_creates_its_tables_and_columns(
    schema_dbs: tuple[str, str], schema: Schema
) -> None:
    """Phases 1..N create the tables and columns of phases ≤ N, nothing else.

    ``postgres_sql(N)`` is the phase files 1..N in order, so applying one file per
    phase visits every prefix once.  It runs in a scratch schema inside a
    rolled-back transaction (uuid-ossp already lives in ``public``), so it needs
    no database of its own.
    """
    texts = [f.read_text(encoding="utf-8") for f in schema.files]
    for phase in range(1, 8):
        assert schema.postgres_sql(phase) == "\n".join(texts[:phase])
    with psycopg.connect(schema_dbs[1]) as con, con.transaction(force_rollback=True):
        con.execute("CREATE SCHEMA phase_probe")
        con.execute("SET LOCAL search_path = phase_probe, public")
        for phase in range(1, 8):
            con.execute(texts[phase - 1])  # type: ignore[arg-type]
            rows = con.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'phase_probe'"
            ).fetchall()
            tables = {t for t, _ in rows}
            want_tables = set().union(*(EXPECTED_PHASES[p] for p in range(1, phase + 1)))
            assert tables == want_tables, f"phase {phase}"
            want_columns = {
                (t.name, c.name)
                for t in schema.tables
                if t.phase <= phase
                for c in t.columns
                if c.phase <= phase
            }
            assert set(rows) == want_columns, f"phase {phase}"
            for (table, column), added in LATE_COLUMNS.items():
                present = (table, column) in set(rows)
                assert present == (phase >= added and table in tables), (table, column, phase)


# ------------------------------------------------------------------ parsed description


def test_phases_are_assigned_as_upstream_describes(schema: Schema) -> None:
    """27 tables, each in the phase that introduced it; ALTERed columns in theirs."""
    assert len(schema.tables) == 27
    assert len(set(schema.table_names)) == 27
    by_phase = {p: {t.name for t in schema.tables if t.phase == p} for p in range(1, 8)}
    assert by_phase == EXPECTED_PHASES
    for (table, column), phase in LATE_COLUMNS.items():
        assert schema[table].column(column).phase == phase
        assert schema[table].column_names[-1] == column  # appended, as ALTER TABLE does
    late = {(t.name, c.name) for t in schema.tables for c in t.columns if c.phase != t.phase}
    assert late == set(LATE_COLUMNS)
    assert [f.name[:2] for f in schema.files] == [f"0{p}" for p in range(1, 8)]
    assert [t.name for t in schema.tables_up_to_phase(1)] == [
        "users", "hubs", "widgets", "widget_versions", "interaction_events", "annotations",
    ]  # fmt: skip


@pytest.mark.postgres
@pytest.mark.xdist_group("schema_dbs")  # one pair of databases
def test_description_matches_postgres_after_db_init(
    schema_dbs: tuple[str, str], schema: Schema
) -> None:
    """Every table, column (in order), canonical type and nullability as Postgres reports."""
    with psycopg.connect(schema_dbs[0]) as con:
        rows = con.execute(
            "SELECT table_name, column_name, data_type, is_nullable = 'NO' "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    reported: dict[str, list[tuple[str, str, bool]]] = {}
    for table, column, data_type, not_null in rows:
        reported.setdefault(table, []).append((column, data_type, not_null))
    assert set(reported) == set(schema.table_names)
    for table in schema.tables:
        described = [(c.name, c.pg_type, c.not_null) for c in table.columns]
        assert described == reported[table.name], table.name
    # the fingerprint of what Postgres reports is the description's fingerprint
    assert fingerprint_of([(t, c, ty, nn) for t, c, ty, nn in rows]) == schema.fingerprint()


def test_credential_columns_exist(schema: Schema) -> None:
    """The columns a snapshot must blank are real columns of the schema."""
    assert CREDENTIAL_COLUMNS == {"users": ("password_hash",), "hubs": ("api_key",)}
    for table, columns in CREDENTIAL_COLUMNS.items():
        for column in columns:
            assert schema[table].column(column).pg_type == "text"


# ------------------------------------------------------------------ DuckDB


def test_duckdb_ddl_has_the_documented_types(schema: Schema) -> None:
    """UUID stays UUID, jsonb → JSON, timestamptz → TIMESTAMPTZ, NUMERIC → DECIMAL(38,10)."""
    con = duckdb.connect()
    try:
        for table in schema.tables:
            con.execute(table.duckdb_ddl())
        rows = con.execute(
            "SELECT table_name, column_name, data_type, is_nullable = 'NO' "
            "FROM information_schema.columns WHERE table_schema = 'main' "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    got: dict[str, list[tuple[str, str, bool]]] = {}
    for table, column, data_type, not_null in rows:
        got.setdefault(table, []).append((column, data_type, not_null))
    assert set(got) == set(schema.table_names)
    for table in schema.tables:
        want = [(c.name, DUCKDB_TYPES[c.pg_type], c.not_null) for c in table.columns]
        assert got[table.name] == want, table.name
    spot = {(t, c): ty for t, cols in got.items() for c, ty, _ in cols}
    assert spot[("interaction_events", "metadata")] == "JSON"
    assert spot[("outcome_signals", "value")] == "DECIMAL(38,10)"
    assert spot[("annotations", "created_at")] == "TIMESTAMP WITH TIME ZONE"
    assert spot[("widgets", "id")] == "UUID"


def test_duckdb_tables_hold_values_exactly(schema: Schema) -> None:
    """A DuckDB table built from the DDL keeps UUIDs, JSON, decimals and instants intact."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(schema["outcome_signals"].duckdb_ddl("sig"))
        con.execute(
            "INSERT INTO sig VALUES ('00000000-0000-4000-8000-000000000001', "
            "'00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003', "
            "'latency', 0.1234567891, '2026-11-01 12:00:00+02')"
        )
        row = con.execute("SELECT CAST(value AS VARCHAR), observed_at FROM sig").fetchone()
        assert row is not None
        value, observed = row
        assert value == "0.1234567891"
        assert observed.isoformat() == "2026-11-01T10:00:00+00:00"
        with pytest.raises(duckdb.ConstraintException):
            con.execute(
                "INSERT INTO sig (id, widget_id, deployment_id, signal_type, observed_at) "
                "VALUES (uuid(), uuid(), NULL, 'x', now())"
            )
        con.execute(schema["widget_versions"].duckdb_ddl())
        con.execute(
            "INSERT INTO widget_versions VALUES (uuid(), uuid(), 1, '{\"a\": [1, 2]}', now())"
        )
        got = con.execute("SELECT schema_snapshot->>'$.a[1]' FROM widget_versions").fetchone()
        assert got == ("2",)
    finally:
        con.close()


# ------------------------------------------------------------------ fingerprint


def _copy_schema(tmp_path: Path) -> Path:
    folder = tmp_path / "schema"
    shutil.copytree(sql_dir() / "schema", folder)
    return folder


def _edit(folder: Path, filename: str, old: str, new: str) -> None:
    path = folder / filename
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_fingerprint_is_stable(tmp_path: Path, schema: Schema) -> None:
    """Same schema, same fingerprint: across parses, copies and column order."""
    copy = parse_schema(_copy_schema(tmp_path))
    assert copy.fingerprint() == schema.fingerprint()
    assert len(schema.fingerprint()) == 16
    assert schema.fingerprint(["hubs", "widgets"]) == schema.fingerprint(["widgets", "hubs"])
    assert schema.fingerprint(["hubs"]) != schema.fingerprint(["widgets"])
    assert schema.fingerprint(schema.table_names) == schema.fingerprint()
    rows = [("t", "a", "text", True), ("t", "b", "uuid", False)]
    assert fingerprint_of(rows) == fingerprint_of(list(reversed(rows)))


def test_fingerprint_is_sensitive_to_type_and_nullability(tmp_path: Path, schema: Schema) -> None:
    """A changed type or NOT NULL changes the fingerprint of that table only."""
    folder = _copy_schema(tmp_path)
    _edit(folder, "01_interaction_core.sql", "    version INT NOT NULL DEFAULT 1,",
          "    version SMALLINT NOT NULL DEFAULT 1,")  # fmt: skip
    changed = parse_schema(folder)
    assert changed["widgets"].column("version").pg_type == "smallint"
    assert changed.fingerprint() != schema.fingerprint()
    assert changed.fingerprint(["widgets"]) != schema.fingerprint(["widgets"])
    assert changed.fingerprint(["hubs"]) == schema.fingerprint(["hubs"])

    folder2 = _copy_schema(tmp_path / "b")
    _edit(folder2, "07_observability.sql", "    notes TEXT\n);", "    notes TEXT NOT NULL\n);")
    assert parse_schema(folder2).fingerprint() != schema.fingerprint()


# ------------------------------------------------------------------ parser details


def test_parser_reads_types_constraints_comments_and_alters(tmp_path: Path) -> None:
    """NUMERIC(p,s), table constraints, comments and ALTER TABLE … ADD COLUMN."""
    (tmp_path / "01_a.sql").write_text(
        "-- CREATE TABLE ghost (x INT\n);\n"
        "CREATE TABLE t (\n"
        "    id UUID PRIMARY KEY,\n"
        "    amount NUMERIC(12, 4) NOT NULL, -- money\n"
        "    loose NUMERIC CHECK (loose BETWEEN 0 AND 1),\n"
        "    label TEXT DEFAULT NULL,\n"
        "    UNIQUE (id, label),\n"
        "    CHECK (amount > 0)\n"
        ");\n",
        encoding="utf-8",
    )
    (tmp_path / "02_b.sql").write_text("ALTER TABLE t\n    ADD COLUMN flag BOOLEAN;\n")
    parsed = parse_schema(tmp_path)
    assert parsed.table_names == ["t"]
    t = parsed["t"]
    assert [(c.name, c.pg_type, c.duckdb_type, c.not_null, c.phase) for c in t.columns] == [
        ("id", "uuid", "UUID", True, 1),
        ("amount", "numeric", "DECIMAL(12,4)", True, 1),
        ("loose", "numeric", UNCONSTRAINED_NUMERIC, False, 1),
        ("label", "text", "VARCHAR", False, 1),
        ("flag", "boolean", "BOOLEAN", False, 2),
    ]
    assert parsed.postgres_sql(1).count("CREATE TABLE") == 2  # verbatim, comment included
    assert "ALTER TABLE" not in parsed.postgres_sql(1)
    assert "ALTER TABLE" in parsed.postgres_sql(2)
    with pytest.raises(KeyError):
        t.column("nope")
    with pytest.raises(KeyError):
        parsed["nope"]


def test_parser_rejects_an_unknown_type(tmp_path: Path) -> None:
    """A type the mapping does not know is an error, not a silent VARCHAR."""
    (tmp_path / "01_a.sql").write_text("CREATE TABLE t (\n    x BIGINT NOT NULL\n);\n")
    with pytest.raises(ValueError, match="BIGINT"):
        parse_schema(tmp_path)


# ------------------------------------------------------------------ empty stand-ins


@pytest.mark.parametrize("table_name", inter_hub_schema().table_names)
def test_empty_relation_runs_on_duckdb(table_name: str, schema: Schema) -> None:
    """The stand-in yields zero rows, the table's column names, and its types."""
    table = schema[table_name]
    con = duckdb.connect()
    try:
        rel = con.sql(table.empty_relation_sql())
        assert rel.columns == table.column_names
        assert rel.fetchall() == []
        for column, dtype in zip(table.columns, rel.types, strict=True):
            if column.pg_type == "jsonb":
                assert str(dtype) == "VARCHAR"
            elif column.pg_type == "numeric":
                assert str(dtype).startswith("DECIMAL")
            else:
                assert str(dtype) == column.duckdb_type.replace(
                    "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"
                )
    finally:
        con.close()


@pytest.mark.postgres
@pytest.mark.parametrize("table_name", inter_hub_schema().table_names)
def test_empty_relation_runs_on_postgres(
    table_name: str, schema: Schema, admin_con: psycopg.Connection[Any]
) -> None:
    """The stand-in runs on Postgres with the table's column names and types."""
    table = schema[table_name]
    sql = table.empty_relation_sql()
    cur = admin_con.execute(sql)  # type: ignore[arg-type]
    assert [d.name for d in cur.description or []] == table.column_names
    assert cur.fetchall() == []
    types = admin_con.execute(
        f"SELECT {', '.join(f'pg_typeof({c})::text' for c in table.column_names)} "  # type: ignore[arg-type]
        f"FROM ({sql} UNION ALL SELECT {', '.join('NULL' for _ in table.columns)}) AS s"
    ).fetchone()
    assert types is not None
    for column, pg_type in zip(table.columns, types, strict=True):
        assert pg_type == ("text" if column.pg_type == "jsonb" else column.pg_type)


def test_table_as_of_an_older_phase(schema: Schema) -> None:
    """An older deployment's view of a table lacks the columns later phases added."""
    hubs = schema["hubs"]
    assert "api_key" in hubs.column_names
    assert "api_key" not in hubs.as_of_phase(5).column_names
    assert hubs.as_of_phase(6).column_names == hubs.column_names
    candidates = schema["requirement_candidates"].as_of_phase(2)
    assert "requirement_id" not in candidates.column_names
    assert candidates.phase == 2
