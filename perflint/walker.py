"""The one traversal of a file: keeps context (functions, loops, lines) and calls the rules.

libcst's own visitor rebuilds every node while it walks and its PositionProvider costs
twice the parse (measured in DESIGN §9), so perflint walks the dataclass fields itself, in
source order, and counts line breaks as it goes: every node gets its start line for free.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Callable, Dict, List, Sequence, Tuple

import libcst as cst

from perflint.context import COMPREHENSION_KINDS, FileContext
from perflint.rule import Rule

_FIELDS: Dict[type, Tuple[str, ...]] = {}

# Leaves whose text may hold line breaks; every other node's breaks live in these.
_NEWLINE_LEAVES = (cst.SimpleWhitespace, cst.FormattedStringText)
if hasattr(cst, "TemplatedStringText"):
    _NEWLINE_LEAVES = _NEWLINE_LEAVES + (cst.TemplatedStringText,)  # type: ignore[attr-defined]

_COMPREHENSIONS = COMPREHENSION_KINDS

# Traversal events besides "enter" and "leave".
_ENTER, _LEAVE, _LOOP_START, _LOOP_END, _LOOP_PAUSE, _LOOP_RESUME, _LINES = range(7)


def line_breaks(text: str) -> int:
    """Line breaks as Python counts them: \\r\\n, \\r (old Mac files) and \\n."""
    breaks = text.count("\n")
    if "\r" in text:
        breaks += text.count("\r") - text.count("\r\n")
    return breaks


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
        attrs = [
            (a.lineno, a.col_offset, a.attr)
            for a in ast.walk(ast.parse(source))
            if isinstance(a, ast.Attribute) and isinstance(a.value, ast.Name) and a.value.id == "self"
        ]
        for _, _, attr in sorted(attrs):
            if attr not in names:
                names.append(attr)
    except (OSError, TypeError, SyntaxError):  # pragma: no cover - sources always ship
        names = [f for f in getattr(node_type, "__dataclass_fields__", {})]
    _FIELDS[node_type] = fields = tuple(names)
    return fields


class Dispatch:
    """visit_/leave_ methods of a set of rule instances, indexed by node type name."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self.visit: Dict[str, List[Callable[[cst.CSTNode], object]]] = {}
        self.leave: Dict[str, List[Callable[[cst.CSTNode], object]]] = {}
        for rule in self.rules:
            for attr in dir(type(rule)):
                if attr.startswith("visit_"):
                    self.visit.setdefault(attr[6:], []).append(getattr(rule, attr))
                elif attr.startswith("leave_"):
                    self.leave.setdefault(attr[6:], []).append(getattr(rule, attr))


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


class _Leaves(dict):
    def __missing__(self, node_type: type) -> bool:
        leaf = issubclass(node_type, _NEWLINE_LEAVES)
        self[node_type] = leaf
        return leaf


KINDS = _Kinds()
FIELDS = _Fields()
_LEAVES = _Leaves()


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


def walk(module: cst.Module, ctx: FileContext, dispatch: Dispatch) -> None:
    """Traverse `module` once, maintaining `ctx` and calling the rules' visitors."""
    for rule in dispatch.rules:
        rule.begin_file(ctx)
    visit_table = dispatch.visit
    leave_table = dispatch.leave
    lines = ctx.node_lines
    stack: List[Tuple[int, object]] = [(_ENTER, module)]
    pop = stack.pop
    push = stack.append
    line = 1
    leaves = _LEAVES
    kinds = KINDS
    fields_of = FIELDS
    newline_type = cst.Newline
    simple_string = cst.SimpleString
    comp_for = cst.CompFor
    while_type = cst.While
    ctx_enter = ctx.enter
    ctx_leave = ctx.leave
    loop_kind_of = ctx.loop_kind
    while stack:
        event, node = pop()
        if event == _ENTER:
            node_type = type(node)
            lines[id(node)] = line
            if node_type is newline_type:
                line += 1
                continue
            if leaves[node_type]:
                line += line_breaks(node.value)  # type: ignore[attr-defined]
                continue
            ctx.line = line
            ctx_enter(node, node_type)
            handlers = visit_table.get(node_type.__name__)
            if handlers:
                for handler in handlers:
                    handler(node)
            push((_LEAVE, node))
            # Children, pushed in reverse so they pop in source order; loop markers
            # bracket the parts that run once per iteration.
            loop_kind = loop_kind_of(node, node_type)
            children: List[Tuple[int, object]] = []
            add = children.append
            if loop_kind is not None:
                is_comp = node_type in _COMPREHENSIONS
                if is_comp:
                    add((_LOOP_START, (loop_kind, node)))
                for field in fields_of[node_type]:
                    value = getattr(node, field)
                    if not is_comp:
                        if field == ("test" if node_type is while_type else "body"):
                            add((_LOOP_START, (loop_kind, node)))
                        elif field == "orelse":
                            add((_LOOP_END, node))
                            loop_kind = None
                    kind = kinds[type(value)]
                    if kind == 1:
                        add((_ENTER, value))
                    elif kind == 2:
                        for item in value:
                            if kinds[type(item)] == 1:
                                add((_ENTER, item))
                if loop_kind is not None:
                    add((_LOOP_END, node))
            elif node_type is simple_string:
                # Not a leaf: its parentheses come before and after the text.
                children.extend((_ENTER, p) for p in node.lpar)  # type: ignore[attr-defined]
                add((_LINES, line_breaks(node.value)))  # type: ignore[attr-defined]
                children.extend((_ENTER, p) for p in node.rpar)  # type: ignore[attr-defined]
            elif node_type is comp_for and ctx.outer_comp_for():
                # The outermost iterable of a comprehension is evaluated once.
                for field in fields_of[node_type]:
                    value = getattr(node, field)
                    kind = kinds[type(value)]
                    if kind == 1:
                        if field == "iter":
                            add((_LOOP_PAUSE, node))
                            add((_ENTER, value))
                            add((_LOOP_RESUME, node))
                        else:
                            add((_ENTER, value))
                    elif kind == 2:
                        for item in value:
                            if kinds[type(item)] == 1:
                                add((_ENTER, item))
            else:
                for field in fields_of[node_type]:
                    value = getattr(node, field)
                    kind = kinds[type(value)]
                    if kind == 1:
                        add((_ENTER, value))
                    elif kind == 2:
                        for item in value:
                            if kinds[type(item)] == 1:
                                add((_ENTER, item))
            if children:
                children.reverse()
                stack.extend(children)
        elif event == _LEAVE:
            handlers = leave_table.get(type(node).__name__)
            if handlers:
                ctx.line = lines[id(node)]
                for handler in handlers:
                    handler(node)
            ctx_leave(node)
        elif event == _LOOP_START:
            kind, loop_node = node  # type: ignore[misc]
            ctx.push_loop(kind, lines[id(loop_node)], loop_node)
        elif event == _LOOP_END:
            ctx.pop_loop(node)
        elif event == _LINES:
            line += node  # type: ignore[operator]
        elif event == _LOOP_PAUSE:
            ctx.pause_loop()
        else:
            ctx.resume_loop()
    for rule in dispatch.rules:
        rule.end_file()
