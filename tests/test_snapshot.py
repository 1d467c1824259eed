"""``ihub snapshot``: a consistent, faithful, credential-free copy, written atomically.

Tests that only read share one throwaway sample database (and one snapshot of
it); tests that change their source get their own.  The sample data puts at
least one row in every table and the awkward values where they live: NULL next
to empty strings, unicode, text with quotes and newlines, strings on both sides
of Arrow's 12-byte inline limit, timestamps before 2000 and BC and infinite,
NUMERIC values that need all of DECIMAL(38,10).  The kill tests run the real
command as a subprocess against a million-row database and stop it mid-copy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

import ihub_analysis
from ihub_analysis import cli, snapshot, synth
from ihub_analysis.atomic import atomic_path
from ihub_analysis.dbinit import init_database
from ihub_analysis.errors import IhubError
from ihub_analysis.schema import CREDENTIAL_COLUMNS, Table, fingerprint_of, inter_hub_schema
from ihub_analysis.sources import SNAPSHOT_META_TABLE, DuckDBSource, parse_source

pytestmark = pytest.mark.postgres

USER_SECRET = "pbkdf2-SECRET-hash-of-ada"
HUB_SECRET = "ihub-API-KEY-5ecret"

#: Sample rows per phase; later phases' columns of earlier tables are filled by
#: UPDATEs in their own phase, so a phase-2 database gets just phases 1-2.
SAMPLE: dict[int, str] = {
    1: f"""
INSERT INTO users (id, email, password_hash, name, locked_at, failed_login_attempts, created_at)
VALUES ('00000000-0000-4000-8000-000000000001', 'ada@example.org', '{USER_SECRET}',
        'Zoë Łódź 🚀', NULL, 3, '2026-01-02 03:04:05.678901+00'),
       ('00000000-0000-4000-8000-000000000002', 'bob@example.org', 'x', '',
        '1999-12-31 23:59:59.999999+00', 0, '2026-01-03 00:00:00+00');
INSERT INTO hubs (id, slug, name, domain, created_at)
VALUES ('10000000-0000-4000-8000-000000000001', 'billing', 'Billing', 'finance',
        '2025-06-01 00:00:00+00'),
       ('10000000-0000-4000-8000-000000000002', 'ops', 'Ops, "the" hub', 'ops',
        '2025-06-02 00:00:00+00');
INSERT INTO widgets (id, hub_id, name, widget_type, capability_ref, view_context, version)
VALUES ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001',
        'Pay button', 'button', NULL, 'exactly12chr', 1),
       ('20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002',
        E'multi\\nline,\\t"quoted" \\\\ text', 'form', '', 'thirteen-char', 2);
INSERT INTO widget_versions (widget_id, version, schema_snapshot)
VALUES ('20000000-0000-4000-8000-000000000001', 1,
        '{{"fields": ["a", "b"], "nested": {{"k": "väl"}}, "n": 1.5}}');
INSERT INTO interaction_events (id, widget_id, event_type, actor_id, metadata, occurred_at)
VALUES ('30000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001',
        'error', NULL, '{{"note": "naïve ☃", "code": 500}}', '2026-03-29 01:30:00.123456+02'),
       ('30000000-0000-4000-8000-000000000002', '20000000-0000-4000-8000-000000000002',
        'click', '00000000-0000-4000-8000-000000000001', '{{}}', '0044-03-15 12:00:00+00 BC');
INSERT INTO interaction_events (widget_id, event_type, actor_id, view_context_ref, metadata,
                                occurred_at)
SELECT ('20000000-0000-4000-8000-00000000000' || (1 + i % 2))::uuid, 'view',
       CASE WHEN i % 3 = 0 THEN NULL ELSE '00000000-0000-4000-8000-000000000002'::uuid END,
       CASE WHEN i % 5 = 0 THEN '' WHEN i % 5 = 1 THEN NULL ELSE 'ctx-' || repeat('x', i % 20) END,
       jsonb_build_object('duration_ms', i, 'path', '/w/' || i),
       timestamptz '2026-01-01 00:00:00+00' + i * interval '1.000001 second'
FROM generate_series(1, 3000) i;
INSERT INTO annotations (id, widget_id, body, severity, actor_id, retracted_at)
VALUES ('40000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001',
        'Too slow — 3 s', 'high', '00000000-0000-4000-8000-000000000001', NULL);
""",
    2: """
INSERT INTO annotation_threads (id, widget_id, title, created_by)
VALUES ('50000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000001',
        'Slow payments', '00000000-0000-4000-8000-000000000001');
INSERT INTO requirement_candidates (id, title, description, source_widget_id, source_thread_id)
VALUES ('60000000-0000-4000-8000-000000000001', 'Faster pay', '',
        '20000000-0000-4000-8000-000000000001', '50000000-0000-4000-8000-000000000001');
