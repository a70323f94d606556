"""Loops that walk a data buffer (perflint/datawalk.py): their trips come from `data-bytes`,
and an accumulator grown in them copies quadratically in that size (PFL203)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import write

from perflint.analyze import Analyzer
from perflint.callgraph import Program
from perflint.config import Config, ConfigError, load_config
from perflint.costs import load_costs
from perflint.discovery import SourceFile
from perflint.testing import lint_sources
from pathlib import Path

NOTE = Config(min_severity="note")


def loops_of(source, callee="leaf"):
    """The loops around the call of `callee` in `f`, as the summary records them."""
    src = "def leaf(*a):\n    pass\n" + source
    summary = Analyzer([]).analyze_bytes(SourceFile(Path("m.py"), "m.py", "m", False, False), src.encode())
    (site,) = [s for s in Program([summary]).functions["m.f"][1].calls if s.text == callee]
    return site.loops


def pfl203(source, config=NOTE):
    return lint_sources({"m.py": source}, select=("PFL203",), config=config)


# -- which loops walk the data --------------------------------------------------------------------
@pytest.mark.parametrize("source, walks, why", [
    # an index over a buffer the signature says is bytes
    ("def f(data: bytes):\n    i = 0\n    while i < len(data):\n        leaf(data[i])\n        i += 1\n",
     1, "walks data by index"),
    # while True that leaves when the index reaches the end; the buffer came from encode()
    ("def f(text):\n    data = text.encode()\n    i = 0\n    while True:\n        if i >= len(data):\n"
     "            break\n        leaf(data[i])\n        i += 4\n", 4, "walks data by index, 4 elements"),
    # the elements of a buffer read from a file, and of a slice of it
    ("def f(fp):\n    blob = fp.read()\n    head = blob[4:]\n    for b in enumerate(head):\n        leaf(b)\n",
     1, "walks head, one element"),
    ("def f(data: 'bytes'):\n    for i in range(0, len(data), 2):\n        leaf(i)\n", 2, "walks data by index, 2 elements"),
    # reading a stream to its end, a byte / 16 bytes / a line at a time
    ("def f(stream):\n    while True:\n        tok = stream.read(1)\n        if not tok:\n            break\n"
     "        leaf(tok)\n", 1, "reads a stream to its end, 1 byte a trip"),
    ("def f(stream):\n    while tok := stream.read(16):\n        leaf(tok)\n", 16, "16 bytes a trip"),
    ("def f(fp):\n    while True:\n        line = fp.readline()\n        if line == b'':\n            return\n"
     "        leaf(line)\n", 64, "a line a trip"),
    # a cursor into a buffer the object keeps
    ("class P:\n    def fill(self):\n        self.buf = self.fp.read(4096)\n"
     "def f(self):\n    while self.charpos < self.end:\n        leaf(self.buf[self.charpos])\n        self.charpos += 1\n",
     1, "walks self.buf with a cursor"),
    # a comprehension over a buffer walks it as a for loop does, also after a method that
    # keeps its length (strip, decode, upper...)
    ("def f(s: str):\n    return [leaf(c) for c in s]\n", 1, "walks s, one element"),
    ("def f(s: bytes):\n    return [leaf(c) for c in s.decode().upper()]\n", 1, "walks s.decode().upper(), one element"),
    ("def f(s: str):\n    for c in s.strip():\n        leaf(c)\n", 1, "walks s.strip(), one element"),
    ("def f(s: str):\n    for i in range(len(s.rstrip())):\n        leaf(i)\n", 1, "walks s.rstrip() by index"),
    # the lines of a message held in memory
    ("import io\ndef f(chunks):\n    fh = io.BytesIO(b''.join(chunks))\n    for line in fh:\n        leaf(line)\n",
     64, "walks the lines of fh"),
])
def test_loops_over_a_buffer_walk_the_data(source, walks, why):
    (loop,) = loops_of(source)
    assert loop.trips is None and loop.walks == walks and why in loop.why


@pytest.mark.parametrize("source", [
    # a list, not a buffer
    "def f(items: list):\n    i = 0\n    while i < len(items):\n        leaf(items[i])\n        i += 1\n",
    "def f(rows):\n    for r in rows:\n        leaf(r)\n",
    # a matcher's position goes back to 0: not a walk of the pattern
    "def f(pat: bytes):\n    i = 0\n    while i < len(pat):\n        leaf(i)\n        i += 1\n        if i == 3:\n            i = 0\n",
    # a record of unknown size per trip
    "def f(data: bytes, n):\n    for i in range(0, len(data), n + 1):\n        leaf(i)\n",
    # reads that never test for the end of the stream
    "def f(sock):\n    while True:\n        leaf(sock.recv(1))\n",
    # a comprehension with a nested clause walks the parts, not the buffer
    "def f(s: str):\n    return [leaf(c) for w in s for c in w]\n",
    # split() changes what one element is; a method of something that is not a buffer
    "def f(s: str):\n    return [leaf(w) for w in s.split()]\n",
    "def f(names):\n    return [leaf(c) for c in names.strip()]\n",
])
def test_other_loops_stay_unknown(source):
    (loop,) = loops_of(source)
    assert loop.trips is None and loop.walks == 0


def test_fixed_size_and_retry_loops_keep_their_small_bounds():
    (loop,) = loops_of("def f(sock, n):\n    buf = b''\n    while len(buf) < n:\n        leaf(sock.recv(n))\n")
    assert (loop.trips, loop.walks) == (2, 0)  # a read loop filling a fixed size


# -- what a walk costs an accumulator -----------------------------------------------------------
DECODER = ("def decode(data: bytes):\n    out = b''\n    i = 0\n    while i < len(data):\n"
           "        out += bytes((data[i] ^ 0x20,))\n        i += 1\n    return out\n")
DECODER_FIXED = DECODER.replace("out = b''", "out = bytearray()")
READ_BYTES = ("def read_token(stream):\n    tok = b''\n    while True:\n        c = stream.read(1)\n"
              "        if not c or c.isspace():\n            break\n        tok += c\n    return tok\n")
READ_CHUNKS = ("def slurp(fh):\n    data = b''\n    while True:\n        chunk = fh.read(1 << 20)\n"
               "        if not chunk:\n            break\n        data += chunk\n    return data\n")
SELECT_LOOP = ("import os, select\ndef run(p, fds):\n    out = b''\n    while p.poll() is None:\n"
               "        ready = select.select(fds, [], [], 1)[0]\n        for fd in ready:\n"
               "            out += os.read(fd, 10240)\n    return out\n")


def test_a_decoder_walking_its_input_byte_by_byte_is_quadratic_in_data_bytes():
    (f,) = pfl203(DECODER)
    per_byte = load_costs()["text-append-byte"]
    # 65536 steps of one byte: each copies 32768 bytes on average
    assert f.frequency == 65536 and f.cost == pytest.approx(per_byte * 65536 / 2)
    assert f.severity == "error"
    assert not pfl203(DECODER_FIXED)


def test_reading_a_stream_a_byte_at_a_time_is_a_walk_too():
    (f,) = pfl203(READ_BYTES)
    assert f.frequency == 65536 and f.severity == "error"
    assert not pfl203(READ_BYTES.replace("tok = b''", "tok = bytearray()"))


def test_data_bytes_is_the_size_assumed_and_is_configurable():
    (small,) = pfl203(DECODER, replace(NOTE, data_bytes=4096))
    per_byte = load_costs()["text-append-byte"]
    assert small.frequency == 4096 and small.cost == pytest.approx(per_byte * 4096 / 2)
    assert small.severity == "note"  # 4 KiB byte by byte copies 8 MB: under a millisecond


def test_chunked_reads_of_a_large_size_stay_notes():
    (f,) = pfl203(READ_CHUNKS)
    assert f.frequency == 1 and f.severity == "note"  # a 64 KiB stream is one read of 1 MiB
    (g,) = pfl203(SELECT_LOOP)  # a pipe read 10 KiB at a time under a select loop
    assert g.severity == "note"
    assert g.cost * g.frequency == pytest.approx(load_costs()["text-append-byte"] * 6.4 * 65536 / 2)


def test_a_decoder_deep_in_a_chain_still_holds_the_whole_data():
    caller = ("def pages(pages, streams):\n    for page in pages:\n        for stream in streams:\n"
              "            decode(stream)\n")
    (f,) = pfl203(DECODER + caller)
    per_byte = load_costs()["text-append-byte"]
    # two unknown loops above (x100, x10) leave nothing for the walk in the frequency; the
    # copy of one accumulation is still 65536 steps x 32768 bytes
    assert f.frequency == 1000 and f.cost == pytest.approx(per_byte * 65536 / 2 * 65536)
    assert "per walk of the data" in scores_text(DECODER + caller)


def scores_text(source):
    from perflint.scoring import Scorer
    from perflint.testing import select_rules

    rules = select_rules(NOTE, ("PFL203",))
    summary = Analyzer(rules).analyze_bytes(SourceFile(Path("m.py"), "m.py", "m", False, False), source.encode())
    program = Program([summary])
    scorer = Scorer(NOTE, load_costs(), program)
    (cand,) = summary.candidates
    fid = f"m.{cand.function}"
    return scorer.cost("PFL203", "text-append-byte", cand, fid)[1]


def test_explain_scores_says_where_the_trips_came_from(tmp_path, cli):
    write(tmp_path, {"m.py": DECODER})
    result = cli(["check", "m.py", "--no-cache", "--explain-scores", "--select", "PFL203", "--exit-zero"], tmp_path)
    assert "x65536 (walks data by index, one element a trip: data-bytes 65536 / 1)" in result.out
    assert "32768 bytes held on average (65536 steps of 1 byte)" in result.out
    write(tmp_path, {"perflint.toml": "data-bytes = 0\n"})
    bad = cli(["check", "m.py", "--no-cache"], tmp_path)
    assert bad.code == 2 and "data-bytes" in bad.err and len(bad.err.strip().splitlines()) == 1


def test_data_bytes_in_the_config(tmp_path):
    write(tmp_path, {"perflint.toml": "data-bytes = 1048576\n"})
    assert load_config(tmp_path / "perflint.toml").data_bytes == 1048576
    write(tmp_path, {"perflint.toml": "data-bytes = 0\n"})
    with pytest.raises(ConfigError, match="data-bytes"):
        load_config(tmp_path / "perflint.toml")


def test_a_name_rebound_to_a_list_is_not_a_buffer():
    src = "def f(opts):\n    if not opts:\n        opts = 'defaults'\n    opts = opts.split(',')\n    for o in opts:\n        leaf(o)\n"
    (loop,) = loops_of(src)
    assert loop.walks == 0


def test_a_name_bound_only_to_a_literal_has_the_literal_length():
    (loop,) = loops_of("def f(n):\n    digits = '0123456789'\n    for d in digits:\n        leaf(d)\n")
    assert loop.walks == 0


@pytest.mark.parametrize("source, trips, why", [
    # airflow's scheduler: each pass of the main loop is one tick, the unit of work
    ("import itertools, time\ndef f(s):\n    for n in itertools.count(start=1):\n        leaf(s)\n"
     "        if n:\n            time.sleep(1)\n", 1, "a service loop: each pass waits (time.sleep())"),
    ("def f(self):\n    while not self._stop:\n        leaf(self)\n        self.event.wait(5)\n", 1,
     "a service loop: each pass waits (self.event.wait())"),
    ("def f(self, conn):\n    while True:\n        ready = wait(conn, timeout=1)\n        leaf(ready)\n", 1,
     "a service loop: each pass waits (wait())"),
    # tenacity's retry iterators run the body again only after an error
    ("def f(s):\n    for attempt in run_with_db_retries():\n        leaf(s)\n", 3, "a retry loop"),
    ("from tenacity import Retrying\ndef f(s):\n    for attempt in Retrying(stop=3):\n        leaf(s)\n", 3,
     "a retry loop"),
])
def test_service_and_retry_loops_are_not_loops_over_items(source, trips, why):
    (loop,) = loops_of(source)
    assert (loop.trips, loop.data) == (trips, False) and why in loop.why


@pytest.mark.parametrize("source", [
    # no wait in the pass: a loop over something that ends when it runs out
    "def f(q):\n    while True:\n        leaf(q.pop())\n",
    "import itertools\ndef f(pages):\n    for n in itertools.count():\n        leaf(pages(n))\n",
    # a wait inside a function the loop defines is not the loop's
    "def f(q):\n    while True:\n        def later():\n            sleep(1)\n        leaf(later)\n",
    # runs until a child process exits, reading its output: a walk of the data
    "import select\ndef f(p, fds):\n    while p.poll() is None:\n        leaf(select.select(fds, [], [], 1))\n",
])
def test_loops_without_a_wait_per_pass_are_not_service_loops(source):
    (loop,) = loops_of(source)
    assert loop.trips is None


@pytest.mark.parametrize("source, trips, why", [
    # a work loop tested on flags, with a heartbeat per pass (airflow's backfill)
    ("def f(s):\n    while (s.to_run or s.running) and not s.deadlocked:\n        leaf(s)\n"
     "        perform_heartbeat(s)\n", 1, "a service loop"),
    # one pass per batch of rows (Home Assistant's recorder migrations)
    ("def f(session, find):\n    while rows := session.execute(find(1000)).all():\n        leaf(rows)\n", 1,
     "a loop over batches: each pass fetches a batch of rows (.all())"),
    ("def f(session):\n    result = None\n    while result is None or result.rowcount > 0:\n"
     "        result = session.execute('UPDATE t SET a = 1 WHERE a IS NULL LIMIT 1000')\n        leaf(result)\n", 1,
     "until it changes no rows"),
    # what the configuration lists: a deployment's handful (synapse's listeners)
    ("def f(self):\n    for listener in self.config.worker.worker_listeners:\n        leaf(listener)\n", 10,
     "bounded by the configuration"),
    ("def f(listener_config):\n    for res in listener_config.http_options.resources:\n        leaf(res)\n", 10,
     "bounded by the configuration"),
    ("def f(settings):\n    for k, v in settings.items():\n        leaf(k)\n", 10, "bounded by the configuration"),
])
def test_work_loops_batches_and_configuration_are_not_loops_over_items(source, trips, why):
    (loop,) = loops_of(source)
    assert (loop.trips, loop.data) == (trips, False) and why in loop.why


@pytest.mark.parametrize("source", [
    "def f(self):\n    for row in self.configured_rows:\n        leaf(row)\n",
    "def f(cur):\n    while rows := cur.fetchone():\n        leaf(rows)\n",  # one row per pass
])
def test_rows_stay_unknown(source):
    (loop,) = loops_of(source)
    assert loop.trips is None
