"""``ihub synth``: deterministic, complete, constraint-respecting data telling the spec's stories.

Small event counts keep this fast; the story checks are plain SQL over the
generated DuckDB file, written from ``shared/spec/metrics.md`` rather than
from the generator's own code, so they test the data and not the generator's
opinion of it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import psycopg
import pytest

from ihub_analysis.cli import main
from ihub_analysis.errors import BadInput, SourceError
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.synth import (
    DEFAULT_END,
    TABLE_ORDER,
    SynthResult,
    generate,
    synthesize_duckdb,
    synthesize_postgres,
)

EVENTS = 20_000
SEED = 11
ERRORS = "event_type IN ('error', 'validation_error')"


def _synth(path: Path, *, events: int = EVENTS, seed: int = SEED) -> SynthResult:
    return synthesize_duckdb(path, events=events, seed=seed, end=DEFAULT_END, progress=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "demo.duckdb"
    _synth(path)
    return path


@pytest.fixture()
def con(demo: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(demo), read_only=True)
    connection.execute("SET TimeZone = 'UTC'")
    yield connection
    connection.close()


def _digests(path: Path) -> dict[str, str]:
    """A content hash per table, independent of row order."""
    with duckdb.connect(str(path), read_only=True) as c:
        return {
            t: c.execute(
                "SELECT md5(string_agg(CAST(r AS VARCHAR), '|' ORDER BY CAST(r AS VARCHAR))) "
                f"FROM {t} r"
            ).fetchone()[0]
            for t in TABLE_ORDER
        }


def _scalar(c: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return c.execute(sql).fetchone()[0]


# --- determinism, completeness, scaling -------------------------------------------------------


def test_same_arguments_give_identical_tables_and_another_seed_differs(
    tmp_path: Path, demo: Path
) -> None:
    again = tmp_path / "again.duckdb"
    _synth(again)
    reference = _digests(demo)
    assert _digests(again) == reference
    other = tmp_path / "other.duckdb"
    _synth(other, seed=SEED + 1)
    differing = {t for t, d in _digests(other).items() if d != reference[t]}
    assert {"users", "widgets", "annotations", "interaction_events"} <= differing


def test_every_table_has_rows_and_every_timestamp_is_before_the_end(
    con: duckdb.DuckDBPyConnection,
) -> None:
    schema = inter_hub_schema()
    assert len(schema.table_names) == 27
    for table in schema.tables:
        assert _scalar(con, f"SELECT count(*) FROM {table.name}") > 0, table.name
        for column in table.columns:
            if column.pg_type == "timestamp with time zone":
                latest = _scalar(con, f"SELECT max({column.name}) FROM {table.name}")
                assert latest is None or latest < DEFAULT_END, f"{table.name}.{column.name}"
    earliest = _scalar(con, "SELECT min(occurred_at) FROM interaction_events")
    assert dt.timedelta(days=175) < DEFAULT_END - earliest <= dt.timedelta(days=180)


def test_provenance_row_matches_the_data(con: duckdb.DuckDBPyConnection) -> None:
    taken_at, source, fingerprint, counts = con.execute(
        "SELECT taken_at, source, schema_fingerprint, CAST(row_counts AS VARCHAR) "
        "FROM ihub_snapshot_meta"
    ).fetchone()
    assert taken_at == DEFAULT_END
    assert source == f"synthetic: seed={SEED}, events={EVENTS}, end=2026-11-01T00:00:00Z"
    assert fingerprint == inter_hub_schema().fingerprint()
    for table, n in json.loads(counts).items():
        assert _scalar(con, f"SELECT count(*) FROM {table}") == n
    assert json.loads(counts)["interaction_events"] == EVENTS


def test_credentials_are_filled_in_so_a_snapshot_can_prove_it_drops_them(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert _scalar(con, "SELECT bool_and(password_hash LIKE '$argon2id$v=19$%') FROM users")
    assert _scalar(con, "SELECT bool_and(length(api_key) > 20) FROM hubs")


@pytest.mark.parametrize("events", [1, 2_000, 123_457])
def test_events_are_exact_and_everything_else_grows_slowly(events: int) -> None:
    counts = generate(events=events, seed=3, end=DEFAULT_END).row_counts()
    assert counts["interaction_events"] == events
    assert 6 <= counts["hubs"] <= 10
    assert 20 * counts["hubs"] <= counts["widgets"] <= 60 * counts["hubs"]
    assert all(counts[t] > 0 for t in TABLE_ORDER if t != "interaction_events")


def test_ten_million_events_stay_one_organisation() -> None:
    small = generate(events=500_000, seed=3, end=DEFAULT_END).row_counts()
    big = generate(events=10_000_000, seed=3, end=DEFAULT_END).row_counts()
    assert big["interaction_events"] == 20 * small["interaction_events"]
    for table in ("widgets", "annotations", "requirement_candidates", "users"):
        assert small[table] < big[table] < 4 * small[table], table


def test_shapes_of_ordinary_traffic(con: duckdb.DuckDBPyConnection) -> None:
    weekday, weekend = con.execute(
        "SELECT count(*) FILTER (WHERE isodow(occurred_at) <= 5) / 5.0, "
        "count(*) FILTER (WHERE isodow(occurred_at) > 5) / 2.0 FROM interaction_events"
    ).fetchone()
    assert weekend < 0.6 * weekday
    share = _scalar(
        con, f"SELECT count(*) FILTER (WHERE {ERRORS}) / count(*) FROM interaction_events"
    )
    assert 0.005 < share < 0.08
    silent = _scalar(
        con,
        "SELECT count(*) FROM widgets w WHERE NOT EXISTS "
        "(SELECT 1 FROM interaction_events e WHERE e.widget_id = w.id)",
    )
    assert silent >= 2
    top_share = _scalar(
        con,
        "SELECT sum(n) FILTER (WHERE rk <= ceil(0.1 * c)) / sum(n) FROM (SELECT count(*) n, "
        "row_number() OVER (ORDER BY count(*) DESC) rk, count(*) OVER () c "
        "FROM interaction_events GROUP BY widget_id)",
    )
    assert top_share > 0.3  # heavy tail: the busiest tenth of widgets carries a large share
    newcomers = con.execute(
        "SELECT count(*), bool_and(first_event > w.created_at) FROM widgets w JOIN "
        "(SELECT widget_id, min(occurred_at) AS first_event FROM interaction_events GROUP BY 1) e "
        "ON e.widget_id = w.id WHERE w.created_at >= TIMESTAMPTZ '2026-05-05'"
    ).fetchone()
    assert newcomers[0] >= 3 and newcomers[1]  # widgets launched during the history


# --- the stories the metrics must find ----------------------------------------------------------


def test_painful_widgets_have_clearly_higher_error_rates(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        f"""WITH ann AS (SELECT widget_id, count(*) AS n FROM annotations
                         WHERE category <> 'praise' GROUP BY 1),
                 ev AS (SELECT widget_id, count(*) AS n,
                               count(*) FILTER (WHERE {ERRORS}) / count(*) AS rate
                        FROM interaction_events GROUP BY 1)
            SELECT coalesce(ann.n, 0), ev.rate FROM ev LEFT JOIN ann USING (widget_id)
            WHERE ev.n >= 50
            ORDER BY 1 DESC"""
    ).fetchall()
    rates = sorted(r for _, r in rows)
    median = rates[len(rates) // 2]
    assert all(rate > 3 * median for _, rate in rows[:5])


def _deployment_windows(c: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Per deployment and touched widget: errors/events 14 days before and after, score, age."""
    return c.execute(
        f"""SELECT d.version_ref, ce.score,
                   date_diff('day', d.deployed_at, TIMESTAMPTZ '2026-11-01'),
                   count(*) FILTER (WHERE e.occurred_at < d.deployed_at AND {ERRORS}),
                   count(*) FILTER (WHERE e.occurred_at < d.deployed_at),
                   count(*) FILTER (WHERE e.occurred_at >= d.deployed_at AND {ERRORS}),
                   count(*) FILTER (WHERE e.occurred_at >= d.deployed_at)
            FROM deployment_records d
            JOIN (SELECT DISTINCT deployment_id, widget_id FROM outcome_signals) s
              ON s.deployment_id = d.id
            JOIN interaction_events e ON e.widget_id = s.widget_id
             AND e.occurred_at >= d.deployed_at - INTERVAL 14 DAY
             AND e.occurred_at < d.deployed_at + INTERVAL 14 DAY
            LEFT JOIN change_evaluations ce ON ce.deployment_id = d.id
            GROUP BY d.id, d.version_ref, ce.score, d.deployed_at, s.widget_id"""
    ).fetchall()


