"""Measure what one execution of each smell costs on this machine, beyond its fix.

`perflint calibrate` and `bench/costs.py` both run these. Each measurement times the smell
and its fix with the same workload and keeps the difference (never below zero), so a cost
is "seconds wasted per execution", which is what the score multiplies by frequency.
Measurements run the standard library only (sqlite3, os, copy, json, re, struct, ast):
nothing of the scanned project is imported or run.
"""

from __future__ import annotations

import ast
import bisect
import collections
import copy
import gc
import importlib.metadata
import itertools
import json
import os
import random
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

# A measurement returns (cost of the smell, cost of the fix), in seconds per execution.
Measure = Callable[[str], Tuple[float, float]]


@dataclass(frozen=True)
class CostSpec:
    """One entry of the cost table: what is measured, and per what."""

    key: str
    what: str  # the smell, as the table prints it
    fix: str  # what it is compared with
    per: str  # "execution", or the unit of the size term ("element", "byte", "row")
    estimated: bool = False  # True: not measurable here (a network round trip), a documented estimate
    # why an estimate is not measured by calibrate (docs/scoring.md's cost table says so)
    unmeasured: str = "no server to measure here"


def _best(fn: Callable[[], object], number: int, repeat: int = 5) -> float:
    """Best of `repeat` runs of `number` calls, per call: the least disturbed by a busy machine."""
    best = float("inf")
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            best = min(best, (time.perf_counter() - start) / number)
    finally:
        if gc_was:
            gc.enable()
    return best


def _number(fn: Callable[[], object], budget: float = 0.05) -> int:
    """How many calls fill about `budget` seconds (at least 1)."""
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, min(200_000, int(budget / once)))


def _pair(smell: Callable[[], object], fix: Callable[[], object], per: int = 1) -> Tuple[float, float]:
    n = _number(smell)
    m = _number(fix)
    return _best(smell, n) / per, _best(fix, m) / per


