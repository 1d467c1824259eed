"""Write generated data into a new DuckDB file or an empty Postgres Inter-Hub database.

DuckDB gets Arrow tables straight into ``INSERT … SELECT`` (UUIDs as the
``arrow.uuid`` extension, no text round trip), events first and in record
batches so both cores scan in parallel, each chunk committed as it is written
so memory stays flat at any size (the file is built under a temporary name, so
it is still all or nothing).  Postgres gets
``COPY`` in foreign-key order (events in binary, the small tables as CSV), in
one transaction, after proving the database holds the schema and no rows —
synthetic data never mixes with real data.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

from ihub_analysis import duckdb_files
from ihub_analysis.atomic import atomic_path
from ihub_analysis.errors import BadInput, IhubError, SourceError
from ihub_analysis.redact import scrub
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.sources import SnapshotMeta, SourceSpec, parse_source, postgres_error_message
from ihub_analysis.synth import pgcopy
from ihub_analysis.synth.arrow import for_postgres
from ihub_analysis.synth.assemble import EVENTS_TABLE, Draft, SyntheticData

#: DuckDB's row-group size: one Arrow batch per row group lets every core take some.
DUCKDB_BATCH = 122_880
#: DuckDB's memory while writing: it only appends, so the blocks it has written need not
#: stay cached (by default it would keep up to 80 % of RAM, the whole file at 100M events).
DUCKDB_MEMORY_LIMIT = "64MB"
#: Rows per CSV block sent to Postgres (bounds the text held in memory).
COPY_BATCH = 65_536
#: Written NULL first and filled in once its target rows exist (it points forward in FK order).
DEFERRED = ("requirement_candidates", "requirement_id")


class Progress:
    """One ``\r``-rewritten status line on stderr (rows per table), or nothing at all."""

    def __init__(self, enabled: bool, events: int) -> None:
        self.enabled = enabled
        self.events = events
        self.rows: dict[str, int] = {}

    def advance(self, table: str, rows: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + rows
        if self.enabled:
            of = f" of {self.events:,}" if table == EVENTS_TABLE else ""
            sys.stderr.write(f"\rsynth: {table:<34} {self.rows[table]:>12,}{of} rows   ")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _insert(con: duckdb.DuckDBPyConnection, name: str, tbl: pa.Table, progress: Progress) -> None:
    # One Arrow batch per DuckDB row group lets every core scan a share of the rows.
    batches = tbl.combine_chunks().to_batches(DUCKDB_BATCH)
    con.register("synth_rows", pa.Table.from_batches(batches, tbl.schema))
    con.execute(f"INSERT INTO {name} SELECT * FROM synth_rows")
    con.unregister("synth_rows")
    progress.advance(name, tbl.num_rows)


def write_duckdb(
    draft: Draft,
    path: Path,
    meta: Callable[[dict[str, int]], SnapshotMeta],
    progress: Progress,
) -> SyntheticData:
    """Create ``path`` atomically — every table and the provenance row, or nothing.

    Events go first, while the other tables are still being derived on a worker
    thread (DuckDB files have no foreign keys to order by).  Each events chunk is
    its own transaction: DuckDB holds an open transaction's appends in memory
    (about 110 bytes per event), committed ones are on disk.  The rest of the
    tables and the provenance row follow in one last transaction.
    """
    with atomic_path(path) as tmp, ThreadPoolExecutor(1, "synth-tables") as pool:
        finishing = pool.submit(draft.finish)
        con = duckdb.connect(str(tmp), config={"memory_limit": DUCKDB_MEMORY_LIMIT})
        try:
            duckdb_files.create_tables(con)
            for rows in _whole_row_groups(_made_ahead(draft.events.chunks())):
                con.execute("BEGIN TRANSACTION")
                _insert(con, EVENTS_TABLE, rows, progress)
                con.execute("COMMIT")
            data = finishing.result()
            con.execute("BEGIN TRANSACTION")
            for name, tbl in data.tables.items():
                _insert(con, name, tbl, progress)
            duckdb_files.write_meta(con, meta(data.row_counts()))
            con.execute("COMMIT")
        finally:
            con.close()
    return data


def _whole_row_groups(chunks: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """The same rows re-cut into multiples of a row group (the rest rides with the next chunk).

    Every insert that ends mid row group leaves a part-filled one behind, which
    costs file space in every column.
    """
    carry: pa.Table | None = None
    for chunk in chunks:
        rows = chunk if carry is None else pa.concat_tables([carry, chunk])
        whole = rows.num_rows - rows.num_rows % DUCKDB_BATCH
        if whole:
            yield rows.slice(0, whole)
        carry = rows.slice(whole)
    if carry is not None and carry.num_rows:
        yield carry


def _made_ahead(chunks: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """The same chunks, each made on a worker thread while the previous one is written."""
    with ThreadPoolExecutor(1, "synth-events") as pool:
        ahead = pool.submit(next, chunks, None)
        while (chunk := ahead.result()) is not None:
            ahead = pool.submit(next, chunks, None)
            yield chunk


def postgres_spec(url: str) -> SourceSpec:
    spec = parse_source(url)
    if spec.kind != "postgres":
        raise BadInput(f"--pg needs a postgresql:// URL, got {spec.display}")
    return spec


def write_postgres(data: SyntheticData, spec: SourceSpec, progress: Progress) -> None:
    """Load an empty Inter-Hub database in one transaction (rolled back on any failure),
    then ``ANALYZE`` it."""
    try:
        con = psycopg.connect(
            **spec.connect_kwargs(), application_name="ihub-analysis synth", connect_timeout=10
        )
    except psycopg.Error as exc:  # also a bad option in the URL (ProgrammingError)
        raise SourceError(postgres_error_message(exc, spec)) from None
    table = ""
    try:
        with con:
            _require_empty_schema(con, spec)
            con.execute("SET LOCAL synchronous_commit = off")
            for table, tbl in _in_key_order(data):
                _copy(con, table, tbl)
                if table == "requirements":
                    _fill_deferred(con, data.tables[DEFERRED[0]])
                progress.advance(table, tbl.num_rows)
            # Planner statistics now, as after any bulk load: without them Postgres
            # plans the metric queries on guesses until autovacuum gets round to it.
            table = ""
            con.execute("ANALYZE")
    except psycopg.Error as exc:
        first = scrub(str(exc), spec.text).strip().splitlines()
        raise IhubError(
            f"loading {table or 'the data'} into {spec.display} failed: "
            f"{first[0] if first else type(exc).__name__}"
        ) from None


def _in_key_order(data: SyntheticData) -> Iterator[tuple[str, pa.Table]]:
    """Parents before children, events (the only big table) last and made ahead."""
    yield from data.tables.items()
    for chunk in _made_ahead(data.events.chunks()):
        yield EVENTS_TABLE, chunk


def _require_empty_schema(con: psycopg.Connection, spec: SourceSpec) -> None:
    present = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    }
    names = inter_hub_schema().table_names
    missing = [t for t in names if t not in present]
    if missing:
        raise BadInput(
            f"{spec.display} lacks the Inter-Hub schema (no {', '.join(missing[:3])}"
            f"{', …' if len(missing) > 3 else ''}): run `ihub db init URL` first"
        )
    probe = " UNION ALL ".join(
        f"SELECT '{t}' FROM (SELECT 1 FROM {t} LIMIT 1) AS {t}" for t in names
    )
    filled = [row[0] for row in con.execute(probe)]
    if filled:
        raise BadInput(
            f"{spec.display} is not empty ({', '.join(filled[:3])}"
            f"{', …' if len(filled) > 3 else ''} hold rows): synth only loads a freshly "
            "initialised database"
        )


def _copy(con: psycopg.Connection, name: str, tbl: pa.Table) -> None:
    """COPY ``tbl`` into ``name``: events in binary (cheaper on both ends), the rest as CSV."""
    if name == DEFERRED[0]:
        tbl = tbl.drop_columns([DEFERRED[1]])
    columns = ", ".join(tbl.column_names)
    binary = name == EVENTS_TABLE
    statement = f"COPY {name} ({columns}) FROM STDIN (FORMAT {'binary' if binary else 'csv'})"
    with con.cursor() as cur, cur.copy(statement) as copy:
        if binary:
            for piece in pgcopy.encode(tbl):
                copy.write(piece)
            return
        for batch in for_postgres(tbl).to_batches(max_chunksize=COPY_BATCH):
            buf = io.BytesIO()
            options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
            pacsv.write_csv(batch, buf, options)
            copy.write(buf.getbuffer())


def _fill_deferred(con: psycopg.Connection, candidates: pa.Table) -> None:
    """Point promoted candidates at their requirement, now that the requirements exist."""
    links = candidates.select(["id", DEFERRED[1]]).filter(candidates[DEFERRED[1]].is_valid())
    con.execute("CREATE TEMP TABLE synth_links (id uuid, requirement_id uuid) ON COMMIT DROP")
    _copy(con, "synth_links", links)
    con.execute(
        "UPDATE requirement_candidates AS c SET requirement_id = l.requirement_id "
        "FROM synth_links AS l WHERE c.id = l.id"
    )
