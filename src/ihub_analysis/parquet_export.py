"""``ihub export parquet``: every Inter-Hub table as Parquet, from one consistent snapshot.

The directory is the exchange format for engines beyond one machine (Spark, or
DuckDB reading the files in place).  Its layout::

    DIR/_ihub_meta.json                      taken_at, source, counts, fingerprint, columns
    DIR/<table>/part-0.parquet               one file per table
    DIR/interaction_events/day=YYYY-MM-DD/   events partitioned by UTC day (Hive style)

Types are chosen so any Parquet reader takes them as they are: UUIDs and JSON as
text, ``timestamptz`` as UTC microsecond timestamps, ``NUMERIC`` as
``DECIMAL(38,10)``.  Readers cast back to the schema's types (see
:mod:`ihub_analysis.sources_parquet`).

A DuckDB file is exported from its read-only connection (a file opened
read-only cannot change underneath); a live Postgres is first copied with
``ihub snapshot``'s one-transaction read into a scratch file inside the
temporary directory.  Credentials are blanked in both cases.  The directory
is built under a hidden sibling name and renamed into place when complete, so
``DIR`` is either the whole export or absent (or the previous export).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from ihub_analysis import __version__
from ihub_analysis.atomic import _GUARDIAN, temporary_sibling
from ihub_analysis.errors import BadInput, IhubError, SourceError
from ihub_analysis.schema import CREDENTIAL_COLUMNS, Table, fingerprint_of, inter_hub_schema
from ihub_analysis.sources import CORE_TABLES, SNAPSHOT_META_TABLE, SnapshotMeta, parse_source

#: The sidecar that makes a directory an Inter-Hub Parquet export.
META_FILE = "_ihub_meta.json"
#: Bumped when the layout changes incompatibly; readers refuse other versions.
FORMAT_VERSION = 1
#: The table partitioned by day, and the Hive partition column's name.
EVENTS_TABLE = "interaction_events"
DAY_COLUMN = "day"


@dataclasses.dataclass(frozen=True)
class ExportResult:
    """What ``ihub export parquet`` wrote, for its one-line summary."""

    out: Path
    meta: SnapshotMeta
    seconds: float
    size_bytes: int

    def describe(self) -> str:
        rows = sum(self.meta.row_counts.values())
        return (
            f"Parquet export of {self.meta.source} as of "
            f"{self.meta.taken_at.isoformat().replace('+00:00', 'Z')}: "
            f"{len(self.meta.row_counts)} tables, {rows:,} rows -> {self.out}/ "
            f"({self.size_bytes / 1e6:,.1f} MB, {self.seconds:.1f} s; credentials not copied)"
        )


def check_target(out: Path) -> None:
    """Refuse a target we must not replace, before any work (exit 2)."""
    if not out.parent.is_dir():
        raise BadInput(f"{out.parent} does not exist: create it first, or choose another DIR")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise BadInput(f"{out} exists and is not a directory: refusing to replace it")
    if out.is_dir() and any(out.iterdir()) and not (out / META_FILE).is_file():
        raise BadInput(
            f"{out} is a non-empty directory that is not a Parquet export: refusing to replace it"
        )


def export_parquet(source: str, out: Path, *, progress: bool = False) -> ExportResult:
    """Write every Inter-Hub table of ``source`` (a DuckDB file or Postgres URL) to ``out``.

    ``out`` is replaced only by a complete export; a previous export there is
    swapped out at the end and then removed.
    """
    started = time.perf_counter()
    out = Path(out).absolute()
    check_target(out)
    spec = parse_source(source)
    if spec.kind not in ("duckdb", "postgres"):
        raise BadInput(f"export reads a DuckDB file or a postgresql:// URL, not {spec.display}")
    with _atomic_dir(out) as tmp:
        if spec.kind == "postgres":
            from ihub_analysis.snapshot import take_snapshot

            scratch = tmp / ".snapshot.duckdb"
            take_snapshot(source, scratch, progress=progress)
            path, display = scratch, spec.display
        else:
            path, display = Path(spec.location), spec.display
        con = _File(path, display)
        try:
            meta = _write_tables(con, tmp, source_display=display)
        finally:
            con.close()
        if spec.kind == "postgres":
            scratch.unlink()
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return ExportResult(out, meta, time.perf_counter() - started, size)


@contextlib.contextmanager
def _atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a new hidden sibling directory; on success it becomes ``target``.

    The files are flushed, then the directory is renamed into place (a previous
    export there is moved aside first and removed afterwards).  On failure the
    sibling is removed; if the process is killed, the same guardian process as
    for single files (:mod:`ihub_analysis.atomic`) removes it.
    """
    tmp = temporary_sibling(target)
    guardian = subprocess.Popen(
        [sys.executable, "-c", _GUARDIAN, str(os.getpid()), str(tmp)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # survive a Ctrl-C sent to our process group
    )
    assert guardian.stdin is not None
    committed = False
    old: Path | None = None
    try:
        tmp.mkdir()
        yield tmp
        _fsync_tree(tmp)
        if target.is_dir() and any(target.iterdir()):  # a previous export (checked before)
            old = temporary_sibling(target)
            target.rename(old)
        try:
            tmp.rename(target)  # onto an absent or empty directory: atomic
        except BaseException:
            if old is not None:
                old.rename(target)
                old = None
            raise
        committed = True
        _fsync_tree(target.parent, recursive=False)
    finally:
        if not committed:
            shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(BrokenPipeError):
            guardian.stdin.write(b"commit" if committed else b"abort")
            guardian.stdin.close()
        guardian.wait()
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class _File:
    """A DuckDB file opened read-only for the export, with what it holds.

    Our own connection rather than :class:`DuckDBSource`'s: that one is locked
    away from the file system, and the export must write Parquet files.  Being
    read-only, it holds the file's shared lock throughout, so no writer can
    change the file while the tables are copied: one consistent snapshot.
    """

    def __init__(self, path: Path, display: str) -> None:
        import duckdb

        from ihub_analysis.duckdb_files import check_columns, check_duckdb_file

        self.display = display
        if not path.exists():
            raise SourceError(f"no such DuckDB file: {path}")
        check_duckdb_file(path)
        try:
            self.con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise SourceError(f"cannot open {display} as DuckDB: {_first(exc)}") from None
        try:
            self.con.execute("SET TimeZone = 'UTC'")
            names = {
                r[0]
                for r in self.con.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'main' AND table_catalog = current_database()"
                ).fetchall()
            }
            missing = [t for t in CORE_TABLES if t not in names]
            if missing:
                raise SourceError(
                    f"{display} is not an Inter-Hub database (no {', '.join(missing)} "
                    f"table{'s' if len(missing) > 1 else ''})"
                )
            self.tables = frozenset(names & set(inter_hub_schema().table_names))
            check_columns(self.con, self.tables, display)
            self.meta = self._meta() if SNAPSHOT_META_TABLE in names else None
        except duckdb.Error as exc:
            self.con.close()
            raise SourceError(f"cannot read {display} as DuckDB: {_first(exc)}") from None
        except BaseException:
            self.con.close()
            raise

    def _meta(self) -> SnapshotMeta | None:
        rows = self.con.execute(
            "SELECT taken_at, source, tool_version, schema_fingerprint, "
            f"CAST(row_counts AS VARCHAR) FROM {SNAPSHOT_META_TABLE} LIMIT 1"
        ).fetchall()
        if not rows:
            return None
        taken_at, source, version, fingerprint, counts = rows[0]
        try:
            taken_at = taken_at.astimezone(dt.UTC)
        except (ValueError, OverflowError, AttributeError):
            raise SourceError(f"{self.display} has an unusable taken_at ({taken_at})") from None
        return SnapshotMeta(taken_at, source, version, fingerprint, json.loads(counts or "{}"))

    def close(self) -> None:
        self.con.close()


