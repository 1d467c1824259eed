"""Print metric frames as the interface contract says.

Booleans as ``true``/``false``, timestamps as ISO 8601 in UTC, UUIDs in their
canonical text form (they already are text in metric frames), empty values as an
empty field.  The same rules serve CSV, JSON and the terminal table.

CSV and JSON carry the data faithfully; the table is for a terminal, so
control and formatting characters from the data (ESC sequences, C1 controls,
bidirectional overrides, newlines) are shown as visible escapes such as
``\x1b`` or ``\u202e`` instead of being passed to the terminal.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import unicodedata
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


# Controls and invisible formatting characters a terminal would act on.  The zero
# width joiner stays: it only glues emoji together.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _unsafe(char: str) -> bool:
    return char != "\u200d" and unicodedata.category(char) in _UNSAFE_CATEGORIES


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def terminal_safe(text: str) -> str:
    """``text`` with every control or formatting character shown as an escape."""
    if text.isprintable():  # the common case: nothing to escape
        return text
    return "".join(_visible(ch) if _unsafe(ch) else ch for ch in text)


def to_table(frame: pl.DataFrame) -> str:
    text = _text_columns(frame).fill_null("")
    if text.height == 0:
        return "(no rows)\n"
    columns = text.columns
    rows = [[terminal_safe(v) for v in row] for row in text.iter_rows()]
    widths = {c: max(len(c), *(len(row[i]) for row in rows)) for i, c in enumerate(columns)}
    numeric = {c for c, t in frame.schema.items() if t.is_numeric()}

    def fmt(c: str, v: str) -> str:
        return v.rjust(widths[c]) if c in numeric else v.ljust(widths[c])

    lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip()]
    lines.append("  ".join("-" * widths[c] for c in columns))
    lines += [
        "  ".join(fmt(c, v) for c, v in zip(columns, row, strict=True)).rstrip() for row in rows
    ]
    return "\n".join(lines) + "\n"


def render_frame(frame: pl.DataFrame, fmt: str) -> str:
    return {"csv": to_csv, "json": to_json, "table": to_table}[fmt](frame)