# -- measurements ----------------------------------------------------------------------
def _structure(elements: int) -> dict:
    """A parsed-tree-like structure of about `elements` containers and scalars."""
    rows = max(1, elements // 5)
    return {"nodes": [{"id": i, "kind": "col", "name": f"c{i}", "args": [i, i + 1]} for i in range(rows)]}


def _deepcopy(tmp: str) -> Tuple[float, float]:
    data = _structure(500)
    return _pair(lambda: copy.deepcopy(data), lambda: None, per=500)


def _deepcopy_scalars(tmp: str) -> Tuple[float, float]:
    """copy.deepcopy of a tuple of ten scalars (floats, short strings, ints): it deep-copies each
    item (each an atom, handed back) and returns the same tuple; per element, the tuple and its
    items (11). The walk's fixed work (the memo, the dispatch) is spread over them: a tuple of one
    float costs about as much as four of its elements, a hundred floats about two thirds of theirs."""
    data = (0.5, 1.5, 2.5, 3.5, 4.5, "Fe", "Ni", "O", 7, 8)
    return _pair(lambda: copy.deepcopy(data), lambda: data, per=11)


def _json_roundtrip(tmp: str) -> Tuple[float, float]:
    data = _structure(500)
    return _pair(lambda: json.loads(json.dumps(data)), lambda: None, per=500)


def _parse_python(tmp: str) -> Tuple[float, float]:
    text = "def f(a, b):\n    return [x * a for x in range(b) if x % 3]\n" * 20  # ~1.2 KB
    return _pair(lambda: ast.parse(text), lambda: None, per=len(text))


def _parse_json(tmp: str) -> Tuple[float, float]:
    text = json.dumps(_structure(500))
    return _pair(lambda: json.loads(text), lambda: None, per=len(text))


def _regex_compile(tmp: str) -> Tuple[float, float]:
    counter = [0]

    def uncached() -> None:
        counter[0] += 1
        re.compile(rf"(?P<key>[a-z_]+)\s*=\s*(?P<value>\d+|'[^']*'){counter[0]}")

    pattern = re.compile(r"(?P<key>[a-z_]+)\s*=\s*(?P<value>\d+|'[^']*')")
    return _pair(uncached, lambda: pattern.pattern)


def _regex_cached(tmp: str) -> Tuple[float, float]:
    """re.compile of the same text again: the re module's own cache answers (512 patterns)."""
    text = r"(?P<key>[a-z_]+)\s*=\s*(?P<value>\d+|'[^']*')"
    pattern = re.compile(text)
    return _pair(lambda: re.compile(text), lambda: pattern.pattern)


def _regex_table_cached(tmp: str) -> Tuple[float, float]:
    """re.compile of each pattern of a table of 36 (a DSMR telegram specification's OBIS
    signatures) on every pass, all answered by re's cache, against a dict of the patterns
    compiled once: per pattern of the table."""
    table = [rf"\d-\d:{a}\.{b}\.{c}.+?\r\n" for a in (1, 2, 24, 96) for b in (7, 8, 9) for c in (0, 1, 2)]
    compiled = {signature: re.compile(signature, re.DOTALL) for signature in table}

    def each() -> None:
        for signature in table:
            re.compile(signature, re.DOTALL)

    def kept() -> None:
        for signature in table:
            compiled[signature]

    return _pair(each, kept, per=len(table))


def _alphabet_index(tmp: str) -> Tuple[float, float]:
    """str.index of each character of a text in a constant 45-character alphabet (base45's),
    against a dict from character to position built once: per lookup."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    positions = {c: i for i, c in enumerate(alphabet)}
    text = "".join(alphabet[(i * 17) % len(alphabet)] for i in range(1400))  # every position alike

    def each() -> None:
        for c in text:
            alphabet.index(c)

    def kept() -> None:
        for c in text:
            positions[c]

    return _pair(each, kept, per=len(text))


def _sql_text(tmp: str) -> Tuple[float, float]:
    conn = sqlite3.connect(":memory:", cached_statements=128)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"n{i}") for i in range(1000)])
    counter = [0]

    def formatted() -> None:
        counter[0] = (counter[0] + 1) % 1000
        conn.execute(f"SELECT name FROM t WHERE id = {counter[0]}").fetchone()

    def bound() -> None:
        counter[0] = (counter[0] + 1) % 1000
        conn.execute("SELECT name FROM t WHERE id = ?", (counter[0],)).fetchone()

    try:
        return _pair(formatted, bound)
    finally:
        conn.close()


def _query(tmp: str) -> Tuple[float, float]:
    """One indexed query per item versus one IN query for 100 items (per item)."""
    conn = sqlite3.connect(os.path.join(tmp, "q.db"))
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"n{i}") for i in range(1000)])
    conn.commit()
    ids = list(range(0, 1000, 10))
    marks = ",".join("?" * len(ids))

    def per_item() -> None:
        for i in ids:
            conn.execute("SELECT name FROM t WHERE id = ?", (i,)).fetchone()  # perflint: ignore[PFL503] (the smell being measured)

    def batched() -> None:
        conn.execute(f"SELECT id, name FROM t WHERE id IN ({marks})", ids).fetchall()

    try:
        return _pair(per_item, batched, per=len(ids))
    finally:
        conn.close()


def _scan_row(tmp: str) -> Tuple[float, float]:
    """Visiting one row of a table in Python (a full scan), versus an index lookup."""
    rows = [{"id": i, "name": f"n{i}"} for i in range(1000)]
    index = {r["id"]: r for r in rows}

    def scan() -> object:
        for r in rows:
            if r["id"] == 999:
                return r
        return None

    return _pair(scan, lambda: index.get(999), per=len(rows))


def _table_scan_row(tmp: str) -> Tuple[float, float]:
    """A full table scan in a storage engine written in Python, per row: a cursor reads each
    4 KiB page from the file and decodes each row column by column (a type tag, then the
    value) into a tuple, and the caller compares its key; versus an index probe."""
    tag = struct.Struct("<B")
    integer = struct.Struct("<q")
    length = struct.Struct("<H")
    path = os.path.join(tmp, "table.bin")

    def encode(values: Tuple[object, ...]) -> bytes:
        out = bytearray(length.pack(len(values)))
        for value in values:
            if isinstance(value, int):
                out += tag.pack(1) + integer.pack(value)
            else:
                data = str(value).encode()
                out += tag.pack(2) + length.pack(len(data)) + data
        return bytes(out)

    pages: List[bytes] = []
    index: Dict[int, Tuple[int, int]] = {}
    page = bytearray()
    for i in range(1000):
        record = encode((i, f"user-{i:06d}", (i * 7919) % 1000, f"c{i % 7}"))
        if len(page) + len(record) > 4094:
            pages.append(bytes(page).ljust(4096, b"\0"))
            page = bytearray()
        index[i] = (len(pages), len(page))
        page += record
    pages.append(bytes(page).ljust(4096, b"\0"))
    with open(path, "wb") as f:
        f.write(b"".join(pages))
    fd = os.open(path, os.O_RDONLY)

    def decode(data: bytes, offset: int) -> Tuple[Tuple[object, ...], int]:
        (ncols,) = length.unpack_from(data, offset)
        offset += length.size
        values: List[object] = []
        for _ in range(ncols):
            (kind,) = tag.unpack_from(data, offset)
            offset += tag.size
            if kind == 1:
                values.append(integer.unpack_from(data, offset)[0])
                offset += integer.size
            else:
                (size,) = length.unpack_from(data, offset)
                offset += length.size
                values.append(data[offset:offset + size].decode())  # perflint: ignore[PFL204] (the smell being measured)
                offset += size
        return tuple(values), offset

    def cursor():
        for number in range(len(pages)):
            data = os.pread(fd, 4096, number * 4096)
            offset = 0
            while offset + length.size <= 4096 and length.unpack_from(data, offset)[0]:
                row, offset = decode(data, offset)
                yield row

    def scan() -> object:
        return [row for row in cursor() if row[0] == 999]

    def probe() -> object:
        number, offset = index[999]
        return [decode(os.pread(fd, 4096, number * 4096), offset)[0]]

    try:
        return _pair(scan, probe, per=1000)
    finally:
        os.close(fd)


def _fetch_row(tmp: str) -> Tuple[float, float]:
    """Fetching a row into Python to filter it there, versus letting WHERE filter it."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, status TEXT, name TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, "x" if i % 100 == 0 else "y", f"n{i}") for i in range(1000)])
    conn.execute("CREATE INDEX t_status ON t (status)")

    def fetch_all() -> None:
        [r for r in conn.execute("SELECT * FROM t").fetchall() if r[1] == "x"]

    def where() -> None:
        conn.execute("SELECT * FROM t WHERE status = ?", ("x",)).fetchall()

    try:
        return _pair(fetch_all, where, per=1000)
    finally:
        conn.close()


def _count_row(tmp: str) -> Tuple[float, float]:
    """A row counted past the first: SELECT COUNT(*) over the 1,000 rows an indexed WHERE
    matches, only to test it for truth, versus SELECT 1 ... LIMIT 1, per matching row (SQLite in
    memory: the index walk alone; a server counting a heap or an index-only scan costs more)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, status TEXT, name TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, "x" if i % 2 == 0 else "y", f"n{i}") for i in range(2000)])
    conn.execute("CREATE INDEX t_status ON t (status)")

    def count() -> None:
        conn.execute("SELECT COUNT(*) FROM t WHERE status = ?", ("x",)).fetchone()[0]

    def exists() -> None:
        conn.execute("SELECT 1 FROM t WHERE status = ? LIMIT 1", ("x",)).fetchone()

    try:
        return _pair(count, exists, per=1000)
    finally:
        conn.close()


def _list_membership(tmp: str) -> Tuple[float, float]:
    items = [f"k{i}" for i in range(1000)]
    as_set = set(items)
    probe = "missing"
    return _pair(lambda: probe in items, lambda: probe in as_set, per=len(items))


def _sync_file(tmp: str, sync: Callable[[int], None]) -> Callable[[], None]:
    path = os.path.join(tmp, f"sync-{sync.__name__}.bin")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    # Preallocated and synced once: in-place writes change no size, as in a page file, so
    # fdatasync may skip the metadata that fsync must write.
    os.pwrite(fd, bytes(4096 * 256), 0)
    os.fsync(fd)
    block = b"x" * 4096
    state = {"offset": 0}

    def write_and_sync() -> None:
        os.pwrite(fd, block, state["offset"])
        state["offset"] = (state["offset"] + 4096) % (4096 * 256)
        sync(fd)

    write_and_sync.fd = fd  # type: ignore[attr-defined]
    return write_and_sync


def _fsync(tmp: str) -> Tuple[float, float]:
    """fsync after a 4 KiB write, versus the write alone (the sync amortised away)."""
    smell = _sync_file(tmp, os.fsync)
    fix = _sync_file(tmp, lambda fd: None)
    try:
        return _best(smell, 30, repeat=5), _best(fix, 30, repeat=5)
    finally:
        os.close(smell.fd)  # type: ignore[attr-defined]
        os.close(fix.fd)  # type: ignore[attr-defined]


def _fsync_vs_fdatasync(tmp: str) -> Tuple[float, float]:
    datasync = getattr(os, "fdatasync", os.fsync)
    smell = _sync_file(tmp, os.fsync)
    fix = _sync_file(tmp, datasync)
    try:
        return _best(smell, 30, repeat=5), _best(fix, 30, repeat=5)
    finally:
        os.close(smell.fd)  # type: ignore[attr-defined]
        os.close(fix.fd)  # type: ignore[attr-defined]


def _commit(tmp: str) -> Tuple[float, float]:
    """sqlite3 on a file: a commit per INSERT, versus one commit for 100 INSERTs (per row)."""
    conn = sqlite3.connect(os.path.join(tmp, "commit.db"))
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.commit()
    counter = [0]

    def per_row() -> None:
        for _ in range(20):
            counter[0] += 1
            conn.execute("INSERT INTO t (v) VALUES (?)", (str(counter[0]),))  # perflint: ignore[PFL503] (the smell being measured)
            conn.commit()  # perflint: ignore[PFL402] (the smell being measured)

    def batched() -> None:
        for _ in range(20):
            counter[0] += 1
            conn.execute("INSERT INTO t (v) VALUES (?)", (str(counter[0]),))  # perflint: ignore[PFL503] (the smell being measured)
        conn.commit()

    try:
        return _best(per_row, 3, repeat=3) / 20, _best(batched, 3, repeat=3) / 20
    finally:
        conn.close()


def _connect(tmp: str) -> Tuple[float, float]:
    """sqlite3.connect + first query + close per operation, versus a kept connection."""
    path = os.path.join(tmp, "connect.db")
    with sqlite3.connect(path) as setup:
        for i in range(10):
            setup.execute(f"CREATE TABLE IF NOT EXISTS t{i} (id INTEGER PRIMARY KEY, v TEXT)")
    kept = sqlite3.connect(path)

    def per_op() -> None:
        conn = sqlite3.connect(path)
        conn.execute("SELECT v FROM t0 WHERE id = 1").fetchone()
        conn.close()

    try:
        return _pair(per_op, lambda: kept.execute("SELECT v FROM t0 WHERE id = 1").fetchone())
    finally:
        kept.close()


def _open_file(tmp: str) -> Tuple[float, float]:
    path = os.path.join(tmp, "open.txt")
    with open(path, "w") as f:
        f.write("x" * 100)
    kept = open(path)

    def per_op() -> None:
        with open(path) as f:
            f.read()

    def reuse() -> None:
        kept.seek(0)
        kept.read()

    try:
        return _pair(per_op, reuse)
    finally:
        kept.close()


def _schema_read(tmp: str) -> Tuple[float, float]:
    """Re-reading a 10-table schema from the catalog, versus comparing a schema cookie."""
    conn = sqlite3.connect(os.path.join(tmp, "schema.db"))
    for i in range(10):
        conn.execute(f"CREATE TABLE IF NOT EXISTS t{i} (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c REAL)")
    conn.commit()

    def reread() -> None:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            conn.execute(f"PRAGMA table_info({name})").fetchall()  # perflint: ignore[PFL303] (the smell being measured)

    def cookie() -> None:
        conn.execute("PRAGMA schema_version").fetchone()

    try:
        return _pair(reread, cookie)
    finally:
        conn.close()


def _whole_file_dump(tmp: str) -> Tuple[float, float]:
    """Rewriting a 100-item JSON store per write, versus appending the one item (per item of state)."""
    path = os.path.join(tmp, "store.json")
    state = {f"key{i}": {"value": i, "tags": ["a", "b"]} for i in range(100)}

    def rewrite() -> None:
        with open(path, "w") as f:
            json.dump(state, f)

    log = open(os.path.join(tmp, "store.log"), "a")

    def append() -> None:
        log.write(json.dumps({"key7": state["key7"]}) + "\n")

    try:
        return _pair(rewrite, append, per=len(state))
    finally:
        log.close()


def _buffer_alloc(tmp: str) -> Tuple[float, float]:
    reused = bytearray(4096)

    def fresh() -> None:
        buf = bytearray(4096)
        buf[0] = 1

    def reuse() -> None:
        reused[0] = 1

    return _pair(fresh, reuse)


def _struct_format(tmp: str) -> Tuple[float, float]:
    data = b"\x01\x00\x00\x00\x02\x00\x03\x00" * 2
    compiled = struct.Struct("<IHH")
    return _pair(lambda: struct.unpack_from("<IHH", data, 0), lambda: compiled.unpack_from(data, 0))


# A record layout as a flat table of (field name, struct format) pairs; the 13-field table is
# a 44-byte game-map sprite record (three ints, then shorts and packed bytes).
_LAYOUT_FORMATS = ("iii", "h", "h", "bBBB", "BBbb", "h", "h", "h", "h", "hhh", "h", "h", "h")


def struct_layout_table(fields: int) -> tuple:
    """A (name, format, name, format, ...) table of `fields` fields."""
    out: List[str] = []
    for i in range(fields):
        out += [f"field{i}", _LAYOUT_FORMATS[i % len(_LAYOUT_FORMATS)]]
    return tuple(out)


def _group(values: tuple, names, widths) -> dict:
    record = {}
    i = 0
    for name, width in zip(names, widths):
        record[name] = values[i] if width == 1 else list(values[i:i + width])
        i += width
    return record


def unpack_prepared_per_call(order: str, table: tuple, data: bytes) -> dict:
    """The smell: the format and the field widths accumulated from the table on every call."""
    fmt = order
    widths = []
    for k in range(len(table) // 2):
        fmt += table[k * 2 + 1]
        widths.append(len(table[k * 2 + 1]))
    return _group(struct.unpack(fmt, data), table[0::2], widths)


class LayoutPrepared:
    """The fix: the Struct, the names and the widths prepared once per table."""

    def __init__(self, order: str, table: tuple) -> None:
        self.struct = struct.Struct(order + "".join(table[1::2]))
        self.names = table[0::2]
        self.widths = [len(f) for f in table[1::2]]

    def unpack(self, data: bytes) -> dict:
        return _group(self.struct.unpack(data), self.names, self.widths)


def _struct_layout(tmp: str) -> Tuple[float, float]:
    """A 13-field, 44-byte record unpacked into a dict by field, its format and widths built
    from the table per call, against a Struct and widths prepared once (bench/struct_layout.py
    prints other table sizes). On the reference machine, shared with other work, eleven runs of
    this measurement gave 0.9-2.0 us wasted (median 1.5 us; the smell 2.6-4.4 us, the fix
    1.3-2.6 us): the shipped figure is that median. build-engine-randomizer's fancy_unpack did
    the same with a less direct grouping loop, 4.3 us against 1.6 us prepared (2026-12-03)."""
    table = struct_layout_table(13)
    prepared = LayoutPrepared("<", table)
    data = bytes(prepared.struct.size)
    return _pair(lambda: unpack_prepared_per_call("<", table, data), lambda: prepared.unpack(data))


def _copy_byte(tmp: str) -> Tuple[float, float]:
    """Copying one byte of a slice (or of a concatenation), versus a memoryview slice."""
    data = bytes(64 * 1024)
    view = memoryview(data)
    return _pair(lambda: data[1:], lambda: view[1:], per=len(data) - 1)


def _list_copy(tmp: str) -> Tuple[float, float]:
    """Copying one element of a list slice that is only searched (`any(... for x in
    items[i:])`, a `for` that returns on a match), versus an itertools.islice of the list:
    the slice allocates and increfs every element, the search may stop at the first."""
    items = [object() for _ in range(1024)]
    return _pair(lambda: items[1:], lambda: itertools.islice(items, 1, None), per=len(items) - 1)


def _list_shift(tmp: str) -> Tuple[float, float]:
    """list.pop(0) of a list of 10,000 elements, an element appended back each round to keep its
    length (the pop moves the 9,999 behind the first one slot), against a deque's popleft() and
    append(): per element moved. 10,000 elements: a queue long enough to matter (a list of 1,000
    fits the first-level cache and moves about twice as fast per element)."""
    items = list(range(10_000))
    queue = collections.deque(items)
    return _pair(lambda: items.append(items.pop(0)), lambda: queue.append(queue.popleft()), per=len(items) - 1)


def _dict_copy(tmp: str) -> Tuple[float, float]:
    """Copying one entry of a dict merged into a new one to add a key (`{**d, k: v}`,
    `dict(d, k=v)`: every entry rehashed into a fresh table), versus storing the key in
    place."""
    table = {f"k{i}": i for i in range(1024)}

    def store() -> None:
        table["new"] = 1

    return _pair(lambda: {**table, "new": 1}, store, per=len(table))


_HEADER_TEXT = bytearray((b"X-Header-Name: some header value text 1234\r\n" * 400)[:16384])


def _regex_search(tmp: str) -> Tuple[float, float]:
    """A regex search of a 16 KiB buffer of header lines that does not hold the match (the end
    of the headers, an alternation of line breaks), per byte, versus resuming the search at
    the kept position (the last 64 bytes, what arrived since)."""
    buf = _HEADER_TEXT
    blank_line = re.compile(rb"\r\n\r\n|\r\r|\n\n")
    pos = len(buf) - 64
    return _pair(lambda: blank_line.search(buf), lambda: blank_line.search(buf, pos), per=len(buf))


def _find_byte(tmp: str) -> Tuple[float, float]:
    """bytearray.find of a blank line over the same buffer, per byte, versus from the kept position."""
    buf = _HEADER_TEXT
    pos = len(buf) - 64
    return _pair(lambda: buf.find(b"\r\n\r\n"), lambda: buf.find(b"\r\n\r\n", pos), per=len(buf))


def _str_append(tmp: str) -> Tuple[float, float]:
    """`s += piece` on text held by an attribute (CPython cannot extend it in place), per byte held."""
    class Holder:
        text = ""

    holder = Holder()
    holder.text = "x" * 16384
    piece = "y" * 16

    def grow() -> None:
        holder.text = holder.text[:16384] + piece  # copies what it holds, like += on an attribute

    return _pair(grow, lambda: None, per=16384)


def _entry_points(tmp: str) -> Tuple[float, float]:
    """importlib.metadata.entry_points(group=...) again: every installed distribution's metadata
    is found and read anew; the fix keeps the group's entry points from the first call."""
    kept = tuple(importlib.metadata.entry_points(group="console_scripts"))
    return _pair(lambda: importlib.metadata.entry_points(group="console_scripts"), lambda: kept)


def _process_spawn(tmp: str) -> Tuple[float, float]:
    """Starting a short process and waiting for it: not a smell, the yardstick for costs that
    sit beside one (docs/scoring.md, "dwarfed"). `true` where the system has it."""
    command = [shutil.which("true") or sys.executable] + ([] if shutil.which("true") else ["-c", "pass"])
    return _pair(lambda: subprocess.run(command, check=False), lambda: None)


def _build_element(tmp: str) -> Tuple[float, float]:
    """len() of a list built by constructing a small object per element of a mapping (a record
    converted to a document), versus len() of the mapping itself, per element."""
    class Record:
        __slots__ = ("key", "value")

        def __init__(self, key: str, value: int) -> None:
            self.key = key
            self.value = value

    source = {f"k{i}": i for i in range(1000)}
    return _pair(lambda: len([Record(k, v) for k, v in source.items()]), lambda: len(source), per=len(source))
def _stat_path(tmp: str) -> Tuple[float, float]:
    """os.path.exists() of a file that is there (a stat system call) against the answer kept
    from the first call: a package's own data files do not come and go while it runs."""
    path = os.path.join(tmp, "data.dat")
    with open(path, "w") as f:
        f.write("x")
    kept = os.path.exists(path)
    return _pair(lambda: os.path.exists(path), lambda: kept)


def _signature(tmp: str) -> Tuple[float, float]:
    """inspect.signature() of a plain function of four parameters against the kept Signature:
    a function's parameters do not change after it is defined."""
    import inspect

    def factory(data, /, extra=None, *args, key=None, **kwargs):  # pragma: no cover - inspected only
        return data

    kept = inspect.signature(factory)
    return _pair(lambda: inspect.signature(factory), lambda: kept)


def _stack_frames(depth: int, context: int) -> Tuple[float, float]:
    """inspect.stack(context)[1] taken 40 calls deep against sys._getframe(1) at the same depth,
    per frame of the stack (the harness's own frames included): what reading one caller costs."""
    import inspect

    def deep(n: int, fn: Callable[[], object]) -> object:
        return fn() if n == 0 else deep(n - 1, fn)

    frames = deep(depth, lambda: len(inspect.stack(0)))
    return _pair(lambda: deep(depth, lambda: inspect.stack(context)[1]),
                 lambda: deep(depth, lambda: sys._getframe(1)), per=frames)  # type: ignore[arg-type]


def _stack_frame(tmp: str) -> Tuple[float, float]:
    return _stack_frames(40, 1)


def _stack_frame_bare(tmp: str) -> Tuple[float, float]:
    return _stack_frames(40, 0)


class _SameHash:
    """An object whose __eq__ compares a field and whose __hash__ ignores it (PFL509)."""

    __slots__ = ("key",)

    def __init__(self, key: int) -> None:
        self.key = key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _SameHash) and self.key == other.key

    def __hash__(self) -> int:
        return 1


