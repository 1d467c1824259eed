"""What every report says about how it was made, so a board can reproduce any number."""

from __future__ import annotations

import datetime as dt
import shlex
from dataclasses import dataclass, field
from typing import Any

from ihub_analysis.settings import Settings
from ihub_analysis.timeutil import iso_utc


@dataclass(frozen=True)
class Provenance:
    """The inputs of one rendering run, shared by its reports and the review board."""

    source: str  # password-free, as redact_source shows it
    taken_at: dt.datetime | None  # snapshot taken_at; None for a live database
    as_of: dt.datetime
    as_of_given: bool  # False: T is the source's default (taken_at, or now() when live)
    settings: Settings
    version: str
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def show_value(value: Any) -> str:
    """A setting's value as ``--set`` accepts it: lists ``a,b``, maps ``k:v,k:v``."""
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def reproduce_command(p: Provenance, report: str | None) -> str:
    """The ``ihub report`` command line that recomputes the same figures."""
    words = ["ihub", "report"] + ([report] if report else [])
    words += ["--source", p.source, "--as-of", iso_utc(p.as_of)]
    for name, value in p.settings.differences().items():
        words += ["--set", f"{name}={show_value(value)}"]
    return shlex.join(words)


def footer_context(p: Provenance, report: str | None, parameters: dict[str, str]) -> dict[str, Any]:
    """Values for ``footer.html.j2``: all settings, those differing from the spec, parameters."""
    defaults = Settings().as_dict()
    current = p.settings.as_dict()
    return {
        "source": p.source,
        "taken_at": iso_utc(p.taken_at) if p.taken_at else None,
        "as_of": iso_utc(p.as_of),
        "as_of_given": p.as_of_given,
        "version": p.version,
        "generated_at": iso_utc(p.generated_at.replace(microsecond=0)),
        "changed": [
            (name, show_value(value), show_value(defaults[name]))
            for name, value in p.settings.differences().items()
        ],
        "settings": [(name, show_value(value)) for name, value in current.items()],
        "parameters": sorted(parameters.items()),
        "command": reproduce_command(p, report),
    }
