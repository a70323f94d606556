"""Small helpers rules share: literal checks, ancestor queries, names of things."""

from __future__ import annotations

import re
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from perflint.context import FileContext, dotted_text
from perflint.effects import locks_row
from perflint.nodes import NESTED_SCOPE_TYPES, NESTED_SCOPES, STATEMENTS_ONLY, iter_children, own_nodes  # noqa: F401 (rules import them here)


def is_literal(expr: cst.BaseExpression) -> bool:
    """A constant: number, string (not f-string), or a tuple/list of constants."""
    if isinstance(expr, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)):
        return not isinstance(expr, cst.ConcatenatedString) or all(
            isinstance(p, cst.SimpleString) for p in (expr.left, expr.right)
        )
    if isinstance(expr, cst.UnaryOperation):
        return is_literal(expr.expression)
    if isinstance(expr, (cst.Tuple, cst.List)):
        return all(isinstance(e, cst.Element) and is_literal(e.value) for e in expr.elements)
    return False


_LITERALS: Dict[str, Union[str, bytes]] = {}
_LITERALS_MAX = 20_000


def literal_value(expr: cst.BaseExpression) -> Union[str, bytes]:
    """`expr.evaluated_value` of a string literal. libcst runs ast.literal_eval (a compile)
    each time it is asked, and several rules ask of the same strings: a short literal's
    text is evaluated once per process. Raises what evaluated_value raises."""
    if type(expr) is not cst.SimpleString:
        return expr.evaluated_value  # type: ignore[attr-defined]
    text = expr.value  # type: ignore[attr-defined]
    found = _LITERALS.get(text)
    if found is None:
        found = expr.evaluated_value  # type: ignore[attr-defined]
        if len(text) <= 256:
            if len(_LITERALS) >= _LITERALS_MAX:
                _LITERALS.clear()
            _LITERALS[text] = found
    return found


def string_value(expr: cst.BaseExpression) -> Optional[str]:
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    return None


def one_line_code(expr: cst.CSTNode) -> str:
    """The expression as written, on one line (for a message: a subscript written over three
    lines too)."""
    return _LINE_BREAK_RUN.sub("", cst.Module(body=[]).code_for_node(expr))


_LINE_BREAK_RUN = re.compile(r"\s*\n\s*")


def first_arg(call: cst.Call) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is None and arg.star == "":
            return arg.value
    return None


def method_name(call: cst.Call) -> Optional[str]:
    # exact types: libcst's classes are ABCs, and rules ask this of every call
    return call.func.attr.value if type(call.func) is cst.Attribute else None  # type: ignore[attr-defined]


def receiver_text(call: cst.Call) -> Optional[str]:
    if type(call.func) is cst.Attribute:
        return dotted_text(call.func.value)
    return None


def enclosing_if_tests(ctx: FileContext) -> Iterable[cst.BaseExpression]:
    """Tests of the `if`/`elif` statements around the current node, inside its function."""
    # type() comparisons: isinstance against libcst's ABC-based classes is slow on this path.
    for node in reversed(ctx.stack):
        node_type = type(node)
        if node_type is cst.FunctionDef or node_type is cst.ClassDef:
            return
        if node_type is cst.If:
            yield node.test


def names_in(expr: cst.CSTNode) -> set:
    """Every Name and attribute name used in an expression (a cheap local walk)."""
    out = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        node_type = type(node)
        if node_type is cst.Name:
            out.add(node.value)
        elif node_type is cst.Attribute:
            out.add(node.attr.value)
            stack.append(node.value)
            continue
        elif node_type is cst.SimpleString:
            out.add(node.value.strip("'\""))
        stack.extend(_children(node))
    return out


def _children(node: cst.CSTNode):
    return iter_children(node)  # type-cached: no isinstance against libcst's ABCs


