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
    is short; where it is still too long for a socket, TCP it is.
    """
    runtime = Path(jupyter_runtime_dir())
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ihub-", dir=runtime) as folder:
        prefix = str(Path(folder) / "kernel")
        if len(prefix.encode()) > _IPC_PREFIX_LIMIT:
            yield {"transport": "tcp"}
        else:
            yield {"transport": "ipc", "ip": prefix}


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
            return client.execute(env=kernel_env)


papermill_engines.register(ENGINE_NAME, KernelEnvEngine)
