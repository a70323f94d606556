"""PFL501 literal-alias-dispatch."""

from __future__ import annotations

from typing import List, Tuple

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.ruleutil import string_value

_ROWID = frozenset({"rowid", "_rowid_", "oid"})
_KEY_NAMES = frozenset({"pk", "id", "_id"})
# Flags a schema uses to mark the declared key alias (generic names such as `pk` or
# `primary` are left out: they name other things too often).
_FLAGS = ("primary_key", "is_pk", "is_primary", "is_primary_key", "rowid_alias", "is_rowid_alias", "ipk")


class LiteralAliasDispatch(Rule):
    """
    A fast path chosen by literal names only, when the schema can say which key is the alias.

    ## What it does
    Flags a comparison of a name against literal key names (`"rowid"`, `"_rowid_"`,
    `"oid"`, or both `"id"` and `"pk"`) to pick a fast path, in a function that never consults the
    flag the program's classes declare for the same thing (`primary_key`, `is_pk`,
    `is_primary`, ...). Column `id INTEGER PRIMARY KEY` is an alias of the rowid, but only
    the schema knows that.

    ## Why is this slow
    The fast path exists and is missed: `WHERE id = ?` on an integer primary key falls
    through to a full scan, O(n) instead of O(log n). This is the seed's 20,171x bug:
    the planner recognised only the literal names `rowid`, `_rowid_` and `oid`.

    ## Example
    ```python
    def plan(table, column_name, value):
        column = table.column(column_name)
        if column_name.lower() in ("rowid", "_rowid_", "oid"):
            return RowidLookup(table, value)
        return FullScan(table, column, value)
    ```

    ## Use instead
    ```python
    def plan(table, column_name, value):
        column = table.column(column_name)
        if column_name.lower() in ROWID_NAMES or (column is not None and column.primary_key):
            return RowidLookup(table, value)
        return FullScan(table, column, value)
    ```

    ## Notes
    Reported only when some class in the scanned code declares one of the flag
    attributes, so a plain string switch in a program without a schema stays quiet.
    """

    CODE = "PFL501"
    COST = "table-scan-row"  # perflint/costs.py; measured by bench/costs.py
    NAME = "literal-alias-dispatch"
    FAMILY = "fastpath"
    FIX = "also take the fast path when the schema flags the column as the key alias (e.g. column.primary_key)"
    TRIGGERS = ("rowid", "oid", "pk", "id")
    VALID = [
        "class Column:\n    primary_key = False\ndef peek(tok):\n    if tok.type in ('ID', 'TYPEID'):\n        return 1\n",
        "class Column:\n    primary_key = False\n"
        "def plan(col, name):\n    if name in ('rowid', 'oid') or col.primary_key:\n        return 1\n",
        "def plan(name):\n    if name in ('rowid', 'oid'):\n        return 1\n",
        "class Column:\n    primary_key = False\ndef kind(name):\n    if name in ('red', 'green'):\n        return 1\n",
    ]
    INVALID = [
        Invalid(
            "class Column:\n    def __init__(self, name, primary_key):\n        self.primary_key = primary_key\n"
            "def plan(table, name):\n    column = table.column(name)\n"
            "    if name.lower() in ('rowid', '_rowid_', 'oid'):\n        return 'btree'\n    return 'scan'\n",
            line=6,
        ),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._frames: List[Tuple[List[cst.CSTNode], set]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.append(([], set()))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if self._frames:
            self._frames[-1][1].add(node.attr.value)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if not self._frames:
            return
        for target in node.comparisons:
            op = target.operator
            literals = _literal_strings(target.comparator) if isinstance(op, (cst.In, cst.NotIn)) else None
            if isinstance(op, (cst.Equal, cst.NotEqual)):
                value = string_value(target.comparator)
                literals = [value] if value is not None else None
            # rowid aliases, case-insensitively as SQL does; or two exact key names ("id", "pk").
            if literals and (
                any(v.lower() in _ROWID for v in literals)
                or len(_KEY_NAMES.intersection(literals)) >= 2
            ):
                self._frames[-1][0].append(node)
                return

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        pending, attrs = self._frames.pop()
        if not pending or attrs.intersection(_FLAGS):
            return  # the function consults the schema's flag: the alias is handled
        for comparison in pending:
            self.report(
                comparison,
                "fast path chosen by literal key names only; the schema's primary-key flag is never consulted",
                requires=("flag:" + ",".join(_FLAGS),),
            )


def _literal_strings(expr: cst.BaseExpression):
    if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
        values = []
        for element in expr.elements:
            value = string_value(element.value)
            if value is None:
                return None
            values.append(value)
        return values
    return None
