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

Path conditions on the receiver and on switches (session 27). `if self.inner_id == 0:` runs
only for an object still holding the placeholder (`unset:inner_id`): a caller that builds its
receiver with `inner_id=n` never takes it (receiver_facts). When the branch sets the attribute
itself (`once:inner_id`) it runs at an object's first pass: only for receivers a caller visibly
builds, not for rows loaded or objects handed in. `if self._should_track():` (or a local
assigned it) needs the call true (`switch:self._should_track`): when the callee returns only
False and named flags read with a False default (Program.off_switch), nothing turned it on.

Session 29. A caller that passes the parameter on as it came (`mail(..., files=files)`), from
a parameter of its own with a None default that it never rebinds (FunctionSummary.none_params),
gives it only where its own callers do: the guard moves up to them, as the flags' `@<param>`
do, and the trace follows the callers that pass it (Scored.chain_guards). A local bound
nothing but falsy literals and values under guards (`form_data = None`, then set under `if
query_context:` or `elif viz:`) is true only where one of those guards holds (either_guards):
`form_data and <query>` needs `any:query_context,viz`. A method that hands its own `self` on
(`_check(task_instance=self)`) passes an instance of its class: the else of `isinstance(
task_instance, TaskInstance)` is not taken when that class or a base is TaskInstance
(Program._receiver_instance).

