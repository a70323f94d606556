"""PFL402 sync-per-statement."""

from __future__ import annotations

import libcst as cst

from perflint.effects import DB_RECEIVER, SYNC_CALLS
from perflint.rule import Invalid, Rule
from perflint.ruleutil import method_name, receiver_text


class SyncPerStatement(Rule):
    """
    A disk sync or a database commit that runs once per row, statement or item.

    ## What it does
    Flags `os.fsync`/`os.fdatasync`/`os.sync` and database `commit()` calls (on a
    connection, session, cursor or transaction) that run once per iteration: inside a
    loop, or in a function that a loop reaches through the call graph (the trace shows
    the loop). A sync that runs once per call of a cold function is not reported.

    ## Why is this slow
    A sync waits for the disk: milliseconds on an SSD, tens on a disk or network volume,
    against microseconds for the write itself. Syncing per statement makes 100 inserts
    cost 100 syncs; SQLite, PostgreSQL and every journaling store batch them into one
    sync per transaction.

    ## Example
    ```python
    for row in rows:
        cur.execute("INSERT INTO t VALUES (?, ?)", row)
        conn.commit()
    ```

    ## Use instead
    ```python
    with conn:                      # one transaction, one commit, one sync
        cur.executemany("INSERT INTO t VALUES (?, ?)", rows)
    ```

    ## Notes
    A `commit()` of an in-repo class is not reported itself: perflint follows the call
    into its body and reports the sync or the external commit it performs there. When
    the receiver's class is unknown and the scanned code defines `commit()` methods of its
    own (an ORM's nested transactions, say), confidence is low.
    """

    CODE = "PFL402"
    COST = "commit"  # perflint/costs.py; measured by bench/costs.py
    NAME = "sync-per-statement"
    FAMILY = "sync"
    FIX = "sync or commit once per transaction or batch, after the loop, not once per item"
    TRIGGERS = ("sync", "commit")
    VALID = [
        "import os\ndef close(fd):\n    os.fsync(fd)\n",
        # a shredder: each pass rewinds and overwrites, and must reach the disk before the next
        "import os\ndef shred(fh, data, passes):\n    for _ in range(passes):\n        fh.seek(0)\n"
        "        fh.write(data)\n        os.fsync(fh.fileno())\n",
        "def load(conn, rows):\n    for row in rows:\n        conn.execute('INSERT INTO t VALUES (?)', row)\n    conn.commit()\n",
        "def save(repo, items):\n    for item in items:\n        repo.commit()\n",
    ]
    INVALID = [
        Invalid("def load(conn, rows):\n    for row in rows:\n        conn.execute('INSERT INTO t VALUES (?)', row)\n        conn.commit()\n", line=4),
        Invalid("import os\ndef write_all(fd, chunks):\n    for chunk in chunks:\n        os.write(fd, chunk)\n        os.fdatasync(fd)\n", line=5),
        Invalid(
            "import os\n"
            "class Log:\n"
            "    def append(self, rec):\n"
            "        os.write(self.fd, rec)\n"
            "        os.fsync(self.fd)\n"
            "def replay(log: Log, records):\n"
            "    for rec in records:\n"
            "        log.append(rec)\n"
            "def main():\n"
            "    replay(Log(), [])\n",
            line=5,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.ctx.resolve(node.func)
        if qualified in SYNC_CALLS:
            loops = self.ctx.loop_nodes
            if loops and _rewinds(loops[-1]):
                return  # each pass seeks back and overwrites (a shredder): the passes must each reach the disk
            self.report(node, f"{qualified}() runs once per iteration: one disk sync per item",
                        requires=("repeated",), cost="fsync")
            return
        if method_name(node) == "commit" and not node.args:
            receiver = receiver_text(node) or ""
            last = receiver.split(".")[-1]
            if DB_RECEIVER.search(last):
                self.report(node, f"{receiver}.commit() runs once per iteration: one transaction and sync per item",
                            requires=("repeated", "external:commit"))


def _rewinds(loop: cst.CSTNode) -> bool:
    """Whether a loop's body seeks back to offset 0 (`fh.seek(0)`, `fh.seek(0, 0)`): each
    iteration overwrites the same bytes, so syncing once after the loop would drop passes."""
    from perflint.walker import iter_children

    stack = list(iter_children(getattr(loop, "body", loop)))
    seen = 0
    while stack and seen < 5000:
        node = stack.pop()
        seen += 1
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "seek" \
                and node.args and isinstance(node.args[0].value, cst.Integer) and node.args[0].value.value == "0":
            return True
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(iter_children(node))
    return False
