"""Loops that walk a data buffer, and how much an accumulator grown in them holds.

A decoder walking `data` byte by byte (`while i < len(data)`, `for b in data`), a reader
taking one byte (or 16) at a time from a stream until it runs out or until a counter of the
bytes it took reaches a size the code does not spell out: their trip count is not
"some collection" (`loop-trips`) but the size of the data divided by what one trip consumes.
Real inputs (a PDF stream, a capture file, an HTTP body, a file read to its end) are KBs to
MBs; the config's `data-bytes` (default 64 KiB) is the size assumed when the code cannot see
it. A chunked read of a large size (`read(1 << 20)` until EOF) runs data-bytes / chunk times:
a handful, so it stays short; a read of a size the code does not spell out keeps the unknown
bound (a buffer size can be anything from a page to megabytes).

Phase 1 records, per loop, the bytes one trip consumes (`Loop.walks`); phase 2 divides the
configured size by it (callgraph.Program). `growth_size` turns an accumulator's growth
(`buf += piece` in such loops) into the average bytes each step copies.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable, Mapping, Optional, Sequence, Set, Tuple

import libcst as cst

from perflint.nodes import iter_children
from perflint.repetition import TREE_WALK
from perflint.values import dotted_text

if TYPE_CHECKING:
    from perflint.callgraph import Program
    from perflint.finding import Loop

DEFAULT_DATA_BYTES = 65536.0  # an input whose size the code does not show: a 64 KiB stream, body, file
LINE_BYTES = 64.0  # one line of a message or a text file
UNKNOWN_PIECE = 64.0  # a piece of text of unknown size grown outside a walk: a line, a field
FIELD_BYTES = 64.0  # one delimited field of a framed format: a length, a number, a name, a path

# Annotations that say a parameter is a buffer of bytes or characters.
_BUFFER_TYPES = {"bytes", "bytearray", "memoryview", "str", "AnyStr", "typing.AnyStr", "ByteString"}
# Calls whose result is bytes or text: `f.read(n)`, `x.encode()`, `bytes(x)`, `io.getvalue()`.
_BUFFER_METHODS = {"read", "recv", "read1", "readall", "encode", "decode", "getvalue", "tobytes",
                   "strip", "rstrip", "lstrip", "recv_bytes", "read_bytes", "read_text"}
_BUFFER_CALLS = {"bytes", "bytearray", "memoryview", "str", "os.read", "zlib.decompress", "base64.b64decode"}
# Methods whose result is about as long as the buffer they are called on: `text.strip()`,
# `data.decode()`, `s.upper()` walk as many elements as the buffer itself.
_SAME_LENGTH = {"strip", "rstrip", "lstrip", "decode", "encode", "lower", "upper", "casefold"}
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
# Reads that consume a stream: `stream.read(1)`, `sock.recv(4096)`, `os.read(fd, n)`.
_STREAM_READS = {"read", "recv", "read1", "readline"}
# `self.buf = self.fp.read(...)` / `self.buf = b""`: an attribute the file keeps a buffer in.
_BUFFER_ATTR = re.compile(r"self\.(\w+)\s*=\s*(?:b['\"]|bytes\(|bytearray\(|[\w.]+\.(?:read|recv)\()")


def walk_bytes(node: cst.CSTNode, buffers: "Buffers",
               constants: Optional[Mapping[str, float]] = None) -> Optional[Tuple[float, str]]:
    """(bytes of the data one trip consumes, why) when `node` walks a buffer or reads a
    stream to its end; None otherwise (the loop's bound is then unknown, as before).
    `buffers`: what the enclosing function holds; `constants`: module and local integer
    constants (a read size `CHUNK`)."""
    node_type = type(node)
    if node_type is cst.While:
        return _read_to_end(node, constants or {}) or _counted_read(node, constants or {}) \
            or _index_walk(node, buffers)  # type: ignore[arg-type]
    if node_type is cst.For:
        return _element_walk(node.iter, buffers) or _ranged_read(node, constants or {})  # type: ignore[attr-defined,arg-type]
    if node_type in _COMPREHENSIONS:
        # `[ALPHABET.index(c) for c in text]` walks the text as `for c in text:` does; a clause
        # nested in it (`for x in row`) walks something else
        for_in = node.for_in  # type: ignore[attr-defined]
        return _element_walk(for_in.iter, buffers) if for_in.inner_for_in is None else None
    return None


class Buffers:
    """Which names in a function hold bytes or text: parameters annotated so, locals assigned
    a read, an encode, a bytes literal or a slice of a buffer; attributes the file sets so.
    `assigned` is the function's `name = value` statements the traversal has passed so far
    (the walker records them): a loop sees what was bound before it. `file_attrs` is shared
    by a file's functions."""

    def __init__(self, function: Optional[cst.FunctionDef], source: str, file_attrs: dict,
                 assigned: Sequence[Tuple[str, cst.BaseExpression]]) -> None:
        self.function = function
        self.source = source
        self._file_attrs = file_attrs
        self._assigned = assigned
        self._seen = -1  # how many assignments the sets below were worked out from
        self._names: Set[str] = set()
        self._files: Set[str] = set()

    def holds(self, expr: cst.BaseExpression) -> bool:
        if type(expr) is cst.Name:
            return expr.value in self.names()  # type: ignore[attr-defined]
        if type(expr) is cst.Attribute and type(expr.value) is cst.Name and expr.value.value == "self":  # type: ignore[attr-defined]
            if "attrs" not in self._file_attrs:
                self._file_attrs["attrs"] = set(_BUFFER_ATTR.findall(self.source))
            return expr.attr.value in self._file_attrs["attrs"]  # type: ignore[attr-defined]
        return False

    def names(self) -> Set[str]:
        self._refresh()
        return self._names

    def in_memory_file(self, expr: cst.BaseExpression) -> bool:
        """`f = BytesIO(data)` / `io.StringIO(text)`: a message in memory, read line by line."""
        if type(expr) is not cst.Name:
            return False
        self._refresh()
        return expr.value in self._files  # type: ignore[attr-defined]

    def _refresh(self) -> None:
        if self._seen == len(self._assigned) or self.function is None:
            return
        self._seen = len(self._assigned)
        assigns = list(self._assigned)
        self._names = _buffer_names(self.function, assigns)
        self._files = {name for name, value in assigns
                       if type(value) is cst.Call and value.args  # type: ignore[attr-defined]
                       and (dotted_text(value.func) or "").rpartition(".")[2] in ("BytesIO", "StringIO")}  # type: ignore[attr-defined]


def _buffer_names(fn: cst.FunctionDef, assigns: Sequence[Tuple[str, cst.BaseExpression]]) -> Set[str]:
    found: Set[str] = set()
    for param in (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params):
        if param.annotation is not None and _is_buffer_annotation(param.annotation.annotation):
            found.add(param.name.value)
    # Two passes: a slice of a buffer is a buffer (`line = data[i:j]` after `data = f.read()`).
    for _ in range(2):
        for name, value in assigns:
            if name not in found and _is_buffer_value(value, found):
                found.add(name)
    # A name also bound to something else is not known to hold a buffer where a loop reads it
    # (`opts = "defaults"` then `opts = opts.split(",")`); one bound only to literals has the
    # literal's length, not the data's (`digits = "0123456789"`).
    other = {name for name, value in assigns if not _is_buffer_value(value, found)}
    sized = {name for name, value in assigns if type(value) not in (cst.SimpleString, cst.ConcatenatedString)}
    literal = {name for name, _ in assigns} - sized
    return found - other - literal


def _is_buffer_annotation(expr: cst.BaseExpression) -> bool:
    text = dotted_text(expr)
    if text is not None:
        return text in _BUFFER_TYPES
    if type(expr) is cst.SimpleString:  # "bytes" as a string annotation
        return expr.value.strip("'\"") in _BUFFER_TYPES  # type: ignore[attr-defined]
    if type(expr) is cst.BinaryOperation and type(expr.operator) is cst.BitOr:  # bytes | str
        return _is_buffer_annotation(expr.left) and _is_buffer_annotation(expr.right)  # type: ignore[attr-defined]
    if type(expr) is cst.Subscript and (dotted_text(expr.value) or "").rpartition(".")[2] in ("Union", "Optional"):  # type: ignore[attr-defined]
        parts = [e.slice.value for e in expr.slice if isinstance(e.slice, cst.Index)]  # type: ignore[attr-defined]
        return bool(parts) and all(_is_buffer_annotation(p) or dotted_text(p) == "None" for p in parts)
    return False


def _is_buffer_value(value: cst.BaseExpression, known: Set[str]) -> bool:
    node_type = type(value)
    if node_type in (cst.SimpleString, cst.ConcatenatedString):
        return True
    if node_type is cst.BinaryOperation and type(value.operator) in (cst.Multiply, cst.Add):  # type: ignore[attr-defined]
        # b"\x00" * width, prefix + data: a buffer built from a buffer
        return any(_is_buffer_value(side, known) or (type(side) is cst.Name and side.value in known)  # type: ignore[attr-defined]
                   for side in (value.left, value.right))  # type: ignore[attr-defined]
    if node_type is cst.Subscript:  # a slice of a buffer
        inner = value.value  # type: ignore[attr-defined]
        sliced = any(isinstance(e.slice, cst.Slice) for e in value.slice)  # type: ignore[attr-defined]
        return sliced and type(inner) is cst.Name and inner.value in known  # type: ignore[attr-defined]
    if node_type is cst.Call:
        func = value.func  # type: ignore[attr-defined]
        name = dotted_text(func) or ""
        if name in _BUFFER_CALLS:
            return True
        if type(func) is cst.Attribute and func.attr.value in _BUFFER_METHODS:  # type: ignore[attr-defined]
            # `text.strip()` is a buffer only if `text` is; a read or an encode always is
            if func.attr.value in ("strip", "rstrip", "lstrip"):  # type: ignore[attr-defined]
                return type(func.value) is cst.Name and func.value.value in known  # type: ignore[attr-defined]
            return True
    return False


def _scope_nodes(root: cst.CSTNode, stop: tuple = (cst.FunctionDef, cst.ClassDef, cst.Lambda)) -> Iterable[cst.CSTNode]:
    """Every node below `root` that runs in its scope (nested functions, classes and lambdas,
    and whatever `stop` adds, are left out)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if type(node) in stop:
            continue
        yield node
        stack.extend(iter_children(node))


# -- a while loop that reads a stream until it runs out ----------------------------------
def _read_to_end(node: cst.While, constants: Mapping[str, float]) -> Optional[Tuple[float, str]]:
    """`while True: tok = stream.read(1); if not tok: break` (or `while chunk:`, or
    `while (chunk := f.read(n))`): one read of n bytes a trip until the stream is empty."""
    reads = dict(_reads_in(node, constants))
    if not reads:
        return None
    for name, (size, text) in reads.items():
        # A read of a size the code does not spell out (`read(self.bufsize)`) is a buffer size,
        # anything from a page to megabytes: its loop keeps the unknown bound.
        if size is not None and _tests_empty(node, name):
            unit = "a line" if text.endswith("readline()") else f"{_num(size)} byte{'s' if size != 1 else ''}"
            return size, f"reads a stream to its end, {unit} a trip ({text})"
    return None


_NESTED_LOOPS = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.For, cst.While)


# -- a loop that takes a count of bytes from a stream, a few bytes a trip ----------------
def _counted_read(node: cst.While, constants: Mapping[str, float]) -> Optional[Tuple[float, str]]:
    """`while i < n: byte = ser.read(1); ...; i += 1`: every trip reads s bytes (a size the
    code spells out) and moves a counter on by those s bytes (`i += s`, `i = i + s`, `i +=
    len(chunk)` of the read), until the counter reaches a size the code does not spell out.
    The counter counts bytes taken from the stream, so the bound is the size of the data to
    receive: data-bytes / s trips, as for a stream read to its end. A bound the code spells
    out (`while i < 4`, a module constant) is a fixed-size read and keeps its own bound; a
    read inside an `if` of the body, or a second read, is not one read a trip."""
    test = node.test
    if type(test) is not cst.Comparison or len(test.comparisons) != 1:  # type: ignore[attr-defined]
        return None
    op = type(test.comparisons[0].operator)  # type: ignore[attr-defined]
    left, right = test.left, test.comparisons[0].comparator  # type: ignore[attr-defined]
    if op in (cst.LessThan, cst.LessThanEqual, cst.NotEqual):
        counter, bound = dotted_text(left), right
    elif op in (cst.GreaterThan, cst.GreaterThanEqual):
        counter, bound = dotted_text(right), left
    else:
        return None
    if counter is None or dotted_text(bound) is None or _int_value(bound, constants) is not None:
        return None
    read = _one_read_a_trip(node.body, constants)
    if read is None:
        return None
    name, size, text = read
    if not _moves_by(node.body, counter, size, name):
        return None
    return size, f"reads {dotted_text(bound)} bytes from a stream, {_num(size)} a trip ({text}), counted in {counter}"


def _ranged_read(node: cst.For, constants: Mapping[str, float]) -> Optional[Tuple[float, str]]:
    """`for _ in range(n): byte = ser.read(1)` (or `range(0, n, 4)` with `read(4)`): one read
    of s bytes a trip over a range that steps by s up to a size the code does not spell out:
    the range counts the bytes taken from the stream, data-bytes / s trips."""
    it = node.iter
    if type(it) is not cst.Call or dotted_text(it.func) != "range":  # type: ignore[attr-defined]
        return None
    args = [a.value for a in it.args if a.keyword is None and not a.star]  # type: ignore[attr-defined]
    if not args or len(args) != len(it.args):  # type: ignore[attr-defined]
        return None
    end = args[1] if len(args) >= 2 else args[0]
    step = _int_value(args[2], constants) if len(args) == 3 else 1.0
    if len(args) >= 2 and _int_value(args[0], constants) != 0.0:
        return None
    if step is None or dotted_text(end) is None or _int_value(end, constants) is not None:
        return None
    read = _one_read_a_trip(node.body, constants)
    if read is None or read[1] != step:
        return None
    return step, f"reads {dotted_text(end)} bytes from a stream, {_num(step)} a trip ({read[2]}), counted by range()"


def _one_read_a_trip(body: cst.BaseSuite, constants: Mapping[str, float]) -> Optional[Tuple[Optional[str], float, str]]:
    """(name bound to the read or None, bytes, call text) for the one stream read of a size
    the code spells out that a statement of the body itself makes (not one inside an `if`,
    a nested loop or function); None when the loop reads anywhere else too, or not at all."""
    found: Optional[Tuple[Optional[str], float, str]] = None
    top = {id(stmt) for stmt in getattr(body, "body", ()) if type(stmt) is cst.SimpleStatementLine}
    for stmt in getattr(body, "body", ()):
        for current in _scope_nodes(stmt, _NESTED_LOOPS):
            if type(current) is not cst.Call:
                continue
            read = _stream_read(current, constants)
            if read is None:
                continue
            size, text = read
            if found is not None or id(stmt) not in top or size is None or text.endswith("readline()"):
                return None
            found = (_bound_name(stmt, current), size, text)
    return found


def _bound_name(stmt: cst.CSTNode, call: cst.Call) -> Optional[str]:
    """`byte` in `byte = ser.read(1)`: the name the statement binds the read to."""
    for small in getattr(stmt, "body", ()):
        if type(small) is cst.Assign and small.value is call and len(small.targets) == 1 \
                and type(small.targets[0].target) is cst.Name:
            return small.targets[0].target.value
    return None


def _moves_by(body: cst.BaseSuite, counter: str, size: float, name: Optional[str]) -> bool:
    """A statement of the body itself moves `counter` on by `size` (`i += 1`, `i = i + 1`,
    `got += len(chunk)` of the read `chunk`), and nothing in the body sets it back."""
    moved = False
    for stmt in getattr(body, "body", ()):
        if type(stmt) is not cst.SimpleStatementLine:
            continue
        for small in stmt.body:
            if type(small) is cst.AugAssign and type(small.operator) is cst.AddAssign \
                    and dotted_text(small.target) == counter:
                moved = moved or _step_of(small.value, size, name)
            elif type(small) is cst.Assign and len(small.targets) == 1 \
                    and dotted_text(small.targets[0].target) == counter:
                value = small.value
                if type(value) is cst.BinaryOperation and type(value.operator) is cst.Add \
                        and dotted_text(value.left) == counter and _step_of(value.right, size, name):
                    moved = True
                else:
                    return False
    return moved and counter not in set(_reset(body))


def _step_of(value: cst.BaseExpression, size: float, name: Optional[str]) -> bool:
    if type(value) is cst.Integer and value.value.isdigit():  # type: ignore[attr-defined]
        return float(int(value.value)) == size  # type: ignore[attr-defined]
    return name is not None and _is_len(value) and dotted_text(value.args[0].value) == name  # type: ignore[attr-defined]


# -- a while loop that reads one delimited field -----------------------------------------
def read_field(node: cst.While, constants: Mapping[str, float]) -> Optional[Tuple[float, str]]:
    """(trips, why) for `while ch != b":": ch = f.read(1); if not ch: raise ...; buf += ch`:
    a loop that stops at a delimiter and treats running out of data as corrupt input reads
    one field of a framed format (a length, a number, a NUL-terminated name), not the stream.
    A loop that may also end normally at the end of the data (`if not ch: break`) can read
    all of it, and stays a walk of the data (`_read_to_end`)."""
    for name, (size, text) in _reads_in(node, constants):
        if size is None or not _raises_when_empty(node, name) or not _stops_at_delimiter(node, name):
            continue
        trips = max(FIELD_BYTES / size, 1.0)
        return trips, f"reads one field up to a delimiter ({text}; running out of data raises): {_num(FIELD_BYTES)} bytes"
    return None


def _raises_when_empty(node: cst.While, name: str) -> bool:
    """An empty read raises, and nothing in the loop ends it normally when the data runs out."""
    raises = False
    for stmt in getattr(node.body, "body", ()):
        if type(stmt) is cst.If and _is_empty_test(stmt.test, name):
            if not _ends_with(stmt.body, (cst.Raise,)):
                return False
            raises = True
    return raises


def _stops_at_delimiter(node: cst.While, name: str) -> bool:
    """`while name != b":"`, or `if name == b"\\0": break` in the body."""
    if _compares_to_text(node.test, name, cst.NotEqual):
        return True
    return any(type(stmt) is cst.If and _compares_to_text(stmt.test, name, cst.Equal) and _leaves(stmt.body)
               for stmt in getattr(node.body, "body", ()))


def _compares_to_text(test: cst.BaseExpression, name: str, op: type) -> bool:
    if type(test) is not cst.Comparison or len(test.comparisons) != 1:  # type: ignore[attr-defined]
        return False
    left, right = test.left, test.comparisons[0].comparator  # type: ignore[attr-defined]
    return type(test.comparisons[0].operator) is op and type(left) is cst.Name and left.value == name and \
        type(right) is cst.SimpleString and bool(right.evaluated_value)  # type: ignore[attr-defined]


def _ends_with(body: cst.BaseSuite, kinds: Tuple[type, ...]) -> bool:
    """The block's last line holds a statement of one of `kinds` (`break`, `return`, `raise`)."""
    stmts = getattr(body, "body", ())
    last = stmts[-1] if stmts else None
    small = last.body if type(last) is cst.SimpleStatementLine else (stmts if type(body) is cst.SimpleStatementSuite else ())
    return any(type(s) in kinds for s in small)


def _num(value: float) -> str:
    """4096, 1048576: byte counts in full, not 1.04858e+06."""
    return str(int(value)) if value == int(value) else f"{value:g}"


def _reads_in(node: cst.While, constants: Mapping[str, float]) -> Iterable[Tuple[str, Tuple[Optional[float], str]]]:
    """(name, (bytes per read or None, call text)) for `name = <stream read>` in the loop
    (its own body and test, not nested loops or functions)."""
    for current in (*_scope_nodes(node.test), *_scope_nodes(node.body, _NESTED_LOOPS)):
        node_type = type(current)
        if node_type is cst.Assign and len(current.targets) == 1 and type(current.targets[0].target) is cst.Name:
            read = _stream_read(current.value, constants)
            if read is not None:
                yield current.targets[0].target.value, read
        elif node_type is cst.NamedExpr and type(current.target) is cst.Name:
            read = _stream_read(current.value, constants)
            if read is not None:
                yield current.target.value, read


def _stream_read(value: cst.BaseExpression, constants: Mapping[str, float]) -> Optional[Tuple[Optional[float], str]]:
    if type(value) is not cst.Call:
        return None
    func = value.func  # type: ignore[attr-defined]
    name = dotted_text(func) or ""
    last = name.rpartition(".")[2] if name else (func.attr.value if type(func) is cst.Attribute else "")  # type: ignore[attr-defined]
    if name != "os.read" and (type(func) is not cst.Attribute or last not in _STREAM_READS):
        return None
    text = f"{name or last}()"
    if last == "readline":
        return LINE_BYTES, text
    args = [a.value for a in value.args if a.keyword is None]  # type: ignore[attr-defined]
    size_arg = args[1] if name == "os.read" and len(args) > 1 else (args[0] if args and name != "os.read" else None)
    if size_arg is None:
        return None, text  # read() of everything: one trip, but the loop may read several files
    size = _int_value(size_arg, constants)
    if size is None:
        return None, text
    return max(size, 1.0), f"{name or last}({_num(size)})"


def _int_value(expr: cst.BaseExpression, constants: Mapping[str, float]) -> Optional[float]:
    """An integer the code spells out: `4096`, `1 << 20`, `64 * 1024`, a module constant."""
    node_type = type(expr)
    if node_type is cst.Integer:
        try:
            return float(int(expr.value.replace("_", ""), 0))  # type: ignore[attr-defined]
        except ValueError:
            return None
    if node_type is cst.Name:
        return constants.get(expr.value)  # type: ignore[attr-defined]
    if node_type is cst.BinaryOperation:
        left, right = _int_value(expr.left, constants), _int_value(expr.right, constants)  # type: ignore[attr-defined]
        if left is None or right is None:
            return None
        op = type(expr.operator)  # type: ignore[attr-defined]
        if op is cst.Multiply:
            return left * right
        if op is cst.LeftShift and 0 <= right < 64:
            return float(int(left) << int(right))
        if op is cst.Add:
            return left + right
    return None


def _tests_empty(node: cst.While, name: str) -> bool:
    """The loop ends when `name` comes back empty: `while name:` / `while (name := ...)`,
    or `if not name: break|return|raise` / `if name == b"": ...` / `if len(name) == 0:`."""
    test = node.test
    if type(test) is cst.Name and test.value == name:
        return True
    if type(test) is cst.NamedExpr and type(test.target) is cst.Name and test.target.value == name:
        return True
    for stmt in getattr(node.body, "body", ()):
        if type(stmt) is cst.If and _is_empty_test(stmt.test, name) and _leaves(stmt.body):
            return True
    return False


def _is_empty_test(test: cst.BaseExpression, name: str) -> bool:
    if type(test) is cst.BooleanOperation:
        return _is_empty_test(test.left, name) or _is_empty_test(test.right, name)  # type: ignore[attr-defined]
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:  # type: ignore[attr-defined]
        inner = test.expression  # type: ignore[attr-defined]
        return type(inner) is cst.Name and inner.value == name
    if type(test) is cst.Comparison and len(test.comparisons) == 1:  # type: ignore[attr-defined]
        left, right = test.left, test.comparisons[0].comparator  # type: ignore[attr-defined]
        op = type(test.comparisons[0].operator)  # type: ignore[attr-defined]
        if op not in (cst.Equal, cst.Is):
            return False
        if type(left) is cst.Call and dotted_text(left.func) == "len" and left.args:  # type: ignore[attr-defined]
            left = left.args[0].value  # type: ignore[attr-defined]
        named = type(left) is cst.Name and left.value == name  # type: ignore[attr-defined]
        empty = (type(right) is cst.SimpleString and not right.evaluated_value) or \
            (type(right) is cst.Integer and right.value == "0") or (type(right) is cst.Name and right.value == "None")  # type: ignore[attr-defined]
        return named and empty
    return False


def _leaves(body: cst.BaseSuite) -> bool:
    return _ends_with(body, (cst.Break, cst.Return, cst.Raise))


# -- a while loop that walks a buffer by index -------------------------------------------
def _index_walk(node: cst.While, buffers: Buffers) -> Optional[Tuple[float, str]]:
    """`while i < len(data): ... i += 1`, or `while True:` that leaves when `i >= len(data)`,
    or a cursor `data[pos]` with `pos += 1` in the body: one element of the buffer a trip."""
    bound = _len_bound(node.test, strict=False)
    if bound is None and type(node.test) in (cst.Name, cst.Integer):  # while True / while 1
        for stmt in getattr(node.body, "body", ()):
            if type(stmt) is cst.If and _leaves(stmt.body):
                bound = _len_bound(stmt.test, strict=True)
                if bound is not None:
                    break
    steps = _advanced(node.body)
    for name in _reset(node.body):
        steps.pop(name, None)  # `i = 0` again: a matcher's position, not a walk's
    if bound is not None:
        index, buffer = bound
        if index in steps and buffers.holds(buffer):
            per = steps[index]
            return per, f"walks {dotted_text(buffer)} by index, {_per_text(per)} a trip"
    # A cursor into a buffer: `c = self.buf[self.pos]` and `self.pos += 1`.
    for buffer, index in _subscripts(node.body):
        if index in steps and steps[index] == 1.0 and buffers.holds(buffer):
            return 1.0, f"walks {dotted_text(buffer)} with a cursor ({index}), one element a trip"
    return None


def _per_text(per: float) -> str:
    return "one element" if per == 1 else f"{per:g} elements"


def _len_bound(test: cst.BaseExpression, strict: bool) -> Optional[Tuple[str, cst.BaseExpression]]:
    """(index, buffer) for `i < len(buf)` (or `i >= len(buf)` when `strict`: the exit test)."""
    if type(test) is not cst.Comparison or len(test.comparisons) != 1:  # type: ignore[attr-defined]
        return None
    left, right = test.left, test.comparisons[0].comparator  # type: ignore[attr-defined]
    op = type(test.comparisons[0].operator)  # type: ignore[attr-defined]
    going = (cst.GreaterThanEqual, cst.GreaterThan, cst.Equal) if strict else (cst.LessThan, cst.LessThanEqual)
    flipped = (cst.LessThanEqual, cst.LessThan, cst.Equal) if strict else (cst.GreaterThan, cst.GreaterThanEqual)
    if op in going and _is_len(right) and dotted_text(left):
        return dotted_text(left), right.args[0].value  # type: ignore[attr-defined,return-value]
    if op in flipped and _is_len(left) and dotted_text(right):
        return dotted_text(right), left.args[0].value  # type: ignore[attr-defined,return-value]
    return None


def _is_len(expr: cst.BaseExpression) -> bool:
    return type(expr) is cst.Call and dotted_text(expr.func) == "len" and len(expr.args) == 1  # type: ignore[attr-defined]


def _advanced(body: cst.CSTNode) -> dict:
    """Indexes the body moves forward -> elements per step: `i += 1` (1), `i += 4` (4),
    `i = i + n` or `i = (i + 1) + n` (1: a step of unknown length counts as one element)."""
    steps: dict = {}
    for node in _scope_nodes(body):
        node_type = type(node)
        if node_type is cst.AugAssign and type(node.operator) is cst.AddAssign:
            target = dotted_text(node.target)
            if target:
                value = node.value
                step = float(int(value.value)) if type(value) is cst.Integer and value.value.isdigit() else 1.0
                steps[target] = min(steps.get(target, step), max(step, 1.0))
        elif node_type is cst.Assign and len(node.targets) == 1 and type(node.value) is cst.BinaryOperation \
                and type(node.value.operator) is cst.Add:
            target = dotted_text(node.targets[0].target)
            if target and target in set(_dotted_in(node.value)):
                steps[target] = min(steps.get(target, 1.0), 1.0)
    return steps


def _reset(body: cst.CSTNode) -> Iterable[str]:
    """Names the body sets back to a literal (`i = 0`)."""
    for node in _scope_nodes(body):
        if type(node) is cst.Assign and type(node.value) is cst.Integer:  # type: ignore[attr-defined]
            for target in node.targets:  # type: ignore[attr-defined]
                text = dotted_text(target.target)
                if text:
                    yield text


def _dotted_in(expr: cst.CSTNode) -> Iterable[str]:
    for node in _scope_nodes(expr, ()):
        if type(node) in (cst.Name, cst.Attribute):
            text = dotted_text(node)
            if text:
                yield text


def _subscripts(body: cst.CSTNode) -> Iterable[Tuple[cst.BaseExpression, str]]:
    """(buffer, index) for each `buffer[index]` in the body, the index a plain name."""
    for node in _scope_nodes(body):
        if type(node) is cst.Subscript and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):  # type: ignore[attr-defined]
            index = dotted_text(node.slice[0].slice.value)  # type: ignore[attr-defined]
            if index:
                yield node.value, index  # type: ignore[attr-defined]