Session 30. An object the caller visibly builds decides `isinstance` too: `Customer(...)`,
`Customer.objects.get(...)`, or a local every binding of which builds one class (built_locals)
is passed as `=/new:<Class>`, and Program.built_instance reads the class's MRO: `if
isinstance(customer, int): customer = Customer.objects.get(pk=customer)` loads nothing for a
caller that passes a loaded Customer.

Session 31. `isinstance(self.x, T)` in a method is `isa:self.x:T`: where `__init__` stored x
from one of its parameters (init_param_attrs) and nothing else binds it but code under the same
test (ModuleSummary.attr_rebinds), a caller that builds the receiver itself, `C(chart).run()`,
settles it by what it passes for that parameter (`^<arg>=<fact>` receiver facts;
Program.ctor_attr_verdict), through `self.m()` calls on the way. A loop's element counts as
built when the loop iterates rows of one model class: `<session>.query(C)...all()`,
`C.objects...`, or a local or an attribute of the caller's class every binding of which is an
empty display or such rows (rows_class, element_locals, element_attrs).
"""

from __future__ import annotations

from typing import AbstractSet, Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple, Union

import libcst as cst

from perflint.nodes import or_operands, own_nodes
from perflint.values import dotted_text


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


def falsy_literal(value: cst.BaseExpression, mutable: bool = True) -> bool:
    """None, False, 0, "", or an empty tuple, list or dict display (an empty list or dict only
    when `mutable`: a local bound one may be filled later without being bound again)."""
    value_type = type(value)
    if value_type is cst.Name:
        return value.value in ("None", "False")  # type: ignore[attr-defined]
    if value_type is cst.Integer:
        return value.value == "0"  # type: ignore[attr-defined]
    if value_type is cst.SimpleString:
        return value.value in ('""', "''")  # type: ignore[attr-defined]
    if value_type is cst.Tuple or (mutable and value_type in (cst.List, cst.Dict)):
        return not value.elements  # type: ignore[attr-defined]
    return False


def optional_params(fn: cst.FunctionDef) -> FrozenSet[str]:
    """Parameters with a falsy literal default (None, False, 0, "", empty literal)."""
    params = fn.params
    return frozenset(
        p.name.value for p in (*params.params, *params.kwonly_params, *params.posonly_params)
        if p.default is not None and falsy_literal(p.default)
    )


def unbound_none_params(fn: cst.FunctionDef, among: AbstractSet[str]) -> Tuple[str, ...]:
    """The parameters in `among` with a None default that the body never rebinds: passed on
    as they came, they are None wherever the function's own caller left them out."""
    from perflint.ruleutil import bound_names  # ruleutil imports the context, which imports this module

    params = fn.params
    found = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)
             if p.name.value in among and type(p.default) is cst.Name and p.default.value == "None"]  # type: ignore[attr-defined]
    if not found:
        return ()
    rebound = bound_names(fn, params=False)
    return tuple(name for name in found if name not in rebound)


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
    if test_type is cst.BooleanOperation and type(test.operator) is cst.Or and branch_true:  # type: ignore[attr-defined]
        # `if database and table or query:` needs one of them given: the callers that pass
        # none of the three never take it (Superset's `raise_for_access(datasource=...)`,
        # whose table branch a chart import was traced through: labelled FALSE in run 14)
        names: List[str] = []
        for side in or_operands(test):
            given = _given_when(side, True, optional)
            if not given or any(g.startswith("absent:") for g in given):
                return ()  # a side that any caller may take, or one that needs a parameter left out
            names.extend(g for g in given if g not in names)
        return (names[0],) if len(names) == 1 else ("any:" + ",".join(names),)
    return ()


def _alias_guards(test: cst.BaseExpression, taken: bool, aliases: Dict[str, Optional[Tuple[str, ...]]]) -> Tuple[str, ...]:
    """What a local flag set to True only under guards needs, where `test` says it is true:
    `is_all = False; if field_id is None and ct is None: is_all = True` then `if is_all and
    not safe_change: sweep()` sweeps only for callers that leave both out (Nautobot's custom
    field cleanup, called per field with `field_id=`: labelled FALSE in run 14)."""
    test_type = type(test)
    if test_type is cst.Name:
        # resolved when the function ends (FileContext._resolve_aliases): a later binding of the
        # name (`was_change |= ...`) makes it say nothing
        name = test.value  # type: ignore[attr-defined]
        return (f"alias:{name}",) if taken and aliases.get(name) is not None else ()
    if test_type is cst.UnaryOperation and type(test.operator) is cst.Not:  # type: ignore[attr-defined]
        return _alias_guards(test.expression, not taken, aliases)  # type: ignore[attr-defined]
    if test_type is cst.BooleanOperation and type(test.operator) is cst.And and taken:  # type: ignore[attr-defined]
        return _alias_guards(test.left, True, aliases) + _alias_guards(test.right, True, aliases)  # type: ignore[attr-defined]
    return ()


def either_guards(ways: Sequence[Tuple[str, ...]]) -> Optional[Tuple[str, ...]]:
    """What a local needs to be true when each of its truthy bindings needs one of `ways`
    (FileContext._note_flag_alias): the guards every way needs, and `any:` of a parameter
    each of the others needs given; None when that is nothing."""
    if len(ways) == 1:
        return tuple(ways[0]) or None
    common = [g for g in ways[0] if all(g in way for way in ways[1:])]
    names: List[str] = []
    for way in ways:
        given = [g for g in way if g not in common and (":" not in g or g.startswith("any:"))]
        if not given:
            names = []  # a way that needs no parameter given: the `any:` says nothing
            break
        for name in (given[0][4:].split(",") if given[0].startswith("any:") else (given[0],)):
            if name not in names:
                names.append(name)
    if names:
        common.append(names[0] if len(names) == 1 else "any:" + ",".join(names))
    return tuple(common) or None


def bound_otherwise(fn: cst.FunctionDef, names: Sequence[str]) -> List[str]:
    """Those of `names` that are parameters of the function or that it binds other than by a
    plain `name = value` (a loop's target, `with ... as`, an unpacking, `+=`, an import,
    `global`): no alias of what its plain bindings need."""
    from perflint.ruleutil import bound_names  # ruleutil imports the context, which imports this module

    if not names:
        return []
    other = bound_names(fn, plain=False)
    return [name for name in names if name in other]


def _early_exit_tests(block: cst.IndentedBlock, child: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """The tests of `if <test>: return/raise` statements before `child` in the same block:
    past each, its test was false."""
    for stmt in block.body:
        if stmt is child:
            break
        if type(stmt) is cst.If and stmt.orelse is None and _exits(stmt.body):
            yield stmt.test


def _after_early_exits(block: cst.IndentedBlock, child: cst.CSTNode, optional: FrozenSet[str]) -> Tuple[str, ...]:
    """`if p is None: return x` before `child` in the same block: past it, p was given."""
    found: Tuple[str, ...] = ()
    for test in _early_exit_tests(block, child):
        found += _given_when(test, False, optional)
    return found


def _exits(body: cst.BaseSuite) -> bool:
    statements = getattr(body, "body", ())
    if not statements:
        return False
    last = statements[-1]
    if type(last) is cst.SimpleStatementLine:
        return any(type(small) in (cst.Return, cst.Raise) for small in last.body)
    return False


def _pair_guards(parent: cst.CSTNode, child: cst.CSTNode, optional: FrozenSet[str], params: Sequence[str],
                 flags: Optional[Dict[str, str]], exits: Optional[dict],
                 aliases: Optional[Dict[str, Optional[Tuple[str, ...]]]] = None,
                 switches: Optional[Dict[str, Optional[Tuple[str, ...]]]] = None,
                 ) -> Optional[Tuple[Tuple[str, ...], Tuple[str, ...]]]:
    """What one (parent, child) step of the stack adds to guarded_params_memo's two lists: None when
    the parent is neither a block, nor an `if` whose body or else holds the child, nor the
    right operand of `and`/`or` (it runs when the left is true/false: `if not force and
    self.resume_session():` resumes only for callers that leave `force` false), nor a branch of
    `x if test else y`."""
    parent_type = type(parent)
    if parent_type is cst.BooleanOperation or parent_type is cst.IfExp:
        if parent_type is cst.BooleanOperation:
            if child is not parent.right:  # type: ignore[attr-defined]
                return None
            taken = type(parent.operator) is cst.And  # type: ignore[attr-defined]
            test = parent.left  # type: ignore[attr-defined]
        else:
            if child is parent.test:  # type: ignore[attr-defined]
                return None
            taken = child is parent.body  # type: ignore[attr-defined]
            test = parent.test  # type: ignore[attr-defined]
        return _test_guards(test, taken, optional, params, flags, aliases, switches)
    if type(parent) is cst.IndentedBlock:
        key = (id(parent), id(child))
        known = exits.get(key) if exits is not None else None
        if known is None:
            known = (_after_early_exits(parent, child, optional) if optional else (),  # type: ignore[arg-type]
                     _past_early_exits(parent, child, params, flags or {}, switches)  # type: ignore[arg-type]
                     if flags or params or switches else ())
            if exits is not None:
                exits[key] = known
        return known
    if type(parent) is not cst.If:
        return None
    taken = True if child is parent.body else False if child is parent.orelse else None  # type: ignore[attr-defined]
    if taken is None:
        return None
    found, types = _test_guards(parent.test, taken, optional, params, flags, aliases, switches)  # type: ignore[attr-defined]
    if any(t.startswith("unset:") for t in types):
        types = _once_per_object(types, child)
    return found, types


def _once_per_object(types: Tuple[str, ...], branch: cst.CSTNode) -> Tuple[str, ...]:
    """`once:<attr>` for an `unset:<attr>` whose branch sets `self.<attr>` itself: `if
    self.inner_id == 0: ...; self.inner_id = last + 1` runs at an object's first pass only (a
    'not yet done' test the branch makes false). An object its caller builds without the
    attribute takes it; one that has been through it before, a row loaded from the database
    or one handed in, does not (guards.unset_verdict)."""
    from perflint.repetition import _assigned  # repetition imports the values this module's callers do

    block = branch.body if type(branch) is cst.Else else branch  # type: ignore[attr-defined]
    if type(block) is not cst.IndentedBlock:
        return types  # an `elif` (its own test decides its branches) or a one-line body
    assigned = {dotted for kind, dotted in _assigned(block) if kind == "name"}
    return tuple(f"once:{t[6:]}" if t.startswith("unset:") and f"self.{t[6:]}" in assigned else t for t in types)


def _test_guards(test: cst.BaseExpression, taken: bool, optional: FrozenSet[str], params: Sequence[str],
                 flags: Optional[Dict[str, str]],
                 aliases: Optional[Dict[str, Optional[Tuple[str, ...]]]] = None,
                 switches: Optional[Dict[str, Optional[Tuple[str, ...]]]] = None,
                 ) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """What code reached when `test` came out `taken` needs a caller to pass."""
    found: Tuple[str, ...] = _given_when(test, taken, optional) if optional else ()
    if aliases:
        found += _alias_guards(test, taken, aliases)
    types: Tuple[str, ...] = ()
    guard = _isinstance_guard(test, params) if params else ""
    if guard:
        types += (guard if taken else "not" + guard,)
    if flags:
        types += _flag_when(test, taken, flags)
    if params and params[0] == "self":
        types += _unset_when(test, taken)
    types += _switch_when(test, taken, switches or {})
    return found, types


def _switch_when(test: cst.BaseExpression, branch_true: bool, switches: Dict[str, Optional[Tuple[str, ...]]]
                 ) -> Tuple[str, ...]:
    """`switch:<callee>` for each call whose truth taking this branch needs: `if
    self._should_run():`, the else of `if not enabled():`, a part of an `and`, or a local
    assigned such a call or an `and` of them (`run = not skip and self._should_run()`, then
    `if not skip and run:`; `switches`: the locals so assigned once). Phase 2 keeps the guard
    only where the callee is a switch that is off by default (Program.off_switch)."""
    test_type = type(test)
    if test_type is cst.Call:
        text = dotted_text(test.func)  # type: ignore[attr-defined]
        return (f"switch:{text}",) if branch_true and text else ()
    if test_type is cst.Name:
        texts = switches.get(test.value) if branch_true else None  # type: ignore[attr-defined]
        return tuple(f"switch:{t}" for t in texts) if texts else ()
    if test_type is cst.UnaryOperation and type(test.operator) is cst.Not:  # type: ignore[attr-defined]
        return _switch_when(test.expression, not branch_true, switches)  # type: ignore[attr-defined]
    if test_type is cst.BooleanOperation and type(test.operator) is cst.And and branch_true:  # type: ignore[attr-defined]
        return _switch_when(test.left, True, switches) + _switch_when(test.right, True, switches)  # type: ignore[attr-defined]
    return ()


def switch_calls(value: cst.BaseExpression) -> Tuple[str, ...]:
    """The calls whose truth a local assigned `value` needs to be true: `self._should_run()`,
    or each called part of `not skip and self._should_run()` (guards._switch_when)."""
    if type(value) is cst.Call:
        text = dotted_text(value.func)  # type: ignore[attr-defined]
        return (text,) if text else ()
    if type(value) is cst.BooleanOperation and type(value.operator) is cst.And:  # type: ignore[attr-defined]
        return switch_calls(value.left) + switch_calls(value.right)  # type: ignore[attr-defined]
    return ()


def off_return(value: Optional[cst.BaseExpression]) -> Optional[str]:
    """What a `return value` says of a switch that is off by default: "" for `False` or a
    lookup of a named flag with a False default (`store.get("key", False)`, `getattr(obj,
    "name", False)`), the
    callee's text for a call whose result it hands on (off when that callee is, phase 2),
    None for anything else (the function is no such switch)."""
    if value is None:
        return None
    if type(value) is cst.Name:
        return "" if value.value == "False" else None  # type: ignore[attr-defined]
    if type(value) is not cst.Call:
        return None
    func, args = value.func, value.args  # type: ignore[attr-defined]
    last = args[-1] if args else None
    off_default = last is not None and last.keyword is None and not last.star and \
        type(last.value) is cst.Name and last.value.value == "False"  # type: ignore[attr-defined]
    # the key a literal: a named flag; `perms.get(perm, False)` on a key passed in is a lookup of data
    if off_default and ((type(func) is cst.Attribute and func.attr.value == "get" and len(args) == 2  # type: ignore[attr-defined]
                         and type(args[0].value) is cst.SimpleString)
                        or (type(func) is cst.Name and func.value == "getattr" and len(args) == 3  # type: ignore[attr-defined]
                            and type(args[1].value) is cst.SimpleString)):
        return ""
    if any(arg.star for arg in args):
        return None
    return dotted_text(func)


def _unset_when(test: cst.BaseExpression, branch_true: bool) -> Tuple[str, ...]:
    """`unset:<attr>` when taking this branch of `test` needs `self.<attr>` to still hold a
    falsy placeholder: the body of `if self.inner_id == 0:`, `if self.project_id is None:`,
    `if not self.key:`, and the else of their negations. A receiver its caller built with
    `inner_id=<something>` (not a falsy literal) is not one (guards.receiver_facts): Label
    Studio's `Task.save` numbers a task with a query only when no `inner_id` was given, and the
    storage import builds each Task with one (labelled FALSE in session 26)."""
    test_type = type(test)
    if test_type is cst.UnaryOperation and type(test.operator) is cst.Not:  # type: ignore[attr-defined]
        return _unset_when(test.expression, not branch_true)  # type: ignore[attr-defined]
    attr = _self_attribute(test)
    if attr:
        return () if branch_true else (f"unset:{attr}",)
    if test_type is cst.Comparison and len(test.comparisons) == 1:  # type: ignore[attr-defined]
        comparison = test.comparisons[0]  # type: ignore[attr-defined]
        attr = _self_attribute(test.left)  # type: ignore[attr-defined]
        op = type(comparison.operator)
        if not attr or op not in (cst.Is, cst.IsNot, cst.Equal, cst.NotEqual) \
                or _literal_fact(comparison.comparator)[:1] not in ("F", "N"):
            return ()
        return (f"unset:{attr}",) if (op in (cst.Is, cst.Equal)) == branch_true else ()
    if test_type is cst.BooleanOperation:
        op = type(test.operator)  # type: ignore[attr-defined]
        if (op is cst.And and branch_true) or (op is cst.Or and not branch_true):
            return _unset_when(test.left, branch_true) + _unset_when(test.right, branch_true)  # type: ignore[attr-defined]
    return ()


def _self_attribute(node: cst.BaseExpression) -> str:
    """"attr" for `self.attr`, "" for anything else."""
    if type(node) is cst.Attribute and type(node.value) is cst.Name and node.value.value == "self":  # type: ignore[attr-defined]
        return node.attr.value  # type: ignore[attr-defined]
    return ""


def receiver_facts(node: cst.Call, assigned: Sequence[Tuple[str, object]]) -> Tuple[str, ...]:
    """What a method call shows of its receiver's attributes, for `unset:` guards: `.<kw>=set`
    for each keyword a local receiver was built with, `task = Task(inner_id=n)` then
    `task.save()`, when every binding of the name so far is a call that passes it (not as a
    falsy literal), and `.=new:<Name>` for the name each was called by. Django names a relation's column `<field>_id`: `project=` sets `project_id`
    too (unset_verdict reads it so). A receiver passed on (`self.save()`, `super().save()`)
    shows nothing: the guard stays live only where some caller builds the object."""
    func = node.func
    if type(func) is not cst.Attribute:
        return ()
    receiver = func.value  # type: ignore[attr-defined]
    if type(receiver) is cst.Name:
        name = receiver.value  # type: ignore[attr-defined]
        if name == "self":
            return (".=self",)
        bindings = [value for target, value in assigned if target == name]
        if not bindings or any(type(value) is not cst.Call for value in bindings):
            return ()
        out: List[str] = []
        kept: Optional[set] = None
        for built in bindings:  # each binding so far may be the one that reaches the call
            made = dotted_text(built.func)  # type: ignore[attr-defined]
            if made and f".=new:{made.rpartition('.')[2]}" not in out:
                out.append(f".=new:{made.rpartition('.')[2]}")
            keys = {arg.keyword.value for arg in built.args  # type: ignore[attr-defined]
                    if arg.keyword is not None and not arg.star and _literal_fact(arg.value)[:1] not in ("F", "N")}
            kept = keys if kept is None else kept & keys
        return tuple(out) + tuple(f".{key}=set" for key in sorted(kept or ()))
    if type(receiver) is cst.Call and type(receiver.func) is cst.Name and receiver.func.value == "super":  # type: ignore[attr-defined]
        return (".=self",)
    return ()


def unset_verdict(facts: Sequence[str], guard: str, classes: FrozenSet[str]) -> Union[bool, str]:
    """Whether a call may reach an `unset:<attr>` or `once:<attr>` guard (receiver_facts):
    never when its receiver was built with the attribute set. A `once:` branch runs for a
    receiver its caller builds as an instance of one of the program's `classes`; for `self`
    passed on, "@self": the caller's own callers decide; for anything else (loaded, handed in)
    not: the object has been through it."""
    kind, _, attr = guard.partition(":")
    new = False
    for fact in facts:
        if fact.startswith(".") and fact.endswith("=set"):
            key = fact[1:-4]
            if key == attr or key + "_id" == attr:
                return False
        elif fact.startswith(".=new:"):
            new = fact[6:] in classes
    if kind == "unset" or new:
        return True
    return "@self" if ".=self" in facts else False


def guarded_params_memo(stack: Sequence[cst.CSTNode], fn: cst.FunctionDef, optional: FrozenSet[str],
                        params: Sequence[str], flags: Optional[Dict[str, str]], exits: dict,
                        memo: Dict[int, Tuple[Tuple[str, ...], Tuple[str, ...], Tuple[str, ...]]],
                        aliases: Optional[Dict[str, Optional[Tuple[str, ...]]]] = None,
                        switches: Optional[Dict[str, Optional[Tuple[str, ...]]]] = None) -> Tuple[str, ...]:
    """What the `if` statements around the top of `stack`, inside `fn`, need a caller to pass:
    the optional parameters of `if p:` / `if p is not None:` bodies and `if p is None:` /
    `if not p:` elses, `absent:<p>` for `if p is None:` bodies and the else of `if p is not None:` (and after
    `if p is not None: return`), then `isa:<param>:<T1,T2>` for each `if isinstance(param, T):` body
    (`params`: the function's parameters), `notisa:<param>:<T>` for its else (and past `if
    isinstance(param, T): return`), and `truthy:<flag>:<default>` / `falsy:<flag>:<default>` for
    the branches of `if flag:` on a flag parameter (`flags`: flag_params). `exits` keeps what
    the early exits before a statement of a block say, by (block, statement), for one function:
    every call in a statement reads the same blocks, each scanned from its first statement.

    `memo` (one per function) keeps, by the id of the child of each block or `if` step, the two
    lists up to that step and the answer. A node's ancestors are fixed, so a call needs the
    steps from the top of the stack down to the nearest one already seen (its own statement's,
    then its compound statement's), not down to the `def`: most calls are the only one in their
    statement, and the enclosing blocks are shared."""
    pending = []  # indexes of block or `if` parents not yet in memo, innermost first
    base: Tuple[Tuple[str, ...], Tuple[str, ...], Tuple[str, ...]] = ((), (), ())
    index = len(stack) - 2
    while index >= 0:
        parent = stack[index]
        if parent is fn:
            break
        parent_type = type(parent)
        if parent_type is cst.IndentedBlock or parent_type is cst.If or parent_type is cst.BooleanOperation \
                or parent_type is cst.IfExp:
            known = memo.get(id(stack[index + 1]))
            if known is not None:
                base = known
                break
            pending.append(index)
        index -= 1
    else:
        return ()  # the function is not on the stack
    if not pending:
        if base[2] is None:  # a step kept on the way to a deeper one: its answer not made yet
            base = memo[id(stack[index + 1])] = (base[0], base[1],
                                                   tuple(dict.fromkeys(base[0])) + tuple(dict.fromkeys(base[1])))
        return base[2]
    found, types = base[0], base[1]
    for index in reversed(pending):
        child = stack[index + 1]
        pair = _pair_guards(stack[index], child, optional, params, flags, exits, aliases, switches)
        if pair is not None:
            found += pair[0]
            types += pair[1]
        memo[id(child)] = (found, types, None)  # type: ignore[assignment]  # the answer: when asked
    answer = tuple(dict.fromkeys(found)) + tuple(dict.fromkeys(types))
    memo[id(child)] = (found, types, answer)
    return answer


def _past_early_exits(block: cst.IndentedBlock, child: cst.CSTNode, params: Sequence[str],
                      flags: Dict[str, str], switches: Optional[Dict[str, Optional[Tuple[str, ...]]]] = None,
                      ) -> Tuple[str, ...]:
    """`if isinstance(perms, str): return one(perms)` or `if dry_run: return` before `child`:
    past it, the test was false."""
    found: Tuple[str, ...] = ()
    for test in _early_exit_tests(block, child):
        guard = _isinstance_guard(test, params) if params else ""
        if guard:
            found += ("not" + guard,)
        if flags:
            found += _flag_when(test, False, flags)
        if params and params[0] == "self":
            found += _unset_when(test, False)
        found += _switch_when(test, False, switches or {})
    return found


def flag_params(fn: cst.FunctionDef) -> Dict[str, str]:
    """Flag parameters -> the truth of their default ("T", "F", "" for none): those with a
    default of True, False or None, or annotated `bool`. A branch on one is chosen by what
    the caller passes: `set_state(..., commit=True)` never runs the dry-run `else:`."""
    params = fn.params
    out: Dict[str, str] = {}
    for p in (*params.params, *params.kwonly_params, *params.posonly_params):
        default = p.default
        name = p.name.value
        if type(default) is cst.Name and default.value in ("True", "False", "None"):
            out[name] = "T" if default.value == "True" else "F"
        elif p.annotation is not None and type(p.annotation.annotation) is cst.Name \
                and p.annotation.annotation.value == "bool":  # type: ignore[attr-defined]
            out[name] = ""
    return out


def _flag_when(test: cst.BaseExpression, branch_true: bool, flags: Dict[str, str]) -> Tuple[str, ...]:
    """`truthy:<flag>:<default>` / `falsy:...` that taking this branch of `test` needs."""
    test_type = type(test)
    if test_type is cst.Name:
        name = test.value  # type: ignore[attr-defined]
        if name in flags:
            return (f"{'truthy' if branch_true else 'falsy'}:{name}:{flags[name]}",)
        return ()
    if test_type is cst.UnaryOperation and type(test.operator) is cst.Not:  # type: ignore[attr-defined]
        return _flag_when(test.expression, not branch_true, flags)  # type: ignore[attr-defined]
    if test_type is cst.BooleanOperation:
        op = type(test.operator)  # type: ignore[attr-defined]
        if (op is cst.And and branch_true) or (op is cst.Or and not branch_true):
            return _flag_when(test.left, branch_true, flags) + _flag_when(test.right, branch_true, flags)  # type: ignore[attr-defined]
    return ()


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
    """`isa:<param>:<T1,T2>` for `isinstance(param, (T1, T2))`, and `isa:self.<attr>:<T>` for
    `isinstance(self.attr, T)` in a method (Program.ctor_attr_verdict: a receiver its caller
    builds holds what the constructor was passed)."""
    if type(test) is not cst.Call or type(test.func) is not cst.Name or test.func.value != "isinstance":  # type: ignore[attr-defined]
        return ""
    args = test.args  # type: ignore[attr-defined]
    if len(args) != 2:
        return ""
    first = args[0].value
    if type(first) is cst.Name and first.value in params:  # type: ignore[attr-defined]
        subject = first.value  # type: ignore[attr-defined]
    elif params[:1] == ("self",) and _self_attribute(first):
        subject = "self." + _self_attribute(first)
    else:
        return ""
    kinds = args[1].value
    names = [e.value for e in kinds.elements] if type(kinds) is cst.Tuple else [kinds]  # type: ignore[attr-defined]
    if not all(type(n) is cst.Name for n in names):
        return ""
    return f"isa:{subject}:{','.join(n.value for n in names)}"  # type: ignore[attr-defined]


def init_param_attrs(fn: cst.FunctionDef) -> Tuple[str, ...]:
    """What a class's `__init__` binds on its receiver: `<attr>=<param>` for an attribute bound
    once, `self.attr = param`, from a parameter the body never rebinds; `<attr>=` for one bound
    any other way (ClassSummary.init_attrs, Program.ctor_attr_verdict)."""
    from perflint.attrwrites import attribute_writes
    from perflint.ruleutil import bound_names  # ruleutil imports the context, which imports this module

    params = fn.params
    names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    if not names:
        return ()
    me = names[0]
    found: Dict[str, str] = {}
    body = {id(stmt) for stmt in getattr(fn.body, "body", ())}
    for node, parent in own_nodes(fn.body):
        node_type = type(node)
        if node_type not in (cst.Assign, cst.AnnAssign, cst.AugAssign):
            continue
        for parts, whole, value in attribute_writes(node):
            if len(parts) != 2 or parts[0] != me:
                continue
            attr = parts[1]
            # a binding under a test may leave the attribute unset: only a statement of the body itself
            given = value.value if whole and type(value) is cst.Name and value.value in names[1:] \
                and id(parent) in body else ""  # type: ignore[union-attr]
            found[attr] = given if attr not in found else ""
    if not found:
        return ()
    rebound = bound_names(fn, params=False)
    return tuple(f"{attr}={'' if given in rebound else given}" for attr, given in found.items())


# Methods of a query over one model class that hand back a query over the same rows
# (SQLAlchemy's Query, Django's QuerySet): iterating the result yields instances of the class.
_ROW_QUERY_METHODS = frozenset({
    "filter", "filter_by", "exclude", "join", "outerjoin", "order_by", "options", "distinct", "limit",
    "offset", "select_related", "prefetch_related", "only", "defer", "using", "select_for_update",
    "with_for_update", "execution_options", "all", "iterator", "reverse",
})


def rows_class(value: cst.BaseExpression) -> str:
    """The model class, as written, whose instances a query visibly yields: `<session>.query(
    Slice)` (one mapped class, not a column) through query methods to `.all()` (SQLAlchemy),
    or `Order.objects` through query methods (Django); "" for anything else."""
    if type(value) is not cst.Call or type(value.func) is not cst.Attribute:  # type: ignore[attr-defined]
        return ""
    made, django = _query_over(value)
    return made if django or value.func.attr.value == "all" else ""  # type: ignore[attr-defined]


def _query_over(value: cst.BaseExpression) -> Tuple[str, bool]:
    """(the class a query is over, whether it is Django's) for `<session>.query(C)` and
    `C.objects`, through query methods (_ROW_QUERY_METHODS); ("", False) for anything else."""
    while type(value) is cst.Call and type(value.func) is cst.Attribute:  # type: ignore[attr-defined]
        method = value.func.attr.value  # type: ignore[attr-defined]
        if method == "query":
            args = value.args  # type: ignore[attr-defined]
            owner = dotted_text(value.func.value) or ""  # type: ignore[attr-defined]
            if len(args) != 1 or args[0].keyword is not None or args[0].star \
                    or "session" not in owner.rpartition(".")[2].lower():
                return "", False
            text = dotted_text(args[0].value)
            return (text, False) if text and text.rpartition(".")[2][:1].isupper() else ("", False)
        if method not in _ROW_QUERY_METHODS:
            return "", False
        value = value.func.value  # type: ignore[attr-defined]
    if type(value) is cst.Attribute and value.attr.value == "objects":  # type: ignore[attr-defined]
        text = dotted_text(value.value)  # type: ignore[attr-defined]
        return (text, True) if text and text.rpartition(".")[2][:1].isupper() else ("", False)
    return "", False


def element_attrs(cls: cst.ClassDef) -> Dict[str, str]:
    """Attributes of a class's instances whose every binding in its methods (and its body) is
    an empty display or rows of one model class (rows_class), and which nothing there fills in
    place or rebinds otherwise: `self._charts: list[Slice] = []` in `__init__`, then
    `self._charts = db.session.query(Slice)...all()`; a loop over `self._charts` takes out
    instances of that class. Only this class's own code is read."""
    from perflint.attrwrites import attribute_writes

    classes: Dict[str, str] = {}

    def note(attr: str, made: str) -> None:
        if made:
            classes[attr] = made if classes.get(attr, "") in ("", made) else "?"
        else:
            classes.setdefault(attr, "")

    for stmt in cls.body.body:  # type: ignore[attr-defined]
        if type(stmt) is cst.SimpleStatementLine:
            for small in stmt.body:
                if type(small) in (cst.Assign, cst.AnnAssign) and getattr(small, "value", None) is not None:
                    for target in ([t.target for t in small.targets] if type(small) is cst.Assign else [small.target]):  # type: ignore[attr-defined]
                        if type(target) is cst.Name:
                            note(target.value, "" if _empty_display(small.value) else "?")  # type: ignore[attr-defined]
            continue
        if type(stmt) is not cst.FunctionDef:
            continue
        params = stmt.params
        first = next(iter((*params.posonly_params, *params.params)), None)
        if first is None:
            continue
        me = first.name.value
        for node, _ in own_nodes(stmt.body):
            node_type = type(node)
            if node_type not in (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Del, cst.Call):
                continue
            for parts, whole, value in attribute_writes(node):
                if len(parts) != 2 or parts[0] != me:
                    continue
                if node_type is cst.AnnAssign:
                    value = node.value  # type: ignore[attr-defined]
                    if value is None:
                        continue  # a declaration binds nothing
                elif not whole:
                    note(parts[1], "?")
                    continue
                note(parts[1], "" if _empty_display(value) else rows_class(value) or "?")  # type: ignore[arg-type]
    return {attr: made for attr, made in classes.items() if made and made != "?"}


def _empty_display(value: Optional[cst.BaseExpression]) -> bool:
    return type(value) in (cst.List, cst.Tuple, cst.Set, cst.Dict) and not value.elements  # type: ignore[union-attr]


def element_locals(fn: cst.FunctionDef) -> Dict[str, str]:
    """Locals of `fn` whose every binding is an empty display or rows of one model class
    (rows_class): `slices: list[Slice] = []`, then `slices = db.session.query(Slice)...all()`.
    Never a parameter or bound otherwise, and never filled in place (`slices.append(x)`):
    whatever a loop over one takes out is an instance of that class."""
    from perflint.attrwrites import MUTATORS
    from perflint.ruleutil import _BINDING_TYPES, target_names  # ruleutil imports the context, which imports this module

    classes: Dict[str, str] = {}
    other = set()
    for node, _ in own_nodes(fn.body):
        node_type = type(node)
        if node_type is cst.Assign and len(node.targets) == 1 and type(node.targets[0].target) is cst.Name:  # type: ignore[attr-defined]
            name, value = node.targets[0].target.value, node.value  # type: ignore[attr-defined]
        elif node_type is cst.AnnAssign and type(node.target) is cst.Name and node.value is not None:  # type: ignore[attr-defined]
            name, value = node.target.value, node.value  # type: ignore[attr-defined]
        else:
            if node_type is cst.Call and type(node.func) is cst.Attribute and type(node.func.value) is cst.Name \
                    and node.func.attr.value in MUTATORS:  # type: ignore[attr-defined]
                other.add(node.func.value.value)  # type: ignore[attr-defined]
            elif node_type in _BINDING_TYPES and node_type is not cst.AnnAssign:
                targets = [t.target for t in node.targets] if node_type is cst.Assign else [  # type: ignore[attr-defined]
                    node.name if node_type is cst.AsName else node.target]  # type: ignore[attr-defined]
                for target in targets:
                    target_names(target, other)
            continue
        made = "" if _empty_display(value) else rows_class(value) or "?"
        if made:
            classes[name] = made if classes.get(name, "") in ("", made) else "?"
        else:
            classes.setdefault(name, "")
    params = fn.params
    other.update(p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params))
    return {name: made for name, made in classes.items() if made and made != "?" and name not in other}



def argument_types(node: cst.Call, range_targets: Sequence[str]) -> Tuple[str, ...]:
    """The type of each positional argument when the call shows it ("" when it does not):
    literals, `len()`, the index of a `for i in range(...)` loop around the call, and a list,
    tuple or set display with its size (`list#1` for `[bug]`)."""
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
        elif value_type in _DISPLAYS and not any(type(e) in (cst.StarredElement,) for e in value.elements):  # type: ignore[attr-defined]
            # `[bug]`: a list of a known size, for loops over the parameter (Program._size_loops)
            kind = f"{_DISPLAYS[value_type]}#{len(value.elements)}"  # type: ignore[attr-defined]
        out.append(kind)
    return tuple(out)


