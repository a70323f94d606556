"""Session sixteen, alloc family (issue 13): three real bugs missed for the matcher's shape
(bench/realbugs.toml). PFL204 now reports a slice of a list an object keeps when it is made
only to be searched, per trip of a loop over that list (tomlkit's inline table rendering) or
once per call of a search method that is repeated in a loop (sqlparse's token matching);
PFL203 reports a str or bytes grown by `+=` on an attribute or item in a loop, which CPython
never grows in place (markdown-it's text join). Each shape has its buggy form, the fixed form
and near misses; each test fails on the code before the change."""

from __future__ import annotations

import pytest

from perflint.config import Config
from perflint.costs import load_costs
from perflint.testing import lint_sources


def found(files, rule):
    if isinstance(files, str):
        files = {"m.py": files}
    return [f for f in lint_sources(files, select=(rule,), config=Config(min_severity="note"))
            if f.rule == rule and f.path == "m.py"]


def seen(files, rule):
    return [(f.line, f.severity, f.message) for f in found(files, rule)]


# -- PFL204: the rest of a kept list copied per trip of a loop over it, to be searched -------
TABLE = '''
class Table:
    def __init__(self, body):
        self.body = body

    def render(self):
        out = []
        for i, (key, value) in enumerate(self.body):
            if key is None:
                if not any(k is not None for k, _ in self.body[i + 1:]):
                    continue
                out.append(",")
            out.append(str(value))
        return "".join(out)
'''

TABLE_MESSAGE = ("'self.body[i + 1:]' copies the rest of 'self.body' on every trip of the loop over it, only to "
                 "search it with any(): quadratic in its length; search an index range or itertools.islice() "
                 "instead, or find what you need in one pass before the loop")


def test_tail_of_a_kept_list_searched_per_trip() -> None:
    (hit,) = found(TABLE, "PFL204")
    assert (hit.line, hit.severity, hit.message) == (10, "note", TABLE_MESSAGE)
    # priced per element copied: half of a list of unknown size (100) per trip, x100 trips
    assert hit.cost == pytest.approx(load_costs()["list-copy-element"] * 50)
    assert hit.frequency == pytest.approx(100)


def test_tail_searched_fixed_forms_are_quiet() -> None:
    # the fix: the last key's position found in one pass before the loop
    fixed = TABLE.replace("        for i, (key, value) in enumerate(self.body):\n",
                          "        last = max((j for j, (k, _) in enumerate(self.body) if k is not None), default=-1)\n"
                          "        for i, (key, value) in enumerate(self.body):\n") \
        .replace("any(k is not None for k, _ in self.body[i + 1:])", "i < last")
    assert seen(fixed, "PFL204") == []
    # an index range, or islice: no copy
    ranged = TABLE.replace("for k, _ in self.body[i + 1:]", "for k, _ in itertools.islice(self.body, i + 1, None)")
    assert seen(ranged, "PFL204") == []


def test_tail_slice_near_misses_are_quiet() -> None:
    # sum() walks the whole slice: the copy costs about what islice's iteration does (measured)
    assert seen(TABLE.replace("any(k is not None for", "sum(k is not None for"), "PFL204") == []
    # the copy is kept: stored, not only searched
    kept = TABLE.replace("                if not any(k is not None for k, _ in self.body[i + 1:]):\n",
                         "                self.rest = self.body[i + 1:]\n                if not self.rest:\n")
    assert seen(kept, "PFL204") == []
    # a local list: not a list the object keeps (a short working list)
    local = TABLE.replace("        out = []\n", "        out = []\n        body = list(self.body)\n") \
        .replace("enumerate(self.body)", "enumerate(body)").replace("self.body[i + 1:]", "body[i + 1:]")
    assert seen(local, "PFL204") == []
    # the slice is not after the loop's index: the same fixed part every trip
    assert seen(TABLE.replace("self.body[i + 1:]", "self.head[1:]"), "PFL204") == []
    # a full copy, `[:]`: made on purpose when the loop changes the list
    assert seen(TABLE.replace("self.body[i + 1:]", "self.body[:]"), "PFL204") == []


