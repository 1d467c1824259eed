"""What makes report start-up cheaper: imports a report never uses, the Vega bundle cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ihub_analysis.charts import bundle_cache, render
from ihub_analysis.lean import REPORT_KERNEL_ENV

PROBE = """
import json, sys
import ihub_analysis.charts as charts
import altair as alt, nbformat
chart = alt.Chart(alt.Data(values=[{"a": 1}])).mark_bar().encode(x="a:Q")
chart.to_dict(validate=True)  # altair's own schema validation still works
try:
    chart.encode(x=alt.X("a:Q", bin="nonsense")).to_dict(validate=True)
    caught = False
except Exception:
    caught = True
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
nbformat.validate(nb)
print(json.dumps({"loaded": sys.modules.get("rfc3987_syntax") is not None, "caught": caught}))
"""


def probe(env_value: str | None) -> dict[str, bool]:
    env = {k: v for k, v in os.environ.items() if k != REPORT_KERNEL_ENV}
    if env_value is not None:
        env[REPORT_KERNEL_ENV] = env_value
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_report_kernel_skips_rfc3987_syntax_and_still_validates() -> None:
    assert probe("1") == {"loaded": False, "caught": True}


def test_interactive_sessions_are_left_alone() -> None:
    pytest.importorskip("rfc3987_syntax")
    assert probe(None)["loaded"] is True
    assert probe("yes")["loaded"] is True  # only the exact value the pipeline sets


@pytest.fixture()
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(bundle_cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    bundle_cache.cached_javascript_bundle.cache_clear()
    yield tmp_path / "cache"
    bundle_cache.cached_javascript_bundle.cache_clear()


def test_bundle_built_once_then_read(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = render.javascript_bundle()
    assert bundle_cache.cached_javascript_bundle() == built
    path = bundle_cache.bundle_path()
    assert path.parent == fresh and path.read_text(encoding="utf-8") == built
    assert [p.name for p in fresh.iterdir()] == [path.name]  # no temporary file left

    def refuse() -> str:
        raise AssertionError("built again")

    monkeypatch.setattr(render, "javascript_bundle", refuse)
    bundle_cache.cached_javascript_bundle.cache_clear()
    assert bundle_cache.cached_javascript_bundle() == built


def test_a_damaged_bundle_file_is_rebuilt(fresh: Path) -> None:
    path = bundle_cache.bundle_path()
    path.parent.mkdir(parents=True)
    path.write_text("<html>not a bundle</html>", encoding="utf-8")
    assert "vegaEmbed" in bundle_cache.cached_javascript_bundle()
    assert "vegaEmbed" in path.read_text(encoding="utf-8")


def test_an_unwritable_cache_folder_still_gives_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(bundle_cache.CACHE_DIR_ENV, str(blocker / "cache"))  # parent is a file
    bundle_cache.cached_javascript_bundle.cache_clear()
    try:
        assert "vegaEmbed" in bundle_cache.cached_javascript_bundle()
    finally:
        bundle_cache.cached_javascript_bundle.cache_clear()


def test_bundle_name_holds_both_versions(fresh: Path) -> None:
    import altair as alt
    import vl_convert

    name = bundle_cache.bundle_path().name
    assert vl_convert.__version__ in name and str(alt.VEGALITE_VERSION) in name
