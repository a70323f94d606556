"""PFL402 sync-per-statement."""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.effects import (BATCHES_IN, DB_RECEIVER, HOLDS_TRANSACTION, QUERY_METHODS, ROW_ERRORS, SYNC_CALLS, caught_errors,
                              outside_errors, savepoint_block, transaction_block)
from perflint.rule import Invalid, Rule
from perflint.nodes import iter_children, own_nodes
from perflint.repetition import RETRY_LOOP, counted_retry_reason, per_batch, retries_on_error
from perflint.ruleutil import enclosing_function, enclosing_if_tests, locks_rows, method_name, names_in, receiver_text, string_value
from perflint.rules.sync.commit_wrapper import (COMMITS_STATEMENT, assigned_value, executes_read, given_statement,
                                               reads_only, written_statement)
from perflint.rules.sync.durable_replace import commits_before_consuming, syncs_a_replacement
from perflint.rules.sync.orm_flush import (AUTOFLUSH_OFF, ORM_PACKAGES, adds_before, autoflush_off, commits_in, guarded_per_row,
                                          gets_or_creates, in_no_autoflush, loops_before, needed_here, own_session_per_call,
                                          periodic, queries_before, session_flush)

# A loop over schema objects or migration steps runs a handful of statements, once per
# deployment: a transaction per table or operation is how such tooling is meant to be.
_SCHEMA_LOOP = re.compile(r"(^|_)(tables?|operations?|migrations?|models?|schemas?|fixtures?|apps?|permissions?|ddl)(_|$)", re.I)
_TOOLING = re.compile(r"(migrat|setup|set_up|create_table|create_schema|init_?db|install|bootstrap|upgrade|"
                      r"downgrade|create_all|drop_all|fixture|provision|test_?data)", re.I)
# The block is the batched path's: it runs once per batch (`if len(batch) == size:`), or
# the code switches it off when it batches (`atomic_if(use_tx and not use_bulk)`).
_BATCH_WORD = re.compile(r"(chunk|batch|bulk)", re.I)
# SQLAlchemy's Engine.execute (1.x) runs each statement on its own connection and
# autocommits a write.
_ENGINE = re.compile(r"(^|_)engine$", re.I)
_WRITE_SQL = re.compile(r"^\s*(insert|update|delete|replace)\b", re.I)
ENGINE_FIX = ("open one connection and transaction around the loop (`with engine.begin() as conn:`) "
              "and pass all rows to one execute(stmt, rows)")
TRANSACTION_FIX = ("open one transaction around the loop (`with` block outside it) and write every item "
                   "in it; if one bad item must not undo the others, keep a savepoint per item only "
                   "where it can fail")


CALLER_TRANSACTION_FIX = ("write the items in one transaction: open it around the loop that calls this (a nested "
                          "block then commits once, where the block nests) or add a method that writes them all "
                          "in one block")
# A model instance that writes itself and commits: Django's and peewee's `save()`, beets' `store()`.
_PERSIST_METHODS = ("save", "store")
_CONTEXT_MANAGERS = ("contextmanager", "asynccontextmanager")
PERSIST_FIX = ("open one transaction around the loop (`with transaction.atomic():`, `with lib.transaction():`) so "
               "the writes commit once, or batch them (bulk_update)")


FLUSH_FIX = ("drop the flush from the loop: the commit, or one flush after the loop, sends the pending rows "
             "together (a flush per batch of rows bounds memory); if a lookup in the loop must see the rows "
             "added before it, keep their keys in a set")


WRAPPER_FIX = ("run the statements of the loop in one transaction (one `with` block around the loop, calling the "
               "variant that does not commit), or pass all rows to one executemany()")


