"""Hostile SQL through ``wb.sql()`` on both engines: refused in one line, with no effect.

Below the guard, each engine has its own lock: DuckDB refuses files, network,
extensions and settings once the snapshot is open; Postgres sessions are
read-only and rolled back.  Both layers are tested: ``wb.sql()`` for the guard,
``wb.source.query()`` (the internal path metrics use) for the engine.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest
from conftest import REPO

from ihub_analysis import sources
from ihub_analysis.dbinit import init_database
from ihub_analysis.errors import IhubError
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.sqlguard import UnsafeQueryError, check_read_only_query
from ihub_analysis.workbench import Workbench, connect

PG_GROUP = pytest.mark.xdist_group("hostile_sql_pg")
HUB = (
    "INSERT INTO hubs (id, slug, name, domain, created_at) VALUES "
    "('00000000-0000-0000-0000-000000000001', 'h1', 'Hub one', 'd', '2026-01-01 00:00+00')"
)


@pytest.fixture(scope="module")
def marker_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder both engines (same machine) could write to if a guard failed."""
    path = tmp_path_factory.mktemp("hostile")
    path.chmod(0o777)
    return path


@pytest.fixture(scope="module")
def duck_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("duck") / "ihub.duckdb"
    con = duckdb.connect(str(path))
    for table in inter_hub_schema().tables:
        con.execute(table.duckdb_ddl())
    con.execute(HUB)
    con.close()
    return path


@pytest.fixture(scope="module")
def pg_url(pg_admin: str) -> Iterator[str]:
    name = f"ihub_test_hostile_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    url = f"{pg_admin.rpartition('/')[0]}/{name}"
    try:
        init_database(url)
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(HUB)
        yield url
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=PG_GROUP)])
def wb(request: pytest.FixtureRequest, duck_file: Path) -> Iterator[Workbench]:
    source = str(duck_file) if request.param == "duckdb" else request.getfixturevalue("pg_url")
    with connect(source) as opened:
        yield opened


