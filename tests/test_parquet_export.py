"""``ihub export parquet`` and ``parquet:DIR`` sources.

The export must hold every table of one consistent snapshot (events by UTC day,
Hive style), never a credential, with the snapshot's provenance beside it, and
appear whole or not at all.  Read back with DuckDB it must give exactly the
metrics of the source it came from.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from builder import T, World, days
from conftest import METRIC_METHODS
from polars.testing import assert_frame_equal

import ihub_analysis
from ihub_analysis import cli
from ihub_analysis.errors import BadInput, IhubError, SourceError
from ihub_analysis.parquet_export import META_FILE, export_parquet
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.synth import DEFAULT_END, synthesize_duckdb

SECRET_KEY = "hub-api-key-Zq7-do-not-copy"
SECRET_HASH = "$argon2id$Zq7-password-hash"


@pytest.fixture(scope="module")
def synth_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "s.duckdb"
    synthesize_duckdb(path, events=6_000, seed=5, end=DEFAULT_END, progress=False)
    return path


@pytest.fixture(scope="module")
def exported(synth_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exp") / "it's a dir ünï"
    export_parquet(str(synth_file), out)
    return out


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _secret_world() -> World:
    w = World()
    hub = w.hub("alpha")
    w.rows["hubs"][-1]["api_key"] = SECRET_KEY
    user = w.user("Reviewer")
    w.rows["users"][-1]["password_hash"] = SECRET_HASH
    widget = w.widget(hub, "Grid")
    w.events(widget, [T - days(3)] * 5)
    w.events(widget, [T - days(1)] * 2, event_type="error")
    cand = w.candidate(widget, T - days(40))
    w.reviewer(cand, user, T - days(39))
    return w


# ------------------------------------------------------------------ the export


@pytest.mark.parametrize(
    "as_of",
    [
        DEFAULT_END,
        pytest.param(DEFAULT_END - dt.timedelta(days=23, hours=7), marks=pytest.mark.slow),
    ],
    ids=["end", "mid-day"],
)
def test_parquet_source_gives_the_metrics_of_its_source(
    synth_file: Path, exported: Path, as_of: dt.datetime
) -> None:
    with (
        ihub_analysis.connect(str(synth_file)) as snap,
        ihub_analysis.connect(f"parquet:{exported}") as pq_wb,
    ):
        assert pq_wb.source.kind == "parquet"
        assert pq_wb.tables == snap.tables
        assert pq_wb.default_as_of() == snap.default_as_of()
        for method in METRIC_METHODS:
            expected = getattr(snap, method)(as_of=as_of)
            assert_frame_equal(expected, getattr(pq_wb, method)(as_of=as_of)), method
        assert snap.friction(as_of=as_of).height > 0


def test_layout_events_by_utc_day_and_sidecar(synth_file: Path, exported: Path) -> None:
    meta = json.loads((exported / META_FILE).read_text())
    con = duckdb.connect(str(synth_file), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    (taken_at,) = con.execute("SELECT taken_at FROM ihub_snapshot_meta").fetchone()
    assert dt.datetime.fromisoformat(meta["taken_at"]) == taken_at
    assert meta["format_version"] == 1
    for table in inter_hub_schema().tables:
        (count,) = con.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()
        assert meta["row_counts"][table.name] == count, table.name
        assert [c["name"] for c in meta["tables"][table.name]["columns"]] == table.column_names
    days_dirs = sorted((exported / "interaction_events").iterdir())
    assert days_dirs and all(d.name.startswith("day=") for d in days_dirs)
    total = 0
    for d in days_dirs:
        day = dt.date.fromisoformat(d.name.removeprefix("day="))
        events = pq.read_table(d).column("occurred_at").to_pylist()
        assert {e.astimezone(dt.UTC).date() for e in events} == {day}
        total += len(events)
    assert total == meta["row_counts"]["interaction_events"]
    assert meta["tables"]["interaction_events"]["partitioned_by"] == "day"
    assert (exported / "hubs" / "part-0.parquet").is_file()
    assert not _siblings(exported)


def test_portable_types(exported: Path) -> None:
    """UUIDs and JSON as text, instants as UTC timestamps: every Parquet reader takes them."""
    schema = pq.read_schema(exported / "widgets" / "part-0.parquet")
    assert str(schema.field("id").type) == "string"
    assert str(schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    signals = pq.read_schema(exported / "outcome_signals" / "part-0.parquet")
    assert str(signals.field("value").type) == "decimal128(38, 10)"


@pytest.mark.postgres
def test_export_from_postgres_strips_credentials_and_matches(
    tmp_path: Path, make_pg_db: Callable[[], str]
) -> None:
    world = _secret_world()
    url = world.to_postgres(make_pg_db())
    out = tmp_path / "pg-export"
    assert cli.main(["export", "parquet", url, str(out)]) == 0
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"Zq7" not in data, path
    hubs = pq.read_table(out / "hubs").to_pylist()
    users = pq.read_table(out / "users").to_pylist()
    assert {h["api_key"] for h in hubs} <= {"", None}
    assert {u["password_hash"] for u in users} <= {"", None}
    assert not (out / ".snapshot.duckdb").exists()
    assert not _siblings(out)
    meta = json.loads((out / META_FILE).read_text())
    assert "Zq7" not in json.dumps(meta)
    with ihub_analysis.connect(url) as live, ihub_analysis.connect(f"parquet:{out}") as pq_wb:
        for method in ("friction", "health", "bottlenecks", "funnel"):
            assert_frame_equal(getattr(live, method)(as_of=T), getattr(pq_wb, method)(as_of=T))


def test_export_from_duckdb_strips_credentials(tmp_path: Path) -> None:
    src = _secret_world().to_duckdb(tmp_path / "w.duckdb")
    out = tmp_path / "out"
    export_parquet(src, out)
    for path in out.rglob("*.parquet"):
        assert b"Zq7" not in path.read_bytes(), path
    with ihub_analysis.connect(src) as snap, ihub_analysis.connect(f"parquet:{out}") as pq_wb:
        assert_frame_equal(snap.friction(as_of=T), pq_wb.friction(as_of=T))
        assert pq_wb.sql("SELECT api_key FROM hubs").item() in ("", None)


def test_older_deployment_and_no_events(tmp_path: Path) -> None:
    w = World()
    hub = w.hub("alpha")
    w.widget(hub, "Grid")
    src = w.to_duckdb(tmp_path / "old.duckdb", phase=2)
    out = tmp_path / "out"
    export_parquet(src, out)
    meta = json.loads((out / META_FILE).read_text())
    assert meta["row_counts"]["interaction_events"] == 0
    assert meta["tables"]["interaction_events"]["partitioned_by"] is None
    with ihub_analysis.connect(src) as snap, ihub_analysis.connect(f"parquet:{out}") as pq_wb:
        assert pq_wb.source.phase == snap.source.phase == 2
        assert pq_wb.missing_tables() == snap.missing_tables()
        assert_frame_equal(snap.friction(as_of=T), pq_wb.friction(as_of=T))


# ------------------------------------------------------------- all or nothing


def test_replaces_a_previous_export_whole(synth_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "exp"
    w = World()
    w.widget(w.hub("solo"), "Only")
    export_parquet(w.to_duckdb(tmp_path / "small.duckdb"), out)
    (out / "stale-file.txt").write_text("from before")
    export_parquet(str(synth_file), out)
    assert not (out / "stale-file.txt").exists()
    with ihub_analysis.connect(f"parquet:{out}") as pq_wb:
        assert pq_wb.sql("SELECT count(*) AS n FROM hubs").item() > 1
    assert not _siblings(out)


@pytest.mark.parametrize(
    ("make_target", "message"),
    [
        (lambda p: p / "missing-parent" / "out", "does not exist"),
        (lambda p: (p / "a-file").write_text("keep me") and p / "a-file", "not a directory"),
        (lambda p: _full_dir(p / "mine"), "not a Parquet export"),
    ],
    ids=["missing-parent", "is-a-file", "foreign-dir"],
)
def test_refuses_targets_it_must_not_replace(
    synth_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make_target: Callable[[Path], Path],
    message: str,
) -> None:
    target = make_target(tmp_path)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    code = cli.main(["export", "parquet", str(synth_file), str(target)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    if target.is_file():
        assert target.read_text() == "keep me"


def _full_dir(path: Path) -> Path:
    path.mkdir()
    (path / "notes.txt").write_text("mine")
    return path


def test_refuses_a_symlink_target(synth_file: Path, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(BadInput, match="not a directory"):
        export_parquet(str(synth_file), link)


def test_a_failed_export_leaves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_inter_hub = tmp_path / "other.duckdb"
    duckdb.connect(str(not_inter_hub)).execute("CREATE TABLE t (x INT)").close()
    out = tmp_path / "out"
    assert cli.main(["export", "parquet", str(not_inter_hub), str(out)]) == 2
    assert "not an Inter-Hub database" in capsys.readouterr().err
    assert not out.exists()
    assert not _siblings(out)


def test_export_of_a_parquet_source_is_refused(exported: Path, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="DuckDB file or a postgresql"):
        export_parquet(f"parquet:{exported}", tmp_path / "again")


# ------------------------------------------------------------ parquet: sources


def _broken(tmp_path: Path, exported: Path, kind: str) -> str:
    if kind == "missing":
        return f"parquet:{tmp_path / 'nope'}"
    if kind == "file":
        (tmp_path / "f").write_text("x")
        return f"parquet:{tmp_path / 'f'}"
    d = tmp_path / kind
    d.mkdir()
    if kind == "no-sidecar":
        return f"parquet:{d}"
    texts = {
        "bad-json": "{not json",
        "foreign-json": json.dumps({"format": "something"}),
        "future-version": json.dumps({"format": "ihub-parquet", "format_version": 99}),
    }
    if kind in texts:
        (d / META_FILE).write_text(texts[kind])
        return f"parquet:{d}"
    # a sidecar naming tables whose files are gone
    (d / META_FILE).write_text((exported / META_FILE).read_text())
    return f"parquet:{d}"


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "no such Parquet export directory"),
        ("file", "is not a directory"),
        ("no-sidecar", "not an Inter-Hub Parquet export"),
        ("bad-json", "not valid JSON"),
        ("foreign-json", "does not describe an Inter-Hub Parquet export"),
        ("future-version", "format version 99"),
        ("files-gone", "has no Parquet files"),
    ],
)
def test_bad_parquet_sources_are_one_line_exit_2(
    tmp_path: Path,
    exported: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    message: str,
) -> None:
    source = _broken(tmp_path, exported, kind)
    code = cli.main(["metrics", "friction", "--source", source])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert err.count("\n") == 1 and message in err, err


def test_parquet_source_reads_nothing_but_the_export(exported: Path, tmp_path: Path) -> None:
    with ihub_analysis.connect(f"parquet:{exported}") as wb:
        for query in (
            "SELECT * FROM read_csv('/etc/passwd')",
            f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'",
            "SET enable_external_access = true",
        ):
            with pytest.raises(IhubError):
                wb.sql(query)  # refused by the query check
            with pytest.raises(IhubError):
                wb.source.query(query)  # and by the engine, were the check bypassed
        with pytest.raises(IhubError, match="disabled by configuration"):
            wb.source.query("SELECT * FROM read_csv('/etc/passwd')")
    assert not (tmp_path / "x.csv").exists()


def test_source_strings() -> None:
    from ihub_analysis.sources import parse_source

    assert parse_source("parquet:/data/x").kind == "parquet"
    assert parse_source("PARQUET:rel/dir").location == "rel/dir"
    assert parse_source("spark:/data/x").kind == "spark"
    assert parse_source("spark:s3a://bucket/x").location == "s3a://bucket/x"
    assert parse_source("sc://host:15002/;data=/x").kind == "spark"
    with pytest.raises(SourceError):
        parse_source("spark://master:7077")  # a standalone master, not a source


def test_cli_help_names_the_new_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["export", "parquet", "--help"]) == 0
    out = capsys.readouterr().out
    assert "parquet:DIR" in out and "spark:DIR" in out
    assert "shared/" not in out


def test_no_leftovers_after_many_exports(synth_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "x"
    for _ in range(2):
        export_parquet(str(synth_file), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]
