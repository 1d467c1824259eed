"""The chart builders on real metric frames, their empty cases, and the offline renderer.

The frames come from a small hand-built Inter-Hub world (:func:`chart_world`,
also the fixture of ``test_notebooks.py``): four hubs, twenty widgets, three
months of events, the whole pipeline from candidates to evaluated deployments.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import altair as alt
import polars as pl
import pytest
from builder import T, World, days

import ihub_analysis
from ihub_analysis import charts
from ihub_analysis.workbench import Workbench

HUBS = ("finance", "logistics", "people", "sales")
#: Columns of raw rows that must never reach a chart's embedded data.
RAW_COLUMNS = {
    "occurred_at",
    "event_type",
    "actor_id",
    "actor_type",
    "body",
    "metadata",
    "email",
    "password_hash",
    "view_context_ref",
    "rationale",
}


def chart_world(seed: int = 7, weeks: int = 13) -> World:
    """A small but complete Inter-Hub world ending at ``builder.T``, deterministic per seed."""
    rnd = random.Random(seed)
    w = World()
    users = [w.user(n) for n in ("Ada Byron", "Grace Hopper", "Alan Kay")]
    hubs = {slug: w.hub(slug) for slug in HUBS}
    kinds = ["form", "table", "chart", "wizard"]
    widgets: list[tuple[str, Any, float]] = []
    for slug, hub in hubs.items():
        for i in range(5):
            widget = w.widget(hub, f"{slug[:3].title()} {kinds[i % 4]} {i + 1}", kinds[i % 4])
            widgets.append((slug, widget, rnd.random()))
    for _slug, widget, pain in widgets:
        for week in range(weeks):
            lo = T - days(7 * (week + 1))
            w.spread(widget, rnd.randint(3, 6), lo, lo + days(7))
            errors = int(pain * pain * rnd.randint(0, 5))
            if errors:
                kind = rnd.choice(["error", "validation_error"])
                w.spread(widget, errors, lo + days(0.3), lo + days(7), event_type=kind)
            for _ in range(int(pain * 3 * rnd.random())):
                w.annotation(
                    widget,
                    lo + days(rnd.random() * 7),
                    category=rnd.choice(["friction", "friction", "bug", "confusion", "praise"]),
                    severity=rnd.choice(["low", "medium", "medium", "high", "critical"]),
                )
    for k, (slug, widget, _pain) in enumerate(widgets):
        for j in range(rnd.randint(1, 4)):
            created = T - days(rnd.uniform(2, 160))
            note = w.annotation(widget, created - days(1), category="friction")
            cited = note if rnd.random() < 0.6 else None
            cand = w.candidate(
                widget, created, source_annotation_id=cited, title=f"Fix {slug} issue {k}-{j}"
            )
            if rnd.random() < 0.7:
                w.reviewer(cand, rnd.choice(users), created + days(1))
            r = rnd.random()
            if r < 0.3:
                continue
            triaged = created + days(rnd.uniform(1, 20))
            if r < 0.4:
                w.triage(cand, "rejected", triaged)
                continue
            w.triage(cand, "accepted", triaged)
            req_at = triaged + days(rnd.uniform(0.5, 10))
            req = w.requirement(cand, req_at)
            if rnd.random() < 0.3:
                continue
            dec_at = req_at + days(rnd.uniform(2, 30))
            dec = w.decision(dec_at, requirement=req, title=f"Decision on {slug} {k}-{j}")
            if rnd.random() < 0.3:
                continue
            dep_at = dec_at + days(rnd.uniform(3, 25))
            dep = w.deployment(dec, dep_at, version_ref=f"app@{k}.{j}")
            for other in rnd.sample([x for x in widgets if x[0] == slug], 2):
                signal = rnd.choice(["error_rate", "task_time"])
                w.signal(
                    other[1], dep, dep_at + days(1), signal_type=signal, value=rnd.uniform(0, 2)
                )
            if rnd.random() < 0.6:
                w.evaluation(dep, rnd.randint(1, 5), dep_at + days(rnd.uniform(5, 20)))
    for hub in hubs.values():
        for week in range(12):
            w.health_snapshot(hub, rnd.randint(45, 100), T - days(7 * week + 1))
    return w


def world_duckdb(factory: pytest.TempPathFactory, *, weeks: int = 13, phase: int = 7) -> str:
    """The world as a DuckDB snapshot, written once per test process (shared by both modules)."""
    path = factory.getbasetemp() / f"chart-world-w{weeks}-p{phase}.duckdb"
    if not path.exists():
        chart_world(weeks=weeks).to_duckdb(path, phase=phase)
    return str(path)


@pytest.fixture(scope="module")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return world_duckdb(tmp_path_factory)


@pytest.fixture(scope="module")
def wb(world_db: str) -> Iterator[Workbench]:
    with ihub_analysis.connect(world_db) as workbench:
        yield workbench


@pytest.fixture(scope="module")
def frames(wb: Workbench) -> dict[str, pl.DataFrame]:
    names = [
        "friction",
        "friction_history",
        "bottlenecks",
        "funnel",
        "health",
        "health_trend",
        "health_arrows",
        "recorded_health",
        "changes",
    ]
    return {name: getattr(wb, name)() for name in names}


Builder = Callable[[dict[str, pl.DataFrame]], Any]

BUILDERS: dict[str, Builder] = {
    "friction_heatmap": lambda f: charts.friction_heatmap(f["friction_history"], top_n=12),
    "funnel_chart": lambda f: charts.funnel_chart(f["funnel"], cohort_days=90),
    "funnel_chart_hubs": lambda f: charts.funnel_chart(f["funnel"], hubs=["finance", "sales"]),
    "stalled_chart": lambda f: charts.stalled_chart(f["bottlenecks"]),
    "aging_chart": lambda f: charts.aging_chart(f["bottlenecks"]),
    "health_trend_chart": lambda f: charts.health_trend_chart(
        f["health_trend"], f["recorded_health"], f["health_arrows"]
    ),
    "health_change_chart": lambda f: charts.health_change_chart(f["health_arrows"]),
    "health_components_chart": lambda f: charts.health_components_chart(f["health"]),
    "change_dumbbell": lambda f: charts.change_dumbbell(f["changes"]),
    "change_verdicts": lambda f: charts.change_verdicts(f["changes"]),
    "did_chart": lambda f: charts.did_chart(f["changes"]),
    "lead_time_chart": lambda f: charts.lead_time_chart(f["changes"]),
    "evaluation_scores_chart": lambda f: charts.evaluation_scores_chart(f["changes"]),
}


# ----------------------------------------------------------------------------- spec walking
def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _datasets(spec: dict[str, Any]) -> list[list[dict[str, Any]]]:
    found = [
        n["values"] for n in _walk(spec) if isinstance(n.get("values"), list) and "mark" not in n
    ]
    found += list(spec.get("datasets", {}).values())
    return [v for v in found if v and isinstance(v[0], dict)]


def _views(node: Any) -> Iterator[list[dict[str, Any]]]:
    """The encodings of each view: a layer group's layers share their axes."""
    if isinstance(node, dict):
        if "layer" in node:
            yield [
                n["encoding"] for n in _walk(node["layer"]) if isinstance(n.get("encoding"), dict)
            ]
            return
        if "mark" in node and isinstance(node.get("encoding"), dict):
            yield [node["encoding"]]
            return
        for value in node.values():
            yield from _views(value)
    elif isinstance(node, list):
        for value in node:
            yield from _views(value)


