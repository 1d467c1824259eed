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

from ihub_analysis.settings import Settings
from ihub_analysis.workbench import Workbench, connect

__all__ = ["Settings", "Workbench", "__version__", "connect"]
