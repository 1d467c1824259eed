"""Hand-built Inter-Hub worlds for tests with hand-computed expected values.

A :class:`World` collects rows table by table, filling NOT NULL columns the test
does not care about, and writes the same rows to a DuckDB file (through the
project's own DDL) or to a Postgres database (after ``ihub db init``), so one
fixture can check a metric's value and its parity between the engines.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import psycopg

from ihub_analysis import __version__
from ihub_analysis.dbinit import init_database
from ihub_analysis.duckdb_files import create_tables, write_meta
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.sources import SnapshotMeta

UTC = dt.UTC
T = dt.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # the "as of" most fixtures use


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


def _filler(pg_type: str, t0: dt.datetime) -> Any:
    return {
        "text": "x",
        "jsonb": "{}",
        "integer": 1,
        "smallint": 3,
        "boolean": False,
        "numeric": 0,
        "timestamp with time zone": t0,
        "uuid": None,
    }[pg_type]


class World:
    """Rows of an Inter-Hub database under construction."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.start = start or T - days(400)
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._n = 0

    # ----------------------------------------------------------------- generic
    def _id(self) -> uuid.UUID:
        self._n += 1
        return uuid.UUID(int=self._n)

    def add(self, table: str, **values: Any) -> uuid.UUID:
        """Add a row; unspecified NOT NULL columns get harmless fillers."""
        schema = inter_hub_schema()[table]
        row: dict[str, Any] = {}
        for col in schema.columns:
            if col.name in values:
                row[col.name] = values.pop(col.name)
            elif col.name == "id":
                row["id"] = self._id()
            elif col.not_null:
                row[col.name] = _filler(col.pg_type, self.start)
            else:
                row[col.name] = None
        if values:
            raise KeyError(f"{table} has no columns {sorted(values)}")
        self.rows[table].append(row)
        return row["id"]

    # ----------------------------------------------------------------- helpers
    def user(self, name: str = "Reviewer") -> uuid.UUID:
        n = len(self.rows["users"])
        return self.add(
            "users", email=f"user{n}@example.org", name=name, password_hash="secret-hash"
        )

    def hub(self, slug: str, created_at: dt.datetime | None = None) -> uuid.UUID:
        return self.add(
            "hubs", slug=slug, name=slug.title(), domain=slug, created_at=created_at or self.start
        )

    def widget(
        self,
        hub: uuid.UUID,
        name: str,
        widget_type: str = "form",
        created_at: dt.datetime | None = None,
    ) -> uuid.UUID:
        return self.add(
            "widgets",
            hub_id=hub,
            name=name,
            widget_type=widget_type,
            created_at=created_at or self.start,
        )

    def events(
        self, widget: uuid.UUID, times: list[dt.datetime], event_type: str = "click"
    ) -> None:
        for at in times:
            self.add("interaction_events", widget_id=widget, event_type=event_type, occurred_at=at)

    def spread(
        self, widget: uuid.UUID, n: int, lo: dt.datetime, hi: dt.datetime, event_type: str = "click"
    ) -> None:
        """``n`` events evenly inside [lo, hi)."""
        if n == 0:
            return
        step = (hi - lo) / n
        self.events(widget, [lo + step * i for i in range(n)], event_type)

    def annotation(self, widget: uuid.UUID, created_at: dt.datetime, **kw: Any) -> uuid.UUID:
        kw.setdefault("body", "hard to use")
        kw.setdefault("category", "friction")
        kw.setdefault("severity", "medium")
        return self.add("annotations", widget_id=widget, created_at=created_at, **kw)

    def thread(self, widget: uuid.UUID, created_at: dt.datetime | None = None) -> uuid.UUID:
        return self.add(
            "annotation_threads",
            widget_id=widget,
            title="thread",
            created_at=created_at or self.start,
        )

    def candidate(
        self, widget: uuid.UUID, created_at: dt.datetime, status: str = "open", **kw: Any
    ) -> uuid.UUID:
        kw.setdefault("title", "candidate")
        kw.setdefault("description", "d")
        return self.add(
            "requirement_candidates",
            source_widget_id=widget,
            created_at=created_at,
            status=status,
            **kw,
        )

    def triage(
        self, candidate: uuid.UUID, status: str, changed_at: dt.datetime, **kw: Any
    ) -> uuid.UUID:
        return self.add(
            "triage_states", candidate_id=candidate, status=status, changed_at=changed_at, **kw
        )

    def reviewer(
        self, candidate: uuid.UUID, user: uuid.UUID, assigned_at: dt.datetime
    ) -> uuid.UUID:
        return self.add(
            "reviewer_assignments", candidate_id=candidate, user_id=user, assigned_at=assigned_at
        )

    def requirement(
        self, candidate: uuid.UUID, created_at: dt.datetime, status: str = "active"
    ) -> uuid.UUID:
        return self.add(
            "requirements",
            title="req",
            description="d",
            source_candidate_id=candidate,
            status=status,
            created_at=created_at,
        )

    def decision(
        self,
        decided_at: dt.datetime,
        *,
        requirement: uuid.UUID | None = None,
        candidate: uuid.UUID | None = None,
        outcome: str = "approved",
        title: str = "decision",
    ) -> uuid.UUID:
        return self.add(
            "decision_records",
            title=title,
            rationale="r",
            outcome=outcome,
            requirement_id=requirement,
            candidate_id=candidate,
            decided_at=decided_at,
            created_at=decided_at,
        )

    def deployment(
        self, decision: uuid.UUID, deployed_at: dt.datetime, version_ref: str = "app@1"
    ) -> uuid.UUID:
        return self.add(
            "deployment_records",
            decision_id=decision,
            version_ref=version_ref,
            deployed_at=deployed_at,
            created_at=deployed_at,
        )

    def signal(
        self,
        widget: uuid.UUID,
        deployment: uuid.UUID,
        observed_at: dt.datetime,
        signal_type: str = "error_rate",
        value: float | None = 1.0,
    ) -> uuid.UUID:
        return self.add(
            "outcome_signals",
            widget_id=widget,
            deployment_id=deployment,
            signal_type=signal_type,
            value=value,
            observed_at=observed_at,
        )

    def evaluation(self, deployment: uuid.UUID, score: int, evaluated_at: dt.datetime) -> uuid.UUID:
        return self.add(
            "change_evaluations",
            deployment_id=deployment,
            score=score,
            rationale="r",
            evaluated_at=evaluated_at,
        )

    def health_snapshot(self, hub: uuid.UUID, score: int, computed_at: dt.datetime) -> uuid.UUID:
        return self.add(
            "hub_health_snapshots", hub_id=hub, health_score=score, computed_at=computed_at
        )

    # ----------------------------------------------------------------- writers
    def _tables(self, phase: int) -> list[str]:
        """Tables in an order that satisfies foreign keys (threads before annotations)."""
        names = [t.name for t in inter_hub_schema().tables_up_to_phase(phase)]
        if "annotation_threads" in names:
            names.remove("annotation_threads")
            names.insert(names.index("annotations"), "annotation_threads")
        return names

    def to_duckdb(self, path: Path, taken_at: dt.datetime = T, phase: int = 7) -> str:
        """Write a snapshot-like DuckDB file whose ``taken_at`` is the default as_of."""
        schema = inter_hub_schema()
        con = duckdb.connect(str(path))
        try:
            create_tables(con, [t.as_of_phase(phase) for t in schema.tables_up_to_phase(phase)])
            for name in self._tables(phase):
                rows = self.rows.get(name, [])
                if not rows:
                    continue
                # one bulk insert per table through Arrow: row-by-row inserts are slow
                cols = schema[name].as_of_phase(phase).column_names
                incoming = pl.DataFrame(
                    [{c: _duck_value(r[c]) for c in cols} for r in rows], infer_schema_length=None
                )
                con.register("incoming", incoming.to_arrow())
                con.execute(f"INSERT INTO {name} ({', '.join(cols)}) SELECT * FROM incoming")
                con.unregister("incoming")
            write_meta(
                con, SnapshotMeta(taken_at, "test world", __version__, schema.fingerprint(), {})
            )
        finally:
            con.close()
        return str(path)

    def to_postgres(self, url: str, phase: int = 7) -> str:
        """Create the schema (phases 1..phase) in the empty database ``url``, load the rows."""
        init_database(url, up_to_phase=phase)
        schema = inter_hub_schema()
        with psycopg.connect(url) as con:
            for name in self._tables(phase):
                rows = self.rows.get(name, [])
                if not rows:
                    continue
                cols = schema[name].as_of_phase(phase).column_names
                with con.cursor() as cur:
                    placeholders = ", ".join("%s" for _ in cols)
                    cur.executemany(
                        f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({placeholders})",
                        [
                            [_pg_value(r[c], schema[name].column(c).pg_type) for c in cols]
                            for r in rows
                        ],
                    )
        return url


def _duck_value(v: Any) -> Any:
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, dict | list):
        return json.dumps(v)
    return v


def _pg_value(v: Any, pg_type: str) -> Any:
    if pg_type == "jsonb" and v is not None and not isinstance(v, str):
        return json.dumps(v)
    return v
