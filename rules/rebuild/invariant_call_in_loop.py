"""PFL318 invariant-call-in-loop."""

from __future__ import annotations

from typing import Dict, Optional, Set

import libcst as cst

from perflint.nodes import own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import bound_names, constant_atom, is_literal, names_in

# The effect of a module-level function that walks a container it is given and changes
# nothing (no attribute, global, argument or I/O): the same arguments give the same answer.
PURE_WALK = "pure-walk"
# Builtins that read their arguments and touch nothing else.
_PURE_BUILTINS = frozenset({
    "abs", "all", "any", "bool", "bytes", "chr", "dict", "divmod", "enumerate", "filter", "float",
    "frozenset", "hash", "int", "isinstance", "issubclass", "len", "list", "map", "max", "min",
    "ord", "pow", "range", "repr", "reversed", "round", "set", "sorted", "str", "sum", "tuple",
    "zip", "ValueError", "TypeError", "KeyError", "IndexError",
})
# Calls that hand the walk its container: `set(p)`, `enumerate(p)`, `range(len(p))`.
_WALK_WRAPPERS = frozenset({"enumerate", "sorted", "set", "list", "tuple", "reversed", "zip", "range", "len",
                            "frozenset", "dict"})
# Methods that read their receiver.
_READ_METHODS = frozenset({
    "get", "items", "keys", "values", "count", "index", "find", "rfind", "startswith", "endswith", "split",
    "rsplit", "strip", "lstrip", "rstrip", "lower", "upper", "join", "format", "copy", "sum", "mean", "max",
    "min", "any", "all", "astype", "reshape", "tolist", "replace", "encode", "decode", "isdigit", "isalpha",
    "isalnum", "isspace", "partition", "rpartition", "splitlines", "casefold", "title", "argmax", "argmin",
    "std", "var", "prod", "cumsum", "nonzero", "flatten", "ravel", "transpose", "dot", "issubset",
    "issuperset", "union", "intersection", "difference", "symmetric_difference", "isdisjoint",
})
# Modules whose functions compute from their arguments (numpy's random and file functions aside).
_PURE_MODULES = frozenset({"math", "numpy", "operator", "statistics", "cmath"})
_IMPURE_MODULE_FUNCTIONS = frozenset({
    "random", "save", "savez", "savetxt", "load", "loadtxt", "fromfile", "genfromtxt", "copyto", "put",
    "place", "putmask", "seterr", "set_printoptions",
})
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


