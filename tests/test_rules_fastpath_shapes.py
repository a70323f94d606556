"""Fast-path shapes of issue 13: a collection built only to be counted (PFL506), a position
found by a linear identity scan (PFL502). Exact lines, severities and frequencies (round costs)."""

from __future__ import annotations

import pytest

from perflint.testing import lint_sources


def found(src, code, config):
    return [f for f in lint_sources({"m.py": src}, select=(code,), config=config) if f.rule == code]


# -- PFL506 count-of-built-collection ---------------------------------------------------------
TABLE = ("class Table:\n"
         "    def _read_table(self):\n"
         "        data = self._storage.read() or {}\n"
         "        try:\n"
         "            return {self.document_id_class(k): v for k, v in data[self.name].items()}\n"
         "        except KeyError:\n"
         "            return {}\n"
         "    def __len__(self):\n"
         "        return {LEN}\n")


def test_pfl506_len_dunder_of_a_converted_table_is_a_warning(round_config):
    (f,) = found(TABLE.replace("{LEN}", "len(self._read_table())"), "PFL506", round_config)
    # __len__ runs once per len(table): loop-trips (100) per unit of work; 100 documents of
    # unknown count x build-element (200 ns, round costs) = 20 us per call, 2 ms per unit
    assert (f.line, f.severity, f.frequency) == (9, "warning", 100.0)
    assert f.cost == pytest.approx(100 * 2e-7)
    assert f.message == ("len() of self._read_table() returns a dict comprehension that calls "
                         "self.document_id_class() for every element of data[self.name], only to count it: "
                         "len(data[self.name]) is the same number without a call per element")


def test_pfl506_fixed_table_counts_the_stored_dict(round_config):
    fixed = TABLE.replace("{LEN}", "len(self._storage.read()[self.name])")
    assert found(fixed, "PFL506", round_config) == []


@pytest.mark.parametrize("src", [
    # a filter: the count needs the test
    "class T:\n    def docs(self):\n        return [Doc(r) for r in self.rows if r.live]\n"
    "    def __len__(self):\n        return len(self.docs())\n",
    # a set of converted keys: duplicates collapse, the count may differ
    "class T:\n    def __len__(self):\n        return len({norm(k) for k in self.keys})\n",
    # a plain copy of an iterator: the idiom for counting one
    "class T:\n    def __len__(self):\n        return len(list(self._sa_iterator()))\n",
    # a helper of another class is not this one's
    "class A:\n    def docs(self):\n        return [Doc(r) for r in self.rows]\n"
    "class B:\n    def __len__(self):\n        return len(self.docs())\n",
    # a generator helper
    "class T:\n    def docs(self):\n        for r in self.rows:\n            yield Doc(r)\n"
    "    def __len__(self):\n        return len(list(self.docs()))\n",
])
def test_pfl506_near_misses_are_not_reported(src, round_config):
    assert found(src, "PFL506", round_config) == []


def test_pfl506_once_per_call_with_no_loop_is_a_note(round_config):
    src = "def count(rows):\n    return len([Row(r) for r in rows])\n"
    (f,) = found(src, "PFL506", round_config)
    assert (f.line, f.severity, f.frequency) == (2, "note", 1.0)


# -- PFL502: a list scanned for one element's position -----------------------------------------
APPEND_LEAVES = ("def append_leaves(new_line, leaves):\n"
                 "    for old_leaf in leaves:\n"
                 "        parent = old_leaf.parent\n"
                 "        children = parent.children\n"
                 "        index = 0\n"
                 "        while index < len(children) and children[index] is not old_leaf:\n"
                 "            index += 1\n"
                 "        parent.set_child(index, new_line.copy(old_leaf))\n"
                 "def merge(line, new_line):\n"
                 "    for group in line.groups:\n"
                 "        append_leaves(new_line, group)\n")