def _untitled_axes(spec: dict[str, Any]) -> list[str]:
    """Positional channels drawing a field in a view where no layer decides on a title."""
    bad = []
    for encodings in _views(spec):
        for channel in ("x", "y"):
            drawn = [e[channel] for e in encodings if isinstance(e.get(channel), dict)]
            fields = [d for d in drawn if "field" in d]
            if fields and not any("title" in d for d in drawn):
                bad.append(f"{channel}:{fields[0]['field']}")
    return bad


def _title_text(spec: dict[str, Any]) -> str:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    return title if isinstance(title, str) else ""


# ----------------------------------------------------------------------------- tests
@pytest.mark.parametrize("name", list(BUILDERS))
def test_builder_on_real_frames(name: str, frames: dict[str, pl.DataFrame]) -> None:
    chart = BUILDERS[name](frames)
    assert not charts.is_empty(chart), f"{name} drew its no-data placeholder on a full world"
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    assert _title_text(spec), "a figure needs a title"
    assert not _untitled_axes(spec), f"{name}: axes without a deliberate title"
    titles = [
        e[c].get("title")
        for v in _views(spec)
        for e in v
        for c in ("x", "y")
        if isinstance(e.get(c), dict)
    ]
    assert any(titles), "at least one axis carries a title"
    assert "config" in spec, "the house style is applied"


@pytest.mark.parametrize("name", list(BUILDERS))
def test_charts_embed_aggregated_rows_only(name: str, frames: dict[str, pl.DataFrame]) -> None:
    spec = BUILDERS[name](frames).to_dict()
    datasets = _datasets(spec)
    assert datasets, "data is inline (no URL)"
    widgets, weeks = frames["friction"].height, frames["friction_history"]["as_of"].n_unique()
    for rows in datasets:
        keys = set().union(*(r.keys() for r in rows))
        assert not keys & RAW_COLUMNS, f"raw columns {keys & RAW_COLUMNS} in {name}"
        assert len(rows) <= widgets * weeks, (
            f"{name} embeds {len(rows)} rows: more than one per widget-week"
        )
    assert "url" not in json.dumps([n.get("data", {}) for n in _walk(spec)])


