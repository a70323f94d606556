"""PFL107 grown-container-copied."""

from __future__ import annotations

from typing import Optional, Set, Tuple

import libcst as cst

from perflint.datawalk import ACROSS_CALLS_GROWN
from perflint.nodes import own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import bound_names, innermost_def, loop_bound_names, one_line_code

CODE = "PFL107"

# Methods that build an object or whose job is to copy: a copy there is the point.
_SKIPPED_METHODS = frozenset({"__init__", "__new__", "__init_subclass__", "__set_name__", "__copy__",
                              "__deepcopy__", "copy", "clone", "__setstate__", "__reduce__", "__reduce_ex__"})
_EMPTY_CALLS = frozenset({"list", "tuple"})

LIST_FIX = ("add the element in place (`{target}.append(v)`); if another object may share the list (a copy() "
            "that shares it), copy it once, when this object first changes it, not on every addition")
KEYED_FIX = ("add the element in place (`{container}.setdefault(k, []).append(v)`); if another object may share the "
             "list (a copy() that shares it), copy it once, when this object first changes it, not on every addition")
DICT_FIX = ("store the key in place (`{target}[k] = v`, `{target}.update(...)`); if readers must not see the change, "
            "copy once per batch of additions, not once per key")


class GrownContainerCopied(Rule):
    """
    A long-lived list or dict copied whole to add one element, every time the code adds one.

    ## What it does
    Flags an assignment that rebuilds a container that outlives the call from itself plus a
    few elements, in a function (not a constructor or a copy method):

    - `self.items = self.items + [v]` (a list or tuple display on the right, so the
      assignment grows it by the elements it shows);
    - `self.index[k] = self.index.get(k, []) + [v]` (the list held under a key of a
      long-lived mapping, started from an empty default);
    - `self.registry = {**self.registry, k: v}`, `dict(self.registry, k=v)` and
      `self.registry | {k: v}` (at least one key spelled out: the merge adds it).

    The container outlives the call when it is an attribute of the method's object (or an
    entry of one), a name the module binds and the function declares `global`, or an entry of
    a module-level name the function does not bind. The assignment itself stores the copy
    back, so the program demonstrably grows the container by this line on every call.

    ## Why is this slow
    `old + [v]` and `{**old, k: v}` allocate a new container and copy every element (a dict
    rehashes every key) to add one: n additions copy n x n / 2 elements. pyparsing's
    `ParseResults.__setitem__` rebuilt the list of occurrences of a results name on every
    occurrence it recorded (`tokdict[k] = tokdict.get(k, []) + [v]`), quadratic in the
    occurrences of one name; the fix appends in place when the object owns the list.

    ## Example
    ```python
    def add(self, key, value):
        self._index[key] = self._index.get(key, []) + [value]
    ```

    ## Use instead
    ```python
    def add(self, key, value):
        self._index.setdefault(key, []).append(value)
    ```

    ## Notes
    Priced as `list-copy-element` (a list or tuple) or `dict-copy-element` (a dict) per
    element the container holds on average: half the additions so far. Outside a loop of its
    function the container grows once per call, so it holds as many elements as the calls
    the loops around the call on its hottest chain make in a row (`docs/scoring.md`,
    "Accumulators grown across calls"); with no caller loop it holds what one call adds, and
    the copy is cheap. Inside a loop its steps are that loop's trips, from the outermost loop
    that does not rebind a name of the target (a list per key, whose key the loop binds, grows
    across calls, not across the trips). A function that also sets the container afresh (to
    something not made from itself) holds one call's elements and is not reported outside a
    loop. An item counted from the end (`self.errors[-1] = self.errors[-1] + (x,)`) is
    usually the one the call just appended, extended once: not reported. Copy on write is
    sometimes the point (a class-level default copied per instance, a
    list shared with copies of the object): the cost is what the severity says.
    A merge that adds no key the code spells out (`{**self.options, **extra}`) is not
    reported: it need not grow the mapping.
    """

    CODE = CODE
    NAME = "grown-container-copied"
    FAMILY = "clone"
    COST = "list-copy-element"  # perflint/calibrate.py; dict merges use dict-copy-element
    FIX = "add the element in place instead of copying the container"
    TRIGGERS = ("+ [", "+ (", "**", "dict(", "| {", "+[", "+(")
    VALID = [
        # a local list: PFL206's business, not a long-lived container
        "def f(xs):\n    out = []\n    for x in xs:\n        out = out + [x]\n    return out\n",
        # built in the constructor; a copy method
        "class A:\n    def __init__(self, xs):\n        self.xs = self.xs + [1]\n"
        "    def copy(self):\n        self.xs = self.xs + []\n",
        # in place already
        "class A:\n    def add(self, k, v):\n        self.idx.setdefault(k, []).append(v)\n",
        # a merge that adds no spelled-out key
        "class A:\n    def conf(self, extra):\n        self.opts = {**self.opts, **extra}\n",
        # another container's copy: no growth of the stored one
        "class A:\n    def add(self, v):\n        items = self.items + [v]\n        return items\n",
        # the item just appended, extended once
        "class R:\n    def addError(self, test, err):\n        super().addError(test, err)\n"
        "        self.errors[-1] = self.errors[-1] + (err,)\n",
        # reset in the same call: it holds one call's elements
        "class A:\n    def run(self, v):\n        self.items = []\n        self.items = self.items + [v]\n",
    ]
    INVALID = [
        Invalid("class A:\n    def add(self, k, v):\n        self.idx[k] = self.idx.get(k, []) + [v]\n", line=3),
        Invalid("class A:\n    def add(self, v):\n        self.items = self.items + [v]\n", line=3),
        Invalid("class A:\n    def register(self, k, v):\n        self.reg = {**self.reg, k: v}\n", line=3),
        Invalid("REG = {}\ndef register(k, v):\n    REG[k] = REG.get(k, []) + [v]\n", line=3),
        Invalid("REG = {}\ndef register(k, v):\n    global REG\n    REG = dict(REG, **{k: v})\n", line=4),
    ]

    def visit_Module(self, node: cst.Module) -> None:
        self._module_names: Set[str] = set()
        for stmt in node.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign):
                        for target in small.targets:
                            if isinstance(target.target, cst.Name):
                                self._module_names.add(target.target.value)
                    elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                        self._module_names.add(small.target.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:
            return
        target = node.targets[0].target
        found = _grown_copy(target, node.value)
        if found is None:
            return
        kind, container, added = found
        if _last_item(target):
            return  # `self.errors[-1] = self.errors[-1] + (x,)`: the item a call just added, extended once
        function = innermost_def(self.ctx)
        if function is None or function.name.value in _SKIPPED_METHODS:
            return
        if not self._long_lived(container, target, function):
            return
        code = one_line_code(target)
        start = self._growth_start(target, code, function, node)
        if start is None:
            return
        what = "dict" if kind == "dict" else kind
        plural = "s" if added != 1 else ""
        where = f"{function.name.value}()"
        if start == ACROSS_CALLS_GROWN:
            when = (f"on every call of {where}: it outlives the call and this assignment grows it, so a caller that "
                    "repeats the call copies quadratically")
        else:
            when = f"on every trip of the loop in {where}: it grows by this assignment, so the loop copies quadratically"
        message = (f"{what} '{code}' is copied whole to add {added} element{plural} ({_shape(kind)}) {when}")
        container_code = one_line_code(container)
        template = DICT_FIX if kind == "dict" else KEYED_FIX if container is not target else LIST_FIX
        fix = template.format(target=code, container=container_code)
        self.report(node, message, fix=fix, cost="dict-copy-element" if kind == "dict" else "list-copy-element",
                    growth=(start, float(added), 0, 0.0))

    # -- helpers ------------------------------------------------------------------------
    def _long_lived(self, container: cst.BaseExpression, target: cst.BaseExpression, function: cst.FunctionDef) -> bool:
        """An attribute of the method's object (or an entry of one), a module name the function
        declares global (when it rebinds it), or an entry of a module name it does not bind."""
        receiver = self.ctx.self_name()
        root = container
        while isinstance(root, (cst.Attribute, cst.Subscript)):
            if isinstance(root, cst.Attribute) and isinstance(root.value, cst.Name) and receiver is not None \
                    and root.value.value == receiver:
                return True
            root = root.value
        if not isinstance(root, cst.Name) or root.value not in getattr(self, "_module_names", set()):
            return False
        if isinstance(target, cst.Name):
            return any(isinstance(n, cst.Global) and any(x.name.value == root.value for x in n.names)
                       for n, _ in own_nodes(function.body))
        return root.value not in bound_names(function)

    def _growth_start(self, target: cst.BaseExpression, code: str, function: cst.FunctionDef,
                      node: cst.Assign) -> Optional[int]:
        """Index of the first loop the container grows in, ACROSS_CALLS_GROWN outside the
        function's loops, None when the function sets it afresh (one call's elements)."""
        names = {n.value for n, parent in own_nodes(target, ())
                 if isinstance(n, cst.Name) and not (isinstance(parent, cst.Attribute) and parent.attr is n)}
        loops = self.ctx.loop_nodes
        start: Optional[int] = None
        for index in range(len(loops) - 1, -1, -1):
            if names & loop_bound_names(loops[index]) or _set_afresh(loops[index], code, node):
                break
            start = index
        if start is not None:
            outer = len(self.ctx.loops) - len(loops)
            return outer + start
        if _set_afresh(function.body, code, node):
            return None  # reset per call (or per trip of the loop around it): holds one call's elements
        return ACROSS_CALLS_GROWN


def _last_item(target: cst.BaseExpression) -> bool:
    """`x[-1]` (or `x[-n]`): an item counted from the end, usually the one just appended."""
    if not isinstance(target, cst.Subscript) or len(target.slice) != 1 or not isinstance(target.slice[0].slice, cst.Index):
        return False
    index = target.slice[0].slice.value
    return isinstance(index, cst.UnaryOperation) and isinstance(index.operator, cst.Minus) \
        and isinstance(index.expression, cst.Integer)


def _shape(kind: str) -> str:
    return {"list": "old + [new]", "tuple": "old + (new,)", "dict": "a merge into a new dict"}[kind]


def _grown_copy(target: cst.BaseExpression, value: cst.BaseExpression
                ) -> Optional[Tuple[str, cst.BaseExpression, int]]:
    """(kind, the long-lived container, elements added) when `target = value` rebuilds the
    target from itself plus elements the code shows."""
    code = one_line_code(target)
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add) \
            and isinstance(value.right, (cst.List, cst.Tuple)) and value.right.elements \
            and not any(isinstance(e, cst.StarredElement) for e in value.right.elements):
        kind = "list" if isinstance(value.right, cst.List) else "tuple"
        added = len(value.right.elements)
        left = value.left
        if one_line_code(left) == code:
            return kind, target, added
        # `C[k] = C.get(k, []) + [v]`
        if isinstance(target, cst.Subscript) and len(target.slice) == 1 \
                and isinstance(target.slice[0].slice, cst.Index) and isinstance(left, cst.Call) \
                and isinstance(left.func, cst.Attribute) and left.func.attr.value == "get" and len(left.args) == 2 \
                and one_line_code(left.func.value) == one_line_code(target.value) \
                and one_line_code(left.args[0].value) == one_line_code(target.slice[0].slice.value) \
                and _empty(left.args[1].value):
            return kind, target.value, added
        return None
    if isinstance(value, cst.Dict):
        spread = any(isinstance(e, cst.StarredDictElement) and one_line_code(e.value) == code for e in value.elements)
        keys = sum(1 for e in value.elements if isinstance(e, cst.DictElement))
        if spread and keys:
            return "dict", target, keys
        return None
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict" \
            and value.args and value.args[0].keyword is None and not value.args[0].star \
            and one_line_code(value.args[0].value) == code:
        keys = 0
        for arg in value.args[1:]:
            if arg.keyword is not None:
                keys += 1
            elif arg.star == "**" and isinstance(arg.value, cst.Dict):
                keys += sum(1 for e in arg.value.elements if isinstance(e, cst.DictElement))
        return ("dict", target, keys) if keys else None
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.BitOr) \
            and one_line_code(value.left) == code and isinstance(value.right, cst.Dict):
        keys = sum(1 for e in value.right.elements if isinstance(e, cst.DictElement))
        return ("dict", target, keys) if keys else None
    return None


def _empty(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, (cst.List, cst.Tuple)):
        return not expr.elements
    return isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in _EMPTY_CALLS \
        and not expr.args




def _set_afresh(root: cst.CSTNode, code: str, node: cst.Assign) -> bool:
    """`root` assigns the target something not made from itself (`self.items = []`; another
    growth, `self.idx[k] = self.idx.get(k, []) + [a, b]`, keeps what it holds)."""
    body = root.body if isinstance(root, (cst.For, cst.While)) else root  # type: ignore[attr-defined]
    for current, _ in own_nodes(body):
        if current is node or not isinstance(current, cst.Assign):
            continue
        for t in current.targets:
            if one_line_code(t.target) == code and code not in one_line_code(current.value) \
                    and _grown_copy(t.target, current.value) is None:
                return True
    return False