def _rate(errors: int, events: int) -> float:
    return errors / max(events, 20)


def test_some_deployments_fix_their_widget(con: duckdb.DuckDBPyConnection) -> None:
    fixes = [
        ref
        for ref, score, _, eb, nb, ea, na in _deployment_windows(con)
        if _rate(eb, nb) >= 0.08
        and _rate(ea, na) < _rate(eb, nb) / 3
        and score is not None
        and score >= 4
    ]
    assert len(fixes) >= 3, fixes


def test_recent_deployments_regress_their_widget(con: duckdb.DuckDBPyConnection) -> None:
    regressions = [
        ref
        for ref, score, age, eb, nb, ea, na in _deployment_windows(con)
        if age < 30
        and ea >= 3
        and _rate(ea, na) > 1.5 * _rate(eb, nb)
        and score is not None
        and score <= 2
    ]
    assert len(regressions) >= 2, regressions


_STALLS = """
WITH cand AS (
  SELECT c.id, c.created_at,
         (SELECT status FROM triage_states t WHERE t.candidate_id = c.id
          ORDER BY changed_at DESC LIMIT 1) AS st,
         (SELECT max(changed_at) FROM triage_states t WHERE t.candidate_id = c.id) AS last_change
  FROM requirement_candidates c),
waiting AS (
  SELECT 'candidate' AS stage, coalesce(last_change, created_at) AS since, 30 AS threshold FROM cand
   WHERE st NOT IN ('accepted', 'rejected', 'duplicate', 'promoted', 'withdrawn')
  UNION ALL SELECT 'requirement', created_at, 60 FROM requirements r WHERE status = 'active'
   AND NOT EXISTS (SELECT 1 FROM decision_records d WHERE d.requirement_id = r.id)
  UNION ALL SELECT 'decision', decided_at, 30 FROM decision_records d WHERE outcome = 'approved'
   AND NOT EXISTS (SELECT 1 FROM deployment_records x WHERE x.decision_id = d.id)
  UNION ALL SELECT 'observation', deployed_at, 14 FROM deployment_records x
   WHERE NOT EXISTS (SELECT 1 FROM change_evaluations e WHERE e.deployment_id = x.id))
SELECT stage, date_diff('second', since, TIMESTAMPTZ '2026-11-01') / 86400.0 / threshold AS ratio
FROM waiting WHERE date_diff('second', since, TIMESTAMPTZ '2026-11-01') / 86400.0 > threshold
"""


