"""Phase 2 values: a fixed point over what names hold, binding parameters from call sites."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, AbstractSet, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from perflint.summary import MODULE_SCOPE, CallSite, FunctionSummary, ModuleSummary

if TYPE_CHECKING:  # pragma: no cover
    from perflint.callgraph import Program

# A value set larger than this says nothing useful: no edge is drawn from it, and a false
# edge from a loop would inflate heat a hundredfold.
MAX_VALUES = 4
# ... except a set of classes alone, up to this many: a table of classes picked per kind
# (`klass = HANDLERS[kind]; klass(x, factory=self)`) is called through the few `__init__`s
# its classes share (callables() still returns at most MAX_VALUES functions), and what the
# call binds there is exact. Any other value merged in, or more classes, is too many; and an
# attribute read on more than MAX_VALUES classes is unknown, as before. So is a set of instances
# alone (outside objects beside them allowed: a builtin copy of a container), up to this many:
# an element of a container of the program's instances (`for t in self.types: t.test(v)`)
# reads a method through them only when they descend from one class of the program that
# declares it (ValueFlow.family_member); callables() and other attribute reads still take at
# most MAX_VALUES.
MAX_CLASSES = 8
# Rounds of the fixed point: a bound, not a budget. Each round binds what the previous one
# found, one call hop at a time where callers sort after their callees. Twisted, Django and
# Salt settle in 7, the standard library in 11; rounds that late cost milliseconds. Six, the
# old bound, stopped all four short of the fixed point.
MAX_ROUNDS = 20
EMPTY: FrozenSet[tuple] = frozenset()
# Something from outside the program (a builtin, an imported library's object): it calls
# nothing of ours, and it must not be taken for one of our classes by its method names.
EXTERNAL: FrozenSet[tuple] = frozenset({("X",)})
_BUILTINS = frozenset(dir(builtins))
Values = Optional[FrozenSet[tuple]]  # None: too many to say (top)
_MISSING = object()
# The middle of a module_name() key, (module, _GLOBAL, name): a name() key's middle is a scope
# (a string), so the two never meet.
_GLOBAL = object()
_NO_PARAMS: Dict[str, Values] = {}
_NO_BINDINGS: Dict[str, List[tuple]] = {}
_NO_CLASSES: FrozenSet[str] = frozenset()
# Expressions whose value is built from the expression alone (`pure` from the first evaluation)
_LITERAL_KINDS = frozenset({"f", "lam", "self", "cls", "new"})

# Methods of a lazy query object (Django's QuerySet) that hand back another query object.
_QUERY_METHODS = frozenset({
    "all", "filter", "exclude", "order_by", "select_related", "prefetch_related", "distinct",
    "annotate", "only", "defer", "using", "iterator", "reverse", "select_for_update", "none",
})
# Methods of a container display or comprehension (a dict, list, tuple or set the program
# builds, the "S" and "L" values) that hand back what it holds: an element (`d.get(k)`,
# `d.pop(k)`, `d.setdefault(k, v)`), the same elements (`d.values()`, `d.copy()`), pairs of a
# key and an element (`d.items()`). `self._converters.get(enc).load(x)` then reaches the
# `load` of each class whose instances the dict was built from.
_CONTAINER_ELEMENT = frozenset({"get", "pop", "setdefault", "__getitem__"})
_CONTAINER_SAME = frozenset({"values", "copy"})
_CONTAINER_PAIRS = frozenset({"items"})
# Bases from outside the program whose instances iterate over what the constructor is given and
# what is appended (a list or tuple subclass, `SelectorList(list)`), as written; a generic base
# (`Rows(typing.List[Row])`) is ClassSummary.held.
_SEQUENCE_BASES = frozenset({"list", "tuple", "List", "Tuple", "typing.List", "typing.Tuple", "UserList",
                             "collections.UserList"})
# Methods of such an instance that put an argument in (append, insert: the argument itself) or
# its elements (extend).
_SEQUENCE_ADD = {"append": (0, False), "insert": (1, False), "extend": (0, True)}
# Rounds of reading what the program puts in its sequence classes: contents built from another
# sequence class's elements (`Rows(r for r in self)`) need a second.
_HELD_ROUNDS = 3
PROPERTY_DECORATORS = ("property", "functools.cached_property", "cached_property")
_STATIC = ("staticmethod",)

# Abstract values:
#   ("F", fid) a function; ("B", fid) a method bound to its instance; ("C", cid, sub) a class;
#   ("I", cid, sub) an instance (sub: or of a subclass); ("M", module); ("L", (values, ...))
#   a tuple/list by position; ("S", values) a container; ("lam", module, call) a lambda;
#   ("QS", cid) a lazy query over a model class; ("QM", cid) one of its methods;
#   ("CM", container, name) a method of a container value (`d.get`, `d.values`);
#   ("X",) something from outside the program.


def union(parts: Iterable[Values]) -> Values:
    result: FrozenSet[tuple] = EMPTY
    for part in parts:
        if part is None:
            return None
        if not part or part is result:
            continue
        if not result:
            result = part
        elif not part <= result:
            result = result | part
        if len(result) > MAX_VALUES and _too_many(result):  # the length first: no call for most
            return None
    return result


# Decorators from outside the program whose call does not run the decorated body once per
# call with its arguments, by the last part of their name: caches and memoisers (a miss only),
# deferred or compiled execution (dask's and joblib's `delayed`, ray's `remote`, numba's and
# jax's `jit`, `tf.function`, `torch.compile`), overload declarations, test fixtures, and
# command-line commands (click's and typer's `command`/`group`: calling one parses sys.argv
# and exits).
_NOT_CALLED_THROUGH = frozenset({
    "delayed", "remote", "jit", "njit", "vectorize", "guvectorize", "function", "compile", "script",
    "overload", "fixture", "command", "group",
})


def external_calls_through(deco: tuple) -> bool:
    """Whether calling what a decorator from outside the program returns runs the decorated
    function (`deco`: the decorator's value expression, `("c", ...)` for a factory's call)."""
    while deco[0] == "c":
        deco = deco[1]
    if deco[0] == "a":
        name = deco[2]
    elif deco[0] in ("n", "g"):
        name = deco[-1].rpartition(".")[2]
    else:
        return False
    lowered = name.lower()
    return not ("cache" in lowered or "memo" in lowered or lowered in _NOT_CALLED_THROUGH)


def _too_many(values: FrozenSet[tuple]) -> bool:
    """Whether a set says nothing useful: more than MAX_VALUES values, unless they are
    classes alone, at most MAX_CLASSES, or instances alone (and outside objects), at most
    MAX_CLASSES instances."""
    if len(values) <= MAX_VALUES:
        return False
    if len(values) > MAX_CLASSES + 1:
        return True
    if all(v[0] == "C" for v in values):
        return len(values) > MAX_CLASSES
    return not all(v[0] == "I" or v[0] == "X" for v in values) or len(values - EXTERNAL) > MAX_CLASSES


def _wide(values: FrozenSet[tuple]) -> bool:
    """Whether a set kept by _too_many holds more than MAX_VALUES values that are not all
    classes: instances of up to MAX_CLASSES classes, which only a method they share reaches."""
    return len(values) > MAX_VALUES and not all(v[0] == "C" for v in values)


def _single(part: Values) -> Values:
    """union((part,)) without the generator: most value sets hold one value."""
    if part is None:
        return None
    if not part:
        return EMPTY
    return None if _too_many(part) else part


def _own(value: tuple) -> tuple:
    """A tuple value ("L") without the outside objects its items hold; any other value as is."""
    if value[0] != "L":
        return value
    return ("L", tuple(frozenset(v for v in item if v[0] != "X") if EXTERNAL <= item else item for item in value[1]))


# The value expressions (values.value_expr) that an expression of each kind is made of, by
# position: one table for every walk down an expression (_roots, receiver_evidence), so that a
# new kind is read the same by all of them.
_SUBEXPRESSIONS = {"a": (1,), "c": (1,), "i": (1,), "u": (1,), "lam": (1,), "app": (1,), "dec": (1, 2), "seq": (1, 3)}
_SUBEXPRESSION_LISTS = frozenset({"or", "L", "S"})  # a tuple of them at position 1 (None: unknown)


def _push_subexpressions(stack: List[tuple], expr: tuple) -> None:
    """Push what `expr` is made of (_SUBEXPRESSIONS) onto a walk's stack."""
    kind = expr[0]
    if kind in _SUBEXPRESSION_LISTS:
        stack.extend(e for e in expr[1] if e is not None)
    else:
        for i in _SUBEXPRESSIONS.get(kind, ()):
            stack.append(expr[i])


