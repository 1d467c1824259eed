"""Where the project's SQL and notebooks live, installed or in a checkout.

In a checkout (editable install) they are the top-level ``sql/`` and
``notebooks/`` folders; a wheel carries copies under ``_resources/``.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parents[1]

DEFAULT_DEMO_SOURCE = Path("data") / "demo.duckdb"
DEFAULT_REPORTS_DIR = Path("reports")


def _resource_dir(name: str) -> Path:
    bundled = _PACKAGE / "_resources" / name
    if bundled.is_dir():
        return bundled
    return _CHECKOUT / name


def sql_dir() -> Path:
    """The folder holding ``schema/`` and ``metrics/`` SQL files."""
    return _resource_dir("sql")


def notebooks_dir() -> Path:
    """The folder holding the report notebooks."""
    return _resource_dir("notebooks")


def default_source() -> str:
    """``IHUB_SOURCE`` if set, else the demo snapshot (as the interface contract says)."""
    return os.environ.get("IHUB_SOURCE") or str(DEFAULT_DEMO_SOURCE)
