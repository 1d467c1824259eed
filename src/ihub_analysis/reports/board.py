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

from ihub_analysis import notebook, whatchanged
from ihub_analysis.errors import MissingTablesError
from ihub_analysis.reports.catalog import REPORTS, dossier_name
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
    since: str = ""  # the "Since the last review" panel (HTML), empty without a baseline


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


def compute_board(
    wb: Workbench, as_of: Any, overrides: dict[str, Any], baseline: Any = None
) -> BoardData:
    """Query the four panels and their headline tiles at ``as_of``; with a ``baseline``,
    also what changed since it."""
    health, friction, bottlenecks, propagation = (
        build(wb, as_of, overrides)
        for build in (_health_panel, _friction_panel, _bottleneck_panel, _propagation_panel)
    )
    tiles = [*health[1], *friction[1], *bottlenecks[1], *propagation[1]]
    since = since_panel(wb, as_of, baseline, overrides) if baseline is not None else ""
    return BoardData(
        older_database_notice(wb),
        tiles,
        health[0],
        friction[0],
        bottlenecks[0],
        propagation[0],
        since,
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


def dossier_links(out_dir: Path) -> set[str]:
    """The hub dossier files present in ``out_dir`` (the health table links to them)."""
    return {p.name for p in out_dir.glob("hub-*.html")}


def board_html(
    data: BoardData,
    links: list[ReportLink],
    prov: Provenance,
    footer: str,
    dossiers: set[str] | None = None,
) -> str:
    """The review board page; ``dossiers`` are the hub dossier files that can be linked."""
    settings = prov.settings
    present = dossiers or set()
    hub_links = {
        row["hub_slug"]: f"{dossier_name(row['hub_slug'])}.html"
        for row in data.health.rows
        if f"{dossier_name(row['hub_slug'])}.html" in present
    }
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
            css=stylesheet() + notebook.CSS + whatchanged.CSS,
            hub_links=hub_links,
            components=HEALTH_COMPONENTS,
            severities=SEVERITIES,
            healthy_min=settings.health_healthy_min,
            watch_min=settings.health_watch_min,
            arrow_weeks=settings.trend_arrow_weeks,
        )
    )


# ------------------------------------------------------------------ since the last review
def _compared(
    wb: Workbench, kind: str, as_of: Any, baseline: Any, overrides: dict[str, Any]
) -> pl.DataFrame | None:
    """The comparison of ``kind``, or None when this database lacks its tables."""
    try:
        return wb.compare(kind, as_of=as_of, baseline=baseline, **overrides)
    except MissingTablesError:
        return None


def since_panel(wb: Workbench, as_of: Any, baseline: Any, overrides: dict[str, Any]) -> str:
    """What got worse (or better) since the baseline: tiles with deltas and short lists."""
    t, b = wb.resolve_baseline(as_of, baseline, **overrides)
    health = _compared(wb, "health", t, b, overrides)
    friction = _compared(wb, "friction", t, b, overrides)
    stalled = _compared(wb, "bottlenecks", t, b, overrides)
    patterns = _compared(wb, "propagation", t, b, overrides)
    now: list[notebook.Headline] = []
    before: list[notebook.Headline] = []

    def tile(
        key: str, label: str, frame: pl.DataFrame | None, count: Callable[[pl.DataFrame], int]
    ):
        if frame is None:
            return
        at_b = frame.filter(pl.col("change") != "new").with_columns(
            [
                pl.col(c).alias(c.removesuffix("_baseline"))
                for c in frame.columns
                if c.endswith("_baseline")
            ]
        )
        value = count(frame.filter(pl.col("change") != "gone"))
        now.append(notebook.Headline(key, label, value, alert=value > 0 and key != "hubs"))
        before.append(notebook.Headline(key, label, count(at_b)))

    tile(
        "at_risk_hubs",
        "Hubs at risk",
        health,
        lambda f: f.filter(pl.col("band") == "at_risk").height,
    )
    tile("red_widgets", "Red widgets", friction, lambda f: f.filter(pl.col("band") == "red").height)
    tile("open_bottlenecks", "Open bottlenecks", stalled, lambda f: f.height)
    tile(
        "critical_bottlenecks",
        "Critical bottlenecks",
        stalled,
        lambda f: f.filter(pl.col("severity") == "critical").height,
    )
    tile("patterns", "Cross-hub patterns", patterns, lambda f: f.height)
    parts = [
        '<section id="since" class="board-since">',
        f"<h2>Since the last review ({html.escape(whatchanged.day(b))})</h2>",
        f'<p class="board-note" data-baseline="{html.escape(iso_utc(b))}">'
        f"Baseline {html.escape(whatchanged.day(b))}, "
        f"{html.escape(whatchanged.gap_text(t, b))} before the board's T: every figure is "
        "recomputed as of that date with the same settings, so the arrows show what changed.</p>",
        notebook.headlines_html(whatchanged.with_changes(now, before, b)),
    ]
    if health is not None:
        worse = health.filter(pl.col("change") == "worse").sort(
            ["health_score_delta", "hub_slug"], nulls_last=True
        )
        parts.append(
            notebook.table_html(
                worse,
                {
                    "hub_slug": "Hub",
                    "band_baseline": "Band before",
                    "band": "Band now",
                    "health_score_baseline": "Before",
                    "health_score": "Now",
                    "health_score_delta": "Change",
                },
                title="Hubs that lost health",
                formats={"health_score_delta": "{:+d}", "band_baseline": "chip"},
                limit=8,
                empty="No hub lost health points.",
            )
        )
    if friction is not None:
        entered = friction.filter(
            (pl.col("band") == "red") & (pl.col("band_baseline").fill_null("") != "red")
        ).sort(["score_delta", "score"], descending=True, nulls_last=True)
        parts.append(
            notebook.table_html(
                entered,
                {
                    "widget_name": "Widget",
                    "hub_slug": "Hub",
                    "band_baseline": "Band before",
                    "score_baseline": "Before",
                    "score": "Now",
                },
                title="Widgets that turned red",
                formats={"band_baseline": "chip"},
                limit=8,
                empty="No widget turned red.",
            )
        )
    if stalled is not None:
        sev = {s: i for i, s in enumerate(reversed(SEVERITIES))}
        escalated = stalled.filter(
            pl.col("severity").replace_strict(sev, default=None, return_dtype=pl.Int64)
            > pl.col("severity_baseline").replace_strict(sev, default=None, return_dtype=pl.Int64)
        ).height
        new = stalled.filter(pl.col("change") == "new").height
        gone = stalled.filter(pl.col("change") == "gone").height
        parts.append(
            f'<p class="board-since-line" data-new="{new}" data-resolved="{gone}" '
            f'data-escalated="{escalated}"><strong>Bottlenecks:</strong> {new} new, '
            f"{gone} resolved, {escalated} escalated.</p>"
        )
    if patterns is not None:
        appeared = patterns.filter(pl.col("change") == "new")["key"].to_list()
        faded = patterns.filter(pl.col("change") == "gone")["key"].to_list()
        parts.append(
            f'<p class="board-since-line"><strong>Cross-hub patterns:</strong> '
            f"appeared: {html.escape(', '.join(appeared) or 'none')}; "
            f"faded: {html.escape(', '.join(faded) or 'none')}.</p>"
        )
    parts.append("</section>")
    return "".join(parts)
