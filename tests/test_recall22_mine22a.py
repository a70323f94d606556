"""Session twenty-two, alloc family: py2hwsw's console (IObundle/py2hwsw, bench/realbugs.toml,
py2hwsw-serial-read-bytes-concat-per-byte) received a file over a serial line with a reader
that took one byte a trip (`byte = ser.read(1)`), grew a local bytes object with it and counted
the bytes in `i` until `i` reached the size it was asked for. PFL203 saw the growth, but the
loop's bound was unknown (`loop-trips`, 100 steps of one byte: 130 ns, a note), while the loop
reads as many bytes as the data holds: a megabyte file made the console drop bytes.

A loop whose every trip reads a size the code spells out from a stream and moves a counter on by
exactly that many bytes (`i += 1`, `i = i + 1`, `got += len(chunk)`), until the counter reaches
a size the code does not spell out, counts the bytes of the data: it now walks the data
(data-bytes / bytes a trip), as a stream read to its end does. The same holds for `for _ in
range(n)` with one `read(1)` a trip (or `range(0, n, s)` with `read(s)`).

Near misses stay as they were (a note at most): a bound the code spells out (`while i < 4`, a
module constant: a fixed-size field), a read inside an `if` of the body or a second read per
trip, a counter that moves by something other than the read (a record's length), a read of a
size the code does not spell out, and the fixed reader (a list joined once). The tests of the
buggy shapes fail on the code before the change."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources

from conftest import rule_findings


def seen(source: str):
    return [(f.line, f.severity, f.message) for f in rule_findings({"m.py": source}, "PFL203") if f.path == "m.py"]


def walks(source: str):
    return [step.note for f in lint_sources({"m.py": source}, select=("PFL203",), config=Config(min_severity="note"))
            for step in f.trace if "loop" in step.note]


GROWS = "bytes 'data' grows by concatenation in a loop: every step copies all the bytes so far"

BUGGY = '''
ser = None


def serial_read(number_of_bytes):
    data = b""
    i = 0
    while i < number_of_bytes:
        byte = ser.read(1)
        data += byte
        i = i + 1
    return data
'''

FIXED = '''
ser = None


def serial_read(number_of_bytes):
    data_bytes = []
    i = 0
    while i < number_of_bytes:
        data_bytes.append(ser.read(1))
        i = i + 1
    return b"".join(data_bytes)
'''


def test_counted_byte_reader_grown_a_byte_a_trip_is_reported():
    assert seen(BUGGY) == [(10, "error", GROWS)]
    assert walks(BUGGY) == ["while loop, x65536 (reads number_of_bytes bytes from a stream, 1 a trip (ser.read(1)), "
                            "counted in i: data-bytes 65536 / 1)"]


def test_fixed_reader_that_joins_a_list_is_quiet():
    assert seen(FIXED) == []


OTHER_FORMS = '''
def recv_exactly(sock, size):
    buf = b""
    got = 0
    while got < size:
        chunk = sock.recv(16)
        buf += chunk
        got += len(chunk)
    return buf


def read_bytes(stream, n):
    data = b""
    for _ in range(n):
        data += stream.read(1)
    return data
'''


def test_counted_chunk_reader_and_ranged_byte_reader_are_reported():
    assert seen(OTHER_FORMS) == [(7, "warning", "bytes 'buf' grows by concatenation in a loop: every step copies "
                                                "all the bytes so far"),
                                 (15, "error", GROWS)]


NEAR_MISSES = '''
import struct

HEADER = 16


def read_u32(stream):
    data = b""
    i = 0
    while i < 4:
        data += stream.read(1)
        i += 1
    return data


def read_header(stream):
    data = b""
    i = 0
    while i < HEADER:
        data += stream.read(1)
        i += 1
    return data


def read_escaped(stream, size):
    data = b""
    i = 0
    while i < size:
        if data.endswith(b"\\\\"):
            data += stream.read(1)
        i += 1
    return data


def read_records(stream, end):
    data = b""
    pos = 0
    while pos < end:
        head = stream.read(12)
        p1, p2, length = struct.unpack(">lll", head)
        data += head
        pos += 12 + length
    return data


def read_buffered(stream, size, bufsize):
    data = b""
    got = 0
    while got < size:
        chunk = stream.read(bufsize)
        data += chunk
        got += len(chunk)
    return data
'''


def test_fixed_sizes_conditional_reads_records_and_unsized_reads_keep_their_bound():
    assert [(line, severity) for line, severity, _ in seen(NEAR_MISSES)] == [
        (11, "note"), (20, "note"), (30, "note"), (41, "note"), (51, "note")]
    assert walks(NEAR_MISSES) == ["while loop, x100 (unknown bound: loop-trips)"] * 5
