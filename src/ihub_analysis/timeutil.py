"""Parsing and printing of the UTC timestamps every metric is anchored to."""

from __future__ import annotations

import datetime as dt

from ihub_analysis.errors import BadInput


def parse_as_of(value: str | dt.datetime | dt.date) -> dt.datetime:
    """An ``as_of`` as an aware UTC datetime.

    Accepts ISO 8601 (``2026-11-01``, ``2026-11-01T12:00``, ``…Z``, ``…+02:00``) or
    a datetime; a value without a zone is taken as UTC, as the spec says T is UTC.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise BadInput(
                f"invalid as-of time {text!r}: use ISO 8601, e.g. 2026-11-01T00:00:00Z"
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def iso_utc(value: dt.datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, microseconds only when present."""
    value = value.astimezone(dt.UTC)
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")
