"""Session twenty-two, alloc family: a byte buffer made per call sits two unknown loops deep in
its callers. ubi_reader's `_process_reg_file` (onekey-sec/ubi_reader) grew a local `b''` once
per data node of a file, padding holes with zero blocks of a constant size, and is called per
file of a directory walk (heat 1,000); traceml's `_drain_frames` (traceopt-ai/traceml) rebound
the receive buffer to its tail after each 4-byte length header and each frame, and is called per
receive of a per-connection loop (heat 1,000). Both were notes: the nesting cap on unknown loops
made the function's own loop count x1, so each growth or cut was priced as one step. The
callers' loops repeat the call; each call builds (or drains) a buffer of its own, so its steps
are its own loops' trips per call. Only buffers started empty in the function (PFL203) or cut
in its loop (PFL204), in a loop that handles records of a size the code spells out (a constant
block, a struct, a read or cut of a literal size), get that pricing: pieces of unknown size alone
may be a few short fields. Our own reduced code; the first test of each pair fails before the
change."""

from __future__ import annotations

import pytest

from conftest import rule_findings


def seen(source: str, rule: str):
    return [(f.line, f.severity, f.message, f.score) for f in rule_findings({"m.py": source}, rule)]


EXTRACT = '''
import os
import zlib

PAGE = 4096


def inflate(kind, raw):
    if kind == 1:
        return zlib.decompress(raw)
    return raw


def unpack_image(image, table, out):
    for entry in table[0].children:
        unpack_entry(image, table, entry, out)


def unpack_entry(image, table, entry, out):
    node = table[entry.number]
    target = os.path.join(out, entry.name)
    if entry.is_dir:
        for child in node.children:
            unpack_entry(image, table, child, target)
    else:
        content = file_content(image, node)
        with open(target, "wb") as f:
            f.write(content)


def file_content(image, node):
    data = b""
    last = -1
    for block in sorted(node.blocks, key=lambda b: b.index):
        while block.index - last > 1:
            data += b"\\x00" * PAGE
            last += 1
        image.seek(block.offset)
        raw = image.read(block.length)
        data += inflate(block.kind, raw)
        last = block.index
    return data
'''

GROWN = "bytes 'data' grows by concatenation in a loop: every step copies all the bytes so far"


def test_per_call_buffer_of_blocks_takes_its_steps_from_its_own_loop():
    # heat 1,000 (100 entries x 10 children); the for loop's 100 steps of 64 bytes per call:
    # 8.33 us a call (before: one step of 64 bytes, 0.83 ns a call, a note)
    found = seen(EXTRACT, "PFL203")
    assert [(line, severity, message) for line, severity, message, _ in found] == [
        (36, "warning", GROWN), (40, "warning", GROWN)]
    assert all(score == pytest.approx(8.3264e-3, rel=1e-3) for *_, score in found)


def test_fixed_bytearray_is_quiet():
    fixed = EXTRACT.replace('    data = b""\n', "    data = bytearray()\n").replace(
        "    return data\n", "    return bytes(data)\n")
    assert fixed != EXTRACT
    assert seen(fixed, "PFL203") == []


def test_pieces_of_unknown_size_alone_keep_the_capped_pricing():
    # no block of a spelled-out size in the loop: the pieces may be a handful of short fields
    near = EXTRACT.replace('        while block.index - last > 1:\n            data += b"\\x00" * PAGE\n'
                           '            last += 1\n', "")
    assert near != EXTRACT
    found = seen(near, "PFL203")
    assert [(line, severity, message) for line, severity, message, _ in found] == [(37, "note", GROWN)]
    assert found[0][3] == pytest.approx(8.3264e-7, rel=1e-3)


def test_buffer_started_from_a_header_it_was_given_keeps_the_capped_pricing():
    # started from bytes the caller passes, not empty here: not known to be a buffer of its own
    near = EXTRACT.replace("def file_content(image, node):\n    data = b\"\"\n",
                           "def file_content(image, node):\n    data = image.recv(16)\n")
    assert near != EXTRACT
    found = seen(near, "PFL203")
    assert [(line, severity) for line, severity, _, _ in found] == [(36, "note"), (40, "note")]
    assert all(score < 1e-5 for *_, score in found)


def test_a_function_called_once_is_priced_as_before():
    # no caller loop: its own loops already count in full, and the change never lowers them
    once = EXTRACT.replace("    for entry in table[0].children:\n        unpack_entry(image, table, entry, out)\n",
                           "    unpack_entry(image, table, table[0].children[0], out)\n")
    once = once.replace("        for child in node.children:\n            unpack_entry(image, table, child, target)\n",
                        "        unpack_entry(image, table, node.children[0], target)\n")
    assert once.count("for ") == 1
    found = seen(once, "PFL203")
    # the for loop counts loop-trips, the while inside it nested-loop-trips, at heat 1
    assert [(line, severity) for line, severity, _, _ in found] == [(34, "note"), (38, "note")]
    assert [score for *_, score in found] == [pytest.approx(8.3264e-4, rel=1e-3),
                                                        pytest.approx(8.3264e-6, rel=1e-3)]


