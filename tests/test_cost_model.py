"""The time model: trip counts read from code, cold paths, memo guards, evidence, advice
variants for the site, and calibration files (perflint calibrate, costs = "...")."""

from __future__ import annotations

import pytest
from conftest import round_costs, write

from perflint.analyze import Analyzer
from perflint.callgraph import Program
from perflint.config import Config, RuleSettings
from perflint.costs import CostsError, load_costs, machine_meta, render_table
from perflint.discovery import SourceFile
from perflint.testing import lint_sources
from pathlib import Path


def program(files):
    analyzer = Analyzer([])
    summaries = [analyzer.analyze_bytes(SourceFile(Path(p), p, p[:-3].replace("/", "."), False, False), s.encode())
                 for p, s in sorted(files.items())]
    return Program(summaries)


def loops_of(source, callee="leaf"):
    """The loops around the call of `callee` in `f`, as the summary records them."""
    p = program({"m.py": "def leaf():\n    pass\n" + source})
    (site,) = [s for s in p.functions["m.f"][1].calls if s.text == callee]
    return site.loops


# -- trip counts ------------------------------------------------------------------------------
@pytest.mark.parametrize("source, trips, data", [
    ("def f():\n    for i in range(8):\n        leaf()\n", 8, False),
    ("def f():\n    for i in range(2, 1000):\n        leaf()\n", 998, True),
    ("N = 64\ndef f():\n    for i in range(N):\n        leaf()\n", 64, True),
    ("def f():\n    for x in ('a', 'b', 'c'):\n        leaf()\n", 3, False),
    ("TABLES = ['a', 'b', 'c', 'd']\ndef f():\n    for i, t in enumerate(TABLES):\n        leaf()\n", 4, False),
    ("KINDS = {'a': 1, 'b': 2}\ndef f():\n    for k, v in KINDS.items():\n        leaf()\n", 2, False),
    ("def f(retries):\n    for attempt in range(retries):\n        leaf()\n", 3, False),
    ("def f(n):\n    attempt = 0\n    while attempt < n:\n        attempt += 1\n        leaf()\n", 3, False),
    ("def f(sock, n):\n    buf = b''\n    while len(buf) < n:\n        buf += sock.recv(n - len(buf))\n        leaf()\n", 2, False),
    ("def f(n):\n    while n:\n        n, d = divmod(n, 36)\n        leaf()\n", 20, False),
    ("def f(model):\n    for field in model._meta.fields:\n        leaf()\n", 10, False),
    ("def f(apps):\n    for m in apps.get_models():\n        leaf()\n", 10, False),
    ("def f(request):\n    for k, v in request.headers.items():\n        leaf()\n", 10, False),
    ("import sys\ndef f():\n    for path in sys.argv[1:]:\n        leaf()\n", 1, False),
    ("def f(rows):\n    for row in rows:\n        leaf()\n", None, True),
    # a local literal list: its length (salt's archivers loop over three table names)
    ("def f():\n    tables = ['jids', 'returns', 'events']\n    for t in tables:\n        leaf()\n", 3, False),
    # an empty literal is a container to fill, not a bound of 0 (module registries, local lists)
    ("HANDLERS = []\ndef f():\n    for h in HANDLERS:\n        leaf()\n", None, True),
    ("def f(rows):\n    out = []\n    out.extend(rows)\n    for r in out:\n        leaf()\n", None, True),
    # polls: until a deadline (salt's cloud sync loop), until a value turns up (salt's jid loop)
    ("import time\ndef f():\n    deadline = time.time() + 60\n    while time.time() < deadline:\n        leaf()\n", 3, False),
    ("def f(timeout):\n    while timeout > 0:\n        timeout -= 1\n        leaf()\n", 3, False),
    ("def f():\n    jid = None\n    while not jid:\n        jid = leaf()\n", 3, False),
    ("def f():\n    x = None\n    while x is None:\n        x = leaf()\n", 3, False),
    # ... but a flag a data loop sets to stop is no poll, nor a long body that handles items
    ("def f(q):\n    done = False\n    while not done:\n        leaf()\n        done = True\n", None, True),
    ("def f(q):\n    stop = None\n    while not stop:\n        a = q.get()\n        b = a + 1\n        leaf()\n        stop = q.handle(b)\n", None, True),
    # a field up to a delimiter, where running out raises (mercurial's monotone packet sizes):
    # 64 bytes, not the stream; the same read that may end at the end of the data walks it
    ("def f(fp):\n    ch = None\n    while ch != b':':\n        ch = fp.read(1)\n        if not ch:\n            raise ValueError\n        leaf()\n", 64, False),
    ("def f(fp):\n    while True:\n        ch = fp.read(2)\n        if not ch:\n            raise ValueError\n        if ch == b'\\0':\n            break\n        leaf()\n", 32, False),
    ("def f(fp):\n    while True:\n        ch = fp.read(1)\n        if not ch:\n            break\n        if ch == b' ':\n            break\n        leaf()\n", None, True),
])
def test_trip_counts_are_read_from_the_code(source, trips, data):
    (loop,) = loops_of(source)
    assert (loop.trips, loop.data) == (trips, data), loop


def test_parts_of_the_outer_item_and_a_flattening_comprehension_count_once():
    outer, inner = loops_of("def f(rows):\n    for row in rows:\n        for cell in row.cells:\n            leaf()\n")
    assert (outer.trips, inner.trips) == (None, 1)
    (comp,) = loops_of("def f(rows):\n    return [leaf() for row in rows for cell in row]\n")
    assert comp.trips is None  # one unknown collection, flattened: loop-trips once, not twice
    (comp,) = loops_of("def f():\n    return [leaf() for a in (1, 2) for b in range(5)]\n")
    assert comp.trips == 10


