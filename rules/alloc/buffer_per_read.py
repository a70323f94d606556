"""PFL201 buffer-per-read."""

from __future__ import annotations

from typing import Dict, List

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.ruleutil import first_arg

_ALLOCATORS = {
    "bytearray": "bytearray",
    "bytes": "bytes",
    "io.BytesIO": "io.BytesIO",
    "array.array": "array.array",
    "numpy.empty": "numpy.empty",
    "numpy.zeros": "numpy.zeros",
    "ctypes.create_string_buffer": "ctypes.create_string_buffer",
}
_FILL_METHODS = {"readinto", "readinto1", "recv_into", "recvfrom_into", "recvmsg_into", "readv", "preadv"}


class BufferPerRead(Rule):
    """
    A fresh fixed-size buffer allocated on every read, then filled from I/O.

    ## What it does
    Flags `buf = bytearray(N)` (also `bytes(N)`, `io.BytesIO`, `array.array`, numpy
    `empty`/`zeros`, `ctypes.create_string_buffer`) in a function that then fills `buf`
    with `readinto`, `recv_into` or a similar call, so every call allocates and zeroes a
    new buffer. Severity follows how often the function runs (per page read, per packet).

    ## Why is this slow
    Allocating and zero-filling 4 KiB per page read is cheap once and dominant when a
    full scan reads every page: the allocator, the memset and the garbage it leaves
    behind cost more than the `readinto` that the buffer was meant to make cheap.

    ## Example
    ```python
    def read_page(self, n):
        buf = bytearray(PAGE_SIZE)
        self._file.seek(n * PAGE_SIZE)
        self._file.readinto(buf)
        return buf
    ```

    ## Use instead
    ```python
    def __init__(self, f):
        self._buf = bytearray(PAGE_SIZE)      # one buffer, reused
        self._view = memoryview(self._buf)

    def read_page(self, n):
        self._file.seek(n * PAGE_SIZE)
        self._file.readinto(self._buf)
        return self._view
    ```

    ## Notes
    A buffer kept on `self` (allocated once), a buffer allocated before a loop that fills
    it on every pass (already reused), and a buffer that is never filled from I/O are
    not reported.
    """

    CODE = "PFL201"
    COST = "buffer-alloc"  # perflint/costs.py; measured by bench/costs.py
    NAME = "buffer-per-read"
    FAMILY = "alloc"
    FIX = "allocate the buffer once (in __init__ or at module level) and readinto() it on every read"
    TRIGGERS = ("_into", "readinto", "readv")
    VALID = [
        "class P:\n    def __init__(self):\n        self.buf = bytearray(4096)\n    def read(self, f):\n        f.readinto(self.buf)\n",
        "def make(n):\n    buf = bytearray(n)\n    return buf\n",
        "def digest(f, h):\n    buf = bytearray(65536)\n    while True:\n        n = f.readinto(buf)\n        if not n:\n            return h\n        h.update(buf[:n])\n",
        "def read(f, n):\n    data = f.read(n)\n    return bytearray(data)\n",
    ]
    INVALID = [
        Invalid("PAGE = 4096\ndef read_page(f, n):\n    buf = bytearray(PAGE)\n    f.seek(n * PAGE)\n    f.readinto(buf)\n    return buf\n", line=3),
        Invalid("def pump(sock, out):\n    while True:\n        buf = bytearray(65536)\n        n = sock.recv_into(buf)\n        out.write(buf[:n])\n", line=3),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._pending: List[Dict[str, tuple]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._pending.append({})

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._pending.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._pending or len(node.targets) != 1:
            return
        target = node.targets[0].target
        value = node.value
        if not isinstance(target, cst.Name) or not isinstance(value, cst.Call):
            return
        allocator = self.ctx.resolve(value.func)
        if allocator not in _ALLOCATORS:
            return
        size = first_arg(value)
        if size is None or isinstance(size, (cst.Call, cst.SimpleString)) and allocator != "array.array":
            return  # bytearray(data) copies data; it is not an empty buffer to fill
        if allocator in ("bytearray", "bytes") and not _sized(size):
            return
        self._pending[-1][target.value] = (value, len(self.ctx.loops))

    def visit_Call(self, node: cst.Call) -> None:
        if not self._pending or not isinstance(node.func, cst.Attribute):
            return
        if node.func.attr.value not in _FILL_METHODS and not (
            self.ctx.resolve(node.func) in ("os.readv", "os.preadv")
        ):
            return
        pending = self._pending[-1]
        for arg in node.args:
            value = arg.value
            if isinstance(value, cst.Call) and value.args and self.ctx.resolve(value.func) == "memoryview":
                value = value.args[0].value
            if isinstance(value, cst.Name) and value.value in pending:
                alloc, depth = pending.pop(value.value)
                if len(self.ctx.loops) > depth:
                    continue  # allocated once, filled many times in a loop: already reused
                self.report(alloc, f"a new {self.ctx.resolve(alloc.func)} buffer is allocated on every call and filled by {node.func.attr.value}()")


def _sized(expr: cst.BaseExpression) -> bool:
    """An integer size: a literal, a constant name, an attribute or arithmetic of those."""
    if isinstance(expr, cst.Integer):
        return expr.value not in ("0",)
    if isinstance(expr, (cst.Name, cst.Attribute)):
        return True
    if isinstance(expr, cst.BinaryOperation):
        return _sized(expr.left) or _sized(expr.right)
    return False
