"""PFL204 slice-copy-in-loop."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import libcst as cst

from perflint.context import annotation_type
from perflint.datawalk import ACROSS_CALLS_CONSUMED, OWN_STEPS, spelled_record
from perflint.finding import Loop
from perflint.nodes import iter_children, own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import innermost_def, one_line_code
from perflint.values import dotted_text

# Calls that return bytes: method names on a file/socket, and functions.
_BYTES_METHODS = frozenset({"recv", "recv_bytes", "read1", "readexactly", "readuntil"})
_BYTES_FUNCTIONS = frozenset({"bytes", "bytearray", "os.read", "os.pread", "zlib.decompress", "zlib.compress",
                              "base64.b64decode", "binascii.unhexlify", "bytes.fromhex"})
_BYTES_TYPES = frozenset({"bytes", "bytearray", "builtins.bytes", "builtins.bytearray"})
_STR_TYPES = frozenset({"str", "builtins.str"})
_ZERO_COPY = frozenset({"memoryview"})
# `self._data = bytearray()` / `= b""` / `= bytes(...)`: an attribute this file keeps bytes in.
_BYTES_ATTR = re.compile(r"self\.(\w+)\s*(?::[^=\n]+)?=\s*(b''|b\"\"|bytes\(|bytearray\()")


class SliceCopyInLoop(Rule):
    """
    A bytes value sliced in a loop: every slice copies, and `buf = buf[n:]` is quadratic.

    ## What it does
    Flags slices (`data[i:i + n]`, `buf[n:]`) inside a loop of a `bytes` or `bytearray`
    value that was made outside that loop: assigned from `b"..."`, `bytes(...)`,
    `bytearray(...)`, `os.read`, a socket's `recv()`, a `read()` of a file opened in
    binary mode, or a parameter annotated `bytes`/`bytearray`. Consuming a buffer with
    `buf = buf[n:]` in a loop is reported with high confidence; other slices with
    medium confidence.

    ## Why is this slow
    Slicing `bytes` or `bytearray` allocates a new object and copies the bytes. Walking a
    large payload in fixed-size pieces copies it once more in total, and throws away an
    object per piece; consuming it from the front (`buf = buf[n:]`) copies the whole
    remainder on every step, so parsing N messages out of one buffer costs O(N²) bytes
    copied. A `memoryview` slice shares the memory instead, and `struct.unpack_from`,
    `int.from_bytes`, `socket.send` and most binary APIs accept one.

    ## Example
    ```python
    def parse(data: bytes):
        while data:
            size = data[0]
            yield data[1:size + 1]
            data = data[size + 1:]
    ```

    ## Use instead
    ```python
    def parse(data: bytes):
        view, pos = memoryview(data), 0
        while pos < len(view):
            size = view[pos]
            yield view[pos + 1:pos + 1 + size]
            pos += size + 1
    ```

    A `str` consumed the same way (`text = text[i + 1:]` per line found, on a parameter
    annotated `str`, a `str(...)`, a `.decode()` or a `""` accumulator) is reported too: it
    copies the rest of the text on every step, quadratic like bytes (an incremental line
    decoder rebinding its chunk to the text after each line found). Measured here: a 64 KiB
    chunk of 64-character lines consumed so costs 1.9 ms against 0.19 ms with an offset, a
    4 KiB chunk 13 µs against 9 µs; the copy is priced as `copy-byte` x a page, as for bytes.

    A buffer attribute consumed the same way in `__next__` (`self._data = self._data[n:]`,
    outside any loop of it, on an attribute the file sets to `b""`, `bytes(...)` or
    `bytearray(...)`) is reported too: the iteration protocol is the loop (`for frame in
    buffer:` calls `__next__` once per item), and every item taken copies what is left, like
    `buf = buf[n:]` in a loop. It is priced the same way, a page per item.

    The same cut in an ordinary method (`self._buffer = self._buffer[count:]` in a
    `_trim(count)` helper) is reported when a caller calls the method in a loop (a `while
    self._buffer:` that decodes one frame a trip and trims it off): that loop takes item after
    item off one buffer, and each call copies what is left. Phase 2 requires the call to sit in
    a loop of the caller on the hottest chain, and prices it like PFL203's buffer grown across
    calls, run backwards: over S calls of p bytes the buffer starts at S x p and a call copies
    half of that on average, S being the trips of the loops around the call (64 bytes a piece
    when the code does not say). A method that also grows, refills or resets the attribute
    holds one call's data and is not reported.

    A list an object keeps (an attribute: `self.tokens`, `self._value.body`), sliced only to be
    searched, is reported too: the slice is the iterable of a `for` loop that returns or breaks
    at a match (also through `enumerate()`), or of the generator handed to `any()`, `all()` or
    `next()`. The copy takes every element of the slice; the search may stop at the first.
    Two shapes repeat it along the list:

    * the rest after the index of a loop over that same list (`for i, (k, v) in
      enumerate(self.body):` ... `any(... for ... in self.body[i + 1:])`): the rest of the list
      per element, quadratic in its length;
    * a method that slices it from its parameters in its `for` header (`for idx, tok in
      enumerate(self.tokens[start:end], start=start):` ... `return idx, tok`), reached per
      iteration of a loop (phase 2 requires the repetition): a caller that advances `start`
      call after call copies the rest of the list each time.

    Each is priced as `list-copy-element` (measured: a list slice against an
    `itertools.islice` of it) x 50 elements, half of a list of unknown size (a modest
    structure, 100) on average; the loop or the calls give the frequency. With the defaults
    that is 3.5 µs per 100 trips, a note: the copy matters for lists of thousands of elements
    searched per element, which the code does not show. A slice summed or walked to its end
    (`sum()`, a `for` without `break`/`return`) is not reported: iterating an
    `islice` costs about what the copy does (measured). Nor are a slice that is kept, returned
    or changed, a slice with fixed bounds (`self.tokens[1:3]`), a full copy (`self.items[:]`,
    made on purpose when the loop changes the list), a loop that changes the list it searches,
    and slices of a local list (a working list is usually short).

    ## Notes
    Other slices of `str` (a substring is how text is taken apart), other slices of lists and
    values whose type is unknown are not reported, nor are
    slices of a `memoryview` (which copy nothing), slice assignments (`buf[:n] = ...`,
    `del buf[:n]`, which on a `bytearray` is amortised O(1)), a value read afresh in each
    iteration of the loop that slices it, slices in an `except` handler, or slices of a
    non-empty bytes literal (a small constant table such as `b"0123456789abcdef"`). The
    frames one read holds are not known to the model: a `while` loop over them counts
    `loop-trips` (or `nested-loop-trips` under another loop), so a helper cut per frame of a
    read is usually a note.

    A bytes buffer a function is given or makes and cuts in its own loop (`buf = buf[n:]`)
    holds that call's data: when the loop takes records of a size the code spells out off it
    (a 4-byte length header `buf[4:]`, a `struct.unpack("!I", ...)`, a read of a literal
    size), the loop's trips are counted per call (`loop-trips`) even when its callers' loops
    already sit two unknown loops deep and the frequency counts it x1: the callers' loops
    repeat the call, each call drains a buffer of its own. A frame splitter called once per
    receive of each connection (1,000 calls) is an error: a page copied for each of 100 frames
    per call, 10 ms. A buffer cut at a searched delimiter alone keeps the capped count.
    """

    CODE = "PFL204"
    COST = "copy-byte"  # perflint/costs.py; measured by bench/costs.py
    NAME = "slice-copy-in-loop"
    FAMILY = "alloc"
    FIX = "slice a memoryview (zero-copy) or keep an offset instead of re-slicing the bytes"
    CONFIDENCE = "medium"
    TRIGGERS = (":",)
    VALID = [
        # a memoryview slice copies nothing
        "def parse(data: bytes):\n    view = memoryview(data)\n    for i in range(0, len(view), 4):\n"
        "        yield view[i:i + 4]\n",
        # a list, and a str: not bytes
        "def pairs(items):\n    for i in range(len(items)):\n        yield items[i:i + 2]\n",
        # a kept list's tail summed, not searched: the whole slice is walked anyway
        "class T:\n    def totals(self):\n        for i, x in enumerate(self.rows):\n"
        "            yield sum(r.size for r in self.rows[i:])\n",
        # a full copy to walk while the list changes
        "class Q:\n    def drain(self):\n        for job in self.jobs[:]:\n            if job.done:\n"
        "                self.jobs.remove(job)\n                return job\n",
        # substrings of a str: how text is taken apart, not a chain of copies
        "def words(text: str):\n    i = 0\n    while i < len(text):\n        j = text.find(' ', i)\n"
        "        yield text[i:j]\n        i = j + 1\n",
        # a small constant table
        "def hexdigits(n):\n    table = b'0123456789abcdef'\n    out = []\n    while n:\n"
        "        n, d = divmod(n, 16)\n        out.append(table[d:d + 1])\n    return out\n",
        # rebound to a fresh line on every iteration
        "def decode(f):\n    f = open(f, 'rb')\n    s = f.readline()\n    while s:\n        handle(s[:4])\n"
        "        s = f.readline()\n",
        # a fresh value per file, its last byte dropped once: not a chain of copies
        "def load(paths):\n    for p in paths:\n        data = b''\n        with open(p, 'rb') as f:\n"
        "            data += f.read()\n        if data.endswith(b'\\n'):\n            data = data[:-1]\n        yield data\n",
        # read in the same iteration, sliced once
        "def frames(sock):\n    while True:\n        pkt = sock.recv(4096)\n        yield pkt[:4]\n",
        # the same slice in an ordinary method: once per call, not per item of an iteration
        "class Frames:\n    def __init__(self):\n        self.data = bytearray()\n"
        "    def pop(self, n):\n        item = bytes(self.data[:n])\n        self.data = self.data[n:]\n        return item\n",
        # bytearray consumed with del: amortised O(1)
        "def consume(sock):\n    buf = bytearray()\n    while True:\n        buf += sock.recv(4096)\n"
        "        del buf[:4]\n",
    ]
    INVALID = [
        # a frame buffer sliced in __next__: one copy of the rest per item iterated
        Invalid("class Frames:\n    def __init__(self):\n        self.data = bytearray()\n"
                "    def __next__(self):\n        n = self.data[0]\n        item = bytes(self.data[1:n + 1])\n"
                "        self.data = self.data[n + 1:]\n        return item\n", line=7),
        Invalid("def parse(sock):\n    buf = sock.recv(65536)\n    while buf:\n        n = buf[0]\n"
                "        handle(buf[1:n + 1])\n        buf = buf[n + 1:]\n", line=6),
        Invalid("def chunks(data: bytes, size: int):\n    for i in range(0, len(data), size):\n"
                "        yield data[i:i + size]\n", line=3),
        # a str rebound to its own tail per line: quadratic in the lines, like bytes
        Invalid("def lines(text: str):\n    while text:\n        i = text.find('\\n')\n"
                "        yield text[:i]\n        text = text[i + 1:]\n", line=5),
        Invalid("import os\ndef records(fd):\n    blob = os.read(fd, 1 << 20)\n"
                "    return [blob[i:i + 16] for i in range(0, len(blob), 16)]\n", line=4),
        # the rest of a kept list copied per element, only to be searched by any()
        Invalid("class Table:\n    def keys_follow(self):\n        for i, (k, v) in enumerate(self.body):\n"
                "            if any(n is not None for n, _ in self.body[i + 1:]):\n                yield k\n", line=4),
        # a kept list sliced per call of a search that a loop repeats
        Invalid("class Tokens:\n    def find(self, match, start=0):\n"
                "        for tok in self.tokens[start:]:\n            if match(tok):\n                return tok\n"
                "    def all_upper(self):\n        for i in range(10):\n            self.find(str.isupper, i)\n",
                line=3),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        # Per function: name -> (kind, loops around the assignment that made it bytes).
        self._names: List[Dict[str, Tuple[str, Tuple[Loop, ...]]]] = []
        self._binary_files: List[set] = []
        self._rebound: Dict[int, set] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        names: Dict[str, Tuple[str, Tuple[Loop, ...]]] = {}
        params = list(node.params.posonly_params) + list(node.params.params) + list(node.params.kwonly_params)
        for param in params:
            typ = annotation_type(param.annotation)
            if typ in _BYTES_TYPES:
                names[param.name.value] = (typ.rpartition(".")[2], ())
            elif typ in _STR_TYPES:
                names[param.name.value] = ("str", ())  # only its consumption is reported
        self._names.append(names)
        self._binary_files.append(set())

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._names.pop()
        self._binary_files.pop()

    def visit_WithItem(self, node: cst.WithItem) -> None:
        # with open(path, "rb") as f: f.read() is bytes
        if self._binary_files and node.asname is not None and isinstance(node.asname.name, cst.Name):
            if _opens_binary(node.item, self.ctx):
                self._binary_files[-1].add(node.asname.name.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._names or len(node.targets) != 1:
            return
        target = node.targets[0].target
        if isinstance(target, cst.Attribute):
            self._attribute_consumed(node, target)
            return
        if not isinstance(target, cst.Name):
            return
        name = target.value
        names = self._names[-1]
        if _opens_binary(node.value, self.ctx):
            self._binary_files[-1].add(name)
            return
        if isinstance(node.value, cst.Subscript) and isinstance(node.value.value, cst.Name) \
                and node.value.value.value == name and name in names:
            self._consumed(node, name, names[name])
            return  # buf = buf[n:]: still the same bytes value
        kind = self._bytes_kind(node.value)
        if kind is not None:
            names[name] = (kind, self.ctx.loops)
        else:
            names.pop(name, None)  # rebound: a memoryview, a str, something unknown

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if self._names and isinstance(node.value, cst.Attribute):
            self._searched_slice(node)
            return
        if not self._names or not self.ctx.in_loop or not isinstance(node.value, cst.Name):
            return
        name = node.value.value
        known = self._names[-1].get(name)
        if known is None or not _is_slice(node):
            return
        parent = self.ctx.parent()
        if isinstance(parent, (cst.AssignTarget, cst.Del)) or (
            isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is node
        ):
            return  # buf[:n] = ... / del buf[:n]: writes, not copies
        if isinstance(parent, cst.Assign) and isinstance(parent.targets[0].target, cst.Name) \
                and parent.targets[0].target.value == name:
            return  # buf = buf[n:]: reported by visit_Assign as consumption
        kind, made_in = known
        if kind == "str":
            return  # a substring is how text is taken apart; only `s = s[n:]` chains copies
        if self._fresh_per_iteration(name, made_in):
            return  # one copy of each new value (`pkt = sock.recv(...)`, `s = f.readline()`)
        if self._in_except_handler():
            return  # an error path, not the loop's work
        size = _slice_length(node)
        if self._feeds_struct(node):
            self.report(node, f"slicing {kind} '{name}' in a loop to unpack it copies the bytes every time: "
                              "unpack at an offset instead", size=size, fix=UNPACK_FROM_FIX)
            return
        self.report(node, f"slicing {kind} '{name}' in a loop copies the bytes every time: "
                          "slice a memoryview instead", size=size)

    def _searched_slice(self, node: cst.Subscript) -> None:
        """A slice of a list an object keeps (`self.tokens[start:end]`, `self._value.body[i + 1:]`)
        made only to be searched: the iterable of a `for` that returns or breaks on a match, or
        of the generator handed to any()/all()/next(). The copy takes every element of the
        slice; the search may look at the first. Reported when it repeats along the list: per
        trip of a loop over that same list, sliced after the loop's index (the rest after each
        element: quadratic), or once per call of a method, its bounds from its parameters,
        that a caller calls in a loop (a cursor advanced through the list, call after call)."""
        if not _is_slice(node) or self._in_except_handler():
            return
        part = node.slice[0].slice
        lower, upper = part.lower, part.upper  # type: ignore[attr-defined]
        text = dotted_text(node.value)
        if text is None or (lower is None and upper is None):
            return  # `items[:]`: a copy on purpose (the loop may change the list)
        if isinstance(node.value, cst.Attribute) and node.value.attr.value in self._attr_kinds():
            return  # a bytes buffer the file keeps: not a list
        search = self._search(node, text)
        if search is None:
            return
        how = "a for loop that stops at a match" if search == "for" else f"{search}()"
        function = innermost_def(self.ctx)
        index = _loop_index_over(self.ctx.loop_nodes, text)
        if index is not None and lower is not None and upper is None and _mentions_name(lower, index):
            self.report(node, f"'{text}[{one_line_code(lower)}:]' copies the rest of '{text}' on every trip of the loop over "
                              f"it, only to search it with {how}: quadratic in its length; search an index range "
                              "or itertools.islice() instead, or find what you need in one pass before the loop",
                        cost="list-copy-element", size=LIST_HALF, fix=LIST_FIX)
            return
        receiver = self.ctx.self_name()
        if self.ctx.in_loop or function is None or receiver is None or not text.startswith(receiver + ".") \
                or function.name.value == "__init__":
            return
        params = _param_names(function) - {receiver}
        if not any(bound is not None and _mentions_any(bound, params) for bound in (lower, upper)):
            return  # fixed bounds: the same few elements every call
        self.report(node, f"'{one_line_code(node)}' copies the rest of '{text}' on every call of {function.name.value}(), only "
                          f"to search it with {how}, and the call is repeated in a loop: quadratic in the list's "
                          "length when the calls walk along it; iterate over range(start, end) (or "
                          "itertools.islice()) instead",
                    cost="list-copy-element", size=LIST_HALF, fix=LIST_FIX, requires=("repeated",))

    def _search(self, node: cst.Subscript, text: str) -> Optional[str]:
        """"for", "any", "all" or "next" when the slice is only searched: the iterable (perhaps
        through enumerate()) of a `for` whose body returns or breaks and leaves the list alone,
        or of a generator handed to any(), all() or next()."""
        level, child = 1, node
        parent = self.ctx.parent(level)
        if isinstance(parent, cst.Arg) and parent.keyword is None:
            call = self.ctx.parent(level + 1)
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "enumerate" \
                    and call.args and call.args[0] is parent:
                level, child = level + 2, call
                parent = self.ctx.parent(level)
        if isinstance(parent, cst.For) and parent.iter is child:
            if _exits(parent.body) and not _changes(parent.body, text):
                return "for"
            return None
        if isinstance(parent, cst.CompFor) and parent.iter is child:
            gen, arg, call = (self.ctx.parent(level + k) for k in (1, 2, 3))
            if isinstance(gen, cst.GeneratorExp) and gen.for_in is parent and isinstance(arg, cst.Arg) \
                    and isinstance(call, cst.Call) and isinstance(call.func, cst.Name) \
                    and call.func.value in ("any", "all", "next") and call.args and call.args[0] is arg:
                return call.func.value
        return None

    def _feeds_struct(self, node: cst.Subscript) -> bool:
        """`struct.unpack(fmt, data[i:i + 4])`: the fix is unpack_from(fmt, data, i), not a view."""
        arg, call = self.ctx.parent(), self.ctx.parent(2)
        if not isinstance(arg, cst.Arg) or not isinstance(call, cst.Call):
            return False
        resolved = self.ctx.resolve(call.func) or ""
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
        return resolved in ("struct.unpack", "struct.iter_unpack") or method == "unpack"

    def _in_except_handler(self) -> bool:
        for node in reversed(self.ctx.stack):
            if isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler)):
                return True
            if isinstance(node, (cst.For, cst.While, cst.FunctionDef, cst.Lambda)):
                return False
        return False

    def _rebound_in(self, loop: cst.CSTNode) -> set:
        """Names the loop assigns afresh (not `x = x[n:]`, not `x += ...`)."""
        found = self._rebound.get(id(loop))
        if found is None:
            found = self._rebound[id(loop)] = _rebound_names(loop)
        return found

    def _fresh_per_iteration(self, name: str, made_in: Tuple[Loop, ...]) -> bool:
        """The innermost loop works on a new value each iteration: made in this iteration, or
        assigned afresh somewhere in the loop. Slicing it copies once per value, not a chain."""
        if not _outside(made_in, self.ctx.loops):
            return True
        loop = _innermost_loop(self.ctx)
        return loop is not None and name in self._rebound_in(loop)

    def _consumed(self, node: cst.Assign, name: str, known: Tuple[str, Tuple[Loop, ...]]) -> None:
        if not self.ctx.in_loop:
            return
        kind, made_in = known
        if self._fresh_per_iteration(name, made_in):
            return  # `data = b""` per file, its last byte dropped once: one slice, not a chain
        requires: Tuple[str, ...] = ()
        loops = self.ctx.loop_nodes
        if kind != "str" and len(made_in) < len(loops) \
                and spelled_record(loops[len(made_in)], name, self.ctx.constants) is not None:
            # a buffer this call was given or made, cut in records the code sizes (a 4-byte
            # length header): its steps are this function's loops however deep its callers'
            # loops sit (datawalk.own_steps)
            requires = (f"{OWN_STEPS}{len(made_in)}",)
        self.report(node, f"'{name} = {name}[...]' in a loop copies the rest of the {kind} on every "
                          "step: quadratic in the number of steps; keep an offset or a memoryview",
                    confidence="high", fix=CONSUME_FIX, requires=requires)

    def _attribute_consumed(self, node: cst.Assign, target: cst.Attribute) -> None:
        """`self._data = self._data[n:]` in `__next__`, outside any loop of it: the iteration
        protocol is the loop (`for frame in buffer:` calls it once per item), and each item
        taken copies the rest of the buffer. Only an attribute the file makes bytes
        (`= b""`, `bytes(...)`, `bytearray(...)`)."""
        receiver = self.ctx.self_name()
        value = node.value
        if receiver is None or self.ctx.in_loop or not isinstance(target.value, cst.Name) \
                or target.value.value != receiver or not isinstance(value, cst.Subscript) or not _is_slice(value):
            return
        text = f"{receiver}.{target.attr.value}"
        part = value.slice[0].slice
        if dotted_text(value.value) != text or part.lower is None or part.upper is not None:  # type: ignore[attr-defined]
            return  # only the rest after a prefix: `buf[:n]` keeps a prefix, a copy of it once
        function = innermost_def(self.ctx)
        if function is None or function.name.value == "__init__" or self._in_except_handler():
            return
        kind = self._attr_kinds().get(target.attr.value)
        if kind is None:
            return
        if function.name.value == "__next__":
            self.report(node, f"'{text} = {text}[...]' in __next__ copies the rest of the {kind} for every item the "
                              "iteration takes: quadratic in the items a buffer holds; keep an offset or delete the "
                              "consumed prefix of a bytearray in place", confidence="high", fix=CONSUME_FIX)
            return
        if not _only_cut(function, receiver, target.attr.value, node):
            return  # the method also refills or resets it: each call brings its own data
        # An ordinary method that takes an item off the buffer once per call: the loop is the
        # caller's (phase 2 requires the call in a loop of it), and over its S calls the buffer
        # starts at S pieces and each call copies the rest: PFL203's growth across calls, run
        # backwards (datawalk.ACROSS_CALLS_CONSUMED).
        self.report(node, f"'{text} = {text}[...]' in {function.name.value}() copies the rest of the {kind} on "
                          "every call, and a caller calls it in a loop: quadratic in the items taken off one "
                          "buffer; keep an offset or delete the consumed prefix of a bytearray in place",
                    confidence="high", fix=CONSUME_FIX, requires=("caller-loop",),
                    growth=(ACROSS_CALLS_CONSUMED, 0.0, 1, 0.0))

    def _attr_kinds(self) -> Dict[str, str]:
        """Attributes this file sets to b"", bytes(...) or bytearray(...): attr -> kind."""
        cached = getattr(self, "_attr_cache", None)
        if cached is None or cached[0] is not self.ctx:
            found = {name: ("bytearray" if made.startswith("bytearray") else "bytes")
                     for name, made in _BYTES_ATTR.findall(self.ctx.source)}
            cached = self._attr_cache = (self.ctx, found)
        return cached[1]

    def _bytes_kind(self, value: cst.BaseExpression) -> Optional[str]:
        if isinstance(value, cst.SimpleString):
            # b"": an accumulator to be filled; a non-empty literal is a small constant table
            evaluated = value.evaluated_value
            return "bytes" if evaluated == b"" else ("str" if evaluated == "" else None)
        if not isinstance(value, cst.Call):
            return None
        resolved = self.ctx.resolve(value.func)
        if resolved in _STR_TYPES or (isinstance(value.func, cst.Attribute) and value.func.attr.value == "decode"):
            return "str"  # str(...), data.decode(...): text, tracked for `s = s[n:]` only
        if resolved in _ZERO_COPY:
            return None
        if resolved in _BYTES_FUNCTIONS:
            return "bytearray" if resolved == "bytearray" else "bytes"
        if isinstance(value.func, cst.Attribute):
            method = value.func.attr.value
            if method in _BYTES_METHODS:
                return "bytes"
            if method in ("read", "readline") and isinstance(value.func.value, cst.Name) \
                    and value.func.value.value in self._binary_files[-1]:
                return "bytes"
            if method in ("encode", "tobytes"):
                return "bytes"
        return None


def _opens_binary(expr: cst.BaseExpression, ctx) -> bool:
    """open(path, "rb"), path.open("rb"), io.open(..., mode="rb"), socket.makefile("rb")."""
    if not isinstance(expr, cst.Call):
        return False
    func = expr.func
    name = func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else "")
    if name not in ("open", "makefile", "BufferedReader", "FileIO"):
        return False
    for arg in expr.args:
        if arg.keyword is not None and arg.keyword.value != "mode":
            continue
        value = arg.value
        if isinstance(value, cst.SimpleString):
            text = value.evaluated_value
            if isinstance(text, str) and "b" in text and set(text) <= set("rwabx+"):
                return True
    return name in ("BufferedReader", "FileIO")


CONSUME_FIX = ("keep an offset into the data (or a memoryview of it) and advance it, instead of slicing "
               "off what was read: each `buf = buf[n:]` copies everything that is left")
UNPACK_FROM_FIX = "use struct.unpack_from(fmt, buf, offset) (or a struct.Struct's unpack_from): no slice, no copy"


def _slice_length(node: cst.Subscript) -> Optional[float]:
    """Bytes a slice copies when its bounds say: `b[2:10]` -> 8, `b[i:i + 4]` -> 4; else None."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Slice):
        return None
    part = node.slice[0].slice
    lower, upper = part.lower, part.upper
    if isinstance(upper, cst.Integer) and (lower is None or isinstance(lower, cst.Integer)):
        low = int(lower.value, 0) if isinstance(lower, cst.Integer) else 0
        return float(max(int(upper.value, 0) - low, 0))
    if isinstance(upper, cst.BinaryOperation) and isinstance(upper.operator, cst.Add) and \
            isinstance(upper.right, cst.Integer) and lower is not None and \
            upper.left.deep_equals(lower):
        return float(int(upper.right.value, 0))
    return None