_DISPLAYS = {cst.List: "list", cst.Tuple: "tuple", cst.Set: "set"}


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


def _literal_fact(value: cst.BaseExpression) -> str:
    """"T/<type>" or "F/<type>" for a literal's truth and type, "N/NoneType" for None, "" else."""
    value_type = type(value)
    if value_type is cst.Name:
        name = value.value  # type: ignore[attr-defined]
        return {"True": "T/bool", "False": "F/bool", "None": "N/NoneType"}.get(name, "")
    if value_type is cst.Integer:
        return ("F" if value.value in ("0", "0x0") else "T") + "/int"  # type: ignore[attr-defined]
    if value_type is cst.SimpleString:
        kind = "bytes" if "b" in value.prefix.lower() else "str"  # type: ignore[attr-defined]
        return ("F" if value.value.lstrip("bBrRuU") in ('""', "''") else "T") + "/" + kind  # type: ignore[attr-defined]
    if value_type is cst.FormattedString:
        return "/str"
    if value_type in (cst.List, cst.Tuple, cst.Dict, cst.Set):
        kind = {cst.List: "list", cst.Tuple: "tuple", cst.Dict: "dict", cst.Set: "set"}[value_type]
        return ("T" if value.elements else "F") + "/" + kind  # type: ignore[attr-defined]
    return ""


