"""``ihub report``: self-contained HTML reports, the review board, failures and secrets.

Each rendering is done once per test session (it costs seconds), shared by the
tests that inspect it and with ``test_browser``.  Headline figures are parsed
from the HTML and recomputed from the workbench, so a report can never drift
from the metric API.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import math
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import nbformat
import polars as pl
import psycopg
import pytest
from builder import T, World, days

import ihub_analysis
from ihub_analysis import cli, synth
from ihub_analysis.reports.catalog import NOTEBOOKS_ENV, REPORTS, notebooks_dir
from ihub_analysis.reports.kernel import kernel_source, kernel_transport
from ihub_analysis.timeutil import iso_utc

#: Tests that render reports take seconds (they share renderings, see ``once``).
slow = pytest.mark.slow

NAMES = tuple(REPORTS)
#: The headline keys every report shows (the contract with the notebooks) and the board's.
HEADLINE_KEYS = {
    "friction": {"widgets", "red_widgets", "amber_widgets", "regressed_widgets", "mean_score"},
    "bottlenecks": {
        "bottlenecks",
        "critical",
        "funnel_created",
        "funnel_evaluated",
        "annotation_cited_share",
    },
    "health": {"hubs", "at_risk_hubs", "watch_hubs", "mean_health", "lowest_hub"},
    "changes": {
        "deployments",
        "evaluated_share",
        "change_failure_rate",
        "regressed",
        "improved",
        "lead_time_p50_days",
    },
    "index": {
        "hubs",
        "at_risk_hubs",
        "red_widgets",
        "open_bottlenecks",
        "critical_bottlenecks",
        "patterns",
    },
}
PAGES = (*NAMES, "index")


# ----------------------------------------------------------------------------- helpers
@dataclass(frozen=True)
class Run:
    """One ``ihub report`` invocation and what it left behind."""

    status: int
    stdout: str
    stderr: str
    out: Path
    source: str

    def page(self, name: str) -> str:
        return (self.out / f"{name}.html").read_text(encoding="utf-8")

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({**asdict(self), "out": str(self.out)}), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Run:
        fields = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{**fields, "out": Path(fields["out"])})


def run_ihub(args: list[str], out: Path, source: str) -> Run:
    """``ihub report`` through the real CLI entry point, capturing its output."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = cli.main(["report", *args, "--out", str(out), "--source", source])
    return Run(status, stdout.getvalue(), stderr.getvalue(), out, source)