# A list whose length the code does not show: a modest structure (scoring.DEFAULT_ELEMENTS,
# 100); a slice of what is left after a position copies half of it on average.
LIST_HALF = 50.0
LIST_FIX = ("search without copying: loop over an index range (`for i in range(start, len(items))`) or "
            "itertools.islice(items, start, end); or find the positions you need in one pass")
# What a search loop may do to the list it searches that needs the copy.
_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse"})


def _loop_index_over(loops: Tuple[cst.CSTNode, ...], text: str) -> Optional[str]:
    """The index name of a `for` loop around the site that walks the list `text` itself:
    `for i, x in enumerate(text)` or `for i in range(len(text))`."""
    for loop in reversed(loops):
        if not isinstance(loop, cst.For):
            continue
        it = loop.iter
        if not isinstance(it, cst.Call) or not isinstance(it.func, cst.Name) or not it.args:
            continue
        if it.func.value == "enumerate" and dotted_text(it.args[0].value) == text \
                and isinstance(loop.target, cst.Tuple) and loop.target.elements \
                and isinstance(loop.target.elements[0].value, cst.Name):
            return loop.target.elements[0].value.value
        if it.func.value == "range" and len(it.args) == 1 and isinstance(loop.target, cst.Name):
            inner = it.args[0].value
            if isinstance(inner, cst.Call) and isinstance(inner.func, cst.Name) and inner.func.value == "len" \
                    and inner.args and dotted_text(inner.args[0].value) == text:
                return loop.target.value
    return None