def test_items_are_stalled_at_every_stage_with_a_spread_of_severities(
    con: duckdb.DuckDBPyConnection,
) -> None:
    stalls = con.execute(_STALLS).fetchall()
    by_stage: dict[str, list[float]] = {}
    for stage, ratio in stalls:
        by_stage.setdefault(stage, []).append(ratio)
    assert set(by_stage) == {"candidate", "requirement", "decision", "observation"}
    ratios = [r for rs in by_stage.values() for r in rs]
    assert min(ratios) < 1.5 and max(ratios) >= 4 and any(2 <= r < 4 for r in ratios)
    assert (
        len(stalls) < _scalar(con, "SELECT count(*) FROM requirement_candidates") / 2
    )  # most flow


def test_patterns_cross_hubs(con: duckdb.DuckDBPyConnection) -> None:
    clusters = con.execute(
        """SELECT category, count(*) FROM (
             SELECT a.category, w.hub_id FROM annotations a JOIN widgets w ON w.id = a.widget_id
             WHERE a.created_at >= TIMESTAMPTZ '2026-10-02' AND a.category <> 'praise'
               AND a.retracted_at IS NULL GROUP BY 1, 2 HAVING count(*) >= 3)
           GROUP BY 1 HAVING count(*) >= 2"""
    ).fetchall()
    assert "accessibility" in dict(clusters)
    painful_pickers = con.execute(  # error and annotation points alone put them over 50
        f"""SELECT w.hub_id, count(*), bool_and(e.rate >= 0.07 AND a.n >= 5)
            FROM widgets w
            JOIN (SELECT widget_id, count(*) FILTER (WHERE {ERRORS}) / count(*) AS rate
                  FROM interaction_events WHERE occurred_at >= TIMESTAMPTZ '2026-10-02'
                  GROUP BY 1) e
              ON e.widget_id = w.id
            JOIN (SELECT widget_id, count(*) AS n FROM annotations WHERE category <> 'praise'
                  AND created_at >= TIMESTAMPTZ '2026-10-02' GROUP BY 1) a ON a.widget_id = w.id
            WHERE w.widget_type = 'date-picker' GROUP BY 1 HAVING count(*) >= 2"""
    ).fetchall()
    assert sum(1 for _, _, all_hurt in painful_pickers if all_hurt) >= 2
    recorded = con.execute(
        "SELECT summary FROM cross_hub_propagations WHERE pattern_type = 'widget_type_friction' "
        "AND status <> 'resolved'"
    ).fetchall()
    assert any(s.startswith("date-picker") for (s,) in recorded)