SERVER = '''
import socket
import struct
import threading


class Relay:
    def __init__(self, address):
        self.listener = socket.create_server(address)
        self.stopped = threading.Event()
        self.inbox = []

    def start(self):
        threading.Thread(target=self._accept_forever, daemon=True).start()

    def _accept_forever(self):
        while not self.stopped.is_set():
            conn, _ = self.listener.accept()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _frames(self, pending: bytes, size):
        frames = []
        while True:
            if size is None:
                if len(pending) < 4:
                    break
                size = struct.unpack("!I", pending[:4])[0]
                pending = pending[4:]
            if len(pending) < size:
                break
            frames.append(pending[:size])
            pending = pending[size:]
            size = None
        return frames, pending, size

    def _serve(self, conn):
        pending = b""
        size = None
        while not self.stopped.is_set():
            data = conn.recv(65536)
            if not data:
                break
            pending += data
            frames, pending, size = self._frames(pending, size)
            self.inbox.extend(frames)
'''

# The server's frame loop: a length header, then the frame, each cut off the front.
LENGTH_HEADER_WALK = '''        while True:
            if size is None:
                if len(pending) < 4:
                    break
                size = struct.unpack("!I", pending[:4])[0]
                pending = pending[4:]
            if len(pending) < size:
                break
            frames.append(pending[:size])
            pending = pending[size:]
            size = None'''
assert LENGTH_HEADER_WALK in SERVER

CUT = ("'pending = pending[...]' in a loop copies the rest of the bytes on every step: quadratic in the "
       "number of steps; keep an offset or a memoryview")


def consumed(source: str):
    return [(line, severity, score) for line, severity, message, score in seen(source, "PFL204") if message == CUT]


def test_buffer_cut_by_length_headers_takes_its_steps_from_its_own_loop():
    # heat 1,000 (accept loop x100, receive loop x10); a page copied per frame, 100 frames per
    # call: 10 us a call (before: one step, 0.1 us, a note)
    assert consumed(SERVER) == [(28, "note", pytest.approx(1.00516e-5, rel=1e-3)),
                                (32, "error", pytest.approx(1.00516e-2, rel=1e-3))]


def test_fixed_offset_walk_is_quiet():
    fixed = SERVER.replace(f'''        frames = []\n{LENGTH_HEADER_WALK}\n        return frames, pending, size''', '''        frames = []
        offset = 0
        while True:
            if size is None:
                if len(pending) - offset < 4:
                    break
                size = struct.unpack_from("!I", pending, offset)[0]
                offset += 4
            if len(pending) - offset < size:
                break
            frames.append(pending[offset:offset + size])
            offset += size
            size = None
        return frames, pending[offset:], size''')
    assert fixed != SERVER
    assert consumed(fixed) == []
    assert all(severity == "note" for _, severity, _, _ in seen(fixed, "PFL204"))


def test_lines_cut_at_a_searched_delimiter_keep_the_capped_pricing():
    # no record of a spelled-out size: the loop may take a few short lines off a small buffer
    near = SERVER.replace(LENGTH_HEADER_WALK, '''        while True:
            end = pending.find(b"\\n")
            if end < 0:
                break
            frames.append(pending[:end])
            pending = pending[end + 1:]''')
    assert near != SERVER
    assert consumed(near) == [(28, "note", pytest.approx(1.00516e-4, rel=1e-3))]


PIPE = '''
import os
import selectors
import subprocess


def lock_all(folders):
    for folder in folders:
        for name in os.listdir(folder):
            run(["chattr", "+i", os.path.join(folder, name)])


def run(args):
    proc = subprocess.Popen(args, stdout=subprocess.PIPE)
    out = b""
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select(1):
            chunk = key.fileobj.read(32768)
            if chunk:
                out += chunk
        if proc.poll() is not None:
            break
    return out
'''


def test_per_call_buffer_beside_a_process_per_call_is_dwarfed_per_call():
    # read in 32 KiB chunks, at most data-bytes per call: one call copies 64 KiB (1.7 us), 0.14%
    # of the process it reads from (1.24 ms a call); compared per call, not per counted step
    found = seen(PIPE, "PFL203")
    assert [(line, severity) for line, severity, _, _ in found] == [(22, "note")]
    assert found[0][3] == pytest.approx(1.7053e-3, rel=1e-3)


def test_per_call_buffer_of_a_pipe_it_was_given_is_a_warning():
    near = PIPE.replace("    proc = subprocess.Popen(args, stdout=subprocess.PIPE)\n", "    proc = args\n")
    assert near != PIPE
    found = seen(near, "PFL203")
    assert [(line, severity) for line, severity, _, _ in found] == [(22, "warning")]
    assert found[0][3] == pytest.approx(1.7053e-3, rel=1e-3)
