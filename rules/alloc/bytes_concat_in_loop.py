"""PFL203 bytes-concat-in-loop."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.datawalk import ACROSS_CALLS_GROWN, ACROSS_CALLS_KEPT, OWN_STEPS, spelled_record
from perflint.finding import Loop
from perflint.nodes import NESTED_SCOPES, iter_children, own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import innermost_def, later_statements, loop_bound_names, one_line_code
from perflint.values import dotted_text


STR_FIX = "collect the pieces in a list and ''.join() them once (or write them to an io.StringIO)"


class BytesConcatInLoop(Rule):
    """
    A bytes (or str) value grown with `+=` inside a loop.

    ## What it does
    Flags `buf += chunk` and `buf = buf + chunk` inside a loop when `buf` was started in
    the same function, outside that loop, as an empty `b""`, `""`, `bytes()` or `str()`,
    or as bytes already (a bytes literal, `sock.recv(n)`, `os.read(fd, n)`, `text.encode()`,
    an item of a local split on a bytes separator (`tokens = raw.split(b"%")`), or an
    attribute the file sets to `b""`/`bytes()`, such as a read buffer kept between
    calls): an accumulator of immutable text. An assignment on the loop's way out
    (`buf = (buf + tok)[:end]` followed by `break`) ends the loop, not the accumulation. Bytes are reported with high confidence. For str,
    only the forms CPython cannot grow in place are reported, with medium confidence:
    `s = x + s` (a piece put in front) and `s = s + a + b` (the first `+` copies `s`
    before the result is stored back).

    Also flags `+=` in a loop on an attribute or an item (`tokens[-1].content += piece`,
    `self.out += line`, `lines[-1] += " " + word`), str as well as bytes: CPython's in-place
    resize applies only when the target is a local name, so such a target copies all it holds
    at every step. It is text when the piece visibly is (a literal, an f-string, `str()`, a
    `join`, `format` or `decode`), or, for an attribute, when the file keeps bytes in it
    (`self.buf = b""`) or the program's classes declare that attribute as text
    (`content: str = ""`, `self.out = ""`) and none spells it as anything else (a number, a
    list). It grows in the loops that leave the target alone: a target that names the loop's
    own item (`row.text += "!"` for each row) is a new value every trip and is not reported,
    and a loop that sets the target afresh (`self.line = ""` per group) starts it again.
    Reported with medium confidence for str and high for bytes, priced like the local forms
    (what it holds, at every step).

    Also flags a bytes or str attribute grown once per call of a method, outside any loop of
    it (`self._bytes += chunk` in a `fill()`, `self.outtext += s` in an output sink), when the
    method leaves it alone: nothing after the growth reads the attribute whole (its tail may
    be inspected: `self.out[-1:]`, `self.out.endswith(...)`, `len(self.out)`), calls a
    method of the object, passes the object on or yields, and the method never rebinds the
    attribute to anything new (a trim, `self._bytes = self._bytes[self._pos:]`, keeps what is
    held; the first piece stored where it is empty, `if not self.data: self.data = s`, starts
    it). Bytes when the file sets the attribute to `b""` or `bytes()`; str when the method's
    class or one of its bases declares it as text (`self.out = ""`, `str()`, `out: str`), both
    with high confidence; or, with medium confidence, when the piece visibly is text or is made
    with an attribute the class declares as text (`self.data += self.sep + s`, `sep=""` a
    parameter's default stored on self); never when the class spells the attribute as
    something else (a list, a number). What another class names so says nothing. The calls that make it
    quadratic are the callers': a reader that calls `fill()` until the buffer holds what was
    asked for, a converter that emits every fragment of a document.

    ## Why is this slow
    `bytes` and `str` are immutable: each `+=` allocates a new object and copies
    everything accumulated so far, so building N bytes in k pieces copies O(N·k) bytes,
    quadratic in the number of pieces. A protocol reader that appends each `recv()` to a
    bytes buffer slows down as the message grows. CPython has an in-place optimisation
    for `str`: when `s += t` or `s = s + t` stores straight back into the local `s` and
    nothing else refers to the string, it is resized in place, which usually makes the
    loop linear. `bytes` has no such optimisation, and neither has `s = t + s`.

    ## Example
    ```python
    def read_all(sock):
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data
    ```

    ## Use instead
    ```python
    def read_all(sock):
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)          # or a bytearray: += on it is amortised O(1)
    ```

    ## Options
    `str-append` (default `false`): also report `s += t` and `s = s + t` on str, with low
    confidence, for code that must be fast on interpreters without CPython's in-place
    resize (PyPy) or that keeps other references to the string.

    ## Notes
    The time is the copy of what the accumulator holds, at every step: quadratic in the
    steps, which are the trips of the loops it grows in. A loop that walks a buffer
    (`while i < len(data)`, `for b in data`), reads a stream until it is empty
    (`stream.read(1)`) or reads a count of bytes it keeps (`while i < n:` with one
    `ser.read(1)` and `i += 1` a trip; `for _ in range(n):` with one `read(1)`) runs
    `data-bytes` / (bytes a trip) times, so a decoder that grows its
    output a byte at a time over a 64 KiB input is an error, while a file read to its end in
    1 MiB chunks is a note (see "Loops that walk the data" in docs/scoring.md).

    An accumulator started empty in its function (`buf = b""`) and grown in a loop that
    handles records of a size the code spells out (a block `b"\\x00" * BLOCK_SIZE`, a read
    `f.read(4096)`, a `struct` format, a cut of it by a constant) is a buffer of its own on
    every call: its steps are its own loops' trips per call, even when its callers' loops
    already sit two unknown loops deep and the frequency counts its loop x1 (the callers'
    loops repeat the call, they do not add steps to one call's buffer). A file assembled from
    its data blocks, called once per file of a directory walk (1,000 calls), is a warning: 100
    steps of 64 bytes per call, 8.33 ms. Only the first unknown loop of its own counts
    (`loop-trips`); loops inside it (holes padded block by block) add nothing. Pieces of
    unknown size alone keep the capped count: they may be a few short fields.

    An attribute grown once per call takes its steps from the loops around the call on the
    hottest chain (the calls made in a row, as the frequency counts them): each call copies
    what it holds, as a step of a loop would. An attribute that no method of its class
    empties or cuts after `__init__` holds every piece since the object was made: its steps
    are all the calls of the method per unit of work (its frequency), so an output sink
    called 2,000 times per document is a warning, while a buffer a `flush()` empties counts
    only the calls one loop makes in a row. A chunk read per call holds at most data-bytes,
    so a buffer filled with 4 KiB reads is a note however often the caller loops; an
    encoder's output grown a byte per call, for each byte of a walked input, is an error. A
    protocol method that grows its buffer and then splits or parses it (`dataReceived`), a
    buffer reset on every call, growth in `__init__` and attributes nothing shows to be text
    are not reported; nor is an attribute grown inside a loop of its own method (its initial
    value lives elsewhere).

    A `bytearray()` accumulator (whose `+=` extends in place), numbers, lists, and an
    accumulator reset inside the same loop that grows it are not reported.
    """

    CODE = "PFL203"
    COST = "text-append-byte"  # perflint/costs.py; measured by bench/costs.py
    NAME = "bytes-concat-in-loop"
    FAMILY = "alloc"
    FIX = "collect the pieces in a list and b''.join() them once, or grow a bytearray"
    # The fix for text: there is no mutable str, and b''.join() would be a TypeError.
    TRIGGERS = ("+",)
    OPTIONS = {"str-append": False}
    VALID = [
        # bytearray += is amortised O(1)
        "def read_all(sock):\n    buf = bytearray()\n    while True:\n        chunk = sock.recv(4096)\n"
        "        if not chunk:\n            break\n        buf += chunk\n    return bytes(buf)\n",
        # numbers and lists
        "def total(xs):\n    n = 0\n    out = []\n    for x in xs:\n        n += x\n        out += [x]\n    return n, out\n",
        # started inside the loop: a short value per iteration
        "def lines(rows):\n    for row in rows:\n        s = ''\n        s += row[0]\n        yield s\n",
        # s += t on a local str: CPython grows it in place
        "def render(rows):\n    out = ''\n    for row in rows:\n        out += str(row)\n    return out\n",
        # started from an attribute that is not known to hold bytes
        "class R:\n    def read(self, parts):\n        out = self.prefix\n        for p in parts:\n"
        "            out += p\n        return out\n",
        # rebound to something else inside the loop, not on its way out
        "def f(chunks):\n    buf = b''\n    for c in chunks:\n        buf = c.strip()\n        buf += c\n    return buf\n",
        # outside any loop
        "def greet(name):\n    s = ''\n    s += 'hello '\n    s += name\n    return s\n",
        # a protocol's buffer, grown and then split in the same call
        "class Lines:\n    def __init__(self):\n        self.buf = b''\n    def data_received(self, data):\n"
        "        self.buf += data\n        while b'\\n' in self.buf:\n            line, self.buf = self.buf.split(b'\\n', 1)\n",
        # a str attribute set afresh on every call: it holds one call's pieces
        "class Sink:\n    def __init__(self):\n        self.text = ''\n    def emit(self, s):\n"
        "        self.text = '> '\n        self.text += s\n",
        # a str attribute read whole right after it grows: consumed on every call
        "class Sink:\n    def __init__(self):\n        self.text = ''\n    def emit(self, s):\n"
        "        self.text += s\n        print(self.text)\n",
        # an attribute that holds a number
        "class C:\n    def __init__(self):\n        self.total = 0\n    def add(self, xs):\n"
        "        for x in xs:\n            self.total += x\n",
        # the loop's own item: a new string every trip
        "def mark(rows):\n    for row in rows:\n        row.label += '!'\n",
        # The same shape on str: CPython grows a local str in place.
        "def decode(uri):\n    tokens = uri.split('%')\n    out = tokens[0]\n"
        "    for token in tokens[1:]:\n        out += HEX[token[:2]] + token[2:]\n    return out\n",
    ]
    INVALID = [
        # a str output sink grown once per call, never emptied; its last character is only inspected
        Invalid("class Sink:\n    def __init__(self):\n        self.text = str()\n    def emit(self, s):\n"
                "        self.text += s\n        self.last_nl = self.text[-1:] == '\\n'\n", line=5),
        # a buffer attribute grown once per call, left for another method to consume
        Invalid("class Buffer:\n    def __init__(self):\n        self.buf = b''\n    def fill(self, src):\n"
                "        chunk = src.read(4096)\n        self.buf += chunk\n        return len(chunk)\n", line=6),
        Invalid("def read_all(sock):\n    data = b''\n    while True:\n        chunk = sock.recv(4096)\n"
                "        if not chunk:\n            break\n        data += chunk\n    return data\n", line=7),
        Invalid("def render(rows):\n    out = ''\n    for row in rows:\n        out = out + str(row) + '\\n'\n"
                "    return out\n", line=4),
        Invalid("def render(rows):\n    out = ''\n    for row in rows:\n        out += str(row)\n"
                "    return out\n", line=4, config={"str-append": True}),
        Invalid("def to_base36(n):\n    digits = ''\n    while n:\n        n, r = divmod(n, 36)\n"
                "        digits = '0123456789abcdefghijklmnopqrstuvwxyz'[r] + digits\n    return digits\n", line=5),
        # started from a bytes buffer kept between calls, not from b''
        Invalid("class File:\n    def __init__(self):\n        self._rbuffer = bytes()\n"
                "    def read(self):\n        result = self._rbuffer\n        self._rbuffer = bytes()\n"
                "        while True:\n            data = self._read(8192)\n            if not data:\n"
                "                break\n            result += data\n        return result\n", line=11),
        # the assignment before break is the loop's exit, not a reset
        Invalid("def read_until(stream, regex):\n    name = b''\n    while True:\n        tok = stream.read(16)\n"
                "        if not tok:\n            return name\n        m = regex.search(name + tok)\n"
                "        if m is not None:\n            name = (name + tok)[: m.start()]\n            break\n"
                "        name += tok\n    return name\n", line=11),
        Invalid("def pack(records):\n    blob = bytes()\n    for rec in records:\n        blob += rec.encode()\n"
                "    return blob\n", line=4),
        # a str held by an attribute: CPython never grows it in place
        Invalid("class Writer:\n    def __init__(self):\n        self.out = ''\n    def write_all(self, rows):\n"
                "        for row in rows:\n            self.out += f'{row}\\n'\n", line=6),
        Invalid("def wrap(words):\n    lines = ['']\n    for word in words:\n        lines[-1] += ' ' + word\n"
                "    return lines\n", line=4),
        # Started from a part of what the function holds as bytes (Falcon's percent-decoder).
        Invalid("def decode(uri):\n    raw = uri.encode('utf-8')\n    tokens = raw.split(b'%')\n    out = tokens[0]\n"
                "    for token in tokens[1:]:\n        out += HEX[token[:2]] + token[2:]\n    return out\n", line=6),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        # Per function: name -> ("bytes" | "str", loops around its initialisation).
        self._accumulators: List[Dict[str, Tuple[str, Tuple[Loop, ...]]]] = []
        # Per function: local -> bytes one read put in it (`chunk = f.read(32768)`).
        self._reads: List[Dict[str, float]] = []
        # Per function: locals holding one character or byte (`c = bytes((b,))`, `ch = s[i]`).
        self._short: List[Set[str]] = []
        # Per function: locals known to hold bytes (`raw = text.encode("utf-8")`), and lists
        # of bytes (`tokens = raw.split(b"%")`): an accumulator may start from one of them.
        self._bytes_names: List[Dict[str, str]] = []
        # Per function: accumulators started empty in it (`buf = b""`): a buffer of its own per call.
        self._started_empty: List[Set[str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._accumulators.append({})
        self._reads.append({})
        self._short.append(set())
        self._bytes_names.append({})
        self._started_empty.append(set())

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._accumulators.pop()
        self._reads.pop()
        self._short.pop()
        self._bytes_names.pop()
        self._started_empty.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._accumulators:
            return
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            size = _read_size(node.value)
            if size is not None:
                self._reads[-1][node.targets[0].target.value] = size
            if _one_element(node.value):
                self._short[-1].add(node.targets[0].target.value)
            else:
                self._short[-1].discard(node.targets[0].target.value)
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Attribute):
            target_text = dotted_text(node.targets[0].target)
            if target_text is not None and _concat_of(node.value, target_text):
                self._attribute_grown(node, node.targets[0].target)
            return
        names = self._accumulators[-1]
        typed = self._bytes_names[-1]
        held = self._holds_bytes(node.value)
        for target in node.targets:
            if not isinstance(target.target, cst.Name):
                continue
            name = target.target.value
            kind = _empty_text(node.value, self.ctx)
            if kind is not None:
                self._started_empty[-1].add(name)
            elif name not in names or not self.ctx.loops:
                kind = self._started_bytes(node.value)
                self._started_empty[-1].discard(name)
            if held is not None:
                typed[name] = held
            else:
                typed.pop(name, None)
            if kind is not None:
                names[name] = (kind, self.ctx.loops)
                continue
            if name in names and len(node.targets) == 1 and _concat_of(node.value, name):
                self._grown(node, name, names[name], form=_form(node.value, name))
            elif name in names and not _derived(node.value, name) and not self._leaves_loop():
                names.pop(name)  # rebound to something else: no longer our accumulator

    def _started_bytes(self, value: cst.BaseExpression) -> Optional[str]:
        """"bytes" for an accumulator started with what is already bytes, not empty: a bytes
        literal, `sock.recv(n)`/`os.read(fd, n)`, or an attribute this file sets to b""/bytes()
        (`result = self._rbuffer`, a buffer kept between calls)."""
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
            return "bytes" if isinstance(value.evaluated_value, bytes) else None
        if isinstance(value, cst.Call):
            called = self.ctx.resolve(value.func)
            if called == "os.read" or (isinstance(value.func, cst.Attribute) and value.func.attr.value in _BYTES_READS):
                return "bytes"
            return None
        if isinstance(value, cst.Attribute) and value.attr.value in self._bytes_attrs():
            return "bytes"
        if self._holds_bytes(value) == "bytes" and not self.ctx.loops:
            # `out = tokens[0]` of `tokens = raw.split(b"%")`, `out = text.encode()`: what the
            # function already holds as bytes (Falcon's percent-decoder, a fixed bug)
            return "bytes"
        return None

    def _holds_bytes(self, value: cst.BaseExpression) -> Optional[str]:
        """"bytes" or "list" (of bytes) for what an expression visibly holds, given the
        function's bytes locals: `s.encode()`/`s.encode("utf-8")`, a bytes local itself or a
        slice of it, `raw.split(b"%")` (a list of bytes) and one item of such a list."""
        typed = self._bytes_names[-1] if self._bytes_names else {}
        if isinstance(value, cst.Name):
            return typed.get(value.value)
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            method, receiver = value.func.attr.value, value.func.value
            if method == "encode" and len(value.args) <= 2 and all(
                    isinstance(arg.value, cst.SimpleString) and arg.keyword is None for arg in value.args):
                return "bytes"  # str.encode() with literal codec arguments
            if method in ("split", "rsplit") and value.args and isinstance(value.args[0].value, cst.SimpleString) \
                    and isinstance(value.args[0].value.evaluated_value, bytes):
                return "list"
            if method == "split" and self._holds_bytes(receiver) == "bytes":
                return "list"
            return None
        if isinstance(value, cst.Subscript) and len(value.slice) == 1:
            held = self._holds_bytes(value.value)
            if held == "list" and isinstance(value.slice[0].slice, cst.Index):
                return "bytes"
            if held == "bytes" and isinstance(value.slice[0].slice, cst.Slice):
                return "bytes"
        return None

    def _bytes_attrs(self) -> Set[str]:
        cached = getattr(self, "_attrs_cache", None)
        if cached is None or cached[0] is not self.ctx:
            found = set(_BYTES_ATTR.findall(self.ctx.source))
            cached = self._attrs_cache = (self.ctx, found)
        return cached[1]

    def _leaves_loop(self) -> bool:
        """The statement sits in a block that ends by leaving the loop (`break`, `return`):
        its value is the result, not a reset of the accumulator."""
        for node in reversed(self.ctx.stack):
            if isinstance(node, (cst.For, cst.While, cst.FunctionDef)):
                return False
            if isinstance(node, cst.IndentedBlock) and node.body:
                last = node.body[-1]
                if isinstance(last, cst.SimpleStatementLine) and last.body and \
                        isinstance(last.body[-1], (cst.Break, cst.Return)):
                    return True
                return False
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if not self._accumulators or not isinstance(node.operator, cst.AddAssign):
            return
        if not isinstance(node.target, cst.Name):
            if self.ctx.loops:
                self._target_grown(node, node.target)  # tokens[-1].content += t in a loop
            else:
                self._attribute_grown(node, node.target)  # self.buf += data: grown across calls?
            return
        names = self._accumulators[-1]
        known = names.get(node.target.value)
        if known is not None:
            self._grown(node, node.target.value, known, form="append")

    def _target_grown(self, node: cst.AugAssign, target: cst.BaseExpression) -> None:
        """`tokens[-1].content += piece`, `self.buf += piece`, `parts[-1] += piece` in a loop:
        CPython's in-place resize of a str applies only when the target is a local name, so an
        attribute or an item grown so copies all it holds at every step, str as well as bytes.
        It is text when the piece visibly is (a literal, an f-string, str(), a join), or, for
        an attribute, when the file keeps bytes in it or the program's classes declare that
        attribute as text and nothing else (phase 2: `text-attr:`). It grows from the
        outermost loop that leaves the target's names alone: a target that names the loop's
        own item (`row.text += x` for each row) is a different value every trip."""
        if self.ctx.in_except_handler() or not isinstance(target, (cst.Attribute, cst.Subscript)):
            return
        piece = _text_kind(node.value)
        if piece == "other":
            return  # a number, a list, a tuple: not text
        names = {current.value for current, _ in own_nodes(target, ())
                 if isinstance(current, cst.Name) and not _is_attr_name(current, target)}
        loops = self.ctx.loop_nodes
        start = None
        for index in range(len(loops) - 1, -1, -1):
            if names & loop_bound_names(loops[index]):
                break
            start = index
        if start is None:
            return  # the target names what the innermost loop binds: a new value each trip
        code = one_line_code(target)
        if _just_added(self.ctx.stack, node, loops[-1], target):
            return  # `out.append(x)` then `out[-1] += y`: the item added this trip, grown once
        while start < len(loops) and _reassigned(loops[start], code):
            start += 1  # set afresh in that loop (`self.line = ""` per group): it grows in the inner ones
        if start == len(loops):
            return  # set afresh in the loop that grows it: it stays short
        requires: Tuple[str, ...] = ()
        kind = piece
        if isinstance(target, cst.Attribute):
            if target.attr.value in self._bytes_attrs():
                kind = "bytes"
            elif kind is None:
                kind, requires = "str", (f"text-attr:{target.attr.value}",)
        if kind is None:
            return  # an item of unknown type: a counter as often as text
        if kind == "bytes":
            message = (f"bytes '{code}' grows by += in a loop: every step copies all the bytes so far")
            confidence, fix = "high", self.FIX
        else:
            message = (f"str '{code}' grows by += in a loop: CPython extends a str in place only when it is a local "
                       "variable, so every step copies the whole string held by the attribute or item")
            confidence, fix = "medium", STR_FIX
        reads = self._reads[-1] if self._reads else {}
        known, unknown = _piece_size(node, code, reads, self._short[-1] if self._short else set())
        outer = len(self.ctx.loops) - len(loops)  # comprehension loops are not statements' loops
        self.report(node, message, confidence=confidence, fix=fix, requires=requires,
                    growth=(outer + start, known, unknown, _read_chunk(node, code, reads)))

    def _attribute_grown(self, node: cst.CSTNode, target: cst.BaseExpression) -> None:
        """`self.buf += piece` (or `self.buf = self.buf + piece`) outside any loop of a method:
        a buffer grown once per call. It accumulates across calls only when the method leaves
        it alone afterwards: nothing after the growth consumes it (a read of its tail, such as
        `self.buf[-1:]` or `endswith`, consumes nothing), calls another method of the object or
        yields, and the method never rebinds it to anything new (the first piece stored when it
        is empty, `if not self.buf: self.buf = piece`, starts it). A protocol's `dataReceived`
        that grows its buffer and then splits it is quiet, and so is a buffer reset on every
        call; what repeats the growth is the callers' calls (phase 2).

        Bytes when the file sets the attribute to b""/bytes(); str when the method's class or a
        base declares it as text (`self.out = ""`, `str()`, `out: str`; both high confidence:
        CPython never grows an attribute in place), or when the piece visibly is text or is made
        with an attribute the class declares as text (`self.sep + s`) and the class spells the
        attribute as nothing else (medium confidence; phase 2's `own-text:`)."""
        receiver = self.ctx.self_name()
        if receiver is None or self.ctx.loops or not isinstance(target, cst.Attribute) \
                or not isinstance(target.value, cst.Name) or target.value.value != receiver:
            return  # a local loop's accumulator is the local rule's; an object's field is not ours
        attr = target.attr.value
        piece = _text_kind(node.value)  # type: ignore[attr-defined]
        requires: Tuple[str, ...] = ()
        if attr in self._bytes_attrs():
            kind = "bytes"
        elif piece == "other" or piece == "bytes":
            return  # a number, a list; bytes into an attribute the file never makes bytes (a bytearray?)
        else:
            # str when the method's class (or a base) declares the attribute as text (high
            # confidence), else when the piece visibly is text or is made with an attribute the
            # class declares as text (medium); phase 2 checks the class (`own-text:`)
            texts = _text_attrs_in(node.value, receiver)  # type: ignore[attr-defined]
            evidence = "piece" if piece == "str" else (f"attr={texts[0]}" if texts else "")
            kind, requires = "str", (f"own-text:{attr}:{evidence}",)
        function = innermost_def(self.ctx)
        if function is None or function.name.value == "__init__":
            return
        if _touched_after(self.ctx.stack, node, receiver, attr) or _rebinds(function, receiver, attr) \
                or _calls_own_method(function, receiver):
            return
        name = f"{receiver}.{attr}"
        reads = self._reads[-1] if self._reads else {}
        known, unknown = _piece_size(node, name, reads, self._short[-1] if self._short else set())
        # Never set afresh or cut outside __init__: it holds every piece since the object was
        # made, so its steps are all the calls per unit of work (datawalk.ACROSS_CALLS_KEPT),
        # not only the calls the loop around one call site makes in a row (ACROSS_CALLS_GROWN).
        kept = _kept(self.ctx.stack, attr)
        start = ACROSS_CALLS_KEPT if kept else ACROSS_CALLS_GROWN
        if kind == "bytes":
            message = (f"bytes attribute '{name}' grows by concatenation once per call of {function.name.value}() and "
                       "nothing here consumes it: every call copies all the bytes held so far, so a caller that "
                       "repeats the call in a loop copies quadratically")
            fix = ATTR_FIX
        else:
            held = ("it is never emptied after __init__, so all its calls copy quadratically" if kept
                    else "a caller that repeats the call in a loop copies quadratically")
            message = (f"str attribute '{name}' grows by concatenation once per call of {function.name.value}() and "
                       "nothing here consumes it: CPython extends a str in place only when it is a local variable, "
                       f"so every call copies the whole string held so far; {held}")
            fix = ATTR_STR_FIX
        self.report(node, message, confidence="high", fix=fix, requires=requires,
                    growth=(start, known, unknown, _read_chunk(node, name, reads)))

    def _grown(self, node: cst.CSTNode, name: str, known: Tuple[str, Tuple[Loop, ...]], form: str) -> None:
        kind, init_loops = known
        loops = self.ctx.loops
        if len(loops) <= len(init_loops) or loops[: len(init_loops)] != init_loops:
            return  # not in a loop that runs after one initialisation: no accumulation
        loop_node = _loop_node(self.ctx, len(init_loops))
        if loop_node is not None and _resets(loop_node, name):
            return  # reset inside the loop (e.g. per line): the value stays short
        if kind == "bytes":
            message = (f"bytes '{name}' grows by concatenation in a loop: every step copies all the "
                       "bytes so far")
            confidence = "high"
        elif form == "prepend":
            message = (f"str '{name}' grows by putting pieces in front of it in a loop: every step copies "
                       "the whole string")
            confidence = "medium"
        elif form == "chain":
            message = (f"str '{name}' grows by '{name} = {name} + a + b' in a loop: the first + copies the "
                       f"whole string every step (use {name} += a + b, or join a list)")
            confidence = "medium"
        elif not self.options.get("str-append"):
            return  # s += t on a local str: CPython resizes it in place, usually linear
        else:
            message = (f"str '{name}' grows by concatenation in a loop: each step may copy the whole string "
                       "(CPython's in-place resize often, not always, avoids it)")
            confidence = "low"
        # Each step copies what has accumulated: on average half of (the steps since it
        # started x the piece), the steps being the trips of every loop it grows in; a loop
        # that walks a buffer runs data-bytes / (bytes a trip) times (perflint/datawalk.py).
        fix = self.FIX if kind == "bytes" else STR_FIX
        reads = self._reads[-1] if self._reads else {}
        known, unknown = _piece_size(node, name, reads, self._short[-1] if self._short else set())
        growth = (len(init_loops), known, unknown, _read_chunk(node, name, reads))
        requires: Tuple[str, ...] = ()
        if kind == "bytes" and name in self._started_empty[-1] and loop_node is not None \
                and spelled_record(loop_node, name, self.ctx.constants) is not None:
            # started empty here and grown by records the code sizes: a buffer of its own per
            # call, whose steps are this function's loops however deep its callers' loops sit
            # (datawalk.own_steps); pieces of unknown size alone may be a few short fields
            requires = (f"{OWN_STEPS}{len(init_loops)}",)
        self.report(node, message, confidence=confidence, fix=fix, growth=growth, requires=requires)


def _text_kind(value: cst.BaseExpression) -> Optional[str]:
    """"str" or "bytes" for a piece that visibly is text (a literal, an f-string, str(),
    repr(), a join, format, decode or encode, a sum of such), "other" for a number or a
    display, None when the code does not say."""
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
        return "bytes" if isinstance(value.evaluated_value, bytes) else "str"
    if isinstance(value, cst.FormattedString):
        return "str"
    if isinstance(value, (cst.Integer, cst.Float, cst.Imaginary, cst.List, cst.Tuple, cst.Dict, cst.Set,
                          cst.ListComp, cst.SetComp, cst.DictComp)):
        return "other"
    if isinstance(value, cst.BinaryOperation):
        if isinstance(value.operator, cst.Add):
            return _text_kind(value.left) or _text_kind(value.right)
        if isinstance(value.operator, cst.Modulo):
            left = _text_kind(value.left)
            return left if left in ("str", "bytes") else None
        return None
    if isinstance(value, cst.Call):
        func = value.func
        if isinstance(func, cst.Name) and func.value in ("str", "repr", "chr", "format"):
            return "str"
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in ("decode", "format"):
                return "str"
            if method == "encode":
                return "bytes"
            if method == "join" and isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString)):
                return "bytes" if isinstance(func.value.evaluated_value, bytes) else "str"
    return None


def _text_attrs_in(value: cst.BaseExpression, receiver: str) -> List[str]:
    """Attributes of the object added into a piece (`self.sep + data`): if the program
    declares one as text, the piece is text."""
    out: List[str] = []
    stack = [value]
    while stack:
        expr = stack.pop()
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            stack += [expr.right, expr.left]
        elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == receiver:
            out.append(expr.attr.value)
    return out


def _is_attr_name(name: cst.Name, root: cst.CSTNode) -> bool:
    """`name` is the attribute part of an `x.name` under `root`, not a variable."""
    return any(isinstance(current, cst.Attribute) and current.attr is name for current, _ in own_nodes(root, ()))


def _just_added(stack: List[cst.CSTNode], node: cst.CSTNode, loop: cst.CSTNode, target: cst.BaseExpression) -> bool:
    """The target is the last item of a list (`out[-1]`, `out[-1].text`) that the loop body
    appends to before the `+=`, in the statements that run before it on its path: the item
    added this trip, not a value carried across trips."""
    inner = target
    while isinstance(inner, cst.Attribute):
        inner = inner.value
    if not isinstance(inner, cst.Subscript):
        return False
    container = dotted_text(inner.value)
    if container is None:
        return False
    child: cst.CSTNode = node
    for ancestor in reversed(stack):
        if ancestor is node:
            continue
        if ancestor is loop:
            break
        body = getattr(ancestor, "body", None)
        if isinstance(ancestor, (cst.IndentedBlock, cst.SimpleStatementLine, cst.SimpleStatementSuite)) \
                and isinstance(body, (list, tuple)):
            for stmt in body:
                if stmt is child:
                    break
                for current, _ in own_nodes(stmt):
                    if isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute) \
                            and current.func.attr.value in ("append", "insert", "extend") \
                            and dotted_text(current.func.value) == container:
                        return True
        child = ancestor
    return False




