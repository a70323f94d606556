"""Calls that run only when a caller passes an optional argument, or one of a type.

`def sig4(..., role_arn=None): if role_arn is None: creds() else: assumed_creds()` reaches
`assumed_creds` only from callers that pass `role_arn`: a hot caller that leaves it out
gives that call no heat (Salt's aws.query, labelled FALSE in run 5 of docs/precision.md).
Phase 1 records what each call passes and which optional parameters guard each call site;
the call graph (callgraph.Program) checks the one against the other.

`if isinstance(idx, bytes): idx = self.series.index(idx)` runs only for callers that pass
bytes: Mercurial's `queue.pushable(i)` is called per patch with the loop's integer index, so
that branch's list scan is on no hot chain (labelled FALSE in run 7). The guard is
`isa:idx:bytes`; a call site records the types it visibly passes (`arg_types`: an int literal,
a `range()` loop's index, `len()`, a string or bytes literal), and a caller whose argument is
known to be of another type does not pass it. Sites (findings) get the same guards as calls.
"""

from __future__ import annotations

from typing import FrozenSet, Sequence, Tuple

import libcst as cst

def passed_arguments(node: cst.Call) -> Tuple[int, Tuple[str, ...], bool]:
    """(positional count, keyword names, whether *args/**kwargs may pass anything)."""
    positional, keywords, star = 0, [], False
    for arg in node.args:
        if arg.star:
            star = True
        elif arg.keyword is not None:
            keywords.append(arg.keyword.value)
        else:
            positional += 1
    return positional, tuple(keywords), star


def _falsy_default(value: cst.BaseExpression) -> bool:
    value_type = type(value)
    if value_type is cst.Name:
        return value.value in ("None", "False")  # type: ignore[attr-defined]
    if value_type is cst.Integer:
        return value.value == "0"  # type: ignore[attr-defined]
    if value_type is cst.SimpleString:
        return value.value in ('""', "''")  # type: ignore[attr-defined]
    if value_type in (cst.Tuple, cst.List, cst.Dict):
        return not value.elements  # type: ignore[attr-defined]
    return False


def optional_params(fn: cst.FunctionDef) -> FrozenSet[str]:
    """Parameters with a falsy literal default (None, False, 0, "", empty literal)."""
    params = fn.params
    return frozenset(
        p.name.value for p in (*params.params, *params.kwonly_params, *params.posonly_params)
        if p.default is not None and _falsy_default(p.default)
    )


def _given_when(test: cst.BaseExpression, branch_true: bool, optional: FrozenSet[str]) -> Tuple[str, ...]:
    """Optional parameters that must have been passed for `test` to take this branch, and
    `absent:<p>` for those that must have been left out (`if p is None:`)."""
    test_type = type(test)
    if test_type is cst.Name:
        # `if not flag:` is also taken by a caller that passes False: only `is None` says absent
        return (test.value,) if branch_true and test.value in optional else ()  # type: ignore[attr-defined]
    if test_type is cst.UnaryOperation and type(test.operator) is cst.Not:  # type: ignore[attr-defined]
        return _given_when(test.expression, not branch_true, optional)  # type: ignore[attr-defined]
    if test_type is cst.Comparison and len(test.comparisons) == 1:  # type: ignore[attr-defined]
        left, comparison = test.left, test.comparisons[0]  # type: ignore[attr-defined]
        right = comparison.comparator
        if type(left) is cst.Name and left.value in optional and type(right) is cst.Name and right.value == "None":
            op = type(comparison.operator)
            if op not in (cst.Is, cst.IsNot):
                return ()
            given = (op is cst.IsNot) == branch_true
            return (left.value,) if given else (f"absent:{left.value}",)
        return ()
    if test_type is cst.BooleanOperation and type(test.operator) is cst.And and branch_true:  # type: ignore[attr-defined]
        return _given_when(test.left, True, optional) + _given_when(test.right, True, optional)  # type: ignore[attr-defined]
    return ()


def _after_early_exits(block: cst.IndentedBlock, child: cst.CSTNode, optional: FrozenSet[str]) -> Tuple[str, ...]:
    """`if p is None: return x` before `child` in the same block: past it, p was given."""
    found: Tuple[str, ...] = ()
    for stmt in block.body:
        if stmt is child:
            break
        if type(stmt) is cst.If and stmt.orelse is None and _exits(stmt.body):
            found += _given_when(stmt.test, False, optional)
    return found


def _exits(body: cst.BaseSuite) -> bool:
    statements = getattr(body, "body", ())
    if not statements:
        return False
    last = statements[-1]
    if type(last) is cst.SimpleStatementLine:
        return any(type(small) in (cst.Return, cst.Raise) for small in last.body)
    return False