INSERT INTO triage_states (candidate_id, status, notes)
VALUES ('60000000-0000-4000-8000-000000000001', 'open', NULL),
       ('60000000-0000-4000-8000-000000000001', 'accepted', 'ok');
INSERT INTO reviewer_assignments (candidate_id, user_id)
VALUES ('60000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002');
""",
    3: """
INSERT INTO requirements (id, title, description, source_candidate_id)
VALUES ('70000000-0000-4000-8000-000000000001', 'Pay < 1 s', 'd',
        '60000000-0000-4000-8000-000000000001');
UPDATE requirement_candidates SET requirement_id = '70000000-0000-4000-8000-000000000001';
INSERT INTO decision_records (id, title, rationale, outcome, requirement_id, decided_at)
VALUES ('80000000-0000-4000-8000-000000000001', 'Cache it', 'why not', 'accepted',
        '70000000-0000-4000-8000-000000000001', 'infinity');
INSERT INTO policy_references (decision_id, policy_scope)
VALUES ('80000000-0000-4000-8000-000000000001', 'internal');
INSERT INTO implementation_change_references (id, decision_id, work_item_ref)
VALUES ('90000000-0000-4000-8000-000000000001', '80000000-0000-4000-8000-000000000001', 'GH-1');
""",
    4: """
INSERT INTO deployment_records (id, impl_ref_id, decision_id, version_ref)
VALUES ('a0000000-0000-4000-8000-000000000001', '90000000-0000-4000-8000-000000000001',
        '80000000-0000-4000-8000-000000000001', 'v1.2.3');
INSERT INTO outcome_signals (widget_id, deployment_id, signal_type, value)
SELECT '20000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001', 'rate', v
FROM unnest(ARRAY[0.1234567891, 12345678901234.5, NULL, -0.0000000001, 0,
                  999999999999999999999999999.9999999999]::numeric[]) v;
INSERT INTO change_evaluations (deployment_id, score, rationale)
VALUES ('a0000000-0000-4000-8000-000000000001', 5, 'great');
""",
    5: """
INSERT INTO agent_proposals (id, proposal_type, content, model_ref, confidence)
VALUES ('b0000000-0000-4000-8000-000000000001', 'summary', 'c', 'm', 0.95),
       ('b0000000-0000-4000-8000-000000000002', 'summary', 'c', 'm', NULL);
INSERT INTO agent_review_records (proposal_id, decision)
VALUES ('b0000000-0000-4000-8000-000000000001', 'accepted');
INSERT INTO confidence_annotations (proposal_id, dimension, score)
VALUES ('b0000000-0000-4000-8000-000000000001', 'accuracy', 0.5);
""",
    6: f"""
INSERT INTO envelope_emission_contracts (id, contract_version, required_attributes)
VALUES ('c0000000-0000-4000-8000-000000000001', '1.0', '["data-widget-id"]');
INSERT INTO interaction_reporting_contracts (id, contract_version, endpoint_path,
                                             accepted_event_types, required_fields)
VALUES ('c1000000-0000-4000-8000-000000000001', '1.0', '/events', '["click"]', '{{"a": true}}');
INSERT INTO widget_adapter_specs (id, name, framework, version, envelope_contract_id)
VALUES ('c2000000-0000-4000-8000-000000000001', 'react', 'react', '18',
        'c0000000-0000-4000-8000-000000000001');
UPDATE widgets SET adapter_spec_id = 'c2000000-0000-4000-8000-000000000001'
WHERE widget_type = 'form';
UPDATE hubs SET api_key = '{HUB_SECRET}' WHERE slug = 'billing';
""",
    7: """
INSERT INTO friction_scores (widget_id, score, regression_flag)
VALUES ('20000000-0000-4000-8000-000000000001', 42, true),
       ('20000000-0000-4000-8000-000000000002', 0, false);
INSERT INTO bottleneck_records (hub_id, stage, subject_type, subject_id, stalled_since,
                                resolved_at)
VALUES ('10000000-0000-4000-8000-000000000001', 'triage', 'requirement_candidates',
        '60000000-0000-4000-8000-000000000001', '1970-01-01 00:00:00.000001+00', '-infinity');
INSERT INTO hub_health_snapshots (hub_id, health_score)
VALUES ('10000000-0000-4000-8000-000000000001', 77);
INSERT INTO cross_hub_propagations (pattern_type, source_hub_id, affected_hub_ids, summary)
VALUES ('shared_widget', '10000000-0000-4000-8000-000000000001',
        '["10000000-0000-4000-8000-000000000002"]', 'spreads');