class _Elements(HTMLParser):
    """Collects every start tag with its attributes, and the text of scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self.styles: list[str] = []
        self._open: tuple[str, dict[str, str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.tags.append((tag, found))
        if tag in ("script", "style"):
            self._open = (tag, found)

    def handle_data(self, data: str) -> None:
        if self._open and self._open[0] == "script":
            self.scripts.append((self._open[1], data))
        elif self._open and self._open[0] == "style":
            self.styles.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == self._open[0]:
            self._open = None


def parse(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    parser.close()
    return parser


def headlines(page: str) -> dict[str, str]:
    return {
        attrs["data-key"]: attrs["data-value"]
        for tag, attrs in parse(page).tags
        if "ihub-headline" in attrs.get("class", "").split() and "data-key" in attrs
    }


def notices(page: str) -> list[str]:
    return [
        a["data-kind"] for _, a in parse(page).tags if "ihub-notice" in a.get("class", "").split()
    ]


def footer(page: str) -> dict[str, str]:
    for tag, attrs in parse(page).tags:
        if tag == "footer" and "ihub-provenance" in attrs.get("class", ""):
            return attrs
    raise AssertionError("no provenance footer")


URL = re.compile(r"https?://", re.I)
#: Attributes whose value the browser fetches (or runs) by itself.
FETCHING_ATTRS = {
    "src",
    "srcset",
    "data",
    "poster",
    "background",
    "action",
    "formaction",
    "xlink:href",
    "manifest",
    "ping",
    "codebase",
    "archive",
    "longdesc",
}


def external_references(page: str) -> list[str]:
    """Everything in ``page`` that could make a browser go to the network.

    The definition of "self-contained":
    * no ``<script src>``, ``<iframe>``, ``<object>``, ``<embed>``, ``<base>``, and no ``<link>``
      other than to a ``data:`` URI; a fetching attribute (``src``, ``srcset``, ``data``,
      ``poster``…) holds only a ``data:`` URI or a fragment;
    * stylesheets (``<style>`` and ``style=``) have no ``@import`` and only ``url(data:…)``
      or ``url(#…)``;
    * outside the one inlined Vega bundle (vendored library code whose ``http`` strings are
      XML namespaces and help links, never fetched — the browser test proves it), an
      ``http://`` or ``https://`` may appear only as the ``href`` of an ``<a>`` (a plain
      hyperlink, followed only if clicked) or in visible text; never in any other attribute,
      script or stylesheet.
    """
    doc = parse(page)
    found: list[str] = []
    for tag, attrs in doc.tags:
        if tag in ("iframe", "object", "embed", "base", "frame", "applet"):
            found.append(f"<{tag}>")
        if tag == "script" and "src" in attrs:
            found.append(f"<script src={attrs['src']}>")
        if tag == "link" and not attrs.get("href", "").startswith("data:"):
            found.append(f"<link href={attrs.get('href')}>")
        for name, value in attrs.items():
            fetched = name in FETCHING_ATTRS and not value.startswith(("data:", "#"))
            hyperlink = tag == "a" and name == "href"
            if fetched or (URL.search(value) and not hyperlink):
                found.append(f"<{tag} {name}={value[:80]}>")
            if name == "style":
                found += _css_references(value)
    for css in doc.styles:
        found += _css_references(css)
    for attrs, code in doc.scripts:
        if attrs.get("id") != "ihub-vega-bundle" and URL.search(code):
            found.append(f"script: {code[URL.search(code).start() :][:80]}")  # type: ignore[union-attr]
    return found


def _css_references(css: str) -> list[str]:
    found = [f"@import {m[:60]}" for m in re.findall(r"@import[^;]*", css, re.I)]
    for target in re.findall(r"url\(\s*['\"]?([^'\")\s]*)", css, re.I):
        if not target.startswith(("data:", "#")):
            found.append(f"url({target})")
    return found


def as_number(text: str) -> float | None:
    return None if text == "" else float(text)


def close(shown: str, expected: float | int | None, digits: int) -> bool:
    """A headline's ``data-value`` against the API's value rounded to the contract's digits."""
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return shown == ""
    value = as_number(shown)
    return (
        value is not None
        and abs(value - round(float(expected), digits)) < 10 ** (-digits) / 2 + 1e-9
    )