def _mentions_name(expr: cst.CSTNode, name: str) -> bool:
    return _mentions_any(expr, {name})


def _mentions_any(expr: cst.CSTNode, names: set) -> bool:
    if isinstance(expr, cst.Name):
        return expr.value in names
    return any(isinstance(current, cst.Name) and current.value in names for current, _ in own_nodes(expr, ()))


def _param_names(function: cst.FunctionDef) -> set:
    params = function.params
    return {p.name.value for p in list(params.posonly_params) + list(params.params) + list(params.kwonly_params)}



def _exits(body: cst.CSTNode) -> bool:
    """The loop body returns, or breaks out of this loop (not of a loop nested in it)."""
    stack: List[Tuple[cst.CSTNode, bool]] = [(body, False)]
    while stack:
        node, nested = stack.pop()
        if isinstance(node, cst.Return) or (isinstance(node, cst.Break) and not nested):
            return True
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        inner = nested or isinstance(node, (cst.For, cst.While))
        stack.extend((child, inner) for child in iter_children(node))
    return False


def _changes(body: cst.CSTNode, text: str) -> bool:
    """The loop body changes the list it walks a copy of: a mutating method of it, an item
    or slice assigned or deleted, or the name rebound; then the copy is needed."""
    for current, _ in own_nodes(body, ()):
        if isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute) \
                and current.func.attr.value in _MUTATORS and dotted_text(current.func.value) == text:
            return True
        for target in _written(current):
            for part, _ in own_nodes(target, ()):
                if isinstance(part, (cst.Attribute, cst.Name)) and dotted_text(part) == text:
                    return True
    return False


