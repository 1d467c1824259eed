"""Print metric frames as the interface contract says.

Booleans as ``true``/``false``, timestamps as ISO 8601 in UTC, UUIDs in their
canonical text form (they already are text in metric frames), empty values as an
empty field.  The same rules serve CSV, JSON and the terminal table.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from decimal import Decimal
from typing import Any

import polars as pl

from ihub_analysis.timeutil import iso_utc


def _text_columns(frame: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Boolean:
            col = pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false"))
        elif isinstance(dtype, pl.Datetime):
            col = col.dt.convert_time_zone("UTC") if dtype.time_zone else col
            col = col.dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").str.replace(r"\.000000Z$", "Z")
        elif dtype.is_float():
            col = col.round(6).cast(pl.String).str.replace(r"\.0$", "")
        else:
            col = col.cast(pl.String)
        exprs.append(col.alias(name))
    return frame.select(exprs)


def to_csv(frame: pl.DataFrame) -> str:
    buffer = io.StringIO()
    _text_columns(frame).write_csv(buffer, null_value="")
    return buffer.getvalue()


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # a zone-less timestamp is UTC, as in the CSV
        return iso_utc(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/Infinity
    return value


def to_json(frame: pl.DataFrame) -> str:
    """A JSON array of objects; numbers stay numbers, empty values are ``null``."""
    rows = [
        {key: _json_value(value) for key, value in row.items()}
        for row in frame.iter_rows(named=True)
    ]
    return json.dumps(rows, indent=2, allow_nan=False) + "\n"


def to_table(frame: pl.DataFrame) -> str:
    text = _text_columns(frame).fill_null("")
    if text.height == 0:
        return "(no rows)\n"
    widths = {c: max(len(c), *(len(v) for v in text[c].to_list())) for c in text.columns}
    numeric = {c for c, t in frame.schema.items() if t.is_numeric()}

    def fmt(c: str, v: str) -> str:
        return v.rjust(widths[c]) if c in numeric else v.ljust(widths[c])

    lines = ["  ".join(c.ljust(widths[c]) for c in text.columns).rstrip()]
    lines.append("  ".join("-" * widths[c] for c in text.columns))
    lines += [
        "  ".join(fmt(c, v) for c, v in zip(text.columns, row, strict=True)).rstrip()
        for row in text.iter_rows()
    ]
    return "\n".join(lines) + "\n"


def render_frame(frame: pl.DataFrame, fmt: str) -> str:
    return {"csv": to_csv, "json": to_json, "table": to_table}[fmt](frame)
