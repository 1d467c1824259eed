"""Opening sources: one-line errors, read-only sessions, table detection, redaction.

Every way a source can be wrong must end in one line on stderr naming the problem,
exit status 2 and no password.  The local server trusts every connection, so the
password cases run against a private, throwaway cluster with scram-sha-256 auth.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import duckdb
import psycopg
import pytest

from ihub_analysis import cli, connect
from ihub_analysis.dbinit import init_database
from ihub_analysis.duckdb_files import write_meta
from ihub_analysis.errors import IhubError, SourceError
from ihub_analysis.paths import DEFAULT_DEMO_SOURCE, default_source
from ihub_analysis.redact import redact_source, scrub, secrets_of
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.sources import (
    APPLICATION_NAME,
    SNAPSHOT_META_TABLE,
    DuckDBSource,
    PostgresSource,
    SnapshotMeta,
    open_source,
    parse_source,
)

#: The private cluster's superuser password: '@', '%' and ':' need encoding in URLs
#: and escaping in a pgpass file; "Zq7" makes any partial echo easy to spot.
PRIVATE_PASSWORD = "Zq7@p%ss:w0rd"
PRIVATE_GROUP = pytest.mark.xdist_group("private_pg_cluster")
#: Tests sharing the module's read-only Inter-Hub database run on one worker.
RO_GROUP = pytest.mark.xdist_group("shared_ro_pg")


# ------------------------------------------------------------------ helpers


def cli_error(capsys: pytest.CaptureFixture[str], source: str, *secrets: str) -> str:
    """Run ``ihub metrics friction --source S``; check exit 2 and one clean line."""
    code = cli.main(["metrics", "friction", "--source", source])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ihub: error: ")
    assert "Traceback" not in err
    for secret in secrets:
        assert secret not in err
    return lines[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[4])
    )
    if not candidates:
        pytest.fail("no initdb under /usr/lib/postgresql/*/bin: cannot start a private cluster")
    return candidates[-1].parent


@dataclass(frozen=True)
class PrivateCluster:
    """A password-protected Postgres with an Inter-Hub database ``ihub``."""

    port: int

    def url(self, password: str | None = None, db: str = "ihub") -> str:
        auth = f"postgres:{quote(password, safe='')}" if password is not None else "postgres"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{db}"


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivateCluster]:
    """A throwaway cluster with scram-sha-256 auth on a free port; removed afterwards."""
    bindir = _pg_bin()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root = Path(tempfile.mkdtemp(prefix="ihub-pg-"))
    data = root / "data"
    pwfile = root / "pw"
    pwfile.write_text(PRIVATE_PASSWORD + "\n", encoding="utf-8")
    if as_postgres:
        shutil.chown(root, "postgres")
        shutil.chown(pwfile, "postgres")
    started = False

    def run(*args: str) -> None:
        subprocess.run([*as_postgres, *args], check=True, capture_output=True, timeout=60)

    initdb = [
        str(bindir / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        "--no-sync",
        "--auth=scram-sha-256",
        f"--pwfile={pwfile}",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    ]
    try:
        run(*initdb)
        for _attempt in range(3):  # a free port can be taken between probe and start
            port = _free_port()
            opts = (
                f"-k {root} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c shared_buffers=16MB -c max_connections=30"
            )
            start = [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(root / "log"),
                "-w",
                "-t",
                "30",
                "-o",
                opts,
                "start",
            ]
            try:
                run(*start)
            except subprocess.CalledProcessError:
                continue
            started = True
            break
        if not started:
            log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
            pytest.fail(f"private Postgres cluster did not start:\n{log}")
        cluster = PrivateCluster(port)
        with psycopg.connect(cluster.url(PRIVATE_PASSWORD, "postgres"), autocommit=True) as con:
            con.execute("CREATE DATABASE ihub")
        init_database(cluster.url(PRIVATE_PASSWORD))
        yield cluster
    finally:
        if started:
            with contextlib.suppress(subprocess.SubprocessError):
                run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def no_ambient_password(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No PGPASSWORD and a pgpass file that does not exist (returned, to be written)."""
    monkeypatch.delenv("PGPASSWORD", raising=False)
    pgpass = tmp_path / "pgpass"
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    return pgpass


