"""``ihub snapshot SOURCE OUT --refresh``: the result equals a full snapshot, always.

Each test synthesises a small database, snapshots it, changes the source, then
refreshes the snapshot and compares every table with a fresh full snapshot.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest

from ihub_analysis import cli, snapshot_refresh
from ihub_analysis.dbinit import init_database
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.snapshot import take_snapshot
from ihub_analysis.snapshot_refresh import RefreshResult, refresh_snapshot
from ihub_analysis.synth import DEFAULT_END, synthesize_postgres

pytestmark = pytest.mark.postgres

EVENTS = 10_000


@pytest.fixture(scope="session")
def synthetic_template(pg_admin: str) -> Iterator[str]:
    """A synthetic database built once; each test gets a copy (CREATE DATABASE … TEMPLATE)."""
    name = f"ihub_test_tpl_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    url = pg_admin.rpartition("/")[0] + f"/{name}"
    try:
        init_database(url)
        synthesize_postgres(url, events=EVENTS, seed=3, end=DEFAULT_END, progress=False)
        yield name
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def source(pg_admin: str, synthetic_template: str) -> Iterator[str]:
    name = f"ihub_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}" TEMPLATE "{synthetic_template}"')
    try:
        yield pg_admin.rpartition("/")[0] + f"/{name}"
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


def _add_events(url: str, n: int, occurred_at: str = "now()") -> None:
    """``n`` new events, copies of existing ones with new ids, stamped ``occurred_at``."""
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(
            "INSERT INTO interaction_events (id, widget_id, event_type, actor_id, actor_type, "
            "view_context_ref, metadata, occurred_at) "
            "SELECT uuid_generate_v4(), widget_id, event_type, actor_id, actor_type, "
            f"view_context_ref, metadata, {occurred_at} FROM interaction_events LIMIT %s",
            [n],
        )


def _tables(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {
            t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall()
            for t in names
            if t in inter_hub_schema().table_names
        }
    finally:
        con.close()


def _meta(path: Path) -> tuple:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT taken_at, source, schema_fingerprint, CAST(row_counts AS VARCHAR) "
            "FROM ihub_snapshot_meta"
        ).fetchone()  # type: ignore[return-value]
    finally:
        con.close()


def _assert_same_as_full(source: str, refreshed: Path, tmp_path: Path) -> None:
    full = tmp_path / "full.duckdb"
    take_snapshot(source, full, progress=False)
    got, want = _tables(refreshed), _tables(full)
    assert got.keys() == want.keys()
    for table in want:
        assert got[table] == want[table], table
    assert _meta(refreshed)[1:] == _meta(full)[1:]


def test_refresh_copies_only_new_events(source: str, tmp_path: Path) -> None:
    out = tmp_path / "snap.duckdb"
    take_snapshot(source, out, progress=False)
    before = _meta(out)[0]
    _add_events(source, EVENTS // 100)
    with psycopg.connect(source, autocommit=True) as con:  # small tables change anyhow
        con.execute(
            "UPDATE annotations SET retracted_at = now() WHERE ctid IN "
            "(SELECT ctid FROM annotations LIMIT 3)"
        )
        con.execute(
            "DELETE FROM triage_states WHERE ctid IN (SELECT ctid FROM triage_states LIMIT 2)"
        )
    result = refresh_snapshot(source, out, progress=False)
    assert isinstance(result, RefreshResult)
    assert result.full_reason is None, result.full_reason
    # only the new rows and the hour before the previous snapshot travel again
    assert EVENTS // 100 <= result.partial["interaction_events"] < EVENTS // 10
    assert _meta(out)[0] > before
    _assert_same_as_full(source, out, tmp_path)


def test_backdated_insert_is_noticed(source: str, tmp_path: Path) -> None:
    """An event inserted after the snapshot but stamped long before it: the table is recopied."""
    out = tmp_path / "snap.duckdb"
    take_snapshot(source, out, progress=False)
    _add_events(source, 5, "'2026-06-01 00:00:00+00'")
    result = refresh_snapshot(source, out, progress=False)
    assert "interaction_events" not in result.partial  # type: ignore[attr-defined]
    _assert_same_as_full(source, out, tmp_path)


def test_without_the_append_only_triggers_everything_is_copied(source: str, tmp_path: Path) -> None:
    out = tmp_path / "snap.duckdb"
    take_snapshot(source, out, progress=False)
    with psycopg.connect(source, autocommit=True) as con:
        con.execute("DROP TRIGGER interaction_events_no_delete ON interaction_events")
        con.execute(
            "DELETE FROM interaction_events WHERE ctid IN "
            "(SELECT ctid FROM interaction_events LIMIT 7)"
        )
    _add_events(source, 7)  # the count is the same again: only the triggers tell
    result = refresh_snapshot(source, out, progress=False)
    assert "interaction_events" not in result.partial  # type: ignore[attr-defined]
    _assert_same_as_full(source, out, tmp_path)


def test_schema_change_takes_it_all_again(source: str, tmp_path: Path) -> None:
    out = tmp_path / "snap.duckdb"
    take_snapshot(source, out, progress=False)
    with psycopg.connect(source, autocommit=True) as con:
        con.execute("DROP TABLE cross_hub_propagations")
    result = refresh_snapshot(source, out, progress=False)
    assert result.full_reason and "schema" in result.full_reason  # type: ignore[attr-defined]
    _assert_same_as_full(source, out, tmp_path)


def test_missing_out_is_a_full_snapshot(source: str, tmp_path: Path) -> None:
    out = tmp_path / "new.duckdb"
    result = refresh_snapshot(source, out, progress=False)
    assert result.full_reason and "did not exist" in result.full_reason  # type: ignore[attr-defined]
    _assert_same_as_full(source, out, tmp_path)


def test_interrupted_refresh_keeps_the_previous_snapshot(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "snap.duckdb"
    take_snapshot(source, out, progress=False)
    old = _tables(out)
    old_meta = _meta(out)
    _add_events(source, 50)

    def boom(*_: object, **__: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(snapshot_refresh, "_copy_table", boom)
    with pytest.raises(KeyboardInterrupt):
        refresh_snapshot(source, out, progress=False)
    assert _tables(out) == old
    assert _meta(out) == old_meta


@pytest.mark.parametrize(
    ("make_out", "message"),
    [
        (lambda p: p.write_text("not a database"), "is not a DuckDB file"),
        (lambda p: duckdb.connect(str(p)).close(), "is not an ihub snapshot"),
    ],
)
def test_bad_out_is_one_line_exit_2(
    source: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make_out: Callable[[Path], object],
    message: str,
) -> None:
    out = tmp_path / "x.duckdb"
    make_out(out)
    before = out.read_bytes()
    code, _, err = run_cli(["snapshot", source, str(out), "--refresh"], capsys)
    assert code == 2
    assert message in one_error_line(err)
    assert out.read_bytes() == before


def test_snapshot_of_another_source_is_refused(
    source: str, make_pg_db: Callable[[], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = make_pg_db()
    init_database(other)
    out = tmp_path / "snap.duckdb"
    take_snapshot(other, out, progress=False)
    code, _, err = run_cli(["snapshot", source, str(out), "--refresh"], capsys)
    assert code == 2
    assert "is a snapshot of" in one_error_line(err)


def test_cli_refresh_line(source: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "snap.duckdb"
    take_snapshot(source, out, progress=False)
    _add_events(source, 10)
    code, text, _ = run_cli(["snapshot", source, str(out), "--refresh"], capsys)
    assert code == 0
    assert "refreshed snapshot of" in text and "interaction_events" in text
    assert str(uuid.UUID(int=0)) not in text
    assert dt.datetime.now(dt.UTC).year >= 2026
