"""PFL104 sql-text-per-call."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import libcst as cst

from perflint.nodes import iter_children
from perflint.rule import Invalid, Rule
from perflint.ruleutil import first_arg, literal_value

_SQL_START = re.compile(
    r"^\s*\(?\s*(select|insert|update|delete|with|replace|merge|upsert)\s",
    re.I,
)
# Text just before an interpolation that puts it where a bound value could go.
_VALUE_POSITION = re.compile(
    r"((=|<|>|\blike|\bin\s*\(|\bvalues\s*\((?:[^()]*,)?|\blimit|\boffset|\bbetween)\s*|'%?)$", re.I
)
_EXECUTE_METHODS = frozenset({"execute", "executemany", "exec_driver_sql", "raw"})
_TEXT_BUILDERS = frozenset({"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text"})
# Placeholder strings: `",".join("?" * n)` builds parameter markers, not values.
_SEPARATOR = re.compile(r"^[\s,()]*$")
_MARKER = re.compile(r"\?|%s|%\(\w+\)s|:\w+")

# A dynamic SQL text: (confidence, what was interpolated).
Dynamic = Tuple[str, str]


class SqlTextPerCall(Rule):
    """
    SQL text assembled per call with values pasted in, instead of bound parameters.

    ## What it does
    Flags `execute()`/`executemany()`/`exec_driver_sql()`/`raw()` and SQLAlchemy
    `text()` when the SQL is an f-string, a `%`-formatted string, a `.format()` call or
    a `+` concatenation with run-time parts, passed directly or through a local variable
    of the same function. The text must look like a query or a data change (it starts
    with `SELECT`, `INSERT`, `UPDATE`, `DELETE`, `WITH`, `REPLACE`, `MERGE`). High
    confidence when a changing value is pasted where a placeholder could bind it
    (`WHERE id = {x}`, `'{name}'`); medium when what is pasted is the same on every call
    (a constant table name, an attribute of `self`), so the text could be built once.

    ## Why is this slow
    Drivers and databases cache prepared statements by their text: sqlite3 keeps a
    statement cache per connection, PostgreSQL drivers prepare by text, SQLAlchemy caches
    compiled statements. A text that embeds the value is new on every call, so every
    execution is parsed, planned and prepared again, and the cache fills with one-use
    entries. It is also how SQL injection happens. The seed's engine re-compiled every
    statement for the same reason.

    ## Example
    ```python
    for user_id in ids:
        cur.execute(f"SELECT name FROM users WHERE id = {user_id}")
    ```

    ## Use instead
    ```python
    for user_id in ids:
        cur.execute("SELECT name FROM users WHERE id = ?", (user_id,))
    ```

    ## Notes
    `cur.execute("... WHERE id = %s", (x,))` is parameter binding and is not reported,
    nor is a constant text, placeholders generated for an `IN (...)` list
    (`",".join("?" * len(ids))`), or a choice between literal fragments. Identifiers
    cannot be bound: a table or column name that changes (passed in, or taken from a
    loop) is not reported, since no single text would do. DDL (`CREATE`, `ALTER`,
    `DROP`...) is not reported: it accepts no parameters and runs rarely.
    """

    CODE = "PFL104"
    COST = "sql-text"  # perflint/costs.py; measured by bench/costs.py
    NAME = "sql-text-per-call"
    FAMILY = "clone"
    FIX = "keep the SQL text constant and pass values as parameters (execute(sql, params))"
    TRIGGERS = ("execute", "raw(", "text(")
    VALID = [
        "def get(cur, x):\n    cur.execute('SELECT * FROM t WHERE id = %s', (x,))\n",
        "def get(cur, x):\n    cur.execute(f'SELECT * FROM t WHERE id = ?', (x,))\n",
        "def load(cur, ids):\n    marks = ','.join('?' * len(ids))\n"
        "    cur.execute(f'SELECT * FROM t WHERE id IN ({marks})', ids)\n",
        # not SQL: a shell command runner
        "def run(runner, name):\n    runner.execute(f'echo {name}')\n",
        # module level runs once
        "import sqlite3\nTABLE = 't'\nconn = sqlite3.connect(':memory:')\nconn.execute(f'CREATE TABLE {TABLE} (a)')\n",
        "def get(cur, x):\n    sql = 'SELECT * FROM t WHERE id = ?'\n    cur.execute(sql, (x,))\n",
        # a table name passed in: it cannot be bound and no single text would do
        "def count(cur, table):\n    cur.execute('SELECT COUNT(*) FROM ' + table)\n",
        # DDL takes no parameters
        "def make(cur, name):\n    cur.execute(f'CREATE TABLE {name} (id INTEGER)')\n",
        # a choice between literal fragments
        "def page(cur, desc):\n    cur.execute('SELECT * FROM t ORDER BY id' + (' DESC' if desc else ''))\n",
        # a constant clause appended, the value bound
        "def get(cur, a):\n    sql = 'SELECT * FROM t WHERE 1=1'\n    params = []\n    if a:\n"
        "        sql += ' AND a = ?'\n        params.append(a)\n    cur.execute(sql, params)\n",
    ]
    INVALID = [
        Invalid("def names(cur, ids):\n    for i in ids:\n        cur.execute(f'SELECT name FROM users WHERE id = {i}')\n",
                line=3),
        Invalid("def find(cur, name):\n    sql = \"SELECT * FROM users WHERE name = '%s'\" % name\n"
                "    cur.execute(sql)\n    return cur.fetchall()\n", line=3),
        Invalid("TABLE = 'users'\ndef count(cur):\n    cur.execute('SELECT COUNT(*) FROM ' + TABLE)\n", line=3),
        Invalid("from sqlalchemy import text\ndef get(session, uid):\n"
                "    return session.execute(text('DELETE FROM t WHERE id = {}'.format(uid)))\n", line=3),
        Invalid("def search(cur, a):\n    sql = 'SELECT * FROM t WHERE 1=1'\n    if a:\n"
                "        sql += \" AND a = '%s'\" % a\n    cur.execute(sql)\n", line=5),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        # Per function: local name -> (dynamic SQL or None for a constant SQL text, line).
        self._locals: List[Dict[str, Tuple[Optional[Dynamic], int]]] = []
        # Per function: locals holding generated parameter markers ("?, ?, ?").
        self._markers: List[set] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._locals.append({})
        self._markers.append(set())

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._locals.pop()
        self._markers.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._locals or len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        name = node.targets[0].target.value
        if _is_placeholder(node.value, set()):
            self._markers[-1].add(name)  # qs = ",".join("?" * n): parameter markers
        else:
            self._markers[-1].discard(name)
        dynamic = _dynamic_sql(node.value, self._markers[-1])
        head = _text_before(node.value)
        if dynamic is not None or (head is not None and _SQL_START.match(head)):
            self._locals[-1][name] = (dynamic, self.ctx.line)
        else:
            self._locals[-1].pop(name, None)  # rebound: a constant, or something unknown

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        # sql += f" AND b = {b}": the text becomes dynamic (an appended constant does not)
        if not self._locals or not isinstance(node.target, cst.Name) or not isinstance(node.operator, cst.AddAssign):
            return
        name = node.target.value
        parts = _interpolations(node.value)
        if not parts:
            return
        known = self._locals[-1].get(name)
        if known is None:
            return  # not known to hold SQL text
        dynamic = _judge(_text_before(node.value), parts, self._markers[-1], prior=known[0])
        if dynamic is not None:
            self._locals[-1][name] = (dynamic, self.ctx.line)

    def visit_Call(self, node: cst.Call) -> None:
        if not self._locals or self.ctx.function is None:
            return  # module-level code runs once
        if self.ctx.resolve(node.func) in _TEXT_BUILDERS:
            arg = first_arg(node)
            dynamic = _dynamic_sql(arg, self._markers[-1]) if arg is not None else None
            if dynamic is not None:
                self._report(node, "text()", dynamic, "")
            return
        if not isinstance(node.func, cst.Attribute) or node.func.attr.value not in _EXECUTE_METHODS:
            return
        arg = first_arg(node)
        if arg is None:
            return
        dynamic = _dynamic_sql(arg, self._markers[-1])
        via = ""
        if dynamic is None and isinstance(arg, cst.Name):
            known = self._locals[-1].get(arg.value)
            if known is not None and known[0] is not None:
                dynamic, line = known
                via = f" ('{arg.value}', built on line {line})"
        if dynamic is not None:
            self._report(node, f"{node.func.attr.value}()", dynamic, via)

    def _report(self, node: cst.Call, where: str, dynamic: Dynamic, via: str) -> None:
        confidence, what = dynamic
        verb = "builds" if where == "text()" else "runs"
        if confidence == "high":
            message = (f"{where} {verb} SQL text{via} with {what} pasted in: a new statement to parse and "
                       "plan for every value, instead of a bound parameter")
        else:
            message = (f"{where} {verb} SQL text{via} rebuilt from {what} on every call, though it comes out "
                       "the same each time: build it once")
        self.report(node, message, confidence=confidence)


# -- recognising dynamic SQL -------------------------------------------------------------
def _dynamic_sql(expr: Optional[cst.BaseExpression], markers: set) -> Optional[Dynamic]:
    """(confidence, description) when `expr` is SQL text with run-time parts pasted in."""
    if expr is None:
        return None
    while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in (
        "strip", "lstrip", "rstrip"
    ) and not expr.args:
        expr = expr.func.value
    head = _text_before(expr)
    if head is None or not _SQL_START.match(head):
        return None
    parts = _interpolations(expr)
    if not parts:
        return None
    return _judge(head, parts, markers)


def _judge(head: Optional[str], parts: List[Tuple[str, cst.BaseExpression, str]], markers: set,
           prior: Optional[Dynamic] = None):
    """Confidence from where each interpolation sits and what it is.

    A value where a placeholder could go (`= {x}`, `'{x}'`) that changes per call: high.
    A value or identifier that is the same on every call (a constant, an attribute of self):
    medium, the text could be built once. An identifier that changes (a table name passed in,
    a loop variable): not reported, as nothing could bind it and no single text would do.
    """
    values = [p for p in parts if not _is_placeholder(p[1], markers) and not _constant_choice(p[1])]
    if not values:
        return prior  # only parameter markers or literal alternatives were pasted in
    in_value = [p for p in values if _value_position(p[0])]
    changing = [p for p in in_value if not _stable(p[1])]
    if changing or (prior is not None and prior[0] == "high"):
        what = f"'{_code(changing[0][1])}'" if changing else prior[1]  # type: ignore[index]
        return "high", what
    stable = [p for p in values if _stable(p[1])]
    if stable and len(stable) == len(values):
        return "medium", ", ".join(f"'{_code(p[1])}'" for p in stable[:2])
    return prior


def _value_position(before: str) -> bool:
    """After `=`, `LIKE`, `IN (`, `VALUES (`... in SQL syntax, or right after an opening quote.

    Inside a quoted SQL string (an odd number of quotes before), keywords are text: `SELECT
    'INSERT INTO t VALUES(' || ...` builds SQL, and only `'{x}` counts as a value there.
    """
    if before.count("'") % 2 == 1:
        return bool(re.search(r"'%?$", before))
    return bool(_VALUE_POSITION.search(before))


def _constant_choice(expr: cst.BaseExpression) -> bool:
    """A literal, or a choice between literals (`" DESC" if rev else ""`)."""
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)):
        return True
    if isinstance(expr, cst.IfExp):
        return _constant_choice(expr.body) and _constant_choice(expr.orelse)
    return False


def _stable(expr: cst.BaseExpression) -> bool:
    """The same on every call: constants, attributes of self/cls/constants, calls of those."""
    if _constant_choice(expr):
        return True
    if isinstance(expr, cst.Name):
        return expr.value.isupper() and len(expr.value) > 1
    if isinstance(expr, cst.Attribute):
        root = expr.value
        while isinstance(root, cst.Attribute):
            root = root.value
        return isinstance(root, cst.Name) and (root.value in ("self", "cls") or root.value.isupper())
    if isinstance(expr, cst.Call):
        return bool(expr.args) and all(_stable(a.value) for a in expr.args)
    if isinstance(expr, cst.Subscript):
        return _stable(expr.value) and all(
            isinstance(e.slice, cst.Index) and _constant_choice(e.slice.value) for e in expr.slice)
    if isinstance(expr, cst.BinaryOperation):
        return _stable(expr.left) and _stable(expr.right)
    return False


def _text_before(expr: cst.BaseExpression) -> Optional[str]:
    """The literal text an expression starts with, if it starts with one."""
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(expr, cst.FormattedString):
        text = ""
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                text += part.value
            else:
                break
        return text or None
    if isinstance(expr, cst.ConcatenatedString):
        return _text_before(expr.left)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Modulo)):
        return _text_before(expr.left)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
        return _text_before(expr.func.value)
    return None


def _interpolations(expr: cst.BaseExpression) -> List[Tuple[str, cst.BaseExpression, str]]:
    """Run-time parts of a text: (literal text before, the expression, literal text after)."""
    out: List[Tuple[str, cst.BaseExpression, str]] = []
    if isinstance(expr, cst.FormattedString):
        parts = expr.parts
        for i, part in enumerate(parts):
            if isinstance(part, cst.FormattedStringExpression):
                before = "".join(p.value for p in parts[:i] if isinstance(p, cst.FormattedStringText))
                after = parts[i + 1].value if i + 1 < len(parts) and isinstance(parts[i + 1], cst.FormattedStringText) else ""
                out.append((before, part.expression, after))
        return out
    if isinstance(expr, cst.ConcatenatedString):
        return _interpolations(expr.left) + _interpolations(expr.right)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
        template = _text_before(expr.left)
        if template is None:
            return out
        values = _elements(expr.right)
        # Split on % directives (not %%): each directive takes the next value.
        pieces = re.split(r"%(?!%)(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]", template)
        for i, value in enumerate(values):
            if i + 1 >= len(pieces):
                break
            out.append(("".join(pieces[: i + 1]), value, pieces[i + 1]))
        if not out and values:
            out.append((template, values[0], ""))
        return out
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
        template = _text_before(expr.func.value)
        if template is None:
            return out
        pieces = re.split(r"\{[^{}]*\}", template)
        values = [a.value for a in expr.args]
        for i, value in enumerate(values):
            before = "".join(pieces[: i + 1]) if i + 1 < len(pieces) else template
            after = pieces[i + 1] if i + 1 < len(pieces) else ""
            out.append((before, value, after))
        return out
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        # Flatten a + b + c, keeping the text seen so far as "before".
        operands: List[cst.BaseExpression] = []
        stack = [expr]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
                stack.append(node.right)
                stack.append(node.left)
            else:
                operands.append(node)
        text = ""
        for i, operand in enumerate(operands):
            literal = _text_before(operand) if isinstance(operand, (cst.SimpleString, cst.ConcatenatedString)) else None
            if literal is not None and not _interpolations(operand):
                text += literal
                continue
            if isinstance(operand, cst.FormattedString):
                out.extend((text + b, e, a) for b, e, a in _interpolations(operand))
                continue
            nxt = operands[i + 1] if i + 1 < len(operands) else None
            after = (_text_before(nxt) or "") if nxt is not None else ""
            out.append((text, operand, after))
        return out
    return out


def _elements(expr: cst.BaseExpression) -> List[cst.BaseExpression]:
    if isinstance(expr, cst.Tuple):
        return [e.value for e in expr.elements]
    if isinstance(expr, cst.Dict):
        return [e.value for e in expr.elements if isinstance(e, cst.DictElement)]
    return [expr]


def _is_placeholder(expr: cst.BaseExpression, markers: set) -> bool:
    """`",".join("?" * n)`, `", ".join(["%s"] * n)`, a local holding one, or named like one."""
    # exact types (no subclasses): an isinstance against libcst's ABCs per node was slow here
    if type(expr) is cst.Name:
        return expr.value in markers or bool(  # type: ignore[attr-defined]
            re.search(r"(placeholder|marks|qmarks|params_sql|bind)", expr.value, re.I))  # type: ignore[attr-defined]
    strings = []
    stack: List[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        node_type = type(node)
        if node_type is cst.SimpleString:
            value = literal_value(node)
            strings.append(value if isinstance(value, str) else "")
        elif node_type is cst.FormattedStringText:
            strings.append(node.value)
        stack.extend(iter_children(node))
    return bool(strings) and all(_SEPARATOR.match(s) or _MARKER.search(s) for s in strings) and any(
        _MARKER.search(s) for s in strings
    )


def _code(expr: cst.BaseExpression) -> str:
    text = cst.Module(body=()).code_for_node(expr)
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:37] + "..."
