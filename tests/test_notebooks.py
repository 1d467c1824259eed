"""The report notebooks: executed with Papermill parameters, checked with nbval (lax mode).

* On the small world of ``test_charts.py``: each notebook runs with injected
  parameters, its headline figures (``data-value``) equal the metric API's, and its
  charts render offline (``report_mode``).  Then ``pytest --nbval-lax`` runs the
  parameterised copies in a subprocess (its own config, so the project's
  ``filterwarnings = error`` applies to this suite, not to third-party kernels).
* On an empty database and a phase-1–2 database every report renders its
  notices (``no-data`` / ``not-available``), never a traceback.
* The HTML helpers of :mod:`ihub_analysis.notebook` keep their attribute contract.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import papermill
import polars as pl
import pytest
from builder import T, World
from test_charts import world_duckdb

import ihub_analysis
from ihub_analysis import notebook as nb
from ihub_analysis.timeutil import iso_utc

# jupyter_client/zmq may warn about their own internals while papermill drives a kernel
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore:.*Jupyter is migrating.*"),
]

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
REPORTS = ("friction_heatmap", "bottleneck_funnel", "health_trends", "change_evaluation")
ALL = (*REPORTS, "explore")
SETTINGS = {"weeks": 8}
HEADLINE = re.compile(r'<div class="ihub-headline" data-key="([^"]*)" data-value="([^"]*)">')
NOTICE = re.compile(r'<div class="ihub-notice" data-kind="([^"]*)"(?: data-missing="([^"]*)")?')


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Three sources: the small full world, an empty database, a phase-1–2 database."""
    root = tmp_path_factory.mktemp("nbdb")
    return {
        "world": world_duckdb(tmp_path_factory),
        "empty": World().to_duckdb(root / "empty.duckdb"),
        "phase2": world_duckdb(tmp_path_factory, weeks=4, phase=2),
    }


def _parameters(source: str) -> dict[str, Any]:
    return {
        "source": source,
        "as_of": iso_utc(T),
        "hubs": [],
        "settings": SETTINGS,
        "report_mode": True,
    }


def _execute(name: str, source: str, out: Path) -> nbformat.NotebookNode:
    executed = papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"),
        str(out / f"{name}.ipynb"),
        parameters=_parameters(source),
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
        cwd=str(out),
        execution_timeout=180,
    )
    return nbformat.from_dict(executed)


def _outputs(notebook: nbformat.NotebookNode) -> Iterator[dict[str, Any]]:
    for cell in notebook.cells:
        if cell.cell_type == "code":
            yield from cell.outputs


def _html(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for output in _outputs(notebook):
        text = output.get("data", {}).get("text/html", "")
        parts.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(parts)


def _assert_clean(notebook: nbformat.NotebookNode) -> None:
    for output in _outputs(notebook):
        assert output["output_type"] != "error", f"{output.get('ename')}: {output.get('evalue')}"
        if output["output_type"] == "stream":
            assert "Traceback" not in output["text"], output["text"]


def _headlines(notebook: nbformat.NotebookNode) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in HEADLINE.findall(_html(notebook))}