def test_heatmap_options(frames: dict[str, pl.DataFrame]) -> None:
    history = frames["friction_history"]
    spec = charts.friction_heatmap(history, top_n=3).to_dict()
    (rows,) = _datasets(spec)
    assert len({r["widget"] for r in rows}) == 3
    latest = frames["friction"].sort(["score", "widget_name"], descending=[True, False])
    assert rows[0]["score"] is not None and max(r["score"] for r in rows) >= int(latest["score"][0])
    spec = charts.friction_heatmap(history, hubs=["people"], top_n=None).to_dict()
    (rows,) = _datasets(spec)
    assert {r["hub_slug"] for r in rows} == {"people"}
    assert len({r["widget"] for r in rows}) == 5
    tooltip = {t["field"] for n in _walk(spec) for t in n.get("encoding", {}).get("tooltip", [])}
    assert {
        "annotation_points",
        "error_points",
        "regression_points",
        "stale_points",
        "annotation_count",
        "error_event_count",
        "interaction_count",
    } <= tooltip
    legend_scale = next(
        n["encoding"]["color"]["scale"]
        for n in _walk(spec)
        if n.get("encoding", {}).get("color", {}).get("field") == "band"
    )
    assert legend_scale["domain"] == ["green", "yellow", "amber", "red"]


@pytest.mark.parametrize("name", list(BUILDERS))
def test_empty_frames_give_placeholders(name: str, frames: dict[str, pl.DataFrame]) -> None:
    empty = {key: frame.clear() for key, frame in frames.items()}
    chart = BUILDERS[name](empty)
    assert charts.is_empty(chart)
    spec = chart.to_dict()
    assert _title_text(spec)
    (rows,) = _datasets(spec)
    assert "no" in rows[0]["message"].lower()


def test_filters_to_nothing_give_placeholders(frames: dict[str, pl.DataFrame]) -> None:
    assert charts.is_empty(charts.friction_heatmap(frames["friction_history"], hubs=["nowhere"]))
    assert charts.is_empty(charts.stalled_chart(frames["bottlenecks"], hubs=["nowhere"]))
    assert charts.is_empty(charts.funnel_chart(frames["funnel"], hubs=["nowhere"]))


@pytest.fixture()
def restore_renderer() -> Iterator[None]:
    before = alt.renderers.active
    yield
    alt.renderers.enable(before)


def test_default_renderer_untouched_until_enabled() -> None:
    assert alt.renderers.active == "default"


def test_report_renderer_is_offline(
    frames: dict[str, pl.DataFrame], restore_renderer: None
) -> None:
    charts.enable_report_renderer()
    assert alt.renderers.active == charts.RENDERER_NAME
    bundle = charts.friction_heatmap(frames["friction_history"], top_n=5)._repr_mimebundle_()
    mime = bundle[0] if isinstance(bundle, tuple) else bundle
    html = mime["text/html"]
    assert html.startswith('<figure class="ihub-figure">\n<div class="ihub-chart" role="img"')
    assert '<div id="ihub-chart-' in html
    assert 'vegaEmbed(el, spec, {actions: false, renderer: "svg"' in html
    lowered = html.lower()
    for forbidden in ("http:", "https:", "cdn", "//cdn", "<script src", "$schema"):
        assert forbidden not in lowered, forbidden
    assert "</script>" not in html[html.index("<script>") + 8 : html.rindex("</script>")]
    # two charts on one page get distinct elements
    other = charts.stalled_chart(frames["bottlenecks"])._repr_mimebundle_()
    other_html = (other[0] if isinstance(other, tuple) else other)["text/html"]
    assert _chart_id(html) != _chart_id(other_html)


def _chart_id(html: str) -> str:
    return html.split('<div id="', 1)[1].split('"', 1)[0]


def test_report_html_escapes_script_endings() -> None:
    html = charts.report_html({"title": "</script><script>alert(1)</script>", "mark": "point"})
    assert html.count("</script>") == 1


def test_javascript_bundle_is_cached_and_self_contained() -> None:
    bundle = charts.javascript_bundle()
    assert charts.javascript_bundle() is bundle
    assert len(bundle) > 500_000
    assert "window.vegaEmbed" in bundle
    assert "vg-tooltip" in bundle, "vega-embed's tooltip handler is bundled"
    assert "</script" not in bundle.lower()


def test_placeholder_chart_is_marked() -> None:
    chart = charts.no_data_chart("A title", "No data here.")
    assert charts.is_empty(chart)
    assert not charts.is_empty(alt.Chart(alt.Data(values=[{"a": 1}])).mark_point())