def test_unknown_loops_inside_unknown_loops_count_nested_loop_trips():
    p = program({"m.py": "def leaf():\n    pass\ndef mid(xs):\n    for x in xs:\n        leaf()\n"
                         "def top(rows):\n    for r in rows:\n        mid(r)\n"})
    assert p.heat["m.mid"] == 100 and p.heat["m.leaf"] == 1000  # 100, then 10, not 100 x 100
    p = Program(p.modules.values(), loop_trips=50, nested_loop_trips=4)
    assert p.heat["m.leaf"] == 200
    # a third unknown loop on the chain adds nothing: 100 x 10, not 100 x 10 x 10
    p = program({"m.py": "def leaf():\n    pass\ndef inner(xs):\n    for x in xs:\n        leaf()\n"
                         "def mid(ys):\n    for y in ys:\n        inner(y.items)\n"
                         "def top(rows):\n    for r in rows:\n        mid(r.children)\n"})
    assert (p.heat["m.mid"], p.heat["m.inner"], p.heat["m.leaf"]) == (100, 1000, 1000)


# -- cold paths and memo guards ------------------------------------------------------------
SYNC = "import os\n"


@pytest.mark.parametrize("body, reason", [
    ("    try:\n        pass\n    except OSError:\n        os.fsync(fd)\n", "in an except handler"),
    ("    if key not in self._cache:\n        self._cache[key] = os.fsync(fd)\n", "runs on a cache miss only (fills self._cache)"),
    ("    if self._synced is None:\n        self._synced = os.fsync(fd)\n", "runs once, when self._synced is first needed"),
    ("    if not hasattr(self, '_s'):\n        self._s = os.fsync(fd)\n", "runs once, when self._s is first needed"),
])
def test_cold_blocks_run_once_whatever_calls_them(body, reason):
    source = SYNC + "class S:\n  def put(self, key, fd):\n" + body.replace("\n    ", "\n    ") + \
        "def load(s, rows):\n    for r in rows:\n        s.put(r, 1)\n"
    source = source.replace("  def put", "    def put").replace("\n    try", "\n        try").replace(
        "\n    if", "\n        if").replace("\n        pass\n    except", "\n            pass\n        except").replace(
        "\n        os.fsync", "\n            os.fsync").replace("\n        self.", "\n            self.")
    found = lint_sources({"m.py": source}, select=("PFL401",), config=Config(min_severity="note"))
    (f,) = found
    assert (f.severity, f.frequency) == ("note", 1.0)
    assert reason in f.context


def test_a_memo_guard_stops_heat_but_a_lookup_it_never_fills_does_not():
    memo = ("class C:\n    def get(self, k):\n        if k in self._cache:\n            return self._cache[k]\n"
            "        v = self._cache[k] = build(k)\n        return v\n"
            "def build(k):\n    pass\n"
            "def run(c, ks):\n    for k in ks:\n        c.get(k)\n")
    p = program({"m.py": memo.replace("def run(c, ks)", "def run(c: C, ks)")})
    assert p.heat["m.C.get"] == 1 and p.heat["m.build"] == 1  # runs once per distinct key
    assert "memoised" in p.functions["m.C.get"][1].memoized
    dirty = ("class C:\n    def get(self, k):\n        page = self._dirty.get(k)\n        if page is not None:\n"
             "            return page\n        return build(k)\n"
             "def build(k):\n    pass\n"
             "def run(c: C, ks):\n    for k in ks:\n        c.get(k)\n")
    p = program({"m.py": dirty})
    assert p.functions["m.C.get"][1].memoized == ""  # a fast path, not a memo: build runs per miss
    assert p.heat["m.build"] == 100
    getter = ("class C:\n    def get(self, k):\n        hit = self._c.get(k)\n        if hit is not None:\n"
              "            return hit\n        self._c[k] = v = build(k)\n        return v\n")
    assert program({"m.py": getter}).functions["m.C.get"][1].memoized


@pytest.mark.parametrize("test, returned, fill, memoised", [
    # a module-level table filled on first use (salt's /etc/services parser)
    ("_SERVICES", "_SERVICES", "_SERVICES[k] = build(k)", True),
    # a lazily built attribute
    ("self._index is not None", "self._index", "self._index = build(k)", True),
    # a guard that returns something else is an early exit, not a memo
    ("self.closed", "None", "self.closed = build(k)", False),
    # a value the function never fills: a fast path, not a memo
    ("_SERVICES", "_SERVICES", "x = build(k)", False),
    # a done flag (sphinx's ModuleAnalyzer.analyze: `if self._analyzed: return`, then parse)
    ("self._analyzed", "", "build(k); self._analyzed = True", True),
    ("self._analyzed", "None", "build(k); self._analyzed = True", True),
    # a flag set to something else, or never set, or a guard that also does work: no
    ("self._analyzed", "", "self._analyzed = build(k)", False),
    ("self._analyzed", "", "build(k)", False),
    ("self._analyzed", "build(k)", "self._analyzed = True", False),
])
def test_a_value_built_once_and_kept_is_a_memo(test, returned, fill, memoised):
    src = ("_SERVICES = {}\ndef build(k):\n    pass\nclass C:\n    def get(self, k):\n"
           f"        if {test}:\n            return {returned}\n        {fill}\n        return k\n")
    fn = program({"m.py": src}).functions["m.C.get"][1]
    assert bool(fn.memoized) is memoised, src


