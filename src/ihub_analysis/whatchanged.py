"""Report helpers for change and cause: deltas on headline figures, "What changed since B"
sections, and the evidence a reader asks for ("what did users say?", "what costs points?").

Like :mod:`ihub_analysis.notebook`, each display helper shows HTML in the notebook and
has an ``*_html`` twin that returns it.  A headline with a change keeps its own markup
and gains a line ``<div class="ihub-delta ihub-delta-VERDICT" data-delta="D"
data-baseline-value="B">`` (``D`` the raw difference, ``""`` when unknown; VERDICT
``worse``, ``better``, ``same`` or ``neutral``).
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from ihub_analysis import notebook as nb
from ihub_analysis.metrics.compare import (
    BAND_RANK,
    COMPARISONS,
    HEALTH_BAND_RANK,
    SEVERITY_RANK,
    BaselineValue,
)
from ihub_analysis.metrics.evidence import HubEvidence, annotations_for
from ihub_analysis.workbench import Workbench

CSS = """
.ihub-delta{font-size:11.5px;line-height:1.3;margin-top:2px;font-variant-numeric:tabular-nums}
.ihub-delta-worse{color:#8b0000}.ihub-delta-better{color:#0072B2}
.ihub-delta-same,.ihub-delta-neutral{color:#666}
.ihub-said{margin:6px 0 14px;font-size:13px}
.ihub-said h3{font-size:14px;margin:10px 0 4px;color:#222}
.ihub-said ul{margin:2px 0 6px 18px;padding:0}
.ihub-said li{margin:3px 0;max-width:60em;line-height:1.4}
.ihub-said .ihub-said-meta{color:#666;font-size:11.5px;margin-left:4px}
"""

#: Per headline key: +1 when a higher value is better, -1 when worse, 0 when neither.
HEADLINE_DIRECTION: dict[str, int] = {
    "widgets": 0,
    "red_widgets": -1,
    "amber_widgets": -1,
    "regressed_widgets": -1,
    "mean_score": -1,
    "bottlenecks": -1,
    "critical": -1,
    "open_bottlenecks": -1,
    "critical_bottlenecks": -1,
    "funnel_created": 0,
    "funnel_evaluated": 1,
    "annotation_cited_share": 1,
    "hubs": 0,
    "at_risk_hubs": -1,
    "watch_hubs": -1,
    "mean_health": 1,
    "health_score": 1,
    "open_candidates": -1,
    "stale_decisions": -1,
    "active_bottlenecks": -1,
    "deployments": 0,
    "evaluated_share": 1,
    "change_failure_rate": -1,
    "regressed": -1,
    "improved": 1,
    "lead_time_p50_days": -1,
    "patterns": -1,
}

_STYLE_SHOWN = False


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _show(markup: str) -> None:
    from IPython.display import HTML, display

    display(HTML(markup))


def style() -> None:
    """Show this module's CSS once per notebook (the notebook helpers' CSS stays theirs)."""
    global _STYLE_SHOWN
    if not _STYLE_SHOWN:
        _show(f"<style>{CSS}</style>")
        _STYLE_SHOWN = True


def day(value: dt.datetime) -> str:
    """A baseline as readers see it: ``2026-10-04 00:00 UTC``."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def baseline(wb: Workbench, as_of: dt.datetime, compare_to: BaselineValue = None) -> dt.datetime:
    """The report's baseline B (``compare_to`` as given, else ``compare_days`` before T)."""
    return wb.resolve_baseline(as_of, compare_to)[1]


def gap_text(as_of: dt.datetime, base: dt.datetime) -> str:
    """``28 days``, ``1.5 days``, ``1 day``: how far the baseline lies before T."""
    gap = (as_of - base).total_seconds() / 86400
    shown = f"{gap:.0f}" if float(gap).is_integer() else f"{gap:.1f}"
    return f"{shown} day{'s' if gap != 1 else ''}"


def baseline_caption(as_of: dt.datetime, base: dt.datetime) -> str:
    """``compared with 2026-10-04 00:00 UTC (28 days earlier)``."""
    return f"compared with {day(base)} ({gap_text(as_of, base)} earlier)"


# ----------------------------------------------------------------------------- headlines
@dataclass(frozen=True)
class ChangedHeadline(nb.Headline):
    """A headline with its value at the baseline: shows an arrow and the delta."""

    previous: Any = None
    since: str = ""  # the baseline as shown, e.g. "2026-10-04"
    direction: int = 0  # +1 higher is better, -1 higher is worse, 0 neither

    def delta(self) -> float | int | None:
        now, before = self.value, self.previous
        numeric = (int, float)
        if isinstance(now, bool) or isinstance(before, bool):
            return None
        if not isinstance(now, numeric) or not isinstance(before, numeric):
            return None
        if any(isinstance(v, float) and not math.isfinite(v) for v in (now, before)):
            return None
        d = now - before
        return round(d, 6) if isinstance(d, float) else d

    def verdict(self) -> str:
        d = self.delta()
        if d is None:
            return "neutral"
        if self.direction == 0:
            return "neutral" if d else "same"
        if d == 0:
            return "same"
        return "better" if (d > 0) == (self.direction > 0) else "worse"

    def delta_text(self) -> str:
        d = self.delta()
        if d is None and self.previous is None:
            return f"no value at {self.since}" if self.value is not None else ""
        if d is None:
            same = self.previous == self.value
            return (
                f"unchanged since {self.since}" if same else f"was {self.previous} at {self.since}"
            )
        if d == 0:
            return f"→ unchanged since {self.since}"
        arrow = "↑" if d > 0 else "↓"
        if self.unit == "%":
            shown = f"{100 * d:+.1f} pp"
        elif isinstance(d, int):
            shown = f"{d:+d}"
        else:
            shown = f"{d:+.1f}"
        return f"{arrow} {shown} since {self.since}"

    def html(self) -> str:
        """The headline's own markup (its contract unchanged) plus a line with the change."""
        base = super().html()
        text = self.delta_text()
        if not text:
            return base
        line = (
            f'<div class="ihub-delta ihub-delta-{self.verdict()}" '
            f'data-delta="{_esc(nb.data_value(self.delta()))}" '
            f'data-baseline-value="{_esc(nb.data_value(self.previous))}">{_esc(text)}</div>'
        )
        return base[: -len("</div>")] + line + "</div>"


def with_changes(
    now: Sequence[nb.Headline], before: Sequence[nb.Headline] | None, base: dt.datetime
) -> list[nb.Headline]:
    """``now``'s headlines, each with its value at the baseline (from ``before``, same keys)."""
    if before is None:
        return list(now)
    previous = {h.key: h.value for h in before}
    since = base.astimezone(dt.UTC).strftime("%Y-%m-%d")
    out: list[nb.Headline] = []
    for h in now:
        fields = {f: getattr(h, f) for f in ("key", "label", "value", "unit", "note", "alert")}
        out.append(
            ChangedHeadline(
                **fields,
                previous=previous.get(h.key),
                since=since,
                direction=HEADLINE_DIRECTION.get(h.key, 0),
            )
        )
    return out


def baseline_view(comparison: pl.DataFrame, kind: str) -> pl.DataFrame:
    """The metric at B as rebuilt from a comparison: rows present at B, ``X`` = ``X_baseline``.

    Enough for the headline helpers, so a report's "before" figures come from the very
    comparison it shows rather than from another query.
    """
    spec = COMPARISONS[kind]
    at_b = comparison.filter(pl.col("change") != "new")
    return at_b.with_columns(
        [pl.col(f"{c}_baseline").alias(c) for c in (*spec.numeric, *spec.ordinal)]
    )


# ----------------------------------------------------------------------------- sections
def _ranked(frame: pl.DataFrame, column: str, ranks: dict[str, int]) -> pl.Expr:
    return pl.col(column).replace_strict(ranks, default=None, return_dtype=pl.Int64)


def _heading(what: str, base: dt.datetime) -> str:
    return f"What changed since {day(base)}: {what}"


def friction_changes_html(comparison: pl.DataFrame, base: dt.datetime, top_n: int = 10) -> str:
    """Widgets that entered or left red/amber, and the biggest risers and fallers."""
    now_rank = _ranked(comparison, "band", BAND_RANK)
    was_rank = _ranked(comparison, "band_baseline", BAND_RANK)
    amber = BAND_RANK["amber"]
    red = BAND_RANK["red"]
    crossed_amber = (now_rank.fill_null(-1) >= amber) != (was_rank.fill_null(-1) >= amber)
    crossed_red = (now_rank.fill_null(-1) == red) != (was_rank.fill_null(-1) == red)
    moved = comparison.filter(crossed_amber | crossed_red).with_columns(
        pl.when(now_rank.fill_null(-1) > was_rank.fill_null(-1))
        .then(pl.lit("entered"))
        .otherwise(pl.lit("left"))
        .alias("movement")
    )
    moved = moved.sort(["movement", "score_delta", "widget_name"], descending=[False, True, False])
    columns = {
        "hub_slug": "Hub",
        "widget_name": "Widget",
        "band_baseline": "Band before",
        "band": "Band now",
        "score_baseline": "Score before",
        "score": "Score now",
        "score_delta": "Change",
    }
    both = comparison.filter(pl.col("change").is_in(["worse", "better"]))
    risers = both.filter(pl.col("score_delta") > 0).sort(
        ["score_delta", "widget_name"], descending=[True, False]
    )
    fallers = both.filter(pl.col("score_delta") < 0).sort(["score_delta", "widget_name"])
    entered = moved.filter(pl.col("movement") == "entered").height
    text = (
        f"{entered} widget{'s' if entered != 1 else ''} entered amber or red, "
        f"{moved.height - entered} left; {risers.height} scored higher, "
        f"{fallers.height} lower, "
        f"{comparison.filter(pl.col('change') == 'new').height} are new."
    )
    return (
        nb.section_html(_heading("friction", base), text)
        + nb.table_html(
            moved,
            {"movement": "Entered / left", **columns},
            title="Widgets that entered or left amber/red",
            formats={"score_delta": "{:+d}", "band_baseline": "chip"},
            empty="No widget crossed into or out of amber or red.",
        )
        + nb.table_html(
            risers,
            columns,
            title="Biggest risers",
            formats={"score_delta": "{:+d}", "band_baseline": "chip"},
            limit=top_n,
            empty="No widget scored higher.",
        )
        + nb.table_html(
            fallers,
            columns,
            title="Biggest fallers",
            formats={"score_delta": "{:+d}", "band_baseline": "chip"},
            limit=top_n,
            empty="No widget scored lower.",
        )
    )


def friction_changes(comparison: pl.DataFrame, base: dt.datetime, top_n: int = 10) -> None:
    _show(friction_changes_html(comparison, base, top_n))


def bottleneck_changes_html(comparison: pl.DataFrame, base: dt.datetime, top_n: int = 15) -> str:
    """New, resolved and escalated bottlenecks."""
    new = comparison.filter(pl.col("change") == "new").sort("age_days", descending=True)
    resolved = comparison.filter(pl.col("change") == "gone").sort(
        "age_days_baseline", descending=True
    )
    escalated = comparison.filter(
        _ranked(comparison, "severity", SEVERITY_RANK)
        > _ranked(comparison, "severity_baseline", SEVERITY_RANK)
    ).sort("ratio", descending=True)
    columns = {
        "hub_slug": "Hub",
        "stage": "Stage",
        "title": "Item",
        "severity": "Severity",
        "age_days": "Age",
    }
    text = (
        f"{new.height} item{'s' if new.height != 1 else ''} started stalling, "
        f"{resolved.height} stalled item{'s' if resolved.height != 1 else ''} moved on or "
        f"closed, and {escalated.height} escalated to a higher severity."
    )
    return (
        nb.section_html(_heading("bottlenecks", base), text)
        + nb.table_html(
            new,
            columns,
            title="New bottlenecks",
            formats={"age_days": "days"},
            limit=top_n,
            empty="No item started stalling.",
        )
        + nb.table_html(
            resolved,
            {**columns, "severity_baseline": "Severity then", "age_days_baseline": "Age then"},
            title="Resolved bottlenecks",
            formats={"age_days_baseline": "days", "severity_baseline": "chip"},
            limit=top_n,
            empty="No stalled item moved on.",
        )
        + nb.table_html(
            escalated,
            {**columns, "severity_baseline": "Severity then"},
            title="Escalated bottlenecks",
            formats={"age_days": "days", "severity_baseline": "chip"},
            limit=top_n,
            empty="No item escalated.",
        )
    )


def bottleneck_changes(comparison: pl.DataFrame, base: dt.datetime, top_n: int = 15) -> None:
    _show(bottleneck_changes_html(comparison, base, top_n))


def funnel_changes_html(comparison: pl.DataFrame, base: dt.datetime) -> str:
    """Conversion and p50/p90 shifts per step (all hubs, or each hub of a filter)."""
    rows = comparison.filter(pl.col("step") != "created")
    overall = rows.filter(pl.col("hub_slug") == "all")
    shown = overall if overall.height else rows
    return nb.section_html(
        _heading("funnel", base),
        "Conversion from the previous step and the days it took (median and 90th percentile), "
        "each for the cohort of its own date.",
    ) + nb.table_html(
        shown,
        {
            "hub_slug": "Hub",
            "step": "Step",
            "conversion_baseline": "Conversion before",
            "conversion": "Conversion now",
            "conversion_delta": "Change",
            "p50_days_delta": "p50 shift",
            "p90_days_delta": "p90 shift",
            "change": "Direction",
        },
        formats={
            "conversion_baseline": "percent",
            "conversion": "percent",
            "conversion_delta": lambda v: f"{100 * v:+.1f} pp",
            "p50_days_delta": "{:+.1f} d",
            "p90_days_delta": "{:+.1f} d",
        },
        empty="The funnel has no steps to compare.",
        title="Funnel steps now and at the baseline",
    )


def funnel_changes(comparison: pl.DataFrame, base: dt.datetime) -> None:
    _show(funnel_changes_html(comparison, base))


def health_changes_html(comparison: pl.DataFrame, base: dt.datetime) -> str:
    """Hubs that changed band, then every hub's score then and now."""
    band_moves = comparison.filter(
        pl.col("band_baseline").is_null()
        | pl.col("band").is_null()
        | (pl.col("band") != pl.col("band_baseline"))
    ).with_columns(
        (
            _ranked(comparison, "band", HEALTH_BAND_RANK).fill_null(-1)
            > _ranked(comparison, "band_baseline", HEALTH_BAND_RANK).fill_null(-1)
        ).alias("_down")
    )
    columns = {
        "hub_slug": "Hub",
        "band_baseline": "Band before",
        "band": "Band now",
        "health_score_baseline": "Score before",
        "health_score": "Score now",
        "health_score_delta": "Change",
        "change": "Direction",
    }
    worse = comparison.filter(pl.col("change") == "worse").height
    better = comparison.filter(pl.col("change") == "better").height
    return (
        nb.section_html(
            _heading("hub health", base),
            f"{worse} hub{'s' if worse != 1 else ''} lost points, {better} gained; "
            f"{band_moves.height} changed band.",
        )
        + nb.table_html(
            band_moves.sort(["_down", "health_score_delta"], descending=[True, False]),
            columns,
            title="Hubs that changed band",
            formats={"health_score_delta": "{:+d}", "band_baseline": "chip"},
            empty="No hub changed band.",
        )
        + nb.table_html(
            comparison.sort(["health_score_delta", "hub_slug"], nulls_last=True),
            columns,
            title="Every hub, biggest loss first",
            formats={"health_score_delta": "{:+d}", "band_baseline": "chip"},
            empty="No hub to compare.",
        )
    )


def health_changes(comparison: pl.DataFrame, base: dt.datetime) -> None:
    _show(health_changes_html(comparison, base))


def propagation_changes_html(comparison: pl.DataFrame, base: dt.datetime) -> str:
    """Cross-hub patterns that appeared, faded, grew or shrank."""
    moved = comparison.filter(pl.col("change") != "same").with_columns(
        pl.col("change")
        .replace({"new": "appeared", "gone": "faded", "worse": "grew", "better": "shrank"})
        .alias("what")
    )
    return nb.section_html(
        _heading("cross-hub patterns", base),
        "Patterns that appeared or faded, and those whose leading figure grew or shrank.",
    ) + nb.table_html(
        moved,
        {
            "what": "What",
            "pattern_type": "Pattern",
            "key": "Category / type",
            "source_hub": "Leading hub",
            "metric_baseline": "Measure before",
            "metric": "Measure now",
            "hub_count_baseline": "Hubs before",
            "hub_count": "Hubs now",
        },
        empty="No cross-hub pattern appeared, faded or changed.",
        title="Cross-hub patterns that appeared or faded",
    )


def propagation_changes(comparison: pl.DataFrame, base: dt.datetime) -> None:
    _show(propagation_changes_html(comparison, base))


def deployments_since_html(changes: pl.DataFrame, base: dt.datetime) -> str:
    """The deployments made since the baseline and their verdicts at T."""
    since = changes.filter(pl.col("deployed_at") >= base)
    counts = since.group_by("verdict").len().sort("verdict").to_dicts()
    text = ", ".join(f"{r['len']} {str(r['verdict']).replace('_', ' ')}" for r in counts) or "none"
    return nb.section_html(
        _heading("deployments", base),
        f"Deployments made since the baseline, with their verdict now: {text}.",
    ) + nb.table_html(
        since,
        {
            "hub_slug": "Hub",
            "version_ref": "Version",
            "decision_title": "Decision",
            "deployed_at": "Deployed",
            "verdict": "Verdict",
            "delta": "Friction change",
        },
        formats={"delta": "{:+.1f}"},
        empty="No deployment since the baseline.",
        title="Deployments since the baseline",
    )


def deployments_since(changes: pl.DataFrame, base: dt.datetime) -> None:
    _show(deployments_since_html(changes, base))


# ----------------------------------------------------------------------------- evidence
def what_users_said_html(
    wb: Workbench,
    widgets: pl.DataFrame,
    as_of: dt.datetime,
    *,
    per_widget: int = 3,
    title: str = "What users said about the red widgets",
) -> str:
    """Each widget's most severe recent friction annotations (excerpts; never the author)."""
    if widgets.is_empty():
        return ""
    said = annotations_for(wb, widgets["widget_id"].to_list(), as_of).filter(pl.col("counts"))
    parts = [f'<div class="ihub-said"><div class="ihub-table-title">{_esc(title)}</div>']
    for w in widgets.to_dicts():
        mine = said.filter(pl.col("widget_id") == w["widget_id"]).head(per_widget)
        parts.append(
            f'<h3 data-widget="{_esc(w["widget_id"])}">{_esc(w["widget_name"])} '
            f'<span class="ihub-said-meta">{_esc(w["hub_slug"])} · score {_esc(w["score"])}'
            "</span></h3>"
        )
        if mine.is_empty():
            parts.append('<p class="ihub-said-meta">No friction annotation in the window.</p>')
            continue
        items = "".join(
            f'<li><span class="ihub-chip ihub-chip-{_esc(a["severity"])}">'
            f"{_esc(a['severity'])}</span> {_esc(a['excerpt'])}"
            f'<span class="ihub-said-meta">{_esc(a["category"])} · '
            f"{_esc(a['created_at'].strftime('%Y-%m-%d'))}</span></li>"
            for a in mine.to_dicts()
        )
        parts.append(f"<ul>{items}</ul>")
    parts.append("</div>")
    return "".join(parts)


def what_users_said(
    wb: Workbench, widgets: pl.DataFrame, as_of: dt.datetime, *, per_widget: int = 3, **kw: Any
) -> None:
    markup = what_users_said_html(wb, widgets, as_of, per_widget=per_widget, **kw)
    if markup:
        _show(markup)


_DEDUCTION_LABELS = {
    "open_candidates": "Open candidates",
    "regressed_widgets": "Regressed widgets",
    "stale_decisions": "Stale decisions",
    "active_bottlenecks": "Active bottlenecks",
    "red_widgets": "Red widgets",
}


def deductions_html(ev: HubEvidence, *, limit: int = 10) -> str:
    """A hub's deductions and, under each, the items costing it the points."""
    ded = ev.deductions.with_columns(pl.col("component").replace(_DEDUCTION_LABELS).alias("label"))
    out = [
        nb.table_html(
            ded,
            {
                "label": "Deduction",
                "count": "Items",
                "weight": "Points each",
                "cap": "Cap",
                "points": "Points lost",
            },
            title=f"{ev.hub_slug}: health {ev.health['health_score'][0]} = 100 − "
            f"{int(ev.deductions['points'].sum())}",
        )
    ]
    items = {
        "open_candidates": (
            ev.open_candidates,
            {
                "title": "Candidate",
                "widget_name": "Widget",
                "status": "Status",
                "age_days": "Age",
                "stale": "Stale",
            },
        ),
        "regressed_widgets": (
            ev.regressions,
            {
                "version_ref": "Deployment",
                "deployed_at": "Deployed",
                "rule_a": "Bad evaluation",
                "rule_b": "Error rate up",
                "verdict": "Verdict",
            },
        ),
        "stale_decisions": (
            ev.bottlenecks.filter(pl.col("stage") == "decision"),
            {"title": "Decision", "age_days": "Age", "severity": "Severity"},
        ),
        "active_bottlenecks": (
            ev.bottlenecks,
            {"stage": "Stage", "title": "Item", "age_days": "Age", "severity": "Severity"},
        ),
        "red_widgets": (
            ev.red_widgets,
            {
                "widget_name": "Widget",
                "score": "Score",
                "annotation_points": "Annotation pts",
                "error_points": "Error pts",
                "regression_points": "Regression pts",
                "stale_points": "Stale pts",
            },
        ),
    }
    for row in ev.deductions.to_dicts():
        if not row["points"]:
            continue
        frame, columns = items[row["component"]]
        out.append(
            nb.table_html(
                frame,
                columns,
                title=f"{_DEDUCTION_LABELS[row['component']]}: −{row['points']} points",
                formats={"age_days": "days"},
                limit=limit,
            )
        )
    return "".join(out)


def deductions(ev: HubEvidence, *, limit: int = 10) -> None:
    _show(deductions_html(ev, limit=limit))


def replace_note(h: nb.Headline, note: str | None) -> nb.Headline:
    """``h`` with another note (keeps a change's arrow)."""
    return replace(h, note=note)