# -- PFL204: a kept list sliced once per call of a search that a loop repeats ----------------
TOKENS = '''
class Tokens:
    def __init__(self, tokens):
        self.tokens = tokens

    def _matching(self, match, start=0, end=None):
        for idx, token in enumerate(self.tokens[start:end], start=start):
            if match(token):
                return idx, token
        return None, None

    def next_upper(self, idx):
        return self._matching(str.isupper, idx + 1)

    def group(self):
        idx, token = self._matching(str.isupper)
        while token is not None:
            idx, token = self.next_upper(idx)
'''

TOKENS_MESSAGE = ("'self.tokens[start:end]' copies the rest of 'self.tokens' on every call of _matching(), only to "
                  "search it with a for loop that stops at a match, and the call is repeated in a loop: quadratic "
                  "in the list's length when the calls walk along it; iterate over range(start, end) (or "
                  "itertools.islice()) instead")


def test_slice_searched_once_per_call_of_a_repeated_search() -> None:
    (hit,) = found(TOKENS, "PFL204")
    assert (hit.line, hit.severity, hit.message) == (7, "note", TOKENS_MESSAGE)
    # 50 elements a call, x100 calls (the while loop in group(), through next_upper())
    assert hit.cost == pytest.approx(load_costs()["list-copy-element"] * 50)
    assert hit.frequency == pytest.approx(100)


def test_slice_search_fixed_form_is_quiet() -> None:
    fixed = TOKENS.replace(
        "        for idx, token in enumerate(self.tokens[start:end], start=start):\n",
        "        if end is None:\n            end = len(self.tokens)\n        for idx in range(start, end):\n"
        "            token = self.tokens[idx]\n")
    assert seen(fixed, "PFL204") == []


def test_slice_search_near_misses_are_quiet() -> None:
    # nothing repeats the search: one copy per call of something called once
    once = TOKENS.replace("        while token is not None:\n            idx, token = self.next_upper(idx)\n",
                          "        if token is not None:\n            idx, token = self.next_upper(idx)\n")
    assert seen(once, "PFL204") == []
    # fixed bounds: the same few elements each call
    assert seen(TOKENS.replace("self.tokens[start:end]", "self.tokens[1:3]"), "PFL204") == []
    # the loop walks the whole slice: no match ends it, every element is visited anyway
    whole = TOKENS.replace("            if match(token):\n                return idx, token\n",
                           "            match(token)\n")
    assert seen(whole, "PFL204") == []
    # the loop changes the list it walks: the copy is needed
    changes = TOKENS.replace("            if match(token):\n",
                             "            self.tokens.remove(token)\n            if match(token):\n")
    assert seen(changes, "PFL204") == []
    # the slice is handed back: its copy is the result
    returned = TOKENS.replace("    def next_upper(self, idx):\n",
                              "    def rest(self, start):\n        return self.tokens[start:]\n\n"
                              "    def next_upper(self, idx):\n")
    assert seen(returned, "PFL204") == [(7, "note", TOKENS_MESSAGE)]


# -- PFL203: a str grown by += on an attribute or an item, in a loop ---------------------------
TOKEN = '''
from dataclasses import dataclass


@dataclass
class Token:
    type: str
    content: str = ""
    level: int = 0
'''

JOIN = '''
def join_text(children):
    merged = []
    for child in children:
        if child.type == "text" and merged and merged[-1].type == "text":
            merged[-1].content += child.content
        else:
            merged.append(child)
    return merged
'''

JOIN_MESSAGE = ("str 'merged[-1].content' grows by += in a loop: CPython extends a str in place only when it is a "
                "local variable, so every step copies the whole string held by the attribute or item")


def test_str_attribute_of_an_item_grown_in_a_loop() -> None:
    # Token.content is declared `str` in another module of the program
    hits = found({"token.py": TOKEN, "m.py": JOIN}, "PFL203")
    assert [(h.line, h.severity, h.message, h.confidence) for h in hits] == [(6, "note", JOIN_MESSAGE, "medium")]
    assert "''.join()" in hits[0].fix
    # 100 steps of 64 bytes: 3,200 bytes held on average, each step copies them
    assert hits[0].cost == pytest.approx(load_costs()["text-append-byte"] * 100 * 64 / 2)


