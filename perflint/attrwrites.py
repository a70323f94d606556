"""Which attributes a statement writes: the one test behind "an attribute that only `__init__`
or the class body sets". PFL102 applies it to one class (its re.compile tables); phase 1
applies it to every store of a module (ModuleSummary.attr_writes), so that phase 2 can tell
an attribute name the whole program sets once per object only (PFL106's schema of `self`)."""

from __future__ import annotations

from typing import Iterator, List, Optional, Tuple

import libcst as cst

# Methods that run once per object: what they store on it is set up, not changed per call.
ONCE_PER_OBJECT = frozenset({"__init__", "__new__", "__post_init__", "__init_subclass__", "__set_name__"})

# Methods that change their receiver in place.
MUTATORS = frozenset({
    "append", "extend", "insert", "update", "write", "add", "pop", "clear", "remove", "setdefault",
    "feed", "read", "seek", "readline", "send", "put", "push", "reset", "truncate",
})

_STORES = (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Del)


def chain(expr: cst.BaseExpression) -> Optional[List[str]]:
    """`a.b.c` -> ["a", "b", "c"]; None when the root is not a name."""
    parts = []
    while type(expr) is cst.Attribute:
        parts.append(expr.attr.value)  # type: ignore[attr-defined]
        expr = expr.value  # type: ignore[attr-defined]
    if type(expr) is not cst.Name:
        return None
    parts.append(expr.value)  # type: ignore[attr-defined]
    return parts[::-1]


def target_parts(target: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The single targets of a (possibly unpacking) assignment target."""
    if type(target) in (cst.Tuple, cst.List):
        for element in target.elements:  # type: ignore[attr-defined]
            yield from target_parts(element.value)
    elif type(target) is cst.StarredElement:
        yield from target_parts(target.value)  # type: ignore[attr-defined]
    else:
        yield target


def attribute_writes(node: cst.CSTNode) -> Iterator[Tuple[List[str], bool, Optional[cst.BaseExpression]]]:
    """The attribute chains one node writes: (chain, whole, value). A store or delete whose
    target is `a.b.X` or an item of one (`a.X[k] = v`: the chain of `a.X`), and a mutating
    call on one (`a.X.append(v)`); `whole` when a plain assignment binds the attribute itself
    (`a.X = v`, or `a.__dict__["X"] = v`, which the chain gives as `a.X`), with its value."""
    node_type = type(node)
    if node_type in _STORES:
        targets = [t.target for t in node.targets] if node_type is cst.Assign else [node.target]  # type: ignore[attr-defined]
        for target in targets:
            for element in target_parts(target):
                if type(element) is cst.Subscript:
                    parts = chain(element.value)  # type: ignore[attr-defined]
                    key = _dict_key(element) if parts and len(parts) >= 2 and parts[-1] == "__dict__" else None
                    if key is not None:  # `self.__dict__["schema"] = schema`: binds self.schema
                        yield parts[:-1] + [key], node_type is cst.Assign, getattr(node, "value", None)  # type: ignore[operator]
                        continue
                    whole = False
                elif type(element) is cst.Attribute:
                    parts, whole = chain(element), node_type is cst.Assign
                else:
                    continue
                if parts and len(parts) >= 2:
                    yield parts, whole, getattr(node, "value", None) if whole else None
    elif node_type is cst.Call and type(node.func) is cst.Attribute:  # type: ignore[attr-defined]
        func = node.func  # type: ignore[attr-defined]
        if func.attr.value in MUTATORS:
            parts = chain(func.value)
            if parts and len(parts) >= 2:
                yield parts, False, None
        elif func.attr.value in ("__setattr__", "__delattr__"):
            # `self.__setattr__("x", v)`, `object.__setattr__(self, "x", v)`
            key = _string_arg(node, 0)
            receiver = chain(func.value) if key is not None else None
            if key is None:
                key = _string_arg(node, 1)
                receiver = chain(node.args[0].value) if key is not None else None  # type: ignore[attr-defined]
            if receiver and key is not None:
                yield receiver + [key], False, None
    elif node_type is cst.Call and type(node.func) is cst.Name and node.func.value in ("setattr", "delattr"):  # type: ignore[attr-defined]
        receiver = chain(node.args[0].value) if node.args else None  # type: ignore[attr-defined]
        key = _string_arg(node, 1)
        if receiver and key is not None:
            yield receiver + [key], False, None


def _dict_key(element: cst.Subscript) -> Optional[str]:
    if len(element.slice) != 1 or type(element.slice[0].slice) is not cst.Index:
        return None
    key = element.slice[0].slice.value  # type: ignore[attr-defined]
    if type(key) is cst.SimpleString and isinstance(key.evaluated_value, str) and key.evaluated_value.isidentifier():  # type: ignore[attr-defined]
        return key.evaluated_value  # type: ignore[attr-defined]
    return None


def _string_arg(node: cst.Call, index: int) -> Optional[str]:
    args = node.args
    if len(args) <= index or args[index].keyword is not None:
        return None
    value = args[index].value
    if type(value) is cst.SimpleString and isinstance(value.evaluated_value, str):  # type: ignore[attr-defined]
        return value.evaluated_value  # type: ignore[attr-defined]
    return None
