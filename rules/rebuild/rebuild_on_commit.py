"""PFL301 rebuild-on-commit."""

from __future__ import annotations

import re
from typing import List

import libcst as cst

from perflint.effects import REBUILD_NAME
from perflint.rule import Invalid, Rule
from perflint.ruleutil import enclosing_if_tests, names_in

# Words that make a guard a change check: only rebuild when something changed.
_GUARD_WORDS = re.compile(r"(version|cookie|mtime|stamp|dirty|changed|stale|generation|epoch|etag|hash|serial|revision|modified|counter|seq)", re.I)


class RebuildOnCommit(Rule):
    """
    A commit path that rebuilds derived state (schema, catalog, index) every time.

    ## What it does
    Flags a call, in a commit point, to a function that reloads or rebuilds schema,
    catalog, index or whole-file state, when nothing checks first whether that state
    changed. A commit point is a function that syncs or commits (directly or through
    the functions it calls) or is named like one (`commit`, `flush`, `save`, ...). A
    rebuilder is found from its body (it parses or re-reads what it rebuilds) or, with
    lower confidence, from its name (`reload`, `rebuild`, `load_schema`, ...).

    ## Why is this slow
    The schema changes on DDL, which is rare; commits happen on every write. Rebuilding
    on every commit turns each INSERT into a catalog re-read and re-parse. SQLite keeps
    a schema cookie, one integer in the file header, and reloads only when it moved.

    ## Example
    ```python
    def commit(self):
        self._pager.commit()
        self._schema.reload()
    ```

    ## Use instead
    ```python
    def commit(self):
        self._pager.commit()
        if self._schema.cookie != self._pager.schema_cookie():
            self._schema.reload()
    ```

    ## Notes
    A reload under an `if` that tests a version, cookie, mtime, dirty flag or similar,
    or after an early `return` guarded by one, is not reported.
    """

    CODE = "PFL301"
    COST = "schema-read"  # perflint/costs.py; measured by bench/costs.py
    NAME = "rebuild-on-commit"
    FAMILY = "rebuild"
    FIX = "compare a version cookie, mtime or dirty flag and rebuild only when it changed"
    VALID = [
        "import os\nclass S:\n    def reload(self):\n        self.tables = parse(self.read_catalog())\n"
        "    def commit(self):\n        os.fsync(self.fd)\n        if self.cookie != self.read_cookie():\n            self.reload()\n",
        "import os\nclass S:\n    def reload(self):\n        self.tables = {}\n"
        "    def commit(self):\n        if not self.dirty:\n            return\n        os.fsync(self.fd)\n        self.reload()\n",
        "class S:\n    def reload(self):\n        self.tables = {}\n    def open(self):\n        self.reload()\n",
    ]
    INVALID = [
        Invalid(
            "import os, json\n"
            "class Store:\n"
            "    def load_schema(self):\n"
            "        self.schema = json.loads(self.read())\n"
            "    def commit(self):\n"
            "        os.fsync(self.fd)\n"
            "        self.load_schema()\n",
            line=7,
        ),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._guarded: List[bool] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._guarded.append(False)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._guarded.pop()

    def visit_If(self, node: cst.If) -> None:
        # `if not self._dirty: return` guards everything after it in the function.
        if self._guarded and _GUARD_WORDS.search(" ".join(names_in(node.test))):
            body = node.body
            stmts = body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
            for stmt in stmts:
                inner = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt]
                if any(isinstance(s, cst.Return) for s in inner):
                    self._guarded[-1] = True

    def visit_Call(self, node: cst.Call) -> None:
        if not self._guarded or self._guarded[-1] or self.ctx.function is None:
            return
        # Phase 2 keeps only calls to a function named like a rebuild (its "rebuild" effect comes
        # from its name): a candidate per call of every function would cost a position each.
        name = _callee_name(node)
        original = self.ctx.imports.get(name, "").rpartition(".")[2]
        if not REBUILD_NAME.match(name) and not REBUILD_NAME.match(original):
            return
        for test in enclosing_if_tests(self.ctx):
            if _GUARD_WORDS.search(" ".join(names_in(test))):
                return
        self.report(
            node,
            f"{name}() rebuilds derived state on every commit, without checking whether it changed",
            requires=("fn:commit", "callee:rebuild"),
        )


def _callee_name(node: cst.Call) -> str:
    func = node.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return "this call"
