"""A results cache shared by the processes of one report run, so each metric runs once.

``ihub report`` renders its notebooks in separate kernels and computes the review
board in its own process; without sharing, the same metric query runs once per
report that needs it and again for the board.  The run creates a private folder,
names it in ``$IHUB_RESULTS_CACHE`` for its kernels and attaches it to its own
workbench; every workbench method then consults it first.

Correctness rests on the key.  It is a SHA-256 over the source's identity, the
method, T, every setting and the complete SQL statement that would run (which
itself embeds T and the settings the model reads), so a result can only be
reused by a call that would have run the very same query on the very same data.
The identity is password-free (the source display, never the URL) and is taken
when the workbench opens the source: for a DuckDB file its path, device, inode,
size, modification time and the snapshot's ``taken_at``/fingerprint/row counts;
for a live database only its display — a live database changes, so its results
are shared within one run (one folder) only, never across runs.

One process computes a given key while the others wait on its lock file and
then read the result; results are Arrow IPC files written to a temporary name
and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ihub_analysis.atomic import temporary_sibling

if TYPE_CHECKING:
    from ihub_analysis.settings import Settings
    from ihub_analysis.sources import Source

#: The folder of the run's results; set by ``ihub report`` for its kernels.
CACHE_ENV = "IHUB_RESULTS_CACHE"
#: One line per computed (not reused) result: ``<key> <method>``; for tests and benchmarks.
COMPUTED_LOG = "computed.log"


def source_identity(source: Source) -> dict[str, Any]:
    """What tells this source's data apart from any other's, without any secret."""
    if source.kind != "duckdb":  # the same text in the run and its kernels: no password in it
        return {"kind": source.kind, "display": source.display}
    # The file itself, however it was named (the kernels get its absolute path).
    path = Path(source.spec.location).resolve()  # type: ignore[attr-defined]
    st = path.stat()
    identity: dict[str, Any] = {
        "kind": source.kind,
        "path": str(path),
        "dev": st.st_dev,
        "ino": st.st_ino,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
    }
    meta = source.snapshot_meta()
    if meta is not None:
        identity.update(
            taken_at=meta.taken_at.isoformat(),
            fingerprint=meta.schema_fingerprint,
            row_counts=meta.row_counts,
        )
    return identity


def result_key(
    identity: dict[str, Any], method: str, as_of: dt.datetime, settings: Settings, statement: str
) -> str:
    """The SHA-256 naming one result (hex); equal only for the same query on the same data."""
    from ihub_analysis import __version__

    described = {
        "version": __version__,
        "source": identity,
        "method": method,
        "as_of": as_of.isoformat(),
        "settings": settings.as_dict(),
        "statement": statement,
    }
    text = json.dumps(described, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (released by the OS if this process dies)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read(path: Path) -> pl.DataFrame | None:
    try:
        data = path.read_bytes()  # in memory: the folder goes at the end of the run
    except FileNotFoundError:
        return None
    return pl.read_ipc(data)


def _write(path: Path, frame: pl.DataFrame) -> None:
    """Write ``frame`` beside ``path`` and rename it into place (atomic).

    No fsync and no guardian process, unlike :mod:`ihub_analysis.atomic`: the
    folder lives only as long as the run, and a reader needs only the rename.
    """
    tmp = temporary_sibling(path)
    try:
        frame.write_ipc(tmp)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class ResultsCache:
    """The results of one run's folder, for one opened source."""

    def __init__(self, folder: Path, identity: dict[str, Any]) -> None:
        self.folder = Path(folder)
        self.identity = identity

    def fetch(
        self,
        method: str,
        as_of: dt.datetime,
        settings: Settings,
        statement: str,
        compute: Callable[[], pl.DataFrame],
    ) -> pl.DataFrame:
        """The stored result of this exact query, else ``compute()`` stored for the others."""
        key = result_key(self.identity, method, as_of, settings, statement)
        target = self.folder / f"{key}.arrow"
        found = _read(target)
        if found is not None:
            return found
        with _locked(self.folder / f"{key}.lock"):
            found = _read(target)  # another process computed it while we waited
            if found is not None:
                return found
            frame = compute()
            _write(target, frame)
            with (self.folder / COMPUTED_LOG).open("a", encoding="utf-8") as log:
                log.write(f"{key} {method}\n")  # one short append: atomic between processes
        return frame


def from_env(source: Source) -> ResultsCache | None:
    """The run's cache named by ``$IHUB_RESULTS_CACHE`` for ``source``, or None (no caching)."""
    folder = os.environ.get(CACHE_ENV)
    if not folder or not Path(folder).is_dir():
        return None
    return ResultsCache(Path(folder), source_identity(source))


def computed(folder: Path) -> list[str]:
    """The methods computed (not reused) in ``folder``'s run, in the order they finished."""
    try:
        lines = (Path(folder) / COMPUTED_LOG).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [line.split(" ", 1)[1] for line in lines if " " in line]


@contextlib.contextmanager
def _run_folder() -> Iterator[str]:
    """A private folder (mode 0700) removed with everything in it when the run ends."""
    with tempfile.TemporaryDirectory(prefix="ihub-results-") as folder:
        yield folder


@contextlib.contextmanager
def run_scoped(workbench: Any) -> Iterator[dict[str, str]]:
    """A fresh cache for one run: attached to ``workbench``, yielded as the kernels' env.

    The folder goes when the run ends, so a live database's results never
    outlive the run that computed them.
    """
    with _run_folder() as folder:
        previous = workbench.results
        workbench.results = ResultsCache(Path(folder), source_identity(workbench.source))
        try:
            yield {CACHE_ENV: folder}
        finally:
            workbench.results = previous
