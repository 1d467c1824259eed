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

from ihub_analysis import cli, snapshot_refresh, snapshot_state
from ihub_analysis.dbinit import init_database
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.snapshot import take_snapshot
from ihub_analysis.snapshot_refresh import RefreshResult, refresh_snapshot
from ihub_analysis.snapshot_state import SourceState
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


def _state(path: Path) -> SourceState:
    con = duckdb.connect(str(path), read_only=True)
    try:
        state = snapshot_state.read(con)
    finally:
        con.close()
    assert state is not None and state.xmin is not None
    return state


def _written_after_horizon(url: str, state: SourceState) -> set[str]:
    """Small tables with a row version at or after the snapshot's xmin (no wraparound here)."""
    assert state.xmax is not None and state.xmax < 2**31  # a test cluster: 32-bit ids are 64-bit
    with psycopg.connect(url) as con:
        return {
            t
            for t in inter_hub_schema().table_names
            if t != "interaction_events"
            and con.execute(
                f'SELECT count(*) FROM "{t}" WHERE xmin::text::bigint >= %s', [state.xmin]
            ).fetchone()[0]  # type: ignore[index]
        }


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
    out_state = _state(out)
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
    # The others are proved unchanged, except where the cluster-wide horizon (the
    # oldest transaction running anywhere, e.g. another session's long query) was
    # older than this test database's rows: then they are copied, to be safe.
    held_back = _written_after_horizon(source, out_state)
    assert set(result.whole) == {"annotations", "triage_states"} | held_back
    assert set(result.unchanged) == set(inter_hub_schema().table_names) - set(result.whole) - {
        "interaction_events"
    }
    # only the new rows (and those of the minute before the previous snapshot) travel again
    assert EVENTS // 100 <= result.partial["interaction_events"] < EVENTS // 10
    assert _meta(out)[0] > before
    _assert_same_as_full(source, out, tmp_path)


def test_backdated_insert_is_noticed(source: str, tmp_path: Path) -> None:
    """An event inserted after the snapshot but stamped long before it: the table is recopied."""
    out = tmp_path / "snap.duckdb"
    take_snapshot(source, out, progress=False)
    _add_events(source, 5, "'2026-06-01 00:00:00+00'")
    result = refresh_snapshot(source, out, progress=False)
    assert isinstance(result, RefreshResult) and result.full_reason is None
    assert "interaction_events" not in result.partial
    assert "interaction_events" in result.whole
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


def _refresh(source: str, out: Path) -> RefreshResult:
    result = refresh_snapshot(source, out, progress=False)
    assert isinstance(result, RefreshResult)
    assert result.full_reason is None, result.full_reason
    return result


def test_delete_and_insert_keeping_the_count_is_noticed(source: str, tmp_path: Path) -> None:
    """Same row count, other rows: the new row version gives it away."""
    out = tmp_path / "snap.duckdb"
    take_snapshot(source, out, progress=False)
    with psycopg.connect(source, autocommit=True) as con:
        con.execute(
            "DELETE FROM hub_health_snapshots WHERE ctid IN "
            "(SELECT ctid FROM hub_health_snapshots LIMIT 1)"
        )
        con.execute(
            "INSERT INTO hub_health_snapshots (hub_id, health_score) "
            "SELECT id, 42 FROM hubs LIMIT 1"
        )
    held_back = _written_after_horizon(source, _state(out))
    result = _refresh(source, out)
    assert set(result.whole) == {"hub_health_snapshots"} | held_back
    _assert_same_as_full(source, out, tmp_path)


def test_writes_open_during_the_previous_snapshot_are_caught(source: str, tmp_path: Path) -> None:
    """A transaction running while the snapshot was taken commits afterwards."""
    out = tmp_path / "snap.duckdb"
    with psycopg.connect(source) as writer:  # one open transaction
        writer.execute(
            "UPDATE annotations SET body = 'edited' WHERE ctid IN "
            "(SELECT ctid FROM annotations LIMIT 2)"
        )
        writer.execute(
            "UPDATE users SET name = 'renamed' WHERE ctid IN (SELECT ctid FROM users LIMIT 1)"
        )
        writer.execute(  # stamped now(): the transaction's start, before the snapshot
            "INSERT INTO interaction_events (widget_id, event_type) "
            "SELECT id, 'slow_commit' FROM widgets LIMIT 3"
        )
        take_snapshot(source, out, progress=False)
        writer.commit()
    result = _refresh(source, out)
    assert {"annotations", "users"} <= set(result.whole)
    assert result.partial["interaction_events"] >= 3
    _assert_same_as_full(source, out, tmp_path)