class InvariantCallInLoop(Rule):
    """
    A call, on every trip of a loop, of a function of the module that walks what it is given
    and changes nothing, with arguments the loop never changes: the same answer computed again
    per trip.

    ## What it does
    Flags a call `f(a, b)` inside a loop where `f` is a plain function of the scanned program
    (of the same module, or imported by name from another of its modules) that loops over (or builds a comprehension over) one of its parameters and is pure as far
    as its body shows: it assigns no attribute, subscripts only containers it made itself,
    calls only builtins that read, read-only methods, `math`/`numpy`/`operator` functions and
    other such functions of its module, declares nothing `global`, is not a generator and has
    no decorator; and where each argument is a name the loop never rebinds and only reads
    (indexes, compares, hands to builtins or to other such functions), or a constant; and,
    unless each is a value the function made itself (a call's result, a display), every other
    call in the loop is one of those kinds or a method of such a value (any other call may
    change a shared object through another reference). The walk
    is priced per element it visits (`scan-row`, a Python loop step, times the container's
    size: unknown, so the model's `loop-trips`) at the site's frequency (the loops and the
    enclosing function's heat): a warning only when that reaches the threshold; otherwise a
    note. Only the loops that leave the arguments alone repeat the call: when the model counts
    them once (a loop nested inside two loops of unknown bound adds nothing), there is no
    finding.

    ## Why is this slow
    Each trip walks the whole container again to compute a value that cannot have changed:
    a loop of n trips over a container of m elements does n x m steps where m would do. An
    entropy of the whole label set computed once per feature, a total recomputed per row, a
    lookup set rebuilt from the same list per item: quadratic work that the code reads as
    linear.

    ## Example
    ```python
    def entropy(labels):
        counts = {}
        for label in labels:
            counts[label] = counts.get(label, 0) + 1
        return -sum(c / len(labels) * math.log2(c / len(labels)) for c in counts.values())

    def best_feature(columns, labels):
        best, gain = None, -1.0
        for i, column in enumerate(columns):
            g = entropy(labels) - conditional_entropy(column, labels)
            if g > gain:
                best, gain = i, g
        return best
    ```

    ## Use instead
    ```python
    def best_feature(columns, labels):
        base = entropy(labels)
        best, gain = None, -1.0
        for i, column in enumerate(columns):
            g = base - conditional_entropy(column, labels)
            if g > gain:
                best, gain = i, g
        return best
    ```

    ## Notes
    Methods (`self.f(x)`: their result may depend on the object's state, which the loop may
    change), calls of functions imported from outside the program, of decorated or memoised
    functions, of functions that read a module-level name other than a constant (a literal,
    a tuple of them, a frozenset: a module list or dict may grow between calls), and arguments
    the loop rebinds, mutates or hands to any other call are not reported. Whether the walked container is large is not known: a helper over a handful of
    flags costs little at any frequency, and the unknown size is priced at the model's default.
    """

    CODE = "PFL318"
    COST = "scan-row"  # perflint/calibrate.py SPECS: a Python loop step per element walked
    NAME = "invariant-call-in-loop"
    FAMILY = "rebuild"
    FIX = "call it once before the loop and reuse the result"
    TRIGGERS = ("for ",)
    VALID = [
        # The argument changes per trip.
        "def total(xs):\n    return sum([x for x in xs])\n"
        "def run(groups):\n    return [total(g) for g in groups]\n",
        # The callee appends to its argument: not pure.
        "def grow(xs):\n    for x in list(xs):\n        xs.append(x)\n"
        "def run(xs, n):\n    for _ in range(n):\n        grow(xs)\n",
        # Hoisted.
        "def total(xs):\n    return sum([x for x in xs])\n"
        "def run(xs, n):\n    t = total(xs)\n    return [t * i for i in range(n)]\n",
        # The loop changes the argument between calls.
        "def total(xs):\n    return sum([x for x in xs])\n"
        "def run(xs, n):\n    out = []\n    for i in range(n):\n        out.append(total(xs))\n"
        "        xs.append(i)\n    return out\n",
    ]
    INVALID = [
        Invalid(
            "def total(xs):\n    return sum([x for x in xs])\n"
            "def run(xs, n):\n    out = []\n    for i in range(n):\n        out.append(total(xs) * i)\n    return out\n",
            line=6,
        ),
    ]

    def begin_file(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().begin_file(ctx)
        self._functions: Dict[str, cst.FunctionDef] = {}
        self._pure: Dict[str, bool] = {}
        self._walks: Set[int] = set()  # ids of the walking loops of pure functions
        self._names: Set[str] = set()  # names the module binds other than by `def`
        self._mutable: Set[str] = set()  # module-level names whose value may change (not a constant)

    def visit_Module(self, node: cst.Module) -> None:
        for stmt in node.body:
            if isinstance(stmt, cst.FunctionDef):
                if stmt.name.value in self._functions:
                    self._names.add(stmt.name.value)  # defined twice: which one runs depends
                self._functions[stmt.name.value] = stmt
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                        targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                        for target in targets:
                            bound = names_in(target)
                            if not (isinstance(small, cst.Assign) and _immutable(small.value)) \
                                    or bound & self._names:
                                self._mutable |= bound
                            self._names |= bound
                    elif isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                        for alias in small.names:
                            bound = alias.asname.name if alias.asname is not None else alias.name
                            if isinstance(bound, cst.Name):
                                self._names.add(bound.value)
            else:
                # a def under `if`/`try` may be rebound: leave such names alone; any name bound
                # there may hold anything
                for sub, _ in own_nodes(stmt):
                    if isinstance(sub, cst.FunctionDef):
                        self._names.add(sub.name.value)
                    elif isinstance(sub, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign)):
                        self._mutable |= names_in(sub.target)
        if "global" not in self.ctx.source and "nonlocal" not in self.ctx.source:
            return  # most files: no second walk of the whole module
        for sub, _ in own_nodes(node, ()):
            if isinstance(sub, (cst.Global, cst.Nonlocal)):
                self._mutable |= {n.name.value for n in sub.names}  # rebound by some function

    # -- the callee: a module-level function that walks a parameter and changes nothing ----
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._functions.get(node.name.value) is not node or node.name.value in self._names:
            return
        walk = _walk(node) if self._is_pure(node.name.value) else None
        if walk is not None:
            self._walks.add(id(walk))

    def visit_For(self, node: cst.For) -> None:
        if id(node) in self._walks:
            self.effect(PURE_WALK)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if id(node) in self._walks:
            self.effect(PURE_WALK)

    # -- the call: in a loop, with arguments the loop never changes -------------------------
    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Name) or not self.ctx.in_loop or self.ctx.is_test:
            return
        name = func.value
        if name in _PURE_BUILTINS or not node.args:
            return
        if not self._is_pure(name) and (name in self._functions or name not in self.ctx.imports):
            return  # neither a pure function of this module nor one imported (phase 2 checks its body)
        fn = self.ctx.function
        if fn is None:
            return
        loop = self._loop_around(node)
        if loop is None or not self.ctx.loop_nodes or self.ctx.loop_nodes[-1] is not loop:
            return
        enclosing = next((a for a in reversed(self.ctx.stack) if isinstance(a, cst.FunctionDef)), None)
        if enclosing is None or name in bound_names(enclosing):
            return  # a local or parameter of that name, not the module's function
        args = []
        for arg in node.args:
            if arg.star or arg.keyword is not None and not isinstance(arg.keyword, cst.Name):
                return
            value = arg.value
            if isinstance(value, cst.Name):
                if value.value in ("None", "True", "False"):
                    continue
                args.append(value.value)
            elif not is_literal(value):
                return
        if not args or not _unchanged(loop, args, self._pure_reader, node):
            return
        fresh = _made_here(enclosing)
        if not set(args) <= fresh and not self._harmless_calls(loop, fresh, node):
            # a parameter, a global or an alias of some object's state: any other call in the
            # loop may change it through another reference
            return
        # the loops, innermost first, that leave the arguments alone: only their trips repeat it
        invariant = 1
        for outer in reversed(self.ctx.loop_nodes[:-1]):
            if not (isinstance(outer, (cst.For, cst.While)) and _unchanged(outer, args, self._pure_reader, node)):
                break
            invariant += 1
        shown = ", ".join(args)
        self.report(node, f"{name}({shown}) runs on every trip of the loop although the loop never changes "
                          f"{'its argument' if len(args) == 1 else 'its arguments'}: {name}() walks what it "
                          "is given and changes nothing, so each trip computes the same result again",
                    requires=("repeated", f"callee:{PURE_WALK}", f"loops-repeat:{invariant}", "trace-callee"),
                    # what the callee walks has no size in the code (priced at the default element
                    # count): a note. Superset's table preview rebuilt a separator of six column
                    # widths every fifth of at most 15 rows and was a warning (session 26)
                    confidence="low")

    def _harmless_calls(self, loop: cst.CSTNode, fresh: Set[str], site: cst.Call) -> bool:
        """Whether every call in the loop is one that changes nothing it is not handed: a
        builtin that reads, a pure function of the module, a `math`/`numpy` function, a
        read-only method, or a method of a value the function made itself."""
        imports = self.ctx.imports
        for node, _ in own_nodes(loop):
            if not isinstance(node, cst.Call) or node is site:
                continue
            func = node.func
            if isinstance(func, cst.Name):
                if not self._pure_reader(func.value):
                    return False
            elif isinstance(func, cst.Attribute):
                root = _root(func.value)
                if func.attr.value in _READ_METHODS or (root is not None and root in fresh):
                    continue
                module = imports.get(root, "") if root is not None else ""
                if module.split(".")[0] not in _PURE_MODULES or func.attr.value in _IMPURE_MODULE_FUNCTIONS:
                    return False
            else:
                return False
        return True

    def _pure_reader(self, name: str) -> bool:
        return name in _PURE_BUILTINS or self._is_pure(name)

    def _loop_around(self, node: cst.Call) -> Optional[cst.CSTNode]:
        """The innermost loop around the call in its function, if the call is in the part of
        it that runs per trip (a for loop's body, a while loop's test or body, a
        comprehension's element or conditions)."""
        stack = self.ctx.stack
        for i in range(len(stack) - 1, 0, -1):
            anc, child = stack[i - 1], stack[i]
            if isinstance(anc, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return None
            if isinstance(anc, cst.For):
                return anc if child is anc.body else None
            if isinstance(anc, cst.While):
                return anc if child in (anc.body, anc.test) else None
            if isinstance(anc, _COMPREHENSIONS):
                if isinstance(anc, cst.DictComp):
                    per_trip = child in (anc.key, anc.value)
                else:
                    per_trip = child is anc.elt
                if per_trip:
                    return anc
                if child is anc.for_in:
                    return None  # in the iterable or the conditions: checked no further
                return None
        return None

    def _is_pure(self, name: str, seen: Optional[Set[str]] = None) -> bool:
        if name in self._pure:
            return self._pure[name]
        fn = self._functions.get(name)
        if fn is None or name in self._names:
            return False
        seen = set() if seen is None else seen
        if name in seen:
            return True  # recursion: pure if the rest of the body is
        seen.add(name)
        pure = self._pure_body(fn, seen)
        if len(seen) == 1 or not pure:
            self._pure[name] = pure
        return pure

    def _pure_body(self, fn: cst.FunctionDef, seen: Set[str]) -> bool:
        if fn.decorators or fn.asynchronous is not None:
            return False
        params = _params(fn)
        if params is None:
            return False
        local = bound_names(fn, params=False)
        fresh = _fresh_locals(fn, params)
        imports = self.ctx.imports
        for node, parent in own_nodes(fn.body):
            kind = type(node)
            if kind is cst.Name and node.value in self._mutable and node.value not in local \
                    and node.value not in params and not _name_of(node, parent):  # type: ignore[attr-defined]
                return False  # reads module state that may change between calls
            if kind in (cst.Global, cst.Nonlocal, cst.Yield, cst.Await, cst.With, cst.Del, cst.Lambda,
                        cst.FunctionDef, cst.ClassDef, cst.Import, cst.ImportFrom):
                return False
            if kind is cst.AssignTarget or (kind in (cst.AugAssign, cst.AnnAssign) and parent is not None):
                target = node.target  # type: ignore[attr-defined]
                if isinstance(target, cst.Attribute):
                    return False
                if isinstance(target, cst.Subscript) and _root(target) not in fresh:
                    return False
            if kind is cst.Call:
                func = node.func  # type: ignore[attr-defined]
                if isinstance(func, cst.Name):
                    callee = func.value
                    if callee in local or callee in params:
                        return False
                    if callee in _PURE_BUILTINS:
                        continue
                    if not self._is_pure(callee, seen):
                        return False
                elif isinstance(func, cst.Attribute):
                    base = func.value
                    method = func.attr.value
                    root = _root(base)
                    module = imports.get(root, "") if root is not None and root not in local and root not in params else ""
                    if module.split(".")[0] in _PURE_MODULES and isinstance(base, (cst.Name, cst.Attribute)):
                        if method in _IMPURE_MODULE_FUNCTIONS or ".random" in f".{module}" or (
                                isinstance(base, cst.Attribute) and base.attr.value in _IMPURE_MODULE_FUNCTIONS):
                            return False
                        continue
                    if root is not None and root in fresh:
                        continue  # a container the function made itself
                    if method not in _READ_METHODS:
                        return False
                else:
                    return False
        return True


def _params(fn: cst.FunctionDef) -> Optional[Set[str]]:
    p = fn.params
    if p.star_kwarg is not None or isinstance(p.star_arg, cst.Param):
        return None
    return {x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)}