def test_a_miss_block_that_fills_the_entry_in_a_branch_is_cold():
    # salt's reactor: `if kind not in self.cache:` then an if/else that picks the constructor
    src = (SYNC + "class S:\n    def put(self, key, fd):\n        if key not in self._cache:\n"
           "            if key == 'a':\n                self._cache[key] = os.fsync(fd)\n"
           "            else:\n                self._cache[key] = os.fsync(fd)\n"
           "def load(rows):\n    s = S()\n    for r in rows:\n        s.put(r, 1)\n")
    found = lint_sources({"m.py": src}, select=("PFL401",), config=Config(min_severity="note"))
    (f,) = found  # one cause: the two sites are one finding
    assert (f.line, [r.line for r in f.related], f.severity, f.frequency) == (6, [8], "note", 1.0)
    assert "runs on a cache miss only (fills self._cache)" in f.context
    # the same block that fills another mapping is no memo: it runs per row
    hot = src.replace("self._cache[key] =", "self._other[key] =")
    found = lint_sources({"m.py": hot}, select=("PFL401",), config=Config(min_severity="note"))
    assert [(f.frequency, "cache miss" in f.context) for f in found] == [(100.0, False)]


# -- dwarfed: a cost beside a slow operation ---------------------------------------------------
PARSER = ("import re, subprocess\n"
          "def parse(out):\n    a = re.compile(r'^(\\S+)')\n    b = re.compile(r'inet (\\S+)')\n    return a, b\n"
          "def interfaces():\n    out = subprocess.check_output(['ifconfig', '-a'])\n    return parse(out)\n"
          "def handle(hosts):\n    for h in hosts:\n        for k in h.names:\n            interfaces()\n")


def test_a_cost_dwarfed_by_a_process_started_beside_it_is_a_note(tmp_path, cli):
    write(tmp_path, {"net.py": PARSER})
    round_costs(tmp_path, '[severity]\nwarning = "10us"\n')
    data = cli(["check", ".", "--format", "json", "--select", "PFL102", "--no-cache", "--min-severity", "note"],
               tmp_path).json()
    (f,) = data["findings"]
    assert (f["line"], f["severity"], f["score"]) == (3, "note", pytest.approx(2 * 2e-7 * 100))
    text = cli(["check", ".", "--select", "PFL102", "--no-cache", "--explain-scores", "--min-severity", "note"],
               tmp_path).out
    assert ("note: dwarfed by a process started in interfaces (net.py:7) (1 ms) once per call of interfaces: "
            "this site's cost is 0.04% of the 1 ms beside each execution") in text
    # a process started only when something fails (a raise, an except handler) dwarfs nothing
    cold = PARSER.replace("    out = subprocess.check_output(['ifconfig', '-a'])\n",
                          "    try:\n        out = h\n    except OSError:\n        out = subprocess.check_output(['ifconfig'])\n")
    write(tmp_path, {"net.py": cold})
    (f,) = cli(["check", ".", "--format", "json", "--select", "PFL102", "--no-cache"], tmp_path).json()["findings"]
    assert f["severity"] == "warning"
    # without the subprocess the same parser, as often, is a warning
    write(tmp_path, {"net.py": PARSER.replace("subprocess.check_output(['ifconfig', '-a'])", "h")})
    (f,) = cli(["check", ".", "--format", "json", "--select", "PFL102", "--no-cache"], tmp_path).json()["findings"]
    assert f["severity"] == "warning"


def test_a_cost_that_is_not_small_beside_the_slow_operation_stays_a_warning(tmp_path, cli):
    # 1000 deep-copied elements per call (1 ms) beside a 1 ms process: 100%, not dwarfed;
    # a `time.sleep(0)` is a yield, not a wait, and dwarfs nothing
    src = ("import copy, subprocess, time\nT = {}\n"
           "def f(x):\n    subprocess.run(['true'])\n    time.sleep(0)\n    return copy.deepcopy(T)\n"
           "def g(rows):\n    for r in rows:\n        f(r)\n")
    write(tmp_path, {"m.py": src})
    round_costs(tmp_path, '[rules.PFL101]\ncost = "1ms"\n')
    (f,) = cli(["check", ".", "--format", "json", "--select", "PFL101", "--no-cache"], tmp_path).json()["findings"]
    assert f["severity"] == "error"
    write(tmp_path, {"m.py": src.replace("    subprocess.run(['true'])\n", "")})
    round_costs(tmp_path, '[rules.PFL101]\ncost = "1us"\n')
    (f,) = cli(["check", ".", "--format", "json", "--select", "PFL101", "--no-cache", "--min-severity", "note"],
               tmp_path).json()["findings"]
    assert f["severity"] == "note" and f["score"] == pytest.approx(1e-4)


@pytest.mark.parametrize("sleep, severity", [
    ("time.sleep(interval)", "note"),  # a computed wait is 10 ms or more: 200 us is 2% of it
    ("time.sleep(0.5)", "note"),
    ("time.sleep(0.002)", "error"),  # a literal 2 ms counts as 1 ms: 200 us is 20% of it
    ("time.sleep(0)", "error"),  # a yield, not a wait
])
def test_a_sleep_of_computed_length_is_a_wait_that_dwarfs_a_small_cost(tmp_path, cli, sleep, severity):
    # salt's cloud sync: a deep copy next to `time.sleep(sync_sleep)` in a poll loop
    src = ("import copy, time\nT = {}\n"
           f"def f(x, interval):\n    {sleep}\n    return copy.deepcopy(T)\n"
           "def g(rows):\n    for r in rows:\n        for s in r.children:\n            f(r, 5)\n")
    write(tmp_path, {"m.py": src})
    round_costs(tmp_path, '[rules.PFL101]\ncost = "200us"\n')
    (f,) = cli(["check", ".", "--format", "json", "--select", "PFL101", "--no-cache", "--min-severity", "note"],
               tmp_path).json()["findings"]
    assert f["severity"] == severity


def test_a_loop_that_runs_until_a_time_passes_costs_a_fixed_time():
    # distributed's disk benchmark fsyncs on purpose until a second is up (labelled FALSE in
    # run 7): a cheaper body fits more passes, it does not save time
    bench = ("import os\nfrom time import time\n"
             "def bench(sizes, duration):\n    for size in sizes:\n        start = time()\n"
             "        while time() < start + duration:\n            with open('x', 'ab') as f:\n"
             "                os.fsync(f.fileno())\n")
    (f,) = lint_sources({"m.py": bench}, select=("PFL402",), config=Config(min_severity="note"))
    assert (f.severity, f.frequency) == ("note", 1.0)
    rows = bench.replace("while time() < start + duration:", "for row in size.rows:")
    (f,) = lint_sources({"m.py": rows}, select=("PFL402",), config=Config(min_severity="note"))
    assert f.severity == "warning"


