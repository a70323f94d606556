"""How often code runs, read from its shape: loop trip counts, cache-miss blocks, memo guards.

Everything here is a local estimate from one file's tree; the call graph multiplies the
estimates along a chain. A loop nothing bounds gets `None` (the config's `loop-trips`
applies): guessing small for the unknown would hide real per-row work, guessing large for
the bounded is what made a `range(count)` with count 1 an error before.
"""

from __future__ import annotations

import re
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

import libcst as cst

from perflint.nodes import NESTED_SCOPES, STATEMENTS_ONLY, iter_children, names_below, or_operands, own_nodes
from perflint.values import dotted_text



# A retry loop: a few attempts, not a collection.
_NOT_INNER_LOOPS = STATEMENTS_ONLY + (cst.For, cst.While)  # a loop body's own statements
_RETRY = re.compile(r"(^|_)(retry|retries|attempt|attempts|tries|max_tries|max_retries|backoff)($|_)", re.I)
# Iterables that are code, not data: bounded by the size of the program (models of an app,
# fields of a form, registered handlers), not by rows or requests.
_CODE_BOUNDED_CALLS = {
    "get_models", "get_fields", "get_app_configs", "__subclasses__", "mro", "getmembers",
    "entry_points", "iter_modules", "walk_packages", "table_names", "view_names", "get_table_names",
}
_CODE_BOUNDED_ATTRS = {
    "fields", "_fields", "base_fields", "declared_fields", "local_fields", "concrete_fields",
    "many_to_many", "related_objects", "private_fields", "__mro__", "__bases__", "__slots__",
    "__dict__", "handlers", "_handlers", "plugins", "_plugins", "middleware", "_middleware",
    "registry", "_registry", "signals", "_signals", "receivers", "extensions", "_extensions",
    "columns", "c", "constraints", "indexes", "validators", "_validators", "hooks", "_hooks",
    "backends", "_backends", "apps", "installed_apps", "urlpatterns", "patterns", "routes",
    # the schema: a loop per table or model class runs a statement per table, not per row
    "tables", "_tables", "models", "_models", "migrations", "_migrations",
    "options", "_options", "parsers", "renderer_classes", "parser_classes", "permission_classes",
    "authentication_classes", "filter_backends", "serializers",
}
_HEADER_NAMES = {"headers", "_headers", "header", "environ", "cookies", "META", "params", "query_params"}
CODE_BOUND = 10  # "a loop over code": fields of a form, models of an app, handlers
# A loop over what the configuration lists (`self.config.worker.listeners`,
# `listener_config.http_options.resources`, `settings.X`): a deployment's handful of
# listeners, servers or resources, set by an operator, not rows (synapse's HTTP listeners at
# start-up, labelled FALSE in run 8). Matched on the path leading to the collection.
_CONFIG = re.compile(r"(^|_)(config|conf|settings|cfg|configuration)$", re.I)
HEADER_BOUND = 10  # headers, cookies, environ keys of one request
RETRY_BOUND = 3
RETRY_LOOP = "a retry loop"  # how every retry loop's `why` ends (PFL402 reads it)
READ_BOUND = 2  # `while len(buf) < n: buf += sock.recv(...)`: one or two reads of a fixed size
DIGITS_BOUND = 20  # `while n: n, d = divmod(n, 36)`: one step per digit of a number
DEPTH_BOUND = 10  # `while node: node = node.parent`: one step per level of a tree, up to its root
# How a tree walk's `why` ends: its depth is unknown (at most DEPTH_BOUND), so the frequency
# model counts it as one more unknown loop on the chain, never more than DEPTH_BOUND trips.
TREE_WALK = "one step per level of the tree"
# How a loop that draws a random value until it is unused ends its `why` (PFL503 reads it).
DRAW_UNTIL_UNUSED = "a collision is rare, one pass"
# Attributes and methods that lead from a tree node to its parent.
_UP = {"parent", "_parent", "parent_node", "parentNode", "getparent", "get_parent", "enclosing"}
# A literal range this long iterates data, not a fixed handful (a loop of 3 retries does not).
DATA_TRIPS = 10


def module_constants(module: cst.Module) -> Dict[str, float]:
    """Top-level `NAME = <literal collection or int>` -> its size (or value, for an int).

    A name that only the branches of a top-level `if`/`try` assign (a platform switch:
    `if sys.platform == "win32": EXTS = ("py", "pyw", "pyi") else: EXTS = ("py", "pyi")`) is
    bounded by its largest literal, when every assignment of it there is one."""
    out: Dict[str, float] = {}
    for stmt in module.body:
        if type(stmt) is not cst.SimpleStatementLine:
            continue
        for target, value in _simple_assignments(stmt):
            size = _constant_size(value, out)
            if size is not None:
                out[target] = size
    branches: Dict[str, List[Optional[float]]] = {}
    for stmt in module.body:
        if type(stmt) in (cst.If, cst.Try):
            for line in _branch_lines(stmt, 0):
                for target, value in _simple_assignments(line):
                    branches.setdefault(target, []).append(_constant_size(value, out))
    for target, sizes in branches.items():
        if target not in out and all(size is not None for size in sizes):
            out[target] = max(sizes)  # type: ignore[type-var]
    return out


def _simple_assignments(stmt: cst.SimpleStatementLine) -> Iterable[Tuple[str, cst.BaseExpression]]:
    for small in stmt.body:
        target, value = None, None
        if type(small) is cst.Assign and len(small.targets) == 1:
            target, value = small.targets[0].target, small.value
        elif type(small) is cst.AnnAssign and small.value is not None:
            target, value = small.target, small.value
        if type(target) is cst.Name and value is not None:
            yield target.value, value


def _constant_size(value: cst.BaseExpression, known: Dict[str, float]) -> Optional[float]:
    size = literal_size(value) or None  # an empty literal is a container to fill, not a bound
    if size is None:
        size = derived_size(value, known)  # `BY_NAME = {c.name: c for c in sorted(CONFIGS)}`
    if size is None and type(value) is cst.Integer:
        try:
            size = float(int(value.value.replace("_", ""), 0))
        except ValueError:
            size = None
    return size


def _branch_lines(stmt: cst.CSTNode, depth: int) -> Iterable[cst.SimpleStatementLine]:
    """The simple statements in the blocks of a top-level `if`/`try` (nested ones too)."""
    if depth > 2:
        return
    for suite in _branch_suites(stmt):
        for inner in getattr(suite, "body", ()):
            if type(inner) is cst.SimpleStatementLine:
                yield inner
            elif type(inner) in (cst.If, cst.Try):
                yield from _branch_lines(inner, depth + 1)


def literal_size(expr: cst.BaseExpression) -> Optional[float]:
    """The number of items of a literal list/tuple/set/dict (also `frozenset({...})`), or None."""
    node_type = type(expr)
    if node_type in (cst.List, cst.Tuple, cst.Set):
        if any(type(e) is cst.StarredElement for e in expr.elements):  # type: ignore[attr-defined]
            return None
        return float(len(expr.elements))  # type: ignore[attr-defined]
    if node_type is cst.Dict:
        if any(type(e) is cst.StarredDictElement for e in expr.elements):  # type: ignore[attr-defined]
            return None
        return float(len(expr.elements))  # type: ignore[attr-defined]
    if node_type is cst.Call and dotted_text(expr.func) in ("frozenset", "set", "tuple", "list") and len(expr.args) == 1:  # type: ignore[attr-defined]
        return literal_size(expr.args[0].value)  # type: ignore[attr-defined]
    return None


def _starred_size(expr: cst.BaseExpression, constants: Dict[str, float]) -> Optional[float]:
    """The items of a display that unpacks constants into it (`(*EXTS, "pyc")`), or None."""
    size = 0.0
    for element in expr.elements:  # type: ignore[attr-defined]
        if type(element) is cst.StarredElement:
            inner = element.value
            known = constants.get(inner.value) if type(inner) is cst.Name else literal_size(inner)  # type: ignore[attr-defined]
            if known is None:
                return None
            size += known
        else:
            size += 1
    return size


_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def derived_size(expr: cst.BaseExpression, constants: Dict[str, float]) -> Optional[float]:
    """At most how many items a collection built from a bounded one holds: a comprehension with
    one `for` over a constant or a literal (`{k: v for k, v in CONFIG.items() if k in wanted}`),
    `sorted(CONST)`, `list(CONST)`; None otherwise. A filter only makes it smaller."""
    if type(expr) in _COMPREHENSIONS:
        for_in = expr.for_in  # type: ignore[attr-defined]
        if for_in.inner_for_in is not None:
            return None
        trips, _ = iterable_trips(for_in.iter, constants)
        return trips or None
    if type(expr) is cst.Call and dotted_text(expr.func) in ("sorted", "list", "tuple", "set", "frozenset", "dict") \
            and len(expr.args) == 1 and type(expr.args[0].value) is cst.Name:  # type: ignore[attr-defined]
        return constants.get(expr.args[0].value.value) or None  # type: ignore[attr-defined]
    return None


def returned_sizes(module: cst.Module, constants: Dict[str, float]) -> Dict[str, Tuple[Optional[float], ...]]:
    """Module-level function -> the bound of each item it returns (`return names, by_name` with
    `by_name = {k: v for k, v in CONFIG.items() if ...}`): a caller's `a, b = f()` then loops
    over a collection bounded by the code, as if it had built it itself. Only a function whose
    every return has the same shape counts."""
    out: Dict[str, Tuple[Optional[float], ...]] = {}
    for stmt in module.body:
        if type(stmt) is not cst.FunctionDef:
            continue
        local: Dict[str, Optional[float]] = {}
        shapes = []
        for node, _ in own_nodes(stmt.body, STATEMENTS_ONLY):
            if type(node) is cst.Assign and len(node.targets) == 1 and type(node.targets[0].target) is cst.Name:
                name = node.targets[0].target.value
                size = literal_size(node.value) or derived_size(node.value, constants)
                local[name] = size if name not in local else None  # rebound: forget it
            elif type(node) is cst.Return:
                value = node.value
                items = value.elements if type(value) is cst.Tuple else [value] if value is not None else []
                shapes.append(tuple(local.get(e.value.value) if type(getattr(e, "value", None)) is cst.Name
                                    else local.get(e.value) if type(e) is cst.Name else None for e in items))
        if shapes and all(len(sh) == len(shapes[0]) for sh in shapes):
            merged = tuple(None if any(sh[i] is None for sh in shapes) else max(sh[i] for sh in shapes)
                           for i in range(len(shapes[0])))
            if any(m is not None for m in merged):
                out[stmt.name.value] = merged
    return out


