"""Reports built from hostile text, and report runs that are killed or fail half-way.

Report pages are HTML made from the data (hub slugs, widget names, annotation
text…) and from the command line (the source, ``--set`` values).  None of it may
ever become markup: every page is parsed and may hold only the elements and
scripts the pipeline itself writes, and Chromium loads it without running a
line from the data.  A run replaces its output folder as one set: killed or
failing at any point, the previous set is left exactly as it was and no
temporary folder remains.
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markupsafe
import nbformat
import pytest
from builder import T
from stub_notebooks import write_stub_notebooks
from test_charts import chart_world
from test_reports import Run, once, run_ihub, session_folder

from ihub_analysis import charts
from ihub_analysis.reports import export, staging
from ihub_analysis.reports.catalog import NOTEBOOKS_ENV, REPORTS
from ihub_analysis.sources import parse_source

slow = pytest.mark.slow

#: Text that would be markup, script or a parser trick if it reached a page unescaped.
#: Each carries a marker the browser test looks for (``window.__pwned``).
HOSTILE = (
    "<script>window.__pwned='script'</script>",
    "</script><script>window.__pwned='close'</script>",
    "<!-- swallow",
    '"onerror="window.__pwned=\'attr\'" x="',
    "'><img src=x onerror=window.__pwned='img'>",
    "]]><svg onload=window.__pwned='cdata'>",
    "line\u2028sep\u2029para",
    "ctrl\x01\x07\x1b\x7fchars",
    "\u202eRTL override\u202c",
    "{{ 7*7 }}{% raw %}",
    "&amp; &lt;b&gt;",
)
#: One name of 100,000 characters, with markup at its end.
HUGE = "w" * 100_000 + "<b onmouseover=window.__pwned='huge'>"
#: A folder name (no "/") that is markup: the DuckDB source path holds it.
HOSTILE_FOLDER = "<svg onload=window.__pwned='path'>"
#: A --set value holding markup (a list setting: any text is a valid category).
HOSTILE_SETTING = "praise,<img src=x onerror=window.__pwned='set'>"

#: The elements a report or the board is made of (anything else came from the data).
ELEMENTS = set(
    [
        "html",
        "head",
        "meta",
        "title",
        "script",
        "style",
        "body",
        "nav",
        "a",
        "span",
        "main",
        "div",
        "h1",
        "h2",
        "h3",
        "p",
        "strong",
        "em",
        "code",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "footer",
        "dl",
        "dt",
        "dd",
        "details",
        "summary",
        "section",
        "header",
        "ul",
        "ol",
        "li",
        "br",
        "small",
        "abbr",
        "caption",
        "colgroup",
        "col",
        "sup",
        "sub",
        "figure",
        "figcaption",
        "hr",
        "pre",
    ]
)
#: The fixed scripts of the page template (no data in them), by how they begin.
OUR_SCRIPTS = ("/* nbconvert makes every output a tab stop",)
#: How every chart script of ours begins.
CHART_SCRIPT = re.compile(
    r'^\s*\(function \(\) \{\s*var el = document\.getElementById\("ihub-chart-'
)


class _Page(HTMLParser):
    """Every element, attribute, comment and script text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.comments: list[str] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self.text: list[str] = []
        self._script: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.elements.append((tag, found))
        if tag == "script":
            self._script = found
            self.scripts.append((found, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def parse_page(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def injected(page: str) -> list[str]:
    """Everything in ``page`` that the pipeline does not write itself (empty: nothing)."""
    found = parse_page(page)
    problems = [f"element <{tag}>" for tag, _ in found.elements if tag not in ELEMENTS]
    for tag, attrs in found.elements:
        for name, value in attrs.items():
            if name.startswith("on") or not re.fullmatch(r"[a-z][a-z0-9-]*", name):
                problems.append(f"attribute {name!r} on <{tag}>")
            if re.match(r"\s*(javascript|data|vbscript):", value, re.I) and name in ("href", "src"):
                problems.append(f"{name}={value[:40]!r} on <{tag}>")
    problems += [f"comment {c[:40]!r}" for c in found.comments]
    for attrs, text in found.scripts:
        if attrs == {"id": "ihub-vega-bundle"} or text.lstrip().startswith(OUR_SCRIPTS):
            continue
        if attrs or not CHART_SCRIPT.match(text):
            problems.append(f"script {attrs} {text[:60]!r}")
    return problems


def test_the_injection_check_catches_markup() -> None:
    clean = "<html><body><p>fine</p></body></html>"
    assert injected(clean) == []
    for bad in (
        "<p><img src=x onerror=alert(1)></p>",
        "<p><script>alert(1)</script></p>",
        '<p title="" onclick="x">t</p>',
        "<p><!-- x --></p>",
        '<a href="javascript:alert(1)">x</a>',
        "<svg onload=alert(1)>",
    ):
        assert injected(f"<html><body>{bad}</body></html>"), bad


# ----------------------------------------------------------------------------- unit level
def _notebook(markdown: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown)]
    return nb


@pytest.mark.parametrize("text", [*HOSTILE, HUGE, HOSTILE_FOLDER, HOSTILE_SETTING])
def test_report_page_escapes_its_subtitle_and_name(text: str) -> None:
    page = export.notebook_html(
        _notebook("plain"),
        name=text,
        title=text,
        subtitle=f"As of 2026-11-01T00:00:00Z · {text}",
        footer=export.render_footer(_footer_context(text)),
    )
    assert injected(page) == []
    nav = [t for t in parse_page(page).text if "As of 2026" in t]
    assert nav == [f"As of 2026-11-01T00:00:00Z · {text}"]


def _footer_context(text: str) -> dict[str, Any]:
    return {
        "source": text,
        "taken_at": text,
        "as_of": text,
        "as_of_given": False,
        "version": text,
        "generated_at": text,
        "changed": [(text, text, text)],
        "settings": [(text, text)],
        "parameters": [(text, text)],
        "command": text,
    }


def test_every_template_of_ours_autoescapes() -> None:
    templates = [p for p in export.TEMPLATES.rglob("*.j2")]
    assert len(templates) >= 3
    assert export.jinja().autoescape is True
    environment = export._exporter().environment
    assert callable(environment.autoescape)
    assert environment.autoescape("index.html.j2")  # ours (ihub_report)
    assert not environment.autoescape("lab/index.html.j2")  # nbconvert's: outputs as they are


def test_markup_values_are_inserted_as_is() -> None:
    """The stylesheet, bundle and footer are ours; escaping them would break the page."""
    page = export.notebook_html(
        _notebook("x"), name="n", title="t", subtitle="s", footer="<footer>f</footer>"
    )
    assert "<footer>f</footer>" in page
    assert isinstance(markupsafe.escape(export.stylesheet()), markupsafe.Markup)


_SPEC = re.compile(r"var spec = (.*);\n  function draw", re.S)


@pytest.mark.parametrize("text", [*HOSTILE, HUGE])
def test_chart_json_cannot_end_its_script(text: str) -> None:
    spec = {"title": text, "data": {"values": [{text: text, "n": 1}]}, "mark": "point"}
    html = charts.report_html(spec)
    script = html.split("<script>", 1)[1].rsplit("</script>", 1)[0]
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in script
    match = _SPEC.search(script)
    assert match is not None
    assert json.loads(match.group(1)) == spec  # the escapes change nothing the chart reads
    assert injected(f"<html><body>{html}</body></html>") == []


# ----------------------------------------------------------------------------- hostile world
def hostile_world() -> Any:
    """The chart world with every name and text replaced by hostile variants."""
    w = chart_world(seed=11)
    variants = [*HOSTILE, HOSTILE_SETTING]
    for i, hub in enumerate(w.rows["hubs"]):
        hub["slug"] = f"{variants[i % len(variants)]}#{i}"
        hub["name"] = variants[(i + 1) % len(variants)]
    for i, widget in enumerate(w.rows["widgets"]):
        widget["name"] = HUGE if i == 0 else f"{variants[i % len(variants)]}·{i}"
        widget["widget_type"] = ("form", variants[i % len(variants)])[i % 2]
    for i, note in enumerate(w.rows["annotations"]):
        note["body"] = variants[i % len(variants)]
        if i % 3 == 0:
            note["category"] = variants[i % len(variants)]
    for table, column in (
        ("requirement_candidates", "title"),
        ("decision_records", "title"),
        ("deployment_records", "version_ref"),
    ):
        for i, row in enumerate(w.rows[table]):
            row[column] = f"{variants[i % len(variants)]}/{i}"
    return w


def render_hostile(folder: Path) -> Run:
    """Every report and the board from the hostile world, at a hostile path, hostile --set."""
    data = folder / HOSTILE_FOLDER
    data.mkdir(parents=True)
    source = hostile_world().to_duckdb(data / "hostile.duckdb")
    return run_ihub(
        ["--set", f"non_friction_categories={HOSTILE_SETTING}", "--as-of", T.isoformat()],
        folder / "reports",
        source,
    )


def hostile_reports(factory: pytest.TempPathFactory, worker_id: str) -> Run:
    return once(session_folder(factory, worker_id), "hostile", render_hostile)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Run:
    run = hostile_reports(tmp_path_factory, worker_id)
    assert run.status == 0, run.stderr
    return run


PAGES = (*REPORTS, "index")


@slow
@pytest.mark.parametrize("name", PAGES)
def test_no_markup_from_the_data_reaches_a_page(hostile: Run, name: str) -> None:
    page = hostile.page(name)
    assert injected(page) == []
    text = "".join(parse_page(page).text)
    assert HOSTILE_FOLDER in text  # the source path, shown as text
    assert "window.__pwned" in text  # hostile names are shown, as text


@slow
def test_hostile_names_are_shown_as_text(hostile: Run) -> None:
    """Escaped, not dropped: each variant reads back as the text it was (control characters
    aside, which HTML cannot carry)."""
    text = "".join("".join(parse_page(hostile.page(name)).text) for name in PAGES)
    for variant in (*HOSTILE, HOSTILE_SETTING):
        shown = re.sub(r"[\x00-\x1f\x7f]", "", variant)
        assert shown[:12] in re.sub(r"[\x00-\x1f\x7f]", "", text), variant
    assert HOSTILE_SETTING in "".join(parse_page(hostile.page("index")).text)  # the --set value


@slow
@pytest.mark.postgres
def test_markup_in_a_url_parameter_stays_text(
    make_pg_db: Callable[[], str], tmp_path: Path
) -> None:
    url = hostile_world().to_postgres(make_pg_db())
    for markup in ("<svg/onload=window.__pwned=1>", "%3Csvg%20onload%3Dwindow.__pwned%3D1%3E"):
        source = f"{url}?application_name={markup}"
        run = run_ihub(["friction"], tmp_path / "out", source)
        assert run.status == 0, run.stderr
        shown = parse_source(source).display  # rendered from the one parse: percent-encoded
        for name in ("friction", "index"):
            page = run.page(name)
            assert injected(page) == []
            assert shown in "".join(parse_page(page).text)  # the source shown, as text


# ----------------------------------------------------------------------------- one set
def quick_notebooks(folder: Path, *, sleep: float = 0) -> Path:
    """Notebooks that keep the parameter contract and finish at once (or after ``sleep``)."""
    return write_stub_notebooks(
        folder, lambda spec: f"import time\ntime.sleep({sleep})\nprint({spec.name!r})"
    )


OLD = {
    "friction.html": "old friction page",
    "friction.ipynb": "old friction notebook",
    "health.html": "old health page",
    "index.html": "old board",
    "failed/changes.ipynb": "old failure",
    "notes.txt": "the user's own file",
}


def previous_set(out: Path) -> dict[str, str]:
    for name, text in OLD.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text, encoding="utf-8")
    return snapshot(out)


def snapshot(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def leftovers(out: Path, pid: int | None = None) -> list[Path]:
    """Staging folders beside ``out`` and scratch folders (of process ``pid``, if given)."""
    mark = "" if pid is None else f"{pid}-"
    found = [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.ihub-")]
    found += [
        p
        for p in Path(tempfile.gettempdir()).glob(f"{staging.SCRATCH_PREFIX}{mark}*")
        if pid is not None
    ]
    return found


@pytest.fixture()
def quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """(output folder, source) with the quick notebooks in use."""
    monkeypatch.setenv(NOTEBOOKS_ENV, str(quick_notebooks(tmp_path / "notebooks")))
    source = chart_world(weeks=2).to_duckdb(tmp_path / "world.duckdb")
    return tmp_path / "reports", source


@slow
def test_a_run_replaces_its_set_and_keeps_what_it_did_not_render(quick: tuple[Path, str]) -> None:
    out, source = quick
    before = previous_set(out)
    run = run_ihub(["friction", "changes"], out, source)
    assert run.status == 0, run.stderr
    after = snapshot(out)
    assert after["health.html"] == before["health.html"]  # not in this run: carried over
    assert after["notes.txt"] == before["notes.txt"]
    assert after["friction.html"] != before["friction.html"]
    assert "failed/changes.ipynb" not in after  # rendered now: the old failure is gone
    assert not (out / "failed").exists()
    assert "changes.html" in after and after["index.html"] != before["index.html"]
    assert leftovers(out) == []


@slow
@pytest.mark.parametrize("fail_at", ["board", "pages", "notebooks"])
def test_a_failure_between_writes_leaves_the_old_set(
    quick: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, fail_at: str
) -> None:
    """A full disk (or any write error) after some files of the new set: all old."""
    out, source = quick
    before = previous_set(out)
    real_put = staging.put
    written: list[str] = []

    def put(path: Path, text: str) -> None:
        kind = {"index.html": "board", ".html": "pages", ".ipynb": "notebooks"}
        what = kind.get(path.name) or kind[path.suffix]
        if what == fail_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_put(path, text)
        written.append(path.name)

    monkeypatch.setattr(staging, "put", put)
    run = run_ihub(["friction", "health"], out, source)
    assert run.status == 1
    assert "No space left on device" in run.stderr and "left exactly as it was" in run.stderr
    assert len(run.stderr.strip().splitlines()[-1].splitlines()) == 1
    assert snapshot(out) == before
    assert leftovers(out) == []
    if fail_at == "board":
        assert {"friction.ipynb", "friction.html"} <= set(written)


@slow
def test_a_failed_report_keeps_its_previous_pair(
    quick: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, source = quick
    notebooks = Path(os.environ[NOTEBOOKS_ENV])
    nb = nbformat.read(notebooks / REPORTS["friction"].notebook, as_version=4)
    nb.cells[1].source = "raise ValueError('broken <b>on purpose</b>')"
    nbformat.write(nb, notebooks / REPORTS["friction"].notebook)
    before = previous_set(out)
    run = run_ihub(["friction", "health"], out, source)
    assert run.status == 1
    after = snapshot(out)
    assert after["friction.html"] == before["friction.html"]
    assert after["friction.ipynb"] == before["friction.ipynb"]
    assert "ValueError" in after["failed/friction.ipynb"]
    assert after["health.html"] != before["health.html"]
    assert 'data-report="friction" data-status="failed"' in after["index.html"]
    assert injected(after["index.html"]) == []


def test_exchange_fallback_and_repair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without RENAME_EXCHANGE the set still changes in one piece (rename aside, rename in)."""
    out = tmp_path / "reports"
    before = previous_set(out)
    monkeypatch.setattr(staging, "_exchange", lambda a, b: False)
    with staging.replaced_as_a_set(out) as folder:
        staging.put(folder / "friction.html", "new")
    after = snapshot(out)
    assert after["friction.html"] == "new"
    assert {k: v for k, v in after.items() if k != "friction.html"} == {
        k: v for k, v in before.items() if k != "friction.html"
    }
    assert (out / "friction.html").stat().st_nlink == 1
    assert leftovers(out) == []


def test_hard_links_never_write_through_to_the_old_set(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    previous_set(out)
    kept = tmp_path / "kept.html"
    os.link(out / "friction.html", kept)  # a reader holding the old file
    with staging.replaced_as_a_set(out) as folder:
        staging.put(folder / "friction.html", "new")
    assert kept.read_text() == "old friction page"
    assert (out / "friction.html").read_text() == "new"


def test_an_exception_in_the_block_leaves_the_old_set(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    before = previous_set(out)
    with pytest.raises(KeyboardInterrupt), staging.replaced_as_a_set(out) as folder:
        staging.put(folder / "friction.html", "new")
        raise KeyboardInterrupt
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_output_folders_that_cannot_be_swapped_are_bad_input(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "file").write_text("x")
    for bad, word in (("link", "symbolic link"), ("file", "not a directory")):
        with pytest.raises(staging.BadInput, match=word):
            staging.check_replaceable(tmp_path / bad)
    with pytest.raises(staging.BadInput, match="mount point"):
        staging.check_replaceable(Path("/"))


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_next_run_removes_what_killed_runs_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp, runtime = tmp_path / "tmp", tmp_path / "runtime"
    tmp.mkdir()
    runtime.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    out = tmp_path / "reports"
    previous_set(out)
    dead, alive = _dead_pid(), os.getppid()
    stale = [
        tmp / f"ihub-report-{dead}-abc",
        runtime / f"ihub-{dead}-xyz",
        tmp_path / f".reports.ihub-staging-{dead}-0a1b",
    ]
    kept = [
        tmp / f"ihub-report-{alive}-abc",
        runtime / f"ihub-{alive}-xyz",
        tmp / "ihub-report-friction-old",  # not ours to judge: no process id
        runtime / "kernel-1234.json",
    ]
    for path in stale + kept:
        if path.suffix == ".json":
            path.touch()
        else:
            path.mkdir()
    (stale[0] / "friction.ipynb").write_text("partial")
    removed = staging.clean_stale(out)
    assert sorted(removed) == sorted(stale)
    assert all(not p.exists() for p in stale) and all(p.exists() for p in kept)
    assert (out / "friction.html").read_text() == "old friction page"


def test_next_run_puts_back_a_set_a_killed_swap_moved_aside(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    before = previous_set(out)
    aside = tmp_path / f".reports.ihub-previous-{_dead_pid()}-0a1b"
    out.rename(aside)
    staging.clean_stale(out)
    assert snapshot(out) == before and not aside.exists()


# ----------------------------------------------------------------------------- killed runs
KILL_SCRIPT = """
import sys, time
from ihub_analysis import cli
from ihub_analysis.reports import staging
real_put = staging.put
def put(path, text):
    real_put(path, text)
    if {stall_in_staging}:
        print("STAGING", flush=True)
        time.sleep(120)
staging.put = put
sys.exit(cli.main(sys.argv[1:]))
"""


def _start(out: Path, source: str, *, stall_in_staging: bool) -> subprocess.Popen[str]:
    script = KILL_SCRIPT.format(stall_in_staging=stall_in_staging)
    args = ("--out", str(out), "--source", source)
    return subprocess.Popen(
        [sys.executable, "-c", script, "report", "friction", "health", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def _kernels_of(pid: int) -> list[int]:
    """Processes started with ``JPY_PARENT_PID=pid`` (the run's kernels) still alive."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"JPY_PARENT_PID={pid}".encode() in env:
            found.append(int(entry.name))
    return found


@pytest.fixture()
def sleepy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    monkeypatch.setenv(NOTEBOOKS_ENV, str(quick_notebooks(tmp_path / "notebooks", sleep=120)))
    source = chart_world(weeks=2).to_duckdb(tmp_path / "world.duckdb")
    yield tmp_path / "reports", source


@slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_run_killed_while_notebooks_run_leaves_the_old_set(
    sleepy: tuple[Path, str], sig: signal.Signals
) -> None:
    out, source = sleepy
    before = previous_set(out)
    proc = _start(out, source, stall_in_staging=False)
    try:
        _wait_for(lambda: len(_kernels_of(proc.pid)) >= 1, 180)  # slow on a loaded machine
        time.sleep(1)  # a kernel is running its notebook
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    _wait_for(lambda: leftovers(out, proc.pid) == [], 15)  # the guardian's work
    _wait_for(lambda: _kernels_of(proc.pid) == [], 15)  # kernels follow their parent
    assert snapshot(out) == before
    staging.clean_stale(out)
    runtime = Path(os.environ.get("JUPYTER_RUNTIME_DIR") or _runtime())
    assert list(runtime.glob(f"ihub-{proc.pid}-*")) == []


def _runtime() -> str:
    from jupyter_core.paths import jupyter_runtime_dir

    return jupyter_runtime_dir()


@slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_run_killed_while_writing_the_set_leaves_the_old_set(
    quick: tuple[Path, str], sig: signal.Signals
) -> None:
    out, source = quick
    before = previous_set(out)
    proc = _start(out, source, stall_in_staging=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "STAGING"
        assert [p for p in out.parent.iterdir() if ".ihub-staging-" in p.name]
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    _wait_for(lambda: leftovers(out, proc.pid) == [], 15)
    assert snapshot(out) == before


# ----------------------------------------------------------------------------- in Chromium
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-chromium.sh (make browser)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@slow
@pytest.mark.browser
@pytest.mark.parametrize("name", PAGES)
def test_chromium_runs_no_script_from_the_data(hostile: Run, chromium: Any, name: str) -> None:
    """Every hostile page loads offline, draws every chart, and no data-borne script runs."""
    from test_browser import CHART_TIMEOUT_MS, LOCAL_SCHEMES

    context = chromium.new_context(offline=True)
    page = context.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    page.route(
        "**/*",
        lambda r: r.continue_() if r.request.url.startswith(LOCAL_SCHEMES) else r.abort(),
    )
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto((hostile.out / f"{name}.html").resolve().as_uri(), wait_until="load")
        charts_count = page.locator(".ihub-chart").count()
        if charts_count:
            page.wait_for_function(
                "() => [...document.querySelectorAll('.ihub-chart')]"
                ".every(e => e.querySelector('svg, canvas') || e.textContent.trim())",
                timeout=CHART_TIMEOUT_MS,
            )
        page.mouse.move(10, 10)
        drawn = page.locator(".ihub-chart:has(svg), .ihub-chart:has(canvas)").count()
        pwned = page.evaluate("() => window.__pwned === undefined ? null : String(window.__pwned)")
        injected_nodes = page.evaluate(
            "() => document.querySelectorAll('img, iframe, object, embed, [onerror], [onload]')"
            ".length"
        )
    finally:
        context.close()
    assert pwned is None
    assert dialogs == [] and errors == []
    assert injected_nodes == 0
    assert drawn == charts_count
    if name != "index":
        assert charts_count > 0
