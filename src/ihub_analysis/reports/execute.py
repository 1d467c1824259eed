"""Execute one report notebook with Papermill and describe a failure precisely.

A failure must name the cell a reader would look for in the *source* notebook,
so the index is counted without the cell Papermill injects, and the message
carries the first line of the cell and the last line of the exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError
from papermill.execute import ERROR_MARKER_TAG

from ihub_analysis.errors import IhubError
from ihub_analysis.reports.kernel import ENGINE_NAME, WarmKernel

#: Parameters a report notebook must declare (the contract with the notebooks).
REQUIRED_PARAMETERS = ("source", "as_of", "settings", "report_mode")
#: The kernel to run: ``python3`` resolves to this interpreter's ipykernel,
#: so notebooks import the same ihub_analysis as the command that runs them.
KERNEL_NAME = "python3"
#: A cell running longer than this is stuck, not slow (a live query has its own timeout).
CELL_TIMEOUT_S = 1800
INJECTED_TAG = "injected-parameters"


@dataclass(frozen=True)
class CellFailure:
    """Where and how a notebook failed."""

    index: int  # 0-based position in the source notebook
    first_line: str
    error: str  # "ExceptionName: last line of the message"

    def describe(self) -> str:
        return f'cell {self.index} ("{self.first_line}"): {self.error}'


class NotebookError(IhubError):
    """A notebook raised; ``notebook`` is the executed notebook up to the failure (or None)."""

    def __init__(self, message: str, notebook: nbformat.NotebookNode | None) -> None:
        super().__init__(message)
        self.notebook = notebook


def declared_parameters(notebook: Path) -> dict[str, str]:
    """The notebook's parameters and their default values (as source text)."""
    found = papermill.inspect_notebook(str(notebook))
    return {name: str(p["default"]) for name, p in found.items()}


def check_contract(notebook: Path, declared: dict[str, str]) -> None:
    """Refuse a notebook whose parameters cell lacks a contract parameter.

    Without ``source`` it would silently report on the default database.
    """
    missing = [p for p in REQUIRED_PARAMETERS if p not in declared]
    if missing:
        raise IhubError(
            f"{notebook} does not declare parameter{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} in its cell tagged 'parameters'"
        )


def _lines(text: str) -> list[str]:
    return [ln.strip()[:160] for ln in text.splitlines() if ln.strip()]


def _first_line(text: str) -> str:
    return next(iter(_lines(text)), "")


def _last_line(text: str) -> str:
    """The line of an exception message that says what went wrong (tracebacks end with it)."""
    return next(reversed(_lines(text)), "")


def _error(name: str, message: str) -> str:
    last = _last_line(message)
    return f"{name}: {last}" if last else name


def cell_failure(executed: nbformat.NotebookNode, exc: PapermillExecutionError) -> CellFailure:
    """Describe ``exc``, counting cells as in the source notebook.

    Papermill's index counts its injected-parameters cell but not the error
    banners it adds to the saved notebook afterwards.
    """
    cells = [c for c in executed.cells if ERROR_MARKER_TAG not in c.metadata.get("tags", [])]
    injected = sum(1 for c in cells[: exc.cell_index] if INJECTED_TAG in c.metadata.get("tags", []))
    return CellFailure(
        exc.cell_index - injected, _first_line(exc.source), _error(exc.ename, exc.evalue)
    )


def execute(
    notebook: Path,
    parameters: dict[str, Any],
    kernel_env: dict[str, str],
    scratch: Path,
    kernel: WarmKernel | None = None,
) -> nbformat.NotebookNode:
    """Run ``notebook`` with ``parameters``; raise :class:`NotebookError` on any error.

    In ``kernel`` if given (already reset, see :meth:`WarmKernel.prepare`; its
    environment must be ``kernel_env``), else in a kernel of its own.  Papermill
    writes the executed notebook into ``scratch`` (a private temporary folder)
    only once, at the end or at the failure, so nothing half-written is ever in
    the output folder.
    """
    executed = scratch / notebook.name
    try:
        if kernel is not None and kernel.env != kernel_env:
            raise ValueError("the warm kernel runs with another environment")
        return papermill.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            engine_name=ENGINE_NAME,
            request_save_on_cell_execute=False,
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            execution_timeout=CELL_TIMEOUT_S,
            kernel_env=kernel_env,
            warm_kernel=kernel,
        )
    except PapermillExecutionError as exc:
        saved = nbformat.read(executed, as_version=4)
        raise NotebookError(cell_failure(saved, exc).describe(), saved) from None
    except Exception as exc:  # kernel died, timed out, bad notebook: still one line
        raise NotebookError(_error(type(exc).__name__, str(exc)), None) from None