def _duckdb_file(path: Path, tables: list[str] | None = None, extra: str | None = None) -> Path:
    """A DuckDB file holding the given Inter-Hub tables (default: all), no rows."""
    schema = inter_hub_schema()
    con = duckdb.connect(str(path))
    try:
        for name in tables if tables is not None else schema.table_names:
            con.execute(schema[name].duckdb_ddl())
        if extra:
            con.execute(extra)
    finally:
        con.close()
    return path


# ------------------------------------------------------------------ DuckDB sources that fail


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A path that does not exist."""
    missing = tmp_path / "nope.duckdb"
    line = cli_error(capsys, str(missing))
    assert "no such DuckDB file" in line and str(missing) in line
    assert not missing.exists()  # opening read-only must not create it


def test_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A directory is not a DuckDB file."""
    assert "is a directory" in cli_error(capsys, str(tmp_path))


@pytest.mark.parametrize(
    "content",
    [os.urandom(4096), b"hub,widget\nsales,chart\n", b""],
    ids=["random-bytes", "text-file", "empty-file"],
)
def test_not_a_duckdb_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes
) -> None:
    """A file that is not DuckDB, whatever its name says."""
    path = tmp_path / "data.duckdb"
    path.write_bytes(content)
    line = cli_error(capsys, str(path))
    assert "cannot open" in line and "not a valid DuckDB database file" in line
    assert path.read_bytes() == content  # untouched