# -- a for loop over the elements of a buffer --------------------------------------------
def _element_walk(iterable: cst.BaseExpression, buffers: Buffers) -> Optional[Tuple[float, str]]:
    """`for b in data`, `enumerate(data)`, `zip(data, ...)`, `range(len(data))`,
    `range(0, len(data), 4)`, `data.splitlines()` where `data` holds bytes or text."""
    node_type = type(iterable)
    if _holds(iterable, buffers):
        return 1.0, f"walks {_call_text(iterable)}, one element a trip"
    if node_type is cst.Call and (dotted_text(iterable.func) or "").rpartition(".")[2] in ("BytesIO", "StringIO") \
            and iterable.args:  # type: ignore[attr-defined]
        return LINE_BYTES, f"walks the lines of a file in memory, {LINE_BYTES:g} bytes a line"
    if buffers.in_memory_file(iterable):
        return LINE_BYTES, f"walks the lines of {dotted_text(iterable)}, a file in memory, {LINE_BYTES:g} bytes a line"
    if node_type is not cst.Call:
        return None
    func = iterable.func  # type: ignore[attr-defined]
    name = dotted_text(func) or ""
    args = [a.value for a in iterable.args if a.keyword is None and not a.star]  # type: ignore[attr-defined]
    if name in ("enumerate", "reversed", "iter") and args:
        return _element_walk(args[0], buffers)
    if name == "zip" and args:
        walks = [w for w in (_element_walk(a, buffers) for a in args) if w is not None]
        return walks[0] if len(walks) == len(args) else None  # zip stops at its shortest
    if name == "range" and args:
        ends = args[1] if len(args) >= 2 else args[0]
        if _is_len(ends) and _holds(ends.args[0].value, buffers):  # type: ignore[attr-defined]
            step = args[2] if len(args) == 3 else None
            if step is not None and not (type(step) is cst.Integer and step.value.isdigit()):  # type: ignore[attr-defined]
                return None  # a record of unknown size per trip: unknown, as before
            per = float(int(step.value)) if step is not None else 1.0  # type: ignore[attr-defined]
            return max(per, 1.0), f"walks {_call_text(ends.args[0].value)} by index, {_per_text(per)} a trip"  # type: ignore[attr-defined]
        return None
    if type(func) is cst.Attribute and func.attr.value == "splitlines" and _holds(func.value, buffers):  # type: ignore[attr-defined]
        return LINE_BYTES, f"walks the lines of {_call_text(func.value)}, {LINE_BYTES:g} bytes a line"  # type: ignore[attr-defined]
    return None


