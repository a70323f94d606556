"""PFL101 deepcopy-per-call."""

from __future__ import annotations

import libcst as cst

from perflint.attrwrites import attribute_writes
from perflint.context import dotted_text
from perflint.nodes import NESTED_SCOPES, own_nodes
from perflint.reaching import reaching
from perflint.rule import Invalid, Rule
from perflint.ruleutil import (SCALAR_TYPES, annotation_shape, atomic_value, enclosing_class, first_arg, forwarding_wrapper,
                               innermost_def, later_statements, names_in, paths_to, scalar_shape, star_params)

# Methods whose job is to copy: a copy there is the point, not a smell.
_COPYING_METHODS = {"__copy__", "__deepcopy__", "copy", "clone", "deepcopy", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__"}


# Run once per object or per class definition, not per operation on it.
_ONCE_PER_CLASS = {"__new__", "__init_subclass__", "__set_name__", "__class_getitem__"}
WRAPPER_FIX = ("read the arguments where they are, or copy them shallowly (`dict(kwargs)`): the wrapper forwards "
               "the originals, so its deep copy serves only what it computes beside the call (a name, a key)")
SCALARS_COST = "deepcopy-scalar-element"  # a tuple of scalars: walked, returned as it is
SCALARS_FIX = ("return the tuple itself: it is immutable and holds scalars only, so copy.deepcopy walks its "
               "items and hands back the same object")
_WRITES = (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.Del, cst.Call)
INIT_FIX = ("share the structure between instances and copy only what an instance changes (copy on "
            "write), or build the objects once and reuse them instead of one per item")


class DeepcopyPerCall(Rule):
    """
    `copy.deepcopy()` of a long-lived structure every time a function runs.

    ## What it does
    Flags `copy.deepcopy(x)` inside a function when `x` outlives the call: an attribute (`self._ast`, `self._cache[key]`), a
    module-level name (of this module, or one imported from another: `from lib import
    default_checker`) or a parameter; or, in an inner loop, an entry of an outer loop (an
    element of a collection, not a record the function builds) that the inner loop neither
    rebinds nor changes: the same structure cloned on every trip of the inner loop. A model
    library's own deep copy counts the same:
    pydantic's `obj.model_copy(deep=True)` (v2) and `obj.copy(deep=True)` (v1) run
    `copy.deepcopy` over the model's fields. Severity follows how often the function runs.

    A local counts when it holds one of these at the copy: every binding of it that can
    reach the call (in source order, along branches and around loops: `perflint/reaching.py`)
    is an attribute or an entry of one, a module-level name or a parameter, directly or
    through other such locals (`entry = self._body[i]; current = entry[1]; ...; current =
    copy.deepcopy(current)`: tomlkit's super-table merge, which deep-copied the stored table
    once per sub-table it parsed). A local that may hold anything else there (a call's
    result, a literal, the previous copy around a loop, a part of an unpacked value) does not,
    nor does one bound to an attribute of an imported module (`manifest =
    settings.JOB_MANIFEST`): another package's configuration, copied for the caller to change.
    A name the function declares `global` is the module's, even where the function assigns
    it (`global PATTERNS; if not PATTERNS: PATTERNS = load()`: a table loaded lazily on the
    first call, then copied on every call).

    A decorator's wrapper is the one place where a copy of the call's own arguments counts
    (at medium confidence): a nested function the decorator returns (or one decorated
    `@wraps(...)`) that passes its own `*args`/`**kwargs`, unchanged, to the function it
    wraps, and deep-copies them, or a local built from them (`dict(zip(names, args))`,
    `{**kwargs}`, `kwargs.copy()`, `sig.bind(*args, **kwargs).arguments`, through plain
    aliases), for something it computes beside the call: every call of every decorated
    function clones whatever its caller passed. gdsfactory's `@cell` deep-copied the keyword
    arguments and the merged arguments of each component factory call (whole components and
    cross-sections among them) only to build the component's name, then called the factory
    with the originals; most of the time of some components went there.

    ## Why is this slow
    `deepcopy` visits every object of the structure in Python, keeps a memo dictionary
    and calls `__deepcopy__`/`__reduce_ex__` hooks: for a parsed statement or a config
    tree that is thousands of allocations per call. The seed's query engine deep-copied
    its parsed AST on every execution instead of keeping a prepared statement.

    ## Example
    ```python
    def execute(self, sql, params):
        stmt = copy.deepcopy(self._statements[sql])
        bind(stmt, params)
        return run(stmt)
    ```

    ## Use instead
    ```python
    def execute(self, sql, params):
        stmt = self._statements[sql]      # immutable, prepared once
        return run(stmt, params)          # bind at execution, don't mutate the tree
    ```

    ## Notes
    A copy in `__init__` runs once per object: it is reported only when objects of the
    class are built per item (the constructor is reached from a loop or a hot entry
    point), with the trace to that loop. Copies in `__new__` (a metaclass builds each
    class once), `__copy__`, `__deepcopy__`, `copy()` and `clone()` methods
    are the purpose of those methods and are not reported, nor are copies in functions
    whose name says they copy or clone. A deep copy of a parameter, or of an attribute or
    item of one (`section.options`), has low confidence and stays a note: it is the caller's
    value, a different structure per call unless the caller passes the same one, and often a
    defensive copy the semantics need (Review Board's diff parser stores a copy of each
    section's options; labelled FALSE in run 13). Shallow `copy.copy()` is not
    reported: it costs what `dict.copy()` costs, nor is `model_copy()` without `deep=True`.
    A copy in a loop body that ends in
    `return` or `break` runs once, not per iteration, and gets no loop heat. An outer loop's
    entry counts only when the function binds that name nowhere else, and the innermost loop
    around the copy does not rebind it, assign or delete its attributes or items, or call a
    method on it (`board.apply(move)` between copies is a snapshot per step, not the same
    structure); passing it to a function is not counted as a change. A template the function
    builds itself (`conf = {...}` before the loop, a record built per outer entry) and
    deep-copies per item is how code makes a fresh record per item, and is not reported: on
    salt such copies are a few small dicts per remote or per state name.
    A wrapper's copy of its arguments is not reported when it is what the wrapped function
    gets (`kwargs = copy.deepcopy(kwargs)`, `func(*args, **fresh)`: the defensive copy the
    callee's changes need), when it is kept (returned, stored on an object or in a container,
    appended to a record of calls), or when it is read after the wrapped call (a snapshot of
    the arguments as they were, against what the callee may change: a test helper reporting
    what a validator was given). A local the wrapper builds from the signature's defaults is
    not followed. The size of the arguments is not known: the default modest structure.
    Outside `__init__`, a copy that the method's own object keeps as a record of its own (stored
    under an item of an attribute of `self`, directly or through a local, or appended to a list
    `self` holds) is a template instantiated per entry, each copy edited on its own, and is not
    reported (a plain attribute keeps only the last copy and is still reported): pyramid-jsonapi builds its schema's per-endpoint definitions so, once.

    A copy of an attribute (`self.x`, `cls.x`) the code shows is built of scalars is priced by
    what deepcopy does with it: every assignment of it in the methods of its class (nothing
    else in the module assigns an attribute of that name or changes it in place, and the class
    body does not assign it: a subclass may override a class attribute) is a number, string, bytes, None or bool, the result of `int()`/`float()`/`str()`/...,
    a tuple display of those, `tuple(...)` of a display of them, of a generator of them
    (`tuple(float(i) for i in value)`) or of `map(float, value)`, or the same for a frozenset,
    directly or through the locals it is assigned from and this module's functions that
    return such values (a parameter counts inside `if isinstance(weights, numbers.Number):`),
    or the attribute is annotated so (`float`, `Optional[str]`, `Tuple[float, float, float]`).
    An atom (an int, a string, None) is handed back as it is: not reported. A tuple of scalars
    is walked item by item and returned unchanged: `deepcopy-scalar-element` for the tuple and
    each item (aiida's `Site.position`, a 3-float tuple, labelled PLAUSIBLE: about 3 us a copy).
    Its length is what the code shows: a display's, an annotation's, or a check that raises
    otherwise (`if len(pos) != 3: raise ValueError`); else the default modest structure. A
    frozenset is rebuilt: `deepcopy-element` per element.
    """

    CODE = "PFL101"
    COST = "deepcopy-element"  # perflint/costs.py; measured by bench/costs.py
    NAME = "deepcopy-per-call"
    FAMILY = "clone"
    FIX = "keep one immutable (or prepared) structure and reuse it; pass per-call values separately"
    TRIGGERS = ("copy",)
    VALID = [
        "import copy\nclass A:\n    def get(self, k):\n        return copy.copy(self.cache[k])\n",
        "import copy\nDEFAULTS = {}\nSETTINGS = copy.deepcopy(DEFAULTS)\n",
        "import copy\nclass A:\n    def __deepcopy__(self, memo):\n        return A(copy.deepcopy(self.items, memo))\n",
        "import copy\ndef f():\n    local = {'a': [1]}\n    return copy.deepcopy(local)\n",
        "import copy\nclass A:\n    def __init__(self, template):\n        self.t = copy.deepcopy(template)\n",
        # built once: a copy per object is a copy per program run
        "import copy\nclass A:\n    base = {}\n    def __init__(self):\n        self.f = copy.deepcopy(self.base)\n"
        "def main():\n    return A()\n",
        # shallow model copies; a deep copy of the loop's own entry; a snapshot of a changing
        # state; a record the function builds, copied per item
        "def assemble(checks, resources):\n    for check in checks:\n        for r in resources:\n"
        "            yield check.model_copy(update={'r': r})\n",
        "def snapshot(models):\n    return [m.model_copy(deep=True) for m in models]\n",
        "import copy\ndef play(moves):\n    board, history = new_board(), []\n    for move in moves:\n"
        "        board.apply(move)\n        history.append(copy.deepcopy(board))\n    return history\n",
        "import copy\ndef commands(prefix, names):\n    base = [prefix, 'se']\n    for name in names:\n"
        "        for flag in ('-p', '-q'):\n            cmd = copy.deepcopy(base)\n            cmd.append(flag)\n",
        # a local that may hold a fresh value at the copy; the previous copy around a loop
        "import copy\nclass D:\n    def get(self, k):\n        t = self._body[k]\n        if t is None:\n"
        "            t = make()\n        return copy.deepcopy(t)\n",
        "import copy\nclass B:\n    def play(self, moves):\n        s = self.start\n        for m in moves:\n"
        "            s = copy.deepcopy(s)\n            s[m] = 1\n",
        # a template instantiated per entry into the object's own state: each copy is kept
        "import copy\nclass Schema:\n    def build(self, views):\n        for v in views:\n"
        "            res = copy.deepcopy(self.defs['resource'])\n            res['type'] = v\n"
        "            self.defs[v] = res\n",
    ]
    INVALID = [
        # the same template copied per entry, but the records go to the caller, per call
        Invalid("import copy\nclass Schema:\n    def build(self, views):\n        out = []\n        for v in views:\n"
                "            res = copy.deepcopy(self.defs['resource'])\n            res['type'] = v\n"
                "            out.append(res)\n        return out\n", line=6),
        # an object built per value clones its class's fields each time
        Invalid("import copy\nclass Resource:\n    base_fields = {}\n    def __init__(self):\n"
                "        self.fields = copy.deepcopy(self.base_fields)\n"
                "def hydrate(values):\n    return [Resource() for v in values]\n", line=5),
        Invalid("import copy\nclass S:\n    def run(self, rows):\n        for r in rows:\n            t = copy.deepcopy(self.tree)\n", line=5),
        Invalid("from copy import deepcopy\nTEMPLATE = {}\ndef render(items):\n    return [deepcopy(TEMPLATE) for i in items]\n", line=4),
        # an entry of the outer loop, deep-copied (pydantic) once per entry of the inner one
        Invalid("def assemble(checks, resources):\n    out = []\n    for check in checks:\n"
                "        for r in resources:\n            c = check.model_copy(deep=True)\n"
                "            c.set_resource(r)\n            out.append(c)\n    return out\n", line=5),
        # a local bound from an entry of stored state on every path that reaches the copy
        Invalid("import copy\nclass D:\n    def merge(self, i, rows):\n        if i < 0:\n"
                "            entry = self._body[-1]\n        else:\n            entry = self._body[i]\n"
                "        t = entry[1]\n        for r in rows:\n            u = copy.deepcopy(t)\n"
                "            u.add(r)\n", line=10),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._globals: set = set()  # names assigned at module level
        self._locals: list = []  # per enclosing function: names it assigns
        self._declared: list = []  # per enclosing function: names it declares global
        self._held_cache: dict = {}  # (class, attribute) -> what it holds (_holds)
        self._writes = None  # attribute name -> stores in this module (_module_writes)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._locals.append(set())
        self._declared.append(set())

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._locals.pop()
        self._declared.pop()

    def visit_Global(self, node: cst.Global) -> None:
        # `global PATTERNS` then `PATTERNS = load()`: the lazy first-call load of a module
        # table binds the module's name, not a local (pygrok's predefined patterns)
        if self._declared:
            self._declared[-1].update(item.name.value for item in node.names)

    def _bind(self, target: cst.BaseExpression) -> None:
        names = [target] if isinstance(target, cst.Name) else [
            e.value for e in getattr(target, "elements", ()) if isinstance(e.value, cst.Name)
        ]
        for name in names:
            if self._locals and name.value in self._declared[-1]:
                self._globals.add(name.value)
            elif self._locals:
                self._locals[-1].add(name.value)
            elif not self.ctx.frames:
                self._globals.add(name.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target)

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.ctx.resolve(node.func)
        # copy.copy is shallow: it costs what dict.copy() costs, rarely the problem.
        method = _deep_copy_method(node)
        if qualified != "copy.deepcopy" and method is None:
            return
        fn = self.ctx.function
        if fn is None or fn.name in _ONCE_PER_CLASS or fn.name in _COPYING_METHODS:
            return  # module level runs once; copying methods copy by design
        if "copy" in fn.name.lower() or "clone" in fn.name.lower():
            return  # `_clone`, `copy_config`, `smart_deepcopy`: cloning is the job
        arg = node.func.value if method is not None else first_arg(node)
        found = self._long_lived(arg, fn) or self._loop_invariant(arg, fn) or self._alias(arg, fn)
        if found is None:
            if method is None:
                self._wrapper_arguments(node, arg)
            return
        kind, confidence = found
        if fn.name != "__init__" and _kept_by_object(innermost_def(self.ctx), self.ctx.stack, node,
                                                     self.ctx.self_name()):
            return  # each copy is a record the object keeps (a template instantiated per entry)
        what = f"{method}(deep=True)" if method is not None else "copy.deepcopy()"
        holds = self._holds(arg) if method is None else None
        if holds is not None:
            if holds[0] == "atom":
                return  # an int, a string, None: deepcopy hands it back, nothing is cloned
            self._report_scalars(node, what, kind, confidence, holds)
            return
        # a module-level literal's size is known; copying it costs a container per item
        size = self.ctx.constants.get(arg.value) if isinstance(arg, cst.Name) else None
        if fn.name == "__init__":
            # Once per object: a smell only where objects are built per item (an exception
            # per raise, a resource per related value); "repeated" asks the call graph.
            self.report(
                node,
                f"{what} of {kind} in __init__, and objects of this class are built per item: "
                "every object clones the structure",
                confidence=confidence or "medium", requires=("repeated",), fix=INIT_FIX,
                size=max(size, 1.0) if size is not None else None,
            )
            return
        self.report(
            node,
            f"{what} of {kind} on every {'iteration' if 'outer loop' in kind else 'call'}: "
            "the structure is cloned each time this runs",
            confidence=confidence,
            size=max(size, 1.0) if size is not None else None,
        )

    def _report_scalars(self, node: cst.Call, what: str, kind: str, confidence, holds) -> None:
        """A copy of a tuple (or frozenset) the code shows holds scalars only: priced by what
        deepcopy does with it (the tuple and each item: deepcopy-scalar-element; a frozenset is
        rebuilt, a container's copy: deepcopy-element), not as a modest structure."""
        container, items = holds
        count = f"{items} scalar{'s' if items != 1 else ''}" if items is not None else "scalars"
        size = float(items + 1) if items is not None else None
        once = self.ctx.function is not None and self.ctx.function.name == "__init__"
        where = "in __init__, and objects of this class are built per item" if once else "on every call"
        if container == "tuple":
            message = (f"{what} of {kind} {where}: it holds a tuple of {count}, which deepcopy walks item by "
                       "item only to return the same tuple")
            self.report(node, message, confidence=confidence or ("medium" if once else None), cost=SCALARS_COST,
                        size=size, fix=SCALARS_FIX, requires=("repeated",) if once else ())
            return
        message = (f"{what} of {kind} {where}: it holds a frozenset of {count}, which deepcopy rebuilds "
                   "item by item although nothing can change it")
        self.report(node, message, confidence=confidence or ("medium" if once else None), size=size,
                    fix="share the frozenset: it is immutable", requires=("repeated",) if once else ())

    # -- what the copied value holds ------------------------------------------------------
    def _holds(self, arg):
        """What `self.x` (or `cls.x`) holds when the code shows it is built of scalars only, as
        scalar_shape gives it (("atom", 0), ("tuple", n), ("frozenset", n); n None when the
        length is not shown): every assignment of the attribute in the methods of the class is
        such a value (not all None), directly or through locals and this module's functions
        returning one, or the attribute is annotated so (in the class body or at an
        assignment); nothing else in the module assigns an attribute of that name or changes
        it in place, and the class body does not assign it (a subclass may override a class
        attribute). None otherwise."""
        if not (isinstance(arg, cst.Attribute) and isinstance(arg.value, cst.Name) and arg.value.value in ("self", "cls")):
            return None
        cls = enclosing_class(self.ctx.stack)
        if cls is None or not self.ctx.stack or not isinstance(self.ctx.stack[0], cst.Module):
            return None
        attr = arg.attr.value
        key = (id(cls), attr)
        if key not in self._held_cache:
            self._held_cache[key] = self._attribute_holds(cls, attr)
        return self._held_cache[key]

    def _attribute_holds(self, cls: cst.ClassDef, attr: str):
        shapes, annotations, values, seen = [], [], [], 0
        for stmt in cls.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else \
                        [small.target] if isinstance(small, (cst.AnnAssign, cst.AugAssign)) else []
                    if not any(attr in names_in(t) for t in targets):
                        continue
                    if isinstance(small, cst.AugAssign) or not all(isinstance(t, cst.Name) for t in targets):
                        return None
                    if not isinstance(small, cst.AnnAssign):
                        return None  # a class attribute: a subclass anywhere may override it (`fields = ()`)
                    annotations.append(small.annotation)
            elif isinstance(stmt, cst.FunctionDef):
                for node, path in paths_to(stmt, lambda n: type(n) in _WRITES):
                    for chain, whole, value in attribute_writes(node):
                        if chain[-1] != attr or len(chain) != 2 or chain[0] not in ("self", "cls"):
                            continue
                        seen += 1
                        if not whole or any(isinstance(n, NESTED_SCOPES) for n in path[1:]):
                            return None  # changed in place, or by a nested function
                        if isinstance(node, cst.AnnAssign):
                            annotations.append(node.annotation)
                        if value is not None:
                            values.append(value)
                            shapes.append(self._shape(value, path, 0))
        if seen != self._module_writes().get(attr, 0):
            return None  # also assigned elsewhere: `other.attr = ...`
        if annotations:
            return _combine([annotation_shape(a) for a in annotations])
        if all(isinstance(v, cst.Name) and v.value == "None" for v in values):
            return None  # only ever None here: what it holds is set somewhere else (a subclass, a caller)
        return _combine(shapes)

    def _module_writes(self):
        """attribute name -> how many statements of this module assign it or change it in place."""
        if self._writes is None:
            self._writes = {}
            for node, _ in own_nodes(self.ctx.stack[0], skip=()):
                if type(node) in _WRITES:
                    for chain, _, _ in attribute_writes(node):
                        if len(chain) >= 2:
                            self._writes[chain[-1]] = self._writes.get(chain[-1], 0) + 1
        return self._writes

    def _shape(self, value, path, depth: int):
        """scalar_shape of a value read at the end of `path` (a function's def down to the
        statement), following the locals it names (reaching definitions) and calls of this
        module's functions to what they return."""
        if depth > 4:
            return None
        shape = scalar_shape(value, lambda e: self._atom(e, path, depth))
        if shape is not None:
            return shape
        if isinstance(value, cst.Name):
            return self._name_shape(value.value, path, depth)
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
            return self._returns_shape(value.func.value, depth)
        return None

    def _atom(self, expr, path, depth: int) -> bool:
        if atomic_value(expr):
            return True
        if isinstance(expr, cst.Name) or (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name)):
            return self._shape(expr, path, depth + 1) == ("atom", 0)
        return False

    def _name_shape(self, name: str, path, depth: int):
        if name in ("self", "cls") or not path or not isinstance(path[0], cst.FunctionDef):
            return None
        bindings = reaching(path, name)
        if not bindings:
            return None
        shapes = []
        for value, where in bindings:
            if value is None:  # the parameter: what its annotation, or an isinstance test around the read, says
                param = next((p for p in _all_params(path[0]) if p.name.value == name), None)
                shape = annotation_shape(param.annotation) if param is not None and param.annotation is not None else None
                if shape is None and _narrowed(path, name):
                    shape = ("atom", 0)
            else:
                shape = self._shape(value, where, depth + 1)
            if shape is None:
                return None
            shapes.append(shape)
        if len(shapes) == 1 and shapes[0][0] != "atom" and shapes[0][1] is None and bindings[0][0] is not None:
            # one binding, its length not shown: a check after it that raises otherwise
            shapes[0] = (shapes[0][0], _checked_length(bindings[0][1], name))
        return _combine(shapes)

    def _returns_shape(self, name: str, depth: int):
        """What a function of this module (defined once, at module level) returns."""
        defs = [s for s in self.ctx.stack[0].body if isinstance(s, cst.FunctionDef) and s.name.value == name]
        if len(defs) != 1 or name in self._globals:
            return None
        fdef = defs[0]
        shapes = []
        for node, path in paths_to(fdef, lambda n: type(n) in (cst.Return, cst.Yield, cst.Await)):
            if any(isinstance(n, NESTED_SCOPES) for n in path[1:]):
                continue
            if not isinstance(node, cst.Return):
                return None
            shapes.append(("atom", 0) if node.value is None else self._shape(node.value, path, depth + 1))
        return _combine(shapes) if shapes else None

    def _wrapper_arguments(self, node: cst.Call, arg) -> None:
        """`copy.deepcopy(kwargs)` in a decorator's wrapper that forwards its own, uncopied
        `*args`/`**kwargs` to the function it wraps: every call of every decorated function
        clones its arguments for what the wrapper computes beside the call (a name, a cache
        key). Also a local built from them (`dict(zip(names, args))`, `{**kwargs}`,
        `sig.bind(*args, **kwargs).arguments`, through plain aliases). Not when the copy is
        what the wrapped function gets, or is kept (returned, stored on an object)."""
        if not isinstance(arg, cst.Name):
            return
        wrapper = forwarding_wrapper(self.ctx.stack)
        if wrapper is None:
            return
        fdef, wrapped = wrapper
        star, kw = star_params(fdef)
        if arg.value in (star, kw):
            kind = f"the wrapper's own {'*' if arg.value == star else '**'}{arg.value}"
        elif self._built_from(arg.value, self.ctx.stack, (star, kw), 0):
            kind = f"'{arg.value}', a local built from the wrapper's arguments,"
        else:
            return
        kept = self._copy_kept(node, wrapped, (star, kw))
        if kept is None or kept & set().union(*(names_in(call) for call in wrapped)) or _keeps(fdef, kept, (star, kw)) \
                or _read_after(fdef, wrapped, kept):
            return  # handed on, returned, stored, or a snapshot read after the call: the copy is the point
        self.report(
            node,
            f"copy.deepcopy() of {kind} on every call of the function it wraps: the wrapper "
            "passes the originals on and clones them only for what it computes beside the call",
            confidence="medium", fix=WRAPPER_FIX,
        )

    def _built_from(self, name: str, stack, stars, depth: int) -> bool:
        """Every binding of `name` reaching the end of `stack` is built from the star
        parameters `stars` (a container of them, or another such local)."""
        bindings = reaching(stack, name)
        if not bindings or depth > 3:
            return False
        for value, path in bindings:
            if value is None or not self._argument_builder(value, path, stars, depth):
                return False
        return True

    def _argument_builder(self, value, path, stars, depth: int) -> bool:
        """`kwargs`, `dict(kwargs)`, `{**kwargs}`, `[*args]`, `kwargs.copy()`,
        `dict(zip(names, args))`, `sig.bind(*args, **kwargs)` (and its `.arguments`), or a
        local bound to one of these."""
        if isinstance(value, cst.Name):
            return value.value in stars or self._built_from(value.value, path, stars, depth + 1)
        if isinstance(value, cst.Attribute) and value.attr.value == "arguments":
            return self._argument_builder(value.value, path, stars, depth)
        if isinstance(value, (cst.Dict, cst.List, cst.Tuple)):
            parts = [e.value for e in value.elements]
            starred = [e.value for e in value.elements if isinstance(e, (cst.StarredDictElement, cst.StarredElement))]
            return bool(starred) and len(starred) == len(parts) and \
                all(self._argument_builder(v, path, stars, depth) for v in starred)
        if not isinstance(value, cst.Call):
            return False
        func = value.func
        if isinstance(func, cst.Attribute):
            if func.attr.value in ("bind", "bind_partial"):
                return any(a.star and isinstance(a.value, cst.Name) and a.value.value in stars for a in value.args)
            return func.attr.value == "copy" and not value.args and self._argument_builder(func.value, path, stars, depth)
        if not isinstance(func, cst.Name) or func.value not in ("dict", "list", "tuple", "zip", "OrderedDict") \
                or func.value in (self._locals[-1] if self._locals else set()):
            return False
        if func.value == "zip":  # names paired with the arguments: the values are the arguments
            return any(self._argument_builder(a.value, path, stars, depth) for a in value.args)
        return bool(value.args) and all(self._argument_builder(a.value, path, stars, depth) for a in value.args)

    def _copy_kept(self, node: cst.Call, wrapped, stars):
        """The locals the copy is bound to (an empty set when it is used in place: an
        argument, a `d.update(**copy)`), or None when it is handed on or kept: an argument of
        the wrapped callable or of a method of the star parameters (`kwargs.update(copy)`),
        returned or yielded, or stored on an object or in a container (`self.calls.append(copy)`)."""
        stack = self.ctx.stack
        i = len(stack) - 1
        while i >= 0 and stack[i] is not node:
            i -= 1
        callees = {dotted_text(call.func) for call in wrapped}
        for parent in reversed(stack[:i] if i >= 0 else stack):
            if isinstance(parent, (cst.Return, cst.Yield, cst.Await)):
                return None
            if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
                if all(isinstance(t, cst.Name) for t in targets):
                    return {t.value for t in targets}
                return None
            if isinstance(parent, cst.Call) and (_stores_or_hands_on(parent, stars) or dotted_text(parent.func) in callees):
                return None
            if isinstance(parent, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
                break
        return set()

    def _caller_value(self, name: str, fn) -> bool:
        """`name` is a parameter (not `self` or `cls`) the function does not rebind."""
        local = self._locals[-1] if self._locals else set()
        return name in fn.params and name not in ("self", "cls") and name not in local

    def _loop_invariant(self, arg, fn):
        """An entry of an outer loop, bound nowhere else, that the innermost loop around the copy
        neither rebinds nor changes: the same structure cloned on every trip. A template the
        function builds itself (assigned, not an entry of a collection) and copies per item is
        the usual way to make a fresh record per item, and is not reported."""
        if not isinstance(arg, cst.Name) or arg.value in ("self", "cls"):
            return None
        loops = self.ctx.loop_nodes
        if len(loops) < 2 or not isinstance(loops[-1], (cst.For, cst.While)):
            return None
        name = arg.value
        outer = next((loop for loop in loops[:-1] if isinstance(loop, cst.For)
                      and isinstance(loop.target, cst.Name) and loop.target.value == name), None)
        if outer is None:
            return None
        fdef = innermost_def(self.ctx)
        if fdef is None or _bindings_of(fdef.body, name) != 1:
            return None  # also bound some other way: not only the entry of that loop
        if not _unchanged_in(loops[-1], name):
            return None
        return f"'{name}', an entry of an outer loop that this loop does not change,", "medium"

    def _alias(self, arg, fn):
        """A local that holds long-lived state at the copy: every binding of it that can reach
        the call (reaching definitions, along branches and loops) is an attribute or an entry
        of one, a module-level name or a parameter, directly or through other such locals
        (`entry = self._body[i]; current = entry[1]; ... copy.deepcopy(current)`). A binding
        to anything else (a call's result, a literal, a copy) on some path: not reported."""
        if not isinstance(arg, cst.Name) or arg.value in ("self", "cls"):
            return None
        local = self._locals[-1] if self._locals else set()
        if arg.value not in local:
            return None  # not bound in the function: the cases above
        kinds = self._held(arg.value, self.ctx.stack, 0)
        if not kinds:
            return None
        low = any("parameter" in kind for kind in kinds)
        if kinds == {f"parameter '{arg.value}'"}:
            return f"parameter '{arg.value}'", "low"  # `event = copy.deepcopy(event)`: the caller's value
        what = " or ".join(sorted(kinds))
        return f"'{arg.value}', a local bound to {what},", "low" if low else None

    def _held(self, name: str, stack, depth: int):
        """What the bindings of `name` reaching the end of `stack` hold: a set of kinds, or
        None when one of them holds something else."""
        bindings = reaching(stack, name)
        if not bindings or depth > 3:
            return None
        kinds: set = set()
        for value, path in bindings:
            kind = f"parameter '{name}'" if value is None else self._stored(value, path, depth)
            if kind is None:
                return None
            kinds |= kind if isinstance(kind, set) else {kind}
        return kinds

    def _stored(self, value, path, depth: int):
        expr, attribute = value, False
        while isinstance(expr, (cst.Subscript, cst.Attribute)):
            attribute = attribute or isinstance(expr, cst.Attribute)
            expr = expr.value
        if not isinstance(expr, cst.Name):
            return None
        root = expr.value
        if root in ("self", "cls"):
            return "an attribute" if attribute else None
        local = self._locals[-1] if self._locals else set()
        if root not in local:
            if root in self._globals:
                return f"an attribute of module-level '{root}'" if attribute else f"module-level '{root}'"
            if root in self.ctx.imports:
                # `manifest = settings.JOB_MANIFEST`: another package's configuration, handed
                # out as a private copy the caller changes (Nautobot's Kubernetes job manifest,
                # once per job launched beside the API calls that start it): not followed
                return None
        kinds = self._held(root, path, depth + 1)
        if kinds is None or not attribute:
            return kinds
        return {f"an attribute of {kind}" if kind.startswith("parameter") else kind for kind in kinds}

    def _long_lived(self, arg, fn):
        expr = arg
        while isinstance(expr, cst.Subscript):
            expr = expr.value
        if isinstance(expr, cst.Attribute):
            root = expr
            while isinstance(root, (cst.Attribute, cst.Subscript)):
                root = root.value
            if isinstance(root, cst.Name) and self._caller_value(root.value, fn):
                # `section.options`, `model_cls.model_config`: part of the caller's value, a
                # different structure per call unless the caller passes the same one
                return f"an attribute of parameter '{root.value}'", "low"
            return "an attribute", None
        if isinstance(expr, cst.Name):
            name = expr.value
            local = self._locals[-1] if self._locals else set()
            if self._caller_value(name, fn):
                # A caller's value: often a defensive copy the semantics need.
                return f"parameter '{name}'", "low"
            if name in self._globals and name not in local and name not in fn.params:
                return f"module-level '{name}'", None
            imported = self.ctx.imports.get(name)
            if imported is not None and "." in imported and name not in local and name not in fn.params:
                # `from openapi_schema_validator import oas30_format_checker`: another module's
                # object, one for the process (openapi-core's format checker, a fixed bug)
                return f"'{name}', an object of module {imported.rpartition('.')[0]},", None
        return None


def _deep_copy_method(node: cst.Call):
    """`obj.model_copy(deep=True)` (pydantic 2), `obj.copy(deep=True)` (pydantic 1): a model
    library's own deep copy, which runs copy.deepcopy over the object's fields."""
    func = node.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in ("model_copy", "copy"):
        return None
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == "deep" and \
                isinstance(arg.value, cst.Name) and arg.value.value == "True":
            return func.attr.value
    return None


_STORING_METHODS = ("append", "add", "setdefault", "insert", "appendleft", "put", "extend")


def _stores_or_hands_on(call: cst.Call, stars) -> bool:
    """A storing method (`history.append(x)`), or any method of the star parameters
    (`kwargs.update(x)`: into what the wrapper passes on)."""
    func = call.func
    return isinstance(func, cst.Attribute) and (
        func.attr.value in _STORING_METHODS or (isinstance(func.value, cst.Name) and func.value.value in stars))


def _keeps(fdef: cst.FunctionDef, names, stars) -> bool:
    """Whether the function returns or yields one of the locals `names`, stores it on an object
    or in a container (`self.last = snap`, `calls[key] = snap`), hands it to a storing method
    (`history.append(snap)`) or to a method of its star parameters (`kwargs.update(snap)`)."""
    if not names:
        return False
    for node, _ in own_nodes(fdef.body):
        if isinstance(node, (cst.Return, cst.Yield)) and node.value is not None and names_in(node.value) & names:
            return True
        if isinstance(node, cst.Assign) and names_in(node.value) & names and \
                any(not isinstance(t.target, cst.Name) for t in node.targets):
            return True
        if isinstance(node, cst.Call) and _stores_or_hands_on(node, stars) and \
                any(names_in(a.value) & names for a in node.args):
            return True
    return False


def _kept_by_object(fdef, stack, node: cst.Call, self_name) -> bool:
    """Whether each copy ends up as its own record in the state of the method's own object:
    stored under an item of an attribute of self (`self.defs[k] = deepcopy(self.template)`),
    directly or through a local (`res = deepcopy(...)`, `res[...] = ...`, `self.defs[k] = res`),
    or handed to a storing method of such state (`self.items.append(res)`): instantiating a
    template per entry, not cloning one structure to read it. A plain attribute
    (`self.snapshot = deepcopy(self.config)`) keeps only the last copy, so it does not count."""
    if fdef is None or not self_name:
        return False
    names = set()
    for parent in reversed(stack):
        if parent is node:
            continue
        if isinstance(parent, cst.Assign):
            if parent.value is not node:
                return False
            for t in parent.targets:
                if isinstance(t.target, cst.Name):
                    names.add(t.target.value)
                elif isinstance(t.target, cst.Subscript) and _rooted_at(t.target, self_name):
                    return True
            break
        if isinstance(parent, (cst.BaseSmallStatement, cst.BaseCompoundStatement, cst.BaseExpression)):
            return False  # used in place (an argument, an operand): not a record of its own
    if not names:
        return False
    for inner, _ in own_nodes(fdef.body):
        if isinstance(inner, cst.Assign) and isinstance(inner.value, cst.Name) and inner.value.value in names:
            if any(isinstance(t.target, cst.Subscript) and _rooted_at(t.target, self_name) for t in inner.targets):
                return True
        elif isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) and \
                inner.func.attr.value in _STORING_METHODS and not isinstance(inner.func.value, cst.Name) and \
                _rooted_at(inner.func.value, self_name) and \
                any(isinstance(a.value, cst.Name) and a.value.value in names for a in inner.args):
            return True
    return False


def _read_after(fdef: cst.FunctionDef, calls, names) -> bool:
    """Whether one of the locals `names` is read after (in source order) one of `calls`: a
    snapshot of the arguments taken before the wrapped call and read after it, against what the
    callee may change (a test helper that reports the arguments a validator was given)."""
    if not names:
        return False
    after = False
    targets = {id(call) for call in calls}
    for node, _ in own_nodes(fdef.body):
        if id(node) in targets:
            after = True
        elif after and isinstance(node, cst.Name) and node.value in names:
            return True
    return False


def _unchanged_in(loop: cst.CSTNode, name: str) -> bool:
    """`name` is not rebound in the loop (nor by its target), nor changed through itself: no
    assignment to or deletion of its attributes or items and no method called on it, apart
    from the deep copy."""
    if isinstance(loop, cst.For) and _rooted_at(loop.target, name):
        return False  # the loop's own entry: a different value each trip
    roots = (loop.iter, loop.body) if isinstance(loop, cst.For) else (loop.test, loop.body)
    for node, _ in (pair for root in roots for pair in own_nodes(root)):
        if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.Del, cst.For, cst.CompFor,
                             cst.NamedExpr, cst.WithItem, cst.AsName)):
            target = getattr(node, "target", None) or getattr(node, "asname", None) or getattr(node, "name", None)
            if target is not None and _rooted_at(target, name):
                return False
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and \
                isinstance(node.func.value, cst.Name) and node.func.value.value == name and \
                _deep_copy_method(node) is None:
            return False  # obj.update(...), obj.append(...): changed between copies
    return True


