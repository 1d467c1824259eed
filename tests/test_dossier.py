"""The hub dossier: one notebook per hub, rendered for busy, quiet and missing data."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest
from builder import T, World, days
from test_evidence import HOSTILE, evidence_world

import ihub_analysis
from ihub_analysis.cli import main
from ihub_analysis.metrics.evidence import excerpt
from ihub_analysis.reports.catalog import dossier_name
from ihub_analysis.timeutil import iso_utc

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore:.*Jupyter is migrating.*"),
]

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "hub_dossier.ipynb"
HEADLINE = re.compile(r'<div class="ihub-headline" data-key="([^"]*)" data-value="([^"]*)">')
DELTA = re.compile(r'data-delta="([^"]*)" data-baseline-value="([^"]*)"')


def execute(source: str, out: Path, **parameters: Any) -> str:
    """Run the dossier with Papermill; every HTML output joined, after checking for errors."""
    executed = papermill.execute_notebook(
        str(NOTEBOOK),
        str(out / "dossier.ipynb"),
        parameters={"source": source, "as_of": iso_utc(T), "report_mode": True, **parameters},
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
        cwd=str(out),
        execution_timeout=180,
    )
    parts = []
    for cell in nbformat.from_dict(executed).cells:
        for output in cell.get("outputs", []):
            error = f"{output.get('ename')}: {output.get('evalue')}"
            assert output["output_type"] != "error", error
            if output["output_type"] == "stream":
                assert "Traceback" not in output["text"], output["text"]
            text = output.get("data", {}).get("text/html", "")
            parts.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    world, _ = evidence_world()
    world.hub("quiet")  # a hub with no widget, candidate or item at all
    return world.to_duckdb(tmp_path_factory.mktemp("dossier") / "world.duckdb")


def test_dossier_of_a_busy_hub(world_file: str, tmp_path: Path) -> None:
    page = execute(world_file, tmp_path, hub="billing", compare_to="-28d")
    with ihub_analysis.connect(world_file) as wb:
        health = wb.health(as_of=T).row(0, named=True)
        before = wb.health(as_of=T - days(28)).row(0, named=True)
    headlines = dict(HEADLINE.findall(page))
    assert headlines["health_score"] == str(health["health_score"])
    assert headlines["red_widgets"] == "1" and headlines["open_candidates"] == "3"
    found = DELTA.search(page[page.index('data-key="health_score"') :])
    assert found is not None
    delta, previous = found.groups()
    assert (int(delta), int(previous)) == (
        health["health_score"] - before["health_score"],
        before["health_score"],
    )
    for heading in (
        "Health of billing",
        "What costs it points",
        "Its widgets&#x27; friction",
        "Stalled items",
        "Deployments and verdicts",
        "What changed since 2026-05-04 12:00 UTC: friction",
        "What changed since 2026-05-04 12:00 UTC: bottlenecks",
    ):
        assert f"<h2>{heading}</h2>" in page, heading
    # what users said: the excerpt, escaped, never its author
    assert "<script>alert" not in page
    assert html.escape(excerpt(HOSTILE)[:40], quote=True) in page
    assert "Secretname" not in page
    assert "pay@2" in page  # the deployment that regressed the widget, under its deduction


def test_dossier_of_a_hub_with_no_data(world_file: str, tmp_path: Path) -> None:
    page = execute(world_file, tmp_path, hub="quiet")
    headlines = dict(HEADLINE.findall(page))
    assert headlines["health_score"] == "100"
    assert all(headlines[k] == "0" for k in ("open_candidates", "red_widgets"))
    assert "The hub has no widget at the report date." in page
    assert 'data-kind="not-available"' not in page


def test_dossier_without_a_hub_picks_the_lowest_health(world_file: str, tmp_path: Path) -> None:
    page = execute(world_file, tmp_path)
    assert "<h2>Health of billing</h2>" in page


def test_dossier_on_an_empty_database(tmp_path: Path) -> None:
    page = execute(World().to_duckdb(tmp_path / "empty.duckdb"), tmp_path)
    assert 'data-kind="no-data"' in page and "No hub exists" in page
    assert HEADLINE.findall(page) == []


def test_dossier_on_an_older_database(tmp_path: Path) -> None:
    world, _ = evidence_world()
    page = execute(world.to_duckdb(tmp_path / "p1.duckdb", phase=1), tmp_path, hub="billing")
    assert 'data-kind="not-available"' in page
    assert "What changed since" in page  # friction still compares on an older database


def test_report_hub_renders_a_dossier_per_hub_linked_from_the_board(
    world_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    code = main(["report", "hub", "--source", world_file, "--out", str(out), "--jobs", "2"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert {p.name for p in out.glob("hub-*.html")} == {"hub-billing.html", "hub-quiet.html"}
    board = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="hub-billing.html" class="dossier-link"' in board
    assert 'id="since"' in board and 'data-baseline="2026-05-04T12:00:00Z"' in board
    dossier = (out / "hub-billing.html").read_text(encoding="utf-8")
    assert "compare_to" in dossier and "2026-05-04T12:00:00Z" in dossier  # footer parameters
    assert not (out / "friction.html").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["hub", "--hub", "nope"], "no hub 'nope'"),
        (["--hub", "quiet'; --"], "no hub"),
        (["hub", "--compare-to", "2027-01-01"], "must be before"),
        (["hub", "--compare-to", "soon"], "invalid baseline"),
    ],
)
def test_report_hub_bad_input_exits_2_before_writing(
    args: list[str],
    needle: str,
    world_file: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "reports"
    code = main(["report", *args, "--source", world_file, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(
    "slug", ["../../etc", "a/b", "Big Hub", "é", "", ".", "x" * 300, "CON", "hub\x00"]
)
def test_dossier_file_names_stay_in_the_folder(slug: str) -> None:
    name = dossier_name(slug)
    assert re.fullmatch(r"hub-[a-z0-9_-]+", name) and len(name) < 80
    assert dossier_name(slug) != dossier_name(slug + "-") or slug.endswith("-")


def test_plain_slugs_keep_their_name() -> None:
    assert dossier_name("checkout-flow") == "hub-checkout-flow"
    assert dossier_name("a_b-9") == "hub-a_b-9"


@pytest.mark.slow
def test_dossier_for_every_synthetic_hub(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from ihub_analysis import synth

    source = tmp_path / "synth.duckdb"
    synth.synthesize_duckdb(source, events=8000, seed=3, end=synth.DEFAULT_END, progress=False)
    with ihub_analysis.connect(str(source)) as wb:
        hubs = wb.health()["hub_slug"].to_list()
    out = tmp_path / "reports"
    code = main(["report", "hub", "--source", str(source), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    for slug in hubs:
        page = (out / f"{dossier_name(slug)}.html").read_text(encoding="utf-8")
        assert f"<h2>Health of {slug}</h2>" in page
        assert "What changed since" in page and "Traceback" not in page
