"""ihub-analysis: friction, bottleneck, funnel, health, propagation and
change-evaluation metrics over the Inter-Hub governance database.

    >>> import ihub_analysis
    >>> wb = ihub_analysis.connect("data/demo.duckdb")
    >>> wb.friction().sort("score", descending=True).head()
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ihub-analysis")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+unknown"

from typing import TYPE_CHECKING, Any

from ihub_analysis.lean import skip_unused_imports

skip_unused_imports()  # a report kernel: before any dependency is imported

if TYPE_CHECKING:
    from ihub_analysis.settings import Settings
    from ihub_analysis.workbench import Workbench, connect

__all__ = ["Settings", "Workbench", "__version__", "connect"]


def __getattr__(name: str) -> Any:
    """Import the workbench (and polars) on first use: ``ihub snapshot``/``synth`` start faster."""
    if name in ("Workbench", "connect"):
        from ihub_analysis import workbench

        return getattr(workbench, name)
    if name == "Settings":
        from ihub_analysis.settings import Settings

        return Settings
    raise AttributeError(f"module 'ihub_analysis' has no attribute {name!r}")