class SyncPerStatement(Rule):
    """
    A disk sync or a database commit that runs once per row, statement or item.

    ## What it does
    Flags `os.fsync`/`os.fdatasync`/`os.sync` and database `commit()` calls (on a
    connection, session, cursor or transaction) that run once per iteration: inside a
    loop, or in a function that a loop reaches through the call graph (the trace shows
    the loop). A sync that runs once per call of a cold function is not reported.

    Commits that are not spelled `commit()` count too:
    - a transaction block (`with transaction.atomic():`, `with session.begin():`,
      `with lib.transaction():`, `with conn:`) opened per iteration of a loop;
    - a function that opens its own transaction block per call (a `store()`, a `push()`),
      reached per item through a data loop of the scanned code;
    - a model instance that saves itself per item of a loop (`item.save()`,
      `item.store()`), outside a transaction block;
    - a wrapper that runs the statement it is given and commits it
      (`atomic_transaction(conn, sql)`), at the call in a loop that hands it an INSERT,
      UPDATE or DELETE; the trace ends at the wrapper's commit.
    - an ORM session's `flush()` (SQLAlchemy's `Session.flush`, Flask-SQLAlchemy's
      `db.session.flush()`) after adding a new row, per item: the commit, or one flush after the
      loop, would send the rows together (see the Notes for the flushes that are needed).

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
    own (an ORM's nested transactions, say), confidence is low. A transaction block
    per item is reported at the `with` (the fix is to move it out of the loop); a
    deliberate transaction per item, so that one bad row does not undo the batch, costs
    the same commit per row: keep a savepoint only where a row can fail. A savepoint per
    item (`with session.begin_nested():`) is that fix, not a commit: releasing it writes
    and syncs nothing, the outer transaction commits once. A block per item that loops over
    what it writes (`for component in components: with atomic(): for unit in
    component.units: ...`) is one transaction per batch, the batched form, and is not
    reported, nor is a block that locks the rows it reads (`select_for_update()`,
    `with_for_update()`, `FOR UPDATE`): one transaction per item keeps each lock short, and one
    around the loop would hold every lock until the end (pretix's per-order transactions,
    labelled FALSE in run 9). An `atomic()` per item nested in an open transaction still is: Django makes it a
    savepoint, two statements per row (django-import-export fixed exactly that for bulk
    imports); keep it only where a row must be able to fail alone. That is the case, and it
    is not reported, when the block is the body of a `try` that catches a database error
    (`try: with atomic(): row.save() except IntegrityError: ...`), or any `Exception`, which
    catches it too: PostgreSQL aborts the whole transaction on an error unless a savepoint
    catches it (pulpcore's content stages, labelled FALSE in run 10). The transaction around
    it may be a caller's, or one that a decorator's wrapper opens around the call: then only
    the chains that hold none count, as for a transaction opened per call (pulpcore's
    scheduled tasks dispatched under its `@exclusive` lock, labelled FALSE in session 29).
    Nor is a block per item in a loop, inside a `try` whose
    handlers catch an error of something other than the write (`try: with atomic():
    provider.cancel_payment(p) except PaymentException:`): the block is that item's own unit
    of failure, by design, and one transaction around the loop would undo the other items
    with it (pretix's refunds and cancellations, labelled FALSE in run 10). A handler for a
    database error (`IntegrityError`) or for any `Exception` still reports there: a bulk write
    with conflict handling replaces a row that fails. Nor is a block whose record the pass then
    hands to an operation in such a `try` (`with atomic(): r = order.refunds.create(...)`, then
    `try: provider.execute_refund(r) except PaymentException:`): the record is committed
    before the money moves, and one transaction around the loop would leave the refunds made
    before a failure without theirs (pretix's automatic refunds, labelled FALSE in session
    29). Nor is a block retried on a database error
    (`for i in range(10): try: with atomic(): return invoice.save() except IntegrityError:`):
    each attempt takes a unique value that concurrent writers contend for (an invoice number),
    and committing it at once keeps that value's lock short, where one transaction around the
    callers' loop would hold every value taken until it ends and block the other writers
    (pretix's invoice numbers, labelled FALSE in session 29).

    A function decorated with a transaction (`@transaction.atomic`, `@transaction.atomic()`,
    peewee's `@db.atomic()`) holds one open around its whole body, like a `with` block: the
    saves of its loops and of everything it calls commit once, when it returns (a Django view
    that saves a formset under `@transaction.atomic`). So does a `with` block of a context
    manager of the program that yields inside a transaction block (`@contextmanager def
    deferred_logging(): with transaction.atomic(): yield`), for the saves, the wrappers and the
    per-call transactions in that block (Nautobot's bulk edit, labelled FALSE in run 12); a
    transaction it holds for the functions the block calls is not followed yet. Its own block
    commits once per caller's `with` block: when every caller's block loops over items
    (`with deferred_logging(): for obj in queryset: ...`), that is one transaction per batch,
    and it is not reported (Nautobot's orphaned custom field cleanup, labelled FALSE in
    session 29).

    A transaction opened per call is not reported when every chain that reaches the
    function passes a call made inside a transaction block (the inner block nests and
    commits nothing of its own). When only the hottest chains do, it is counted along the
    hottest chain that holds none, at that chain's heat (Wagtail's copy view commits each
    copied revision, though page copies for translation run inside one atomic block), and only
    when a loop of that chain repeats it. A call made per item of a loop inside a `try` whose
    handlers catch only a failure of something other than the database (`for o in orders: try:
    refund(o) except PaymentException:`) counts the same way, from that call, once per item:
    each item is the caller's unit of failure, and one transaction around its loop would undo
    the items before a failure with it (pretix's automatic refunds per cancelled order,
    labelled FALSE in session 31); a loop inside that `try`, and a save per line of one item
    below the call, still count. Nor
    is it reported when the block loops over its own batch,
    or when only a role makes it repeat (a `__getitem__` runs per item of a caller's loop,
    but that item is the caller's unit of work). A wrapper handed a `SELECT` commits
    nothing: there is no transaction open after a read. Nor does a `commit()` in a function
    whose every statement is a visible read (`cursor.execute(f"{select} ... LIMIT {n}")` with
    `select = "SELECT ..."`) and that calls nothing that writes another way (`add`,
    `executemany`, `save`...): AiiDA's ICSD importer commits after each page it reads
    (labelled FALSE in run 13). Nor does a transaction block whose every call is a read on
    the transaction it names (`with self.transaction() as tx: rows = tx.query(sql)`, or
    `tx.execute("SELECT ...")`): beets reads each smart playlist's items in one (labelled
    FALSE in run 14); a call on anything else in the block may write, and keeps it. Nor does
    a block whose every statement reads through a model's manager (`with atomic(): try:
    Unit.objects.filter(...).exists() except DataError: raise ValueError(...)`), a savepoint that
    keeps a failed query from aborting the outer transaction: it commits nothing (Weblate's
    regex search check, labelled FALSE in session 30); a write or any other call in the block
    keeps it. A per-row `save()` in the branch of an `if` whose other branch hands the same items
    to a bulk write (`if features.can_return_rows_from_bulk_insert: super().bulk_create(objs)
    else: for obj in objs: obj.save()`) is the code's fallback where the bulk form cannot serve
    (Weblate's change log on MySQL, labelled FALSE in session 30); beside a bulk write of other
    items it is still reported. A
    ModelForm's `form.save(commit=False)` builds the instance and writes nothing. A commit in
    a loop whose pass records its progress on a stored object (`query.progress = pct`,
    `query.set_extra_json_key("progress", msg)`) is how pollers in
    other processes see that progress, and is the point (Superset's SQL Lab, labelled FALSE in
    run 12); a progress bar (`bar.update(1)`) records nothing and does not count.

    A session's `flush()` per added row is not a commit, but it is the same shape: each flush
    sends its row's INSERT and waits for it (a round trip to a database server), and runs the
    unit of work (sorting the pending objects, building the statements, fetching the new keys,
    resetting the session's state), where one flush at the commit sends the rows of a mapper
    together (SQLAlchemy 2.0's batched INSERTs; 1.4 with psycopg2's batch helpers) and runs the
    unit of work once. Priced at `orm-flush-network`: 131 µs of the unit of work's own cost per
    flush, measured with SQLAlchemy 2.0 against SQLite in memory (`bench/orm_flush.py`), plus
    the cost table's server round trip (300 µs). A session in autocommit mode (SQLAlchemy 1.x's
    `autocommit=True`) commits on each flush, which costs more and is not priced. It is reported
    only in a program that imports SQLAlchemy, Flask-SQLAlchemy or SQLModel, on a receiver named
    like a session (`session`, `db.session`, `DBSession`; a file's, a stream's or a buffer's
    `flush()` is not one), when the pass (the loop's body, or the function a caller's loop
    repeats) adds a new object with `session.add()`/`add_all()` before it. Django has no flush:
    its `save()` writes at once (the model-write case above).

    A flush is left alone where it is needed: when what follows it in the pass reads what only
    the database gives the row (`obj.id` or a server default after `flush()`, a key attribute
    such as `parent.id`, `session.refresh(obj)`) or hands the added object on (to a call, a
    signal, a log line, a list, the caller: they may read its key); when a query later in the
    same pass must see the row (with autoflush on, that query would flush it anyway, so the
    explicit flush costs nothing); when the flush sits in a `try` whose handler catches a
    database error (or any `Exception`), or in a savepoint, per row: the flush is where that
    row's `IntegrityError` is raised and handled; when the pass loops over rows of its own before
    it, or the flush runs once per batch (`if i % 100 == 0:`, `if self.pending > 1000:`,
    `for chunk in batches:`), the batched form; and when the pass commits too (that commit is
    the finding). A lookup per item before the flush (a get-or-create: query, then add when
    missing) would flush the previous item's row by autoflush, which SQLAlchemy turns on by
    default, so dropping the explicit flush saves nothing there: such a flush is reported only
    in a program that turns autoflush off (`sessionmaker(autoflush=False)`, a `"autoflush":
    False` session option) or inside `with session.no_autoflush:`, at medium confidence. If the
    lookup must see the rows added before it (duplicates in the input), keep their keys in a
    set rather than flushing per row.

    The sync of an atomic file replacement (write a temporary or lock file, sync it, rename
    it over the target, in one function) is not reported, however often callers reach it:
    it is the durability contract of one whole-file write, and syncing "once after the
    loop" would leave every replacement but the last undurable. If a loop replaces the
    same file per item, the fix is to write it once after the loop, at that loop. A sync
    repeated by a loop inside the function before one rename (a sync per written line) is
    reported; a sync followed by a rename in the same pass of a loop is one replacement per
    file, each of which must reach the disk before its rename (Mailman's queue recovery,
    labelled FALSE in run 11), and is not. Nor is a commit followed, in the same pass, by the
    removal of the file the pass was handed (`load(path); db.commit(); os.remove(path)`, or
    `path.unlink()`, `shutil.move(path, done)`, with `path` the loop's item or a parameter
    of the function): the rows must be durable before their source is gone, and one commit
    after the loop would delete files whose rows a crash could still lose (Indico's resend of
    failed e-mails, labelled FALSE in session 29).
    """

    CODE = "PFL402"
    COST = "commit"  # perflint/costs.py; measured by bench/costs.py
    NAME = "sync-per-statement"
    FAMILY = "sync"
    FIX = "sync or commit once per transaction or batch, after the loop, not once per item"
    TRIGGERS = ("sync", "commit", "with ", "engine", ".save(", ".store(", "flush")
    VALID = [
        "import os\ndef close(fd):\n    os.fsync(fd)\n",
        # a file written to a temporary name and renamed (atomicwrites, salt's atomic_open): no transaction
        "from atomicfile import atomic_open\nclass Cache:\n    def _write(self):\n"
        "        with atomic_open(self._path, 'wb') as fp:\n            fp.write(self._data)\n"
        "    def set(self, k, v):\n        self._data[k] = v\n        self._write()\n"
        "def fill(cache, items):\n    for k, v in items:\n        cache.set(k, v)\n",
        # a shredder: each pass rewinds and overwrites, and must reach the disk before the next
        "import os\ndef shred(fh, data, passes):\n    for _ in range(passes):\n        fh.seek(0)\n"
        "        fh.write(data)\n        os.fsync(fh.fileno())\n",
        "def load(conn, rows):\n    for row in rows:\n        conn.execute('INSERT INTO t VALUES (?)', row)\n    conn.commit()\n",
        "def save(repo, items):\n    for item in items:\n        repo.commit()\n",
        # One transaction around the loop.
        "from django.db import transaction\ndef load(rows):\n    with transaction.atomic():\n"
        "        for row in rows:\n            row.save()\n",
        # Once per batch, not per item.
        "from django.db import transaction\ndef load(rows, batch_size):\n    batch = []\n    for row in rows:\n"
        "        batch.append(row)\n        if len(batch) == batch_size:\n            with transaction.atomic():\n"
        "                flush(batch)\n",
        # A read per item through the engine does not commit (PFL503's business).
        "def load(engine, ids):\n    for i in ids:\n        engine.execute('SELECT 1 FROM t WHERE id = ?', i)\n",
        # A savepoint per item inside the open transaction: released, not committed.
        "def queue(session, items):\n    for item in items:\n        try:\n"
        "            with session.begin_nested():\n                session.merge(item)\n"
        "        except ValueError:\n            pass\n    session.commit()\n",
        # A lock per item is not a transaction.
        "def bump(lock, items):\n    for item in items:\n        with lock:\n            item.n += 1\n",
        # An atomic replacement: sync the lock file, then rename it over the target; a loop
        # calling it replaces files, it does not sync statements.
        "import os\nclass LockedFile:\n    def close(self):\n        self._file.flush()\n"
        "        os.fsync(self._file.fileno())\n        self._file.close()\n"
        "        os.replace(self._lockname, self._name)\n"
        "def write_all(files, data):\n    for f in files:\n        f.write(data)\n        f.close()\n",
        # each file synced, then renamed, in the same pass: one atomic replacement per file
        "import os\ndef recover(paths):\n    for src in paths:\n        with open(src, 'rb+') as fp:\n"
        "            fp.write(b'1')\n            os.fsync(fp.fileno())\n            os.rename(src, src + '.pck')\n",
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
            "def recover(path):\n"
            "    replay(Log(), open(path))\n",
            line=5,
        ),
        Invalid("from django.db import transaction\ndef load(rows):\n    for row in rows:\n"
                "        with transaction.atomic():\n            row.save()\n", line=4),
        Invalid("def load(engine, table, rows):\n    insert = table.insert()\n    for row in rows:\n"
                "        engine.execute(insert, [dict(row)])\n", line=4),
        Invalid("import sqlite3\ndef load(conn, rows):\n    for row in rows:\n        with conn:\n"
                "            conn.execute('INSERT INTO t VALUES (?)', row)\n", line=4),
        # A sync per written line, then one rename: only the last sync is needed.
        Invalid("import os\ndef save(path, lines):\n    with open(path + '.tmp', 'w') as f:\n"
                "        for line in lines:\n            f.write(line)\n            f.flush()\n"
                "            os.fdatasync(f.fileno())\n    os.replace(path + '.tmp', path)\n", line=7),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.ctx.resolve(node.func)
        if qualified in SYNC_CALLS:
            loops = self.ctx.loop_nodes
            if loops and _rewinds(loops[-1]):
                return  # each pass seeks back and overwrites (a shredder): the passes must each reach the disk
            if syncs_a_replacement(self.ctx, node):
                return  # sync, then rename over the target: one durable file write, not a sync per statement
            self.report(node, f"{qualified}() runs once per iteration: one disk sync per item",
                        requires=("repeated",), cost="fsync")
            return
        if method_name(node) == "execute" and self.ctx.loops and not self.ctx.is_test:
            receiver = receiver_text(node) or ""
            if _ENGINE.search(receiver.split(".")[-1]) and node.args and self._writes(node.args[0].value):
                self.report(node, f"{receiver}.execute() autocommits a write per iteration: one transaction and "
                                  "commit per item", requires=("repeated",), fix=ENGINE_FIX)
                return
        if node.args and not self.ctx.is_test and method_name(node) not in QUERY_METHODS:
            verb = written_statement(self.ctx, node)
            if verb is not None:
                callee = dotted_text(node.func) or "the callee"
                self.report(node, f"{callee}() commits the {verb} it is given: one transaction and sync per item",
                            requires=("repeated", f"callee:{COMMITS_STATEMENT}", "outside-transaction", "trace-callee", "!per-batch",
                                      *self._held_by()),
                            fix=WRAPPER_FIX)
                return
        if method_name(node) in _PERSIST_METHODS and self._persists_loop_item(node):
            if _bulk_fallback(self.ctx):
                # `if backend_can_bulk: bulk_create(objs) else: for o in objs: o.save()`: the
                # per-row branch is the code's fallback where the bulk form cannot serve
                return
            receiver = receiver_text(node)
            self.report(node, f"{receiver}.{method_name(node)}() writes and commits one transaction per iteration",
                        requires=("repeated", "outside-transaction", f"model-write:{method_name(node)}", "!per-batch",
                                  *self._held_by()), fix=PERSIST_FIX)
            return
        if method_name(node) == "flush":
            receiver = session_flush(node)
            if receiver is not None:
                self._flush(node, receiver)
                return
        if method_name(node) == "commit" and not node.args:
            receiver = receiver_text(node) or ""
            last = receiver.split(".")[-1]
            if DB_RECEIVER.search(last):
                fn = enclosing_function(self.ctx)
                if fn is not None and reads_only(fn):
                    return  # it ends a read's transaction: nothing written, nothing synced
                if self.ctx.loop_nodes and _publishes_progress(self.ctx.loop_nodes[-1]):
                    # `query.progress = ...; session.commit()` per statement: the commit is how
                    # pollers in other processes see it (Superset's SQL Lab, FALSE in run 12)
                    return
                if commits_before_consuming(self.ctx, node):
                    # `load(path); conn.commit(); os.remove(path)`: the rows are made durable
                    # before their file is gone (Indico's failed e-mails, FALSE in session 29)
                    return
                if given_statement(self.ctx):
                    # It commits whatever its caller hands it: judged at the callers that hand
                    # it a write (a read commits nothing).
                    self.effect(COMMITS_STATEMENT)
                    return
                self.report(node, f"{receiver}.commit() runs once per iteration: one transaction and sync per item",
                            requires=("repeated", "external:commit"))

    def visit_Arg(self, node: cst.Arg) -> None:
        if autoflush_off(node) and not self.ctx.is_test:
            self.effect(AUTOFLUSH_OFF)  # `sessionmaker(bind=engine, autoflush=False)`

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if autoflush_off(node) and not self.ctx.is_test:
            self.effect(AUTOFLUSH_OFF)  # `session_kwargs={"autoflush": False, ...}`

    def _flush(self, node: cst.Call, receiver: str) -> None:
        """`session.flush()` per item: each flush sends the pending rows' INSERTs one by one and
        runs the unit of work, where the commit (or one flush after the loop) would batch them."""
        if self.ctx.is_test or self._tooling():
            return
        fn = enclosing_function(self.ctx)
        loops = self.ctx.loop_nodes
        if loops:
            if per_batch(self.ctx.loops[-1].why) or self.ctx.loops[-1].why.endswith(RETRY_LOOP):
                return  # once per batch of rows, or per attempt
            scope: Optional[cst.CSTNode] = getattr(loops[-1], "body", None)
        else:
            scope = fn.body if fn is not None else None
        if scope is None:
            return
        if any(periodic(test) or any(_BATCH_WORD.search(name) for name in names_in(test))
               for test in enclosing_if_tests(self.ctx)):
            return  # `if i % 100 == 0:`, `if len(batch) >= batch_size:`: once per batch
        if not adds_before(scope, node):
            return  # no new row of this pass: an UPDATE's or a bulk DELETE's flush, or a relationship's
        if loops_before(scope, node):
            return  # the pass (or the call) loops over rows of its own first: one flush per batch
        if guarded_per_row(list(self.ctx.stack), loops[-1] if loops else None) is not None:
            return  # the flush raises this row's IntegrityError where a handler (or savepoint) catches it
        if needed_here(scope, node) is not None:
            return  # what follows reads the row's generated key or default, or queries for the row
        if commits_in(scope) or own_session_per_call(fn):
            # the pass commits too (PFL402 reports that commit, which flushes), or the function
            # gets a session of its own per call (`@provide_session`) and commits when it returns
            return
        requires = ["repeated", "external", "imports:" + ",".join(ORM_PACKAGES), "!per-batch"]
        confidence = None
        if (queries_before(scope, node) or gets_or_creates(scope, node)) and not in_no_autoflush(list(self.ctx.stack)):
            # A lookup per item before the flush would autoflush the previous item's row anyway
            # (autoflush is on by default): the explicit flush costs nothing more. Only where the
            # program turns autoflush off is it the flush per row (faf's sessions).
            requires.append(f"program-effect:{AUTOFLUSH_OFF}")
            confidence = "medium"
        self.report(node, f"{receiver}.flush() runs once per iteration: the pending rows are sent one "
                          "INSERT and one unit-of-work flush at a time instead of together",
                    requires=tuple(requires), confidence=confidence, cost="orm-flush-network", fix=FLUSH_FIX)

    def visit_With(self, node: cst.With) -> None:
        if self.ctx.is_test or self._tooling():
            return
        if any(_BATCH_WORD.search(name) for test in enclosing_if_tests(self.ctx) for name in names_in(test)):
            return  # once per batch, not per item
        self._note_batch_block(node)
        for item in node.items:
            what = transaction_block(item.item)
            if what is None:
                continue
            if savepoint_block(item.item):
                return  # a SAVEPOINT in the open transaction: released, not committed
            survives = _survives_row_error(self.ctx)
            if survives and self.ctx.in_transaction_block():
                # `try: with atomic(): row.save() except IntegrityError:` inside the batch's
                # transaction: the savepoint lets one row fail without aborting the rest, which
                # PostgreSQL needs (pulpcore's content stages, labelled FALSE in run 10)
                return
            if any(_BATCH_WORD.search(name) for name in names_in(item.item)):
                return  # a transaction per item only when the code does not batch
            if locks_rows(node.body):
                return  # it locks the item's row: one transaction per item keeps each lock short
            if item.asname is not None and _reads_only(node.body, item.asname.name, enclosing_function(self.ctx)):
                # `with self.transaction() as tx: rows = tx.query(sql)`: a transaction that only
                # reads commits no change (beets' `_get_results`, labelled FALSE in run 14)
                return
            if _orm_reads_only(node.body):
                # `with atomic(): try: Model.objects.filter(...).exists() except DataError: raise`:
                # a block that only reads through the ORM (a savepoint that keeps a failed query
                # from aborting the outer transaction) commits no change and syncs nothing
                return
            loops = self.ctx.loops
            if loops and _isolates_item_failure(self.ctx):
                # `for p in payments: try: with atomic(): provider.cancel(p) except PaymentError:`
                # a failure rolls back only its own item, by design: one transaction around the
                # loop would undo the others (pretix's refunds and cancellations, run 10)
                return
            if loops and per_batch(loops[-1].why):
                return  # one transaction per batch of rows (a chunked DELETE until none is left)
            if loops and not loops[-1].why.endswith(RETRY_LOOP):
                if _loops_inside(node.body):
                    # the block loops over what it writes: one transaction per batch (a
                    # component, a file, a chunk of 1000 rows), the batched form (weblate, run 9).
                    # Nested in an open transaction it is still reported: a savepoint per row is
                    # two statements per row (django-import-export's bulk import, a fixed bug).
                    return
                if _records_before_outside_call(self.ctx, node):
                    # `with atomic(): r = refunds.create(...)`, then `try: provider.refund(r)
                    # except PaymentException:` the record is committed before money moves, and
                    # one transaction around the loop would leave the refunds made before a
                    # failure without theirs (pretix's automatic refunds, FALSE in session 29)
                    return
                # In a `try` that catches a database error, the block is the savepoint that lets
                # one item fail alone when a caller holds a transaction open (a decorator's, a
                # caller's block): only the chains that hold none commit per item.
                self.report(item.item, f"`with {what}` runs once per iteration: one transaction and commit per item",
                            requires=("repeated", "outside-transaction") if survives else ("repeated",), fix=TRANSACTION_FIX)
            elif _retried_on_db_error(self.ctx):
                # `for i in range(10): try: with atomic(): invoice.save() except IntegrityError:`
                # each attempt takes a unique value that concurrent writers contend for (an
                # invoice number): committing at once keeps its lock short, where one transaction
                # around the callers' loop would hold every value taken until the end and block
                # the other writers (pretix's invoice numbers, labelled FALSE in session 29)
                return
            elif not self.ctx.in_transaction_block() and not _loops_inside(node.body) and (
                    # a block per attempt of a retry loop commits once per call, as one outside a loop
                    # (a retry on any error: one on a database error is left alone above)
                    type(item.item) is cst.Call or _executes_on(node.body, what)):
                # A function that opens its own transaction per call (a `store()`, a `push()`)
                # commits once per item when a caller loops over it, unless a caller on the
                # way holds a transaction open (the block is then nested and commits nothing).
                # A block that loops over what it writes is a batch's one transaction. Only a
                # data loop of the scanned code counts: a `get()` reached from `__getitem__` is
                # each caller's unit of work, and the fix would be in code we cannot see.
                # A context manager's block around its `yield` holds the transaction for each
                # caller's `with` block: one per batch where every caller's block loops over items
                # (Nautobot's deferred change logging, labelled FALSE in session 29).
                batched = ("!batched-by-callers",) if _yields_inside(node.body) else ()
                self.report(item.item, f"`with {what}` commits a transaction on every call of "
                                       f"{self.ctx.function_qualname}, which runs once per item",
                            requires=("repeated", "looped", "outside-transaction", "!per-batch", *batched, *self._held_by()),
                            fix=CALLER_TRANSACTION_FIX)
            return

    def visit_Yield(self, node: cst.Yield) -> None:
        # A @contextmanager that yields inside `with transaction.atomic():` holds one open
        # around its caller's `with` block (Nautobot's deferred change logging).
        fn = enclosing_function(self.ctx)
        if fn is not None and self.ctx.in_transaction_block() and any(
                (self.ctx.resolve(d.decorator) or dotted_text(d.decorator) or "").split(".")[-1] in _CONTEXT_MANAGERS
                for d in fn.decorators):
            self.effect(HOLDS_TRANSACTION)

    def _note_batch_block(self, node: cst.With) -> None:
        """`with deferred_logging(): for obj in objs: ...`: record that this function runs a loop
        over items in a block of that context manager (BATCHES_IN), for the transaction it may
        hold around its `yield`."""
        managers = self._context_managers(node)
        if managers and _loops_inside(node.body):
            for name in managers:
                self.effect(BATCHES_IN + name)

    def _context_managers(self, node: cst.With) -> List[str]:
        """The dotted names (resolved, or in this module) of the functions a `with` statement
        calls to open its blocks, other than a transaction by its name."""
        return [self.ctx.resolve(item.item.func) or f"{self.ctx.module_name}.{dotted_text(item.item.func)}"  # type: ignore[attr-defined]
                for item in node.items if type(item.item) is cst.Call and transaction_block(item.item) is None
                and dotted_text(item.item.func)]  # type: ignore[attr-defined]

    def _held_by(self) -> Tuple[str, ...]:
        """`!held:<dotted>` for each call opening a `with` block of this function around the
        node (`with deferred_change_logging():`), other than a transaction by its name: phase 2
        drops the finding if that function is a context manager holding a transaction open."""
        out = []
        stack = self.ctx.stack
        for i in range(len(stack) - 1, 0, -1):
            outer = stack[i - 1]
            if type(outer) in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
                break
            if type(outer) is cst.With and stack[i] is outer.body:
                out.extend(f"!held:{name}" for name in self._context_managers(outer))
        return tuple(out)

    def _persists_loop_item(self, node: cst.Call) -> bool:
        """`item.save()` / `item.store()` with no positional argument, on the item a loop of
        this function iterates, outside a transaction block: a model writing itself per item.
        (A `save(path)` writes a file, not a row.)"""
        if any(arg.keyword is None for arg in node.args) or self.ctx.is_test or not self.ctx.loops:
            return False
        if any(arg.keyword.value == "commit" and isinstance(arg.value, cst.Name) and arg.value.value == "False"
               for arg in node.args):
            return False  # a ModelForm's `save(commit=False)` builds the instance and writes nothing
        receiver = node.func.value if isinstance(node.func, cst.Attribute) else None
        if not isinstance(receiver, cst.Name) or self.ctx.in_transaction_block() or self._tooling():
            return False
        for loop in self.ctx.loop_nodes:
            target = getattr(loop, "target", None) or getattr(getattr(loop, "for_in", None), "target", None)
            if target is not None and receiver.value in names_in(target):
                return True
        return False

    def _tooling(self) -> bool:
        """Schema, migration and test-fixture code, or a loop over schema objects."""
        where = " ".join((self.ctx.path, self.ctx.class_qualname or "", self.ctx.function_qualname))
        if _TOOLING.search(where) or "/testing/" in self.ctx.path.replace("\\", "/"):
            return True
        for loop in self.ctx.loop_nodes:
            target = getattr(loop, "target", None) or getattr(getattr(loop, "for_in", None), "target", None)
            source = getattr(loop, "iter", None) or getattr(getattr(loop, "for_in", None), "iter", None)
            words = names_in(target) if target is not None else set()
            if source is not None:
                words |= set(re.split(r"\W+", dotted_text(source) or ""))
            if any(_SCHEMA_LOOP.search(w) for w in words if w):
                return True
        return False

    def _writes(self, statement: cst.BaseExpression) -> bool:
        """A DML statement: INSERT/UPDATE/DELETE text or a Core `table.insert()` builder,
        directly or through a name the enclosing function assigns it to."""
        if isinstance(statement, cst.Name):
            fn = enclosing_function(self.ctx)
            found = assigned_value(fn, statement.value) if fn is not None else None
            if found is None:
                return False
            statement = found
        if isinstance(statement, cst.Call) and isinstance(statement.func, cst.Attribute):
            return statement.func.attr.value in ("insert", "update", "delete")
        if isinstance(statement, (cst.SimpleString, cst.ConcatenatedString)):
            text = statement.evaluated_value
            return isinstance(text, str) and bool(_WRITE_SQL.match(text))
        return False