# -- evidence ---------------------------------------------------------------------------------
def test_a_fixed_handful_multiplies_but_is_no_evidence():
    config = Config(min_severity="note", rules={"PFL402": RuleSettings(cost=1e-3)})
    fixed = "def f(conn):\n    for table in ('a', 'b'):\n        conn.execute('DELETE FROM x')\n        conn.commit()\n"
    (f,) = lint_sources({"m.py": fixed}, select=("PFL402",), config=config)
    assert (f.frequency, f.severity) == (2.0, "note")  # one commit per table: not per row
    rows = fixed.replace("('a', 'b')", "rows").replace("def f(conn)", "def f(conn, rows)")
    (f,) = lint_sources({"m.py": rows}, select=("PFL402",), config=config)
    assert (f.frequency, f.severity) == (100.0, "error")


def test_low_confidence_is_never_more_than_a_note():
    src = ("class Tx:\n    def commit(self):\n        pass\n"
           "def save(session, rows):\n    for r in rows:\n        session.commit()\n")
    (f,) = lint_sources({"m.py": src}, select=("PFL402",), config=Config(min_severity="note"))
    assert (f.confidence, f.severity) == ("low", "note")


# -- advice that fits the site ------------------------------------------------------------------
def test_pfl203_str_gets_join_advice_bytes_get_bytearray():
    text = "def f(parts):\n    s = ''\n    for p in parts:\n        s = p + s\n    return s\n"
    (f,) = lint_sources({"m.py": text}, select=("PFL203",), config=Config(min_severity="note"))
    assert "''.join()" in f.fix and "b''" not in f.fix and "bytearray" not in f.fix
    data = "def f(parts):\n    b = b''\n    for p in parts:\n        b += p\n    return b\n"
    (f,) = lint_sources({"m.py": data}, select=("PFL203",), config=Config(min_severity="note"))
    assert "b''.join()" in f.fix and "bytearray" in f.fix


def test_pfl203_size_follows_the_piece():
    digits = "def f(n, chars, f):\n    s = ''\n    for d in range(n):\n        s = chars[d] + s\n    return s\n"
    (f,) = lint_sources({"m.py": digits}, select=("PFL203",), config=Config(min_severity="note"))
    chunks = digits.replace("chars[d]", "f.read(16)")
    (g,) = lint_sources({"m.py": chunks}, select=("PFL203",), config=Config(min_severity="note"))
    assert g.cost == pytest.approx(f.cost * 16)  # a 16-byte read per step, not one character
    named = "def f(sock):\n    buf = b''\n    while True:\n        chunk = sock.recv(32768)\n        buf += chunk\n"
    (h,) = lint_sources({"m.py": named}, select=("PFL203",), config=Config(min_severity="note"))
    line = named.replace("sock.recv(32768)", "sock.readline_text()")
    (k,) = lint_sources({"m.py": line}, select=("PFL203",), config=Config(min_severity="note"))
    per_byte = load_costs()["text-append-byte"]
    assert k.cost == pytest.approx(per_byte * 100 * 64 / 2)  # 100 steps of a 64-byte line
    # 100 reads of 32 KiB would hold 3.2 MB; a stream of data-bytes (64 KiB) is 2 such reads,
    # copied 2 x 64 KiB / 2 in all, spread over the 100 steps the frequency counts
    assert h.cost == pytest.approx(per_byte * 2 * 65536 / 2 / 100)


def test_pfl503_write_per_row_gets_batch_advice_read_gets_one_query():
    write_ = "def f(cur, rows):\n    for r in rows:\n        cur.execute('INSERT INTO t VALUES (?)', r)\n"
    (f,) = lint_sources({"m.py": write_}, select=("PFL503",), config=Config(min_severity="note"))
    assert f.message.endswith("(a write per row)") and "executemany()" in f.fix and "WHERE" not in f.fix
    orm = "def f(rows):\n    for r in rows:\n        Item.objects.create(name=r)\n"
    (f,) = lint_sources({"m.py": orm}, select=("PFL503",), config=Config(min_severity="note"))
    assert "bulk_create()" in f.fix
    read = "def f(cur, ids):\n    for i in ids:\n        cur.execute('SELECT * FROM t WHERE id = ?', (i,))\n"
    (f,) = lint_sources({"m.py": read}, select=("PFL503",), config=Config(min_severity="note"))
    assert "WHERE ... IN" in f.fix and f.message.endswith("(N+1 queries)")


def test_pfl503_sqlite_is_a_local_round_trip_a_server_is_not():
    src = "def f(cur, ids):\n    for i in ids:\n        cur.execute('SELECT * FROM t WHERE id = ?', (i,))\n"
    costs = Config(min_severity="note")
    (server,) = lint_sources({"m.py": src}, select=("PFL503",), config=costs)
    (local,) = lint_sources({"m.py": "import sqlite3\n" + src}, select=("PFL503",), config=costs)
    table = load_costs()
    assert server.cost == table["query-roundtrip-network"] and local.cost == table["query-roundtrip"]


