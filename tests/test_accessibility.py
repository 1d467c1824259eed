"""Accessibility of the charts, every report and the board (WCAG 2.1 AA, as far as tools tell).

Without a browser: every chart builder's text alternative (a one-sentence summary
and the rows it draws), the HTML the renderer makes of it (figure, caption, data
table with caption and scoped headers), hostile text escaped, chip colours'
contrast.  In Chromium (marker ``browser``): axe-core finds no serious or critical
violation on any page, every chart has its caption and data table, and the
keyboard reaches everything that can be used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import altair as alt
import polars as pl
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page
from test_browser import CHART_TIMEOUT_MS, browser, reports  # noqa: F401  (fixtures)
from test_charts import BUILDERS, frames, wb, world_db  # noqa: F401  (fixtures)
from test_reports import PAGES, Run

from ihub_analysis import charts
from ihub_analysis import notebook as nb


# ----------------------------------------------------------------------------- html parsing
class _Tree(HTMLParser):
    """Start tags with attributes, and the text inside each tag name seen."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._open.append(tag)
        self.text.setdefault(tag, []).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        for tag in set(self._open):
            self.text[tag][-1] += data


def _parse(markup: str) -> _Tree:
    tree = _Tree()
    tree.feed(markup)
    tree.close()
    return tree


def _meta(chart: Any) -> dict[str, Any]:
    return chart.to_dict()["usermeta"]["ihub"]


# ----------------------------------------------------------------------------- builders
@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_chart_says_what_it_shows(frames: dict[str, pl.DataFrame], name: str) -> None:  # noqa: F811
    chart = BUILDERS[name](frames)
    meta, spec = _meta(chart), chart.to_dict()
    summary = meta["summary"]
    assert 30 <= len(summary) <= 400 and summary.endswith(".") and not summary[0].islower()
    assert summary.count(". ") <= 1, "one sentence (two where a rate needs its formula)"
    assert re.search(r"\d", summary), "the summary gives figures, not a paraphrase of the title"
    assert spec["description"] == summary
    assert meta["rows"] and all(len(r) == len(meta["columns"]) for r in meta["rows"])
    assert len(set(meta["columns"])) == len(meta["columns"])


@pytest.mark.parametrize("name", list(BUILDERS))
def test_report_html_gives_caption_and_data_table(
    frames: dict[str, pl.DataFrame],  # noqa: F811
    name: str,
) -> None:
    chart = BUILDERS[name](frames)
    meta = _meta(chart)
    html = charts.report_html(chart.to_dict())
    tree = _parse(html)
    tags = [t for t, _ in tree.tags]
    assert tags[:2] == ["figure", "div"] and "figcaption" in tags
    div = tree.tags[1][1]
    assert div["role"] == "img" and div["aria-label"]
    assert meta["summary"] in " ".join(tree.text["figcaption"])
    assert tags.count("details") == 1 and tags.count("caption") == 1
    headers = [a for t, a in tree.tags if t == "th"]
    assert len(headers) == len(meta["columns"]) and all(a["scope"] == "col" for a in headers)
    assert tags.count("tr") == 1 + len(meta["rows"])
    summary_line = " ".join(tree.text["summary"])
    assert f"({len(meta['rows']):,} row" in summary_line
    region = next(a for t, a in tree.tags if "ihub-table-wrap" in a.get("class", ""))
    assert region["tabindex"] == "0" and region["role"] == "region" and region["aria-label"]
    # the text alternative is for people, not for Vega: it is not embedded twice
    assert "usermeta" not in html


HOSTILE = '</script><script>alert("x")</script> & <b onmouseover=alert(1)>"quoted"</b>'


def test_hostile_text_is_escaped_everywhere() -> None:
    chart = alt.Chart(alt.Data(values=[{"a": 1}]), title=HOSTILE).mark_point()
    chart = charts.base.describe(
        chart, HOSTILE, pl.DataFrame({"a": [HOSTILE], "b": [1.5]}), {"a": HOSTILE, "b": "B"}
    )
    html = charts.report_html(chart.to_dict())
    assert html.count("</script>") == 1
    outside = re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    assert "<b " not in outside and "<script" not in outside
    tree = _parse(html)
    assert tree.tags[1][1]["aria-label"] == HOSTILE
    assert [t for t, _ in tree.tags].count("script") == 1
    assert HOSTILE in " ".join(tree.text["td"]) and HOSTILE in " ".join(tree.text["th"])


def test_a_chart_without_a_summary_still_has_a_caption_and_no_empty_table() -> None:
    chart = alt.Chart(alt.Data(values=[{"a": 1}]), title="Plain").mark_point()
    html = charts.report_html(chart.to_dict())
    tree = _parse(html)
    assert " ".join(tree.text["figcaption"]).strip()
    assert "details" not in [t for t, _ in tree.tags]
    placeholder = charts.report_html(charts.no_data_chart("Empty", "Nothing here.").to_dict())
    assert "Nothing here." in " ".join(_parse(placeholder).text["figcaption"])


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "—"), (True, "yes"), (1234567, "1,234,567"), (2.0, "2"), (2.345, "2.35"), ("x", "x")],
)
def test_data_table_cells(value: object, shown: str) -> None:
    chart = charts.base.describe(
        alt.Chart(alt.Data(values=[{}])).mark_point(), "A sentence.", pl.DataFrame(), {}
    )
    spec = chart.to_dict()
    spec["usermeta"]["ihub"].update(columns=["Value"], rows=[[value]])
    assert f">{shown}</td>" in charts.report_html(spec)