def built_class(value: cst.BaseExpression) -> str:
    """The class, as written, of the object a call visibly builds: `Order(...)` (a capitalised
    name: phase 2 keeps it only when it is one of the program's classes), or `Order.objects.get(
    ...)` / `.create(...)` (a Django manager hands back an instance of its model); "" else."""
    if type(value) is not cst.Call:
        return ""
    text = dotted_text(value.func)  # type: ignore[attr-defined]
    if not text:
        return ""
    head, _, last = text.rpartition(".")
    if head.endswith(".objects") and last in ("get", "create"):
        text = head[:-8]
        last = text.rpartition(".")[2]
    return text if last[:1].isupper() else ""


def built_locals(fn: cst.FunctionDef) -> Dict[str, str]:
    """Locals of `fn` that every binding builds as an instance of one class (built_class):
    `order = Order.objects.get(pk=pk)`, never a parameter, a loop target or bound otherwise.
    Whichever binding reaches a call that passes one, the callee gets that class's instance."""
    from perflint.ruleutil import bound_names  # ruleutil imports the context, which imports this module

    classes: Dict[str, str] = {}
    for node, _ in own_nodes(fn.body):
        if type(node) is cst.Assign and len(node.targets) == 1 and type(node.targets[0].target) is cst.Name:  # type: ignore[attr-defined]
            name = node.targets[0].target.value  # type: ignore[attr-defined]
            made = built_class(node.value)  # type: ignore[attr-defined]
            classes[name] = made if classes.get(name, made) == made else ""
    if not any(classes.values()):
        return {}
    other = bound_names(fn, plain=False)
    return {name: made for name, made in classes.items() if made and name not in other}


