"""PFL405 document-write-per-item."""

from __future__ import annotations

from typing import Dict

import libcst as cst

from perflint.repetition import per_attempt, per_batch
from perflint.rule import Invalid, Rule
from perflint.ruleutil import loop_target_names, method_name, names_in, receiver_text

# The driver packages of MongoDB: a module that imports one of them talks to a server, and an
# `x.insert_one(...)` there is a collection's. mongomock (in memory, for tests) is left out: its
# writes cost no round trip.
_MONGO_PACKAGES = ("pymongo", "motor", "gridfs", "bson")
# Each single-document write and how the batched form spells it.
_WRITES: Dict[str, str] = {
    "insert_one": "collect the documents and call insert_many(docs, ordered=False) once per batch",
    "update_one": "collect UpdateOne(filter, update) operations and call bulk_write(ops, ordered=False) once per batch",
    "replace_one": "collect ReplaceOne(filter, doc) operations and call bulk_write(ops, ordered=False) once per batch",
    # not `delete_many` with an `$in` filter: it removes every match where delete_one removes one
    "delete_one": "collect DeleteOne(filter) operations and call bulk_write(ops, ordered=False) once per batch",
}


# The innermost `for` around the write, or the def that ends the search.
_LOOP_OR_SCOPE = frozenset({cst.For, cst.While, cst.FunctionDef, cst.Lambda, cst.ClassDef})


def _talks_to_mongodb(imports: Dict[str, str]) -> bool:
    return any(target.split(".")[0] in _MONGO_PACKAGES for target in imports.values())


