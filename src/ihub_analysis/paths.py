"""Where the project's SQL, notebooks and default data live, installed or in a checkout.

In a checkout (editable install) SQL and notebooks are the top-level ``sql/`` and
``notebooks/`` folders; a wheel carries copies under ``_resources/``.

The default source is found the same way wherever a notebook or command runs: a
JupyterLab kernel started on ``notebooks/`` has that folder as its working
directory, so ``data/demo.duckdb`` is looked up in the working directory, then in
each folder above it, then in the checkout the package was installed from.
"""

from __future__ import annotations

import os
from pathlib import Path

from ihub_analysis.errors import SourceError

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parents[1]

DEFAULT_DEMO_SOURCE = Path("data") / "demo.duckdb"
DEFAULT_REPORTS_DIR = Path("reports")

#: One sentence for a notebook or command that finds no data to open.
NO_SOURCE_HINT = (
    "No data to open: there is no data/demo.duckdb in this project — run `make demo` "
    "(or `ihub demo`) in the project folder, or set IHUB_SOURCE to a DuckDB file or a "
    "postgresql:// URL."
)


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


def is_checkout(folder: Path = _CHECKOUT) -> bool:
    """Whether ``folder`` is a clone of this project (not a site-packages parent)."""
    return (folder / "pyproject.toml").is_file() and (folder / "notebooks").is_dir()


def find_demo_source(start: Path | None = None) -> Path | None:
    """The demo snapshot nearest to ``start`` (default: the working directory).

    ``start/data/demo.duckdb``, then the same in each parent folder, then in the
    checkout the package runs from; None when there is none anywhere.
    """
    cwd = Path.cwd().absolute()
    here = (start or cwd).absolute()
    for folder in (here, *here.parents):
        candidate = folder / DEFAULT_DEMO_SOURCE
        if candidate.is_file():
            return DEFAULT_DEMO_SOURCE if folder == cwd else candidate
    if is_checkout():
        candidate = _CHECKOUT / DEFAULT_DEMO_SOURCE
        if candidate.is_file():
            return candidate
    return None


def default_source() -> str:
    """``IHUB_SOURCE`` if set, else the nearest demo snapshot (see :func:`find_demo_source`).

    With neither, ``data/demo.duckdb``: opening it then fails with a message naming it.
    ``IHUB_SOURCE`` set but blank is an error, not "unset": a scheduled job whose
    secret failed to expand must not quietly report on the demo data instead.
    """
    from_env = os.environ.get("IHUB_SOURCE")
    if from_env is not None:
        if not from_env.strip():
            raise SourceError(
                "IHUB_SOURCE is set but empty: set it to a source, or unset it to use "
                "the demo snapshot"
            )
        return from_env
    return str(find_demo_source() or DEFAULT_DEMO_SOURCE)
