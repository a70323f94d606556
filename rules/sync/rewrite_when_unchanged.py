"""PFL404 rewrite-when-unchanged."""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.rule import Invalid, Rule
from perflint.ruleutil import enclosing_function, names_in, open_mode, own_nodes

# Plain file opens truncate the target: nothing of it can be read back inside the block, so
# the shape (read the current value while holding the file, then write) cannot occur there.
_PLAIN_OPENERS = frozenset({"open", "io.open", "_io.open", "codecs.open", "gzip.open", "bz2.open", "lzma.open",
                            "tempfile.NamedTemporaryFile", "tempfile.TemporaryFile", "tempfile.SpooledTemporaryFile"})
_EQUALITY = (cst.Equal, cst.NotEqual, cst.Is, cst.IsNot)
_CONSTANTS = frozenset({"None", "True", "False"})
# What a lock-file writer offers to give up the replacement (dulwich's GitFile.abort()).
_ABORTS = frozenset({"abort", "discard", "cancel", "rollback"})


class RewriteWhenUnchanged(Rule):
    """
    A compare-and-swap that replaces the file even when the new value equals the current one.

    ## What it does
    Flags a `with Writer(path, "wb") as f:` block, where `Writer` is a lock-file or
    atomic-replace writer that can give up the replacement (the block calls `f.abort()`,
    `discard()`, `cancel()` or `rollback()`; never a plain `open()`), whose
    body reads the current value while holding it (`current = self.read_ref(name)`),
    compares that value with another (the compare-and-swap's expected value), and then
    writes a parameter of the function (`f.write(new + b"\\n")`) without ever comparing the
    parameter with the value just read. Reported only when the function runs repeatedly:
    in a loop, or in a function a loop reaches (the trace shows it).

    ## Why is this slow
    A lock-file writer creates the lock file, writes it, usually syncs it, and renames it over
    the target when the block ends: a file creation, a sync and a directory update. When
    the value written equals the one already stored (importing a thousand refs of which a
    handful moved), all of that is spent to leave the file as it was. The value is already
    in hand: one comparison decides whether there is anything to write.

    ## Example
    ```python
    def set_if_equals(self, name, old, new):
        with LockedFile(self.path_for(name), "wb") as f:
            current = self.read(name)
            if old is not None and current != old:
                f.abort()
                return False
            f.write(new + b"\\n")
        return True
    ```

    ## Use instead
    ```python
    def set_if_equals(self, name, old, new):
        with LockedFile(self.path_for(name), "wb") as f:
            current = self.read(name)
            if old is not None and current != old:
                f.abort()
                return False
            if new == current:
                f.abort()                 # nothing changes: no write, no sync, no rename
                return True
            f.write(new + b"\\n")
        return True
    ```

    ## Notes
    Only blocks that both check the value they read and write a parameter are looked at:
    a writer that never reads the current value cannot know it is unchanged, and one that
    cannot abort has no cheap way out. The check
    is medium confidence, since how often the value is unchanged is the callers' to know.
    Test code is not reported.
    """

    CODE = "PFL404"
    COST = "temp-file-write"  # perflint/calibrate.py SPECS: a file written and renamed over identical content
    NAME = "rewrite-when-unchanged"
    FAMILY = "sync"
    FIX = "compare the new value with the one read under the lock, and abort the write when they are equal"
    TRIGGERS = ("'wb'", '"wb"', "'w'", '"w"')
    VALID = [
        # The fix: equal values abort the write.
        "def set_ref(self, name, old, new):\n"
        "    with GitFile(self.path(name), 'wb') as f:\n"
        "        orig = self.read_ref(name)\n"
        "        if old is not None and orig != old:\n"
        "            f.abort()\n"
        "            return False\n"
        "        if new == orig:\n"
        "            f.abort()\n"
        "            return True\n"
        "        f.write(new + b'\\n')\n"
        "    return True\n"
        "def import_refs(self, refs):\n"
        "    for name, value in refs.items():\n"
        "        set_ref(self, name, None, value)\n",
        # No compare-and-swap: nothing is read, so nothing says the value might be unchanged.
        "def save(self, name, data):\n"
        "    with AtomicFile(self.path(name), 'wb') as f:\n"
        "        f.write(data)\n"
        "def save_all(self, items):\n"
        "    for name, data in items:\n"
        "        save(self, name, data)\n",
        # A writer with no way to abort: not a compare-and-swap of a lock file.
        "def put(self, name, old, new):\n"
        "    with self.fopen(self.path(name), 'w') as f:\n"
        "        line = self.render(new)\n"
        "        if line != old:\n"
        "            f.write(new)\n"
        "def put_all(self, items):\n"
        "    for name, value in items:\n"
        "        put(self, name, None, value)\n",
        # A plain open() truncates the file: the value read is from somewhere else.
        "def copy_if(self, src, dst, tag):\n"
        "    with open(dst, 'w') as f:\n"
        "        head = self.read_head(src)\n"
        "        if head != tag:\n"
        "            f.abort()\n"
        "            return\n"
        "        f.write(tag)\n"
        "def copy_all(self, pairs):\n"
        "    for s, d in pairs:\n"
        "        copy_if(self, s, d, 'x')\n",
    ]
    INVALID = [
        # dulwich's DiskRefsContainer.set_if_equals, per ref from import_refs (fixed upstream).
        Invalid(
            "class Refs:\n"
            "    def set_if_equals(self, name, old_ref, new_ref):\n"
            "        with GitFile(self.refpath(name), 'wb') as f:\n"
            "            orig_ref = self.read_loose_ref(name)\n"
            "            if orig_ref is None:\n"
            "                orig_ref = ZERO_SHA\n"
            "            if old_ref is not None:\n"
            "                if orig_ref != old_ref:\n"
            "                    f.abort()\n"
            "                    return False\n"
            "            f.write(new_ref + b'\\n')\n"
            "        return True\n"
            "    def import_refs(self, other):\n"
            "        for name, value in other.items():\n"
            "            self.set_if_equals(name, None, value)\n",
            line=3,
        ),
    ]

    def begin_file(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().begin_file(ctx)
        # id of a function -> its blocks that write through a lock-file writer: (with, file name)
        self._writers: Dict[int, List[Tuple[cst.With, str]]] = {}

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            call = item.item
            if not (isinstance(call, cst.Call) and item.asname is not None
                    and isinstance(item.asname.name, cst.Name)):
                continue
            qualified = self.ctx.resolve(call.func) or ""
            mode = open_mode(call)
            if qualified in _PLAIN_OPENERS or qualified.startswith(("tempfile.", "io.")):
                continue
            if mode is None or "w" not in mode:
                continue  # a literal write mode only: "r" when none is given, None when computed
            fn = enclosing_function(self.ctx)
            if fn is not None:
                self._writers.setdefault(id(fn), []).append((node, item.asname.name.value))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        blocks = self._writers.pop(id(node), None)
        fn = self.ctx.function
        if not blocks or fn is None or self.ctx.is_test:
            return
        params = {p.name.value for p in node.params.params + node.params.kwonly_params} - {"self", "cls"}
        compared = _equality_names(node.body)
        for block, handle in blocks:
            found = _unchecked_write(block, handle, params, compared)
            if found is None:
                continue
            written, current = found
            call, writer = _writer_call(block, handle)
            self.report(call, f"{fn.name}() rewrites the file through {writer}() even "
                              f"when {written} equals the value it just read ({current}): an unchanged value still "
                              "pays the lock file, the write and the rename",
                        confidence="medium", requires=("repeated-or-request",))


def _writer_call(block: cst.With, handle: str) -> Tuple[cst.Call, str]:
    """The `with` item that opened `handle`, and the writer's name as written."""
    for item in block.items:
        if item.asname is not None and isinstance(item.asname.name, cst.Name) and item.asname.name.value == handle:
            call = item.item
            return call, (dotted_text(call.func) or "its writer").rpartition(".")[2]  # type: ignore[attr-defined]
    raise ValueError(handle)  # visit_With recorded the block for this handle


def _equality_names(body: cst.CSTNode) -> List[Set[str]]:
    """The names each equality or identity comparison of a function mentions, for the
    comparisons of two values (`orig != old`), not a test against a constant (`x is None`)."""
    out = []
    for node, _ in own_nodes(body):
        if isinstance(node, cst.Comparison) and any(isinstance(c.operator, _EQUALITY) for c in node.comparisons):
            names = names_in(node) - _CONSTANTS
            if len(names) >= 2:
                out.append(names)
    return out


def _unchecked_write(block: cst.With, handle: str, params: Set[str],
                     compared: List[Set[str]]) -> Optional[Tuple[str, str]]:
    """(parameter written, value read) when the block reads a value, compares it with
    something, and writes a parameter never compared with it; else None."""
    read: Set[str] = set()
    writes: List[cst.Call] = []
    aborts = False
    for node, _ in own_nodes(block.body):
        if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call):
            read.update(t.target.value for t in node.targets if isinstance(t.target, cst.Name))
        elif (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
              and isinstance(node.func.value, cst.Name) and node.func.value.value == handle):
            if node.func.attr.value == "write" and node.args:
                writes.append(node)
            elif node.func.attr.value in _ABORTS:
                aborts = True
    if not aborts:
        return None  # a writer that cannot give up the replacement: no compare-and-swap here
    checked = [current for current in sorted(read) if any(current in names for names in compared)]
    if not checked:
        return None  # no compare-and-swap: the block never looks at what it read
    for write in writes:
        for written in sorted(names_in(write.args[0].value) & params):
            if not any(written in names and current in names for names in compared for current in checked):
                return written, checked[0]
    return None
