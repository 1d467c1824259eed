"""A snapshot's ``taken_at`` is the instant its data reflects: no visible row is later.

A REPEATABLE READ transaction takes its snapshot at its first statement, not at
``BEGIN``; ``now()`` is the transaction's start and can precede commits the
snapshot shows.  ``taken_at`` is read inside the first statement instead.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from test_snapshot import fill

from ihub_analysis.snapshot import _begin_snapshot, _connect, take_snapshot
from ihub_analysis.sources import open_source, parse_source

STAMPED = "CREATE TABLE stamped (id bigserial PRIMARY KEY, at timestamptz NOT NULL)"


def _stamped_db(make_pg_db: Callable[[], str]) -> str:
    url = make_pg_db()
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(STAMPED)
    return url


@pytest.mark.postgres
def test_commit_between_begin_and_first_statement_is_not_after_taken_at(
    make_pg_db: Callable[[], str],
) -> None:
    """Deterministic: a row committed after ``BEGIN`` but before the snapshot is visible,
    and stamped (by the writer's clock) no later than ``taken_at``."""
    url = _stamped_db(make_pg_db)
    pg = _connect(parse_source(url))
    try:
        pg.autocommit = True  # drive the transaction by hand to open the window
        pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with psycopg.connect(url, autocommit=True) as writer:
            writer.execute("INSERT INTO stamped (at) VALUES (clock_timestamp())")
        taken_at = _begin_snapshot(pg)
        row = pg.execute("SELECT count(*), max(at), now() FROM stamped").fetchone()
        assert row is not None
        count, latest, began = row
        assert count == 1  # the row is in the snapshot …
        assert latest <= taken_at  # … so taken_at is not before it
        assert began < latest  # (what the old now()-based taken_at got wrong)
        pg.execute("ROLLBACK")
    finally:
        pg.close()


@pytest.mark.postgres
def test_taken_at_under_concurrent_writers(make_pg_db: Callable[[], str]) -> None:
    """Writers commit as fast as they can; in every one of many snapshots, every
    visible row is stamped at or before ``taken_at``."""
    url = _stamped_db(make_pg_db)
    stop = threading.Event()
    errors: list[BaseException] = []

    def write(stamp: str) -> None:
        try:
            with psycopg.connect(url, autocommit=True) as con:
                while not stop.is_set():
                    con.execute(f"INSERT INTO stamped (at) VALUES ({stamp})")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    writers = [threading.Thread(target=write, args=(s,)) for s in ("now()", "clock_timestamp()")]
    for t in writers:
        t.start()
    try:
        spec = parse_source(url)
        for _ in range(40):
            pg = _connect(spec)
            try:
                taken_at = _begin_snapshot(pg)
                row = pg.execute("SELECT count(*), max(at) FROM stamped").fetchone()
                assert row is not None
                if row[0]:
                    assert row[1] <= taken_at
            finally:
                pg.close()
    finally:
        stop.set()
        for t in writers:
            t.join()
    assert not errors


@pytest.mark.postgres
@pytest.mark.slow
def test_take_snapshot_while_events_are_written(inter_hub_pg: str, tmp_path: Path) -> None:
    """The whole command: events committed during snapshots never postdate ``taken_at``."""
    fill(inter_hub_pg)
    stop = threading.Event()

    def write() -> None:
        with psycopg.connect(inter_hub_pg, autocommit=True) as con:
            while not stop.is_set():
                con.execute(
                    "INSERT INTO interaction_events (widget_id, event_type, occurred_at) "
                    "VALUES ('20000000-0000-4000-8000-000000000001', 'w', clock_timestamp())"
                )

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for i in range(6):
            out = tmp_path / f"s{i}.duckdb"
            result = take_snapshot(inter_hub_pg, out, progress=False)
            with open_source(str(out)) as snap:
                latest = snap.query("SELECT max(occurred_at) AS m FROM interaction_events").item()
            assert latest.astimezone(dt.UTC) <= result.meta.taken_at
    finally:
        stop.set()
        writer.join()
