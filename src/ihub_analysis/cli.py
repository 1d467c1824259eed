"""The ``ihub`` command: one entry point for data, metrics and reports.

Exit status (docs/interface.md): 0 success, 2 bad usage or bad
input (one line on stderr, never a traceback), 1 any other failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from ihub_analysis.errors import BadInput, IhubError
from ihub_analysis.redact import scrub

METRIC_KINDS = (
    "friction",
    "bottlenecks",
    "funnel",
    "health",
    "health-trend",
    "propagation",
    "changes",
)
REPORT_NAMES = ("friction", "bottlenecks", "health", "changes", "hub")
#: Upper bound of ``--events``, against typos: synthesis streams its events, so its memory stays
#: flat (measured to 100M, docs/performance.md); time and file size (~40 B/event) grow linearly.
MAX_EVENTS = 1_000_000_000


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


def _one_line(message: str) -> str:
    """A message for the terminal: control characters (newlines too) shown as escapes."""
    from ihub_analysis.output import terminal_safe

    return terminal_safe(message)


def _iso_datetime(text: str) -> dt.datetime:
    from ihub_analysis.timeutil import parse_as_of

    try:
        return parse_as_of(text)
    except BadInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _baseline(text: str) -> str:
    """A --compare-to value, checked for form here; resolved against as-of later."""
    from ihub_analysis.metrics.compare import is_relative

    if not is_relative(text):
        try:
            _iso_datetime(text)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(
                f"invalid baseline {text!r}: use ISO 8601 (2026-10-01T00:00:00Z) "
                "or a relative form such as -28d, -4w, -12h"
            ) from None
    return text


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _event_count(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_EVENTS:
        raise argparse.ArgumentTypeError(f"at most {MAX_EVENTS:,} events, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"seed must be from 0 to 2**63 - 1, got {text!r}")
    return value


def _add_source(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--source",
        metavar="S",
        help="DuckDB file, postgresql:// URL, parquet:DIR or spark:DIR "
        "(default: $IHUB_SOURCE, else data/demo.duckdb)",
    )


def _add_settings(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("metric settings (defaults and bounds: docs/metrics.md)")
    g.add_argument(
        "--as-of",
        type=_iso_datetime,
        metavar="ISO",
        help="evaluate as of this UTC time (default: snapshot taken_at, or now() live)",
    )
    g.add_argument(
        "--compare-to",
        type=_baseline,
        metavar="WHEN",
        help="baseline to compare with: ISO time or relative to as-of, e.g. -28d, -4w "
        "(default for reports: compare_days before as-of)",
    )
    g.add_argument("--window-days", type=_positive_int, metavar="N", help="window W in days (30)")
    g.add_argument("--weeks", type=_positive_int, metavar="N", help="health-trend points (12)")
    g.add_argument("--cohort-days", type=_positive_int, metavar="N", help="funnel cohort (90)")
    g.add_argument(
        "--report-days", type=_positive_int, metavar="N", help="change-evaluation range (90)"
    )
    g.add_argument(
        "--min-volume", type=_positive_int, metavar="N", help="error-rate denominator floor (20)"
    )
    g.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        dest="settings",
        help="any other setting, e.g. --set error_event_types=error,crash "
        "(repeatable; names in docs/metrics.md)",
    )


def _settings_overrides(args: argparse.Namespace) -> dict[str, Any]:
    from ihub_analysis.settings import Settings

    overrides: dict[str, Any] = {}
    for assignment in args.settings:
        name, value = Settings.parse_assignment(assignment)
        overrides[name] = value
    for name in ("window_days", "weeks", "cohort_days", "report_days", "min_volume"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    Settings().replace(**overrides)  # validate early: one clear error before any work
    return overrides


def build_parser() -> argparse.ArgumentParser:
    from ihub_analysis import __version__

    parser = _Parser(
        prog="ihub",
        description="Analytical workbench for the Inter-Hub governance database: friction, "
        "bottleneck, funnel, health, propagation and change-evaluation metrics, rendered as "
        "self-contained HTML reports. Sources are opened read-only.",
        epilog="Start with `ihub demo`, then `ihub metrics friction`. Exit status: 0 ok, "
        "2 bad usage or input, 1 other failure.",
    )
    parser.add_argument("--version", action="version", version=f"ihub-analysis {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser(
        "demo",
        help="make the demo snapshot (if missing) and render every report",
        description="Create data/demo.duckdb from synthetic data if it is missing, "
        "then render every report into reports/.",
    )
    p.add_argument(
        "--events",
        type=_event_count,
        metavar="N",
        help="interaction events in the demo data (default 500000, at most 50000000)",
    )
    p.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="report directory (default reports/)"
    )
    p.add_argument(
        "--refresh", action="store_true", help="regenerate data/demo.duckdb even if it exists"
    )
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser(
        "synth",
        help="deterministic synthetic Inter-Hub data",
        description="Generate deterministic synthetic Inter-Hub data into a new "
        "DuckDB file (--out) or a Postgres database that has the schema (--pg).",
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, metavar="FILE.duckdb", help="write a DuckDB file")
    target.add_argument("--pg", metavar="URL", help="load a Postgres database (see ihub db init)")
    p.add_argument(
        "--events",
        type=_event_count,
        default=500_000,
        metavar="N",
        help="interaction events; everything else scales with it (500000, at most 50000000)",
    )
    p.add_argument("--seed", type=_seed, default=7, metavar="N", help="random seed (7)")
    p.add_argument(
        "--end",
        type=_iso_datetime,
        metavar="ISO",
        help="end of the generated history, UTC (default 2026-11-01T00:00:00Z)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="accepted for compatibility: an existing --out file is always replaced "
        "atomically, as by ihub snapshot",
    )
    p.set_defaults(func=_cmd_synth)

    p = sub.add_parser(
        "db",
        help="database administration for tests and demos",
        description="Database administration for tests and demos.",
    )
    dbsub = p.add_subparsers(dest="db_command", metavar="ACTION", parser_class=_Parser)
    dbsub.required = True
    pi = dbsub.add_parser(
        "init",
        help="create the Inter-Hub schema in an empty Postgres database",
        description="Create the Inter-Hub schema (sql/schema/) in an empty "
        "Postgres database. Refuses a database that already has tables.",
    )
    pi.add_argument("url", metavar="URL", help="postgresql://user@host:port/dbname")
    pi.add_argument(
        "--phase",
        type=int,
        default=7,
        metavar="N",
        help="stop after phase N (1-7) to mimic an older deployment (7)",
    )
    pi.add_argument(
        "--create",
        action="store_true",
        help="create the database first if it does not exist (connects to 'postgres' to do so)",
    )
    pi.set_defaults(func=_cmd_db_init)

    p = sub.add_parser(
        "snapshot",
        help="consistent, typed copy of a live database into DuckDB",
        description="Copy every Inter-Hub table of SOURCE_URL in one read-only "
        "REPEATABLE READ transaction into OUT.duckdb (an existing file is replaced "
        "atomically; a symbolic link keeps pointing at the new file). "
        "Credentials (users.password_hash, hubs.api_key) are not copied.",
    )
    p.add_argument("source", metavar="SOURCE_URL", help="postgresql://user@host:port/dbname")
    p.add_argument("out", type=Path, metavar="OUT.duckdb")
    p.add_argument(
        "--refresh",
        action="store_true",
        help="bring an existing snapshot OUT of SOURCE_URL up to date, copying only "
        "new interaction events where the source proves that safe (else: all again)",
    )
    p.set_defaults(func=_cmd_snapshot)

    p = sub.add_parser(
        "export",
        help="export every Inter-Hub table to an exchange format",
        description="Export every Inter-Hub table to files other engines read.",
    )
    exsub = p.add_subparsers(dest="export_format", metavar="FORMAT", parser_class=_Parser)
    exsub.required = True
    pe = exsub.add_parser(
        "parquet",
        help="every table as Parquet (events partitioned by day), for DuckDB or Spark",
        description="Write every Inter-Hub table of SOURCE (a DuckDB file or a postgresql:// "
        "URL, read as one consistent snapshot) as Parquet into DIR: one folder per table, "
        "interaction_events partitioned by UTC day (day=YYYY-MM-DD), and _ihub_meta.json "
        "with taken_at, row counts and the schema fingerprint. DIR appears complete or not "
        "at all; a previous export there is replaced. Credentials are not copied. "
        "Read it back with --source parquet:DIR (DuckDB) or spark:DIR (Apache Spark).",
    )
    pe.add_argument("source", metavar="SOURCE", help="DuckDB file or postgresql:// URL")
    pe.add_argument("out", type=Path, metavar="DIR")
    pe.set_defaults(func=_cmd_export_parquet)

    p = sub.add_parser(
        "metrics",
        help="compute one metric and print it",
        description="Compute one metric (defined in docs/metrics.md) and print it as "
        "a table, CSV or JSON with the columns listed in docs/interface.md.",
    )
    p.add_argument(
        "kind", choices=METRIC_KINDS, metavar="KIND", help=f"one of: {', '.join(METRIC_KINDS)}"
    )
    _add_source(p)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="write to FILE instead of standard output (a regular file is replaced "
        "atomically; a FIFO or device such as /dev/stdout is written in place)",
    )
    _add_settings(p)
    p.set_defaults(func=_cmd_metrics)

    p = sub.add_parser(
        "report",
        help="render reports to self-contained HTML",
        description="Execute the report notebooks with Papermill and export "
        "self-contained HTML (no network needed to view them) plus "
        "reports/index.html.",
    )
    p.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"reports to render: {', '.join(REPORT_NAMES)} (default: all)",
    )
    _add_source(p)
    p.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="output directory (reports/)"
    )
    p.add_argument(
        "--jobs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="reports rendered in parallel (default: number of cores)",
    )
    p.add_argument(
        "--archive",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep every run: write to DIR/<as-of>/ and update DIR/index.html and DIR/latest "
        "(default: $IHUB_ARCHIVE when --out is not given)",
    )
    p.add_argument(
        "--hub",
        action="append",
        default=[],
        metavar="SLUG",
        dest="hubs",
        help="render the dossier of this hub (repeatable; implies the report name hub)",
    )
    _add_log_options(p)
    _add_settings(p)
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "archive",
        help="manage a report archive (see ihub report --archive)",
        description="Manage a report archive written by ihub report --archive.",
    )
    asub = p.add_subparsers(dest="archive_command", metavar="ACTION", parser_class=_Parser)
    asub.required = True
    pp = asub.add_parser(
        "prune",
        help="remove old runs",
        description="Remove the runs beyond the newest N (--keep) and/or those whose as-of "
        "is older than DAYS (--older-than), then rewrite the index and latest.",
    )
    pp.add_argument("archive", type=Path, metavar="DIR")
    pp.add_argument("--keep", type=_positive_int, metavar="N", help="keep the newest N runs")
    pp.add_argument(
        "--older-than", type=_positive_int, metavar="DAYS", help="remove runs older than DAYS"
    )
    pp.add_argument("--dry-run", action="store_true", help="list what would be removed")
    pp.set_defaults(func=_cmd_archive_prune)
    return parser


def _add_log_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log records on stderr: text lines (timed when not on a terminal) or JSON lines",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="log errors only")


def _resolve_source(args: argparse.Namespace) -> str:
    from ihub_analysis.paths import default_source

    return default_source() if args.source is None else args.source


def _check_source(text: str) -> None:
    """Refuse a malformed source string before anything is computed or written.

    A Postgres URL's parameters (from its one parse, the one that connects) are
    checked by libpq's own rules (psycopg), so an unknown query parameter or a bad
    value is a one-line error (exit 2), not a failure mid-run.
    """
    import psycopg
    from psycopg.conninfo import make_conninfo

    from ihub_analysis.errors import SourceError
    from ihub_analysis.sources import parse_source

    if not text.strip():
        raise SourceError("empty source: give a DuckDB file or a postgresql:// URL")
    spec = parse_source(text)
    if spec.kind == "postgres":
        try:
            make_conninfo("", **spec.connect_kwargs())
        except psycopg.Error as exc:
            reason = scrub(str(exc), text).strip().splitlines()
            raise SourceError(
                f"invalid Postgres URL {spec.display}: {reason[0] if reason else 'unreadable'}"
            ) from None


def _check_environment() -> None:
    """Settings from the environment are input too: check them up front."""
    timeout = os.environ.get("IHUB_CONNECT_TIMEOUT")
    if timeout is not None and not timeout.strip().isdigit():
        raise BadInput(f"IHUB_CONNECT_TIMEOUT must be a whole number of seconds, got {timeout!r}")
    if os.environ.get("IHUB_STATEMENT_TIMEOUT") is not None:
        from ihub_analysis.sources import resolve_statement_timeout

        resolve_statement_timeout()


def _progress_wanted() -> bool:
    return sys.stderr.isatty()


def _warn_about_time(wb: Any, as_of: dt.datetime | None) -> None:
    """One ``ihub: warning:`` line per time problem (as-of outside the data, stale live data)."""
    from ihub_analysis.freshness import check_time

    for warning in check_time(wb, as_of):
        print(f"ihub: warning: {warning}", file=sys.stderr)


def _check_out_dir(out: Path | None) -> None:
    """A report folder may be created, but not over a file or inside one."""
    if out is None:
        return
    try:
        if out.exists() and not out.is_dir():
            raise BadInput(f"--out {out} exists and is not a directory")
    except OSError as exc:
        raise BadInput(f"--out {out}: {exc.strerror}") from None
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise BadInput(f"--out {out}: Not a directory")


def _cmd_demo(args: argparse.Namespace) -> int:
    from ihub_analysis.lean import skip_unused_imports
    from ihub_analysis.paths import DEFAULT_DEMO_SOURCE

    skip_unused_imports(force=True)  # this process renders reports: see ihub_analysis.lean
    from ihub_analysis.reports import run_demo

    _check_out_dir(args.out)  # before the demo data is made
    if args.refresh or not DEFAULT_DEMO_SOURCE.exists():
        DEFAULT_DEMO_SOURCE.parent.mkdir(exist_ok=True)  # data/ is the demo's own folder
    return run_demo(events=args.events, out_dir=args.out, refresh=args.refresh)


def _cmd_synth(args: argparse.Namespace) -> int:
    from ihub_analysis import synth
    from ihub_analysis.atomic import check_output

    end = args.end or synth.DEFAULT_END
    if args.out is not None:
        check_output(args.out, stream_ok=False)  # the policy of ihub snapshot
        result = synth.synthesize_duckdb(
            args.out, events=args.events, seed=args.seed, end=end, progress=_progress_wanted()
        )
    else:
        result = synth.synthesize_postgres(
            args.pg, events=args.events, seed=args.seed, end=end, progress=_progress_wanted()
        )
    print(result.describe())
    return 0


def _cmd_db_init(args: argparse.Namespace) -> int:
    from ihub_analysis.dbinit import init_database
    from ihub_analysis.redact import redact_source

    tables = init_database(args.url, up_to_phase=args.phase, create=args.create)
    print(
        f"created {len(tables)} Inter-Hub tables (phases 1-{args.phase}) "
        f"in {redact_source(args.url)}"
    )
    return 0


def _cmd_snapshot(args: argparse.Namespace) -> int:
    from ihub_analysis.atomic import check_output
    from ihub_analysis.snapshot import take_snapshot
    from ihub_analysis.snapshot_refresh import refresh_snapshot

    check_output(args.out, stream_ok=False)  # before connecting: nothing to undo
    take = refresh_snapshot if args.refresh else take_snapshot
    result = take(args.source, args.out, progress=_progress_wanted())
    print(result.describe())
    return 0


def _cmd_export_parquet(args: argparse.Namespace) -> int:
    from ihub_analysis.parquet_export import export_parquet

    result = export_parquet(args.source, args.out, progress=_progress_wanted())
    print(result.describe())
    return 0


def _cmd_metrics(args: argparse.Namespace) -> int:
    from ihub_analysis.atomic import check_output, write_text_output
    from ihub_analysis.output import render_frame
    from ihub_analysis.workbench import connect

    overrides = _settings_overrides(args)
    if args.compare_to is not None:
        from ihub_analysis.metrics.compare import comparison

        comparison(args.kind)  # a metric without a comparison is bad usage, before any work
    target = None if args.output is None else check_output(args.output, stream_ok=True)
    with connect(_resolve_source(args)) as wb:
        _warn_about_time(wb, args.as_of)
        if args.compare_to is None:
            frame = wb.metric(args.kind, as_of=args.as_of, **overrides)
        else:
            frame = wb.compare(args.kind, as_of=args.as_of, baseline=args.compare_to, **overrides)
    text = render_frame(frame, args.format)
    if target is not None:
        write_text_output(target, text)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    # usage errors first: they must not depend on the (heavy) report machinery
    unknown = [n for n in args.names if n not in REPORT_NAMES]
    if unknown:
        raise BadInput(
            f"unknown report {', '.join(unknown)} (choose from {', '.join(REPORT_NAMES)})"
        )
    overrides = _settings_overrides(args)
    _check_out_dir(args.out)

    from ihub_analysis.freshness import check_time
    from ihub_analysis.lean import skip_unused_imports

    skip_unused_imports(force=True)  # this process renders reports: see ihub_analysis.lean
    from ihub_analysis.reports import render_reports
    from ihub_analysis.reports.archive import ARCHIVE_ENV, check_archive
    from ihub_analysis.reports.runlog import RunLog
    from ihub_analysis.workbench import connect

    if args.archive is not None and args.out is not None:
        raise BadInput("give --out or --archive, not both")
    archive = args.archive
    if archive is None and args.out is None and os.environ.get(ARCHIVE_ENV):
        archive = Path(os.environ[ARCHIVE_ENV])
    if archive is not None:
        check_archive(archive)  # bad input before the source is opened
    log = RunLog(fmt=args.log_format, quiet=args.quiet)
    with connect(_resolve_source(args)) as wb:
        for warning in check_time(wb, args.as_of):  # as log records: JSON lines stay JSON
            log.record("warning", f"ihub: warning: {warning}", level="warning")
    return render_reports(
        list(dict.fromkeys(args.names)),
        source=_resolve_source(args),
        as_of=args.as_of,
        out_dir=args.out,
        overrides=overrides,
        jobs=args.jobs,
        compare_to=args.compare_to,
        hubs=args.hubs,
        archive_dir=archive,
        log=log,
    )


def _cmd_archive_prune(args: argparse.Namespace) -> int:
    from ihub_analysis.reports.archive import prune

    removed = prune(
        args.archive, keep=args.keep, older_than_days=args.older_than, dry_run=args.dry_run
    )
    verb = "would remove" if args.dry_run else "removed"
    for run in removed:
        print(f"{verb} {run.folder}")
    print(f"{verb} {len(removed)} run{'s' if len(removed) != 1 else ''} from {args.archive}")
    return 0


def _attach_relative_baseline(argv: Sequence[str]) -> list[str]:
    """``--compare-to -28d`` → ``--compare-to=-28d``: argparse takes ``-28d`` for an option."""
    from ihub_analysis.metrics.compare import is_relative

    out: list[str] = []
    for arg in argv:
        if out and out[-1] == "--compare-to" and is_relative(arg):
            out[-1] = f"--compare-to={arg}"
        else:
            out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ihub``; return the exit status (also used by tests)."""
    parser = build_parser()
    try:
        args = parser.parse_args(_attach_relative_baseline(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help, --version and usage errors end here
        return exc.code if isinstance(exc.code, int) else 2
    func: Callable[[argparse.Namespace], int] = args.func
    source_text = (
        getattr(args, "source", None) or getattr(args, "pg", None) or getattr(args, "url", None)
    )
    try:
        _check_environment()
        if source_text is not None or getattr(args, "source", None) is not None:
            _check_source(source_text or "")
        return func(args)
    except IhubError as exc:
        _error_line(args, f"ihub: error: {_one_line(scrub(str(exc), source_text))}")
        return exc.exit_code
    except KeyboardInterrupt:
        _error_line(args, "ihub: interrupted")
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # last resort: one line, no traceback, no secrets
        if os.environ.get("IHUB_DEBUG"):
            raise
        message = scrub(f"{type(exc).__name__}: {exc}", source_text).strip().splitlines()
        _error_line(
            args,
            f"ihub: error: {_one_line(message[0]) if message else type(exc).__name__} "
            "(set IHUB_DEBUG=1 for details)",
        )
        return 1


def _error_line(args: argparse.Namespace, message: str) -> None:
    """The one-line error, as a JSON record under ``--log-format json``."""
    if getattr(args, "log_format", "text") == "json":
        import json

        from ihub_analysis.timeutil import iso_utc

        now = iso_utc(dt.datetime.now(dt.UTC).replace(microsecond=0))
        record = {"time": now, "level": "error", "event": "error", "message": message}
        message = json.dumps(record, ensure_ascii=False)
    print(message, file=sys.stderr)


def entry() -> NoReturn:
    sys.exit(main())


if __name__ == "__main__":
    entry()