def _reassigned(loop: cst.CSTNode, code: str) -> bool:
    """The loop body assigns the target afresh (`=`, not the `+=` itself)."""
    body = loop.body if isinstance(loop, (cst.For, cst.While)) else loop
    for current, _ in own_nodes(body):
        if isinstance(current, cst.Assign) and any(one_line_code(t.target) == code for t in current.targets):
            return True
    return False



def _empty_text(value: cst.BaseExpression, ctx) -> Optional[str]:
    """"bytes" or "str" for b"", "", bytes(), str()."""
    if isinstance(value, cst.SimpleString):
        text = value.evaluated_value
        if isinstance(text, bytes) and not text:
            return "bytes"
        if isinstance(text, str) and not text:
            return "str"
        return None
    if isinstance(value, cst.Call) and not value.args:
        resolved = ctx.resolve(value.func)
        if resolved in ("bytes", "str"):
            return resolved
    return None


_READS = ("read", "recv", "read1", "readline", "recv_bytes")
READ_DEFAULT = 4096.0  # a read with no size: a page, a pipe buffer
PIECE_DEFAULT = 64.0  # anything else: a line, a field, a header


def _read_size(value: cst.BaseExpression) -> Optional[float]:
    """Bytes `f.read(32768)` / `sock.recv(n)` / `os.read(fd, 9000)` returns at most."""
    if not isinstance(value, cst.Call) or not isinstance(value.func, cst.Attribute):
        return None
    if value.func.attr.value not in _READS:
        return None
    for arg in reversed(value.args):
        if isinstance(arg.value, cst.Integer):
            return float(int(arg.value.value.replace("_", ""), 0))
    if value.func.attr.value == "readline":
        return PIECE_DEFAULT  # a line: a header, a record
    return READ_DEFAULT