def test_pipeline_is_consistent(con: duckdb.DuckDBPyConnection) -> None:
    latest_mismatch = _scalar(
        con,
        """SELECT count(*) FROM requirement_candidates c WHERE c.status <>
                (SELECT status FROM triage_states t WHERE t.candidate_id = c.id
                 ORDER BY changed_at DESC LIMIT 1)""",
    )
    assert latest_mismatch == 0
    assert _scalar(
        con, "SELECT count(*) FROM requirement_candidates WHERE requirement_id IS NOT NULL"
    ) == (_scalar(con, "SELECT count(*) FROM requirements"))
    outcomes = {
        r for (r,) in con.execute("SELECT DISTINCT outcome FROM decision_records").fetchall()
    }
    assert {"approved", "rejected", "deferred", "needs_info"} <= outcomes
    assert _scalar(con, "SELECT count(*) FROM decision_records WHERE candidate_id IS NOT NULL") > 0
    assert _scalar(
        con,
        "SELECT bool_and(regexp_matches(version_ref, '^[a-z-]+@\\d+\\.\\d+\\.\\d+$')) "
        "FROM deployment_records",
    )
    early_signals = (
        "SELECT count(*) FROM outcome_signals s JOIN deployment_records d "
        "ON d.id = s.deployment_id WHERE s.observed_at <= d.deployed_at"
    )
    assert _scalar(con, early_signals) == 0
    severities = {r for (r,) in con.execute("SELECT DISTINCT severity FROM annotations").fetchall()}
    assert {"low", "medium", "high", "critical"} < severities


_OUT_OF_ORDER = {
    "annotation before its widget": "annotations a JOIN widgets w ON w.id = a.widget_id "
    "WHERE a.created_at < w.created_at",
    "reply before its parent": "annotations a JOIN annotations p ON p.id = a.parent_id "
    "WHERE a.created_at <= p.created_at",
    "retraction before the annotation": "annotations WHERE retracted_at <= created_at",
    "candidate before its source": "requirement_candidates c JOIN annotations a "
    "ON a.id = c.source_annotation_id WHERE c.created_at < a.created_at",
    "triage before the candidate": "triage_states t JOIN requirement_candidates c "
    "ON c.id = t.candidate_id WHERE t.changed_at < c.created_at",
    "requirement before its candidate": "requirements r JOIN requirement_candidates c "
    "ON c.id = r.source_candidate_id WHERE r.created_at < c.created_at",
    "decision before its requirement": "decision_records d JOIN requirements r "
    "ON r.id = d.requirement_id WHERE d.decided_at < r.created_at",
    "deployment before its decision": "deployment_records d JOIN decision_records x "
    "ON x.id = d.decision_id WHERE d.deployed_at < x.decided_at",
    "work item linked after shipping": "deployment_records d JOIN "
    "implementation_change_references r ON r.id = d.impl_ref_id WHERE r.linked_at > d.deployed_at",
    "evaluation before the deployment": "change_evaluations e JOIN deployment_records d "
    "ON d.id = e.deployment_id WHERE e.evaluated_at < d.deployed_at",
    "version before its widget": "widget_versions v JOIN widgets w ON w.id = v.widget_id "
    "WHERE v.created_at < w.created_at",
    "review before its proposal": "agent_review_records r JOIN agent_proposals p "
    "ON p.id = r.proposal_id WHERE r.reviewed_at < p.created_at",
}


@pytest.mark.parametrize("what", sorted(_OUT_OF_ORDER))
def test_history_happens_in_order(con: duckdb.DuckDBPyConnection, what: str) -> None:
    assert _scalar(con, f"SELECT count(*) FROM {_OUT_OF_ORDER[what]}") == 0


# --- Postgres: constraints prove integrity; both targets hold the same rows ----------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def _duck_rows(c: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    json_cols = [col.is_json for col in inter_hub_schema()[table].columns]
    rows = c.execute(f"SELECT * FROM {table}").fetchall()
    return sorted(
        tuple(
            _canonical(json.loads(v) if is_json and v is not None else v)
            for v, is_json in zip(row, json_cols, strict=True)
        )
        for row in rows
    )


def _pg_rows(pg: psycopg.Connection, table: str) -> list[tuple[Any, ...]]:
    columns = ", ".join(inter_hub_schema()[table].column_names)
    return sorted(
        tuple(_canonical(v) for v in row) for row in pg.execute(f"SELECT {columns} FROM {table}")
    )


