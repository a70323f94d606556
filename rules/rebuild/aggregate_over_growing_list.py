"""PFL306 aggregate-over-growing-list."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set

import libcst as cst

from perflint.context import dotted_text
from perflint.datawalk import ACROSS_CALLS_SCANNED
from perflint.nodes import STATEMENTS_ONLY, own_nodes
from perflint.rule import Invalid, Rule
from perflint.rules.alloc.bytes_concat_in_loop import _concat_of, _piece_size, _read_chunk, _read_size
from perflint.ruleutil import later_statements

# Builtins that visit every element of their argument.
_AGGREGATES = {"sum", "max", "min", "sorted", "any", "all"}
# Methods that add to a list, deque, set or bytearray in place.
_GROWERS = {"append", "extend", "appendleft", "insert", "add", "update"}
# A compiled pattern's methods that scan the text from its start when given no position.
_PATTERN_SCANS = {"search", "findall", "finditer"}
_RE_SCANS = {"re.search", "re.findall", "re.finditer"}
# `self.buf += data` / `self.buf.extend(data)`: a file that grows an attribute in place.
_GROWN_ATTR = re.compile(r"self\.(\w+)\s*(?:\+=|\.extend\()")
# `X = re.compile(...)` / `self.X = re.compile(...)`: names that hold a compiled pattern.
_COMPILED = re.compile(r"(\w+)\s*=\s*re\.compile\(")
# Searches of a local buffer that scan it from its start (no position given).
_TEXT_SEARCHES = {"find", "index", "rfind", "rindex", "count"}
_LOCAL_PATTERN_SCANS = {"search", "match", "findall", "finditer"}
_LOCAL_RE_SCANS = {"re.search", "re.match", "re.findall", "re.finditer"}
# Loop nodes a site can sit in: statements' loops and comprehensions.
_LOOP_NODES = (cst.For, cst.While, cst.CompFor, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
LOCAL_RESCAN_FIX = ("search only what the last read added (keep where the search stopped, less the needle's "
                    "length: buf.find(sep, max(0, searched - len(sep) + 1))), or collect the reads in a list, test "
                    "the tail, and join once")
RESCAN_FIX = ("keep the position the last search reached and resume from it (pattern.search(buf, pos), "
              "buf.find(x, pos)), starting again at 0 when the buffer is consumed")


class AggregateOverGrowingList(Rule):
    """
    A total recomputed over the whole collection on every pass of a loop that grows it.

    ## What it does
    Flags `sum(...)`, `max(...)`, `min(...)`, `sorted(...)`, `any(...)`/`all(...)` and
    `len(b"".join(...))` over a collection in a `while` condition, when the loop's body
    appends to that same collection (`append`, `extend`, `add`, `+=`) and does not replace
    it. The classic case is a read loop: `while sum(map(len, self._buffer)) < n:
    self._buffer.append(next(chunks))`.

    Also flags a search from the start of a buffer attribute that another method of the
    class grows in place, once per call: `pattern.search(self.buffer)`, `re.search(p,
    self.buffer)`, `findall`/`finditer`, `self.buffer.find(x)`/`index(x)` with no start
    position, in a method (not in a loop of its own) that leaves the buffer uncut when the
    search finds nothing, while `receive_data` does `self.buffer.extend(data)` or
    `self.buffer += data`. The attribute must be set to a buffer in the file (`bytearray()`,
    `b""`, `""`, `bytes()`, `str()`), and the pattern a name the file assigns `re.compile(...)`.
    A push parser's `next_event`, asked for an event after every chunk, scans the whole
    buffer again until the headers' blank line or the boundary arrives.

    And the same search in one loop: a local `str`/`bytes`/`bytearray` started before a loop
    (`data = b""`, `bytearray()`, a first `recv`), grown in it (`data += sock.recv(1024)`, `data
    = data + piece`, `buf.extend(chunk)`, `buf.append(b)` on a bytearray) and searched from its
    start in the same loop, before or after the growth: `data.find(x)`/`index`/`rfind`/`count`
    with no start position, `x in data` (the loop's `while` test included), a compiled
    pattern's `search`/`match`/`findall`/`finditer` or `re.search(p, data)`, also inside an
    `any()` over several needles. The classic read-until-terminator loop: `while True: data +=
    sock.recv(n); if b"\\n0000" in data: break`.

    ## Why is this slow
    Each pass of the condition visits every element the loop has added so far: n passes
    cost n²/2 element visits. Reading a large body in small chunks turns into millions of
    `len()` calls for a few thousand chunks. A running total, updated where the element is
    added, answers the condition in constant time.

    A search that starts over at byte 0 on every call (or every trip) rescans what the calls
    before it already found no match in: a buffer filled in k chunks costs k²/2 chunks of scanning
    before the match arrives. Werkzeug's multipart decoder searched for the boundary and for
    the end of the part headers that way, per received chunk; keeping the position the last
    search reached (less the length of a partial match) makes it linear.

    ## Example
    ```python
    def read(self, n):
        while sum(map(len, self._buffer)) < n:
            self._buffer.append(next(self._chunks))
    ```

    ## Use instead
    ```python
    def read(self, n):
        while self._buffered < n:
            chunk = next(self._chunks)
            self._buffer.append(chunk)
            self._buffered += len(chunk)
    ```

    For the buffer:
    ```python
    class Decoder:
        def receive_data(self, data):
            self.buffer.extend(data)

        def next_event(self):
            match = BLANK_LINE.search(self.buffer)     # from byte 0 on every call
            if match is not None:
                del self.buffer[: match.end()]
                return Headers(...)
            return NEED_DATA
    ```
    use instead `BLANK_LINE.search(self.buffer, self._searched)`, setting `self._searched` to
    `max(0, len(self.buffer) - 3)` when nothing matched and to 0 after the cut.

    For the loop:
    ```python
    data = b""
    while True:
        if any(data.find(code) != -1 for code in STATUS_CODES):   # the whole reply, per read
            break
        data += sock.recv(1024)
    ```
    use instead a list of the reads, a search of the tail of the last one (or `data.find(code,
    max(0, searched - len(code) + 1))`), and one `b"".join()` at the end.

    ## Notes
    `len(x)` alone is constant time and is not reported. A loop that rebinds the collection
    in its body (a new list per pass) does not grow it and is not reported.

    The buffer search is priced per byte scanned (`regex-search-byte`, measured on the search
    for a blank line through header text; `find-byte` for `find`/`index`) times what the
    buffer holds on average: the calls of the growing method that the loops around it repeat
    (on its hottest chain), 64 bytes each when the code does not show the size, half of it
    on average, at most half of `data-bytes`. Not reported: a search followed, on every path,
    by a cut of the buffer (`del self.buffer[:n]` in the same block or one around it, after
    the search: the next call scans only what arrived since); a search in a loop of its own
    method (a splitter: what is left is one partial item); a method that grows the buffer
    itself (a protocol's `data_received` that grows and splits); `__init__`.

    The loop's search is priced the same way, per search a trip: what the buffer holds on
    average over the loops it grows in (a stream read in chunks of C bytes: data-bytes / C
    reads, holding at most data-bytes), times the trips of those loops and of any loop around
    the search inside a trip (a comprehension over the needles). pybird's control-socket reader
    searched the whole reply for each status code before every 1 KiB read: a 64 KiB reply in
    13.9 ms, against 0.27 ms for the tail. Not reported: a loop that cuts, rebinds or empties
    the buffer (a splitter, `data = b""` per message; an assignment in a block that leaves the
    loop is its result), a growth only under `if x not in buf:` (the buffer keeps distinct
    needles, not the reads), a search from a position, and a needle that is one character (a
    memchr, some 40x faster a byte than `find-byte`) or line breaks alone (`b"\\r\\n"`,
    `b"\\r\\n\\r\\n"`: the loop reads one line or one header block, not a large reply).
    """

    CODE = "PFL306"
    COST = "scan-row"  # perflint/costs.py; measured by bench/costs.py
    NAME = "aggregate-over-growing-list"
    FAMILY = "rebuild"
    FIX = "keep a running total (count, size, maximum) updated where elements are added"
    TRIGGERS = ("while", "+=", ".extend(")
    VALID = [
        # len() is O(1).
        "def read(sock, n):\n    buf = []\n    while len(buf) < n:\n        buf.append(sock.recv(1))\n",
        # The condition's list is not the one the loop grows.
        "def fill(sizes, out, n):\n    while sum(sizes) < n:\n        out.append(1)\n        sizes.pop()\n",
        # A running total.
        "def read(self, n):\n    while self._size < n:\n        c = next(self._it)\n        self._buffer.append(c)\n        self._size += len(c)\n",
        # The body replaces the list: it does not grow across passes.
        "def step(items):\n    while sum(items) > 10:\n        items = [i // 2 for i in items]\n        items.append(1)\n",
        # The search resumes from a kept position.
        "import re\nEND = re.compile(rb'\\n\\n')\nclass D:\n    def __init__(self):\n        self.buf = bytearray()\n        self.pos = 0\n"
        "    def feed(self, data):\n        self.buf.extend(data)\n    def next(self):\n        m = END.search(self.buf, self.pos)\n"
        "        if m is None:\n            self.pos = max(0, len(self.buf) - 1)\n            return None\n"
        "        del self.buf[: m.end()]\n        self.pos = 0\n        return m\n"
        "def run(chunks):\n    d = D()\n    for c in chunks:\n        d.feed(c)\n        d.next()\n",
        # The buffer is cut on every path after the search.
        "class D:\n    def __init__(self):\n        self.buf = b''\n    def feed(self, data):\n        self.buf += data\n"
        "    def take(self):\n        end = self.buf.find(b'--')\n        cut = len(self.buf) if end == -1 else end\n"
        "        out = self.buf[:cut]\n        self.buf = self.buf[cut:]\n        return out\n"
        "def run(chunks):\n    d = D()\n    for c in chunks:\n        d.feed(c)\n        d.take()\n",
        # A loop that searches what it grows for a line break: it reads one line.
        "def read_line(sock):\n    data = b''\n    while True:\n        chunk = sock.recv(1024)\n        if not chunk:\n"
        "            break\n        data += chunk\n        if b'\\r\\n' in data:\n            break\n    return data\n",
        # A splitter: the loop cuts what it searched.
        "def messages(sock):\n    data = b''\n    while True:\n        chunk = sock.recv(1024)\n        if not chunk:\n"
        "            break\n        data += chunk\n        while b'\\0\\0' in data:\n"
        "            msg, data = data.split(b'\\0\\0', 1)\n            yield msg\n",
    ]
    INVALID = [
        Invalid(
            "class ChunkReader:\n"
            "    def read(self, n):\n"
            "        while sum(map(len, self._buffer)) < n:\n"
            "            try:\n"
            "                self._buffer.append(next(self._iter))\n"
            "            except StopIteration:\n"
            "                break\n"
            "        return b''.join(self._buffer)[:n]\n",
            line=3,
        ),
        Invalid(
            "def collect(stream, limit):\n"
            "    parts = []\n"
            "    while len(b''.join(parts)) < limit:\n"
            "        parts.append(stream.read(512))\n"
            "    return parts\n",
            line=3,
        ),
        Invalid(
            "def grow(source, total):\n"
            "    sizes = []\n"
            "    while sum(s for s in sizes) < total:\n"
            "        sizes += [source.pop()]\n"
            "    return sizes\n",
            line=3,
        ),
        # A buffer grown by feed() and searched from its start by every next() call.
        Invalid(
            "import re\n"
            "END = re.compile(rb'\\r\\n\\r\\n')\n"
            "class D:\n"
            "    def __init__(self):\n"
            "        self.buf = bytearray()\n"
            "    def feed(self, data):\n"
            "        self.buf.extend(data)\n"
            "    def next(self):\n"
            "        m = END.search(self.buf)\n"
            "        if m is not None:\n"
            "            del self.buf[: m.end()]\n"
            "        return m\n"
            "def run(chunks):\n"
            "    d = D()\n"
            "    for chunk in chunks:\n"
            "        d.feed(chunk)\n"
            "        d.next()\n",
            line=9,
        ),
        # A local buffer grown per read and searched whole before each read.
        Invalid(
            "def query(sock):\n"
            "    data = b''\n"
            "    while True:\n"
            "        if any(data.find(code) != -1 for code in (b'\\n0000', b'\\n8001')):\n"
            "            break\n"
            "        chunk = sock.recv(1024)\n"
            "        if not chunk:\n"
            "            raise ValueError('closed')\n"
            "        data += chunk\n"
            "    return data\n",
            line=4,
        ),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._pending: Dict[int, str] = {}  # id of an aggregate call in a while test -> collection text
        # The rescan form: attributes the file grows in place and sets to a buffer, names that
        # hold a compiled pattern, and per class being visited, attribute -> methods growing it.
        source = ctx.source
        grown = set(_GROWN_ATTR.findall(source))
        self._buffers: Set[str] = {a for a in grown if re.search(
            r"self\.%s\s*=\s*(?:b?['\"]|bytes\(|bytearray\(|str\()" % re.escape(a), source)}
        self._patterns: Set[str] = set(_COMPILED.findall(source)) if self._buffers else set()
        self._growers: List[Dict[str, Set[str]]] = []
        # The local form: per function, text or bytes locals started empty (name -> (kind, loops
        # around the start)) and locals holding one stream read (name -> bytes it returns at
        # most); searches found in a loop that grows their buffer, by node id.
        self._texts: List[Dict[str, tuple]] = []
        self._read_names: List[Dict[str, float]] = []
        self._local_scans: Dict[int, tuple] = {}
        self._compiled: Optional[Set[str]] = None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._texts.append({})
        self._read_names.append({})

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._texts.pop()
        self._read_names.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._texts or len(node.targets) != 1 or type(node.targets[0].target) is not cst.Name:
            return
        name = node.targets[0].target.value
        size = _read_size(node.value)
        if size is not None:
            self._read_names[-1][name] = size
        kind = _text_start(node.value)
        if kind is not None:
            self._texts[-1][name] = (kind, tuple(map(id, self.ctx.loop_nodes)))

    def visit_For(self, node: cst.For) -> None:
        self._local_loop(node)

    def _local_loop(self, loop: cst.CSTNode) -> None:
        """The local form: a text or bytes local started before `loop`, grown in it (`+=`,
        `extend`) and searched from its start in it, which nothing in the loop cuts or resets."""
        texts = self._texts[-1] if self._texts else None
        if not texts or self.ctx.function is None or self.ctx.is_test:
            return
        around = tuple(id(n) for n in self.ctx.loop_nodes if n is not loop)
        names = {name: kind for name, (kind, at) in texts.items() if at == around}
        if not names:
            return
        found = _local_events(loop, names, self._patterns_of_file())
        for name, (growth, searches) in found.items():
            for search, cost, how, needle in searches:
                if _cheap_needle(needle):
                    continue  # one character (memchr), or a line break: a line-sized read
                self._local_scans[id(search)] = (name, growth, cost, how, len(around))

    def _patterns_of_file(self) -> Set[str]:
        if self._compiled is None or getattr(self, "_compiled_ctx", None) is not self.ctx:
            self._compiled = set(_COMPILED.findall(self.ctx.source))
            self._compiled_ctx = self.ctx
        return self._compiled

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self._local_scans:
            self._report_local(node)

    def _report_local(self, node: cst.CSTNode) -> None:
        scan = self._local_scans.pop(id(node), None)
        if scan is None:
            return
        name, growth, cost, how, start = scan
        loops = self.ctx.loop_nodes
        if len(loops) <= start:
            return
        # the loops the buffer grows in: from the first after its start down to the deepest
        # one around the growth; deeper loops around the search repeat the search in a trip
        ancestors = _loop_ancestors(loops[start], growth)
        stop = max((i for i, loop in enumerate(loops) if id(loop) in ancestors), default=start) + 1
        reads = self._read_names[-1] if self._read_names else {}
        if type(growth) is cst.Call:
            piece = growth.args[0].value if growth.args else None
            if growth.func.attr.value == "append":
                known, unknown, chunk = 1.0, 0, 0.0
            elif type(piece) is cst.Name and piece.value in reads:
                known, unknown, chunk = reads[piece.value], 0, reads[piece.value]
            elif piece is not None and _read_size(piece) is not None:
                known = chunk = _read_size(piece)  # type: ignore[assignment]
                unknown = 0
            else:
                known, unknown, chunk = 0.0, 1, 0.0
        else:
            known, unknown = _piece_size(growth, name, reads, set())
            chunk = _read_chunk(growth, name, reads)
        self.report(node, f"{how} searches {name} from its start on every trip of the loop that grows it, and nothing "
                          f"in the loop cuts {name}: each trip scans again the bytes the trips before it scanned, "
                          f"quadratic in what {name} holds",
                    fix=LOCAL_RESCAN_FIX, cost=cost, growth=(start, known, unknown, chunk, stop))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not self._buffers:
            return
        growers: Dict[str, Set[str]] = {}
        for stmt in getattr(node.body, "body", ()):
            if type(stmt) is not cst.FunctionDef or stmt.name.value == "__init__":
                continue
            for attr in _grown_attrs(stmt, self._buffers):
                growers.setdefault(attr, set()).add(stmt.name.value)
        self._growers.append(growers)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        if self._buffers:
            self._growers.pop()

    def visit_While(self, node: cst.While) -> None:
        if self.ctx.function is None:
            return  # module level: runs once
        self._local_loop(node)
        aggregates = _aggregates(node.test)
        if not aggregates:
            return  # the body is walked only under a test that aggregates something
        grown, rebound = _changes(node.body)
        for call, target in aggregates:
            if target in grown and target not in rebound:
                self._pending[id(call)] = target

    def visit_Call(self, node: cst.Call) -> None:
        target = self._pending.pop(id(node), None)
        if target is None:
            if self._local_scans:
                self._report_local(node)
            if self._growers and self._growers[-1]:
                self._rescan(node)
            return
        self.report(node, f"the loop condition visits every element of {target} on each pass, "
                          f"and the loop appends to {target}: quadratic in its length")

    def _rescan(self, node: cst.Call) -> None:
        """A search from the start of a buffer attribute that another method of the class grows
        in place (`self.buf.extend(data)` in `receive_data`), in a method that leaves the
        buffer as it is when the search finds nothing: every call scans again what the calls
        before it scanned."""
        receiver = self.ctx.self_name()
        fn = self.ctx.function
        if receiver is None or fn is None or self.ctx.loops or self.ctx.is_test:
            return  # a loop of its own that searches and consumes: a splitter, the remainder is one item
        scanned = self._scanned(node, receiver)
        if scanned is None:
            return
        attr, kind, how = scanned
        method = fn.name
        growers = self._growers[-1].get(attr)
        if not growers or method in growers or method in ("__init__", "__new__"):
            return
        if _consumed_after(self.ctx.stack, node, receiver, attr):
            return  # cut on every path after the search: the next call searches what came since
        grower = sorted(growers)[0]
        self.report(node, f"{how} searches {receiver}.{attr} from its start on every call of {method}(), while "
                          f"{grower}() grows it in place and nothing here consumes it when the search finds nothing: "
                          "each call scans again the bytes the calls before it scanned, quadratic in what the buffer holds",
                    fix=RESCAN_FIX, cost=kind, requires=("repeated", f"grown-by:{grower}"),
                    growth=(ACROSS_CALLS_SCANNED, 0.0, 1, 0.0))

    def _scanned(self, node: cst.Call, receiver: str):
        """(attribute, cost key, what searches) when `node` searches `self.<buffer>` from its start."""
        func = node.func
        args = node.args
        if any(a.keyword is not None or a.star for a in args):
            return None
        qualified = self.ctx.resolve(func)
        if qualified in _RE_SCANS and len(args) >= 2:
            attr = _self_attr(args[1].value, receiver)
            return (attr, "regex-search-byte", f"{qualified}()") if attr in self._buffers else None
        if not isinstance(func, cst.Attribute) or len(args) != 1:
            return None
        name = func.attr.value
        if name in _PATTERN_SCANS:
            text = dotted_text(func.value)
            attr = _self_attr(args[0].value, receiver)
            if text is not None and text.rpartition(".")[2] in self._patterns and attr in self._buffers:
                return attr, "regex-search-byte", f"{text}.{name}()"
            return None
        if name in ("find", "index"):
            attr = _self_attr(func.value, receiver)
            if attr in self._buffers:
                return attr, "find-byte", f"{receiver}.{attr}.{name}()"
        return None


def _self_attr(expr: cst.BaseExpression, receiver: str) -> Optional[str]:
    """`attr` of `self.attr` (the method's receiver), else None."""
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == receiver:
        return expr.attr.value
    return None


def _grown_attrs(fn: cst.FunctionDef, buffers: Set[str]) -> Set[str]:
    """Buffer attributes a method grows in place outside any loop of its own: `self.buf +=
    data`, `self.buf.extend(data)`; a method that also searches or splits them in a loop is a
    protocol's own consumer, and still counts as their grower."""
    params = fn.params.params
    if not params:
        return set()
    receiver = params[0].name.value
    out: Set[str] = set()
    for node, _ in own_nodes(fn.body, STATEMENTS_ONLY):
        if type(node) is cst.AugAssign and type(node.operator) is cst.AddAssign:
            attr = _self_attr(node.target, receiver)
        elif type(node) is cst.Call and type(node.func) is cst.Attribute and node.func.attr.value == "extend":
            attr = _self_attr(node.func.value, receiver)
        else:
            continue
        if attr in buffers:
            out.add(attr)
    return out


def _consumes(stmt: cst.CSTNode, receiver: str, attr: str) -> bool:
    """A simple statement that cuts or replaces `self.<attr>`: `del self.buf[:n]`, `self.buf =
    ...`, `self.buf[:n] = b""`, `self.buf.clear()`."""
    if type(stmt) is not cst.SimpleStatementLine:
        return False
    for small in stmt.body:
        targets: List[cst.BaseExpression] = []
        if type(small) is cst.Del:
            targets = [small.target]
        elif type(small) is cst.Assign:
            targets = [t.target for t in small.targets]
        elif type(small) is cst.Expr and type(small.value) is cst.Call and type(small.value.func) is cst.Attribute \
                and small.value.func.attr.value == "clear":
            targets = [small.value.func.value]
        for target in targets:
            if type(target) is cst.Subscript:
                target = target.value
            if _self_attr(target, receiver) == attr:
                return True
    return False


def _consumed_after(stack: List[cst.CSTNode], node: cst.CSTNode, receiver: str, attr: str) -> bool:
    """Whether a statement that runs on every path after the one holding `node` consumes the
    buffer: a later statement of the same block, or of a block around it, up to the function."""
    return any(_consumes(stmt, receiver, attr) for stmt in later_statements(stack, node))


def _aggregates(test: cst.BaseExpression) -> List[tuple]:
    """(call, collection text) for each whole-collection aggregate in a loop test."""
    out: List[tuple] = []

    class _Find(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            target = _aggregated(call)
            if target is not None:
                out.append((call, target))

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

    test.visit(_Find())
    return out


def _aggregated(call: cst.Call) -> Optional[str]:
    """The collection `call` visits whole, as dotted text, when it is an aggregate."""
    func = call.func
    if not call.args:
        return None
    arg = call.args[0].value
    if isinstance(func, cst.Name) and func.value in _AGGREGATES:
        return _collection(arg)
    if isinstance(func, cst.Name) and func.value == "len" and isinstance(arg, cst.Call):
        # len(b"".join(parts)): the join copies every part to count them.
        inner = arg.func
        if isinstance(inner, cst.Attribute) and inner.attr.value == "join" and arg.args:
            return _collection(arg.args[0].value)
    return None


def _collection(arg: cst.BaseExpression) -> Optional[str]:
    """`xs`, `self._buffer`: directly, through map(f, xs), or through a generator over it."""
    text = dotted_text(arg)
    if text is not None:
        return text
    if isinstance(arg, cst.Call) and isinstance(arg.func, cst.Name) and arg.func.value == "map" and len(arg.args) == 2:
        return dotted_text(arg.args[1].value)
    if isinstance(arg, (cst.GeneratorExp, cst.ListComp)) and arg.for_in.inner_for_in is None:
        return dotted_text(arg.for_in.iter)
    return None


def _changes(body: cst.CSTNode) -> tuple:
    """(collections grown in place, names rebound) in a loop body, nested functions aside."""
    grown: Set[str] = set()
    rebound: Set[str] = set()

    class _Find(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_Call(self, call: cst.Call) -> None:
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in _GROWERS:
                text = dotted_text(func.value)
                if text is not None:
                    grown.add(text)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            if isinstance(node.operator, cst.AddAssign):
                text = dotted_text(node.target)
                if text is not None:
                    grown.add(text)

        def visit_Assign(self, node: cst.Assign) -> None:
            for t in node.targets:
                text = dotted_text(t.target)
                if text is not None:
                    rebound.add(text)

    body.visit(_Find())
    return grown, rebound


def _text_start(value: cst.BaseExpression) -> Optional[str]:
    """"str", "bytes" or "bytearray" for a local started as an empty text or buffer (`b""`,
    `""`, `bytes()`, `str()`, `bytearray()`), a bytes literal, or one socket read."""
    node_type = type(value)
    if node_type is cst.SimpleString:
        text = value.evaluated_value  # type: ignore[attr-defined]
        if isinstance(text, bytes):
            return "bytes"
        return "str" if text == "" else None
    if node_type is cst.Call and type(value.func) is cst.Name:  # type: ignore[attr-defined]
        func = value.func.value  # type: ignore[attr-defined]
        if func == "bytearray" and len(value.args) <= 1 and all(  # type: ignore[attr-defined]
                type(a.value) is cst.SimpleString for a in value.args):  # type: ignore[attr-defined]
            return "bytearray"
        if func in ("bytes", "str") and not value.args:  # type: ignore[attr-defined]
            return func
    if node_type is cst.Call and type(value.func) is cst.Attribute and value.func.attr.value in ("recv", "recv_bytes"):  # type: ignore[attr-defined]
        return "bytes"
    return None


def _is_name(expr: Optional[cst.BaseExpression], names) -> Optional[str]:
    if expr is not None and type(expr) is cst.Name and expr.value in names:  # type: ignore[attr-defined]
        return expr.value  # type: ignore[attr-defined]
    return None


def _local_events(loop: cst.CSTNode, names: Dict[str, str], patterns: Set[str]) -> Dict[str, tuple]:
    """name -> (its first growth, [(search, cost key, what searches, needle)]) for the locals of
    `names` that `loop` (its test and body, nested functions aside) grows and searches from the
    start and never cuts, rebinds or empties: `+=`, `x = x + piece`, `extend` (`append` on a
    bytearray) grow it; an assignment in a block that leaves the loop (`data = data[:end];
    break`) is its result, not a reset."""
    grown: Dict[str, cst.CSTNode] = {}
    reset: Set[str] = set()
    searches: Dict[str, list] = {}
    exits: Set[int] = set()
    # nodes under `if x not in buf:`: a growth there adds what the buffer lacks (a set of
    # distinct needles kept as text), not the next read
    absent: Set[int] = set()
    roots = [loop.body] + ([loop.test] if type(loop) is cst.While else [])  # type: ignore[attr-defined]
    for root in roots:
        for node, parent in own_nodes(root):
            node_type = type(node)
            if id(node) in absent and node_type in (cst.AugAssign, cst.Assign, cst.Call):
                continue
            if node_type is cst.If and _tests_absent(node.test, names):  # type: ignore[attr-defined]
                absent.update(id(sub) for sub, _ in own_nodes(node.body))  # type: ignore[attr-defined]
            if node_type is cst.IndentedBlock and node.body:  # type: ignore[attr-defined]
                last = node.body[-1]  # type: ignore[attr-defined]
                if type(last) is cst.SimpleStatementLine and any(
                        type(small) in (cst.Break, cst.Return, cst.Raise) for small in last.body):
                    exits.update(id(small) for stmt in node.body if type(stmt) is cst.SimpleStatementLine  # type: ignore[attr-defined]
                                 for small in stmt.body)
            elif node_type is cst.AugAssign:
                name = _is_name(node.target, names)  # type: ignore[attr-defined]
                if name is not None:
                    if type(node.operator) is cst.AddAssign:  # type: ignore[attr-defined]
                        grown.setdefault(name, node)
                    else:
                        reset.add(name)
                elif type(node.target) is cst.Subscript and _is_name(node.target.value, names):  # type: ignore[attr-defined]
                    reset.add(node.target.value.value)  # type: ignore[attr-defined]
            elif node_type is cst.Assign:
                for target in node.targets:  # type: ignore[attr-defined]
                    for sub, holder in own_nodes(target.target):
                        name = _is_name(sub, names)
                        if name is None or (type(holder) is cst.Attribute and holder.attr is sub):
                            continue
                        if sub is target.target and len(node.targets) == 1 and _concat_of(node.value, name):  # type: ignore[attr-defined]
                            grown.setdefault(name, node)
                        elif id(node) not in exits:
                            reset.add(name)
            elif node_type in (cst.Del, cst.For, cst.CompFor, cst.NamedExpr, cst.AsName):
                target = node.target if node_type is not cst.AsName else node.name  # type: ignore[attr-defined]
                for sub, _ in own_nodes(target):
                    name = _is_name(sub, names)
                    if name is not None:
                        reset.add(name)
            elif node_type is cst.Call:
                func = node.func  # type: ignore[attr-defined]
                args = node.args  # type: ignore[attr-defined]
                if any(a.keyword is not None or a.star for a in args):
                    continue
                if type(func) is cst.Attribute:
                    method = func.attr.value
                    name = _is_name(func.value, names)
                    if name is not None:
                        if method == "extend" or (method == "append" and names[name] == "bytearray"):
                            grown.setdefault(name, node)
                        elif method in _TEXT_SEARCHES and len(args) == 1:
                            searches.setdefault(name, []).append(
                                (node, "find-byte", f"{name}.{method}()", args[0].value))
                        elif method in ("clear", "pop", "__delitem__", "__setitem__"):
                            reset.add(name)
                        continue
                    if method in _LOCAL_PATTERN_SCANS and len(args) == 1:
                        name = _is_name(args[0].value, names)
                        text = dotted_text(func.value)
                        if name is not None and text is not None and text.rpartition(".")[2] in patterns:
                            searches.setdefault(name, []).append((node, "regex-search-byte", f"{text}.{method}()", None))
                        continue
                called = dotted_text(func)
                if called in _LOCAL_RE_SCANS and len(args) == 2:
                    name = _is_name(args[1].value, names)
                    if name is not None:
                        searches.setdefault(name, []).append((node, "regex-search-byte", f"{called}()", None))
            elif node_type is cst.Comparison and len(node.comparisons) == 1:  # type: ignore[attr-defined]
                comparison = node.comparisons[0]  # type: ignore[attr-defined]
                name = _is_name(comparison.comparator, names)
                if name is not None and type(comparison.operator) in (cst.In, cst.NotIn):
                    searches.setdefault(name, []).append((node, "find-byte", f"the `in` test", node.left))  # type: ignore[attr-defined]
    return {name: (grown[name], searches[name]) for name in grown if name in searches and name not in reset}


def _tests_absent(test: cst.BaseExpression, names) -> bool:
    """`x not in buf` (or `not x in buf`) for a buffer of `names`."""
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:  # type: ignore[attr-defined]
        inner = test.expression  # type: ignore[attr-defined]
        return type(inner) is cst.Comparison and len(inner.comparisons) == 1 and \
            type(inner.comparisons[0].operator) is cst.In and _is_name(inner.comparisons[0].comparator, names) is not None
    return type(test) is cst.Comparison and len(test.comparisons) == 1 and \
        type(test.comparisons[0].operator) is cst.NotIn and _is_name(test.comparisons[0].comparator, names) is not None  # type: ignore[attr-defined]


def _cheap_needle(needle: Optional[cst.BaseExpression]) -> bool:
    """A literal needle that costs little to look for again: one character (a memchr, some 40x
    faster a byte than a find of a longer needle), or line breaks alone (`b"\\r\\n"`): the
    loop reads one line or one header block, not a large reply."""
    if type(needle) is not cst.SimpleString:
        return False
    text = needle.evaluated_value  # type: ignore[attr-defined]
    if not isinstance(text, (str, bytes)):
        return False
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    return len(text) <= 1 or not text.strip("\r\n")


def _loop_ancestors(root: cst.CSTNode, node: cst.CSTNode) -> Set[int]:
    """Ids of the loop nodes (statements' loops and comprehensions) on the way from `root` down
    to `node`, `root` included."""
    path: List[cst.CSTNode] = []

    def walk(current: cst.CSTNode) -> bool:
        path.append(current)
        if current is node:
            return True
        for child, _ in ((c, None) for c in current.children):
            if walk(child):
                return True
        path.pop()
        return False

    walk(root)
    return {id(n) for n in path if isinstance(n, _LOOP_NODES)}
