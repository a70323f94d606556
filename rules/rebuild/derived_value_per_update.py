"""PFL317 derived-value-per-update."""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.datawalk import ACROSS_CALLS_INNER, ACROSS_CALLS_KEPT
from perflint.nodes import NESTED_SCOPES, own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import earlier_statements, innermost_def, later_statements
from perflint.rules.alloc.bytes_concat_in_loop import _kept, _rebinds

CODE = "PFL317"  # the lead renumbers at merge: keep the code here and in the docs file name only
# Methods that change a list (or a set, a mapping) by one step in place.
STEP_METHODS = frozenset({"append", "extend", "insert", "add", "appendleft"})
# Builtins whose value over a container visits every element of it.
_WHOLE_AGGREGATES = frozenset({"sum", "max", "min", "any", "all"})
# Builtins that copy every element of their argument (`self.view = tuple(self.items)`).
_WHOLE_COPIES = frozenset({"tuple", "list", "frozenset", "set", "dict"})
FIX = ("update the derived value by the step just taken (`self.value += piece`, `self.total += x`, "
       "`self.index[key] = item`) instead of deriving it again from the whole container")


class DerivedValuePerUpdate(Rule):
    """
    A value derived from a whole kept container, derived again after every step that grows it.

    ## What it does
    Flags a method that grows a container its object keeps by one step (`self.parts.append(x)`,
    `grp.tokens.extend(new)`, `self.items.insert(i, x)`, `self.parts[k] = x`) and then, in the
    same call, stores a value derived from the whole container: `self.value = str(self)` (when a
    class of the module renders itself by joining over that container), `self.text =
    "".join(self.parts)`, `self.size = sum(len(p) for p in self.parts)` (or over
    `self.entries.values()`), `self.count = len(b"".join(self.chunks))`, `self.by_name = {p.name:
    p for p in self.parts}`, a copy such as `self.view = tuple(self.parts)`. A `len()` of the
    container alone is free and is not reported.

    The object must outlive the call: `self`, or a local bound to a parameter or to an item or
    attribute of `self` or of a parameter (the group a parser extends token by token), not one
    made in the call.

    ## Why is this slow
    Each call visits every element the container has gathered so far to add one: k calls cost
    k²/2 element visits. sqlparse re-rendered a token group (`grp.value = str(grp)`, a join over
    every token of the group) each time it extended the group by a token, so grouping a long
    identifier list was quadratic. Updating the derived value by the step taken is linear.

    ## Example
    ```python
    def add(self, part):
        self.parts.append(part)
        self.text = "".join(self.parts)
    ```

    ## Use instead
    ```python
    def add(self, part):
        self.parts.append(part)
        self.text += part
    ```

    ## Notes
    How many elements the container holds is worked out from the calls, as for an attribute
    grown once per call (`docs/scoring.md`, "Accumulators grown across calls"): an attribute no
    method empties after `__init__` holds one step per call of the method per unit of work,
    another one the steps the loops around the call make in a row. A container grown in a loop
    of the method, and a value derived only after the loop, are not reported. Test code is not
    reported.
    """

    CODE = CODE
    COST = "render-node-element"  # perflint/calibrate.py SPECS: per element rendered (str of a node)
    NAME = "derived-value-per-update"
    FAMILY = "rebuild"
    FIX = FIX
    TRIGGERS = (".append(", ".extend(", ".insert(", ".add(", ".appendleft(", "] = ")
    VALID = [
        # The derived value follows the step: nothing is visited again.
        "class Doc:\n    def __init__(self):\n        self.parts, self.text = [], ''\n"
        "    def add(self, part):\n        self.parts.append(part)\n        self.text += part\n",
        # A container made in the call: derived once per call from what the call built.
        "class Doc:\n    def render(self, items):\n        parts = []\n        for i in items:\n"
        "            parts.append(str(i))\n        self.text = ''.join(parts)\n",
        # Grown in a loop, derived once after it.
        "class Doc:\n    def add_all(self, items):\n        for i in items:\n            self.parts.append(i)\n"
        "        self.text = ''.join(self.parts)\n",
    ]
    INVALID = [
        Invalid(
            "class Doc:\n"
            "    def __init__(self):\n"
            "        self.parts = []\n"
            "    def add(self, part):\n"
            "        self.parts.append(part)\n"
            "        self.text = ''.join(self.parts)\n",
            line=6,
        ),
        Invalid(
            "class Group:\n"
            "    def __init__(self, tokens):\n"
            "        self.tokens = tokens\n"
            "    def __str__(self):\n"
            "        return ''.join(t.value for t in self.tokens)\n"
            "    def extend(self, idx, new):\n"
            "        grp = self.tokens[idx]\n"
            "        grp.tokens.extend(new)\n"
            "        grp.value = str(grp)\n",
            line=9,
        ),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._rendered: Optional[Set[str]] = None  # attributes some __str__ of the module joins over

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if type(func) is not cst.Attribute or func.attr.value not in STEP_METHODS:
            return
        owner = func.value
        if type(owner) is not cst.Attribute or type(owner.value) is not cst.Name:
            return
        self._stepped(node, owner.value.value, owner.attr.value, func.attr.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:
            return
        target = node.targets[0].target
        if type(target) is not cst.Subscript:
            return
        owner = target.value
        if type(owner) is cst.Attribute and type(owner.value) is cst.Name:
            self._stepped(node, owner.value.value, owner.attr.value, "__setitem__")

    def _stepped(self, node: cst.CSTNode, receiver: str, attr: str, step: str) -> None:
        if self.ctx.is_test or self.ctx.loops:
            return  # a step per trip of a loop of its own: the derivation after the loop runs once
        function = innermost_def(self.ctx)
        if function is None or function.name.value == "__init__":
            return
        found = kept_object(function, self.ctx.stack, node, receiver, self.ctx.self_name())
        if found is None:
            return
        aliases, kind = found
        if any(shrinks(function, f"{name}.{attr}") or _rebinds(function, name, attr) for name in aliases):
            return  # kept short, or made afresh, by the same call: it does not grow across calls
        derived = self._derivation(node, aliases, attr)
        if derived is None:
            return
        site, what, cost = derived
        start = ACROSS_CALLS_KEPT if kind == "self" and kept_whole(self.ctx.stack, attr) else ACROSS_CALLS_INNER
        self.report(
            site,
            f"{what} is derived again from the whole of '{receiver}.{attr}' right after {step}() added to it: "
            "every call visits all the elements gathered so far to add one, quadratic over the calls",
            cost=cost, growth=(start, 1.0, 0, 0.0),
        )

    def _derivation(self, node: cst.CSTNode, aliases: Set[str], attr: str) -> Optional[Tuple[cst.CSTNode, str, str]]:
        """(the statement, its target, the cost key) of a later store on the object of a value
        derived from the whole container: `obj.v = str(obj)` (a __str__ of the module joins over
        the attribute), `"".join(obj.attr)`, `sum(...)`/`len(...)` over it, a comprehension over it."""
        for stmt in later_statements(self.ctx.stack, node):
            if isinstance(stmt, NESTED_SCOPES):
                continue
            for current, _ in own_nodes(stmt):
                if type(current) is not cst.Assign or len(current.targets) != 1:
                    continue
                target = current.targets[0].target
                if type(target) is not cst.Attribute or type(target.value) is not cst.Name \
                        or target.value.value not in aliases or target.attr.value == attr:
                    continue
                what = f"'{target.value.value}.{target.attr.value}'"
                value = current.value
                if type(value) is cst.Call and dotted_text(value.func) == "str" and len(value.args) == 1 \
                        and type(value.args[0].value) is cst.Name and value.args[0].value.value in aliases \
                        and attr in self._rendered_attrs():
                    return current, what, "render-node-element"
                whole = _whole_of(value, aliases, attr)
                if whole:
                    return current, what, whole
        return None

    def _rendered_attrs(self) -> Set[str]:
        """Attributes a `__str__` of the module renders by joining over them (directly, or
        through one method of its class that walks them: `flatten()`)."""
        if self._rendered is None:
            self._rendered = set()
            module = self.ctx._module_node
            if module is not None:
                for cls in module.body:
                    if type(cls) is cst.ClassDef:
                        self._rendered |= _joined_attrs(cls)
        return self._rendered


_SHRINKS = frozenset({"pop", "popleft", "popitem", "clear", "remove", "discard"})


def shrinks(function: cst.FunctionDef, text: str) -> bool:
    """The function takes elements out of `text` in place or cuts it (`.pop()`, `.clear()`,
    `.remove(x)`, `del items[n:]`, `items = items[:n]`): a bounded list (a top-k kept short), not
    one that grows by a step per call."""
    for current, _ in own_nodes(function.body):
        if type(current) is cst.Call and type(current.func) is cst.Attribute \
                and current.func.attr.value in _SHRINKS and dotted_text(current.func.value) == text:
            return True
        if type(current) is cst.Del:
            for sub, _ in own_nodes(current.target):
                if type(sub) is cst.Subscript and dotted_text(sub.value) == text:
                    return True
        if type(current) is cst.Assign and any(dotted_text(t.target) == text for t in current.targets) \
                and type(current.value) is cst.Subscript and dotted_text(current.value.value) == text:
            return True
    return False


def kept_whole(stack, attr: str) -> bool:
    """No method of the class around the site empties the attribute or cuts it outside
    `__init__`: not by rebinding it (PFL203's test), nor by taking elements out of it in place
    (`self.jobs.pop(0)`, `.clear()`, `.remove(x)`, `del self.jobs[0]`): it holds every element
    added since the object was made. A queue that pops what it sorted holds only what is pending."""
    if not _kept(stack, attr):
        return False
    cls = next((node for node in reversed(stack) if type(node) is cst.ClassDef), None)
    if cls is None:
        return False
    for stmt in cls.body.body:  # type: ignore[union-attr]
        if type(stmt) is not cst.FunctionDef or stmt.name.value == "__init__" or not stmt.params.params:
            continue
        text = f"{stmt.params.params[0].name.value}.{attr}"
        for current, _ in own_nodes(stmt.body):
            if type(current) is cst.Call and type(current.func) is cst.Attribute \
                    and current.func.attr.value in _SHRINKS and dotted_text(current.func.value) == text:
                return False
            if type(current) is cst.Del:
                for sub, _ in own_nodes(current.target):
                    if type(sub) is cst.Subscript and dotted_text(sub.value) == text:
                        return False
    return True


def _joined_attrs(cls: cst.ClassDef) -> Set[str]:
    methods: Dict[str, cst.FunctionDef] = {
        stmt.name.value: stmt for stmt in cls.body.body if type(stmt) is cst.FunctionDef  # type: ignore[union-attr]
    }
    render = methods.get("__str__")
    if render is None or not any(type(n) is cst.Attribute and n.attr.value == "join" for n, _ in own_nodes(render.body)):
        return set()
    out: Set[str] = set()
    for current, _ in own_nodes(render.body):
        if type(current) is cst.Attribute and type(current.value) is cst.Name and current.value.value == "self":
            name = current.attr.value
            helper = methods.get(name)
            if helper is None:
                out.add(name)
                continue
            for inner, _ in own_nodes(helper.body):  # a walk such as flatten(): what it loops over
                if type(inner) is cst.For and type(inner.iter) is cst.Attribute \
                        and dotted_text(inner.iter.value) == "self":  # type: ignore[attr-defined]
                    out.add(inner.iter.attr.value)  # type: ignore[attr-defined]
    return out


def _whole_of(value: cst.BaseExpression, aliases: Set[str], attr: str) -> Optional[str]:
    """The cost key of a value made from every element of the container, or None:
    `sep.join(obj.attr)`, `sum(... for x in obj.attr)`, `len(b"".join(obj.attr))` (a len of the
    container alone costs nothing), a copy (`tuple(obj.attr)`) or a comprehension over it."""
    if type(value) is cst.Call:
        func = value.func
        name = dotted_text(func) or ""
        if len(value.args) != 1 or value.args[0].star:
            return None
        arg = value.args[0].value
        if name == "len":
            return _whole_of(arg, aliases, attr) if type(arg) is cst.Call else None
        if name in _WHOLE_COPIES and _is_attr(arg, aliases, attr):
            return "list-copy-element"
        join = type(func) is cst.Attribute and func.attr.value == "join"
        if (join or name in _WHOLE_AGGREGATES or name in _WHOLE_COPIES) and _over(arg, aliases, attr):
            return "rederive-element"
        return None
    if type(value) in (cst.DictComp, cst.SetComp, cst.ListComp) and _over(value, aliases, attr):
        return "rederive-element"
    return None


def _over(expr: cst.BaseExpression, aliases: Set[str], attr: str) -> bool:
    """`obj.attr`, or a generator, comprehension or map() whose first loop walks `obj.attr`."""
    if _is_attr(expr, aliases, attr):
        return True
    if type(expr) in (cst.GeneratorExp, cst.ListComp, cst.SetComp, cst.DictComp):
        return _is_attr(expr.for_in.iter, aliases, attr)  # type: ignore[attr-defined]
    if type(expr) is cst.Call and dotted_text(expr.func) == "map" and len(expr.args) == 2:  # type: ignore[attr-defined]
        return _is_attr(expr.args[1].value, aliases, attr)  # type: ignore[attr-defined]
    return False


def _is_attr(expr: cst.BaseExpression, aliases: Set[str], attr: str) -> bool:
    """`obj.attr`, or a view of all of it (`obj.attr.values()`, `.items()`, `.keys()`)."""
    if type(expr) is cst.Call and not expr.args and type(expr.func) is cst.Attribute \
            and expr.func.attr.value in ("values", "items", "keys"):  # type: ignore[attr-defined]
        expr = expr.func.value  # type: ignore[attr-defined]
    return type(expr) is cst.Attribute and type(expr.value) is cst.Name and expr.value.value in aliases \
        and expr.attr.value == attr  # type: ignore[attr-defined]


def kept_object(function: cst.FunctionDef, stack, node: cst.CSTNode, receiver: str,
                self_name: Optional[str]) -> Optional[Tuple[Set[str], str]]:
    """(the names of the object, "self" or "held") when `receiver` names an object that outlives
    the call: the method's self, or a local whose binding before `node` in its block is a
    parameter, an item or attribute of self or of a parameter (`grp = self.tokens[i]`), or a
    name already known to hold one (`grp = start`). None for an object made in the call."""
    params = {p.name.value for p in function.params.params} | {p.name.value for p in function.params.kwonly_params}
    if receiver == self_name:
        return {receiver}, "self"
    bindings = _bindings(function)
    earlier = _earlier_bindings(stack, node)
    aliases: Set[str] = {receiver}
    name = receiver
    for _ in range(4):
        value = earlier.get(name)
        if value is None:
            if name in bindings:
                values = bindings[name]
                if name in params or not values:
                    return None  # a parameter rebound somewhere: unknown which binding reaches
                value = values[0] if len(values) == 1 else None
            elif name in params:
                return aliases, "held"
        if value is None:
            return None
        if type(value) is cst.Name:
            name = value.value
            aliases.add(name)
            continue
        root = value
        while type(root) in (cst.Subscript, cst.Attribute):
            root = root.value  # type: ignore[attr-defined]
        if root is value or type(root) is not cst.Name or (root.value != self_name and root.value not in params):
            return None
        return aliases, "held"
    return None


def _bindings(function: cst.FunctionDef) -> Dict[str, List[cst.BaseExpression]]:
    out: Dict[str, List[cst.BaseExpression]] = {}
    for current, _ in own_nodes(function.body):
        if type(current) is cst.Assign:
            for target in current.targets:
                if type(target.target) is cst.Name:
                    out.setdefault(target.target.value, []).append(current.value)
                elif type(target.target) in (cst.Tuple, cst.List):
                    for el in target.target.elements:  # type: ignore[attr-defined]
                        if type(el.value) is cst.Name:
                            out.setdefault(el.value.value, [])
        elif type(current) in (cst.For, cst.AugAssign, cst.AnnAssign):
            for sub, _ in own_nodes(current.target):  # type: ignore[attr-defined]
                if type(sub) is cst.Name:
                    out.setdefault(sub.value, [])
    return out


def _earlier_bindings(stack, node: cst.CSTNode) -> Dict[str, cst.BaseExpression]:
    """name -> the value of its last plain assignment in a statement before `node` in the
    blocks around it (innermost first), up to the function."""
    out: Dict[str, cst.BaseExpression] = {}
    for before in earlier_statements(stack, node):
        small = before.body if type(before) is cst.SimpleStatementLine else (before,)  # type: ignore[attr-defined]
        for s in reversed(small):
            if type(s) is cst.Assign and len(s.targets) == 1 and type(s.targets[0].target) is cst.Name:
                out.setdefault(s.targets[0].target.value, s.value)
    return out
