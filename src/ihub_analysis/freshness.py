"""Is ``as_of`` inside the data, and is a live database still being written to?

A metric as of a time outside the events' span is legal but almost always a
mistake (a typo in the year, a snapshot older than thought); a live database whose
newest event is weeks old usually means the application stopped writing to it.
Both get one sentence: the CLI prints it on stderr, a notebook shows a notice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ihub_analysis.infinite_times import finite_relations
from ihub_analysis.metrics.inputs import scalar_settings, vocabulary_relations
from ihub_analysis.metrics.sqlmodels import compose
from ihub_analysis.workbench import Workbench

#: A live database whose newest event is older than this is called out.
STALE_AFTER = dt.timedelta(days=14)
#: ``as_of`` may run this far past the last event (a snapshot's ``taken_at``) unremarked.
AFTER_LAST_GRACE = dt.timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """First and last interaction event of a source (both None when it has none)."""

    first: dt.datetime | None
    last: dt.datetime | None

    def text(self) -> str:
        if self.first is None or self.last is None:
            return "it has no interaction events"
        return f"its events span {_day(self.first)} … {_day(self.last)}"


def _day(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def data_span(wb: Workbench) -> Span:
    """The events' span, from the ``data_span`` model (two aggregates, no rows pulled)."""
    s = wb.settings
    statement = compose(
        "data_span",
        inputs={**vocabulary_relations(s), **finite_relations(wb.source)},
        scalars=scalar_settings(s, dt.datetime.now(dt.UTC)),
        tables=wb.tables,
    )
    row = wb.sql(statement).row(0, named=True)
    return Span(_aware(row["first_event"]), _aware(row["last_event"]))


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def time_warnings(
    span: Span, as_of: dt.datetime | None, *, live: bool, now: dt.datetime
) -> list[str]:
    """One sentence per problem: ``as_of`` (explicit) outside ``span``; stale live data."""
    warnings = []
    if as_of is not None and span.first is not None and span.last is not None:
        if as_of <= span.first:
            warnings.append(
                f"as-of {_day(as_of)} is before the first event of this source ({span.text()}): "
                "the metrics will be empty"
            )
        elif as_of > span.last + AFTER_LAST_GRACE:
            warnings.append(
                f"as-of {_day(as_of)} is after the last event of this source ({span.text()}): "
                "windows reaching past it see no events"
            )
    if live and span.last is not None and now - span.last > STALE_AFTER:
        days = (now - span.last).days
        warnings.append(
            f"the newest event in this live database is from {_day(span.last)}, {days} days "
            "ago: the application may have stopped writing to it"
        )
    return warnings


def check_time(wb: Workbench, as_of: dt.datetime | None) -> list[str]:
    """:func:`time_warnings` for a workbench (``as_of`` None: only the staleness check)."""
    live = wb.source.kind == "postgres"
    if as_of is None and not live:
        return []
    return time_warnings(data_span(wb), as_of, live=live, now=wb.source.now())
