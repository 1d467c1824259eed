"""Check that SQL handed to ``wb.sql()`` is one read-only query, with a real SQL parser.

The connection is already read-only (a read-only DuckDB file, locked down; a
Postgres session in read-only transactions that are always rolled back), but a
read-only transaction still lets a query write files (``COPY … TO``), run a
program (``COPY … TO PROGRAM``), change settings (``SET``), take locks or call
functions that act outside the transaction (``pg_terminate_backend``,
``pg_advisory_lock``, ``lo_export``, DuckDB's ``read_text``…).  So a query
passes only if sqlglot parses it into exactly one statement whose every node is
part of a plain query (``SELECT``, ``WITH``, ``VALUES``, set operations,
``EXPLAIN`` of one without ``ANALYZE``, or ``SHOW <setting>``) and that calls no function on the
engine's deny list.  What this cannot see — functions reached through views,
user-defined functions, extension functions not on the list — is stated in
``docs/security.md``; the role the workbench connects as is the real boundary.
"""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from ihub_analysis.errors import BadInput

# sqlglot logs a warning when it falls back to an opaque "Command"; we refuse those anyway
logging.getLogger("sqlglot").setLevel(logging.ERROR)

#: sqlglot dialect per source kind.
DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "parquet": "duckdb", "spark": "postgres"}

#: Statement types a query may be (the root of the parse tree).
_QUERY_ROOTS: tuple[type[exp.Expression], ...] = (
    exp.Select,
    exp.SetOperation,
    exp.Values,
    exp.Subquery,
)

#: Nodes that make a statement more than a read: anywhere in the tree, even in a CTE.
_FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Command,
    exp.Copy,
    exp.Set,
    exp.Pragma,
    exp.Attach,
    exp.Detach,
    exp.Install,
    exp.Analyze,
    exp.Into,  # SELECT … INTO new_table
    exp.Lock,  # SELECT … FOR UPDATE / FOR SHARE
    exp.Use,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Grant,
    exp.Revoke,
    exp.Comment,
    exp.Export,
    exp.Kill,
)

#: Postgres functions that act outside the transaction, read server files, run
#: other SQL or change the session: refused by exact name …
_PG_DENY = frozenset(
    {
        "set_config",
        "nextval",
        "setval",
        "lastval",
        "txid_current",
        "dblink",
        "query_to_xml",
        "query_to_xmlschema",
        "query_to_xml_and_xmlschema",
        "cursor_to_xml",
        "cursor_to_xmlschema",
        "table_to_xml",
        "table_to_xmlschema",
        "table_to_xml_and_xmlschema",
        "schema_to_xml",
        "schema_to_xmlschema",
        "schema_to_xml_and_xmlschema",
        "database_to_xml",
        "database_to_xmlschema",
        "database_to_xml_and_xmlschema",
    }
)
#: … and by prefix (``pg_*`` is the server-administration namespace, ``lo_*``
#: large objects that read and write server files, ``dblink*`` other databases).
_PG_DENY_PREFIXES = ("pg_", "lo_", "dblink")
#: ``pg_*`` functions that only describe values or the catalog: allowed.
_PG_ALLOW = frozenset(
    {
        "pg_typeof",
        "pg_size_pretty",
        "pg_size_bytes",
        "pg_column_size",
        "pg_relation_size",
        "pg_table_size",
        "pg_indexes_size",
        "pg_total_relation_size",
        "pg_database_size",
        "pg_get_viewdef",
        "pg_get_indexdef",
        "pg_get_constraintdef",
        "pg_get_expr",
        "pg_get_userbyid",
        "pg_input_is_valid",
        "pg_backend_pid",
        "pg_postmaster_start_time",
        "pg_is_in_recovery",
        "pg_has_role",
        "pg_table_is_visible",
        "pg_sleep",  # bounded by the session's statement_timeout
        "pg_sleep_for",
        "pg_sleep_until",
    }
)
#: DuckDB functions that reach files, the network, other databases, the
#: environment, secrets or run SQL given as text (the engine lockdown stops the
#: file and network ones too; this names them in the error instead).
_DUCKDB_DENY = frozenset(
    {
        "glob",
        "query",
        "query_table",
        "getenv",
        "duckdb_secrets",
        "which_secret",
        "load_aws_credentials",
        "checkpoint",
        "force_checkpoint",
        "st_read",
        "st_read_meta",
    }
)
_DUCKDB_DENY_PREFIXES = (
    "read_",
    "parquet_",
    "sniff_",
    "sqlite_",
    "postgres_",
    "mysql_",
    "iceberg_",
    "delta_",
)


