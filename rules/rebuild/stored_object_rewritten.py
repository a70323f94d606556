"""PFL309 stored-object-rewritten."""

from __future__ import annotations

from typing import Optional, Set

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.ruleutil import enclosing_function, open_mode, own_nodes

# Ways to write the content to a file of its own.
_TEMP_WRITES = {"tempfile.NamedTemporaryFile", "tempfile.mkstemp"}
# Moving the written file to its final, content-derived name.
_MOVES = {"os.rename", "os.replace", "os.link", "shutil.move"}
# Asking whether the object is already stored.
_CHECKS = {"os.path.exists", "os.path.isfile", "os.path.lexists", "os.stat", "os.access"}
_DIGESTS = {"hexdigest", "digest"}
# What makes a name new on every call: a file named from it is a queue entry, not an object
# stored by its content (Mailman's switchboard hashes the message with the time: FALSE in run 11).
_UNIQUE_SOURCES = {"time.time", "time.time_ns", "time.monotonic", "time.perf_counter", "os.urandom", "os.getpid",
                   "datetime.datetime.now", "datetime.datetime.utcnow", "itertools.count"}


class StoredObjectRewritten(Rule):
    """
    A content-addressed store writes every object before asking whether it already holds it.

    ## What it does
    Flags a function that writes content to a file of its own (a `NamedTemporaryFile`, a
    `mkstemp` file, `open(..., "wb")`), hashes it (`hashlib`), and moves the file to a name
    derived from the hash (`os.rename`, `os.replace`, `os.link`, `shutil.move`) without first
    checking whether a file of that name exists: the check comes after the write, or there
    is none. A name that also takes the clock or a random value (`time.time()`, `uuid4()`,
    directly or through a name built from one) is new on every call: a queue entry, not an
    object stored by its content (Mailman's switchboard, labelled FALSE in run 11). Whether it costs anything depends on how often the function runs (a clean
    filter per tracked file, a cache put per item): a warning needs loops or a hot entry
    point on the way.

    ## Why is this slow
    An object named by its content's hash is the same bytes every time it is stored again.
    A store that writes first creates, writes and closes a file, then renames it over (or
    deletes it beside) the identical object already there: a file creation, the content
    written, and a directory update per call, for nothing when the content has not changed,
    which in a working tree is almost always.

    ## Example
    ```python
    def write_object(self, data):
        with tempfile.NamedTemporaryFile(dir=self.tmp, delete=False) as f:
            f.write(data)
        path = self.path_for(hashlib.sha256(data).hexdigest())
        if os.path.exists(path):
            os.remove(f.name)
        else:
            os.rename(f.name, path)
    ```

    ## Use instead
    ```python
    def write_object(self, data):
        path = self.path_for(hashlib.sha256(data).hexdigest())
        if os.path.exists(path):
            return                      # already stored: nothing to write
        with tempfile.NamedTemporaryFile(dir=self.tmp, delete=False) as f:
            f.write(data)
        os.rename(f.name, path)
    ```

    ## Notes
    When the content arrives as a stream, hashing first means holding it or reading it twice;
    the callers that have the bytes in memory can ask the store before handing them over.
    Test code is not reported.
    """

    CODE = "PFL309"
    COST = "temp-file-write"  # perflint/calibrate.py SPECS
    NAME = "stored-object-rewritten"
    FAMILY = "rebuild"
    FIX = "hash the content first and skip the write when an object of that hash is already stored"
    TRIGGERS = ("digest",)
    VALID = [
        # Checks before writing.
        "import hashlib, os, tempfile\n"
        "def put(root, data):\n"
        "    path = os.path.join(root, hashlib.sha256(data).hexdigest())\n"
        "    if os.path.exists(path):\n"
        "        return path\n"
        "    with tempfile.NamedTemporaryFile(dir=root, delete=False) as f:\n"
        "        f.write(data)\n"
        "    os.replace(f.name, path)\n"
        "    return path\n",
        # Not named by its content: a regular atomic save.
        "import os, tempfile\n"
        "def save(path, data):\n"
        "    with tempfile.NamedTemporaryFile(dir=os.path.dirname(path), delete=False) as f:\n"
        "        f.write(data)\n"
        "    os.replace(f.name, path)\n",
        # A queue entry named by the time and a hash of the message: new on every call.
        "import hashlib, os, time\n"
        "def enqueue(qdir, msg):\n"
        "    now = repr(time.time())\n"
        "    filebase = now + '+' + hashlib.sha1(msg + now.encode()).hexdigest()\n"
        "    filename = os.path.join(qdir, filebase + '.pck')\n"
        "    with open(filename + '.tmp', 'wb') as fp:\n"
        "        fp.write(msg)\n"
        "    os.rename(filename + '.tmp', filename)\n",
    ]
    INVALID = [
        Invalid(
            "import hashlib, os, tempfile\n"
            "def write_object(root, chunks):\n"
            "    sha = hashlib.sha256()\n"
            "    with tempfile.NamedTemporaryFile(dir=root, mode='wb', delete=False) as f:\n"
            "        for chunk in chunks:\n"
            "            sha.update(chunk)\n"
            "            f.write(chunk)\n"
            "    path = os.path.join(root, sha.hexdigest())\n"
            "    if os.path.exists(path):\n"
            "        os.remove(f.name)\n"
            "    else:\n"
            "        os.rename(f.name, path)\n"
            "    return sha.hexdigest()\n",
            line=4,
        ),
        Invalid(
            "import hashlib, os\n"
            "def put(root, data):\n"
            "    key = hashlib.sha1(data).hexdigest()\n"
            "    tmp = os.path.join(root, 'tmp', key)\n"
            "    with open(tmp, 'wb') as f:\n"
            "        f.write(data)\n"
            "    os.replace(tmp, os.path.join(root, key))\n",
            line=5,
        ),
    ]

    def begin_file(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().begin_file(ctx)
        self._movers: set = set()  # ids of the functions that move a file (rename, replace, ...)

    def visit_Call(self, node: cst.Call) -> None:
        # Only a function that moves a file is looked at again when it ends.
        if self.ctx.resolve(node.func) not in _MOVES:
            return
        mover = enclosing_function(self.ctx)
        if mover is not None:
            self._movers.add(id(mover))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if id(node) not in self._movers:
            return
        fn = self.ctx.function
        if fn is None or self.ctx.is_test:
            return
        write = self._write_before_check(node)
        if write is not None:
            self.report(write, f"{fn.name}() writes the content to a file before asking whether an object of "
                               "its hash is already stored; storing unchanged content writes it again every time")

    def _write_before_check(self, fn: cst.FunctionDef) -> Optional[cst.Call]:
        """The first write of a function that moves it to a hash-named path with no existence
        check of such a path before that write."""
        hashes: Set[str] = set()  # names bound to a hashlib object
        derived: Set[str] = set()  # names holding a digest or a path built from one
        unique: Set[str] = set()  # names holding a clock reading or a random value, or built from one
        first_write: Optional[cst.Call] = None
        checked_before = moved = False
        for node, _ in own_nodes(fn.body):
            if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
                name = node.targets[0].target.value
                value = node.value
                if self._unique(value, unique):
                    unique.add(name)
                if isinstance(value, cst.Call) and (self.ctx.resolve(value.func) or "").startswith("hashlib."):
                    hashes.add(name)
                elif self._digested(value, hashes, derived):
                    derived.add(name)
                continue
            if not isinstance(node, cst.Call):
                continue
            qualified = self.ctx.resolve(node.func) or ""
            if first_write is None and (qualified in _TEMP_WRITES or (qualified == "open" and _creates(open_mode(node)))):
                first_write = node
            elif qualified in _CHECKS and node.args and self._digested(node.args[0].value, hashes, derived):
                if first_write is None:
                    checked_before = True
            elif (qualified in _MOVES and len(node.args) >= 2 and first_write is not None
                  and self._digested(node.args[1].value, hashes, derived)
                  and not self._unique(node.args[1].value, unique)):
                moved = True
        return first_write if moved and not checked_before else None

    def _unique(self, expr: cst.BaseExpression, unique: Set[str]) -> bool:
        """Whether `expr` reads the clock or a random source, or a name built from one: a file
        named from it is new on every call (a queue entry), not an object stored by content."""
        for node, _ in own_nodes(expr):
            if isinstance(node, cst.Name) and node.value in unique:
                return True
            if isinstance(node, cst.Call):
                qualified = self.ctx.resolve(node.func) or ""
                if qualified in _UNIQUE_SOURCES or qualified.startswith(("uuid.", "random.", "secrets.")):
                    return True
        return False

    def _digested(self, expr: cst.BaseExpression, hashes: Set[str], derived: Set[str]) -> bool:
        """Whether `expr` holds a content digest or is built from one."""
        for node, _ in own_nodes(expr):
            if isinstance(node, cst.Name) and node.value in derived:
                return True
            if (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                    and node.func.attr.value in _DIGESTS):
                receiver = node.func.value
                if isinstance(receiver, cst.Name) and receiver.value in hashes:
                    return True
                if isinstance(receiver, cst.Call) and (self.ctx.resolve(receiver.func) or "").startswith("hashlib."):
                    return True
        return False


def _creates(mode: Optional[str]) -> bool:
    """A mode that creates or truncates the file."""
    return mode is not None and ("w" in mode or "x" in mode)