def _roots(expr: Optional[tuple]):
    """The names ("n" expressions) an expression reads, as (scope, name)."""
    stack = [expr]
    while stack:
        e = stack.pop()
        if not isinstance(e, tuple) or not e:
            continue
        if e[0] == "n":
            yield e[1], e[2]
        else:
            _push_subexpressions(stack, e)


def receiver_evidence(summary: ModuleSummary) -> None:
    """Phase 1, once a file's call sites and values are known: what of them may bind a
    method's receiver (ModuleSummary.receiver_names; read by ValueFlow._guess_bound_receivers)."""
    names: Set[str] = set()
    targets: Set[str] = set()
    handed: Set[str] = set()
    for fn in summary.functions.values():
        for site in fn.calls:
            if not site.args and not site.kwargs:
                continue  # binds nothing
            callee = site.callee
            if callee is not None and callee[0] == "a":
                base = callee[1]
                if base[0] != "n" or base[2] != "self":
                    names.add(callee[2])
            if site.target[:2] == "g:":
                targets.add(site.target)
            for arg in site.args:
                if arg is not None:
                    kind = arg[0]
                    if kind == "a":
                        base = arg[1]
                        if base[0] != "n" or base[2] != "self":
                            names.add(arg[2])
                    elif kind == "f":
                        handed.add(arg[1])
            for _, arg in site.kwargs:
                if arg[0] == "a":
                    names.add(arg[2])
                elif arg[0] == "f":
                    handed.add(arg[1])
    # an unbound method stored for later (`self.extract = fn or Counter.whole_line`, then
    # `self.extract(self, line)`): attributes of anything but `self` in stored values
    stack: List[tuple] = []
    for table in (summary.bindings, summary.class_attrs, summary.inst_attrs):
        for values in table.values():
            for exprs in values.values():
                stack.extend(exprs)
    for exprs in summary.returns.values():
        stack.extend(exprs)
    while stack:
        expr = stack.pop()
        kind = expr[0]
        if kind == "a":
            base = expr[1]
            if base[0] != "n" or base[2] != "self":
                names.add(expr[2])
        _push_subexpressions(stack, expr)
    summary.receiver_names = frozenset(names)
    summary.receiver_targets = frozenset(targets)
    summary.receiver_functions = frozenset(handed)


class _ReceiverBound(Exception):
    """A call bound a receiver that ValueFlow._guess_bound_receivers took for unbound."""