def _int(expr: cst.BaseExpression, constants: Dict[str, float]) -> Optional[float]:
    if type(expr) is cst.Integer:
        try:
            return float(int(expr.value.replace("_", ""), 0))  # type: ignore[attr-defined]
        except ValueError:
            return None
    if type(expr) is cst.Name:
        return constants.get(expr.value)  # type: ignore[attr-defined]
    if type(expr) is cst.UnaryOperation and type(expr.operator) is cst.Minus:  # type: ignore[attr-defined]
        inner = _int(expr.expression, constants)  # type: ignore[attr-defined]
        return -inner if inner is not None else None
    return None


# `constants` holds, besides module constants and sized locals, each int default of the
# function's parameters under this prefix (context: `def top(limit=10)`): the size a caller
# that leaves it out asks for. Only limit_bound reads them: `range(n)` with `n=1` is not a bound.
DEFAULT_PREFIX = "default:"
# Calls that hand back at most N items of what they are given: a query's LIMIT, a top-N.
_LIMITS = {"limit": 0, "most_common": 0, "nlargest": 0, "nsmallest": 0, "islice": -1}
# Calls that run a statement and hand back its rows: as many as the statement selects.
_RUNS_STATEMENT = {"execute", "exec", "scalars", "execute_sql"}


def _stop(expr: Optional[cst.BaseExpression], constants: Dict[str, float]) -> Optional[float]:
    """A size the code states: an int literal, a constant or sized local, or a parameter's int
    default (DEFAULT_PREFIX)."""
    if expr is None:
        return None
    value = _int(expr, constants)
    if value is None and type(expr) is cst.Name:
        value = constants.get(DEFAULT_PREFIX + expr.value)  # type: ignore[attr-defined]
    return value


def limit_bound(expr: cst.BaseExpression, constants: Dict[str, float]) -> Tuple[Optional[float], str]:
    """(N, why) when `expr` takes at most N items: a slice with a stated stop (`qs[:5]`,
    `rows[10:20]`), a call chain with a stated `.limit(N)` (SQLAlchemy, peewee; `.all()` after
    it), `.most_common(N)`, `heapq.nlargest(N, ...)`, `islice(it, N)`, or a statement run by
    `session.execute(stmt)` where `stmt` is such a chain bound in the function. A loop over a
    top-10 query runs 10 times, not loop-trips (ckan's stats page: labelled in run 14 "the
    trace's x100 is wrong, the rows come from a query with LIMIT 10")."""
    node = expr
    for _ in range(32):  # a chain of calls and slices, outermost first
        node_type = type(node)
        if node_type is cst.Subscript:
            elements = node.slice  # type: ignore[attr-defined]
            if len(elements) == 1 and type(elements[0].slice) is cst.Slice and elements[0].slice.step is None:
                part = elements[0].slice
                stop = _stop(part.upper, constants)
                start = _stop(part.lower, constants) if part.lower is not None else 0.0
                if stop is not None and start is not None and stop >= 0 and start >= 0:
                    n = max(stop - start, 0.0)
                    return n, f"a slice of at most {n:g} items: {STATED_LIMIT}"
            node = node.value  # type: ignore[attr-defined]
            continue
        if node_type is not cst.Call:
            return None, ""
        func = node.func  # type: ignore[attr-defined]
        last = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else ""
        args = [a.value for a in node.args if a.keyword is None and not a.star]  # type: ignore[attr-defined]
        if last in _LIMITS and args:
            which = _LIMITS[last]
            if last == "islice" and len(args) == 3:
                stop, start = _stop(args[2], constants), _stop(args[1], constants)
                n = stop - start if stop is not None and start is not None else None
            else:
                n = _stop(args[which], constants) if len(args) > max(which, 0) or which == -1 else None
            if n is not None and n >= 0:
                return n, f"{last}({n:g}): at most {n:g} items, {STATED_LIMIT}"
        if last in _RUNS_STATEMENT and args and type(args[0]) is cst.Name:
            sized = constants.get(STATEMENT_PREFIX + args[0].value)  # type: ignore[attr-defined]
            if sized is not None:
                return sized, f"rows of {args[0].value}, at most {sized:g}: {STATED_LIMIT}"  # type: ignore[attr-defined]
        if type(func) is not cst.Attribute:
            return None, ""
        node = func.value
    return None, ""


# A local bound to a statement with a stated limit (`s = select(...).limit(10)`) is kept under
# this prefix: a `session.execute(s)` hands back that many rows at most.
STATEMENT_PREFIX = "statement:"
STATED_LIMIT = "a stated limit"  # how limit_bound's `why` ends: rows of data, however few (context._loop_entry)


def iterable_trips(
    expr: cst.BaseExpression, constants: Dict[str, float], outer_targets: Iterable[str] = ()
) -> Tuple[Optional[float], str]:
    """(trips, why) for a loop over `expr`; (None, "") when nothing bounds it."""
    node_type = type(expr)
    size = literal_size(expr)
    if size is not None:
        return size, f"a literal of {size:g} items"
    if node_type in (cst.List, cst.Tuple, cst.Set):
        size = _starred_size(expr, constants)  # `(*PY_SOURCE_EXTS, "pyc", "pyo")`
        if size is not None:
            return size, f"a literal of {size:g} items"
    if node_type is cst.Name:
        name = expr.value  # type: ignore[attr-defined]
        limited = constants.get(STATEMENT_PREFIX + name)
        if limited is not None:  # `rows = q.limit(10).all()`
            return limited, f"{name}, at most {limited:g} rows: {STATED_LIMIT}"
        if name in constants:
            return constants[name], f"{name}, a constant of {constants[name]:g} items"
        if name in ("argv",):
            return 1.0, "command-line arguments: a CLI loop"
        if name in outer_targets:
            return 1.0, f"the parts of {name}, an item of the outer loop (counted with it)"
        if name in _HEADER_NAMES or name.endswith("headers"):
            return float(HEADER_BOUND), f"{name}: a handful of headers"
        if _CONFIG.search(name):
            return float(CODE_BOUND), f"{name}: bounded by the configuration, not the data"
        return None, ""
    if node_type is cst.BooleanOperation and type(expr.operator) is cst.Or:  # type: ignore[attr-defined]
        return iterable_trips(expr.left, constants, outer_targets)  # `xs or []`: the size of xs  # type: ignore[attr-defined]
    if node_type is cst.Attribute:
        text = dotted_text(expr) or ""
        attr = expr.attr.value  # type: ignore[attr-defined]
        if text in ("sys.argv",) or text.endswith(".argv"):
            return 1.0, "command-line arguments: a CLI loop"
        root = text.split(".")[0] if text else ""
        if root and root in outer_targets:
            return 1.0, f"the parts of {root}, an item of the outer loop (counted with it)"
        if attr in _CODE_BOUNDED_ATTRS:
            return float(CODE_BOUND), f"{text or attr}: bounded by the code (fields, handlers, models), not the data"
        if attr in _HEADER_NAMES:
            return float(HEADER_BOUND), f"{text or attr}: a handful of headers"
        if any(_CONFIG.search(part) for part in text.split(".")):
            return float(CODE_BOUND), f"{text}: bounded by the configuration, not the data"
        return None, ""
    if node_type is cst.Subscript:
        # argv[1:] and the like
        text = dotted_text(expr.value) or ""  # type: ignore[attr-defined]
        if text.endswith("argv"):
            return 1.0, "command-line arguments: a CLI loop"
        return limit_bound(expr, constants)
    if node_type is cst.Call:
        func = expr.func  # type: ignore[attr-defined]
        name = dotted_text(func) or ""
        last = name.rpartition(".")[2]
        args = [a.value for a in expr.args if a.keyword is None and not a.star]  # type: ignore[attr-defined]
        if last == "range" and name in ("range",) and args:
            values = [_int(a, constants) for a in args]
            if all(v is not None for v in values):
                if len(values) == 1:
                    n = values[0]
                elif len(values) == 2:
                    n = values[1] - values[0]  # type: ignore[operator]
                else:
                    step = values[2] or 1.0
                    n = (values[1] - values[0]) / step  # type: ignore[operator]
                n = max(float(n), 0.0)  # type: ignore[arg-type]
                return n, f"range({', '.join(f'{v:g}' for v in values)})"  # type: ignore[str-format]
            if len(args) == 1 and type(args[0]) in (cst.Name, cst.Attribute):
                arg_text = dotted_text(args[0]) or ""
                if _RETRY.search(arg_text.rpartition(".")[2]):
                    return float(RETRY_BOUND), f"range({arg_text}): {RETRY_LOOP}"
            step = (dotted_text(args[2]) or "").rpartition(".")[2] if len(args) == 3 else ""
            if step and _BATCH_SIZE.search(step):
                # `for i in range(0, len(ids), batch_size): batch = ids[i:i + batch_size]`
                # (Label Studio's batch updates, labelled FALSE in run 11)
                return 1.0, f"range(..., {step}): {BATCH_PASS}"
            return None, ""
        if (name in ("enumerate", "reversed", "sorted", "list", "tuple", "set", "iter", "frozenset")
                or name.endswith("dict.fromkeys")) and args:
            # `dict.fromkeys((username, "admin"))`: the two names, deduplicated in order (mlflow's
            # default-password check, labelled FALSE in run 11 as x100)
            return iterable_trips(args[0], constants, outer_targets)
        if name == "zip" and args:
            known = [t for t in (iterable_trips(a, constants, outer_targets) for a in args) if t[0] is not None]
            if known:
                return min(known, key=lambda t: t[0])  # type: ignore[arg-type, return-value]
            return None, ""
        if type(func) is cst.Attribute and last in ("items", "keys", "values"):
            return iterable_trips(func.value, constants, outer_targets)
        if type(func) is cst.Attribute and last == "get" and any(_CONFIG.search(p) for p in name.split(".")[:-1]):
            # `oembed_config.get("additional_providers")`: what the configuration lists, as
            # `self.config.listeners` (synapse's oEmbed provider files, read at start-up)
            return float(CODE_BOUND), f"{name}(): bounded by the configuration, not the data"
        if _RETRY.search(last) or last in _RETRIERS:
            return float(RETRY_BOUND), f"{name}(): {RETRY_LOOP}"
        if _BATCHES.search(last) or (_CHUNKS.match(last) and args and type(args[0]) not in (cst.Integer, cst.Float)):
            return 1.0, f"{name}(): {BATCH_PASS}"
        if last in _CODE_BOUNDED_CALLS:
            return float(CODE_BOUND), f"{name}(): bounded by the code (models, fields, classes), not the data"
        if last in ("getmembers", "dir", "vars"):
            return float(CODE_BOUND), f"{name}(): bounded by the code"
        return limit_bound(expr, constants)
    return None, ""


