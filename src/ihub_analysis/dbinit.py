"""``ihub db init``: create the Inter-Hub schema in an empty Postgres database.

For tests and demos only — the one command of this tool that writes, and it
refuses any database that already holds tables, so it cannot damage real data.
With ``create=True`` it first creates the database itself when it is missing.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
from psycopg import sql

from ihub_analysis.errors import BadInput, SourceError
from ihub_analysis.schema import inter_hub_schema
from ihub_analysis.sources import SourceSpec, parse_source, postgres_error_message

_MISSING_DATABASE = re.compile(r'database "[^"]+" does not exist')
#: The database every server has, to connect to while creating another one.
MAINTENANCE_DB = "postgres"


def _connect(spec: SourceSpec, **override: Any) -> psycopg.Connection:
    """Connect with the source's one parse (``override`` e.g. another ``dbname``)."""
    try:
        return psycopg.connect(
            **{**spec.connect_kwargs(), **override},
            application_name="ihub-analysis db init",
            connect_timeout=10,
        )
    except psycopg.Error as exc:  # also a bad option in the URL (ProgrammingError)
        raise SourceError(postgres_error_message(exc, spec)) from None


def _database_name(spec: SourceSpec) -> str:
    name = spec.connect_kwargs().get("dbname")
    if not name:
        raise BadInput(f"{spec.display} names no database: add /dbname to the URL")
    return str(name)


def create_database(spec: SourceSpec) -> None:
    """``CREATE DATABASE`` the URL's database, connected to the server's ``postgres`` database."""
    name = _database_name(spec)
    with _connect(spec, dbname=MAINTENANCE_DB) as admin:
        admin.autocommit = True
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SourceError(f"could not create database {name!r}: {reason}") from None


def init_database(url: str, *, up_to_phase: int = 7, create: bool = False) -> list[str]:
    """Apply phases 1..``up_to_phase`` of the schema; return the tables created.

    A missing database is an error that says how to create it, or — with
    ``create`` — is created first.
    """
    spec = parse_source(url)
    if spec.kind != "postgres":
        raise BadInput(f"db init needs a postgresql:// URL, got {spec.display}")
    if not 1 <= up_to_phase <= 7:
        raise BadInput(f"--phase must be between 1 and 7, got {up_to_phase}")
    schema = inter_hub_schema()
    try:
        con = _connect(spec)
    except SourceError as exc:
        if not _MISSING_DATABASE.search(str(exc).replace("'", '"')):
            raise
        if not create:
            name = _database_name(spec)
            raise SourceError(
                f'{exc}: create it first (`createdb {name}`, or SQL `CREATE DATABASE "{name}"`) '
                "or run `ihub db init --create URL`"
            ) from None
        create_database(spec)
        con = _connect(spec)
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