def expected_headlines(
    wb: ihub_analysis.Workbench, name: str, as_of: str, **settings: Any
) -> dict[str, Any]:
    """The contract's headline figures, computed from the metric API directly."""
    if name == "friction":
        fr = wb.friction(as_of=as_of, **settings)
        return {
            "widgets": fr.height,
            "red_widgets": fr.filter(pl.col("band") == "red").height,
            "amber_widgets": fr.filter(pl.col("band") == "amber").height,
            "regressed_widgets": fr.filter(pl.col("regression_flag")).height,
            "mean_score": (fr["score"].mean(), 1) if fr.height else (None, 1),
        }
    if name == "bottlenecks":
        bn = wb.bottlenecks(as_of=as_of, **settings)
        funnel = wb.funnel(as_of=as_of, **settings).filter(pl.col("hub_slug") == "all")
        cited = wb.funnel_annotations(as_of=as_of, **settings).filter(pl.col("hub_slug") == "all")

        def reached(step: str) -> int:
            rows = funnel.filter(pl.col("step") == step)
            return int(rows["reached"][0]) if rows.height else 0

        return {
            "bottlenecks": bn.height,
            "critical": bn.filter(pl.col("severity") == "critical").height,
            "funnel_created": reached("created"),
            "funnel_evaluated": reached("evaluated"),
            "annotation_cited_share": (cited["cited_share"][0] if cited.height else None, 3),
        }
    if name == "health":
        h = wb.health(as_of=as_of, **settings)
        lowest = h.sort(["health_score", "hub_slug"])
        return {
            "hubs": h.height,
            "at_risk_hubs": h.filter(pl.col("band") == "at_risk").height,
            "watch_hubs": h.filter(pl.col("band") == "watch").height,
            "mean_health": (h["health_score"].mean() if h.height else None, 1),
            "lowest_hub": lowest["hub_slug"][0] if h.height else "",
        }
    if name == "changes":
        s = wb.changes_summary(as_of=as_of, **settings).row(0, named=True)
        return {
            "deployments": s["deployments"],
            "evaluated_share": (s["evaluated_share"], 3),
            "change_failure_rate": (s["change_failure_rate"], 3),
            "regressed": s["regressed"],
            "improved": s["improved"],
            "lead_time_p50_days": (s["lead_time_p50_days"], 1),
        }
    fr, bn = wb.friction(as_of=as_of, **settings), wb.bottlenecks(as_of=as_of, **settings)
    h = wb.health(as_of=as_of, **settings)
    return {
        "hubs": h.height,
        "at_risk_hubs": h.filter(pl.col("band") == "at_risk").height,
        "red_widgets": fr.filter(pl.col("band") == "red").height,
        "open_bottlenecks": bn.height,
        "critical_bottlenecks": bn.filter(pl.col("severity") == "critical").height,
        "patterns": wb.propagation(as_of=as_of, **settings).height,
    }


def assert_headlines_match(
    page: str, wb: ihub_analysis.Workbench, name: str, **settings: Any
) -> None:
    shown = headlines(page)
    assert set(shown) == HEADLINE_KEYS[name], f"{name}: headline keys {sorted(shown)}"
    for key, expected in expected_headlines(
        wb, name, footer(page)["data-as-of"], **settings
    ).items():
        if isinstance(expected, tuple):
            assert close(shown[key], *expected), (
                f"{name}.{key}: shown {shown[key]!r}, API {expected}"
            )
        else:
            assert shown[key] == str(expected), (
                f"{name}.{key}: shown {shown[key]!r}, API {expected!r}"
            )


def copy_notebooks(target: Path) -> Path:
    shutil.copytree(notebooks_dir(), target)
    return target


def cell_index(nb: nbformat.NotebookNode, needle: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and needle in c.source)