@pytest.mark.postgres
def test_postgres_and_duckdb_targets_hold_identical_rows(
    inter_hub_pg: str, demo: Path, con: duckdb.DuckDBPyConnection
) -> None:
    user = urlsplit(inter_hub_pg).username
    with_password = inter_hub_pg.replace(f"//{user}@", f"//{user}:s3cret-pw@", 1)
    result = synthesize_postgres(
        with_password, events=EVENTS, seed=SEED, end=DEFAULT_END, progress=False
    )
    assert "s3cret-pw" not in result.target + result.describe()
    with psycopg.connect(inter_hub_pg) as pg:
        pg.execute("SET TimeZone = 'UTC'")
        for table in TABLE_ORDER:
            duck = _duck_rows(con, table)
            assert _pg_rows(pg, table) == duck, table
            assert result.row_counts[table] == len(duck)
        pg_json = pg.execute(
            "SELECT schema_snapshot::text FROM widget_versions ORDER BY id"
        ).fetchall()
    duck_json = con.execute(
        "SELECT CAST(schema_snapshot AS VARCHAR) FROM widget_versions ORDER BY id"
    ).fetchall()
    assert pg_json == duck_json  # byte-identical JSON text, not just equal documents


@pytest.mark.postgres
def test_cli_refuses_a_postgres_database_with_rows_or_without_the_schema(
    inter_hub_pg: str, make_pg_db: Callable[[], str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["synth", "--pg", inter_hub_pg, "--events", "2000"]) == 0
    capsys.readouterr()
    assert main(["synth", "--pg", inter_hub_pg, "--events", "2000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not empty" in err
    assert main(["synth", "--pg", make_pg_db(), "--events", "2000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ihub db init" in err


def test_unreachable_postgres_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="cannot reach") as failure:
        synthesize_postgres(
            "postgresql://nobody:hunter2-secret@127.0.0.1:9/none",
            events=10,
            seed=1,
            end=DEFAULT_END,
            progress=False,
        )
    assert "hunter2-secret" not in str(failure.value)
    with pytest.raises(BadInput):
        synthesize_postgres("data/x.duckdb", events=10, seed=1, end=DEFAULT_END, progress=False)


# --- DuckDB target through the CLI ----------------------------------------------------------------


def test_cli_replaces_an_existing_out_file_like_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One overwrite policy with ``ihub snapshot``: a regular file is replaced atomically
    (``--force`` is still accepted); anything else is refused."""
    out = tmp_path / "demo.duckdb"
    out.write_text("keep me")
    assert main(["synth", "--out", str(out), "--events", "2000"]) == 0
    assert "2,000 interaction events" in capsys.readouterr().out
    with duckdb.connect(str(out), read_only=True) as c:
        assert _scalar(c, "SELECT count(*) FROM interaction_events") == 2000
    assert main(["synth", "--out", str(out), "--events", "2000", "--force", "--seed", "5"]) == 0
    capsys.readouterr()
    assert [p.name for p in tmp_path.iterdir()] == ["demo.duckdb"]  # no temporary left behind
    assert main(["synth", "--out", str(tmp_path), "--events", "2000"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_progress_goes_to_stderr_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    synthesize_duckdb(
        tmp_path / "quiet.duckdb", events=2000, seed=1, end=DEFAULT_END, progress=False
    )
    assert capsys.readouterr() == ("", "")
    result = synthesize_duckdb(
        tmp_path / "loud.duckdb", events=2000, seed=1, end=DEFAULT_END, progress=True
    )
    captured = capsys.readouterr()
    assert captured.out == "" and "\r" in captured.err and "interaction_events" in captured.err
    assert result.events_per_second > 0 and str(tmp_path) in result.describe()


def test_an_end_that_is_not_midnight_keeps_everything_before_it(tmp_path: Path) -> None:
    end = dt.datetime(2026, 3, 14, 15, 9, 26, tzinfo=dt.UTC)
    path = tmp_path / "odd.duckdb"
    synthesize_duckdb(path, events=3000, seed=2, end=end, progress=False)
    with duckdb.connect(str(path), read_only=True) as c:
        for table in inter_hub_schema().tables:
            for column in table.columns:
                if column.pg_type == "timestamp with time zone":
                    latest = _scalar(c, f"SELECT max({column.name}) FROM {table.name}")
                    assert latest is None or latest < end, f"{table.name}.{column.name}"
