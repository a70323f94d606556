"""PFL510 list-pop-front (session 32, from RethinkDB's Python cursor in bench/realbugs.toml): a list
taken from its front in a loop, or once per call of a method a caller repeats, moves every element
behind the first on each pop; priced per element moved over the drain (list-shift-element)."""

from __future__ import annotations

import pytest

from perflint.config import Config
from perflint.costs import load_costs
from perflint.testing import lint_sources


def findings(src):
    return [f for f in lint_sources({"m.py": src}, select=("PFL510",), config=Config(min_severity="note"))
            if f.rule == "PFL510"]


def found(src):
    return [(f.line, f.severity, f.message) for f in findings(src)]


IN_LOOP = ("'{what}' takes the first element of a list in a loop: each one moves every element behind it one slot, "
           "so draining n elements from the front is O(n²); a collections.deque takes it in O(1)")
PER_CALL = ("'self.items.pop(0)' takes the first element of a list the object keeps and appends to, once per call "
            "of {name}(): each call moves every element behind it one slot, so draining n elements call by call is "
            "O(n²); a collections.deque takes it in O(1)")

BFS = '''
def reachable(graph, start):
    seen, queue = {start}, [start]
    while queue:
        node = queue.pop(0)
        for child in graph[node]:
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return seen
'''


def test_a_breadth_first_queue_popped_from_its_front_is_reported_per_element_moved():
    # `seen, queue = ...` unpacks: not visibly a list; the same search with a plain binding
    src = BFS.replace("seen, queue = {start}, [start]", "seen = {start}\n    queue = [start]")
    got = findings(src)
    assert [(f.line, f.severity, f.message) for f in got] == [(6, "note", IN_LOOP.format(what="queue.pop(0)"))]
    # list-shift-element x 50 elements held on average (100 trips of the while loop) x 100 trips
    assert got[0].cost == pytest.approx(load_costs()["list-shift-element"] * 50) and got[0].frequency == 100.0


def test_an_unpacked_binding_is_not_visibly_a_list():
    assert found(BFS) == []


def test_the_deque_fix_is_quiet():
    src = BFS.replace("seen, queue = {start}, [start]", "seen = {start}\n    queue = deque([start])") \
        .replace("queue.pop(0)", "queue.popleft()")
    assert found("from collections import deque\n" + src) == []


def test_a_deque_bound_anywhere_in_the_function_keeps_it_quiet():
    src = ("def f(items, fast):\n    queue = sorted(items)\n    if fast:\n        queue = deque(queue)\n"
           "    while queue:\n        queue.pop(0)\n")
    assert found(src) == []


def test_a_drain_of_a_fixed_list_del_and_rest_slices_are_reported():
    src = ("def lines(text):\n    rows = text.split('\\n')\n    while rows:\n        del rows[0]\n"
           "def tail(values):\n    items = list(values)\n    for _ in range(10):\n        items = items[1:]\n"
           "    return items\n")
    got = findings(src)
    assert [(f.line, f.message) for f in got] == [
        (4, IN_LOOP.format(what="del rows[0]")), (8, IN_LOOP.format(what="items = items[1:]"))]
    # range(10): 10 trips, 5 elements held on average
    assert got[1].cost == pytest.approx(load_costs()["list-shift-element"] * 5) and got[1].frequency == 10.0


CURSOR = '''
class Cursor:
    def __init__(self, conn):
        self.conn = conn
        self.items = list()

    def _extend(self, rows):
        self.items.extend(rows)

    def __next__(self):
        return self._get_next()

    def _get_next(self):
        while len(self.items) == 0:
            self.conn.read(self)
        return self.items.pop(0)
'''


def test_a_row_buffer_taken_from_its_front_per_call_of_next_is_reported():
    got = findings(CURSOR)
    assert [(f.line, f.severity, f.message) for f in got] == [(16, "note", PER_CALL.format(name="_get_next"))]
    # __next__ runs per item (x100): 100 calls in a row, 50 elements held on average
    assert got[0].cost == pytest.approx(load_costs()["list-shift-element"] * 50) and got[0].frequency == 100.0


def test_the_same_buffer_as_a_deque_is_quiet():
    src = CURSOR.replace("self.items = list()", "self.items = collections.deque()") \
        .replace("self.items.pop(0)", "self.items.popleft()")
    assert found("import collections\n" + src) == []


def test_an_attribute_bound_to_a_deque_anywhere_in_the_file_is_not_a_list():
    src = CURSOR + "\n\nclass AsyncCursor(Cursor):\n    def __init__(self, conn):\n        self.items = deque()\n"
    assert found(src) == []


