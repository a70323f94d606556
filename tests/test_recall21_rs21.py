"""Session twenty-one, rebuild family: pybird's _socket_query (20c/pybird, bench/realbugs.toml,
pybird-socket-query-bytes-concat-per-recv) read a BIRD control-socket reply in a `while True`
loop that grew a local bytes object by one 1 KiB recv a trip and, before every read, searched
the whole reply so far for each status code (`data.find(...)` in an any() over a list
comprehension). PFL306's rescan form only knew a buffer attribute grown by another method and
searched once per call, so the loop's own rescan went unreported (PFL203 saw the growth, a
note). PFL306 now also reports a local str/bytes/bytearray grown in a loop (`+=`, `x = x +
piece`, `extend`, `append` on a bytearray) and searched from its start in the same loop
(`find`/`index`/`rfind`/`count` with no start, an `in` test, a compiled pattern's `search`/
`match`/`findall`/`finditer` or `re.search(p, buf)`), unless the loop cuts, rebinds or empties
it. It is priced like the attribute form: a search per trip x what the buffer holds on average,
from the loops it grows in (a stream read in 1 KiB chunks: 64 reads of data-bytes).

Near misses stay quiet: the fixed loop, which searches only the tail of the last read; a
read-until-newline loop (a one-character needle is a memchr, and a line break alone marks a line
or a header block, not a large reply); a splitter that cuts the buffer after each match; a search
from a kept position. Every test but the quiet ones fails on the code before the change."""

from __future__ import annotations

from conftest import rule_findings


def seen(source: str):
    return [(f.line, f.severity, f.message) for f in rule_findings({"m.py": source}, "PFL306") if f.path == "m.py"]


BUGGY = '''
import socket


class PyBird:
    error_fields = (13, 19, 8001, 8002, 8003, 9000, 9001, 9002)
    success_fields = (0, 3, 4, 18, 20)

    def __init__(self, socket_file):
        self.socket_file = socket_file

    def _socket_query(self, query):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.socket_file)
        sock.send(query)
        data = b""
        while True:
            if any(
                [
                    data.find(f"\\n{code:04}".encode()) != -1
                    for code in self.error_fields + self.success_fields
                ]
            ):
                break
            this_read = sock.recv(1024)
            if not this_read:
                raise ValueError("Could not read additional data from BIRD")
            data += this_read
        sock.close()
        return data.decode("utf-8")

    def get_status(self):
        return self._socket_query(b"show status\\n")
'''

FIXED = '''
import socket


class PyBird:
    error_fields = (13, 19, 8001, 8002, 8003, 9000, 9001, 9002)
    success_fields = (0, 3, 4, 18, 20)

    def _socket_query(self, query):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(self.socket_file)
        sock.send(query)
        data = []
        while True:
            this_read = sock.recv(1024 * 1024)
            if not this_read:
                raise ValueError("Could not read additional data from BIRD")
            data.append(this_read)
            if len(this_read) > 256:
                tail = this_read[-256:].decode("utf-8")
            else:
                tail = b"".join(data[-2:])[-256:].decode("utf-8")
            if any([tail.find(f"\\n{code:04}") != -1 for code in self.error_fields + self.success_fields]):
                break
        sock.close()
        return b"".join(data).decode("utf-8")
'''

MESSAGE = ("data.find() searches data from its start on every trip of the loop that grows it, and nothing in the "
           "loop cuts data: each trip scans again the bytes the trips before it scanned, quadratic in what data holds")


def test_reply_searched_whole_before_every_read_is_reported():
    assert seen(BUGGY) == [(20, "warning", MESSAGE)]


def test_fixed_loop_that_searches_the_tail_is_quiet():
    assert seen(FIXED) == []


REGEX = '''
import re

END = re.compile(rb"\\r\\n\\\\.\\r\\n")


def read_article(sock):
    buf = bytearray()
    while True:
        chunk = sock.recv(1024)
        if not chunk:
            break
        buf.extend(chunk)
        if END.search(buf):
            break
    return bytes(buf)
'''


def test_pattern_searched_over_a_growing_bytearray_is_reported():
    assert seen(REGEX) == [(14, "error", "END.search() searches buf from its start on every trip of the loop that "
                                         "grows it, and nothing in the loop cuts buf: each trip scans again the bytes "
                                         "the trips before it scanned, quadratic in what buf holds")]


NEAR_MISSES = '''
def read_line(sock):
    data = b""
    while True:
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
        if b"\\n" in data:
            break
    return data


def read_headers(sock):
    data = b""
    while True:
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
        if data.find(b"\\r\\n\\r\\n") != -1:
            break
    return data


def split_messages(sock):
    data = b""
    while True:
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
        while b"\\0\\0" in data:
            msg, data = data.split(b"\\0\\0", 1)
            yield msg


def resume(sock):
    data = b""
    searched = 0
    while True:
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
        if data.find(b"\\n0000", searched) != -1:
            break
        searched = max(0, len(data) - 4)
    return data


def reset_per_message(sock):
    data = b""
    while True:
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
        if b"END." in data:
            handle(data)
            data = b""
'''


def test_line_reads_splitters_kept_positions_and_resets_are_quiet():
    assert seen(NEAR_MISSES) == []


DISTINCT = '''
def levels(blocks):
    nest = b""
    out = []
    for b in blocks:
        mark = b["underline"]
        if mark not in nest:
            nest += mark
        out.append(nest.index(mark) + 1)
    return out
'''


def test_text_grown_only_by_what_it_lacks_is_quiet():
    # mercurial's minirst keeps the heading underline characters seen so far in a bytes
    # object: it grows by one distinct character at most, not by a read a trip
    assert seen(DISTINCT) == []
