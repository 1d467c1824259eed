"""The workbench: one object per source, one method per metric.

``connect(source)`` opens the source read-only; each metric method renders the
metric's SQL (``sql/metrics/``) with the settings in force and runs it where the
data lives — DuckDB for a snapshot, Postgres for a live database — returning a
polars DataFrame with the columns of :mod:`ihub_analysis.metrics.schemas`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from ihub_analysis.paths import default_source
from ihub_analysis.settings import Settings
from ihub_analysis.sources import Source, open_source
from ihub_analysis.timeutil import parse_as_of


class Workbench:
    """Metrics over one Inter-Hub source.  Use as a context manager or call :meth:`close`."""

    def __init__(self, source: Source, settings: Settings | None = None) -> None:
        self.source = source
        self.settings = settings or Settings()

    # ------------------------------------------------------------------ basics
    @property
    def tables(self) -> frozenset[str]:
        """The Inter-Hub tables this source holds."""
        return self.source.tables

    def default_as_of(self) -> dt.datetime:
        """Snapshot ``taken_at`` for a DuckDB snapshot, the server's ``now()`` when live."""
        return self.source.now()

    def resolve_as_of(self, as_of: str | dt.datetime | dt.date | None) -> dt.datetime:
        return self.default_as_of() if as_of is None else parse_as_of(as_of)

    def sql(self, query: str) -> pl.DataFrame:
        """Run your own read-only SQL against the source (the connection cannot write)."""
        return self.source.query(query)

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workbench({self.source.display!r}, phase {self.source.phase})"

    def metric(self, kind: str, **kwargs: Any) -> pl.DataFrame:
        """Dispatch by the CLI's metric name (``health-trend`` → :meth:`health_trend`)."""
        return getattr(self, kind.replace("-", "_"))(**kwargs)


def connect(
    source: str | None = None,
    *,
    settings: Settings | None = None,
    statement_timeout: str | None = None,
) -> Workbench:
    """Open ``source`` (default ``$IHUB_SOURCE``, else ``data/demo.duckdb``) read-only."""
    return Workbench(open_source(source or default_source(), statement_timeout=statement_timeout), settings)