def test_pfl503_a_sibling_module_that_opens_sqlite_makes_the_package_local():
    # mercurial's hgext/git: gitlog.py queries a connection its sibling index.py opened
    log = ("class Log:\n    def __init__(self, db):\n        self._db = db\n"
           "    def node(self, r):\n        return self._db.execute('SELECT n FROM t WHERE r = ?', (r,))\n"
           "    def nodes(self, revs):\n        return [self.node(r) for r in revs]\n")
    index = "import sqlite3\ndef open_db(path):\n    return sqlite3.connect(path)\n"
    costs, table = Config(min_severity="note"), load_costs()
    files = {"pkg/__init__.py": "", "pkg/index.py": index, "pkg/log.py": log}
    (local,) = lint_sources(files, select=("PFL503",), config=costs)
    assert local.cost == table["query-roundtrip"] and local.severity == "note"
    files["pkg/index.py"] = "import psycopg2\n" + index  # a server too: it may be either
    (mixed,) = lint_sources(files, select=("PFL503",), config=costs)
    assert mixed.cost == table["query-roundtrip-network"]
    del files["pkg/index.py"]
    files["other/__init__.py"], files["other/index.py"] = "", index  # another package's SQLite
    (server,) = lint_sources(files, select=("PFL503",), config=costs)
    assert server.cost == table["query-roundtrip-network"]


@pytest.mark.parametrize("test, trips", [
    ("pr == p", [None, 1]),  # the item equal to one local value: a match
    ("pr.rev == p", [None, 1]),
    ("p == pr[0]", [None, 1]),
    ("pr == 'file'", [None, None]),  # a literal: a filter by category
    ("pr == NULLREV", [None, None]),  # a module constant: a category too
    ("pr is None", [None, None]),
    ("pr == q", [None, None]),  # q changes in the loop
])
def test_a_branch_that_matches_the_item_against_a_value_runs_once_per_loop(test, trips):
    source = (f"def f(revs, p):\n    for r in revs:\n        for pr in parents_of(r):\n            q = pr.peer\n"
              f"            if {test}:\n                leaf()\n")
    assert [loop.trips for loop in loops_of(source)] == trips


def test_pfl204_slice_fed_to_unpack_gets_unpack_from_and_a_fixed_header_is_cheap():
    src = ("import struct\ndef f(sock):\n    data = sock.recv(65536)\n    out = []\n"
           "    for i in range(0, len(data), 4):\n        out.append(struct.unpack('<I', data[i:i + 4]))\n"
           "        out.append(data[i:i + 4].hex())\n    return out\n")
    found = lint_sources({"m.py": src}, select=("PFL204",), config=Config(min_severity="note"))
    by_line = {f.line: f for f in found}
    assert by_line[6].fix.startswith("use struct.unpack_from(fmt, buf, offset)")
    assert by_line[7].fix.startswith("slice a memoryview")
    assert by_line[7].cost == pytest.approx(load_costs()["copy-byte"] * 4)  # four bytes: negligible
    consume = "def f(sock):\n    buf = sock.recv(65536)\n    while buf:\n        buf = buf[4:]\n"
    (f,) = lint_sources({"m.py": consume}, select=("PFL204",), config=Config(min_severity="note"))
    assert f.fix.startswith("keep an offset into the data")


# -- calibration files --------------------------------------------------------------------------
def test_a_calibration_file_changes_the_costs(tmp_path, cli):
    write(tmp_path, {"m.py": "import os\ndef f(fd, rows):\n    for r in rows:\n        os.fsync(fd)\n"})
    round_costs(tmp_path)
    data = cli(["check", ".", "--format", "json", "--select", "PFL402", "--no-cache"], tmp_path).json()
    assert [(f["cost"], f["score"]) for f in data["findings"]] == [(0.0001, 0.01)]


@pytest.mark.parametrize("content, message", [
    (None, "calibration file not found"),
    ("not = [toml", "not a perflint calibration file (invalid TOML"),
    ("[other]\nx = 1\n", "not a perflint calibration file (no [calibration] and [costs] tables)"),
    ("[calibration]\nformat = 99\n[costs]\n", "calibration format 99, this perflint reads format 1"),
    ("[calibration]\nformat = 1\npython = \"2.7\"\n[costs]\n", "calibrated on Python 2.7"),
    ("STALE", "stale calibration, no cost for fsync"),
    ("NEGATIVE", "costs.fsync must be a non-negative number of seconds"),
])
def test_a_bad_or_stale_calibration_file_is_exit_2(tmp_path, cli, content, message):
    write(tmp_path, {"m.py": "x = 1\n", "perflint.toml": 'costs = "costs.toml"\n'})
    if content in ("STALE", "NEGATIVE"):
        text = render_table({k: {"cost": 1e-6, "smell": 1e-6, "fix": 0.0} for k in _keys()},
                            machine_meta("test", "2026-01-01"))
        if content == "STALE":
            text = "\n".join(line for line in text.splitlines() if not line.startswith('"fsync" ='))
        else:
            text = text.replace('"fsync" = 1e-06', '"fsync" = -1')
        (tmp_path / "costs.toml").write_text(text, encoding="utf-8")
    elif content is not None:
        (tmp_path / "costs.toml").write_text(content, encoding="utf-8")
    r = cli(["check", ".", "--no-cache"], tmp_path)
    assert r.code == 2, r.out
    assert r.err.startswith("perflint: error: costs: ") and message in r.err and len(r.err.strip().splitlines()) == 1


def _keys():
    from perflint.costs import required_keys

    return required_keys()


def test_calibrate_writes_a_file_check_can_use(tmp_path, cli):
    r = cli(["calibrate", "-o", "mine.toml", "--quiet"], tmp_path)
    assert r.code == 0, r.err
    assert 'use it with costs = "mine.toml"' in r.err
    table = load_costs(tmp_path / "mine.toml")
    assert set(_keys()) <= set(table.costs) and table.meta["format"] == 1
    assert all(value >= 0 for value in table.costs.values())
    write(tmp_path, {"m.py": "x = 1\n", "perflint.toml": 'costs = "mine.toml"\n'})
    assert cli(["check", ".", "--no-cache"], tmp_path).code == 0