def while_trips(node: cst.While) -> Tuple[Optional[float], str]:
    """(trips, why) for a while loop: retry loops and fixed-size read loops are short."""
    names = set(names_below(node.test))
    if any(_RETRY.search(n) for n in names):
        return float(RETRY_BOUND), RETRY_LOOP
    body_names = set(names_below(node.body))
    if type(node.test) is cst.Name and node.test.value == "True" and (
            any(_RETRY.search(n) for n in body_names) or retries_on_error(node.body)):
        return float(RETRY_BOUND), RETRY_LOOP
    test = node.test
    drawn = _draw_until_unused(test, node.body) or _probe_until_free(test, node.body)
    if drawn:
        return 1.0, drawn
    polled = _polling_reason(test, node.body)
    if polled:
        return float(RETRY_BOUND), polled
    served = service_reason(node.body) if _runs_until_stopped(test) or _asks_a_call(test) else batch_reason(test)
    if not served and _runs_until_stopped(test):
        served = _worker_reason(node.body) or _chunked_reason(node.body)
    if not served and not _reads(node.body):
        served = poll_reason(node.body)
    if served:
        return 1.0, served
    climbed = _climbed_names(node.body)
    if climbed and (names & climbed or (type(test) is cst.Name and test.value == "True")):
        return float(DEPTH_BOUND), f"moves {sorted(climbed)[0]} to its parent each step: {TREE_WALK}"
    divided = _divided_names(node.body)
    if divided and names & divided:
        return float(DIGITS_BOUND), f"divides {sorted(names & divided)[0]} each step: one step per digit"
    # while len(buf) < n: / while remaining > 0: ... .recv()/.read() of the rest
    if type(test) is cst.Comparison and _reads(node.body):
        left = test.left
        if type(left) is cst.Call and dotted_text(left.func) == "len":
            return float(READ_BOUND), "a read loop filling a fixed size"
        if type(left) is cst.Name and left.value in ("remaining", "left", "to_read", "missing", "needed"):
            return float(READ_BOUND), "a read loop filling a fixed size"
    return None, ""


def _climbed_names(body: cst.BaseSuite) -> set:
    """Names the loop body rebinds to their own parent: `node = node.parent`,
    `page = page.get_parent()` (a walk up a tree, one level per pass)."""
    out = set()
    for node, _ in own_nodes(body, _NOT_INNER_LOOPS):  # not an inner loop's walk
        if type(node) is not cst.Assign or len(node.targets) != 1:  # type: ignore[attr-defined]
            continue
        target, value = node.targets[0].target, node.value  # type: ignore[attr-defined]
        if type(target) is not cst.Name:
            continue
        if type(value) is cst.Call and not value.args:  # type: ignore[attr-defined]
            value = value.func  # type: ignore[attr-defined]
        if (type(value) is cst.Attribute and value.attr.value in _UP  # type: ignore[attr-defined]
                and type(value.value) is cst.Name and value.value.value == target.value):  # type: ignore[attr-defined]
            out.add(target.value)
    return out


# A value drawn at random until it is unused (`while True: code = get_random_string(8); if not
# Voucher.objects.filter(code=code).exists(): return code`): a collision is rare, so the loop
# makes one pass, however the test is spelled (pretix's and weblate's unique codes, run 9).
_RANDOM_DRAW = re.compile(r"(^|_)random($|_)|^get_random|^token_(hex|urlsafe|bytes)$|^rand(int|range|bits)$"
                          r"|^getrandbits$|^choices?$|^uuid[14]$|^urandom$|^shortuuid$", re.I)


def _draw_until_unused(test: cst.BaseExpression, body: cst.BaseSuite) -> str:
    """Why a while loop is one pass of drawing a fresh random value until it is unused ("" when
    it is not): each pass draws one (`get_random_string`, `secrets.token_hex`, `uuid4`), and the
    loop ends when an existence check (`.exists()`, `x in used`) says the value is free."""
    drawn = ""
    checked = False
    for root in (test, body):
        for node, _ in own_nodes(root, STATEMENTS_ONLY):
            node_type = type(node)
            if node_type is cst.Call:
                func = node.func  # type: ignore[attr-defined]
                # a name only: `handlers[i](x)` or `make()()` calls no function by name
                last = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else ""
                if not drawn and _RANDOM_DRAW.search(last):
                    drawn = dotted_text(func) or last
                elif last == "exists":
                    checked = True
            elif node_type is cst.ComparisonTarget and type(node.operator) in (cst.In, cst.NotIn):  # type: ignore[attr-defined]
                checked = True
    if drawn and checked:
        return f"draws a random value ({drawn}()) until it is unused: {DRAW_UNTIL_UNUSED}"
    return ""


# A loop whose passes only make a candidate and ask whether it is taken, leaving when it is
# free, makes one pass per collision, whatever makes the candidate: `while <taken(ts)>: ts +=
# step` (prefect's state timestamps, bumped a microsecond on a clash: labelled FALSE in run 14
# as x100) or `while True: code = make_code(); if not <taken(code)>: return code` (oscar's
# voucher codes). A pass that does anything else (handles an item, walks to a parent) is data.
# What asks whether a value is taken: a query's existence or lookup (`.exists()`, a session's
# `.scalar(...)`, `.first()`, `.count()`, `.get(...)`), not any predicate (`while
# self.is_unilateral(res): res = self.receive()` reads messages until one is an answer: data).
_TAKEN_CHECKS = frozenset({"exists", "scalar", "scalar_one_or_none", "one_or_none", "first", "count", "get",
                           "filter", "filter_by", "fetchone", "get_or_none"})


def _probe_until_free(test: cst.BaseExpression, body: cst.BaseSuite) -> str:
    """Why a while loop is one pass of trying candidates until one is free ("" when it is not):
    its body only binds the candidate (plain names, none moved to its own attribute or item)
    and its test, or a last `if ...: return/break`, asks a call about it (_asks_about)."""
    statements = list(getattr(body, "body", ()))
    if not statements:
        return ""
    exit_test = None
    if type(test) is cst.Name and test.value == "True":  # type: ignore[attr-defined]
        last = statements.pop()
        if (type(last) is not cst.If or last.orelse is not None  # type: ignore[attr-defined]
                or len(last.body.body) != 1 or type(last.body.body[0]) is not cst.SimpleStatementLine  # type: ignore[attr-defined]
                or len(last.body.body[0].body) != 1 or type(last.body.body[0].body[0]) not in (cst.Return, cst.Break)):  # type: ignore[attr-defined]
            return ""
        exit_test = last.test  # type: ignore[attr-defined]
    bound = _candidate_names(statements)
    if not bound:
        return ""
    asked = _asks_about(exit_test if exit_test is not None else test, bound)
    if not asked:
        return ""
    return f"tries candidates until {'a membership test' if asked == 'in' else asked + '()'} finds one free: {DRAW_UNTIL_UNUSED}"


def _candidate_names(statements: Sequence[cst.BaseStatement]) -> FrozenSet[str]:
    """The names `statements` bind when each is a plain assignment to names (`x = f()`, `i +=
    1`), none from an attribute or item of itself (`node = node.parent` walks); else empty."""
    names = set()
    for stmt in statements:
        if type(stmt) is not cst.SimpleStatementLine:
            return frozenset()
        for small in stmt.body:  # type: ignore[attr-defined]
            small_type = type(small)
            if small_type is cst.Assign:
                targets = [t.target for t in small.targets]  # type: ignore[attr-defined]
            elif small_type in (cst.AugAssign, cst.AnnAssign):
                targets = [small.target]  # type: ignore[attr-defined]
            else:
                return frozenset()
            if any(type(t) is not cst.Name for t in targets) or small.value is None:  # type: ignore[attr-defined]
                return frozenset()
            for target in targets:
                if _reads_own_part(small.value, target.value):  # type: ignore[attr-defined]
                    return frozenset()
                names.add(target.value)  # type: ignore[attr-defined]
    return frozenset(names)


def _reads_own_part(value: cst.BaseExpression, name: str) -> bool:
    """Whether `value` takes an attribute or an item of `name` (`node.parent`, `links[node]`)."""
    for node, _ in own_nodes(value, STATEMENTS_ONLY):
        if type(node) in (cst.Attribute, cst.Subscript) and type(node.value) is cst.Name and node.value.value == name:  # type: ignore[attr-defined]
            return True
    return False


def _asks_about(test: cst.BaseExpression, names: FrozenSet[str]) -> str:
    """The name of a lookup in `test` (_TAKEN_CHECKS) one of whose arguments reads one of
    `names` (`Voucher.objects.filter(code=code).exists()`, `session.scalar(select(...).where(
    ... == ts))`), or "in" for a membership test of one of them in something other than a
    display; else ""."""
    for node, _ in own_nodes(test, STATEMENTS_ONLY):
        node_type = type(node)
        if node_type is cst.Call:
            func = node.func  # type: ignore[attr-defined]
            if type(func) is not cst.Attribute or func.attr.value not in _TAKEN_CHECKS:
                continue
            if any(names.intersection(names_below(arg.value)) for arg in node.args):  # type: ignore[attr-defined]
                return dotted_text(func) or func.attr.value
        elif node_type is cst.Comparison and type(node.left) is cst.Name and node.left.value in names:  # type: ignore[attr-defined]
            for comparison in node.comparisons:  # type: ignore[attr-defined]
                if type(comparison.operator) in (cst.In, cst.NotIn) and type(comparison.comparator) not in (
                        cst.Tuple, cst.List, cst.Set, cst.SimpleString):
                    return "in"
    return ""


# PEP 8's constants: `TABLES`, `_HANDLERS`, `STATISTICS_TABLES`.
_CONSTANT_NAME = re.compile(r"^_*[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")


def imported_constant_trips(expr: cst.BaseExpression) -> Tuple[Optional[float], str]:
    """(10, why) for a loop over an imported upper-case name of three or more letters: a
    constant of the code (PEP 8), a list of tables or handlers another module fixes, not the
    data (Home Assistant's `for table in STATISTICS_TABLES:`, labelled FALSE in run 8). Not a
    matrix `A` or a graph `G`; a constant of this module is read exactly (module_constants),
    and one assigned an empty container here is filled at run time."""
    name = expr.value if type(expr) is cst.Name else ""  # type: ignore[attr-defined]
    if name and _CONSTANT_NAME.match(name) and len(name.strip("_")) >= 3:
        return float(CODE_BOUND), f"{name}: an imported constant of the code, not the data"
    return None, ""


# A loop over batches (`for batch in batched_iterable(rows, 500):`, `_in_safe_batches(events)`)
# makes one pass per batch: what runs once per pass (a bulk insert, a commit) is the batched
# form, one per batch (prefect's scheduler and event store, labelled FALSE in run 9). A loop
# over the batch's items inside it is not "the parts of an item": it walks the data.
_BATCHES = re.compile(r"batch", re.I)
# `for values in self._get_chunks(qs):`, `chunked(rows, 500)`: a collection handed over in chunks
# (Wagtail's SpecificIterable, labelled FALSE in run 12); not `f.chunks()` or `f.chunks(8192)`,
# the byte chunks of one file or stream.
_CHUNKS = re.compile(r"^_*(get_|iter_)?chunk(s|ed)$")
BATCH_PASS = "one pass per batch"
BATCHES = "a loop over batches"  # how batch_reason's and _chunked_reason's `why` starts


