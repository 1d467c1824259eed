"""Self-contained HTML reports: ``ihub report`` and ``ihub demo``.

Report notebooks (``notebooks/``) run under Papermill with a password-free
source, nbconvert turns them into HTML that needs no network, and
``reports/index.html`` — the operational review board — links them.
"""

from __future__ import annotations

from ihub_analysis.reports.demo import run_demo
from ihub_analysis.reports.render import render_reports

__all__ = ["render_reports", "run_demo"]
