"""The Vega bundle of the reports, built once per installation instead of once per run.

vl-convert assembles Vega, Vega-Lite and Vega-Embed into one script on every
call (about a second of CPU).  The result depends only on the vl-convert
version and the Vega-Lite version Altair speaks, so it is kept in the user's
cache folder (``$XDG_CACHE_HOME/ihub-analysis``, else ``~/.cache/ihub-analysis``)
under a name holding both versions, written atomically.  Where that folder
cannot be written the bundle is simply built each time.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from ihub_analysis.atomic import temporary_sibling

#: Overrides the folder (tests; an installation that wants it elsewhere).
CACHE_DIR_ENV = "IHUB_CACHE_DIR"


def cache_dir() -> Path:
    """``$IHUB_CACHE_DIR``, else ``$XDG_CACHE_HOME/ihub-analysis``, else ``~/.cache/…``."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ihub-analysis"


def bundle_path() -> Path:
    """Where the bundle of the installed vl-convert and Altair versions is kept."""
    import altair as alt
    import vl_convert

    versions = f"vlc{vl_convert.__version__}-vl{getattr(alt, 'VEGALITE_VERSION', 'unknown')}"
    return cache_dir() / f"vega-bundle-{re.sub(r'[^0-9A-Za-z.]+', '_', versions)}.js"


@functools.cache
def cached_javascript_bundle() -> str:
    """:func:`~ihub_analysis.charts.render.javascript_bundle`, from the cache when it is there."""
    from ihub_analysis.charts.render import javascript_bundle

    path = bundle_path()
    try:
        kept = path.read_text(encoding="utf-8")
        if "vegaEmbed" in kept:  # not an emptied or foreign file
            return kept
    except (OSError, UnicodeDecodeError):
        pass
    bundle = javascript_bundle()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_sibling(path)
        try:
            tmp.write_text(bundle, encoding="utf-8")
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError:  # a read-only home: build it each time, as before
        pass
    return bundle