def test_the_shipped_table_has_every_key_and_a_bad_path_is_an_error():
    assert set(_keys()) <= set(load_costs().costs)
    with pytest.raises(CostsError, match="calibration file not found"):
        load_costs(Path("/nonexistent/costs.toml"))


def test_building_what_a_raise_throws_is_an_error_path():
    src = ("import os\nclass Failed(Exception):\n    def __init__(self, fd):\n        os.fsync(fd)\n"
           "def run(fds):\n    for fd in fds:\n        if fd < 0:\n            raise Failed(fd)\n")
    p = program({"m.py": src})
    assert p.heat["m.Failed.__init__"] == 1 and not p.hot.get("m.Failed.__init__")


def test_heat_through_a_merged_decorator_value_is_a_guess():
    # `_alias(x)` returns x whatever it decorates: the value flow merges every x it is given,
    # so `log_msg()` may be any of them. A real call, but not one to heat from a loop.
    src = ("import os\n"
           "def _alias(something):\n    def decorate(f):\n        return something\n    return decorate\n"
           "class Pub:\n    def msg(self):\n        pass\n    def remove(self, o):\n        for x in self.obs:\n"
           "            if x == o:\n                return x\n"
           "P = Pub()\n"
           "@_alias(P.msg)\ndef log_msg():\n    pass\n"
           "@_alias(P.remove)\ndef log_remove(o):\n    pass\n"
           "def caller(rows):\n    for r in rows:\n        log_msg()\n")
    found = lint_sources({"m.py": src}, select=("PFL502",), config=Config(min_severity="note"))
    assert [(f.confidence, f.severity) for f in found if f.function == "Pub.remove"] in ([], [("low", "note")])


def test_an_override_shim_is_cold_and_a_local_int_bounds_a_loop():
    shim = ("class Manager:\n    def log_action(self, o):\n        return o.save()\n"
            "    def log_actions(self, rows):\n"
            "        if type(self).log_action != Manager.log_action:\n"
            "            return [self.log_action(o) for o in rows]\n"
            "        return None\n")
    p = program({"m.py": shim})
    (site,) = [s for s in p.functions["m.Manager.log_actions"][1].calls if s.text == "self.log_action"]
    assert site.cold and "compatibility shim" in site.cold_reason
    (loop,) = loops_of("def f():\n    passes = 3\n    for _ in range(passes):\n        leaf()\n")
    assert (loop.trips, loop.data) == (3, False)


def test_a_list_built_from_headers_is_a_handful_and_readline_is_a_line():
    src = ("def add(request, headers, unredirected):\n"
           "    names = [h.lower() for h in (unredirected or [])]\n"
           "    other = [h.lower() for h in (request_headers or [])]\n"
           "    for h in request.items:\n        if h in names or h in other:\n            pass\n")
    (f,) = lint_sources({"m.py": src}, select=("PFL505",), config=Config(min_severity="note"))
    # one cause, two lists: `unredirected` (unknown: 100 elements) + `request_headers` (10)
    assert f.related and f.cost == pytest.approx(load_costs()["list-membership-element"] * (100 + 10))
    src2 = src.replace("unredirected or []", "unredirected_headers or []").replace("def add(request, headers, unredirected)", "def add(request, headers, unredirected_headers)")
    (g,) = lint_sources({"m.py": src2}, select=("PFL505",), config=Config(min_severity="note"))
    assert g.related and g.cost == pytest.approx(load_costs()["list-membership-element"] * (10 + 10))
    lines = "def f(fp):\n    text = b''\n    while True:\n        line = fp.readline()\n        text += line\n"
    (h,) = lint_sources({"m.py": lines}, select=("PFL203",), config=Config(min_severity="note"))
    assert h.cost == pytest.approx(load_costs()["text-append-byte"] * 100 / 2 * 64)


def test_time_from_sums_what_an_entry_reaches_and_only_what_ran(tmp_path, round_config):
    from dataclasses import replace

    from perflint.config import CONFIDENCE_FACTORS
    from perflint.engine import scan
    from perflint.hotpaths import time_from

    write(tmp_path, {"m.py": "import os\ndef leaf(fd):\n    os.fsync(fd)\ndef entry(fds):\n    for fd in fds:\n"
                             "        leaf(fd)\ndef elsewhere(fds):\n    for fd in fds:\n        os.fsync(fd)\n"})
    run = scan([tmp_path], replace(round_config, root=tmp_path))
    modules = {s.path: s.module for s in run.summaries}
    seconds, sites = time_from(run.program, modules, run.result.findings, "m.entry", CONFIDENCE_FACTORS)
    # one fsync (100 us) per item of entry's loop: PFL402 and PFL401 share the site, the larger counts
    assert [(f.rule, f.function) for f, _ in sites] == [("PFL402", "leaf")] and seconds == pytest.approx(0.01)
    # a profile of entry that never saw leaf run: nothing of it is on this entry's path
    assert time_from(run.program, modules, run.result.findings, "m.entry", CONFIDENCE_FACTORS, ran={"m.entry"})[0] == 0


# -- a call that needs an optional argument its hot caller leaves out ----------------------------
GUARDED = """\
import copy
CACHE = {}
def assumed(arn):
    return copy.deepcopy(CACHE)
def creds():
    return 1
def sig4(method, prov, role_arn=None):
    if role_arn is None:
        return creds()
    return _assumed(role_arn)
def _assumed(arn):
    return assumed(arn)
def query(items):
    for i in items:
        sig4("GET", i)
"""