class DocumentWritePerItem(Rule):
    """
    An acknowledged single-document write to MongoDB made once per item of a loop.

    ## What it does
    Flags `insert_one`, `update_one`, `replace_one` and `delete_one` called on a MongoDB
    collection (PyMongo's, Motor's) once per iteration: inside a loop, or in a function that a
    loop reaches through the call graph (the trace shows the loop). The receiver counts as a
    collection in a module that imports `pymongo`, `motor`, `gridfs` or `bson`; elsewhere a
    method of that name may be anything.

    ## Why is this slow
    Each of these calls is one write command that the server acknowledges before the call
    returns: a network round trip per document, like an autocommit per statement. Writing a
    file of 1,000 chunks, or importing 1,000 records, waits for 1,000 acknowledgements where
    `insert_many` or `bulk_write` sends the documents in a few messages of up to 48 MB and
    waits for one answer per message.

    ## Example
    ```python
    import pymongo

    def upload(chunks, coll):
        for n, data in enumerate(chunks):
            coll.insert_one({"n": n, "data": data})
    ```

    ## Use instead
    ```python
    import pymongo

    def upload(chunks, coll):
        coll.insert_many(({"n": n, "data": data} for n, data in enumerate(chunks)), ordered=False)
    ```

    ## Notes
    A rule of its own, not a case of PFL402: PFL402's commit or sync is fixed by one
    transaction around the loop, which for MongoDB would still send one write command, and wait
    for one acknowledgement, per document; the fix here is the batched write API.

    The receiver is not typed: a module that imports none of those packages is not judged, even
    when its collection comes from a sibling module. A package-wide test would judge every
    module of a package one of whose modules imports `pymongo` (all of Salt), where a method
    named `delete_one` may be any object's.

    Priced at `query-roundtrip-network`, the cost table's client/server round trip (300 µs, an
    estimate: there is no server to time here), the same key PFL503 uses for a query per item to
    a database server: an acknowledged write is one request and one reply, as a query is. A
    sync per document on the server (`j=True`) would cost more; an unacknowledged write
    concern (`w=0`) less, and is not recognised.

    How often the write runs is the frequency model's, as for every rule: a write in an
    `except` handler or in the branch that flushes a buffer when it fills (`if len(self.docs) >=
    self.batch_size:`) counts once per call of its function, not per item (a note at most,
    hidden by default); one in a function that nothing repeats is not reported, nor is one per
    pass of a loop over batches (`for batch in chunked(docs, 500):`) or of a retry loop. A loop
    whose item picks the collection (`for name in names: db[name].insert_one(doc)`) writes
    another collection each pass, and a bulk write covers one collection: not reported; nor is
    a loop whose variable its body never reads (`for _ in range(w): coll.delete_one(query)`):
    it repeats one write, it does not write one item per pass (Salt's `mongodb.remove`, labelled
    PLAUSIBLE in session nineteen). Test code is not reported.

    A call of the program's own `insert_one()` (a repository class wrapping the collection) is
    not reported itself: perflint follows it into the body and reports the collection's write
    there, with the loop in the trace.

    `insert_many`, `bulk_write`, `update_many` and `delete_many` are the batched forms and are
    never reported. An `update_many`/`delete_many` per item (one filter per item) is left out
    on purpose: its fix is one `$in` filter, a query's fix, and the names are common to other
    stores (Django's cache has a `delete_many`). So are the legacy `insert`/`update`/`save`/
    `remove` of PyMongo 2 and 3, whose names are any object's.
    """

    CODE = "PFL405"
    COST = "query-roundtrip-network"  # perflint/costs.py; an estimate, see the Notes
    NAME = "document-write-per-item"
    FAMILY = "sync"
    FIX = "batch the writes: insert_many / bulk_write with ordered=False, one round trip per batch"
    TRIGGERS = tuple(_WRITES)
    VALID = [
        # The batched form.
        "import pymongo\ndef load(coll, docs):\n    coll.insert_many(docs, ordered=False)\n",
        # A module that does not talk to MongoDB: insert_one may be anything's.
        "def load(table, rows):\n    for row in rows:\n        table.insert_one(row)\n",
        # Once per call of a function nothing repeats.
        "import pymongo\ndef save(coll, doc):\n    coll.insert_one(doc)\n",
        # Written when the buffer fills: once per batch.
        "import pymongo\nclass Writer:\n    def add(self, doc):\n        self.docs.append(doc)\n"
        "        if len(self.docs) >= self.batch_size:\n            self.coll.insert_one({'docs': self.docs})\n"
        "            self.docs = []\n"
        "def feed(w, docs):\n    for d in docs:\n        w.add(d)\n",
        # The same write repeated: no item per pass.
        "import pymongo\ndef remove(coll, query, w=1):\n    for _ in range(w):\n        coll.delete_one(query)\n",
        # Another collection each pass.
        "import pymongo\ndef touch(db, names, doc):\n    for name in names:\n        db[name].insert_one(doc)\n",
    ]
    INVALID = [
        Invalid("import pymongo\ndef load(coll, docs):\n    for d in docs:\n        coll.insert_one(d)\n", line=4),
        Invalid("from motor.motor_asyncio import AsyncIOMotorClient\nasync def mark(coll, ids):\n"
                "    for i in ids:\n        await coll.update_one({'_id': i}, {'$set': {'done': True}})\n", line=4),
        # Through the call graph: the write has no loop around it, its caller has.
        Invalid(
            "from pymongo.collection import Collection\n"
            "class Uploader:\n"
            "    def __init__(self, coll: Collection):\n"
            "        self._chunks = coll\n"
            "    def _flush(self, data):\n"
            "        self._chunks.insert_one({'data': data})\n"
            "    def write(self, pieces):\n"
            "        for piece in pieces:\n"
            "            self._flush(piece)\n",
            line=6,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        method = method_name(node)
        fix = _WRITES.get(method or "")
        if fix is None or self.ctx.is_test or self.ctx.function is None:
            return
        if not _talks_to_mongodb(self.ctx.imports):
            return
        loops = self.ctx.loops
        if loops and (per_batch(loops[-1].why) or per_attempt(loops[-1].why)):
            return  # one write per batch of documents, or per attempt of one write
        loop = next((n for n in reversed(self.ctx.stack) if type(n) in _LOOP_OR_SCOPE), None)
        if type(loop) is cst.For and not names_in(loop.target) & names_in(loop.body):  # type: ignore[union-attr]
            # `for _ in range(w): coll.delete_one(query)`: the same write repeated (up to w matches),
            # not a write per item, and nothing to batch (Salt's mongodb.remove, PLAUSIBLE in session 19)
            return
        receiver = node.func.value  # type: ignore[attr-defined]
        if loops and names_in(receiver) & loop_target_names(self.ctx):
            return  # `db[name].insert_one(doc)` per name: another collection each pass, nothing to batch
        where = "per iteration" if loops else "per call, and its callers run it in a loop"
        self.report(node, f"{receiver_text(node) or 'the collection'}.{method}() runs {where}: one acknowledged "
                          "round trip to the server per document",
                    requires=("repeated", "external", "!per-attempt", "!per-batch", "!dunder-only"),
                    fix=f"batch the writes: {fix}, one round trip per batch")