def sql_text(expr: cst.BaseExpression) -> str:
    """The literal SQL text of a string, f-string, %-format or `" ".join((literal, ...))`
    (empty if none)."""
    # exact types (these classes have no subclasses): libcst's node classes are ABCs, and an
    # isinstance against one is slow; this runs on every positional argument of many calls
    expr_type = type(expr)
    if expr_type is cst.BinaryOperation and type(expr.operator) is cst.Modulo:  # type: ignore[attr-defined]
        expr = expr.left  # type: ignore[attr-defined]
        expr_type = type(expr)
    if expr_type is cst.Call:
        func = expr.func  # type: ignore[attr-defined]
        if (type(func) is cst.Attribute and func.attr.value == "join"
                and type(func.value) is cst.SimpleString and len(expr.args) == 1  # type: ignore[attr-defined]
                and type(expr.args[0].value) in (cst.Tuple, cst.List) and expr.args[0].value.elements):  # type: ignore[attr-defined]
            first = expr.args[0].value.elements[0].value  # type: ignore[attr-defined]
            return sql_text(first)  # the statement's verb is in its first piece
        return ""
    if expr_type is cst.SimpleString or expr_type is cst.ConcatenatedString:
        value = literal_value(expr)
        return value if isinstance(value, str) else ""
    if expr_type is cst.FormattedString:
        return "".join(p.value for p in expr.parts if type(p) is cst.FormattedStringText)  # type: ignore[attr-defined]
    return ""


def enclosing_function(ctx: FileContext) -> Optional[cst.FunctionDef]:
    """The `def` whose own code holds the node being visited: None in a class body, a lambda
    or at module level (the traversal's stack, innermost scope first)."""
    for outer in reversed(ctx.stack):
        if isinstance(outer, NESTED_SCOPES):
            return outer if isinstance(outer, cst.FunctionDef) else None
    return None


def innermost_def(ctx: FileContext) -> Optional[cst.FunctionDef]:
    """The nearest `def` around the node being visited, through lambdas and class bodies
    (unlike `enclosing_function`): the function whose body, parameters or name a rule reads."""
    for outer in reversed(ctx.stack):
        if type(outer) is cst.FunctionDef:
            return outer  # type: ignore[return-value]
    return None


def enclosing_class(stack) -> Optional[cst.ClassDef]:
    """The class whose method holds the node being visited (the `def` right inside a class
    body), or None in a module function, a nested function or a class body."""
    for i in range(len(stack) - 1, 1, -1):
        if type(stack[i]) is cst.FunctionDef:
            up = stack[i - 2] if type(stack[i - 1]) is cst.IndentedBlock else stack[i - 1]
            return up if type(up) is cst.ClassDef else None  # type: ignore[return-value]
    return None


def calls_in(body: cst.CSTNode) -> List[cst.Call]:
    """The calls in a function body, nested functions aside."""
    return [node for node, _ in own_nodes(body) if isinstance(node, cst.Call)]


def open_mode(call: cst.Call) -> Optional[str]:
    """The literal mode of an `open(path, mode)` call: "r" when none is given, None when it
    is computed."""
    positional = [a for a in call.args if a.keyword is None]
    mode: Optional[cst.BaseExpression] = positional[1].value if len(positional) >= 2 else None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "mode":
            mode = arg.value
    return "r" if mode is None else string_value(mode)


def locks_rows(root: cst.CSTNode) -> bool:
    """Whether code below `root` (not in nested functions) reads rows under a lock. A lock per
    item is deliberate: one transaction or one query for all items would hold every lock for
    the whole loop (pretix's per-order transactions, Airflow's locked re-reads of a task)."""
    for node, _ in own_nodes(root):
        node_type = type(node)
        if node_type is cst.Call:
            if locks_row(node):  # type: ignore[arg-type]
                return True
        elif node_type is cst.SimpleString and "FOR UPDATE" in node.value.upper():  # type: ignore[attr-defined]
            return True
    return False


