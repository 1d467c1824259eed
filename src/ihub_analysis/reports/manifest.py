"""``manifest.json``: what one report run did, for a scheduler or a dashboard to read.

Written into the run's folder with the reports (as part of the same set), so it
always describes the files beside it: when and from what they were made, each
file's SHA-256, what failed and where, and the headline figures as numbers.
Its shape is ``manifest.schema.json`` beside this module (JSON Schema 2020-12).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from ihub_analysis.reports.catalog import REPORTS
from ihub_analysis.reports.provenance import Provenance
from ihub_analysis.timeutil import iso_utc

MANIFEST = "manifest.json"
SCHEMA = Path(__file__).resolve().parent / "manifest.schema.json"
#: Raised when the shape changes incompatibly; readers check it.
FORMAT_VERSION = 1
#: A report's status in the manifest.
RENDERED, FAILED, NOT_AVAILABLE, KEPT, NOT_RENDERED = (
    "rendered",
    "failed",
    "not_available",
    "kept",
    "not_rendered",
)


class _Figures(HTMLParser):
    """The headline figures (``data-key``/``data-value``) and notice kinds of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self.notices: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        classes = found.get("class", "").split()
        if "ihub-headline" in classes and "data-key" in found:
            self.values.setdefault(found["data-key"], found.get("data-value", ""))
        if "ihub-notice" in classes:
            self.notices.append(found.get("data-kind", ""))


def _number(text: str) -> float | int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


def page_figures(page: str) -> tuple[dict[str, float | int | None], list[str]]:
    """The page's headline figures as numbers (None: no value), and its notice kinds.

    Figures that are not numbers (the name of the lowest hub) are left out.
    """
    parser = _Figures()
    parser.feed(page)
    parser.close()
    figures: dict[str, float | int | None] = {}
    for key, raw in parser.values.items():
        number = _number(raw)
        if raw == "" or number is not None:
            figures[key] = number
    return figures, parser.notices


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ReportResult:
    """What the run knows about one report when it writes the manifest."""

    name: str
    error: str = ""  # "" when rendered (or not in this run)
    failed_cell: str = ""
    in_run: bool = True
    title: str = ""  # for a report outside the catalog (a hub dossier)


def _report_entry(folder: Path, result: ReportResult) -> dict[str, Any]:
    spec = REPORTS.get(result.name)
    page, notebook = folder / f"{result.name}.html", folder / f"{result.name}.ipynb"
    failed_nb = folder / "failed" / f"{result.name}.ipynb"
    figures: dict[str, float | int | None] = {}
    notices: list[str] = []
    if page.exists():
        figures, notices = page_figures(page.read_text(encoding="utf-8", errors="replace"))
    if not result.in_run:
        status = KEPT if page.exists() else NOT_RENDERED
    elif result.error:
        status = FAILED
    elif "not-available" in notices and all(v is None for v in figures.values()):
        status = NOT_AVAILABLE
    else:
        status = RENDERED
    return {
        "name": result.name,
        "title": spec.title if spec else result.title or result.name,
        "status": status,
        "file": page.name if page.exists() else None,
        "sha256": sha256(page) if page.exists() else None,
        "notebook": notebook.name if notebook.exists() else None,
        "notebook_sha256": sha256(notebook) if notebook.exists() else None,
        "error": result.error or None,
        "failed_cell": result.failed_cell or None,
        "failed_notebook": f"failed/{failed_nb.name}"
        if status == FAILED and failed_nb.exists()
        else None,
        "notices": sorted(set(notices)),
        "headlines": figures,
    }


def build(
    folder: Path,
    *,
    prov: Provenance,
    results: list[ReportResult],
    board_error: str,
    compare_to: dt.datetime | None,
    started_at: dt.datetime,
    exit_status: int,
) -> dict[str, Any]:
    """The manifest of the set staged in ``folder`` (every file already written but this)."""
    index = folder / "index.html"
    board_figures: dict[str, float | int | None] = {}
    if index.exists():
        board_figures = page_figures(index.read_text(encoding="utf-8", errors="replace"))[0]
    in_run = {r.name: r for r in results}
    names = [*REPORTS, *(n for n in in_run if n not in REPORTS)]  # the catalog, then dossiers
    reports = [_report_entry(folder, in_run.get(n, ReportResult(n, in_run=False))) for n in names]
    return {
        "format_version": FORMAT_VERSION,
        "tool": {"name": "ihub-analysis", "version": prov.version},
        "as_of": iso_utc(prov.as_of),
        "as_of_given": prov.as_of_given,
        "taken_at": iso_utc(prov.taken_at) if prov.taken_at else None,
        "source": prov.source,
        "compare_to": iso_utc(compare_to) if compare_to else None,
        "settings": prov.settings.as_dict(),
        "settings_changed": prov.settings.differences(),
        "started_at": iso_utc(started_at.replace(microsecond=0)),
        "finished_at": iso_utc(dt.datetime.now(dt.UTC).replace(microsecond=0)),
        "exit_status": exit_status,
        "reports": reports,
        "board": {
            "file": index.name if index.exists() else None,
            "sha256": sha256(index) if index.exists() else None,
            "status": FAILED if board_error else RENDERED,
            "error": board_error or None,
            "headlines": board_figures,
        },
    }


def dumps(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def read(folder: Path) -> dict[str, Any] | None:
    """The manifest in ``folder``, or None if it has none or it cannot be read."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def schema() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return result