def _root(expr: cst.BaseExpression) -> Optional[str]:
    """The name an attribute or subscript chain starts from: `a` of `a.b[c].d`."""
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else None


def _fresh_locals(fn: cst.FunctionDef, params: Set[str]) -> Set[str]:
    """Locals every binding of which makes a new value (a display, a comprehension, a
    call, arithmetic, a literal), not an alias of a parameter or of module state."""
    binds: Dict[str, list] = {}
    for node, _ in own_nodes(fn.body):
        if isinstance(node, cst.Assign):
            for t in node.targets:
                if isinstance(t.target, cst.Name):
                    binds.setdefault(t.target.value, []).append(node.value)
                else:
                    for name in names_in(t.target) if isinstance(t.target, (cst.Tuple, cst.List)) else ():
                        binds.setdefault(name, []).append(None)
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)) and isinstance(node.target, cst.Name):
            binds.setdefault(node.target.value, []).append(node.value)
        elif isinstance(node, (cst.For, cst.CompFor)):
            for name in names_in(node.target):
                binds.setdefault(name, []).append(None)
        elif isinstance(node, cst.NamedExpr) and isinstance(node.target, cst.Name):
            binds.setdefault(node.target.value, []).append(node.value)
    out = set()
    for name, values in binds.items():
        if name in params:
            continue
        if all(v is not None and not isinstance(v, (cst.Name, cst.Attribute, cst.Subscript)) for v in values):
            out.add(name)
    return out


