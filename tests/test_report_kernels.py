"""Warm report kernels: a notebook run in a reused kernel is what it would be in a fresh one.

``ihub report`` runs several notebooks one after the other in one kernel per
worker (:class:`ihub_analysis.reports.kernel.WarmKernel`).  These tests run the
same notebooks both ways and compare their outputs, check that what one notebook
leaves behind never reaches the next, and that a failed or stuck notebook takes
its kernel with it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from ihub_analysis import synth
from ihub_analysis.lean import REPORT_KERNEL_ENV
from ihub_analysis.reports import catalog, execute, render
from ihub_analysis.reports.kernel import WarmKernel, allow_kernels, kernel_source
from ihub_analysis.reports.provenance import Provenance
from ihub_analysis.reports.runlog import RunLog
from ihub_analysis.settings import Settings
from ihub_analysis.timeutil import iso_utc

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
CHART_ID = re.compile(r"ihub-chart-[0-9a-f]{16}")
KERNEL_METADATA = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}
SPEC = re.compile(r"(  var spec = )(.*?);\n")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small synthetic snapshot with data for every chart (as the report tests use)."""
    path = tmp_path_factory.mktemp("warm") / "synthetic.duckdb"
    synth.synthesize_duckdb(path, events=20_000, seed=7, end=synth.DEFAULT_END, progress=False)
    return str(path)


@pytest.fixture(scope="module")
def env(source: str) -> dict[str, str]:
    """The kernels' environment, taken once as a run takes it (pytest changes os.environ)."""
    return {**kernel_source(source)[1], REPORT_KERNEL_ENV: "1"}


@pytest.fixture()
def warm(env: dict[str, str]) -> Iterator[WarmKernel]:
    allow_kernels()
    kernel = WarmKernel(execute.KERNEL_NAME, env)
    try:
        yield kernel
    finally:
        kernel.shutdown()