def test_pfl502_identity_while_scan_per_leaf_of_a_callers_loop_is_a_warning(round_config):
    (f,) = found(APPEND_LEAVES, "PFL502", round_config)
    # merge's loop (100) x append_leaves' own loop (10): 1,000 scans of 100 children at
    # scan-row (50 ns, round costs), medium confidence: 2.5 ms per unit of work
    assert (f.line, f.severity, f.frequency) == (6, "warning", 1000.0)
    assert f.message == ("a while loop that steps through children from the front to find the position of "
                         "old_leaf: O(n) per search, O(n^2) when it runs once per element")
    # every caller passes one leaf (`append_leaves(new_line, [leaf])`): the loop over it makes
    # one trip, so only merge's loop repeats the scan
    one = APPEND_LEAVES.replace("    for group in line.groups:\n        append_leaves(new_line, group)\n",
                                "    for leaf in line.leaves:\n        append_leaves(new_line, [leaf])\n")
    (f,) = found(one, "PFL502", round_config)
    assert (f.line, f.frequency) == (6, 100.0)


REMOVE = ("class Base:\n"
          "    def remove(self):\n"
          "        if self.parent:\n"
          "            for i, node in enumerate(self.parent.children):\n"
          "                if node is self:\n"
          "                    del self.parent.children[i]\n"
          "                    self.parent = None\n"
          "                    return i\n"
          "        return None\n"
          "def drop(tree, ignored):\n"
          "    for block in tree.blocks():\n"
          "        for n in ignored(block):\n"
          "            {CALL}\n")


def test_pfl502_identity_for_scan_reached_per_node_is_reported(round_config):
    (f,) = found(REMOVE.replace("{CALL}", "Base.remove(n)"), "PFL502", round_config)
    # 100 blocks x 10 ignored nodes, each scanning 100 children: 5 ms per unit of work
    assert (f.line, f.severity, f.frequency) == (4, "warning", 1000.0)
    assert "compares each element of self.parent.children from the front to find the position of self" in f.message


def test_pfl502_own_position_index_per_node_of_one_loop_is_a_note(round_config):
    src = ("def position(node):\n    return node.parent.children.index(node)\n"
           "def positions(nodes):\n    return [position(n) for n in nodes]\n")
    (f,) = found(src, "PFL502", round_config)
    # list.index() compares in C: 100 scans of 100 children at list-membership-element
    # (10 ns, round costs), medium confidence: 50 us
    assert (f.line, f.severity, f.frequency) == (2, "note", 100.0)
    assert f.cost == pytest.approx(100 * 1e-8)


def test_pfl502_a_scan_resuming_from_a_remembered_position_is_a_note(round_config):
    resumed = APPEND_LEAVES.replace("        index = 0\n", "        index = start.get(id(parent), 0)\n")
    (f,) = [f for f in found(resumed, "PFL502", round_config) if f.line == 6]
    assert f.severity == "note"
    assert "from where index starts: O(n) per search if callers pass one element at a time" in f.message


@pytest.mark.parametrize("src", [
    # the fix: the position is remembered per parent, the scan resumes from there
    APPEND_LEAVES.replace("        index = 0\n", "        index = start.get(id(parent), 0)\n")
    .replace("def append_leaves(new_line, leaves):\n", "def append_leaves(new_line, leaves):\n    start = {}\n")
    .replace("    for leaf in line.leaves:\n        append_leaves(new_line, [leaf])\n",
             "    append_leaves(new_line, list(line.leaves))\n")
    .replace("        parent.set_child(", "        start[id(parent)] = index + 1\n        parent.set_child("),
    # run once, no loop on the way: the remove() nobody calls in a loop
    REMOVE.replace("{CALL}", "pass").replace("class Base:", "class Node:"),
    # a search for a constant or None
    "def f(items):\n    for it in items:\n        for i, c in enumerate(it.children):\n            if c is None:\n"
    "                return i\n",
    # a tokenizer stepping to a delimiter is not a search for an element
    "def f(lines):\n    for s in lines:\n        i = 0\n        while s[i] != quote:\n            i += 1\n",
])
def test_pfl502_position_near_misses_are_quiet(src, round_config):
    assert [f for f in found(src, "PFL502", round_config) if f.severity != "note"] == []


