"""Keep report kernels from importing what the reports never use.

Altair imports jsonschema, and jsonschema's format checkers import
``rfc3987_syntax`` when it is installed (the Jupyter stack installs it): that
module builds a grammar at import, costing about a second of CPU in every
kernel.  It only checks the ``iri``/``iri-reference`` formats, which the
Vega-Lite schema Altair validates charts against never uses, so a report
kernel (``$IHUB_REPORT_KERNEL=1``, set by ``ihub report`` for its kernels)
marks it as absent before Altair is imported, and so does the ``ihub report``
process itself before nbformat (which validates notebooks with jsonschema;
its schema uses no such format either).  Interactive sessions are left as
they are.
"""

from __future__ import annotations

import os
import sys

#: Set to ``1`` in the environment of the kernels ``ihub report`` starts.
REPORT_KERNEL_ENV = "IHUB_REPORT_KERNEL"
#: Modules a report never needs, only ever imported optionally by a dependency.
UNUSED_MODULES = ("rfc3987_syntax",)


def skip_unused_imports(*, force: bool = False) -> None:
    """In a report kernel (or when ``force``), make imports of :data:`UNUSED_MODULES` fail fast.

    A module already imported stays as it is.
    """
    if not force and os.environ.get(REPORT_KERNEL_ENV) != "1":
        return
    for name in UNUSED_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # import → ImportError