# ----------------------------------------------------------------------------- renderings
# Rendering takes seconds, so each one is done once per test session and shared, also
# between pytest-xdist workers (xdist_group does not group here) and with test_browser.
@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def session_folder(factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder every xdist worker of this session sees (the session's own without xdist)."""
    base = factory.getbasetemp()
    return base if worker_id == "master" else base.parent


def once(folder: Path, name: str, produce: Callable[[Path], Run]) -> Run:
    """``produce(folder / name)`` the first time any worker asks; its recorded result after."""
    record = folder / name / "run.json"
    with _locked(folder / f"{name}.lock"):
        if not record.exists():
            record.parent.mkdir(parents=True, exist_ok=True)
            produce(record.parent).save(record)
    return Run.load(record)


def render_synthetic(folder: Path) -> Run:
    """Every report and the board from a small synthetic snapshot with data for every chart."""
    source = folder / "synthetic.duckdb"
    synth.synthesize_duckdb(source, events=20_000, seed=7, end=synth.DEFAULT_END, progress=False)
    return run_ihub([], folder / "reports", str(source))


def synthetic_reports(factory: pytest.TempPathFactory, worker_id: str) -> Run:
    return once(session_folder(factory, worker_id), "synthetic", render_synthetic)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Run:
    return synthetic_reports(tmp_path_factory, worker_id)


@pytest.fixture(scope="module")
def workbench(rendered: Run) -> Iterator[ihub_analysis.Workbench]:
    with ihub_analysis.connect(rendered.source) as wb:
        yield wb


def render_broken(rendered: Run) -> Callable[[Path], Run]:
    """``health`` with a cell broken on purpose, beside a good ``friction``, over a previous run.

    Rendered with ``--window-days 14`` so the footer must show a changed setting.
    """

    def produce(folder: Path) -> Run:
        notebooks = copy_notebooks(folder / "notebooks")
        path = notebooks / REPORTS["health"].notebook
        nb = nbformat.read(path, as_version=4)
        cell = nb.cells[cell_index(nb, "nb.load(")]
        cell.source = f"{BROKEN_LINE}\n{cell.source}"
        nbformat.write(nb, path)
        out = folder / "reports"
        out.mkdir()
        for name in ("health", "friction"):
            shutil.copy(rendered.out / f"{name}.html", out / f"{name}.html")
        shutil.copy(out / "health.html", folder / "previous-health.html")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(NOTEBOOKS_ENV, str(notebooks))
            return run_ihub(["health", "friction", "--window-days", "14"], out, rendered.source)

    return produce


BROKEN_LINE = "undefined_helper()  # broken on purpose"


@pytest.fixture(scope="module")
def broken(
    rendered: Run, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> tuple[Run, int, bytes]:
    """(the run, the broken cell's index, the health page before the run)."""
    folder = session_folder(tmp_path_factory, worker_id)
    run = once(folder, "broken", render_broken(rendered))
    nb = nbformat.read(folder / "broken" / "notebooks" / REPORTS["health"].notebook, as_version=4)
    previous = (folder / "broken" / "previous-health.html").read_bytes()
    return run, cell_index(nb, BROKEN_LINE), previous


# ----------------------------------------------------------------------------- every report
@slow
def test_every_report_and_the_board_are_written(rendered: Run) -> None:
    assert rendered.status == 0, rendered.stderr
    for name in NAMES:
        assert (
            rendered.out / f"{name}.html"
        ).stat().st_size > 100_000  # charts and the Vega bundle
        executed = nbformat.read(rendered.out / f"{name}.ipynb", as_version=4)
        errors = [
            o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"
        ]
        assert not errors
    assert (rendered.out / "index.html").exists()
    assert not (rendered.out / "failed").exists()
    assert not [p for p in rendered.out.rglob("*") if ".partial-" in p.name]


@slow
def test_progress_is_one_line_per_report_and_the_board_is_named(rendered: Run) -> None:
    for name in NAMES:
        lines = [ln for ln in rendered.stderr.splitlines() if f"report {name}: done in" in ln]
        assert len(lines) == 1, rendered.stderr
    assert "review board:" in rendered.stdout
    assert str((rendered.out / "index.html").resolve()) in rendered.stdout


@slow
@pytest.mark.parametrize("name", PAGES)
def test_headline_figures_equal_the_metric_api(
    rendered: Run, workbench: ihub_analysis.Workbench, name: str
) -> None:
    assert_headlines_match(rendered.page(name), workbench, name)


@slow
@pytest.mark.parametrize("name", PAGES)
def test_footer_tells_how_to_reproduce(
    rendered: Run, workbench: ihub_analysis.Workbench, name: str
) -> None:
    page = rendered.page(name)
    attrs = footer(page)
    as_of = iso_utc(workbench.default_as_of())
    assert attrs["data-source"] == str(Path(rendered.source).resolve())
    assert attrs["data-as-of"] == as_of == attrs["data-taken-at"]
    assert attrs["data-version"] == ihub_analysis.__version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", attrs["data-generated-at"])
    assert "the defaults of docs/metrics.md" in page
    assert re.search(r"All \d+ settings used", page)
    assert f"--as-of {as_of}" in page


@slow
@pytest.mark.parametrize("name", PAGES)
def test_pages_are_self_contained(rendered: Run, name: str) -> None:
    page = rendered.page(name)
    assert external_references(page) == []
    bundles = page.count('<script id="ihub-vega-bundle">')
    charts = page.count('class="ihub-chart"')
    assert bundles == (1 if charts else 0)
    assert not re.search(r"require\.js|mathjax|cdn\.jsdelivr|cdnjs|unpkg", page, re.I)


def test_the_self_containment_check_catches_references() -> None:
    bad = [
        '<script src="https://cdn.example/x.js"></script>',
        '<link rel="stylesheet" href="https://fonts.example/css">',
        "<style>@import url(https://fonts.example/a.css);</style>",
        '<div style="background: url(https://img.example/a.png)"></div>',
        '<img src="https://img.example/a.png">',
        '<img src="pic.png">',
        "<script>fetch('https://api.example/')</script>",
        '<div data-x="http://tracker.example/"></div>',
    ]
    for snippet in bad:
        assert external_references(snippet), snippet
    fine = (
        '<a href="https://example.org/">docs</a> see https://example.org'
        '<img src="data:image/png;base64,AA">'
    )
    assert external_references(fine) == []


@slow
@pytest.mark.parametrize("name", NAMES)
def test_no_code_prompts_or_parameters_in_html(rendered: Run, name: str) -> None:
    page = rendered.page(name)
    main = page[page.index("<main") : page.index("</main>")]
    assert not re.search(
        r"jp-InputArea-editor|jp-CodeMirrorEditor|jp-InputPrompt|jp-OutputPrompt", page
    )
    assert not re.search(r"In&nbsp;\[|Out\[\d*\]|class=\"highlight", page)
    executed = nbformat.read(rendered.out / f"{name}.ipynb", as_version=4)
    for cell in executed.cells:
        if cell.cell_type == "code":
            assert cell.source.splitlines()[0] not in main, cell.source
    hidden = [
        c
        for c in executed.cells
        if {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))
    ]
    assert len(hidden) == 2
    for cell in hidden:
        assert f'id="cell-id={cell.id}"' not in page


@slow
def test_executed_notebook_has_the_parameters_for_audit(rendered: Run) -> None:
    executed = nbformat.read(rendered.out / "friction.ipynb", as_version=4)
    passed = executed.metadata.papermill.parameters
    assert passed["source"] == str(Path(rendered.source).resolve())
    assert passed["report_mode"] is True
    assert passed["settings"] == {}


@slow
def test_board_links_resolve_and_reports_link_back(rendered: Run) -> None:
    links = [
        a["href"] for tag, a in parse(rendered.page("index")).tags if tag == "a" and "href" in a
    ]
    assert {f"{n}.html" for n in NAMES} <= set(links)
    for href in links:
        assert href.startswith("#") or (rendered.out / href).is_file(), href
    for name in NAMES:
        assert 'href="index.html"' in rendered.page(name)


@slow
def test_board_shows_health_matrix_friction_bottlenecks_and_patterns(
    rendered: Run, workbench: ihub_analysis.Workbench
) -> None:
    page = rendered.page("index")
    hubs = workbench.health()["hub_slug"].to_list()
    assert all(f'data-hub="{h}"' in page for h in hubs)
    worst = workbench.friction().filter(pl.col("score") > 0).head(10)["widget_id"].to_list()
    assert re.findall(r'data-widget="([^"]+)"', page) == worst
    for stage in ("candidate", "requirement", "decision", "observation"):
        assert f'data-stage="{stage}"' in page
    for key in workbench.propagation()["key"].to_list():
        assert f"<code>{key}</code>" in page
    assert notices(page) == []


# ----------------------------------------------------------------------------- failures
@slow
def test_failing_notebook_names_the_cell_and_keeps_the_previous_html(
    broken: tuple[Run, int, bytes],
) -> None:
    run, index, previous = broken
    assert run.status == 1, run.stderr
    message = next(ln for ln in run.stderr.splitlines() if "report health" in ln)
    assert f"cell {index}" in message
    assert "undefined_helper()  # broken on purpose" in message
    assert "NameError: name 'undefined_helper' is not defined" in message
    assert (run.out / "health.html").read_bytes() == previous
    kept = nbformat.read(run.out / "failed" / "health.ipynb", as_version=4)
    assert any(o.output_type == "error" for c in kept.cells for o in c.get("outputs", []))
    assert not (run.out / "health.ipynb").exists()
    assert "health" in run.stderr.splitlines()[-1]


@slow
def test_other_reports_still_render_with_the_settings_shown(
    broken: tuple[Run, int, bytes], workbench: ihub_analysis.Workbench
) -> None:
    run, _, _ = broken
    page = run.page("friction")
    assert "<code>window_days</code></td><td><code>14</code>" in page
    assert "--set window_days=14" in page
    assert_headlines_match(page, workbench, "friction", window_days=14)
    board = run.page("index")
    assert 'data-report="health" data-status="failed"' in board
    assert 'href="failed/health.ipynb"' in board
    assert 'href="health.html"' in board  # the last good report stays reachable


def test_bad_input_exits_2_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "never"
    source = World().to_duckdb(tmp_path / "empty.duckdb")
    missing = run_ihub([], out, str(tmp_path / "nope.duckdb"))
    assert missing.status == 2 and len(missing.stderr.strip().splitlines()) == 1
    unknown = run_ihub(["frictoin"], out, source)
    assert unknown.status == 2 and "unknown report frictoin" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    assert not out.exists()


# ----------------------------------------------------------------------------- old, empty databases
@pytest.fixture(scope="module")
def empty_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Run:
    def produce(folder: Path) -> Run:
        return run_ihub([], folder / "reports", World().to_duckdb(folder / "empty.duckdb"))

    return once(session_folder(tmp_path_factory, worker_id), "empty", produce)


def small_world() -> World:
    """Two hubs with friction but nothing past the triage stage."""
    w = World()
    for slug in ("north", "south"):
        hub = w.hub(slug)
        widget = w.widget(hub, f"{slug} form")
        w.spread(widget, 30, T - days(20), T - days(1))
        w.spread(widget, 6, T - days(10), T - days(2), event_type="error")
        for k in range(3):
            w.annotation(widget, T - days(3 + k), category="confusing", severity="high")
        w.candidate(widget, T - days(45))
    return w


@pytest.fixture(scope="module")
def phase2_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Run:
    def produce(folder: Path) -> Run:
        source = small_world().to_duckdb(folder / "old.duckdb", phase=2)
        return run_ihub([], folder / "reports", source)

    return once(session_folder(tmp_path_factory, worker_id), "phase2", produce)


@slow
def test_empty_database_renders_with_no_data_notices(empty_run: Run) -> None:
    assert empty_run.status == 0, empty_run.stderr
    for name in PAGES:
        page = empty_run.page(name)
        assert "no-data" in notices(page), name
        assert "Traceback" not in page and external_references(page) == []


@slow
def test_older_database_renders_with_not_available_notices(phase2_run: Run) -> None:
    assert phase2_run.status == 0, phase2_run.stderr
    for name in ("friction", "changes", "index"):
        assert "not-available" in notices(phase2_run.page(name)), name
    for name in PAGES:
        assert "Traceback" not in phase2_run.page(name)
    with ihub_analysis.connect(phase2_run.source) as wb:
        for name in ("friction", "bottlenecks", "health", "index"):
            assert_headlines_match(phase2_run.page(name), wb, name)


# ----------------------------------------------------------------------------- secrets
#: A cell proving the kernel was handed the password (compared by hash: never written out).
PASSWORD_PROBE = (
    "import hashlib, os\n"
    "assert hashlib.sha256(os.environ.get('PGPASSWORD', '').encode()).hexdigest() == {!r}, "
    "'the kernel was not handed the password'\n"
)


@pytest.fixture()
def secret_world(make_pg_db: Callable[[], str], pg_admin: str) -> Iterator[tuple[str, str, str]]:
    """(database URL without password, role, password): a role with a password in a throwaway db."""
    url = small_world().to_postgres(make_pg_db())
    role = f"ihub_reader_{uuid.uuid4().hex[:8]}"
    password = f"pw/{uuid.uuid4().hex}:@x"  # needs percent-encoding in a URL
    with psycopg.connect(pg_admin, autocommit=True) as con:
        con.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    parts = urlsplit(url)
    try:
        yield (
            urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}")),
            role,
            password,
        )
    finally:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f"DROP OWNED BY {role}")
        with psycopg.connect(pg_admin, autocommit=True) as con:
            con.execute(f"DROP ROLE {role}")


