"""libcst nodes as plain data: each node type's child fields in source order, and walks over
a subtree that do not run libcst's visitors (`node.children` runs one per node).

A leaf module (it imports only libcst), so the walker, the context, the data-walk and
repetition readers and the rules all share one set of tables and one subtree walk."""

from __future__ import annotations

import ast
import inspect
import textwrap
from operator import attrgetter
from typing import Dict, Iterator, List, Optional, Tuple

import libcst as cst

_FIELDS: Dict[type, Tuple[str, ...]] = {}


def child_fields(node_type: type) -> Tuple[str, ...]:
    """Child field names of a node type in source order.

    The order is read once per type from the node's `_visit_and_replace_children`, which
    libcst writes in source order; dataclass field order is not source order.
    """
    fields = _FIELDS.get(node_type)
    if fields is not None:
        return fields
    names: List[str] = []
    try:
        source = textwrap.dedent(inspect.getsource(node_type._visit_and_replace_children))
        tree = ast.parse(source)
        # The field names that `visit_required(self, "names", names, visitor)` and its
        # siblings get, in the order they are visited: some types read a field into a local
        # first (ImportFrom's names), so the first `self.x` is not always the visit order.
        attrs = [
            (a.lineno, a.col_offset, a.args[1].value)
            for a in ast.walk(tree)
            if isinstance(a, ast.Call) and isinstance(a.func, ast.Name) and a.func.id.startswith("visit_")
            and len(a.args) >= 2 and isinstance(a.args[1], ast.Constant) and isinstance(a.args[1].value, str)
        ] or [
            (a.lineno, a.col_offset, a.attr)
            for a in ast.walk(tree)
            if isinstance(a, ast.Attribute) and isinstance(a.value, ast.Name) and a.value.id == "self"
        ]
        for _, _, attr in sorted(attrs):
            if attr not in names:
                names.append(attr)
    except (OSError, TypeError, SyntaxError):  # pragma: no cover - sources always ship
        names = [f for f in getattr(node_type, "__dataclass_fields__", {})]
    _FIELDS[node_type] = fields = tuple(names)
    return fields


class _Kinds(dict):
    """type -> 1 (a node), 2 (a list/tuple of children), 0 (anything else), filled lazily:
    a dict lookup by type instead of isinstance against libcst's ABCs (2 million calls
    on a large project; the ABC check cost a third of the traversal)."""

    def __missing__(self, node_type: type) -> int:
        kind = 1 if issubclass(node_type, cst.CSTNode) else 2 if issubclass(node_type, (list, tuple)) else 0
        self[node_type] = kind
        return kind


class _Fields(dict):
    def __missing__(self, node_type: type) -> Tuple[str, ...]:
        fields = child_fields(node_type)
        self[node_type] = fields
        return fields


class _Values(dict):
    """type -> a function giving a node's child field values, in FIELDS order, as a tuple:
    one C call per node instead of a getattr per field (the traversal reads millions)."""

    def __missing__(self, node_type: type):
        fields = FIELDS[node_type]
        if len(fields) > 1:
            getter = attrgetter(*fields)
        elif fields:
            one = attrgetter(fields[0])

            def getter(node, one=one):
                return (one(node),)
        else:
            def getter(node):
                return ()
        self[node_type] = getter
        return getter


KINDS = _Kinds()
FIELDS = _Fields()
VALUES = _Values()


def iter_children(node: cst.CSTNode):
    """The child nodes of `node`, in source order (cheap: no libcst visitor)."""
    kinds = KINDS
    for name in FIELDS[type(node)]:
        value = getattr(node, name)
        kind = kinds[type(value)]
        if kind == 1:
            yield value
        elif kind == 2:
            for item in value:
                if kinds[type(item)] == 1:
                    yield item


# Scopes of their own: what runs in them does not run where they are written.
NESTED_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


# Punctuation, operators and whitespace: nodes that hold nothing but whitespace. No rule and no
# context hook looks at them, so the traversal only counts their line breaks, without an
# enter/leave each (a third of a file's nodes besides the whitespace leaves).
TRIVIA_BASES: Tuple[type, ...] = (
    cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp,
    cst.Comma, cst.Dot, cst.Colon, cst.Semicolon, cst.AssignEqual, cst.ImportStar,
    cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket,
    cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.Asynchronous,
    cst.ParenthesizedWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Comment,
    cst.SimpleWhitespace, cst.Newline,
)

# The same as concrete classes (own_nodes skips by exact type): for a walk of a subtree that
# looks for statements or expressions, which never sit inside these.
TRIVIA_TYPES: Tuple[type, ...] = tuple(
    t for t in vars(cst).values() if isinstance(t, type) and issubclass(t, TRIVIA_BASES))
NESTED_SCOPE_TYPES = frozenset(NESTED_SCOPES)
# For walks that look for statements, calls or assignments only: nested scopes, and punctuation
# and whitespace skipped (about half a body's nodes; none holds anything such walks look for).
STATEMENTS_ONLY: Tuple[type, ...] = NESTED_SCOPES + TRIVIA_TYPES


def or_operands(test: cst.BaseExpression, operator: type = cst.Or) -> List[cst.BaseExpression]:
    """The operands of `a or b or c` (of `a and b and c` with operator=cst.And), left to right
    (`test` itself when it is no such operation)."""
    parts: List[cst.BaseExpression] = []
    stack = [test]
    while stack:
        node = stack.pop()
        if type(node) is cst.BooleanOperation and type(node.operator) is operator:  # type: ignore[attr-defined]
            stack.extend((node.right, node.left))  # type: ignore[attr-defined]
        else:
            parts.append(node)
    return parts


def names_below(node: cst.CSTNode) -> Iterator[str]:
    """Every Name and attribute name below `node` (small subtrees only: a test, a loop body)."""
    stack = [node]
    seen = 0
    while stack and seen < 2000:
        current = stack.pop()
        seen += 1
        node_type = type(current)
        if node_type is cst.Name:
            yield current.value  # type: ignore[attr-defined]
        elif node_type is cst.Attribute:
            yield current.attr.value  # type: ignore[attr-defined]
        stack.extend(iter_children(current))


def own_nodes(root: cst.CSTNode, skip: Tuple[type, ...] = NESTED_SCOPES) -> Iterator[Tuple[cst.CSTNode, Optional[cst.CSTNode]]]:
    """(node, parent) for `root` and every node under it, in source order, without going
    into nodes of the `skip` types (nested functions, classes and lambdas by default)."""
    # The walker's field order, not libcst's `children` (a visitor pass per node: 10x slower),
    # and exact types, not isinstance (libcst's node classes are ABCs: a slow check each).
    skipped = frozenset(skip)
    kinds, fields_of = KINDS, FIELDS
    stack: List[Tuple[cst.CSTNode, Optional[cst.CSTNode]]] = [(root, None)]
    pop, push = stack.pop, stack.append
    while stack:
        node, parent = pop()
        yield node, parent
        children = []
        add = children.append
        for name in fields_of[type(node)]:
            value = getattr(node, name)
            kind = kinds[type(value)]
            if kind == 1:
                if type(value) not in skipped:
                    add(value)
            elif kind == 2:
                for item in value:
                    if kinds[type(item)] == 1 and type(item) not in skipped:
                        add(item)
        for child in reversed(children):
            push((child, node))
