"""The metric SQL in Spark's dialect, translated from the one source of truth by sqlglot.

The models in ``sql/metrics/`` are written once, in the subset of SQL that
DuckDB and Postgres both run.  For Spark the composed statement is parsed as
Postgres SQL and written out as Spark SQL by sqlglot, plus a few rewrites
where a literal translation would change the result:

* ``EXTRACT(EPOCH FROM …)`` / ``date_part('epoch', …)``: Spark has no epoch
  field; microseconds since 1970 (``unix_micros``) divided by 10⁶ give the same
  double DuckDB computes, and a difference of two timestamps is taken in whole
  microseconds before that division, so day boundaries stay exact.
* ``percentile_cont(p) WITHIN GROUP (ORDER BY x)``: sqlglot would write the
  *approximate* ``percentile_approx``; Spark's ``percentile`` is the exact,
  interpolating one.
* ``isfinite(ts)``: Spark has no infinite timestamps; an export keeps DuckDB's
  ``±infinity`` as the extreme microsecond counts, which this compares against.
* Types: unconstrained ``NUMERIC`` is ``DECIMAL(38,10)`` (as in a snapshot, not
  Spark's ``DECIMAL(10,0)``); ``JSONB`` is text.

Only one query statement is accepted, so nothing sent this way can write.
"""

from __future__ import annotations

from functools import lru_cache

from ihub_analysis.errors import BadInput
from ihub_analysis.schema import UNCONSTRAINED_NUMERIC

#: DuckDB's ``infinity`` timestamp in microseconds (``-infinity`` is its negative).
_INFINITY_MICROS = 9_223_372_036_854_775_807

#: The installation hint of every "Spark is not available" message.
INSTALL_HINT = "install the spark extra: pip install 'ihub-analysis[spark]'"


def _sqlglot():  # imported lazily: sqlglot comes with the spark extra
    try:
        import sqlglot
    except ImportError:
        raise BadInput(f"Spark sources need sqlglot and pyspark; {INSTALL_HINT}") from None
    return sqlglot


def _micros(node):
    from sqlglot import exp

    return exp.Anonymous(this="unix_micros", expressions=[node])


def _seconds(micros):
    from sqlglot import exp

    as_double = exp.Cast(this=micros, to=exp.DataType.build("DOUBLE"))
    return exp.Paren(this=exp.Div(this=as_double, expression=exp.Literal.number(1_000_000)))


def _epoch_micros(arg):
    """Microseconds of a timestamp, of a difference of two, or of a CASE choosing among them."""
    from sqlglot import exp

    while isinstance(arg, exp.Paren):
        arg = arg.this
    if isinstance(arg, exp.Sub):
        diff = exp.Sub(this=_micros(arg.this.copy()), expression=_micros(arg.expression.copy()))
        return exp.Paren(this=diff)
    if isinstance(arg, exp.Case):
        case = arg.copy()
        for branch in case.args.get("ifs") or []:
            branch.set("true", _epoch_micros(branch.args["true"]))
        if case.args.get("default") is not None:
            case.set("default", _epoch_micros(case.args["default"]))
        return case
    return _micros(arg.copy())


def _rewrite(node):
    """One node in Spark's terms (see the module docstring); others unchanged."""
    from sqlglot import exp

    if isinstance(node, exp.Extract) and node.this.name.upper() == "EPOCH":
        return _seconds(_epoch_micros(node.expression))
    if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont):
        order = node.expression
        keys = order.expressions if isinstance(order, exp.Order) else []
        if len(keys) != 1 or keys[0].args.get("desc"):
            raise BadInput("percentile_cont needs exactly one ascending ORDER BY key on Spark")
        value = keys[0].this.copy()
        return exp.Anonymous(this="percentile", expressions=[value, node.this.this.copy()])
    if isinstance(node, exp.Anonymous) and node.name.lower() == "isfinite":
        # ±infinity arrive from a DuckDB export as the extreme microsecond counts
        micros = _micros(node.expressions[0].copy())
        bound = exp.Literal.number(_INFINITY_MICROS)
        return exp.Paren(
            this=exp.and_(
                exp.GT(this=micros, expression=exp.Neg(this=bound)),
                exp.LT(this=micros.copy(), expression=bound.copy()),
            )
        )
    if isinstance(node, exp.DataType):
        if node.this == exp.DataType.Type.DECIMAL and not node.expressions:
            return exp.DataType.build(UNCONSTRAINED_NUMERIC)
        if node.this in (exp.DataType.Type.JSON, exp.DataType.Type.JSONB):
            return exp.DataType.build("STRING", dialect="spark")
    return node


