"""``ihub report``: execute the report notebooks in parallel, export them, write the board.

A run replaces the output folder as one set (:mod:`ihub_analysis.reports.staging`):
every report's HTML and notebook and the board are written to a staging folder
and swapped in together, so a reader — or a run killed half-way, or a full
disk — never leaves HTML that disagrees with its notebook.  Within the new set
a report whose notebook failed keeps its previous HTML and notebook, with the
failed notebook in ``failed/<name>.ipynb``; reports not rendered in this run
are carried over untouched.  Bad input (an unknown report, a source that cannot
be opened) is found before any file is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import os
import queue
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from ihub_analysis import __version__
from ihub_analysis.atomic import removed_unless_finished
from ihub_analysis.errors import BadInput, IhubError
from ihub_analysis.lean import REPORT_KERNEL_ENV
from ihub_analysis.metrics import cache as results_cache
from ihub_analysis.paths import DEFAULT_REPORTS_DIR
from ihub_analysis.redact import scrub
from ihub_analysis.reports import archive, board, catalog, execute, export, manifest, staging
from ihub_analysis.reports.kernel import (
    WarmKernel,
    allow_kernels,
    kernel_source,
    kill_running_kernels,
)
from ihub_analysis.reports.provenance import Provenance, footer_context
from ihub_analysis.reports.runlog import RunLog
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
    scratch: Path  # the run's private scratch folder
    parameters: dict[str, Any] = field(default_factory=dict)  # e.g. a dossier's hub
    baseline: dt.datetime | None = None  # "since the last review", resolved once per run


@dataclass(frozen=True)
class Outcome:
    """What became of one report: the files to write, or why there are none."""

    name: str
    seconds: float
    error: str = ""  # empty when rendered
    title: str = ""
    page: str = ""  # the report's HTML, when rendered
    notebook: str = ""  # the executed notebook, when rendered
    failed_notebook: str = ""  # the notebook executed up to the failure, if it ran
    failed_cell: str = ""  # 'cell N ("first line"): Error: message' when a cell raised


class Progress:
    """One record per report as it finishes; start records too on a terminal."""

    def __init__(self, log: RunLog, total: int) -> None:
        self.log = log
        self.total = total
        self.done = 0
        self.lock = threading.Lock()

    def started(self, name: str) -> None:
        if self.log.verbose:
            self.log.record("report", f"report {name}: started", report=name, status="started")

    def finished(self, outcome: Outcome) -> None:
        with self.lock:
            self.done += 1
            count = f"[{self.done}/{self.total}]"
        seconds = round(outcome.seconds, 1)
        if outcome.error:
            failed = f"FAILED after {outcome.seconds:.1f} s"
            self.log.record(
                "report",
                f"{count} report {outcome.name}: {failed}: {outcome.error}",
                level="error",
                report=outcome.name,
                status="failed",
                seconds=seconds,
                error=outcome.error,
            )
        else:
            size = len(outcome.page.encode()) / 1e6
            self.log.record(
                "report",
                f"{count} report {outcome.name}: done in {outcome.seconds:.1f} s ({size:.1f} MB)",
                report=outcome.name,
                status="rendered",
                seconds=seconds,
            )


def _parameters(job: Job, declared: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The values passed to the notebook, and every parameter as the footer shows it."""
    passed = {
        "source": job.kernel_source,
        "as_of": iso_utc(job.provenance.as_of),
        "settings": job.provenance.settings.differences(),
        "report_mode": True,
        **job.parameters,
    }
    if job.baseline is not None and "compare_to" in declared:
        passed["compare_to"] = iso_utc(job.baseline)
    shown = {**declared, **{k: repr(v) for k, v in passed.items()}}
    return passed, shown