def argument_facts(node: cst.Call, params: Sequence[str], built: Optional[Dict[str, str]] = None) -> Tuple[str, ...]:
    """What a call visibly passes for the branches its callee takes on flags and types:
    `<position or keyword>=<truth>/<type>` for a literal, `=@<param>` for a parameter of the
    calling function passed on as it came (`set_state(commit=commit)`: its own callers decide),
    `=/new:<Class>` for an object the call or a local (`built`: built_locals) visibly builds."""
    out = []
    position = 0
    for arg in node.args:
        if arg.star:
            if arg.keyword is None and arg.star == "*":
                break  # positions after *args are unknown
            continue
        key = arg.keyword.value if arg.keyword is not None else str(position)
        if arg.keyword is None:
            position += 1
        value = arg.value
        if type(value) is cst.Name and value.value in params:
            out.append(f"{key}=@{value.value}")
            continue
        fact = _literal_fact(value)
        if not fact:
            made = built.get(value.value, "") if built and type(value) is cst.Name else built_class(value)  # type: ignore[attr-defined]
            fact = f"/new:{made}" if made else ""
        if fact:
            out.append(f"{key}={fact}")
    return tuple(out)


def default_facts(params: Sequence[cst.Param]) -> Tuple[str, ...]:
    """`<name>=<fact>` (_literal_fact) for each parameter with a literal default."""
    out = []
    for param in params:
        if param.default is not None:
            fact = _literal_fact(param.default)
            if fact:
                out.append(f"{param.name.value}={fact}")
    return tuple(out)