def _piece_size(node: cst.CSTNode, name: str, reads: Dict[str, float], short: Set[str]) -> Tuple[float, int]:
    """(bytes one step adds that the code shows, pieces of unknown size): a literal's length,
    1 for an indexed character, chr() or bytes((b,)) (or a local holding one), what a read
    returns (its size argument); phase 2 sizes the unknown pieces (datawalk.growth_size)."""
    if isinstance(node, cst.AugAssign):
        pieces = [node.value]
    else:
        pieces, stack = [], [node.value]  # type: ignore[attr-defined]
        while stack:
            expr = stack.pop()
            if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
                stack += [expr.left, expr.right]
            elif not _is(expr, name):
                pieces.append(expr)
    total, unknown = 0.0, 0
    for piece in pieces:
        if isinstance(piece, cst.SimpleString) and isinstance(piece.evaluated_value, (str, bytes)):
            total += len(piece.evaluated_value)
        elif _one_element(piece) or (isinstance(piece, cst.Name) and piece.value in short):
            total += 1
        elif isinstance(piece, cst.Name) and piece.value in reads:
            total += reads[piece.value]
        elif _read_size(piece) is not None:
            total += _read_size(piece)  # type: ignore[operator]
        else:
            unknown += 1
    return total, unknown


def _one_element(piece: cst.BaseExpression) -> bool:
    """s[i], table[n], chr(n), bytes((b,)): one character or byte."""
    if isinstance(piece, cst.Subscript):
        return not any(isinstance(e.slice, cst.Slice) for e in piece.slice)
    return isinstance(piece, cst.Call) and isinstance(piece.func, cst.Name) and piece.func.value in ("chr", "bytes")


