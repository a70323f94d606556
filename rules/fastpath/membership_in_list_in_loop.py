"""PFL505 membership-in-list-in-loop."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.repetition import iterable_trips
from perflint.rule import Invalid, Rule
from perflint.nodes import iter_children

_MUTATORS = {"append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "__setitem__", "__delitem__"}
_SPLITTERS = {"split", "rsplit", "splitlines", "readlines"}
_LIST_BUILDERS = {"list", "sorted"}

# (how it was built, element count when known, loop depth at assignment, line)
_ListInfo = Tuple[str, Optional[int], int, int, bool]  # how, size, loop depth, line, unhashable items


class MembershipInListInLoop(Rule):
    """
    `x in some_list` inside a loop, where the list never changes there: a set would do.

    ## What it does
    Flags a membership test (`in`/`not in`) inside a loop when the right-hand side is a
    list built once before the loop in the same function (a list literal of more than
    three elements, `list(...)`, `sorted(...)`, a list comprehension, a `.split()` or
    `.readlines()` result) or a module-level list constant, and the loop does not
    change that list.

    ## Why is this slow
    `x in some_list` compares `x` with every element until it finds it: O(n) per test,
    so the loop costs O(n x m). A set (or a dict's keys) answers in O(1) by hashing,
    and building it once costs one pass over the list.

    ## Example
    ```python
    def keep_known(rows, known_ids):
        known = list(known_ids)
        return [r for r in rows if r.id in known]
    ```

    ## Use instead
    ```python
    def keep_known(rows, known_ids):
        known = set(known_ids)
        return [r for r in rows if r.id in known]
    ```

    ## Notes
    It also flags the "seen" list: a list started empty before a loop that tests
    membership in it and appends to it (`if x not in seen: seen.append(x)`), so each
    test scans a list that grows with the data. The fix keeps the list for its order
    and a set beside it for the test. It is a note (low confidence): most such lists
    on real code hold a handful of items, and the code does not say how many come.

    It also flags a list attribute used as a set by a method: `if key not in self._keys:
    self._keys.append(key)` (an ordered dict kept by hand, a registry of keys). Each call
    scans the list, which grows by one per new key. This is a note too (low confidence):
    most such lists hold a few registered handlers.

    Not reported: tuples, strings (`c in "abc"`), dicts, sets, `range`, a list the loop
    changes in other ways (removes, inserts, rebinds), and lists of three elements or
    fewer. A literal list of up to 16
    elements is reported with low confidence.
    """

    CODE = "PFL505"
    COST = "list-membership-element"  # perflint/costs.py; measured by bench/costs.py
    NAME = "membership-in-list-in-loop"
    FAMILY = "fastpath"
    FIX = "build a set (or frozenset) once before the loop and test membership in it"
    TRIGGERS = (" in ",)
    VALID = [
        # The method tests a list attribute but appends elsewhere: not a set kept by hand.
        "class R:\n    def add(self, key):\n        if key not in self._keys:\n            self._pending.append(key)\n",
        # A tuple of constants.
        "def f(xs):\n    return [x for x in xs if x in ('a', 'b', 'c')]\n",
        # A string.
        "def f(s):\n    return [c for c in s if c in 'aeiou']\n",
        # A set.
        "def f(xs, ys):\n    allowed = set(ys)\n    return [x for x in xs if x in allowed]\n",
        # The loop removes from the list it tests: a work queue, not a seen list.
        "def drain(xs):\n    todo = []\n    for x in xs:\n        if x not in todo:\n            todo.append(x)\n"
        "        else:\n            todo.remove(x)\n    return todo\n",
        # A short literal list.
        "def f(xs):\n    small = ['a', 'b']\n    return [x for x in xs if x in small]\n",
        # Not in a loop.
        "def f(x, ys):\n    ys = list(ys)\n    return x in ys\n",
        # Built inside the loop, per iteration.
        "def f(rows):\n    for r in rows:\n        parts = r.split(',')\n        if 'x' in parts:\n            yield r\n",
    ]
    INVALID = [
        # A list attribute used as a set by a method.
        Invalid("class odict(dict):\n    def __setitem__(self, key, item):\n        dict.__setitem__(self, key, item)\n"
                "        if key not in self._keys:\n            self._keys.append(key)\n", line=4),
        # The "seen" list: appended to by the loop that tests it.
        Invalid("def dedupe(xs):\n    seen = list()\n    for x in xs:\n        if x not in seen:\n"
                "            seen.append(x)\n    return seen\n", line=4),
        Invalid("def keep(rows, ids):\n    known = list(ids)\n    return [r for r in rows if r.id in known]\n", line=3),
        Invalid("STOP = ['a', 'an', 'the', 'of', 'and', 'or', 'in', 'on', 'to']\n"
                "def words(text):\n    return [w for w in text.split() if w not in STOP]\n", line=3),
        Invalid("def f(lines, header):\n    cols = header.split(',')\n    for line in lines:\n"
                "        for field in line:\n            if field in cols:\n                print(field)\n", line=5),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._module_lists: Dict[str, _ListInfo] = {}
        self._lists: List[Dict[str, Optional[_ListInfo]]] = []  # per function; None = shadowed
        self._mutated: Dict[int, Set[str]] = {}  # outermost loop node id -> names its body changes

    def visit_Module(self, node: cst.Module) -> None:
        source = self.ctx.source
        for stmt in node.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                    name = small.targets[0].target.value
                    info = _list_info(small.value)
                    if info is None:
                        self._module_lists.pop(name, None)
                        continue
                    if re.search(rf"\b(global\s+{re.escape(name)}\b|{re.escape(name)}\s*(\+=|\.(append|extend|insert|remove|pop|clear)\(|\[[^\]\n]*\]\s*=[^=]))", source):
                        continue  # a module list that the code changes
                    self._module_lists[name] = (info[0], info[1], 0, 0, _unhashable(small.value))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = node.params
        shadow: Dict[str, Optional[_ListInfo]] = {}
        for p in list(params.posonly_params) + list(params.params) + list(params.kwonly_params):
            shadow[p.name.value] = None
        self._lists.append(shadow)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._lists.pop()

    def _bind(self, target: cst.BaseExpression, value: Optional[cst.BaseExpression]) -> None:
        if not self._lists:
            return
        if isinstance(target, cst.Name):
            info = _list_info(value) if value is not None else None
            self._lists[-1][target.value] = (
                (info[0], info[1], len(self.ctx.loops), self.ctx.line, _unhashable(value)) if info else None
            )
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self._bind(el.value, None)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target, None)

    def _changed_in_loop(self, name: str) -> bool:
        """Whether the outermost loop around here (in this function) changes `name`."""
        outer = None
        for anc in reversed(self.ctx.stack):
            if isinstance(anc, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                break
            if isinstance(anc, (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
                outer = anc
        if outer is None:
            return False
        changed = self._mutated.get(id(outer))
        if changed is None:
            changed = self._mutated[id(outer)] = _mutated_in(outer)
        return name in changed

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self.ctx.function is not None and len(node.comparisons) == 1:
            self._attribute_as_set(node)
        if not self.ctx.loops or not self._lists:
            return
        for target in node.comparisons:
            if not isinstance(target.operator, (cst.In, cst.NotIn)) or not isinstance(target.comparator, cst.Name):
                continue
            name = target.comparator.value
            info = self._lookup(name)
            if info is None:
                continue
            how, size, depth, line, unhashable = info
            if depth >= len(self.ctx.loops):
                continue  # rebuilt on every iteration: a set would cost as much to build
            if how == "an empty list" and self._seen_list(name):
                # for x in xs: if x not in seen: seen.append(x) -- the de-duplication list
                # grows with the loop: each test scans half of it on average. Low confidence
                # (a note): on real code most such lists hold a handful of names (languages,
                # type parameters, models), and nothing here says how many items come.
                loop = self.ctx.loops[-1]
                trips = loop.trips if loop.trips is not None else 100.0
                self.report(node, f"'{_op(target)} {name}' scans a list the loop appends to: a \"seen\" list "
                                  "grows with the data, so the loop is O(n^2)",
                            confidence="low", size=trips / 2, fix=SEEN_FIX)
                return
            if size is not None and size <= 3:
                continue
            if self._changed_in_loop(name):
                continue  # the loop appends to it or rebinds it
            # A literal list is small and fixed; a built one grows with the data it came from.
            confidence = "low" if size is not None and size <= 16 else "medium"
            where = f"a module-level list ({how})" if line == 0 else f"a list built by {how} on line {line}"
            if unhashable:
                # a set of dicts or of tuples holding lists raises TypeError: key them instead
                self.report(node, f"'{_op(target)} {name}' scans {where} on every iteration: O(n) per test "
                                  "(its items are unhashable, so not a set)",
                            confidence=confidence, size=size, fix=UNHASHABLE_FIX)
                return
            self.report(node, f"'{_op(target)} {name}' scans {where} on every iteration: O(n) per test",
                        confidence=confidence, size=size)
            return

    def _attribute_as_set(self, node: cst.Comparison) -> None:
        """`if key not in self._keys: self._keys.append(key)` in a method: a list the object
        keeps, used as a set. Each call scans it, and it grows by one per new key, so storing
        n keys one call at a time is O(n^2). Low confidence (a note): most such lists hold a
        few registered handlers or names, and nothing here says how many keys come."""
        target = node.comparisons[0]
        holder = self.ctx.parent()
        if not isinstance(target.operator, cst.NotIn) or not isinstance(holder, cst.If) or holder.test is not node:
            return
        attr = target.comparator
        self_name = self.ctx.self_name()
        if not (isinstance(attr, cst.Attribute) and isinstance(attr.value, cst.Name) and self_name
                and attr.value.value == self_name):
            return
        if not _appends_to(holder.body, attr.value.value, attr.attr.value):
            return
        text = f"{self_name}.{attr.attr.value}"
        self.report(node, f"'not in {text}' scans a list the object keeps, and the method appends to it: "
                          "a list used as a set grows by one per new key, so adding n keys is O(n^2)",
                    confidence="low", fix=ATTRIBUTE_FIX)

    def _seen_list(self, name: str) -> bool:
        """The outermost loop here changes `name` only by appending to it."""
        outer = None
        for anc in reversed(self.ctx.stack):
            if isinstance(anc, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                break
            if isinstance(anc, (cst.For, cst.While)):
                outer = anc
        return outer is not None and _only_appended(outer, name)

    def _lookup(self, name: str) -> Optional[_ListInfo]:
        scope = self._lists[-1]
        if name in scope:
            return scope[name]
        return self._module_lists.get(name)


def _op(target: cst.ComparisonTarget) -> str:
    return "not in" if isinstance(target.operator, cst.NotIn) else "in"


UNHASHABLE_FIX = ("the items hold lists or dicts, so a set would raise TypeError: build a set (or dict) of a "
                  "hashable key per item, e.g. tuple(...) of its fields or an id, and test that")


def _unhashable(value: Optional[cst.BaseExpression]) -> bool:
    """Whether the items of a list display or comprehension contain a list, dict or set display."""
    if isinstance(value, cst.List):
        items = [e.value for e in value.elements]
    elif isinstance(value, cst.ListComp):
        items = [value.elt]
    else:
        return False
    mutable = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)
    for item in items:
        if isinstance(item, mutable):
            return True
        if isinstance(item, cst.Tuple) and any(isinstance(e.value, mutable) for e in item.elements):
            return True
    return False


ATTRIBUTE_FIX = ("keep a set (or dict) of the keys beside the list, or a dict alone (dicts keep insertion order): "
                 "test membership there")


def _appends_to(body: cst.BaseSuite, owner: str, attr: str) -> bool:
    """The block's own statements call `owner.attr.append(...)`."""
    lines = body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
    for line in lines:
        for small in (line.body if isinstance(line, cst.SimpleStatementLine) else [line] if isinstance(line, cst.BaseSmallStatement) else []):
            call = small.value if isinstance(small, cst.Expr) else None
            if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "append":
                receiver = call.func.value
                if isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name) \
                        and receiver.value.value == owner and receiver.attr.value == attr:
                    return True
    return False