""",
}


# ------------------------------------------------------------------ helpers


def fill(url: str, up_to_phase: int = 7) -> None:
    """The sample rows of phases 1..``up_to_phase``."""
    with psycopg.connect(url, autocommit=True) as con:
        for phase in range(1, up_to_phase + 1):
            con.execute(SAMPLE[phase])  # type: ignore[arg-type]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ihub: error: "), err
    return lines[0]


def leftovers(directory: Path, keep: str) -> list[str]:
    """Files in ``directory`` other than ``keep`` (partial files, WALs, spill dirs)."""
    return sorted(p.name for p in directory.iterdir() if p.name != keep)


def _canonical_pg(col_type: str, name: str) -> str:
    """A text form of a Postgres value that DuckDB can reproduce exactly."""
    if col_type == "timestamp with time zone":  # microseconds since 1970, or ±infinity
        return (
            f"CASE WHEN isfinite({name}) THEN "
            f"(extract(epoch FROM {name}) * 1000000)::bigint::text ELSE {name}::text END"
        )
    return f"{name}::text"


def _canonical_duck(col_type: str, name: str) -> str:
    if col_type == "timestamp with time zone":
        return f"CASE WHEN isfinite({name}) THEN epoch_us({name})::VARCHAR ELSE {name}::VARCHAR END"
    return f"{name}::VARCHAR"


def _rows(fetch: Callable[[str], list[tuple]], table: Table, canonical: Callable) -> list[tuple]:
    cols = ", ".join(canonical(c.pg_type, c.name) for c in table.columns)
    rows = fetch(f"SELECT {cols} FROM {table.name} ORDER BY id::text")
    numeric = [i for i, c in enumerate(table.columns) if c.pg_type == "numeric"]
    return [
        tuple(Decimal(v) if i in numeric and v is not None else v for i, v in enumerate(row))
        for row in rows
    ]


def pg_rows(url: str, table: Table) -> list[tuple]:
    with psycopg.connect(url) as con:
        return _rows(lambda q: con.execute(q).fetchall(), table, _canonical_pg)  # type: ignore[arg-type]


def duck_rows(path: Path, table: Table) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return _rows(lambda q: con.execute(q).fetchall(), table, _canonical_duck)


def duck_query(path: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(query).fetchall()


def pg_now(url: str) -> dt.datetime:
    with psycopg.connect(url) as con:
        return con.execute("SELECT now()").fetchone()[0]  # type: ignore[index]


def without_credentials(table: Table) -> Table:
    """``table`` minus its credential columns (compared separately)."""
    secrets = CREDENTIAL_COLUMNS.get(table.name, ())
    return Table(table.name, table.phase, tuple(c for c in table.columns if c.name not in secrets))


@contextlib.contextmanager
def throwaway_database(pg_admin: str) -> Iterator[str]:
    """A database for a session-scoped fixture (conftest's factory is per test)."""
    name = f"ihub_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin, autocommit=True) as con:
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield pg_admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture()
def sample_pg(inter_hub_pg: str) -> str:
    """A database of its own with the sample rows, for tests that change it."""
    fill(inter_hub_pg)
    return inter_hub_pg


#: Tests that only read the module's shared sample database run on one worker.
SHARED = pytest.mark.xdist_group("snapshot_shared_sample")


# Session scope (for fixtures only this module sees): pytest-xdist may tear module
# fixtures down between two tests of the same group, and these take seconds to build.
# (With pytest 9.2 and xdist 3.8 the groups themselves are not honoured — xdist sets
# ``item._nodeid``, which pytest no longer reads — so a second worker may build its
# own copy; correct either way, only slower.)
@pytest.fixture(scope="session")
def shared_pg(pg_admin: str) -> Iterator[str]:
    """The sample database, shared by the tests that do not change it."""
    with throwaway_database(pg_admin) as url:
        init_database(url)
        fill(url)
        yield url


@dataclass(frozen=True)
class Taken:
    result: snapshot.SnapshotResult
    before: dt.datetime  # the server's clock just before and after the snapshot
    after: dt.datetime


@pytest.fixture(scope="session")
def taken(shared_pg: str, tmp_path_factory: pytest.TempPathFactory) -> Taken:
    """One snapshot of the shared sample, in batches of 4 KB to exercise their seams."""
    out = tmp_path_factory.mktemp("snap") / "snap.duckdb"
    before = pg_now(shared_pg)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(snapshot, "BATCH_BYTES", 4096)
        result = snapshot.take_snapshot(shared_pg, out, progress=False)
    return Taken(result, before, pg_now(shared_pg))


# ------------------------------------------------------------------ round trip


@SHARED
def test_round_trip_is_faithful(shared_pg: str, taken: Taken) -> None:
    result = taken.result
    out = result.out
    schema = inter_hub_schema()
    assert set(result.meta.row_counts) == set(schema.table_names)
    for table in schema.tables:
        expected = pg_rows(shared_pg, without_credentials(table))
        assert expected, f"sample data leaves {table.name} empty"
        assert duck_rows(out, without_credentials(table)) == expected, table.name
        assert result.meta.row_counts[table.name] == len(expected)

    types = dict(
        duck_query(
            out,
            "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns",
        )
    )
    assert types["interaction_events.id"] == "UUID"
    assert types["interaction_events.metadata"] == "JSON"
    assert types["interaction_events.occurred_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["outcome_signals.value"] == "DECIMAL(38,10)"
    assert types["change_evaluations.score"] == "SMALLINT"
    assert types["friction_scores.regression_flag"] == "BOOLEAN"


@SHARED
def test_sample_values_survive(taken: Taken) -> None:
    out = taken.result.out
    event = "'30000000-0000-4000-8000-000000000001'"
    assert duck_query(
        out,
        f"SELECT id, metadata->>'note', metadata->>'code', occurred_at "
        f"FROM interaction_events WHERE id = {event}",
    ) == [
        (
            uuid.UUID(event.strip("'")),
            "naïve ☃",
            "500",
            dt.datetime(2026, 3, 28, 23, 30, 0, 123456, tzinfo=dt.UTC),
        )
    ]
    values = {v for (v,) in duck_query(out, "SELECT value FROM outcome_signals")}
    assert values == {
        Decimal("0.1234567891"),
        Decimal("12345678901234.5"),
        None,
        Decimal("-0.0000000001"),
        Decimal(0),
        Decimal("999999999999999999999999999.9999999999"),
    }
    assert duck_query(
        out, "SELECT capability_ref IS NULL, capability_ref FROM widgets ORDER BY version"
    ) == [(True, None), (False, "")]
    assert duck_query(out, "SELECT name FROM users ORDER BY email") == [("Zoë Łódź 🚀",), ("",)]
    assert duck_query(out, "SELECT name FROM widgets WHERE version = 2") == [
        ('multi\nline,\t"quoted" \\ text',)
    ]
    assert duck_query(
        out, "SELECT isinf(decided_at), decided_at > now() FROM decision_records"
    ) == [(True, True)]
    assert duck_query(out, "SELECT affected_hub_ids->>0 FROM cross_hub_propagations") == [
        ("10000000-0000-4000-8000-000000000002",)
    ]


@SHARED
def test_credentials_are_not_copied(taken: Taken) -> None:
    out = taken.result.out
    assert duck_query(out, "SELECT DISTINCT password_hash FROM users") == [("",)]
    assert duck_query(out, "SELECT count(*), count(api_key) FROM hubs") == [(2, 0)]
    data = out.read_bytes()
    assert USER_SECRET.encode() not in data
    assert HUB_SECRET.encode() not in data


def test_synthetic_database_round_trip(inter_hub_pg: str, tmp_path: Path) -> None:
    """Realistic data (``ihub synth``) survives as well as the hand-made samples."""
    synth.synthesize_postgres(
        inter_hub_pg, events=20_000, seed=7, end=synth.DEFAULT_END, progress=False
    )
    out = tmp_path / "synth.duckdb"
    result = snapshot.take_snapshot(inter_hub_pg, out, progress=False)
    assert result.meta.row_counts["interaction_events"] == 20_000
    for table in inter_hub_schema().tables:
        expected = pg_rows(inter_hub_pg, without_credentials(table))
        assert duck_rows(out, without_credentials(table)) == expected, table.name


# ------------------------------------------------------------------ metadata


@SHARED
def test_metadata(shared_pg: str, taken: Taken) -> None:
    result = taken.result
    out = result.out
    meta = result.meta
    assert taken.before <= meta.taken_at <= taken.after
    assert meta.taken_at.tzinfo is not None and meta.taken_at.utcoffset() == dt.timedelta(0)
    assert meta.source == shared_pg
    assert meta.tool_version == ihub_analysis.__version__
    assert meta.schema_fingerprint == inter_hub_schema().fingerprint()

    source = DuckDBSource(parse_source(str(out)))
    try:
        assert source.snapshot_meta() == meta
        assert source.now() == meta.taken_at
        assert source.phase == 7
    finally:
        source.close()
    assert duck_query(out, f"SELECT count(*) FROM {SNAPSHOT_META_TABLE}") == [(1,)]
    summary = result.describe()
    assert "27 tables" in summary and str(out) in summary and "\n" not in summary


@pytest.fixture()
def reader_role(pg_admin: str, shared_pg: str) -> Iterator[tuple[str, str]]:
    """A login role with a password that may read everything but the credential columns.

    Yields (URL with the password, password).  pg_hba trusts 127.0.0.1, so the
    password is never checked — it is there to be kept out of every output.
    """
    role = f"ihub_reader_{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    with psycopg.connect(pg_admin, autocommit=True) as con:
        con.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
    schema = inter_hub_schema()
    with psycopg.connect(shared_pg, autocommit=True) as con:
        con.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(
                sql.Identifier(role)
            )
        )
        for table, secrets in CREDENTIAL_COLUMNS.items():
            readable = [c.name for c in schema[table].columns if c.name not in secrets]
            con.execute(
                sql.SQL("REVOKE SELECT ON {} FROM {}").format(
                    sql.Identifier(table), sql.Identifier(role)
                )
            )
            con.execute(
                sql.SQL("GRANT SELECT ({}) ON {} TO {}").format(
                    sql.SQL(", ").join(map(sql.Identifier, readable)),
                    sql.Identifier(table),
                    sql.Identifier(role),
                )
            )
    parts = urlsplit(shared_pg)
    url = f"postgresql://{role}:{password}@{parts.hostname}:{parts.port or 5432}{parts.path}"
    try:
        yield url, password
    finally:
        with psycopg.connect(shared_pg, autocommit=True) as con:
            con.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@SHARED
def test_role_without_access_to_credentials(
    reader_role: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The credential columns are never selected: a role that may not read them can
    snapshot, the columns still exist, and the password appears nowhere."""
    url, password = reader_role
    out = tmp_path / "snap.duckdb"
    code, stdout, err = run_cli(["snapshot", url, str(out)], capsys)
    assert code == 0, err
    assert password not in stdout + err
    assert "27 tables" in stdout

    meta = DuckDBSource(parse_source(str(out)))
    try:
        recorded = meta.snapshot_meta()
    finally:
        meta.close()
    assert recorded is not None
    assert recorded.source == url.replace(f":{password}@", "@")
    assert recorded.schema_fingerprint == inter_hub_schema().fingerprint()
    assert password.encode() not in out.read_bytes()
    assert duck_query(out, "SELECT DISTINCT password_hash FROM users") == [("",)]
    assert duck_query(out, "SELECT count(api_key) FROM hubs") == [(0,)]


# ------------------------------------------------------------------ consistency


def test_rows_committed_during_the_snapshot_are_absent(
    sample_pg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection commits rows into several tables after the first table is
    copied; none of them may appear, in any table."""
    counts_before = {
        t.name: len(pg_rows(sample_pg, without_credentials(t))) for t in inter_hub_schema().tables
    }
    late_user, late_event = uuid.uuid4(), uuid.uuid4()
    committed: list[dt.datetime] = []

    def commit_more() -> None:
        with psycopg.connect(sample_pg) as con:
            con.execute(
                "INSERT INTO users (id, email, password_hash, name) "
                "VALUES (%s, 'late@x', 'h', 'L')",
                [late_user],
            )
            con.execute(
                "INSERT INTO interaction_events (id, widget_id, event_type) "
                "VALUES (%s, '20000000-0000-4000-8000-000000000001', 'late')",
                [late_event],
            )
            con.execute(
                "INSERT INTO annotations (widget_id, body) "
                "VALUES ('20000000-0000-4000-8000-000000000001', 'late')"
            )
            con.execute(
                "INSERT INTO hub_health_snapshots (hub_id, health_score) "
                "VALUES ('10000000-0000-4000-8000-000000000001', 1)"
            )
            committed.append(con.execute("SELECT now()").fetchone()[0])  # type: ignore[index]

    original = snapshot._copy_table

    def copy_then_interfere(pg, duck, table: Table, report) -> int:
        rows = original(pg, duck, table, report)
        if table.name == "users":
            worker = threading.Thread(target=commit_more)
            worker.start()
            worker.join()
        return rows

    monkeypatch.setattr(snapshot, "_copy_table", copy_then_interfere)
    out = tmp_path / "snap.duckdb"
    result = snapshot.take_snapshot(sample_pg, out, progress=False)

    assert committed, "the concurrent insert did not run"
    assert result.meta.taken_at < committed[0]
    assert result.meta.row_counts == counts_before
    assert duck_query(out, f"SELECT count(*) FROM users WHERE id = '{late_user}'") == [(0,)]
    assert duck_query(
        out, f"SELECT count(*) FROM interaction_events WHERE id = '{late_event}'"
    ) == [(0,)]
    assert duck_query(out, "SELECT count(*) FROM annotations WHERE body = 'late'") == [(0,)]
    with psycopg.connect(sample_pg) as con:  # the rows did land in the source
        assert con.execute("SELECT count(*) FROM annotations WHERE body = 'late'").fetchone() == (
            1,
        )


# ------------------------------------------------------------------ older deployments


def test_phase_2_database_snapshots_its_own_tables(
    make_pg_db: Callable[[], str], tmp_path: Path
) -> None:
    url = make_pg_db()
    init_database(url, up_to_phase=2)
    fill(url, up_to_phase=2)
    out = tmp_path / "old.duckdb"
    result = snapshot.take_snapshot(url, out, progress=False)

    schema = inter_hub_schema()
    phase2 = [t for t in schema.tables if t.phase <= 2]
    assert set(result.meta.row_counts) == {t.name for t in phase2}
    source = DuckDBSource(parse_source(str(out)))
    try:
        assert source.tables == {t.name for t in phase2}
        assert source.phase == 2
    finally:
        source.close()
    columns = {
        r[0]
        for r in duck_query(
            out, "SELECT column_name FROM information_schema.columns WHERE table_name = 'hubs'"
        )
    }
    assert "api_key" not in columns  # added in phase 6: the copy mirrors the source
    expected = fingerprint_of(
        [(t.name, c.name, c.pg_type, c.not_null) for t in phase2 for c in t.columns if c.phase <= 2]
    )
    assert result.meta.schema_fingerprint == expected
    for table in phase2:
        present = Table(table.name, 2, tuple(c for c in table.columns if c.phase <= 2))
        assert duck_rows(out, without_credentials(present)) == pg_rows(
            url, without_credentials(present)
        )


def test_the_copy_follows_the_source_schema(
    sample_pg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nullability comes from the source, unknown columns are left out (but counted in
    the fingerprint), and a column of another type is refused by name."""
    with psycopg.connect(sample_pg, autocommit=True) as con:
        con.execute("ALTER TABLE interaction_events ALTER COLUMN occurred_at DROP NOT NULL")
        con.execute(
            "INSERT INTO interaction_events (widget_id, event_type, occurred_at) "
            "VALUES ('20000000-0000-4000-8000-000000000001', 'undated', NULL)"
        )
        con.execute("ALTER TABLE widgets ADD COLUMN owner_team TEXT DEFAULT 'core'")
    out = tmp_path / "snap.duckdb"
    result = snapshot.take_snapshot(sample_pg, out, progress=False)
    assert duck_query(out, "SELECT count(*) FROM interaction_events WHERE occurred_at IS NULL") == [
        (1,)
    ]
    columns = {r[0] for r in duck_query(out, "DESCRIBE widgets")}
    assert "owner_team" not in columns and "adapter_spec_id" in columns
    assert result.meta.schema_fingerprint != inter_hub_schema().fingerprint()

    with psycopg.connect(sample_pg, autocommit=True) as con:
        con.execute("ALTER TABLE hubs ALTER COLUMN domain TYPE varchar(40)")
    code, _, err = run_cli(["snapshot", sample_pg, str(out)], capsys)
    assert code == 2
    assert "hubs.domain is character varying" in one_error_line(err)


# ------------------------------------------------------------------ bad input


def test_not_a_postgres_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "snap.duckdb"
    for source in (str(tmp_path / "other.duckdb"), "mysql://u@h/db"):
        code, _, err = run_cli(["snapshot", source, str(out)], capsys)
        assert code == 2
        assert "postgresql://" in one_error_line(err)
    assert not out.exists()


def test_unreachable_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "snap.duckdb"
    out.write_bytes(b"previous")
    code, _, err = run_cli(["snapshot", "postgresql://u:Zq7-hush@127.0.0.1:1/db", str(out)], capsys)
    assert code == 2
    line = one_error_line(err)
    assert "127.0.0.1:1" in line and "Zq7-hush" not in line
    assert out.read_bytes() == b"previous"
    assert leftovers(tmp_path, out.name) == []


def test_missing_database(
    pg_admin: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"ihub_missing_{uuid.uuid4().hex[:8]}"
    url = pg_admin.rsplit("/", 1)[0] + f"/{name}"
    code, _, err = run_cli(["snapshot", url, str(tmp_path / "s.duckdb")], capsys)
    assert code == 2
    assert name in one_error_line(err) and "does not exist" in err


def test_not_an_inter_hub_database(
    empty_pg_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["snapshot", empty_pg_db, str(tmp_path / "s.duckdb")], capsys)
    assert code == 2
    assert "not an Inter-Hub database" in one_error_line(err)
    assert leftovers(tmp_path, "") == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("'NaN'", "outcome_signals.value holds 1 NaN value"),
        ("0.12345678901", "outcome_signals.value holds 1 value(s) that DECIMAL(38,10) cannot"),
        ("1e28", "outcome_signals.value holds 1 value(s) that DECIMAL(38,10) cannot"),
    ],
)
def test_numeric_that_would_not_fit_is_refused(
    sample_pg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    with psycopg.connect(sample_pg, autocommit=True) as con:
        con.execute(
            "INSERT INTO outcome_signals (widget_id, deployment_id, signal_type, value) "
            "VALUES ('20000000-0000-4000-8000-000000000001', "
            f"'a0000000-0000-4000-8000-000000000001', 'bad', {value})"
        )
    out = tmp_path / "snap.duckdb"
    out.write_bytes(b"previous")
    code, _, err = run_cli(["snapshot", sample_pg, str(out)], capsys)
    assert code == 1
    assert message in one_error_line(err)
    assert out.read_bytes() == b"previous"
    assert leftovers(tmp_path, out.name) == []


@SHARED
def test_failure_mid_copy_keeps_the_previous_file(
    shared_pg: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A table locked by another session stalls the copy half-way until the statement
    timeout cancels it: exit 1, the timeout named, nothing of the attempt left."""
    out = tmp_path / "snap.duckdb"
    out.write_bytes(b"previous")
    monkeypatch.setenv("IHUB_STATEMENT_TIMEOUT", "300ms")
    with psycopg.connect(shared_pg) as locker:
        locker.execute("LOCK TABLE annotations IN ACCESS EXCLUSIVE MODE")
        code, _, err = run_cli(["snapshot", shared_pg, str(out)], capsys)
        locker.rollback()
    assert code == 1
    line = one_error_line(err)
    assert "statement timeout" in line and "IHUB_STATEMENT_TIMEOUT" in line
    assert out.read_bytes() == b"previous"
    assert leftovers(tmp_path, out.name) == []

    monkeypatch.delenv("IHUB_STATEMENT_TIMEOUT")
    code, stdout, err = run_cli(["snapshot", shared_pg, str(out)], capsys)
    assert code == 0, err
    assert stdout.startswith("snapshot of ") and err == ""
    assert duck_query(out, "SELECT count(*) FROM interaction_events") == [(3002,)]
    assert leftovers(tmp_path, out.name) == []


@SHARED
def test_duckdb_failure_mid_copy_keeps_the_previous_file(
    shared_pg: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DuckDB refusing a batch (here: a NULL forced into a NOT NULL column) stops the
    copy with one line; the worker thread's error reaches the command."""
    decode = snapshot.decode_rows

    def corrupt(table: Table, buf: bytearray, lengths: list[int]) -> pa.RecordBatch:
        batch = decode(table, buf, lengths)
        if table.name != "annotations":
            return batch
        body = batch.schema.get_field_index("body")
        return batch.set_column(body, "body", pa.nulls(batch.num_rows, pa.string_view()))

    monkeypatch.setattr(snapshot, "decode_rows", corrupt)
    out = tmp_path / "snap.duckdb"
    out.write_bytes(b"previous")
    code, stdout, err = run_cli(["snapshot", shared_pg, str(out)], capsys)
    assert code == 1 and stdout == ""
    assert "NOT NULL" in one_error_line(err)
    assert out.read_bytes() == b"previous"
    assert leftovers(tmp_path, out.name) == []


@SHARED
def test_output_is_a_directory(shared_pg: str, tmp_path: Path) -> None:
    with pytest.raises(IhubError, match="is a directory"):
        snapshot.take_snapshot(shared_pg, tmp_path, progress=False)


# ------------------------------------------------------------------ progress


@SHARED
def test_progress_goes_to_stderr_only_when_asked(
    shared_pg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot.take_snapshot(shared_pg, tmp_path / "a.duckdb", progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "interaction_events" in err and "3,002 rows" in err
    snapshot.take_snapshot(shared_pg, tmp_path / "b.duckdb", progress=None)  # not a tty here
    assert capsys.readouterr() == ("", "")


# ------------------------------------------------------------------ atomic output


@SHARED
def test_a_stale_wal_of_the_replaced_file_is_dropped(shared_pg: str, tmp_path: Path) -> None:
    """A crashed session on the old file leaves OUT.wal; DuckDB would refuse the new file
    beside it ("WAL does not match database file")."""
    out = tmp_path / "snap.duckdb"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb, os, sys; c = duckdb.connect(sys.argv[1]); "
            "c.execute('CREATE TABLE t (x INT)'); c.execute('CHECKPOINT'); "
            "c.execute('INSERT INTO t VALUES (1)'); os._exit(0)",
            str(out),
        ],
        check=True,
    )
    assert out.with_name(out.name + ".wal").exists()
    snapshot.take_snapshot(shared_pg, out, progress=False)
    assert leftovers(tmp_path, out.name) == []
    assert duck_query(out, "SELECT count(*) FROM hubs") == [(2,)]


def test_an_open_duckdb_file_is_not_committed(tmp_path: Path) -> None:
    """Committing while the log still holds data would publish an incomplete file."""
    target = tmp_path / "x.duckdb"
    target.write_bytes(b"previous")
    con = None
    with pytest.raises(RuntimeError, match="write-ahead log"), atomic_path(target) as tmp:
        con = duckdb.connect(str(tmp))
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
    assert con is not None
    con.close()
    assert target.read_bytes() == b"previous"
    assert leftovers(tmp_path, target.name) == []


def test_guardian_cleans_up_even_if_a_child_keeps_the_pipe_open(tmp_path: Path) -> None:
    """The writer is killed while a forked child of it lives on (holding the guardian's
    pipe): the guardian notices the writer is gone and still removes its files."""
    target = tmp_path / "x.duckdb"
    script = (
        "import os, signal, sys, time\n"
        "from pathlib import Path\n"
        "from ihub_analysis.atomic import atomic_path\n"
        "with atomic_path(Path(sys.argv[1])) as tmp:\n"
        "    tmp.write_text('partial')\n"
        "    tmp.with_name(tmp.name + '.tmp').mkdir()\n"
        "    child = os.fork()\n"
        "    if child == 0:  # keeps the guardian's pipe, not our stdout\n"
        "        os.close(1), os.close(2)\n"
        "        time.sleep(30)\n"
        "        os._exit(0)\n"
        "    print(child, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(target)], capture_output=True, text=True
    )
    child = int(proc.stdout)
    try:
        assert proc.returncode == -signal.SIGKILL
        deadline = time.monotonic() + 10
        while leftovers(tmp_path, target.name) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert leftovers(tmp_path, target.name) == []
        assert not target.exists()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


# ------------------------------------------------------------------ killed mid-copy

KILL_GROUP = pytest.mark.xdist_group("snapshot_kill")
BIG_EVENTS = 1_000_000


@pytest.fixture(scope="session")
def big_pg(pg_admin: str) -> Iterator[str]:
    """A phase-7 database with a million interaction events (a few seconds to copy).

    Filled fast: the events table is made unlogged and stripped of its indexes,
    triggers and foreign-key checks are off, and the values are cheap to make.
    """
    with throwaway_database(pg_admin) as url:
        init_database(url)
        fill(url)
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("ALTER TABLE interaction_events SET UNLOGGED")
            con.execute("ALTER TABLE interaction_events DROP CONSTRAINT interaction_events_pkey")
            con.execute(
                "DROP INDEX interaction_events_widget_id_idx, interaction_events_occurred_at_idx"
            )
            con.execute("SET session_replication_role = replica")
            con.execute(
                "INSERT INTO interaction_events (id, widget_id, event_type, actor_id, metadata, "
                "occurred_at) SELECT '30000000-0000-4000-8000-00000000ffff', "
                "'20000000-0000-4000-8000-000000000001', 'view', NULL, "
                '\'{"path": "/w/1", "ok": true}\', '
                "timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second' "
                f"FROM generate_series(1, {BIG_EVENTS}) i"
            )
        yield url


def _wait_for_copy(url: str, proc: subprocess.Popen[bytes], directory: Path) -> None:
    """Until the snapshot is streaming interaction_events into its temporary file."""
    dbname = urlsplit(url).path.lstrip("/")
    deadline = time.monotonic() + 60
    with psycopg.connect(url, autocommit=True) as con:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the snapshot ended before it could be interrupted"
            copying = con.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                "AND query LIKE 'COPY%%interaction_events%%'",
                [dbname],
            ).fetchone()
            if copying and copying[0] and any(p.name.startswith(".") for p in directory.iterdir()):
                return
            time.sleep(0.02)
    pytest.fail("the snapshot never started copying interaction_events")


@KILL_GROUP
@pytest.mark.slow
@pytest.mark.parametrize(
    "sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name
)
def test_interrupted_snapshot_leaves_the_previous_file(
    big_pg: str, tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "snap.duckdb"
    previous = os.urandom(1 << 16)
    out.write_bytes(previous)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ihub_analysis", "snapshot", big_pg, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_copy(big_pg, proc, tmp_path)
        time.sleep(0.3)  # well into the stream
        assert proc.poll() is None, "the snapshot ended before it could be interrupted"
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert stderr.decode().strip() == "ihub: interrupted"
    else:
        assert proc.returncode == -sig
    assert stdout == b""
    deadline = time.monotonic() + 10  # the guardian cleans up right after the writer dies
    while leftovers(tmp_path, out.name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers(tmp_path, out.name) == []
    assert out.read_bytes() == previous