def _walk(fn: cst.FunctionDef) -> Optional[cst.CSTNode]:
    """The first loop or comprehension of the function that walks one of its parameters."""
    params = _params(fn) or set()
    rebound = bound_names(fn, params=False)
    parents: Dict[int, cst.CSTNode] = {}
    for node, parent in own_nodes(fn.body):
        if parent is not None:
            parents[id(node)] = parent
        if isinstance(node, (cst.For, cst.CompFor)):
            root = _walked(node.iter)
            if root is None or root not in params or root in rebound:
                continue
            if isinstance(node, cst.For) and not _whole(node):
                continue  # stops early: a search, or a stream read a piece at a time
            gen = parents.get(id(node))
            if isinstance(node, cst.CompFor) and isinstance(gen, cst.GeneratorExp) and not _drained(gen, parents):
                continue  # lazy: any(), next() stop early
            return node
    return None


def _drained(gen: cst.GeneratorExp, parents: Dict[int, cst.CSTNode]) -> bool:
    """Whether a generator expression is consumed to its end where it is made: the argument
    of sum(), sorted(), min(), max(), a container constructor, or str.join()."""
    arg = parents.get(id(gen))
    call = parents.get(id(arg)) if isinstance(arg, cst.Arg) else None
    if not isinstance(call, cst.Call):
        return False
    func = call.func
    if isinstance(func, cst.Name):
        return func.value in _DRAINING
    return isinstance(func, cst.Attribute) and func.attr.value == "join"


