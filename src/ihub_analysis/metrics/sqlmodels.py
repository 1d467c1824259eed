"""Compose the SQL models of ``sql/metrics/`` into one statement per metric.

Each ``.sql`` file is one model: a single ``SELECT`` named after the file, in
the portable subset of SQL that both DuckDB and Postgres run unchanged (no
``::`` casts, ``CAST(… AS DOUBLE PRECISION)`` for division, epoch arithmetic for
durations).  A model refers to other models, to *inputs* rendered from the
settings (``eval_points``, ``error_event_types``, …) and to Inter-Hub tables,
always after ``FROM``/``JOIN``; ``:name`` placeholders are scalar settings.

:func:`compose` turns a target model into ``WITH dep AS (…), … SELECT * FROM
target``: one statement, so a live database answers it from one consistent
snapshot and nothing is written (a read-only session cannot create temp tables).
Tables an older deployment lacks are replaced by typed empty relations derived
from the schema description.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ihub_analysis.paths import sql_dir
from ihub_analysis.schema import inter_hub_schema

SqlValue = int | float | str | bool | dt.datetime | None
#: Models left inline on every engine, even where ``compose`` materialises the rest (Postgres):
#: raw scans whose readers each filter them differently, so scanning twice with the
#: filters pushed down beats storing all their rows once.
INLINED = frozenset({"span_events"})

_RELATION_REF = re.compile(r"\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)\b", re.I)
_PLACEHOLDER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)\b")
_STRING_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|--[^\n]*")


@dataclass(frozen=True)
class Model:
    name: str
    sql: str  # comments stripped, trailing semicolon removed


def references(sql: str) -> set[str]:
    """The relations a model reads: every name after ``FROM`` or ``JOIN``."""
    return {m.lower() for m in _RELATION_REF.findall(_code_only(sql))}


def _code_only(sql: str) -> str:
    """The SQL with string literals and comments blanked, for scanning names."""
    return _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group(0)), sql)


def _strip_comments(sql: str) -> str:
    def keep_strings(m: re.Match[str]) -> str:
        return m.group(0) if m.group(0).startswith("'") else ""

    text = _STRING_OR_COMMENT.sub(keep_strings, sql)
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    return "\n".join(lines).rstrip().rstrip(";")


@cache
def load_models(directory: Path | None = None) -> dict[str, Model]:
    """Every model file of ``sql/metrics/`` by name."""
    folder = directory or sql_dir() / "metrics"
    return {
        p.stem: Model(p.stem, _strip_comments(p.read_text(encoding="utf-8")))
        for p in sorted(folder.glob("*.sql"))
    }


def literal(value: SqlValue) -> str:
    """A SQL literal both engines read the same way."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value}")
        return f"CAST({value!r} AS DOUBLE PRECISION)"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        text = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
        return f"CAST('{text}' AS TIMESTAMP WITH TIME ZONE)"
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL character in a setting")
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"cannot render {type(value).__name__} as SQL")


def values_relation(
    columns: Sequence[str], rows: Sequence[Sequence[SqlValue]], types: Sequence[str]
) -> str:
    """A literal relation with typed columns; works for zero rows too."""
    if not rows:
        cols = ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in zip(columns, types, strict=True))
        return f"SELECT {cols} WHERE 1 = 0"
    selects = [
        "SELECT "
        + ", ".join(
            f"CAST({literal(v)} AS {t}) AS {c}" for v, c, t in zip(row, columns, types, strict=True)
        )
        for row in rows
    ]
    return "\nUNION ALL ".join(selects)


def _order(target: str, available: Mapping[str, str]) -> list[str]:
    """Dependencies of ``target`` first (depth-first topological order)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise ValueError(f"cycle in SQL models at {name}")
        visiting.add(name)
        for ref in sorted(references(available[name])):
            if ref in available and ref != name:
                visit(ref)
        visiting.discard(name)
        order.append(name)

    visit(target)
    return order


def compose(
    target: str,
    *,
    inputs: Mapping[str, str],
    scalars: Mapping[str, SqlValue],
    tables: frozenset[str],
    overrides: Mapping[str, str] | None = None,
    materialize: bool = False,
) -> str:
    """One statement computing model ``target``.

    ``inputs`` are relations rendered by Python (name → SELECT); ``overrides``
    maps a relation name to the model file that provides it in this metric
    (e.g. ``point_widgets`` → ``change_point_widgets``); ``tables`` are the
    Inter-Hub tables the source has — any other Inter-Hub table referenced gets
    an empty stand-in.
    """
    models = load_models()
    relations: dict[str, str] = {name: m.sql for name, m in models.items()}
    for name, model_name in (overrides or {}).items():
        relations[name] = models[model_name].sql
    relations.update(inputs)
    schema = inter_hub_schema()
    for table in schema.tables:
        if table.name not in tables:
            relations[table.name] = table.empty_relation_sql()
    ordered = _order(target, relations)

    def hint(name: str) -> str:
        if name in INLINED:
            return "NOT MATERIALIZED "
        return "MATERIALIZED " if materialize else ""

    body = ",\n".join(f"{name} AS {hint(name)}(\n{relations[name]}\n)" for name in ordered)
    sql = f"WITH\n{body}\nSELECT * FROM {target}"
    return _bind(sql, scalars)


def _bind(sql: str, scalars: Mapping[str, SqlValue]) -> str:
    """Replace ``:name`` placeholders outside strings and comments by literals."""
    missing: set[str] = set()

    def substitute(segment: str) -> str:
        def one(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in scalars:
                missing.add(name)
                return m.group(0)
            return literal(scalars[name])

        return _PLACEHOLDER.sub(one, segment)

    out, last = [], 0
    for m in _STRING_OR_COMMENT.finditer(sql):
        out.append(substitute(sql[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(substitute(sql[last:]))
    if missing:
        raise KeyError(f"SQL placeholders without a value: {', '.join(sorted(missing))}")
    return "".join(out)
