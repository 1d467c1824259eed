"""Thin helpers for the report notebooks: headline figures, tables, notices, narrative.

The notebooks in ``notebooks/`` stay short: they fetch frames from the workbench,
call these helpers and the :mod:`ihub_analysis.charts` builders, nothing more.

HTML contracts (the report tests and pipeline rely on them):

* a headline figure is ``<div class="ihub-headline" data-key="KEY" data-value="VALUE">``,
  ``VALUE`` being the raw value (``""`` when there is none);
* a notice is ``<div class="ihub-notice" data-kind="no-data|not-available|unknown-hub|time">``.

:func:`setup` is every notebook's first cell: it accepts the parameters in the forms
Papermill's CLI produces (``-p hubs a,b``, ``-p settings '{"window_days": 14}'``), finds
the default source wherever the kernel runs, and stops with one sentence — not a
traceback — when there is nothing to open.

Each display helper (``headlines``, ``table``, ``notice`` …) shows its HTML in the
notebook; its ``*_html`` twin returns the string instead.  The CSS is small and
self-contained (no external fonts), shown once per notebook by :func:`style`.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from ihub_analysis.errors import BadInput, IhubError, MissingTablesError
from ihub_analysis.settings import Settings
from ihub_analysis.timeutil import iso_utc, parse_as_of
from ihub_analysis.workbench import Workbench, connect

__all__ = [
    "Headline",
    "bottleneck_headlines",
    "change_headlines",
    "chart",
    "connect_from_parameters",
    "context",
    "enable_notebook_renderer",
    "filter_hubs",
    "friction_headlines",
    "headline",
    "headline_html",
    "headlines",
    "headlines_html",
    "health_headlines",
    "hub_list",
    "load",
    "notice",
    "notice_html",
    "partial_notice",
    "section",
    "section_html",
    "settings_dict",
    "setup",
    "style",
    "table",
    "table_html",
]

NOTICE_KINDS = ("no-data", "not-available", "unknown-hub", "time")

CSS = """
.ihub-headlines{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0 14px}
.ihub-headline{flex:1 1 140px;max-width:220px;border:1px solid #d9dde3;
 border-left:4px solid #0072B2;border-radius:4px;padding:8px 12px;background:#fff;
 font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif}