def _rooted_at(target, name: str) -> bool:
    if isinstance(target, cst.AsName):
        target = target.name
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_rooted_at(e.value, name) for e in target.elements)
    if isinstance(target, cst.StarredElement):
        return _rooted_at(target.value, name)
    while isinstance(target, (cst.Attribute, cst.Subscript)):
        target = target.value
    return isinstance(target, cst.Name) and target.value == name


def _bindings_of(body: cst.CSTNode, name: str) -> int:
    """How many statements of a function body (nested scopes left out) bind `name`."""
    count = 0
    for node, _ in own_nodes(body):
        if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor,
                             cst.NamedExpr)) and _binds(node.target, name):
            count += 1
        elif isinstance(node, cst.AsName) and _binds(node.name, name):
            count += 1
    return count


def _binds(target, name: str) -> bool:
    if isinstance(target, cst.Name):
        return target.value == name
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_binds(e.value, name) for e in target.elements)
    if isinstance(target, cst.StarredElement):
        return _binds(target.value, name)
    return False


def _combine(shapes):
    """One shape for the values a name or attribute may hold: an atom when all are; else the
    one container kind (None values beside it: `self._w = None` before it is set), the most
    items any shows (None when one does not show them). None when one is unknown or the
    kinds differ."""
    if not shapes or any(s is None for s in shapes):
        return None
    containers = [s for s in shapes if s[0] != "atom"]
    if not containers:
        return "atom", 0
    if len({s[0] for s in containers}) > 1:
        return None
    counts = [s[1] for s in containers]
    return containers[0][0], None if None in counts else max(counts)