def _scrubbed(nb: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """The notebook with any trace of a password removed (defence in depth)."""
    return nbformat.reads(scrub(nbformat.writes(nb), source), as_version=4)


def _subtitle(p: Provenance) -> str:
    snapshot = f" · snapshot taken {iso_utc(p.taken_at)}" if p.taken_at else ""
    return f"As of {iso_utc(p.as_of)} · {p.source}{snapshot}"


class KernelSlot:
    """A worker thread's warm kernel: started on first use, reset between notebooks,
    replaced when it died, failed to reset, or ran a notebook that failed."""

    def __init__(self) -> None:
        self.kernel: WarmKernel | None = None

    def ready(self, env: dict[str, str]) -> WarmKernel:
        """The kernel, in its just-warmed state, for a notebook run with ``env``."""
        if self.kernel is not None and self.kernel.fits(env):
            try:
                self.kernel.prepare()
                return self.kernel
            except Exception:  # a kernel that cannot reset is not trusted with the next one
                pass
        self.discard()
        self.kernel = WarmKernel(execute.KERNEL_NAME, env)
        self.kernel.prepare()
        return self.kernel

    def discard(self) -> None:
        """Shut the kernel down (if any); the next notebook gets a new one."""
        kernel, self.kernel = self.kernel, None
        if kernel is not None:
            with contextlib.suppress(Exception):  # a dead kernel's cleanup may complain
                kernel.shutdown()


def render_one(job: Job, progress: Progress, slot: KernelSlot | None = None) -> Outcome:
    """Render one report, telling ``progress`` when it starts and ends.

    In ``slot``'s warm kernel if given, else in a kernel of its own.  A report
    that failed takes its kernel with it, so whatever state it left cannot reach
    the next notebook.
    """
    progress.started(job.spec.name)
    outcome = dataclasses.replace(_render(job, slot), title=job.spec.title)
    if outcome.error and slot is not None:
        slot.discard()
    progress.finished(outcome)
    return outcome


def _worker(
    pending: queue.SimpleQueue[tuple[int, Job]],
    progress: Progress,
    results: dict[int, Outcome],
    halt: threading.Event,
) -> None:
    """One of ``--jobs`` workers: render reports one after the other in one warm kernel."""
    slot = KernelSlot()
    try:
        while not halt.is_set():
            try:
                index, job = pending.get_nowait()
            except queue.Empty:
                return
            results[index] = render_one(job, progress, slot)
    finally:
        slot.discard()
        _close_thread_event_loop()


def _close_thread_event_loop() -> None:
    """Close the event loop nbclient created for this thread: it never closes it itself."""
    policy = asyncio.get_event_loop_policy()
    try:
        loop = policy.get_event_loop()
    except RuntimeError:  # this thread never had one
        return
    loop.close()
    policy.set_event_loop(None)


def _render(job: Job, slot: KernelSlot | None = None) -> Outcome:
    """Execute and export one report; a failure is returned, never raised.

    Nothing is written to the output folder here: the run writes every file of
    the set together once all reports are done.
    """
    name = job.spec.name
    start = time.monotonic()
    failed_nb = job.out_dir / FAILED_DIR / f"{name}.ipynb"
    try:
        if not job.notebook.is_file():
            raise execute.NotebookError(f"notebook {job.notebook} not found", None)
        declared = execute.declared_parameters(job.notebook)
        execute.check_contract(job.notebook, declared)
        passed, shown = _parameters(job, declared)
        kernel = slot.ready(job.kernel_env) if slot is not None else None
        with tempfile.TemporaryDirectory(prefix=f"{name}-", dir=job.scratch) as scratch:
            executed = execute.execute(
                job.notebook, passed, job.kernel_env, Path(scratch), kernel=kernel
            )
        executed = _scrubbed(executed, job.source)
        footer = export.render_footer(footer_context(job.provenance, name, shown))
        page = export.notebook_html(
            executed,
            name=name,
            title=job.spec.title,
            subtitle=_subtitle(job.provenance),
            footer=footer,
        )
        return Outcome(
            name, time.monotonic() - start, page=page, notebook=nbformat.writes(executed)
        )
    except execute.NotebookError as exc:
        message = f"failed in {exc}" if exc.notebook is not None else str(exc)
        kept = ""
        if exc.notebook is not None:
            kept = nbformat.writes(_scrubbed(exc.notebook, job.source))
            message += f"; executed notebook kept at {failed_nb}"
        previous = job.out_dir / f"{name}.html"
        if previous.exists():
            message += f"; previous {previous} left as it was"
        return Outcome(
            name,
            time.monotonic() - start,
            error=scrub(message, job.source),
            failed_notebook=kept,
            failed_cell=scrub(str(exc), job.source) if exc.notebook is not None else "",
        )
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
    staging.check_replaceable(out)
    return out.absolute()


def _board_data(
    wb: Workbench, prov: Provenance, overrides: dict[str, Any], baseline: Any = None
) -> board.BoardData | str:
    """The board's panels, or the one-line reason they could not be computed."""
    try:
        return board.compute_board(wb, prov.as_of, overrides, baseline=baseline)
    except Exception as exc:  # the reports must still be written and reported
        if _STOP.is_set():
            raise KeyboardInterrupt from None
        text = scrub(f"{type(exc).__name__}: {exc}", prov.source).strip().splitlines()
        return text[0] if text else type(exc).__name__


def _write_board(
    data: board.BoardData, prov: Provenance, folder: Path, outcomes: dict[str, str]
) -> Path:
    """Write the board into the staging ``folder`` (its links are checked against that set)."""
    footer = export.render_footer(footer_context(prov, None, {}))
    links = board.report_links(folder, outcomes)
    target = folder / INDEX
    page = board.board_html(data, links, prov, footer, dossiers=board.dossier_links(folder))
    staging.put(target, page)
    return target


def _stage_reports(folder: Path, outcomes: list[Outcome]) -> None:
    """Write every report's files into the staging ``folder``: notebooks first, then pages.

    A failed report keeps the previous set's HTML and notebook (a consistent pair)
    and gets ``failed/<name>.ipynb``, or loses an older failure's notebook.
    """
    for o in outcomes:
        if o.notebook:
            staging.put(folder / f"{o.name}.ipynb", o.notebook)
        failed = folder / FAILED_DIR / f"{o.name}.ipynb"
        if o.failed_notebook:
            staging.put(failed, o.failed_notebook)
        else:
            staging.discard(failed, prune_folder=True)
    for o in outcomes:
        if o.page:
            staging.put(folder / f"{o.name}.html", o.page)


def _run_all(
    jobs: list[Job], workers: int, log: RunLog, board_data: Callable[[], board.BoardData | str]
) -> tuple[list[Outcome], board.BoardData | str, float]:
    """Render the reports in ``workers`` threads while this thread computes the board's panels.

    Each worker takes the next report as it finishes one, in its own warm kernel.
    """
    progress = Progress(log, len(jobs))
    pending: queue.SimpleQueue[tuple[int, Job]] = queue.SimpleQueue()
    for item in enumerate(jobs):
        pending.put(item)
    results: dict[int, Outcome] = {}
    halt = threading.Event()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ihub-report")
    try:
        futures = [pool.submit(_worker, pending, progress, results, halt) for _ in range(workers)]
        start = time.monotonic()
        data = board_data()  # meanwhile the kernels do the work
        seconds = time.monotonic() - start
        if _STOP.is_set():
            raise KeyboardInterrupt
        for f in futures:
            f.result()
    except BaseException:  # Ctrl-C or SIGTERM: start no further report, stop running ones
        halt.set()
        pool.shutdown(wait=False, cancel_futures=True)
        kill_running_kernels()
        raise
    pool.shutdown()
    return [results[i] for i in range(len(jobs))], data, seconds


@dataclass(frozen=True)
class RunInfo:
    """What the manifest says about the run as a whole."""

    prov: Provenance
    baseline: dt.datetime | None
    started_at: dt.datetime


def _exit_status(outcomes: list[Outcome], data: board.BoardData | str) -> int:
    return 1 if isinstance(data, str) or any(o.error for o in outcomes) else 0


def _write_set(
    outcomes: list[Outcome], data: board.BoardData | str, run: RunInfo, out: Path
) -> None:
    """Replace ``out`` with the new set (reports, board, manifest) in one step, or leave it
    exactly as it was."""
    prov = run.prov
    try:
        with staging.replaced_as_a_set(out) as folder:
            _stage_reports(folder, outcomes)
            if not isinstance(data, str):
                _write_board(data, prov, folder, {o.name: o.error for o in outcomes})
            results = [
                manifest.ReportResult(o.name, o.error, o.failed_cell, title=o.title)
                for o in outcomes
            ]
            record = manifest.build(
                folder,
                prov=prov,
                results=results,
                board_error=data if isinstance(data, str) else "",
                compare_to=run.baseline,
                started_at=run.started_at,
                exit_status=_exit_status(outcomes, data),
            )
            staging.put(folder / manifest.MANIFEST, manifest.dumps(record))
    except OSError as exc:
        reason = scrub(f"{exc.strerror or type(exc).__name__}", prov.source)
        raise IhubError(
            f"could not write the reports ({reason}); {out} left exactly as it was"
        ) from None


def _conclude(
    outcomes: list[Outcome],
    data: board.BoardData | str,
    board_seconds: float,
    out: Path,
    log: RunLog,
    started: float,
) -> int:
    """Say what failed and where the board is; return the exit status."""
    failures = [o.name for o in outcomes if o.error]
    index = out / INDEX
    if isinstance(data, str):
        log.record(
            "board",
            f"board: FAILED: {data}; {index} left as it was",
            level="error",
            status="failed",
            error=data,
        )
        failures.append("board")
    else:
        log.record(
            "board",
            f"board: done in {board_seconds:.1f} s -> {index}",
            status="rendered",
            seconds=round(board_seconds, 1),
            path=str(index),
        )
    if failures:
        log.record(
            "failed",
            f"ihub: error: {', '.join(failures)} failed (see above)",
            level="error",
            failed=failures,
        )
    rendered = sum(1 for o in outcomes if not o.error)
    elapsed = time.monotonic() - started
    status = _exit_status(outcomes, data)
    summary = (
        f"{rendered} of {len(outcomes)} reports rendered in {elapsed:.1f} s; review board: {index}"
    )
    if log.fmt == "json":
        log.record(
            "finished",
            summary,
            level="error" if status else "info",
            rendered=rendered,
            reports=len(outcomes),
            seconds=round(elapsed, 1),
            board=str(index),
            exit_status=status,
        )
    elif not log.quiet:
        print(summary)
    return status


#: Set once Ctrl-C or SIGTERM arrived: a query that swallowed the interrupt cannot hide it.
_STOP = threading.Event()


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Treat SIGTERM (a scheduler stopping the job) like Ctrl-C, so cleanup runs, and
    remember either: DuckDB turns an interrupt during a query into its own exception."""
    _STOP.clear()
    allow_kernels()
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        _STOP.set()
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    """The run's private scratch folder, removed even if the run is killed."""
    folder = Path(tempfile.mkdtemp(prefix=f"{staging.SCRATCH_PREFIX}{os.getpid()}-"))
    with removed_unless_finished([folder]):
        try:
            yield folder
        finally:
            staging.remove_tree(folder)


def _destination(
    prov: Provenance, out_dir: Path | None, archive_dir: Path | None
) -> tuple[Path, dt.datetime | None]:
    """The folder this run replaces, and the archive's previous run's as_of (if any)."""
    if archive_dir is None:
        return _out_dir(out_dir), None
    out = archive.run_folder(archive_dir, prov.as_of)
    staging.check_replaceable(out)
    return out, archive.previous_as_of(archive_dir, prov.as_of)


def _dossier_hubs(wb: Workbench, as_of: Any, wanted: list[str] | None) -> list[str]:
    """The hubs to render a dossier for; a wanted hub that does not exist at T is bad input."""
    from ihub_analysis.metrics.evidence import hub_slugs

    existing = hub_slugs(wb, as_of)
    if not wanted:
        return existing
    unknown = [h for h in dict.fromkeys(wanted) if h not in existing]
    if unknown:
        raise BadInput(
            f"no hub {', '.join(repr(h) for h in unknown)} exists as of {iso_utc(as_of)} "
            f"(hubs: {', '.join(existing) or 'none'})"
        )
    return list(dict.fromkeys(wanted))


def render_reports(
    names: list[str],
    *,
    source: str,
    as_of: Any = None,
    out_dir: Path | None = None,
    overrides: dict[str, Any] | None = None,
    jobs: int | None = None,
    notebooks_dir: Path | None = None,
    archive_dir: Path | None = None,
    compare_to: str | dt.datetime | None = None,
    hubs: list[str] | None = None,
    log: RunLog | None = None,
) -> int:
    """Render ``names`` and the review board into ``out_dir``; return the exit status.

    ``as_of`` is resolved once, so every report and the board share one T even
    on a live database, and so is the comparison baseline (``compare_to``; default:
    with ``archive_dir`` the previous run there, else ``compare_days`` before T).
    ``notebooks_dir`` (or ``$IHUB_NOTEBOOKS_DIR``) replaces the project's notebooks.
    The name ``hub`` (implied by ``hubs``, included when ``names`` is empty) renders a
    dossier per hub, or only for ``hubs``.  With ``archive_dir`` the run goes to
    ``archive_dir/<as_of>/`` instead of ``out_dir``.
    """
    given = list(names)
    dossiers = not given or catalog.DOSSIER_NAME in given or bool(hubs)
    names = [n for n in given if n != catalog.DOSSIER_NAME]
    if names or (not given and not hubs):
        names = catalog.check_names(names)  # none given: every report
    log = log or RunLog()
    if archive_dir is not None:
        archive_dir = archive.check_archive(archive_dir)
    else:
        _out_dir(out_dir)  # bad input before any work
    overrides = dict(overrides or {})
    settings = Settings().replace(**overrides)
    nb_dir = catalog.notebooks_dir(notebooks_dir)
    shown_source, env = kernel_source(source)
    started, started_at = time.monotonic(), dt.datetime.now(dt.UTC)
    # A bad source fails here, before anything is written; the kernels and the board
    # share one results cache, so each metric runs once per run.
    with connect(source) as wb, results_cache.run_scoped(wb) as shared:
        env = {**env, **shared, REPORT_KERNEL_ENV: "1"}  # see ihub_analysis.lean
        prov = _provenance(wb, shown_source, as_of, settings)
        out, previous = _destination(prov, out_dir, archive_dir)
        wanted = compare_to if compare_to is not None else previous
        baseline = wb.resolve_baseline(prov.as_of, wanted, **overrides)[1]
        specs = [(catalog.REPORTS[n], {}) for n in names]
        if dossiers:
            specs += [
                (catalog.dossier_spec(slug), {"hub": slug})
                for slug in _dossier_hubs(wb, prov.as_of, hubs)
            ]
        staging.clean_stale(out)
        with _interruptible(), _scratch() as scratch:
            work = [
                Job(
                    spec,
                    nb_dir / spec.notebook,
                    out,
                    source,
                    shown_source,
                    env,
                    prov,
                    scratch,
                    parameters=params,
                    baseline=baseline,
                )
                for spec, params in specs
            ]
            workers = max(1, min(jobs or os.cpu_count() or 1, len(work)))
            outcomes, data, seconds = _run_all(
                work, workers, log, lambda: _board_data(wb, prov, overrides, baseline)
            )
            _write_set(outcomes, data, RunInfo(prov, baseline, started_at), out)
            if archive_dir is not None:
                archive.update(archive_dir)
    return _conclude(outcomes, data, seconds, out, log, started)