def loop_target_names(ctx) -> set:
    """Names the loops and comprehensions around the node being visited bind, up to its
    function: `row` in `for row in rows:`, `k, v` in `{k: v for k, v in pairs}`."""
    names: set = set()
    for anc in reversed(ctx.stack):
        if isinstance(anc, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            break
        if isinstance(anc, cst.For):
            names |= names_in(anc.target)
        elif isinstance(anc, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            comp = anc.for_in
            while comp is not None:
                names |= names_in(comp.target)
                comp = comp.inner_for_in
    return names


# Probes of the file system: a stat system call each (the `stat-path` cost), and how a finding
# names them (PFL307's fixed answers, PFL312's rebound memo keys).
STAT_PROBES = {
    "os.path.exists": "os.path.exists()",
    "os.path.isfile": "os.path.isfile()",
    "os.path.isdir": "os.path.isdir()",
    "os.path.lexists": "os.path.lexists()",
    "os.stat": "os.stat()",
    "os.access": "os.access()",
}
MEMO_DECORATORS = ("lru_cache", "cache", "cached_property")


def memoised(fn) -> bool:
    """Whether a function's body runs once per distinct argument: `functools.lru_cache`,
    `cache`, `cached_property`, or a memo guard phase 1 recognised (`fn.memoized`)."""
    return fn.memoized or any(d.rpartition(".")[2] in MEMO_DECORATORS for d in fn.decorators)


def runs_per_call(ctx):
    """The function the current node runs in when each call runs it again: none at module
    level, in a test, or in a memoised function."""
    fn = ctx.function
    if fn is None or ctx.is_test or memoised(fn):
        return None
    return fn


def following_statements(ctx, node: cst.CSTNode) -> List[cst.BaseStatement]:
    """The statements after the one that holds `node` (the node being visited), in its block."""
    stack = ctx.stack
    for i in range(len(stack) - 1, 0, -1):
        parent = stack[i - 1]
        if type(parent) not in (cst.IndentedBlock, cst.Module):
            continue
        held = stack[i]
        for k, stmt in enumerate(parent.body):
            if stmt is held:
                return list(parent.body[k + 1:])
        return []
    return []


def later_statements(stack: Sequence[cst.CSTNode], node: cst.CSTNode) -> List[cst.CSTNode]:
    """The statements that run after the one holding `node` on every path that goes on, up to
    its function: the later small statements of its line (`a; b`), the later statements of
    its block, then of each block around it. `stack` is the traversal's stack (`ctx.stack`)."""
    later: List[cst.CSTNode] = []
    child = node
    for ancestor in reversed(stack):
        if ancestor is node:
            continue
        if type(ancestor) is cst.FunctionDef:
            break
        if type(ancestor) in (cst.IndentedBlock, cst.SimpleStatementLine, cst.SimpleStatementSuite):
            body = ancestor.body  # type: ignore[attr-defined]
            for index, stmt in enumerate(body):
                if stmt is child:
                    later.extend(body[index + 1:])
                    break
        child = ancestor
    return later


def earlier_statements(stack: Sequence[cst.CSTNode], node: cst.CSTNode) -> List[cst.CSTNode]:
    """later_statements run backwards: the statements before the one holding `node`, nearest
    first: the earlier small statements of its line, the earlier statements of its block, then
    of each block around it, up to its function."""
    earlier: List[cst.CSTNode] = []
    child = node
    for ancestor in reversed(stack):
        if ancestor is node:
            continue
        if type(ancestor) is cst.FunctionDef:
            break
        if type(ancestor) in (cst.IndentedBlock, cst.SimpleStatementLine, cst.SimpleStatementSuite):
            body = ancestor.body  # type: ignore[attr-defined]
            for index, stmt in enumerate(body):
                if stmt is child:
                    earlier.extend(reversed(body[:index]))
                    break
        child = ancestor
    return earlier


def tests_fresh_state(ctx, node: cst.CSTNode, name: str) -> bool:
    """Right after `node`, the code tests what it just re-read of `name` to stop: `if
    name.status == STOPPED: return` (or break/raise), or `return name.status == STOPPED`. A
    re-read per pass of state another process changes (a cancellation flag) cannot be
    fetched before the loop."""
    for stmt in following_statements(ctx, node)[:2]:
        if type(stmt) is cst.If and name in names_in(stmt.test) and any(
                type(n) in (cst.Return, cst.Break, cst.Raise) for n, _ in own_nodes(stmt.body)):
            return True
        if type(stmt) is cst.SimpleStatementLine:
            for small in stmt.body:
                if type(small) is cst.Return and type(small.value) is cst.Comparison and name in names_in(small.value):
                    return True
    return False


_BINDING_TYPES = (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr, cst.AsName)


def target_names(target: cst.CSTNode, out: Set[str]) -> None:
    """The names an assignment target binds (`a`, `a, (b, *c)`); not `self.x` or `d[k]`."""
    kind = type(target)
    if kind is cst.Name:
        out.add(target.value)  # type: ignore[attr-defined]
    elif kind in (cst.Tuple, cst.List):
        for element in target.elements:  # type: ignore[attr-defined]
            target_names(element.value, out)
    elif kind is cst.StarredElement:
        target_names(target.value, out)  # type: ignore[attr-defined]


def single_value(fdef: cst.FunctionDef, name: str) -> Optional[cst.BaseExpression]:
    """The one value a function's own body assigns to the local `name` (`x = ...` or
    `x: T = ...`), or None: no such assignment, several, an augmented one, an unpacking
    assignment anywhere in the body, or `name` a loop's or a comprehension's target."""
    found: List[cst.BaseExpression] = []
    for node, _ in own_nodes(fdef.body):
        kind = type(node)
        if kind is cst.Assign:
            for target in node.targets:  # type: ignore[attr-defined]
                if type(target.target) is cst.Name and target.target.value == name:
                    found.append(node.value)  # type: ignore[attr-defined]
                elif not isinstance(target.target, (cst.Name, cst.Attribute, cst.Subscript)):
                    return None  # unpacked into: not one value
        elif (kind is cst.AugAssign or kind is cst.AnnAssign) and type(node.target) is cst.Name \
                and node.target.value == name:  # type: ignore[attr-defined]
            if kind is cst.AugAssign or node.value is None:  # type: ignore[attr-defined]
                return None
            found.append(node.value)  # type: ignore[attr-defined]
        elif kind is cst.For or kind is cst.CompFor:
            names: Set[str] = set()
            target_names(node.target, names)  # type: ignore[attr-defined]
            if name in names:
                return None
    return found[0] if len(found) == 1 else None


def bound_names(fdef: cst.FunctionDef, params: bool = True, plain: bool = True) -> Set[str]:
    """Names a function binds: its parameters (unless `params` is False) and every name its
    own body assigns, loops over, imports or declares global (declared global counts: the
    function may rebind it); without those only assigned by a plain `name = value` unless
    `plain`."""
    out: Set[str] = set()
    if params:
        p = fdef.params
        out.update(x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params))
        for star in (p.star_arg, p.star_kwarg):
            if isinstance(star, cst.Param):
                out.add(star.name.value)
    for node, _ in own_nodes(fdef.body):
        kind = type(node)
        if kind is cst.Global or kind is cst.Nonlocal:
            out.update(n.name.value for n in node.names)  # type: ignore[attr-defined]
        elif kind in _BINDING_TYPES:
            if not plain and kind is cst.Assign and len(node.targets) == 1 \
                    and type(node.targets[0].target) is cst.Name:  # type: ignore[attr-defined]
                continue
            targets = [t.target for t in node.targets] if kind is cst.Assign else [  # type: ignore[attr-defined]
                node.name if kind is cst.AsName else node.target]  # type: ignore[attr-defined]
            for target in targets:
                target_names(target, out)
        elif kind is cst.ImportFrom or kind is cst.Import:
            names = node.names  # type: ignore[attr-defined]
            if not isinstance(names, cst.ImportStar):
                for alias in names:
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    while type(bound) is cst.Attribute:
                        bound = bound.value  # type: ignore[attr-defined]
                    if type(bound) is cst.Name:
                        out.add(bound.value)  # type: ignore[attr-defined]
    return out


def own_returns(fn: cst.FunctionDef) -> List[cst.Return]:
    """The function's own return statements (nested functions aside)."""
    return [node for node, _ in own_nodes(fn.body, STATEMENTS_ONLY) if type(node) is cst.Return]  # type: ignore[misc]


def star_params(fn: cst.FunctionDef) -> Tuple[Optional[str], Optional[str]]:
    """The names of `fn`'s `*args` and `**kwargs` (None for each it lacks)."""
    star = fn.params.star_arg
    kw = fn.params.star_kwarg
    return (star.name.value if isinstance(star, cst.Param) else None,
            kw.name.value if kw is not None else None)


def forwards(call: cst.Call, star: Optional[str], kw: Optional[str]) -> bool:
    """Whether the call passes on the function's own `*args` or `**kwargs`."""
    for arg in call.args:
        if type(arg.value) is not cst.Name:
            continue
        if (arg.star == "*" and arg.value.value == star) or (arg.star == "**" and arg.value.value == kw):  # type: ignore[attr-defined]
            return True
    return False


def forwarding_wrapper(stack: Sequence[cst.CSTNode]) -> Optional[Tuple[cst.FunctionDef, List[cst.Call]]]:
    """The innermost `def` around the node being visited when it is a decorator's wrapper, with
    the calls in which it passes its own `*args`/`**kwargs` on, unchanged, to the callable it
    wraps: a nested function the enclosing function returns (or one decorated `@wraps(...)`),
    whose star parameters it never rebinds, calling a callable it does not bind itself (a
    closure variable, `self.func`). None otherwise."""
    defs = [node for node in stack if type(node) is cst.FunctionDef]
    if len(defs) < 2:
        return None
    fn, outer = defs[-1], defs[-2]
    name = fn.name.value  # type: ignore[attr-defined]
    if not any(type(ret.value) is cst.Name and ret.value.value == name for ret in own_returns(outer)) and \
            not any("wraps" in (dotted_text(d.decorator.func if type(d.decorator) is cst.Call else d.decorator) or "")
                    for d in fn.decorators):  # type: ignore[attr-defined]
        return None
    star, kw = star_params(fn)  # type: ignore[arg-type]
    if star is None and kw is None:
        return None
    bound = bound_names(fn, params=False)  # type: ignore[arg-type]
    if star in bound or kw in bound:
        return None  # `kwargs = clean(kwargs)`: what it passes on is not what it was given
    wrapped = []
    for call in calls_in(fn.body):  # type: ignore[attr-defined]
        callee = dotted_text(call.func)
        if callee is None or not forwards(call, star, kw):
            continue
        if (type(call.func) is cst.Name and callee not in bound) or \
                (type(call.func) is cst.Attribute and callee.split(".")[0] == "self" and callee.count(".") == 1):
            wrapped.append(call)
    return (fn, wrapped) if wrapped else None  # type: ignore[return-value]


# Django's own QuerySet methods that return a queryset: a chain of only these shows what it
# prefetches.
QUERYSET_API = frozenset({"all", "filter", "exclude", "annotate", "alias", "order_by", "reverse", "distinct",
                           "values", "values_list", "select_related", "prefetch_related", "only", "defer",
                           "using", "select_for_update", "extra", "none", "union", "intersection", "difference"})

# A queryset that loads its relations up front: no query per item.
QUERYSET_PRELOAD = ("select_related", "prefetch_related", "values", "values_list", "only", "defer", "iterator")


def queryset_chain(expr: cst.BaseExpression) -> Optional[Tuple[str, bool]]:
    """(model, preloaded) for `Model.objects.<method>(...)...` chains (PFL503, PFL507): the
    model's name and whether the chain loads its relations up front."""
    preloaded = False
    while True:
        if isinstance(expr, cst.Call):
            if isinstance(expr.func, cst.Attribute):
                if expr.func.attr.value in QUERYSET_PRELOAD:
                    preloaded = True
                expr = expr.func.value
                continue
            return None
        if isinstance(expr, cst.Attribute):
            if expr.attr.value == "objects" and isinstance(expr.value, cst.Name):
                return expr.value.value, preloaded
            expr = expr.value
            continue
        return None


def loop_bound_names(loop: cst.CSTNode) -> Set[str]:
    """Names a loop binds: its target and what its body assigns (not nested scopes). PFL203
    and PFL107 ask it whether a loop rebinds what a statement in it reads."""
    out: Set[str] = set()
    roots: List[cst.CSTNode] = []
    if isinstance(loop, cst.For):
        roots = [loop.target, loop.body]
    elif isinstance(loop, cst.While):
        roots = [loop.body]
    else:
        roots = [loop]
    for root in roots:
        for current, parent in own_nodes(root):
            if isinstance(current, cst.Name) and (
                (isinstance(parent, cst.AssignTarget) and parent.target is current)
                or (isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is current)
                or (isinstance(parent, (cst.For, cst.CompFor)) and parent.target is current)
                or (isinstance(parent, cst.NamedExpr) and parent.target is current)
                or (isinstance(parent, cst.Element) and root is not loop)
                or (isinstance(parent, cst.AsName) and parent.name is current)
            ):
                out.add(current.value)
    if isinstance(loop, cst.For) and isinstance(loop.target, cst.Name):
        out.add(loop.target.value)
    return out


# Builtins whose result is an atom to copy.deepcopy (a number, a string, bytes, a bool).
SCALAR_BUILTINS = frozenset({"int", "float", "str", "bool", "bytes", "complex", "len", "repr", "round", "abs",
                             "ord", "chr", "hash", "ascii", "hex", "oct", "bin", "format", "isinstance"})
# Annotation names of such values (numbers' abstract classes among them).
SCALAR_TYPES = frozenset({"int", "float", "str", "bool", "bytes", "complex", "None", "NoneType",
                          "Number", "Real", "Integral", "Complex", "Rational"})
_CONTAINER_TYPES = {"tuple": "tuple", "Tuple": "tuple", "frozenset": "frozenset", "FrozenSet": "frozenset"}


def constant_atom(expr: cst.BaseExpression) -> bool:
    """A literal that is one value: a number or string literal, None, True or False."""
    return (is_literal(expr) and not isinstance(expr, (cst.Tuple, cst.List))) or \
        (isinstance(expr, cst.Name) and expr.value in ("None", "True", "False"))


def atomic_value(expr: cst.BaseExpression) -> bool:
    """A value copy.deepcopy returns as it is, walking nothing (one of copy's atomic types): a
    number, string or bytes literal (f-strings and concatenations too), None, True, False, the
    result of int()/float()/str()/len()/... (SCALAR_BUILTINS), a comparison or `not`, and
    arithmetic of such values."""
    stack = [expr]
    while stack:
        expr = stack.pop()
        if constant_atom(expr) or isinstance(expr, (cst.FormattedString, cst.Comparison)):
            continue
        if isinstance(expr, cst.ConcatenatedString):
            stack += [expr.left, expr.right]
        elif isinstance(expr, cst.UnaryOperation):
            if not isinstance(expr.operator, cst.Not):
                stack.append(expr.expression)
        elif isinstance(expr, cst.BinaryOperation):
            stack += [expr.left, expr.right]
        elif not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in SCALAR_BUILTINS):
            return False
    return True


