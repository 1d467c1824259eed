"""Stand-in report notebooks that keep the parameter contract and finish at once.

Tests of the report machinery (staging, archives, schedules, signals) need real
notebooks run by real kernels, but not the real reports' minutes of work.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat

from ihub_analysis.reports.catalog import REPORTS, ReportSpec, dossier_spec

CONTRACT = "source = ''\nas_of = None\nsettings = {}\nreport_mode = False"


def write_stub_notebooks(
    folder: Path,
    body: Callable[[ReportSpec], str],
    *,
    extra_parameters: str = "",
    dossiers: bool = False,
) -> Path:
    """One notebook per report (and the hub dossier if ``dossiers``): the contract's
    parameters cell, plus ``extra_parameters``, then one cell ``body(spec)``."""
    folder.mkdir(parents=True, exist_ok=True)
    specs = (*REPORTS.values(), dossier_spec("any")) if dossiers else tuple(REPORTS.values())
    for spec in specs:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        params = nbformat.v4.new_code_cell(CONTRACT + extra_parameters)
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_code_cell(body(spec))]
        nbformat.write(nb, folder / spec.notebook)
    return folder
