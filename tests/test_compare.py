"""Comparison with a baseline: hand-computed new/gone/worse/better/same on both engines."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from builder import T, World, days
from conftest import OpenWorld

from ihub_analysis.errors import BadInput
from ihub_analysis.metrics.compare import COMPARISONS, compare_frames, resolve_baseline

B = T - days(28)  # the default baseline (compare_days = 28)


def by(frame: pl.DataFrame, *key: str) -> dict[object, dict[str, object]]:
    rows = frame.to_dicts()
    if len(key) == 1:
        return {r[key[0]]: r for r in rows}
    return {tuple(r[k] for k in key): r for r in rows}


# ------------------------------------------------------------------ friction
def friction_world() -> tuple[World, dict[str, object]]:
    w = World()
    hub = w.hub("billing")
    ids = {}
    ids["riser"] = w.widget(hub, "Riser")  # 3 critical at T-1: 0 at B, 40 at T
    for _ in range(3):
        w.annotation(ids["riser"], T - days(1), severity="critical")
    ids["faller"] = w.widget(hub, "Faller")  # 3 critical at T-33: only B's window
    for _ in range(3):
        w.annotation(ids["faller"], T - days(33), severity="critical")
    ids["steady"] = w.widget(hub, "Steady")  # one medium at T-29.5: both windows, 4 points
    w.annotation(ids["steady"], T - days(29.5))
    ids["young"] = w.widget(hub, "Young", created_at=T - days(10))  # only at T
    ids["at_b"] = w.widget(hub, "At B", created_at=B)  # created_at < B is false: new
    ids["before_b"] = w.widget(hub, "Before B", created_at=B - dt.timedelta(microseconds=1))
    return w, {k: str(v) for k, v in ids.items()}


def test_friction_change_labels_and_deltas(open_world: OpenWorld) -> None:
    world, ids = friction_world()
    wb = open_world(world)
    c = by(wb.compare("friction", as_of=T), "widget_id")
    riser = c[ids["riser"]]
    assert (riser["score"], riser["score_baseline"], riser["score_delta"]) == (40, 0, 40)
    assert (riser["band"], riser["band_baseline"], riser["change"]) == ("yellow", "green", "worse")
    assert (riser["annotation_count"], riser["annotation_count_delta"]) == (3, 3)
    faller = c[ids["faller"]]
    assert (faller["score"], faller["score_baseline"], faller["change"]) == (0, 40, "better")
    assert faller["score_delta"] == -40
    steady = c[ids["steady"]]
    assert (steady["score"], steady["score_baseline"], steady["change"]) == (4, 4, "same")
    for name in ("young", "at_b"):
        row = c[ids[name]]
        assert row["change"] == "new"
        assert row["score_baseline"] is None and row["score_delta"] is None
        assert row["band_baseline"] is None and row["widget_name"] is not None
    assert c[ids["before_b"]]["change"] == "same"
    assert set(c) == set(ids.values())
    first = wb.compare("friction", as_of=T)["change"].to_list()
    assert first[0] == "worse" and first[-1] == "same"  # attention first


def test_compare_sides_equal_the_metric_at_each_date(open_world: OpenWorld) -> None:
    """Both points in one statement give exactly what the metric gives at each date."""
    from test_metric_health import health_world

    wb = open_world(health_world())
    for kind in ("friction", "bottlenecks", "health", "funnel", "propagation"):
        spec = COMPARISONS[kind]
        c = wb.compare(kind, as_of=T, baseline=T - days(9))
        now = wb.metric(kind, as_of=T).select(*spec.key, *spec.numeric, *spec.ordinal)
        before = wb.metric(kind, as_of=T - days(9)).select(*spec.key, *spec.numeric)
        got_now = c.filter(pl.col("change") != "gone").select(
            *spec.key, *spec.numeric, *spec.ordinal
        )
        assert got_now.sort(list(spec.key)).equals(now.sort(list(spec.key))), kind
        got_before = c.filter(pl.col("change") != "new").select(
            *spec.key, *(pl.col(f"{x}_baseline").alias(x) for x in spec.numeric)
        )
        assert got_before.sort(list(spec.key)).equals(before.sort(list(spec.key))), kind


# --------------------------------------------------------------- bottlenecks
def test_bottlenecks_new_resolved_escalated(open_world: OpenWorld) -> None:
    w = World()
    wid = w.widget(w.hub("billing"), "W")
    old = w.candidate(wid, T - days(100))  # T: 100 d (high), B: 72 d (high)
    young = w.candidate(wid, T - days(50))  # T: 50 d (medium), B: 22 d (not stalled)
    resolved = w.candidate(wid, T - days(100))
    w.triage(resolved, "accepted", T - days(10))  # open at B, closed at T
    escalated = w.candidate(wid, T - days(70))  # T: 2.33 (high), B: 1.4 (low)
    c = by(open_world(w).compare("bottlenecks", as_of=T), "subject_id")
    o = c[str(old)]
    assert (o["severity"], o["severity_baseline"], o["change"]) == ("high", "high", "worse")
    assert o["age_days"] == pytest.approx(100) and o["age_days_delta"] == pytest.approx(28)
    assert o["ratio_delta"] == pytest.approx(28 / 30)
    assert (c[str(young)]["change"], c[str(young)]["severity_baseline"]) == ("new", None)
    r = c[str(resolved)]
    assert (r["change"], r["severity"], r["severity_baseline"]) == ("gone", None, "high")
    assert r["hub_slug"] == "billing" and r["age_days"] is None  # labels from B
    assert r["age_days_baseline"] == pytest.approx(72)
    e = c[str(escalated)]
    assert (e["severity"], e["severity_baseline"], e["change"]) == ("high", "low", "worse")


# -------------------------------------------------------------------- health
def test_health_direction_higher_is_better(open_world: OpenWorld) -> None:
    w = World()
    alpha, gamma, _delta = w.hub("alpha"), w.hub("gamma"), w.hub("delta")
    w.hub("beta", created_at=T - days(3))
    a, g = w.widget(alpha, "A"), w.widget(gamma, "G")
    for _ in range(3):
        w.candidate(a, T - days(5))  # open at T only: 100 -> 94
    for _ in range(2):
        cand = w.candidate(g, B - days(5))  # open at B, rejected at T-1: 96 -> 100
        w.triage(cand, "rejected", T - days(1))
    c = by(open_world(w).compare("health", as_of=T), "hub_slug")
    assert (c["alpha"]["health_score"], c["alpha"]["health_score_baseline"]) == (94, 100)
    assert (c["alpha"]["health_score_delta"], c["alpha"]["change"]) == (-6, "worse")
    assert (c["alpha"]["open_candidates_delta"], c["alpha"]["band_baseline"]) == (3, "healthy")
    assert (c["gamma"]["health_score_delta"], c["gamma"]["change"]) == (4, "better")
    assert (c["delta"]["health_score_delta"], c["delta"]["change"]) == (0, "same")
    assert (c["beta"]["change"], c["beta"]["health_score_baseline"]) == ("new", None)


# -------------------------------------------------------------------- funnel
def test_funnel_conversion_and_percentile_shifts(open_world: OpenWorld) -> None:
    w = World()
    wid = w.widget(w.hub("alpha"), "W")
    x = w.candidate(wid, T - days(60))
    w.triage(x, "rejected", T - days(55))  # 5 days to triage
    w.candidate(wid, T - days(40))  # never triaged
    z = w.candidate(wid, T - days(20))  # only at T; 1 day to triage
    w.triage(z, "rejected", T - days(19))
    c = by(open_world(w).compare("funnel", as_of=T), "hub_slug", "step")
    t = c[("alpha", "triaged")]
    assert (t["reached"], t["reached_baseline"], t["reached_delta"]) == (2, 1, 1)
    assert t["conversion"] == pytest.approx(2 / 3) and t["conversion_baseline"] == 0.5
    assert t["conversion_delta"] == pytest.approx(2 / 3 - 0.5)
    assert t["change"] == "better"  # higher conversion is better
    assert (t["p50_days"], t["p50_days_baseline"], t["p50_days_delta"]) == (3.0, 5.0, -2.0)
    assert c[("alpha", "created")]["change"] == "same"  # always 1.0
    assert c[("all", "triaged")]["change"] == "better"
    # accepted: nobody reached it at either date: conversion 0 -> 0, same
    assert c[("alpha", "accepted")]["change"] == "same"
    # decided: nobody reached the previous step - no conversion on either side: same
    assert c[("alpha", "decided")]["conversion"] is None
    assert c[("alpha", "decided")]["change"] == "same"


# --------------------------------------------------------------- propagation
def test_propagation_patterns_appear_fade_and_grow(open_world: OpenWorld) -> None:
    w = World()
    h1, h2 = w.hub("one"), w.hub("two")
    a, b = w.widget(h1, "A"), w.widget(h2, "B")
    for wid in (a, b):
        for _ in range(3):
            w.annotation(wid, T - days(1), category="bug")  # appears
            w.annotation(wid, T - days(33), category="confusion")  # fades
            w.annotation(wid, T - days(29.5), category="friction")  # both
    for _ in range(2):
        w.annotation(b, T - days(1), category="friction")  # two: 3 -> 5
    c = by(open_world(w).compare("propagation", as_of=T), "pattern_type", "key")
    assert c[("annotation_cluster", "bug")]["change"] == "new"
    gone = c[("annotation_cluster", "confusion")]
    assert (gone["change"], gone["metric"], gone["metric_baseline"]) == ("gone", None, 3.0)
    assert gone["source_hub"] == "one"  # labels from B
    grown = c[("annotation_cluster", "friction")]
    assert (grown["metric"], grown["metric_baseline"], grown["metric_delta"]) == (5.0, 3.0, 2.0)
    assert (grown["source_hub"], grown["change"]) == ("two", "worse")


# ------------------------------------------------------ direction, rounding, B
def _frames(kind: str, now: list[dict[str, object]], base: list[dict[str, object]]):
    schema = COMPARISONS[kind].schema
    filled = [{c: r.get(c) for c in schema} for r in now]
    filled_b = [{c: r.get(c) for c in schema} for r in base]
    return pl.DataFrame(filled, schema=schema), pl.DataFrame(filled_b, schema=schema)


@pytest.mark.parametrize(
    ("kind", "key", "main", "up"),
    [
        ("friction", {"widget_id": "w"}, "score", "worse"),
        ("bottlenecks", {"stage": "candidate", "subject_id": "s"}, "ratio", "worse"),
        ("funnel", {"hub_slug": "all", "step": "triaged"}, "conversion", "better"),
        ("health", {"hub_slug": "h"}, "health_score", "better"),
        ("propagation", {"pattern_type": "annotation_cluster", "key": "bug"}, "metric", "worse"),
    ],
)
def test_direction_of_each_metric(kind: str, key: dict, main: str, up: str) -> None:
    integer = COMPARISONS[kind].schema[main] == pl.Int64
    lo, hi = (10, 11) if integer else (0.5, 0.51)
    down = {"worse": "better", "better": "worse"}[up]
    for now, base, expected in ((hi, lo, up), (lo, hi, down), (lo, lo, "same")):
        n, b = _frames(kind, [{**key, main: now}], [{**key, main: base}])
        assert compare_frames(kind, n, b, T, B)["change"].to_list() == [expected]
    n, b = _frames(kind, [{**key, main: lo}], [])
    assert compare_frames(kind, n, b, T, B)["change"].to_list() == ["new"]
    n, b = _frames(kind, [], [{**key, main: lo}])
    assert compare_frames(kind, n, b, T, B)["change"].to_list() == ["gone"]


@pytest.mark.parametrize(
    ("now", "base", "expected"),
    [
        (0.504, 0.496, "same"),  # both 0.50 after rounding
        (0.506, 0.504, "better"),  # 0.51 vs 0.50
        (0.494, 0.496, "worse"),  # 0.49 vs 0.50
        (None, None, "same"),
        (None, 0.5, "same"),  # no conversion at T: no direction can be read
    ],
)
def test_funnel_rounding_to_two_decimals(now: float | None, base: float | None, expected: str):
    key = {"hub_slug": "all", "step": "triaged"}
    n, b = _frames("funnel", [{**key, "conversion": now}], [{**key, "conversion": base}])
    out = compare_frames("funnel", n, b, T, B)
    assert out["change"].to_list() == [expected]


def test_empty_sides_give_the_full_schema() -> None:
    for kind, spec in COMPARISONS.items():
        n, b = _frames(kind, [], [])
        out = compare_frames(kind, n, b, T, B)
        assert out.height == 0 and out.schema == pl.Schema(spec.output_schema())


def test_columns_key_then_metric_then_baselines_then_change() -> None:
    cols = list(COMPARISONS["health"].output_schema())
    assert cols[:3] == ["hub_slug", "health_score", "band"]
    assert cols[8:10] == ["health_score_baseline", "health_score_delta"]
    assert cols.index("band_baseline") < cols.index("change")
    assert cols[-2:] == ["as_of", "baseline"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, T - days(28)),
        ("-28d", T - days(28)),
        (" -4W ", T - days(28)),
        ("-12h", T - dt.timedelta(hours=12)),
        ("-1.5d", T - days(1.5)),
        (days(3), T - days(3)),
        (-days(3), T - days(3)),
        ("2026-05-01", dt.datetime(2026, 5, 1, tzinfo=dt.UTC)),
        ("2026-06-01T13:00:00+02:00", T - dt.timedelta(hours=1)),
        (dt.date(2026, 5, 1), dt.datetime(2026, 5, 1, tzinfo=dt.UTC)),
    ],
)
def test_baseline_forms(value: object, expected: dt.datetime) -> None:
    assert resolve_baseline(value, T, 28) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        T,  # equal to as_of
        T + dt.timedelta(microseconds=1),
        "2026-06-01T12:00:00Z",
        "-0d",
        "+28d",
        "28d",
        "yesterday",
        "-28x",
        "-99999999999d",
        "'; DROP TABLE widgets; --",
        "",
    ],
)
def test_bad_baselines_are_bad_input(value: object) -> None:
    with pytest.raises(BadInput) as info:
        resolve_baseline(value, T, 28)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


def test_compare_validates_before_running(open_world: OpenWorld) -> None:
    wb = open_world(World())
    with pytest.raises(BadInput, match="cannot be compared"):
        wb.compare("changes", as_of=T)
    with pytest.raises(BadInput, match="must be before"):
        wb.compare("health", as_of=T, baseline=T + days(1))
    with pytest.raises(BadInput, match="compare_days"):
        wb.compare("health", as_of=T, compare_days=0)
    assert wb.compare("health", as_of=T, compare_days=7)["baseline"].to_list() == []
    assert wb.compare("friction", as_of=T).height == 0


def test_compare_days_setting_moves_the_default_baseline(open_world: OpenWorld) -> None:
    world, ids = friction_world()
    wb = open_world(world)
    c = by(wb.compare("friction", as_of=T, compare_days=1), "widget_id")
    row = c[ids["riser"]]  # at T-1 its annotations (created at T-1) do not count yet
    assert (row["score_baseline"], row["change"]) == (0, "worse")
    assert row["baseline"] == T - days(1) and row["as_of"] == T


# ----------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    world, _ = friction_world()
    return world.to_duckdb(tmp_path_factory.mktemp("compare") / "world.duckdb")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from ihub_analysis.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("kind", list(COMPARISONS))
@pytest.mark.parametrize("when", ["-28d", "-4w", "2026-05-04T12:00:00Z"])
def test_cli_compare_to_prints_the_comparison_columns(
    kind: str, when: str, world_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv
    import io

    code, out, err = run(
        capsys, "metrics", kind, "--source", world_file, "--compare-to", when, "--format", "csv"
    )
    assert (code, err) == (0, "")
    header = next(csv.reader(io.StringIO(out)))
    assert header == list(COMPARISONS[kind].output_schema())
    for row in csv.DictReader(io.StringIO(out)):
        assert row["baseline"] == "2026-05-04T12:00:00Z" and row["as_of"] == "2026-06-01T12:00:00Z"


def test_cli_compare_json_matches_the_api(world_file: str, capsys: pytest.CaptureFixture[str]):
    import json

    import ihub_analysis

    args = ["metrics", "friction", "--source", world_file, "--compare-to=-28d", "--format", "json"]
    code, out, _ = run(capsys, *args)
    assert code == 0
    rows = json.loads(out)
    with ihub_analysis.connect(world_file) as wb:
        expected = wb.compare("friction")
    assert [r["change"] for r in rows] == expected["change"].to_list()
    assert [r["score_delta"] for r in rows] == expected["score_delta"].to_list()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["changes", "--compare-to", "-28d"], "cannot be compared"),
        (["health-trend", "--compare-to", "-28d"], "cannot be compared"),
        (["health", "--compare-to", "2027-01-01"], "must be before"),
        (["health", "--compare-to", "-0d"], "must be before"),
        (["health", "--compare-to", "last week"], "invalid baseline"),
        (["health", "--compare-to"], "expected one argument"),
        (["health", "--compare-to", "-28d", "--set", "compare_days=-1"], "compare_days"),
    ],
)
def test_cli_compare_errors_are_one_line_exit_2(
    args: list[str], needle: str, world_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "metrics", *args, "--source", world_file)
    assert code == 2 and out == ""
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err