def _holds(expr: cst.BaseExpression, buffers: Buffers) -> bool:
    """`expr` is a buffer the function holds, or one after methods that keep its length
    (`text.strip()`, `data.decode().upper()`)."""
    while type(expr) is cst.Call and type(expr.func) is cst.Attribute and expr.func.attr.value in _SAME_LENGTH:  # type: ignore[attr-defined]
        expr = expr.func.value  # type: ignore[attr-defined]
    return buffers.holds(expr)


def _call_text(expr: cst.BaseExpression) -> str:
    """`data`, `data.strip()`: the buffer expression as a message names it."""
    if type(expr) is cst.Call:
        inner = _call_text(expr.func.value) if type(expr.func) is cst.Attribute else ""  # type: ignore[attr-defined]
        return f"{inner}.{expr.func.attr.value}()" if inner else (dotted_text(expr.func) or "the data")  # type: ignore[attr-defined]
    return dotted_text(expr) or "the data"


# -- what an accumulator holds -----------------------------------------------------------
def growth_size(program: "Program", fid: Optional[str], loops: Sequence["Loop"],
                growth: Tuple[int, float, int, float], own: bool = False, unit: str = "byte") -> Tuple[float, str]:
    """The average bytes one step of `buf += piece` copies, and how that was worked out.

    `growth` is (index of the first loop the accumulator grows in, bytes one step adds that
    the code shows, pieces of unknown size, bytes of a stream read when the piece is one,
    else 0). A piece of unknown size is what one trip of a walk consumes when the
    accumulator grows in a walk of the data (a decoder's output per input element), else a
    short piece (a line, a field: 64 bytes). Over S steps it holds S x piece, so a step
    copies half that on average: quadratic in S. A stream read in chunks of C bytes holds at
    most data-bytes, in at most data-bytes / C reads, whatever loops the reads sit in (a
    select loop over ready pipes is not a thousand reads). An optional fifth item ends the
    loops it grows in: the loops below them repeat the site within one step (a search per
    needle of a buffer that grows once a trip), and count in its frequency, not its size.

    `own` (the candidate's `own-steps:` condition, `own_steps_start`): the accumulator is made
    in its function on every call and grown by records the code sizes, so its steps are its
    own loops' trips per call (`run_trips`), however deep its callers' loops sit: the nesting
    cap on unknown loops belongs to the frequency (how often the call repeats), and the calls
    it repeats each build a buffer of their own.

    `unit` names what a step adds when it is not bytes: a list or dict grown by copying
    (PFL107) holds elements, and its pieces are the elements the code adds."""
    start, known, unknown, chunk = growth[:4]
    if start < 0:
        return _across_calls(program, fid, growth, unit)
    if len(growth) > 4:
        # a fifth item: the loops it grows in end there; deeper ones repeat the site within a
        # step (PFL306's search of a local buffer in an any() over several needles)
        loops = loops[: growth[4]]  # type: ignore[misc]
    walk = next((loop.walks for loop in loops[start:] if loop.walks and loop.trips is None), 0.0)
    piece = max(known + unknown * (walk or UNKNOWN_PIECE), 1.0)
    depth = program.unknown.get(fid, 0) if fid is not None else 0
    _, depth = program._trips(loops[:start], depth)
    counted = program.trips(loops[start:], depth)  # what the frequency counts of those loops
    # A walk's trips belong to the accumulation itself, however deep its function sits: the
    # data is as long in a decoder called from two unknown loops as in one called once.
    steps = program.trips(loops[start:], 0) if walk else (max(run_trips(program, loops[start:]), counted) if own else counted)
    size = steps * piece / 2
    plural = "s" if piece != 1 else ""
    why = f"{size:g} {unit}s held on average ({steps:g} steps of {piece:g} {unit}{plural})"
    if steps > counted:
        run = "walk of the data" if walk else OWN_RUN
        why = (f"{size * steps / counted:g} {unit}s: {size:g} held on average ({steps:g} steps of {piece:g} "
               f"{unit}{plural}) x {steps:g} steps per {run}, of which the frequency counts {counted:g}")
        size *= steps / counted
    if chunk:
        reads = max(program.data_bytes / chunk, 1.0)
        whole = reads * min(reads * chunk, program.data_bytes) / 2  # bytes one accumulation copies
        if counted * size > whole:
            size = whole / counted
            why = (f"{size:g} bytes a step (a stream read in {chunk:g}-byte chunks holds at most "
                   f"data-bytes {program.data_bytes:g}: {reads:g} reads)")
    return max(size, 1.0), why


