"""``make lab`` → open ``explore.ipynb`` → Run All, in a real JupyterLab and headless Chromium.

The server runs on a project-shaped folder with no ``IHUB_SOURCE``: the kernel's
working directory is ``notebooks/``, so the default source must be found from the
project.  Every request that would leave the machine is blocked and recorded; the
charts must draw from the Vega bundle the setup cell inlines.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_charts import world_duckdb
from test_notebooks import NOTEBOOKS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
#: Every code cell has run and the kernel is idle again.
ALL_RAN_JS = """() => {
  const widget = window.jupyterapp.shell.currentWidget;
  const model = widget.content.model;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type === "code" && !cell.executionCount) { return false; }
  }
  return widget.sessionContext.session.kernel.status === "idle";
}"""
#: Every output of the open notebook, from JupyterLab's own model (the DOM is virtualised).
OUTPUTS_JS = """() => {
  const model = window.jupyterapp.shell.currentWidget.content.model;
  const outputs = [];
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type === "code") { outputs.push(...cell.outputs.toJSON()); }
  }
  return outputs;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("lab-project")
    (root / "notebooks").mkdir()
    (root / "data").mkdir()
    shutil.copy(NOTEBOOKS / "explore.ipynb", root / "notebooks" / "explore.ipynb")
    shutil.copy(world_duckdb(tmp_path_factory), root / "data" / "demo.duckdb")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "IHUB_SOURCE"}
    env["JUPYTER_CONFIG_DIR"] = str(root / ".jupyter")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.token=",
            "--ServerApp.password=",
            f"--ServerApp.root_dir={root}",
            "--LabApp.expose_app_in_browser=True",
            "--allow-root",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("JupyterLab did not start")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_explore_runs_and_draws_offline_in_jupyterlab(lab: str) -> None:
    from playwright.sync_api import Route, sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-chromium.sh (make browser)")
    leaving: list[str] = []

    def only_local(route: Route) -> None:
        target = route.request.url
        if target.startswith((lab, lab.replace("http", "ws"), "data:", "blob:")):
            route.continue_()
        else:
            leaving.append(target)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", only_local)
            page = context.new_page()
            page_errors: list[str] = []
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(f"{lab}/lab/tree/notebooks/explore.ipynb")
            page.wait_for_function("window.jupyterapp !== undefined", timeout=90_000)
            page.wait_for_selector(".jp-Notebook", timeout=90_000)
            page.click(".jp-Notebook")
            # Run All before the kernel is up does nothing: wait for it, as a user would
            page.wait_for_function(
                "window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel"
                "?.status === 'idle'",
                timeout=120_000,
            )
            page.wait_for_function(
                "window.jupyterapp.commands.isEnabled('notebook:run-all-cells')", timeout=30_000
            )
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_function(
                "document.querySelectorAll('.ihub-chart svg').length >= 3", timeout=180_000
            )
            page.wait_for_function(ALL_RAN_JS, timeout=240_000)
            outputs = page.evaluate(OUTPUTS_JS)
        finally:
            browser.close()
    assert [o for o in outputs if o["output_type"] == "error"] == []
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs if "data" in o)
    assert "No data to open" not in html, "the kernel in notebooks/ found the project's data"
    assert 'data-key="widgets"' in html and html.count('data-ihub="vega-bundle"') == 1
    assert html.count("vegaEmbed(el, spec") >= 3
    assert leaving == [], f"requests left the machine: {leaving[:3]}"
    assert page_errors == []