# `progress`, `progress_pct`: not `in_progress`, a per-item state flag (a claim per row is a write).
_PROGRESS_KEY = re.compile(r"^_*progress(_\w+)?$", re.I)


def _bulk_fallback(ctx) -> bool:
    """The loop around the save is one branch of an `if` whose other branch hands the same
    items (a name of the loop's iterable) to a bulk write (`bulk_create(...)`, `bulk_update(...)`):
    the code batches where it can, and saves per row only where the bulk form cannot serve it
    (a backend that returns no keys from a bulk insert)."""
    return any(_bulk_elsewhere(ctx.stack, loop) for loop in ctx.loop_nodes)


def _bulk_elsewhere(stack, loop: cst.CSTNode) -> bool:
    iterable = getattr(loop, "iter", None)
    if iterable is None:
        return False
    items = names_in(iterable)
    try:
        at = next(i for i in range(len(stack) - 1, -1, -1) if stack[i] is loop)
    except StopIteration:
        return False
    for i in range(at - 1, -1, -1):
        node = stack[i]
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return False
        if not isinstance(node, cst.If):
            continue
        below = stack[i + 1]
        other = node.orelse if below is node.body else node.body if below is node.orelse else None
        if other is not None and _bulk_writes(other, items):
            return True
    return False


def _bulk_writes(tree: cst.CSTNode, items: set) -> bool:
    """A call of a `bulk_*` method in `tree` given one of the names in `items`."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, cst.Call) and (method_name(node) or "").startswith("bulk_") and \
                any(items & names_in(arg.value) for arg in node.args):
            return True
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        todo.extend(node.children)
    return False


def _publishes_progress(loop: cst.CSTNode) -> bool:
    """A pass of the loop records its progress on a stored object (`job.progress = pct`,
    `query.set_extra_json_key("progress", msg)`), for other processes to read."""
    body = getattr(loop, "body", None)
    if body is None:
        return False
    for node, _ in own_nodes(body):
        kind = type(node)
        if kind is cst.AssignTarget or kind is cst.AugAssign:
            target = node.target
            if type(target) is cst.Attribute and _PROGRESS_KEY.match(target.attr.value):
                return True
        elif kind is cst.Call and node.args and type(node.args[0].value) is cst.SimpleString:
            key = string_value(node.args[0].value)
            if key is not None and _PROGRESS_KEY.match(key):
                return True
    return False


_READ_METHODS = frozenset({"query", "select", "fetchone", "fetchall", "fetchmany", "scalar", "scalars"})


def _reads_only(body: cst.BaseSuite, target: cst.BaseExpression, fn: Optional[cst.FunctionDef]) -> bool:
    """Every call in the block is a read on the transaction it names (`tx.query(sql)`,
    `tx.execute("SELECT ...")`), and there is one: nothing else runs that could write."""
    if type(target) is not cst.Name:
        return False
    name = target.value  # type: ignore[attr-defined]
    reads = 0
    for node, _ in own_nodes(body):
        if type(node) is not cst.Call:
            continue
        func = node.func
        if type(func) is not cst.Attribute or type(func.value) is not cst.Name or func.value.value != name:
            return False
        method = func.attr.value
        if method == "execute":
            if fn is None or not executes_read(fn, node):
                return False
        elif method not in _READ_METHODS:
            return False
        reads += 1
    return reads > 0


# The methods of a Django queryset that build or run a read; none of them writes.
_QUERYSET_READS = frozenset({"all", "filter", "exclude", "annotate", "alias", "order_by", "select_related",
                             "prefetch_related", "only", "defer", "values", "values_list", "distinct", "using",
                             "exists", "count", "get", "first", "last", "aggregate", "in_bulk", "none"})


def _orm_reads_only(body: cst.BaseSuite) -> bool:
    """Every statement of the block reads through a model manager (`Unit.objects.filter(...).exists()`,
    alone or assigned to a name), in a `try` whose handlers only raise, and there is one: the block
    ends with a rollback or a commit of nothing."""
    reads = [0]

    def statements(suite) -> bool:
        if type(suite) is not cst.IndentedBlock:
            return False
        for stmt in suite.body:
            if type(stmt) is cst.SimpleStatementLine:
                for small in stmt.body:
                    if type(small) is cst.Expr and _manager_read(small.value):
                        reads[0] += 1
                    elif type(small) is cst.Assign and _manager_read(small.value) and \
                            all(type(t.target) is cst.Name for t in small.targets):
                        reads[0] += 1
                    elif type(small) not in (cst.Pass, cst.Raise):
                        return False
            elif type(stmt) is cst.Try:
                if stmt.orelse is not None or stmt.finalbody is not None or not statements(stmt.body):
                    return False
                for handler in stmt.handlers:
                    if not all(type(h) is cst.SimpleStatementLine and all(type(x) is cst.Raise for x in h.body)
                               for h in handler.body.body):
                        return False
            else:
                return False
        return True

    return statements(body) and reads[0] > 0


def _manager_read(expr: cst.BaseExpression) -> bool:
    """`Model.objects.<read>(...)...`: a chain of queryset reads on a model's manager, whose
    arguments call nothing but constructors (`Value("")`, `Q(...)`)."""
    if type(expr) is not cst.Call or type(expr.func) is not cst.Attribute:
        return False
    if expr.func.attr.value not in _QUERYSET_READS or not all(_plain(arg.value) for arg in expr.args):
        return False
    receiver = expr.func.value
    if type(receiver) is cst.Attribute and receiver.attr.value == "objects":
        return type(receiver.value) in (cst.Name, cst.Attribute)
    return _manager_read(receiver)


def _plain(expr: cst.CSTNode) -> bool:
    """No call in `expr` but of a class by its capitalised name."""
    todo = [expr]
    while todo:
        node = todo.pop()
        if type(node) is cst.Call:
            func = node.func
            name = func.value if type(func) is cst.Name else func.attr.value if type(func) is cst.Attribute else ""
            if not name[:1].isupper():
                return False
        if type(node) in (cst.Lambda, cst.GeneratorExp, cst.ListComp, cst.SetComp, cst.DictComp):
            return False
        todo.extend(node.children)
    return True


def _executes_on(body: cst.BaseSuite, receiver: str) -> bool:
    """Whether a block runs a statement on `receiver` (`conn.execute(...)`): then a bare
    `with conn:` is a DB-API connection's transaction, not some other resource's guard."""
    stack = list(iter_children(body))
    while stack:
        node = stack.pop()
        if type(node) is cst.Call and method_name(node) in QUERY_METHODS and receiver_text(node) == receiver:  # type: ignore[arg-type]
            return True
        if type(node) not in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
            stack.extend(iter_children(node))
    return False


def _caught(ctx) -> Optional[List[Optional[List[str]]]]:
    """When the `with` being visited is the body of a `try`: per handler, the last names of the
    errors it catches (None for a bare `except:`); None when it is not."""
    body, stmt = ctx.parent(1), ctx.parent(2)
    if type(stmt) is not cst.Try or stmt.body is not body:
        return None
    return caught_errors(stmt)


def _survives_row_error(ctx, by_name: bool = False) -> bool:
    """Whether the `with` being visited is the body of a `try` that catches a database error:
    by name, or (unless `by_name`) as any `Exception` or with a bare `except:`, which catch it too."""
    handlers = _caught(ctx)
    broad = () if by_name else ("Exception", "BaseException")
    return bool(handlers) and any((names is None and not by_name) or any(ROW_ERRORS.search(name) or name in broad
                                                                         for name in names or ()) for names in handlers)


def _retried_on_db_error(ctx) -> bool:
    """Whether the `with` being visited is the body of a `try` that catches a database error by
    name, directly in a retry loop that leaves on success (`for i in range(10): try: with
    atomic(): return obj.save() except IntegrityError: continue`)."""
    if not _survives_row_error(ctx, by_name=True):
        return False
    loop = ctx.parent(4)  # the with, in the try's body, in the loop's body
    if type(loop) is cst.For:
        return bool(counted_retry_reason(loop))
    return type(loop) is cst.While and retries_on_error(loop.body)


def _isolates_item_failure(ctx) -> bool:
    """Whether the `with` being visited is the body of a `try` whose handlers catch an error
    of something other than the write (a payment provider's, a network call's): the block is
    each item's own unit of failure. A handler for a database error is the row failing, which a
    bulk write with conflict handling replaces; that stays a finding."""
    return outside_errors(_caught(ctx))


def _records_before_outside_call(ctx, block: cst.With) -> bool:
    """Whether a later statement of the pass is a `try` whose handlers catch only an error of
    something other than the database (`except PaymentException:`) and whose body hands on a
    name the block binds: `with atomic(): r = order.refunds.create(...)`, then `try:
    provider.execute_refund(r)`. The block records the item before an operation outside the
    database that can fail on its own: the record must be committed before it runs."""
    suite = ctx.parent(1)
    statements = list(getattr(suite, "body", ()))
    if block not in statements:
        return False
    bound = set()
    for node, _ in own_nodes(block.body):
        if type(node) is cst.AssignTarget and type(node.target) is cst.Name:
            bound.add(node.target.value)
    if not bound:
        return False
    for stmt in statements[statements.index(block) + 1:]:
        if type(stmt) is not cst.Try or not outside_errors(caught_errors(stmt)):
            continue
        for node, _ in own_nodes(stmt.body):
            if type(node) is cst.Call and any(bound & names_in(arg.value) for arg in node.args):
                return True
    return False


def _yields_inside(body: cst.BaseSuite) -> bool:
    """Whether a block yields (outside nested functions): a generator's, a context manager's."""
    return any(type(node) is cst.Yield for node, _ in own_nodes(body))


def _loops_inside(body: cst.BaseSuite) -> bool:
    """Whether a block has a `for` or `while` statement (outside nested functions)."""
    stack = list(iter_children(body))
    while stack:
        node = stack.pop()
        node_type = type(node)
        if node_type is cst.For or node_type is cst.While:
            return True
        if node_type in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
            continue
        stack.extend(iter_children(node))
    return False


def _rewinds(loop: cst.CSTNode) -> bool:
    """Whether a loop's body seeks back to offset 0 (`fh.seek(0)`, `fh.seek(0, 0)`): each
    iteration overwrites the same bytes, so syncing once after the loop would drop passes."""
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