def _written(node: cst.CSTNode) -> List[cst.CSTNode]:
    """The targets a statement writes: assigned, grown in place, annotated or deleted."""
    if isinstance(node, cst.Assign):
        return [t.target for t in node.targets]
    if isinstance(node, (cst.AugAssign, cst.AnnAssign, cst.Del)):
        return [node.target]
    return []


def _innermost_loop(ctx) -> Optional[cst.CSTNode]:
    loops = ctx.loop_nodes
    return loops[-1] if loops else None


def _rebound_names(loop: cst.CSTNode) -> set:
    out = set()
    stack: List[cst.CSTNode] = [loop.body] if isinstance(loop, (cst.For, cst.While)) else [loop]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Assign):
            value = node.value
            for target in node.targets:
                t = target.target
                if isinstance(t, cst.Name) and not (
                    isinstance(value, cst.Subscript) and isinstance(value.value, cst.Name) and value.value.value == t.value
                ) and not _empty_literal(value):
                    out.add(t.value)
        elif isinstance(node, (cst.For, cst.CompFor)) and isinstance(node.target, cst.Name):
            out.add(node.target.value)
        elif isinstance(node, cst.NamedExpr) and isinstance(node.target, cst.Name):
            out.add(node.target.value)
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(iter_children(node))
    return out


def _only_cut(function: cst.FunctionDef, receiver: str, attr: str, node: cst.Assign) -> bool:
    """`node` is the method's only write of `receiver.attr`: no `+=`, no refill, no reset,
    no second cut. A method that grows its buffer and then cuts what it parsed (a protocol's
    `data_received`) holds one call's data; one that refills it when empty starts afresh."""
    text = f"{receiver}.{attr}"
    for current, _ in own_nodes(function.body):
        if current is node:
            continue
        for target in _written(current):
            for part in own_nodes(target, ()):
                if isinstance(part[0], cst.Attribute) and dotted_text(part[0]) == text:
                    return False
    return True


def _empty_literal(value: cst.BaseExpression) -> bool:
    """`s = ""`, `buf = b""`: emptying the value ends what is left, it brings no new data."""
    return isinstance(value, cst.SimpleString) and value.evaluated_value in ("", b"")


def _is_slice(node: cst.Subscript) -> bool:
    return len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice) and node.slice[0].slice.step is None


def _outside(made_in: Tuple[Loop, ...], loops: Tuple[Loop, ...]) -> bool:
    """The value was made outside at least one loop around the slice."""
    return len(loops) > len(made_in) and loops[: len(made_in)] == made_in
