"""Session thirteen, alloc family: a bytes attribute grown once per call of a method that
leaves it alone, repeated by a caller's loop (smart_open's ByteBuffer.fill, bench/realbugs.toml).
Each shape has its buggy form, the fixed form and near misses; each test fails on the code
before the change (PFL203 left attributes alone)."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources

MESSAGE = "grows by concatenation once per call of"


def found(src):
    return [(f.line, f.severity, f.message) for f in
            lint_sources({"m.py": src}, select=("PFL203",), config=Config(min_severity="note"))
            if f.rule == "PFL203" and f.path == "m.py"]


# -- a read buffer filled a chunk per call until a caller's read is satisfied -----------------
FILL = '''
class Buffer:
    def __init__(self):
        self._data = b""
        self._pos = 0

    def __len__(self):
        return len(self._data) - self._pos

    def take(self, n):
        part = self._data[self._pos:self._pos + n]
        self._pos += len(part)
        return part

    def fill(self, source):
        if self._pos:
            self._data = self._data[self._pos:]
            self._pos = 0
        chunk = source.read(65536)
        self._data += chunk
        return len(chunk)


class Reader:
    def __init__(self, source):
        self._source = source
        self._buffer = Buffer()

    def read(self, n):
        while len(self._buffer) < n:
            if not self._buffer.fill(self._source):
                break
        return self._buffer.take(n)
'''


def test_buffer_filled_per_call_in_a_callers_loop() -> None:
    (hit,) = found(FILL)
    assert hit[0] == 20 and MESSAGE + " fill()" in hit[2]
    # A stream read in 64 KiB chunks holds at most data-bytes: a note, like a local
    # accumulator of the same reads (paramiko's read-all).
    assert hit[1] == "note"
    # fixed: the buffer is a bytearray, whose += extends in place
    assert found(FILL.replace('self._data = b""', "self._data = bytearray()")) == []


def test_buffer_grown_then_consumed_in_the_same_method_is_quiet() -> None:
    # a protocol's dataReceived: grows its buffer, then splits lines off it
    protocol = '''
class Lines:
    def __init__(self):
        self._buf = b""

    def dataReceived(self, data):
        self._buf += data
        while b"\\n" in self._buf:
            line, self._buf = self._buf.split(b"\\n", 1)
            print(line)


def pump(proto, chunks):
    for chunk in chunks:
        proto.dataReceived(chunk)
'''
    assert found(protocol) == []
    # grown, then handed to another method of the object, which may consume it
    handed = protocol.replace('''        while b"\\n" in self._buf:
            line, self._buf = self._buf.split(b"\\n", 1)
            print(line)''', "        self._process()\n\n    def _process(self):\n        pass")
    assert found(handed) == []
    # reset on every call: it holds one call's pieces
    reset = FILL.replace("        chunk = source.read(65536)\n", "        chunk = source.read(65536)\n        self._data = b''\n")
    assert found(reset) == []
    # in __init__: runs once per object
    init = '''
class Header:
    def __init__(self, parts):
        self._raw = b""
        self._raw += parts
'''
    assert found(init) == []


# -- an encoder's output grown a byte per call, called for each byte of the input -----------
ESCAPER = '''
class Escaper:
    def __init__(self):
        self._out = b""

    def push(self, byte):
        self._out += byte

    def result(self):
        return self._out


def escape(data: bytes):
    esc = Escaper()
    for b in data:
        esc.push(bytes((b,)))
    return esc.result()
'''


def test_output_grown_per_call_in_a_walk_of_the_data() -> None:
    # the walk's 65,536 calls grow it a byte each: the decoder's quadratic, one call away
    (hit,) = found(ESCAPER)
    assert hit[0] == 7 and hit[1] == "error" and MESSAGE + " push()" in hit[2]
    # fixed: a bytearray
    assert found(ESCAPER.replace('self._out = b""', "self._out = bytearray()")) == []
    # near miss: nothing calls push in a loop: one piece a call, a note
    once = ESCAPER.replace("    for b in data:\n        esc.push(bytes((b,)))\n", "    esc.push(data)\n")
    assert [(line, severity) for line, severity, _ in found(once)] == [(7, "note")]


# -- a frame buffer that slices off each frame in __next__ (h2's FrameBuffer) ---------------
FRAMES = '''
class Frames:
    def __init__(self):
        self._data = bytearray()

    def add(self, data):
        self._data += data

    def __iter__(self):
        return self

    def __next__(self):
        if len(self._data) < 4:
            raise StopIteration
        size = int.from_bytes(self._data[:4], "big")
        if len(self._data) < 4 + size:
            raise StopIteration
        frame = bytes(self._data[4:4 + size])
        self._data = self._data[4 + size:]
        return frame
'''


def slices(src):
    return [(f.line, f.severity, f.message) for f in
            lint_sources({"m.py": src}, select=("PFL204",), config=Config(min_severity="note"))
            if f.rule == "PFL204" and f.path == "m.py"]


def test_buffer_consumed_per_item_in_next() -> None:
    # the iteration protocol is the loop: each frame taken copies the rest of the buffer
    (hit,) = slices(FRAMES)
    assert hit[0] == 19 and "in __next__ copies the rest of the bytearray" in hit[2]
    assert hit[1] == "note"  # a page per item at loop-trips: 10 us, the model's consumption price
    # fixed: the consumed prefix deleted in place (amortised O(1) on a bytearray)
    assert slices(FRAMES.replace("self._data = self._data[4 + size:]", "del self._data[:4 + size]")) == []
    # near miss: a prefix kept (`buf[:n]`), not the rest
    assert slices(FRAMES.replace("self._data = self._data[4 + size:]", "self._data = self._data[:4 + size]")) == []
    # near miss: an attribute the file does not make bytes
    assert slices(FRAMES.replace("self._data = bytearray()", "self._data = make()")) == []
    # near miss: the same slice in an ordinary method, run once per call
    assert slices(FRAMES.replace("def __next__(self):", "def pop(self):")) == []
