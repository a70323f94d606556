"""PFL502 linear-search-lookup."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.rule import Invalid, Rule
from perflint.ruleutil import bound_names, enclosing_function, is_literal, literal_value, names_in
from perflint.nodes import iter_children
from perflint.rules.fastpath.frame_mask import MASK_FIX, assigned_dotted, frame_mask, module_names
from perflint.rules.fastpath.predicate_lookup import PREDICATE_FIX, key_collect
from perflint.rules.fastpath.position_scan import (BATCH_FIX, BATCH_SCAN, POSITION_FIX, element_of, identity_match,
                                                    one_element_batch, own_position, starts_fresh, while_scan)

_DICT_MAKERS = {"dict", "defaultdict", "OrderedDict", "collections.defaultdict", "collections.OrderedDict", "WeakValueDictionary", "weakref.WeakValueDictionary"}
_LIST_MAKERS = {"list"}
# A module constant this long is a table to look things up in, not a handful of choices.
_TABLE_MIN = 10
_INDEX_NAME = re.compile(r"^_*(?:by_?(\w+)|(\w+?)_?(?:to_\w+|index|idx|map|lookup|dict|table))$")


class _ClassFacts:
    """What a class keeps: dict attributes, the field each is keyed by, list attributes."""

    def __init__(self) -> None:
        self.dicts: Set[str] = set()
        self.keyed: Dict[str, str] = {}  # field -> dict attribute keyed by it
        self.lists: Set[str] = set()


class LinearSearchLookup(Rule):
    """
    A lookup by key done as a linear scan, often next to a dict that could answer it.

    ## What it does
    Flags an early-exit equality search over a collection: a loop
    `for x in self.items: if x.key == k: return x`, `next(x for x in seq if x.key == k)`,
    `self.items.index(v)` on a list the class keeps, and `ALPHABET.index(c)` in a loop, on a
    module constant string, list or tuple of distinct literals. Confidence is high when the
    same class keeps a dict keyed by the same attribute (`self._by_id[item.id] = item`)
    and the method scans the list instead; otherwise the search is reported only where
    it runs repeatedly (in a loop, or in a function a loop reaches).

    It also flags a list scanned from the front for one element's *position*, where that
    runs per element of a caller's loop: `for i, c in enumerate(parent.children): if c is
    node: ...`, `while i < len(children) and children[i] is not node: i += 1` after `i = 0`,
    and `node.parent.children.index(node)`. Tree code removing or replacing nodes one at a
    time this way is quadratic in the number of children.

    ## Why is this slow
    A scan compares every element until it finds the key: O(n) per lookup, O(n x m)
    for m lookups. The dict the class already maintains answers in O(1). This is the
    missed fast path of the seed: an index existed and the lookup did not use it.

    ## Example
    ```python
    class Registry:
        def add(self, item):
            self._items.append(item)
            self._by_id[item.id] = item

        def get(self, item_id):
            for item in self._items:
                if item.id == item_id:
                    return item
            return None
    ```

    ## Use instead
    ```python
        def get(self, item_id):
            return self._by_id.get(item_id)
    ```

    ## Notes
    Not reported: searches for a constant (`if x.kind == "primary"`), scans of literal
    tuples and lists, `range`, a match whose `if` has an `elif`/`else` doing other work per
    element, and `.index()` on anything but a list attribute the class builds or an
    element's own list (`node.parent.children.index(node)`). A scan without a dict next to
    it is reported with medium confidence when it walks an attribute of `self`, and low
    otherwise. A position scan is reported with medium confidence when its loop holds only
    the identity test (a loop that also collects the elements before the node is a walk);
    a `while` scan that starts from a remembered position (`i = hints.get(id(parent), 0)`)
    is linear over one call's batch and is a low-confidence note (it is quadratic only when
    callers pass one element per call, which the function cannot see); a caller that does
    pass one, a one-element list (`append_leaves(line, [leaf])`) per iteration of its loop,
    is reported at that call, with the trace ending at the scan. `.index()` compares
    in C and is costed like `x in list` (list-membership-element), not as a Python loop.

    A module constant is a lookup table when it is a string, list or tuple literal of at least
    10 distinct elements (an alphabet, a charset, a list of opcodes), assigned once at top
    level and rebound in no function. `.index(x)` (or a string's `.find(x)`) on it with a
    non-literal argument, inside a loop or a comprehension, searches it from the front per
    lookup: a dict from element to position built once at module level answers in O(1). A
    string's search runs in C over a few dozen characters, so it is priced per lookup
    (`alphabet-index`, measured on base45's 45-character alphabet); a list's or tuple's
    compares half its elements on average (list-membership-element each). A shorter constant
    (`"rgb"`), a literal argument, and a lookup outside any loop are not reported.

    A method named as a lookup (`lookup`, `find*`, `get*`, `search*`, `*_by_*`) that collects
    every element of a list attribute matching its key parameter (`if e.name == name:
    out.append(e)`, or `if self._matches(name, e)` where that method compares the key with
    `==`) is a lookup by key too: a dict of lists answers it. The append may follow guards
    that only `continue` past elements of another class (`if not isinstance(e, cls)`) or
    whose key differs (`if key is not None and e.id != key`); a loop doing any other work is
    not a lookup. Collecting matches in a method named otherwise is a filter, and is not
    reported.

    A pandas DataFrame the program keeps, searched for one key with a boolean mask, is a
    linear search too: `self.caps.loc[self.caps.name == name, "dtype"]`, `TABLE[TABLE["code"]
    == code]` (a conjunction of such equalities, `(df.a == x) & (df.b == y)`, included), in a
    function that takes the key as a parameter. pandas compares the column with the key over
    every row and builds a new frame from the mask on each call: about 0.1 ms on a 100-row
    frame, most of it fixed overhead (`dataframe-mask-lookup`, measured with pandas, which
    perflint does not depend on). The frame must be kept: an attribute of self the function
    does not assign, a module-level name, or a parameter every caller passes such a frame (a
    module's frame, or an attribute of the caller's own object); it is reported only where
    the lookup runs repeatedly, and only in a module that uses pandas. A dict from the key
    column to the value needed, built once from the frame (and rebuilt where the frame
    changes), answers in a dict lookup. A mask over a frame built in the same call, a range or
    `!=` filter, a constant or loop-variable key (a walk over groups, which `groupby` fixes),
    and a lookup that runs once are not reported.
    """

    CODE = "PFL502"
    COST = "scan-row"  # perflint/costs.py; measured by bench/costs.py
    NAME = "linear-search-lookup"
    FAMILY = "fastpath"
    FIX = "look the key up in a dict (keep one keyed by that attribute) instead of scanning the collection"
    TRIGGERS = ("==", ".index(", ".find(", " is ", ", [", "([")
    VALID = [
        # A mask over a frame built in the same call, and a range filter, are not key lookups.
        "import pandas as pd\n"
        "def dtype(path, name):\n    caps = pd.read_csv(path)\n    return caps[caps.es_field_name == name]\n"
        "class R:\n    def recent(self, since):\n        return [self.df[self.df.ts >= since] for _ in range(3)]\n",
        # The dict built once from the kept frame.
        "import pandas as pd\n"
        "class Mappings:\n"
        "    def __init__(self, fields):\n        caps = pd.DataFrame(fields)\n"
        "        self.dtypes = dict(zip(caps.es_field_name, caps.pd_dtype))\n"
        "    def convert(self, rows):\n"
        "        return [{k: self.dtypes[k] for k in row} for row in rows]\n",
        # A walk that collects the leaves before the node is not a search for its position.
        "def header(node, groups):\n    for g in groups:\n        out = []\n        for child in node.parent.children:\n"
        "            if child is node:\n                break\n            out.append(child)\n",
        "class P:\n    def find(self, label, arcs):\n        for i, state in arcs:\n            if i == label:\n                return state\n"
        "            elif i >= 256 and label in self.first[i]:\n                return self.push(i)\n",
        # The dict is used.
        "class R:\n    def __init__(self):\n        self._items = []\n        self._by_id = {}\n"
        "    def get(self, k):\n        return self._by_id.get(k)\n",
        # A search for a constant property, not a key lookup.
        "class R:\n    def primary(self):\n        for c in self.columns:\n            if c.kind == 'pk':\n                return c\n",
        # A cold one-off scan with no index to use.
        "def find(items, name):\n    for it in items:\n        if it.name == name:\n            return it\n",
        # Scanning a literal tuple.
        "def f(xs, k):\n    for x in xs:\n        for a in (('a', 1), ('b', 2)):\n            if a[0] == k:\n                return a\n",
        # A three-character constant is a handful of choices, not a table.
        "MODES = 'rwa'\ndef modes(flags):\n    return [MODES.index(f) for f in flags]\n",
        # Every match is collected: not a lookup.
        "class R:\n    def __init__(self):\n        self._by_id = {}\n"
        "    def all_of(self, owner):\n        out = []\n        for x in self.items:\n            if x.owner == owner:\n                out.append(x)\n        return out\n",
    ]
    INVALID = [
        Invalid(
            "import pandas as pd\n"
            "class Mappings:\n"
            "    def __init__(self, fields):\n        self.caps = pd.DataFrame(fields)\n"
            "    def dtype(self, name):\n"
            "        return self.caps.loc[self.caps.es_field_name == name].pd_dtype.squeeze()\n"
            "    def convert(self, rows):\n"
            "        return [{k: self.dtype(k) for k in row} for row in rows]\n",
            line=6,
        ),
        Invalid(
            "class Keys:\n"
            "    def load(self, names):\n        for n in names:\n            self.lookup(n)\n"
            "    def lookup(self, name):\n        found = []\n        for e in self._entries:\n"
            "            if e.name == name:\n                found.append(e)\n        return found\n",
            line=7,
        ),
        Invalid(
            "def detach(node):\n"
            "    for i, child in enumerate(node.parent.children):\n"
            "        if child is node:\n"
            "            del node.parent.children[i]\n"
            "            return i\n"
            "def detach_all(groups):\n"
            "    for group in groups:\n"
            "        for n in group.ignored():\n"
            "            detach(n)\n",
            line=2,
        ),
        Invalid(
            "class Registry:\n"
            "    def __init__(self):\n"
            "        self._items = []\n"
            "        self._by_id = {}\n"
            "    def add(self, item):\n"
            "        self._items.append(item)\n"
            "        self._by_id[item.id] = item\n"
            "    def get(self, item_id):\n"
            "        for item in self._items:\n"
            "            if item.id == item_id:\n"
            "                return item\n",
            line=9,
        ),
        Invalid(
            "class Pool:\n"
            "    def __init__(self):\n        self.conns = []\n"
            "    def find(self, host):\n        return next(c for c in self.conns if c.host == host)\n"
            "    def route(self, hosts):\n        return [self.find(h) for h in hosts]\n",
            line=5,
        ),
        Invalid(
            "ALPHABET = '0123456789abcdefghijklmnopqrstuv'\n"
            "def decode(text):\n    return [ALPHABET.index(c) for c in text]\n",
            line=3,
        ),
        Invalid(
            "class Order:\n    def __init__(self):\n        self.keys = list()\n"
            "    def positions(self, wanted):\n        return [self.keys.index(w) for w in wanted]\n",
            line=5,
        ),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._tables: Dict[str, Tuple[str, int]] = {}  # module constant -> (kind, elements)
        self._bound: Dict[int, Set[str]] = {}  # function node id -> the names it binds
        self._classes: List[list] = []  # [class node, facts or None]: facts computed on first need
        self._in_class: List[bool] = []  # per function frame: directly a method of the innermost class
        self._pandas = "pandas" in self.ctx.source  # a mask lookup is priced as pandas' only where pandas is used
        self._globals: Optional[Set[str]] = None  # the module's top-level names, on first need
        self._assigned: Dict[int, Set[str]] = {}  # function node id -> dotted targets it assigns

    def visit_Module(self, node: cst.Module) -> None:
        self._tables = _lookup_tables(node, self.ctx.source)
        self._module = node

    # -- self.df.loc[self.df.col == key] ---------------------------------------------------
    def visit_Subscript(self, node: cst.Subscript) -> None:
        if not self._pandas or self.ctx.function is None or not isinstance(node.slice[0].slice, cst.Index):
            return
        found = frame_mask(node)
        if found is None:
            return
        fn_node = enclosing_function(self.ctx)
        if fn_node is None:
            return
        frame, via, pairs = found
        params = self.ctx.function.params  # the def enclosing_function found: positional and keyword-only
        me = self.ctx.self_name() if self.ctx.class_qualname else None
        names = [name for _, name in pairs if name]
        # the key is what the caller asks for: every compared name a parameter (a loop
        # variable or a local is a walk over groups, another shape)
        if not names or any(name not in params or name == me for name in names):
            return
        text = dotted_text(frame)
        root = text.split(".")[0]
        if root in names:
            return
        assigned = self._assigned.get(id(fn_node))
        if assigned is None:
            assigned = self._assigned[id(fn_node)] = assigned_dotted(fn_node)
        if any(text == t or text.startswith(t + ".") for t in assigned):
            return  # the frame is built (or rebound) in this call
        requires: Tuple[str, ...] = ("repeated",)
        if root == me and me is not None:
            if fn_node.name.value == "__init__":
                return
            kept = f"the DataFrame kept in {text}"
        elif root in params:
            requires += (f"callers-pass-kept:{root}",)
            kept = f"the DataFrame every caller passes as {root}" if root == text else f"the DataFrame kept in {text}"
        else:
            if self._globals is None:
                self._globals = module_names(self._module)
            if root not in self._globals or root in bound_names(fn_node):
                return
            kept = f"the module's DataFrame {text}"
        column, key = next((c, n) for c, n in pairs if n)
        shown = f"{text}{'.' + via if via else ''}[{text}.{column} == {key}]"
        self.report(node, f"{shown} looks one '{column}' up by a boolean mask over {kept}: pandas compares "
                          f"every row and builds a new frame on each call (about 0.1 ms)",
                    fix=MASK_FIX, confidence="medium", requires=requires, cost="dataframe-mask-lookup")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append([node, None])

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def _methods(self) -> Dict[str, cst.FunctionDef]:
        """The methods of the innermost class, by name."""
        entry = self._classes[-1]
        if len(entry) < 3:
            entry.append({s.name.value: s for s in entry[0].body.body if isinstance(s, cst.FunctionDef)})
        return entry[2]

    def _facts(self) -> Optional[_ClassFacts]:
        """The facts of the class whose method we are in (walked once, only when needed)."""
        if not self._classes or not self.ctx.class_qualname:
            return None
        entry = self._classes[-1]
        if entry[1] is None:
            entry[1] = _class_facts(entry[0])
        return entry[1]

    # -- for x in coll: if x.key == k: return x ---------------------------------------------
    def visit_For(self, node: cst.For) -> None:
        fn = self.ctx.function
        if fn is None or not isinstance(node.body, cst.IndentedBlock):
            return
        coll = node.iter
        enumerated = isinstance(coll, cst.Call) and dotted_text(coll.func) == "enumerate" and bool(coll.args)
        if enumerated:
            coll = coll.args[0].value
        if not isinstance(coll, (cst.Name, cst.Attribute, cst.Call)) or not _collection(coll):
            return
        if isinstance(coll, cst.Name) and coll.value.lstrip("_").isupper():
            return  # a module constant table: fixed and small
        targets = names_in(node.target) if isinstance(node.target, (cst.Tuple, cst.List)) else {node.target.value} if isinstance(node.target, cst.Name) else set()
        if not targets:
            return
        fn_node = enclosing_function(self.ctx)
        if fn_node is not None and self._classes:
            matcher = key_collect(node, fn_node, self._methods(), self.ctx.self_name())
            if matcher is not None:
                self.report(node, f"{fn_node.name.value}() collects every element of {dotted_text(coll)} that "
                                  f"{matcher} accepts: a lookup by key done as a scan, O(n) per lookup",
                            fix=PREDICATE_FIX, confidence="medium", requires=("repeated",))
                return
        for stmt in node.body.body:
            if not isinstance(stmt, cst.If) or not _exits(stmt.body):
                continue
            if stmt.orelse is not None:
                continue  # `elif`/`else` does other work per element: a dict cannot replace the loop
            element = element_of(node.target, enumerated)
            # only the test in the body: a loop that does other work per element before
            # reaching the node (collects the leaves before it) is a walk, not a search
            alone = len(node.body.body) == 1
            searched = identity_match(stmt.test, element) if element and alone else None
            if searched is not None:
                self._position(node, dotted_text(coll) or "the list", searched, "a loop that compares each element of")
                return
            tuple_target = isinstance(node.target, (cst.Tuple, cst.List))
            field = _key_test(stmt.test, targets, tuple_target=tuple_target)
            if field is not None:
                self._found(node, coll, field, "a loop that compares each element", by_attribute=not tuple_target or field not in targets)
                return

    # -- next(x for x in coll if x.key == k) ------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.function is None:
            return
        if self.ctx.loops and one_element_batch(node):
            callee = dotted_text(node.func) or "the function"
            self.report(node, f"{callee}() is handed a one-element list per iteration, and it finds each element's "
                              "position by resuming a scan where the previous element of the same call was found: "
                              "one call per element restarts the scan from the front, O(n) per call",
                        fix=BATCH_FIX, confidence="medium", requires=("repeated", f"callee:{BATCH_SCAN}", "trace-callee"))
            return
        func = dotted_text(node.func)
        if func == "next" and node.args and isinstance(node.args[0].value, cst.GeneratorExp):
            gen = node.args[0].value
            comp = gen.for_in
            if comp.inner_for_in is not None or len(comp.ifs) != 1 or not _collection(comp.iter):
                return
            targets = names_in(comp.target)
            tuple_target = not isinstance(comp.target, cst.Name)
            field = _key_test(comp.ifs[0].test, targets, tuple_target=tuple_target)
            if field is not None:
                self._found(node, comp.iter, field, "next() over a generator that compares each element",
                            by_attribute=not tuple_target or field not in targets)
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value in ("index", "find") and len(node.args) == 1:
            if self._tables and self._table_lookup(node, node.func):
                return
            if node.func.attr.value != "index":
                return
            own = own_position(node)
            if own is not None:
                # list.index() compares in C, like `x in list`: cost it as a membership test
                self._position(node, own[0], own[1], ".index() scans", cost="list-membership-element")
                return
            facts = self._facts()
            receiver = node.func.value
            if (facts is not None and self.ctx.function.name != "__init__" and isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name)
                    and receiver.value.value == self.ctx.self_name() and receiver.attr.value in facts.lists
                    and not is_literal(node.args[0].value)):
                self.report(node, f"self.{receiver.attr.value}.index() scans the list for the value: O(n) per lookup",
                            confidence="medium", requires=("repeated",))

    def _table_lookup(self, node: cst.Call, func: cst.Attribute) -> bool:
        """`ALPHABET.index(c)` in a loop, on a module constant string, list or tuple of distinct
        literals: a linear search of the table per lookup, where a dict from element to position
        built once at import answers in O(1). A string's search runs in C and costs little per
        character, so it is priced per lookup (alphabet-index); a list's compares each element
        before the match, half the list on average (list-membership-element)."""
        receiver, arg = func.value, node.args[0]
        if not isinstance(receiver, cst.Name) or receiver.value not in self._tables or not self.ctx.loops:
            return False
        kind, size = self._tables[receiver.value]
        method = func.attr.value
        if (method == "find" and kind not in ("character", "byte")) or arg.keyword is not None or arg.star or is_literal(arg.value):
            return False
        fn_node = enclosing_function(self.ctx)
        if fn_node is None:
            return False
        bound = self._bound.get(id(fn_node))
        if bound is None:
            bound = self._bound[id(fn_node)] = bound_names(fn_node)
        if receiver.value in bound:
            return False  # a local of the same name, not the module's table
        name = receiver.value
        if kind in ("character", "byte"):
            self.report(node, f"{name}.{method}() searches the {size}-{kind} constant '{name}' for each value, "
                              "once per iteration: a linear search per lookup",
                        fix=f"build a dict from {kind} to position once at module level "
                            f"(`{{c: i for i, c in enumerate({name})}}`) and look each value up in it",
                        requires=("repeated",), cost="alphabet-index")
        else:
            self.report(node, f"{name}.index() scans the {size}-element constant {kind} '{name}' for each value, "
                              "once per iteration: O(n) per lookup",
                        fix=f"build a dict from element to position once at module level "
                            f"(`{{e: i for i, e in enumerate({name})}}`) and look each value up in it",
                        requires=("repeated",), cost="list-membership-element", size=size / 2)
        return True

    # -- while xs[i] is not node: i += 1 ---------------------------------------------------
    def visit_While(self, node: cst.While) -> None:
        if self.ctx.function is None:
            return
        scan = while_scan(node)
        if scan is None:
            return
        if starts_fresh(self.ctx.parent(), node, scan[2]):
            self._position(node, scan[0], scan[1], "a while loop that steps through")
        else:
            # The scan resumes from a remembered position: linear over one call's batch, and
            # quadratic only if callers hand it one element at a time, which this function
            # cannot see. A note here; the effect lets a caller that passes `[x]` per
            # iteration be reported at its call (visit_Call).
            self.effect(BATCH_SCAN)
            self.report(node, f"a while loop that steps through {scan[0]} to find the position of {scan[1]}, "
                              f"from where {scan[2]} starts: O(n) per search if callers pass one element at a time",
                        fix=POSITION_FIX, confidence="low", requires=("repeated",))

    def _position(self, node: cst.CSTNode, coll: str, searched: str, how: str, cost: Optional[str] = None) -> None:
        """A list scanned from the front for one element's position: O(n) per call, reported
        where the call repeats (a function run once per element of a caller's loop)."""
        self.report(node, f"{how} {coll} from the front to find the position of {searched}: O(n) per search, "
                          "O(n^2) when it runs once per element",
                    fix=POSITION_FIX, confidence="medium", requires=("repeated",), cost=cost)

    def _found(self, node: cst.CSTNode, coll: cst.BaseExpression, field: str, how: str, by_attribute: bool = True) -> None:
        facts = self._facts()
        text = dotted_text(coll) or "the collection"
        own = isinstance(coll, cst.Attribute) and isinstance(coll.value, cst.Name) and coll.value.value == self.ctx.self_name()
        if not by_attribute:
            # for key, value in pairs: if key == k -- an association list scanned by key
            self.report(node, f"{how} of {text} for a matching key: O(n) per lookup",
                        confidence="low", requires=("repeated",))
            return
        if facts is not None and field in facts.keyed:
            index = facts.keyed[field]
            self.report(node, f"{how} of {text} for a matching '{field}', while the class keeps "
                              f"self.{index} keyed by '{field}': O(n) instead of O(1)",
                        fix=f"return self.{index}.get(...) instead of scanning {text}")
            return
        self.report(node, f"{how} of {text} for a matching '{field}': O(n) per lookup",
                    confidence="medium" if own else "low", requires=("repeated",))


def _lookup_tables(module: cst.Module, source: str) -> Dict[str, Tuple[str, int]]:
    """Module constants `NAME = "..."` / `[...]` / `(...)` of at least _TABLE_MIN distinct literal
    elements, assigned once at top level and declared global nowhere: name -> (kind, elements)."""
    found: Dict[str, Tuple[str, int]] = {}
    assigned: Dict[str, int] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else \
                [small.target] if isinstance(small, (cst.AnnAssign, cst.AugAssign)) else []
            for target in targets:
                for name in names_in(target) if isinstance(target, (cst.Tuple, cst.List)) else \
                        [target.value] if isinstance(target, cst.Name) else []:
                    assigned[name] = assigned.get(name, 0) + 1
            if isinstance(small, cst.Assign) and len(targets) == 1 and isinstance(targets[0], cst.Name):
                table = _table_of(small.value)
                if table is not None:
                    found[targets[0].value] = table
    return {name: table for name, table in found.items()
            if assigned.get(name) == 1 and not re.search(rf"\b(?:global|nonlocal)\b[^\n]*\b{name}\b", source)}


def _table_of(value: cst.BaseExpression) -> Optional[Tuple[str, int]]:
    """(kind, elements) of a string, list or tuple literal of distinct elements, or None."""
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)) and is_literal(value):
        try:
            text = literal_value(value)
        except Exception:  # noqa: BLE001 - libcst's evaluation of an odd literal
            return None
        if isinstance(text, (str, bytes)) and len(text) >= _TABLE_MIN and len(set(text)) == len(text):
            return ("character" if isinstance(text, str) else "byte"), len(text)
        return None
    if isinstance(value, (cst.List, cst.Tuple)) and len(value.elements) >= _TABLE_MIN and is_literal(value) \
            and not any(isinstance(e.value, cst.List) for e in value.elements):  # a list is no dict key
        try:
            keys = [literal_value(e.value) if isinstance(e.value, cst.SimpleString) else cst.Module([]).code_for_node(e.value)
                    for e in value.elements]
        except Exception:  # noqa: BLE001 - libcst's evaluation of an odd literal
            return None
        if len(set(keys)) == len(keys):
            return ("list" if isinstance(value, cst.List) else "tuple"), len(keys)
    return None


def _collection(expr: cst.BaseExpression) -> bool:
    """A collection that can grow: a name or attribute (not a literal, a range or a string)."""
    if isinstance(expr, cst.Call):
        # self.d.values() / self.items() walk a collection too; other calls make one.
        return isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("values", "items") and not expr.args \
            and isinstance(expr.func.value, (cst.Name, cst.Attribute))
    return isinstance(expr, (cst.Name, cst.Attribute))


def _exits(body: cst.BaseSuite) -> bool:
    """The `if` body returns (or breaks) at its top level: an early exit on a match."""
    lines = body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
    for line in lines:
        smalls = line.body if isinstance(line, cst.SimpleStatementLine) else [line] if not isinstance(line, cst.BaseCompoundStatement) else []
        for small in smalls:
            if isinstance(small, (cst.Return, cst.Break)):
                return True
    return False


def _key_test(test: cst.BaseExpression, targets: Set[str], tuple_target: bool) -> Optional[str]:
    """The field compared for equality with a non-constant key: `x.id == k` -> "id"."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _key_test(test.left, targets, tuple_target) or _key_test(test.right, targets, tuple_target)
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1 or not isinstance(test.comparisons[0].operator, cst.Equal):
        return None
    for side, other in ((test.left, test.comparisons[0].comparator), (test.comparisons[0].comparator, test.left)):
        field = _field_of(side, targets, tuple_target)
        if field is None:
            continue
        if is_literal(other) or names_in(other) & targets or _constant_name(other):
            return None  # a search for a constant, or two fields of one element
        return field
    return None


def _field_of(expr: cst.BaseExpression, targets: Set[str], tuple_target: bool) -> Optional[str]:
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value in targets:
        return expr.attr.value
    if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name) and expr.value.value in targets:
        index = expr.slice[0].slice if len(expr.slice) == 1 else None
        if isinstance(index, cst.Index) and isinstance(index.value, (cst.SimpleString, cst.Integer)):
            return index.value.value.strip("'\"")
        return None
    if tuple_target and isinstance(expr, cst.Name) and expr.value in targets:
        return expr.value  # for key, value in pairs: if key == k
    return None


def _constant_name(expr: cst.BaseExpression) -> bool:
    text = dotted_text(expr)
    return bool(text) and (text.split(".")[-1].isupper() or text in ("None", "True", "False"))


def _class_facts(node: cst.ClassDef) -> _ClassFacts:
    facts = _ClassFacts()
    keyed_candidates: List[Tuple[str, str]] = []
    stack: List[cst.CSTNode] = [node.body]
    while stack:
        cur = stack.pop()
        cur_type = type(cur)
        if cur_type is cst.ClassDef:
            continue  # a nested class keeps its own facts
        if cur_type is cst.Assign or cur_type is cst.AnnAssign:
            targets = [t.target for t in cur.targets] if cur_type is cst.Assign else [cur.target]
            for target in targets:
                attr = _self_attr(target)
                if attr is not None and cur.value is not None:
                    kind = _container_kind(cur.value)
                    if kind == "dict":
                        facts.dicts.add(attr)
                    elif kind == "list":
                        facts.lists.add(attr)
                if isinstance(target, cst.Subscript):
                    base = _self_attr(target.value)
                    index = target.slice[0].slice if len(target.slice) == 1 else None
                    if base is not None and isinstance(index, cst.Index):
                        field = _key_field(index.value)
                        if field:
                            keyed_candidates.append((field, base))
        elif cur_type is cst.Call and type(cur.func) is cst.Attribute and cur.func.attr.value == "setdefault" and cur.args:
            base = _self_attr(cur.func.value)
            field = _key_field(cur.args[0].value)
            if base is not None and field:
                keyed_candidates.append((field, base))
        stack.extend(iter_children(cur))
    for field, base in keyed_candidates:
        if base in facts.dicts or _INDEX_NAME.match(base):
            facts.keyed.setdefault(field, base)
    for base in facts.dicts:
        m = _INDEX_NAME.match(base)
        if m and m.group(1):
            facts.keyed.setdefault(m.group(1), base)  # self._by_id: keyed by id
    return facts


def _self_attr(expr: cst.BaseExpression) -> Optional[str]:
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) and expr.value.value == "self":
        return expr.attr.value
    return None


def _key_field(expr: cst.BaseExpression) -> Optional[str]:
    """`item.id` -> "id"; `row["id"]` -> "id"."""
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        return expr.attr.value
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index):
        value = expr.slice[0].slice.value
        if isinstance(value, cst.SimpleString):
            return value.value.strip("'\"")
    return None


def _container_kind(value: cst.BaseExpression) -> Optional[str]:
    if isinstance(value, (cst.Dict, cst.DictComp)):
        return "dict"
    if isinstance(value, (cst.List, cst.ListComp)):
        return "list"
    if isinstance(value, cst.Call):
        name = dotted_text(value.func) or ""
        if name in _DICT_MAKERS or name.split(".")[-1] in _DICT_MAKERS:
            return "dict"
        if name in _LIST_MAKERS:
            return "list"
    return None