def _first(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def _select_list(table: Table, have: set[str]) -> tuple[list[str], list[dict[str, str]]]:
    """The export's columns (credentials blanked, UUID/JSON as text) and their description."""
    secrets = CREDENTIAL_COLUMNS.get(table.name, ())
    items, described = [], []
    for col in table.columns:
        if col.name not in have:
            continue
        name = f'"{col.name}"'
        if col.name in secrets:
            empty = "''" if col.not_null else "NULL"
            items.append(f"CAST({empty} AS VARCHAR) AS {name}")
        elif col.pg_type in ("uuid", "jsonb"):
            items.append(f"CAST({name} AS VARCHAR) AS {name}")
        else:
            items.append(name)
        described.append(
            {
                "name": col.name,
                "type": col.pg_type,
                "duckdb_type": col.duckdb_type,
                "not_null": "yes" if col.not_null else "no",
            }
        )
    return items, described


def _write_tables(src: _File, tmp: Path, *, source_display: str) -> SnapshotMeta:
    """Copy each table the source holds into ``tmp``; write the sidecar last."""
    con = src.con
    present = {
        (t, c)
        for t, c in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_catalog = current_database()"
        ).fetchall()
    }
    nullable = {
        (t, c): n == "YES"
        for t, c, n in con.execute(
            "SELECT table_name, column_name, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_catalog = current_database()"
        ).fetchall()
    }
    counts: dict[str, int] = {}
    tables: dict[str, dict[str, object]] = {}
    fingerprint_rows: list[tuple[str, str, str, bool]] = []
    for table in inter_hub_schema().tables:
        if table.name not in src.tables:
            continue
        have = {c for t, c in present if t == table.name}
        items, described = _select_list(table, have)
        for d in described:
            not_null = not nullable[(table.name, d["name"])]
            d["not_null"] = "yes" if not_null else "no"
            fingerprint_rows.append((table.name, d["name"], d["type"], not_null))
        (count,) = con.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()  # type: ignore[misc]
        folder = tmp / table.name
        query = f'SELECT {", ".join(items)} FROM "{table.name}"'
        partitioned = table.name == EVENTS_TABLE and count > 0
        if partitioned:
            # the UTC day (the session is in UTC), one folder per day, ordered for compression
            con.execute(
                f"COPY (SELECT *, CAST(occurred_at AS DATE) AS {DAY_COLUMN} FROM ({query}) "
                f"ORDER BY occurred_at) TO '{_sql_path(folder)}' "
                f"(FORMAT parquet, PARTITION_BY ({DAY_COLUMN}), COMPRESSION zstd)"
            )
        else:
            folder.mkdir()
            con.execute(
                f"COPY ({query}) TO '{_sql_path(folder / 'part-0.parquet')}' "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
        counts[table.name] = count
        tables[table.name] = {
            "columns": described,
            "partitioned_by": DAY_COLUMN if partitioned else None,
        }
    meta_in = src.meta
    meta = SnapshotMeta(
        taken_at=meta_in.taken_at if meta_in else dt.datetime.now(dt.UTC),
        source=meta_in.source if meta_in else source_display,
        tool_version=__version__,
        schema_fingerprint=meta_in.schema_fingerprint
        if meta_in
        else fingerprint_of(fingerprint_rows),
        row_counts=counts,
    )
    sidecar = {
        "format": "ihub-parquet",
        "format_version": FORMAT_VERSION,
        "taken_at": meta.taken_at.isoformat(),
        "source": meta.source,
        "tool_version": meta.tool_version,
        "schema_fingerprint": meta.schema_fingerprint,
        "row_counts": counts,
        "tables": tables,
        "written_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    (tmp / META_FILE).write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
    return meta


def _sql_path(path: Path) -> str:
    """A path as a SQL string literal's body."""
    text = str(path)
    if "\x00" in text:
        raise IhubError(f"invalid path {text!r}")
    return text.replace("'", "''")


def _fsync_tree(root: Path, *, recursive: bool = True) -> None:
    """Flush every file and folder under ``root``, so the rename publishes durable data."""
    for dirpath, _dirs, files in os.walk(root) if recursive else [(root, [], [])]:
        for name in [*files, "."]:
            fd = os.open(Path(dirpath) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def read_sidecar(text: str, where: str) -> dict[str, object]:
    """Parse and check an export's sidecar; raise :class:`BadInput` naming what is wrong."""
    try:
        data = json.loads(text)
    except ValueError:
        raise BadInput(f"{where}: {META_FILE} is not valid JSON") from None
    if not isinstance(data, dict) or data.get("format") != "ihub-parquet":
        raise BadInput(f"{where}: {META_FILE} does not describe an Inter-Hub Parquet export")
    if data.get("format_version") != FORMAT_VERSION:
        raise BadInput(
            f"{where}: export format version {data.get('format_version')!r} "
            f"(this version reads {FORMAT_VERSION}); export it again"
        )
    for key in ("taken_at", "source", "tool_version", "schema_fingerprint", "row_counts", "tables"):
        if key not in data:
            raise BadInput(f"{where}: {META_FILE} lacks {key!r}")
    return data


def sidecar_meta(data: dict[str, object]) -> SnapshotMeta:
    """The provenance recorded in a sidecar."""
    with contextlib.suppress(TypeError, ValueError, AttributeError):
        return SnapshotMeta(
            taken_at=dt.datetime.fromisoformat(str(data["taken_at"])).astimezone(dt.UTC),
            source=str(data["source"]),
            tool_version=str(data["tool_version"]),
            schema_fingerprint=str(data["schema_fingerprint"]),
            row_counts={str(k): int(v) for k, v in dict(data["row_counts"]).items()},  # type: ignore[arg-type]
        )
    raise BadInput(f"{META_FILE} holds malformed provenance")