OWN_STEPS = "own-steps:"  # a candidate's condition: a per-call buffer's steps are its own loops' (own_steps)
OWN_RUN = "call (a buffer made per call: the callers' loops repeat the call, they add no steps)"


def own_steps_start(requires: Sequence[str]) -> Optional[int]:
    """The index of the first loop of a per-call buffer's own run (`own-steps:<start>`), or None."""
    for req in requires:
        if req.startswith(OWN_STEPS):
            return int(req[len(OWN_STEPS):])
    return None


def run_trips(program: "Program", loops: Sequence["Loop"]) -> float:
    """Steps of one run of a buffer made per call, over the loops it grows or is cut in,
    counted as if its function were the root: known bounds multiply, the first loop of
    unknown bound counts `loop-trips` (a walk of the data its walk's trips), and unknown loops
    inside it add nothing: they split the records it counts (a hole padded block by block),
    they do not multiply them."""
    product, unknown = 1.0, False
    for loop in loops:
        if loop.trips is not None and not loop.why.endswith(TREE_WALK):
            product *= loop.trips
        elif not unknown:
            product *= program.trips((loop,), 0)
            unknown = True
    return product


def own_steps(program: "Program", fid: Optional[str], loops: Sequence["Loop"], start: int) -> Tuple[float, float]:
    """(steps of a per-call buffer's run in one call, of which the site's frequency counts):
    the frequency counts its loops under the callers' nesting cap (x1 two unknown loops deep),
    the run is the function's own (`run_trips`)."""
    depth = program.unknown.get(fid, 0) if fid is not None else 0
    _, depth = program._trips(loops[:start], depth)
    return run_trips(program, loops[start:]), program.trips(loops[start:], depth)