def _hostile(m: Path) -> list[str]:
    """Statements that must never run through ``wb.sql()``; ``m`` is a writable folder."""
    return [
        f"COPY hubs TO '{m}/copy.csv'",
        f"COPY (SELECT * FROM hubs) TO '{m}/copy2.csv' WITH (FORMAT csv)",
        f"COPY hubs FROM '{m}/in.csv'",
        f"COPY (SELECT 1) TO PROGRAM 'touch {m}/program'",
        f"COPY hubs TO PROGRAM 'touch {m}/program2'",
        f"ATTACH '{m}/other.duckdb' AS other",
        "DETACH other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "PRAGMA threads=1",
        "PRAGMA version",
        "SET default_order = 'DESC'",
        "SET default_transaction_read_only = off",
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
        "RESET ALL",
        "RESET default_order",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_blob('/etc/passwd')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_csv_auto('/etc/passwd')",
        "SELECT * FROM read_json('/etc/passwd')",
        "SELECT * FROM read_parquet('/etc/x.parquet')",
        "SELECT * FROM parquet_scan('/etc/x.parquet')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM sniff_csv('/etc/passwd')",
        "SELECT * FROM query('SELECT 42')",
        "SELECT getenv('PGPASSWORD')",
        "SELECT * FROM duckdb_secrets()",
        "CALL pragma_version()",
        "CHECKPOINT",
        f"EXPORT DATABASE '{m}/export'",
        "SELECT 1; SELECT 2",
        "SELECT 1; DROP TABLE hubs",
        "SELECT 1 -- comment\n; DELETE FROM hubs",
        "/* SELECT */ DELETE FROM hubs",
        "SELECT 1 /* ; */; UPDATE hubs SET name = 'x'",
        "DO $$ BEGIN PERFORM pg_sleep(0); END $$",
        "LOCK TABLE hubs IN ACCESS EXCLUSIVE MODE",
        "ANALYZE hubs",
        "ANALYZE",
        "VACUUM",
        "VACUUM FULL hubs",
        "SELECT pg_terminate_backend(pg_backend_pid())",
        "SELECT pg_catalog.pg_terminate_backend(1)",
        "SELECT pg_cancel_backend(1)",
        "SELECT pg_reload_conf()",
        'SELECT "pg_reload_conf"()',
        "SELECT PG_RELOAD_CONF()",
        "SELECT pg_rotate_logfile()",
        "SELECT pg_advisory_lock(42)",
        "SELECT pg_try_advisory_lock(42)",
        "SELECT pg_advisory_xact_lock(42)",
        "SELECT pg_advisory_unlock_all()",
        "SELECT set_config('default_transaction_read_only', 'off', false)",
        f"SELECT lo_export(1, '{m}/lo')",
        "SELECT lo_import('/etc/passwd')",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT pg_read_binary_file('/etc/passwd')",
        "SELECT * FROM pg_ls_dir('/')",
        "SELECT pg_stat_file('/etc/passwd')",
        "SELECT dblink('dbname=postgres', 'SELECT 1')",
        "SELECT dblink_exec('dbname=postgres', 'DROP TABLE hubs')",
        "SELECT nextval('hubs_id_seq')",
        "SELECT setval('hubs_id_seq', 1)",
        "SELECT pg_notify('ch', 'x')",
        "SELECT query_to_xml('DELETE FROM hubs RETURNING 1', true, true, '')",
        "SELECT pg_switch_wal()",
        "SELECT pg_stat_reset()",
        "SELECT x FROM (SELECT pg_reload_conf() AS x) AS s",
        "WITH d AS (DELETE FROM hubs RETURNING *) SELECT * FROM d",
        "WITH u AS (UPDATE hubs SET name = 'x' RETURNING *) SELECT count(*) FROM u",
        "SELECT * INTO scratch FROM hubs",
        "SELECT * FROM hubs FOR UPDATE",
        "SELECT * FROM hubs FOR SHARE",
        HUB,
        "UPDATE hubs SET name = 'x'",
        "DELETE FROM hubs",
        "TRUNCATE hubs",
        "CREATE TABLE scratch (a int)",
        "CREATE TEMP TABLE scratch AS SELECT 1",
        "DROP TABLE hubs",
        "ALTER TABLE hubs ADD COLUMN x int",
        "GRANT SELECT ON hubs TO PUBLIC",
        "COMMENT ON TABLE hubs IS 'x'",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "BEGIN READ WRITE",
        "PREPARE p AS SELECT 1",
        "EXECUTE p",
        "LISTEN ch",
        "NOTIFY ch",
        "DISCARD ALL",
        "REFRESH MATERIALIZED VIEW v",
        "CLUSTER hubs",
        "REINDEX TABLE hubs",
        "EXPLAIN ANALYZE SELECT 1",
        "EXPLAIN (ANALYZE) SELECT 1",
        "EXPLAIN ANALYZE DELETE FROM hubs",
        "EXPLAIN DELETE FROM hubs",
        "USE other",
        "",
        "   ;  ",
        "-- only a comment",
    ]


def test_hostile_statements_are_refused_in_one_line(wb: Workbench, marker_dir: Path) -> None:
    """Every hostile statement: UnsafeQueryError, one line, nothing happened."""
    for statement in _hostile(marker_dir):
        with pytest.raises(UnsafeQueryError) as info:
            wb.sql(statement)
        message = str(info.value)
        assert message.startswith("wb.sql() ") and "\n" not in message, (statement, message)
    assert list(marker_dir.iterdir()) == []
    assert wb.sql("SELECT slug, name FROM hubs").rows() == [("h1", "Hub one")]


def test_hostile_statements_are_refused_by_the_checker_on_every_engine(marker_dir: Path) -> None:
    """The checker alone, per dialect (also for statements one engine would not parse)."""
    for kind in ("duckdb", "postgres"):
        for statement in _hostile(marker_dir):
            with pytest.raises(UnsafeQueryError):
                check_read_only_query(statement, kind)