# -- PFL505: a list attribute used as a set -----------------------------------------------------
ODICT = ("class odict(dict):\n"
         "    def __init__(self, data=None):\n"
         "        dict.__init__(self, data or {})\n"
         "        self._keys = list(dict.keys(self))\n"
         "    def __setitem__(self, key, item):\n"
         "        dict.__setitem__(self, key, item)\n"
         "        {BODY}\n"
         "def load(catalog, messages):\n"
         "    for m in messages:\n"
         "        catalog[m.id] = m\n"
         "        catalog.__setitem__(m.id, m)\n")


def test_pfl505_list_attribute_used_as_a_set_is_a_note_even_per_message(round_config):
    buggy = ODICT.replace("{BODY}", "if key not in self._keys:\n            self._keys.append(key)")
    (f,) = found(buggy, "PFL505", round_config)
    # low confidence: a list attribute's length is unknown, and most hold a few handlers
    assert (f.line, f.severity) == (7, "note")
    assert f.message.startswith("'not in self._keys' scans a list the object keeps, and the method appends to it")


def test_pfl505_the_fix_asks_the_dict_itself(round_config):
    fixed = ODICT.replace("{BODY}", "if key not in self:\n            self._keys.append(key)")
    assert found(fixed, "PFL505", round_config) == []


# -- PFL502: a lookup method that collects what a key predicate accepts -------------------------
HOSTKEYS = ("class HostKeys:\n"
            "    def load(self, lines):\n"
            "        for line in lines:\n"
            "            for h in line.split():\n"
            "                self.check(h)\n"
            "    def check(self, hostname):\n"
            "        return self.{NAME}(hostname) is not None\n"
            "    def {NAME}(self, hostname):\n"
            "        entries = []\n"
            "        for e in self._entries:\n"
            "            if self._hostname_matches(hostname, e):\n"
            "                entries.append(e)\n"
            "        return entries or None\n"
            "    def _hostname_matches(self, hostname, entry):\n"
            "        for h in entry.hostnames:\n"
            "            if h == hostname or h.startswith('|1|') and self.hashed(hostname, h) == h:\n"
            "                return True\n"
            "        return False\n")


def test_pfl502_lookup_collecting_what_a_key_predicate_accepts_is_a_warning_per_line(round_config):
    (f,) = found(HOSTKEYS.replace("{NAME}", "lookup"), "PFL502", round_config)
    # load's two loops (100 x 10) reach lookup() through check(): 1,000 scans of 100 entries
    assert (f.line, f.severity, f.frequency) == (10, "warning", 1000.0)
    assert f.message == ("lookup() collects every element of self._entries that self._hostname_matches() accepts: "
                         "a lookup by key done as a scan, O(n) per lookup")


def test_pfl502_the_indexed_lookup_is_quiet(round_config):
    fixed = HOSTKEYS.replace("{NAME}", "lookup").replace(
        "        for e in self._entries:\n            if self._hostname_matches(hostname, e):\n"
        "                entries.append(e)\n",
        "        entries.extend(self._by_name.get(hostname, ()))\n")
    assert found(fixed, "PFL502", round_config) == []


@pytest.mark.parametrize("src", [
    # not a lookup by name: a filter
    HOSTKEYS.replace("{NAME}", "matching_entries"),
    # the predicate does not compare the key: a pattern test
    HOSTKEYS.replace("{NAME}", "lookup").replace("h == hostname or ", "").replace(" == h", ""),
])
def test_pfl502_collect_near_misses_are_quiet(src, round_config):
    assert found(src, "PFL502", round_config) == []


RESUMING = {
    "lines.py": ("def append_leaves(new_line, leaves):\n"
                 "    start = {}\n"
                 "    for old_leaf in leaves:\n"
                 "        parent = old_leaf.parent\n"
                 "        children = parent.children\n"
                 "        index = start.get(id(parent), 0)\n"
                 "        while index < len(children) and children[index] is not old_leaf:\n"
                 "            index += 1\n"
                 "        start[id(parent)] = index + 1\n"),
    "trans.py": ("from lines import append_leaves\n"
                 "def merge(line, new_line, merged):\n"
                 "    pending = []\n"
                 "    for i, leaf in enumerate(line.leaves):\n"
                 "        {CALL}\n"),
}


