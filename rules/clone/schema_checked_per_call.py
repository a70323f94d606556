"""PFL106 schema-checked-per-call."""

from __future__ import annotations

from typing import Dict, Optional, Set, Tuple

import libcst as cst

from perflint.attrwrites import chain
from perflint.rule import Invalid, Rule
from perflint.ruleutil import bound_names, innermost_def, is_literal, own_nodes, runs_per_call, single_value

# jsonschema's convenience function: picks the validator class for the schema, checks the
# schema against that class's metaschema (a full validation of the schema as a document),
# builds a validator and validates. Only the last step depends on the instance.
_VALIDATE = frozenset({"jsonschema.validate", "jsonschema.validators.validate"})
# the function that picks a validator class for a schema by its `$schema`: the class it
# returns has `check_schema`, as each of jsonschema's own validator classes has
_VALIDATOR_FOR = frozenset({"jsonschema.validators.validator_for", "jsonschema.validator_for"})


class SchemaCheckedPerCall(Rule):
    """
    `jsonschema.validate(instance, schema)` called again and again with a schema that does
    not change: each call checks the schema against its metaschema and builds a new validator.

    ## What it does
    Flags `jsonschema.validate(instance, schema)` in a function that runs per request, per
    message or per item, when the schema is the same object on every call: a literal, a
    module-level constant or a schema loaded once when the module is imported, a parameter
    that every caller in the program passes such a schema, or an attribute of `self` that the
    program only ever sets once per object (in an `__init__` or a class body). It is reported where something
    repeats the call (a loop, a caller's loop) or where the function runs once per unit of
    work of an entry point (a request handler, a task, a public API method): one check of the
    schema costs more than most requests' own validation.

    The same steps spelled out are reported too: `cls.check_schema(schema)`, where `cls` is one
    of jsonschema's validator classes (`jsonschema.Draft7Validator`) or what
    `jsonschema.validators.validator_for(schema)` returned, with a schema of the kinds above,
    or one the method derives from its own object alone (`schema = self.get_schema()`, no
    argument) in a method that is handed other per-call data (the instance) and that a loop
    repeats: a loader that builds a validator for each document it is asked about checks the
    same schema each time.

    ## Why is this slow
    `jsonschema.validate()` is the one-shot convenience: it looks up the validator class for
    the schema's `$schema`, validates the *schema* against that draft's metaschema
    (`check_schema`), builds a validator, and only then validates the instance. The schema
    check is a validation of the schema as a document, and grows with it: 15-19 µs per node
    of the schema (each object, array and value), 0.6 ms for the JSON-RPC 2.0 request schema
    (37 nodes, draft 4), against 0.05 ms for validating a request with a validator prepared
    once (jsonschema 4.26, CPython 3.11). jsonrpcserver validated every incoming
    request this way and made validation ten times faster by preparing the validator at
    import.

    ## Example
    ```python
    import jsonschema

    REQUEST_SCHEMA = {"type": "object", "required": ["method"]}

    def handle(request):
        jsonschema.validate(request, REQUEST_SCHEMA)  # checks REQUEST_SCHEMA again per request
        return dispatch(request)
    ```

    ## Use instead
    ```python
    import jsonschema

    REQUEST_SCHEMA = {"type": "object", "required": ["method"]}
    _validator_class = jsonschema.validators.validator_for(REQUEST_SCHEMA)
    _validator_class.check_schema(REQUEST_SCHEMA)      # once, at import
    REQUEST_VALIDATOR = _validator_class(REQUEST_SCHEMA)

    def handle(request):
        REQUEST_VALIDATOR.validate(request)
        return dispatch(request)
    ```

    ## Notes
    The size of a schema written out at the call, or assigned once at module level in the same
    file, is counted; one loaded from a file or imported is priced at 100 nodes, a modest
    schema. A schema the function builds
    or loads on each call, and one passed in by a caller that is not the same each time, are
    not reported. An attribute of `self` is reported, at medium confidence (the object may be
    built per request, each with its own schema), when every binding of that attribute name in
    the program, tests aside, is in an `__init__` (`self.schema = schema`, or a store into
    `self.__dict__`, as warlock's generated model classes do) or a class body: none in another
    method, on another object, by `setattr`, nor a property of that name, and nothing grows or
    changes it in place; the fix builds the validator where the schema is set. Nor is a call
    in a function that runs once (a start-up check of a configuration file), in
    a memoised function, or in tests. A schema that reaches the function as a parameter is
    reported when every call the program makes passes one fixed for the process (a
    module-level schema); its users may pass others, but a schema is configuration, the same
    few on every call. Passing `cls=` does not help: `validate()` still checks the schema
    each time. `check_schema` is priced alone (the validator's construction, a format checker
    and a reference registry come on top): it is nearly all of the cost, 15.7-16.8 µs per
    node of draft-7 schemas of 34 to 309 nodes, and the whole build without a registry
    (validator_for, check_schema, the validator with a format checker) 14.5-17.3 µs, CPU time
    (jsonschema 4.26, CPython 3.11), against the rule's 18.7 µs per node. A schema derived
    from the object is reported at medium confidence, and only where a loop repeats the call
    (the loop may make a new object each time); a method handed nothing but its object
    (`def clean(self)`, a model checking the schema it holds) is the unit of work, and checking
    that schema is the point of it. A prepared validator's `validate()` raises the first
    error it finds rather than `best_match`'s choice among all errors;
    `jsonschema.exceptions.best_match(validator.iter_errors(instance))` keeps the same message.
    """

    CODE = "PFL106"
    COST = "schema-check-element"  # perflint/calibrate.py SPECS (an estimate measured with jsonschema 4.26)
    NAME = "schema-checked-per-call"
    FAMILY = "clone"
    FIX = ("check the schema and build its validator once (validator_for(schema), check_schema, then the "
           "validator class on the schema, at import) and call validator.validate(instance) per call")
    TRIGGERS = ("jsonschema",)
    VALID = [
        # A validator prepared once.
        "import jsonschema\nSCHEMA = {'type': 'object'}\nVALIDATOR = jsonschema.Draft7Validator(SCHEMA)\n"
        "def handle(requests):\n    for r in requests:\n        VALIDATOR.validate(r)\n",
        # A schema that comes with each call.
        "import jsonschema\ndef check_all(pairs):\n    for doc, schema in pairs:\n        jsonschema.validate(doc, schema)\n",
        # Module level: runs once at import.
        "import jsonschema\nSCHEMA = {'type': 'object'}\njsonschema.validate({}, SCHEMA)\n",
        # A schema loaded in the function each time (what it loads may change).
        "import json, jsonschema\ndef check(paths, doc):\n    for p in paths:\n"
        "        schema = json.load(open(p))\n        jsonschema.validate(doc, schema)\n",
        # A schema the object holds, checked by the object's own method: the point of the call.
        "from jsonschema import Draft7Validator\nclass Definition:\n    def __init__(self, schema):\n"
        "        self.schema = schema\n    def clean(self):\n        Draft7Validator.check_schema(self.schema)\n"
        "def clean_all(schemas):\n    for s in schemas:\n        d = Definition(s)\n        d.clean()\n",
        # Not jsonschema's validate.
        "SCHEMA = {}\ndef validate(doc, schema):\n    return doc\n"
        "def check(docs):\n    for d in docs:\n        validate(d, SCHEMA)\n",
    ]
    INVALID = [
        Invalid("import jsonschema\nSCHEMA = {'type': 'object'}\n"
                "def handle(requests):\n    for r in requests:\n        jsonschema.validate(r, SCHEMA)\n", line=5),
        Invalid("from jsonschema import validate\n"
                "def handle(messages):\n    for m in messages:\n        validate(m, {'type': 'object'})\n", line=4),
        # The schema reaches the function as a parameter; every caller passes the module's.
        Invalid("import json\nfrom jsonschema import validate as jsonschema_validate\n"
                "schema = json.loads('{\"type\": \"object\"}')\n"
                "def validate(request, schema):\n    jsonschema_validate(request, schema)\n    return request\n"
                "def dispatch(requests):\n    for r in requests:\n        validate(r, schema)\n", line=5),
        # The same steps spelled out: the schema checked against its metaschema per request.
        Invalid("from jsonschema import Draft7Validator\nSCHEMA = {'type': 'object'}\n"
                "def handle(requests):\n    for r in requests:\n        Draft7Validator.check_schema(SCHEMA)\n"
                "        Draft7Validator(SCHEMA).validate(r)\n", line=5),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._sizes: Dict[str, int] = {}

    def visit_Module(self, node: cst.Module) -> None:
        # module-level schemas written out (`SCHEMA = {...}`, assigned once), before or after
        # the functions that use them: their size is known
        assigned: Dict[str, int] = {}
        for stmt in node.body:
            if type(stmt) is not cst.SimpleStatementLine:
                continue
            for small in stmt.body:
                targets = [t.target for t in small.targets] if type(small) is cst.Assign else (  # type: ignore[attr-defined]
                    [small.target] if type(small) in (cst.AnnAssign, cst.AugAssign) else [])  # type: ignore[attr-defined]
                for target in targets:
                    if type(target) is cst.Name:
                        name = target.value  # type: ignore[attr-defined]
                        value = getattr(small, "value", None)
                        sized = type(small) is not cst.AugAssign and value is not None and _literal_schema(value)
                        assigned[name] = -1 if name in assigned or not sized else _nodes(value)
        self._sizes = {name: size for name, size in assigned.items() if size > 0}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else ""
        if not name:
            return
        checked = name == "check_schema" and type(func) is cst.Attribute and self._validator_class(func.value)
        if not checked and self.ctx.resolve(func) not in _VALIDATE:
            return
        schema = _schema_argument(node) if not checked else (
            node.args[0].value if node.args and node.args[0].keyword is None and not node.args[0].star else None)
        fn = runs_per_call(self.ctx)
        if schema is None or fn is None:
            return  # module level, memoised functions, tests
        found = self._fixed(schema, fn)
        if found is None and checked:
            found = self._kept_by_self(schema, fn)
        if found is None:
            return
        what, requires = found
        if checked:
            self._report_check(node, schema, fn, what, requires)
            return
        if _literal_schema(schema):
            size: Optional[float] = float(_nodes(schema))
        elif type(schema) is cst.Name and schema.value in self._sizes and not requires:
            size = float(self._sizes[schema.value])  # the module's own literal schema
        else:
            size = None  # loaded or imported: priced as a modest schema (100 nodes)
        # an attribute of self: the program binds it once per object, but the object itself
        # may be built per request, each with its own schema
        confidence = "medium" if any(r.startswith("attr-set-once:") for r in requires) else "high"
        self.report(node, f"jsonschema.validate() checks {what} against its metaschema and builds a new validator "
                          f"on every call of {fn.name}(), and the schema does not change between calls",
                    requires=("repeated-or-entry",) + requires, size=size, confidence=confidence)

    def _report_check(self, node: cst.Call, schema: cst.BaseExpression, fn, what: str,
                      requires: Tuple[str, ...]) -> None:
        """`cls.check_schema(schema)` spelled out, with a schema that does not change between
        calls: the function prepares a validator per call (jsonschema.validate's first steps)."""
        if any(r.startswith("attr-set-once:") or r == "repeated" for r in requires) and len(fn.params) < 2:
            # `def clean(self)`: the object is the unit of work, and checking the schema it
            # holds is the point of the call; a method that is handed other per-call data (an
            # instance to validate) checks its object's schema again for each
            return
        if _literal_schema(schema):
            size: Optional[float] = float(_nodes(schema))
        elif type(schema) is cst.Name and schema.value in self._sizes and not requires:
            size = float(self._sizes[schema.value])
        else:
            size = None
        confidence = "medium" if any(r.startswith("attr-set-once:") or r == "repeated" for r in requires) else "high"
        if "repeated" not in requires:
            requires = ("repeated-or-entry",) + requires
        self.report(node, f"check_schema() checks {what} against its metaschema on every call of {fn.name}(), "
                          "and the schema does not change between calls",
                    requires=requires, size=size, confidence=confidence)

    def _validator_class(self, expr: cst.BaseExpression) -> bool:
        """Whether `expr` is a jsonschema validator class: one of jsonschema's own by name
        (`jsonschema.Draft7Validator`), or a local of the function that holds what
        `validator_for(schema)` returned."""
        resolved = self.ctx.resolve(expr) or ""
        if resolved.startswith("jsonschema.") and resolved.endswith("Validator"):
            return True
        if type(expr) is not cst.Name:
            return False
        fdef = innermost_def(self.ctx)
        if fdef is None:
            return False
        for found, _ in own_nodes(fdef.body):
            if type(found) is cst.Assign and type(found.value) is cst.Call and any(  # type: ignore[attr-defined]
                    type(t.target) is cst.Name and t.target.value == expr.value for t in found.targets) \
                    and self.ctx.resolve(found.value.func) in _VALIDATOR_FOR:  # type: ignore[attr-defined]
                return True
        return False

    def _kept_by_self(self, schema: cst.BaseExpression, fn) -> Optional[Tuple[str, Tuple[str, ...]]]:
        """A schema the method derives from its object alone, once per call: a local bound
        once to `self.get_schema()` or `self.reader.schema` (no argument, nothing the call is
        handed): the same schema on every call on one object, when a caller repeats the call
        (phase 2: `repeated`, the object kept across the repetition)."""
        if type(schema) is not cst.Name or fn.cls is None or not fn.params:
            return None
        fdef = innermost_def(self.ctx)
        value = single_value(fdef, schema.value) if fdef is not None else None
        if value is None or not _of_self(value, fn.params[0]):
            return None
        return f"the schema '{schema.value}' (from {fn.params[0]}.{'.'.join(_chain_of(value)[1:])})", ("repeated",)

    def _fixed(self, schema: cst.BaseExpression, fn) -> Optional[Tuple[str, Tuple[str, ...]]]:
        """(what the schema is, phase-2 conditions) when it is the same object on every call;
        None when it may differ."""
        if _literal_schema(schema):
            return "a literal schema", ()
        if type(schema) is cst.Attribute:
            parts = chain(schema)
            # `schemas.REQUEST`, `Config.SCHEMA`: a constant of an imported module or a class
            if parts and parts[-1].isupper() and parts[0] not in self._locals():
                return f"the schema '{'.'.join(parts)}'", ()
            if parts and len(parts) == 2 and fn.cls is not None and fn.params[:1] == (parts[0],) \
                    and not self._rebound(parts[0]):
                # `self.schema`: the same object on every call when the program binds that
                # attribute once per object only (phase 2: in __init__ or a class body)
                return f"the schema 'self.{parts[1]}' (set once per object)", (f"attr-set-once:{parts[1]}",)
            return None
        if type(schema) is not cst.Name:
            return None
        name = schema.value
        if name not in self._locals():
            return f"the module-level schema '{name}'", ()
        if name in fn.params and not self._rebound(name):
            # every caller must pass a fixed schema (passed.py, in phase 2)
            return f"the schema '{name}' that every caller passes, fixed for the process,", (
                f"callers-pass-fixed:{name}",)
        return None

    def _locals(self) -> Set[str]:
        """Names any enclosing function binds (its parameters included)."""
        found: Set[str] = set()
        for node in self.ctx.stack:
            if type(node) is cst.FunctionDef:
                found |= bound_names(node)
        return found

    def _rebound(self, name: str) -> bool:
        for node in reversed(self.ctx.stack):
            if type(node) is cst.FunctionDef:
                return name in bound_names(node, params=False)
        return True


def _chain_of(expr: cst.BaseExpression) -> Tuple[str, ...]:
    """`self.reader.read_schema()` -> ("self", "reader", "read_schema()"); () for anything
    else than names, attributes and calls without arguments."""
    if type(expr) is cst.Call:
        if expr.args:  # type: ignore[attr-defined]
            return ()
        inner = _chain_of(expr.func)  # type: ignore[attr-defined]
        return inner[:-1] + (inner[-1] + "()",) if len(inner) > 1 else ()
    if type(expr) is cst.Attribute:
        inner = _chain_of(expr.value)  # type: ignore[attr-defined]
        return inner + (expr.attr.value,) if inner else ()  # type: ignore[attr-defined]
    if type(expr) is cst.Name:
        return (expr.value,)  # type: ignore[attr-defined]
    return ()


def _of_self(expr: cst.BaseExpression, receiver: str) -> bool:
    """`self.get_schema()`, `self.reader.read_schema()`, `self.schema`: read from the object
    alone, with no argument."""
    parts = _chain_of(expr)
    return len(parts) >= 2 and parts[0] == receiver


def _schema_argument(node: cst.Call) -> Optional[cst.BaseExpression]:
    """The `schema` argument of validate(instance, schema, ...)."""
    positional = [a for a in node.args if a.keyword is None and not a.star]
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == "schema":
            return arg.value
    return positional[1].value if len(positional) >= 2 else None


def _literal_schema(expr: cst.BaseExpression) -> bool:
    """A dict or list display of literals (True, False, None and nested displays included)."""
    kind = type(expr)
    if kind is cst.Dict:
        return all(type(e) is cst.DictElement and _literal_schema(e.key) and _literal_schema(e.value)
                   for e in expr.elements)  # type: ignore[attr-defined]
    if kind in (cst.List, cst.Tuple):
        return all(type(e) is cst.Element and _literal_schema(e.value) for e in expr.elements)  # type: ignore[attr-defined]
    if kind is cst.Name:
        return expr.value in ("True", "False", "None")  # type: ignore[attr-defined]
    return is_literal(expr)


def _nodes(expr: cst.BaseExpression) -> int:
    """Nodes of a literal schema: each object, array and value."""
    kind = type(expr)
    if kind is cst.Dict:
        return 1 + sum(_nodes(e.value) for e in expr.elements)  # type: ignore[attr-defined]
    if kind in (cst.List, cst.Tuple):
        return 1 + sum(_nodes(e.value) for e in expr.elements)  # type: ignore[attr-defined]
    return 1
