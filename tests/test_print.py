"""Every report and the board printed from a real headless Chromium, on A4 and on Letter.

Each page is laid out for print at the paper's printable width (the print stylesheet
under print media emulation) and printed to PDF.  Nothing may be wider than the
paper (a table or chart past the edge is cut off on paper), every cell of every
table's last column must reach the PDF, each section starts a page and the
provenance closes the last one.  The PDFs land in ``test-output/print/``.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from conftest import REPO
from playwright.sync_api import Browser, Page
from pypdf import PdfReader
from test_browser import CHART_TIMEOUT_MS, browser, reports  # noqa: F401  (fixtures)
from test_reports import PAGES, Run

pytestmark = pytest.mark.browser

PRINTS = REPO / "test-output" / "print"
#: Paper sizes in millimetres, and the page margin of the print stylesheet (@page).
PAPERS = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
MARGIN_MM = 12.0
PX_PER_MM = 96 / 25.4
PT_PER_MM = 72 / 25.4

#: Visible tables: each one's cells of the last column, and its section headings.
_LAYOUT_JS = """
(width) => {
  const shown = (e) => e.getClientRects().length > 0 && !e.closest('details:not([open])');
  const wide = 'table, svg, pre, figure, footer, img, .ihub-headlines';
  const boxes = [...document.querySelectorAll(wide)].filter(shown);
  const over = boxes
    .map((e) => ({what: e.tagName.toLowerCase() + '.' + (e.getAttribute('class') || ''),
                  right: e.getBoundingClientRect().right, scroll: e.scrollWidth,
                  client: e.clientWidth}))
    .filter((b) => b.right > width + 0.5 || b.scroll > b.client + 1);
  const lastColumn = [...document.querySelectorAll('table')].filter(shown).map((t) =>
    [...t.rows].map((r) => r.cells.length ? r.cells[r.cells.length - 1].innerText : '')
      .filter((text) => text.trim()));
  const sections = [
    ...document.querySelectorAll('.jp-Cell:has(h2) ~ .jp-Cell:has(h2) h2, main > section > h2'),
  ].filter(shown).map((h) => h.innerText);
  return {over, lastColumn, sections, pageWidth: document.documentElement.scrollWidth};
}
"""


@dataclass
class Printout:
    """One page printed on one paper size."""

    over: list[dict[str, object]] = field(default_factory=list)
    last_column: list[list[str]] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    page_width: int = 0
    printable_px: int = 0
    sizes: list[tuple[float, float]] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)


def _flat(text: str) -> str:
    """Text as PDF extraction and the DOM can both give it: NFKC, no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _print(page: Page, url: str, paper: str) -> Printout:
    width_mm, _ = PAPERS[paper]
    printable = int((width_mm - 2 * MARGIN_MM) * PX_PER_MM)
    page.set_viewport_size({"width": printable, "height": 1000})
    page.emulate_media(media="screen")
    page.goto(url, wait_until="load")
    if page.locator(".ihub-chart").count():
        page.wait_for_function(
            "() => [...document.querySelectorAll('.ihub-chart')]"
            ".every(e => e.querySelector('svg, canvas') || e.textContent.trim())",
            timeout=CHART_TIMEOUT_MS,
        )
    page.emulate_media(media="print")
    layout = page.evaluate(_LAYOUT_JS, printable)
    pdf = page.pdf(format=paper, print_background=True)
    (PRINTS / f"{url.rsplit('/', 1)[-1].removesuffix('.html')}-{paper}.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    return Printout(
        over=layout["over"],
        last_column=layout["lastColumn"],
        sections=layout["sections"],
        page_width=layout["pageWidth"],
        printable_px=printable,
        sizes=[(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages],
        pages=[p.extract_text() for p in reader.pages],
    )


@pytest.fixture(scope="module")
def printouts(reports: Run, browser: Browser) -> Iterator[dict[tuple[str, str], Printout]]:  # noqa: F811
    PRINTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(offline=True)
    page = context.new_page()
    try:
        yield {
            (name, paper): _print(page, (reports.out / f"{name}.html").resolve().as_uri(), paper)
            for name in PAGES
            for paper in PAPERS
        }
    finally:
        context.close()


CASES = [(name, paper) for name in PAGES for paper in PAPERS]


@pytest.mark.parametrize(("name", "paper"), CASES)
def test_every_pdf_page_is_the_paper(
    printouts: dict[tuple[str, str], Printout], name: str, paper: str
) -> None:
    printout = printouts[name, paper]
    width, height = (mm * PT_PER_MM for mm in PAPERS[paper])
    assert printout.sizes, "the PDF has no page"
    for w, h in printout.sizes:
        assert abs(w - width) < 1.5 and abs(h - height) < 1.5, (w, h)


@pytest.mark.parametrize(("name", "paper"), CASES)
def test_nothing_is_wider_than_the_paper(
    printouts: dict[tuple[str, str], Printout], name: str, paper: str
) -> None:
    printout = printouts[name, paper]
    assert printout.over == []
    assert printout.page_width <= printout.printable_px


@pytest.mark.parametrize(("name", "paper"), CASES)
def test_no_table_is_cut(printouts: dict[tuple[str, str], Printout], name: str, paper: str) -> None:
    """A cut table loses its right-hand side: the last column's text must be in the PDF."""
    printout = printouts[name, paper]
    text = _flat("".join(printout.pages))
    assert printout.last_column, f"{name} prints no table"
    for column in printout.last_column:
        for cell in column:
            assert _flat(cell) in text, f"{cell!r} is missing from the printed {name}"


@pytest.mark.parametrize(("name", "paper"), CASES)
def test_sections_start_a_page(
    printouts: dict[tuple[str, str], Printout], name: str, paper: str
) -> None:
    printout = printouts[name, paper]
    assert printout.sections, f"{name} has no second section"
    tops = [_flat(page)[:200] for page in printout.pages]
    for heading in printout.sections:
        assert any(top.startswith(_flat(heading)) for top in tops), heading


@pytest.mark.parametrize(("name", "paper"), CASES)
def test_provenance_closes_the_last_page(
    printouts: dict[tuple[str, str], Printout], name: str, paper: str
) -> None:
    *before, last = printouts[name, paper].pages
    assert "Provenance" in last and "Generated" in last and "Reproduce" in last
    assert not any("Provenance" in page for page in before), "provenance split or early"