def per_attempt(why: str) -> bool:
    """Whether a loop's `why` says each pass is one attempt (a retry, a draw until unused)."""
    return why.endswith((RETRY_LOOP, DRAW_UNTIL_UNUSED))


def per_batch(why: str) -> bool:
    """Whether a loop's `why` says each pass handles a batch of rows, not one item."""
    return why.endswith(BATCH_PASS) or why.startswith(BATCHES)


# tenacity's iterators: `for attempt in Retrying(...): with attempt: ...` runs its body again
# only after an error (Airflow's `run_with_db_retries()` is matched by _RETRY).
_RETRIERS = {"Retrying", "AsyncRetrying"}

# A service's main loop (`while True:`, `while not self._stop:`, `for n in itertools.count():`)
# whose pass waits for time or events (a sleep, a wait, a poll, a heartbeat) does one round of
# work per pass: the pass is the unit of work (a tick of a scheduler, a poll of its queues), not
# an item. A query per tick is not a query per row; a loop over rows inside the tick still
# multiplies (Airflow's scheduler and DAG-parsing loops, labelled FALSE in run 8).
_WAITS = {"sleep", "wait", "wait_for", "poll", "select", "heartbeat", "perform_heartbeat"}
_COUNTERS = {"itertools.count", "count"}


def service_reason(body: cst.CSTNode) -> str:
    """Why a loop with this body is a service's main loop ("" when it is not): it waits for
    time or events somewhere in its pass (not in a function it defines)."""
    called = _waiting_call(body, _waits)
    return f"a service loop: each pass waits ({called}()) and is one tick, the unit of work" if called else ""


def _waiting_call(body: cst.CSTNode, waits: Callable[[str], bool], skip: Tuple[type, ...] = STATEMENTS_ONLY) -> str:
    """The first call in a loop's pass (not in a function it defines, nor under a `skip` node)
    that `waits` accepts, other than a zero-second yield (`asyncio.sleep(0)`), or ""."""
    for node, _ in own_nodes(body, skip):
        if type(node) is cst.Call:
            called = dotted_text(node.func) or ""  # type: ignore[attr-defined]
            if waits(called) and not _yields_only(node):  # type: ignore[arg-type]
                return called
    return ""


_SLEEPS = {"time.sleep", "asyncio.sleep", "sleep", "gevent.sleep", "eventlet.sleep"}
# A sleep in an `except` handler is a back-off before trying again after an error: it says
# nothing about the passes that succeed (Shodan's search_cursor, one page per pass, sleeps a
# second only when a page fails). A sleep in the `try`'s `else` or `finally` is on the normal
# pass (the `else` runs exactly when the body did not raise, the `finally` on every pass), so it
# still makes the loop a poll.
_NOT_IN_HANDLERS = STATEMENTS_ONLY + (cst.ExceptHandler, cst.ExceptStarHandler)


def poll_reason(body: cst.CSTNode) -> str:
    """Why a while loop whose pass sleeps is a poll, whatever its test (`while state not in
    done_states: ... time.sleep(interval)`): it runs until something outside changes, one pass
    per interval, so a query or a commit per pass is per poll, not per item (Superset's Hive,
    Impala and Trino progress loops, labelled FALSE in run 12). Only a sleep: a `select()` or a
    `wait()` can be reading a child's output to its end, a walk of the data. Only a sleep on the
    pass that succeeds, not a back-off in an `except` handler (_NOT_IN_HANDLERS)."""
    called = _waiting_call(body, _SLEEPS.__contains__, _NOT_IN_HANDLERS)
    return f"a poll loop: each pass sleeps ({called}()) until something outside changes: one poll, not an item" \
        if called else ""


def _yields_only(call: cst.Call) -> bool:
    """`await asyncio.sleep(0)`: a yield to the event loop between batches, not a wait (Prefect's
    batch deletes, labelled FALSE in run 10)."""
    args = call.args
    return len(args) == 1 and type(args[0].value) is cst.Integer and args[0].value.value == "0"  # type: ignore[attr-defined]


def _waits(called: str) -> bool:
    """`time.sleep()`, `event.wait()`, `engine.wait_until_ready()`, `select.select()`,
    `selector.select()`; not SQLAlchemy's `sa.select(...)`, which builds a statement (Prefect's
    batch deletes were taken for a service loop)."""
    receiver, _, last = called.rpartition(".")
    if last == "select":
        return receiver == "select" or "sel" in receiver.rpartition(".")[2].lower() or "poll" in receiver.lower()
    return last in _WAITS or last.startswith("wait_")


def _runs_until_stopped(test: cst.BaseExpression) -> bool:
    """`while True:`, `while self.running:`, `while not self._stop:`, `while (s.to_run or
    s.running) and not s.deadlocked:`: a loop that runs until told to stop or its work is done,
    tested on flags, not until a process exits or data runs out (`while p.poll() is None:` reads
    a child's output to its end: a walk of the data)."""
    test_type = type(test)
    if test_type is cst.UnaryOperation and type(test.operator) is cst.Not:  # type: ignore[attr-defined]
        return _runs_until_stopped(test.expression)  # type: ignore[attr-defined]
    if test_type is cst.BooleanOperation:
        return _runs_until_stopped(test.left) and _runs_until_stopped(test.right)  # type: ignore[attr-defined]
    if test_type is cst.Integer:
        return test.value != "0"  # type: ignore[attr-defined]
    return test_type in (cst.Name, cst.Attribute)


def _asks_a_call(test: cst.BaseExpression) -> bool:
    """`while proc.is_alive():`, `while not self.done():`: a loop that asks something outside
    whether to go on (with a wait in its pass, it waits for that: one tick per pass)."""
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:  # type: ignore[attr-defined]
        test = test.expression  # type: ignore[attr-defined]
    return type(test) is cst.Call and not test.args  # type: ignore[attr-defined]


# `task = self.fetch_task()`, `job = queue.get_job()`, `msg = self._next_message()`: a call that
# takes one job off a queue.
_TAKES_JOB = re.compile(r"^_*(fetch|get|pop|next|claim|dequeue|receive|take|pick|acquire|reserve)_(\w+_)?"
                        r"(task|job|message|work|work_item)s?$")


def _chunked_reason(body: cst.BaseSuite) -> str:
    """`while True:` around a statement whose row count decides whether to go on (`deleted =
    result.rowcount` then `if deleted == 0: break`): a chunked DELETE or UPDATE repeated until it
    changes nothing, one pass per batch (Prefect's vacuum: "each batch gets its own transaction",
    labelled FALSE in run 9)."""
    if "rowcount" in names_below(body) and any(type(node) is cst.Break for node, _ in own_nodes(body, STATEMENTS_ONLY)):
        return f"{BATCHES}: it repeats a chunked statement until it changes no rows"
    for node, _ in own_nodes(body, STATEMENTS_ONLY):
        text = _batch_taken(node)
        if text:
            return f"{BATCHES}: each pass takes at most {text} rows"
    taken = _batch_fetched(body)
    if taken:
        return f"{BATCHES}: each pass takes one ({taken}()) until none is left"
    return ""


def _batch_fetched(body: cst.BaseSuite) -> str:
    """`ids = await _delete_flow_run_batch(...)` then `if not ids: break`: a pass that takes a
    batch from a call named for it and leaves when it comes back empty (Prefect's vacuum)."""
    return _taken_until_empty(body, lambda called: bool(_BATCHES.search(called)), True)


def _taken_until_empty(body: cst.BaseSuite, named: Callable[[str], bool], awaited: bool) -> str:
    """The call (its last name) that a pass takes its work from, `x = call(...)` (or `x = await
    call(...)` when `awaited`) with `named(call)`, when an `if` on `x` then leaves the loop; ""
    otherwise."""
    taken = None
    for node, _ in own_nodes(body, STATEMENTS_ONLY):
        if type(node) is cst.Assign and len(node.targets) == 1 and type(node.targets[0].target) is cst.Name:  # type: ignore[attr-defined]
            value = node.value  # type: ignore[attr-defined]
            if awaited and type(value) is cst.Await:
                value = value.expression  # type: ignore[attr-defined]
            if type(value) is cst.Call:
                called = dotted_text(value.func) or ""  # type: ignore[attr-defined]
                if named(called.rpartition(".")[2]):
                    taken = (node.targets[0].target.value, called)  # type: ignore[attr-defined]
                    break
    if taken is None:
        return ""
    name, called = taken
    for node, _ in own_nodes(body, STATEMENTS_ONLY):
        if type(node) is cst.If and name in names_below(node.test) and any(
                type(inner) in (cst.Break, cst.Return) for inner, _ in own_nodes(node.body, STATEMENTS_ONLY)):  # type: ignore[attr-defined]
            return called
    return ""


def _batch_taken(node: cst.CSTNode) -> str:
    """The batch size a pass takes with this node, or "": `candidates[:DELETE_LIMIT]`,
    `ids[page * BATCH_SIZE:(page + 1) * BATCH_SIZE]`, `q.limit(batch_size)`,
    `islice(pks, batch_size)`."""
    bound = None
    node_type = type(node)
    if node_type is cst.Slice and node.upper is not None:  # type: ignore[attr-defined]
        if node.lower is None:  # type: ignore[attr-defined]
            bound = node.upper  # type: ignore[attr-defined]
        else:
            names = [n for n in names_below(node.upper) if _BATCH_SIZE.search(n)]  # type: ignore[attr-defined]
            return names[0] if names else ""
    elif node_type is cst.Call:
        func = node.func  # type: ignore[attr-defined]
        if type(func) is cst.Attribute and func.attr.value == "limit" and len(node.args) == 1:  # type: ignore[attr-defined]
            bound = node.args[0].value  # type: ignore[attr-defined]
        elif (dotted_text(func) or "").rpartition(".")[2] == "islice" and len(node.args) == 2:  # type: ignore[attr-defined]
            bound = node.args[1].value  # type: ignore[attr-defined]
    text = (dotted_text(bound) or "").rpartition(".")[2] if bound is not None else ""
    return text if text and _BATCH_SIZE.search(text) else ""


# `DELETE_LIMIT`, `batch_size`, `CHUNK`, `page_size`, `max_rows`: the size of one batch.
_BATCH_SIZE = re.compile(r"(limit|batch|chunk|page)(_?size)?$|^max_(rows|items|tis)$", re.I)


def _worker_reason(body: cst.BaseSuite) -> str:
    """Why `while not self.shutdown_requested:` is a worker's main loop, or "": each pass takes
    one job (`task = self.fetch_task()`) and leaves when there is none. The job is the unit of
    work, as a task queue's message is (pulpcore's workers, labelled FALSE in run 10)."""
    called = _taken_until_empty(body, lambda last: bool(_TAKES_JOB.match(last)), False)
    return f"a worker loop: each pass takes one job ({called}()) and is one unit of work" if called else ""


