"""Shared helpers of the chart builders: frames to inline Vega data, and the no-data placeholder."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import polars as pl

from ihub_analysis.charts.theme import (
    MUTED,
    chart_title,
    finish,
)


def iso_utc(value: dt.datetime) -> str:
    """ISO 8601 in UTC with a Z: what Vega parses as a UTC instant."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-able dicts: datetimes as ISO 8601 UTC strings, NaN as null."""
    rows = frame.to_dicts()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, dt.datetime):
                row[key] = iso_utc(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
            elif isinstance(value, dt.date):
                row[key] = value.isoformat()
            elif isinstance(value, float) and not math.isfinite(value):
                row[key] = None
    return rows


def inline_data(frame: pl.DataFrame) -> alt.Data:
    """Inline values (no data transformer, no row limit surprises, no URLs)."""
    return alt.Data(values=records(frame))


def filter_hubs(
    frame: pl.DataFrame, hubs: Sequence[str] | None, column: str = "hub_slug"
) -> pl.DataFrame:
    """Only the rows of ``hubs`` (all rows when no hub is given)."""
    if hubs:
        return frame.filter(pl.col(column).is_in(list(hubs)))
    return frame


def date_label(column: str, fmt: str = "%Y-%m-%d") -> pl.Expr:
    """A datetime column as UTC text: labels never depend on the viewer's time zone."""
    return pl.col(column).dt.convert_time_zone("UTC").dt.strftime(fmt)


def pct(value: float | None, digits: int = 0) -> str:
    """A share as a percentage for text; ``—`` when unknown."""
    return "—" if value is None else f"{100 * value:.{digits}f} %"


def no_data_chart(
    title: str, message: str = "No data for this selection.", *, width: int = 480
) -> alt.Chart:
    """A placeholder figure: the title and a centred message (see :func:`is_empty`)."""
    chart = (
        alt.Chart(alt.Data(values=[{"message": message}]), title=chart_title(title))
        .mark_text(fontSize=13, color=MUTED, fontStyle="italic")
        .encode(text=alt.Text("message:N"))
        .properties(width=width, height=60, usermeta={"ihub": {"empty": True, "message": message}})
    )
    return finish(chart)


def is_empty(chart: Any) -> bool:
    """Whether ``chart`` is a :func:`no_data_chart` placeholder."""
    meta = getattr(chart, "usermeta", alt.Undefined)
    return isinstance(meta, dict) and bool(meta.get("ihub", {}).get("empty"))


def quantile(values: pl.Series, q: float) -> float | None:
    """The linear ``q`` quantile of the non-null values, or None when there are none."""
    values = values.drop_nulls()
    if values.is_empty():
        return None
    return float(values.quantile(q, interpolation="linear"))  # type: ignore[arg-type]


def describe(chart: Any, summary: str, data: pl.DataFrame, columns: Mapping[str, str]) -> Any:
    """Attach the chart's text alternative: one sentence, and the rows it draws.

    ``columns`` maps columns of ``data`` to the headers of the table the report
    shows under the chart (see :func:`~ihub_analysis.charts.render.report_html`),
    so the numbers never live only in a colour or a tooltip.
    """
    rows = records(data.select(list(columns)))
    return chart.properties(
        description=summary,
        usermeta={
            "ihub": {
                "summary": summary,
                "columns": list(columns.values()),
                "rows": [list(row.values()) for row in rows],
            }
        },
    )


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 widget``, ``3 widgets``: counts in sentences."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"
