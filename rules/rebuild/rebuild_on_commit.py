"""PFL301 rebuild-on-commit."""

from __future__ import annotations

from typing import List

import libcst as cst

from perflint.effects import CHANGE_GUARD, REBUILD_NAME
from perflint.rule import Invalid, Rule
from perflint.ruleutil import enclosing_if_tests, loop_target_names, names_in



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
    or after an early `return` guarded by one, is not reported; nor is a call of a rebuilder
    whose own body is such a guard, a time-based one included (`if now -
    self.last_refresh_time > self.refresh_interval:` around the whole rebuild: a change check
    in time). `refresh_from_db()` and `refresh_from_task()` re-read or copy one record: they
    rebuild no derived state and are not rebuilders by their name. A rebuild of one entry
    that a loop over what changed names (`for pid in changed_ids: rebuild(pid)`, a search
    index updated per edited package) is the incremental form, not a rebuild from scratch
    (CKAN's reindex of edited datasets, labelled FALSE in run 11).
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
        # One record re-read (Django's, Airflow's refresh_from_db): no derived state.
        "import os\nclass Run:\n    def refresh_from_db(self, session):\n        self.state = session.get(Run, self.id).state\n"
        "    def refresh_from_task(self, task):\n        self.pool = task.pool\n"
        "    def commit(self, task):\n        os.fsync(self.fd)\n        self.refresh_from_db(self.session)\n"
        "        self.refresh_from_task(task)\n",
        # Reindexes each changed entry, by name: the incremental form.
        "import os\nclass S:\n    def rebuild(self, pid):\n        self.index[pid] = parse(self.read(pid))\n"
        "    def commit(self, changed):\n        os.fsync(self.fd)\n        for pid in changed:\n            self.rebuild(pid)\n",
        # The rebuilder checks, in time, whether a rebuild is due.
        "import os\nclass Manager:\n    def _refresh_dag_dir(self):\n        now = self.clock()\n"
        "        elapsed = now - self.last_dir_refresh_time\n        if elapsed > self.dir_list_interval:\n"
        "            self._paths = self.list_files()\n            self.last_dir_refresh_time = now\n"
        "    def commit(self):\n        os.fsync(self.fd)\n        self._refresh_dag_dir()\n",
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
        # A rebuild guarded by something other than a change check is still per commit.
        Invalid("import os\nclass S:\n    def reload(self):\n        if self.fd:\n            self.tables = {}\n"
                "    def commit(self):\n        os.fsync(self.fd)\n        self.reload()\n", line=8),
        Invalid("import os\nclass S:\n    def refresh(self):\n        self.tables = {}\n"
                "    def commit(self):\n        os.fsync(self.fd)\n        self.refresh()\n", line=7),
    ]

    def _per_changed_item(self, node: cst.Call) -> bool:
        """A rebuild of one entry a loop names (`rebuild(package_id)`, `search.rebuild(d.name)`):
        it updates the entry that changed, not the whole derived state."""
        if not self.ctx.loops or not node.args:
            return False
        return bool(loop_target_names(self.ctx) & names_in(node.args[0].value))

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._guarded: List[bool] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._guarded.append(False)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._guarded.pop()

    def visit_If(self, node: cst.If) -> None:
        # `if not self._dirty: return` guards everything after it in the function.
        if self._guarded and CHANGE_GUARD.search(" ".join(names_in(node.test))):
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
            if CHANGE_GUARD.search(" ".join(names_in(test))):
                return
        if self._per_changed_item(node):
            return  # `for pid in changed: rebuild(pid)`: reindexes what changed, the incremental form
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