class _KeyHash(_SameHash):
    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self.key)


def _hash_collision(tmp: str) -> Tuple[float, float]:
    """Membership tests of every element of a set of 100 objects that all hash alike, against
    the same set hashed by the key __eq__ compares; per element of the set (a test compares
    with half of them on average)."""
    same = [_SameHash(i) for i in range(100)]
    keyed = [_KeyHash(i) for i in range(100)]
    same_set, keyed_set = set(same), set(keyed)
    return _pair(lambda: [x in same_set for x in same], lambda: [x in keyed_set for x in keyed], per=100 * 100)


def _constant_table(tmp: str) -> Tuple[float, float]:
    """A 100-entry dict display of constants built in the function to look one entry up,
    against the same table kept at module level: per entry built."""
    entries = ", ".join(f"'KEY_{i}': 'value number {i}'" for i in range(100))
    namespace: Dict[str, object] = {}
    exec(f"def per_call(k):\n    return {{{entries}}}.get(k)\n"  # noqa: S102 - a fixed, generated table
         f"KEPT = {{{entries}}}\ndef kept(k):\n    return KEPT.get(k)\n", namespace)
    per_call, kept = namespace["per_call"], namespace["kept"]
    return _pair(lambda: per_call("KEY_3"), lambda: kept("KEY_3"), per=100)  # type: ignore[operator]


