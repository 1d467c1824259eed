"""A systematic sweep of bad input through the real ``ihub`` command line.

Every case must end the way the interface contract says bad input ends: exit
status 2, exactly one line on stderr, no traceback, and nothing in the working
folder changed (it is checksummed before and after, special files included).
Most cases fail before a database is opened, so the sweep stays fast.  The
second half tests the output-file policy positively: links followed, devices
and FIFOs written in place, nothing but a regular file ever replaced.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import polars as pl
import pytest
from builder import T, World, days
from conftest import OpenWorld

from ihub_analysis import cli
from ihub_analysis.output import terminal_safe, to_csv, to_table
from ihub_analysis.synth import DEFAULT_END, synthesize_duckdb

# ------------------------------------------------------------------ fixtures


#: Snapshots whose recorded taken_at (the default as-of) is unusable.
TAKEN_AT = {
    "taken_year_1": "0001-01-01 00:00:00+00",
    "taken_infinity": "infinity",
    "taken_minus_infinity": "-infinity",
    "taken_year_9999": "9999-12-31 23:00:00+00",
}


@pytest.fixture(scope="module")
def sources() -> Iterator[Path]:
    """A folder of good and bad DuckDB sources, outside every test's working folder."""
    folder = Path(tempfile.mkdtemp(prefix="ihub-hostile-"))
    good = folder / "good.duckdb"
    synthesize_duckdb(good, events=2000, seed=5, end=DEFAULT_END, progress=False)
    data = good.read_bytes()
    (folder / "truncated.duckdb").write_bytes(data[: len(data) // 2])
    (folder / "head.duckdb").write_bytes(data[:5000])
    (folder / "empty.duckdb").write_bytes(b"")
    (folder / "text.duckdb").write_text("hub,widget\nhello,world\n")
    with duckdb.connect(str(folder / "wrong_columns.duckdb")) as con:
        for table in ("hubs", "widgets", "interaction_events", "annotations"):
            con.execute(f"CREATE TABLE {table} (x INTEGER)")
    with duckdb.connect(str(folder / "not_inter_hub.duckdb")) as con:
        con.execute("CREATE TABLE something (x INTEGER)")
    shutil.copy(good, folder / "bad_meta.duckdb")
    with duckdb.connect(str(folder / "bad_meta.duckdb")) as con:
        con.execute("DROP TABLE ihub_snapshot_meta")
        con.execute("CREATE TABLE ihub_snapshot_meta (x INTEGER)")
    for name, taken_at in TAKEN_AT.items():
        shutil.copy(good, folder / f"{name}.duckdb")
        with duckdb.connect(str(folder / f"{name}.duckdb")) as con:
            con.execute(
                "UPDATE ihub_snapshot_meta SET taken_at = CAST(? AS TIMESTAMPTZ)", [taken_at]
            )
    os.mkfifo(folder / "fifo.duckdb")
    (folder / "adir.duckdb").mkdir()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The working folder: existing files of every kind an output could hit."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "existing.csv").write_text("old\n")
    (ws / "existing.duckdb").write_bytes(b"old database")
    (ws / "a_file").write_text("a regular file\n")
    (ws / "sub").mkdir()
    (ws / "sub" / "keep.txt").write_text("keep\n")
    os.mkfifo(ws / "fifo")
    (ws / "link.csv").symlink_to("existing.csv")
    (ws / "dangling.csv").symlink_to("nowhere/x.csv")
    monkeypatch.chdir(ws)
    for name in ("IHUB_SOURCE", "IHUB_CONNECT_TIMEOUT", "IHUB_STATEMENT_TIMEOUT", "IHUB_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    yield ws


@pytest.fixture(scope="module")
def a_socket() -> Iterator[Path]:
    """A Unix socket (its path must be short, so it lives in its own folder)."""
    folder = Path(tempfile.mkdtemp(prefix="ihs-", dir="/tmp"))
    path = folder / "s"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    yield path
    sock.close()
    shutil.rmtree(folder, ignore_errors=True)


def tree_state(folder: Path) -> list[tuple[str, ...]]:
    """Every entry under ``folder``: kind, mode and content (FIFOs are not opened)."""
    state = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(root) / name
            st = path.lstat()
            rel = str(path.relative_to(folder))
            if stat.S_ISLNK(st.st_mode):
                state.append((rel, "link", str(path.readlink())))
            elif stat.S_ISREG(st.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                state.append((rel, "file", oct(st.st_mode), digest))
            else:
                state.append((rel, "other", oct(st.st_mode)))
    return sorted(state)


def run(argv: Sequence[str]) -> int:
    try:
        return cli.main(list(argv))
    except SystemExit as exc:  # pragma: no cover - main() returns, never exits
        return int(exc.code or 0)


def assert_refused(argv: Sequence[str], folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Exit 2, one line on stderr, nothing on stdout, the folder unchanged."""
    before = tree_state(folder)
    code = run(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    assert code == 2, (code, err)
    assert out == ""
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    assert err[:-1].isprintable(), repr(err)  # controls from the input are escaped
    assert tree_state(folder) == before
    return err


# ------------------------------------------------------------------ the sweep

GOOD = "{src}/good.duckdb"
M = ["metrics", "friction", "--source", GOOD]

AS_OF = [
    "0001-01-01", "9999-12-31T23:00:00-12:00", "9999-12-31", "0001-01-01T00:00:00+14:00",
    "1899-12-31T23:59:59Z", "9000-01-01T00:00:01Z", "10000-01-01", "2026-13-01", "2026-02-30",
    "2026-11-01T25:00", "2026-11-01T00:00:00+25:00", "yesterday", "", " ", "nan", "inf",
    "0000-00-00", "-2026-01-01", "2026-11-01\x00", "1e9", "99999-01-01", "2026\u201011\u201001",
]  # fmt: skip

DAY_FLAGS = ["--window-days", "--cohort-days", "--report-days"]
DAY_VALUES = ["0", "-1", "3651", "100000", "9" * 40, "1.5", "abc", "", "nan", "inf", "0x10"]
WEEK_VALUES = ["0", "-3", "521", "100000", "9" * 400, "2.5", "twelve", "inf"]
MIN_VOLUME = ["0", "-20", "1000001", "1e3", "nan", "9" * 5000]

SETS = [
    "unknown_setting=1", "annotation_weight=nan", "annotation_weight=inf",
    "annotation_weight=-inf", "annotation_weight=1e400", "annotation_weight=abc",
    "annotation_weight=", "error_cap=inf", "regression_rate_ratio=NaN", "band_red=1e7",
    "band_red=1.5", "severity_weights=low:99999999999999999999",
    "severity_weights=low:abc", "severity_weights={bad json", "severity_weights=[1, 2]",
    "severity_weights=low:1.5", "severity_weights=low", "severity_weights={\"low\": 1e300}",
    "error_event_types=", "error_event_types=a,,b", "error_event_types=[1,",
    "weeks=0", "weeks=521", "window_days=1.5", "window_days=3651", "cohort_days=-1",
    "report_days=99999999", "change_window_days=0", "control_window_days=4000",
    "min_volume=0", "trend_arrow_weeks=0", "trend_arrow_weeks=10000", "noequals", "=1",
    "regression_min_errors=10000000", "health_watch_min=-9999999",
]  # fmt: skip

BAD_SOURCES = [
    "", " ", "{src}/missing.duckdb", "{src}/adir.duckdb", "{src}/fifo.duckdb", "/dev/null",
    "{src}/truncated.duckdb", "{src}/head.duckdb", "{src}/empty.duckdb", "{src}/text.duckdb",
    "{src}/wrong_columns.duckdb", "{src}/not_inter_hub.duckdb", "{src}/bad_meta.duckdb",
    "{src}/good.duckdb/inside", "duckdb://relative/x.duckdb", "mysql://u@h/db", "http://x/",
    "host=127.0.0.1 dbname=x", "postgresql://u@127.0.0.1/db?foo=bar",
    "postgresql://u@127.0.0.1/db?sslmode=sometimes", "postgresql://u@127.0.0.1:99999/db",
    "postgresql://u@127.0.0.1:port/db", "postgresql://a@b@127.0.0.1/db",
    "postgresql://u:hush@127.0.0.1:1/db", "{src}/x\x1b[31m\nred.duckdb", "\u202e.duckdb",
    "{src}/tab\there.duckdb", "postgresql://u@127.0.0.1/db?x=\x1b[2J",
]  # fmt: skip

ENV = [
    ("IHUB_CONNECT_TIMEOUT", "abc"), ("IHUB_CONNECT_TIMEOUT", "-1"),
    ("IHUB_CONNECT_TIMEOUT", "1.5"), ("IHUB_CONNECT_TIMEOUT", ""),
    ("IHUB_CONNECT_TIMEOUT", "9" * 30 + "x"),
    ("IHUB_STATEMENT_TIMEOUT", "abc"), ("IHUB_STATEMENT_TIMEOUT", "5 years"),
    ("IHUB_STATEMENT_TIMEOUT", "-1s"),
]  # fmt: skip

OUTPUTS = [
    "missing/x.csv", "missing/deeper/x.csv", "a_file/x.csv", "sub", ".", "", "fifo/x",
    "{sock}", "existing.csv/x", "/proc/version/x", "new\nline/x.csv", "\x1b[31m/x.csv",
]  # fmt: skip

CASES: list[tuple[str, list[str], dict[str, str]]] = []


def case(name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
    CASES.append((name, argv, env or {}))


for v in AS_OF:
    case(f"as-of {v!r}", [*M, "--as-of", v])
for flag in DAY_FLAGS:
    for v in DAY_VALUES:
        case(f"{flag} {v[:12]!r}", [*M, flag, v])
for v in WEEK_VALUES:
    case(f"--weeks {v[:12]!r}", ["metrics", "health-trend", "--source", GOOD, "--weeks", v])
for v in MIN_VOLUME:
    case(f"--min-volume {v[:12]!r}", [*M, "--min-volume", v])
for v in SETS:
    case(f"--set {v!r}", [*M, "--set", v])
    case(f"report --set {v!r}", ["report", "friction", "--source", GOOD, "--set", v])
for v in BAD_SOURCES:
    case(f"metrics --source {v!r}", ["metrics", "friction", "--source", v])
for name in TAKEN_AT:
    case(f"{name} as default as-of", ["metrics", "changes", "--source", f"{{src}}/{name}.duckdb"])
for kind in ("health-trend", "changes", "funnel"):
    case(f"{kind} on a truncated file", ["metrics", kind, "--source", "{src}/truncated.duckdb"])
for name, value in ENV:
    case(
        f"{name}={value!r}",
        ["metrics", "friction", "--source", "postgresql://u@127.0.0.1:1/db"],
        {name: value},
    )
for v in OUTPUTS:
    case(f"metrics -o {v!r}", [*M, "--format", "csv", "-o", v])
for v in ["missing/x.duckdb", "a_file/x.duckdb", "sub", "fifo", "/dev/null", "{sock}", "."]:
    case(f"snapshot to {v!r}", ["snapshot", "postgresql://u@127.0.0.1:1/db", v])
    case(f"synth --out {v!r}", ["synth", "--out", v, "--events", "100"])
for v in ["", "{src}/good.duckdb", "postgresql://u@127.0.0.1/db?foo=bar", "mysql://x/y"]:
    case(f"snapshot from {v!r}", ["snapshot", v, "new.duckdb"])
for v in ["0", "-1", "abc", "1e3", "1000000001", "9" * 30]:
    case(f"synth --events {v!r}", ["synth", "--out", "new.duckdb", "--events", v])
    case(f"demo --events {v!r}", ["demo", "--events", v])
for v in ["-1", "abc", str(2**64), "1.5"]:
    case(f"synth --seed {v!r}", ["synth", "--out", "new.duckdb", "--seed", v])
for v in ["0001-01-01", "9999-12-31T23:00:00-12:00", "soon"]:
    case(f"synth --end {v!r}", ["synth", "--out", "new.duckdb", "--events", "100", "--end", v])
for v in ["", "mysql://x/y", "postgresql://u@127.0.0.1/db?foo=bar"]:
    case(f"synth --pg {v!r}", ["synth", "--pg", v, "--events", "100"])
case("synth --out and --pg", ["synth", "--out", "new.duckdb", "--pg", "postgresql://u@h/d"])
for v in ["", "{src}/good.duckdb", "postgresql://u@127.0.0.1/db?foo=bar"]:
    case(f"db init {v!r}", ["db", "init", v])
for v in ["0", "8", "abc"]:
    case(f"db init --phase {v}", ["db", "init", "postgresql://u@127.0.0.1:1/db", "--phase", v])
for v in ["a_file", "a_file/reports", "existing.csv", "fifo"]:
    case(f"report --out {v!r}", ["report", "friction", "--source", GOOD, "--out", v])
    case(f"demo --out {v!r}", ["demo", "--out", v])
case("report unknown name", ["report", "nonsense", "--source", GOOD])
case("report --jobs 0", ["report", "--source", GOOD, "--jobs", "0"])
case("report --weeks 100000", ["report", "--source", GOOD, "--weeks", "100000"])
case("report --source ''", ["report", "--source", ""])
case("report --as-of edge", ["report", "--source", GOOD, "--as-of", "0001-01-01"])
case("metrics unknown kind", ["metrics", "nonsense", "--source", GOOD])
case("metrics kind with ESC", ["metrics", "fr\x1biction", "--source", GOOD])
case("as-of with a newline", [*M, "--as-of", "2026-01-01\n2026-01-02"])
case("metrics --format xml", [*M, "--format", "xml"])
# IHUB_SOURCE set but blank (a scheduler's secret that did not expand) is not "unset"
for v in ["", " ", "\t", "\n"]:
    for argv in (["metrics", "friction"], ["report", "friction"], ["metrics", "health"]):
        case(f"IHUB_SOURCE={v!r} {argv[0]}", argv, {"IHUB_SOURCE": v})
case("no command", [])
case("unknown command", ["frobnicate"])


@pytest.mark.parametrize(("argv", "env"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    argv: list[str],
    env: dict[str, str],
    work: Path,
    sources: Path,
    a_socket: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    argv = [a.replace("{src}", str(sources)).replace("{sock}", str(a_socket)) for a in argv]
    err = assert_refused(argv, work, capsys)
    assert "hush" not in err  # a password never reaches a message


def test_the_sweep_is_broad() -> None:
    assert len(CASES) >= 150


def test_bad_input_through_the_installed_command(sources: Path, tmp_path: Path) -> None:
    """The same contract from a real process: edge-of-calendar times, a FIFO source."""
    argvs = [
        ["metrics", "friction", "--source", str(sources / "good.duckdb"), "--as-of", "0001-01-01"],
        ["metrics", "changes", "--source", str(sources / "fifo.duckdb")],
        ["metrics", "health-trend", "--source", str(sources / "good.duckdb"), "--weeks", "100000"],
        ["snapshot", "postgresql://u@127.0.0.1:1/db", str(tmp_path / "missing" / "s.duckdb")],
    ]
    for argv in argvs:
        proc = subprocess.run(
            [sys.executable, "-m", "ihub_analysis", *argv],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert proc.returncode == 2, (argv, proc.stderr)
        assert proc.stdout == "" and len(proc.stderr.splitlines()) == 1, proc.stderr
        assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# ------------------------------------------------------------------ output-file policy


def metrics_to(target: str, sources: Path, *extra: str) -> int:
    return run(
        [
            *("metrics", "friction", "--source", str(sources / "good.duckdb")),
            *("--format", "csv", "-o", target, *extra),
        ]
    )


def test_a_symlink_is_kept_and_its_target_replaced(
    work: Path, sources: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert metrics_to("link.csv", sources) == 0
    assert (work / "link.csv").is_symlink()
    assert str((work / "link.csv").readlink()) == "existing.csv"
    assert (work / "existing.csv").read_text().startswith("widget_id,")
    assert sorted(p.name for p in work.iterdir() if p.name.startswith(".")) == []


def test_a_dangling_symlink_into_a_missing_folder_is_refused(
    work: Path, sources: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused(
        ["metrics", "friction", "--source", str(sources / "good.duckdb"), "-o", "dangling.csv"],
        work,
        capsys,
    )


def test_a_dangling_symlink_creates_its_target(
    work: Path, sources: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (work / "later.csv").symlink_to("sub/new.csv")
    assert metrics_to("later.csv", sources) == 0
    assert (work / "later.csv").is_symlink()
    assert (work / "sub" / "new.csv").read_text().startswith("widget_id,")


def test_dev_null_is_written_to_and_left_a_device(
    work: Path, sources: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = Path("/dev/null").stat()
    assert metrics_to("/dev/null", sources) == 0
    after = Path("/dev/null").stat()
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert capsys.readouterr() == ("", "")


def test_dev_stdout_works_from_a_process(sources: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "ihub_analysis", "metrics", "friction"),
            *("--source", str(sources / "good.duckdb"), "--format", "csv", "-o", "/dev/stdout"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("widget_id,") and proc.stdout.count("\n") > 1


def test_a_fifo_is_written_in_place_for_a_stream(
    work: Path, sources: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append((work / "fifo").read_text()))
    reader.start()
    assert metrics_to("fifo", sources) == 0
    reader.join(timeout=30)
    assert received and received[0].startswith("widget_id,")
    assert stat.S_ISFIFO((work / "fifo").lstat().st_mode)


def test_a_replaced_file_keeps_its_permissions(
    work: Path, sources: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (work / "existing.csv").chmod(0o640)
    assert metrics_to("existing.csv", sources) == 0
    assert stat.S_IMODE((work / "existing.csv").stat().st_mode) == 0o640


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_read_only_folder_is_refused(
    work: Path, sources: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (work / "sub").chmod(0o555)
    try:
        assert_refused(
            ["metrics", "friction", "--source", str(sources / "good.duckdb"), "-o", "sub/x.csv"],
            work,
            capsys,
        )
    finally:
        (work / "sub").chmod(0o755)


def test_synth_replaces_an_existing_file_and_keeps_a_link(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """synth --out shares ihub snapshot's policy: an existing regular file is replaced."""
    (work / "db.duckdb").symlink_to("existing.duckdb")
    assert run(["synth", "--out", "db.duckdb", "--events", "200", "--seed", "2"]) == 0
    assert (work / "db.duckdb").is_symlink()
    with duckdb.connect(str(work / "existing.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM hubs").fetchone()[0] > 0


# ------------------------------------------------------------------ terminal output

HOSTILE_TEXT = [
    "\x1b[2J\x1b[31mred", "\x1b]0;owned\x07", "bell\x07", "back\x08space", "\r\noverwrite",
    "c1\x9bcsi", "\u202eevil\u202c", "\u2066iso\u2069", "zero\u200bwidth", "del\x7f",
    "nul\x00", "line\u2028sep", "tab\there",
]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_table_output_escapes_controls_visibly(text: str) -> None:
    frame = pl.DataFrame({"widget_name": [text], "score": [1]})
    table = to_table(frame)
    body = table.split("\n", 2)[2]
    assert all(ch.isprintable() or ch in "\n" for ch in table), repr(table)
    assert "\\" in body  # shown, not dropped
    assert to_csv(frame).count(text.replace('"', '""')) == 1 or text in to_csv(frame)


def test_terminal_safe_keeps_ordinary_text() -> None:
    for text in ["Zürich — café", "日本語", "emoji 👩‍💻", "a\\x1b literal backslash"]:
        assert terminal_safe(text) == text


def test_metrics_table_on_hostile_data(
    sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hostile.duckdb"
    shutil.copy(sources / "good.duckdb", path)
    evil = "\x1b]0;pwned\x07\x1b[31mRed\u202eWidget\x9b"
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE widgets SET name = ?", [evil])
    assert run(["metrics", "friction", "--source", str(path)]) == 0
    table, _ = capsys.readouterr()
    assert "\x1b" not in table and "\u202e" not in table and "\x9b" not in table
    assert "\\x1b]0;pwned\\x07\\x1b[31mRed\\u202eWidget\\x9b" in table
    assert run(["metrics", "friction", "--source", str(path), "--format", "csv"]) == 0
    assert evil in capsys.readouterr()[0]  # CSV stays faithful data


# ------------------------------------------------------------------ the bounds themselves work

EDGES = [
    {"as_of": "1900-01-01", "window_days": 3650, "cohort_days": 3650, "report_days": 3650},
    {"as_of": "9000-01-01T00:00:00Z", "weeks": 520, "window_days": 3650},
    {"as_of": "2026-06-01", "change_window_days": 3650, "control_window_days": 3650},
    {"as_of": "2026-06-01", "annotation_weight": 1_000_000, "min_volume": 1_000_000},
]


@pytest.mark.parametrize("edge", EDGES, ids=lambda e: ",".join(e))
def test_values_at_the_bounds_are_accepted_on_both_engines(
    open_world: OpenWorld, edge: dict[str, object]
) -> None:
    world = World()
    hub = world.hub("edge")
    widget = world.widget(hub, "w")
    world.spread(widget, 30, T - days(20), T, event_type="error")
    world.annotation(widget, T - days(3))
    wb = open_world(world)
    for method in ("friction", "health_trend", "funnel", "changes", "bottlenecks"):
        frame = getattr(wb, method)(**edge)
        assert isinstance(frame, pl.DataFrame), method