def _read_chunk(node: cst.CSTNode, name: str, reads: Dict[str, float]) -> float:
    """Bytes of the stream read when each step adds one read (`buf += sock.recv(4096)`,
    `buf += chunk` after `chunk = f.read(n)`), else 0: such an accumulator holds at most the
    stream, however many loops the reads sit in."""
    value = node.value if isinstance(node, cst.AugAssign) else None
    if value is None and isinstance(node, cst.Assign) and isinstance(node.value, cst.BinaryOperation):
        other = [side for side in (node.value.left, node.value.right)
                 if not _is(side, name)]
        value = other[0] if len(other) == 1 else None
    if isinstance(value, cst.Name) and value.value in reads:
        return reads[value.value]
    if value is not None:
        return _read_size(value) or 0.0
    return 0.0


def _concat_of(value: cst.BaseExpression, name: str) -> bool:
    """`name + x [+ y]` or `x + name`: the value is grown from itself."""
    if not isinstance(value, cst.BinaryOperation) or not isinstance(value.operator, cst.Add):
        return False
    left = value
    while isinstance(left, cst.BinaryOperation) and isinstance(left.operator, cst.Add):
        if _is(left.right, name) and left is value:
            return True  # x + name: prepending copies too
        left = left.left
    return _is(left, name)


