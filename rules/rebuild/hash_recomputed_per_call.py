"""PFL305 hash-recomputed-per-call."""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from perflint.rule import Invalid, Rule

_RENDER_BUILTINS = {"str": "__str__", "repr": "__repr__", "format": "__str__"}
_PROPERTY_DECORATORS = {"property"}
_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
# Class-level tuples that name a node's fields: `for k in self.keys`, `type(self).__slots__`.
_FIELD_LISTS = {"keys", "_keys", "fields", "_fields", "__slots__", "_attributes", "attributes",
                "__match_args__", "_fields_", "children_names"}
_COLLECTIONS = {"list", "tuple", "set", "frozenset", "dict", "deque", "List", "Tuple", "Set", "FrozenSet", "Dict",
                "Sequence", "MutableSequence", "Iterable", "Collection", "AbstractSet", "Mapping", "Deque"}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class HashRecomputedPerCall(Rule):
    """
    `__hash__` rebuilds a derived value (a rendering, a canonical form) on every call.

    ## What it does
    Flags a `__hash__` whose body is `return hash(...)` of a value the object computes anew
    each time: `str(self)` or `repr(self)` when the class's `__str__`/`__repr__` delegates to
    a serialiser (a method of the class or a function of the module) or walks a structure
    with a loop, a call of such a method (`hash(self._canonical())`), or a `@property` that
    does such work, or a hash input built inline by walking the whole instance dictionary
    and rendering or copying every value (`frozenset(map(str, self.__dict__.items()))`,
    `str(vars(self))`): every attribute, dicts, lists and other objects included, is turned
    into text on each call. Also a `__hash__` over fields (`hash((self.left, self.right))`, or
    `hash(tuple(getattr(self, k) for k in self.keys))` over the fields a class-level list
    names) when a field it hashes is declared to hold an object of the class's own
    hierarchy (the class, a base or a subclass defined in the module: `name: NameNode`,
    `items: List["Item"]`, `self.left = left` with `left: "Expr"`): each child hashes its own
    fields in turn, so one call hashes the whole subtree (graphql-core's AST nodes, used as
    dict keys during validation). The node must branch: a field that holds a collection of
    such nodes (`List[Node]`, `FrozenList["Node"]`), or two fields that hold one each (`left`,
    `right`); a wrapper around one node (`NotQuery(subquery)`) hashes a chain a few nodes
    long. A hash of scalar fields, or of fields that hold objects of other classes, reads a
    few values and is not reported, nor is a hash that is cached. A hash of named fields
    (`hash((self.left, self.right))`) is one node kind's own, often over a few nodes and
    rarely a dict key at volume: it has medium confidence (a note unless a loop of the scanned
    code repeats it); a generic node's hash over the fields its class lists covers every node
    of the tree and has high confidence.

    ## Why is this slow
    Dicts and sets call `__hash__` on every insertion and lookup: a resolver that keeps
    markers or specifiers in sets hashes each one thousands of times. Re-serialising a tree
    to text for each of those calls costs microseconds to tens of microseconds, while the
    value cannot change: an object's hash must stay the same for as long as it is in a dict.

    ## Example
    ```python
    class Marker:
        def __init__(self, markers):
            self._markers = markers

        def __str__(self):
            return _format_marker(self._markers)

        def __hash__(self):
            return hash(str(self))
    ```

    ## Use instead
    ```python
    class Marker:
        _hash = None

        def __hash__(self):
            if self._hash is None:
                self._hash = hash(str(self))
            return self._hash
    ```

    ## Notes
    Only classes defined in the scanned file are followed (the `__str__`, method or property
    must be defined in the same class; a node's hierarchy is the module's classes).
    `functools.cached_property` values are computed once and are not reported. The cost
    counts the rendering as a serialisation of a modest structure (100 elements) unless known
    otherwise (a walk over the instance dictionary too: the values' sizes are not in the
    code); a subtree hashed again costs `hash-node-element` per node, for a subtree of
    100 nodes (its size is not in the code).
    """

    CODE = "PFL305"
    COST = "serialize-roundtrip-element"  # perflint/costs.py; measured by bench/costs.py
    NAME = "hash-recomputed-per-call"
    FAMILY = "rebuild"
    FIX = "compute the hash once (a slot filled on first use, or at construction) and return the kept value"
    TRIGGERS = ("__hash__",)
    VALID = [
        # Fields only: nothing is rebuilt.
        "class P:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n"
        "    def __hash__(self):\n        return hash((self.x, self.y))\n",
        # Cached on first use.
        "class M:\n    _h = None\n    def __str__(self):\n        return _render(self._tree)\n"
        "    def __hash__(self):\n        if self._h is None:\n            self._h = hash(str(self))\n        return self._h\n"
        "def _render(t):\n    return ' '.join(t)\n",
        # __str__ is a field read: str(self) is cheap.
        "class N:\n    def __str__(self):\n        return self.name\n    def __hash__(self):\n        return hash(str(self))\n",
        # __repr__ joins a few names with str methods only: cheap, not a serialiser.
        "class T:\n    def __repr__(self):\n        return '%s (%s)' % (self.name, ', '.join(self.modules))\n"
        "    def __hash__(self):\n        return hash(self.__repr__())\n",
        # A cached_property is computed once.
        "import functools\nclass S:\n    @functools.cached_property\n    def _canon(self):\n        return canonicalize(self._spec)\n"
        "    def __hash__(self):\n        return hash(self._canon)\n",
        # The instance dictionary hashed as it is: its values are hashed, not rendered.
        "class Tag:\n    def __hash__(self):\n        return hash(frozenset(self.__dict__.items()))\n",
        # Fields of a recursive class that the hash does not read.
        "class Token:\n    def __init__(self, kind: str, prev: 'Token'):\n        self.kind, self.prev = kind, prev\n"
        "    def __hash__(self):\n        return hash((self.kind,))\n",
    ]
    INVALID = [
        Invalid(
            "class Marker:\n"
            "    def __init__(self, markers):\n"
            "        self._markers = markers\n"
            "    def __str__(self):\n"
            "        return _format_marker(self._markers)\n"
            "    def __hash__(self):\n"
            "        return hash(str(self))\n"
            "def _format_marker(m):\n"
            "    return ' '.join(_format_marker(x) if isinstance(x, list) else str(x) for x in m)\n",
            line=7,
        ),
        Invalid(
            "class SpecSet:\n"
            "    def _canonical_specs(self):\n"
            "        return frozenset(s.canonical() for s in self._specs)\n"
            "    def __hash__(self):\n"
            "        return hash(self._canonical_specs())\n",
            line=5,
        ),
        Invalid(
            "class Spec:\n"
            "    @property\n"
            "    def _canonical_spec(self):\n"
            "        return self._op, canonicalize_version(self._version)\n"
            "    def __hash__(self):\n"
            "        return hash(self._canonical_spec)\n",
            line=6,
        ),
        # Every attribute rendered as text (a configuration object whose values are dicts and lists).
        Invalid(
            "class Conf:\n"
            "    def __hash__(self):\n"
            "        return hash(frozenset(map(str, self.__dict__.items())))\n",
            line=3,
        ),
        # A tree node: its children are nodes, each hashing its own fields in turn.
        Invalid(
            "class Expr:\n"
            "    def __init__(self, op: str, left: 'Expr', right: 'Expr'):\n"
            "        self.op, self.left, self.right = op, left, right\n"
            "    def __hash__(self):\n"
            "        return hash((self.op, self.left, self.right))\n",
            line=5,
        ),
    ]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods: Dict[str, cst.FunctionDef] = {}
        properties: Set[str] = set()
        for stmt in node.body.body:
            if isinstance(stmt, cst.FunctionDef):
                methods[stmt.name.value] = stmt
                names = {_decorator_name(d) for d in stmt.decorators}
                if names & _PROPERTY_DECORATORS:
                    properties.add(stmt.name.value)
        hash_def = methods.get("__hash__")
        if hash_def is None or not isinstance(hash_def.body, cst.IndentedBlock):
            return
        module_functions = self._module_functions
        for stmt in hash_def.body.body:
            # Only a top-level `return hash(...)`: one under an `if` is a memo guard's miss.
            if not (isinstance(stmt, cst.SimpleStatementLine) and stmt.body
                    and isinstance(stmt.body[0], cst.Return)):
                continue
            value = stmt.body[0].value
            if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "hash" and value.args):
                continue
            walked = _instance_dict_rendered(value.args[0].value)
            if walked is not None:
                # Every attribute's value, whatever it holds (dicts, lists, other objects), is
                # rendered: a structure of unknown size, priced as a modest one.
                self._pending[id(value)] = (walked, None, None, None)
                continue
            found = self._rebuilt(value.args[0].value, methods, properties, module_functions)
            if found is not None:
                why, worker = found
                # Reported when the walk reaches the call, inside __hash__: its role sets the frequency.
                self._pending[id(value)] = (why, None, _elements(worker, methods, module_functions), None)
                continue
            subtree = self._subtree(node, value.args[0].value, methods)
            if subtree is not None:
                self._pending[id(value)] = (*subtree, None, "hash-node-element")

    def visit_Call(self, node: cst.Call) -> None:
        pending = self._pending.pop(id(node), None)
        if pending is not None:
            why, confidence, size, cost = pending
            self.report(node, f"__hash__ {why} on every call, and dicts and sets hash on every lookup",
                        size=size, per_item="__hash__ runs per dict or set lookup", cost=cost,
                        confidence=confidence)

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._module_functions: Dict[str, cst.FunctionDef] = {}
        # id of a `hash(...)` call in __hash__ -> (what it rebuilds, confidence or None for the
        # rule's, elements it renders or None, cost key or None for the rule's)
        self._pending: Dict[int, Tuple[str, Optional[str], Optional[float], Optional[str]]] = {}
        self._class_defs: List[cst.ClassDef] = []
        self._classes: Optional[Dict[str, _ClassInfo]] = None  # _class_infos(), on demand

    def visit_Module(self, node: cst.Module) -> None:
        # Module-level functions: a `__str__` that calls one delegates to a serialiser.
        self._module_functions = {s.name.value: s for s in node.body if isinstance(s, cst.FunctionDef)}
        self._class_defs = [s for s in node.body if isinstance(s, cst.ClassDef)]

    def _class_infos(self) -> Dict[str, "_ClassInfo"]:
        """Module-level classes, their in-file bases and what their fields are declared to
        hold (a `__hash__` over fields recurses when a field holds a node of the same
        hierarchy): read once per file, and only in a file with such a `__hash__`."""
        if self._classes is None:
            self._classes = {s.name.value: _ClassInfo(s, i) for i, s in enumerate(self._class_defs)}
        return self._classes

    def _subtree(self, cls: cst.ClassDef, expr: cst.BaseExpression,
                 methods: Dict[str, cst.FunctionDef]) -> Optional[Tuple[str, Optional[str]]]:
        """A hash of fields that holds nodes of the class's own hierarchy: hashing them hashes
        their fields in turn, the whole subtree on every call. The fields are the `self.x`
        the hash reads, or every field of the class and its subclasses when it enumerates
        them from a class-level list (`tuple(getattr(self, k) for k in self.keys)`)."""
        classes = self._class_infos()
        info = classes.get(cls.name.value)
        if info is None or info.node is not cls:
            return None  # a nested class: its hierarchy is not read
        lineage = _ancestors(cls.name.value, classes) | _descendants(cls.name.value, classes)
        if _enumerates_fields(expr):
            read: Optional[Set[str]] = None  # every field
        else:
            read = {attr.attr.value for attr in _walk(expr, cst.Attribute)
                    if _is_self(attr.value) and attr.attr.value not in methods}
            if not read:
                return None
        # A tree, not a chain: a field holding a collection of such nodes, or two fields
        # holding one each (`left`, `right`), so the subtree grows with the data. A wrapper
        # around one node (`NotQuery(subquery)`) hashes a chain a few nodes long.
        hashed: Dict[str, Tuple[str, bool]] = {}  # field -> (a node class it holds, in a collection)
        for name in sorted(lineage, key=lambda n: classes[n].line):
            own: Dict[str, Tuple[str, bool]] = {}
            for field, held in classes[name].fields.items():
                nodes = held & lineage
                if nodes and (read is None or field in read):
                    own[field] = (min(nodes), bool(classes[name].contained.get(field, frozenset()) & lineage))
            if read is None:  # every field of one node class: that class branches
                if len(own) >= 2 or any(many for _, many in own.values()):
                    hashed = own
                    break
            else:
                for field, held_by in own.items():
                    hashed.setdefault(field, held_by)
        if not (len(hashed) >= 2 or any(many for _, many in hashed.values())):
            return None
        field, (node_class, _) = sorted(hashed.items(), key=lambda item: not item[1][1])[0]
        what = "its fields, which hold" if read is None else f"self.{field}, which holds"
        why = f"hashes {what} {node_class} objects of the {cls.name.value} hierarchy: the whole subtree"
        # A node kind's own hash of named fields (sphinx's C++ expression and declarator nodes,
        # one __hash__ per class) covers one kind of node, whose subtrees are often a few nodes
        # and which little code keeps in dicts: medium confidence, a note unless a loop of the
        # scanned code repeats it. A generic node's hash over the fields its class lists covers
        # every node of the tree, documents included (graphql-core's Node).
        return why, (None if read is None else "medium")

    def _rebuilt(self, expr: cst.BaseExpression, methods: Dict[str, cst.FunctionDef], properties: Set[str],
                 module_functions: Dict[str, cst.FunctionDef]) -> Optional[Tuple[str, cst.FunctionDef]]:
        """What `expr` recomputes, when that is more than reading fields."""
        for call in _walk(expr, cst.Call):
            func = call.func
            if isinstance(func, cst.Name) and func.value in _RENDER_BUILTINS and _is_self_arg(call):
                dunder = _RENDER_BUILTINS[func.value]
                render = methods.get(dunder) or methods.get("__repr__")
                if render is not None and _does_work(render, methods, module_functions):
                    return f"re-renders {func.value}(self) through {render.name.value}()", render
            if isinstance(func, cst.Attribute) and _is_self(func.value):
                name = func.attr.value
                target = methods.get(name)
                if target is not None and name not in properties and _does_work(target, methods, module_functions):
                    return f"recomputes self.{name}()", target
        for attr in _walk(expr, cst.Attribute):
            if _is_self(attr.value) and attr.attr.value in properties:
                target = methods[attr.attr.value]
                if _does_work(target, methods, module_functions):
                    return f"recomputes the property self.{attr.attr.value}", target
        return None