def _left_out(passed: Tuple[int, Tuple[str, ...], bool], params: Sequence[str], name: str, bound: bool) -> bool:
    positional, keywords, star = passed
    if star or name in keywords or name not in params:
        return False
    return positional <= list(params).index(name) - (1 if bound else 0)


def fact_for(facts: Sequence[str], params: Sequence[str], name: str, bound: bool) -> Optional[str]:
    """The fact a call's `facts` give for parameter `name`, or None when it shows nothing."""
    key = name
    positional = None
    if name in params:
        index = list(params).index(name) - (1 if bound else 0)
        positional = str(index) if index >= 0 else None
    for fact in facts:
        k, _, v = fact.partition("=")
        if k == key or (positional is not None and k == positional):
            return v
    return None


# builtin types a literal is an instance of, besides its own
_LITERAL_BASES = {"bool": {"bool", "int", "object"}, "int": {"int", "object"}, "str": {"str", "object"},
                  "bytes": {"bytes", "object"}, "list": {"list", "object"}, "tuple": {"tuple", "object"},
                  "dict": {"dict", "object"}, "set": {"set", "object"}, "NoneType": {"NoneType", "object"}}
_BUILTIN_TYPES = set().union(*_LITERAL_BASES.values()) | {"float", "frozenset", "bytearray", "slice", "type"}