def _is(expr: cst.BaseExpression, name: str) -> bool:
    """`expr` is the accumulator: the local `name`, or the attribute `self.buf` it spells."""
    if isinstance(expr, cst.Name):
        return expr.value == name
    return isinstance(expr, cst.Attribute) and "." in name and dotted_text(expr) == name


def _form(value: cst.BinaryOperation, name: str) -> str:
    """"append" for `name + x`, "chain" for `name + x + y`, "prepend" when name is not leftmost."""
    left = value
    depth = 0
    while isinstance(left, cst.BinaryOperation):
        left = left.left
        depth += 1
    if not (isinstance(left, cst.Name) and left.value == name):
        return "prepend"
    return "append" if depth == 1 else "chain"


# Calls that return bytes: socket and pipe reads.
_BYTES_READS = {"recv", "recv_bytes", "read_bytes"}
# `self._rbuffer = bytes()` or `= b""`: an attribute this file keeps as a bytes buffer.
_BYTES_ATTR = re.compile(r"\.(\w+)\s*=\s*(?:b''|b\"\"|bytes\(\))")


def _derived(value: cst.BaseExpression, name: str) -> bool:
    """Still the same text: a slice, strip or similar of itself (`buf = buf[n:]`,
    `buf = (buf + tok)[:end]`)."""
    if isinstance(value, cst.Subscript):
        inner = value.value
        return (isinstance(inner, cst.Name) and inner.value == name) or _concat_of(inner, name)
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
        return isinstance(value.func.value, cst.Name) and value.func.value.value == name and \
            value.func.attr.value in ("strip", "lstrip", "rstrip", "replace", "removeprefix", "removesuffix")
    return False