def test_pfl502_a_caller_defeating_the_resumed_scan_is_reported_at_its_call(round_config):
    files = dict(RESUMING, **{"trans.py": RESUMING["trans.py"].replace("{CALL}", "append_leaves(new_line, [leaf])")})
    (f,) = [f for f in lint_sources(files, select=("PFL502",), config=round_config) if f.path == "trans.py"]
    # one loop of 100 leaves, a scan of 100 children each: 10,000 visits, medium: a note
    assert (f.line, f.severity, f.frequency) == (5, "note", 100.0)
    assert f.message.startswith("append_leaves() is handed a one-element list per iteration")
    assert (f.trace[-1].path, f.trace[-1].line) == ("lines.py", 7)  # the trace ends at the scan


def test_pfl502_a_caller_passing_the_run_is_quiet(round_config):
    files = dict(RESUMING, **{"trans.py": RESUMING["trans.py"].replace("{CALL}", "pending.append(leaf)")
                              + "    append_leaves(new_line, pending)\n"})
    assert [f for f in lint_sources(files, select=("PFL502",), config=round_config) if f.path == "trans.py"] == []


# -- PFL503: a tree node's query method per level (django-treebeard, wagtail) -------------------
CRUMBS = ("from wagtail.models import Page\n"
          "def breadcrumb(page, site):\n"
          "    pages = []\n"
          "    while page.id != site.root_page_id and not page.is_root():\n"
          "        {STEP}\n"
          "        pages = [page] + pages\n"
          "    return pages\n")


def test_pfl503_tree_walk_up_with_get_parent_is_a_query_per_level(round_config):
    (f,) = found(CRUMBS.replace("{STEP}", "page = page.get_parent()"), "PFL503", round_config)
    # a walk up the tree: one step per level (x10), a network round trip each (300 us)
    assert (f.line, f.severity, f.frequency) == (5, "warning", 10.0)
    assert f.message == "page.get_parent() runs per iteration: one database round trip per item (N+1 queries)"


def test_pfl503_fixed_walk_asks_for_the_ancestors_once(round_config):
    fixed = ("from wagtail.models import Page\n"
             "def breadcrumb(page, site):\n"
             "    return list(page.get_ancestors().filter(depth__gt=site.root_page.depth))\n")
    assert found(fixed, "PFL503", round_config) == []


@pytest.mark.parametrize("src", [
    # no tree library imported: get_parent() is an attribute walk in memory (an AST, a widget)
    CRUMBS.replace("from wagtail.models import Page\n", "").replace("{STEP}", "page = page.get_parent()"),
    # the same node asked again: treebeard caches its parent on the instance
    CRUMBS.replace("{STEP}", "parent = page.get_parent(); page = page.child"),
])
def test_pfl503_tree_queries_near_misses(src, round_config):
    assert found(src, "PFL503", round_config) == []


def test_walk_up_a_tree_is_bounded_by_its_depth():
    from perflint.repetition import while_trips
    import libcst as cst
    loop = cst.parse_module("while node is not None:\n    seen.append(node)\n    node = node.parent\n").body[0]
    assert while_trips(loop) == (10.0, "moves node to its parent each step: one step per level of the tree")
    other = cst.parse_module("while node is not None:\n    node = other.parent\n").body[0]
    assert while_trips(other) == (None, "")


def test_tree_walk_counts_as_one_more_unknown_loop_on_the_chain(round_config):
    src = ("from wagtail.models import Page\n"
           "def crumbs(sites):\n"
           "    for site in sites:\n"
           "        for page in site.pages:\n"
           "            while not page.is_root():\n"
           "                page = page.get_parent()\n")
    (f,) = found(src, "PFL503", round_config)
    # loop-trips x nested-loop-trips, and the walk (a third unknown loop) adds nothing
    assert (f.line, f.severity, f.frequency) == (6, "error", 1000.0)


def test_while_loop_calling_a_subscript_or_a_call_result_is_analysed():
    # `handlers[kind](x)` and `factory()()` in a while loop: their callee has no name (the
    # random-draw check once ran a regex on a node and failed the whole file)
    from perflint.repetition import while_trips
    import libcst as cst
    for body in ("handlers[kind](x)", "factory()()"):
        loop = cst.parse_module(f"while todo:\n    {body}\n").body[0]
        assert while_trips(loop) == (None, "")


