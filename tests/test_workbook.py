"""The friction workbook (``ihub_analysis.explore``) and the notebook parameter forms.

The workbook's queries are checked against a hand-built world on both engines:
events aggregated per day and type, annotation excerpts (hostile text stays text),
deployments and candidates touching a widget, nothing at or after T.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from builder import T, World, days
from conftest import OpenWorld

from ihub_analysis import explore
from ihub_analysis import notebook as nb
from ihub_analysis.errors import BadInput

HOSTILE = (
    '<script>alert("x")</script> </script><!-- \u202eevil\u202c \x07\x1b[31m'
    + "ünïcødé 😀 "
    + "long " * 200
)


def _world() -> tuple[World, dict[str, object]]:
    w = World()
    sales, people = w.hub("sales"), w.hub("people")
    pay = w.widget(sales, "Pay", "form")
    cart = w.widget(sales, "Cart", "table")
    w.widget(people, "Leave", "form")
    quiet = w.widget(people, "Quiet", "button")
    day0 = T - days(10)
    w.events(pay, [day0 + dt.timedelta(hours=h) for h in range(5)], "click")
    w.events(pay, [day0 + dt.timedelta(hours=1), day0 + dt.timedelta(hours=2)], "error")
    w.events(pay, [day0 + days(1)], "validation_error")
    w.events(pay, [T, T + days(1)], "error")  # at and after T: never seen
    w.events(quiet, [day0], "view")
    w.annotation(pay, T - days(3), body=HOSTILE, severity="critical", category="bug")
    w.annotation(pay, T - days(4), body="fine", category="praise")
    w.annotation(pay, T - days(5), body="gone", retracted_at=T - days(1))
    w.annotation(pay, T, body="future")
    for k in range(30):
        w.annotation(cart, T - days(20) - dt.timedelta(minutes=k), body=f"note {k}")
    cand = w.candidate(pay, T - days(60), title="Fix <b>Pay</b>")
    w.candidate(pay, T + days(1), title="future candidate")
    decision = w.decision(T - days(20), candidate=cand, title="Rework Pay")
    dep = w.deployment(decision, T - days(15), version_ref="pay@2")
    w.signal(pay, dep, T - days(14))
    w.evaluation(dep, 2, T - days(5))
    late = w.deployment(decision, T - days(2), version_ref="pay@3")
    w.signal(pay, late, T)  # observed at T: not linked yet
    return w, {"pay": str(pay), "cart": str(cart), "quiet": str(quiet)}


def test_workbook_queries(open_world: OpenWorld) -> None:
    world, ids = _world()
    wb = open_world(world)
    book = explore.load(wb, T, top_n=10)
    assert book.as_of == T
    assert set(book.widgets["hub_slug"]) == {"sales", "people"}
    pay_days = book.days.filter(pl.col("widget_id") == ids["pay"])
    totals = {
        (r["day"].date().isoformat(), r["event_type"]): r["events"]
        for r in pay_days.iter_rows(named=True)
    }
    d0 = (T - days(10)).date()
    assert totals == {
        (d0.isoformat(), "click"): 5,
        (d0.isoformat(), "error"): 2,
        ((d0 + dt.timedelta(days=1)).isoformat(), "validation_error"): 1,
    }
    assert set(pay_days.filter(pl.col("is_error") == 1)["event_type"]) == {
        "error",
        "validation_error",
    }
    notes = book.annotations.filter(pl.col("widget_id") == ids["pay"]).sort("created_at")
    assert notes["retracted"].to_list() == [True, False, False]
    assert notes["is_friction"].to_list() == [True, False, True]
    text = notes["excerpt"][2]
    assert len(text) <= 110 and text.endswith("…")
    assert "\u202e" not in text and "\x07" not in text and "\x1b" not in text
    assert "future" not in notes["excerpt"].to_list()
    assert book.annotations.filter(pl.col("widget_id") == ids["cart"]).height == 25
    (dep,) = book.deployments.rows(named=True)
    assert dep["version_ref"] == "pay@2" and dep["evaluation_score"] == 2
    assert dep["decision_title"] == "Rework Pay"
    (cand,) = book.candidates.rows(named=True)
    assert cand["title"] == "Fix <b>Pay</b>" and cand["is_open"] is True
    assert book.history.height > 0 and set(book.history["as_of"]).issuperset({T})


def test_workbook_hub_filter_and_top_n(open_world: OpenWorld) -> None:
    world, _ = _world()
    wb = open_world(world)
    book = explore.load(wb, T, hubs=["people"], top_n=1)
    assert book.widgets["hub_slug"].to_list() == ["people"]
    assert set(book.days["widget_id"]) <= set(book.widgets["widget_id"].cast(pl.String))


def test_explorer_chart_is_linked_escaped_and_small(tmp_path: Path) -> None:
    world, ids = _world()
    source = world.to_duckdb(tmp_path / "w.duckdb")
    import ihub_analysis

    with ihub_analysis.connect(source) as wb:
        book = explore.load(wb, T)
        spec = explore.widget_explorer(book).to_dict()
        hubs = explore.hub_breakdown(book.friction).to_dict()
        types = explore.type_breakdown(book.friction).to_dict()
    params = {p["name"]: p for p in spec["params"]} if "params" in spec else {}
    text = json.dumps(spec)
    assert '"name": "hub"' in text and '"name": "widget"' in text
    assert "binding_select" not in text and '"input": "select"' in text
    assert ids["pay"] not in text, "widget ids stay out of the chart data (small keys instead)"
    from ihub_analysis import charts

    embedded = charts.report_html(spec)
    assert embedded.count("</script>") == 1, "annotation text cannot close the page's script"
    lines = [
        row["line"]
        for panel in spec["vconcat"]
        for row in panel.get("data", {}).get("values", [])
        if "line" in row
    ]
    assert any("Fix <b>Pay</b>" in line for line in lines), "text stays text (Vega draws no markup)"
    assert all(len(line) < 400 for line in lines)
    assert not any("\u202e" in line for line in lines)
    assert params == {} or "hub" in params
    assert hubs["mark"]["type"] == "bar" and types["layer"][0]["mark"]["type"] == "rect"
    import vl_convert

    assert "<svg" in vl_convert.vegalite_to_svg(spec)


def test_explorer_on_an_empty_database(tmp_path: Path) -> None:
    import ihub_analysis
    from ihub_analysis import charts

    source = World().to_duckdb(tmp_path / "empty.duckdb")
    with ihub_analysis.connect(source) as wb:
        book = explore.load(wb, T)
    assert book.widgets.is_empty() and book.days.is_empty()
    assert charts.is_empty(explore.widget_explorer(book))
    assert charts.is_empty(explore.hub_breakdown(book.friction))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, []),
        ("", []),
        ("sales", ["sales"]),
        ("sales,people", ["sales", "people"]),
        (" sales , people ,", ["sales", "people"]),
        ("sales people", ["sales", "people"]),
        ("[sales, people]", ["sales", "people"]),
        ('["sales"]', ["sales"]),
        (["sales", "sales", " people "], ["sales", "people"]),
        (("a-b",), ["a-b"]),
        ([], []),
    ],
)
def test_hub_list_forms(given: object, expected: list[str]) -> None:
    assert nb.hub_list(given) == expected


@pytest.mark.parametrize("given", [{"a": 1}, 3, b"sales", "[unclosed"])
def test_hub_list_rejects_nonsense(given: object) -> None:
    with pytest.raises(BadInput):
        nb.hub_list(given)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, {}),
        ("", {}),
        ({}, {}),
        ({"window_days": 14}, {"window_days": 14}),
        ('{"window_days": 14}', {"window_days": 14}),
        ("window_days: 14", {"window_days": 14}),
        ("{window_days: 14, weeks: 8}", {"window_days": 14, "weeks": 8}),
        ('{"error_event_types": ["error", "crash"]}', {"error_event_types": ["error", "crash"]}),
    ],
)
def test_settings_forms(given: object, expected: dict[str, object]) -> None:
    assert nb.settings_dict(given) == expected


@pytest.mark.parametrize("given", ["14", "[1, 2]", "{unclosed", 7, ["window_days"]])
def test_settings_rejects_nonsense(given: object) -> None:
    with pytest.raises(BadInput):
        nb.settings_dict(given)


def test_setup_normalises_and_checks_hubs(tmp_path: Path) -> None:
    world, _ = _world()
    source = world.to_duckdb(tmp_path / "w.duckdb")
    wb, as_of, used, hubs = nb.setup(
        source, None, '{"window_days": 14}', "sales, nosuch", report_mode=True
    )
    with wb:
        assert as_of == T and used.window_days == 14 and hubs == ["sales"]
        assert nb.known_hubs(wb) == ["people", "sales"]
    with pytest.raises(nb.NotebookStop, match=r"no hub 'x'; its hubs are: people, sales\."):
        nb.setup(source, None, {}, ["x"], report_mode=True)
    with pytest.raises(nb.NotebookStop, match="unknown setting"):
        nb.setup(source, None, {"windw_days": 3}, [], report_mode=True)
    with pytest.raises(nb.NotebookStop, match="settings must be a mapping"):
        nb.setup(source, None, "14", [], report_mode=True)


@pytest.fixture(autouse=True)
def _altair_renderer() -> Iterator[None]:
    """``nb.setup`` switches Altair's renderer; give the next test the one it had."""
    import altair as alt

    active = alt.renderers.active
    yield
    alt.renderers.enable(active)


def test_setup_shows_time_and_hub_notices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world, _ = _world()
    source = world.to_duckdb(tmp_path / "w.duckdb")
    shown: list[str] = []
    monkeypatch.setattr(nb, "_display_html", shown.append)
    wb, _, _, hubs = nb.setup(source, "2020-01-01", None, "people,<b>x</b>", report_mode=True)
    wb.close()
    page = "\n".join(shown)
    assert hubs == ["people"]
    assert 'data-kind="unknown-hub"' in page and "&#x27;&lt;b&gt;x&lt;/b&gt;&#x27;" in page
    assert "<b>x</b>" not in page, "a hub slug from a parameter is escaped"
    assert 'data-kind="time"' in page and "before the first event" in page
    shown.clear()
    wb, _, _, _ = nb.setup(source, None, None, None, report_mode=False)
    wb.close()
    page = "\n".join(shown)
    assert 'data-kind="time"' not in page and 'data-kind="unknown-hub"' not in page
    assert page.count('data-ihub="vega-bundle"') == 1 and "window.vegaEmbed=" in page
