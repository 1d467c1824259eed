"""Write output files atomically: all of the new file, or the old one untouched.

Files are built under a hidden temporary name beside the target and renamed
over it only when complete and flushed to disk (a rename is atomic on one
filesystem; the ``fsync`` calls make that hold across a power cut too).  A small
guardian process watches the writer: if the writer dies before committing — an
exception, Ctrl-C, even ``kill -9`` — the guardian deletes the temporary file
and DuckDB's companions of it (``.wal``, the ``.tmp`` spill directory), so an
interrupted run leaves no partial file behind.

Only a regular file is ever replaced.  A symbolic link is followed and its target
replaced (the link stays); a FIFO or character device (``-o /dev/stdout``) is
written in place where the output is a stream, and refused where the output
must be atomic; a missing folder, a directory, a socket or a block device is
bad input (exit 2), checked before any work is done.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ihub_analysis.errors import BadInput

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


@dataclass(frozen=True)
class OutputTarget:
    """Where output really goes: the file to replace, or a stream to write in place."""

    path: Path
    stream: bool


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def check_output(target: Path | str, *, stream_ok: bool) -> OutputTarget:
    """Decide where output for ``target`` goes, or raise :class:`BadInput` (exit 2).

    Called before any work, so a bad output path costs nothing and changes nothing.
    ``stream_ok`` says whether the output may be written in place into a FIFO or
    character device (text output) or must be replaced atomically (databases).
    """
    given = Path(target)
    try:
        st: os.stat_result | None = given.stat()  # follows links, /dev/stdout included
    except FileNotFoundError:
        st = None
    except OSError as exc:  # ENOTDIR (a path inside a file), ELOOP, EACCES …
        raise BadInput(f"cannot write {given}: {exc.strerror}") from None
    if st is not None and (stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode)):
        if stream_ok:
            return OutputTarget(given, stream=True)
        raise BadInput(
            f"cannot write {given}: it is {_kind(st.st_mode)}, and this output "
            "must replace a regular file atomically"
        )
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise BadInput(f"cannot write {given}: it is {_kind(st.st_mode)}, not a regular file")
    real = Path(os.path.realpath(given))  # a link is kept; its target is replaced
    if st is None:
        try:
            parent = real.parent.stat()
        except FileNotFoundError:
            raise BadInput(f"cannot write {given}: No such file or directory") from None
        except OSError as exc:
            raise BadInput(f"cannot write {given}: {exc.strerror}") from None
        if not stat.S_ISDIR(parent.st_mode):
            raise BadInput(f"cannot write {given}: Not a directory")
    if not os.access(real.parent, os.W_OK | os.X_OK):
        raise BadInput(f"cannot write {given}: Permission denied (folder {real.parent})")
    return OutputTarget(real, stream=False)


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
    target = check_output(target, stream_ok=False).path
    tmp = temporary_sibling(target)
    guardian = _start_guardian(_companions(tmp))
    committed = False
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {tmp}")
        if tmp.with_name(tmp.name + ".wal").exists():
            raise RuntimeError(f"{tmp} still has a write-ahead log: close it before committing")
        _keep_mode(target, tmp)
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


def _keep_mode(target: Path, tmp: Path) -> None:
    """A replaced file keeps its permission bits, as if it had been rewritten."""
    with contextlib.suppress(FileNotFoundError):
        tmp.chmod(stat.S_IMODE(target.stat().st_mode))


def write_text_atomic(target: Path, text: str) -> None:
    """Replace ``target`` with ``text`` in one step."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_text_output(target: Path | OutputTarget, text: str) -> None:
    """Write command output: a regular file atomically, a FIFO or device in place."""
    out = target if isinstance(target, OutputTarget) else check_output(target, stream_ok=True)
    if out.stream:
        with out.path.open("w", encoding="utf-8") as stream:
            stream.write(text)
    else:
        write_text_atomic(out.path, text)