def scalar_shape(expr: cst.BaseExpression, atom=atomic_value) -> Optional[Tuple[str, Optional[int]]]:
    """What copy.deepcopy walks in a value built of scalars: ("atom", 0) for a value it returns
    as it is (`atom`: atomic_value, or a caller's test that also follows names); ("tuple", n) for
    a tuple display of n atoms, `tuple(...)` of a display of atoms, of a comprehension or
    generator whose element is one (`tuple(float(i) for i in v)`) or of `map(float, v)` (n None:
    not shown); ("frozenset", n) the same for `frozenset(...)`. None for anything else."""
    if atom(expr):
        return "atom", 0
    if isinstance(expr, cst.Tuple):
        items = [e.value for e in expr.elements if isinstance(e, cst.Element)]
        return ("tuple", len(items)) if len(items) == len(expr.elements) and all(atom(v) for v in items) else None
    if not (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("tuple", "frozenset")):
        return None
    kind = expr.func.value
    if not expr.args:
        return kind, 0
    if len(expr.args) != 1 or expr.args[0].star or expr.args[0].keyword is not None:
        return None
    source = expr.args[0].value
    if isinstance(source, (cst.Tuple, cst.List, cst.Set)):
        items = [e.value for e in source.elements if isinstance(e, cst.Element)]
        ok = len(items) == len(source.elements) and all(atom(v) for v in items)
        return (kind, len(items)) if ok else None
    if isinstance(source, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
        return (kind, None) if atomic_value(source.elt) else None  # its names are the loop's: not followed
    if isinstance(source, cst.Call) and isinstance(source.func, cst.Name) and source.func.value == "map" \
            and source.args and isinstance(source.args[0].value, cst.Name) and source.args[0].value.value in SCALAR_BUILTINS:
        return kind, None
    return None


def annotation_shape(annotation: cst.BaseExpression) -> Optional[Tuple[str, Optional[int]]]:
    """scalar_shape of what an annotation declares: ("atom", 0) for int, str, float, ...
    (SCALAR_TYPES), Optional or a union of them; ("tuple", n) for `Tuple[float, float, float]`
    or `tuple[str, int]` of scalars (n None for `Tuple[float, ...]`); ("frozenset", None) for
    `FrozenSet[str]`. None for anything else."""
    if isinstance(annotation, cst.Annotation):
        annotation = annotation.annotation
    if isinstance(annotation, cst.SimpleString):
        try:
            annotation = cst.parse_expression(literal_value(annotation))  # type: ignore[arg-type]
        except Exception:
            return None
    name = dotted_text(annotation).rpartition(".")[2] if isinstance(annotation, (cst.Name, cst.Attribute)) else None
    if name is not None:
        return ("atom", 0) if name in SCALAR_TYPES else None
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        parts = [annotation_shape(annotation.left), annotation_shape(annotation.right)]
        return ("atom", 0) if all(p == ("atom", 0) for p in parts) else None
    if not isinstance(annotation, cst.Subscript) or not isinstance(annotation.value, (cst.Name, cst.Attribute)):
        return None
    head = dotted_text(annotation.value).rpartition(".")[2]
    args = [s.slice.value for s in annotation.slice if isinstance(s.slice, cst.Index)]
    if head in ("Optional", "Union"):
        return ("atom", 0) if args and all(annotation_shape(a) == ("atom", 0) for a in args) else None
    kind = _CONTAINER_TYPES.get(head)
    if kind is None or not args:
        return None
    if kind == "tuple" and len(args) == 2 and isinstance(args[1], cst.Ellipsis):
        return ("tuple", None) if annotation_shape(args[0]) == ("atom", 0) else None
    if not all(annotation_shape(a) == ("atom", 0) for a in args):
        return None
    return (kind, len(args)) if kind == "tuple" else (kind, None)


def paths_to(root: cst.CSTNode, want) -> Iterable[Tuple[cst.CSTNode, Tuple[cst.CSTNode, ...]]]:
    """(node, path) for each node under `root` (itself included) that `want(node)` accepts, with
    the path from `root` down to it (its last): a traversal's stack, for `reaching`."""
    stack: List[Tuple[cst.CSTNode, int]] = [(root, 0)]
    path: List[cst.CSTNode] = []
    while stack:
        node, depth = stack.pop()
        del path[depth:]
        path.append(node)
        if want(node):
            yield node, tuple(path)
        stack.extend((child, depth + 1) for child in reversed(list(iter_children(node))))
