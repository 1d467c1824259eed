"""``ihub demo``: a synthetic Inter-Hub snapshot (made once) and every report rendered from it."""

from __future__ import annotations

import sys
from pathlib import Path

from ihub_analysis.paths import DEFAULT_DEMO_SOURCE
from ihub_analysis.reports.render import render_reports

DEMO_EVENTS = 500_000
DEMO_SEED = 7


def ensure_demo_snapshot(path: Path, *, events: int | None, refresh: bool) -> None:
    """Create ``path`` with the synthesizer when missing (or ``refresh``).

    The synthesizer replaces the file atomically, so an interrupted run never
    leaves a partial snapshot that a later ``ihub demo`` would take for a good one.
    """
    if path.exists() and not refresh:
        if events is not None:
            print(
                f"demo: {path} exists; --events ignored (add --refresh to rebuild it)",
                file=sys.stderr,
            )
        return
    from ihub_analysis import synth

    count = events or DEMO_EVENTS
    print(
        f"demo: creating {path} ({count:,} interaction events, seed {DEMO_SEED})", file=sys.stderr
    )
    result = synth.synthesize_duckdb(
        path, events=count, seed=DEMO_SEED, end=synth.DEFAULT_END, progress=sys.stderr.isatty()
    )
    print(f"demo: {result.describe()}", file=sys.stderr)


def run_demo(
    *, events: int | None = None, out_dir: Path | None = None, refresh: bool = False
) -> int:
    """Make the demo snapshot if needed, then render every report, hub dossier and the board."""
    path = Path(DEFAULT_DEMO_SOURCE)
    ensure_demo_snapshot(path, events=events, refresh=refresh)
    return render_reports([], source=str(path), out_dir=out_dir)  # [] = every report and dossier
