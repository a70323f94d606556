"""Phase 2: what the program's callers pass for a parameter, read from their call sites.

The value flow (valueflow.py) says which functions and classes a parameter may hold; it
keeps every value from outside the program as one anonymous `("X",)`. Some rules need more
than that of a parameter the function under them calls or hands on: which external function
it is (`make_request(requests.get, ...)`: PFL403), or whether it is the same object on every
call (a schema held by a module: PFL106; a record table an object sets once: PFL202). Both
are read here from each caller's argument as written, through the caller's imports, and
through parameters passed on as they came (up to MAX_DEPTH callers up).

Every answer is about the callers the call graph knows: a public function its users call
with something else is judged by the program's own calls, as the rest of phase 2 is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Set, Tuple

from perflint.summary import MODULE_SCOPE, CallSite, ModuleSummary

if TYPE_CHECKING:  # pragma: no cover
    from perflint.callgraph import Program

MAX_DEPTH = 3  # callers up a parameter is followed when passed on as it came

# What one argument is: ("expr", module, value expression) when the call site modelled it,
# ("fact", module, fact) for a literal (guards.argument_facts: "T/dict", "F/str", ...).
Argument = Tuple[str, ModuleSummary, object]


def arguments_for(program: "Program", fid: str, param: str) -> Optional[List[Argument]]:
    """What each caller of `fid` passes for `param`, from every call the graph links that is
    not in tests, not cold and not a recursive call; None when a caller's argument cannot be
    read (left to its default, passed through *args or **kwargs) or no caller passes one."""
    entry = program.functions.get(fid)
    if entry is None or param not in entry[1].params:
        return None
    fn = entry[1]
    out: List[Argument] = []
    for edge in program.callers.get(fid, ()):
        if edge.caller == fid or edge.site.cold:
            continue
        mod = program.functions[edge.caller][0]
        found = site_argument(program, mod, edge.site, fid, fn, param)
        if found is None:
            return None
        out.append(found)
    return out or None


def site_argument(program: "Program", mod: ModuleSummary, site: CallSite, fid: str, fn, param: str) -> Optional[Argument]:
    """The argument a call site passes for `param` of `fid`, None when it cannot be read
    (a callback handed to a scheduler: the site's own arguments are not its)."""
    calls = [bound for callee, bound in program.flow.site_callables(mod, site) if callee == fid]
    if not calls:
        return None
    keys = {param}
    index = fn.params.index(param)
    if calls[0] and fn.cls and "staticmethod" not in fn.decorators:
        index -= 1  # the receiver takes the first parameter
    if 0 <= index < fn.positional:
        keys.add(str(index))
    for name, expr in site.kwargs:
        if name == param:
            return ("expr", mod, expr)
    for fact in site.arg_facts:
        key, _, value = fact.partition("=")
        if key in keys and not value.startswith(("@", "/new:")):
            return ("fact", mod, value)
    if str(index) in keys and index < len(site.args) and site.args[index] is not None:
        return ("expr", mod, site.args[index])
    return None


def _scope_of_name(mod: ModuleSummary, scope: str, name: str) -> Optional[str]:
    """The function scope that binds `name` as read in `scope`, or None for a module-level
    (or imported, or builtin) name."""
    while scope and scope != MODULE_SCOPE:
        if scope in mod.functions and name in mod.local_names.get(scope, ()):
            return scope
        scope = scope.rpartition(".")[0]
    return None


def _forwarded(program: "Program", mod: ModuleSummary, scope: str, name: str) -> Optional[str]:
    """The function id when `name`, read in `scope`, is a parameter of that function that it
    never rebinds: its own callers decide what it holds."""
    fn = mod.functions.get(scope)
    if fn is None or name not in fn.params:
        return None
    bindings = mod.bindings.get(scope, {}).get(name, ())
    if any(expr[0] not in ("ann", "S", "self", "cls") for expr in bindings):
        return None  # rebound in the body (an annotation alone binds nothing)
    return f"{mod.module}.{scope}"


def external_names(program: "Program", fid: str, param: str) -> Optional[Set[str]]:
    """The dotted names of functions from outside the program (`requests.get`) that every
    caller passes for `param`; None when some caller passes anything else."""
    return _collect(program, fid, param, _external_name, set(), 0)


def passes_fixed(program: "Program", fid: str, param: str) -> bool:
    """Whether every caller passes for `param` an object fixed for the process: a literal
    display, a module-level name or an attribute of one (`SCHEMA`, `schema` loaded at import,
    `schemas.REQUEST`), or a parameter of its own that its callers pass so."""
    return _collect(program, fid, param, _fixed, set(), 0) is not None


def passes_kept(program: "Program", fid: str, param: str) -> bool:
    """Whether every caller passes for `param` an object the program keeps between calls:
    what `passes_fixed` accepts, or an attribute of the caller's own receiver (`self.table`,
    `self._mappings.frame`), which lives as long as that object does; not a local the caller
    builds per call."""
    return _collect(program, fid, param, _kept, set(), 0) is not None


def passes_settled(program: "Program", fid: str, param: str) -> bool:
    """Whether every caller passes for `param` a value that stays the same between its calls:
    what `passes_fixed` accepts, a str or bytes literal, or an attribute of the caller's own
    receiver (`self.sprite_format`) that the whole program binds once per object
    (Program.attr_set_once: in an `__init__` or a class body, and nothing changes it); not a
    local the caller builds per call, nor an attribute another method may rebind."""
    return _collect(program, fid, param, _settled, set(), 0) is not None


def _collect(program: "Program", fid: str, param: str, judge: Callable, seen: Set[Tuple[str, str]],
             depth: int) -> Optional[Set[str]]:
    """The union of what `judge` says of every caller's argument (a set of names, empty for
    a plain yes); None as soon as one argument fails or cannot be read."""
    if (fid, param) in seen or depth > MAX_DEPTH:
        return None
    seen.add((fid, param))
    arguments = arguments_for(program, fid, param)
    if arguments is None:
        return None
    out: Set[str] = set()
    for kind, mod, value in arguments:
        if kind == "expr" and value[0] == "n":  # type: ignore[index]
            _, scope, name = value  # type: ignore[misc]
            owner = _scope_of_name(mod, scope, name)
            if owner is not None:
                forwarded = _forwarded(program, mod, owner, name)
                if forwarded is None:
                    return None
                found = _collect(program, forwarded, name, judge, seen, depth + 1)
                if found is None:
                    return None
                out |= found
                continue
        found = judge(program, kind, mod, value)
        if found is None:
            return None
        out |= found
    return out


def _dotted_global(program: "Program", mod: ModuleSummary, expr: tuple, depth: int = 0) -> Optional[str]:
    """The dotted name an expression of module-level names and attributes stands for through
    the module's imports (`requests.get`, `get` imported from requests); None for a local or
    anything else. A module-level alias (`GET = requests.get`) is followed."""
    if depth > 4:
        return None
    kind = expr[0]
    if kind == "a":
        base = _dotted_global(program, mod, expr[1], depth + 1)
        return f"{base}.{expr[2]}" if base is not None else None
    if kind != "n" or _scope_of_name(mod, expr[1], expr[2]) is not None:
        return None
    name = expr[2]
    target = mod.imports.get(name)
    if target is not None:
        return target
    bound = mod.bindings.get(MODULE_SCOPE, {}).get(name, ())
    if len(bound) == 1:
        return _dotted_global(program, mod, bound[0], depth + 1)
    return None


def _external_name(program: "Program", kind: str, mod: ModuleSummary, value) -> Optional[Set[str]]:
    if kind != "expr":
        return None
    dotted = _dotted_global(program, mod, value)
    if dotted is None or program.resolve_dotted(dotted) is not None:
        return None  # not a name, or one of the program's own
    head = dotted.split(".")[0]
    if program.module(head) is not None:
        return None  # a name of the program's own package that did not resolve: unknown
    return {dotted}


def _fixed(program: "Program", kind: str, mod: ModuleSummary, value) -> Optional[Set[str]]:
    if kind == "fact":
        # a literal display written at the call (`{"type": "object"}`): the same each time
        return set() if isinstance(value, str) and value.endswith(("/dict", "/list", "/tuple")) else None
    expr = value
    if expr[0] == "a":
        # `schemas.REQUEST`, `Config.SCHEMA`: a constant of a module of the program or of a
        # module-level name; not `request.json` (a framework's per-request proxy imported by name)
        dotted = _dotted_global(program, mod, expr)
        if dotted is None or not (expr[2].isupper() or program.module(dotted.rpartition(".")[0]) is not None):
            return None
        return set()
    if expr[0] == "n" and _scope_of_name(mod, expr[1], expr[2]) is None:
        return set()  # a module-level name (or an import): bound once, when the module loads
    return None


def _kept(program: "Program", kind: str, mod: ModuleSummary, value) -> Optional[Set[str]]:
    found = _fixed(program, kind, mod, value)
    if found is not None or kind != "expr":
        return found
    expr = value
    while expr[0] == "a":
        expr = expr[1]
    if expr[0] != "n" or expr is value:
        return None
    _, scope, name = expr
    fn = mod.functions.get(scope)
    if fn is not None and fn.cls and fn.params and fn.params[0] == name and "staticmethod" not in fn.decorators:
        bindings = mod.bindings.get(scope, {}).get(name, ())
        if not any(b[0] not in ("ann", "S", "self", "cls") for b in bindings):
            return set()  # self.<attr>...: kept on the caller's object
    return None


def _settled(program: "Program", kind: str, mod: ModuleSummary, value) -> Optional[Set[str]]:
    if kind == "fact":
        # a literal written at the call; not an f-string ("/str" without its truth)
        if isinstance(value, str) and value[:2] in ("T/", "F/") and value.endswith(("/str", "/bytes")):
            return set()
        return _fixed(program, kind, mod, value)
    found = _fixed(program, kind, mod, value)
    if found is not None:
        return found
    expr = value
    if expr[0] != "a" or expr[1][0] != "n":
        return None
    _, scope, name = expr[1]
    fn = mod.functions.get(scope)
    if fn is None or not fn.cls or fn.params[:1] != (name,) or "staticmethod" in fn.decorators:
        return None  # not the method's own receiver
    bindings = mod.bindings.get(scope, {}).get(name, ())
    if any(b[0] not in ("ann", "S", "self", "cls") for b in bindings):
        return None  # the receiver's name rebound in the method
    return set() if program.attr_set_once(expr[2]) else None


# Reads that keep a value a part of what they read: `v.strip()`, `table.items()`, `row.get(k)`.
_PART_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "casefold", "items", "values", "keys",
                           "get", "copy"})
