"""What a newcomer hits first: metric names, a missing database, an as-of outside the data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from builder import T, World, days
from conftest import OpenWorld

from ihub_analysis import cli
from ihub_analysis.freshness import Span, time_warnings
from ihub_analysis.workbench import UnknownMetricError


def _small() -> World:
    w = World()
    hub = w.hub("sales")
    pay = w.widget(hub, "Pay")
    w.events(pay, [T - days(40), T - days(1)], "click")
    return w


# ----------------------------------------------------------------------------- names
def test_every_name_form_is_accepted(open_world: OpenWorld) -> None:
    wb = open_world(_small())
    assert wb.explain("health-trend", as_of=T) == wb.explain("health_trend", as_of=T)
    assert wb.explain(" Friction ", as_of=T) == wb.explain("friction", as_of=T)
    assert wb.supports("health_trend") is wb.supports("health-trend") is True
    assert wb.metric("health_trend", as_of=T).equals(wb.health_trend(as_of=T))
    assert wb.metric("Friction", as_of=T)["widget_name"].to_list() == ["Pay"]


@pytest.mark.parametrize(
    ("call", "name", "hint"),
    [
        ("explain", "fricton", "did you mean 'friction'?"),
        ("explain", "helth-trend", "did you mean 'health_trend'?"),
        ("metric", "bottleneck", "did you mean 'bottlenecks'?"),
        ("supports", "<script>", ""),
        ("explain", "", ""),
    ],
)
def test_unknown_names_list_the_valid_ones(
    open_world: OpenWorld, call: str, name: str, hint: str
) -> None:
    wb = open_world(_small())
    with pytest.raises(UnknownMetricError) as info:
        getattr(wb, call)(name)
    message = str(info.value)
    assert message.startswith(f"unknown metric {name!r}") and hint in message
    assert "valid names: " in message and "friction" in message
    assert isinstance(info.value, ValueError) and "\n" not in message


def test_unknown_name_is_not_a_key_error(open_world: OpenWorld) -> None:
    wb = open_world(_small())
    with pytest.raises(UnknownMetricError):
        wb.explain(None)  # type: ignore[arg-type]
    try:
        wb.explain("nope")
    except KeyError:  # pragma: no cover - the old behaviour
        pytest.fail("a bare KeyError")
    except UnknownMetricError:
        pass


# ----------------------------------------------------------------------------- time
def test_time_warnings_rules() -> None:
    first, last = T - days(100), T - days(1)
    span = Span(first, last)
    now = T
    assert time_warnings(span, T, live=False, now=now) == []
    assert time_warnings(span, last + days(1), live=False, now=now) == []
    (before,) = time_warnings(span, first - days(1), live=False, now=now)
    assert "before the first event" in before and "2026-02-21" in before
    (exact,) = time_warnings(span, first, live=False, now=now)
    assert "before the first event" in exact
    (after,) = time_warnings(span, last + days(2), live=False, now=now)
    assert "after the last event" in after
    assert time_warnings(span, None, live=True, now=last + days(14)) == []
    (stale,) = time_warnings(span, None, live=True, now=last + days(30))
    assert "30 days ago" in stale and "live database" in stale
    assert time_warnings(Span(None, None), T, live=True, now=now) == []


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("ihub: warning: ")]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [("2020-01-01", "before the first event"), ("2027-01-01", "after the last event")],
)
def test_cli_warns_when_as_of_is_outside_the_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], as_of: str, expected: str
) -> None:
    source = _small().to_duckdb(tmp_path / "w.duckdb")
    assert cli.main(["metrics", "friction", "--source", source, "--as-of", as_of]) == 0
    out, err = capsys.readouterr()
    (line,) = _warnings(err)
    assert expected in line and "2026-04-22" in line and "2026-05-31" in line
    assert "Pay" in out or "no rows" in out


def test_cli_is_quiet_inside_the_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = _small().to_duckdb(tmp_path / "w.duckdb")
    assert cli.main(["metrics", "friction", "--source", source, "--as-of", "2026-05-20"]) == 0
    assert capsys.readouterr().err == ""
    assert cli.main(["metrics", "friction", "--source", source]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.postgres
def test_cli_says_a_live_database_is_stale(
    make_pg_db: Callable[[], str], capsys: pytest.CaptureFixture[str]
) -> None:
    source = _small().to_postgres(make_pg_db())
    assert cli.main(["metrics", "friction", "--source", source]) == 0
    (line,) = _warnings(capsys.readouterr().err)
    assert "newest event in this live database is from 2026-05-31" in line
    days_ago = (dt.datetime.now(dt.UTC) - (T - days(1))).days
    assert f"{days_ago} days ago" in line


# ----------------------------------------------------------------------------- db init
@pytest.mark.postgres
def test_db_init_on_a_missing_database_says_how_to_create_it(
    pg_admin: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = pg_admin.rpartition("/")[0]
    name = f"ihub_test_missing_{dt.datetime.now(dt.UTC):%H%M%S%f}"
    assert cli.main(["db", "init", f"{base}/{name}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"database '{name}' does not exist" in err
    assert f"createdb {name}" in err and "--create" in err


@pytest.mark.postgres
def test_db_init_create_makes_the_database(
    pg_admin: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = pg_admin.rpartition("/")[0]
    name = f"ihub_test_Create-Me_{dt.datetime.now(dt.UTC):%H%M%S%f}"  # needs quoting
    try:
        assert cli.main(["db", "init", "--create", "--phase", "2", f"{base}/{name}"]) == 0
        assert "created" in capsys.readouterr().out
        with psycopg.connect(f"{base}/{name}") as con:
            tables = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()
        assert tables and tables[0] > 5
        # an existing, non-empty database is still refused, --create or not
        assert cli.main(["db", "init", "--create", f"{base}/{name}"]) == 2
        assert "is not empty" in capsys.readouterr().err
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_db_init_without_a_database_name(capsys: pytest.CaptureFixture[str]) -> None:
    from ihub_analysis.dbinit import _database_name
    from ihub_analysis.errors import BadInput
    from ihub_analysis.sources import parse_source

    with pytest.raises(BadInput, match="names no database"):
        _database_name(parse_source("postgresql://u@127.0.0.1:1"))
