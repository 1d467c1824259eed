"""Run report notebooks in a kernel that can reach the source but never sees its password
as a parameter.

Papermill writes every parameter into the executed notebook (a new cell and the
notebook's metadata), and the executed notebook is kept for audit.  So the
kernel receives the source *without* its password and the password through
``PGPASSWORD`` in its environment, which libpq reads and nothing writes out.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_runtime_dir
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from traitlets.config import Config

from ihub_analysis.sources import parse_source

#: The papermill engine name under which :class:`KernelEnvEngine` is registered.
ENGINE_NAME = "ihub-kernel-env"


def kernel_source(source: str) -> tuple[str, dict[str, str]]:
    """The source to hand a notebook (password removed) and the kernel's environment.

    Both come from the source's one parse: the notebook gets ``SourceSpec.display``
    (which re-parses to the same host, user and database) and the kernel gets the
    password — from the URL's userinfo or ``?password=`` — as ``PGPASSWORD``.
    A DuckDB path is made absolute so the kernel's working directory does not matter.
    """
    spec = parse_source(source)
    env = dict(os.environ)
    if spec.kind == "duckdb":
        return str(Path(spec.location).resolve()), env
    secrets = spec.secrets()
    if secrets:
        env["PGPASSWORD"] = secrets[-1]  # libpq: ?password= overrides the userinfo
    env["IHUB_PRIVILEGE_NOTICE"] = "off"  # given once, by the process that renders
    return spec.display, env


#: A Unix socket path holds at most 107 bytes; the kernel appends ``-<n>`` to the prefix.
_IPC_PREFIX_LIMIT = 96


@contextlib.contextmanager
def kernel_transport() -> Iterator[dict[str, str]]:
    """Kernel-manager settings for one kernel: IPC sockets in a private folder if possible.

    IPC rather than TCP: nothing listens on a port, and the kernel prints no
    plain-text-transport warning.  The folder is fresh per kernel (the default
    socket names are relative to the working directory and would collide between
    kernels started in parallel) and sits in Jupyter's runtime folder, whose path
    is short; where it is still too long for a socket, TCP it is.  The kernel's
    connection file goes into the same folder, whose name carries this process's
    id so that the next run removes it should this one be killed.
    """
    runtime = Path(jupyter_runtime_dir())
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"ihub-{os.getpid()}-", dir=runtime) as folder:
        connection = {"connection_file": str(Path(folder) / "kernel.json")}
        prefix = str(Path(folder) / "kernel")
        if len(prefix.encode()) > _IPC_PREFIX_LIMIT:
            yield {"transport": "tcp", **connection}
        else:
            yield {"transport": "ipc", "ip": prefix, **connection}


#: The kernel managers of the kernels running now (in any worker thread).
_RUNNING: set[Any] = set()
_RUNNING_LOCK = threading.Lock()
#: Set by :func:`kill_running_kernels`: a kernel that comes up afterwards is killed at once.
_STOPPING = threading.Event()


def _kill(manager: Any) -> None:
    process = getattr(getattr(manager, "provisioner", None), "process", None)
    if process is not None and process.poll() is None:
        with contextlib.suppress(OSError):
            process.kill()


def kill_running_kernels() -> None:
    """Kill every kernel this process runs, and any still starting, until :func:`allow_kernels`.

    An interrupted run must not wait minutes for its notebooks to finish.
    """
    _STOPPING.set()
    with _RUNNING_LOCK:
        managers = list(_RUNNING)
    for manager in managers:
        _kill(manager)


def allow_kernels() -> None:
    """Let kernels run again (a new run in the same process)."""
    _STOPPING.clear()


class KernelEnvEngine(NBClientEngine):
    """Papermill's nbclient engine, starting the kernel with an explicit environment.

    The stock engine cannot pass ``env`` to the kernel manager; setting
    ``os.environ`` instead would leak between reports rendered in parallel threads.
    """

    @classmethod
    def execute_managed_notebook(  # type: ignore[override]
        cls,
        nb_man: Any,
        kernel_name: str,
        *,
        kernel_env: dict[str, str],
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        **_: Any,
    ) -> Any:
        with kernel_transport() as transport:
            client = PapermillNotebookClient(
                nb_man,
                kernel_name=kernel_name,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                log=logger,
                log_output=False,
                # Every output is in hand when execution ends; a graceful shutdown
                # escalates to SIGINT on a slow kernel, which then logs a scary
                # "KeyboardInterrupt caught in kernel" on the user's terminal.
                shutdown_kernel="immediate",
                config=Config({"KernelManager": transport}),
            )
            client.on_notebook_start = lambda **_: _track(client.km)
            try:
                return client.execute(env=kernel_env)
            finally:
                with _RUNNING_LOCK:
                    _RUNNING.discard(client.km)


def _track(manager: Any) -> None:
    with _RUNNING_LOCK:
        _RUNNING.add(manager)
    if _STOPPING.is_set():
        _kill(manager)


papermill_engines.register(ENGINE_NAME, KernelEnvEngine)
