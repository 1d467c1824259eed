"""What ``ihub report`` says while it runs: one line per record, fit for a log file.

On a terminal the lines are short.  Anywhere else (cron, systemd, a CI job)
each line starts with its UTC time, or — with ``--log-format json`` — is one
JSON object (``time``, ``level``, ``event``, ``message`` and the event's
fields).  ``--quiet`` keeps errors only.  No progress bar, no colour, no
carriage return: nothing a log file cannot hold.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
from typing import Any, TextIO

from ihub_analysis.timeutil import iso_utc

FORMATS = ("text", "json")


class RunLog:
    """Thread-safe one-line records on a stream (stderr by default)."""

    def __init__(
        self, stream: TextIO | None = None, *, fmt: str = "text", quiet: bool = False
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"log format must be one of {FORMATS}, got {fmt!r}")
        self.stream = stream if stream is not None else sys.stderr
        self.fmt = fmt
        self.quiet = quiet
        self.terminal = _isatty(self.stream)
        self._lock = threading.Lock()

    @property
    def verbose(self) -> bool:
        """Whether start records are worth a line (a person watching a terminal)."""
        return self.terminal and not self.quiet and self.fmt == "text"

    def record(self, event: str, message: str, *, level: str = "info", **fields: Any) -> None:
        if self.quiet and level != "error":
            return
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        if self.fmt == "json":
            line = json.dumps(
                {"time": iso_utc(now), "level": level, "event": event, "message": message} | fields,
                ensure_ascii=False,
                default=str,
            )
        else:
            line = message if self.terminal else f"{iso_utc(now)} {level.upper()} {message}"
        line = line.replace("\r", " ").replace("\n", " ")
        with self._lock:
            print(line, file=self.stream, flush=True)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