def test_a_per_call_pop_that_nothing_repeats_is_quiet():
    # near miss: a public method run once per unit of work pops once
    src = ("class Job:\n    def __init__(self):\n        self.items = []\n    def add(self, x):\n"
           "        self.items.append(x)\n    def first(self):\n        return self.items.pop(0)\n")
    assert found(src) == []


def test_a_per_call_pop_repeated_by_a_callers_loop_is_reported():
    src = ("class Job:\n    def __init__(self):\n        self.items = []\n    def add(self, x):\n"
           "        self.items.append(x)\n    def first(self):\n        return self.items.pop(0)\n"
           "def run(job, n):\n    for _ in range(n):\n        job.first()\n")
    src = src.replace("def run(job, n):\n    for _ in range(n):\n        job.first()\n",
                      "    def run(self, n):\n        for _ in range(n):\n            self.first()\n")
    got = findings(src)
    assert [(f.line, f.message) for f in got] == [(7, PER_CALL.format(name="first"))]
    assert got[0].cost == pytest.approx(load_costs()["list-shift-element"] * 50)


def test_near_misses_single_pop_fresh_list_parameter_and_pop_from_the_end():
    src = '''
def head(values):
    items = sorted(values)
    return items.pop(0)

def parse(lines):
    for line in lines:
        parts = line.split()
        cmd = parts.pop(0)
        yield cmd, parts

def main(args):
    while args:
        arg = args.pop(0)
        print(arg)

def walk(root):
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)

def steps():
    todo = ["a", "b", "c"]
    while todo:
        print(todo.pop(0))

def first_match(values, want):
    items = list(values)
    while True:
        item = items.pop(0)
        if item == want:
            return item
'''
    # the last one pops per trip: a drain (it returns only under a test)
    assert [line for line, _, _ in found(src)] == [31]


def test_a_window_cut_to_its_bound_is_priced_at_the_bound():
    src = ("def smooth(chunks):\n    window = []\n    for chunk in chunks:\n        window.extend(chunk)\n"
           "        while len(window) > 20:\n            window.pop(0)\n        yield sum(window)\n")
    got = findings(src)
    assert [f.line for f in got] == [6]
    assert got[0].cost == pytest.approx(load_costs()["list-shift-element"] * 20)


def test_one_element_in_for_each_taken_out_keeps_the_length_and_is_quiet():
    # near misses: a sliding window of one append per trip, a rotation, a screen scrolled per call
    window = ("def smooth(xs):\n    window = []\n    for x in xs:\n        window.append(x)\n"
              "        if len(window) > 20:\n            window.pop(0)\n        yield sum(window)\n")
    rotate = "def spin(n):\n    ring = list(range(8))\n    for _ in range(n):\n        ring.append(ring.pop(0))\n"
    screen = ("class Screen:\n    def __init__(self):\n        self.lines = [[] for _ in range(24)]\n"
              "    def scroll(self):\n        del self.lines[0]\n        self.lines.append([])\n"
              "    def write(self, text):\n        for ch in text:\n            self.scroll()\n")
    assert found(window) == [] and found(rotate) == [] and found(screen) == []
    # two children appended per trip grow the queue: still reported
    tree = ("def levels(root):\n    queue = [root]\n    while queue:\n        node = queue.pop(0)\n"
            "        queue.append(node.left)\n        queue.append(node.right)\n")
    assert [line for line, _, _ in found(tree)] == [4]


def test_insert_at_the_front_of_a_list_popped_from_its_end():
    src = ("def reverse_walk(nodes):\n    stack = []\n    for n in nodes:\n        stack.insert(0, n)\n"
           "    while stack:\n        yield stack.pop()\n")
    assert [line for line, _, _ in found(src)] == [4]
    # near miss: inserting in front of a list nothing pops is not a queue
    assert found(src.replace("yield stack.pop()", "yield stack[-1]\n        break")) == []


def test_insert_at_the_front_per_call_of_a_kept_list_popped_from_its_end():
    src = ("class History:\n    def __init__(self):\n        self.items = []\n    def push(self, x):\n"
           "        self.items.insert(0, x)\n    def take(self):\n        return self.items.pop()\n"
           "    def load(self, xs):\n        for x in xs:\n            self.push(x)\n")
    assert found(src) == [(5, "note", "'self.items.insert(0, ...)' puts an element in front of a list the object keeps "
                                      "and pops from its end, once per call of push(): each call moves every element "
                                      "behind it one slot, so n calls are O(n²); a collections.deque's appendleft() "
                                      "is O(1)")]
