"""The Inter-Hub schema, described once and read from ``sql/schema/``.

The phase files under ``sql/schema/`` are the single description of the
database we read.  Postgres gets them verbatim (``ihub db init``); everything
else — the DuckDB tables of a snapshot or of synthetic data, the empty stand-in
of a table an older deployment lacks, the schema fingerprint — is derived here
from the parsed ``CREATE TABLE`` / ``ALTER TABLE … ADD COLUMN`` statements, so
the two engines cannot drift apart.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ihub_analysis.paths import sql_dir

#: Postgres type (as written in the schema) → DuckDB type.  Unconstrained
#: ``NUMERIC`` has no DuckDB equivalent; DECIMAL(38,10) holds every value the
#: application writes there (signal values, 0–1 confidences) exactly, and the
#: snapshot refuses a value that would not fit rather than round it.
UNCONSTRAINED_NUMERIC = "DECIMAL(38,10)"

_TYPE_PATTERNS: list[tuple[re.Pattern[str], str, str]] = [
    # (pattern, canonical Postgres name as information_schema reports it, DuckDB type)
    (re.compile(r"^UUID\b", re.I), "uuid", "UUID"),
    (re.compile(r"^TEXT\b", re.I), "text", "VARCHAR"),
    (re.compile(r"^JSONB\b", re.I), "jsonb", "JSON"),
    (re.compile(r"^TIMESTAMP WITH TIME ZONE\b", re.I), "timestamp with time zone", "TIMESTAMPTZ"),
    (re.compile(r"^(INT|INTEGER)\b", re.I), "integer", "INTEGER"),
    (re.compile(r"^SMALLINT\b", re.I), "smallint", "SMALLINT"),
    (re.compile(r"^BOOLEAN\b", re.I), "boolean", "BOOLEAN"),
    (re.compile(r"^NUMERIC\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)", re.I), "numeric", "DECIMAL({0},{1})"),
    (re.compile(r"^NUMERIC\b", re.I), "numeric", UNCONSTRAINED_NUMERIC),
]

#: Columns that hold credentials: a snapshot keeps the column but never the value.
CREDENTIAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("password_hash",),
    "hubs": ("api_key",),
}


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str  # canonical Postgres type name, e.g. "timestamp with time zone"
    duckdb_type: str
    not_null: bool
    phase: int

    @property
    def is_json(self) -> bool:
        return self.pg_type == "jsonb"


@dataclass(frozen=True)
class Table:
    name: str
    phase: int
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}.{name}")

    def as_of_phase(self, phase: int) -> Table:
        """The table as an older deployment at ``phase`` has it (later columns absent)."""
        return Table(self.name, self.phase, tuple(c for c in self.columns if c.phase <= phase))

    def duckdb_ddl(self, table_name: str | None = None) -> str:
        """``CREATE TABLE`` for DuckDB: same columns and types, NOT NULL kept.

        Keys and checks are the source's business; a snapshot is a read-only copy.
        """
        cols = ",\n".join(
            f"    {c.name} {c.duckdb_type}{' NOT NULL' if c.not_null else ''}" for c in self.columns
        )
        return f"CREATE TABLE {table_name or self.name} (\n{cols}\n)"

    def empty_relation_sql(self) -> str:
        """A typed, empty ``SELECT`` standing in for this table where it is missing."""
        cols = ", ".join(f"CAST(NULL AS {_portable_type(c)}) AS {c.name}" for c in self.columns)
        return f"SELECT {cols} WHERE 1 = 0"


def _portable_type(column: Column) -> str:
    """A type name both DuckDB and Postgres accept, for empty stand-in relations."""
    return {
        "uuid": "UUID",
        "text": "TEXT",
        "jsonb": "TEXT",
        "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
        "integer": "INTEGER",
        "smallint": "SMALLINT",
        "boolean": "BOOLEAN",
        "numeric": "NUMERIC",
    }[column.pg_type]


@dataclass(frozen=True)
class Schema:
    tables: tuple[Table, ...]
    files: tuple[Path, ...]

    def __getitem__(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def table_names(self) -> list[str]:
        return [t.name for t in self.tables]

    def tables_up_to_phase(self, phase: int) -> list[Table]:
        return [t for t in self.tables if t.phase <= phase]

    def postgres_sql(self, up_to_phase: int = 7) -> str:
        """The DDL of phases 1..``up_to_phase``, verbatim from the phase files."""
        return "\n".join(
            f.read_text(encoding="utf-8") for f in self.files if _phase_of(f) <= up_to_phase
        )

    def fingerprint(self, table_names: list[str] | None = None) -> str:
        """A short hash of (table, column, type, nullability) for the given tables."""
        wanted = set(table_names) if table_names is not None else set(self.table_names)
        rows = [
            (t.name, c.name, c.pg_type, c.not_null)
            for t in self.tables
            if t.name in wanted
            for c in t.columns
        ]
        return fingerprint_of(rows)


def fingerprint_of(rows: list[tuple[str, str, str, bool]]) -> str:
    """Fingerprint of (table, column, canonical type, not null) rows, order-insensitive."""
    text = "\n".join(f"{t}.{c}:{ty}:{'nn' if nn else 'null'}" for t, c, ty, nn in sorted(rows))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_CREATE = re.compile(r"CREATE TABLE (\w+) \((.*?)\n\);", re.S | re.I)
_ADD_COLUMN = re.compile(r"ALTER TABLE (\w+)\s+ADD COLUMN (\w+) (.*?);", re.S | re.I)
_TABLE_CONSTRAINT = re.compile(r"^(UNIQUE|PRIMARY KEY|CHECK|FOREIGN KEY|CONSTRAINT)\b", re.I)


def _phase_of(path: Path) -> int:
    return int(path.name.split("_", 1)[0])


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def _parse_column(definition: str, phase: int) -> Column:
    name, rest = definition.strip().split(None, 1)
    for pattern, pg_type, duck in _TYPE_PATTERNS:
        m = pattern.match(rest)
        if m:
            duck_type = duck.format(*m.groups()) if m.groups() else duck
            upper = rest.upper()
            not_null = "NOT NULL" in upper or "PRIMARY KEY" in upper
            return Column(name, pg_type, duck_type, not_null, phase)
    raise ValueError(f"unknown column type in schema: {definition.strip()!r}")


def _split_top_level(body: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_schema(directory: Path) -> Schema:
    """Parse the phase files (``NN_name.sql``) of ``directory`` into a :class:`Schema`."""
    files = tuple(sorted(directory.glob("[0-9][0-9]_*.sql")))
    tables: dict[str, Table] = {}
    for path in files:
        phase = _phase_of(path)
        sql = _strip_comments(path.read_text(encoding="utf-8"))
        for name, body in _CREATE.findall(sql):
            columns = tuple(
                _parse_column(item, phase)
                for item in _split_top_level(body)
                if not _TABLE_CONSTRAINT.match(item)
            )
            tables[name] = Table(name, phase, columns)
        for table, column, rest in _ADD_COLUMN.findall(sql):
            t = tables[table]
            added = _parse_column(f"{column} {rest}", phase)
            tables[table] = Table(t.name, t.phase, (*t.columns, added))
    return Schema(tuple(tables.values()), files)


@cache
def inter_hub_schema() -> Schema:
    """The Inter-Hub schema (phase 7) as this project describes it."""
    return parse_schema(sql_dir() / "schema")