# ----------------------------------------------------------------------------- contrast
def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _hex6(color: str) -> str:
    return "#" + "".join(c * 2 for c in color[1:]) if len(color) == 4 else color


def test_every_chip_passes_aa_contrast() -> None:
    """Chips carry bands, severities and verdicts as words on colour: the words must read."""
    chips = re.findall(
        r"\.ihub-chip-([\w-]+)\{background:(#[0-9a-fA-F]+);color:(#[0-9a-fA-F]+)\}", nb.CSS
    )
    assert len(chips) >= 13
    for name, background, color in chips:
        ratio = _contrast(_hex6(background), _hex6(color))
        assert ratio >= 4.5, f"chip {name}: {ratio:.2f}"


# ----------------------------------------------------------------------------- in the browser
_AXE = Axe()
_CHART_JS = """
() => [...document.querySelectorAll('.ihub-chart')].map((c) => {
  const figure = c.closest('figure');
  const caption = figure && figure.querySelector('figcaption');
  const table = figure && figure.querySelector('details.ihub-chart-data table');
  return {
    role: c.getAttribute('role'), label: c.getAttribute('aria-label') || '',
    caption: caption ? caption.innerText.trim() : '',
    rows: table ? table.tBodies[0].rows.length : 0,
    tableCaption: table && table.caption ? table.caption.textContent.trim() : '',
  };
})
"""
#: Everything a keyboard user must reach, tagged so the tab walk can recognise it.
_FOCUSABLE_JS = """
() => {
  const closed = (e) => {
    const d = e.closest('details:not([open])');
    return d !== null && !(e.tagName === 'SUMMARY' && e.parentElement === d);
  };
  const all = [...document.querySelectorAll('a[href], summary, [tabindex="0"], button')]
    .filter((e) => e.classList.contains('ihub-skip') || (e.getClientRects().length && !closed(e)));
  all.forEach((e, i) => e.setAttribute('data-tab-id', String(i)));
  return all.length;
}
"""


def _load(page: Page, run: Run, name: str, width: int = 1280) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto((run.out / f"{name}.html").resolve().as_uri(), wait_until="load")
    if page.locator(".ihub-chart").count():
        page.wait_for_function(
            "() => [...document.querySelectorAll('.ihub-chart')]"
            ".every(e => e.querySelector('svg, canvas') || e.textContent.trim())",
            timeout=CHART_TIMEOUT_MS,
        )


@pytest.fixture(scope="module")
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("width", [1280, 760])
def test_axe_finds_nothing_serious(page: Page, reports: Run, name: str, width: int) -> None:  # noqa: F811
    """At a desktop width and a narrow one (where tables and charts must scroll or shrink)."""
    _load(page, reports, name, width)
    results = _AXE.run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []
    assert results.response["passes"], "axe ran no check at all"


@pytest.mark.browser
@pytest.mark.parametrize("name", PAGES)
def test_every_chart_has_its_text_alternative(page: Page, reports: Run, name: str) -> None:  # noqa: F811
    _load(page, reports, name)
    found = page.evaluate(_CHART_JS)
    assert len(found) == reports.page(name).count('class="ihub-chart"')
    for chart in found:
        assert chart["role"] == "img" and chart["label"], chart
        assert len(chart["caption"]) > 20 and chart["rows"] > 0 and chart["tableCaption"], chart


@pytest.mark.browser
@pytest.mark.parametrize("name", PAGES)
def test_keyboard_reaches_everything(page: Page, reports: Run, name: str) -> None:  # noqa: F811
    _load(page, reports, name)
    count = page.evaluate(_FOCUSABLE_JS)
    assert count > 0
    reached: list[str] = []
    for _ in range(count + 5):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.getAttribute('data-tab-id') || ''"))
    assert reached[0] == "0", "the skip link comes first"
    assert set(map(str, range(count))) <= set(reached)
    # tab stops are things to use or regions to scroll, not every notebook output
    idle = "[...document.querySelectorAll('[tabindex=\"0\"]')].filter(e => !e.getAttribute('role'))"
    assert page.evaluate(f"{idle}.length") == 0
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus is visible"
    # the skip link lands on the main content; a chart's data opens from the keyboard
    page.locator(".ihub-skip").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    disclosures = page.locator("details.ihub-chart-data > summary")
    if disclosures.count():
        disclosures.first.focus()
        page.keyboard.press("Enter")
        assert page.evaluate("document.querySelector('details.ihub-chart-data').open")


@pytest.mark.browser
@pytest.mark.parametrize("name", PAGES)
def test_every_table_has_a_caption_and_headers(page: Page, reports: Run, name: str) -> None:  # noqa: F811
    _load(page, reports, name)
    tables = page.evaluate(
        "() => [...document.querySelectorAll('table')].map(t => ({"
        "markdown: t.closest('.jp-RenderedMarkdown') !== null,"
        "caption: t.caption ? t.caption.textContent.trim() : '',"
        "headers: t.querySelectorAll('th').length,"
        "scoped: [...t.querySelectorAll('th')].filter(th => th.getAttribute('scope')).length}))"
    )
    assert tables, f"{name} has no table"
    for table in tables:
        assert table["headers"] > 0, table
        if not table["markdown"]:  # a Markdown table in a notebook's text cannot have a caption
            assert table["caption"] and table["scoped"] == table["headers"], table