SEEN_FIX = ("keep a set beside the list: test and add to the set, append to the list (or use "
            "dict.fromkeys(items) to de-duplicate in order)")


def _only_appended(loop: cst.CSTNode, name: str) -> bool:
    """`name.append(...)` somewhere in the loop, and no other change to `name` there."""
    appended = False
    stack: List[cst.CSTNode] = [loop]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
                isinstance(node.func.value, cst.Name) and node.func.value.value == name:
            if node.func.attr.value == "append":
                appended = True
            elif node.func.attr.value in _MUTATORS:
                return False
        elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name) and node.target.value == name:
            return False
        elif isinstance(node, (cst.AssignTarget, cst.Del)):
            target = node.target
            if isinstance(target, cst.Subscript):
                target = target.value
            if isinstance(target, cst.Name) and target.value == name:
                return False
        stack.extend(iter_children(node))
    return appended


def _list_info(value: Optional[cst.BaseExpression]) -> Optional[Tuple[str, Optional[int]]]:
    """(how, size) when an expression builds a list."""
    value_type = type(value)  # exact types: isinstance on libcst's ABCs is slow, and this sees every assignment
    if value_type is cst.List and not value.elements:  # type: ignore[union-attr]
        return "an empty list", 0
    if value_type is cst.Call and type(value.func) is cst.Name and value.func.value == "list" \
            and not value.args:  # type: ignore[union-attr]
        return "an empty list", 0
    if value_type is cst.List:
        if any(isinstance(e, cst.StarredElement) for e in value.elements):
            return "a list display", None
        return "a list literal", len(value.elements)  # type: ignore[union-attr]
    if value_type is cst.ListComp:
        source = value.for_in.iter
        if isinstance(source, (cst.Tuple, cst.List)) and value.for_in.inner_for_in is None:
            return "a list comprehension", len(source.elements)  # over a fixed handful of values
        if value.for_in.inner_for_in is None:
            # built by iterating something: as long as that is (a few headers, a model's fields)
            trips, _ = iterable_trips(source, {})
            if trips is not None:
                return "a list comprehension", int(trips)
        return "a list comprehension", None
    if isinstance(value, cst.Call):
        func = value.func
        if isinstance(func, cst.Name) and func.value in _LIST_BUILDERS and value.args:
            return f"{func.value}()", None
        if isinstance(func, cst.Attribute) and func.attr.value in _SPLITTERS:
            receiver = func.value
            if isinstance(receiver, cst.SimpleString) and isinstance(receiver.evaluated_value, str) and not value.args:
                return "split", len(receiver.evaluated_value.split())
            return "split", None
    return None


def _mutated_in(body: cst.CSTNode) -> Set[str]:
    """Names a loop body changes: `x.append(...)`, `x[i] = ...`, `x += ...`, `del x[i]`."""
    out: Set[str] = set()
    stack: List[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name):
            if node.func.attr.value in _MUTATORS:
                out.add(node.func.value.value)
        elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name):
            out.add(node.target.value)
        elif isinstance(node, (cst.AssignTarget, cst.Del)):
            target = node.target
            if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
                out.add(target.value.value)
            elif isinstance(target, cst.Name):
                out.add(target.value)  # rebound per iteration
        stack.extend(iter_children(node))
    return out
