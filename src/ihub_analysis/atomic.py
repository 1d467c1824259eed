"""Write output files atomically: all of the new file, or the old one untouched.

Files are built under a hidden temporary name beside the target and renamed
over it only when complete and flushed to disk (a rename is atomic on one
filesystem; the ``fsync`` calls make that hold across a power cut too).  A small
guardian process watches the writer: if the writer dies before committing — an
exception, Ctrl-C, even ``kill -9`` — the guardian deletes the temporary file
and DuckDB's companions of it (``.wal``, the ``.tmp`` spill directory), so an
interrupted run leaves no partial file behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

# The guardian: wait until the writer says "commit" or "abort", or vanishes (EOF on
# stdin, or — should a forked child still hold the pipe open — the writer is no
# longer our parent); unless it committed, remove the temporary file and companions.
_GUARDIAN = r"""
import os, select, shutil, sys
writer, paths = int(sys.argv[1]), sys.argv[2:]
data = b""
while os.getppid() == writer:
    if select.select([0], [], [], 0.5)[0]:
        chunk = os.read(0, 64)
        data += chunk
        if not chunk or data in (b"commit", b"abort"):
            break
if data != b"commit":
    for path in paths:
        try:
            os.unlink(path)
        except IsADirectoryError:
            shutil.rmtree(path, ignore_errors=True)
        except FileNotFoundError:
            pass
"""


def temporary_sibling(target: Path) -> Path:
    """The hidden name a file is built under before it replaces ``target``.

    Unique per process and call, so concurrent writers of one target never share it.
    """
    return target.with_name(f".{target.name}.partial-{os.getpid()}-{secrets.token_hex(4)}")


def _companions(path: Path) -> list[Path]:
    """The temporary file plus what DuckDB creates beside a database file."""
    return [path, path.with_name(path.name + ".wal"), path.with_name(path.name + ".tmp")]


def _remove(paths: list[Path]) -> None:
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _start_guardian(paths: list[Path]) -> subprocess.Popen[bytes]:
    """A guardian that removes ``paths`` unless told "commit" before this process ends."""
    return subprocess.Popen(
        [sys.executable, "-c", _GUARDIAN, str(os.getpid()), *map(str, paths)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # survive a Ctrl-C sent to the writer's process group
    )


def _release_guardian(guardian: subprocess.Popen[bytes], committed: bool) -> None:
    assert guardian.stdin is not None
    with contextlib.suppress(BrokenPipeError):
        guardian.stdin.write(b"commit" if committed else b"abort")
        guardian.stdin.close()
    guardian.wait()


@contextlib.contextmanager
def removed_unless_finished(paths: list[Path]) -> Iterator[None]:
    """Remove ``paths`` (files or folders) if the block fails or the process is killed in it.

    For work folders that must not outlive an interrupted run, even a ``kill -9``.
    """
    guardian = _start_guardian([Path(p).absolute() for p in paths])
    finished = False
    try:
        yield
        finished = True
    finally:
        if not finished:
            _remove([Path(p) for p in paths])
        _release_guardian(guardian, finished)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target``.

    On any failure (or if the process is killed) the temporary file is removed
    and ``target`` keeps its previous content.  A DuckDB file must be closed
    before the block ends: a leftover write-ahead log means data that is not in
    the file yet, so the commit is refused rather than the log dropped.  The
    replaced file's own stale ``.wal``, if any, goes with it.
    """
    target = Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(target)
    guardian = _start_guardian(_companions(tmp))
    committed = False
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {tmp}")
        if tmp.with_name(tmp.name + ".wal").exists():
            raise RuntimeError(f"{tmp} still has a write-ahead log: close it before committing")
        _fsync(tmp)
        tmp.replace(target)
        committed = True
        # A log left by a crashed session on the file just replaced belongs to that
        # file; DuckDB refuses to open the new one beside it ("WAL does not match").
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
        _fsync(target.parent)
    finally:
        if not committed:
            _remove(_companions(tmp))
        _release_guardian(guardian, committed)


def write_text_atomic(target: Path, text: str) -> None:
    """Replace ``target`` with ``text`` in one step."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