@pytest.mark.parametrize("extra, frequency", [
    ("", 1.0),  # salt's aws.query never passes role_arn: the else branch runs on no hot chain
    ("def s3(items):\n    for i in items:\n        sig4('GET', i, role_arn='x')\n", 100.0),
    ("def s3(items):\n    for i in items:\n        sig4('GET', i, None, 'x')\n", 100.0),  # one positional too many
    ("def s3(items, **kw):\n    for i in items:\n        sig4('GET', i, **kw)\n", 100.0),  # may pass anything
])
def test_a_call_under_an_optional_parameter_gets_heat_only_from_callers_that_pass_it(extra, frequency):
    src = GUARDED + extra
    if "None, 'x'" in extra:
        src = src.replace("def sig4(method, prov, role_arn=None):", "def sig4(method, prov, region=None, role_arn=None):")
    (f,) = lint_sources({"m.py": src}, select=("PFL101",), config=Config(min_severity="note"))
    assert f.frequency == frequency, f.context


@pytest.mark.parametrize("test, branch, given", [
    # `p=None` is also a flag (guards.flag_params): `truthy:p:F` / `falsy:p:F` ask what a
    # caller's literal argument (or the default, falsy) makes of `if p:`
    ("p", "body", ("p", "truthy:p:F")), ("p is not None", "body", ("p",)), ("p is None", "else", ("p",)),
    ("not p", "else", ("p", "truthy:p:F")), ("p and q", "body", ("p", "q", "truthy:p:F")),
    ("p or q", "body", ("any:p,q",)),  # one of them given: a caller passing neither never takes it
    ("p or flag", "body", ()),  # `flag` needs nothing passed: any caller may take it
    ("p is None", "body", ("absent:p",)), ("p is not None", "else", ("absent:p",)),
    ("not p", "body", ("falsy:p:F",)),  # a caller passing False takes it too: only `is None` says absent
    ("flag", "body", ()),  # neither optional nor a flag (no default, no bool annotation)
    ("p is None", "after return", ("p",)), ("p is not None", "after return", ("absent:p",)),
    ("p", "after return", ("falsy:p:F",)),
])
def test_guarded_params_read_the_if_around_a_call(test, branch, given):
    body = {"body": "        go()\n", "else": "        pass\n    else:\n        go()\n",
            "after return": "        return 1\n    go()\n"}[branch]
    src = f"def go():\n    pass\ndef f(flag, p=None, q=0):\n    if {test}:\n{body}"
    (site,) = [s for s in program({"m.py": src}).functions["m.f"][1].calls if s.text == "go"]
    assert site.guards == given


QUEUE = """\
class Queue:
    def __init__(self):
        self.series = []
        self.guards = {}
    def pushable(self, idx):
        if isinstance(idx, bytes):
            idx = self.series.index(idx)
        return self.guards.get(idx)
    def next_patch(self, start):
        for i in range(start, len(self.series)):
            for g in self.guards:
                if self.pushable(i):
                    return i
"""


@pytest.mark.parametrize("extra, frequency, severity", [
    # mercurial's queue: the per-patch loop passes the integer index, never a name
    ("", 1.0, "note"),
    ("    def by_name(self, names):\n        for n in names:\n            for g in self.guards:\n"
     "                self.pushable(n)\n", 1000.0, "warning"),  # n: a type the call does not show
    ("    def by_literal(self, names):\n        for n in names:\n            for g in self.guards:\n"
     "                self.pushable(b'x')\n", 1000.0, "warning"),  # bytes: it takes the branch
])
def test_a_site_under_isinstance_of_a_parameter_counts_callers_that_pass_that_type(extra, frequency, severity):
    (f,) = lint_sources({"m.py": QUEUE + extra}, select=("PFL502",), config=Config(min_severity="note"))
    assert (f.frequency, f.severity) == (frequency, severity)


def test_a_guarded_site_is_traced_through_a_caller_that_passes_its_guard():
    by_name = ("    def apply(self, names):\n        for n in names:\n            for g in self.guards:\n"
               "                self.pushable(n)\n")
    # next_patch's loop is hotter (x1000 through its caller) but passes integers
    hot_ints = ("def run(q, items):\n    for i in items:\n        q.next_patch(0)\n")
    (f,) = lint_sources({"m.py": QUEUE + by_name + hot_ints}, select=("PFL502",), config=Config(min_severity="note"))
    assert [(hop.function, hop.line) for hop in f.trace][-1] == ("Queue.apply", 17)
    assert "for loop in Queue.apply" in f.context or "Queue.apply" in f.context


def test_a_site_under_an_optional_parameter_counts_callers_that_pass_it():
    src = ("import copy\nT = {}\n"
           "def f(x, extra=None):\n    if extra:\n        return copy.deepcopy(T)\n    return x\n"
           "def g(rows):\n    for r in rows:\n        f(r)\n")
    (f,) = lint_sources({"m.py": src}, select=("PFL101",), config=Config(min_severity="note"))
    assert (f.frequency, f.severity) == (1.0, "note")
    src += "def h(rows):\n    for r in rows:\n        f(r, extra=1)\n"
    (f,) = lint_sources({"m.py": src}, select=("PFL101",), config=Config(min_severity="note"))
    assert f.frequency == 100.0


RESET = """\
def reset(session, filter_by=None):
    if filter_by is None:
        return session.execute("SELECT id FROM ti WHERE state = 'queued'").fetchall()
    return [filter_by]
"""


@pytest.mark.parametrize("caller, frequency, severity", [
    # airflow's backfill passes the run it filters by: the `is None` branch never runs for it
    ("reset(session, filter_by=r)", 1.0, "note"),
    ("reset(session, r)", 1.0, "note"),
    ("reset(session)", 100.0, "error"),
    ("reset(*args)", 100.0, "error"),
])
def test_a_site_under_is_none_counts_only_callers_that_leave_the_parameter_out(caller, frequency, severity):
    src = RESET + f"def run(session, runs, args):\n    for r in runs:\n        {caller}\n"
    (f,) = lint_sources({"m.py": src}, select=("PFL503",), config=Config(min_severity="note"))
    assert (f.frequency, f.severity) == (frequency, severity)


