"""Offline rendering of charts in reports: a ``<div>`` and ``<script>`` per chart, one bundle."""

from __future__ import annotations

import functools
import html
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import altair as alt

RENDERER_NAME = "ihub_report"


def _script_safe(text: str) -> str:
    """JSON that can sit inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` become JSON escapes, so no ``</script>``, ``<!--`` or
    ``]]>`` from the data can end the element or change how it is parsed; U+2028
    and U+2029 likewise, which older JavaScript parsers take for line ends.
    JSON has these characters only inside strings, where the escapes mean the same.
    """
    return text.translate(_SCRIPT_ESCAPES)


_SCRIPT_ESCAPES = {ord(c): f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029"}


def report_html(spec: Mapping[str, Any]) -> str:
    """The HTML for one chart: a ``<figure>`` holding the chart, its text alternative and data.

    The chart is a ``<div>`` and a script handing the spec to ``vegaEmbed``; the
    global ``vegaEmbed`` comes from :func:`javascript_bundle`, injected once per
    page by the report pipeline (before or after the charts: the script waits for
    the page to load when it is not there yet).  No URL appears in the output.
    Screen readers get the title and the one-sentence summary the builder left in
    ``usermeta`` (see :func:`~ihub_analysis.charts.base.describe`); everyone gets
    the summary as the caption and the chart's data as a table one click away.
    """
    meta = _text_alternative(spec)
    # neither the schema URL nor the text alternative is needed by Vega
    body = {k: v for k, v in spec.items() if k not in ("$schema", "usermeta")}
    key = uuid.uuid4().hex[:16]
    element = f"ihub-chart-{key}"
    payload = _script_safe(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    )
    label = meta.title or meta.summary
    # the caption repeats the title for screen readers only (it is drawn in the chart)
    hidden = f'<span class="ihub-visually-hidden">{_esc(meta.title)}. </span>' if meta.title else ""
    return (
        '<figure class="ihub-figure">\n'
        # Vega gives its own element a role and label: the image role sits on a wrapper
        f'<div class="ihub-chart" role="img" aria-label="{_esc(label)}">'
        f'<div id="{element}" class="ihub-chart-view"></div></div>\n'
        f'<figcaption id="{element}-caption" class="ihub-figure-caption">'
        f"{hidden}{_esc(meta.summary)}"
        "</figcaption>\n"
        f"{_data_table(meta, element)}"
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
        "</script>\n"
        "</figure>"
    )


@dataclass(frozen=True)
class TextAlternative:
    """What a chart says in words: its title, one sentence, and the rows it draws."""

    title: str
    summary: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()


def _title_text(spec: Mapping[str, Any]) -> str:
    title = spec.get("title")
    if isinstance(title, Mapping):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title) if title else ""


def _text_alternative(spec: Mapping[str, Any]) -> TextAlternative:
    """The builder's text alternative, or the best a chart without one allows."""
    title = _title_text(spec)
    meta = spec.get("usermeta")
    ihub = meta.get("ihub") if isinstance(meta, Mapping) else None
    if not isinstance(ihub, Mapping):
        ihub = {}
    summary = str(ihub.get("summary") or ihub.get("message") or spec.get("description") or "")
    if not summary:
        summary = "A chart without a written summary."
    columns = tuple(str(c) for c in ihub.get("columns") or ())
    rows = tuple(tuple(r) for r in ihub.get("rows") or ()) if columns else ()
    return TextAlternative(title, summary, columns, rows)


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _cell(value: Any) -> tuple[str, bool]:
    """A table cell's text, and whether it is a number (right-aligned)."""
    if value is None:
        return "—", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return f"{int(value):,}", True
        return f"{value:,.2f}".rstrip("0").rstrip("."), True
    return str(value), False


def _data_table(meta: TextAlternative, element: str) -> str:
    """The chart's rows as a table inside a closed ``<details>`` (one click away)."""
    if not meta.rows:
        return ""
    numeric = [
        any(_cell(r[i])[1] for r in meta.rows)
        and all(r[i] is None or _cell(r[i])[1] for r in meta.rows)
        for i in range(len(meta.columns))
    ]
    head = "".join(
        f'<th scope="col"{_num(numeric[i])}>{_esc(c)}</th>' for i, c in enumerate(meta.columns)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td{_num(numeric[i])}>{_esc(_cell(v)[0])}</td>" for i, v in enumerate(row))
        + "</tr>"
        for row in meta.rows
    )
    name = meta.title or "this chart"
    count = f"{len(meta.rows):,} row{'s' if len(meta.rows) != 1 else ''}"
    return (
        '<details class="ihub-chart-data">'
        f"<summary>Data behind this chart ({count})</summary>\n"
        f'<div class="ihub-table-wrap" tabindex="0" role="region" '
        f'aria-label="{_esc(f"Data: {name}")}">'
        f'<table class="ihub-table" id="{element}-data"><caption>{_esc(name)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        "</details>\n"
    )


def _num(numeric: bool) -> str:
    return ' class="num"' if numeric else ""


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
