"""A report archive: one dated folder per run, an index across runs, and retention.

``ihub report --archive DIR`` renders into ``DIR/<as_of>/`` (as_of in UTC,
``2026-11-01T000000Z``: sortable, safe in any file system), which the run
replaces as one set like any output folder — so re-running one as_of replaces
only that run, and a failed report keeps that run's previous good file.  After
each run ``DIR/index.html`` lists every run newest first with its headline
figures and their trend, ``DIR/latest`` links to the newest run's folder and
``DIR/latest.html`` opens its board.  A run is a folder with that name *and* a
``manifest.json``; nothing else in ``DIR`` is ever touched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ihub_analysis.atomic import write_text_atomic
from ihub_analysis.errors import BadInput
from ihub_analysis.reports import manifest, staging
from ihub_analysis.reports.export import jinja, stylesheet
from ihub_analysis.timeutil import iso_utc, parse_as_of

#: The archive folder when ``--archive`` is not given (and neither is ``--out``).
ARCHIVE_ENV = "IHUB_ARCHIVE"
STAMP_FORMAT = "%Y-%m-%dT%H%M%SZ"
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{6}Z")
INDEX = "index.html"
LATEST = "latest"
LATEST_HTML = "latest.html"
PRUNED_PREFIX = ".ihub-pruned-"

#: The figures the index shows per run: (key, label, where: "board" or a report name).
FIGURES = (
    ("at_risk_hubs", "Hubs at risk", "board"),
    ("red_widgets", "Red widgets", "board"),
    ("critical_bottlenecks", "Critical bottlenecks", "board"),
    ("open_bottlenecks", "Open bottlenecks", "board"),
    ("patterns", "Cross-hub patterns", "board"),
    ("mean_health", "Mean health", "health"),
    ("change_failure_rate", "Change failure rate", "changes"),
    ("lead_time_p50_days", "Lead time p50 (days)", "changes"),
)


def stamp(as_of: dt.datetime) -> str:
    """The folder name of the run at ``as_of`` (to the second, in UTC)."""
    return as_of.astimezone(dt.UTC).strftime(STAMP_FORMAT)


def run_folder(archive: Path, as_of: dt.datetime) -> Path:
    return Path(archive).absolute() / stamp(as_of)


def check_archive(archive: Path) -> Path:
    """The archive folder, refused (exit 2) if it exists and is not a folder."""
    archive = Path(archive).absolute()
    if archive.exists() and not archive.is_dir():
        raise BadInput(f"--archive {archive} exists and is not a directory")
    return archive


@dataclass(frozen=True)
class Run:
    """One run in the archive."""

    folder: Path
    as_of: dt.datetime
    manifest: dict[str, Any]

    def figure(self, key: str, where: str) -> float | int | None:
        if where == "board":
            found = self.manifest.get("board", {}).get("headlines", {}).get(key)
        else:
            report = next((r for r in self.manifest.get("reports", []) if r["name"] == where), {})
            found = report.get("headlines", {}).get(key)
        return found if isinstance(found, int | float) and not isinstance(found, bool) else None


def runs(archive: Path) -> list[Run]:
    """Every run in ``archive``, oldest first (folders with a stamp name and a manifest)."""
    found = []
    with contextlib.suppress(FileNotFoundError):
        for entry in Path(archive).iterdir():
            if not (_STAMP.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink()):
                continue
            data = manifest.read(entry)
            if data is None:
                continue
            try:
                as_of = parse_as_of(str(data["as_of"]))
            except (KeyError, BadInput):
                continue
            found.append(Run(entry, as_of, data))
    return sorted(found, key=lambda r: r.as_of)


def previous_as_of(archive: Path, as_of: dt.datetime) -> dt.datetime | None:
    """The as_of of the newest run before ``as_of``: the default "since the last review"."""
    earlier = [r.as_of for r in runs(archive) if r.as_of < as_of]
    return max(earlier) if earlier else None


# ----------------------------------------------------------------------------- index
def _sparkline(values: list[float | int | None], width: int = 120, height: int = 28) -> str:
    """An inline SVG trend line of ``values`` (oldest first; gaps where None)."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return ""
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    span_x = max(len(values) - 1, 1)
    span_y = (hi - lo) or 1

    def xy(i: int, v: float) -> str:
        x = 2 + (width - 4) * i / span_x
        y = height - 2 - (height - 4) * (v - lo) / span_y
        return f"{x:.1f},{y:.1f}"

    path = " ".join(xy(i, v) for i, v in points)
    last = xy(*points[-1])
    return (
        f'<svg class="archive-trend" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-hidden="true">'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{path}"/>'
        f'<circle r="2.5" fill="currentColor" cx="{last.split(",")[0]}" '
        f'cy="{last.split(",")[1]}"/></svg>'
    )


