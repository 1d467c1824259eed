"""Write output files atomically: all of the new file, or the old one untouched.

Files are built under a hidden temporary name beside the target and renamed
over it only when complete (``os.replace`` is atomic on one filesystem).  A
small guardian process watches the writer: if the writer dies before
committing — an exception, Ctrl-C, even ``kill -9`` — the guardian deletes the
temporary file, so an interrupted run leaves no partial file behind.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

# The guardian: wait for the writer to say "commit" or to vanish (EOF on stdin);
# unless it committed, remove the temporary file and its DuckDB WAL.
_GUARDIAN = r"""
import os, sys
data = sys.stdin.buffer.read()
if not data.startswith(b"commit"):
    for path in sys.argv[1:]:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
"""


def temporary_sibling(target: Path) -> Path:
    """The hidden name a file is built under before it replaces ``target``."""
    return target.with_name(f".{target.name}.partial-{os.getpid()}")


def _companions(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + ".wal")]


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target``.

    On any failure (or if the process is killed) the temporary file is removed
    and ``target`` keeps its previous content.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(target)
    for p in _companions(tmp):
        p.unlink(missing_ok=True)
    guardian = subprocess.Popen(
        [sys.executable, "-c", _GUARDIAN, *map(str, _companions(tmp))],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # survive a Ctrl-C sent to the writer's process group
    )
    assert guardian.stdin is not None
    committed = False
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"nothing was written to {tmp}")
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
        os.replace(tmp, target)
        committed = True
    finally:
        if not committed:
            for p in _companions(tmp):
                p.unlink(missing_ok=True)
        with contextlib.suppress(BrokenPipeError):
            guardian.stdin.write(b"commit" if committed else b"abort")
            guardian.stdin.close()
        guardian.wait()


def write_text_atomic(target: Path, text: str) -> None:
    """Replace ``target`` with ``text`` in one step."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