_DRAINING = frozenset({"sum", "sorted", "min", "max", "list", "set", "tuple", "dict", "frozenset"})


def _whole(loop: cst.For) -> bool:
    """Whether the loop runs to the end of what it walks: no break or return inside it (the
    element-by-element walk of a container, not a search or a partial read of an iterator)."""
    return not any(isinstance(node, (cst.Break, cst.Return)) for node, _ in own_nodes(loop.body))


def _walked(expr: cst.BaseExpression) -> Optional[str]:
    """The name an iterable comes from: `p` of `p`, `p.items()`, `set(p)`, `range(len(p))`."""
    while True:
        if isinstance(expr, cst.Call):
            if isinstance(expr.func, cst.Name) and expr.func.value in _WALK_WRAPPERS and expr.args:
                expr = expr.args[0].value
            elif isinstance(expr.func, cst.Attribute) and expr.func.attr.value in _READ_METHODS:
                expr = expr.func.value
            else:
                return None
        elif isinstance(expr, (cst.Attribute, cst.Subscript)):
            expr = expr.value
        elif isinstance(expr, cst.Name):
            return expr.value
        else:
            return None


_MUTATING_TARGETS = (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.Del)


def _unchanged(loop: cst.CSTNode, names: list, pure_call, site: cst.Call) -> bool:
    """Whether the loop neither rebinds nor may change any of the names: each use only reads
    it (an index or attribute read, a comparison, arithmetic, a read-only method, an argument
    of a builtin that reads or of a function `pure_call` accepts)."""
    wanted = set(names)
    parents: Dict[int, cst.CSTNode] = {}
    uses = []
    for node, parent in own_nodes(loop):
        if parent is not None:
            parents[id(node)] = parent
        kind = type(node)
        if kind is cst.Name and node.value in wanted:  # type: ignore[attr-defined]
            uses.append(node)
        elif kind is cst.AssignTarget or kind is cst.AugAssign or kind is cst.AnnAssign or kind is cst.For \
                or kind is cst.CompFor or kind is cst.NamedExpr or kind is cst.AsName:
            target = node.name if kind is cst.AsName else node.target  # type: ignore[attr-defined]
            if isinstance(target, (cst.Name, cst.Tuple, cst.List, cst.StarredElement)) and names_in(target) & wanted:
                return False
        elif kind is cst.Global or kind is cst.Nonlocal:
            return False
    for use in uses:
        top: cst.CSTNode = use
        parent = parents.get(id(top))
        while isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is top:
            top, parent = parent, parents.get(id(parent))
        if isinstance(parent, cst.SubscriptElement) or isinstance(parent, cst.Index):
            continue  # used as an index: read
        if top is not use and isinstance(parent, cst.Call) and parent.func is top:
            if not isinstance(top, cst.Attribute) or top.attr.value not in _READ_METHODS:
                return False
            continue
        if isinstance(parent, _MUTATING_TARGETS) or (isinstance(parent, cst.AssignTarget)):
            if getattr(parent, "target", None) is top:
                return False
        if isinstance(parent, cst.Arg):
            call = parents.get(id(parent))
            if call is site:
                continue  # the call reported: phase 2 checks its callee's body
            if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and pure_call(call.func.value)):
                return False
            continue
        if top is use and isinstance(parent, (cst.Assign, cst.Element, cst.DictElement, cst.Return, cst.Yield,
                                              cst.StarredElement, cst.StarredDictElement, cst.NamedExpr)):
            return False  # aliased, stored or handed on
        if isinstance(parent, cst.Expr) and top is not use:
            continue
    return True


