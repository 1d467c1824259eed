"""Errors the command line turns into one-line messages and exit codes.

Anything that is the user's input being wrong (a bad source string, a missing
file, a database that lacks a table) is a :class:`BadInput` and exits 2; any
other failure we anticipate exits 1.  Messages never carry secrets: sources are
always shown through :func:`ihub_analysis.redact.redact_source`.
"""

from __future__ import annotations


class IhubError(Exception):
    """A failure with a one-line, user-facing message."""

    exit_code = 1


class BadInput(IhubError):  # noqa: N818 — the name is used throughout
    """Bad usage or bad input: exit status 2."""

    exit_code = 2


class SourceError(BadInput):
    """The source cannot be opened or is not an Inter-Hub database."""


class MissingTablesError(BadInput):
    """A metric needs tables that this (older) Inter-Hub database lacks."""

    def __init__(self, what: str, missing: list[str]) -> None:
        self.what = what
        self.missing = sorted(missing)
        super().__init__(
            f"{what} needs table{'s' if len(self.missing) > 1 else ''} "
            f"{', '.join(self.missing)}, which this database does not have "
            "(an older Inter-Hub deployment)"
        )
