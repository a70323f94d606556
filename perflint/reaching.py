"""Which bindings of a local name can reach a point of a function (reaching definitions).

A rule that sees `copy.deepcopy(current)` wants to know what `current` holds there: the
value of each assignment that can reach the call, in source order and along branches. The
answer is read from the traversal's stack (the ancestors of the node being visited, which
the walker keeps anyway): climbing from the node, each block's earlier statements are read
backwards until one binds the name on every path; a statement that binds it on some paths
only (an `if` without `else`, a loop body, a `try`) adds its bindings and the search goes
on; a branch that always leaves (`return`, `raise`, `break`: `repetition.exit_kind`) adds
nothing; a loop around the point adds the bindings of its whole body (the way round again).
Nothing is walked per node: it runs only for the few names a rule asks about.

It is conservative in one direction only: a binding it cannot read as `name = value`
(tuple unpacking, a loop target, `+=`, `with ... as`, an import, `global`, a walrus) makes
the whole answer None ("unknown"), so a rule that needs every reaching value to be of some
kind never guesses.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import libcst as cst

from perflint.nodes import NESTED_SCOPES, iter_children, own_nodes
from perflint.repetition import exit_kind

# A reaching binding: the assigned value (None: the function's parameter of that name, as
# passed in) and the path from the function's `def` down to the small statement that binds
# it, for asking again about the names that value reads.
Binding = Tuple[Optional[cst.BaseExpression], Tuple[cst.CSTNode, ...]]

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_LOOPS = (cst.For, cst.While)


class _Unknown(Exception):
    """A binding that is not `name = value`: the answer is unknown."""


def reaching(stack: Sequence[cst.CSTNode], name: str) -> Optional[List[Binding]]:
    """The bindings of local `name` that can reach `stack[-1]` (the node being visited, its
    ancestors before it up to the module). Empty when none does and `name` is no parameter
    (a global, a closure's name); None when some binding that may reach is not a plain
    assignment."""
    try:
        return _climb(stack, name)
    except _Unknown:
        return None


def _climb(stack: Sequence[cst.CSTNode], name: str) -> List[Binding]:
    found: List[Binding] = []
    for i in range(len(stack) - 1, 0, -1):
        child, parent = stack[i], stack[i - 1]
        path = tuple(stack[:i])  # down to `parent`, its last
        parent_type = type(parent)
        if parent_type is cst.FunctionDef:
            if child is parent.body:  # type: ignore[attr-defined]
                if is_param(parent, name):  # type: ignore[arg-type]
                    found.append((None, path))
            return found  # the decorators and defaults run outside: not this scope's names
        if parent_type in NESTED_SCOPES:  # a lambda's or a class body's own names
            raise _Unknown
        if parent_type in _COMPREHENSIONS:
            if any(_binds(sub.target, name) for sub, _ in own_nodes(parent) if type(sub) is cst.CompFor):  # type: ignore[attr-defined]
                raise _Unknown
            continue
        body = getattr(parent, "body", None)
        if parent_type in (cst.IndentedBlock, cst.SimpleStatementLine, cst.SimpleStatementSuite) or \
                (parent_type is cst.Module):
            statements = body  # a block (statements) or a line (small statements)
            index = next((k for k, s in enumerate(statements) if s is child), 0)  # type: ignore[arg-type]
            for stmt in reversed(statements[:index]):  # type: ignore[index]
                definite = _out(stmt, name, path, found)
                if definite:
                    return found
            continue
        if parent_type in _LOOPS:
            # a `while` test runs again after each trip too; a `for`'s iterable once, before
            if child is body or child is parent.orelse or parent_type is cst.While:  # type: ignore[attr-defined]
                # The way round again: whatever the body binds may reach its start and the `else`.
                if parent_type is cst.For and _binds(parent.target, name):  # type: ignore[attr-defined]
                    raise _Unknown
                _everywhere(body, name, path, found)  # type: ignore[arg-type]
            continue
        if parent_type is cst.Try or parent_type is cst.TryStar:
            if child is not body:  # a handler, `else` or `finally`: the body ran, maybe in part
                _everywhere(body, name, path, found)  # type: ignore[arg-type]
                if type(child) is cst.Finally:
                    for part in (*parent.handlers, parent.orelse):  # type: ignore[attr-defined]
                        if part is not None:
                            _everywhere(part, name, path, found)
            continue
        if parent_type in (cst.ExceptHandler, cst.ExceptStarHandler) and parent.name is not None \
                and _binds(parent.name.name, name):  # type: ignore[attr-defined]
            raise _Unknown
        if parent_type is cst.With and child is body and any(
                item.asname is not None and _binds(item.asname.name, name) for item in parent.items):  # type: ignore[attr-defined]
            raise _Unknown
    return found


def is_param(fdef: cst.FunctionDef, name: str) -> bool:
    """Whether `name` is one of the function's parameters (`*args` and `**kwargs` included)."""
    params = fdef.params
    every = (*params.posonly_params, *params.params, *params.kwonly_params)
    star = [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    return any(p.name.value == name for p in (*every, *star))


def _out(stmt: cst.CSTNode, name: str, path: Tuple[cst.CSTNode, ...], found: List[Binding]) -> bool:
    """Add the bindings of `name` in `stmt` that reach its end; True when every path through
    `stmt` that gets to its end binds `name` (what came before is then hidden)."""
    stmt_type = type(stmt)
    if stmt_type is cst.SimpleStatementLine or stmt_type is cst.SimpleStatementSuite:
        for small in reversed(stmt.body):  # type: ignore[attr-defined]
            if _out(small, name, path + (stmt,), found):
                return True
        return False
    if stmt_type is cst.IndentedBlock:
        for inner in reversed(stmt.body):  # type: ignore[attr-defined]
            if _out(inner, name, path + (stmt,), found):
                return True
        return False
    if stmt_type is cst.Assign:
        value = stmt.value  # type: ignore[attr-defined]
        hit = False
        for target in stmt.targets:  # type: ignore[attr-defined]
            if type(target.target) is cst.Name:
                hit = hit or target.target.value == name
            elif _binds(target.target, name):
                raise _Unknown  # unpacked: one part of the value
        _walrus(value, name)
        if hit:
            found.append((value, path + (stmt,)))
        return hit
    if stmt_type is cst.AnnAssign:
        if type(stmt.target) is cst.Name and stmt.target.value == name:  # type: ignore[attr-defined]
            if stmt.value is None:  # type: ignore[attr-defined]
                return False  # `x: T` binds nothing
            found.append((stmt.value, path + (stmt,)))  # type: ignore[attr-defined]
            return True
        return False
    if stmt_type is cst.AugAssign:
        if _binds(stmt.target, name):  # type: ignore[attr-defined]
            raise _Unknown
        return False
    if stmt_type in (cst.Expr, cst.Return, cst.Assert, cst.Raise):
        _walrus(stmt, name)
        return False
    if stmt_type is cst.If:
        definite = True
        node: Optional[cst.CSTNode] = stmt
        while type(node) is cst.If:
            _walrus(node.test, name)  # type: ignore[attr-defined]
            definite = _branch(node.body, name, path + (node,), found) and definite  # type: ignore[attr-defined]
            path = path + (node,)
            node = node.orelse  # type: ignore[attr-defined]
        if node is None:
            return False  # no `else`: the test may be false and the name kept
        return _branch(node.body, name, path + (node,), found) and definite  # type: ignore[attr-defined]
    if stmt_type is cst.With:
        if any(item.asname is not None and _binds(item.asname.name, name) for item in stmt.items):  # type: ignore[attr-defined]
            raise _Unknown
        return _out(stmt.body, name, path + (stmt,), found)  # type: ignore[attr-defined]
    if stmt_type in _LOOPS or stmt_type in (cst.Try, cst.TryStar, cst.Match):
        _everywhere(stmt, name, path, found)
        return False  # the body may not run, or not to the end
    if stmt_type in (cst.Pass, cst.Break, cst.Continue, cst.Nonlocal, cst.Global, cst.Del,
                     cst.Import, cst.ImportFrom, cst.FunctionDef, cst.ClassDef):
        if stmt_type in (cst.FunctionDef, cst.ClassDef):
            if stmt.name.value == name:  # type: ignore[attr-defined]
                raise _Unknown
            return False
        if any(type(sub) is cst.Name and sub.value == name for sub, _ in own_nodes(stmt)):  # type: ignore[attr-defined]
            raise _Unknown  # imported, deleted, declared global under that name
        return False
    _walrus(stmt, name)
    return False


def _branch(body: cst.BaseSuite, name: str, path: Tuple[cst.CSTNode, ...], found: List[Binding]) -> bool:
    """A branch of an `if`: one that always leaves adds nothing and hides nothing."""
    if exit_kind(body):
        return True  # no path through it gets past the `if`
    return _out(body, name, path, found)


def _everywhere(root: cst.CSTNode, name: str, path: Tuple[cst.CSTNode, ...], found: List[Binding]) -> None:
    """Every binding of `name` under `root` (nested scopes aside), whatever its order: a
    loop's body seen again from its start, a `try` that may stop anywhere."""
    stack: List[Tuple[cst.CSTNode, Tuple[cst.CSTNode, ...]]] = [(root, path)]
    while stack:
        node, above = stack.pop()
        node_type = type(node)
        if node_type in NESTED_SCOPES:
            if node_type is not cst.Lambda and node.name.value == name:  # type: ignore[attr-defined]
                raise _Unknown
            continue
        if node_type is cst.Assign or node_type is cst.AnnAssign or node_type is cst.AugAssign:
            _out(node, name, above, found)
        elif node_type is cst.For or node_type is cst.CompFor:
            if _binds(node.target, name):  # type: ignore[attr-defined]
                raise _Unknown
        elif node_type is cst.NamedExpr:
            if _binds(node.target, name):  # type: ignore[attr-defined]
                raise _Unknown
        elif node_type is cst.AsName:
            if _binds(node.name, name):  # type: ignore[attr-defined]
                raise _Unknown
        elif node_type in (cst.Del, cst.Global, cst.Nonlocal, cst.Import, cst.ImportFrom):
            if any(type(sub) is cst.Name and sub.value == name for sub, _ in own_nodes(node)):  # type: ignore[attr-defined]
                raise _Unknown
            continue
        below = above + (node,)
        stack.extend((child, below) for child in iter_children(node))


def _walrus(expr: cst.CSTNode, name: str) -> None:
    for sub, _ in own_nodes(expr):
        if type(sub) is cst.NamedExpr and _binds(sub.target, name):  # type: ignore[attr-defined]
            raise _Unknown


def _binds(target: cst.CSTNode, name: str) -> bool:
    target_type = type(target)
    if target_type is cst.Name:
        return target.value == name  # type: ignore[attr-defined]
    if target_type is cst.Tuple or target_type is cst.List:
        return any(_binds(e.value, name) for e in target.elements)  # type: ignore[attr-defined]
    if target_type is cst.StarredElement:
        return _binds(target.value, name)  # type: ignore[attr-defined]
    return False
