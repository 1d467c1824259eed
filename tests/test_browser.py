"""The reports in a real headless Chromium with the network cut off.

Every report and the review board must draw its charts, log no console error
and request nothing but its own ``file://`` URL.  A full-page screenshot of
each lands in ``test-output/screenshots/`` for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import REPO
from playwright.sync_api import Browser, BrowserContext, Route, sync_playwright
from test_reports import PAGES, Run, synthetic_reports

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = REPO / "test-output" / "screenshots"
#: URL schemes that never leave the machine.
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
CHART_TIMEOUT_MS = 20_000


@dataclass
class Visit:
    """What the browser saw while showing one page."""

    charts: int = 0
    drawn: int = 0
    failed_charts: int = 0
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Run:
    """The reports test_reports checks, rendered once per session for both modules."""
    run = synthetic_reports(tmp_path_factory, worker_id)
    assert run.status == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-chromium.sh (make browser)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def visits(reports: Run, browser: Browser) -> dict[str, Visit]:
    """Open every page once, offline, with every request routed through a recorder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seen: dict[str, Visit] = {}
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    try:
        for name in PAGES:
            seen[name] = _visit(context, reports.out / f"{name}.html", SCREENSHOTS / f"{name}.png")
    finally:
        context.close()
    return seen


def _visit(context: BrowserContext, page_file: Path, screenshot: Path) -> Visit:
    """Load one page, wait for its charts, record what it asked for and logged, screenshot it."""
    visit = Visit()
    page = context.new_page()

    def route(r: Route) -> None:
        if r.request.url.startswith(LOCAL_SCHEMES):
            r.continue_()
        else:
            visit.blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("request", lambda request: visit.requests.append(request.url))
    page.on("console", lambda m: visit.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: visit.errors.append(f"page error: {exc}"))
    page.goto(page_file.resolve().as_uri(), wait_until="load")
    visit.charts = page.locator(".ihub-chart").count()
    if visit.charts:
        page.wait_for_function(
            "() => [...document.querySelectorAll('.ihub-chart')]"
            ".every(e => e.querySelector('svg, canvas') || e.textContent.trim())",
            timeout=CHART_TIMEOUT_MS,
        )
    visit.drawn = page.locator(".ihub-chart:has(svg), .ihub-chart:has(canvas)").count()
    visit.failed_charts = page.locator(".ihub-chart:has-text('could not be drawn')").count()
    page.screenshot(path=str(screenshot), full_page=True)
    page.close()
    return visit


@pytest.mark.parametrize("name", PAGES)
def test_every_chart_is_drawn(visits: dict[str, Visit], reports: Run, name: str) -> None:
    visit = visits[name]
    expected = reports.page(name).count('class="ihub-chart"')
    assert visit.charts == expected
    if name != "index":
        assert expected > 0, f"{name} has no chart on data that has everything"
    assert visit.drawn == visit.charts and visit.failed_charts == 0


@pytest.mark.parametrize("name", PAGES)
def test_no_console_errors(visits: dict[str, Visit], name: str) -> None:
    assert visits[name].errors == []


@pytest.mark.parametrize("name", PAGES)
def test_no_request_leaves_the_file(visits: dict[str, Visit], reports: Run, name: str) -> None:
    visit = visits[name]
    assert visit.blocked == []
    assert [u for u in visit.requests if not u.startswith(LOCAL_SCHEMES)] == []
    assert (reports.out / f"{name}.html").resolve().as_uri() in visit.requests


@pytest.mark.parametrize("name", PAGES)
def test_screenshot_saved(visits: dict[str, Visit], name: str) -> None:
    shot = SCREENSHOTS / f"{name}.png"
    assert shot.stat().st_size > 10_000