# Reads and cuts whose size the code spells out: what makes a loop's trips records of data.
_RECORD_READS = frozenset({"read", "recv", "read1", "readexactly", "recv_bytes"})
_STRUCT_CALLS = frozenset({"pack", "unpack", "unpack_from", "iter_unpack", "calcsize"})
_CONSTANT_NAME = re.compile(r"^_?[A-Z][A-Z0-9_]*$")


def spelled_record(loop: cst.CSTNode, buffer: str, constants: Mapping[str, float]) -> Optional[str]:
    """The code of a record of a size the code spells out that `loop` (its body and the loops
    in it) reads or builds, or None: `f.read(4096)`, `sock.recv(HEADER)`, `os.read(fd, 512)`,
    `struct.unpack("!I", ...)` (a struct's size), `b"\\x00" * BLOCK_SIZE` (a block of a
    constant), `buffer[:4]` / `buffer[4:]` (a cut of the buffer by a constant). Such a loop
    takes its data apart, or puts it together, in records: its trips are records of data, not
    a handful of short fields (a length, a name, a path) of unknown size."""
    for node in _scope_nodes(loop):
        node_type = type(node)
        if node_type is cst.Call:
            func = node.func  # type: ignore[attr-defined]
            name = dotted_text(func) or ""
            method = func.attr.value if type(func) is cst.Attribute else ""  # type: ignore[attr-defined]
            args = [a.value for a in node.args if a.keyword is None and not a.star]  # type: ignore[attr-defined]
            if name == "os.read" and len(args) == 2 and _spelled(args[1], constants):
                return _code(node)
            if method in _RECORD_READS and name != "os.read" and args and _spelled(args[0], constants):
                return _code(node)
            if name.startswith("struct.") and name[7:] in _STRUCT_CALLS and args \
                    and type(args[0]) is cst.SimpleString:
                return _code(func)
        elif node_type is cst.BinaryOperation and type(node.operator) is cst.Multiply:  # type: ignore[attr-defined]
            sides = (node.left, node.right)  # type: ignore[attr-defined]
            if any(type(side) is cst.SimpleString and side.evaluated_value for side in sides) \
                    and any(_spelled(side, constants) for side in sides):
                return _code(node)
        elif node_type is cst.Subscript and dotted_text(node.value) == buffer and len(node.slice) == 1:  # type: ignore[attr-defined]
            part = node.slice[0].slice  # type: ignore[attr-defined]
            if type(part) is cst.Slice and part.step is None and (part.lower is None) != (part.upper is None):
                bound = part.lower if part.lower is not None else part.upper
                if bound is not None and _spelled(bound, constants):
                    return _code(node)
    return None


