"""``ihub db init``: create the Inter-Hub schema in an empty Postgres database.

For tests and demos only — the one command of this tool that writes, and it
refuses any database that already holds tables, so it cannot damage real data.
"""

from __future__ import annotations

import psycopg

from ihub_analysis.errors import BadInput, SourceError
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.sources import parse_source, postgres_error_message


def init_database(url: str, *, up_to_phase: int = 7) -> list[str]:
    """Apply phases 1..``up_to_phase`` of the schema; return the tables created."""
    spec = parse_source(url)
    if spec.kind != "postgres":
        raise BadInput(f"db init needs a postgresql:// URL, got {spec.display}")
    if not 1 <= up_to_phase <= 7:
        raise BadInput(f"--phase must be between 1 and 7, got {up_to_phase}")
    schema = inter_hub_schema()
    try:
        con = psycopg.connect(
            **spec.connect_kwargs(), application_name="ihub-analysis db init", connect_timeout=10
        )
    except psycopg.Error as exc:  # also a bad option in the URL (ProgrammingError)
        raise SourceError(postgres_error_message(exc, spec)) from None
    with con:
        existing = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchone()
        if existing and existing[0]:
            raise BadInput(
                f"{spec.display} is not empty ({existing[0]} tables in schema public): "
                "db init only creates the schema in an empty database"
            )
        con.execute(schema.postgres_sql(up_to_phase))  # type: ignore[arg-type]
    return [t.name for t in schema.tables_up_to_phase(up_to_phase)]