class ValueFlow:
    """What every value expression of the program can hold, and the calls it makes."""

    def __init__(self, program: "Program") -> None:
        self.p = program
        self.param_in: Dict[str, Dict[str, Values]] = {}
        # Evaluated expressions by id: every expression is an object of a summary the program
        # holds, and hashing a nested tuple on each lookup cost more than the evaluation.
        self.memo: Dict[object, Values] = {}
        # Evaluations that read no bound parameter and no unfinished evaluation (a cycle's
        # placeholder), directly or through what they read: they depend on the program alone,
        # so their values hold in every round of the fixed point and after it. A round starts
        # with an empty `memo` but keeps `pure`: the rounds after the first re-read mostly
        # imports, classes and methods, and would otherwise evaluate them again each time.
        self.pure: Dict[object, Values] = {}
        self._retired: List[Dict[object, Values]] = []  # _retire
        # Lambdas whose call is being evaluated: a lambda handed back into the parameter its
        # body calls (`f = convert(f)` returning `lambda r: f(**r)`) holds itself
        self._calling: Set[tuple] = set()
        self._dirty = False  # the evaluation under way read a parameter or an unfinished one
        # Methods whose receiver (`self`, `cls`) some call may bind: only an unbound call does
        # (`Base.__init__(self)`, a function value of the method called with arguments), and
        # most methods never get one. The others' receivers are read as plain locals (their
        # one binding, the class), so what reads them is kept across rounds like any pure value.
        self._bound_self: Set[str] = set()
        self._bound_names: Set[str] = set()  # ... or every method of one of these names
        self._speculate = True  # off when a guess proved wrong (solve starts again without)
        self._subclasses: Optional[Dict[str, List[str]]] = None
        self._class_targets: Dict[str, bool] = {}
        self._target_calls: Dict[str, List[Tuple[str, bool]]] = {}  # site_callables, by target
        self._self_param: Dict[str, bool] = {}
        self._bind_info: Dict[str, Tuple[FunctionSummary, Tuple[str, ...], int, bool]] = {}  # _binding_info
        self._nested: Dict[str, FrozenSet[str]] = {}  # module -> _nested_names
        self._nested_all: Optional[FrozenSet[str]] = None  # _nested_anywhere
        self._returns_params: Dict[str, bool] = {}  # function id -> _returns_param
        self._class_attr_index: Optional[Dict[str, Set[str]]] = None  # attr -> _defining
        self._metaclass_users: Optional[Dict[str, List[str]]] = None  # metaclass -> classes (made_by)
        # What the instances of the program's list and tuple subclasses hold (_read_held):
        # class id -> element values; final once read after the fixed point (held_by)
        self._held: Dict[str, Values] = {}
        self._held_final = False
        self._sequence_classes: Optional[FrozenSet[str]] = None

    # -- the fixed point ----------------------------------------------------------------
    def solve(self) -> None:
        """Bind parameters from call sites until nothing changes (bounded rounds). After the
        first round only what a change can reach is re-read: the function whose parameters
        grew, the functions nested in it, its class's methods when it stores a parameter on
        `self`, and its callers when what it returns depends on a parameter."""
        try:
            self._solve()
        except _ReceiverBound:
            # a call bound a receiver guessed unbound: what was kept from reading it is wrong.
            # Start again with every receiver a parameter (no corpus measured gets here).
            self.param_in, self.memo, self.pure = {}, {}, {}
            self._calling = set()
            self._speculate = False
            self._solve()
        self._read_held()

    # -- what the program's sequence classes hold ------------------------------------------
    def sequence_classes(self) -> FrozenSet[str]:
        """The program's classes that subclass list or tuple (typing's generic spellings and
        UserList included), directly or through a base of the program, and iterate as those
        do (no `__iter__` of the program on the way)."""
        found = self._sequence_classes
        if found is None:
            classes = self.p.classes
            direct = {cid for cid, (_, cls) in classes.items()
                      if cls.held or any(text in _SEQUENCE_BASES for text in cls.base_texts)}
            out = set()
            if direct:
                for cid in classes:
                    mro = self.p.mro(cid)
                    if any(k in direct for k in mro) and not any("__iter__" in classes[k][1].methods for k in mro):
                        out.add(cid)
            found = self._sequence_classes = frozenset(out)
        return found

    def _takes_items(self, cid: str) -> bool:
        """Whether constructing the sequence class `cid` hands its first argument to list's or
        tuple's own constructor: no `__init__` or `__new__` of the program on the way."""
        classes = self.p.classes
        return not any("__init__" in classes[k][1].methods or "__new__" in classes[k][1].methods
                       for k in self.p.mro(cid))

    def held_by(self, cid: str, subclasses: bool) -> Values:
        """What an instance of one of the program's sequence classes holds (or of a subclass,
        with `subclasses`): instances of the class its generic base names (`List[Row]`), and the
        elements of what the program constructs it from and what it appends, inserts or extends
        it with. The program's part is nothing while the fixed point runs (read after it,
        _read_held); unknown (None) when a part cannot be read."""
        classes = self.sequence_classes()
        if cid not in classes:
            return EMPTY
        held = self._held
        if not self._held_final:
            self._dirty = True  # not read to the end yet: nothing that reads this is kept as pure
        owners = [cid] + [k for k in self.subclasses(cid) if k in classes] if subclasses else [cid]
        return union([held.get(k, EMPTY) for k in owners] + [self._declared_held(k) for k in owners])

    def _declared_held(self, cid: str) -> Values:
        """Instances of the element class a generic base of `cid` (or of a base of the program)
        names, `List[Row]`: Row or a subclass."""
        for klass in self.p.mro(cid):
            held = self.p.classes[klass][1].held
            if held.startswith("g:"):
                resolved = self.p.resolve_dotted(held[2:])
                if resolved is not None and resolved[0] == "class":
                    return frozenset({("I", resolved[1], True)})
        return EMPTY

    def _read_held(self) -> None:
        """What the program puts in its sequence classes (held_by), read once the parameters
        are bound: the first argument of each construction (`self.selectorlist_cls(result)`,
        `self.__class__(items)`), and each `append`/`insert`/`extend` on an instance. Rounds
        until nothing changes (contents made of another one's elements), a few at most; the
        evaluations of the fixed point are dropped after (those that read contents were not
        kept as pure)."""
        classes = self.sequence_classes()
        if not classes:
            self._held_final = True
            return
        sites = [(mod, site) for _, (mod, fn) in sorted(self.p.functions.items()) if not mod.is_test
                 for site in fn.calls if site.args and site.callee is not None and site.handed is None]
        held: Dict[str, Values] = {}
        settled: Dict[str, Values] = {}  # what the sites that read no contents put in: the same each round
        for _ in range(_HELD_ROUNDS):
            self._held = held
            self._retire(self.memo)
            self.memo = {}
            found = dict(settled)
            again = []
            for mod, site in sites:
                self._dirty = False
                put = self._put_in(mod, site, classes)
                if self._dirty:
                    again.append((mod, site))  # it read contents (or a parameter): read it again
                for cid, values in put:
                    for table in (found,) if self._dirty else (found, settled):
                        old = table.get(cid, EMPTY)
                        table[cid] = None if old is None or values is None else union((old, values))
            sites = again
            if found == held:
                break
            held = found
        self._held = held
        self._held_final = True
        self._retire(self.memo)
        self.memo = {}

    def _put_in(self, mod: ModuleSummary, site: CallSite, classes: FrozenSet[str]) -> List[Tuple[str, Values]]:
        """(class id, values) for each sequence class a call site puts values in."""
        callee = site.callee
        out: List[Tuple[str, Values]] = []
        if callee[0] == "a" and callee[2] in _SEQUENCE_ADD:  # type: ignore[index]
            position, spread = _SEQUENCE_ADD[callee[2]]  # type: ignore[index]
            receiver = self.eval(mod, callee[1])  # type: ignore[index]
            owners = sorted(v[1] for v in receiver or () if v[0] == "I" and v[1] in classes)
            if owners and len(site.args) > position:
                values = self.eval(mod, site.args[position])
                if spread and values is not None:
                    values = union(self.element(v, None) for v in values)
                out.extend((cid, values) for cid in owners)
            return out
        if site.target and self._target_calls.get(site.target):
            return out  # a function of the program: no construction of a sequence class
        values = self.eval(mod, callee)
        owners = sorted(v[1] for v in values or () if v[0] == "C" and v[1] in classes and self._takes_items(v[1]))
        if owners:
            arg = self.eval(mod, site.args[0])
            items = None if arg is None else union(self.element(v, None) for v in arg)
            out.extend((cid, items) for cid in owners)
        return out

    def _solve(self) -> None:
        sites: Dict[str, List[Tuple[ModuleSummary, CallSite]]] = {}
        functions = self.p.functions
        # the call sites that pass arguments, by function (callgraph.ModuleTables: listed as
        # phase 1 delivered each summary), of the function that owns each id (a module later
        # by name claims an id another also defines); a round replaces a function's list,
        # never changes it. The order of `sites` decides nothing: rounds go by sorted ids.
        for tables in self.p.tables:
            for fid, (fn, found) in tables.arg_sites.items():
                if functions[fid][1] is fn:
                    sites[fid] = found
        related = self._related(sites)
        getter_targets = self._getter_targets(sites)
        if self._speculate:
            self._guess_bound_receivers()
        callers: Dict[str, set] = {}
        pending = set(sites)
        settled = False
        changed: Set[str] = set()
        for _ in range(MAX_ROUNDS):
            if not pending:
                settled = True
                break
            self._retire(self.memo)
            self.memo = {}
            changed = set()
            checkpoint, target_calls = self.p.checkpoint, self._target_calls
            site_callables, bind_args = self.site_callables, self._bind_args
            for fid in sorted(pending):
                checkpoint()
                again = []
                for mod, site in sites[fid]:
                    self._dirty = False
                    # most sites name their target: site_callables' cached answer, without the call
                    named = site.target
                    calls = target_calls.get(named) if named else None
                    for target, bound in calls or site_callables(mod, site):
                        found = callers.get(target)
                        if found is None:
                            callers[target] = {fid}
                        else:
                            found.add(fid)
                        if bind_args(mod, site, target, bound):
                            changed.add(target)
                    if named and named in getter_targets and (site.args or site.kwargs):
                        # `self.factory(x)`, `factory` a property: x binds what it returns
                        for target, bound in self.property_value_calls(mod, site):
                            callers.setdefault(target, set()).add(fid)
                            if bind_args(mod, site, target, bound):
                                changed.add(target)
                    if self._dirty:
                        again.append((mod, site))
                # A site whose callee and arguments read no parameter (all pure) binds the
                # same values to the same targets in every round: once is enough.
                sites[fid] = again
            pending = set()
            for target in changed:
                pending.add(target)
                pending.update(related.get(target, ()))
                if self._returns_param(target):
                    pending.update(callers.get(target, ()))
            pending.intersection_update(sites)
        if not settled or changed:
            # the last round changed what earlier evaluations read: a parameter bound after an
            # evaluation of that round read it (a method reading `self.by_kind`, which
            # `__init__` fills from a parameter through a comprehension, sorted before the
            # caller that binds the parameter), and nothing re-read it, as no function whose
            # call sites pass arguments depends on it. Linking evaluates afresh.
            self.memo = {}

    def _getter_targets(self, sites: Dict[str, List[Tuple[ModuleSummary, CallSite]]]) -> Set[str]:
        """The symbolic targets of call sites with arguments that reach a @property getter."""
        out: Set[str] = set()
        functions = self.p.functions
        for found in sites.values():
            for _, site in found:
                target = site.target
                if target and target[0] == "m" and target not in out:
                    exact = self.p.resolve_target(target)
                    if exact is not None and any(d in PROPERTY_DECORATORS for d in functions[exact][1].decorators):
                        out.add(target)
        return out

    def _returns_param(self, fid: str) -> bool:
        """Whether a function's return values may come from its parameters (what the program
        says, not the rounds: asked again each round a function's parameters grow)."""
        found = self._returns_params.get(fid)
        if found is None:
            found = self._returns_params[fid] = self._reads_params(fid)
        return found

    def _reads_params(self, fid: str) -> bool:
        mod, fn = self.p.functions[fid]
        params = set(fn.params)
        bindings = mod.bindings.get(fn.qualname, {})
        todo = list(mod.returns.get(fn.qualname, ()))
        seen: set = set()
        while todo and len(seen) < 50:
            expr = todo.pop()
            for scope, name in _roots(expr):
                if scope != fn.qualname or (scope, name) in seen:
                    continue
                seen.add((scope, name))
                if name in params:
                    return True
                todo.extend(bindings.get(name, ()))
        return False

    def _related(self, sites: Dict[str, list]) -> Dict[str, List[str]]:
        """function id -> functions with call sites that read what it binds: those nested in
        it, and its class's methods when it stores a parameter on `self`."""
        out: Dict[str, List[str]] = {}
        functions = self.p.functions
        storing = set()
        for tables in self.p.tables:
            for fid, name in tables.stored_reads:
                entry = functions.get(fid)
                if entry is not None and name in entry[1].params:
                    storing.add(fid)
        # a class's methods that store a parameter on `self`, worked out once per class (not
        # once per method of the class that has call sites)
        stores: Dict[str, List[str]] = {}
        classes = self.p.classes
        # (module, scope) -> the functions whose bindings a function defined in that scope
        # reads, worked out once per scope (a class's methods share theirs)
        readers: Dict[Tuple[str, str], List[str]] = {}
        for fid in sites:
            mod, fn = functions[fid]
            scope = fn.qualname.rpartition(".")[0]
            if not scope:
                continue
            key = (mod.module, scope)
            owners = readers.get(key)
            if owners is None:
                owners = readers[key] = []
                while scope:
                    outer = f"{mod.module}.{scope}"
                    if outer in functions:
                        owners.append(outer)
                    elif outer in classes:
                        found = stores.get(outer)
                        if found is None:
                            found = stores[outer] = [m for m in (f"{outer}.{method}" for method in classes[outer][1].methods)
                                                     if m in storing]
                        owners.extend(found)
                    scope = scope.rpartition(".")[0]
            for owner in owners:
                found = out.get(owner)
                if found is None:
                    out[owner] = [fid]
                else:
                    found.append(fid)
        return out

    def _bind_args(self, mod: ModuleSummary, site: CallSite, target: str, bound: bool) -> bool:
        info = self._bind_info.get(target)
        if info is None:
            info = self._bind_info[target] = self._binding_info(target)
        fn, params, positional, takes_self = info
        offset = 1 if bound and takes_self else 0
        changed = False
        slots = self.param_in.get(target)
        if slots is None:
            slots = self.param_in[target] = {}
        pairs: List[Tuple[str, tuple]] = []
        if site.args:
            for index, arg in enumerate(site.args, offset):
                if index >= positional:
                    break
                if arg is not None:
                    pairs.append((params[index], arg))
        for name, arg in site.kwargs:
            if name in params:
                pairs.append((name, arg))
        for name, arg in pairs:
            old = slots.get(name, EMPTY)
            if old is None:
                continue  # too many values already: nothing this argument holds can change it
            values = self.eval(mod, arg)
            if values is not None and not values:
                continue
            # union((old, values)), spelled out: it runs for every argument of every round
            if values is None:
                new = None
            elif not old:
                new = None if _too_many(values) else values
            elif values <= old:
                continue
            else:
                new = old | values
                if _too_many(new):
                    new = None
            if new != old:
                if name == params[0] and self._unbound_receiver(target, fn):
                    raise _ReceiverBound(target)
                slots[name] = new
                changed = True
        return changed

    def _binding_info(self, target: str) -> Tuple[FunctionSummary, Tuple[str, ...], int, bool]:
        """What _bind_args reads of a function: it, its parameters, how many of them a
        positional argument may fill, whether a bound call passes the instance first."""
        fn = self.p.functions[target][1]
        return fn, fn.params, fn.positional, self._takes_self(target, fn)

    def _guess_bound_receivers(self) -> None:
        """Methods whose receiver some call may bind, from what phase 1 saw of the call
        sites (receiver_evidence): an exact target named through the class
        (`Base.__init__(self)`, `Task.run(self=task)`), every method of the name of an
        attribute of something but `self` that is called with arguments, passed as one or
        stored (`self._base.write(conn, data)`, `construct(Inspector._init, bind)`,
        `self.extract = Counter.whole_line`), and functions passed as arguments (a decorator
        may call its argument unbound). Only a guess: _bind_args checks it as parameters
        are bound."""
        names, bound = self._bound_names, self._bound_self
        for tables in self.p.tables:
            bound.update(tables.receiver_functions)
        for mod in self.p.modules.values():
            if mod.is_test:
                continue  # tests bind nothing (callgraph.module_tables)
            names.update(mod.receiver_names)
            for target in mod.receiver_targets:
                if not self._names_class(target):
                    exact = self.p.resolve_target(target)
                    if exact is not None:
                        bound.add(exact)

    def _unbound_receiver(self, fid: str, fn) -> bool:
        """Whether `fid` is a method whose receiver no call binds, as far as the guess knows."""
        return (self._speculate and fid not in self._bound_self and fn.name not in self._bound_names
                and self._takes_self(fid, fn))

    def _takes_self(self, fid: str, fn) -> bool:
        """Whether a call of `fid` bound to an instance passes it as the first parameter."""
        found = self._self_param.get(fid)
        if found is None:
            found = self._self_param[fid] = bool(fn.cls) and not any(d in _STATIC for d in fn.decorators)
        return found

    # -- what a call reaches ------------------------------------------------------------
    def site_callables(self, mod: ModuleSummary, site: CallSite) -> List[Tuple[str, bool]]:
        """(function id, called bound to an instance) for each function a call may reach."""
        if site.handed is not None and not self.handed_ok(mod, site):
            return []  # the scheduler's own call, not `fn(args)`: binds nothing
        target = site.target
        if target:
            # what a symbolic target reaches depends on the target alone: once per target
            # (the list is shared: callers only read it)
            found = self._target_calls.get(target)
            if found is None:
                exact = self.p.resolve_target(target)
                # `Klass.make(x)`, `make` a classmethod: the call passes the class first
                found = self._target_calls[target] = [] if exact is None else [
                    (exact, not target.startswith("g:") or self._names_class(target)
                     or "classmethod" in self.p.functions[exact][1].decorators)]
            if found:
                return found
        callee = site.callee
        if callee is None:
            return []
        values = self.eval(mod, callee)
        if values is not None and not values and callee[0] == "a" and (site.args or site.kwargs):
            # a method called on a receiver nothing is known about, of a name that only one
            # hierarchy of the program defines: it binds their parameters (Program.by_name_family)
            return [(fid, True) for fid in self.p.by_name_family(mod, callee)]
        return self.callables(values) or []

    def property_value_calls(self, mod: ModuleSummary, site: CallSite) -> List[Tuple[str, bool]]:
        """The functions a call of a property's value reaches (`self.to_class()`, `to_class` a
        @property: the site's target is the getter, and the call then calls what the getter
        returns): what the callee expression holds (`_as_member` gives a property read the
        getter's return values) when that is a class, function or lambda of the program. Empty
        when the callee holds nothing known, or too many."""
        callee = site.callee
        if callee is None or callee[0] != "a":
            return []
        values = self.eval(mod, callee)
        if not values:
            return []
        return self.callables(frozenset(v for v in values if v[0] != "X")) or []

    def handed_ok(self, mod: ModuleSummary, site: CallSite) -> bool:
        """Whether a handed call (CallSite.handed: `executor.submit(fn, x)` as `fn(x)`) is the
        call it says: the scheduler is no object of the program (whose own method, such as a
        task runner's `map(task, parameters)`, is linked as any call is, and does with its
        arguments what its code says), and what is handed holds functions, bound methods or
        lambdas only (an object with `__call__` handed to a runner, prefect's `Task`, is run
        per the runner's own rules). Otherwise the handed function is the plain callback it
        was before (Program._handed_fallback)."""
        receiver = site.handed[0]  # type: ignore[index]
        if receiver is not None:
            held = self.eval(mod, receiver)
            if held and any(v[0] in ("I", "C", "M") for v in held):
                return False
        values = self.eval(mod, site.callee)
        if not values:
            return False
        return all(v[0] in ("F", "B", "lam", "X") for v in values) and any(v[0] != "X" for v in values)

    def from_container(self, mod: ModuleSummary, callee: tuple) -> bool:
        """Whether a call with several targets dispatches on an element of a container the
        program builds itself: the receiver (or the callee) is an item read (`table[k]`,
        `item["obj"]`, `d.get(k)`, a loop or comprehension target, an unpacked pair) and the
        evaluation read no parameter (`pure`: the set is what the program puts in that
        container, not a merge over the call sites of a function). Each call runs one of the
        targets, as an override does: an edge of kind "bounded", not a guess (call after
        eval(mod, callee))."""
        if id(callee) not in self.pure:
            return False
        return self.element_read(mod, callee[1] if callee[0] == "a" else callee)

    def element_read(self, mod: ModuleSummary, expr: tuple) -> bool:
        """Whether an expression reads an element of a container: an item read, a `get`/`pop`,
        a loop or comprehension target, an unpacked pair, or a local bound once to one."""
        for _ in range(3):
            kind = expr[0]
            if kind == "i" or kind == "u":
                return True
            if kind == "c":
                inner = expr[1]
                return inner[0] == "a" and inner[2] in _CONTAINER_ELEMENT
            if kind != "n":
                return False
            scope, name = expr[1], expr[2]
            fn = mod.functions.get(scope)
            if fn is None or name in fn.params:
                return False
            exprs = mod.bindings.get(scope, _NO_BINDINGS).get(name, ())
            if len(exprs) != 1:
                return False
            expr = exprs[0]
        return False

    def _names_class(self, target: str) -> bool:
        found = self._class_targets.get(target)
        if found is None:
            resolved = self.p.resolve_dotted(target[2:])
            found = self._class_targets[target] = resolved is not None and resolved[0] == "class"
        return found

    def callables(self, values: Values, depth: int = 0) -> Optional[List[Tuple[str, bool]]]:
        """The functions calling these values runs; None when the set is unbounded."""
        if values is None:
            return None
        if len(values) == 1:
            for value in values:
                if value[0] == "F" or value[0] == "B":  # most calls: one function
                    return [(value[1], value[0] == "B")]
        elif not values:
            return []  # a callee nothing is known about (a quarter of the calls on Twisted)
        elif _wide(values):
            return None  # more instances than MAX_VALUES: too many to call, as before
        if len(values) > 1 and not any(value[0] == "lam" for value in values):
            # Without lambdas (whose bodies are evaluated) the order matters only to a function
            # reached twice (bound and not): sort the values, by their repr, for those alone.
            out = self._callables_of(values, depth)
            if out is not None and len({fid for fid, _ in out}) == len(out):
                return None if len(out) > MAX_VALUES else sorted(out)
        # the order decides which of a function's two values (bound or not) is kept below
        out = self._callables_of(sorted(values, key=repr) if len(values) > 1 else values, depth)
        if out is None:
            return None
        seen: Dict[str, bool] = {}
        for fid, bound in out:
            seen.setdefault(fid, bound)
        if len(seen) > MAX_VALUES:
            return None
        return sorted(seen.items())

    def _callables_of(self, values: Iterable[tuple], depth: int) -> Optional[List[Tuple[str, bool]]]:
        """(function, bound) for each value in the given order: a function or bound method, a
        class's `__init__`, an instance's `__call__`, what a lambda calls (None: unbounded)."""
        out: List[Tuple[str, bool]] = []
        for value in values:
            kind = value[0]
            if kind == "F" or kind == "B":
                out.append((value[1], kind == "B"))
            elif kind == "C":
                init = self.p.lookup_method(value[1], "__init__")
                if init is not None:
                    out.append((init, True))
            elif kind == "I":
                call = self.p.lookup_method(value[1], "__call__")
                if call is not None:
                    out.append((call, True))
            elif kind == "lam" and depth < 3:
                inner = self.callables(self.eval(self.p.modules[value[1]], value[2]), depth + 1)
                if inner is None:
                    return None
                out.extend(inner)
        return out

    # -- evaluation ---------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every evaluation (the summaries they are keyed by may go away)."""
        self._retire(self.memo)
        self._retire(self.pure)
        self.memo = {}
        self.pure = {}

    def _retire(self, table: Dict[object, Values]) -> None:
        """Keep a table of evaluations no longer read alive as long as the program: freeing
        its hundred thousand value sets one by one cost 2-3% of linking Twisted, and the
        command line never frees them (cli._leave ends the process without a teardown; the
        language server frees them with the program a relink replaces)."""
        if table:
            self._retired.append(table)

    def eval(self, mod: ModuleSummary, expr: Optional[tuple]) -> Values:
        if expr is None:
            return EMPTY
        kind = expr[0]
        if kind == "n":  # memoised by name, a cycle through it included: name(), inlined
            # (a third of all evaluations read a name; the call was a tenth of their time)
            scope, name = expr[1], expr[2]
            key = (mod.module, scope, name)
            found = self.pure.get(key, _MISSING)
            if found is not _MISSING:
                return found  # type: ignore[return-value]
            memo = self.memo
            found = memo.get(key, _MISSING)
            if found is not _MISSING:
                self._dirty = True
                return found  # type: ignore[return-value]
            memo[key] = EMPTY
            outer, self._dirty = self._dirty, False
            result = self._name(mod, scope, name)
            # every lookup asks `pure` first: a pure value goes there alone, and the
            # placeholder left in `memo` is never read again
            if self._dirty:
                memo[key] = result
            else:
                self.pure[key] = result
                self._dirty = outer
            return result
        key = id(expr)
        found = self.pure.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        if kind in _LITERAL_KINDS:  # reads nothing
            found = self.pure[key] = self._eval(mod, expr)
            return found  # type: ignore[return-value]
        memo = self.memo
        found = memo.get(key, _MISSING)
        if found is not _MISSING:
            self._dirty = True
            return found  # type: ignore[return-value]
        memo[key] = EMPTY  # a cycle (x = x.next) reads nothing new
        outer, self._dirty = self._dirty, False
        result = self._eval(mod, expr)
        # `pure` when it read nothing that a round or a cycle changes; else the caller read
        # this, so it is not pure either (the flag stays up)
        if self._dirty:
            memo[key] = result
        else:
            self.pure[key] = result
            self._dirty = outer
        return result

    def _eval(self, mod: ModuleSummary, expr: tuple) -> Values:
        kind = expr[0]
        if kind == "n":
            return self.name(mod, expr[1], expr[2])
        # union() stops at the first unbounded part; with one value there is no later one
        if kind == "a":
            base = self.eval(mod, expr[1])
            if base is None:
                return None
            if len(base) > MAX_VALUES:
                # a table of more classes than MAX_VALUES (kept up to MAX_CLASSES for calling,
                # _too_many) is too many to say what each holds under a name (weblate's profile
                # forms, seven classes iterated for the one that defines `audit`); an element
                # of a container of instances of one family, a method their common base
                # declares (family_member). Not what a call returns: a merge of the classes a
                # factory builds (openapi-core's node builder) would link a guessed recursion.
                return self.family_member(base, expr[2]) if self.element_read(mod, expr[1]) else None
            if len(base) == 1:
                for v in base:
                    if v[0] == "I" and expr[2] != "__class__":  # attribute(v), for the commonest receiver
                        return _single(self.member(v[1], expr[2], instance=True, subclasses=v[2]))
                    return _single(self.attribute(v, expr[2]))
            return union(self.attribute(v, expr[2]) for v in base)
        if kind == "c":
            func = self.eval(mod, expr[1])
            if func is None or _wide(func):
                return None  # calling one of more instances than MAX_VALUES: unknown, as before
            if len(func) == 1:
                for v in func:
                    return _single(self.call_result(v))
            return union(self.call_result(v) for v in func)
        if kind == "dec":
            return self._decorated(mod, expr)
        if kind == "i" or kind == "u":
            base = self.eval(mod, expr[1])
            if base is None:
                return None
            index = expr[2] if kind == "u" else None
            if len(base) == 1:
                for v in base:
                    return _single(self.element(v, index))
            return union(self.element(v, index) for v in base)
        if kind == "or":
            return union(self.eval(mod, e) for e in expr[1])
        if kind == "f":
            return frozenset({("F", f"{mod.module}.{expr[1]}")})
        if kind == "lam":
            return frozenset({("lam", mod.module, expr[1])})
        if kind == "L":
            items = tuple(self.eval(mod, e) if e is not None else EMPTY for e in expr[1])
            return frozenset({("L", tuple(EMPTY if i is None else i for i in items))})
        if kind == "S":
            items = union(self.eval(mod, e) for e in expr[1])
            return frozenset({("S", items if items is not None else EMPTY)})
        if kind == "ann":
            return union(self._annotated(mod, expr[1], name) for name in expr[2])
        if kind == "self" or kind == "cls":
            cid = f"{mod.module}.{expr[1]}"
            if cid not in self.p.classes:
                return EMPTY
            return frozenset({("I" if kind == "self" else "C", cid, True)})
        if kind == "g":
            return self.dotted(expr[1])
        if kind == "new":
            return self.made_by(f"{mod.module}.{expr[1]}")
        if kind == "seq":
            return self._sequence(mod, expr)
        if kind == "app":
            # `xs.append(x)` (values._note_append): xs holds x's values of the program; an
            # outside object appended, also as an item of a tuple appended (`xs.append((obj,
            # fields))`), stays unknown, as before, for rules read "known to come from outside"
            # as evidence (PFL402's model write on a library's object); too many values
            # appended leave it unknown too
            items = self.eval(mod, expr[1])
            if not items:
                return EMPTY
            own = frozenset(_own(v) for v in items if v[0] != "X")
            return frozenset({("S", own)}) if own else EMPTY
        return EMPTY

    def _sequence(self, mod: ModuleSummary, expr: tuple) -> Values:
        """("seq", call, checks, arg, levels) (values._sequence_call): `list(xs)`,
        `chain.from_iterable(xs)`, joblib's `Parallel()(delayed(f)(a) for ...)` when the
        callees are outside the program (not a function of ours named `list` or `delayed`): a
        container from outside (EXTERNAL: its own methods call nothing of ours) holding the
        elements of `arg` `levels` down; the plain call's value otherwise, and EXTERNAL when
        nothing of the program is held."""
        for check in expr[2]:
            if self.eval(mod, check) != EXTERNAL:
                return self.eval(mod, expr[1])
        items = self.eval(mod, expr[3])
        for _ in range(expr[4]):
            if not items:
                break
            items = union(self.element(v, None) for v in items)
        if not items or items == EXTERNAL:
            return EXTERNAL
        return union((frozenset({("S", items)}), EXTERNAL))

    def made_by(self, cid: str) -> Values:
        """What `super().__new__(cls, name, bases, attrs)` makes in the `__new__` of class
        `cid`: when `cid` is the metaclass of classes of the program (ClassSummary.metaclass),
        or a base of their metaclass (a subclass's `__new__` calls up to it), one of those
        classes or of their subclasses (which inherit the metaclass); else nothing known."""
        index = self._metaclass_users
        if index is None:
            index = self._metaclass_users = {}
            for klass, (_, cls) in sorted(self.p.classes.items()):
                if cls.metaclass:
                    meta = self.p.resolve_dotted(cls.metaclass[2:])
                    if meta is not None and meta[0] == "class":
                        index.setdefault(meta[1], []).append(klass)
        if not index or cid not in self.p.classes:
            return EMPTY
        users = {klass for meta in [cid] + self.subclasses(cid) for klass in index.get(meta, ())}
        if not users:
            return EMPTY
        mro = self.p.mro
        # a class whose base is made too is covered by that base's value (a subclass of it)
        roots = sorted(klass for klass in users if not any(base in users for base in mro(klass)[1:]))
        return union(frozenset({("C", klass, True)}) for klass in roots)

    def _eval_all(self, mod: ModuleSummary, exprs: List[tuple]) -> Values:
        """union(self.eval(mod, e) for e in exprs): without the generator for one expression
        (most returns and attributes have one), else evaluating up to the first unbounded."""
        if len(exprs) == 1:
            return _single(self.eval(mod, exprs[0]))
        return union(self.eval(mod, e) for e in exprs)

    def _decorated(self, mod: ModuleSummary, expr: tuple) -> Values:
        """`@deco def f`: what `deco(f)` returns. A decorator that hands back its argument
        itself (`def _decorator(func): return func`, also one made by a factory,
        `@contract(...)`; not one that returns a wrapper) gives `f` itself, at this site: its return value merged over every function it
        decorates would be a guess, and past MAX_VALUES decorated functions nothing at all
        (coverage.py's `@contract` no-op fallback left `canonical_filename` uncalled).

        A decorator from outside the program (`@apply_config(config)`, `@app.route("/")`,
        `@login_required`, `@transaction.atomic`) returns something perflint cannot read, but
        calling it reaches `f`'s body: it hands `f` back (registrations) or returns a wrapper
        that calls it (external_calls_through). The name then holds that outside object and
        `f`: a call of it is an edge to `f` of kind "wrapped", a guess for heat (Edge.guess:
        the wrapper may cache, retry or call only on a condition), and an attribute of it
        (`task.delay`) is the outside object's. Not so for decorators that cache (the body
        runs on a miss), defer or compile (`delayed`, `remote`, `jit`: the call does not run
        the body), declare overloads (`typing.overload`: the last `def` is the one called) or
        make command-line commands."""
        deco = self.eval(mod, expr[1])
        if deco is None:
            return None
        functions = self.p.functions
        parts: List[Values] = []
        for value in deco:
            if value[0] == "F" and value[1] in functions and functions[value[1]][1].returns_arg:
                parts.append(self.eval(mod, expr[2]))
            elif value[0] == "X" and external_calls_through(expr[1]):
                parts.append(EXTERNAL)
                parts.append(self.eval(mod, expr[2]))
            else:
                parts.append(self.call_result(value))
        return union(parts)

    def _annotated(self, mod: ModuleSummary, scope: str, name: str) -> Values:
        head, _, rest = name.partition(".")
        classes = self.name(mod, scope, head)
        for attr in rest.split(".") if rest else ():
            if classes is None:
                return EMPTY
            classes = union(self.attribute(v, attr) for v in classes)
        if not classes:
            return EMPTY
        return frozenset(("I", v[1], True) for v in classes if v[0] == "C")

    def name(self, mod: ModuleSummary, scope: str, name: str) -> Values:
        """A name read in a scope: the function's own, an enclosing function's, the module's."""
        key = (mod.module, scope, name)
        found = self.pure.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        memo = self.memo
        found = memo.get(key, _MISSING)
        if found is not _MISSING:
            self._dirty = True
            return found  # type: ignore[return-value]
        memo[key] = EMPTY
        outer, self._dirty = self._dirty, False
        result = self._name(mod, scope, name)
        if self._dirty:
            memo[key] = result
        else:
            self.pure[key] = result
            self._dirty = outer
        return result

    def _name(self, mod: ModuleSummary, scope: str, name: str) -> Values:
        functions = mod.functions
        while scope != MODULE_SCOPE and scope:
            if scope in functions and name in mod.local_names.get(scope, ()):
                exprs = mod.bindings.get(scope, _NO_BINDINGS).get(name, ())
                params = functions[scope].params
                # whether a class of that name is nested in the scope, without formatting a
                # qualname for every local read: few names are such classes anywhere (the
                # program-wide set), fewer in this module
                nested = False
                nested_anywhere = self._nested_all
                if nested_anywhere is None:
                    nested_anywhere = self._nested_anywhere()
                if name in nested_anywhere:
                    nested_names = self._nested.get(mod.module)
                    if nested_names is None:
                        nested_names = self._nested_names(mod)
                    nested = name in nested_names and f"{scope}.{name}" in mod.classes
                if len(exprs) == 1 and name not in params and not nested:
                    # most locals: union() of one part (_single, inlined)
                    part = self.eval(mod, exprs[0])
                    if not part:
                        return None if part is None else EMPTY
                    return None if _too_many(part) else part
                parts: List[Values] = [self.eval(mod, e) for e in exprs]
                if name in params:  # bound from call sites: grows by rounds
                    fid = f"{mod.module}.{scope}"
                    if name != params[0] or not self._unbound_receiver(fid, functions[scope]):
                        self._dirty = True
                        parts.append(self.param_in.get(fid, _NO_PARAMS).get(name, EMPTY))
                if nested:
                    parts.append(frozenset({("C", f"{mod.module}.{scope}.{name}", False)}))
                return union(parts)
            scope = scope.rpartition(".")[0]
        if mod.star_imports:
            # a global only a star import of one of the program's modules binds (never looked
            # up for `pkg.name` read from elsewhere: module_name)
            star = self.p.star_names(mod).get(name)
            if star is not None:
                return self.dotted(star)
        return self.module_name(mod, name)

    def _nested_anywhere(self) -> FrozenSet[str]:
        """_nested_names of every module (and alias) at once."""
        found = self._nested_all
        if found is None:
            found = self._nested_all = frozenset(
                qual.rpartition(".")[2] for table in (self.p.modules, self.p.aliases)
                for mod in table.values() for qual in mod.classes if "." in qual)
        return found

    def _nested_names(self, mod: ModuleSummary) -> FrozenSet[str]:
        """The last part of the qualname of each class nested in a function or class."""
        found = self._nested.get(mod.module)
        if found is None:
            found = self._nested[mod.module] = frozenset(
                qual.rpartition(".")[2] for qual in mod.classes if "." in qual)
        return found

    def module_name(self, mod: ModuleSummary, name: str) -> Values:
        key = (mod.module, _GLOBAL, name)  # flat: no nested tuple built per read
        found = self.pure.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        memo = self.memo
        found = memo.get(key, _MISSING)
        if found is not _MISSING:
            self._dirty = True
            return found  # type: ignore[return-value]
        memo[key] = EMPTY
        outer, self._dirty = self._dirty, False
        parts: List[Values] = [self.eval(mod, e) for e in mod.bindings.get(MODULE_SCOPE, {}).get(name, ())]
        if name in mod.classes:
            parts.append(frozenset({("C", f"{mod.module}.{name}", False)}))
        target = mod.imports.get(name)
        if target is not None and target != f"{mod.module}.{name}":
            imported = self.dotted(target)
            if not imported and "." in target:
                imported = self._from_star(target) or imported
            parts.append(imported)
        if not parts:
            sub = self.p.module(f"{mod.module}.{name}")
            if sub is not None:
                parts.append(frozenset({("M", sub.module)}))
            elif name in _BUILTINS:
                parts.append(EXTERNAL)
        result = union(parts)
        if self._dirty:
            memo[key] = result
        else:
            self.pure[key] = result
            self._dirty = outer
        return result

    def _from_star(self, target: str) -> Values:
        """What `from pkg import Name` (target "pkg.Name") binds when pkg/__init__.py binds Name
        only by a star import of one of its modules: that module's Name. Read for the importing
        module's own name, so `pkg.Name` read as an attribute of the package stays unresolved."""
        package, _, name = target.rpartition(".")
        source = self.p.module(package)
        if source is None or not source.star_imports:
            return None
        star = self.p.star_names(source).get(name)
        return self.dotted(star) if star is not None else None

    def dotted(self, dotted: str) -> Values:
        """A dotted global name: a module of the program, then names and attributes in it."""
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            found = self.p.module(".".join(parts[:i]))
            if found is not None:
                values: Values = frozenset({("M", found.module)})
                for attr in parts[i:]:
                    if values is None:
                        return None
                    values = union(self.attribute(v, attr) for v in values)
                return values
        return EXTERNAL

    def attribute(self, value: tuple, attr: str) -> Values:
        kind = value[0]
        if kind == "X":
            return EXTERNAL
        if kind == "M":
            return self.module_name(self.p.modules[value[1]], attr)
        if kind == "C":
            if attr == "objects" and not self._defines(value[1], attr):
                return frozenset({("QS", value[1])})  # a Django model's manager
            return self.member(value[1], attr, instance=False, subclasses=False)
        if kind == "I":
            if attr == "__class__":  # `self.__class__(...)`: the class, or a subclass of it
                return frozenset({("C", value[1], value[2])})
            return self.member(value[1], attr, instance=True, subclasses=value[2])
        if kind == "QS":
            return frozenset({("QM", value[1])}) if attr in _QUERY_METHODS else EMPTY
        if (kind == "S" or kind == "L") and (
                attr in _CONTAINER_ELEMENT or attr in _CONTAINER_SAME or attr in _CONTAINER_PAIRS):
            return frozenset({("CM", value, attr)})
        return EMPTY

    def family(self, values: FrozenSet[tuple], attr: str) -> Optional[str]:
        """The class of the program that every instance in `values` is (outside objects aside:
        they call nothing of ours) or descends from, and that declares `attr` as a method: the
        nearest such base of the first class, or None when there is none (classes unrelated,
        or a name their common base does not declare). Each instance then finds `attr` in its
        own class or on the way up to that base: a call dispatches among their methods."""
        classes = sorted({v[1] for v in values if v[0] == "I"})
        if not classes or any(v[0] != "I" and v[0] != "X" for v in values):
            return None
        program = self.p
        if any(cid not in program.classes for cid in classes):
            return None
        shared = set(program.mro(classes[0]))
        for cid in classes[1:]:
            shared.intersection_update(program.mro(cid))
        for base in program.mro(classes[0]):
            if base in shared:
                mod, cls = program.classes[base]
                if program.lookup_method(base, attr) == f"{mod.module}.{cls.qualname}.{attr}":
                    return base  # its own body defines the method
        return None

    def family_member(self, base: FrozenSet[tuple], attr: str) -> Values:
        """`x.attr` where x holds more than MAX_VALUES values (instances of up to MAX_CLASSES
        classes, _too_many): the methods they find, when they are a family (family: one base
        of the program declares `attr`); None (unknown) otherwise, and when the methods are
        more than MAX_VALUES (Program._family_targets links a call of up to MAX_CLASSES)."""
        if not _wide(base) or self.family(base, attr) is None:
            return None
        return union(self.attribute(v, attr) for v in base)

    def _defines(self, cid: str, attr: str) -> bool:
        for klass in self.p.mro(cid):
            mod, cls = self.p.classes[klass]
            exprs = mod.class_attrs.get(cls.qualname, {}).get(attr)
            if exprs and union(self.eval(mod, e) for e in exprs) != EMPTY:
                return True
        return False

    def member(self, cid: str, attr: str, *, instance: bool, subclasses: bool) -> Values:
        """An attribute looked up on a class or an instance, through the C3 MRO; with
        `subclasses`, overrides of a method in subclasses too (a bounded set, else none)."""
        key = ("member", cid, attr, instance, subclasses)
        found = self.pure.get(key, _MISSING)
        if found is not _MISSING:
            return found  # type: ignore[return-value]
        memo = self.memo
        found = memo.get(key, _MISSING)
        if found is not _MISSING:
            self._dirty = True
            return found  # type: ignore[return-value]
        memo[key] = EMPTY
        outer, self._dirty = self._dirty, False
        result = self._member(cid, attr, instance)
        if subclasses and result and any(v[0] == "B" for v in result):
            # only the subclasses that define `attr` themselves add anything (_own_member
            # gives the others nothing): a base class may have hundreds of subclasses
            defining = self._defining(attr)
            extra = [self._own_member(sub, attr, instance) for sub in self.subclasses(cid) if sub in defining]
            widened = union([result] + extra)
            if widened is not None:
                result = widened
        if self._dirty:
            memo[key] = result
        else:
            self.pure[key] = result
            self._dirty = outer
        return result

    def _defining(self, attr: str) -> AbstractSet[str]:
        """The classes whose own body binds `attr` (what _own_member reads), from an index of
        every class's attributes built once."""
        index = self._class_attr_index
        if index is None:
            index = self._class_attr_index = {}
            for cid, (mod, cls) in self.p.classes.items():
                for name, exprs in mod.class_attrs.get(cls.qualname, _NO_BINDINGS).items():
                    if exprs:
                        index.setdefault(name, set()).add(cid)
        return index.get(attr, _NO_CLASSES)

    def _own_member(self, cid: str, attr: str, instance: bool) -> Values:
        mod, cls = self.p.classes[cid]
        exprs = mod.class_attrs.get(cls.qualname, {}).get(attr)
        if not exprs:
            return EMPTY
        return self._as_member(mod, cls.qualname, exprs, instance)

    def _member(self, cid: str, attr: str, instance: bool) -> Values:
        found: Values = EMPTY
        parts: List[Values] = []
        classes = self.p.classes
        for klass in self.p.mro(cid):
            mod, cls = classes[klass]
            qualname = cls.qualname
            if instance:
                exprs = mod.inst_attrs.get(qualname, _NO_BINDINGS).get(attr)
                if exprs:
                    parts.append(self._eval_all(mod, exprs))
            if found is not None and not found:  # found == EMPTY, without comparing sets
                exprs = mod.class_attrs.get(qualname, _NO_BINDINGS).get(attr)
                if exprs:
                    found = self._as_member(mod, qualname, exprs, instance)
        parts.append(found)
        return union(parts)

    def _as_member(self, mod: ModuleSummary, cls_qual: str, exprs: List[tuple], instance: bool) -> Values:
        values = self._eval_all(mod, exprs)
        if not values:
            return values
        out: List[Values] = []
        for value in values:
            if value[0] == "F" and value[1] in self.p.functions:
                fn = self.p.functions[value[1]][1]
                if fn.cls == cls_qual:
                    if any(d in PROPERTY_DECORATORS for d in fn.decorators):
                        out.append(self.call_result(("F", value[1])) if instance else EMPTY)
                        continue
                    static = any(d in _STATIC for d in fn.decorators)
                    classmethod = "classmethod" in fn.decorators
                    if classmethod or (instance and not static):
                        out.append(frozenset({("B", value[1])}))
                        continue
            out.append(frozenset({value}))
        return union(out)

    def subclasses(self, cid: str) -> List[str]:
        if self._subclasses is None:
            subs: Dict[str, List[str]] = {}
            for klass in sorted(self.p.classes):
                for base in self.p.mro(klass)[1:]:
                    subs.setdefault(base, []).append(klass)
            self._subclasses = subs
        return self._subclasses.get(cid, [])

    def call_result(self, value: tuple) -> Values:
        kind = value[0]
        if kind == "X":
            return EXTERNAL
        if kind == "F" or kind == "B":
            fid = value[1]
            entry = self.p.functions.get(fid)
            if entry is None:
                return EMPTY
            mod, fn = entry
            return self._eval_all(mod, mod.returns.get(fn.qualname, ()))
        if kind == "C":
            return frozenset({("I", value[1], value[2])})
        if kind == "lam":
            if value in self._calling:
                self._dirty = True  # a cycle's placeholder, like a memo hit in eval
                return EMPTY
            inner = self.eval(self.p.modules[value[1]], value[2])
            if inner is None:
                return None
            self._calling.add(value)
            try:
                return union(self.call_result(v) for v in inner)
            finally:
                self._calling.discard(value)
        if kind == "QM":
            return frozenset({("QS", value[1])})
        if kind == "CM":
            container, method = value[1], value[2]
            if method in _CONTAINER_ELEMENT:
                return self.element(container, None)
            items = self.element(container, None)
            if items is None:
                return None
            if method in _CONTAINER_SAME:
                return frozenset({("S", items)}) if items else EMPTY
            if not items:
                return EMPTY
            return frozenset({("S", frozenset({("L", (EXTERNAL, items))}))})  # (key, element)
        return EMPTY

    def element(self, value: tuple, index: Optional[int]) -> Values:
        kind = value[0]
        if kind == "X":
            return EXTERNAL
        if kind == "L":
            items = value[1]
            if index is not None:
                return items[index] if index < len(items) else EMPTY
            return union(items)
        if kind == "S":
            return value[1]
        if kind == "QS":
            return frozenset({("I", value[1], True)})
        if kind == "I":
            return self.held_by(value[1], value[2])
        return EMPTY
