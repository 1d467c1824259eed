"""``ihub report``: execute the report notebooks in parallel, export them, write the board.

Nothing already written is lost: every file is replaced atomically, a report's
HTML only after its notebook ran to the end, and a failed notebook lands in
``failed/<name>.ipynb`` beside the untouched previous HTML.  Bad input (an
unknown report, a source that cannot be opened) is found before any file is
written.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import nbformat

from ihub_analysis import __version__
from ihub_analysis.atomic import write_text_atomic
from ihub_analysis.errors import BadInput
from ihub_analysis.lean import REPORT_KERNEL_ENV
from ihub_analysis.metrics import cache as results_cache
from ihub_analysis.paths import DEFAULT_REPORTS_DIR
from ihub_analysis.redact import scrub
from ihub_analysis.reports import board, catalog, execute, export
from ihub_analysis.reports.kernel import kernel_source
from ihub_analysis.reports.provenance import Provenance, footer_context
from ihub_analysis.settings import Settings
from ihub_analysis.timeutil import iso_utc
from ihub_analysis.workbench import Workbench, connect

INDEX = "index.html"
FAILED_DIR = "failed"


@dataclass(frozen=True)
class Job:
    """One report to render, with everything its worker thread needs."""

    spec: catalog.ReportSpec
    notebook: Path
    out_dir: Path
    source: str  # the user's source string (may hold a password: used for scrubbing only)
    kernel_source: str  # password-free
    kernel_env: dict[str, str]
    provenance: Provenance


@dataclass(frozen=True)
class Outcome:
    """What became of one report."""

    name: str
    seconds: float
    error: str = ""  # empty when rendered
    written: Path | None = None


class Progress:
    """One line per report on stderr as it finishes; start lines too on a terminal."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream = stream
        self.verbose = stream.isatty()
        self.total = total
        self.done = 0
        self.lock = threading.Lock()

    def _line(self, text: str) -> None:
        with self.lock:
            print(text, file=self.stream, flush=True)

    def started(self, name: str) -> None:
        if self.verbose:
            self._line(f"report {name}: started")

    def finished(self, outcome: Outcome) -> None:
        with self.lock:
            self.done += 1
            count = f"[{self.done}/{self.total}]"
        if outcome.error:
            failed = f"FAILED after {outcome.seconds:.1f} s"
            self._line(f"{count} report {outcome.name}: {failed}: {outcome.error}")
        else:
            assert outcome.written is not None
            size = outcome.written.stat().st_size / 1e6
            self._line(
                f"{count} report {outcome.name}: done in {outcome.seconds:.1f} s "
                f"-> {outcome.written} ({size:.1f} MB)"
            )