# A loop that fetches a batch of rows per pass (`while rows := q.fetchmany(1000)`, `while batch :=
# session.execute(find(limit)).all()`) or repeats a chunked statement until it changes nothing
# (`while result is None or result.rowcount > 0:` around an `UPDATE ... LIMIT`): one pass per
# batch. A commit per pass is a commit per batch (Home Assistant's recorder migrations,
# labelled FALSE in run 8); a loop over the rows inside still multiplies.
_BATCH_FETCHES = {"all", "fetchall", "fetchmany", "partitions", "scalars"}


def batch_reason(test: cst.BaseExpression) -> str:
    if type(test) is cst.NamedExpr:
        value = test.value  # type: ignore[attr-defined]
        if type(value) is cst.Call and type(value.func) is cst.Attribute and \
                value.func.attr.value in _BATCH_FETCHES:  # type: ignore[attr-defined]
            return f"{BATCHES}: each pass fetches a batch of rows (.{value.func.attr.value}())"  # type: ignore[attr-defined]
        # `while batch := ids[page * BATCH_SIZE:(page + 1) * BATCH_SIZE]:` (Label Studio's
        # counters, labelled FALSE in run 11)
        for node, _ in own_nodes(value):
            text = _batch_taken(node)
            if text:
                return f"{BATCHES}: each pass takes at most {text} rows"
    if "rowcount" in names_below(test):
        return f"{BATCHES}: it repeats a chunked statement until it changes no rows"
    return ""


def for_service_reason(node: cst.For) -> str:
    """`for n in itertools.count():` around a pass that waits: a service loop (service_reason)."""
    it = node.iter
    if type(it) is cst.Call and (dotted_text(it.func) or "") in _COUNTERS:  # type: ignore[attr-defined]
        return service_reason(node.body)
    return ""


def retries_on_error(body: cst.BaseSuite) -> bool:
    """Whether a loop's pass tries the work and leaves on success: a `try:` directly in the body
    whose block returns or breaks (`for i in range(10): try: with atomic(): return
    super().save() except IntegrityError: continue`). It goes round again only after an
    error: a retry loop, whatever its bound or counter is named (pretix's invoice numbers).
    The `else:` of the `try` runs on success too, when it leaves on every path: `try:
    session.commit() except OperationalError: rollback() else: break` (Airflow's backfill, five
    attempts at committing a task's state: labelled FALSE in run 14 as five trips per task)."""
    for stmt in getattr(body, "body", ()):
        if type(stmt) is not cst.Try:
            continue
        for node, _ in own_nodes(stmt.body, NESTED_SCOPES + (cst.For, cst.While)):  # type: ignore[attr-defined]
            if type(node) in (cst.Return, cst.Break):
                return True
        # the else leaves on every path: a return under an `if` there is an error exit (a
        # socket read that came back empty), not the way out on success
        if stmt.orelse is not None and exit_kind(stmt.orelse.body):  # type: ignore[attr-defined]
            return True
    return False


def counted_retry_reason(node: cst.For) -> str:
    """A loop over a count (`range(n)`, `itertools.count()`), not a collection, that retries on
    error (retries_on_error): "" when it is not one."""
    it = node.iter
    called = dotted_text(it.func) if type(it) is cst.Call else None  # type: ignore[attr-defined]
    if called and (called == "range" or called in _COUNTERS) and retries_on_error(node.body):
        return f"{called}(...) that leaves on success: {RETRY_LOOP}"
    return ""


# `while time.time() < deadline:` polls until something happens or time runs out: each pass
# waits on the world (a sleep, a remote call), so it repeats a few times, not once per item.
_CLOCKS = {"time.time", "time.monotonic", "time.perf_counter", "monotonic", "time", "perf_counter",
           "time.time_ns", "time.monotonic_ns", "timeit.default_timer", "default_timer", "datetime.now",
           "datetime.datetime.now", "datetime.utcnow", "datetime.datetime.utcnow", "timezone.now"}
_DEADLINE = re.compile(r"_*(\w+_)?(deadline|expiry|expiration|expiration_time|expires|timeout|time_?left|end_?time|stop_?time)", re.I)


def _calls_clock(test: cst.CSTNode) -> bool:
    stack = [test]
    while stack:
        node = stack.pop()
        if type(node) is cst.Call and dotted_text(node.func) in _CLOCKS:  # type: ignore[attr-defined]
            return True
        stack.extend(iter_children(node))
    return False


def clock_reason(test: cst.BaseExpression) -> str:
    """Why the body of `while <test>:` takes a fixed time, or "": the loop runs until a time
    passes (`while time() < start + duration:`, `while time.monotonic() < deadline:`), so what
    its body costs changes how many passes fit, not how long it takes (distributed's disk
    benchmark fsyncs on purpose until a second is up; labelled FALSE in run 7)."""
    if type(test) is cst.Comparison:
        sides = [test.left] + [c.comparator for c in test.comparisons]  # type: ignore[attr-defined]
        if _calls_clock(test) or any(type(side) is cst.Name and _DEADLINE.fullmatch(side.value) for side in sides):  # type: ignore[attr-defined]
            return "runs until a time passes: the loop takes a fixed time, whatever its body costs"
    return ""


def _polling_reason(test: cst.BaseExpression, body: cst.BaseSuite) -> str:
    """Why a while loop is a short poll, or "": it runs until a deadline passes, or until a
    value it looks for turns up (`while not jid: jid = make_jid()`, `while x is None: x = get()`)."""
    if clock_reason(test):
        return "a loop until a deadline: a few polls"
    name = _awaited_name(test)
    if name is not None and _found_by_call(name, body):
        return f"a loop until {name} is found: a few tries"
    for part in or_operands(test, cst.And):
        name = _awaited_name(part)
        if name is not None and _set_in_try(name, body):
            return f"a loop until {name} is set, which ends it: {RETRY_LOOP}"
    return ""


def _awaited_name(test: cst.BaseExpression) -> Optional[str]:
    """`x` of `not x` or `x is None`: the name a loop with this test waits to be set."""
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not and type(test.expression) is cst.Name:  # type: ignore[attr-defined]
        return test.expression.value  # type: ignore[attr-defined]
    if type(test) is cst.Comparison and type(test.left) is cst.Name and len(test.comparisons) == 1 and \
            type(test.comparisons[0].operator) is cst.Is and dotted_text(test.comparisons[0].comparator) == "None":  # type: ignore[attr-defined]
        return test.left.value  # type: ignore[attr-defined]
    return None


def _set_in_try(name: str, body: cst.BaseSuite) -> bool:
    """`name` is assigned from a call (`stream = await client.connect(...)`) in the block of a
    `try:` directly in the loop's body, not in an inner loop: when the call succeeds the test
    fails, so the loop goes round again only after an error, a retry (Salt's TCP and websocket
    reconnect loops: `while stream is None and not self._closing: try: stream = ... except
    Exception: await asyncio.sleep(self.backoff)`)."""
    for stmt in getattr(body, "body", ()):
        if type(stmt) is not cst.Try:
            continue
        for node, _ in own_nodes(stmt.body, _NOT_INNER_LOOPS):  # type: ignore[attr-defined]
            if type(node) is cst.Assign and any(type(t.target) is cst.Name and t.target.value == name for t in node.targets):  # type: ignore[attr-defined]
                value = node.value  # type: ignore[attr-defined]
                if type(value) is cst.Await:
                    value = value.expression  # type: ignore[attr-defined]
                if type(value) is cst.Call:
                    return True
    return False


def _found_by_call(name: str, body: cst.BaseSuite) -> bool:
    """`name` is assigned in the loop's own body, and only from calls (a flag set to True is a
    loop over data that ends on a condition: `while not done: ... done = True`). A short body:
    a loop that handles items until one handler says stop is a data loop."""
    if len(body.body) > 3:  # type: ignore[attr-defined]
        return False
    assigned = False
    for stmt in body.body:  # type: ignore[attr-defined]
        if type(stmt) is not cst.SimpleStatementLine:
            continue
        for small in stmt.body:
            if type(small) is cst.Assign and any(type(t.target) is cst.Name and t.target.value == name for t in small.targets):
                if type(small.value) is not cst.Call:
                    return False
                assigned = True
    return assigned


def _divided_names(body: cst.CSTNode) -> set:
    """Names a loop body divides or shifts down: `n //= 36`, `n >>= 8`, `n, d = divmod(n, 36)`."""
    found: set = set()
    stack = [body]
    while stack:
        node = stack.pop()
        node_type = type(node)
        if node_type is cst.AugAssign and type(node.operator) in (cst.FloorDivideAssign, cst.RightShiftAssign, cst.DivideAssign):
            if type(node.target) is cst.Name:
                found.add(node.target.value)
        elif node_type is cst.Assign and type(node.value) is cst.Call and dotted_text(node.value.func) == "divmod":
            for target in node.targets:
                first = target.target.elements[0].value if type(target.target) is cst.Tuple and target.target.elements else target.target
                if type(first) is cst.Name:
                    found.add(first.value)
        elif node_type is cst.Assign and type(node.value) is cst.BinaryOperation and \
                type(node.value.operator) in (cst.FloorDivide, cst.RightShift):
            for target in node.targets:
                if type(target.target) is cst.Name and dotted_text(node.value.left) == target.target.value:
                    found.add(target.target.value)
        elif node_type in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
            continue
        stack.extend(iter_children(node))
    return found


def _reads(body: cst.CSTNode) -> bool:
    for name in names_below(body):
        if name in ("recv", "read", "recv_into", "readinto", "read_exactly"):
            return True
    return False


# -- code that runs for one item of its loop ----------------------------------------------
def exit_kind(body: cst.CSTNode, depth: int = 0) -> str:
    """How a block leaves on every path through it: "return" when each path ends in `return`
    or `raise` (the block runs at most once per call), "break" when each ends in one of those
    or in `break` (at most once per run of its loop), "" when some path goes on.

    The last statement decides, and an `if` with an `else` (each branch), a `try` (its body,
    or its `else` when the body goes on, and each handler) and a `with` (its body) are
    followed into: `if p.id == chosen: ...; if ok: return redirect(a) else: return
    self.get()` runs for one provider per request, not once per provider (pretix's payment
    change view, labelled FALSE in run 14). A `break` inside a nested loop ends that loop,
    not this block's."""
    statements = getattr(body, "body", ())
    if not statements or depth > 4:
        return ""
    last = statements[-1]
    last_type = type(last)
    if last_type is cst.SimpleStatementLine or type(body) is cst.SimpleStatementSuite:
        # `...; return x` on a line of its own, or `if t: break` on the `if`'s line
        smalls = last.body if last_type is cst.SimpleStatementLine else statements  # type: ignore[attr-defined]
        kinds = {type(small) for small in smalls}
        if kinds & {cst.Return, cst.Raise}:
            return "return"
        return "break" if cst.Break in kinds else ""
    branches: List[str] = []
    if last_type is cst.If:
        node: Optional[cst.CSTNode] = last
        while type(node) is cst.If:
            branches.append(exit_kind(node.body, depth + 1))  # type: ignore[attr-defined]
            node = node.orelse  # type: ignore[attr-defined]
        if node is None:
            return ""  # no else: the test may be false and the block goes on
        branches.append(exit_kind(node.body, depth + 1))  # type: ignore[attr-defined]
    elif last_type is cst.Try:
        final = last.finalbody  # type: ignore[attr-defined]
        if final is not None:
            kind = exit_kind(final.body, depth + 1)
            if kind:
                return kind
        main = exit_kind(last.body, depth + 1)  # type: ignore[attr-defined]
        if not main and last.orelse is not None:  # type: ignore[attr-defined]
            main = exit_kind(last.orelse.body, depth + 1)  # type: ignore[attr-defined]
        branches.append(main)
        branches.extend(exit_kind(handler.body, depth + 1) for handler in last.handlers)  # type: ignore[attr-defined]
    elif last_type is cst.With:
        return exit_kind(last.body, depth + 1)  # type: ignore[attr-defined]
    if not branches or not all(branches):
        return ""
    return "return" if all(kind == "return" for kind in branches) else "break"