def _made_here(fn: cst.FunctionDef) -> Set[str]:
    """Locals of the function every binding of which makes a new value: a call's result (or
    an attribute or index of one, `np.array(x).T`), a display, a comprehension, arithmetic,
    a constant. Nothing else holds a reference to them unless the function hands them on."""
    params = _params(fn) or set()
    binds: Dict[str, list] = {}
    for node, _ in own_nodes(fn.body):
        if isinstance(node, cst.Assign):
            for t in node.targets:
                for name in names_in(t.target):
                    binds.setdefault(name, []).append(node.value if isinstance(t.target, cst.Name) else None)
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)) and isinstance(node.target, cst.Name):
            binds.setdefault(node.target.value, []).append(node.value)
        elif isinstance(node, (cst.For, cst.CompFor, cst.NamedExpr, cst.AsName)):
            target = node.name if isinstance(node, cst.AsName) else node.target
            for name in names_in(target):
                binds.setdefault(name, []).append(None)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            for n in node.names:
                binds.setdefault(n.name.value, []).append(None)
    out = set()
    for name, values in binds.items():
        if name in params or not all(v is not None and _new_value(v) for v in values):
            continue
        out.add(name)
    return out


def _new_value(expr: cst.BaseExpression) -> bool:
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        expr = expr.value
        if isinstance(expr, cst.Call):
            return True
    return isinstance(expr, _NEW_VALUES) or is_literal(expr)


_NEW_VALUES = (cst.Call, cst.List, cst.Dict, cst.Set, cst.Tuple, cst.ListComp, cst.SetComp, cst.DictComp,
               cst.GeneratorExp, cst.BinaryOperation, cst.UnaryOperation, cst.Comparison, cst.Integer, cst.Float,
               cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)


def _name_of(node: cst.Name, parent: Optional[cst.CSTNode]) -> bool:
    """Whether the Name node names something rather than reading a variable: an attribute's
    name (`x.attr`) or a keyword argument's."""
    return (isinstance(parent, cst.Attribute) and parent.attr is node) or (
        isinstance(parent, cst.Arg) and parent.keyword is node)


def _immutable(value: cst.BaseExpression) -> bool:
    """A module constant nothing can change in place: a literal, a tuple of them, a frozenset.
    Walked with a stack, not by recursion: `x = a + a + ... + a` nests 500 deep."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, (cst.List, cst.Dict, cst.Set)):
            return False  # a display: a container anything may change
        if isinstance(value, cst.Tuple):
            for e in value.elements:
                if not isinstance(e, cst.Element):
                    return False
                stack.append(e.value)
        elif isinstance(value, cst.UnaryOperation):
            stack.append(value.expression)
        elif isinstance(value, cst.BinaryOperation):
            stack.append(value.left)
            stack.append(value.right)
        elif not ((isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "frozenset")
                  or constant_atom(value)):
            return False
    return True
