"""Offline rendering of charts in reports: a ``<div>`` and ``<script>`` per chart, one bundle."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Mapping
from typing import Any

import altair as alt

RENDERER_NAME = "ihub_report"


def _script_safe(text: str) -> str:
    """JSON that can sit inside a ``<script>`` element."""
    return (
        text.replace("</", "<\\/")
        .replace("<!--", "<\\!--")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def report_html(spec: Mapping[str, Any]) -> str:
    """The HTML for one chart: a ``<div>`` and a script handing the spec to ``vegaEmbed``.

    The global ``vegaEmbed`` comes from :func:`javascript_bundle`, injected once per
    page by the report pipeline (before or after the charts: the script waits for
    the page to load when it is not there yet).  No URL appears in the output.
    """
    body = {k: v for k, v in spec.items() if k != "$schema"}  # the schema URL is not needed offline
    element = f"ihub-chart-{uuid.uuid4().hex[:16]}"
    payload = _script_safe(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    )
    return (
        f'<div id="{element}" class="ihub-chart"></div>\n'
        "<script>\n"
        "(function () {\n"
        f'  var el = document.getElementById("{element}");\n'
        f"  var spec = {payload};\n"
        "  function draw() {\n"
        '    vegaEmbed(el, spec, {actions: false, renderer: "svg", mode: "vega-lite"})\n'
        "      .catch(function (err) {\n"
        '        el.textContent = "This chart could not be drawn: " + err;\n'
        "      });\n"
        "  }\n"
        '  if (typeof vegaEmbed === "function") { draw(); }\n'
        '  else { window.addEventListener("load", function () {\n'
        '    if (typeof vegaEmbed === "function") { draw(); }\n'
        "    else {\n"
        '      el.textContent = "Charts need the report\'s embedded script, which is missing.";\n'
        "    }\n"
        "  }); }\n"
        "})();\n"
        "</script>"
    )


def _report_renderer(spec: dict[str, Any], **metadata: Any) -> dict[str, str]:
    return {"text/html": report_html(spec)}


def enable_report_renderer() -> None:
    """Register and enable the offline renderer (reports); JupyterLab needs no call."""
    if RENDERER_NAME not in alt.renderers.names():
        alt.renderers.register(RENDERER_NAME, _report_renderer)
    alt.renderers.enable(RENDERER_NAME)


def _vegalite_version() -> str | None:
    parts = str(getattr(alt, "VEGALITE_VERSION", "")).split(".")
    return f"{parts[0]}.{parts[1]}" if len(parts) >= 2 else None


@functools.cache
def javascript_bundle() -> str:
    """Vega, Vega-Lite (Altair's version) and Vega-Embed (with vega-tooltip) as one script.

    About 900 KB, defining the globals ``vegaEmbed``, ``vega`` and ``vegaLite``;
    meant to be inlined once per HTML page.  Computed once per process.
    """
    import vl_convert

    version = _vegalite_version()
    try:
        return (
            vl_convert.javascript_bundle(vl_version=version)
            if version
            else vl_convert.javascript_bundle()
        )
    except ValueError:  # vl-convert lacks Altair's exact minor version: use its latest
        return vl_convert.javascript_bundle()
