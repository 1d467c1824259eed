"""``python -m benchmarks``: the full ladder (``make bench``) or ``--quick`` (``make bench-quick``).

The full run waits for a quiet machine (1-minute load average below
``--wait-load``), writes ``benchmarks/results/latest.json`` and regenerates
``docs/performance.md`` from it.  ``--quick`` runs every section at tiny sizes
once and writes to a temporary path (never over the committed results).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from benchmarks import docgen
from benchmarks.common import REPO, wait_for_quiet
from benchmarks.suite import DEFAULT_OUTPUT, collect, full_config, quick_config


def _events(text: str) -> int:
    text = text.strip().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (about a minute)")
    p.add_argument(
        "--output",
        type=Path,
        help="results JSON (default: results/latest.json; --quick: a file in the temp directory)",
    )
    p.add_argument(
        "--doc",
        type=Path,
        help="markdown to regenerate (default: docs/performance.md; --quick: beside --output)",
    )
    p.add_argument("--no-doc", action="store_true", help="write the JSON only")
    p.add_argument("--sizes", help="comma-separated event counts, e.g. 100k,1M")
    p.add_argument("--pg-max-events", type=_events, help="largest size with Postgres steps")
    p.add_argument(
        "--wait-load",
        type=float,
        default=None,
        help="wait for the 1-min load average to drop below this (full run: 1.5)",
    )
    p.add_argument("--max-wait", type=float, default=1800.0, help="give up waiting after N s")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    cfg = quick_config() if args.quick else full_config()
    if args.sizes:
        cfg.sizes = sorted(_events(s) for s in args.sizes.split(","))
        cfg.snapshot_sizes = cfg.report_sizes = [max(cfg.sizes)] if args.quick else cfg.sizes
    if args.pg_max_events is not None:
        cfg.pg_max_events = args.pg_max_events
    if args.output:
        output = args.output
    elif args.quick:
        output = Path(tempfile.gettempdir()) / f"ihub-bench-quick-{os.getpid()}.json"
    else:
        output = DEFAULT_OUTPUT
    doc = (
        None
        if args.no_doc
        else args.doc
        or (output.with_suffix(".md") if args.quick else REPO / "docs" / "performance.md")
    )
    threshold = args.wait_load if args.wait_load is not None else (None if args.quick else 1.5)
    if threshold:
        cfg.extra["quiet_wait"] = wait_for_quiet(threshold, args.max_wait)
    result = collect(cfg, argv)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    tmp.replace(output)
    print(f"bench: results in {output}", file=sys.stderr)
    if doc is not None:
        docgen.write(result, doc, results_path=output)
        print(f"bench: {doc} regenerated", file=sys.stderr)
    for err in result["errors"]:
        print(f"bench: FAILED {err['where']}: {err['error'].splitlines()[0]}", file=sys.stderr)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