def _namedtuple_class(tmp: str) -> Tuple[float, float]:
    """namedtuple() of a four-field class and one instance, per call, against an instance of
    the class kept at module level."""
    from collections import namedtuple

    kept = namedtuple("Kept", ["letter_case", "encoder", "decoder", "exclude"])
    return _pair(lambda: namedtuple("Row", ["letter_case", "encoder", "decoder", "exclude"])(1, 2, 3, 4),
                 lambda: kept(1, 2, 3, 4))


def _dataclass_class(tmp: str) -> Tuple[float, float]:
    """dataclasses.make_dataclass() of a three-field class and one instance, per call, against
    an instance of the class kept at module level."""
    from dataclasses import make_dataclass

    kept = make_dataclass("Kept", ["a", "b", "c"])
    return _pair(lambda: make_dataclass("Rec", ["a", "b", "c"])(1, 2, 3), lambda: kept(1, 2, 3))


def _enum_class(tmp: str) -> Tuple[float, float]:
    """The functional Enum API with four members, and one member lookup, per call, against a
    lookup in the enum kept at module level."""
    import enum

    kept = enum.Enum("Kept", "RED GREEN BLUE ALPHA")
    return _pair(lambda: enum.Enum("Color", "RED GREEN BLUE ALPHA")(2), lambda: kept(2))