def test_duckdb_file_that_is_not_inter_hub(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A valid DuckDB file without the Inter-Hub tables."""
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders (id INTEGER)")
    con.close()
    line = cli_error(capsys, f"duckdb://{path}")
    assert "is not an Inter-Hub database" in line
    assert "hubs, widgets, interaction_events, annotations" in line
    # the refused file was closed: this process can open it for writing again
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE orders")
    con.close()


def test_duckdb_file_missing_some_core_tables(tmp_path: Path) -> None:
    """The message names exactly the core tables that are missing."""
    path = _duckdb_file(tmp_path / "part.duckdb", ["hubs", "widgets"])
    with pytest.raises(SourceError, match=r"\(no interaction_events, annotations tables\)$"):
        open_source(str(path))


def test_duckdb_file_locked_by_a_writer(tmp_path: Path) -> None:
    """A file another process holds open for writing: one line, exit 2."""
    path = _duckdb_file(tmp_path / "busy.duckdb")
    hold = "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('ready', flush=True); "
    writer = subprocess.Popen(
        [sys.executable, "-c", hold + "time.sleep(30)", str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        with pytest.raises(SourceError) as info:
            open_source(str(path))
        assert "\n" not in str(info.value)
        assert "lock" in str(info.value).lower()
    finally:
        writer.kill()
        writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()


# ------------------------------------------------------------------ Postgres sources that fail


@pytest.mark.postgres
def test_postgres_database_that_is_not_inter_hub(
    capsys: pytest.CaptureFixture[str], empty_pg_db: str
) -> None:
    """An empty database is reachable but not Inter-Hub."""
    line = cli_error(capsys, empty_pg_db)
    assert f"{empty_pg_db} is not an Inter-Hub database" in line
    # the refused source left no session behind
    dbname = empty_pg_db.rpartition("/")[2]
    with psycopg.connect(empty_pg_db) as con:
        row = con.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            (dbname, APPLICATION_NAME),
        ).fetchone()
    assert row == (0,)


def test_unreachable_host(capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing listens on port 1."""
    line = cli_error(capsys, "postgresql://postgres:Unreach4ble@127.0.0.1:1/ihub", "Unreach4ble")
    assert "cannot reach Postgres at 127.0.0.1:1" in line
    assert "refused" in line.lower()


def test_unresolvable_host(capsys: pytest.CaptureFixture[str]) -> None:
    """A host name that does not resolve (.invalid is reserved)."""
    line = cli_error(capsys, "postgresql://u:Res0lveMe@db.example.invalid/ihub", "Res0lveMe")
    assert "cannot reach Postgres at db.example.invalid:5432" in line


@pytest.mark.postgres
def test_missing_database(capsys: pytest.CaptureFixture[str], pg_admin: str) -> None:
    """The server is there, the database is not."""
    url = pg_admin.rpartition("/")[0] + "/ihub_no_such_db_4711"
    line = cli_error(capsys, url)
    assert "database 'ihub_no_such_db_4711' does not exist at 127.0.0.1:5432" in line


@pytest.mark.postgres
def test_missing_user(capsys: pytest.CaptureFixture[str], pg_admin: str) -> None:
    """A role the server does not know."""
    url = pg_admin.replace("postgres@", "ihub_no_such_role:Rol3Secret@", 1)
    line = cli_error(capsys, url, "Rol3Secret")
    assert "user 'ihub_no_such_role' does not exist" in line


def test_invalid_postgres_url(capsys: pytest.CaptureFixture[str]) -> None:
    """A port that is not a number; a short password must not garble the message."""
    line = cli_error(capsys, "postgresql://u:p@h:notaport/db")
    assert line.startswith("ihub: error: invalid Postgres URL postgresql://…: the port is not a")


def test_libpq_keyword_string_is_refused_without_echoing_its_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``host=… password=…`` is not a source; the message must not leak the password."""
    line = cli_error(capsys, "host=db user=ihub password=Kw3ySecret dbname=ihub", "Kw3ySecret")
    assert "key=value" in line and "postgresql://" in line


# ------------------------------------------------------------------ passwords (private cluster)


@PRIVATE_GROUP
def test_wrong_password(
    capsys: pytest.CaptureFixture[str], private_pg: PrivateCluster, no_ambient_password: Path
) -> None:
    """A wrong password in the URL: named as such, neither password echoed."""
    line = cli_error(capsys, private_pg.url("Wr0ngPass@x"), "Wr0ngPass", "Wr0ngPass%40x", "Zq7")
    assert line == (
        f"ihub: error: password authentication failed for user 'postgres' "
        f"at 127.0.0.1:{private_pg.port}"
    )


@PRIVATE_GROUP
def test_wrong_password_from_pgpassword(
    capsys: pytest.CaptureFixture[str],
    private_pg: PrivateCluster,
    no_ambient_password: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A wrong PGPASSWORD is used and reported, never echoed."""
    monkeypatch.setenv("PGPASSWORD", "EnvWr0ng!")
    line = cli_error(capsys, private_pg.url(), "EnvWr0ng")
    assert "password authentication failed for user 'postgres'" in line


@PRIVATE_GROUP
def test_no_password_at_all(
    capsys: pytest.CaptureFixture[str], private_pg: PrivateCluster, no_ambient_password: Path
) -> None:
    """No password anywhere: the message says so and where one may come from."""
    line = cli_error(capsys, private_pg.url())
    assert "none was given" in line and "PGPASSWORD" in line and "pgpass" in line


@PRIVATE_GROUP
def test_db_init_with_wrong_password(
    capsys: pytest.CaptureFixture[str], private_pg: PrivateCluster, no_ambient_password: Path
) -> None:
    """``ihub db init`` reports a wrong password the same way."""
    assert cli.main(["db", "init", private_pg.url("Wr0ngInit", "postgres")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert "password authentication failed" in err and "Wr0ngInit" not in err


@PRIVATE_GROUP
def test_password_in_url_percent_encoded(
    private_pg: PrivateCluster, no_ambient_password: Path
) -> None:
    """The right password, percent-encoded in the URL, opens the source."""
    url = private_pg.url(PRIVATE_PASSWORD)
    assert "%40" in url and "%25" in url and "%3A" in url
    with connect(url) as wb:
        assert wb.source.phase == 7
        assert PRIVATE_PASSWORD not in wb.source.display
        assert "Zq7" not in repr(wb) and "Zq7" not in wb.source.display


@PRIVATE_GROUP
def test_password_from_pgpassword_is_honoured(
    private_pg: PrivateCluster, no_ambient_password: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``PGPASSWORD`` is used as libpq does."""
    monkeypatch.setenv("PGPASSWORD", PRIVATE_PASSWORD)
    with connect(private_pg.url()) as wb:
        assert len(wb.tables) == 27
        assert wb.sql("SELECT current_user AS u")["u"].to_list() == ["postgres"]


@PRIVATE_GROUP
def test_password_from_pgpass_is_honoured(
    private_pg: PrivateCluster, no_ambient_password: Path
) -> None:
    """A pgpass file (``PGPASSFILE``) is used as libpq does."""
    escaped = PRIVATE_PASSWORD.replace("\\", "\\\\").replace(":", "\\:")
    no_ambient_password.write_text(f"127.0.0.1:{private_pg.port}:*:postgres:{escaped}\n")
    no_ambient_password.chmod(0o600)
    with connect(private_pg.url()) as wb:
        assert wb.source.phase == 7


@PRIVATE_GROUP
def test_wrong_password_from_pgpass_is_not_echoed(
    capsys: pytest.CaptureFixture[str], private_pg: PrivateCluster, no_ambient_password: Path
) -> None:
    """A stale pgpass entry is reported as a failed login, its password never shown."""
    no_ambient_password.write_text(f"*:{private_pg.port}:*:postgres:Pgp4ssStale\n")
    no_ambient_password.chmod(0o600)
    line = cli_error(capsys, private_pg.url(), "Pgp4ssStale")
    assert "password authentication failed for user 'postgres'" in line


def test_unencoded_at_in_password_is_refused_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    """``user:p@ss@host`` would send libpq to host ``ss@host``: refuse it, leak nothing."""
    url = f"postgresql://postgres:{PRIVATE_PASSWORD}@127.0.0.1:5432/ihub"
    line = cli_error(capsys, url, "Zq7", "ss:w0rd", "127.0.0.1")
    assert "invalid Postgres URL postgresql://…: more than one '@'" in line and "%40" in line


# ------------------------------------------------------------------ read-only sessions


@pytest.fixture(scope="module")
def ro_pg(pg_admin: str) -> Iterator[str]:
    """One full, empty Inter-Hub database shared by the read-only tests (which check
    that it stays empty)."""
    name = f"ihub_test_ro_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    url = f"{pg_admin.rpartition('/')[0]}/{name}"
    try:
        init_database(url)
        yield url
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _hub_count(url: str) -> int:
    with psycopg.connect(url) as con:
        row = con.execute("SELECT count(*) FROM hubs").fetchone()
    assert row is not None
    return int(row[0])


INSERT_HUB = "INSERT INTO hubs (slug, name, domain) VALUES ('x', 'X', 'x')"


WRITES = [
    (INSERT_HUB, "INSERT"),
    ("CREATE TABLE scratch (a int)", "CREATE TABLE"),
    ("UPDATE hubs SET name = 'y'", "UPDATE"),
    ("DELETE FROM hubs", "DELETE"),
]


@pytest.mark.postgres
@pytest.mark.parametrize(("statement", "verb"), WRITES)
@RO_GROUP
def test_postgres_session_cannot_write(ro_pg: str, statement: str, verb: str) -> None:
    """Writes through the library's own connection fail, saying read-only (the session's
    guard, below ``wb.sql()``'s own check, which refuses them before they are sent)."""
    wb = connect(ro_pg)
    try:
        with pytest.raises(IhubError, match=f"cannot execute {verb} in a read-only transaction"):
            wb.source.query(statement)
    finally:
        wb.close()
    assert _hub_count(ro_pg) == 0


@pytest.mark.postgres
@pytest.mark.parametrize(
    "escape",
    [
        f"BEGIN READ WRITE; {INSERT_HUB}; COMMIT",
        f"COMMIT; BEGIN; SET TRANSACTION READ WRITE; {INSERT_HUB}; COMMIT",
        f"SET TRANSACTION READ WRITE; {INSERT_HUB}",
        f"SET default_transaction_read_only = off; {INSERT_HUB}",
    ],
)
@RO_GROUP
def test_postgres_session_cannot_be_switched_to_read_write(ro_pg: str, escape: str) -> None:
    """A multi-statement script cannot turn the read-only guard off."""
    with connect(ro_pg) as wb, pytest.raises(IhubError, match="one SQL statement at a time"):
        wb.source.query(escape)
    assert _hub_count(ro_pg) == 0


@pytest.mark.postgres
@RO_GROUP
def test_postgres_settings_do_not_survive_a_query(ro_pg: str) -> None:
    """A ``SET`` in one call cannot make the next call writable."""
    with connect(ro_pg) as wb:
        for statement in [
            "SET default_transaction_read_only = off",
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
            "SET TRANSACTION READ WRITE",
            "COMMIT",
        ]:
            wb.source.query(statement)
            with pytest.raises(IhubError, match="read-only transaction"):
                wb.source.query(INSERT_HUB)
        ro = wb.sql("SHOW default_transaction_read_only")
        assert ro.item() == "on"
    assert _hub_count(ro_pg) == 0


@pytest.mark.postgres
@RO_GROUP
def test_postgres_session_settings(ro_pg: str) -> None:
    """application_name, statement_timeout and UTC are set on the library's connection."""
    with connect(ro_pg) as wb:
        mine = wb.sql(
            "SELECT application_name, current_setting('statement_timeout') AS timeout, "
            "current_setting('TimeZone') AS tz, current_setting('transaction_read_only') AS ro "
            "FROM pg_stat_activity WHERE pid = pg_backend_pid()"
        ).row(0, named=True)
        want = {"application_name": APPLICATION_NAME, "timeout": "5min", "tz": "UTC", "ro": "on"}
        assert mine == want
        assert wb.sql("SHOW application_name").item() == "ihub-analysis"
        assert wb.sql("SELECT 'a%sb' AS t").item() == "a%sb"  # no placeholder processing
        empty = wb.sql("SELECT slug FROM hubs")
        assert empty.columns == ["slug"] and empty.height == 0
        assert isinstance(wb.source, PostgresSource)
        raw = wb.source.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("SHOW default_transaction_read_only")
            assert cur.fetchone() == ("on",)
        finally:
            raw.close()
        now = wb.source.now()
        assert now.tzinfo is not None and abs(dt.datetime.now(dt.UTC) - now).total_seconds() < 60


@pytest.mark.postgres
@RO_GROUP
def test_postgres_model_planner_settings_are_local(ro_pg: str) -> None:
    """Metric statements run without nested loops or plain index scans; ad-hoc SQL, and
    the next statement, keep the server's planner; work_mem is the session's 64MB."""
    show = (
        "SELECT current_setting('enable_nestloop') AS nestloop, "
        "current_setting('enable_indexscan') AS indexscan, current_setting('work_mem') AS mem"
    )
    with connect(ro_pg) as wb:
        assert wb.source.query_model(show).row(0) == ("off", "off", "64MB")
        assert wb.sql(show).row(0) == ("on", "on", "64MB")
        assert wb.source.query(show).row(0) == ("on", "on", "64MB")


@pytest.mark.postgres
@RO_GROUP
def test_statement_timeout_from_the_environment(
    ro_pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``IHUB_STATEMENT_TIMEOUT=200ms`` stops a 5 s query fast, with a clear message."""
    monkeypatch.setenv("IHUB_STATEMENT_TIMEOUT", "200ms")
    with connect(ro_pg) as wb:
        assert wb.sql("SHOW statement_timeout").item() == "200ms"
        start = time.monotonic()
        with pytest.raises(IhubError) as info:
            wb.sql("SELECT pg_sleep(5)")
        assert time.monotonic() - start < 3
        message = str(info.value)
        assert "canceling statement due to statement timeout" in message
        assert "200ms" in message and "IHUB_STATEMENT_TIMEOUT" in message
        assert "\n" not in message
        assert wb.sql("SELECT 1 AS one").item() == 1  # the pool recovered


@pytest.mark.postgres
@pytest.mark.parametrize("bad", ["soon", "5 weeks", "-1s"])
@RO_GROUP
def test_invalid_statement_timeout(ro_pg: str, bad: str) -> None:
    """A statement timeout that Postgres would not take is refused up front."""
    with pytest.raises(SourceError, match="invalid statement timeout"):
        open_source(ro_pg, statement_timeout=bad)


def test_duckdb_source_cannot_write(tmp_path: Path) -> None:
    """DuckDB files are opened read-only, even against a second ATTACH."""
    path = _duckdb_file(tmp_path / "ro.duckdb")
    before = path.read_bytes()
    with connect(str(path)) as wb:
        for statement in [
            "INSERT INTO hubs (id, slug, name, domain, created_at) "
            "VALUES (uuid(), 'x', 'X', 'x', now())",
            "CREATE TABLE scratch (a INTEGER)",
            "DROP TABLE hubs",
        ]:
            with pytest.raises(IhubError, match="read-only"):
                wb.sql(statement)
        with pytest.raises(IhubError):
            wb.sql(f"ATTACH '{path}' AS rw (READ_WRITE)")
        assert wb.sql("SELECT count(*) AS n FROM hubs").item() == 0
        assert wb.sql("SELECT current_setting('TimeZone') AS tz").item() == "UTC"
    assert path.read_bytes() == before


# ------------------------------------------------------------------ table detection


@pytest.mark.postgres
def test_phase_2_database_reports_phase_2(make_pg_db: Callable[[], str]) -> None:
    """An older deployment: only the phase 1–2 tables, phase 2."""
    url = make_pg_db()
    created = init_database(url, up_to_phase=2)
    with open_source(url) as source:
        want = {t.name for t in inter_hub_schema().tables if t.phase <= 2}
        assert source.tables == want == set(created)
        assert len(want) == 10
        assert source.phase == 2


@pytest.mark.postgres
@RO_GROUP
def test_full_database_reports_phase_7(ro_pg: str) -> None:
    """A current deployment: all 27 tables, phase 7."""
    with open_source(ro_pg) as source:
        assert source.tables == set(inter_hub_schema().table_names)
        assert source.phase == 7


@pytest.mark.postgres
@RO_GROUP
def test_foreign_tables_are_ignored(ro_pg: str) -> None:
    """Tables that are not Inter-Hub's do not count."""
    with psycopg.connect(ro_pg, autocommit=True) as con:
        con.execute("CREATE TABLE IF NOT EXISTS local_notes (a int)")
    with open_source(ro_pg) as source:
        assert "local_notes" not in source.tables
        assert len(source.tables) == 27


@pytest.mark.parametrize(
    ("phases", "expected"),
    [((1,), 1), ((1, 2, 3, 4), 4), ((1, 2, 4, 5), 2), ((1, 2, 3, 4, 5, 6, 7), 7)],
)
def test_duckdb_phase_detection(tmp_path: Path, phases: tuple[int, ...], expected: int) -> None:
    """The phase is the highest one whose tables are all there (a gap stops it)."""
    schema = inter_hub_schema()
    names = [t.name for t in schema.tables if t.phase in phases]
    path = _duckdb_file(tmp_path / "p.duckdb", names, extra="CREATE TABLE scratch (a INTEGER)")
    with open_source(str(path)) as source:
        assert source.tables == set(names)
        assert source.phase == expected


def test_duckdb_phase_zero_when_a_phase_1_table_is_missing(tmp_path: Path) -> None:
    """Core tables present but ``users`` missing: phase 0, still readable."""
    names = [t.name for t in inter_hub_schema().tables if t.name != "users"]
    with open_source(str(_duckdb_file(tmp_path / "p.duckdb", names))) as source:
        assert source.phase == 0
        assert "users" not in source.tables


def test_duckdb_snapshot_meta_gives_the_default_as_of(tmp_path: Path) -> None:
    """A snapshot's ``taken_at`` is its default as-of; a plain file uses now."""
    path = _duckdb_file(tmp_path / "snap.duckdb")
    taken = dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)
    con = duckdb.connect(str(path))
    write_meta(con, SnapshotMeta(taken, "postgresql://u@h/db", "0.1.0", "abc", {"hubs": 3}))
    con.close()
    with open_source(str(path)) as source:
        assert isinstance(source, DuckDBSource)
        meta = source.snapshot_meta()
        assert meta is not None and meta.row_counts == {"hubs": 3}
        assert source.now() == taken
        assert SNAPSHOT_META_TABLE not in source.tables
    plain = _duckdb_file(tmp_path / "plain.duckdb")
    with open_source(str(plain)) as source:
        assert source.snapshot_meta() is None
        assert abs(source.now() - dt.datetime.now(dt.UTC)).total_seconds() < 60


# ------------------------------------------------------------------ source strings


@pytest.mark.parametrize(
    ("text", "kind", "location"),
    [
        ("data/demo.duckdb", "duckdb", "data/demo.duckdb"),
        ("  /abs/file.duckdb \n", "duckdb", "/abs/file.duckdb"),
        ("duckdb:///abs/path/file.duckdb", "duckdb", "/abs/path/file.duckdb"),
        ("DUCKDB:///abs/x.duckdb", "duckdb", "/abs/x.duckdb"),
        ("postgresql://u@h:5432/db", "postgres", "postgresql://u@h:5432/db"),
        ("postgresql+psycopg://u:pw@h/db", "postgres", "postgresql://u:pw@h/db"),
        ("postgres://u@h/db", "postgres", "postgresql://u@h/db"),
        (
            "postgresql://u:p%40ss@h/db?sslmode=require",
            "postgres",
            "postgresql://u:p%40ss@h/db?sslmode=require",
        ),
    ],
)
def test_parse_source(text: str, kind: str, location: str) -> None:
    """DuckDB paths and URLs, Postgres URLs in both spellings."""
    spec = parse_source(text)
    assert (spec.kind, spec.location) == (kind, location)
    assert spec.text == text.strip()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("duckdb://relative/file.duckdb", "needs an absolute path"),
        ("mysql://u:S3cretPw@h/db", "unsupported source scheme 'mysql'"),
        ("sqlite:///x.db", "unsupported source scheme 'sqlite'"),
        ("   ", "empty source"),
        ("postgresql://u:a@b@h/db", "percent-encode"),
        ("dbname=ihub host=h", "key=value"),
    ],
)
def test_parse_source_rejects(text: str, message: str) -> None:
    """Bad source strings are one-line SourceErrors that never show a password."""
    with pytest.raises(SourceError, match=message) as info:
        parse_source(text)
    assert "\n" not in str(info.value)
    assert "S3cretPw" not in str(info.value)


def test_unknown_scheme_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown scheme is exit 2 and the password stays hidden."""
    line = cli_error(capsys, "mysql://u:S3cretPw@h/db", "S3cretPw")
    assert "unsupported source scheme 'mysql'" in line


def test_ihub_source_is_the_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without ``--source``, ``IHUB_SOURCE`` is used; without it, the demo snapshot."""
    monkeypatch.delenv("IHUB_SOURCE", raising=False)
    assert default_source() == str(DEFAULT_DEMO_SOURCE) == "data/demo.duckdb"
    target = tmp_path / "from-env.duckdb"
    monkeypatch.setenv("IHUB_SOURCE", str(target))
    assert default_source() == str(target)
    assert cli.main(["metrics", "friction"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"ihub: error: no such DuckDB file: {target}\n"


# ------------------------------------------------------------------ redaction


@pytest.mark.parametrize(
    ("source", "redacted", "secret"),
    [
        ("postgresql://u:S3cr3tPw@h:5432/db", "postgresql://u@h:5432/db", "S3cr3tPw"),
        ("postgresql+psycopg://u:S3cr3tPw@h/db", "postgresql+psycopg://u@h/db", "S3cr3tPw"),
        ("postgresql://u:p%40ss%2Fw0rd@h/db", "postgresql://u@h/db", "p%40ss%2Fw0rd"),
        ("postgresql://:S3cr3tPw@h/db", "postgresql://h/db", "S3cr3tPw"),
        (
            "postgresql://u:S3cr3tPw@[::1]:5432/db?sslmode=require",
            "postgresql://u@[::1]:5432/db?sslmode=require",
            "S3cr3tPw",
        ),
        ("postgresql://h/db?user=u&password=Qu3ryPw", "postgresql://h/db?user=u", "Qu3ryPw"),
        ("postgresql://h/db?password=Qu3ryPw&user=u", "postgresql://h/db?user=u", "Qu3ryPw"),
        ("postgresql://u@h/db", "postgresql://u@h/db", None),
        ("data/demo.duckdb", "data/demo.duckdb", None),
    ],
)
def test_redact_source(source: str, redacted: str, secret: str | None) -> None:
    """The password goes; user, host, port, database and options stay."""
    assert redact_source(source) == redacted
    text = scrub(f"could not connect to {source}: boom", source)
    if secret is not None:
        assert secret not in redact_source(source)
        assert secret not in text
    assert "boom" in text and "could not connect to" in text


def test_scrub_removes_decoded_passwords() -> None:
    """The decoded form of a percent-encoded password is scrubbed too."""
    source = "postgresql://u:p%40ss%2Fw0rd@h/db"
    assert {"p%40ss%2Fw0rd", "p@ss/w0rd"} <= set(secrets_of(source))
    assert scrub("server said p@ss/w0rd was wrong", source) == "server said *** was wrong"


def test_scrub_pgpassword(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``PGPASSWORD`` echoed anywhere is removed, with or without a source."""
    monkeypatch.setenv("PGPASSWORD", "EnvS3cret")
    assert "EnvS3cret" in secrets_of(None)
    assert scrub("auth EnvS3cret failed") == "auth *** failed"
    assert scrub("auth EnvS3cret failed", "postgresql://u@h/db") == "auth *** failed"
    monkeypatch.delenv("PGPASSWORD")
    assert secrets_of("postgresql://u@h/db") == []


def test_scrub_keeps_messages_readable_with_short_passwords() -> None:
    """A one-letter password is hidden where it stands alone, not inside every word."""
    source = "postgresql://u:p@h:notaport/db"
    assert scrub("invalid URL postgresql://u@h:notaport/db", source) == (
        "invalid URL postgresql://u@h:notaport/db"
    )
    assert scrub("the password is p.", "postgresql://u:p@h:5432/db") == "the password is ***."
    assert scrub("connect postgresql://u:p@h/db", None) == "connect postgresql://u@h/db"


# A column under its own name but of a type the metric SQL cannot use: refused on
# opening (exit 2, one line naming the column), never a query error inside a metric.
_WRONG_TYPES = [
    ("interaction_events", "occurred_at", "VARCHAR"),
    ("interaction_events", "occurred_at", "TIMESTAMP"),
    ("interaction_events", "occurred_at", "DATE"),
    ("interaction_events", "occurred_at", "BIGINT"),
    ("interaction_events", "widget_id", "VARCHAR"),
    ("interaction_events", "widget_id", "BLOB"),
    ("widgets", "hub_id", "INTEGER"),
    ("hubs", "slug", "INTEGER"),
    ("hubs", "slug", "UUID"),
    ("annotations", "retracted_at", "VARCHAR"),
    ("annotations", "retracted_at", "INTEGER[]"),
    ("annotations", "retracted_at", "STRUCT(a INTEGER)"),
    ("interaction_events", "event_type", "BOOLEAN"),
]


@pytest.mark.parametrize(("table", "column", "found"), _WRONG_TYPES)
def test_duckdb_column_of_the_wrong_type(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, table: str, column: str, found: str
) -> None:
    """A right-named column holding another type: one clear line, exit 2."""
    path = _duckdb_file(tmp_path / "typed.duckdb")
    con = duckdb.connect(str(path))
    con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {found}")
    con.close()
    line = cli_error(capsys, str(path))
    assert f"is not an Inter-Hub database: column {table}.{column} is " in line


@pytest.mark.parametrize(
    ("table", "column", "found"),
    [
        ("interaction_events", "metadata", "VARCHAR"),  # JSON kept as text
        ("widgets", "version", "BIGINT"),  # a wider integer
    ],
)
def test_duckdb_column_of_a_compatible_type(
    tmp_path: Path, table: str, column: str, found: str
) -> None:
    """Types that hold the same values (wider integers, JSON as text) are accepted."""
    path = _duckdb_file(tmp_path / "typed.duckdb")
    con = duckdb.connect(str(path))
    con.execute(f"ALTER TABLE {table} ALTER {column} TYPE {found}")
    con.close()
    with connect(str(path)) as wb:
        assert wb.friction(as_of="2026-11-01T00:00:00Z").height == 0
