"""Run report notebooks in a kernel that can reach the source but never sees its password
as a parameter, and keep that kernel warm for the next notebook.

Papermill writes every parameter into the executed notebook (a new cell and the
notebook's metadata), and the executed notebook is kept for audit.  So the
kernel receives the source *without* its password and the password through
``PGPASSWORD`` in its environment, which libpq reads and nothing writes out.

Starting a kernel and importing polars, Altair and DuckDB in it costs more than
most reports' own work, so ``ihub report`` gives each worker one
:class:`WarmKernel`: started once with those imports done, it runs the worker's
notebooks one after the other, returned to its just-warmed state before each
(:mod:`ihub_analysis.reports.warm`), and replaced after a notebook that failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
from jupyter_core.paths import jupyter_runtime_dir
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
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


class KernelError(RuntimeError):
    """A warm kernel could not be started, warmed or reset."""


#: Run in a new kernel: the heavy imports, then the state every notebook starts from.
WARM_UP_CODE = "__import__('ihub_analysis.reports.warm', fromlist=['_']).warm_up()"
#: Run before each notebook: back to that state (leaves no name in the user namespace).
RESET_CODE = "__import__('ihub_analysis.reports.warm', fromlist=['_']).reset()"
#: Warming up imports polars, Altair and DuckDB; a loaded machine can take a while.
WARM_UP_TIMEOUT_S = 300
#: How often a wait on the warm-up or reset looks whether the kernel is still alive.
_POLL_S = 0.5


class WarmKernel:
    """One kernel that runs several notebooks in turn, in the thread that started it.

    Its client's sockets belong to that thread's event loop, so it is used and
    shut down from that thread only.  ``env`` is fixed when it starts: a notebook
    needing another environment needs another kernel (:meth:`fits`).
    """

    def __init__(self, kernel_name: str, env: dict[str, str], start_timeout: int = 60) -> None:
        self.env = dict(env)
        self._transport = contextlib.ExitStack()
        settings = self._transport.enter_context(kernel_transport())
        self._client = NotebookClient(
            nbformat.v4.new_notebook(),
            kernel_name=kernel_name,
            startup_timeout=start_timeout,
            shutdown_kernel="immediate",
            config=Config({"KernelManager": settings}),
        )
        self._client.on_notebook_start = lambda **_: _track(self._client.km)
        self.notebooks = 0  # how many notebooks it ran: the first needs no reset
        try:
            self._client.km = self._client.create_kernel_manager()
            self._client.start_new_kernel(env=self.env)
            self._client.start_new_kernel_client()
            self.run(WARM_UP_CODE, WARM_UP_TIMEOUT_S)
        except BaseException:
            self.shutdown()
            raise

    @property
    def km(self) -> Any:
        return self._client.km

    @property
    def kc(self) -> Any:
        return self._client.kc

    def fits(self, env: dict[str, str]) -> bool:
        """Whether the kernel runs with ``env`` and is still alive."""
        return env == self.env and self.alive()

    def alive(self) -> bool:
        return self.km is not None and bool(run_sync(self._is_alive)())

    async def _is_alive(self) -> bool:
        return bool(await self.km.is_alive())

    def run(self, code: str, timeout: float) -> None:
        """Run ``code`` outside any notebook (no history, no execution count)."""
        run_sync(self._run)(code, timeout)

    async def _run(self, code: str, timeout: float) -> None:
        if self.kc is None:
            raise KernelError("the kernel is not running")
        running = asyncio.ensure_future(
            self.kc.execute_interactive(
                code,
                store_history=False,
                allow_stdin=False,
                timeout=timeout,
                output_hook=lambda _msg: None,
            )
        )
        try:
            # execute_interactive would wait out its timeout on a kernel that died (or was
            # killed by kill_running_kernels): look in on the process meanwhile.
            while not running.done():
                await asyncio.wait({running}, timeout=_POLL_S)
                if not running.done() and not await self.km.is_alive():
                    raise KernelError("the kernel died")
            reply = running.result()
        except TimeoutError:
            raise KernelError(f"the kernel did not answer within {timeout:.0f} s") from None
        finally:
            if not running.done():
                running.cancel()
                with contextlib.suppress(BaseException):
                    await running
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelError(f"{content.get('ename', 'error')}: {content.get('evalue', '')}")

    def prepare(self) -> None:
        """Bring the kernel back to its warmed-up state before a notebook (not the first)."""
        if self.notebooks:
            self.run(RESET_CODE, WARM_UP_TIMEOUT_S)
        self.notebooks += 1

    def shutdown(self) -> None:
        """Stop the kernel and remove its sockets and connection file."""
        manager = self._client.km
        try:
            if manager is not None:
                self._client._cleanup_kernel()  # nbclient's own cleanup
        finally:
            if manager is not None:
                with _RUNNING_LOCK:
                    _RUNNING.discard(manager)
                _kill(manager)  # in case the cleanup failed half-way
            self._transport.close()


class KernelEnvEngine(NBClientEngine):
    """Papermill's nbclient engine, starting the kernel with an explicit environment,
    or running the notebook in a :class:`WarmKernel`.

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
        warm_kernel: WarmKernel | None = None,
        **_: Any,
    ) -> Any:
        if warm_kernel is not None:
            client = PapermillNotebookClient(
                nb_man,
                km=warm_kernel.km,
                kernel_name=kernel_name,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                log=logger,
                log_output=False,
            )
            client.kc = warm_kernel.kc
            return client.execute(cleanup_kc=False)
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