def match_reason(test: cst.BaseExpression, loop: cst.CSTNode, targets: Iterable[str]) -> Optional[str]:
    """Why the body of `if <test>:` directly in `for item in items:` runs for the matching item
    only, or None: `if pr == p:` compares the item (or a part of it: `row.id`, `row[0]`) with
    a local value the loop does not change, so it selects the items equal to one value, a
    match, not a share of the items. A comparison with a literal or a module constant
    (`if kind == "file"`, `if rev == NULLREV`) is a filter by category and keeps the loop's trips."""
    if type(test) is not cst.Comparison or len(test.comparisons) != 1:  # type: ignore[attr-defined]
        return None
    if type(test.comparisons[0].operator) not in (cst.Equal, cst.Is):  # type: ignore[attr-defined]
        return None
    bound = set(targets)
    left, right = test.left, test.comparisons[0].comparator  # type: ignore[attr-defined]
    for item, other in ((left, right), (right, left)):
        root = item
        while type(root) in (cst.Attribute, cst.Subscript):
            root = root.value  # type: ignore[attr-defined]
        if type(root) is not cst.Name or root.value not in bound or type(other) is not cst.Name:  # type: ignore[attr-defined]
            continue
        name = other.value  # type: ignore[attr-defined]
        if name in bound or name in ("None", "True", "False") or name.isupper() or name in _assigned_names(loop):
            continue
        return f"a match: the branch runs for the item equal to {name}"
    return None


def _assigned_names(loop: cst.CSTNode) -> set:
    out = set()
    for node, _ in own_nodes(getattr(loop, "body", loop)):
        node_type = type(node)
        if node_type is cst.AssignTarget or node_type is cst.AugAssign or node_type is cst.AnnAssign:
            target = node.target  # type: ignore[attr-defined]
            if type(target) is cst.Name:
                out.add(target.value)  # type: ignore[attr-defined]
        elif node_type is cst.For or node_type is cst.NamedExpr:
            target = node.target  # type: ignore[attr-defined]
            if type(target) is cst.Name:
                out.add(target.value)  # type: ignore[attr-defined]
    return out


# -- code that runs once per key, or once ------------------------------------------------
def once_reason(test: cst.BaseExpression, body: cst.BaseSuite,
                initialisers: Optional[Dict[str, FrozenSet[str]]] = None) -> Optional[str]:
    """Why the body of `if <test>: <body>` runs only on a cache miss or a first use, or None.

    `if key not in self._cache: self._cache[key] = build(key)`, `if self._schema is None:
    self._schema = load()`, `if not hasattr(self, "_x"): self._x = ...`: the body fills what
    the test checks, so later runs skip it. `initialisers` (module_initialisers) names the
    module's functions that set module globals: `if _re is None: _init_re()` fills `_re` too."""
    assigned = set(_assigned(body))
    if initialisers:
        assigned.update(("name", name) for name in _initialised(body, initialisers))
    if not assigned:
        return None
    if type(test) is cst.BooleanOperation and type(test.operator) is cst.Or:
        # `if not hasattr(cls, "_collection") or cls._collection is None: cls._collection = ...`:
        # each part a first-use test of what the body fills (MongoEngine's _get_collection)
        parts = or_operands(test)
        reasons = [_once_part(part, body, assigned) for part in parts]
        if all(reasons):
            return reasons[-1]
    changed = _kept_values(test, body, assigned)
    if changed:
        # `if _event != entry.event or _at != entry.action_type: _event = entry.event; ...`:
        # a cache of one entry, the last key seen; the block runs when the key changes, once
        # per group of a sorted input (pretix's notification settings, read once per event and
        # action type of the log entries: labelled FALSE in run 14)
        return f"runs when {changed} changes (a cache of the last value)"
    if type(test) is cst.Comparison and len(test.comparisons) == 1:
        op = type(test.comparisons[0].operator)
        right = test.comparisons[0].comparator
        if op is cst.NotIn:
            container = dotted_text(right)
            if container and ("sub", container) in assigned and rebound_key(test, body) is None:
                return f"runs on a cache miss only (fills {container})"
        if op is cst.Is and type(right) is cst.Name and right.value == "None":
            left = test.left
            target = dotted_text(left)
            if target and ("name", target) in assigned:
                return f"runs once, when {target} is first needed"
            if type(left) is cst.Call and type(left.func) is cst.Attribute and left.func.attr.value == "get":
                container = dotted_text(left.func.value)
                if container and ("sub", container) in assigned:
                    return f"runs on a cache miss only (fills {container})"
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        inner = test.expression
        target = dotted_text(inner)
        if target and ("name", target) in assigned:
            return f"runs once, when {target} is first needed"
        if target and ("sub", target) in assigned:
            # `if not _pg_types: for r in rows: _pg_types[r[0]] = r[1]` fills a cache once
            # (CKAN's datastore type cache, labelled FALSE in run 11)
            return f"runs once, when {target} is first filled"
        if type(inner) is cst.Call and dotted_text(inner.func) == "hasattr" and len(inner.args) == 2:
            obj = dotted_text(inner.args[0].value)
            attr = inner.args[1].value
            if obj and type(attr) is cst.SimpleString:
                name = attr.evaluated_value
                if isinstance(name, str) and ("name", f"{obj}.{name}") in assigned:
                    return f"runs once, when {obj}.{name} is first needed"
    return None


def _once_part(test: cst.BaseExpression, body: cst.BaseSuite, assigned: set) -> Optional[str]:
    """A part of an `or` that is itself a first-use test (`x is None`, `not x`, `not
    hasattr(obj, "x")`) of a name the body assigns; None otherwise."""
    if type(test) is cst.BooleanOperation:
        return None
    reason = once_reason(test, body)
    return reason if reason and reason.startswith("runs once") else None


def _kept_values(test: cst.BaseExpression, body: cst.BaseSuite, assigned: set) -> str:
    """The kept name of `if last != key:` whose block stores that key (`last = key`), or of
    each part of an `or` of such tests (a part may also be `x is None` for an `x` the block
    fills); "" when any part tests something else. At least one part must be a `!=`. The kept
    value is a local or an attribute of `self`, and the key a name or an attribute chain
    (`entry.event`): `if self._results != []: ...; self._results = []` resets a buffer, and
    `if page.parent != new: page.parent = new` stores into the item, a write per changed item."""
    parts = or_operands(test)
    kept = ""
    stores: Optional[Dict[str, set]] = None
    for part in parts:
        if type(part) is not cst.Comparison or len(part.comparisons) != 1:  # type: ignore[attr-defined]
            return ""
        op = type(part.comparisons[0].operator)  # type: ignore[attr-defined]
        left, right = part.left, part.comparisons[0].comparator  # type: ignore[attr-defined]
        if op is cst.Is and _is_none(right):
            if ("name", dotted_text(left)) not in assigned:
                return ""
            continue
        if op is not cst.NotEqual:
            return ""
        if stores is None:
            stores = _stored_values(body)
        name = ""
        for side, other in ((left, right), (right, left)):
            text, key = _kept_name(side), dotted_text(other)
            if text and key and key != "None" and key in stores.get(text, ()):
                name = text
                break
        if not name:
            return ""
        kept = kept or name
    return kept


def _kept_name(expr: cst.BaseExpression) -> str:
    """`last` or `self.last`: a value kept between passes or calls, not a part of an item."""
    if type(expr) is cst.Name:
        return expr.value  # type: ignore[attr-defined]
    if type(expr) is cst.Attribute and type(expr.value) is cst.Name and expr.value.value == "self":  # type: ignore[attr-defined]
        return f"self.{expr.attr.value}"  # type: ignore[attr-defined]
    return ""


def _stored_values(body: cst.BaseSuite) -> Dict[str, set]:
    """Target -> the dotted names the block assigns it (`last = entry.event`), in the block
    and the ifs, trys and withs in it."""
    out: Dict[str, set] = {}
    for node, _ in own_nodes(body, NESTED_SCOPES + (cst.For, cst.While)):
        if type(node) is cst.Assign:
            value = dotted_text(node.value)  # type: ignore[attr-defined]
            if value:
                for target in node.targets:  # type: ignore[attr-defined]
                    text = dotted_text(target.target)
                    if text:
                        out.setdefault(text, set()).add(value)
    return out


def else_once_reason(test: cst.BaseExpression, body: cst.BaseSuite) -> Optional[str]:
    """Why the `else:` of `if <test>:` runs only on a first use, or None: `if self.cookies:
    <use them> else: <query the stored login>; self.cookies = user.cookies` is `if not
    self.cookies:` written the other way round (FlexGet's IMDb list login, labelled FALSE in
    run 14): the else fills what the test checks, so later calls take the first branch. So
    does `if key in cache: ... else: cache[key] = build()`, an `and` of further tests beside
    the `in` (an expiry time) included."""
    for part in or_operands(test, cst.And):
        # `if key in cache [and <still fresh>]: <use cache[key]> else: <build>; cache[key] = v`
        # is `if key not in cache:` written the other way round: the else is the miss (also
        # when the entry expired: a cache with a time to live, mlflow's OAuth token kept in
        # os.environ for five minutes)
        if type(part) is cst.Comparison and len(part.comparisons) == 1 and \
                type(part.comparisons[0].operator) is cst.In:
            container = dotted_text(part.comparisons[0].comparator)
            if container and ("sub", container) in set(_assigned(body)):
                return f"runs on a cache miss only (fills {container})"
    if type(test) is cst.Comparison and len(test.comparisons) == 1 and \
            type(test.comparisons[0].operator) is cst.IsNot and dotted_text(test.comparisons[0].comparator) == "None":
        test = test.left
    target = dotted_text(test)
    # an attribute the object keeps between calls; a local (`content = self.retrieve(...)`,
    # then `else: content = create()`) is fetched again on every call (pulpcore's uploads)
    if target and "." in target and ("name", target) in set(_assigned(body)):
        return f"runs once, when {target} is first needed"
    return None