def _spelled(expr: cst.BaseExpression, constants: Mapping[str, float]) -> bool:
    """A size the code spells out: an integer (or arithmetic of integers), a module constant,
    a name spelled as one (`UBIFS_BLOCK_SIZE`, imported from a table of constants)."""
    if type(expr) is cst.Name and _CONSTANT_NAME.match(expr.value):  # type: ignore[attr-defined]
        return True
    value = _int_value(expr, constants)
    return value is not None and value > 0


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


ACROSS_CALLS_GROWN = -1  # growth start: an attribute grown once per call (PFL203)
ACROSS_CALLS_CONSUMED = -2  # growth start: an attribute cut to its tail once per call (PFL204)
ACROSS_CALLS_SCANNED = -3  # growth start: an attribute another method grows, searched from its start per call (PFL306)


def grower_of(program: "Program", fid: Optional[str], cand) -> Optional[str]:
    """The function whose calls grow the buffer a candidate searches (PFL306's `grown-by:<method>`,
    a method of the searching method's class), when the program has it; else `fid`: what the
    buffer holds comes from the loops that repeat the growth, not the search."""
    if fid is None or cand.growth is None or cand.growth[0] != ACROSS_CALLS_SCANNED:
        return fid
    method = next((r[len("grown-by:"):] for r in cand.requires if r.startswith("grown-by:")), None)
    grower = f"{fid.rpartition('.')[0]}.{method}" if method else None
    return grower if grower in program.functions and program.hot_chain(grower) else fid