def _temp_file_write(tmp: str) -> Tuple[float, float]:
    """Storing 4 KiB again under its hash: a temporary file created, written, closed and
    renamed over the identical object, against the stat that finds the object stored."""
    import tempfile

    data = b"x" * 4096
    path = os.path.join(tmp, "0123abcd")
    with open(path, "wb") as f:
        f.write(data)

    def rewrite() -> None:
        with tempfile.NamedTemporaryFile(dir=tmp, delete=False) as f:
            f.write(data)
        os.replace(f.name, path)

    return _pair(rewrite, lambda: os.path.exists(path))


def _render_node(tmp: str) -> Tuple[float, float]:
    """str() of a syntax-tree-like node of 100 leaves (each node joins its children's text, as
    lib2to3/blib2to3 nodes do), against comparing the node by identity: per leaf rendered."""

    class Leaf:
        def __init__(self, value: str) -> None:
            self.prefix, self.value = " ", value

        def __str__(self) -> str:
            return self.prefix + self.value

    class Node:
        def __init__(self, children: list) -> None:
            self.children = children

        def __str__(self) -> str:
            return "".join(map(str, self.children))

    tree = Node([Node([Leaf(f"name{i * 10 + j}") for j in range(10)]) for i in range(10)])
    return _pair(lambda: str(tree), lambda: tree is tree, per=100)


def _sort_insert(tmp: str) -> Tuple[float, float]:
    """A sorted list of 1,000 elements with one element appended, sorted again whole (Timsort
    walks the sorted run, then merges the newcomer in), against bisect.insort of the element:
    per element of the list. Each round deletes what it added (by index, in both), so the list
    stays 1,000 long."""
    items = sorted(random.Random(7).random() for _ in range(1000))
    probe = items[500] + 1e-12
    at = bisect.bisect(items, probe)  # where it lands: taken out again by index

    def smell() -> None:
        items.append(probe)
        items.sort()
        del items[at]

    def fix() -> None:
        bisect.insort(items, probe)
        del items[at]

    return _pair(smell, fix, per=len(items))


def _sort_insert_key(tmp: str) -> Tuple[float, float]:
    """The same with a key function (`items.sort(key=lambda j: j[0])`): the sort calls the key
    for every element, against placing the element by bisect over a list of the keys kept
    beside it (what bisect.insort(..., key=) does on Python 3.10+, spelled for 3.9): per element."""
    items = sorted((random.Random(7).random(), i) for i in range(1000))
    keys = [item[0] for item in items]
    probe = (items[500][0] + 1e-12, -1)
    at = bisect.bisect(items, probe)

    def key(item: Tuple[float, int]) -> float:
        return item[0]

    def smell() -> None:
        items.append(probe)
        items.sort(key=key)
        del items[at]

    def fix() -> None:
        k = key(probe)
        where = bisect.bisect(keys, k)
        keys.insert(where, k)
        items.insert(where, probe)
        del keys[at], items[at]

    return _pair(smell, fix, per=len(items))


def _rederive(tmp: str) -> Tuple[float, float]:
    """A derived value made again from a whole list of 1,000 short strings after one was
    appended (`"".join(self.parts)`), against extending the kept value by the new piece: per
    element of the list."""
    parts = [f"tok{i}" for i in range(1000)]
    kept = "".join(parts)
    return _pair(lambda: "".join(parts), lambda: kept + "tok", per=len(parts))


def _index_build(tmp: str) -> Tuple[float, float]:
    """A lookup table of 1,000 objects keyed by an attribute of each (`{m.uid: m for m in
    self.models}`) built again for one lookup, against the lookup in the table kept on the
    object: per element indexed."""

    class Model:
        __slots__ = ("uid",)

        def __init__(self, uid: str) -> None:
            self.uid = uid

    models = [Model(f"model.{i}") for i in range(1000)]
    kept = {m.uid: m for m in models}
    return _pair(lambda: {m.uid: m for m in models}.get("model.500"), lambda: kept.get("model.500"), per=len(models))


def _hash_node(tmp: str) -> Tuple[float, float]:
    """hash() of a syntax-tree-like node of 100 nodes whose __hash__ hashes a tuple of its
    fields (a name and a tuple of child nodes), so each call hashes the whole subtree, against
    the hash kept on the node after the first call: per node hashed."""

    class Node:
        __slots__ = ("name", "children", "_hash")

        def __init__(self, name: str, children: tuple) -> None:
            self.name, self.children, self._hash = name, children, None

        def __hash__(self) -> int:
            return hash((self.name, self.children))

        def kept(self) -> int:
            if self._hash is None:
                self._hash = hash((self.name, self.children))
            return self._hash

    tree = Node("root", tuple(Node(f"n{i}", tuple(Node(f"n{i}.{j}", ()) for j in range(10))) for i in range(9)))
    return _pair(lambda: hash(tree), tree.kept, per=100)


_SPEC_PATTERN = re.compile(
    r"""\s*(?P<op>~=|==|!=|<=|>=|<|>)\s*
        (?P<version>[0-9]+(?:\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?)\s*""",
    re.VERBOSE | re.IGNORECASE,
)


class _ParsedSpec:
    """A value parsed from its text in __init__, like packaging's Specifier."""

    def __init__(self, text: str) -> None:
        match = _SPEC_PATTERN.fullmatch(text)
        if match is None:
            raise ValueError(text)
        self.op = match.group("op")
        self.release = tuple(int(p) for p in match.group("version").split(".") if p.isdigit())


def _parse_text_ctor(tmp: str) -> Tuple[float, float]:
    """Built again from the same text per call, against a dict of the objects built so far."""
    text = ">=3.8.1"
    kept = {text: _ParsedSpec(text)}
    return _pair(lambda: _ParsedSpec(text), lambda: kept[text])