@slow
@pytest.mark.postgres
@pytest.mark.parametrize("via", ["url", "PGPASSWORD"])
def test_no_file_holds_the_password(
    secret_world: tuple[str, str, str], via: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain_url, role, password = secret_world
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    notebooks = copy_notebooks(tmp_path / "notebooks")
    path = notebooks / REPORTS["friction"].notebook
    nb = nbformat.read(path, as_version=4)
    digest = hashlib.sha256(password.encode()).hexdigest()
    probe = nbformat.v4.new_code_cell(PASSWORD_PROBE.format(digest))
    nb.cells.insert(cell_index(nb, "nb.setup("), probe)
    nbformat.write(nb, path)
    monkeypatch.setenv(NOTEBOOKS_ENV, str(notebooks))
    if via == "url":
        parts = urlsplit(plain_url)
        source = urlunsplit(
            parts._replace(netloc=f"{role}:{quote(password, safe='')}@{parts.netloc.split('@')[1]}")
        )
    else:
        monkeypatch.setenv("PGPASSWORD", password)
        source = plain_url
    run = run_ihub(["friction"], tmp_path / "reports", source)
    assert run.status == 0, run.stderr
    secrets = {password, quote(password, safe="")}
    written = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()] + [
        p for p in scratch.rglob("*") if p.is_file()
    ]
    assert {p.name for p in written} >= {"friction.html", "friction.ipynb", "index.html"}
    for file in written:
        content = file.read_bytes().decode("utf-8", errors="replace")
        assert not any(s in content for s in secrets), file
    assert not any(s in run.stdout + run.stderr for s in secrets)
    assert footer(run.page("friction"))["data-source"] == plain_url


# ----------------------------------------------------------------------------- kernel plumbing
def test_kernel_gets_the_source_without_password_and_the_password_in_its_env() -> None:
    shown, env = kernel_source("postgresql://ana:p%40ss%2Fw@db.example:5433/ihub?sslmode=require")
    assert shown == "postgresql://ana@db.example:5433/ihub?sslmode=require"
    assert env["PGPASSWORD"] == "p@ss/w"
    shown, env = kernel_source("postgresql://ana@db.example/ihub?password=hunter22&sslmode=require")
    assert "hunter22" not in shown and env["PGPASSWORD"] == "hunter22"


def test_kernel_falls_back_to_tcp_where_a_socket_path_would_be_too_long(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with kernel_transport() as transport:  # Jupyter's runtime folder: a short path
        assert transport["transport"] == "ipc" and Path(transport["ip"]).parent.is_dir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / ("long" * 30)))
    with kernel_transport() as transport:
        assert transport["transport"] == "tcp" and "ip" not in transport
        # the connection file sits in the run's own folder, which the next run can clean
        folder = Path(transport["connection_file"]).parent
        assert folder.is_dir() and folder.name.startswith(f"ihub-{os.getpid()}-")
    assert not folder.exists()