ORDINARY = [
    ("SELECT count(*) AS n FROM hubs", [(1,)]),
    ("select slug from hubs where name = 'Hub one'", [("h1",)]),
    ("WITH h AS (SELECT slug FROM hubs) SELECT slug FROM h", [("h1",)]),
    (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
        "SELECT sum(n) AS s FROM r",
        [(6,)],
    ),
    ("SELECT 1 AS a UNION ALL SELECT 2 ORDER BY a", [(1,), (2,)]),
    ("VALUES (1, 'a'), (2, 'b')", [(1, "a"), (2, "b")]),
    ("(SELECT 7 AS x)", [(7,)]),
    ("SELECT 'a;b' AS t", [("a;b",)]),
    ("SELECT 'DROP TABLE hubs; --' AS t", [("DROP TABLE hubs; --",)]),
    ("SELECT $$x$$ AS t" if False else "SELECT 'it''s' AS t", [("it's",)]),
    (
        "SELECT h.slug, count(w.id) AS widgets FROM hubs h LEFT JOIN widgets w "
        "ON w.hub_id = h.id GROUP BY h.slug",
        [("h1", 0)],
    ),
    ("SELECT slug FROM hubs WHERE id IN (SELECT hub_id FROM widgets)", []),
    ("SELECT count(*) FILTER (WHERE slug LIKE 'h%') AS n FROM hubs", [(1,)]),
    (
        "SELECT upper(slug) AS u, length(name) AS l, coalesce(NULL, 3) AS c FROM hubs",
        [("H1", 7, 3)],
    ),
    ("SELECT row_number() OVER (ORDER BY slug) AS r FROM hubs", [(1,)]),
    ("SELECT 1 AS a;", [(1,)]),
    ("  -- a comment first\n  SELECT 2 AS b  ", [(2,)]),
    ("SELECT 'C:\\temp' AS p", [("C:\\temp",)]),  # backslash literal: standard strings
]


@pytest.mark.parametrize(("query", "rows"), ORDINARY)
def test_ordinary_queries_still_work(wb: Workbench, query: str, rows: list[tuple]) -> None:
    assert wb.sql(query).rows() == rows


def test_explain_and_show_are_allowed(wb: Workbench) -> None:
    """EXPLAIN without ANALYZE plans, it does not run; SHOW reads a setting."""
    assert wb.sql("EXPLAIN SELECT * FROM hubs").height >= 1
    if wb.source.kind == "postgres":
        assert wb.sql("SHOW TimeZone").item() == "UTC"


def test_duckdb_engine_is_locked_below_the_guard(duck_file: Path, marker_dir: Path) -> None:
    """Even unguarded, the DuckDB connection reaches no file and keeps its settings."""
    with connect(str(duck_file)) as bench:
        funnel_before = bench.sql("SELECT slug FROM hubs ORDER BY slug").rows()
        for statement in [
            f"COPY hubs TO '{marker_dir}/engine.csv'",
            "SELECT * FROM read_text('/etc/passwd')",
            "SELECT * FROM '/etc/passwd'",
            "SELECT * FROM glob('/etc/*')",
            f"ATTACH '{marker_dir}/engine.duckdb' AS x",
            "INSTALL httpfs",
            "LOAD httpfs",
            "SET default_order = 'DESC'",
            "RESET TimeZone",
            "PRAGMA threads=1",
            "SET enable_external_access = true",
            "SET lock_configuration = false",
        ]:
            with pytest.raises(IhubError, match="query failed"):
                bench.source.query(statement)
        setting = bench.source.query("SELECT current_setting('default_order') AS o")
        assert setting.item().lower().startswith("asc")
        assert bench.source.query("SELECT current_setting('TimeZone') AS t").item() == "UTC"
        assert bench.sql("SELECT slug FROM hubs ORDER BY slug").rows() == funnel_before
    assert list(marker_dir.iterdir()) == []


def test_duckdb_metrics_are_unchanged_by_an_attempted_set(duck_file: Path) -> None:
    """The reported bug: ``SET default_order='DESC'`` once reversed later funnel results."""
    with connect(str(duck_file)) as bench:
        before = bench.funnel(as_of="2026-02-01")
        with pytest.raises(IhubError):
            bench.sql("SET default_order = 'DESC'")
        with pytest.raises(IhubError):
            bench.source.query("SET default_order = 'DESC'")
        assert bench.funnel(as_of="2026-02-01").equals(before)


@PG_GROUP
def test_postgres_session_pins_standard_strings(pg_url: str) -> None:
    with connect(pg_url) as bench:
        assert bench.sql("SHOW standard_conforming_strings").item() == "on"
        assert bench.sql("SELECT 'a\\b' AS t").item() == "a\\b"


