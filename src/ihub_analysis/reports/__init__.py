"""Self-contained HTML reports: ``ihub report`` and ``ihub demo``.

Report notebooks (``notebooks/``) run under Papermill with a password-free
source, nbconvert turns them into HTML that needs no network, and
``reports/index.html`` — the operational review board — links them.

The entry points are imported on first use: a report kernel imports
:mod:`ihub_analysis.reports.warm` and must not pay for Papermill and nbconvert.
"""

from __future__ import annotations

from typing import Any

__all__ = ["render_reports", "run_demo"]


def __getattr__(name: str) -> Any:
    if name == "render_reports":
        from ihub_analysis.reports.render import render_reports

        return render_reports
    if name == "run_demo":
        from ihub_analysis.reports.demo import run_demo

        return run_demo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