_BRANCHES = (cst.If, cst.Try, cst.With)


def rebound_key(test: cst.BaseExpression, body: cst.CSTNode) -> Optional[Tuple[str, str, cst.CSTNode, cst.CSTNode]]:
    """`if key not in cache:` whose body rebinds `key` and then stores `cache[key] = ...`:
    (key, cache, the rebinding target, the store target), else None.

    The entry is filled under the new value of `key`, and the next call with the value the
    test saw misses again: the block is not a cache miss but the work of every such call
    (coverage.py's canonical_filename rebound a relative name to the path it found on
    sys.path before storing, so a relative name never hit)."""
    if type(test) is not cst.Comparison or len(test.comparisons) != 1:
        return None
    if type(test.comparisons[0].operator) is not cst.NotIn or type(test.left) is not cst.Name:
        return None
    key = test.left.value
    cache = dotted_text(test.comparisons[0].comparator)
    if not cache:
        return None
    rebinding: Optional[cst.CSTNode] = None
    for node, _ in own_nodes(body):
        node_type = type(node)
        targets: Tuple[cst.CSTNode, ...] = ()
        if node_type is cst.Assign:
            targets = tuple(t.target for t in node.targets)  # type: ignore[attr-defined]
        elif node_type in (cst.AnnAssign, cst.AugAssign, cst.For, cst.NamedExpr):
            targets = (node.target,)  # type: ignore[attr-defined]
        for target in targets:
            if rebinding is None and type(target) is cst.Name and target.value == key:  # type: ignore[attr-defined]
                rebinding = target
            elif (rebinding is not None and type(target) is cst.Subscript
                  and dotted_text(target.value) == cache  # type: ignore[attr-defined]
                  and _subscript_is(target, key)):
                return key, cache, rebinding, target
    return None


def _subscript_is(target: cst.Subscript, name: str) -> bool:
    elements = target.slice
    if len(elements) != 1 or type(elements[0].slice) is not cst.Index:
        return False
    value = elements[0].slice.value  # type: ignore[attr-defined]
    return type(value) is cst.Name and value.value == name


def _branch_suites(stmt: cst.CSTNode) -> Iterable[cst.CSTNode]:
    """The blocks of an if/elif/else, try/except/else/finally or with statement."""
    yield stmt.body  # type: ignore[attr-defined]
    for handler in getattr(stmt, "handlers", ()):
        yield handler.body
    for extra in (getattr(stmt, "orelse", None), getattr(stmt, "finalbody", None)):
        if type(extra) is cst.If:
            yield from _branch_suites(extra)
        elif extra is not None:
            yield extra.body


def module_initialisers(module: cst.Module) -> Dict[str, FrozenSet[str]]:
    """Module-level functions that declare `global X` and assign X in their own top-level
    statements: name -> those globals. distutils' `_init_regex()` compiles three patterns into
    module globals, and `split_quoted` calls it only `if _wordchars_re is None:`."""
    out: Dict[str, FrozenSet[str]] = {}
    for stmt in module.body:
        if type(stmt) is not cst.FunctionDef or type(stmt.body) is not cst.IndentedBlock:
            continue
        declared, bound = set(), set()
        for small in _statements(stmt.body):
            if type(small) is cst.Global:
                declared.update(item.name.value for item in small.names)
            elif type(small) is cst.Assign:
                bound.update(t.target.value for t in small.targets if type(t.target) is cst.Name)
        if declared & bound:
            out[stmt.name.value] = frozenset(declared & bound)
    return out


def _initialised(body: cst.CSTNode, initialisers: Dict[str, FrozenSet[str]]) -> Iterable[str]:
    """Globals that a bare call in `body` of one of the module's initialisers sets."""
    for stmt in _statements(body):
        if type(stmt) is cst.Expr and type(stmt.value) is cst.Call and type(stmt.value.func) is cst.Name:
            yield from initialisers.get(stmt.value.func.value, ())


def _statements(body: cst.CSTNode) -> Iterable[cst.CSTNode]:
    """The small statements of a block's own lines, or of a one-line suite (`if x: f()`)."""
    if type(body) is cst.SimpleStatementSuite:
        yield from body.body  # type: ignore[attr-defined]
        return
    for stmt in getattr(body, "body", ()):
        if type(stmt) is cst.SimpleStatementLine:
            yield from stmt.body


def _assigned(body: cst.CSTNode, depth: int = 0) -> Iterable[Tuple[str, str]]:
    """("name", dotted) for `x = ...`/`self.x = ...`, ("sub", dotted) for `d[k] = ...`, in `body`
    and in the branches of the ifs, trys and withs in it (a miss block that picks how to build
    the entry still fills it)."""
    # `if x is None: x = build()` on one line: the suite holds the small statements itself
    lines = (body,) if type(body) is cst.SimpleStatementSuite else getattr(body, "body", ())
    for stmt in lines:
        if type(stmt) in _BRANCHES and depth < 3:
            for suite in _branch_suites(stmt):
                yield from _assigned(suite, depth + 1)
            continue
        if type(stmt) in (cst.For, cst.While) and depth < 3:
            # a loop that fills the entry row by row: only its subscript stores fill the cache
            yield from (entry for entry in _assigned(stmt.body, depth + 1) if entry[0] == "sub")  # type: ignore[attr-defined]
            continue
        if type(stmt) is not cst.SimpleStatementLine and stmt is not body:
            continue
        for small in stmt.body:
            targets = []
            if type(small) is cst.Assign:
                targets = [t.target for t in small.targets]
            elif type(small) in (cst.AnnAssign, cst.AugAssign):
                targets = [small.target]
            for target in targets:
                if type(target) is cst.Subscript:
                    text = dotted_text(target.value)
                    if text:
                        yield ("sub", text)
                else:
                    text = dotted_text(target)
                    if text:
                        yield ("name", text)


# `max_size`, `BATCH_SIZE`, `self.flush_at`, `capacity`, `threshold`: how many a buffer holds.
_FILL_BOUND = re.compile(r"(limit|batch|chunk|page|max|flush|buffer|queue)(_?(size|len|length|count|at))?$"
                         r"|^max_|size$|capacity$|threshold$", re.I)


def flush_reason(test: cst.BaseExpression) -> Optional[str]:
    """Why the body of `if len(self.items) >= self.max_size:` runs once per batch, or None:
    a buffer flushed when it fills (`add()` appends, and processes the items at `max_size`)
    does its work once per that many calls, not once per item (Wagtail's BatchCreator: a
    DELETE of clashes per batch of redirects, labelled FALSE in run 12). Also as one part of
    an `and` (`if self.max_size and len(self.items) == self.max_size:`)."""
    if type(test) is cst.BooleanOperation and type(test.operator) is cst.And:  # type: ignore[attr-defined]
        return flush_reason(test.left) or flush_reason(test.right)  # type: ignore[attr-defined]
    if type(test) is not cst.Comparison or len(test.comparisons) != 1:  # type: ignore[attr-defined]
        return None
    left, comparison = test.left, test.comparisons[0]  # type: ignore[attr-defined]
    if type(comparison.operator) not in (cst.Equal, cst.GreaterThanEqual, cst.GreaterThan):
        return None
    if type(left) is not cst.Call or dotted_text(left.func) != "len" or len(left.args) != 1:  # type: ignore[attr-defined]
        return None
    bound = comparison.comparator
    if type(bound) is cst.Integer:
        if int(bound.value, 0) < 10:  # type: ignore[attr-defined]
            return None  # `len(parts) == 2`: a shape, not a buffer
    else:
        text = (dotted_text(bound) or "").rpartition(".")[2]
        if not text or not _FILL_BOUND.search(text):
            return None
    return "when a buffer fills: once per batch of items, not per item"


# What the pytest runner sets for the test it runs, and its module once imported.
_TEST_RUNNER_MARKS = frozenset({"PYTEST_CURRENT_TEST", "pytest"})


def test_runner_reason(test: cst.BaseExpression) -> Optional[str]:
    """`if "PYTEST_CURRENT_TEST" in os.environ:` (or `os.environ.get(...)`, `"pytest" in
    sys.modules`) guards code that only a test run takes: pretix's check that a dirty order
    comes from test code walks the whole stack per order saved, but only under pytest."""
    if type(test) is cst.BooleanOperation and type(test.operator) is cst.And:  # type: ignore[attr-defined]
        return test_runner_reason(test.left) or test_runner_reason(test.right)  # type: ignore[attr-defined]
    name = container = None
    if type(test) is cst.Comparison and len(test.comparisons) == 1 and \
            type(test.comparisons[0].operator) is cst.In and type(test.left) is cst.SimpleString:  # type: ignore[attr-defined]
        name, container = test.left.evaluated_value, dotted_text(test.comparisons[0].comparator)  # type: ignore[attr-defined]
    elif type(test) is cst.Call and type(test.func) is cst.Attribute and test.func.attr.value == "get" \
            and test.args and type(test.args[0].value) is cst.SimpleString:  # type: ignore[attr-defined]
        name, container = test.args[0].value.evaluated_value, dotted_text(test.func.value)  # type: ignore[attr-defined]
    elif type(test) is cst.Call and dotted_text(test.func) in ("os.getenv", "getenv") and test.args \
            and type(test.args[0].value) is cst.SimpleString:  # type: ignore[attr-defined]
        name, container = test.args[0].value.evaluated_value, "os.environ"  # type: ignore[attr-defined]
    if name in _TEST_RUNNER_MARKS and container in ("os.environ", "environ", "sys.modules"):
        return "runs only under a test runner"
    return None


def shim_reason(test: cst.BaseExpression) -> Optional[str]:
    """`if type(self).log_action != Manager.log_action:` guards a compatibility shim: the
    body runs only for a subclass that overrides the method, not on the default path."""
    if type(test) is not cst.Comparison or len(test.comparisons) != 1:
        return None
    op = type(test.comparisons[0].operator)
    if op not in (cst.NotEqual, cst.IsNot):
        return None
    left, right = test.left, test.comparisons[0].comparator
    if type(left) is cst.Attribute and type(left.value) is cst.Call and dotted_text(left.value.func) == "type" \
            and type(right) is cst.Attribute and right.attr.value == left.attr.value:
        return f"runs only when a subclass overrides {left.attr.value} (a compatibility shim)"
    return None