# key -> (spec, measure). Order is the printed order.
SPECS: List[Tuple[CostSpec, Optional[Measure]]] = [
    (CostSpec("deepcopy-element", "copy.deepcopy", "reuse (or copy on write)", "element"), _deepcopy),
    (CostSpec("deepcopy-scalar-element", "copy.deepcopy of a tuple of scalars (walked, the same tuple returned)", "the tuple itself", "element"), _deepcopy_scalars),
    (CostSpec("serialize-roundtrip-element", "json.loads(json.dumps(x))", "reuse", "element"), _json_roundtrip),
    (CostSpec("parse-python-byte", "ast.parse / compile", "parse once", "byte"), _parse_python),
    (CostSpec("parse-data-byte", "json.loads of unchanged text", "parse once", "byte"), _parse_json),
    (CostSpec("regex-compile", "re.compile of a new pattern text", "a compiled pattern", "execution"), _regex_compile),
    (CostSpec("regex-compile-cached", "re.compile of an unchanged pattern text (re's cache hit)", "a compiled pattern", "execution"), _regex_cached),
    (CostSpec("regex-compile-cached-pattern", "re.compile of each pattern of an unchanged table (re's cache hits)", "the patterns compiled once, looked up in a dict", "pattern"), _regex_table_cached),
    (CostSpec("alphabet-index", "str.index of a character in a constant 45-character alphabet", "a dict from character to position", "execution"), _alphabet_index),
    (CostSpec("sql-text", "SQL text formatted per call (sqlite3 statement cache miss)", "bound parameters", "execution"), _sql_text),
    (CostSpec("query-roundtrip", "one query per item (sqlite3, local file)", "one IN query", "execution"), _query),
    (CostSpec("query-roundtrip-network", "one query per item (client/server database)", "one IN query", "execution", estimated=True), None),
    (CostSpec("scan-row", "visiting a row in a Python scan", "a dict/index lookup", "row"), _scan_row),
    (CostSpec("table-scan-row", "a row of a full table scan (a storage engine in Python: page read, decode, compare)", "an index probe", "row"), _table_scan_row),
    (CostSpec("fetch-row", "fetching a row to filter it in Python", "WHERE in the query", "row"), _fetch_row),
    (CostSpec("count-row", "a row counted by SELECT COUNT(*) only to test the count for truth", "SELECT 1 ... LIMIT 1 (EXISTS)", "row"), _count_row),
    (CostSpec("list-membership-element", "`x in list`", "`x in set`", "element"), _list_membership),
    (CostSpec("fsync", "os.fsync after a 4 KiB write", "the write alone (sync amortised)", "execution"), _fsync),
    (CostSpec("fsync-over-fdatasync", "os.fsync", "os.fdatasync", "execution"), _fsync_vs_fdatasync),
    (CostSpec("commit", "sqlite3 commit per INSERT (file)", "one commit per batch", "execution"), _commit),
    (CostSpec("orm-flush", "an ORM session flushed per added row (SQLAlchemy, SQLite in memory)", "one flush for the rows", "execution", estimated=True,
              unmeasured="measured with SQLAlchemy, not a perflint dependency"), None),
    (CostSpec("orm-flush-network", "an ORM session flushed per added row (client/server database)", "one flush for the rows", "execution", estimated=True,
              unmeasured="orm-flush plus query-roundtrip-network"), None),
    (CostSpec("connect", "sqlite3.connect + query + close per operation", "a kept connection", "execution"), _connect),
    (CostSpec("connect-network", "connect to a client/server database per operation", "a pooled connection", "execution", estimated=True), None),
    (CostSpec("open-file", "open + read + close per operation", "a kept file object", "execution"), _open_file),
    (CostSpec("schema-read", "re-read a 10-table schema from the catalog", "compare the schema cookie", "execution"), _schema_read),
    (CostSpec("whole-file-dump-element", "rewrite the whole JSON store per write", "append the one item", "element"), _whole_file_dump),
    (CostSpec("buffer-alloc", "bytearray(4096) per read", "a reused buffer", "execution"), _buffer_alloc),
    (CostSpec("struct-format", "struct.unpack_from(fmt, ...)", "a module-level struct.Struct", "execution"), _struct_format),
    (CostSpec("struct-layout", "a struct format and field widths accumulated from a fixed 13-field table per call, then the record unpacked", "the Struct and widths prepared once per table", "execution"), _struct_layout),
    (CostSpec("copy-byte", "copying a slice of bytes", "a memoryview slice", "byte"), _copy_byte),
    (CostSpec("list-copy-element", "copying a slice of a list only to search it", "itertools.islice or an index range", "element"), _list_copy),
    (CostSpec("list-shift-element", "list.pop(0) (or insert(0, x)) moving every element behind the first one slot, per element moved", "collections.deque.popleft()", "element"), _list_shift),
    (CostSpec("dict-copy-element", "a dict copied whole to add a key (`{**d, k: v}`, `dict(d, k=v)`)", "the key stored in place", "element"), _dict_copy),
    (CostSpec("regex-search-byte", "a regex search of a buffer from its start, per byte it scans again", "the search resumed from the kept position", "byte"), _regex_search),
    (CostSpec("find-byte", "bytes.find of a buffer from its start, per byte it scans again", "the find resumed from the kept position", "byte"), _find_byte),
    (CostSpec("text-append-byte", "`+=` on text held by an attribute or container", "list + join", "byte"), _str_append),
    (CostSpec("process-spawn", "starting a process and waiting for it (subprocess.run)", "nothing: a yardstick, not a smell", "execution"), _process_spawn),
    (CostSpec("entry-points-scan", "importlib.metadata.entry_points() per call (reads every installed distribution)", "the entry points kept from one call", "execution"), _entry_points),
    (CostSpec("build-element", "len() of a collection built by a call per element (a small object each)", "len() of its source", "element"), _build_element),
    (CostSpec("stat-path", "os.path.exists() per call of a path that does not change (a stat system call)", "the answer kept from the first call", "execution"), _stat_path),
    (CostSpec("inspect-signature", "inspect.signature() per call of a callable fixed for the process", "the Signature kept from the first call", "execution"), _signature),
    (CostSpec("stack-frame-record", "inspect.stack() to read one caller, per frame on the stack (a FrameInfo with source lines each)", "sys._getframe(1)", "frame"), _stack_frame),
    (CostSpec("stack-frame-record-bare", "inspect.stack(0) to read one caller, per frame on the stack (a FrameInfo without source lines)", "sys._getframe(1)", "frame"), _stack_frame_bare),
    (CostSpec("hash-collision-element", "a set lookup among objects that all hash alike (an __eq__ call per entry it passes), per element of the set", "the set hashed by the key __eq__ compares", "element"), _hash_collision),
    (CostSpec("constant-table-element", "a constant dict display built per call to look one entry up", "the table kept at module level", "element"), _constant_table),
    (CostSpec("namedtuple-class", "collections.namedtuple() per call (generates and execs the class)", "the class defined once", "execution"), _namedtuple_class),
    (CostSpec("dataclass-class", "dataclasses.make_dataclass() per call", "the class defined once", "execution"), _dataclass_class),
    (CostSpec("enum-class", "the functional Enum API per call", "the enum defined once", "execution"), _enum_class),
    (CostSpec("temp-file-write", "content written to a temporary file and renamed over the identical stored object", "a stat that finds the object stored", "execution"), _temp_file_write),
    (CostSpec("render-node-element", "str() of a syntax-tree node, per leaf rendered", "comparing nodes by identity", "element"), _render_node),
    (CostSpec("sort-insert-element", "a kept sorted list sorted whole again after one element is appended, per element of the list", "bisect.insort of the element", "element"), _sort_insert),
    (CostSpec("sort-insert-key-element", "the same sort with a key function, which it calls for every element, per element of the list", "bisect.insort with the key", "element"), _sort_insert_key),
    (CostSpec("rederive-element", "a value derived again from a whole kept list (a join, a sum) after one element is added, per element", "the value extended by the new element", "element"), _rederive),
    (CostSpec("index-build-element", "a lookup table keyed by an attribute of each element built again for one lookup or one read, per element", "the table built once and kept", "element"), _index_build),
    (CostSpec("hash-node-element", "hash() of a tree node whose __hash__ hashes its fields, child nodes included, per node of the subtree", "the hash kept on the node", "element"), _hash_node),
    (CostSpec("record-parse", "one record parsed by a declarative parser (construct) after a seek, per index", "one read and struct.Struct.iter_unpack", "execution", estimated=True,
              unmeasured="measured with construct, not a perflint dependency"), None),
    (CostSpec("parse-text-ctor", "an object built from text its constructor matches with a regex and splits (a version specifier)", "the object kept by its text", "execution"), _parse_text_ctor),
    (CostSpec("schema-check-element", "jsonschema.validate(instance, schema) per call: the schema checked against its metaschema and a validator built, per node of the schema", "a validator prepared once, its validate() per call", "element", estimated=True,
              unmeasured="measured with jsonschema, not a perflint dependency"), None),
    (CostSpec("index-ddl-statement", "an index or table created again per save (PyMongo create_index, CREATE INDEX / CREATE TABLE IF NOT EXISTS): one round trip to the database server each", "created once per class or process", "statement", estimated=True), None),
    (CostSpec("dataframe-mask-lookup", "one key looked up by a boolean mask over a kept pandas DataFrame (`df.loc[df.col == key, ...]`)", "a dict built once from the frame", "execution", estimated=True,
              unmeasured="measured with pandas, not a perflint dependency"), None),
    (CostSpec("typeadapter-build", "a pydantic TypeAdapter(T) constructed per call: the type's core schema generated and its validator and serializer compiled", "one adapter kept per type, its validate_python() per call", "execution", estimated=True,
              unmeasured="measured with pydantic, not a perflint dependency"), None),
    (CostSpec("lazy-proxy-class", "Django's lazy(func, *resultclasses) called per value: a proxy class defined and every method of the result classes wrapped on it", "a lazy function built once, called per value", "execution", estimated=True,
              unmeasured="measured with Django, not a perflint dependency"), None),
    (CostSpec("locale-parse", "a babel formatting or parsing function (parse_decimal, format_decimal, format_date, ...) handed a locale's name: the name parsed into a Locale on every call", "the Locale parsed once and passed", "execution", estimated=True,
              unmeasured="measured with babel, not a perflint dependency"), None),
    (CostSpec("jsonpath-parse", "a JSONPath expression compiled by jsonpath_ng.parse (or its ext variant, or jsonpath_rw.parse) on every call: a PLY parser built and run on the text", "the compiled expression kept by its text and its find() per call", "execution", estimated=True,
              unmeasured="measured with jsonpath-ng and jsonpath-rw, not perflint dependencies"), None),
    (CostSpec("css-translate", "a CSS selector translated to XPath by cssselect (a translator's css_to_xpath, or lxml's CSSSelector) on every call: the selector tokenised and parsed and the XPath text built", "the translation kept by the selector's text", "execution", estimated=True,
              unmeasured="measured with cssselect and lxml, not perflint dependencies"), None),
    (CostSpec("orm-row", "a row fetched and a Django model instance built, only to test the queryset for emptiness (`len(qs)`, `if qs:`)", "qs.exists(): SELECT 1 ... LIMIT 1", "row", estimated=True,
              unmeasured="measured with Django, not a perflint dependency"), None),
]