def guarded_params(stack: Sequence[cst.CSTNode], fn: cst.FunctionDef, optional: FrozenSet[str],
                   params: Sequence[str] = ()) -> Tuple[str, ...]:
    """What the `if` statements around the top of `stack`, inside `fn`, need a caller to pass:
    the optional parameters of `if p:` / `if p is not None:` bodies and `if p is None:` /
    `if not p:` elses, `absent:<p>` for `if p is None:` bodies and the else of `if p is not None:` (and after
    `if p is not None: return`), then `isa:<param>:<T1,T2>` for each `if isinstance(param, T):` body
    (`params`: the function's parameters)."""
    start = None
    for index in range(len(stack) - 1, -1, -1):
        if stack[index] is fn:
            start = index
            break
    if start is None:
        return ()
    found: Tuple[str, ...] = ()
    types: Tuple[str, ...] = ()
    for index in range(start + 1, len(stack) - 1):
        parent = stack[index]
        child = stack[index + 1]
        if type(parent) is cst.IndentedBlock:
            if optional:
                found += _after_early_exits(parent, child, optional)
            continue
        if type(parent) is not cst.If:
            continue
        if child is parent.body:  # type: ignore[attr-defined]
            if optional:
                found += _given_when(parent.test, True, optional)  # type: ignore[attr-defined]
            guard = _isinstance_guard(parent.test, params) if params else ""  # type: ignore[attr-defined]
            if guard:
                types += (guard,)
        elif child is parent.orelse and optional:  # type: ignore[attr-defined]
            found += _given_when(parent.test, False, optional)  # type: ignore[attr-defined]
    return tuple(dict.fromkeys(found)) + types


def may_omit(passed: Tuple[int, Tuple[str, ...], bool], params: Sequence[str], name: str, bound: bool) -> bool:
    """Whether a call that passes `passed` may leave parameter `name` at its default (the
    `absent:<name>` guard of code under `if name is None:`). A call that passes it is taken to
    pass a value: Airflow's `reset_state_for_orphaned_tasks(filter_by_dag_run=dag_run)` never
    takes the `if filter_by_dag_run is None:` query (labelled FALSE in run 8)."""
    positional, keywords, star = passed
    if star:
        return True
    if name in keywords:
        return False
    if name not in params:
        return True
    index = list(params).index(name) - (1 if bound else 0)
    return positional <= index


def passes(passed: Tuple[int, Tuple[str, ...], bool], params: Sequence[str], name: str, bound: bool) -> bool:
    """Whether a call that passes `passed` may give parameter `name` of a callee whose
    parameters are `params` (`bound`: the first one is the receiver, not an argument)."""
    positional, keywords, star = passed
    if star or name in keywords:
        return True
    if name not in params:
        return True  # a keyword-only or a renamed parameter: nothing to check, assume given
    index = list(params).index(name) - (1 if bound else 0)
    return positional > index


# isinstance() types a caller's argument is known to be, by what phase 1 can see at the call
_SCALARS = {"int", "str", "bytes", "float", "bool"}


def _isinstance_guard(test: cst.BaseExpression, params: Sequence[str]) -> str:
    if type(test) is not cst.Call or type(test.func) is not cst.Name or test.func.value != "isinstance":  # type: ignore[attr-defined]
        return ""
    args = test.args  # type: ignore[attr-defined]
    if len(args) != 2 or type(args[0].value) is not cst.Name or args[0].value.value not in params:
        return ""
    kinds = args[1].value
    names = [e.value for e in kinds.elements] if type(kinds) is cst.Tuple else [kinds]  # type: ignore[attr-defined]
    if not all(type(n) is cst.Name for n in names):
        return ""
    return f"isa:{args[0].value.value}:{','.join(n.value for n in names)}"  # type: ignore[attr-defined]


def argument_types(node: cst.Call, range_targets: Sequence[str]) -> Tuple[str, ...]:
    """The type of each positional argument when the call shows it ("" when it does not):
    literals, `len()`, and the index of a `for i in range(...)` loop around the call."""
    out = []
    for arg in node.args:
        if arg.star or arg.keyword is not None:
            break
        value = arg.value
        value_type = type(value)
        kind = ""
        if value_type is cst.Integer:
            kind = "int"
        elif value_type is cst.Float:
            kind = "float"
        elif value_type is cst.SimpleString:
            kind = "bytes" if "b" in value.prefix.lower() else "str"  # type: ignore[attr-defined]
        elif value_type is cst.FormattedString:
            kind = "str"
        elif value_type is cst.Name and value.value in range_targets:  # type: ignore[attr-defined]
            kind = "int"
        elif value_type is cst.Call and type(value.func) is cst.Name and value.func.value == "len":  # type: ignore[attr-defined]
            kind = "int"
        out.append(kind)
    return tuple(out)


def passes_type(arg_types: Sequence[str], params: Sequence[str], guard: str, bound: bool) -> bool:
    """Whether a call whose positional arguments have `arg_types` may satisfy `isa:p:T`."""
    _, name, kinds = guard.split(":", 2)
    if name not in params:
        return True
    index = list(params).index(name) - (1 if bound else 0)
    if index < 0 or index >= len(arg_types) or not arg_types[index]:
        return True  # not passed by position, or of a type the call does not show
    wanted = set(kinds.split(","))
    if not wanted <= _SCALARS:
        return True  # a class, not a builtin scalar: a literal or an index says nothing about it
    return arg_types[index] in wanted or (arg_types[index] == "bool" and "int" in wanted)