MAX_LOCAL_HOPS = 4  # local names followed within one function, binding to binding


def passes_table_entry(program: "Program", fid: str, param: str) -> bool:
    """Whether every caller passes for `param` a part of a table that stays the same while a
    loop reads it again and again: what it passes is, through str methods, subscripts, loops
    over the table or its items and locals bound so (`v.strip()` of `for k, v in
    template.items()`), part of a parameter its own callers pass so, or of a value that
    `passes_settled` accepts (a module-level name, an attribute of the caller's receiver bound
    once per object) that a caller hands as it is to a call inside a loop
    (`self.fill(self.template, entry)` for each entry): that loop walks the same table, and
    hands on the same few texts, on every pass. A table read in a loop over itself is not
    enough (each pass reads another entry), nor is a value read from the loop's item."""
    return _table_entry(program, fid, param, {}, 0)


def _table_entry(program: "Program", fid: str, param: str, seen: Dict[Tuple[str, str], bool], depth: int) -> bool:
    """passes_table_entry, with the answers found so far (False while one is being found: a
    cycle answers no)."""
    key = (fid, param)
    if key in seen:
        return seen[key]
    if depth > MAX_DEPTH:
        return False
    seen[key] = False
    seen[key] = answer = _table_entry_callers(program, fid, param, seen, depth)
    return answer