def _all_params(fdef: cst.FunctionDef):
    params = fdef.params
    extra = [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    return [*params.posonly_params, *params.params, *params.kwonly_params, *extra]


def _narrowed(path, name: str) -> bool:
    """The end of `path` is in the body of `if isinstance(name, <scalar types>):` (an `elif` too)."""
    for node, below in zip(path, path[1:]):
        if isinstance(node, cst.If) and below is node.body and _isinstance_scalar(node.test, name):
            return True
    return False


def _isinstance_scalar(test, name: str) -> bool:
    if not (isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and test.func.value == "isinstance"
            and len(test.args) == 2 and isinstance(test.args[0].value, cst.Name) and test.args[0].value.value == name):
        return False
    kinds = test.args[1].value
    kinds = [e.value for e in kinds.elements] if isinstance(kinds, cst.Tuple) else [kinds]
    return all(isinstance(k, (cst.Name, cst.Attribute)) and dotted_text(k).rpartition(".")[2] in SCALAR_TYPES
               for k in kinds)


def _checked_length(path, name: str):
    """N when, after the binding that ends `path`, the code raises unless `len(name) == N`
    (`if len(pos) != 3: raise ValueError`, `assert len(pos) == 3`), before any rebinding."""
    for stmt in later_statements(path, path[-1]):
        if _bindings_of(stmt, name):
            return None
        if isinstance(stmt, cst.If) and stmt.orelse is None and _raises(stmt.body):
            found = _length_test(stmt.test, name, cst.NotEqual)
        elif isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assert):
            found = _length_test(stmt.body[0].test, name, cst.Equal)
        else:
            continue
        if found is not None:
            return found
    return None


def _raises(body) -> bool:
    last = body.body[-1] if body.body else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1]
    return isinstance(last, cst.Raise)


def _length_test(test, name: str, operator: type):
    """N of `len(name) <op> N` (or `N <op> len(name)`)."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1 or \
            not isinstance(test.comparisons[0].operator, operator):
        return None
    left, right = test.left, test.comparisons[0].comparator
    if isinstance(left, cst.Integer):
        left, right = right, left
    if isinstance(right, cst.Integer) and isinstance(left, cst.Call) and isinstance(left.func, cst.Name) and \
            left.func.value == "len" and len(left.args) == 1 and isinstance(left.args[0].value, cst.Name) and \
            left.args[0].value.value == name:
        return int(right.evaluated_value)
    return None