def _notices(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(kind, html.unescape(missing)) for kind, missing in NOTICE.findall(_html(notebook))]


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def expected_headlines(name: str, source: str) -> dict[str, str]:
    """The headline figures computed straight from the metric API."""
    with ihub_analysis.connect(source) as wb:
        kw: dict[str, Any] = {"as_of": T, **SETTINGS}
        if name == "friction_heatmap":
            f = wb.friction(**kw)
            return {
                "widgets": _s(f.height),
                "red_widgets": _s((f["band"] == "red").sum()),
                "amber_widgets": _s((f["band"] == "amber").sum()),
                "regressed_widgets": _s(f["regression_flag"].sum()),
                "mean_score": _s(round(f["score"].mean(), 1) if f.height else None),  # type: ignore[arg-type]
            }
        if name == "bottleneck_funnel":
            b, fu, fa = wb.bottlenecks(**kw), wb.funnel(**kw), wb.funnel_annotations(**kw)

            def reached(step: str) -> int:
                row = fu.filter((pl.col("hub_slug") == "all") & (pl.col("step") == step))
                return int(row["reached"][0]) if row.height else 0

            share = fa.filter(pl.col("hub_slug") == "all")["cited_share"]
            return {
                "bottlenecks": _s(b.height),
                "critical": _s((b["severity"] == "critical").sum()),
                "funnel_created": _s(reached("created")),
                "funnel_evaluated": _s(reached("evaluated")),
                "annotation_cited_share": _s(
                    round(share[0], 3) if share.len() and share[0] is not None else None
                ),
            }
        if name == "health_trends":
            h = wb.health(**kw)
            lowest = h.sort(["health_score", "hub_slug"])["hub_slug"]
            return {
                "hubs": _s(h.height),
                "at_risk_hubs": _s((h["band"] == "at_risk").sum()),
                "watch_hubs": _s((h["band"] == "watch").sum()),
                "mean_health": _s(round(h["health_score"].mean(), 1) if h.height else None),  # type: ignore[arg-type]
                "lowest_hub": _s(lowest[0] if h.height else None),
            }
        s = wb.changes_summary(**kw).row(0, named=True)

        def r(key: str, digits: int) -> str:
            return _s(None if s[key] is None else round(s[key], digits))

        return {
            "deployments": _s(s["deployments"]),
            "evaluated_share": r("evaluated_share", 3),
            "change_failure_rate": r("change_failure_rate", 3),
            "regressed": _s(s["regressed"]),
            "improved": _s(s["improved"]),
            "lead_time_p50_days": r("lead_time_p50_days", 1),
        }


# ----------------------------------------------------------------------------- notebook files
@pytest.mark.parametrize("name", ALL)
def test_notebook_is_stored_clean(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "stored with outputs"
    tagged = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    declared = papermill.inspect_notebook(str(NOTEBOOKS / f"{name}.ipynb"))
    assert {"source", "as_of", "hubs", "settings", "report_mode"} <= set(declared)
    assert declared["source"]["default"] == "None" and declared["report_mode"]["default"] == "False"


# ----------------------------------------------------------------------------- full world
@pytest.mark.parametrize("name", REPORTS)
def test_report_headlines_match_the_api(name: str, dbs: dict[str, str], tmp_path: Path) -> None:
    executed = _execute(name, dbs["world"], tmp_path)
    _assert_clean(executed)
    found = _headlines(executed)
    assert found == expected_headlines(name, dbs["world"])
    page = _html(executed)
    assert "vegaEmbed(" in page, "report mode draws charts with the offline renderer"
    assert not re.search(r"https?://|cdn\.", page), "no URL may reach a report page"
    assert ("not-available", "") not in _notices(executed)


def _nbval(
    tmp_path: Path, notebooks: list[Path], *, env: dict[str, str] | None = None, timeout: int
) -> None:
    """``pytest --nbval-lax`` on ``notebooks`` in a process of its own; every cell must run."""
    ini = tmp_path / "pytest.ini"
    ini.write_text("[pytest]\naddopts =\nfilterwarnings =\n    ignore::DeprecationWarning\n")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval-lax",
        "--nbval-current-env",
        "--nbval-cell-timeout=180",
        "-c",
        str(ini),
        "--rootdir",
        str(tmp_path),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-q",
        *map(str, notebooks),
    ]
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"\d+ passed", done.stdout) and "failed" not in done.stdout, done.stdout[
        -2000:
    ]


@pytest.mark.parametrize("name", ALL)
def test_nbval_lax(name: str, dbs: dict[str, str], tmp_path: Path) -> None:
    """``pytest --nbval-lax`` on the notebook with the world's parameters injected.

    Run with ``report_mode`` False: the JupyterLab path (Altair's default renderer).
    """
    target = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"),
        str(target),
        parameters={**_parameters(dbs["world"]), "report_mode": False},
        prepare_only=True,
        kernel_name="python3",
        progress_bar=False,
    )
    _nbval(tmp_path, [target], timeout=600)


# ----------------------------------------------------------------------------- degraded databases
@pytest.mark.parametrize("name", REPORTS)
def test_empty_database_shows_no_data_notices(
    name: str, dbs: dict[str, str], tmp_path: Path
) -> None:
    executed = _execute(name, dbs["empty"], tmp_path)
    _assert_clean(executed)
    kinds = [kind for kind, _ in _notices(executed)]
    assert "no-data" in kinds
    assert "not-available" not in kinds
    assert _headlines(executed) == expected_headlines(name, dbs["empty"])


