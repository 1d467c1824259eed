"""The results cache of a report run: hits, key separation, no secrets, safe concurrent writes.

A cached result must be exactly the computed one, and a key that mixes up two
queries (another T, another setting, another file, the same file rewritten)
must be impossible; one report run computes each metric once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import polars as pl
import psycopg
import pytest
from builder import T, World, days
from conftest import METRIC_METHODS
from polars.testing import assert_frame_equal

import ihub_analysis
from ihub_analysis.metrics import cache
from ihub_analysis.settings import Settings

METHODS = tuple(METRIC_METHODS)


def world(events: int = 30) -> World:
    w = World()
    for slug in ("north", "south", "east 'quoted' <b>"):
        hub = w.hub(slug)
        widget = w.widget(hub, f"{slug} form")
        w.spread(widget, events, T - days(20), T - days(1))
        w.spread(widget, 6, T - days(10), T - days(2), event_type="error")
        for k in range(3):
            w.annotation(widget, T - days(3 + k), category="confusing", severity="high")
        w.candidate(widget, T - days(45))
    return w


@pytest.fixture(params=["duckdb", "postgres"])
def source(request: pytest.FixtureRequest, tmp_path: Path, make_pg_db: Callable[[], str]) -> str:
    if request.param == "duckdb":
        return world().to_duckdb(tmp_path / "w.duckdb", phase=7)
    return world().to_postgres(make_pg_db(), phase=7)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "results"
    path.mkdir()
    return path


def cached(source: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> ihub_analysis.Workbench:
    monkeypatch.setenv(cache.CACHE_ENV, str(folder))
    return ihub_analysis.connect(source)


def test_no_cache_unless_the_run_names_a_folder(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    with ihub_analysis.connect(source) as wb:
        assert wb.results is None
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "no such folder"))
    with ihub_analysis.connect(source) as wb:
        assert wb.results is None


def test_every_method_cached_equals_computed_and_runs_once(
    source: str, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    with ihub_analysis.connect(source) as plain:
        expected = {m: getattr(plain, m)(as_of=T) for m in METHODS}
    for _ in range(2):  # first computes and stores, second reads back
        with cached(source, folder, monkeypatch) as wb:
            for m in METHODS:
                assert_frame_equal(getattr(wb, m)(as_of=T), expected[m], check_exact=True)
    done = cache.computed(folder)
    assert len(done) == len(set(done)), done  # nothing computed twice
    # health_arrows reads the same weekly query as health_trend (same weeks): no own entry
    assert set(done) == set(METHODS) - {"health_arrows"}


def test_key_separates_as_of_settings_and_files(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = world().to_duckdb(tmp_path / "a.duckdb", phase=7)
    b = world(events=31).to_duckdb(tmp_path / "b.duckdb", phase=7)
    with cached(a, folder, monkeypatch) as wa, cached(b, folder, monkeypatch) as wb:
        base = wa.friction(as_of=T)
        assert not wa.friction(as_of=T - days(3)).equals(base)
        assert not wa.friction(as_of=T, window_days=3).equals(base)
        assert not wb.friction(as_of=T).equals(base)  # same shape, other file, other numbers
        assert wa.friction(as_of=T).equals(base)
    assert cache.computed(folder) == ["friction"] * 4


def test_a_rewritten_file_is_another_source(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.duckdb"
    world().to_duckdb(path, phase=7)
    with cached(str(path), folder, monkeypatch) as wb:
        before = wb.friction(as_of=T)
    path.unlink()
    world(events=40).to_duckdb(path, phase=7)  # same path, same taken_at
    with cached(str(path), folder, monkeypatch) as wb:
        after = wb.friction(as_of=T)
    monkeypatch.delenv(cache.CACHE_ENV)
    with ihub_analysis.connect(str(path)) as plain:
        assert_frame_equal(after, plain.friction(as_of=T))
    assert not after.equals(before)


def test_key_covers_every_setting(tmp_path: Path) -> None:
    identity = {"kind": "duckdb", "display": "x"}
    base = cache.result_key(identity, "friction", T, Settings(), "SELECT 1")
    assert cache.result_key(identity, "friction", T, Settings(), "SELECT 1") == base
    for name, value in Settings().as_dict().items():
        changed = Settings().replace(**{name: _other(value)})
        assert cache.result_key(identity, "friction", T, changed, "SELECT 1") != base, name
    assert cache.result_key(identity, "health", T, Settings(), "SELECT 1") != base
    assert cache.result_key(identity, "friction", T - days(1), Settings(), "SELECT 1") != base
    assert cache.result_key(identity, "friction", T, Settings(), "SELECT 2") != base
    assert (
        cache.result_key({**identity, "display": "y"}, "friction", T, Settings(), "SELECT 1")
        != base
    )


def _other(value: object) -> object:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2 if value else 0.5
    if isinstance(value, dict):
        return {k: v + 1 for k, v in value.items()}
    if isinstance(value, list):
        return value[:-1] if value else ["x"]
    raise AssertionError(f"no variant for {value!r}")


@pytest.fixture()
def secret_url(make_pg_db: Callable[[], str], pg_admin: str) -> Iterator[tuple[str, str]]:
    """(URL with a password in it, the password) of a role that can read a small world."""
    url = world().to_postgres(make_pg_db(), phase=7)
    role = f"ihub_cache_{uuid.uuid4().hex[:8]}"
    password = f"Pw{uuid.uuid4().hex}"
    with psycopg.connect(pg_admin, autocommit=True) as con:
        con.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    parts = urlsplit(url)
    netloc = f"{role}:{password}@{parts.hostname}:{parts.port}"
    try:
        yield urlunsplit(parts._replace(netloc=netloc)), password
    finally:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f"DROP OWNED BY {role}")
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(f"DROP ROLE {role}")


@pytest.mark.postgres
def test_no_secret_reaches_the_cache(
    secret_url: tuple[str, str], folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, password = secret_url
    with cached(url, folder, monkeypatch) as wb:
        assert wb.results is not None
        assert password not in repr(wb.results.identity)
        for m in METHODS:
            getattr(wb, m)(as_of=T)
    assert len(cache.computed(folder)) > 5
    for path in folder.rglob("*"):
        assert password not in str(path)
        assert password.encode() not in path.read_bytes()


def test_concurrent_fetches_compute_once_and_agree(folder: Path) -> None:
    """Many threads (each its own lock file handle, as separate kernels) ask for one key."""
    results = cache.ResultsCache(folder, {"kind": "duckdb", "display": "x"})
    calls: list[int] = []
    frame = pl.DataFrame({"a": list(range(1000)), "b": ["é\x00<"] * 1000})

    def compute() -> pl.DataFrame:
        calls.append(1)
        time.sleep(0.2)  # others arrive meanwhile and must wait, not compute
        return frame

    got: list[pl.DataFrame] = []

    def ask() -> None:
        got.append(results.fetch("friction", T, Settings(), "SELECT 1", compute))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(got) == 8 and all(g.equals(frame) for g in got)
    assert sorted(p.suffix for p in folder.iterdir()) == [".arrow", ".lock", ".log"]


def test_a_failed_computation_stores_nothing(folder: Path) -> None:
    results = cache.ResultsCache(folder, {"kind": "duckdb", "display": "x"})

    def boom() -> pl.DataFrame:
        raise RuntimeError("query failed")

    with pytest.raises(RuntimeError):
        results.fetch("friction", T, Settings(), "SELECT 1", boom)
    assert not list(folder.glob("*.arrow")) and cache.computed(folder) == []
    again = results.fetch("friction", T, Settings(), "SELECT 1", lambda: pl.DataFrame({"a": [1]}))
    assert again.equals(pl.DataFrame({"a": [1]}))


def test_run_scoped_folder_is_private_and_removed(tmp_path: Path) -> None:
    source = world().to_duckdb(tmp_path / "w.duckdb", phase=7)
    with ihub_analysis.connect(source) as wb, cache.run_scoped(wb) as env:
        folder = Path(env[cache.CACHE_ENV])
        assert wb.results is not None and wb.results.folder == folder
        assert (folder.stat().st_mode & 0o777) == 0o700
        wb.friction(as_of=T)
        assert cache.computed(folder) == ["friction"]
    assert not folder.exists() and wb.results is None


@pytest.mark.parametrize("password_in", ["userinfo", "query"])
def test_the_run_and_its_kernels_name_a_source_alike(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    secret_url: tuple[str, str],
    password_in: str,
) -> None:
    """Else the kernels would never find what the run computed (a relative path, a password)."""
    from ihub_analysis.reports.kernel import kernel_source

    world().to_duckdb(tmp_path / "w.duckdb", phase=7)
    monkeypatch.chdir(tmp_path)
    url, password = secret_url
    if password_in == "query":
        parts = urlsplit(url)
        netloc = parts.netloc.replace(f":{password}@", "@")
        url = urlunsplit(parts._replace(netloc=netloc, query=f"password={password}"))
    for given in ("w.duckdb", url):
        shown, env = kernel_source(given)
        with ihub_analysis.connect(given) as run:
            in_run = cache.source_identity(run.source)
        monkeypatch.setenv("PGPASSWORD", env.get("PGPASSWORD", ""))
        with ihub_analysis.connect(shown) as kernel:  # as the kernel opens it
            assert cache.source_identity(kernel.source) == in_run
        monkeypatch.delenv("PGPASSWORD")
        assert password not in repr(in_run)


@pytest.mark.slow
def test_a_report_run_computes_each_metric_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib

    from ihub_analysis.reports import render_reports

    kept = tmp_path / "results"
    kept.mkdir()

    @contextlib.contextmanager
    def keep() -> Iterator[str]:
        yield str(kept)

    monkeypatch.setattr(cache, "_run_folder", keep)
    world().to_duckdb(tmp_path / "w.duckdb", phase=7)
    monkeypatch.chdir(tmp_path)  # a relative source, as `ihub demo` gives
    names = ["friction", "bottlenecks", "health", "changes"]  # the four reports and the board
    status = render_reports(names, source="w.duckdb", out_dir=tmp_path / "out")
    assert status == 0
    keys = [line.split()[0] for line in (kept / cache.COMPUTED_LOG).read_text().splitlines()]
    assert len(keys) == len(set(keys)), keys  # no query ran twice (a baseline T is another key)
    done = cache.computed(kept)
    # the board's metrics and every report's, all computed through the cache
    assert {"health", "friction", "bottlenecks", "propagation", "changes"} <= set(done)