# -- PFL502: a module constant table searched per element of a loop -----------------------------
BASE45 = ("from typing import Union\n"
          "BASE45_CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:'\n"
          "{TABLE}"
          "def b45decode(s: Union[bytes, str]) -> bytes:\n"
          "    if isinstance(s, str):\n"
          "        buf = [{LOOKUP} for c in s.strip()]\n"
          "    else:\n"
          "        buf = [{LOOKUP} for c in s.decode()]\n"
          "    return bytes(buf)\n")
BUGGY = BASE45.replace("{TABLE}", "").replace("{LOOKUP}", "BASE45_CHARSET.index(c)")


def test_pfl502_alphabet_index_per_character_of_a_buffer_is_a_warning(round_config):
    f, g = found(BUGGY, "PFL502", round_config)
    # each comprehension walks the parameter (str or bytes, stripped or decoded): data-bytes
    # (65,536) trips of alphabet-index (40 ns, round costs), high confidence: 2.6 ms
    assert [(x.line, x.severity, x.frequency, x.confidence) for x in (f, g)] == [
        (5, "warning", 65536.0, "high"), (7, "warning", 65536.0, "high")]
    assert f.cost == pytest.approx(4e-8)
    assert f.message == ("BASE45_CHARSET.index() searches the 45-character constant 'BASE45_CHARSET' for each "
                         "value, once per iteration: a linear search per lookup")
    assert f.fix == ("build a dict from character to position once at module level "
                     "(`{c: i for i, c in enumerate(BASE45_CHARSET)}`) and look each value up in it")


def test_pfl502_alphabet_index_called_from_a_script_main_stays_a_warning(round_config):
    # the only caller runs once (a cli's main), and passes a str: the isinstance branch still
    # runs once per call, and its comprehension walks the whole input
    cli = ("import sys\nfrom m import b45decode\n"
           "def main():\n    sys.stdout.buffer.write(b45decode(sys.stdin.buffer.read().decode()))\n"
           "if __name__ == '__main__':\n    main()\n")
    got = [f for f in lint_sources({"m.py": BUGGY, "cli.py": cli}, select=("PFL502",), config=round_config)
           if f.rule == "PFL502"]
    assert [(f.path, f.line, f.severity, f.frequency) for f in got] == [
        ("m.py", 5, "warning", 65536.0), ("m.py", 7, "warning", 65536.0)]


def test_pfl502_the_dict_of_positions_is_quiet(round_config):
    fixed = BASE45.replace("{TABLE}", "BASE45_DICT = {v: i for i, v in enumerate(BASE45_CHARSET)}\n") \
        .replace("{LOOKUP}", "BASE45_DICT[c]")
    assert found(fixed, "PFL502", round_config) == []


def test_pfl502_a_list_table_is_priced_per_element_scanned(round_config):
    src = ("OPS = ['nop', 'add', 'sub', 'mul', 'div', 'mod', 'and', 'or', 'xor', 'not', 'shl', 'shr']\n"
           "def assemble(words):\n    return [OPS.index(w) for w in words]\n")
    (f,) = found(src, "PFL502", round_config)
    # 100 words of unknown count, each compared against half the 12 names on average at
    # list-membership-element (10 ns, round costs): 6 us, a note
    assert (f.line, f.severity, f.frequency) == (3, "note", 100.0)
    assert f.cost == pytest.approx(6 * 1e-8)
    assert f.message == ("OPS.index() scans the 12-element constant list 'OPS' for each value, once per "
                         "iteration: O(n) per lookup")