def _shown(value: float | int | None, key: str) -> str:
    if value is None:
        return "—"
    if key.endswith("_rate") or key.endswith("_share"):
        return f"{100 * value:.1f} %"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def index_html(all_runs: list[Run]) -> str:
    """The archive's index page: every run newest first, figures, trends."""
    from markupsafe import Markup

    trends = [
        {
            "label": label,
            "svg": Markup(_sparkline([r.figure(key, where) for r in all_runs])),
            "latest": _shown(all_runs[-1].figure(key, where), key) if all_runs else "—",
        }
        for key, label, where in FIGURES
    ]
    rows = []
    for run in reversed(all_runs):
        reports = run.manifest.get("reports", [])
        rows.append(
            {
                "stamp": run.folder.name,
                "as_of": iso_utc(run.as_of),
                "finished_at": run.manifest.get("finished_at", ""),
                "exit_status": run.manifest.get("exit_status"),
                "failed": [r["name"] for r in reports if r.get("status") == "failed"],
                "figures": [_shown(run.figure(k, w), k) for k, _, w in FIGURES],
                "source": run.manifest.get("source", ""),
            }
        )
    return (
        jinja()
        .get_template("archive.html.j2")
        .render(
            css=Markup(stylesheet()),
            labels=[label for _, label, _ in FIGURES],
            trends=trends,
            rows=rows,
            latest=all_runs[-1].folder.name if all_runs else None,
        )
    )


def _latest_html(target: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0; url={target}/index.html">'
        "<title>Latest review board — Inter-Hub</title></head>"
        f'<body><p><a href="{target}/index.html">Open the latest review board ({target})</a>'
        "</p></body></html>\n"
    )


def _point_latest(archive: Path, target: str | None) -> None:
    """Make ``latest`` (a relative symbolic link) and ``latest.html`` open ``target``."""
    link = archive / LATEST
    if target is None:
        if link.is_symlink():
            link.unlink()
        (archive / LATEST_HTML).unlink(missing_ok=True)
        return
    if link.exists() and not link.is_symlink():
        raise BadInput(f"{link} exists and is not a symbolic link: remove it")
    fresh = archive / f".{LATEST}.{os.getpid()}-{secrets.token_hex(4)}"
    try:
        fresh.symlink_to(target, target_is_directory=True)
        fresh.replace(link)  # one rename: the link always opens some run
    except OSError:
        fresh.unlink(missing_ok=True)  # no symbolic links here: latest.html still works
    write_text_atomic(archive / LATEST_HTML, _latest_html(target))


def update(archive: Path) -> list[Run]:
    """Rewrite the index and point ``latest`` at the newest run; return the runs."""
    all_runs = runs(archive)
    write_text_atomic(archive / INDEX, index_html(all_runs))
    _point_latest(archive, all_runs[-1].folder.name if all_runs else None)
    return all_runs


# ----------------------------------------------------------------------------- retention
def prune(
    archive: Path,
    *,
    keep: int | None = None,
    older_than_days: int | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> list[Run]:
    """Remove runs beyond the newest ``keep`` and runs with as_of older than the age.

    Each run is first renamed to a hidden name, so a half-removed run never
    looks like a run; the index and ``latest`` are rewritten afterwards.
    """
    archive = Path(archive).absolute()
    if not archive.is_dir():
        raise BadInput(f"archive {archive} does not exist or is not a directory")
    if keep is None and older_than_days is None:
        raise BadInput("say what to keep: --keep N and/or --older-than DAYS")
    all_runs = runs(archive)
    doomed: list[Run] = []
    if keep is not None:
        doomed += all_runs[: max(len(all_runs) - keep, 0)]
    if older_than_days is not None:
        limit = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=older_than_days)
        doomed += [r for r in all_runs if r.as_of < limit and r not in doomed]
    if dry_run:
        return doomed
    for leftover in staging.dead_leftovers(archive, PRUNED_PREFIX):  # an interrupted prune
        staging.remove_tree(leftover)
    for run in doomed:
        aside = archive / f"{PRUNED_PREFIX}{os.getpid()}-{run.folder.name}-{secrets.token_hex(4)}"
        run.folder.rename(aside)
        shutil.rmtree(aside, ignore_errors=True)
    update(archive)
    return doomed
