"""The ``ihub`` command line: help, usage errors, ``db init`` and output formatting.

Exit status per the interface contract: 0 success, 2 bad usage or input (one
line on stderr, no traceback), 1 anything else.  Metric runs are not exercised
here: every error case fails before a metric would run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import polars as pl
import psycopg
import pytest

from ihub_analysis import cli
from ihub_analysis.output import render_frame
from ihub_analysis.schema import inter_hub_schema


def run(argv: Sequence[str]) -> int:
    """``cli.main`` as the shell sees it: argparse's own exits become statuses."""
    try:
        return cli.main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The single line a failed command wrote to stderr (stdout must stay empty)."""
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as con:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


# ------------------------------------------------------------------ help


#: The metric kinds of the interface contract (shared/spec/interface.md).
CONTRACT_KINDS = [
    "friction", "bottlenecks", "funnel", "health", "health-trend", "propagation", "changes",
]  # fmt: skip

HELP_CASES = {
    "ihub": ([], ["demo", "synth", "db", "snapshot", "metrics", "report", "read-only"]),
    "demo": (["demo"], ["--events", "reports/", "demo.duckdb"]),
    "synth": (["synth"], ["--out", "--pg", "--events", "--seed", "--end", "deterministic"]),
    "db": (["db"], ["init"]),
    "db init": (["db", "init"], ["URL", "--phase", "empty"]),
    "snapshot": (["snapshot"], ["SOURCE_URL", "OUT.duckdb", "REPEATABLE READ", "read-only"]),
    "metrics": (
        ["metrics"],
        [*CONTRACT_KINDS, "--source", "--as-of", "--window-days", "--format", "--set", "csv"],
    ),
    "report": (["report"], ["friction", "bottlenecks", "health", "changes", "--out", "HTML"]),
}


@pytest.mark.parametrize("name", list(HELP_CASES))
def test_help_exits_0_and_explains(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``ihub [COMMAND …] --help`` prints usage and what the command does."""
    argv, words = HELP_CASES[name]
    assert run([*argv, "--help"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith(f"usage: ihub{' ' + ' '.join(argv) if argv else ''} ")
    flat = " ".join(out.split())
    for word in words:
        assert word in flat, f"{name} --help does not mention {word!r}"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """``ihub --version`` prints the package version."""
    from ihub_analysis import __version__

    assert run(["--version"]) == 0
    assert capsys.readouterr().out == f"ihub-analysis {__version__}\n"


# ------------------------------------------------------------------ bad usage


BAD_USAGE = [
    ([], "required: COMMAND"),
    (["nosuch"], "invalid choice: 'nosuch'"),
    (["metrics"], "required: KIND"),
    (["metrics", "nosuch"], "invalid choice: 'nosuch'"),
    (["metrics", "friction", "--as-of", "yesterday"], "invalid as-of time 'yesterday'"),
    (["metrics", "friction", "--as-of", "2026-13-01"], "invalid as-of time '2026-13-01'"),
    (["metrics", "friction", "--window-days", "0"], "expected a positive integer, got '0'"),
    (["metrics", "friction", "--window-days", "-3"], "expected a positive integer, got '-3'"),
    (["metrics", "friction", "--window-days", "ten"], "expected a positive integer"),
    (["metrics", "friction", "--format", "xml"], "invalid choice: 'xml'"),
    (["metrics", "friction", "--set", "nosuch=1"], "unknown setting nosuch"),
    (["metrics", "friction", "--set", "window_days=abc"],
     "setting window_days: cannot use 'abc' (expected an integer)"),
    (["metrics", "friction", "--set", "window_days"], "--set expects name=value"),
    (["metrics", "friction", "--set", "window_days=0"], "window_days must be positive"),
    (["metrics", "friction", "--set", "severity_weights=low:x"],
     "cannot use 'low:x' (expected name:weight pairs"),
    (["report", "nosuch"], "unknown report nosuch"),
    (["report", "friction", "--set", "min_volume=0"], "min_volume must be at least 1"),
    (["db", "init"], "required: URL"),
    (["db", "init", "data/x.duckdb"], "db init needs a postgresql:// URL"),
    (["db", "init", "postgresql://u@127.0.0.1:1/x", "--phase", "9"], "between 1 and 7"),
    (["synth"], "one of the arguments --out --pg is required"),
    (["snapshot"], "required: SOURCE_URL, OUT.duckdb"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "message"), BAD_USAGE, ids=[" ".join(a) or "(nothing)" for a, _ in BAD_USAGE]
)
def test_bad_usage_is_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Usage errors are caught before any source is opened: exit 2, one line."""
    if argv[:1] in (["metrics"], ["report"]) and len(argv) > 1:
        # a source that does not exist: had the usage check come later, this would show
        argv = [*argv, "--source", str(tmp_path / "absent.duckdb")]
    assert run(argv) == 2
    line = one_error_line(capsys)
    assert line.startswith("ihub")
    assert message in line
    assert "absent.duckdb" not in line


# ------------------------------------------------------------------ db init


@pytest.mark.postgres
def test_db_init_creates_the_schema_once(
    empty_pg_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty database gets all 27 tables; a second run is refused."""
    assert run(["db", "init", empty_pg_db]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out == f"created 27 Inter-Hub tables (phases 1-7) in {empty_pg_db}\n"
    assert _tables(empty_pg_db) == set(inter_hub_schema().table_names)
    assert run(["db", "init", empty_pg_db]) == 2
    assert "is not empty (27 tables" in one_error_line(capsys)


@pytest.mark.postgres
def test_db_init_refuses_a_non_empty_database(
    empty_pg_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any existing table makes it refuse, changing nothing."""
    with psycopg.connect(empty_pg_db, autocommit=True) as con:
        con.execute("CREATE TABLE precious (a int)")
        con.execute("INSERT INTO precious VALUES (1)")
    assert run(["db", "init", empty_pg_db]) == 2
    line = one_error_line(capsys)
    assert "is not empty (1 tables in schema public)" in line
    assert _tables(empty_pg_db) == {"precious"}


@pytest.mark.postgres
def test_db_init_phase_2(empty_pg_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``--phase 2`` creates only the phase 1–2 tables, as an older deployment has.

    (Every other phase prefix is checked in test_schema, inside rolled-back transactions.)
    """
    assert run(["db", "init", empty_pg_db, "--phase", "2"]) == 0
    want = {t.name for t in inter_hub_schema().tables if t.phase <= 2}
    assert len(want) == 10
    assert _tables(empty_pg_db) == want
    assert "created 10 Inter-Hub tables (phases 1-2)" in capsys.readouterr().out
    with psycopg.connect(empty_pg_db) as con:
        hub_columns = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'hubs'"
            ).fetchall()
        }
    assert "api_key" not in hub_columns  # a phase 6 column


@pytest.mark.postgres
def test_db_init_missing_database(pg_admin: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A database that does not exist is bad input, one line."""
    url = pg_admin.rpartition("/")[0] + "/ihub_no_such_db_0815"
    assert run(["db", "init", url]) == 2
    assert "database 'ihub_no_such_db_0815' does not exist" in one_error_line(capsys)


# ------------------------------------------------------------------ output formatting


@pytest.fixture()
def frame() -> pl.DataFrame:
    """Booleans, instants (UTC, other zone, zone-less), numbers, text and gaps."""
    berlin = pl.Series(
        "berlin",
        [dt.datetime(2026, 11, 1, 13, 0), None, dt.datetime(2026, 6, 1, 2, 0, 0, 1000)],
    ).dt.replace_time_zone("Europe/Berlin")
    return pl.DataFrame(
        {
            "flag": [True, False, None],
            "at": pl.Series(
                [
                    dt.datetime(2026, 11, 1, 12, 0),
                    dt.datetime(2026, 11, 1, 12, 0, 0, 123456),
                    None,
                ],
                dtype=pl.Datetime("us", "UTC"),
            ),
            "naive": [dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 1, 0, 0, 0, 500000), None],
            "score": [1.0, 2.5, None],
            "n": [1, None, 3],
            "hub_slug": ["a,b", None, "c"],
            "day": [dt.date(2026, 1, 2), None, dt.date(2026, 1, 3)],
        }
    ).with_columns(berlin)


def test_csv_follows_the_contract(frame: pl.DataFrame) -> None:
    """true/false, ISO 8601 UTC with Z, empty field for a missing value."""
    text = render_frame(frame, "csv")
    assert text.splitlines() == [
        "flag,at,naive,score,n,hub_slug,day,berlin",
        'true,2026-11-01T12:00:00Z,2026-11-01T00:00:00Z,1,1,"a,b",2026-01-02,2026-11-01T12:00:00Z',
        "false,2026-11-01T12:00:00.123456Z,2026-11-01T00:00:00.500000Z,2.5,,,,",
        ",,,,3,c,2026-01-03,2026-06-01T00:00:00.001000Z",
    ]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[1]["n"] == "" and rows[2]["flag"] == ""


def test_json_follows_the_contract(frame: pl.DataFrame) -> None:
    """Booleans and numbers stay JSON types, instants are UTC with Z, gaps are null."""
    rows = json.loads(render_frame(frame, "json"))
    assert rows[0] == {
        "flag": True,
        "at": "2026-11-01T12:00:00Z",
        "naive": "2026-11-01T00:00:00Z",
        "score": 1.0,
        "n": 1,
        "hub_slug": "a,b",
        "day": "2026-01-02",
        "berlin": "2026-11-01T12:00:00Z",
    }
    assert rows[1]["at"] == "2026-11-01T12:00:00.123456Z"
    assert rows[1]["naive"] == "2026-11-01T00:00:00.500000Z"
    assert rows[2]["berlin"] == "2026-06-01T00:00:00.001000Z"
    assert rows[1]["n"] is None and rows[2]["flag"] is None


def test_csv_json_and_table_print_instants_alike(frame: pl.DataFrame) -> None:
    """One rule for every format: the same instant is the same text."""
    csv_rows = list(csv.DictReader(io.StringIO(render_frame(frame, "csv"))))
    json_rows = json.loads(render_frame(frame, "json"))
    table = render_frame(frame, "table")
    for c, j in zip(csv_rows, json_rows, strict=True):
        for col in ("at", "naive", "berlin"):
            assert c[col] == (j[col] or "")
            if c[col]:
                assert c[col] in table


def test_json_handles_decimals_and_non_finite_numbers() -> None:
    """DuckDB DECIMAL columns and NaN still give valid JSON."""
    frame = pl.DataFrame(
        {
            "value": pl.Series([Decimal("1.5000000000"), None], dtype=pl.Decimal(38, 10)),
            "ratio": [math.nan, math.inf],
        }
    )
    text = render_frame(frame, "json")
    assert json.loads(text) == [{"value": 1.5, "ratio": None}, {"value": None, "ratio": None}]
    assert "NaN" not in text and "Infinity" not in text


def test_table_format(frame: pl.DataFrame) -> None:
    """Aligned columns, numbers right-aligned, blanks for gaps, a rule under the header."""
    lines = render_frame(frame.select("hub_slug", "n", "flag"), "table").splitlines()
    assert lines == [
        "hub_slug  n  flag",
        "--------  -  -----",
        "a,b       1  true",
        "             false",
        "c         3",
    ]
    assert render_frame(frame.clear(), "table") == "(no rows)\n"


def test_empty_frames() -> None:
    """No rows: a header-only CSV and an empty JSON array."""
    empty = pl.DataFrame(schema={"hub_slug": pl.String, "score": pl.Int64})
    assert render_frame(empty, "csv") == "hub_slug,score\n"
    assert json.loads(render_frame(empty, "json")) == []