def _sorted_values(value: Any) -> Any:
    """A chart spec with its data rows in one order (rows tied on the sort key may swap)."""
    if isinstance(value, dict):
        return {k: _sorted_values(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted_values(v) for v in value]
        if all(isinstance(v, dict) for v in items):
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
        return items
    return value


def _canonical_spec(match: re.Match[str]) -> str:
    spec = json.loads(match[2].replace("<\\/", "</"))
    return match[1] + json.dumps(_sorted_values(spec), sort_keys=True) + ";\n"


def key_outputs(notebook: nbformat.NotebookNode) -> list[tuple[Any, str, list[str]]]:
    """Every code cell's execution count, source and outputs, minus what differs run to run
    (chart element ids are random; tied data rows come in either order)."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            shown = {k: v for k, v in output.items() if k != "metadata"}
            text = CHART_ID.sub("ihub-chart-X", json.dumps(shown, sort_keys=True))
            text = json.dumps(json.loads(text))  # back to plain strings for the spec pattern
            data = json.loads(text)
            html = data.get("data", {}).get("text/html")
            if isinstance(html, str):
                data["data"]["text/html"] = SPEC.sub(_canonical_spec, html)
            outputs.append(json.dumps(data, sort_keys=True))
        cells.append((cell.get("execution_count"), cell.source, outputs))
    return cells


def run(
    notebook: Path,
    parameters: dict[str, Any],
    env: dict[str, str],
    scratch: Path,
    kernel: WarmKernel | None = None,
) -> nbformat.NotebookNode:
    if kernel is not None:
        kernel.prepare()
    folder = scratch / f"{notebook.stem}-{len(list(scratch.iterdir()))}"
    folder.mkdir()
    return execute.execute(notebook, parameters, env, folder, kernel=kernel)


def report_parameters(source: str, **extra: Any) -> dict[str, Any]:
    return {
        "source": kernel_source(source)[0],
        "as_of": iso_utc(AS_OF),
        "settings": {},
        "report_mode": True,
        **extra,
    }


def test_reports_in_a_reused_kernel_match_a_fresh_kernel(
    source: str, env: dict[str, str], warm: WarmKernel, tmp_path: Path
) -> None:
    """Health (with a comparison, which shows the what-changed CSS once per notebook), then a
    dossier (which shows it too), then friction: one kernel against a kernel each."""
    hub = "checkout-flow"
    plan = [
        (NOTEBOOKS / "health_trends.ipynb", {"compare_to": iso_utc(AS_OF - dt.timedelta(7))}),
        (NOTEBOOKS / "hub_dossier.ipynb", {"hub": hub}),
        (NOTEBOOKS / "friction_heatmap.ipynb", {}),
    ]
    for notebook, extra in plan:
        parameters = report_parameters(source, **extra)
        fresh = run(notebook, parameters, env, tmp_path)
        reused = run(notebook, parameters, env, tmp_path, kernel=warm)
        assert key_outputs(reused) == key_outputs(fresh), notebook.name
        html = "".join(
            "".join(o.get("data", {}).get("text/html", ""))
            for c in reused.cells
            for o in c.get("outputs", [])
        )
        assert 'class="ihub-headline"' in html  # a real report, not an early stop
    assert warm.notebooks == len(plan)  # all three ran in the one kernel


LEAVE_STATE = """
import os, sys, warnings, builtins
import altair as alt
import polars as pl
import ihub_analysis
import ihub_analysis.notebook as nb
import ihub_analysis.whatchanged as wc

leaked = "from notebook A"
wb = ihub_analysis.connect(source)  # left open
wc.style()  # the what-changed CSS: "shown in this notebook"
nb.NOTICE_KINDS = ("rebound",)
os.chdir("/")
os.environ["IHUB_LEAKED"] = "1"
os.environ["IHUB_STATEMENT_TIMEOUT"] = "1s"
sys.path.append("/leaked")
builtins.ihub_leaked = True
alt.theme.enable("dark")
alt.data_transformers.disable_max_rows()
pl.Config.set_tbl_rows(2)
warnings.simplefilter("error")
"""

SHOW_STATE = """
import json, os, sys, warnings, builtins
import altair as alt
import polars as pl
import ihub_analysis.notebook as nb
import ihub_analysis.sources as sources
import ihub_analysis.whatchanged as wc

try:
    leaked
    seen = True
except NameError:
    seen = False
print(json.dumps({
    "leaked": seen,
    "wb": "wb" in globals(),
    "open connections": len(sources._SHARED),
    "whatchanged css shown": wc._STYLE_SHOWN,
    "notice kinds": nb.NOTICE_KINDS,
    "cwd": os.getcwd(),
    "ihub env": sorted(k for k in os.environ if k.startswith("IHUB_")),
    "leaked path": "/leaked" in sys.path,
    "builtin": hasattr(builtins, "ihub_leaked"),
    "theme": alt.theme.active,
    "transformer options": dict(alt.data_transformers.options),
    "renderer": alt.renderers.active,
    "warnings filters": [repr(f) for f in warnings.filters],
    "source": source,
}))
"""

SHOW_POLARS = """print(pl.DataFrame({"n": range(6)}))"""


def state_notebooks(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, codes in (("leave", [LEAVE_STATE]), ("show", [SHOW_STATE, SHOW_POLARS])):
        params = nbformat.v4.new_code_cell('source = ""')
        params.metadata["tags"] = ["parameters"]
        cells = [params, *(nbformat.v4.new_code_cell(code) for code in codes)]
        nb = nbformat.v4.new_notebook(cells=cells)
        nb.metadata.update(KERNEL_METADATA)
        path = folder / f"{name}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths[0], paths[1]


def _printed(notebook: nbformat.NotebookNode) -> str:
    return "".join(
        o["text"] for c in notebook.cells for o in c.get("outputs", []) if o.get("name") == "stdout"
    )


def test_what_one_notebook_leaves_does_not_reach_the_next(
    source: str, env: dict[str, str], warm: WarmKernel, tmp_path: Path
) -> None:
    leave, show = state_notebooks(tmp_path / "notebooks")
    parameters = {"source": kernel_source(source)[0]}
    fresh = run(show, parameters, env, tmp_path)
    run(leave, parameters, env, tmp_path, kernel=warm)
    after = run(show, parameters, env, tmp_path, kernel=warm)
    state = json.loads(_printed(after).splitlines()[0])
    assert state["leaked"] is False and state["wb"] is False
    assert state["open connections"] == 0
    assert state["theme"] == "default" and state["builtin"] is False
    assert _printed(after) == _printed(fresh)
    assert key_outputs(after) == key_outputs(fresh)
    assert warm.notebooks == 2


def job(notebook: Path, source: str, env: dict[str, str], scratch: Path) -> render.Job:
    spec = catalog.ReportSpec(notebook.stem, notebook.name, notebook.stem.title(), "")
    prov = Provenance(kernel_source(source)[0], None, AS_OF, True, Settings(), "test")
    return render.Job(spec, notebook, scratch / "out", source, prov.source, env, prov, scratch)


def contract_notebook(folder: Path, name: str, code: str) -> Path:
    """A notebook declaring the report contract's parameters, then running ``code``."""
    params = nbformat.v4.new_code_cell(
        'source = ""\nas_of = None\nsettings = None\nreport_mode = False'
    )
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell(code)])
    nb.metadata.update(KERNEL_METADATA)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


