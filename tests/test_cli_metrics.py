"""``ihub metrics KIND``: the contract's columns and value formats, flags, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from builder import T, World, days

from ihub_analysis.cli import METRIC_KINDS, main
from ihub_analysis.metrics.schemas import CONTRACT_COLUMNS


@pytest.fixture(scope="module")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    w = World()
    hub = w.hub("billing")
    pay = w.widget(hub, "Pay")
    w.spread(pay, 10, T - days(5), T - days(1), "error")
    for _ in range(3):
        w.annotation(pay, T - days(2), severity="critical")
    cand = w.candidate(pay, T - days(60), title="Pay form fails")
    dep = w.deployment(w.decision(T - days(40), candidate=cand), T - days(20), "pay@2")
    w.signal(pay, dep, T - days(19))
    w.evaluation(dep, 1, T - days(5))
    return w.to_duckdb(tmp_path_factory.mktemp("cli") / "world.duckdb")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("kind", METRIC_KINDS)
def test_csv_starts_with_the_contract_columns(
    kind: str, world_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "metrics", kind, "--source", world_file, "--format", "csv")
    assert code == 0, err
    header = next(csv.reader(io.StringIO(out)))
    assert header[: len(CONTRACT_COLUMNS[kind])] == CONTRACT_COLUMNS[kind]


def test_csv_value_formats(world_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "metrics", "friction", "--source", world_file, "--format", "csv")
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["regression_flag"] == "true"
    assert row["as_of"] == "2026-06-01T12:00:00Z"
    assert len(row["widget_id"]) == 36 and row["widget_id"].count("-") == 4
    assert (row["score"], row["band"]) == ("95", "red")  # 40 + 30 + 20 + 5 (one stale candidate)
    _, out, _ = run(capsys, "metrics", "changes", "--source", world_file, "--format", "csv")
    change = next(csv.DictReader(io.StringIO(out)))
    assert change["deployed_at"] == "2026-05-12T12:00:00Z"
    assert (change["verdict"], change["score"], change["did"]) == (
        "neutral",
        "1",
        "",
    )  # no controls
    _, out, _ = run(capsys, "metrics", "funnel", "--source", world_file, "--format", "csv")
    created = next(csv.DictReader(io.StringIO(out)))
    assert (created["step"], created["wip"], created["p50_days"]) == ("created", "", "")


def test_json_and_table(world_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "metrics", "health", "--source", world_file, "--format", "json")
    rows = json.loads(out)
    assert rows[0]["hub_slug"] == "billing" and isinstance(rows[0]["health_score"], int)
    _, out, _ = run(capsys, "metrics", "health", "--source", world_file)
    assert out.splitlines()[0].split()[:3] == ["hub_slug", "health_score", "band"]


def test_as_of_and_window_flags(world_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(
        capsys,
        "metrics",
        "friction",
        "--source",
        world_file,
        "--format",
        "json",
        "--as-of",
        "2026-05-01T00:00:00Z",
    )
    assert json.loads(out)[0]["as_of"] == "2026-05-01T00:00:00Z"
    _, out, _ = run(
        capsys,
        "metrics",
        "friction",
        "--source",
        world_file,
        "--format",
        "json",
        "--window-days",
        "1",
    )
    assert json.loads(out)[0]["interaction_count"] == 0
    _, out, _ = run(
        capsys,
        "metrics",
        "friction",
        "--source",
        world_file,
        "--format",
        "json",
        "--set",
        "error_event_types=crash",
    )
    assert json.loads(out)[0]["error_event_count"] == 0


def test_output_file(world_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "health.csv"
    code, out, _ = run(
        capsys, "metrics", "health", "--source", world_file, "--format", "csv", "-o", str(target)
    )
    assert code == 0 and out == ""
    assert target.read_text().startswith("hub_slug,health_score")


def test_missing_tables_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = World().to_duckdb(tmp_path / "old.duckdb", phase=2)
    code, out, err = run(capsys, "metrics", "changes", "--source", source)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert "deployment_records" in err and "Traceback" not in err
    code, _, _ = run(capsys, "metrics", "bottlenecks", "--source", source)
    assert code == 0


def test_default_source_from_environment(
    world_file: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IHUB_SOURCE", world_file)
    code, out, _ = run(capsys, "metrics", "health", "--format", "csv")
    assert code == 0 and "billing" in out
