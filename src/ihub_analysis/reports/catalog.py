"""The four report notebooks, their titles, and where the notebooks are found."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ihub_analysis import paths
from ihub_analysis.errors import BadInput

#: Overrides the notebooks folder (tests, or a team trying out edited notebooks).
NOTEBOOKS_ENV = "IHUB_NOTEBOOKS_DIR"


@dataclass(frozen=True)
class ReportSpec:
    """One report: its CLI name, notebook file and how the review board presents it."""

    name: str
    notebook: str
    title: str
    summary: str


REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in (
        ReportSpec(
            "friction",
            "friction_heatmap.ipynb",
            "Friction heatmap",
            "Where users struggle: friction score per widget and hub, regressions, weekly history.",
        ),
        ReportSpec(
            "bottlenecks",
            "bottleneck_funnel.ipynb",
            "Bottlenecks and pipeline funnel",
            "Items stalled past their stage threshold, and the candidate-to-evaluation funnel.",
        ),
        ReportSpec(
            "health",
            "health_trends.ipynb",
            "Hub health trends",
            "Health score per hub, its components and its 12-week trend.",
        ),
        ReportSpec(
            "changes",
            "change_evaluation.ipynb",
            "Change evaluation",
            "Did deployments reduce friction? Before/after, control group, lead times.",
        ),
    )
}


def check_names(names: list[str]) -> list[str]:
    """``names`` without duplicates, in order; unknown names are bad input (exit 2)."""
    unknown = [n for n in names if n not in REPORTS]
    if unknown:
        raise BadInput(f"unknown report {', '.join(unknown)} (choose from {', '.join(REPORTS)})")
    return list(dict.fromkeys(names)) or list(REPORTS)


def notebooks_dir(explicit: Path | None = None) -> Path:
    """``explicit``, else ``$IHUB_NOTEBOOKS_DIR``, else the project's ``notebooks/``."""
    if explicit is not None:
        return Path(explicit)
    from_env = os.environ.get(NOTEBOOKS_ENV)
    return Path(from_env) if from_env else paths.notebooks_dir()


#: The hub dossier: one parameterised notebook, rendered once per hub (``ihub report hub``).
DOSSIER_NAME = "hub"
DOSSIER_NOTEBOOK = "hub_dossier.ipynb"
_SAFE_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def dossier_name(slug: str) -> str:
    """The report name (and file stem) of ``slug``'s dossier: ``hub-<slug>``.

    A slug that is not a plain file name (case, dots, slashes, odd characters) gets a
    cleaned name plus a short digest, so no two hubs share a file and none escapes
    the report folder.
    """
    if _SAFE_SLUG.fullmatch(slug):
        return f"hub-{slug}"
    cleaned = re.sub(r"[^a-z0-9_-]+", "-", slug.lower()).strip("-_")[:40] or "hub"
    digest = hashlib.sha256(slug.encode("utf-8")).hexdigest()[:10]
    return f"hub-{cleaned}-{digest}"


def dossier_spec(slug: str) -> ReportSpec:
    """The dossier of one hub as a report: its name, notebook and title."""
    return ReportSpec(
        dossier_name(slug),
        DOSSIER_NOTEBOOK,
        f"Hub dossier: {slug}",
        "One hub for its own governance board: health, deductions, friction with evidence, "
        "stalled items, deployments and what changed.",
    )
