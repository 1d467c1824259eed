"""``parquet:DIR``: the metrics run by DuckDB over an export's files, without importing them.

Each Inter-Hub table of the export becomes a view that reads its Parquet files
in place and casts the portable column types back to the schema's (text →
UUID/JSON), so the metric SQL sees exactly what a DuckDB snapshot holds.  The
in-memory database may read the export's directory and nothing else.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from ihub_analysis.errors import IhubError, SourceError
from ihub_analysis.parquet_export import (
    DAY_COLUMN,
    META_FILE,
    read_sidecar,
    sidecar_meta,
)
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.sources import SnapshotMeta, Source, SourceSpec

#: The prefix of a Parquet export source string: ``parquet:DIR``.
PREFIX = "parquet:"


def export_dir(spec: SourceSpec) -> Path:
    """The export directory of a ``parquet:`` (or local ``spark:``) source; checked."""
    path = Path(spec.location).expanduser()
    if not path.exists():
        raise SourceError(f"no such Parquet export directory: {path}")
    if not path.is_dir():
        raise SourceError(f"{path} is not a directory (a Parquet export is one)")
    if not (path / META_FILE).is_file():
        raise SourceError(f"{path} is not an Inter-Hub Parquet export (no {META_FILE})")
    return path


def load_sidecar(path: Path) -> dict[str, object]:
    try:
        text = (path / META_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read {path / META_FILE}: {exc.strerror or exc}") from None
    return read_sidecar(text, str(path))


def table_columns(sidecar: dict[str, object]) -> dict[str, list[tuple[str, str]]]:
    """Each known Inter-Hub table of the export with its (column, Postgres type) list."""
    known = set(inter_hub_schema().table_names)
    tables = sidecar["tables"]
    if not isinstance(tables, dict):
        raise SourceError(f"{META_FILE}: 'tables' is not an object")
    out: dict[str, list[tuple[str, str]]] = {}
    for name, info in tables.items():
        if name not in known:
            continue
        try:
            out[name] = [(str(c["name"]), str(c["type"])) for c in info["columns"]]
        except (KeyError, TypeError):
            raise SourceError(f"{META_FILE}: malformed columns of table {name!r}") from None
    return out


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


#: Postgres type → the DuckDB type the view casts the Parquet column to.
_DUCKDB_CAST = {"uuid": "UUID", "jsonb": "JSON"}


class ParquetSource(Source):
    """An Inter-Hub Parquet export read in place by an in-memory DuckDB."""

    kind = "parquet"

    def __init__(self, spec: SourceSpec) -> None:
        import duckdb

        self.spec = spec
        self.path = export_dir(spec).resolve()
        sidecar = load_sidecar(self.path)
        self._meta = sidecar_meta(sidecar)
        columns = table_columns(sidecar)
        self.con = duckdb.connect(":memory:")
        try:
            self.con.execute("SET TimeZone = 'UTC'")
            for name, cols in columns.items():
                self.con.execute(self._view_sql(name, cols))
            # From here on the session may read the export and nothing else, and
            # cannot change that: a query cannot reach other files or the network.
            self.con.execute(f"SET allowed_directories = [{_literal(str(self.path) + '/')}]")
            self.con.execute("SET enable_external_access = false")
            self.con.execute("SET lock_configuration = true")
            self.tables = self._check_inter_hub(set(columns))
        except duckdb.Error as exc:
            self.con.close()
            message = f"cannot read the Parquet export {self.path}: {_first(exc)}"
            raise SourceError(message) from None
        except BaseException:
            self.con.close()
            raise

    @property
    def display(self) -> str:
        return PREFIX + self.spec.location

    def _view_sql(self, table: str, cols: list[tuple[str, str]]) -> str:
        folder = self.path / table
        single = folder / "part-0.parquet"
        pattern = str(single) if single.is_file() else f"{folder}/{DAY_COLUMN}=*/*.parquet"
        if not single.is_file() and not any(folder.glob(f"{DAY_COLUMN}=*/*.parquet")):
            raise SourceError(f"{self.path}: table {table} has no Parquet files")
        select = ", ".join(
            f"CAST({_ident(c)} AS {_DUCKDB_CAST[t]}) AS {_ident(c)}"
            if t in _DUCKDB_CAST
            else _ident(c)
            for c, t in cols
        )
        return (
            f"CREATE VIEW {_ident(table)} AS SELECT {select} "
            f"FROM read_parquet({_literal(pattern)}, hive_partitioning = false)"
        )

    def query(self, sql: str) -> pl.DataFrame:
        import duckdb

        try:
            return self.con.sql(sql).pl()
        except duckdb.Error as exc:
            raise IhubError(f"query failed on {self.display}: {_first(exc)}") from None

    def snapshot_meta(self) -> SnapshotMeta | None:
        return self._meta

    def now(self) -> dt.datetime:
        return self._meta.taken_at

    def close(self) -> None:
        self.con.close()


def _first(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__