def test_truncate_and_reload_of_events_is_noticed(source: str, tmp_path: Path) -> None:
    """TRUNCATE passes the row triggers by: same count, changed rows, a new file node."""
    out = tmp_path / "snap.duckdb"
    take_snapshot(source, out, progress=False)
    with psycopg.connect(source) as con:
        con.execute("CREATE TEMP TABLE kept AS SELECT * FROM interaction_events")
        con.execute("UPDATE kept SET event_type = 'rewritten'")  # the copy, not the table
        con.execute("TRUNCATE interaction_events")
        con.execute("INSERT INTO interaction_events SELECT * FROM kept")
    result = _refresh(source, out)
    assert "interaction_events" in result.whole
    _assert_same_as_full(source, out, tmp_path)


def test_trigger_disabled_and_enabled_again_is_noticed(source: str, tmp_path: Path) -> None:
    out = tmp_path / "snap.duckdb"
    take_snapshot(source, out, progress=False)
    with psycopg.connect(source) as con:
        con.execute("ALTER TABLE interaction_events DISABLE TRIGGER interaction_events_no_update")
        con.execute(
            "UPDATE interaction_events SET event_type = 'tampered' WHERE ctid IN "
            "(SELECT ctid FROM interaction_events ORDER BY occurred_at LIMIT 2)"
        )
        con.execute("ALTER TABLE interaction_events ENABLE TRIGGER interaction_events_no_update")
    result = _refresh(source, out)
    assert "interaction_events" in result.whole
    _assert_same_as_full(source, out, tmp_path)


def test_writers_during_the_refresh_wait_for_the_next(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commits made while a refresh copies are not in it, and are in the next one."""
    out = tmp_path / "snap.duckdb"
    take_snapshot(source, out, progress=False)
    _add_events(source, 20)
    original = snapshot_refresh._copy_table
    wrote: list[bool] = []

    def copy_then_write(*args: object, **kwargs: object) -> int:
        rows = original(*args, **kwargs)  # type: ignore[arg-type]
        if not wrote:
            _add_events(source, 30)
            with psycopg.connect(source, autocommit=True) as con:
                con.execute(
                    "UPDATE widgets SET status = 'retired' WHERE ctid IN "
                    "(SELECT ctid FROM widgets LIMIT 1)"
                )
            wrote.append(True)
        return rows

    monkeypatch.setattr(snapshot_refresh, "_copy_table", copy_then_write)
    with psycopg.connect(source) as con:
        before = con.execute("SELECT count(*) FROM interaction_events").fetchone()[0]  # type: ignore[index]
    first = _refresh(source, out)
    assert wrote
    assert first.meta.row_counts["interaction_events"] == before
    monkeypatch.setattr(snapshot_refresh, "_copy_table", original)
    second = _refresh(source, out)
    assert second.meta.row_counts["interaction_events"] == before + 30
    assert "widgets" in second.whole
    _assert_same_as_full(source, out, tmp_path)


def test_file_without_refresh_record_is_taken_again(source: str, tmp_path: Path) -> None:
    out = tmp_path / "snap.duckdb"
    take_snapshot(source, out, progress=False)
    con = duckdb.connect(str(out))
    con.execute(f"DROP TABLE {snapshot_state.STATE_TABLE}")
    con.close()
    result = refresh_snapshot(source, out, progress=False)
    assert result.full_reason and "refresh record" in result.full_reason  # type: ignore[attr-defined]
    _assert_same_as_full(source, out, tmp_path)


@pytest.mark.parametrize(
    ("xid", "after"),
    [
        (2**32 - 2, True),  # between the earlier xmin and the wraparound
        (2**32 - 3, True),  # the earlier xmin itself
        (2**32 - 4, False),  # before it
        (3, True),  # after the wraparound: 2^32 + 3
        (1000, True),  # 2^32 + 1000, still below xmax
    ],
)
def test_written_since_reads_32_bit_ids_across_wraparound(
    pg_admin: str, xid: int, after: bool
) -> None:
    earlier = SourceState(2**32 - 3, 2**32 - 1, "c", 1, {})
    now = SourceState(2**32 + 5, 2**32 + 2000, "c", 1, {})
    assert now.succeeds(earlier)
    with psycopg.connect(pg_admin) as con:
        expr = now.written_since(earlier, f"'{xid}'::xid")
        assert con.execute(f"SELECT {expr}").fetchone() == (after,)


def test_states_from_elsewhere_are_not_compared() -> None:
    base = SourceState(100, 110, "c", 1, {})
    assert SourceState(105, 120, "c", 1, {}).succeeds(base)
    assert not SourceState(105, 120, "other", 1, {}).succeeds(base)
    assert not SourceState(105, 120, "c", 2, {}).succeeds(base)
    assert not SourceState(105, 120, None, 1, {}).succeeds(base)
    assert not SourceState(50, 60, "c", 1, {}).succeeds(base)  # history went backwards
    assert not SourceState(2**31 + 200, 2**31 + 200, "c", 1, {}).succeeds(base)
