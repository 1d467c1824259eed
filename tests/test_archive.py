"""``ihub report --archive``: dated runs, the index across them, manifests, retention, logs.

Runs use quick notebooks that keep the parameter contract and show a few
headline figures (a kernel start each, no real analysis); the board is computed
from the database for real.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import nbformat
import pytest
from builder import T, days
from stub_notebooks import write_stub_notebooks
from test_charts import chart_world
from test_hostile_reports import injected, parse_page

from ihub_analysis import cli
from ihub_analysis.reports import archive, manifest
from ihub_analysis.reports.catalog import NOTEBOOKS_ENV, ReportSpec
from ihub_analysis.timeutil import iso_utc

slow = pytest.mark.slow
AS_OFS = (T - days(60), T - days(30), T)


def figure_notebooks(folder: Path, *, broken: str | None = None) -> Path:
    """Quick notebooks: contract parameters plus ``compare_to``; a few headline figures."""

    def body(spec: ReportSpec) -> str:
        text = (
            "from ihub_analysis import notebook as nb\n"
            "nb.headlines([('change_failure_rate', 'Change failure rate', 0.25, '%'),"
            " ('mean_health', 'Mean health', len(as_of)), ('lowest_hub', 'Lowest', 'north')])\n"
            "print('compare_to', compare_to)"
        )
        return f"raise RuntimeError('broken {spec.name}')\n{text}" if spec.name == broken else text

    return write_stub_notebooks(
        folder, body, extra_parameters="\ncompare_to = None\nhub = None", dossiers=True
    )


def run_cli(args: list[str]) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = cli.main(args)
    return status, stdout.getvalue(), stderr.getvalue()


@pytest.fixture()
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(NOTEBOOKS_ENV, str(figure_notebooks(tmp_path / "notebooks")))
    return chart_world(weeks=10).to_duckdb(tmp_path / "world.duckdb")


def report(source: str, archive_dir: Path, as_of: dt.datetime, *extra: str) -> tuple[int, str, str]:
    where = ("--archive", str(archive_dir), "--as-of", iso_utc(as_of))
    return run_cli(["report", "--source", source, *where, *extra])


def validate(data: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(manifest.schema()).validate(data)


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# ----------------------------------------------------------------------------- three runs
@slow
def test_three_scheduled_runs_make_a_history(world: str, tmp_path: Path) -> None:
    arch = tmp_path / "archive"
    for as_of in AS_OFS:
        status, _, stderr = report(world, arch, as_of, "--log-format", "json", "--quiet")
        assert status == 0, stderr
    stamps = [archive.stamp(a) for a in AS_OFS]
    assert stamps == [a.strftime("%Y-%m-%dT%H%M%SZ") for a in AS_OFS] == sorted(stamps)
    assert all(len(s) == len("2026-11-01T000000Z") for s in stamps)
    assert sorted(p.name for p in arch.iterdir() if p.is_dir() and not p.is_symlink()) == stamps
    previous = None
    for as_of, stamp in zip(AS_OFS, stamps, strict=True):
        folder = arch / stamp
        data = json.loads((folder / "manifest.json").read_text())
        validate(data)
        assert data["as_of"] == iso_utc(as_of)
        # "since the last review" is the previous run, with no flag; the first run has
        # none, so it compares with compare_days (28) before its as_of, like --out runs
        baseline = previous if previous else as_of - days(28)
        assert data["compare_to"] == iso_utc(baseline)
        executed = nbformat.read(folder / "changes.ipynb", as_version=4)
        printed = "".join(o.get("text", "") for o in executed.cells[-1].outputs)
        assert f"compare_to {iso_utc(baseline)}" in printed
        assert {r["status"] for r in data["reports"]} == {"rendered"}
        for entry in data["reports"]:
            assert entry["sha256"] == manifest.sha256(folder / entry["file"])
            assert entry["headlines"]["change_failure_rate"] == 0.25
            assert "lowest_hub" not in entry["headlines"]  # not a number
        assert data["board"]["headlines"]["at_risk_hubs"] is not None
        assert data["exit_status"] == 0 and data["source"].endswith("world.duckdb")
        previous = as_of
    index = (arch / "index.html").read_text()
    rows = [a["data-run"] for t, a in parse_page(index).elements if "data-run" in a]
    assert rows == list(reversed(stamps))  # newest first
    # a trend line per figure with values; the quick notebooks show no lead time
    assert index.count('class="archive-trend"') == len(archive.FIGURES) - 1
    drawn = index.replace("<svg", "<p").replace("<polyline", "<p").replace("<circle", "<p")
    assert injected(drawn) == []
    assert (arch / "latest").resolve() == (arch / stamps[-1]).resolve()
    assert f"url={stamps[-1]}/index.html" in (arch / "latest.html").read_text()


@slow
def test_rerunning_an_as_of_replaces_only_that_run(world: str, tmp_path: Path) -> None:
    arch = tmp_path / "archive"
    for as_of in AS_OFS[:2]:
        assert report(world, arch, as_of)[0] == 0
    first = folder_bytes(arch / archive.stamp(AS_OFS[0]))
    second = folder_bytes(arch / archive.stamp(AS_OFS[1]))
    # re-run the older as_of with a broken health notebook
    figure_notebooks(Path(os.environ[NOTEBOOKS_ENV]), broken="health")
    status, _, stderr = report(world, arch, AS_OFS[0])
    assert status == 1 and "health" in stderr
    assert folder_bytes(arch / archive.stamp(AS_OFS[1])) == second  # the other run: untouched
    again = folder_bytes(arch / archive.stamp(AS_OFS[0]))
    assert again["health.html"] == first["health.html"]  # the previous good report
    assert again["friction.html"] != first["friction.html"]  # re-rendered (a new time)
    data = json.loads(again["manifest.json"])
    validate(data)
    health = next(r for r in data["reports"] if r["name"] == "health")
    assert health["status"] == "failed" and data["exit_status"] == 1
    assert "RuntimeError: broken health" in health["failed_cell"]
    assert health["failed_notebook"] == "failed/health.ipynb"
    assert health["sha256"] == manifest.sha256(arch / archive.stamp(AS_OFS[0]) / "health.html")
    # nothing before the oldest run: compare_days (28) before its as_of
    assert data["compare_to"] == iso_utc(AS_OFS[0] - days(28))
    assert (arch / "latest").resolve().name == archive.stamp(AS_OFS[1])  # still the newest


# ----------------------------------------------------------------------------- retention
def fake_run(arch: Path, as_of: dt.datetime, **board: Any) -> Path:
    folder = arch / archive.stamp(as_of)
    folder.mkdir(parents=True)
    data = {
        "as_of": iso_utc(as_of),
        "exit_status": 0,
        "finished_at": iso_utc(as_of),
        "reports": [],
        "board": {"headlines": board},
    }
    (folder / "manifest.json").write_text(json.dumps(data))
    (folder / "index.html").write_text("board")
    return folder


def test_prune_keeps_the_newest_and_touches_nothing_else(tmp_path: Path) -> None:
    arch = tmp_path / "archive"
    folders = [fake_run(arch, T - days(30 * k), at_risk_hubs=k) for k in range(5)]
    (arch / "notes.txt").write_text("mine")
    (arch / "2020-01-01T000000Z").mkdir()  # no manifest: not a run
    archive.update(arch)
    status, out, _ = run_cli(["archive", "prune", str(arch), "--keep", "2", "--dry-run"])
    assert status == 0 and "would remove 3 runs" in out
    assert all(f.exists() for f in folders)
    status, out, _ = run_cli(["archive", "prune", str(arch), "--keep", "2"])
    assert status == 0 and "removed 3 runs" in out
    assert [f.exists() for f in folders] == [True, True, False, False, False]
    assert (arch / "notes.txt").read_text() == "mine" and (arch / "2020-01-01T000000Z").exists()
    index = (arch / "index.html").read_text()
    assert [a["data-run"] for _, a in parse_page(index).elements if "data-run" in a] == [
        folders[0].name,
        folders[1].name,
    ]
    assert (arch / "latest").resolve() == folders[0].resolve()
    assert not [p for p in arch.iterdir() if p.name.startswith(".")]


def test_prune_by_age(tmp_path: Path) -> None:
    arch = tmp_path / "archive"
    folders = [fake_run(arch, T - days(30 * k)) for k in range(4)]
    removed = archive.prune(arch, older_than_days=45, now=T)
    assert sorted(r.folder for r in removed) == sorted(folders[2:])
    assert [f.exists() for f in folders] == [True, True, False, False]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--keep", "0"], "positive integer"),
        ([], "say what to keep"),
    ],
)
def test_prune_bad_input_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    arch = tmp_path / "archive"
    fake_run(arch, T)
    status, _, err = run_cli(["archive", "prune", str(arch), *args])
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
    missing = run_cli(["archive", "prune", str(tmp_path / "nope"), "--keep", "1"])
    assert missing[0] == 2 and "does not exist" in missing[2]


def test_previous_as_of_is_the_run_before(tmp_path: Path) -> None:
    arch = tmp_path / "archive"
    for as_of in AS_OFS:
        fake_run(arch, as_of)
    assert archive.previous_as_of(arch, AS_OFS[2]) == AS_OFS[1]
    assert archive.previous_as_of(arch, AS_OFS[1] + days(1)) == AS_OFS[1]
    assert archive.previous_as_of(arch, AS_OFS[0]) is None
    assert archive.previous_as_of(tmp_path / "none", T) is None


def test_index_escapes_what_manifests_say(tmp_path: Path) -> None:
    arch = tmp_path / "archive"
    folder = fake_run(arch, T, at_risk_hubs=3)
    data = json.loads((folder / "manifest.json").read_text())
    data["source"] = "<script>alert(1)</script>"
    data["finished_at"] = "<img src=x onerror=alert(1)>"
    data["reports"] = [{"name": "<b>x</b>", "status": "failed"}]
    (folder / "manifest.json").write_text(json.dumps(data))
    fake_run(arch, T - days(1), at_risk_hubs=5)
    archive.update(arch)
    page = (arch / "index.html").read_text()
    assert "<img" not in page and "<b>x" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


# ----------------------------------------------------------------------------- manifest
def test_manifest_status_from_the_page(tmp_path: Path) -> None:
    page = (
        '<div class="ihub-headline" data-key="deployments" data-value=""></div>'
        '<div class="ihub-notice" data-kind="not-available">x</div>'
    )
    (tmp_path / "changes.html").write_text(page)
    entry = manifest._report_entry(tmp_path, manifest.ReportResult("changes"))
    assert entry["status"] == "not_available" and entry["headlines"] == {"deployments": None}
    (tmp_path / "changes.html").write_text(page.replace('data-value=""', 'data-value="3"'))
    entry = manifest._report_entry(tmp_path, manifest.ReportResult("changes"))
    assert entry["status"] == "rendered" and entry["headlines"] == {"deployments": 3}
    kept = manifest._report_entry(tmp_path, manifest.ReportResult("changes", in_run=False))
    assert kept["status"] == "kept"
    never = manifest._report_entry(tmp_path, manifest.ReportResult("health", in_run=False))
    assert never["status"] == "not_rendered" and never["file"] is None


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("3", {"k": 3}),
        ("0.25", {"k": 0.25}),
        ("1e3", {"k": 1000.0}),
        ("", {"k": None}),  # no value
        ("nan", {}),  # not a figure: left out
        ("inf", {}),
        ("north", {}),
    ],
)
def test_page_figures_are_numbers(raw: str, expected: dict[str, Any]) -> None:
    page = f'<div class="ihub-headline" data-key="k" data-value="{raw}"></div>'
    assert manifest.page_figures(page)[0] == expected


def test_the_schema_refuses_a_wrong_manifest() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate({"format_version": 1})
    jsonschema.Draft202012Validator.check_schema(manifest.schema())


# ----------------------------------------------------------------------------- the command line
def test_out_and_archive_together_are_bad_usage(tmp_path: Path) -> None:
    status, _, err = run_cli(
        ["report", "--out", str(tmp_path / "a"), "--archive", str(tmp_path / "b")]
    )
    assert status == 2 and "not both" in err
    (tmp_path / "file").write_text("x")
    status, _, err = run_cli(
        ["report", "--archive", str(tmp_path / "file"), "--source", str(tmp_path / "w.duckdb")]
    )
    assert status == 2 and "not a directory" in err


@slow
def test_archive_from_the_environment_and_json_log(
    world: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arch = tmp_path / "env-archive"
    monkeypatch.setenv(archive.ARCHIVE_ENV, str(arch))
    status, out, err = run_cli(
        ["report", "friction", "--source", world, "--as-of", iso_utc(T), "--log-format", "json"]
    )
    assert status == 0, err
    assert (arch / archive.stamp(T) / "friction.html").exists()
    records = [json.loads(line) for line in err.strip().splitlines()]
    assert {"time", "level", "event", "message"} <= set(records[0])
    # (a time warning may come first: the quick world's data ends before T)
    assert [r["event"] for r in records if r["event"] != "warning"] == [
        "report",
        "board",
        "finished",
    ]
    assert records[-1]["exit_status"] == 0 and out == ""
    status, out, err = run_cli(["report", "friction", "--source", world, "--quiet"])
    assert status == 0 and out == "" and err == ""
    status, _, err = run_cli(["report", "frictoin", "--log-format", "json"])
    assert status == 2 and json.loads(err)["level"] == "error"


@slow
def test_text_log_lines_carry_the_time_off_a_terminal(world: str, tmp_path: Path) -> None:
    status, out, err = run_cli(
        ["report", "friction", "--source", world, "--out", str(tmp_path / "out")]
    )
    assert status == 0, err
    for line in err.strip().splitlines():
        stamp, level, _ = line.split(" ", 2)
        assert dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).tzinfo is not None
        assert level in ("INFO", "ERROR")
    assert "review board:" in out
    validate(json.loads((tmp_path / "out" / "manifest.json").read_text()))