def memo_guard(fn: cst.FunctionDef) -> Optional[str]:
    """A function that starts by answering from a cache it fills itself: its body past the
    guard runs on a miss only.

    `if key in self._cache: return self._cache[key]`; `hit = cache.get(key)` then
    `if hit is not None: return hit`; `try: return cache[key]` / `except KeyError: pass`; in
    each case the function also stores into that container (`self._cache[key] = ...`). A
    lookup in a container the function never fills (a dirty-page table, say) is a fast path,
    not a memo: the rest of the body runs on every other call."""
    body = getattr(fn.body, "body", ())[:4]
    for stmt in body:  # read for every function: most start with no `if` or `try` at all
        stmt_type = type(stmt)
        if stmt_type is cst.If or stmt_type is cst.Try:
            break
        if stmt_type is cst.With and stmt is _first_statement(body):
            # `with self._lock: if self.is_active: return ...; self.is_active = True`: the guard
            # taken under a lock is the same guard (MLflow's telemetry client, labelled FALSE in
            # run 14: its config fetch runs once per process, not once per record)
            body = getattr(stmt.body, "body", ())[:4]  # type: ignore[attr-defined]
            break
    else:
        return None
    stmts = [s for s in body if not is_docstring(s)]
    flags = _refresh_flags(fn)
    writes: Optional[Tuple[set, set, set]] = None  # (stored, assigned, set to True): one walk, on demand
    for i, stmt in enumerate(stmts[:3]):
        container = lazy = done = None
        if type(stmt) is cst.If and _returns(stmt.body):
            test = _without_refresh(stmt.test, flags)
            if type(test) is cst.Comparison and len(test.comparisons) == 1:
                op = type(test.comparisons[0].operator)
                if op is cst.In:
                    container = dotted_text(test.comparisons[0].comparator)
                elif op is cst.IsNot and i > 0:
                    name = dotted_text(test.left)
                    container = _cache_get_container(stmts[i - 1], name) if name else None
                if op is cst.IsNot and container is None and _is_none(test.comparisons[0].comparator):
                    lazy = _returned_itself(stmt, dotted_text(test.left))  # `if self._x is not None: return self._x`
            elif type(test) in (cst.Name, cst.Attribute):
                lazy = _returned_itself(stmt, dotted_text(test))  # `if _SERVICES: return _SERVICES`
                if lazy is None and _bare_return(stmt):
                    done = dotted_text(test)  # `if self._analyzed: return`, set once the work is done
        elif type(stmt) is cst.Try and stmt.handlers and _returns(stmt.body):
            caught = {dotted_text(h.type) for h in stmt.handlers if h.type is not None}
            if caught & {"KeyError", "LookupError"}:
                container = _subscripted(stmt.body)
        if not (container or lazy or done):
            continue
        if writes is None:
            writes = _writes(fn.body)
        stored, assigned, set_true = writes
        if done and done in set_true:
            return f"runs once: returns at once when {done} is set, and sets it"
        if container and container in stored:
            return f"memoised: answers from {container} and fills it on a miss"
        # a value built once and kept: the function fills it (`X[k] = ...`) or assigns it (`self._x = ...`)
        if lazy and (lazy in stored or lazy in assigned):
            return f"memoised: returns {lazy} once it is built, and builds it on the first call"
    return None


def _first_statement(body: Sequence[cst.CSTNode]) -> Optional[cst.CSTNode]:
    return next((stmt for stmt in body if not is_docstring(stmt)), None)


def _refresh_flags(fn: cst.FunctionDef) -> FrozenSet[str]:
    """Parameters that default to False or None: `reload=False`, `force=False`."""
    params = fn.params
    return frozenset(p.name.value for p in (*params.params, *params.kwonly_params)
                     if type(p.default) is cst.Name and p.default.value in ("False", "None"))


def _without_refresh(test: cst.BaseExpression, flags: FrozenSet[str]) -> cst.BaseExpression:
    """`_cache is not None and not reload` -> `_cache is not None`: a guard that a caller may
    skip by passing a refresh flag (off by default) still answers every other call from what
    it keeps (Prefect's collections, loaded once per process: labelled FALSE in run 14)."""
    if type(test) is cst.BooleanOperation and type(test.operator) is cst.And:  # type: ignore[attr-defined]
        right = test.right  # type: ignore[attr-defined]
        if type(right) is cst.UnaryOperation and type(right.operator) is cst.Not and \
                type(right.expression) is cst.Name and right.expression.value in flags:
            return test.left  # type: ignore[attr-defined]
    return test


def _bare_return(guard: cst.If) -> bool:
    """The guard's body is only `return` (or `return None`): the call does nothing more."""
    body = getattr(guard.body, "body", ())
    small = body[0].body if len(body) == 1 and type(body[0]) is cst.SimpleStatementLine else body
    return (len(small) == 1 and type(small[0]) is cst.Return
            and (small[0].value is None or _is_none(small[0].value)))


def _is_none(expr: cst.BaseExpression) -> bool:
    return type(expr) is cst.Name and expr.value == "None"


def _returned_itself(guard: cst.If, name: Optional[str]) -> Optional[str]:
    """`name` when the guard's body ends by returning `name` itself (`if _T: return _T`)."""
    if not name:
        return None
    last = getattr(guard.body, "body", ())[-1:]
    small = last[0].body if last and type(last[0]) is cst.SimpleStatementLine else last
    returned = next((dotted_text(r.value) for r in small if type(r) is cst.Return and r.value is not None), None)
    return name if returned == name else None


def _cache_get_container(stmt: cst.CSTNode, name: str) -> Optional[str]:
    """`name = <container>.get(key)` -> the container's dotted text."""
    if type(stmt) is not cst.SimpleStatementLine:
        return None
    for small in stmt.body:
        if type(small) is cst.Assign and len(small.targets) == 1 and dotted_text(small.targets[0].target) == name:
            value = small.value
            if type(value) is cst.Call and type(value.func) is cst.Attribute and value.func.attr.value == "get":
                return dotted_text(value.func.value)
    return None


def _subscripted(body: cst.BaseSuite) -> Optional[str]:
    """The container of `return <container>[key]` in a try body."""
    for stmt in getattr(body, "body", ()):
        if type(stmt) is cst.SimpleStatementLine:
            for small in stmt.body:
                if type(small) is cst.Return and type(small.value) is cst.Subscript:
                    return dotted_text(small.value.value)
    return None


def _writes(body: cst.CSTNode) -> Tuple[set, set, set]:
    """What the function writes, outside nested scopes: (containers it stores into: `c[k] = v`,
    `c.setdefault(k, v)`, `c.update(...)`; dotted names it assigns: `X = ...`, `self._x = ...`;
    names it sets to True: `self._analyzed = True`, the mark that a done flag's work is done)."""
    stored: set = set()
    assigned: set = set()
    set_true: set = set()
    for node, _ in own_nodes(body, STATEMENTS_ONLY):
        node_type = type(node)
        if node_type is cst.AssignTarget:
            target = node.target
            if type(target) is cst.Subscript:
                text = dotted_text(target.value)
                if text:
                    stored.add(text)
            elif type(target) in (cst.Name, cst.Attribute):
                text = dotted_text(target)
                if text:
                    assigned.add(text)
        elif node_type is cst.Assign and type(node.value) is cst.Name and node.value.value == "True":
            set_true.update(text for text in (dotted_text(t.target) for t in node.targets) if text)
        elif node_type is cst.Call and type(node.func) is cst.Attribute and node.func.attr.value in ("setdefault", "update", "__setitem__"):
            text = dotted_text(node.func.value)
            if text:
                stored.add(text)
    return stored, assigned, set_true


def is_docstring(stmt: cst.CSTNode) -> bool:
    """A statement that is only a string: a docstring where it opens a body."""
    return (
        type(stmt) is cst.SimpleStatementLine
        and len(stmt.body) == 1
        and type(stmt.body[0]) is cst.Expr
        and type(stmt.body[0].value) in (cst.SimpleString, cst.ConcatenatedString)
    )


def _returns(body: cst.BaseSuite) -> bool:
    stmts = getattr(body, "body", ())
    if type(body) is cst.SimpleStatementSuite:
        return any(type(s) is cst.Return for s in stmts)
    return bool(stmts) and type(stmts[-1]) is cst.SimpleStatementLine and any(type(s) is cst.Return for s in stmts[-1].body)


def class_sizes(node: cst.ClassDef) -> Dict[str, float]:
    """Names a class body defines as a non-empty literal collection, with its size: a class
    attribute `sheets = (("orders", ...), ...)`, or a method or property whose one statement
    (after a docstring) returns one; ABSTRACT for one that only raises or passes. An empty
    literal is a container to fill, not a bound."""
    out: Dict[str, float] = {}
    for stmt in getattr(node.body, "body", ()):
        stmt_type = type(stmt)
        if stmt_type is cst.SimpleStatementLine and len(stmt.body) == 1:  # type: ignore[attr-defined]
            small = stmt.body[0]  # type: ignore[attr-defined]
            if type(small) is cst.Assign and len(small.targets) == 1 and type(small.targets[0].target) is cst.Name:
                size = literal_size(small.value)
                if size:
                    out[small.targets[0].target.value] = size  # type: ignore[attr-defined]
        elif stmt_type is cst.FunctionDef:
            body = list(getattr(stmt.body, "body", ()))  # type: ignore[attr-defined]
            if body and is_docstring(body[0]):
                body = body[1:]
            if len(body) == 1 and type(body[0]) is cst.SimpleStatementLine and len(body[0].body) == 1:
                small = body[0].body[0]
                if type(small) is cst.Return and small.value is not None:
                    size = literal_size(small.value)
                    if size:
                        out[stmt.name.value] = size  # type: ignore[attr-defined]
                elif type(small) in (cst.Raise, cst.Pass) or (
                        type(small) is cst.Expr and type(small.value) is cst.Ellipsis):
                    # `raise NotImplementedError()`: abstract, a subclass defines what it is
                    out[stmt.name.value] = ABSTRACT  # type: ignore[attr-defined]
    return out


ABSTRACT = 0.0  # class_sizes: a method or property that only raises (or passes): no bound of its own


_WRAPPERS = {"enumerate", "list", "tuple", "sorted", "reversed", "iter", "set"}


def iterated_self_attr(expr: cst.BaseExpression) -> str:
    """`X` when a loop iterates `self.X`, `self.X()`, `enumerate(self.X)`, `self.X.items()`..."""
    while True:
        expr_type = type(expr)
        if expr_type is cst.Call:
            func = expr.func  # type: ignore[attr-defined]
            if type(func) is cst.Name and func.value in _WRAPPERS and expr.args:  # type: ignore[attr-defined]
                expr = expr.args[0].value  # type: ignore[attr-defined]
                continue
            if type(func) is cst.Attribute and func.attr.value in ("items", "keys", "values") and not expr.args:  # type: ignore[attr-defined]
                expr = func.value
                continue
            if not expr.args:  # type: ignore[attr-defined]
                expr = func  # `self.sheets()`
                if type(expr) is not cst.Attribute:
                    return ""
                continue
            return ""
        if expr_type is cst.Attribute and type(expr.value) is cst.Name and expr.value.value == "self":  # type: ignore[attr-defined]
            return expr.attr.value  # type: ignore[attr-defined]
        return ""