def _decorator_name(dec: cst.Decorator) -> str:
    expr = dec.decorator
    if isinstance(expr, cst.Call):
        expr = expr.func
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Name):
        return expr.value
    return ""


def _is_self(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "self"


def _is_self_arg(call: cst.Call) -> bool:
    return bool(call.args) and _is_self(call.args[0].value)


def _walk(node: cst.CSTNode, kind: type):
    """Every node of `kind` under `node` (itself included), in source order."""
    found = []

    class _Collect(cst.CSTVisitor):
        def on_visit(self, n: cst.CSTNode) -> bool:
            if isinstance(n, kind):
                found.append(n)
            return True

    node.visit(_Collect())
    return found


def _does_work(fn: cst.FunctionDef, methods: Dict[str, cst.FunctionDef],
               module_functions: Dict[str, cst.FunctionDef]) -> bool:
    """The body walks a structure (a loop) or delegates to a serialiser of the class or module."""
    if _walk(fn.body, _LOOPS):
        return True
    for call in _walk(fn.body, cst.Call):
        func = call.func
        # A private helper or a serialiser by name; `_` alone is gettext, a lookup.
        if isinstance(func, cst.Name) and func.value != "_" and (
                func.value in module_functions or func.value[:1] == "_" or
                func.value.startswith(("canonical", "format", "render", "serial", "dump"))):
            return True
        if isinstance(func, cst.Attribute) and _is_self(func.value) and func.attr.value in methods:
            return True
    return False


def _elements(fn: cst.FunctionDef, methods: Dict[str, cst.FunctionDef],
              module_functions: Dict[str, cst.FunctionDef]) -> Optional[float]:
    """How many elements the rendering visits: unknown (None: a modest structure) when it
    walks a tree (a recursive serialiser) or a collection the object holds, else the fields
    it reads from self."""
    chain: List[cst.FunctionDef] = [fn]
    for call in _walk(fn.body, cst.Call):
        func = call.func
        if isinstance(func, cst.Name) and func.value in module_functions:
            chain.append(module_functions[func.value])
        elif isinstance(func, cst.Attribute) and _is_self(func.value) and func.attr.value in methods:
            chain.append(methods[func.attr.value])
    fields: Set[str] = set()
    for member in chain:
        name = member.name.value
        for call in _walk(member.body, cst.Call):
            func = call.func
            if (isinstance(func, cst.Name) and func.value == name) or (
                    isinstance(func, cst.Attribute) and _is_self(func.value) and func.attr.value == name):
                return None  # recursive: a tree of unknown size
        for loop in _walk(member.body, (cst.For, cst.CompFor)):
            if _held_collection(loop.iter):
                return None  # a loop over a collection the object holds: of unknown size
        for attr in _walk(member.body, cst.Attribute):
            if _is_self(attr.value) and attr.attr.value not in methods:
                fields.add(attr.attr.value)
    return float(max(len(fields), 1))


def _held_collection(expr: cst.BaseExpression) -> bool:
    """`self.items`, `self.items.values()`: a collection the object itself holds."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and not expr.args:
        expr = expr.func.value
    return isinstance(expr, cst.Attribute) and _is_self(expr.value)


class _ClassInfo:
    """A module-level class: its bases (last names) and, per field, the names of the types its
    declarations mention (`name: NameNode`, `items: List["Item"]`, `self.left = Expr(...)`,
    `self.left = left` with `left: Expr`)."""

    def __init__(self, node: cst.ClassDef, order: int) -> None:
        self.node = node
        self.line = order  # its place in the module: classes are read in source order
        self.bases = [_last_name(arg.value) for arg in node.bases if arg.keyword is None]
        self.fields: Dict[str, FrozenSet[str]] = {}
        self.contained: Dict[str, FrozenSet[str]] = {}  # names held in a collection: `List[Node]`
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                        self._add(small.target.value, *_type_names(small.annotation.annotation))
            elif isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__":
                self._init(stmt)

    def _add(self, field: str, names: Set[str], contained: Set[str] = frozenset()) -> None:  # type: ignore[assignment]
        if names:
            self.fields[field] = self.fields.get(field, frozenset()) | frozenset(names)
        if contained:
            self.contained[field] = self.contained.get(field, frozenset()) | frozenset(contained)

    def _init(self, init: cst.FunctionDef) -> None:
        params = {p.name.value: _type_names(p.annotation.annotation)
                  for p in (*init.params.posonly_params, *init.params.params, *init.params.kwonly_params)
                  if p.annotation is not None}
        for stmt in _walk(init.body, (cst.Assign, cst.AnnAssign)):
            targets = [t.target for t in stmt.targets] if isinstance(stmt, cst.Assign) else [stmt.target]
            pairs = [(target, stmt.value) for target in targets]
            for target in targets:  # `self.left, self.right = left, right`
                if isinstance(target, cst.Tuple) and isinstance(stmt.value, cst.Tuple) and \
                        len(target.elements) == len(stmt.value.elements):
                    pairs.extend((t.value, v.value) for t, v in zip(target.elements, stmt.value.elements))
            for target, value in pairs:
                if not (isinstance(target, cst.Attribute) and _is_self(target.value)):
                    continue
                names: Set[str] = set()
                contained: Set[str] = set()
                if isinstance(stmt, cst.AnnAssign):
                    names, contained = _type_names(stmt.annotation.annotation)
                if isinstance(value, cst.Name) and value.value in params:
                    names |= params[value.value][0]
                    contained |= params[value.value][1]
                elif isinstance(value, cst.Call):
                    names.add(_last_name(value.func))
                self._add(target.attr.value, names, contained)


def _last_name(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return expr.value if isinstance(expr, cst.Name) else ""


def _type_names(annotation: cst.BaseExpression) -> Tuple[Set[str], Set[str]]:
    """The names an annotation mentions, forward references in strings too, and those of
    them inside a collection (`List[Node]`, `FrozenList["Node"]`, `tuple[Node, ...]`)."""
    names: Set[str] = set()
    contained: Set[str] = set()
    stack: List[Tuple[cst.CSTNode, bool]] = [(annotation, False)]
    while stack:
        node, inside = stack.pop()
        if isinstance(node, cst.SimpleString):
            try:
                stack.append((cst.parse_expression(node.value[1:-1]), inside))
            except Exception:  # not an expression: its words
                found = set(_WORD.findall(node.value[1:-1]))
                names |= found
                if inside:
                    contained |= found
            continue
        if isinstance(node, (cst.Name, cst.Attribute)):
            names.add(_last_name(node))
            if inside:
                contained.add(_last_name(node))
            if isinstance(node, cst.Name):
                continue
        if isinstance(node, cst.Subscript):
            many = inside or _is_collection(_last_name(node.value))
            stack.extend((element.slice, many) for element in node.slice)
            continue
        stack.extend((child, inside) for child in node.children)
    return names, contained


def _is_collection(name: str) -> bool:
    return name in _COLLECTIONS or name.endswith(("List", "Sequence", "Set", "Tuple"))


def _ancestors(name: str, classes: Dict[str, "_ClassInfo"]) -> Set[str]:
    """The class and its bases defined in the module, up the chain."""
    seen: Set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen or current not in classes:
            continue
        seen.add(current)
        todo.extend(classes[current].bases)
    return seen


def _descendants(name: str, classes: Dict[str, "_ClassInfo"]) -> Set[str]:
    """The class and its subclasses defined in the module, down the chain."""
    seen = {name}
    grew = True
    while grew:
        grew = False
        for other, info in classes.items():
            if other not in seen and any(base in seen for base in info.bases):
                seen.add(other)
                grew = True
    return seen


def _enumerates_fields(expr: cst.BaseExpression) -> bool:
    """`tuple(getattr(self, k) for k in self.keys)`: the fields named by a class-level list."""
    for comp in _walk(expr, cst.CompFor):
        source = comp.iter
        if isinstance(source, cst.Attribute) and source.attr.value in _FIELD_LISTS and (
                _is_self(source.value) or _names_class(source.value)):
            getattrs = [call for call in _walk(expr, cst.Call) if isinstance(call.func, cst.Name)
                        and call.func.value == "getattr" and _is_self_arg(call)]
            if getattrs:
                return True
    return False


def _names_class(expr: cst.BaseExpression) -> bool:
    """`type(self)`, `self.__class__`."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "type":
        return _is_self_arg(expr)
    return isinstance(expr, cst.Attribute) and expr.attr.value == "__class__" and _is_self(expr.value)


_COPIERS = {"copy", "deepcopy"}


def _instance_dict(expr: cst.BaseExpression) -> Optional[str]:
    """`self.__dict__` or `vars(self)`: the instance's whole attribute dictionary."""
    if isinstance(expr, cst.Attribute) and expr.attr.value == "__dict__" and _is_self(expr.value):
        return "self.__dict__"
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "vars" \
            and len(expr.args) == 1 and _is_self_arg(expr):
        return "vars(self)"
    return None


def _value_step(func: cst.BaseExpression) -> Optional[str]:
    """What a call applied to each value does to it: render it (`str`, `repr`, `format`,
    `json.dumps`) or copy it (`copy.deepcopy`)."""
    name = _last_name(func)
    if name in _RENDER_BUILTINS or name == "dumps":
        return "stringifies"
    if name in _COPIERS:
        return "copies"
    return None


def _instance_dict_rendered(expr: cst.BaseExpression) -> Optional[str]:
    """A hash input built by walking the whole instance dictionary and rendering or copying
    every value: `frozenset(map(str, self.__dict__.items()))`, `tuple(str(v) for v in
    vars(self).values())`, `str(self.__dict__)`. A lookup of one key (`self.__dict__['x']`,
    `.get('x')`) is not a walk."""
    whole: Dict[int, str] = {}  # id of an expression that yields the whole dictionary -> its spelling
    for call in _walk(expr, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("items", "values") and not call.args:
            source = _instance_dict(func.value)
            if source is not None:
                whole[id(call)] = source
        for arg in call.args:
            source = _instance_dict(arg.value)
            if source is not None:
                whole[id(arg.value)] = source
    for comp in _walk(expr, cst.CompFor):
        source = _instance_dict(comp.iter)
        if source is not None:
            whole[id(comp.iter)] = source
    if not whole:
        return None

    def walked(node: cst.CSTNode) -> Optional[str]:
        return next((whole[id(n)] for n in _walk(node, cst.BaseExpression) if id(n) in whole), None)

    for call in _walk(expr, cst.Call):
        func = call.func
        if isinstance(func, cst.Name) and func.value == "map" and len(call.args) >= 2:
            step = _value_step(call.args[0].value)
            source = walked(call.args[1].value)
        else:
            step = _value_step(func)
            source = next((s for s in (walked(arg.value) for arg in call.args) if s), None)
        if step is not None and source is not None:
            return f"{step} every instance attribute (all of {source})"
    for comp in _walk(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
        source = walked(comp.for_in.iter)
        parts = (comp.key, comp.value) if isinstance(comp, cst.DictComp) else (comp.elt,)
        steps = [_value_step(c.func) for part in parts for c in _walk(part, cst.Call)]
        step = next((s for s in steps if s), None)
        if step is not None and source is not None:
            return f"{step} every instance attribute (all of {source})"
    return None