def _parse(sql: str):
    """``sql`` as one query; anything else is refused."""
    sqlglot = _sqlglot()
    from sqlglot import exp
    from sqlglot.errors import ParseError

    try:
        trees = [t for t in sqlglot.parse(sql, read="postgres") if t is not None]
    except ParseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        raise BadInput(f"cannot translate the query to Spark SQL: {first}") from None
    if len(trees) != 1:
        raise BadInput("send one SQL statement at a time (the Spark session only reads)")
    tree = trees[0]
    if not isinstance(tree, exp.Query):
        raise BadInput(f"only queries run on a Spark source, not {tree.key.upper()}")
    return tree


@lru_cache(maxsize=256)
def to_spark_sql(sql: str) -> str:
    """``sql`` (one query in the models' portable dialect) as Spark SQL."""
    return _parse(sql).transform(_rewrite).sql(dialect="spark")


def to_spark_steps(sql: str, prefix: str) -> tuple[list[tuple[str, str]], str]:
    """``sql`` as Spark steps: each model read more than once, then the final query.

    Spark inlines every reference to a common table expression, so the metrics'
    deep model chains (a model read by several others) grow into plans that
    Spark's analyser and optimiser take minutes over and that execute shared
    models repeatedly.  Each *shared* relation (read by two or more relations or
    by the final query twice) therefore runs as a step whose rows are kept under
    the view name ``prefix_<name>`` and read by the later ones — Spark's
    counterpart of Postgres' ``MATERIALIZED``.  A relation read once stays a
    ``WITH`` entry of its one reader: inlining it costs no repeated work, and
    it saves a Spark job per model (the larger part of a metric's time on small
    data).  Returns ``([(view, query), …], final query)``; no steps when nothing
    is shared.
    """
    from sqlglot import exp

    tree = _parse(sql)
    ctes = tree.ctes
    order = [c.alias.lower() for c in ctes]
    inner = {c.alias.lower() for top in ctes for c in top.this.find_all(exp.CTE) if c is not top}
    if not ctes or set(order) & inner or len(set(order)) != len(order):
        return [], to_spark_sql(sql)  # nothing to share, or names we cannot rename safely

    def reads(node) -> list[str]:
        return [
            t.name.lower()
            for t in node.find_all(exp.Table)
            if not t.args.get("db") and t.name.lower() in order
        ]

    body = tree.copy()
    body.set("with_", None)
    uses = {name: 0 for name in order}
    for relation in [c.this for c in ctes] + [body]:
        for name in reads(relation):
            uses[name] += 1
    # a relation with a WITH of its own stays a step: Spark SQL has no nested WITH, and
    # sqlglot lifts one to the top, where two inlined models' names could collide
    shared = {c.alias.lower() for c in ctes if uses[c.alias.lower()] > 1 or c.this.ctes}
    names = {name: f"{prefix}_{name}" for name in shared}
    bodies = {c.alias.lower(): c.this for c in ctes}

    def rename(node):
        if isinstance(node, exp.Table) and not node.args.get("db") and node.name.lower() in names:
            renamed = exp.Table(this=exp.to_identifier(names[node.name.lower()]))
            renamed.set("alias", node.args.get("alias") or exp.TableAlias(this=node.this.copy()))
            return renamed
        return node

    def needed(query) -> list[str]:
        """The unshared relations ``query`` reads, directly or through each other, in order."""
        todo, seen = [query], set()
        while todo:
            for name in reads(todo.pop()):
                if name not in shared and name not in seen:
                    seen.add(name)
                    todo.append(bodies[name])
        return [name for name in order if name in seen]

    def step(query) -> str:
        out = query.copy()
        inline = needed(query)
        if inline:
            entries = [
                exp.CTE(this=bodies[n].copy(), alias=exp.TableAlias(this=exp.to_identifier(n)))
                for n in inline
            ]
            own = out.args.get("with_")  # a relation's own WITH comes after what it reads
            if own is not None:
                own.set("expressions", entries + list(own.expressions))
            else:
                out.set("with_", exp.With(expressions=entries))
        return out.transform(rename).transform(_rewrite).sql(dialect="spark")

    steps = [(names[n], step(bodies[n])) for n in order if n in shared]
    return steps, step(body)
