"""Parity: comparisons and evidence give the same rows on Postgres and on a snapshot of it."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from test_metric_parity import engines  # noqa: F401 - the shared synthetic fixture

from ihub_analysis.metrics.compare import COMPARISONS
from ihub_analysis.synth import DEFAULT_END
from ihub_analysis.workbench import Workbench

pytestmark = pytest.mark.slow
MID_DAY = DEFAULT_END - dt.timedelta(days=3, hours=5, microseconds=7)


@pytest.mark.parametrize("baseline", ["-28d", "-1.5d", "2026-08-01T06:00:00Z"])
@pytest.mark.parametrize("kind", list(COMPARISONS))
def test_compare_same_on_both_engines(
    engines: tuple[Workbench, Workbench],  # noqa: F811
    kind: str,
    baseline: str,
) -> None:
    live, snap = engines
    a = live.compare(kind, as_of=MID_DAY, baseline=baseline)
    b = snap.compare(kind, as_of=MID_DAY, baseline=baseline)
    assert a.height > 0
    assert_frame_equal(a, b, check_exact=False, rel_tol=1e-9)
    assert set(a["change"]) <= {"new", "gone", "worse", "better", "same"}


def test_evidence_same_on_both_engines(engines: tuple[Workbench, Workbench]) -> None:  # noqa: F811
    live, snap = engines
    worst = snap.friction(as_of=MID_DAY).head(3)["widget_id"].to_list()
    for widget_id in worst:
        a = live.widget_evidence(widget_id, as_of=MID_DAY).frames()
        b = snap.widget_evidence(widget_id, as_of=MID_DAY).frames()
        for name in a:
            assert_frame_equal(a[name], b[name], check_exact=False, rel_tol=1e-9)
        score = a["score"].row(0, named=True)
        assert a["activity"]["events"].sum() == score["interaction_count"]
        assert a["annotations"]["counts"].sum() == score["annotation_count"]
    for slug in snap.health(as_of=MID_DAY)["hub_slug"]:
        a = live.hub_evidence(slug, as_of=MID_DAY).frames()
        b = snap.hub_evidence(slug, as_of=MID_DAY).frames()
        for name in a:
            assert_frame_equal(a[name], b[name], check_exact=False, rel_tol=1e-9)
        health = a["health"].row(0, named=True)
        assert 100 - a["deductions"]["points"].sum() == health["health_score"]
        assert a["open_candidates"].height == health["open_candidates"]
        assert a["red_widgets"].height == health["red_widgets"]
        assert a["regressed_widgets"].height == health["regressed_widgets"]
        assert a["bottlenecks"].height == health["active_bottlenecks"]
        assert pl.Series(a["widgets"]["hub_slug"]).unique().to_list() in ([slug], [])