@pytest.mark.parametrize("name", REPORTS)
def test_old_database_shows_not_available(name: str, dbs: dict[str, str], tmp_path: Path) -> None:
    executed = _execute(name, dbs["phase2"], tmp_path)
    _assert_clean(executed)
    notices = _notices(executed)
    if name in ("change_evaluation", "friction_heatmap"):
        (missing,) = [m for kind, m in notices if kind == "not-available"]
        assert "deployment_records" in missing.split(",")
        assert "deployment_records" in _html(executed)
    if name == "change_evaluation":
        assert _headlines(executed) == {}, "no figures without the tables they need"
    else:
        assert _headlines(executed) == expected_headlines(name, dbs["phase2"])


# ----------------------------------------------------------------------------- helpers (no kernel)
def test_headline_contract() -> None:
    markup = nb.headlines_html(
        [
            nb.Headline("mean_score", "Mean friction score", 23.4),
            ("evaluated_share", "Evaluated", 0.667, "%"),
            {"key": "change_failure_rate", "label": "CFR", "value": None, "unit": "%"},
            nb.Headline("lowest_hub", "Lowest", 'a"b<c>'),
        ]
    )
    assert HEADLINE.findall(markup) == [
        ("mean_score", "23.4"),
        ("evaluated_share", "0.667"),
        ("change_failure_rate", ""),
        ("lowest_hub", "a&quot;b&lt;c&gt;"),
    ]
    assert "66.7" in markup and "—" in markup
    single = nb.headline_html("widgets", "Widgets", 1200)
    assert 'data-key="widgets" data-value="1200"' in single and "1\u202f200" in single


def test_notice_contract() -> None:
    assert NOTICE.findall(nb.notice_html("no-data", "Nothing.")) == [("no-data", "")]
    markup = nb.notice_html("not-available", "Needs tables.", missing=["a", "b"])
    assert NOTICE.findall(markup) == [("not-available", "a,b")]
    with pytest.raises(ValueError):
        nb.notice_html("oops", "x")


