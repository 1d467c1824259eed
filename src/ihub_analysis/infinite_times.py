"""Timestamps of ``infinity`` and ``-infinity`` in the data: an unknown time.

Postgres and DuckDB both store ``±infinity`` in a ``timestamptz`` column.  Such a
time is not a moment a metric can place before or after T, and both engines
refuse arithmetic on it, so the metrics read it as *unknown*:

* a row whose own, required time (``occurred_at``, ``created_at``, ``changed_at``
  …, the NOT NULL timestamp columns) is infinite is left out, as if it were not
  in the database yet;
* an optional time (``retracted_at``, ``deployed_at`` …) that is infinite counts
  as not set, as if it were NULL.

The rule is applied where the metrics read the raw tables: a table whose data
holds an infinite time is replaced, inside the one statement, by a relation of
the same name and columns with the rule applied.  Tables without infinite
times are read as they are, so ordinary databases pay only for one probe.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from ihub_analysis.schema import Table, inter_hub_schema

if TYPE_CHECKING:
    from ihub_analysis.sources import Source

_cache: weakref.WeakKeyDictionary[Source, dict[str, str]] = weakref.WeakKeyDictionary()


def _timestamp_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.pg_type.startswith("timestamp")]


def _probe_sql(tables: list[Table]) -> str:
    """One row per table: the names of its timestamp columns holding ±infinity."""
    selects = []
    for table in tables:
        flags = " || ".join(
            f"CASE WHEN min({c}) IS NULL OR (isfinite(min({c})) AND isfinite(max({c}))) "
            f"THEN '' ELSE '{c} ' END"
            for c in _timestamp_columns(table)
        )
        selects.append(
            f"SELECT '{table.name}' AS table_name, {flags} AS infinite FROM {table.name}"
        )
    return "\nUNION ALL\n".join(selects)


def finite_relation_sql(table: Table, infinite: list[str]) -> str:
    """``table`` with the unknown-time rule applied to its ``infinite`` columns."""
    required = {c.name for c in table.columns if c.not_null}
    columns = [
        f"CASE WHEN isfinite({c.name}) THEN {c.name} END AS {c.name}"
        if c.name in infinite and c.name not in required
        else c.name
        for c in table.columns
    ]
    keep = [f"isfinite({c})" for c in infinite if c in required]
    where = f" WHERE {' AND '.join(keep)}" if keep else ""
    return f"SELECT {', '.join(columns)} FROM {table.name}{where}"


def finite_relations(source: Source) -> dict[str, str]:
    """Stand-ins (name → SELECT) for the source's tables that hold infinite times.

    Probed once per open source; empty for a database without such values.
    """
    cached = _cache.get(source)
    if cached is not None:
        return cached
    schema = inter_hub_schema()
    tables = [
        schema[name].as_of_phase(source.phase)
        for name in sorted(source.tables)
        if _timestamp_columns(schema[name].as_of_phase(source.phase))
    ]
    relations: dict[str, str] = {}
    if tables:
        found = source.query(_probe_sql(tables))
        by_name = {t.name: t for t in tables}
        for name, infinite in found.iter_rows():
            columns = (infinite or "").split()
            if columns:
                relations[name] = finite_relation_sql(by_name[name], columns)
    _cache[source] = relations
    return relations
