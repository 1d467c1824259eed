"""Turn an executed report notebook into one self-contained HTML file.

nbconvert's ``lab`` layout with a template of ours (``templates/ihub_report``)
that drops every CDN script (require.js, MathJax, mermaid, widgets) and
JupyterLab's stylesheet, inlines our stylesheet and — once per page, only if a
chart needs it — the Vega bundle the charts' ``vegaEmbed`` calls expect.
Code, prompts and the parameters cells are not exported; stderr output stays
in the audit notebook only.
"""

from __future__ import annotations

import copy
import functools
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import nbformat
from nbconvert import HTMLExporter
from traitlets.config import Config

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "ihub_report"
#: Cells not to show: Papermill's injected parameters and the notebook's own defaults.
HIDDEN_CELL_TAGS = ("parameters", "injected-parameters")
#: The call by which a chart's inline script draws itself.
CHART_CALL = "vegaEmbed("


@functools.cache
def jinja() -> jinja2.Environment:
    """The environment of our own (non-nbconvert) templates, HTML-escaping by default."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def stylesheet() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


@functools.cache
def vega_bundle() -> str:
    """The charts' Vega/Vega-Lite/vega-embed bundle, safe inside a ``<script>`` element."""
    from ihub_analysis.charts.bundle_cache import cached_javascript_bundle

    return cached_javascript_bundle().replace("</script", "<\\/script")


def render_footer(context: dict[str, Any]) -> str:
    return jinja().get_template("footer.html.j2").render(**context)


def _ours_autoescaped(environment: jinja2.Environment) -> Callable[[str | None], bool]:
    """Autoescape for nbconvert's environment: on in every template of ours.

    nbconvert's own templates insert the notebook's HTML outputs as they are (our
    notebooks escape what they show); ours insert text from the data and the
    command line, which must never become markup.
    """

    def select(name: str | None) -> bool:
        if name is None or environment.loader is None:
            return False
        try:
            _, filename, _ = environment.loader.get_source(environment, name)
        except jinja2.TemplateNotFound:
            return False
        return filename is not None and Path(filename).resolve().is_relative_to(TEMPLATES)

    return select


_THREAD = threading.local()


def _exporter() -> HTMLExporter:
    """This thread's exporter: its templates compile once (about a second each time),
    and an exporter is not safe to share between threads (it registers filters per call)."""
    exporter = getattr(_THREAD, "exporter", None)
    if exporter is None:
        exporter = _THREAD.exporter = _new_exporter()
    return exporter


def _new_exporter() -> HTMLExporter:
    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = set(HIDDEN_CELL_TAGS)
    config.HTMLExporter.exclude_input = True
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.exclude_anchor_links = True
    config.HTMLExporter.embed_images = True
    config.CSSHTMLHeaderPreprocessor.enabled = False  # code-highlighting CSS: no code is shown
    exporter = HTMLExporter(
        config=config,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES)],
    )
    environment = exporter.environment
    environment.autoescape = _ours_autoescaped(environment)
    return exporter


def _presentable(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without stderr streams (warnings belong in the audit notebook, not the report)."""
    shown = copy.deepcopy(nb)
    for cell in shown.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.output_type == "stream" and o.get("name") == "stderr")
            ]
    return shown


def draws_charts(nb: nbformat.NotebookNode) -> bool:
    """Whether any output calls ``vegaEmbed`` (then the page needs the bundle)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            text = "".join(html) if isinstance(html, list) else html
            if CHART_CALL in text:
                return True
    return False


def notebook_html(
    nb: nbformat.NotebookNode, *, name: str, title: str, subtitle: str, footer: str
) -> str:
    """The report page of executed notebook ``nb``.

    The Vega bundle goes in after nbconvert is done: its HTML exporter parses and
    re-serialises the whole page (to add ``alt`` and ``tabindex`` attributes), and
    the bundle would be most of that work while nothing in it is touched.  A
    random placeholder in the page's head stands in for it meanwhile.
    """
    shown = _presentable(nb)
    placeholder = f"/* ihub-vega-bundle {uuid.uuid4().hex} */" if draws_charts(shown) else ""
    resources = {
        "metadata": {"name": f"{title} — Inter-Hub"},
        "ihub": {  # text is escaped by the template; Markup is ours and inserted as is
            "name": name,
            "subtitle": subtitle,
            "css": markupsafe.Markup(stylesheet()),
            "bundle": markupsafe.Markup(placeholder),
            "footer": markupsafe.Markup(footer),
        },
    }
    body, _ = _exporter().from_notebook_node(shown, resources=resources)
    return body.replace(placeholder, vega_bundle(), 1) if placeholder else body