# Estimates for what this machine cannot measure (no database server here): a round trip to
# a client/server database on a LAN is 0.2-1 ms (PostgreSQL's own docs and pgbench on loopback
# give ~50 us as the floor); a new TCP + TLS + auth handshake is 2-10 ms.
# A record parsed by construct (not a perflint dependency, so not measured here): a six-field
# ELF symbol (Elf64_Sym) parsed with pyelftools' vendored construct after a seek, 4.3 us,
# against 0.5 us for struct.Struct.iter_unpack over one read of the table (CPython 3.11, this
# machine, 2026-11-30); records with bit fields and enums, as pyelftools' own, cost more.
# jsonschema.validate(instance, schema) against the same instance through a validator
# prepared once (validator_for, check_schema, then the class on the schema), per node of the
# schema (each object, array and value): the schema check grows with the schema. Over five
# schemas (jsonrpcserver's JSON-RPC 2.0 request schema, 37 nodes, draft 4; three object
# schemas of 10, 50 and 200 properties, 38-608 nodes, draft 7; the draft 7 metaschema, 166
# nodes), each the least of five rounds: 14.9-19.2 us per node, median 18.7 us (the request
# schema 0.59 ms against 0.05 ms; jsonschema 4.26, CPython 3.11, this machine, 2026-12-01).
# jsonschema is not a perflint dependency, so calibrate does not measure it. The same price
# serves `cls.check_schema(schema)` spelled out (PFL106): check_schema alone is 15.7-16.8 us per
# node over four draft 7 object schemas of 34-309 nodes, and validator_for, check_schema and
# the validator with a format checker together 14.5-17.3 us (process time, least of five
# rounds of 50; jsonschema 4.26, CPython 3.11, this machine, 2026-12-03).
# An index or table created again (a createIndexes command, CREATE ... IF NOT EXISTS) on a schema
# that already has it: the server answers without building anything, so what it costs is a round
# trip plus the server's check, priced as the client/server query round trip above (300 us). PR
# 2702 of MongoEngine measured it on a local mongod: 10,000 saves of a one-index document took
# 4.72 s with a create_index per save and 2.78 s without, 194 us per createIndexes over loopback,
# before any network hop (the ~50 us floor of a loopback query above it is the server's own work).
# An ORM session's flush per added row, against one flush for the rows (bench/orm_flush.py):
# SQLAlchemy 2.0.36 against SQLite in memory, a mapped class with an integer key and a
# many-to-one relationship, the row added and `session.flush()` per row versus one flush after
# the loop, 100 and 1,000 rows, GC off, the least of 15 and 5 rounds: 167-169 us per row against
# 36-38 us, so 131 us wasted per flush (CPython 3.11, this machine, 2026-12-03). That is the unit
# of work's own cost per flush (it sorts the pending objects, builds and runs a statement per
# mapper, fetches the new keys, resets the session's state) plus an in-process INSERT. Against a
# database server each flush also waits for its INSERT's round trip, which the batched flush
# shares among the rows (SQLAlchemy 2.0's insertmanyvalues, 1.4 with psycopg2's batch helpers):
# `orm-flush-network` adds `query-roundtrip-network`. SQLAlchemy is not a perflint dependency,
# so calibrate does not measure it.
# One key looked up by a boolean mask over a DataFrame the program keeps (eland's mappings
# table: `df.loc[df.es_field_name == name].pd_dtype.squeeze()`, `df[df["col"] == key]`,
# `df.loc[df["col"] == key, "other"]`) against a dict built once from the frame, on frames of
# 1 to 10,000 rows with a string key column, each the least of five rounds: pandas' fixed
# overhead per call (the comparison's Series, the boolean indexer, a new frame) is 70-130 us
# at one row, 80-170 us at 100 rows, 110-250 us at 1,000 and 360-700 us at 10,000 (about
# 30-50 ns per row beyond the fixed part); the dict lookup takes 30-50 ns (pandas 2.3.3 and
# 3.1.1, numpy 2, CPython 3.11, this machine, 2026-12-03). The estimate is the 100-row figure,
# a mappings or lookup table's modest size. pandas is not a perflint dependency, so calibrate
# does not measure it.
# A pydantic TypeAdapter(T) constructed and used once (`TypeAdapter(T).validate_python(v)`)
# against validate_python(v) on an adapter kept for the type, each the least of five rounds of
# 200 (kept: 10,000): `int` 11.1 us against 0.17 us, `list[int]` 19.5 against 0.25, a
# three-member Union of small models 52.0 against 1.0, `dict[str, list[Model]]` 42.2 against
# 0.74, `float` 11.7 against 0.23, a model class (two optional list fields) 5.2 against 0.69
# (pydantic 2.14.4, CPython 3.11, this machine, 2026-12-03, in a throwaway venv). The
# models keep their own schemas on the class, so the adapter's schema reuses them; a type whose
# parts pydantic keeps no schema for (TypedDicts, inline dataclasses, wide discriminated
# unions) costs more (Temporal's issue #1695 measured 2.8 ms for a wide union). The estimate is
# the dict-of-lists-of-models figure, between the simple types and the union: 41 us wasted.
# pydantic is not a perflint dependency, so calibrate does not measure it.
# Django's lazy(func, str) called per value and its proxy made at once
# (`lazy(template.format, str)(max_length=n)`, as Django REST framework's fields built their
# validation messages) against a lazy function built once and called per value (bench/lazy_class.py):
# 47-50 us against 0.15 us, the class alone (lazy() not called on) 34-58 us, the least of five
# rounds of 200, three runs (Django 5.2.19, CPython 3.11, this machine, 2026-12-03, run on the
# released package's source). Django 2.2 prepares the class on its first instantiation instead of in
# lazy(): 69 us per call, 15 us for the class alone. The estimate is the Django 5.2 least figure,
# 47 us wasted. Django is not a perflint dependency, so calibrate does not measure it.
# A babel function handed a locale's name against the same call with the Locale parsed once
# (bench/locale_parse.py): parse_decimal('1,234.5', 'en_US') 4.6-5.0 us against 1.9-2.1 us,
# and format_decimal, format_currency and format_date alike, 2.6-3.1 us wasted a call, median
# 2.64 and 2.92 us over two runs, each figure the least of seven rounds of 20,000 with the GC
# off (babel 2.18.0, CPython 3.11, this machine, 2026-12-03, in a throwaway venv): babel 2.x
# parses the name once a call. babel 2.3 (agate's issue #601 profile) parsed it three times in
# parse_decimal: 757,000 Locale.parse calls took 6.0 s over 252,000 casts, 24 us a cast on that
# machine. The estimate is today's babel: 2.8 us. babel is not a perflint dependency, so
# calibrate does not measure it.
# A JSONPath compiled per call (bench/jsonpath_parse.py, five short paths of a manifest's kind):
# jsonpath_ng.parse 0.17-1.0 ms a path, mean 0.68 ms, its ext variant 0.66-0.9 ms, against about
# 5 us for find() with the expression kept (jsonpath-ng 1.16.0, CPython 3.11, this machine,
# 2026-12-03, in a throwaway venv); jsonpath-rw 1.4.0 builds its PLY tables on every call, 10-14
# ms a path, as jsonpath-ng 1.5.3 did (9.9 ms a path). The estimate is today's jsonpath-ng,
# rounded down: 0.56 ms. jmespath.compile keeps its own cache of parsed expressions (0.3 us a
# repeat) and is not priced here. Neither library is a perflint dependency, so calibrate does
# not measure them.
# A CSS selector translated to XPath per call (bench/css_translate.py, four selectors of a
# scraper's kind): cssselect 1.6.0's HTMLTranslator.css_to_xpath 1.8 us for 'a', 21-26 us for
# two- and three-step paths with classes and an id, 69 us for four steps with :nth-child, mean
# 29 us; lxml 6.2's CSSSelector(css), which translates and compiles the XPath, 4.8-80 us (CPython
# 3.11, this machine, 2026-12-03, in a throwaway venv, the least of five rounds with the GC off).
# cssselect keeps no cache of its own. The estimate is the translation's mean, 29 us. Neither
# library is a perflint dependency, so calibrate does not measure them.
# A Django queryset tested for emptiness by len() against .exists() (bench/orm_row.py): a model
# of six fields (key, two short strings, an integer, a boolean, a date-time) in SQLite in
# memory, 10, 100 and 1,000 rows matching an indexed filter among 1,000 others; len() 171, 493 and
# 4,063 us against 114-138 us for exists(), so 3.8-3.9 us per row from 100 rows up (5.7 us at 10),
# the least of seven rounds with the GC off (Django 5.2.19, CPython 3.11, this machine, 2026-12-03,
# in a throwaway folder). That is the row's transfer from SQLite and Django's per-row work (the
# values converted, a model instance built by from_db); a server adds the rows' wire transfer.
# The estimate is the 100-row figure, 3.8 us a row. The same run gives count() against exists():
# 160-162 us against 114-138 us at every size, some 46 us of Django's aggregate query building
# and about 3 ns a row of SQLite's counting (`count-row` measures the SQL alone). SQLAlchemy's
# ORM rows are of the same order. Django is not a perflint dependency, so calibrate does not
# measure it.
ORM_FLUSH = 131e-6
ESTIMATES: Dict[str, float] = {"query-roundtrip-network": 300e-6, "connect-network": 3e-3, "record-parse": 3.8e-6,
                               "schema-check-element": 1.87e-5, "orm-flush": ORM_FLUSH,
                               "orm-flush-network": ORM_FLUSH + 300e-6,
                               "index-ddl-statement": 300e-6, "dataframe-mask-lookup": 1.0e-4,
                               "typeadapter-build": 4.1e-5, "lazy-proxy-class": 4.7e-5,
                               "locale-parse": 2.8e-6, "jsonpath-parse": 5.6e-4, "css-translate": 2.9e-5,
                               "orm-row": 3.8e-6}


