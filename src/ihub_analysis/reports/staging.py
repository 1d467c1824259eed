"""Replace a folder of reports as one set: the new set or the old one, never a mix.

A run builds its whole output — every report's HTML and notebook, ``failed/``
and the board — in a staging folder beside the output folder, starting from
hard links to the files it keeps (a hard-linked file is never written in
place: it is unlinked first).  Only when every file is written and flushed are
the two folders exchanged in one ``renameat2(RENAME_EXCHANGE)`` call, so a
reader sees the old set or the new set.  Where the kernel or filesystem cannot
exchange, the old folder is renamed aside and the new one into place (a reader
may then briefly find no folder, but never a mixed one); a run killed between
those two renames is repaired by the next run.

A run killed at any point leaves no staging folder (a guardian process removes
it) and, should even that fail, the next run removes folders of dead processes:
staging folders, the scratch folders Papermill writes to, and kernels'
connection folders.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from jupyter_core.paths import jupyter_runtime_dir

from ihub_analysis.atomic import removed_unless_finished
from ihub_analysis.errors import BadInput

#: Scratch folders of a run (``<tmp>/ihub-report-<pid>-…``).
SCRATCH_PREFIX = "ihub-report-"
#: Kernel connection folders (``<jupyter runtime>/ihub-<pid>-…``), see ``kernel.py``.
KERNEL_PREFIX = "ihub-"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_PID = re.compile(r"(\d+)-")


def _staging_name(out: Path, pid: int) -> str:
    return f".{out.name}.ihub-staging-{pid}-"


def _previous_name(out: Path, pid: int) -> str:
    return f".{out.name}.ihub-previous-{pid}-"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a process of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(name: str, prefix: str) -> int | None:
    """The process id a leftover's name carries after ``prefix``, if any."""
    if not name.startswith(prefix):
        return None
    match = _PID.match(name[len(prefix) :])
    return int(match.group(1)) if match else None


def dead_leftovers(folder: Path, prefix: str) -> list[Path]:
    """Entries of ``folder`` named ``<prefix><pid>-…`` whose process has ended."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    found = []
    for entry in entries:
        pid = _owner(entry.name, prefix)
        if pid is not None and pid != os.getpid() and not pid_alive(pid):
            found.append(entry)
    return found


def remove_tree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def clean_stale(out: Path) -> list[Path]:
    """Remove what killed runs left behind; put back an output folder a killed swap moved aside.

    Returns what was removed (for tests and logs).
    """
    removed: list[Path] = []
    parent = out.parent
    previous = dead_leftovers(parent, f".{out.name}.ihub-previous-")
    if previous and not out.exists():
        newest = max(previous, key=lambda p: p.stat().st_mtime)
        newest.rename(out)  # the old set, exactly as it was
        previous.remove(newest)
    for leftover in (
        *dead_leftovers(parent, f".{out.name}.ihub-staging-"),
        *previous,
        *dead_leftovers(Path(tempfile.gettempdir()), SCRATCH_PREFIX),
        *dead_leftovers(Path(jupyter_runtime_dir()), KERNEL_PREFIX),
    ):
        remove_tree(leftover)
        removed.append(leftover)
    return removed


def check_replaceable(out: Path) -> None:
    """Refuse an output folder that cannot be swapped as a whole (bad input, exit 2)."""
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out} exists and is not a directory")
    if out.is_symlink():
        raise BadInput(f"--out {out} is a symbolic link: give the folder it points to")
    if out.exists() and os.path.ismount(out):
        raise BadInput(f"--out {out} is a mount point: give a folder inside it")


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False where the system cannot (then nothing changed)."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_in(staging: Path, out: Path) -> None:
    """Make ``staging`` the output folder; the previous set ends up at ``staging``."""
    if not out.exists():
        try:
            staging.rename(out)
            staging.mkdir()  # nothing to discard; keep the caller's cleanup uniform
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    if _exchange(staging, out):
        return
    aside = _unique(out.parent, _previous_name(out, os.getpid()))
    out.rename(aside)
    staging.rename(out)
    aside.rename(staging)


def _unique(folder: Path, prefix: str) -> Path:
    """A name in ``folder`` that nothing has (the process id in ``prefix`` keeps it ours)."""
    return folder / f"{prefix}{secrets.token_hex(6)}"


def put(path: Path, text: str) -> None:
    """Write ``text`` to a staging file, never through a hard link into the old set."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def discard(path: Path, *, prune_folder: bool = False) -> None:
    """Remove a file from the staging folder (the old set keeps its own link); with
    ``prune_folder``, its folder too once empty."""
    path.unlink(missing_ok=True)
    if prune_folder:
        with contextlib.suppress(OSError):  # not empty, or not there
            path.parent.rmdir()


@contextlib.contextmanager
def replaced_as_a_set(out: Path) -> Iterator[Path]:
    """Yield a staging folder holding the current contents of ``out``; on success it replaces
    ``out`` in one step.

    On any failure, Ctrl-C, SIGTERM or ``kill -9`` the staging folder is removed
    and ``out`` is exactly as it was.
    """
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = _unique(out.parent, _staging_name(out, os.getpid()))
    with removed_unless_finished([staging]):
        if out.is_dir():  # the same files, permissions and times as now
            shutil.copytree(out, staging, symlinks=True, copy_function=_link_or_copy)
        else:
            staging.mkdir()  # as a new folder would be (the umask applies)
        yield staging
        for folder, _, _ in os.walk(staging):
            _fsync_dir(Path(folder))
        _swap_in(staging, out)
        _fsync_dir(out.parent)
        shutil.rmtree(staging, ignore_errors=True)