class UnsafeQueryError(BadInput):
    """``wb.sql()`` was given something other than one read-only query."""


def _function_name(node: exp.Func, dialect: str) -> str:
    """The name the engine resolves a call to (sqlglot normalises known functions)."""
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    return node.sql(dialect=dialect).split("(", 1)[0].strip().strip('"').lower()


def _denied(name: str) -> bool:
    """On either engine: a DuckDB name on Postgres is at worst a needless refusal."""
    if name in _PG_ALLOW:
        return False
    return (
        name in _PG_DENY
        or name in _DUCKDB_DENY
        or name.startswith(_PG_DENY_PREFIXES)
        or name.startswith(_DUCKDB_DENY_PREFIXES)
    )


def _one_statement(sql: str, dialect: str) -> exp.Expression:
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except (SqlglotError, IndexError, ValueError) as exc:  # sqlglot fails oddly on some input
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnsafeQueryError(f"wb.sql() could not parse the query: {first}") from None
    if not statements:
        raise UnsafeQueryError("wb.sql() needs a query: the text holds no SQL statement")
    if len(statements) > 1:
        raise UnsafeQueryError(
            f"wb.sql() runs one query at a time: the text holds {len(statements)} statements"
        )
    return statements[0]


def _explained(tree: exp.Expression, dialect: str) -> exp.Expression:
    """The query of ``EXPLAIN <query>``; ``EXPLAIN ANALYZE`` (which runs it) is refused."""
    if not (isinstance(tree, exp.Command) and tree.name.upper() == "EXPLAIN"):
        return tree
    rest = tree.expression.name if isinstance(tree.expression, exp.Literal) else ""
    if rest.lstrip().upper().startswith(("ANALYZE", "ANALYSE", "(")):
        raise UnsafeQueryError(
            "wb.sql() refuses EXPLAIN ANALYZE and EXPLAIN options: they run the query"
        )
    return _one_statement(rest, dialect)


def _is_show(tree: exp.Expression) -> bool:
    """``SHOW <setting>`` (one name, or ``ALL``): it only reads a setting."""
    if not (isinstance(tree, exp.Command) and tree.name.upper() == "SHOW"):
        return False
    arg = tree.expression
    word = arg.name if isinstance(arg, (exp.Literal, exp.Identifier, exp.Column, exp.Var)) else ""
    return bool(word) and word.replace(".", "_").isidentifier()


def check_read_only_query(sql: str, kind: str) -> None:
    """Raise :class:`UnsafeQueryError` (one line) unless ``sql`` is one read-only query."""
    dialect = DIALECTS.get(kind) or (kind if kind in sqlglot.Dialect.classes else "")
    tree = _explained(_one_statement(sql, dialect), dialect)
    if _is_show(tree):
        return
    if not isinstance(tree, _QUERY_ROOTS):
        verb = tree.key.upper() if not isinstance(tree, exp.Command) else tree.name.upper()
        raise UnsafeQueryError(
            f"wb.sql() accepts only a read-only query (SELECT/WITH/VALUES), not {verb}"
        )
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            what = node.name.upper() if isinstance(node, exp.Command) else node.key.upper()
            raise UnsafeQueryError(f"wb.sql() accepts only a read-only query: it contains {what}")
        if isinstance(node, exp.Func):
            name = _function_name(node, dialect)
            if _denied(name):
                raise UnsafeQueryError(
                    f"wb.sql() refuses {name}(): it acts outside the query "
                    "(files, sessions, locks or server state)"
                )