def test_str_attribute_fixed_form_is_quiet() -> None:
    fixed = '''
def join_text(children):
    merged, parts = [], []
    for child in children:
        if child.type == "text":
            parts.append(child.content)
            continue
        if parts:
            merged.append(Token("text", "".join(parts)))
            parts = []
        merged.append(child)
    return merged
'''
    assert seen({"token.py": TOKEN, "m.py": fixed}, "PFL203") == []


def test_attribute_grown_near_misses_are_quiet() -> None:
    # an int field: += adds
    assert seen({"token.py": TOKEN, "m.py": JOIN.replace(".content += child.content", ".level += child.level")},
                "PFL203") == []
    # nothing in the program says what `content` holds
    assert seen(JOIN, "PFL203") == []
    # declared str in one class and as a number in another: not known text
    other = TOKEN + "\n\nclass Counter:\n    content: int = 0\n"
    assert seen({"token.py": other, "m.py": JOIN}, "PFL203") == []
    # the loop's own item: a different string each trip, not an accumulation
    each = "def mark(rows):\n    for row in rows:\n        row.content += '!'\n"
    assert seen({"token.py": TOKEN, "m.py": each}, "PFL203") == []
    # reset inside the loop: it stays short
    reset = ("class W:\n    def run(self, groups):\n        for group in groups:\n            self.line = ''\n"
             "            for word in group:\n                self.line += word + ' '\n            print(self.line)\n")
    assert [line for line, _, _ in seen(reset, "PFL203")] == [6]  # grows within one group only
    reset_same = ("class W:\n    def run(self, words):\n        for word in words:\n            self.line = ''\n"
                  "            self.line += word + ' '\n")
    assert seen(reset_same, "PFL203") == []
    # the item the loop has just appended: grown once, a new one every trip
    added = ("def lines(workers):\n    out = ['workers:']\n    for w in workers:\n        out.append(w.name)\n"
             "        if not w.connected:\n            out[-1] += ' (offline)'\n    return out\n")
    assert seen(added, "PFL203") == []
    # a local str: CPython grows it in place (unchanged)
    assert seen("def f(xs):\n    s = ''\n    for x in xs:\n        s += str(x)\n    return s\n", "PFL203") == []
    # an item of unknown type with a piece of unknown type: a counter as often as text
    assert seen("def f(xs, d):\n    for x in xs:\n        d['n'] += x\n", "PFL203") == []


def test_text_attribute_and_item_forms() -> None:
    # the file keeps text in the attribute and the piece is an f-string
    src = ("class Writer:\n    def __init__(self):\n        self.out = ''\n\n    def write_all(self, rows):\n"
           "        for row in rows:\n            self.out += f'{row}\\n'\n")
    assert seen(src, "PFL203") == [(7, "note", "str 'self.out' grows by += in a loop: CPython extends a str in "
                                    "place only when it is a local variable, so every step copies the whole "
                                    "string held by the attribute or item")]
    # an item grown with visible text: the last line of a wrapped paragraph
    wrap = ("def wrap(words):\n    lines = ['']\n    for word in words:\n        lines[-1] += ' ' + word\n"
            "    return lines\n")
    assert [(line, msg.split(" grows")[0]) for line, _, msg in seen(wrap, "PFL203")] == [(4, "str 'lines[-1]'")]
    # a bytes attribute: bytes wording and fix
    data = ("class Reader:\n    def __init__(self):\n        self.buf = b''\n\n    def read_all(self, chunks):\n"
            "        for chunk in chunks:\n            self.buf += chunk\n")
    (hit,) = found(data, "PFL203")
    assert (hit.line, hit.confidence, hit.message) == (
        7, "high", "bytes 'self.buf' grows by += in a loop: every step copies all the bytes so far")
    assert "bytearray" in hit.fix


def test_target_written_over_lines_is_named_on_one_line() -> None:
    src = ("def apply(changes):\n    ret = {'comment': ''}\n    for change in changes:\n        ret[\n"
           "            'comment'\n        ] += f'{change}\\n'\n    return ret\n")
    ((line, _, message),) = seen(src, "PFL203")
    assert line == 4 and message.startswith("str 'ret['comment']' grows by += in a loop")
