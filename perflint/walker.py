"""The one traversal of a file: keeps context (functions, loops, lines) and calls the rules.

libcst's own visitor rebuilds every node while it walks and its PositionProvider costs
twice the parse (measured in DESIGN §9), so perflint walks the dataclass fields itself, in
source order, and counts line breaks as it goes: every node gets its start line for free.
"""

from __future__ import annotations

import functools
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import libcst as cst

from perflint.context import COMPREHENSION_KINDS, FileContext
from perflint.nodes import FIELDS, KINDS, TRIVIA_BASES as _TRIVIA_BASES, VALUES
from perflint.rule import Rule


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


class Dispatch:
    """visit_/leave_ methods of a set of rule instances, indexed by node type name."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self.visit: Dict[str, List[Callable[[cst.CSTNode], object]]] = {}
        self.leave: Dict[str, List[Callable[[cst.CSTNode], object]]] = {}
        for rule in self.rules:
            for attr in _hook_names(type(rule)):
                if attr.startswith("visit_"):
                    self.visit.setdefault(attr[6:], []).append(getattr(rule, attr))
                else:
                    self.leave.setdefault(attr[6:], []).append(getattr(rule, attr))
        # A rule that visits punctuation or whitespace gets every node walked (slower).
        visited = {name for name in (*self.visit, *self.leave)}
        self.visits_trivia = any(_is_trivia_name(name) for name in visited)
        # Leaves skipped whole: none when the walk must enter their parentheses for a rule.
        self.quiet_leaves = frozenset() if self.visits_trivia else frozenset(
            t for t in _QUIET_LEAVES if t.__name__ not in visited)
        # The same tables keyed by node type: the walk looks them up once per node.
        self.visit_by_type = _by_type(self.visit)
        self.leave_by_type = _by_type(self.leave)


@functools.lru_cache(maxsize=None)
def _hook_names(rule_type: type) -> Tuple[str, ...]:
    """The visit_/leave_ attributes of a rule class, in dir() order: a Dispatch is built per
    set of active rules (hundreds per run), dir() once per class."""
    return tuple(attr for attr in dir(rule_type) if attr.startswith(("visit_", "leave_")))


@functools.lru_cache(maxsize=None)
def _is_trivia_name(name: str) -> bool:
    node_type = getattr(cst, name, None)
    return isinstance(node_type, type) and issubclass(node_type, _TRIVIA_BASES)


def _by_type(table: Dict[str, List[Callable[[cst.CSTNode], object]]]) -> Dict[type, List[Callable[[cst.CSTNode], object]]]:
    return {getattr(cst, name): handlers for name, handlers in table.items() if isinstance(getattr(cst, name, None), type)}


_LOOP_TYPES = frozenset({cst.For, cst.While, *COMPREHENSION_KINDS})


# Leaves with nothing inside but parentheses, spacing and text: nothing can look for them on
# the traversal stack, so unless a rule visits their type they get no enter/leave at all.
_QUIET_LEAVES = (cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.Ellipsis,
                 cst.Pass, cst.Break, cst.Continue)


class _WalkKinds(dict):
    """Like KINDS, with 3 for a trivia node: the walk counts its line breaks and moves on."""

    def __missing__(self, node_type: type) -> int:
        kind = 3 if issubclass(node_type, _TRIVIA_BASES) else KINDS[node_type]
        self[node_type] = kind
        return kind


def trivia_breaks(node: cst.CSTNode) -> int:
    """Line breaks inside a trivia node (whitespace, a comment, an operator's spacing)."""
    node_type = type(node)
    if node_type is _SIMPLE_WHITESPACE:
        value = node.value  # type: ignore[attr-defined]
        return line_breaks(value) if "\n" in value or "\r" in value else 0
    if node_type is _NEWLINE:
        return 1
    breaks = 0
    kinds = KINDS
    for name in FIELDS[node_type]:
        value = getattr(node, name)
        value_type = type(value)
        if value_type is _SIMPLE_WHITESPACE:
            # the common case, inline: an operator's or a comma's spacing, mostly "" or " "
            text = value.value
            if "\n" in text or "\r" in text:
                breaks += line_breaks(text)
        elif value_type is _NEWLINE:
            breaks += 1
        else:
            kind = kinds[value_type]
            if kind == 1:
                breaks += trivia_breaks(value)
            elif kind == 2:
                for item in value:
                    if kinds[type(item)] == 1:
                        breaks += trivia_breaks(item)
    return breaks


_SIMPLE_WHITESPACE = cst.SimpleWhitespace
_NEWLINE = cst.Newline


class _Leaves(dict):
    def __missing__(self, node_type: type) -> bool:
        leaf = issubclass(node_type, _NEWLINE_LEAVES)
        self[node_type] = leaf
        return leaf


_LEAVES = _Leaves()
_WALK_KINDS = _WalkKinds()


def walk(module: cst.Module, ctx: FileContext, dispatch: Dispatch) -> None:
    """Traverse `module` once, maintaining `ctx` and calling the rules' visitors."""
    for rule in dispatch.rules:
        rule.begin_file(ctx)
    visit_table = dispatch.visit_by_type
    leave_table = dispatch.leave_by_type
    lines = ctx.node_lines
    stack: List[Tuple[int, object]] = [(_ENTER, module)]
    pop = stack.pop
    push = stack.append
    line = 1
    leaves = _LEAVES
    kinds = KINDS if dispatch.visits_trivia else _WALK_KINDS
    quiet = dispatch.quiet_leaves
    trivia = trivia_breaks
    fields_of = FIELDS
    values_of = VALUES
    simple_whitespace = cst.SimpleWhitespace
    newline_type = cst.Newline
    simple_string = cst.SimpleString
    comp_for = cst.CompFor
    while_type = cst.While
    ctx_enter = ctx.enter
    ctx_leave = ctx.leave
    loop_kind_of = ctx.loop_kind
    loop_types = _LOOP_TYPES
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
            if node_type in quiet:
                if node_type is simple_string:
                    line += line_breaks(node.value)  # type: ignore[attr-defined]
                lpar = getattr(node, "lpar", None)
                if lpar:
                    line += sum(trivia(p) for p in lpar) + sum(trivia(p) for p in node.rpar)  # type: ignore[attr-defined]
                semicolon = getattr(node, "semicolon", None)
                if semicolon is not None and type(semicolon) is not cst.MaybeSentinel:
                    line += trivia(semicolon)
                continue
            ctx.line = line
            ctx_enter(node, node_type)
            handlers = visit_table.get(node_type)
            if handlers:
                for handler in handlers:
                    handler(node)
            push((_LEAVE, node))
            # Children, pushed in reverse so they pop in source order; loop markers
            # bracket the parts that run once per iteration.
            loop_kind = loop_kind_of(node, node_type) if node_type in loop_types else None
            # The three rarer branches below collect children in a list; most nodes push
            # straight onto the stack and need none (one list less per node).
            children: Optional[List[Tuple[int, object]]] = None
            if loop_kind is not None:
                children = []
                add = children.append
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
                    elif kind == 3:
                        breaks = trivia(value)
                        if breaks:
                            add((_LINES, breaks))
                    elif kind == 2:
                        for item in value:
                            kind = kinds[type(item)]
                            if kind == 1:
                                add((_ENTER, item))
                            elif kind == 3:
                                breaks = trivia(item)
                                if breaks:
                                    add((_LINES, breaks))
                if loop_kind is not None:
                    add((_LOOP_END, node))
            elif node_type is simple_string:
                children = []
                add = children.append
                # Not a leaf: its parentheses come before and after the text.
                breaks = sum(trivia(p) for p in node.lpar)  # type: ignore[attr-defined]
                breaks += line_breaks(node.value)  # type: ignore[attr-defined]
                breaks += sum(trivia(p) for p in node.rpar)  # type: ignore[attr-defined]
                if breaks:
                    add((_LINES, breaks))
            elif node_type is comp_for and ctx.outer_comp_for():
                children = []
                add = children.append
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
                    elif kind == 3:
                        breaks = trivia(value)
                        if breaks:
                            add((_LINES, breaks))
                    elif kind == 2:
                        for item in value:
                            kind = kinds[type(item)]
                            if kind == 1:
                                add((_ENTER, item))
                            elif kind == 3:
                                breaks = trivia(item)
                                if breaks:
                                    add((_LINES, breaks))
            else:
                # Most nodes: straight onto the stack, last child first, so that they pop in
                # source order; a whitespace field (the commonest trivia) is read inline.
                for value in reversed(values_of[node_type](node)):
                    value_type = type(value)
                    kind = kinds[value_type]
                    if kind == 1:
                        push((_ENTER, value))
                    elif kind == 3:
                        if value_type is simple_whitespace:
                            text = value.value  # type: ignore[attr-defined]
                            if "\n" in text or "\r" in text:
                                push((_LINES, line_breaks(text)))
                        else:
                            breaks = trivia(value)
                            if breaks:
                                push((_LINES, breaks))
                    elif kind == 2:
                        for item in reversed(value):  # type: ignore[call-overload]
                            kind = kinds[type(item)]
                            if kind == 1:
                                push((_ENTER, item))
                            elif kind == 3:
                                breaks = trivia(item)
                                if breaks:
                                    push((_LINES, breaks))
            if children:
                children.reverse()
                stack.extend(children)
        elif event == _LEAVE:
            handlers = leave_table.get(type(node))
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
