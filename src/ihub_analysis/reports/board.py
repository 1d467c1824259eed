"""The operational review board (``reports/index.html``): the page a governance meeting
opens first.

It is computed from the workbench directly, not from a notebook, so it renders
even when a report notebook fails: a health matrix, the worst friction widgets,
open bottlenecks by stage and severity, the open cross-hub patterns, and links
to every report.  Each panel degrades to a notice on an empty or older database.
Headline tiles, notices, chips and tables use the notebooks' own markup and CSS
(:mod:`ihub_analysis.notebook`), so the board and the reports look alike.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ihub_analysis import notebook
from ihub_analysis.errors import MissingTablesError
from ihub_analysis.reports.catalog import REPORTS
from ihub_analysis.reports.export import jinja, stylesheet
from ihub_analysis.reports.provenance import Provenance
from ihub_analysis.timeutil import iso_utc
from ihub_analysis.workbench import CHANGE_TABLES, Workbench

TOP_FRICTION = 10
HEALTH_COMPONENTS = (
    ("open_candidates", "Open candidates"),
    ("regressed_widgets", "Regressed widgets"),
    ("stale_decisions", "Stale decisions"),
    ("active_bottlenecks", "Active bottlenecks"),
    ("red_widgets", "Red widgets"),
)
STAGES = ("candidate", "requirement", "decision", "observation")
SEVERITIES = ("critical", "high", "medium", "low")
_FOOTER_ATTR = re.compile(r"<footer\b[^>]*\bihub-provenance\b[^>]*>", re.S)


@dataclass(frozen=True)
class Panel:
    """One board panel: its rows, or the HTML of a notice saying why there are none."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    notice: str = ""


def _notice(kind: str, text: str) -> Panel:
    return Panel(notice=notebook.notice_html(kind, text))


@dataclass(frozen=True)
class BoardData:
    """Everything the board shows that comes from the database."""

    older: str  # notice HTML when the database lacks the change tables, else ""
    tiles: list[notebook.Headline]
    health: Panel
    friction: Panel
    bottlenecks: Panel
    propagation: Panel


@dataclass(frozen=True)
class ReportLink:
    """How the board presents one report file."""

    name: str
    title: str
    summary: str
    status: str  # "rendered" | "failed" | "kept" | "missing"
    message: str
    href: str | None
    as_of: str | None
    generated_at: str | None
    failed_notebook: str | None


def _panel(compute: Callable[[], pl.DataFrame], empty: str) -> tuple[Panel, pl.DataFrame | None]:
    """Run one metric; a missing table or no rows becomes the panel's notice."""
    try:
        frame = compute()
    except MissingTablesError as exc:
        return _notice("not-available", str(exc)), None
    if frame.is_empty():
        return _notice("no-data", empty), frame
    return Panel(rows=frame.to_dicts()), frame


def _health_rows(frame: pl.DataFrame, arrows: pl.DataFrame) -> list[dict[str, Any]]:
    """Worst hubs first, each with its components and its change over the arrow's weeks."""
    trend = arrows.select("hub_slug", "change", "arrow")
    ordered = frame.join(trend, on="hub_slug", how="left").sort(["health_score", "hub_slug"])
    return [
        {
            **row,
            "components": [(key, row[key]) for key, _ in HEALTH_COMPONENTS],
        }
        for row in ordered.to_dicts()
    ]