def flag_verdict(facts: Sequence[str], passed: Tuple[int, Tuple[str, ...], bool], params: Sequence[str],
                 guard: str, bound: bool, defaults: Sequence[str] = ()) -> Union[bool, str]:
    """Whether a call may satisfy a `truthy:`, `falsy:`, `notisa:` or `isa:` guard: True, False,
    "@<param>" when it passes on a parameter of its own (its callers decide), or "new:<Class>"
    when it passes an object it builds (the program's classes decide: Program.built_instance).
    A parameter left out has its default (`defaults`: FunctionSummary.default_facts): pretix's
    `_cancel_order(pk, user)` leaves `device=None`, so `if isinstance(device, int):` loads none."""
    kind, name, rest = guard.split(":", 2)
    fact = fact_for(facts, params, name, bound)
    if fact is None and kind in ("isa", "notisa") and defaults and _left_out(passed, params, name, bound):
        fact = next((d.partition("=")[2] for d in defaults if d.partition("=")[0] == name), None)
    if fact is None:
        if kind in ("truthy", "falsy") and rest in ("T", "F") and _left_out(passed, params, name, bound):
            return (rest == "T") == (kind == "truthy")  # left at its default: its truth decides
        return True
    if fact.startswith("@"):
        return fact
    if fact.startswith("/new:"):  # an object the caller builds: its class decides (Program.built_instance)
        return True if kind in ("truthy", "falsy") else fact[1:]
    truth, _, literal_type = fact.partition("/")
    if kind == "truthy":
        return truth != "F" and truth != "N" if truth else True
    if kind == "falsy":
        return truth in ("F", "N") if truth else True
    wanted = set(rest.split(","))
    if not literal_type or not wanted <= _BUILTIN_TYPES:
        if literal_type == "NoneType" and kind == "isa":
            return "NoneType" in wanted or "object" in wanted  # None is an instance of no class of the code
        return True
    is_instance = bool(_LITERAL_BASES.get(literal_type, {literal_type}) & wanted)
    return is_instance if kind == "isa" else not is_instance