def _loop_node(ctx, depth: int) -> Optional[cst.CSTNode]:
    """The loop `depth` levels in (0 = outermost) in the current function."""
    loops = ctx.loop_nodes
    return loops[depth] if depth < len(loops) else None


def _resets(loop: cst.CSTNode, name: str) -> bool:
    """Whether the loop body assigns `name` an empty text again."""
    stack: List[cst.CSTNode] = [loop.body] if isinstance(loop, (cst.For, cst.While)) else [loop]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name) and target.target.value == name:
                    value = node.value
                    if isinstance(value, cst.SimpleString) and not value.evaluated_value:
                        return True
                    if isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Name) \
                            and value.func.value in ("bytes", "str"):
                        return True
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(iter_children(node))
    return False


ATTR_STR_FIX = ("collect the pieces in a list (append each) and ''.join() them once where the text is consumed, "
                "or write them to an io.StringIO")
ATTR_FIX = ("keep the buffer in a bytearray (its += extends in place) or collect the pieces in a list joined "
            "once where the buffer is consumed")


def _touched_after(stack: List[cst.CSTNode], node: cst.CSTNode, receiver: str, attr: str) -> bool:
    """Whether code that runs after `node` in its function may consume the buffer: a read of
    `receiver.attr` other than of its tail, a call of a method of the object, the object
    passed on, a yield or an await (someone else runs). The later siblings of the statement
    and of each block around it, up to the function. Storing or reading another attribute of
    the object (`self.last_nl = ...`) and inspecting the buffer's tail (`self.buf[-1]`,
    `self.buf[-2:]`, `self.buf.endswith(...)`, `len(self.buf)`) consume nothing."""
    for stmt in later_statements(stack, node):
        if isinstance(stmt, NESTED_SCOPES):
            continue  # a def or class after it: its body runs elsewhere
        parents: Dict[int, Optional[cst.CSTNode]] = {}
        for current, parent in own_nodes(stmt):
            parents[id(current)] = parent
            if isinstance(current, (cst.Yield, cst.Await)):
                return True
            if isinstance(current, cst.Call) and isinstance(current.func, cst.Name) and current.func.value == "super":
                return True  # `super().close()`: a method of the object, which may consume it
            if isinstance(current, cst.Name) and current.value == receiver and not _harmless_use(current, parents, attr):
                return True  # self.attr read whole, self.method(), self passed on: may consume it
    return False