def _fresh_dir(tmp: str, key: str, round_: int) -> str:
    """Each measurement round works in a folder of its own: no file left by a round counts."""
    path = os.path.join(tmp, f"{key}-{round_}")
    os.mkdir(path)
    return path


def measure(progress: Optional[Callable[[str, int, int], None]] = None, only: Optional[List[str]] = None,
            rounds: int = 3) -> Dict[str, Dict[str, float]]:
    """Run the measurements: key -> {"cost": waste per unit, "smell": ..., "fix": ...} (seconds)."""
    out: Dict[str, Dict[str, float]] = {}
    wanted = [(spec, fn) for spec, fn in SPECS if only is None or spec.key in only]
    with tempfile.TemporaryDirectory(prefix="perflint-calibrate-") as tmp:
        for i, (spec, fn) in enumerate(wanted):
            if progress is not None:
                progress(spec.key, i, len(wanted))
            if fn is None:
                value = ESTIMATES[spec.key]
                out[spec.key] = {"cost": value, "smell": value, "fix": 0.0}
                continue
            # The median of a few rounds: one disturbed round (a shared disk, a busy core)
            # does not decide a cost.
            runs = sorted((fn(_fresh_dir(tmp, spec.key, r)) for r in range(rounds)), key=lambda pair: pair[0] - pair[1])
            smell, fix = runs[len(runs) // 2]
            out[spec.key] = {"cost": max(smell - fix, 0.0), "smell": smell, "fix": fix}
    if progress is not None:
        progress("", len(wanted), len(wanted))
    return out