@pytest.mark.parametrize("src", [
    # a three-character constant: a handful of choices
    "MODES = 'rwa'\ndef f(s: str):\n    return [MODES.index(c) for c in s]\n",
    # a literal argument: the same position every time
    "ALPHA = '0123456789abcdef'\ndef f(s: str):\n    return [ALPHA.index('a') + ord(c) for c in s]\n",
    # outside any loop: one lookup per call
    "ALPHA = '0123456789abcdef'\ndef f(c):\n    return ALPHA.index(c)\n",
    # repeated characters: not a table of positions
    "PAD = '0000000000ff'\ndef f(s: str):\n    return [PAD.index(c) for c in s]\n",
    # a local of the same name, and a constant some function rebinds
    "ALPHA = '0123456789abcdef'\ndef f(s: str, ALPHA):\n    return [ALPHA.index(c) for c in s]\n",
    "ALPHA = '0123456789abcdef'\ndef g():\n    global ALPHA\n    ALPHA = ALPHA.upper()\n"
    "def f(s: str):\n    return [ALPHA.index(c) for c in s]\n",
    # find() of a list constant does not exist; index() of a dict is not a scan
    "NAMES = {'a': 1, 'b': 2, 'c': 3, 'd': 4, 'e': 5, 'f': 6, 'g': 7, 'h': 8, 'i': 9, 'j': 10}\n"
    "def f(s: str):\n    return [NAMES.index(c) for c in s]\n",
])
def test_pfl502_table_lookup_near_misses_are_not_reported(src, round_config):
    assert found(src, "PFL502", round_config) == []


def test_pfl502_alphabet_index_over_a_small_fixed_list_is_a_note(round_config):
    src = ("ALPHA = '0123456789abcdef'\n"
           "def f():\n    return [ALPHA.index(c) for c in ['a', 'b', 'c']]\n")
    (f,) = found(src, "PFL502", round_config)
    assert (f.line, f.severity, f.frequency) == (3, "note", 3.0)


# -- PFL502: the collect form behind `continue` guards (overpy's Result.get_elements) -----------
ELEMENTS = ("class Result:\n"
            "    def __init__(self):\n"
            "        self._elements = []\n"
            "    def get_elements(self, filter_cls, elem_id=None):\n"
            "        result = []\n"
            "        for e in self._elements:\n"
            "            if not isinstance(e, filter_cls):\n"
            "                continue\n"
            "            if elem_id is not None and e.id != elem_id:\n"
            "                continue\n"
            "            result.append(e)\n"
            "        return result\n"
            "    def resolve(self, lines):\n"
            "        for line in lines:\n"
            "            for i in line.split():\n"
            "                self.get_elements(int, i)\n")


def test_pfl502_collect_behind_type_and_optional_key_guards_is_a_warning(round_config):
    (f,) = found(ELEMENTS, "PFL502", round_config)
    # resolve's two loops (100 x 10) reach get_elements: 1,000 scans of 100 elements
    assert (f.line, f.severity, f.frequency) == (6, "warning", 1000.0)
    assert f.message == ("get_elements() collects every element of self._elements that e.id == elem_id accepts: "
                         "a lookup by key done as a scan, O(n) per lookup")


def test_pfl502_elements_kept_by_id_are_quiet(round_config):
    fixed = ELEMENTS.replace("self._elements = []", "self._elements = {}").replace(
        "        for e in self._elements:\n            if not isinstance(e, filter_cls):\n                continue\n"
        "            if elem_id is not None and e.id != elem_id:\n                continue\n            result.append(e)\n",
        "        e = self._elements.get(elem_id)\n        if isinstance(e, filter_cls):\n            result.append(e)\n")
    assert found(fixed, "PFL502", round_config) == []


@pytest.mark.parametrize("src", [
    # the loop does other work besides filtering and appending: counts what it skips
    ELEMENTS.replace("                continue\n            if elem_id",
                     "                self.skipped += 1\n                continue\n            if elem_id", 1),
    ELEMENTS.replace("            result.append(e)\n", "            e.touch()\n            result.append(e)\n"),
    # only a type filter: no key compared
    ELEMENTS.replace("            if elem_id is not None and e.id != elem_id:\n                continue\n", ""),
    # the None check guards another name than the key compared
    ELEMENTS.replace("if elem_id is not None and", "if filter_cls is not None and"),
    # a guard that is no type or key test
    ELEMENTS.replace("if not isinstance(e, filter_cls):", "if e.hidden:"),
])
def test_pfl502_guarded_collect_near_misses_are_quiet(src, round_config):
    assert found(src, "PFL502", round_config) == []