.ihub-headline .ihub-label{font-size:12px;color:#555;line-height:1.3}
.ihub-headline .ihub-value{font-size:24px;font-weight:600;color:#222;line-height:1.3;
 font-variant-numeric:tabular-nums}
.ihub-headline .ihub-unit{font-size:13px;font-weight:400;color:#555;margin-left:3px}
.ihub-headline .ihub-note{font-size:11px;color:#666;line-height:1.3}
.ihub-headline:has(.ihub-alert){border-left-color:#8b0000}
.ihub-headline .ihub-alert{color:#8b0000}
.ihub-table-wrap{margin:6px 0 16px;overflow-x:auto}
.ihub-table-title{font-weight:600;font-size:14px;margin:0 0 6px;color:#222;text-align:left}
table.ihub-table{border-collapse:collapse;font-size:12.5px;font-variant-numeric:tabular-nums;
 font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif}
table.ihub-table th{text-align:left;border-bottom:2px solid #bbb;padding:4px 10px;color:#333;
 font-weight:600;white-space:nowrap}
table.ihub-table td{border-bottom:1px solid #e5e5e5;padding:4px 10px;vertical-align:top;
 color:#222;white-space:nowrap}
table.ihub-table td.text{white-space:normal;min-width:16em}
table.ihub-table th.num,table.ihub-table td.num{text-align:right}
table.ihub-table tr:nth-child(even) td{background:#fafafa}
.ihub-table-more{font-size:11.5px;color:#666;margin-top:4px}
.ihub-chip{display:inline-block;padding:0 7px;border-radius:9px;font-size:11.5px;
 line-height:18px;white-space:nowrap}
.ihub-chip-green{background:#2ca25f;color:#000}.ihub-chip-yellow{background:#fde725;color:#222}
.ihub-chip-amber{background:#f28e2b;color:#222}.ihub-chip-red{background:#8b0000;color:#fff}
.ihub-chip-low{background:#fdcc8a;color:#222}.ihub-chip-medium{background:#fc8d59;color:#222}
.ihub-chip-high{background:#d7301f;color:#fff}.ihub-chip-critical{background:#7f0000;color:#fff}
.ihub-chip-healthy{background:#2ca25f;color:#000}.ihub-chip-watch{background:#f28e2b;color:#222}
.ihub-chip-at_risk{background:#8b0000;color:#fff}
.ihub-chip-improved{background:#0072B2;color:#fff}.ihub-chip-regressed{background:#D55E00;color:#000}
.ihub-chip-neutral{background:#8c8c8c;color:#000}.ihub-chip-observing{background:#CC79A7;color:#222}
.ihub-chip-no_widgets{background:#d0d0d0;color:#222}
.ihub-notice{border:1px solid #d9dde3;border-left:4px solid #999;background:#f7f7f8;
 border-radius:4px;
 padding:8px 12px;margin:8px 0 14px;font-size:13px;color:#333}
.ihub-notice[data-kind|="not"],.ihub-notice[data-kind=time]{border-left-color:#E69F00;
 background:#fffaf0}
.ihub-notice[data-kind=unknown-hub]{border-left-color:#8b0000;background:#fff5f5}
.ihub-notice .ihub-notice-title{font-weight:600;margin-right:6px}
.ihub-notice code{font-size:12px}
.ihub-section h2{font-size:18px;margin:18px 0 4px;color:#222}
.ihub-section p{margin:4px 0 8px;max-width:60em;color:#333;line-height:1.45}
.ihub-context{font-size:12px;color:#555;margin:2px 0 10px}
.ihub-context code{font-size:11.5px}
"""

_STYLE_SHOWN = False


def _display_html(markup: str) -> None:
    from IPython.display import HTML, display

    display(HTML(markup))


def style_html() -> str:
    """The notebook CSS as one inline ``<style>`` element."""
    return f"<style>{CSS.strip()}</style>"


def style(force: bool = False) -> None:
    """Show the CSS once per notebook (kernel); later calls do nothing unless ``force``."""
    global _STYLE_SHOWN
    if _STYLE_SHOWN and not force:
        return
    _display_html(style_html())
    _STYLE_SHOWN = True


# ----------------------------------------------------------------------------- parameters
def connect_from_parameters(
    source: str | None = None,
    as_of: str | dt.datetime | dt.date | None = None,
    settings: Mapping[str, Any] | None = None,
) -> tuple[Workbench, dt.datetime, Settings]:
    """The notebook parameters → (workbench, as_of as an aware UTC datetime, settings).

    ``source`` None means the default source (``IHUB_SOURCE``, else the demo
    snapshot); ``as_of`` None means the source's default (snapshot ``taken_at``);
    ``settings`` are overrides of :class:`Settings`, validated, and become the
    workbench's settings, so every metric call uses them without repeating them.
    """
    used = Settings().replace(**dict(settings or {}))
    wb = connect(source, settings=used)
    when = wb.default_as_of() if as_of in (None, "") else parse_as_of(as_of)  # type: ignore[arg-type]
    return wb, when, used


class NotebookStop(Exception):  # noqa: N818 — it stops the notebook, it is not a bug
    """Ends a notebook run with one sentence instead of a traceback.

    IPython shows ``_render_traceback_()`` in place of the traceback; Papermill and
    nbconvert still see an error, so a scheduled run fails (with this sentence).
    """

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


def hub_list(hubs: Any) -> list[str]:
    """``hubs`` as a list of slugs, from any form a user or Papermill's CLI gives.

    ``None``/``""`` → every hub; ``"a,b"`` or ``"a b"`` (``-p hubs a,b``) and
    ``"[a, b]"`` (YAML/JSON) → ``["a", "b"]``; a list or tuple is kept, stripped.
    """
    if hubs is None:
        return []
    if isinstance(hubs, str):
        text = hubs.strip()
        if text.startswith("["):
            hubs = _yaml(text, "hubs")
        else:
            hubs = [part for part in text.replace(",", " ").split() if part]
    if isinstance(hubs, Mapping) or not isinstance(hubs, Sequence) or isinstance(hubs, bytes):
        raise BadInput(f"hubs must be a list of hub slugs or 'a,b', got {hubs!r}")
    slugs = [str(h).strip() for h in hubs if h is not None and str(h).strip()]
    return list(dict.fromkeys(slugs))


def settings_dict(settings: Any) -> dict[str, Any]:
    """``settings`` as a dict, from a dict or a JSON/YAML string (``-p settings '{...}'``)."""
    if settings is None or (isinstance(settings, str) and not settings.strip()):
        return {}
    if isinstance(settings, str):
        settings = _yaml(settings, "settings")
        if settings is None:
            return {}
    if not isinstance(settings, Mapping):
        raise BadInput(
            'settings must be a mapping such as {"window_days": 14} '
            f"(JSON or YAML), got {settings!r}"
        )
    return {str(k): v for k, v in settings.items()}


def _yaml(text: str, name: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        raise BadInput(f"{name} is neither JSON nor YAML ({first}): {text!r}") from None


def known_hubs(wb: Workbench) -> list[str]:
    """The hub slugs of the source, sorted."""
    return sorted(wb.sql("SELECT slug FROM hubs")["slug"].to_list())


def _check_hubs(wb: Workbench, hubs: list[str]) -> list[str]:
    """The requested hubs that exist; a notice names the others and the hubs there are."""
    if not hubs:
        return hubs
    existing = known_hubs(wb)
    unknown = [h for h in hubs if h not in existing]
    if not unknown:
        return hubs
    there = ", ".join(existing) if existing else "none"
    plural = "s" if len(unknown) > 1 else ""
    text = (
        f"This database has no hub{plural} {', '.join(repr(h) for h in unknown)}; "
        f"its hubs are: {there}."
    )
    notice("unknown-hub", text)
    kept = [h for h in hubs if h in existing]
    if not kept:
        raise NotebookStop(f"Unknown hub{plural}: t{text[1:]}")
    return kept


def enable_notebook_renderer() -> None:
    """Draw charts with the Vega bundle inlined (no network), in JupyterLab and in exports.

    The bundle is shown once here, as the setup cell's output: JupyterLab runs it in
    the page and an ``nbconvert --to html`` export carries it, so every later chart
    (a ``vegaEmbed`` call) draws offline.  Reports inline it themselves.
    """
    import altair as alt

    from ihub_analysis import charts

    if NOTEBOOK_RENDERER not in alt.renderers.names():
        alt.renderers.register(NOTEBOOK_RENDERER, _notebook_renderer)
    alt.renderers.enable(NOTEBOOK_RENDERER)
    bundle = charts.javascript_bundle().replace("</script", "<\\/script")
    # once per page: running the setup cell again must not declare the bundle twice
    _display_html(
        '<script data-ihub="vega-bundle">if (typeof window.vegaEmbed !== "function") '
        f"{{(function () {{\n{bundle}\n}})();}}</script>"
    )


NOTEBOOK_RENDERER = "ihub_notebook"


def _notebook_renderer(spec: dict[str, Any], **metadata: Any) -> dict[str, str]:
    from ihub_analysis import charts

    return {"text/html": charts.report_html(spec)}


def setup(
    source: str | None = None,
    as_of: str | dt.datetime | dt.date | None = None,
    settings: Any = None,
    hubs: Any = None,
    *,
    report_mode: bool = False,
) -> tuple[Workbench, dt.datetime, Settings, list[str]]:
    """A notebook's first cell: renderer, style, source, as-of, settings, hub filter.

    Returns ``(wb, as_of, settings, hubs)`` with every parameter normalised.  Stops
    the notebook with one sentence (:class:`NotebookStop`) when there is no data to
    open, a parameter is malformed or none of the requested hubs exists; shows a
    notice for some unknown hubs and for an ``as_of`` outside the data.
    """
    from ihub_analysis import charts
    from ihub_analysis.freshness import check_time
    from ihub_analysis.paths import NO_SOURCE_HINT, find_demo_source

    if report_mode:
        charts.enable_report_renderer()
    else:
        enable_notebook_renderer()
    style(force=True)
    try:
        wanted = hub_list(hubs)
        overrides = settings_dict(settings)
        if source in (None, "") and "IHUB_SOURCE" not in os.environ and not find_demo_source():
            raise NotebookStop(NO_SOURCE_HINT)
        wb, when, used = connect_from_parameters(source or None, as_of, overrides)
    except IhubError as exc:
        raise NotebookStop(str(exc)) from None
    kept = _check_hubs(wb, wanted)
    context(wb, when, used, kept)
    explicit = None if as_of in (None, "") else when
    for warning in check_time(wb, explicit):
        notice("time", warning[0].upper() + warning[1:] + ".")
    return wb, when, used, kept


def context_html(
    wb: Workbench, as_of: dt.datetime, settings: Settings, hubs: Sequence[str] = ()
) -> str:
    """One line: source (no password), as-of, settings that differ from the defaults, hub filter."""
    changed = settings.differences()
    parts = [
        f"Source <code>{_esc(wb.source.display)}</code>",
        f"as of <strong>{_esc(_fmt_datetime(as_of))}</strong>",
        "settings: "
        + (
            ", ".join(f"<code>{_esc(k)}={_esc(v)}</code>" for k, v in changed.items()) or "defaults"
        ),
    ]
    if hubs:
        parts.append("hubs: " + ", ".join(f"<code>{_esc(h)}</code>" for h in hubs))
    return f'<div class="ihub-context">{" · ".join(parts)}</div>'


def context(
    wb: Workbench, as_of: dt.datetime, settings: Settings, hubs: Sequence[str] = ()
) -> None:
    _display_html(context_html(wb, as_of, settings, hubs))


def filter_hubs(
    frame: pl.DataFrame, hubs: Sequence[str] | None, column: str = "hub_slug"
) -> pl.DataFrame:
    """Keep rows of the given hub slugs (all rows when ``hubs`` is empty).

    A filter drops the ``all`` rows of the funnel frames: headline helpers then sum
    the selected hubs instead.
    """
    if not hubs or column not in frame.columns:
        return frame
    return frame.filter(pl.col(column).is_in(list(hubs)))


def load(
    wb: Workbench,
    methods: Sequence[str],
    *,
    as_of: dt.datetime,
    hubs: Sequence[str] | None = None,
    what: str | None = None,
) -> dict[str, pl.DataFrame] | None:
    """Call each workbench method (as of ``as_of``), filter by hubs, return the frames.

    When the database lacks tables a method needs (an older Inter-Hub), shows a
    "not available in this database" notice naming them and returns None.
    """
    try:
        return {name: filter_hubs(getattr(wb, name)(as_of=as_of), hubs) for name in methods}
    except MissingTablesError as exc:
        notice("not-available", _missing_text(what or exc.what, exc.missing), missing=exc.missing)
        return None


def _missing_text(what: str, missing: Sequence[str]) -> str:
    plural = "s" if len(missing) > 1 else ""
    return (
        f"The {what} needs table{plural} {', '.join(missing)}, which this database does not have: "
        "it comes from an older Inter-Hub deployment."
    )


def partial_notice(wb: Workbench, tables: Sequence[str], consequence: str) -> None:
    """Show a "not available" notice when some of ``tables`` are absent.

    For parts of a report that still run on an older database but lose a component
    (e.g. regression flags without the deployment tables).
    """
    missing = sorted(t for t in tables if t not in wb.tables)
    if missing:
        plural = "s" if len(missing) > 1 else ""
        notice(
            "not-available",
            f"This database has no table{plural} {', '.join(missing)} "
            f"(an older Inter-Hub deployment): {consequence}",
            missing=missing,
        )


# ----------------------------------------------------------------------------- formatting
def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fmt_datetime(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _fmt_number(value: float | int, digits: int = 1) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u202f")
    if not math.isfinite(value):
        return "—"
    return f"{value:,.{digits}f}".replace(",", "\u202f")


def data_value(value: Any) -> str:
    """The raw value as written to ``data-value``: ``""`` for none, ISO for times."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return iso_utc(value)
    return str(value)


def _round(value: float | None, digits: int) -> float | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return round(float(value), digits)


# ----------------------------------------------------------------------------- headlines
@dataclass(frozen=True)
class Headline:
    """One headline figure: ``value`` is raw; ``unit`` ``"%"`` shows a 0–1 share as percent."""

    key: str
    label: str
    value: Any
    unit: str | None = None
    note: str | None = None
    alert: bool = False

    def shown(self) -> str:
        v = self.value
        if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
            return "—"
        if self.unit == "%" and isinstance(v, int | float):
            return f"{100 * v:.1f}"
        if isinstance(v, int | float):
            return _fmt_number(v)
        return str(v)

    def html(self) -> str:
        unit = (
            f'<span class="ihub-unit">{_esc(self.unit)}</span>'
            if self.unit and self.shown() != "—"
            else ""
        )
        note = f'<div class="ihub-note">{_esc(self.note)}</div>' if self.note else ""
        value_cls = "ihub-value ihub-alert" if self.alert else "ihub-value"
        return (
            f'<div class="ihub-headline" data-key="{_esc(self.key)}" '
            f'data-value="{_esc(data_value(self.value))}">'
            f'<div class="ihub-label">{_esc(self.label)}</div>'
            f'<div class="{value_cls}">{_esc(self.shown())}{unit}</div>{note}</div>'
        )


def headline_html(
    key: str, label: str, value: Any, unit: str | None = None, note: str | None = None
) -> str:
    return Headline(key, label, value, unit, note).html()


def headline(
    key: str, label: str, value: Any, unit: str | None = None, note: str | None = None
) -> None:
    """Show one headline figure."""
    _display_html(
        f'<div class="ihub-headlines">{headline_html(key, label, value, unit, note)}</div>'
    )


HeadlineLike = Headline | Mapping[str, Any] | Sequence[Any]


def _as_headline(item: HeadlineLike) -> Headline:
    if isinstance(item, Headline):
        return item
    if isinstance(item, Mapping):
        return Headline(**item)
    return Headline(*item)


def headlines_html(items: Iterable[HeadlineLike]) -> str:
    return (
        '<div class="ihub-headlines">' + "".join(_as_headline(i).html() for i in items) + "</div>"
    )


def headlines(items: Iterable[HeadlineLike]) -> None:
    """Show a row of headline figures (``Headline``, dicts or ``(key, label, value, …)`` tuples)."""
    _display_html(headlines_html(items))


def friction_headlines(friction: pl.DataFrame) -> list[Headline]:
    """Keys ``widgets``, ``red_widgets``, ``amber_widgets``, ``regressed_widgets``,
    ``mean_score`` (rounded to 1 decimal)."""
    n = friction.height
    band = friction["band"]
    mean = _round(friction["score"].mean(), 1) if n else None  # type: ignore[arg-type]
    red = int((band == "red").sum())
    return [
        Headline("widgets", "Widgets scored", n),
        Headline("red_widgets", "Red widgets (score ≥ 75)", red, alert=red > 0),
        Headline("amber_widgets", "Amber widgets (50–74)", int((band == "amber").sum())),
        Headline(
            "regressed_widgets",
            "Widgets with a regression",
            int(friction["regression_flag"].sum() or 0),
        ),
        Headline("mean_score", "Mean friction score", mean, note="0 (none) … 100"),
    ]


def _funnel_reached(funnel: pl.DataFrame, step: str) -> int:
    rows = funnel.filter(pl.col("step") == step)
    overall = rows.filter(pl.col("hub_slug") == "all")
    if not overall.is_empty():
        return int(overall["reached"][0])
    return int(rows["reached"].sum() or 0)


def _cited_share(annotations: pl.DataFrame) -> float | None:
    overall = annotations.filter(pl.col("hub_slug") == "all")
    if not overall.is_empty():
        return _round(overall["cited_share"][0], 3)
    total = int(annotations["friction_annotations"].sum() or 0)
    if total == 0:
        return None
    return _round(int(annotations["cited_annotations"].sum() or 0) / total, 3)


def bottleneck_headlines(
    bottlenecks: pl.DataFrame, funnel: pl.DataFrame, annotations: pl.DataFrame
) -> list[Headline]:
    """Keys ``bottlenecks``, ``critical``, ``funnel_created``, ``funnel_evaluated``,
    ``annotation_cited_share`` (rounded to 3 decimals)."""
    critical = int((bottlenecks["severity"] == "critical").sum())
    return [
        Headline(
            "bottlenecks",
            "Stalled items",
            bottlenecks.height,
            note="open past their stage threshold",
        ),
        Headline("critical", "Critical (≥ 4× threshold)", critical, alert=critical > 0),
        Headline("funnel_created", "Candidates in the cohort", _funnel_reached(funnel, "created")),
        Headline(
            "funnel_evaluated",
            "… of them evaluated",
            _funnel_reached(funnel, "evaluated"),
            note="reached the last funnel step",
        ),
        Headline(
            "annotation_cited_share",
            "Friction annotations cited",
            _cited_share(annotations),
            unit="%",
            note="by a requirement candidate",
        ),
    ]


def health_headlines(health: pl.DataFrame) -> list[Headline]:
    """Keys ``hubs``, ``at_risk_hubs``, ``watch_hubs``, ``mean_health``, ``lowest_hub``."""
    at_risk = int((health["band"] == "at_risk").sum())
    lowest = health.sort(["health_score", "hub_slug"]).head(1)
    lowest_hub = lowest["hub_slug"][0] if lowest.height else None
    return [
        Headline("hubs", "Hubs", health.height),
        Headline("at_risk_hubs", "At risk (< 60)", at_risk, alert=at_risk > 0),
        Headline("watch_hubs", "On watch (60–79)", int((health["band"] == "watch").sum())),
        Headline(
            "mean_health",
            "Mean health score",
            _round(health["health_score"].mean(), 1) if health.height else None,
        ),  # type: ignore[arg-type]
        Headline(
            "lowest_hub",
            "Lowest health",
            lowest_hub,
            note=f"score {lowest['health_score'][0]}" if lowest.height else None,
        ),
    ]


def change_figures(changes: pl.DataFrame) -> dict[str, Any]:
    """The summary figures recomputed from a (filtered) ``changes`` frame (docs/metrics.md)."""
    n = changes.height
    verdicts = changes["verdict"]
    improved, neutral, regressed = (
        int((verdicts == v).sum()) for v in ("improved", "neutral", "regressed")
    )
    judged = improved + neutral + regressed
    lead = changes["lead_time_days"].drop_nulls()
    return {
        "deployments": n,
        "evaluated_share": changes["score"].is_not_null().sum() / n if n else None,
        "change_failure_rate": regressed / judged if judged else None,
        "regressed": regressed,
        "improved": improved,
        "lead_time_p50_days": float(lead.quantile(0.5, interpolation="linear"))
        if lead.len()
        else None,  # type: ignore[arg-type]
    }


def change_headlines(changes: pl.DataFrame, summary: pl.DataFrame | None = None) -> list[Headline]:
    """Keys ``deployments``, ``evaluated_share``, ``change_failure_rate``, ``regressed``,
    ``improved``, ``lead_time_p50_days``.

    With ``summary`` (:meth:`Workbench.changes_summary`, unfiltered) the figures are
    the API's; without it (a hub filter is in force) they are recomputed from ``changes``.
    """
    if summary is not None and summary.height:
        figures = summary.row(0, named=True)
    else:
        figures = change_figures(changes)
    regressed = int(figures["regressed"] or 0)
    return [
        Headline("deployments", "Deployments", int(figures["deployments"] or 0)),
        Headline("evaluated_share", "Evaluated", _round(figures["evaluated_share"], 3), unit="%"),
        Headline(
            "change_failure_rate",
            "Change failure rate",
            _round(figures["change_failure_rate"], 3),
            unit="%",
            note="regressed ÷ judged deployments",
            alert=regressed > 0,
        ),
        Headline("regressed", "Regressed", regressed),
        Headline("improved", "Improved", int(figures["improved"] or 0)),
        Headline(
            "lead_time_p50_days",
            "Median lead time",
            _round(figures["lead_time_p50_days"], 1),
            unit="days",
            note="first candidate → deployment",
        ),
    ]


# ----------------------------------------------------------------------------- tables
Format = str | Callable[[Any], str]
_CHIP_COLUMNS = {"band", "severity", "verdict"}


def _cell(value: Any, fmt: Format | None, column: str) -> tuple[str, bool]:
    """(inner HTML, numeric?) of one cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '<span style="color:#999">—</span>', isinstance(value, float)
    if callable(fmt):
        return _esc(fmt(value)), isinstance(value, int | float) and not isinstance(value, bool)
    if fmt == "chip" or (fmt is None and column in _CHIP_COLUMNS and isinstance(value, str)):
        return (
            f'<span class="ihub-chip ihub-chip-{_esc(value)}">'
            f"{_esc(str(value).replace('_', ' '))}</span>",
            False,
        )
    if isinstance(value, dt.datetime):
        if fmt == "date":
            return _esc(value.astimezone(dt.UTC).strftime("%Y-%m-%d")), False
        return _esc(_fmt_datetime(value)), False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int | float):
        if fmt == "percent":
            return _esc(f"{100 * value:.1f} %"), True
        if fmt == "days":
            return _esc(f"{value:,.1f} d"), True
        if isinstance(fmt, str) and fmt.startswith("{"):
            return _esc(fmt.format(value)), True
        if isinstance(fmt, str) and fmt:
            return _esc(format(value, fmt)), True
        return _esc(_fmt_number(value)), True
    if isinstance(fmt, str) and fmt.startswith("{"):
        return _esc(fmt.format(value)), False
    return _esc(value), False


def table_html(
    frame: pl.DataFrame,
    columns: Sequence[str] | Mapping[str, str] | None = None,
    title: str | None = None,
    formats: Mapping[str, Format] | None = None,
    *,
    limit: int | None = 50,
    empty: str = "Nothing to show.",
) -> str:
    """A tidy HTML table: no index, readable numbers, timestamps in UTC, coloured chips
    for ``band``/``severity``/``verdict``.  ``columns`` is a list or ``{column: header}``;
    ``formats`` maps a column to ``"percent"``, ``"days"``, ``"date"``, ``"chip"``, a
    format spec (``".2f"``, ``"{:+.1f}"``) or a callable."""
    formats = dict(formats or {})
    if columns is None:
        labels = {c: c.replace("_", " ").capitalize() for c in frame.columns}
    elif isinstance(columns, Mapping):
        labels = dict(columns)
    else:
        labels = {c: c.replace("_", " ").capitalize() for c in columns}
    head = f'<div class="ihub-table-title">{_esc(title)}</div>' if title else ""
    if frame.is_empty():
        return f'<div class="ihub-table-wrap">{head}{notice_html("no-data", empty)}</div>'
    shown = frame.head(limit) if limit else frame
    rows = shown.select(list(labels)).to_dicts()
    numeric = {c: False for c in labels}
    body = []
    for row in rows:
        cells = []
        for col in labels:
            inner, is_num = _cell(row[col], formats.get(col), col)
            numeric[col] = numeric[col] or is_num
            cells.append((col, inner, is_num))
        body.append(cells)
    # long free text (titles, summaries) may wrap; everything else stays on one line
    wide = {c: any(isinstance(r[c], str) and len(r[c]) > 40 for r in rows) for c in labels}
    kind = {c: "num" if numeric[c] else "text" if wide[c] else "" for c in labels}
    th = "".join(
        f'<th scope="col" class="{kind[c]}">{_esc(label)}</th>' for c, label in labels.items()
    )
    trs = "".join(
        "<tr>" + "".join(f'<td class="{kind[c]}">{inner}</td>' for c, inner, _ in cells) + "</tr>"
        for cells in body
    )
    more = (
        f'<div class="ihub-table-more">Showing {len(rows)} of {frame.height} rows.</div>'
        if frame.height > len(rows)
        else ""
    )
    # a caption names the table for screen readers; the wrapper scrolls, so it takes focus
    caption = f'<caption class="ihub-table-title">{_esc(title)}</caption>' if title else ""
    region = f' tabindex="0" role="region" aria-label="{_esc(title or "Table")}"'
    return (
        f'<div class="ihub-table-wrap"{region}><table class="ihub-table">{caption}'
        f"<thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>{more}</div>"
    )


def table(
    frame: pl.DataFrame,
    columns: Sequence[str] | Mapping[str, str] | None = None,
    title: str | None = None,
    formats: Mapping[str, Format] | None = None,
    *,
    limit: int | None = 50,
    empty: str = "Nothing to show.",
) -> None:
    """Show :func:`table_html`."""
    _display_html(table_html(frame, columns, title, formats, limit=limit, empty=empty))


# ----------------------------------------------------------------------------- notices & narrative
_NOTICE_HEADINGS = {
    "no-data": "No data.",
    "not-available": "Not available in this database.",
    "unknown-hub": "Unknown hub.",
    "time": "Check the date.",
}


def notice_html(kind: str, text: str, missing: Sequence[str] | None = None) -> str:
    """``kind`` is ``no-data`` or ``not-available``; ``missing`` lists absent tables."""
    if kind not in NOTICE_KINDS:
        raise ValueError(f"notice kind must be one of {NOTICE_KINDS}, got {kind!r}")
    heading = _NOTICE_HEADINGS[kind]
    attrs = f' data-missing="{_esc(",".join(missing))}"' if missing else ""
    return (
        f'<div class="ihub-notice" data-kind="{kind}"{attrs}>'
        f'<span class="ihub-notice-title">{heading}</span>{_esc(text)}</div>'
    )


def notice(kind: str, text: str, missing: Sequence[str] | None = None) -> None:
    """Show a "no data" or "not available in this database" notice."""
    _display_html(notice_html(kind, text, missing))


def section_html(title: str, text: str | None = None) -> str:
    paragraphs = "".join(
        f"<p>{_esc(p.strip())}</p>" for p in (text or "").split("\n\n") if p.strip()
    )
    return f'<div class="ihub-section"><h2>{_esc(title)}</h2>{paragraphs}</div>'


def section(title: str, text: str | None = None) -> None:
    """Show a section heading with a short narrative (paragraphs split on blank lines)."""
    _display_html(section_html(title, text))


def chart(figure: Any, empty: str | None = None) -> None:
    """Show an :mod:`~ihub_analysis.charts` figure, or a "no data" notice for a placeholder."""
    from IPython.display import display

    from ihub_analysis import charts

    if charts.is_empty(figure):
        notice("no-data", empty or str(figure.usermeta["ihub"].get("message", "")))
    else:
        display(figure)