PID = "import os\nprint('pid', os.getpid())"


def _pid(outcome: render.Outcome) -> int:
    return int(re.search(r"pid (\d+)", outcome.notebook)[1])  # type: ignore[index]


@pytest.mark.parametrize("fail", [False, True])
def test_a_failed_notebook_takes_its_kernel_with_it(
    source: str, env: dict[str, str], tmp_path: Path, fail: bool
) -> None:
    """After a success the next notebook runs in the same process; after a failure, not."""
    allow_kernels()
    folder = tmp_path / "notebooks"
    first = contract_notebook(
        folder, "first", PID + ("\nraise RuntimeError('broken on purpose')" if fail else "")
    )
    second = contract_notebook(folder, "second", PID)
    progress = render.Progress(RunLog(quiet=True), 2)
    slot = render.KernelSlot()
    try:
        a = render.render_one(job(first, source, env, tmp_path), progress, slot)
        b = render.render_one(job(second, source, env, tmp_path), progress, slot)
    finally:
        slot.discard()
    assert not b.error
    if fail:
        assert a.error.startswith('failed in cell 1 ("import os"): RuntimeError: broken on purpose')
        assert _pid(b) != int(re.search(r"pid (\d+)", a.failed_notebook)[1])  # type: ignore[index]
    else:
        assert not a.error
        assert _pid(b) == _pid(a)


def test_a_stuck_notebook_times_out_and_the_next_gets_a_new_kernel(
    source: str, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    allow_kernels()
    monkeypatch.setattr(execute, "CELL_TIMEOUT_S", 3)
    folder = tmp_path / "notebooks"
    stuck = contract_notebook(folder, "stuck", PID + "\nimport time\ntime.sleep(600)")
    after = contract_notebook(folder, "after", PID)
    progress = render.Progress(RunLog(quiet=True), 2)
    slot = render.KernelSlot()
    try:
        first = slot.ready(env)
        stuck_pid = int(first.km.provisioner.process.pid)
        a = render.render_one(job(stuck, source, env, tmp_path), progress, slot)
        assert "Timeout" in a.error or "timed out" in a.error, a.error
        assert slot.kernel is None  # discarded: its cell may still be running
        b = render.render_one(job(after, source, env, tmp_path), progress, slot)
    finally:
        slot.discard()
    assert not b.error
    assert _pid(b) != stuck_pid


def test_a_warm_kernel_is_killed_with_the_run(source: str, env: dict[str, str]) -> None:
    """kill_running_kernels (Ctrl-C, SIGTERM) reaches kernels kept warm between notebooks."""
    from ihub_analysis.reports.kernel import kill_running_kernels

    allow_kernels()
    kernel = WarmKernel(execute.KERNEL_NAME, env)
    process = kernel.km.provisioner.process
    try:
        kill_running_kernels()
        process.wait(timeout=10)
        assert not kernel.alive()
        assert not kernel.fits(env)  # a worker would start a new one
    finally:
        kernel.shutdown()
        allow_kernels()
    assert process.poll() is not None


def test_jobs_workers_each_keep_one_kernel(
    source: str, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five notebooks, two workers: two kernels, every notebook in one of them, in order."""
    allow_kernels()
    folder = tmp_path / "notebooks"
    jobs = [
        job(contract_notebook(folder, f"n{k}", PID + f"\nprint('n{k}')"), source, env, tmp_path)
        for k in range(5)
    ]
    outcomes, data, _ = render._run_all(jobs, 2, RunLog(quiet=True), lambda: "no board")
    assert data == "no board"
    assert [o.name for o in outcomes] == [j.spec.name for j in jobs]
    assert all(not o.error for o in outcomes)
    pids = {_pid(o) for o in outcomes}
    assert 1 <= len(pids) <= 2
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # every kernel was shut down at the end
