"""A function that runs the statement it is given and commits it: `atomic_transaction(conn, sql)`.

Whether its commit is a sync per item depends on the caller, not on the wrapper: a caller
that passes an INSERT per chunk of a loop commits per chunk; one that passes a SELECT per
item of another loop commits nothing (sqlite3 opens no transaction for a read, and a commit
with none open returns at once). So the commit is judged where the statement is chosen: at
the call that hands the wrapper a write, with the wrapper's commit at the end of the trace.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from perflint.context import FileContext
from perflint.ruleutil import NESTED_SCOPE_TYPES, enclosing_function, sql_text
from perflint.nodes import iter_children, own_nodes

COMMITS_STATEMENT = "commits-statement"  # the effect a wrapper records, checked at its callers
WRITE_SQL = re.compile(r"^\s*(insert|update|delete|replace|upsert)\b", re.I)
READ_SQL = re.compile(r"^\s*(select|show|describe|desc|explain)\b", re.I)
# Calls that write, or may, besides a statement's text: an ORM's unit of work, a batch of rows.
_WRITE_METHODS = frozenset({"executemany", "executescript", "add", "add_all", "merge", "delete", "save",
                            "insert", "update", "upsert", "bulk_create", "bulk_update", "bulk_insert_mappings",
                            "bulk_save_objects", "bulk_update_mappings", "create", "flush", "copy_from",
                            "copy_expert"})
# Parameters that carry a statement's text.
_STATEMENT_PARAM = re.compile(r"(^|_)(sql|query|statement|stmt)$", re.I)


def given_statement(ctx: FileContext) -> Optional[str]:
    """The parameter of the enclosing function that carries the statement it commits, when
    it hands that parameter on to run it (`cursor.execute(sql, args)`, `transaction(conn,
    sql)`), with no loop of its own around the commit; else None."""
    if ctx.loops:
        return None
    fn = enclosing_function(ctx)
    if fn is None:
        return None
    params = fn.params
    names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    statements = {n for n in names if _STATEMENT_PARAM.search(n)}
    if not statements:
        return None
    stack = list(iter_children(fn.body))
    while stack:
        node = stack.pop()
        node_type = type(node)
        if node_type in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
            continue
        if node_type is cst.Call:
            for arg in node.args:  # type: ignore[attr-defined]
                if arg.keyword is None and type(arg.value) is cst.Name and arg.value.value in statements:
                    return arg.value.value
        stack.extend(iter_children(node))
    return None


def written_statement(ctx: FileContext, call: cst.Call) -> Optional[str]:
    """The verb (INSERT, UPDATE...) of a write statement a call passes positionally: its
    text, or a statement-named local assigned that text once in this function."""
    fn = None
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            continue
        value = arg.value
        if type(value) is cst.Name:
            if not _STATEMENT_PARAM.search(value.value):
                continue
            fn = fn or enclosing_function(ctx)
            found = assigned_value(fn, value.value) if fn is not None else None
            if found is None:
                continue
            value = found
        match = WRITE_SQL.match(sql_text(value))
        if match:
            return match.group(1).upper()
    return None


def assigned_value(fn: cst.FunctionDef, name: str) -> Optional[cst.BaseExpression]:
    """The value of the single plain assignment to `name` in a function, if there is one."""
    found = []
    stack: list = [fn.body]
    while stack:
        node = stack.pop()
        node_type = type(node)  # exact types: libcst's classes are ABCs, isinstance is slow
        if node_type is cst.Assign and any(
                type(t.target) is cst.Name and t.target.value == name for t in node.targets):
            found.append(node.value)
        if node_type in NESTED_SCOPE_TYPES:
            continue
        stack.extend(iter_children(node))
    return found[0] if len(found) == 1 else None


def leading_text(fn: cst.FunctionDef, expr: cst.BaseExpression, depth: int = 3) -> str:
    """The statement text an expression starts with: its literal text, through names the
    function assigns once and through the leading `{name}` of an f-string
    (`query = f"{select} FROM t LIMIT {n}"`), up to `depth` names deep."""
    while depth > 0:
        if type(expr) is cst.Name:
            found = assigned_value(fn, expr.value)
            if found is None:
                return ""
            expr, depth = found, depth - 1
        elif type(expr) is cst.FormattedString and expr.parts and type(expr.parts[0]) is cst.FormattedStringExpression:
            expr, depth = expr.parts[0].expression, depth - 1
        elif type(expr) is cst.BinaryOperation and type(expr.operator) is cst.Add:
            expr = expr.left
        else:
            break
    return sql_text(expr)


def reads_only(fn: cst.FunctionDef) -> bool:
    """Every statement the function runs is a visible read (`cursor.execute("SELECT ...")`),
    there is at least one, and it calls nothing that writes another way: a commit after it
    commits no change (MySQL and PostgreSQL end the read's transaction, with no sync)."""
    reads = 0
    for node, _ in own_nodes(fn.body):
        if type(node) is not cst.Call or type(node.func) is not cst.Attribute:
            continue
        name = node.func.attr.value
        if name in _WRITE_METHODS:
            return False
        if name == "execute":
            if not executes_read(fn, node):
                return False
            reads += 1
    return reads > 0


def executes_read(fn: cst.FunctionDef, call: cst.Call) -> bool:
    """`x.execute(sql, ...)` whose statement, as `fn` builds it, visibly starts with a read."""
    return bool(call.args) and call.args[0].keyword is None and bool(READ_SQL.match(leading_text(fn, call.args[0].value)))