_TAIL_METHODS = frozenset({"endswith", "startswith"})


def _harmless_use(name: cst.Name, parents: Dict[int, Optional[cst.CSTNode]], attr: str) -> bool:
    """`self` used in a way that cannot consume the buffer `self.attr`: another attribute
    read or stored, not called (`self.flag = ...`, `if self.pre:`), or the buffer's tail
    inspected (`self.attr[-1]`, `self.attr[-1:]`, `self.attr.endswith(x)`, `len(self.attr)`)."""
    owner = parents.get(id(name))
    if not isinstance(owner, cst.Attribute) or owner.value is not name:
        return False  # `self` itself passed on or returned
    outer = parents.get(id(owner))
    if owner.attr.value != attr:
        # another attribute stored or read (`self.flag = ...`, `if self.pre:`): harmless; a
        # method of the object or of one it holds (`self.flush()`, `self.sink.write(x)`) may
        # consume the buffer
        return not isinstance(outer, (cst.Call, cst.Attribute, cst.Subscript))
    if isinstance(outer, cst.Subscript) and outer.value is owner and len(outer.slice) == 1:
        index = outer.slice[0].slice
        if isinstance(index, cst.Index):
            return _negative_literal(index.value)
        return isinstance(index, cst.Slice) and index.upper is None and index.step is None \
            and index.lower is not None and _negative_literal(index.lower)
    if isinstance(outer, cst.Attribute) and outer.value is owner and outer.attr.value in _TAIL_METHODS:
        return isinstance(parents.get(id(outer)), cst.Call)
    if isinstance(outer, cst.Arg):
        call = parents.get(id(outer))
        return isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "len"
    return False