@PG_GROUP
def test_privileged_role_is_told_once(
    pg_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A superuser connection: one notice naming why and pointing at docs/security.md."""
    monkeypatch.setattr(sources, "_NOTICED", set())
    monkeypatch.delenv("IHUB_PRIVILEGE_NOTICE", raising=False)
    with caplog.at_level(logging.WARNING, logger="ihub_analysis.security"):
        for _ in range(3):
            with connect(pg_url):
                pass
    notices = [r.getMessage() for r in caplog.records if r.name == "ihub_analysis.security"]
    assert len(notices) == 1, notices
    assert "superuser" in notices[0] and "docs/security.md" in notices[0]


@PG_GROUP
def test_notice_can_be_silenced(
    pg_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "_NOTICED", set())
    monkeypatch.setenv("IHUB_PRIVILEGE_NOTICE", "off")
    with caplog.at_level(logging.WARNING, logger="ihub_analysis.security"), connect(pg_url):
        pass
    assert not [r for r in caplog.records if r.name == "ihub_analysis.security"]


def _documented_reader_sql() -> str:
    """The least-privilege SQL of docs/security.md, exactly as a reader would copy it."""
    text = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
    block = text.split("```sql\n", 1)[1].split("```", 1)[0]
    assert "CREATE ROLE ihub_reader" in block and "GRANT SELECT" in block
    return block


@pytest.fixture()
def reader_url(pg_url: str, pg_admin: str) -> Iterator[str]:
    """A role made with the documented SQL (trust auth locally: the password is unused)."""
    role = f"ihub_reader_{uuid.uuid4().hex[:8]}"
    db = pg_url.rpartition("/")[2]
    script = _documented_reader_sql().replace("ihub_reader", role)
    script = script.replace("DATABASE interhub", f'DATABASE "{db}"')
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(script.encode())  # several statements: the simple query protocol
    base = pg_url.rpartition("/")[0].replace("postgres@", f"{role}@", 1)
    try:
        yield f"{base}/{db}"
    finally:
        with psycopg.connect(pg_url, autocommit=True) as con:
            con.execute(f"DROP OWNED BY {role}")
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(f"DROP ROLE IF EXISTS {role}")


@PG_GROUP
def test_least_privilege_role_gets_no_notice_and_works(
    reader_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "_NOTICED", set())
    monkeypatch.delenv("IHUB_PRIVILEGE_NOTICE", raising=False)
    level = caplog.at_level(logging.WARNING, logger="ihub_analysis.security")
    with level, connect(reader_url) as bench:
        assert bench.source.privileges() == []  # type: ignore[attr-defined]
        assert bench.sql("SELECT slug FROM hubs").rows() == [("h1",)]
        assert bench.friction().height == 0
        with pytest.raises(IhubError, match="permission denied"):
            bench.sql("SELECT api_key FROM hubs")
        # even below the guard, the role cannot reload the server's configuration
        with pytest.raises(IhubError, match=r"permission denied|must be"):
            bench.source.query("SELECT pg_reload_conf()")
    assert not [r for r in caplog.records if r.name == "ihub_analysis.security"]


@PG_GROUP
def test_role_that_can_write_is_told(
    pg_url: str,
    pg_admin: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not a superuser, but INSERT on one table and membership in pg_signal_backend."""
    monkeypatch.setattr(sources, "_NOTICED", set())
    monkeypatch.delenv("IHUB_PRIVILEGE_NOTICE", raising=False)
    role = f"ihub_writer_{uuid.uuid4().hex[:8]}"
    db = pg_url.rpartition("/")[2]
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f"CREATE ROLE {role} LOGIN")
        con.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        con.execute(f"GRANT INSERT ON hubs TO {role}")
        con.execute(f"GRANT pg_signal_backend TO {role}")
    url = f"{pg_url.rpartition('/')[0].replace('postgres@', f'{role}@', 1)}/{db}"
    try:
        level = caplog.at_level(logging.WARNING, logger="ihub_analysis.security")
        with level, connect(url) as bench:
            assert bench.source.privileges() == [  # type: ignore[attr-defined]
                "member of pg_signal_backend",
                "can write to 1 table",
            ]
    finally:
        with psycopg.connect(pg_url, autocommit=True) as con:
            con.execute(f"DROP OWNED BY {role}")
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(f"DROP ROLE IF EXISTS {role}")
    notices = [r.getMessage() for r in caplog.records if r.name == "ihub_analysis.security"]
    assert len(notices) == 1 and "can write to 1 table" in notices[0], notices
    assert "superuser" not in notices[0]
