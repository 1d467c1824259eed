"""Where the CPU of ``ihub report`` goes apart from the metrics: the start-up profile.

Each figure is the CPU (user + system) of one piece, measured on its own, the
median of ``--repeats`` runs:

* a Jupyter kernel executing one trivial cell (start-up and shut-down);
* the same kernel importing what a report's first cell imports, as a report
  kernel (``$IHUB_REPORT_KERNEL=1``) and as an interactive one;
* a warm kernel (what ``ihub report`` keeps per worker): starting it with its
  warm-up imports, and then each further notebook (the reset back to the
  warmed-up state and one trivial cell);
* the ``ihub report`` process importing its report machinery, with and without
  ``rfc3987_syntax`` skipped;
* building the Vega bundle with vl-convert (what the bundle cache saves per run);
* exporting one executed report notebook to HTML (nbconvert), per report.

    python -m benchmarks.report_profile --notebooks DIR_WITH_EXECUTED_IPYNB [--into FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

KERNEL_IMPORTS = (
    "import polars\nfrom ihub_analysis import charts\nfrom ihub_analysis import notebook"
)
PARENT_IMPORTS = (
    "from ihub_analysis import cli\n"
    "from ihub_analysis.lean import skip_unused_imports\n"
    "{skip}"
    "from ihub_analysis.reports import render_reports\n"
)


def _cpu() -> tuple[float, float]:
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def kernel_cpu(code: str, lean: bool, repeats: int) -> list[float]:
    """CPU of a kernel (and of this process driving it) running ``code`` as its one cell."""
    import nbformat

    from ihub_analysis.lean import REPORT_KERNEL_ENV
    from ihub_analysis.reports import execute

    params = "source = None\nas_of = None\nsettings = {}\nreport_mode = True"
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell(code),
        ]
    )
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.ipynb"
        nbformat.write(nb, path)
        env = {**os.environ, REPORT_KERNEL_ENV: "1" if lean else "0"}
        for _ in range(repeats):
            own0, kids0 = _cpu()
            execute.execute(path, {}, env, Path(tmp))
            own1, kids1 = _cpu()
            out.append((own1 - own0) + (kids1 - kids0))
    return out


def _process_cpu(pid: int) -> float:
    """User + system CPU of a running process (a live kernel is no reaped child yet)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def warm_cpu(repeats: int) -> tuple[list[float], list[float]]:
    """CPU of starting a warm kernel, and of each further notebook in it (reset included)."""
    import nbformat

    from ihub_analysis.lean import REPORT_KERNEL_ENV
    from ihub_analysis.reports import execute
    from ihub_analysis.reports.kernel import WarmKernel

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    env = {**os.environ, REPORT_KERNEL_ENV: "1"}
    starts, notebooks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.ipynb"
        nbformat.write(nb, path)
        for _ in range(repeats):
            own0 = _cpu()[0]
            kernel = WarmKernel(execute.KERNEL_NAME, env)
            try:
                pid = kernel.km.provisioner.process.pid
                starts.append(_cpu()[0] - own0 + _process_cpu(pid))
                kernel.prepare()
                execute.execute(path, {}, env, Path(tmp), kernel=kernel)  # its first
                own0, kid0 = _cpu()[0], _process_cpu(pid)
                kernel.prepare()
                execute.execute(path, {}, env, Path(tmp), kernel=kernel)
                notebooks.append(_cpu()[0] - own0 + _process_cpu(pid) - kid0)
            finally:
                kernel.shutdown()
    return starts, notebooks


def process_cpu(code: str, repeats: int) -> list[float]:
    """CPU of a fresh interpreter running ``code``."""
    out = []
    for _ in range(repeats):
        proc = subprocess.Popen([sys.executable, "-c", code])
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"probe failed: {code}")
        out.append(usage.ru_utime + usage.ru_stime)
    return out


def bundle_cpu(repeats: int) -> list[float]:
    """vl-convert's own CPU for the bundle, each in a fresh process (it keeps it once built)."""
    code = (
        "import time\n"
        "from ihub_analysis.charts.render import javascript_bundle\n"
        "start = time.process_time()\n"
        "javascript_bundle()\n"
        "print(time.process_time() - start)\n"
    )
    return [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(repeats)
    ]


def export_cpu(notebooks: Path, repeats: int) -> dict[str, list[float]]:
    import nbformat

    from ihub_analysis.reports import export

    export.vega_bundle()
    found: dict[str, list[float]] = {}
    for path in sorted(notebooks.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        found[path.stem] = []
        for _ in range(repeats):
            start = time.process_time()
            export.notebook_html(nb, name=path.stem, title="t", subtitle="s", footer="")
            found[path.stem].append(time.process_time() - start)
    return found


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def profile(notebooks: Path, repeats: int) -> dict[str, Any]:
    warm_start, warm_notebook = warm_cpu(repeats)
    pieces: dict[str, list[float]] = {
        "kernel, one trivial cell": kernel_cpu("1", True, repeats),
        "kernel + report imports, report kernel": kernel_cpu(KERNEL_IMPORTS, True, repeats),
        "kernel + report imports, interactive": kernel_cpu(KERNEL_IMPORTS, False, repeats),
        "warm kernel: start with its warm-up imports (once per worker)": warm_start,
        "warm kernel: each further notebook (reset + one trivial cell)": warm_notebook,
        "ihub report process imports, rfc3987_syntax skipped": process_cpu(
            PARENT_IMPORTS.format(skip="skip_unused_imports(force=True)\n"), repeats
        ),
        "ihub report process imports, as before": process_cpu(
            PARENT_IMPORTS.format(skip=""), repeats
        ),
        "Vega bundle built by vl-convert": bundle_cpu(repeats),
    }
    for name, values in export_cpu(notebooks, repeats).items():
        pieces[f"HTML export of the {name} report"] = values
    return {
        "load_avg": list(os.getloadavg()),
        "repeats": repeats,
        "cpu_s": {
            k: {"median": median(v), "values": [round(x, 3) for x in v]} for k, v in pieces.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report_profile")
    parser.add_argument("--notebooks", type=Path, required=True, help="executed report notebooks")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--into", type=Path, help="results JSON to add the profile to")
    args = parser.parse_args(argv)
    found = profile(args.notebooks, args.repeats)
    if args.into:
        data = json.loads(args.into.read_text(encoding="utf-8"))
        data["profile"] = found
        args.into.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(found, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