def _negative_literal(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus) \
        and isinstance(expr.expression, cst.Integer)


def _rebinds(function: cst.FunctionDef, receiver: str, attr: str) -> bool:
    """The method assigns the attribute something that is not made from itself (`self.buf =
    b""`, `self.buf = data`): a buffer reset per call, not an accumulation across calls.
    A trim (`self.buf = self.buf[self.pos:]`) keeps what is held, and so does the first piece
    stored where the attribute is empty (`if not self.buf: self.buf = piece`, the `+=` in the
    else branch): that starts the accumulation."""
    text = f"{receiver}.{attr}"
    parents: Dict[int, Optional[cst.CSTNode]] = {}
    for current, parent in own_nodes(function.body):
        parents[id(current)] = parent
        if isinstance(current, cst.Assign):
            for target in current.targets:
                if text in _target_texts(target.target) and not _mentions(current.value, text) \
                        and not _started_when_empty(current, parents, text):
                    return True
    return False


def _target_texts(target: cst.BaseExpression) -> List[Optional[str]]:
    """Dotted texts an assignment target stores to (`self.a, self.b = ...`: both)."""
    if isinstance(target, (cst.Tuple, cst.List)):
        out: List[Optional[str]] = []
        for element in target.elements:
            out.extend(_target_texts(element.value))
        return out
    return [dotted_text(target)]


def _started_when_empty(assign: cst.Assign, parents: Dict[int, Optional[cst.CSTNode]], text: str) -> bool:
    """The assignment sits in the body of `if not self.buf:` (or `if self.buf is None:`, `if
    self.buf == "":`): it stores the first piece into an empty buffer."""
    current: Optional[cst.CSTNode] = assign
    while current is not None and not isinstance(current, cst.If):
        if isinstance(current, (cst.FunctionDef, cst.For, cst.While)):
            return False
        child, current = current, parents.get(id(current))
    if current is None or child is not current.body:
        return False
    test = current.test
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return dotted_text(test.expression) == text
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and dotted_text(test.left) == text:
        op, right = test.comparisons[0].operator, test.comparisons[0].comparator
        if isinstance(op, cst.Is) and isinstance(right, cst.Name) and right.value == "None":
            return True
        return isinstance(op, cst.Equal) and isinstance(right, cst.SimpleString) and not right.evaluated_value
    return False


def _kept(stack: List[cst.CSTNode], attr: str) -> bool:
    """No method of the class around the growth sets the attribute afresh or cuts it outside
    `__init__` (`self.buf = ""`, `self.buf = self.buf[n:]`, `self.a, self.buf = ...`; a
    growth and a whole-value rewrite such as `self.buf = self.buf.replace(a, b)` keep what it
    holds, and so does dropping its last characters, `self.buf = self.buf[:-n]`; the first
    piece stored where it is empty starts it): it holds every piece since the object was made."""
    cls = next((node for node in reversed(stack) if isinstance(node, cst.ClassDef)), None)
    if cls is None or not isinstance(cls.body, cst.IndentedBlock):
        return False
    for stmt in cls.body.body:
        if not isinstance(stmt, cst.FunctionDef) or stmt.name.value == "__init__":
            continue
        params = stmt.params.params
        if not params:
            continue
        text = f"{params[0].name.value}.{attr}"
        parents: Dict[int, Optional[cst.CSTNode]] = {}
        for current, parent in own_nodes(stmt.body):
            parents[id(current)] = parent
            if isinstance(current, cst.Del) and text in _target_texts(current.target):
                return False
            if not isinstance(current, cst.Assign) or not any(text in _target_texts(t.target) for t in current.targets):
                continue
            value = current.value
            if _concat_of(value, text) or _started_when_empty(current, parents, text):
                continue
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                    and dotted_text(value.func.value) == text and value.func.attr.value in _WHOLE_REWRITES:
                continue
            if isinstance(value, cst.Subscript) and dotted_text(value.value) == text and len(value.slice) == 1 \
                    and isinstance(value.slice[0].slice, cst.Slice) and value.slice[0].slice.lower is None:
                continue  # `self.buf[:-n]`: its last characters taken back, the start kept
            return False
    return True


_WHOLE_REWRITES = frozenset({"replace", "rstrip", "strip", "lstrip", "expandtabs", "translate"})


def _mentions(expr: cst.CSTNode, text: str) -> bool:
    return any(isinstance(current, cst.Attribute) and dotted_text(current) == text
               for current, _ in own_nodes(expr, ()))


def _calls_own_method(function: cst.FunctionDef, receiver: str) -> bool:
    """The method calls another method of its object (`self.flush()`, `self._process()`,
    `super().close()`), anywhere: that method may consume or reset the buffer."""
    for current, _ in own_nodes(function.body):
        if isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute) \
                and isinstance(current.func.value, cst.Name) and current.func.value.value == receiver:
            return True
        if isinstance(current, cst.Call) and isinstance(current.func, cst.Name) and current.func.value == "super":
            return True  # `super().flush()`, `super().close()`
    return False