def test_a_small_copy_beside_a_module_level_http_request_is_dwarfed():
    # salt's aws.query: requests.get() opens a new connection per call (3 ms); a 100-element
    # deep copy (100 us) on its path is 3% of it
    src = ("import copy, requests\nCACHE = {}\n"
           "def creds():\n    return copy.deepcopy(CACHE)\n"
           "def query(url):\n    c = creds()\n    return requests.get(url, auth=c)\n"
           "def run(urls):\n    for u in urls:\n        query(u)\n")
    (f,) = lint_sources({"m.py": src}, select=("PFL101",), config=Config(min_severity="note"))
    assert (f.frequency, f.severity) == (100.0, "note")
    (f,) = lint_sources({"m.py": src.replace("requests.get(url, auth=c)", "c")}, select=("PFL101",),
                        config=Config(min_severity="note"))
    assert f.severity == "warning"


def test_a_chain_from_a_recursive_root_explains_the_trips_it_multiplied():
    # salt's apply_sdb recurses per config key, then loads modules: the explanation showed x1 for
    # every loop (the depth the recursion left the root at) while the frequency was 1000
    src = ("import copy\nT = {'a': 1}\ndef load(mod):\n    return copy.deepcopy(T)\n"
           "def mods(names):\n    for n in names:\n        load(n)\n"
           "def apply(tree):\n    for k in tree:\n        apply(tree[k])\n    mods(tree)\n")
    (f,) = lint_sources({"m.py": src}, select=("PFL101",), config=Config(min_severity="note"))
    assert f.frequency == 1000.0
    assert [(h.function, h.note) for h in f.trace] == [
        ("apply", "no callers in the scanned code: runs once per call (set `hot` if it runs per request or row)"),
        ("apply", "calls apply inside a for loop (line 9, x100 (unknown bound: loop-trips))"),
        ("apply", "calls mods"),
        ("mods", "calls load inside a for loop (line 6, x10 (unknown bound inside another: nested-loop-trips))"),
    ]


def test_work_beside_a_recursive_call_in_its_loop_counts_each_visit_once():
    # sphinx's inheritance diagram: recurse(cls) loops over cls.__bases__, tests each base
    # against a list and recurses into it. The recursion's x100 already counts every visit; the
    # work beside the recursive call runs once per child visited, not x100 again (1e4, not 100).
    src = ("import copy\nT = {'a': 1}\n"
           "def walk(node):\n"
           "    for child in node.children:\n"
           "        copy.deepcopy(T)\n"
           "        walk(child)\n")
    (f,) = lint_sources({"m.py": src}, select=("PFL101",), config=Config(min_severity="note"))
    assert f.frequency == 100.0
    assert [h.note for h in f.trace][-2:] == [
        "calls walk inside a for loop (line 4, x100 (unknown bound: loop-trips))",
        "for loop, x1 (each trip is a visit the recursion already counts)",
    ]
    # without the recursion the loop multiplies as any loop does
    (f,) = lint_sources({"m.py": src.replace("        walk(child)\n", "")}, select=("PFL101",),
                        config=Config(min_severity="note"))
    assert f.frequency == 100.0
    # a loop of its own inside the visit still multiplies
    nested = src.replace("        copy.deepcopy(T)\n", "        for k in range(8):\n            copy.deepcopy(T)\n")
    (f,) = lint_sources({"m.py": nested}, select=("PFL101",), config=Config(min_severity="note"))
    assert f.frequency == 800.0


def test_a_chain_through_a_recursion_goes_on_to_the_loop_that_entered_it():
    # the explanation stopped at the recursion (x10) while the frequency also held the x100 of
    # the caller's loop that entered it: now every factor of the frequency is on the trace
    src = ("import copy\nT = {'a': 1}\n"
           "def walk(node):\n"
           "    for child in node.children:\n"
           "        copy.deepcopy(T)\n"
           "        walk(child)\n"
           "def run(trees):\n"
           "    for tree in trees:\n"
           "        walk(tree)\n")
    (f,) = lint_sources({"m.py": src}, select=("PFL101",), config=Config(min_severity="note"))
    assert f.frequency == 1000.0
    assert [(h.function, h.note) for h in f.trace] == [
        ("run", "no callers in the scanned code: runs once per call (set `hot` if it runs per request or row)"),
        ("run", "calls walk inside a for loop (line 8, x100 (unknown bound: loop-trips))"),
        ("walk", "calls walk inside a for loop (line 4, x10 (unknown bound inside another: nested-loop-trips))"),
        ("walk", "for loop, x1 (each trip is a visit the recursion already counts)"),
    ]


def test_below_the_last_guessed_call_the_sure_loops_still_count():
    # `t.manipulate_files()` on tasks of unknown type is found by the method's name alone: heat through
    # it is a guess. Below it, Task.manipulate_files calls handle() per item: that loop is sure, and
    # alone repeats the parse 100 times (beets: import stages -> manipulate_files -> item.move()).
    src = ("import json\nSCHEMA_TEXT = '{}'\n"
           "class Task:\n    def manipulate_files(self):\n        for item in self.items:\n            self.handle(item)\n"
           "    def handle(self, item):\n        return json.loads(SCHEMA_TEXT)\n"
           "def run(tasks):\n    for t in tasks:\n        t.manipulate_files()\n")
    (f,) = lint_sources({"m.py": src}, select=("PFL102",), config=Config(min_severity="note"))
    assert (f.frequency, f.severity, f.confidence) == (100.0, "warning", "high")
    assert f.score == pytest.approx(f.cost * 100)
    # no data loop below the guess: the frequency is all guess, a note at low confidence
    flat = src.replace("        for item in self.items:\n            self.handle(item)\n",
                       "        self.handle(None)\n")
    (g,) = lint_sources({"m.py": flat}, select=("PFL102",), config=Config(min_severity="note"))
    assert (g.severity, g.confidence) == ("note", "low")
