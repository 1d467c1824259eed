"""Inside a reused report kernel: the heavy imports once, and a clean slate before each notebook.

``ihub report`` runs several notebooks one after the other in one kernel (see
:class:`ihub_analysis.reports.kernel.WarmKernel`).  A notebook must not see
anything an earlier one left behind, and must produce what it would in a fresh
kernel.  So :func:`warm_up` imports what every report imports and then records
the process's state; :func:`reset` puts that state back before each notebook:

* the user namespace, output history and execution counter (IPython's reset);
* every global of the ``ihub_analysis`` modules (e.g. "the CSS was shown once
  in this notebook" flags), and the contents of their module-level dicts, sets
  and lists; the names in ``builtins``;
* DuckDB connections a notebook left open (closed, as a fresh kernel has none);
* Altair's active renderer, data transformer and theme, Polars' configuration,
  the warnings filters (and the "already warned" memory), the working folder,
  the environment, ``sys.path`` and ``sys.argv``.

This module runs in the kernel only; it imports nothing heavy itself.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import importlib
import os
import sys
import time
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: What a report notebook imports; imported once per kernel, before the first notebook.
WARM_IMPORTS = (
    "polars",
    "duckdb",
    "altair",
    "IPython.display",
    "ihub_analysis",
    "ihub_analysis.charts",
    "ihub_analysis.errors",
    "ihub_analysis.metrics.evidence",
    "ihub_analysis.notebook",
    "ihub_analysis.whatchanged",
    "ihub_analysis.workbench",
)
#: Modules whose globals are restored before each notebook.
PACKAGE = "ihub_analysis"


@dataclass
class _Module:
    """A module's globals as they were right after the warm-up."""

    names: dict[str, Any]
    contents: dict[str, Any]  # shallow copies of its dicts, sets and lists


@dataclass
class _State:
    modules: dict[str, _Module] = field(default_factory=dict)
    environ: dict[str, str] = field(default_factory=dict)
    cwd: str = ""
    path: list[str] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)
    filters: list[Any] = field(default_factory=list)
    altair: dict[str, tuple[str | None, dict[str, Any]]] = field(default_factory=dict)
    polars: str = ""


_SAVED: _State | None = None


def _ours(name: str) -> bool:
    """Whether :func:`reset` restores this module's globals."""
    ours = name == PACKAGE or name.startswith(PACKAGE + ".")
    return (ours and name != __name__) or name == builtins.__name__


def _module_state(module: types.ModuleType) -> _Module:
    names = dict(vars(module))
    contents = {
        k: v.copy()
        for k, v in names.items()
        if type(v) in (dict, set, list) and not k.startswith("__")
    }
    return _Module(names, contents)


def _registries() -> dict[str, Any]:
    """Altair's plugin registries a notebook may switch (theme: Altair 5.5+ or older)."""
    alt = sys.modules.get("altair")
    if alt is None:
        return {}
    found = {"renderers": alt.renderers, "data_transformers": alt.data_transformers}
    theme = getattr(getattr(alt, "theme", None), "_themes", None) or vars(alt).get("themes")
    if theme is not None:
        found["theme"] = theme
    return found


def warm_up() -> None:
    """Import :data:`WARM_IMPORTS` and record the state :func:`reset` returns to."""
    for name in WARM_IMPORTS:
        importlib.import_module(name)
    snapshot()


def snapshot() -> None:
    """Record the state of this process that :func:`reset` restores."""
    global _SAVED
    state = _State(
        modules={n: _module_state(m) for n, m in list(sys.modules.items()) if _ours(n) and m},
        environ=dict(os.environ),
        cwd=str(Path.cwd()),
        path=list(sys.path),
        argv=list(sys.argv),
        filters=list(warnings.filters),
        altair={k: (r.active, dict(r.options)) for k, r in _registries().items()},
    )
    if "polars" in sys.modules:
        state.polars = sys.modules["polars"].Config.save()
    _SAVED = state


def _restore_module(module: types.ModuleType, saved: _Module) -> None:
    current = vars(module)
    for name in [n for n in current if n not in saved.names]:
        if not isinstance(current[name], types.ModuleType):  # a submodule imported since
            del current[name]
    for name, value in saved.names.items():
        if current.get(name, _MISSING) is not value:
            current[name] = value
    for name, copy in saved.contents.items():
        value = current[name]
        if value != copy:
            value.clear()
            if isinstance(value, list):
                value.extend(copy)
            else:
                value.update(copy)


_MISSING = object()


def _close_duckdb_connections() -> None:
    """Close the shared DuckDB connections a notebook left open (a fresh kernel has none)."""
    sources = sys.modules.get(f"{PACKAGE}.sources")
    shared = getattr(sources, "_SHARED", None)
    if not shared:
        return
    for con, _users in list(shared.values()):
        with contextlib.suppress(Exception):  # already closed or broken: nothing to keep
            con.close()
    shared.clear()


def reset() -> None:
    """Return this kernel to the state :func:`snapshot` recorded (see the module docstring)."""
    if _SAVED is None:
        raise RuntimeError("warm_up() has not run in this kernel")
    saved = _SAVED
    warnings.resetwarnings()  # also forgets which warnings were already shown
    warnings.filters[:] = saved.filters  # first: the rest must not run under "error"
    warnings.onceregistry.clear()
    shell = _shell()
    if shell is not None:
        shell.reset(new_session=False)  # user namespace, Out, _, _i …
        shell.execution_count = 1
    gc.collect()  # finalise what the notebook held: workbenches, connections
    _close_duckdb_connections()
    for name, module in list(sys.modules.items()):
        if _ours(name) and module is not None:
            if name in saved.modules:
                _restore_module(module, saved.modules[name])
            else:  # first imported by a notebook: from now on, keep it as it is now
                saved.modules[name] = _module_state(module)
    for key, registry in _registries().items():
        active, options = saved.altair.get(key, (None, {}))
        if active is not None and (registry.active != active or dict(registry.options) != options):
            registry.enable(active, **options)
    if saved.polars:
        polars = sys.modules["polars"]
        polars.Config.restore_defaults()
        polars.Config.load(saved.polars)
    if os.environ != saved.environ:
        os.environ.clear()
        os.environ.update(saved.environ)
        time.tzset()
    os.chdir(saved.cwd)
    sys.path[:] = saved.path
    sys.argv[:] = saved.argv


def _shell() -> Any:
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None