def test_table_is_tidy() -> None:
    frame = pl.DataFrame(
        {
            "hub_slug": ["finance", "sales"],
            "score": [81, 12],
            "band": ["red", "green"],
            "error_rate": [0.1234, None],
            "when": [
                dt.datetime(2026, 5, 1, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
                None,
            ],
            "big": [1234567, 3],
        },
        schema_overrides={"when": pl.Datetime("us", "Europe/Berlin")},
    )
    markup = nb.table_html(
        frame,
        {
            "hub_slug": "Hub",
            "score": "Score",
            "band": "Band",
            "error_rate": "Errors",
            "when": "When",
            "big": "Big",
        },
        "Title",
        {"error_rate": "percent"},
    )
    assert "<th" in markup and ">index<" not in markup.lower()
    assert "2026-05-01 20:30 UTC" in markup, "timestamps shown in UTC"
    assert "12.3 %" in markup and "1\u202f234\u202f567" in markup
    assert "ihub-chip-red" in markup and "—" in markup
    assert markup.count("<tr>") == 3
    empty = nb.table_html(frame.clear(), ["hub_slug"], "Nothing", empty="Nothing here.")
    assert 'data-kind="no-data"' in empty


def test_style_and_section_are_self_contained() -> None:
    css = nb.style_html()
    assert (
        css.startswith("<style>")
        and "@import" not in css
        and "url(" not in css
        and "http" not in css
    )
    # pages are parsed for these attributes: the stylesheet must not look like one
    assert 'data-kind="' not in css and 'class="' not in css
    assert nb.section_html("A <title>", "One.\n\nTwo.").count("<p>") == 2


def test_connect_from_parameters(dbs: dict[str, str]) -> None:
    wb, as_of, used = nb.connect_from_parameters(
        dbs["world"], "2026-05-01T00:00:00+02:00", {"window_days": "14"}
    )
    with wb:
        assert as_of == dt.datetime(2026, 4, 30, 22, tzinfo=dt.UTC)
        assert used.window_days == 14 and wb.settings.window_days == 14
        assert wb.friction(as_of=as_of).height == 20
    wb, as_of, used = nb.connect_from_parameters(dbs["world"], None, {})
    with wb:
        assert as_of == T and used.differences() == {}


def test_load_turns_missing_tables_into_a_notice(
    dbs: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with ihub_analysis.connect(dbs["phase2"]) as wb:
        assert nb.load(wb, ["changes"], as_of=T) is None
        frames = nb.load(wb, ["friction", "funnel"], as_of=T, hubs=["sales"])
        assert frames is not None
        assert set(frames["friction"]["hub_slug"]) == {"sales"}
        assert "all" not in set(frames["funnel"]["hub_slug"])
    shown = capsys.readouterr().out
    assert (
        "HTML" in shown or "not-available" in shown or shown == ""
    )  # IPython display outside a kernel


def test_headline_helpers_follow_the_hub_filter(dbs: dict[str, str]) -> None:
    with ihub_analysis.connect(dbs["world"]) as wb:
        changes = wb.changes(as_of=T)
        summary = wb.changes_summary(as_of=T)
        unfiltered = {h.key: h.value for h in nb.change_headlines(changes, summary)}
        recomputed = {h.key: h.value for h in nb.change_headlines(changes)}
        assert unfiltered == recomputed, "the frame-based figures equal the API summary"
        sales = nb.filter_hubs(changes, ["sales"])
        figures = {h.key: h.value for h in nb.change_headlines(sales)}
        assert figures["deployments"] == sales.height
        funnel = nb.filter_hubs(wb.funnel(as_of=T), ["sales", "people"])
        annotations = nb.filter_hubs(wb.funnel_annotations(as_of=T), ["sales", "people"])
        stalled = nb.filter_hubs(wb.bottlenecks(as_of=T), ["sales", "people"])
        heads = {h.key: h.value for h in nb.bottleneck_headlines(stalled, funnel, annotations)}
        created = funnel.filter(pl.col("step") == "created")["reached"].sum()
        assert heads["funnel_created"] == created
        assert json.dumps(heads)  # plain values


# ----------------------------------------------------------------- as JupyterLab runs them
def _project(root: Path, source: str | None) -> Path:
    """A project-shaped folder: ``notebooks/`` as stored and, if given, ``data/demo.duckdb``."""
    (root / "notebooks").mkdir(parents=True)
    for name in ALL:
        shutil.copy(NOTEBOOKS / f"{name}.ipynb", root / "notebooks" / f"{name}.ipynb")
    if source is not None:
        (root / "data").mkdir()
        shutil.copy(source, root / "data" / "demo.duckdb")
    return root / "notebooks"


def _env_without_source() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "IHUB_SOURCE"}


@pytest.mark.slow
def test_every_notebook_runs_as_jupyterlab_opens_it(dbs: dict[str, str], tmp_path: Path) -> None:
    """nbval on the stored notebooks, kernel in ``notebooks/``, no ``IHUB_SOURCE``, no parameters.

    This is ``make lab`` → open → Run All: the default source must be found from the
    project, and every chart must be drawable offline (the inlined Vega bundle).
    """
    folder = _project(tmp_path / "project", dbs["world"])
    _nbval(
        tmp_path,
        [folder / f"{name}.ipynb" for name in ALL],
        env=_env_without_source(),
        timeout=900,
    )


def _papermill_cli(
    folder: Path, name: str, *args: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = folder.parent / f"{name}-out.ipynb"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            f"{name}.ipynb",
            str(out),
            "--cwd",
            ".",
            "--kernel",
            "python3",
            "--no-progress-bar",
            *args,
        ],
        cwd=folder,
        env=_env_without_source(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done, out


@pytest.mark.slow
def test_papermill_cli_accepts_the_natural_parameter_forms(
    dbs: dict[str, str], tmp_path: Path
) -> None:
    """``-p hubs a,b`` and ``-p settings '{json}'`` as a scheduler writes them, from notebooks/."""
    folder = _project(tmp_path / "project", dbs["world"])
    done, out = _papermill_cli(
        folder,
        "friction_heatmap",
        "-p",
        "hubs",
        "sales,people",
        "-p",
        "settings",
        '{"window_days": 14}',
        "-p",
        "as_of",
        iso_utc(T),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    executed = nbformat.read(out, as_version=4)
    _assert_clean(executed)
    page = _html(executed)
    assert "<code>window_days=14</code>" in page
    assert "hubs: <code>sales</code>, <code>people</code>" in page
    with ihub_analysis.connect(dbs["world"]) as wb:
        friction = wb.friction(as_of=T, window_days=14)
    expected = friction.filter(pl.col("hub_slug").is_in(["sales", "people"])).height
    assert _headlines(executed)["widgets"] == str(expected) and expected > 0


@pytest.mark.slow
def test_papermill_cli_unknown_hub_names_the_hubs_that_exist(
    dbs: dict[str, str], tmp_path: Path
) -> None:
    folder = _project(tmp_path / "project", dbs["world"])
    done, out = _papermill_cli(folder, "health_trends", "-y", "hubs: [nosuch-hub]")
    assert done.returncode != 0
    assert "this database has no hub 'nosuch-hub'; its hubs are: " in done.stderr
    executed = nbformat.read(out, as_version=4)
    assert ("unknown-hub", "") in _notices(executed)
    assert "No widget existed" not in _html(executed), "not the misleading no-data notice"


def test_no_source_anywhere_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing to open: the first cell says what to do, with no traceback."""
    from ihub_analysis import paths

    folder = _project(tmp_path / "bare", None)
    monkeypatch.delenv("IHUB_SOURCE", raising=False)
    monkeypatch.chdir(folder)
    monkeypatch.setattr(paths, "_CHECKOUT", tmp_path / "no-checkout")
    with pytest.raises(nb.NotebookStop) as info:
        nb.setup(None, None, {}, [])
    assert str(info.value) == paths.NO_SOURCE_HINT
    assert info.value._render_traceback_() == [paths.NO_SOURCE_HINT]
    assert "make demo" in paths.NO_SOURCE_HINT and "IHUB_SOURCE" in paths.NO_SOURCE_HINT


@pytest.mark.slow
def test_a_missing_source_stops_the_kernel_with_one_line(tmp_path: Path) -> None:
    folder = _project(tmp_path / "project", None)
    done, out = _papermill_cli(folder, "explore", "-p", "source", "nowhere/x.duckdb")
    assert done.returncode != 0
    executed = nbformat.read(out, as_version=4)
    (error,) = [o for o in _outputs(executed) if o["output_type"] == "error"]
    assert error["traceback"] == ["no such DuckDB file: nowhere/x.duckdb"]


def test_default_source_is_found_from_notebooks_folder(
    dbs: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ihub_analysis import paths

    folder = _project(tmp_path / "project", dbs["world"])
    monkeypatch.delenv("IHUB_SOURCE", raising=False)
    monkeypatch.chdir(folder)
    assert paths.default_source() == str(tmp_path / "project" / "data" / "demo.duckdb")
    monkeypatch.chdir(folder.parent)
    assert paths.default_source() == "data/demo.duckdb"
    monkeypatch.setenv("IHUB_SOURCE", "elsewhere.duckdb")
    assert paths.default_source() == "elsewhere.duckdb"
    monkeypatch.delenv("IHUB_SOURCE")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(paths, "_CHECKOUT", tmp_path / "project")
    (tmp_path / "project" / "pyproject.toml").write_text("")
    assert paths.default_source() == str(tmp_path / "project" / "data" / "demo.duckdb")


@pytest.mark.slow
def test_nbconvert_html_export_draws_offline(dbs: dict[str, str], tmp_path: Path) -> None:
    """``jupyter nbconvert --to html --execute`` without report_mode: Vega inlined, no CDN."""
    folder = _project(tmp_path / "project", dbs["world"])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "html",
            "--execute",
            "explore.ipynb",
        ],
        cwd=folder,
        env=_env_without_source(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    page = (folder / "explore.html").read_text(encoding="utf-8")
    assert page.count('data-ihub="vega-bundle"') == 1
    assert "window.vegaEmbed=" in page and page.count("vegaEmbed(el, spec") >= 3
    scripts = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", page)
    assert not [s for s in scripts if "vega" in s], "Vega never comes from a CDN"
    assert "cdn.jsdelivr" not in page