def _severity_matrix(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """One row per stage: counts per severity, total and the oldest item's age."""
    rows = []
    for stage in STAGES:
        items = frame.filter(pl.col("stage") == stage)
        counts = {s: items.filter(pl.col("severity") == s).height for s in SEVERITIES}
        oldest = items["age_days"].max() if items.height else None
        rows.append({"stage": stage, "counts": counts, "total": items.height, "oldest": oldest})
    return rows


def older_database_notice(wb: Workbench) -> str:
    """Say which figures are zero only because an older database lacks their tables."""
    missing = [t for t in CHANGE_TABLES if t not in wb.tables]
    if not missing:
        return ""
    return notebook.notice_html(
        "not-available",
        f"This database stops at Inter-Hub phase {wb.source.phase} and has no "
        f"{', '.join(missing)}: regressions, stale decisions and the requirement, decision and "
        "observation stages count as zero here, not because there are none.",
        missing=missing,
    )


Tiles = list[notebook.Headline]


def _health_panel(wb: Workbench, as_of: Any, overrides: dict[str, Any]) -> tuple[Panel, Tiles]:
    panel, frame = _panel(lambda: wb.health(as_of=as_of, **overrides), "No hub exists at T.")
    if frame is None:
        return panel, []
    if frame.height:
        panel = Panel(rows=_health_rows(frame, wb.health_arrows(as_of=as_of, **overrides)))
    at_risk = frame.filter(pl.col("band") == "at_risk").height
    return panel, [
        notebook.Headline("hubs", "Hubs", frame.height),
        notebook.Headline("at_risk_hubs", "Hubs at risk", at_risk, alert=at_risk > 0),
    ]


def _friction_panel(wb: Workbench, as_of: Any, overrides: dict[str, Any]) -> tuple[Panel, Tiles]:
    panel, frame = _panel(lambda: wb.friction(as_of=as_of, **overrides), "No widget exists at T.")
    if frame is None:
        return panel, []
    worst = frame.filter(pl.col("score") > 0).head(TOP_FRICTION)
    if worst.height:
        panel = Panel(rows=worst.to_dicts())
    elif frame.height:
        panel = _notice("no-data", "No widget has any friction in the window.")
    red = frame.filter(pl.col("band") == "red").height
    return panel, [notebook.Headline("red_widgets", "Red widgets", red, alert=red > 0)]


def _bottleneck_panel(wb: Workbench, as_of: Any, overrides: dict[str, Any]) -> tuple[Panel, Tiles]:
    panel, frame = _panel(
        lambda: wb.bottlenecks(as_of=as_of, **overrides), "Nothing is stalled past its threshold."
    )
    if frame is None:
        return panel, []
    if frame.height:
        panel = Panel(rows=_severity_matrix(frame))
    critical = frame.filter(pl.col("severity") == "critical").height
    return panel, [
        notebook.Headline("open_bottlenecks", "Open bottlenecks", frame.height),
        notebook.Headline(
            "critical_bottlenecks", "Critical bottlenecks", critical, alert=critical > 0
        ),
    ]


def _propagation_panel(wb: Workbench, as_of: Any, overrides: dict[str, Any]) -> tuple[Panel, Tiles]:
    panel, frame = _panel(
        lambda: wb.propagation(as_of=as_of, **overrides), "No pattern spans two or more hubs."
    )
    if frame is None:
        return panel, []
    return panel, [notebook.Headline("patterns", "Cross-hub patterns", frame.height)]


def compute_board(wb: Workbench, as_of: Any, overrides: dict[str, Any]) -> BoardData:
    """Query the four panels and their headline tiles at ``as_of``."""
    health, friction, bottlenecks, propagation = (
        build(wb, as_of, overrides)
        for build in (_health_panel, _friction_panel, _bottleneck_panel, _propagation_panel)
    )
    tiles = [*health[1], *friction[1], *bottlenecks[1], *propagation[1]]
    return BoardData(
        older_database_notice(wb), tiles, health[0], friction[0], bottlenecks[0], propagation[0]
    )


def _footer_attributes(path: Path) -> dict[str, str]:
    """The provenance attributes of an existing report file (its as-of and generation time)."""
    match = _FOOTER_ATTR.search(path.read_text(encoding="utf-8", errors="replace"))
    if not match:
        return {}
    return {k: html.unescape(v) for k, v in re.findall(r'data-([\w-]+)="([^"]*)"', match.group(0))}


def report_links(out_dir: Path, outcomes: dict[str, str]) -> list[ReportLink]:
    """A link per report: rendered now, failed now (last good file kept), or left from before.

    ``outcomes`` maps the reports of this run to "" (rendered) or their failure message.
    """
    links = []
    for name, spec in REPORTS.items():
        page = out_dir / f"{name}.html"
        failed_nb = out_dir / "failed" / f"{name}.ipynb"
        attrs = _footer_attributes(page) if page.exists() else {}
        if name in outcomes and not outcomes[name]:
            status, message = "rendered", "rendered in this run"
        elif name in outcomes:
            status, message = "failed", f"failed in this run: {outcomes[name]}"
        elif page.exists():
            status, message = "kept", "not rendered in this run"
        else:
            status, message = "missing", "not rendered yet"
        links.append(
            ReportLink(
                name=name,
                title=spec.title,
                summary=spec.summary,
                status=status,
                message=message,
                href=page.name if page.exists() else None,
                as_of=attrs.get("as-of"),
                generated_at=attrs.get("generated-at"),
                failed_notebook=f"failed/{failed_nb.name}"
                if status == "failed" and failed_nb.exists()
                else None,
            )
        )
    return links


def board_html(data: BoardData, links: list[ReportLink], prov: Provenance, footer: str) -> str:
    """The review board page."""
    settings = prov.settings
    return (
        jinja()
        .get_template("board.html.j2")
        .render(
            data=data,
            links=links,
            as_of=iso_utc(prov.as_of),
            source=prov.source,
            footer=footer,
            tiles=notebook.headlines_html(data.tiles),
            css=stylesheet() + notebook.CSS,
            components=HEALTH_COMPONENTS,
            severities=SEVERITIES,
            healthy_min=settings.health_healthy_min,
            watch_min=settings.health_watch_min,
            arrow_weeks=settings.trend_arrow_weeks,
        )
    )
