"""PFL319 lookup-rebuilt-per-access."""

from __future__ import annotations

from typing import Optional, Set

import libcst as cst

from perflint.nodes import own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import bound_names, enclosing_class, innermost_def, runs_per_call

CODE = "PFL319"  # the lead renumbers at merge: keep the code here and in the docs file name only
# Views of all of a mapping: a comprehension over one walks every entry.
_VIEWS = frozenset({"values", "items", "keys"})
# Methods that only look a key up in the table.
_LOOKUPS = frozenset({"get", "__getitem__", "__contains__"})
FIX = ("build the table once and keep it (in __init__, a functools.cached_property, or a cache "
       "attribute filled on first use) when what it is built from does not change")


class LookupRebuiltPerAccess(Rule):
    """
    A lookup table built again on every call of a method (or read of a property) from an
    attribute of its object that nothing changes after construction.

    ## What it does
    Flags, in a method of a class, a dict comprehension that indexes the elements of an attribute
    of `self` by a key (`{m.unique_id: m for m in self.models}`) or a set comprehension over one
    (`{m.name for m in self.models}`), when the table is returned, or looked up once
    (`{...}[key]`, `{...}.get(key)`, `key in {...}`), or bound to a local that the method (and
    functions nested in it) only looks up or returns. The comprehension must use nothing of the
    call: no parameter and no local of the method, only `self`, its own loop names and names
    of the module. The attribute must be one the whole program binds once per object (in an
    `__init__` or a class body) and never stores, deletes or changes in place afterwards: the
    table comes out the same on every call. And the method must run repeatedly: its callers'
    loops (or a hot entry point) repeat it, as the call graph works out.

    ## Why is this slow
    Each call walks the whole attribute to build a table it uses once: k calls cost k times
    the number of elements, where one table kept on the object costs one build and a lookup
    per call. dbt-bouncer's chained-views check built a dict of every model of the project by
    id each time it ran, once per model: quadratic in the number of models.

    ## Example
    ```python
    class Check:
        def __init__(self, models):
            self.models = models

        def execute(self, uid):
            by_id = {m.unique_id: m for m in self.models}
            return by_id[uid]
    ```

    ## Use instead
    ```python
    class Check:
        def __init__(self, models):
            self.models = models
            self.by_id = {m.unique_id: m for m in models}

        def execute(self, uid):
            return self.by_id[uid]
    ```

    ## Notes
    The table's size is unknown to the rule (the number of elements of the attribute): it is
    priced at the default structure size, at the measured cost of indexing one element
    (`index-build-element`), times how often the method runs. A table built from a
    parameter, from a local, or from an attribute that some code rebinds or changes after
    construction (anywhere in the program: an attribute of that name written outside an
    `__init__` counts) is not reported, nor is one in a memoised method (`functools.cache`,
    `cached_property`, a cache guard), in a loop of the method itself, in test code, or one
    that is iterated, passed on or changed after it is built. The walk of a nested structure
    that fills a fresh dict in a loop or by recursion (a name tree) is not matched.
    """

    CODE = CODE
    COST = "index-build-element"  # perflint/calibrate.py SPECS: per element indexed
    NAME = "lookup-rebuilt-per-access"
    FAMILY = "rebuild"
    FIX = FIX
    TRIGGERS = (" for ",)
    VALID = [
        # Built once, in __init__.
        "class Check:\n    def __init__(self, models):\n        self.models = models\n"
        "        self.by_id = {m.uid: m for m in models}\n"
        "    def execute(self, uid):\n        return self.by_id[uid]\n"
        "def run(check, uids):\n    return [check.execute(u) for u in uids]\n",
        # Built from a parameter: a different table per call.
        "class Check:\n    def execute(self, models, uid):\n        return {m.uid: m for m in models}[uid]\n"
        "def run(check, models, uids):\n    return [check.execute(models, u) for u in uids]\n",
        # The attribute changes between calls: the table follows it.
        "class Registry:\n    def __init__(self):\n        self.models = []\n"
        "    def add(self, m):\n        self.models.append(m)\n"
        "    def find(self, uid):\n        return {m.uid: m for m in self.models}.get(uid)\n"
        "def run(reg, uids):\n    return [reg.find(u) for u in uids]\n",
    ]
    INVALID = [
        Invalid(
            "class Check:\n"
            "    def __init__(self, models):\n"
            "        self.models = models\n"
            "    def execute(self, uid):\n"
            "        by_id = {m.uid: m for m in self.models}\n"
            "        return by_id[uid]\n"
            "def run(uids):\n"
            "    check = Check(load())\n"
            "    for u in uids:\n"
            "        check.execute(u)\n",
            line=5,
        ),
    ]

    def visit_DictComp(self, node: cst.DictComp) -> None:
        # an index of the elements by a key: `{key(m): m for m in self.attr}`
        target = node.for_in.target
        if type(target) is cst.Name and type(node.value) is cst.Name and node.value.value == target.value:
            self._built(node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._built(node)

    def _built(self, node: cst.BaseExpression) -> None:
        ctx = self.ctx
        if ctx.is_test or ctx.loops or runs_per_call(ctx) is None:
            return
        function = innermost_def(ctx)
        if function is None or function.name.value in ("__init__", "__new__", "__post_init__") \
                or enclosing_class(ctx.stack) is None:
            return
        me = ctx.self_name()
        attr = _self_attr(node.for_in.iter, me)  # type: ignore[attr-defined]
        if attr is None or node.for_in.inner_for_in is not None:  # type: ignore[attr-defined]
            return
        if not _settled(node, function, me):
            return
        use = _use(ctx.stack, node, function)
        if use is None:
            return
        kind = "dict" if type(node) is cst.DictComp else "set"
        self.report(
            node,
            f"a {kind} of every element of '{me}.{attr}' is built again on each call of "
            f"'{function.name.value}' and {use}, although '{me}.{attr}' does not change after the "
            "object is made: every call walks all of it",
            requires=("repeated", f"attr-set-once:{attr}"),
        )


def _self_attr(expr: cst.BaseExpression, me: Optional[str]) -> Optional[str]:
    """`self.attr` or a view of all of it (`self.attr.values()`): the attribute's name."""
    if type(expr) is cst.Call and not expr.args and type(expr.func) is cst.Attribute \
            and expr.func.attr.value in _VIEWS:  # type: ignore[attr-defined]
        expr = expr.func.value  # type: ignore[attr-defined]
    if me and type(expr) is cst.Attribute and type(expr.value) is cst.Name and expr.value.value == me:  # type: ignore[attr-defined]
        return expr.attr.value  # type: ignore[attr-defined]
    return None


def _settled(node: cst.BaseExpression, function: cst.FunctionDef, me: Optional[str]) -> bool:
    """The comprehension reads nothing of the call: no parameter or local of the method
    (its own loop names and `self` aside)."""
    own: Set[str] = set()
    for current, _ in own_nodes(node):
        if type(current) is cst.CompFor:
            own |= {n.value for n, _ in own_nodes(current.target) if type(n) is cst.Name}  # type: ignore[attr-defined]
    call_names = bound_names(function) - {me}
    for current, parent in own_nodes(node):
        if type(current) is not cst.Name or current.value in own:
            continue
        if type(parent) is cst.Attribute and parent.attr is current:  # type: ignore[attr-defined]
            continue
        if current.value in call_names:
            return False
    return True


def _use(stack, node: cst.BaseExpression, function: cst.FunctionDef) -> Optional[str]:
    """How the table is used, when only to look something up or to hand it back: a phrase
    for the message, or None."""
    parent = stack[-2] if len(stack) >= 2 else None
    grand = stack[-3] if len(stack) >= 3 else None
    looked = _lookup_of(parent, grand, node)
    if looked:
        return looked
    if type(parent) is cst.Return:
        return "handed back"
    if type(parent) is cst.Assign and len(parent.targets) == 1 and type(parent.targets[0].target) is cst.Name:
        return _local_uses(function, parent.targets[0].target.value, parent)
    return None


def _lookup_of(parent, grand, node: cst.CSTNode) -> Optional[str]:
    """`table[key]`, `table.get(key)`, `key in table` (the table being `node`)."""
    if type(parent) is cst.Subscript and parent.value is node:
        return "used for one lookup"
    if type(parent) is cst.Attribute and parent.value is node and parent.attr.value in _LOOKUPS \
            and type(grand) is cst.Call and grand.func is parent:
        return "used for one lookup"
    if type(parent) is cst.ComparisonTarget and parent.comparator is node \
            and type(parent.operator) in (cst.In, cst.NotIn):
        return "used for one membership test"
    return None


def _local_uses(function: cst.FunctionDef, name: str, binding: cst.Assign) -> Optional[str]:
    """The local the table is bound to is bound once and only looked up or returned, in the
    method and the functions nested in it."""
    lookups = 0
    for current, parent in own_nodes(function.body, ()):
        if current is binding:
            continue
        if type(current) in (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.For, cst.Del):
            targets = [t.target for t in current.targets] if type(current) is cst.Assign else [current.target]  # type: ignore[attr-defined]
            if any(type(n) is cst.Name and n.value == name for t in targets for n, _ in own_nodes(t, ())):
                return None  # bound again: not one table
        if type(current) is not cst.Name or current.value != name or parent is None:
            continue
        if type(parent) is cst.Attribute and parent.attr is current:
            continue
        if type(parent) in (cst.Param, cst.AssignTarget):
            continue
        if type(parent) is cst.Return:
            continue
        if type(parent) is cst.Subscript and parent.value is current:
            lookups += 1
            continue
        if type(parent) is cst.ComparisonTarget and parent.comparator is current \
                and type(parent.operator) in (cst.In, cst.NotIn):
            lookups += 1
            continue
        if type(parent) is cst.Attribute and parent.value is current and parent.attr.value in _LOOKUPS:
            lookups += 1
            continue
        return None  # iterated, passed on, changed: more than a lookup table
    return "used only for lookups" if lookups else None

