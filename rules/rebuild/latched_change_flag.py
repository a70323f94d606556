"""PFL315 latched-change-flag."""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.attrwrites import ONCE_PER_OBJECT
from perflint.nodes import own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import enclosing_class

# Attribute names of a change flag: set when the object changes, tested before a rebuild.
FLAG_NAME = re.compile(r"(^|_)(dirty|mutated|changed|modified|stale)(_|$)", re.I)


class LatchedChangeFlag(Rule):
    """
    A change flag that is set but never cleared: after the first change, every read rebuilds.

    ## What it does
    Flags a rebuild guarded by a change flag (`if self._dirty:`, or `if self._is_mutated():`
    where that method of the class returns the flag) when the flag is a one-way latch: methods
    set it to `True` after construction, and nothing in the whole program ever sets it back
    (only the class body or `__init__` gives it its first `False`). The rebuild is a call of a
    method of `self` that stores attributes on `self`, or a store `self.x = f(...)`, in the
    body of the `if`. A flag is an attribute named like one: `dirty`, `mutated`, `changed`,
    `modified` or `stale` as a word of its name.

    ## Why is this slow
    The guard is there so that the cached result is rebuilt only after a change. Once the
    flag is up and never lowered, the guard is always true: every later read repeats the
    rebuild, although nothing changed since the last one. asn1crypto's `Sequence.contents`
    re-encoded all its children on every read once a child had been set, and `dump()` reads
    `contents` several times per value, recursively, so dumping a nested structure became
    quadratic or worse in its depth; resetting the flag after the re-encoding fixed it.

    ## Example
    ```python
    class Sequence:
        _mutated = False

        def __setitem__(self, key, value):
            self.children[key] = value
            self._mutated = True

        @property
        def contents(self):
            if self._mutated:
                self._set_contents()
            return self._contents

        def _set_contents(self):
            self._contents = b"".join(child.dump() for child in self.children)
    ```

    ## Use instead
    ```python
        def _set_contents(self):
            self._contents = b"".join(child.dump() for child in self.children)
            self._mutated = False
    ```

    ## Notes
    Any store of the flag's name other than `= True` after construction, anywhere in the
    program (a reset in the rebuild, in `save()`, `flush()` or `clear()`, on another object,
    a `setattr` with the name as a literal, a `del`), keeps the guard quiet; test code does
    not count. A flag that guards no rebuild (a state such as `closed` or `started`, or a
    write-back flag tested only before saving) is not reported. The rebuild is priced as
    building one element per item of a collection of unknown size (the `build-element` cost
    at the default 100 items) per read: perflint cannot see how much state is rebuilt, so the
    heat of the reads decides the severity.
    """

    CODE = "PFL315"
    COST = "build-element"  # perflint/costs.py; measured by bench/costs.py: per element built
    NAME = "latched-change-flag"
    FAMILY = "rebuild"
    CONFIDENCE = "medium"
    FIX = "set the flag back to False once the rebuild is done (or rebuild eagerly in the setters)"
    TRIGGERS = ("dirty", "mutated", "changed", "modified", "stale", "Dirty", "Mutated", "Changed",
                "Modified", "Stale", "DIRTY", "MUTATED", "CHANGED", "MODIFIED", "STALE")
    VALID = [
        # The rebuild resets the flag.
        "class S:\n    _dirty = False\n    def add(self, x):\n        self.items.append(x)\n        self._dirty = True\n"
        "    def total(self):\n        if self._dirty:\n            self._rebuild()\n        return self._total\n"
        "    def _rebuild(self):\n        self._total = sum(self.items)\n        self._dirty = False\n",
        # Another method of the program (a flush) resets it.
        "class S:\n    def __init__(self):\n        self._dirty = False\n    def add(self, x):\n"
        "        self.items.append(x)\n        self._dirty = True\n"
        "    def total(self):\n        if self._dirty:\n            self._rebuild()\n        return self._total\n"
        "    def _rebuild(self):\n        self._total = sum(self.items)\n"
        "    def flush(self):\n        self._dirty = False\n",
        # A latch that guards no rebuild: a write-back flag tested before saving.
        "class S:\n    def add(self, x):\n        self.items.append(x)\n        self._changed = True\n"
        "    def close(self):\n        if self._changed:\n            self.store.save(self.items)\n",
        # A latch that is not named like a change flag: a state.
        "class S:\n    def close(self):\n        self._closed = True\n"
        "    def send(self, x):\n        if self._closed:\n            self._reopen()\n        self.sock.send(x)\n"
        "    def _reopen(self):\n        self.sock = connect()\n",
    ]
    INVALID = [
        Invalid(
            "class S:\n"
            "    _mutated = False\n"
            "    def __setitem__(self, key, value):\n"
            "        self.children[key] = value\n"
            "        self._mutated = True\n"
            "    def _is_mutated(self):\n"
            "        return self._mutated\n"
            "    @property\n"
            "    def contents(self):\n"
            "        if self._is_mutated():\n"
            "            self._set_contents()\n"
            "        return self._contents\n"
            "    def _set_contents(self):\n"
            "        self._contents = b''.join(c.dump() for c in self.children)\n",
            line=11,
        ),
        # A store of a rebuilt value in the guarded block.
        Invalid(
            "class S:\n    def __init__(self):\n        self._dirty = False\n"
            "    def add(self, x):\n        self.items.append(x)\n        self._dirty = True\n"
            "    def total(self):\n        if self._dirty:\n            self._total = sum(self.items)\n"
            "        return self._total\n",
            line=9,
        ),
    ]

    def begin_file(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().begin_file(ctx)
        self._classes: Dict[int, "_ClassInfo"] = {}

    def visit_If(self, node: cst.If) -> None:
        me = self.ctx.self_name()
        if me is None or self.ctx.function is None:
            return
        cls = enclosing_class(self.ctx.stack)
        if cls is None:
            return
        info = self._classes.get(id(cls))
        if info is None:
            info = self._classes[id(cls)] = _ClassInfo(cls)
        flags = _tested_flags(node.test, me, info)
        if not flags:
            return
        site = _rebuild_in(node.body, me, info, flags)
        if site is None:
            return
        where, what = site
        names = sorted(flags)
        setters = sorted({m for name in names for m in info.setters.get(name, ())})
        shown = ", ".join(f"{me}.{name}" for name in names)
        set_by = f" ({', '.join(s + '()' for s in setters)} set it to True)" if setters else ""
        self.report(
            where,
            f"{what} runs on every pass once {shown} is set{set_by}: nothing in the program sets it back "
            f"to False after construction, so after the first change the guard is always true and the "
            f"rebuild repeats though nothing changed (how much it rebuilds is not known here)",
            requires=("latch:" + ",".join(names),),
        )


class _ClassInfo:
    """What the rule needs of a class: which methods read a flag, which store attributes, which set a flag."""

    def __init__(self, cls: cst.ClassDef) -> None:
        self.reads: Dict[str, Set[str]] = {}  # method -> flags of self it reads
        self.stores: Set[str] = set()  # methods that store attributes of self
        self.setters: Dict[str, List[str]] = {}  # flag -> methods that set it to True
        body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
        for stmt in body:
            if type(stmt) is not cst.FunctionDef or not stmt.params.params:
                continue
            me = stmt.params.params[0].name.value
            returned: List[cst.BaseExpression] = []
            local: Dict[str, List[cst.BaseExpression]] = {}
            for inner, parent in own_nodes(stmt.body):
                if type(inner) is cst.Return and inner.value is not None:
                    returned.append(inner.value)
                elif type(inner) is cst.Assign:
                    for target in inner.targets:
                        t = target.target
                        if type(t) is cst.Name:
                            local.setdefault(t.value, []).append(inner.value)
                        if type(t) is cst.Attribute and _on(t, me):
                            name = t.attr.value
                            if FLAG_NAME.search(name):
                                if type(inner.value) is cst.Name and inner.value.value == "True" \
                                        and stmt.name.value not in ONCE_PER_OBJECT:
                                    self.setters.setdefault(name, []).append(stmt.name.value)
                            else:
                                self.stores.add(stmt.name.value)
            # the flags its answer carries: read in a `return`, or in the value of a local
            # it returns (`mutated = self._mutated ... return mutated`)
            reads = {name for value in returned for name in _flags_read(value, me)}
            for value in returned:
                if type(value) is cst.Name:
                    reads.update(n for v in local.get(value.value, ()) for n in _flags_read(v, me))
            if reads:
                self.reads[stmt.name.value] = reads


def _flags_read(expr: cst.CSTNode, me: str) -> Set[str]:
    return {inner.attr.value for inner, _ in own_nodes(expr)
            if type(inner) is cst.Attribute and _on(inner, me) and FLAG_NAME.search(inner.attr.value)}


def _on(node: cst.Attribute, me: str) -> bool:
    return type(node.value) is cst.Name and node.value.value == me


def _tested_flags(test: cst.BaseExpression, me: str, info: _ClassInfo) -> Set[str]:
    """The change flags an `if` test is true on: `self.flag`, `self.method()` of a method of
    the class that reads one, either side of an `and`/`or` of those (not a negation)."""
    test_type = type(test)
    if test_type is cst.Attribute and _on(test, me) and FLAG_NAME.search(test.attr.value):  # type: ignore[arg-type]
        return {test.attr.value}  # type: ignore[attr-defined]
    if test_type is cst.Call and not test.args and type(test.func) is cst.Attribute \
            and _on(test.func, me):  # type: ignore[attr-defined]
        return set(info.reads.get(test.func.attr.value, ()))  # type: ignore[attr-defined]
    if test_type is cst.BooleanOperation:
        return _tested_flags(test.left, me, info) | _tested_flags(test.right, me, info)  # type: ignore[attr-defined]
    return set()


def _rebuild_in(body: cst.BaseSuite, me: str, info: _ClassInfo, flags: Set[str]) -> Optional[Tuple[cst.CSTNode, str]]:
    """The first rebuild in the guarded block: a call of a method of the class that stores
    attributes of self, or a store `self.x = <a call or comprehension>`; None when the block
    itself lowers a flag it tested."""
    found: Optional[Tuple[cst.CSTNode, str]] = None
    for inner, _ in own_nodes(body):
        inner_type = type(inner)
        if inner_type is cst.Assign:
            for target in inner.targets:  # type: ignore[attr-defined]
                t = target.target
                if type(t) is not cst.Attribute or not _on(t, me):
                    continue
                if t.attr.value in flags:
                    return None  # `self._dirty = False` right here: a reset the program-wide check also sees
                if found is None and type(inner.value) in _BUILT:  # type: ignore[attr-defined]
                    found = (inner, f"the rebuild of {me}.{t.attr.value}")
        elif inner_type is cst.Call and found is None:
            func = inner.func  # type: ignore[attr-defined]
            if type(func) is cst.Attribute and _on(func, me) and func.attr.value in info.stores:
                found = (inner, f"{me}.{func.attr.value}()")
    return found


_BUILT = (cst.Call, cst.ListComp, cst.DictComp, cst.SetComp, cst.GeneratorExp, cst.BinaryOperation)