def _table_entry_callers(program: "Program", fid: str, param: str, seen: Dict[Tuple[str, str], bool],
                         depth: int) -> bool:
    entry = program.functions.get(fid)
    if entry is None or param not in entry[1].params:
        return False
    fn = entry[1]
    callers = 0
    for edge in program.callers.get(fid, ()):
        if edge.caller == fid or edge.site.cold:
            continue  # the recursive walk hands on parts of what its first call was given
        mod, caller = program.functions[edge.caller]
        if fn.cls and caller.cls and caller.name == fn.name and caller.params \
                and edge.site.text == f"{caller.params[0]}.{fn.name}":
            continue  # the same walk through an override (a base class's method calling self.<name>)
        found = site_argument(program, mod, edge.site, fid, fn, param)
        if found is None:
            return False
        kind, _, value = found
        if kind == "fact":
            if _settled(program, kind, mod, value) is None:
                return False
        elif not _part_of_table(program, mod, value, bool(program.edge_loops(edge)), seen, depth, 0):
            return False
        callers += 1
    return callers > 0


def _part_of_table(program: "Program", mod: ModuleSummary, expr: tuple, in_loop: bool,
                   seen: Dict[Tuple[str, str], bool], depth: int, hops: int) -> bool:
    """Whether `expr` is a part of a table handed on as `passes_table_entry` says; `in_loop`:
    the expression is a call's argument as written, at a call inside a loop of its caller."""
    while True:
        kind = expr[0]
        if kind == "c" and expr[1] is not None and expr[1][0] == "a" and expr[1][2] in _PART_METHODS:
            expr = expr[1][1]
        elif kind == "i" and expr[1] is not None:
            expr = expr[1]
        elif kind == "u" and expr[1] is not None:
            expr = expr[1]
        else:
            break
    if kind == "n":
        _, scope, name = expr
        owner = _scope_of_name(mod, scope, name)
        if owner is None:
            return in_loop and hops == 0 and _fixed(program, "expr", mod, expr) is not None
        forwarded = _forwarded(program, mod, owner, name)
        if forwarded is not None:
            return _table_entry(program, forwarded, name, seen, depth + 1)
        if name in mod.functions[owner].params:
            return False  # a parameter rebound in the body: what its callers pass is not followed
        bindings = mod.bindings.get(owner, {}).get(name, ())
        if not bindings or hops >= MAX_LOCAL_HOPS:
            return False
        # a local bound from the table (a loop over it): the loop here walks it, it repeats nothing
        return all(_part_of_table(program, mod, bound, False, seen, depth, hops + 1) for bound in bindings)
    if kind == "a":
        return in_loop and hops == 0 and _settled(program, "expr", mod, expr) is not None
    return False
