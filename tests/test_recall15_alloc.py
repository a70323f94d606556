"""Session fifteen, alloc family: a bytes attribute cut to its tail once per call of a method,
the call repeated by a loop of its caller (pika's Connection._trim_frame_buffer, called per
frame by _on_data_available's loop over the frames of one read; bench/realbugs.toml). The
buggy form, the fixed form and near misses; each test fails on the code before the change
(PFL204 reported an attribute's tail slice only in __next__)."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources

MESSAGE = "copies the rest of the bytes on every call, and a caller calls it in a loop"


def slices(src):
    return [(f.line, f.severity, f.message) for f in
            lint_sources({"m.py": src}, select=("PFL204",), config=Config(min_severity="note"))
            if f.rule == "PFL204" and f.path == "m.py"]


# -- a frame buffer trimmed by a helper once per frame the caller's loop decodes ------------
FRAMES = '''
class Connection:
    def __init__(self):
        self._buffer: bytes = b""
        self.received = 0

    def data_available(self, data: bytes) -> None:
        self._buffer += data
        while self._buffer:
            used, frame = self._read_frame()
            if not frame:
                return
            self._trim(used)
            self._process(frame)

    def _read_frame(self):
        size = self._buffer[0]
        return size + 1, self._buffer[1:size + 1]

    def _process(self, frame):
        print(frame)

    def _trim(self, count: int) -> None:
        self._buffer = self._buffer[count:]
        self.received += count
'''


def test_tail_cut_per_call_in_a_callers_loop() -> None:
    (hit,) = slices(FRAMES)
    assert hit[0] == 24 and "in _trim() " + MESSAGE in hit[2]
    # The frames one read holds are the while loop's trips, unknown here (loop-trips, 100):
    # 100 calls copy 3,200 bytes each on average, 7.85 us per unit of work: a note.
    assert hit[1] == "note"
    # fixed: a bytearray whose consumed prefix is deleted in place
    fixed = FRAMES.replace('self._buffer: bytes = b""', "self._buffer = bytearray()") \
        .replace("self._buffer = self._buffer[count:]", "del self._buffer[:count]")
    assert slices(fixed) == []


def test_tail_cut_per_call_in_a_long_counted_loop_is_a_warning() -> None:
    # 2,000 records taken off one buffer: 2,000 calls copy 64,000 bytes each on average
    counted = FRAMES.replace("        while self._buffer:\n", "        for _ in range(2000):\n")
    (hit,) = slices(counted)
    assert hit[0] == 24 and hit[1] == "warning"


def test_tail_cut_near_misses_stay_quiet() -> None:
    # nothing calls the helper in a loop: one cut per call of its caller
    once = FRAMES.replace("        while self._buffer:\n            used", "        if self._buffer:\n            used")
    assert slices(once) == []
    # the method grows the buffer and cuts what it parsed: each call holds one call's data
    grows = FRAMES.replace("    def _trim(self, count: int) -> None:\n",
                           "    def _trim(self, count: int, more=b'') -> None:\n        self._buffer += more\n")
    assert slices(grows) == []
    # the method refills the buffer when it runs dry: a fresh buffer per read
    refills = FRAMES.replace("    def _trim(self, count: int) -> None:\n",
                             "    def _trim(self, count: int) -> None:\n        if not self._buffer:\n"
                             "            self._buffer = self.sock.recv(4096)\n")
    assert slices(refills) == []
    # a prefix kept (`buf[:n]`), not the rest
    assert slices(FRAMES.replace("self._buffer[count:]", "self._buffer[:count]")) == []
    # an attribute the file does not make bytes
    assert slices(FRAMES.replace('self._buffer: bytes = b""', "self._buffer = make()")) == []