def _parameters(job: Job, declared: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The values passed to the notebook, and every parameter as the footer shows it."""
    passed = {
        "source": job.kernel_source,
        "as_of": iso_utc(job.provenance.as_of),
        "settings": job.provenance.settings.differences(),
        "report_mode": True,
    }
    shown = {**declared, **{k: repr(v) for k, v in passed.items()}}
    return passed, shown


def _scrubbed(nb: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """The notebook with any trace of a password removed (defence in depth)."""
    return nbformat.reads(scrub(nbformat.writes(nb), source), as_version=4)


def _subtitle(p: Provenance) -> str:
    snapshot = f" · snapshot taken {iso_utc(p.taken_at)}" if p.taken_at else ""
    return f"As of {iso_utc(p.as_of)} · {p.source}{snapshot}"


def render_one(job: Job, progress: Progress) -> Outcome:
    """Render one report (in a worker thread), telling ``progress`` when it starts and ends."""
    progress.started(job.spec.name)
    try:
        outcome = _render(job)
    finally:
        _close_thread_event_loop()
    progress.finished(outcome)
    return outcome


def _close_thread_event_loop() -> None:
    """Close the event loop nbclient created for this thread: it never closes it itself."""
    policy = asyncio.get_event_loop_policy()
    try:
        loop = policy.get_event_loop()
    except RuntimeError:  # this thread never had one
        return
    loop.close()
    policy.set_event_loop(None)


def _render(job: Job) -> Outcome:
    """Execute, export and write one report; a failure is returned, never raised."""
    name = job.spec.name
    start = time.monotonic()
    failed_nb = job.out_dir / FAILED_DIR / f"{name}.ipynb"
    try:
        if not job.notebook.is_file():
            raise execute.NotebookError(f"notebook {job.notebook} not found", None)
        declared = execute.declared_parameters(job.notebook)
        execute.check_contract(job.notebook, declared)
        passed, shown = _parameters(job, declared)
        with tempfile.TemporaryDirectory(prefix=f"ihub-report-{name}-") as scratch:
            executed = execute.execute(job.notebook, passed, job.kernel_env, Path(scratch))
        executed = _scrubbed(executed, job.source)
        footer = export.render_footer(footer_context(job.provenance, name, shown))
        page = export.notebook_html(
            executed,
            name=name,
            title=job.spec.title,
            subtitle=_subtitle(job.provenance),
            footer=footer,
        )
        write_text_atomic(job.out_dir / f"{name}.ipynb", nbformat.writes(executed))
        target = job.out_dir / f"{name}.html"
        write_text_atomic(target, page)
        failed_nb.unlink(missing_ok=True)
        return Outcome(name, time.monotonic() - start, written=target)
    except execute.NotebookError as exc:
        message = f"failed in {exc}" if exc.notebook is not None else str(exc)
        if exc.notebook is not None:
            write_text_atomic(failed_nb, nbformat.writes(_scrubbed(exc.notebook, job.source)))
            message += f"; executed notebook kept at {failed_nb}"
        previous = job.out_dir / f"{name}.html"
        if previous.exists():
            message += f"; previous {previous} left as it was"
        return Outcome(name, time.monotonic() - start, error=scrub(message, job.source))
    except Exception as exc:  # one report's bug must not stop the others
        text = scrub(f"{type(exc).__name__}: {exc}", job.source).strip().splitlines()
        return Outcome(
            name, time.monotonic() - start, error=text[0] if text else type(exc).__name__
        )


def _provenance(wb: Workbench, source_shown: str, as_of: Any, settings: Settings) -> Provenance:
    meta = wb.source.snapshot_meta()
    return Provenance(
        source=source_shown,
        taken_at=meta.taken_at if meta else None,
        as_of=wb.resolve_as_of(as_of),
        as_of_given=as_of is not None,
        settings=settings,
        version=__version__,
    )


def _out_dir(out_dir: Path | None) -> Path:
    out = Path(out_dir) if out_dir is not None else DEFAULT_REPORTS_DIR
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out} exists and is not a directory")
    return out


def _board_data(
    wb: Workbench, prov: Provenance, overrides: dict[str, Any]
) -> board.BoardData | str:
    """The board's panels, or the one-line reason they could not be computed."""
    try:
        return board.compute_board(wb, prov.as_of, overrides)
    except Exception as exc:  # the reports must still be written and reported
        text = scrub(f"{type(exc).__name__}: {exc}", prov.source).strip().splitlines()
        return text[0] if text else type(exc).__name__


def _write_board(
    data: board.BoardData, prov: Provenance, out: Path, outcomes: dict[str, str]
) -> Path:
    footer = export.render_footer(footer_context(prov, None, {}))
    links = board.report_links(out, outcomes)
    page = board.board_html(data, links, prov, footer)
    target = out / INDEX
    write_text_atomic(target, page)
    return target


def _run_all(
    jobs: list[Job], workers: int, stream: TextIO, board_data: Callable[[], board.BoardData | str]
) -> tuple[list[Outcome], board.BoardData | str, float]:
    """Render the reports in a pool while this thread computes the board's panels."""
    progress = Progress(stream, len(jobs))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ihub-report")
    try:
        futures = [pool.submit(render_one, job, progress) for job in jobs]
        start = time.monotonic()
        data = board_data()  # meanwhile the kernels do the work
        seconds = time.monotonic() - start
        outcomes = [f.result() for f in futures]
    except BaseException:  # Ctrl-C: start no further report; running ones finish atomically
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return outcomes, data, seconds


def _conclude(
    outcomes: list[Outcome],
    data: board.BoardData | str,
    board_seconds: float,
    prov: Provenance,
    out: Path,
    stream: TextIO,
    started: float,
) -> int:
    """Write the board, say what failed and where the board is; return the exit status."""
    failures = [o.name for o in outcomes if o.error]
    index = out / INDEX
    if isinstance(data, str):
        print(f"board: FAILED: {data}; {index} left as it was", file=stream, flush=True)
        failures.append("board")
    else:
        _write_board(data, prov, out, {o.name: o.error for o in outcomes})
        print(f"board: done in {board_seconds:.1f} s -> {index}", file=stream, flush=True)
    if failures:
        print(f"ihub: error: {', '.join(failures)} failed (see above)", file=stream, flush=True)
    rendered = sum(1 for o in outcomes if not o.error)
    elapsed = time.monotonic() - started
    print(
        f"{rendered} of {len(outcomes)} reports rendered in {elapsed:.1f} s; "
        f"review board: {index.resolve()}"
    )
    return 1 if failures else 0


def render_reports(
    names: list[str],
    *,
    source: str,
    as_of: Any = None,
    out_dir: Path | None = None,
    overrides: dict[str, Any] | None = None,
    jobs: int | None = None,
    notebooks_dir: Path | None = None,
) -> int:
    """Render ``names`` and the review board into ``out_dir``; return the exit status.

    ``as_of`` is resolved once, so every report and the board share one T even
    on a live database.  ``notebooks_dir`` (or ``$IHUB_NOTEBOOKS_DIR``) replaces
    the project's notebooks.
    """
    names = catalog.check_names(list(names))
    out = _out_dir(out_dir)
    overrides = dict(overrides or {})
    settings = Settings().replace(**overrides)
    nb_dir = catalog.notebooks_dir(notebooks_dir)
    shown_source, env = kernel_source(source)
    started = time.monotonic()
    # A bad source fails here, before anything is written; the kernels and the board
    # share one results cache, so each metric runs once per run.
    with connect(source) as wb, results_cache.run_scoped(wb) as shared:
        env = {**env, **shared, REPORT_KERNEL_ENV: "1"}  # see ihub_analysis.lean
        prov = _provenance(wb, shown_source, as_of, settings)
        out.mkdir(parents=True, exist_ok=True)
        work = [
            Job(
                catalog.REPORTS[n],
                nb_dir / catalog.REPORTS[n].notebook,
                out,
                source,
                shown_source,
                env,
                prov,
            )
            for n in names
        ]
        workers = max(1, min(jobs or os.cpu_count() or 1, len(work)))
        outcomes, data, seconds = _run_all(
            work, workers, sys.stderr, lambda: _board_data(wb, prov, overrides)
        )
    return _conclude(outcomes, data, seconds, prov, out, sys.stderr, started)
