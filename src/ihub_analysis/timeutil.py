"""Parsing and printing of the UTC timestamps every metric is anchored to."""

from __future__ import annotations

import datetime as dt

from ihub_analysis.errors import BadInput

#: The as-of times we accept: wide enough for any real history, and far enough
#: from the calendar's ends (years 1 and 9999) that T minus the longest window
#: (10 years) and T plus a change window stay representable on every engine.
EARLIEST_AS_OF = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST_AS_OF = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


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
    utc: dt.datetime | None
    try:
        utc = parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):  # e.g. 9999-12-31T23:00-12:00 is past year 9999
        utc = None
    if utc is None or not EARLIEST_AS_OF <= utc <= LATEST_AS_OF:
        raise BadInput(
            f"as-of time {str(value).strip()!r} is out of range: use a time between "
            f"{EARLIEST_AS_OF:%Y-%m-%d} and {LATEST_AS_OF:%Y-%m-%d} (UTC)"
        )
    return utc


def iso_utc(value: dt.datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, microseconds only when present."""
    value = value.astimezone(dt.UTC)
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")