ACROSS_CALLS_KEPT = -4  # growth start: an attribute grown once per call and never emptied (PFL203)
# growth start: a container of an object grown once per call, whose steps are the trips of the
# innermost loop around the call only (PFL316, PFL317): the outer loops may walk other objects
ACROSS_CALLS_INNER = -5
# growth start: a list attribute taken from its front once per call (PFL510): its steps are the
# calls made in a row, the trips of the loops around the call on the hottest chain, or the
# method's calls per unit of work when no loop sits there (a per-item `__next__` repeats it)
ACROSS_CALLS_DRAINED = -6


def _across_calls(program: "Program", fid: Optional[str], growth: Tuple[int, float, int, float],
                  unit: str = "byte") -> Tuple[float, str]:
    """An attribute grown once per call of its method, which leaves it alone afterwards
    (PFL203, growth start -1): its steps between two consumptions are the calls the caller's
    loops make in a row, the trips of the loops around the call on the hottest chain (as the
    frequency counts them). Each step copies what the attribute holds, as in a loop: the
    caller's loops are the accumulator's loops, one call away. No loop around the call: one
    step, a piece that the next call finds consumed, as far as the code shows.

    An attribute rebound to its own tail once per call (PFL204, start -2: `self.buf =
    self.buf[n:]`) is the same sum run backwards: over S calls that each take a piece off it,
    it starts at S pieces and each call copies what is left, half of that on average.

    A buffer that another method grows and this one searches from its start once per call
    (PFL306, start -3: `pattern.search(self.buf)` in `next_event`, `self.buf.extend(data)` in
    `receive_data`) holds what the calls repeated by those loops have added: each search
    scans it all, half the run's bytes on average.

    A container of an object grown once per call and derived or sorted whole after each step
    (PFL316, PFL317, start -5) counts the trips of the innermost loop around the call only:
    the loops outside it may walk other objects (a parser's groups, statement by statement),
    each grown from empty, and count in the frequency, not in the size.

    A list attribute taken from its front once per call (PFL510, start -6: `self.items.pop(0)`
    in `_get_next`, another method extending it) is PFL204's sum counted in elements: its steps
    are the loops around the last call as for a cut, or, when that call sits in no loop, the
    method's calls per unit of work (a per-item `__next__` calls it loop-trips times in a row)."""
    start, known, unknown, chunk = growth
    if start == ACROSS_CALLS_KEPT and fid is not None and fid in program.functions:
        # Never emptied after __init__: it holds every piece since the object was made, so
        # its steps are all the calls of the method per unit of work (the function's
        # frequency along its hottest chain), not only those one caller's loop makes in a row.
        steps = program.site_heat(fid, ())
        piece = max(known + unknown * UNKNOWN_PIECE, 1.0)
        size = steps * piece / 2
        if chunk:
            # a stream read in chunks still holds at most data-bytes
            size = min(size, program.data_bytes / 2)
        return max(size, 1.0), (f"{size:g} {unit}s held on average (grown once per call and never emptied: "
                                f"{steps:g} calls per unit of work of {piece:g} {unit}s)")
    done = "cut to its tail" if start == ACROSS_CALLS_CONSUMED else "grown"
    if start == ACROSS_CALLS_DRAINED:
        done = "taken from its front"
    if start == ACROSS_CALLS_SCANNED and fid is not None and fid in program.functions:
        done = f"searched whole; grown by {program.display_name(fid)}"
    chain = program.hot_chain(fid) if fid is not None and fid in program.functions else []
    edge = chain[-1] if chain else None
    if start == ACROSS_CALLS_DRAINED and (edge is None or not edge.site.loops) and fid is not None \
            and fid in program.functions:
        # no loop around the call: the calls come in a row from further up (a per-item
        # __next__, a caller called in a loop), as many as the method runs per unit of work
        steps = program.site_heat(fid, ())
        piece = max(known + unknown * UNKNOWN_PIECE, 1.0)
        size = steps * piece / 2
        plural = "s" if piece != 1 else ""
        return max(size, 1.0), (f"{size:g} {unit}s held on average ({done} once per call, no loop around the "
                                f"call: {steps:g} calls per unit of work of {piece:g} {unit}{plural})")
    if start == ACROSS_CALLS_DRAINED:
        start = ACROSS_CALLS_CONSUMED
    if edge is None or not edge.site.loops:
        piece = max(known + unknown * UNKNOWN_PIECE, 1.0)
        return max(piece / 2, 1.0), f"{piece / 2:g} {unit}s held on average ({done} once per call; no caller repeats the call in a loop)"
    loops = program.edge_loops(edge)
    first = len(loops) - 1 if start == ACROSS_CALLS_INNER else 0
    size, why = growth_size(program, edge.caller, loops, (first, known, unknown, chunk), unit=unit)
    if start == ACROSS_CALLS_SCANNED and size > program.data_bytes / 2:
        # a search scans what the buffer holds: at most the input, data-bytes
        size, why = program.data_bytes / 2, f"{program.data_bytes / 2:g} bytes held on average (a buffer holds at most data-bytes {program.data_bytes:g})"
    return size, f"{done} once per call, repeated by the loops around the call in {program.display_name(edge.caller)}: {why}"
