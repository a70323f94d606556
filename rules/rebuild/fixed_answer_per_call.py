"""PFL307 fixed-answer-per-call."""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.rule import Invalid, Rule
from perflint.ruleutil import (
    NESTED_SCOPE_TYPES, STAT_PROBES, bound_names, calls_in, first_arg, forwards, memoised, open_mode, own_nodes, own_returns,
    single_value, star_params)
from perflint.nodes import STATEMENTS_ONLY, iter_children

# Introspection whose answer is fixed once the callable is defined.
_INTROSPECTION = {
    "inspect.signature": "inspect.signature()",
    "inspect.Signature.from_callable": "Signature.from_callable()",
    "inspect.getfullargspec": "inspect.getfullargspec()",
    "inspect.getargspec": "inspect.getargspec()",
}
# Type hints resolved from a class's annotations (and its bases'), fixed once it is defined.
_TYPE_HINTS = {"typing.get_type_hints", "typing_extensions.get_type_hints"}
# The effect of a caching wrapper (a decorator's returned function, a `__call__`) whose key is
# built per call: phase 2's `memo-wrapper-caller-or-low` reads it on the caller of a helper.
MEMO_WRAPPER = "memo-wrapper"
HINTS_FIX = "keep the hints per class (a dict keyed by the class, or functools.lru_cache on a helper)"
# A function that creates or deletes files manages them: its stats guard its own changes.
_FILE_CHANGES = {
    "os.makedirs", "os.mkdir", "os.remove", "os.unlink", "os.rename", "os.replace", "os.rmdir",
    "shutil.rmtree", "shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copytree", "shutil.move",
}
_PATH_CHANGES = {"mkdir", "unlink", "write_text", "write_bytes", "touch", "rmdir", "rename", "replace"}
# pathlib probes on a path object derived from the package's folder.
_PATH_METHODS = {"exists", "is_file", "is_dir"}
# Names whose value is where the module itself is installed: fixed for the process.
_PACKAGE_ROOTS = {"__file__", "__path__"}


class FixedAnswerPerCall(Rule):
    """
    An answer fixed for the process asked again on every call: a callable's signature,
    whether a data file of the package itself exists, or whether a folder is a Python package.

    ## What it does
    Flags, in a function that is not memoised, `inspect.signature()` (and
    `getfullargspec()`, `Signature.from_callable()`) of a callable, and stat probes
    (`os.path.exists`, `isfile`, `isdir`, `os.stat`, `os.access`, `Path.exists()`) of a path
    under the package's own folder: one built from `__file__` directly, through a module-level
    name, a `self` attribute or a local set from it, or through a function of the same module
    that returns such a path; and stat probes of a folder's `__init__` module
    (`os.path.join(d, "__init__.py")`, `join(d, "__init__") + "." + ext`, or a local set from
    such a path) where the folder is a parameter of the function, which ask whether the folder
    it is given is a package; and `typing.get_type_hints(cls)` of a class the function is
    given as a parameter, whose hints are fixed once the class is defined. Whether that costs anything
    depends on how often the function runs: the finding is a warning only when its time per unit of work (loops and hot entry
    points on the way) reaches the threshold; otherwise it is a note.

    ## Why is this slow
    A function's parameters do not change after it is defined, and the files installed with a
    package do not come and go while it runs, nor does a package lose or gain its `__init__`
    (the import system keeps that answer too, in its finders' caches), yet each call asks
    again: `inspect.signature()` builds a `Signature` and a `Parameter` per argument (about 14 µs on the reference machine,
    and cyclic garbage), a stat is a system call (about 1.5 µs). Per model instance, per
    formatted value or per parsed name, that adds up.

    ## Example
    ```python
    import inspect

    def takes_data(factory):
        return len(inspect.signature(factory).parameters) == 1

    def defaults(fields, data):
        return {name: f(data) if takes_data(f) else f() for name, f in fields.items()}
    ```

    ## Use instead
    ```python
    import functools
    import inspect

    @functools.lru_cache(maxsize=None)
    def takes_data(factory):
        return len(inspect.signature(factory).parameters) == 1
    ```

    ## Notes
    Both costs are microseconds, so the findings are graded cautiously. Introspection is
    reported at low confidence, a note whatever its estimated time: it mostly runs when
    something is defined, registered or compiled (a template's filters, a login's
    authentication backends, a model's validators, a decorator's body), where unknown loop
    bounds overestimate how often. Set `[rules.PFL307] severity` to promote it where you know
    the function runs per instance or per row. Three shapes show that it runs per call of the
    callable it inspects, and keep their confidence: a caching wrapper (a `__call__`, or the
    function a decorator returns) that forwards its `*args`/`**kwargs` to the callable it
    wraps and builds its cache key through that callable's signature (`c.get(key)`, then
    `c[key] = ...`, an in-process mapping): every call pays for it, cache hits included,
    where the hit is otherwise a dict lookup (an external cache's `c.set(key, ...)` is not
    enough: its round trip dwarfs a signature, as Superset's `memoized_func` showed); a helper that binds its own `*args`/`**kwargs`
    through the signature of the callable it is given (`sig.bind(*args, **kwargs)`), when the
    call that gives it its heat comes from such a wrapper (as nutils' cached functions laid
    out each call's arguments for the key); and a loop over a module-level registry (a list
    or dict the module's functions fill) that inspects each callable and calls it, in a
    function that a data loop or a hot entry point repeats (a template renderer asking each
    registered context provider whether it takes the request, once per render), at medium
    confidence: the answer was known when the callable was registered. A wrapper that does
    not cache is not enough (its call does the wrapped function's work, a query or a request
    as often as not, which dwarfs a signature), nor is a registry walked by a function only
    its own loop repeats (a start-up check). The wrapper has to be in a file that
    introspects (the rule reads only such files). `typing.get_type_hints(cls)` is the other
    case the call graph can tell apart: in a function that calls itself back through a data loop (a converter that
    walks nested values, as dacite's `from_dict` did: per field, per list item, `from_dict`
    again for each nested dataclass), it runs once per nested value of every record, and it
    keeps its confidence; elsewhere it is a low-confidence note like the rest. It is priced
    as `inspect-signature` (get_type_hints of a five-field dataclass measured 1.2-1.5 times
    inspect.signature on the same machine: the table's figure is an underestimate). A stat is reported at medium confidence (its time counts half): it
    needs more than a thousand calls per unit of work to be a warning.
    Module-level calls, memoised functions (`lru_cache`, `functools.cache`, a hand-written
    cache guard), test code and calls in `except` handlers or cache-miss branches are not
    reported. A stat of any other path (a user's file, a cache file, a lock) is not
    reported: its answer can change while the process runs (a package marker is the one
    exception: astroid probed each `__init__` extension per import it resolved, tens of
    thousands of identical stats per lint run, and memoised the answer per folder); nor is
    one in a function that creates or deletes files (`os.makedirs`, `os.remove`,
    `open(..., "w")`, `Path.mkdir`), whose checks guard its own changes.
    """

    CODE = "PFL307"
    COST = "inspect-signature"  # perflint/calibrate.py SPECS; a stat is costed as stat-path
    NAME = "fixed-answer-per-call"
    FAMILY = "rebuild"
    FIX = "compute the answer once (functools.lru_cache keyed by the callable or name, or at import) and reuse it"
    TRIGGERS = ("signature", "getfullargspec", "getargspec", "__file__", "__path__", "'__init__", '"__init__',
                "get_type_hints")
    VALID = [
        # Memoised: once per distinct callable.
        "import functools, inspect\n@functools.lru_cache(maxsize=None)\ndef arity(fn):\n"
        "    return len(inspect.signature(fn).parameters)\n"
        "def call_all(fns):\n    return [arity(f) for f in fns]\n",
        # A user's file: its existence can change while the process runs.
        "import os\ndef load_all(paths):\n    return [open(p).read() for p in paths if os.path.exists(p)]\n",
        # Once, at import.
        "import os\nDATA = os.path.join(os.path.dirname(__file__), 'data')\nHAVE_DATA = os.path.isdir(DATA)\n",
        # Another file of a folder: it can come and go.
        "import os\ndef has_setup(folders):\n    return [d for d in folders if os.path.exists(os.path.join(d, 'setup.py'))]\n",
        # A function's own signature object, not inspect's.
        "def render(forms):\n    for form in forms:\n        form.signature()\n",
        # Hints kept per class.
        "import functools, typing\n@functools.lru_cache(maxsize=None)\ndef hints(cls):\n"
        "    return typing.get_type_hints(cls)\n"
        "def convert(cls, rows):\n    return [cls(**{k: t(r[k]) for k, t in hints(cls).items()}) for r in rows]\n",
    ]
    INVALID = [
        # A converter recursing through its fields: the hints resolved per nested value.
        Invalid(
            "import typing\n"
            "def load(cls, data):\n"
            "    hints = typing.get_type_hints(cls)\n"
            "    return cls(**{k: convert(hints[k], v) for k, v in data.items()})\n"
            "def convert(kind, value):\n"
            "    return load(kind, value) if isinstance(value, dict) else value\n",
            line=3,
        ),
        Invalid(
            "import inspect\n"
            "def takes_data(factory):\n"
            "    return len(inspect.signature(factory).parameters) == 1\n"
            "def defaults(factories, data):\n"
            "    return [f(data) if takes_data(f) else f() for f in factories]\n",
            line=3,
        ),
        Invalid(
            "import os\n"
            "_dirname = os.path.join(os.path.dirname(__file__), 'locale-data')\n"
            "def filename(name):\n"
            "    return os.path.join(_dirname, name + '.dat')\n"
            "def exists(name):\n"
            "    return os.path.exists(filename(name))\n",
            line=6,
        ),
        Invalid(
            "from pathlib import Path\n"
            "HERE = Path(__file__).parent\n"
            "def has_template(names):\n"
            "    return [n for n in names if (HERE / 'templates' / n).exists()]\n",
            line=4,
        ),
        Invalid(
            "import os\n"
            "def has_init(directory):\n"
            "    base = os.path.join(directory, '__init__')\n"
            "    for ext in ('py', 'pyi', 'pyc'):\n"
            "        if os.path.exists(base + '.' + ext):\n"
            "            return base + '.' + ext\n"
            "def resolve(folders):\n"
            "    return [has_init(d) for d in folders]\n",
            line=5,
        ),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._package_names: Set[str] = set(_PACKAGE_ROOTS)  # module-level names holding a package path
        # (function qualname, local) and (class qualname, `self.x`) set from a package path
        self._scoped_names: Set[Tuple[str, str]] = set()
        self._package_functions: Set[str] = set()  # module functions that return a package path
        self._functions: List[cst.FunctionDef] = []
        self._changing: Dict[int, bool] = {}  # id of a function -> whether it creates or deletes files
        # (function qualname, local) holding an `__init__` path -> whether it reads a parameter
        self._markers: Dict[Tuple[str, str], bool] = {}
        self._wrappers: Dict[int, Optional[str]] = {}  # id of a function -> the callable it wraps, caching
        self._registries: Set[str] = set()  # module-level names bound to an empty or literal collection

    def visit_Module(self, node: cst.Module) -> None:
        # Module-level names built from __file__ (in order: one may be built from another),
        # then the module's functions that return a path built from them.
        for stmt in _top_level(node.body):
            for target, value in _assignments(stmt):
                if self._from_package(value):
                    self._package_names.add(target)
        for stmt in _top_level(node.body):
            for target, value in _assignments(stmt):
                if _collection(value):
                    self._registries.add(target)
        for stmt in node.body:
            if isinstance(stmt, cst.FunctionDef) and any(
                    ret.value is not None and self._from_package(ret.value) for ret in own_returns(stmt)):
                self._package_functions.add(stmt.name.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)
        if node.name.value == "__call__" or len(self._functions) > 1:
            self._memo_wrapper(node)  # records the memo-wrapper effect a helper's finding reads

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def _changes_files(self) -> bool:
        """Whether the enclosing function creates or deletes files (cached per function)."""
        if not self._functions:
            return False
        fn = self._functions[-1]
        known = self._changing.get(id(fn))
        if known is None:
            known = self._changing[id(fn)] = any(self._changes(call) for call in calls_in(fn.body))
        return known

    def _changes(self, call: cst.Call) -> bool:
        qualified = self.ctx.resolve(call.func) or ""
        if qualified in _FILE_CHANGES:
            return True
        if qualified == "open":
            mode = open_mode(call)
            return mode is not None and any(c in mode for c in "wxa")
        return isinstance(call.func, cst.Attribute) and call.func.attr.value in _PATH_CHANGES

    def visit_Assign(self, node: cst.Assign) -> None:
        # A local or a `self` attribute set from a package path inside a function; a local
        # set from a path to a folder's `__init__` module.
        if self.ctx.function is not None and self._package_marker(node.value, need_parameter=False):
            reads = self._from_parameter(node.value) or self._marker_locals(node.value, True)
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self._markers[(self.ctx.function_qualname, target.target.value)] = reads
        if self.ctx.function is None or not self._from_package(node.value):
            return
        for target in node.targets:
            text = dotted_text(target.target)
            if text is not None:
                self._scoped_names.add((self._scope_of(text), text))

    def _scope_of(self, text: str) -> str:
        if "." in text:  # `self.x`: every method of the class sees it
            return self.ctx.class_qualname or ""
        return self.ctx.function_qualname

    def visit_Call(self, node: cst.Call) -> None:
        found = self._probe(node)
        if found is None:
            self._type_hints(node)
            return
        what, why, cost = found
        fn = self.ctx.function
        if fn is None or self.ctx.is_test:
            return  # module level runs once per import; tests are not a hot path
        if memoised(fn):
            return  # memoised: once per process or per distinct argument
        # Microseconds per call: a warning only when the site truly runs thousands of times.
        # Introspection mostly runs when something is defined, registered or compiled (a
        # template's filters, a login's backends, a model's validators), where the loops'
        # estimated trips overshoot: a guess, so a note whatever the score, unless the code's
        # shape shows it runs per call of the inspected callable (_per_call). A stat costs less
        # still; halved, it needs over a thousand calls per unit of work to warn.
        if cost != "inspect-signature":
            self.report(node, f"{what} on every call of {fn.name}(); {why}", cost=cost, confidence="medium")
            return
        shape = self._per_call(node)
        if shape is None:
            self.report(node, f"{what} on every call of {fn.name}(); {why}", cost=cost, confidence="low")
            return
        where, requires, confidence = shape
        self.report(node, f"{what} on every call of {fn.name}(){where}; {why}", cost=cost, requires=requires,
                    confidence=confidence)

    def _per_call(self, node: cst.Call) -> Optional[Tuple[str, Tuple[str, ...], str]]:
        """(what the message adds, phase-2 conditions) when the code's shape shows that the
        introspection runs per call of the callable it inspects, not when it is defined or
        registered; None otherwise (a low-confidence note, as before). Three shapes:
        - a caching wrapper (a nested function its decorator returns, or a `__call__`) that
          forwards its `*args`/`**kwargs` to the callable it wraps and builds its cache key
          through that callable's signature: every call, cache hits included, pays for it;
        - a helper that binds its own `*args`/`**kwargs` through the signature of the
          callable it is given (`sig.bind(*args, **kwargs)`), where the call that gives it its
          heat comes from such a caching wrapper (phase 2: `memo-wrapper-caller-or-low`);
        - a loop over a module-level registry of callables that inspects each and calls it,
          in a function that itself runs per item of a data loop or per request (phase 2:
          `repeated-caller-or-low`): the answer was known when the callable was registered."""
        fn_node = self._functions[-1] if self._functions else None
        arg = first_arg(node)
        if fn_node is None or arg is None:
            return None
        text = dotted_text(arg)
        if text is None:
            return None
        wrapped = self._memo_wrapper(fn_node)
        if wrapped is not None and text == wrapped:
            return " (a caching wrapper: every call of the callable it wraps, cache hits included)", (), "high"
        star, kw = star_params(fn_node)
        if type(arg) is cst.Name and arg.value in (self.ctx.function.params if self.ctx.function else ()) \
                and (star or kw) and _binds_own_arguments(fn_node, star, kw):
            return "", ("memo-wrapper-caller-or-low",), "high"
        if type(arg) is cst.Name and self._registry_item(fn_node, arg.value):
            return " (each callable of a module-level registry, on every call)", ("repeated-caller-or-low",), "medium"
        return None

    def _memo_wrapper(self, fn: cst.FunctionDef) -> Optional[str]:
        """The callable `fn` wraps (its dotted text) when `fn` is a caching wrapper; None
        otherwise. A wrapper is a `__call__` method or a nested function the enclosing function
        returns; it calls a callable it did not bind itself (a closure variable, `self.func`)
        forwarding its own `*args` or `**kwargs`, and both reads and fills a cache keyed per
        call (`c.get(key)` and `c[key] = value` on the same container: a dict in the process).
        Cached per function node; the caller records the `memo-wrapper` effect."""
        known = self._wrappers.get(id(fn), False)
        if known is not False:
            return known  # type: ignore[return-value]
        found: Optional[str] = None
        if self._is_wrapper(fn):
            star, kw = star_params(fn)
            if star or kw:
                bound = bound_names(fn)
                for call in calls_in(fn.body):
                    callee = dotted_text(call.func)
                    if callee is None or not forwards(call, star, kw):
                        continue
                    if (type(call.func) is cst.Name and callee not in bound) or \
                            (type(call.func) is cst.Attribute and callee.split(".")[0] == "self"
                             and callee.count(".") == 1):
                        found = callee
                        break
            if found is not None and not _fills_cache(fn):
                found = None
        self._wrappers[id(fn)] = found
        if found is not None:
            self.ctx.add_effect(MEMO_WRAPPER, fn=self.ctx.function)
        return found

    def _is_wrapper(self, fn: cst.FunctionDef) -> bool:
        """A `__call__` method, or a nested function its enclosing function returns."""
        summary = self.ctx.function
        if fn.name.value == "__call__" and summary is not None and summary.cls is not None:
            return True
        if len(self._functions) < 2:
            return False
        outer = self._functions[-2]
        name = fn.name.value
        return any(type(ret.value) is cst.Name and ret.value.value == name for ret in own_returns(outer))

    def _registry_item(self, fn: cst.FunctionDef, name: str) -> bool:
        """Whether `name` is the variable of a loop around the site over a module-level
        collection of this module (`for provider in _providers`, or over a local copied from
        one: `providers = list(_providers)`), and the function calls it."""
        if not self._registries:
            return False
        source: Optional[cst.BaseExpression] = None
        for loop in reversed(self.ctx.loop_nodes):
            for target, iterable in _loop_heads(loop):
                if type(target) is cst.Name and target.value == name:
                    source = iterable
                    break
            if source is not None:
                break
        if source is None or not self._registry_expr(source, fn):
            return False
        return any(type(call.func) is cst.Name and call.func.value == name for call in calls_in(fn.body))

    def _registry_expr(self, expr: cst.BaseExpression, fn: cst.FunctionDef, depth: int = 0) -> bool:
        """A module-level registry, a copy of one (`list(r)`, `tuple(r)`, `r.copy()`,
        `r.values()`), or a local of `fn` set from one."""
        if type(expr) is cst.Call:
            func = expr.func
            if type(func) is cst.Name and func.value in ("list", "tuple") and len(expr.args) == 1:
                return self._registry_expr(expr.args[0].value, fn, depth)
            if type(func) is cst.Attribute and func.attr.value in ("copy", "values") and not expr.args:
                return self._registry_expr(func.value, fn, depth)
            return False
        if type(expr) is not cst.Name:
            return False
        if expr.value in self._registries and expr.value not in bound_names(fn):
            return True
        if depth > 1:
            return False
        value = single_value(fn, expr.value)
        return value is not None and self._registry_expr(value, fn, depth + 1)

    def _type_hints(self, node: cst.Call) -> None:
        """`typing.get_type_hints(cls)` of a class the function is given per call: the hints are
        fixed once the class is defined. Per record only where the graph shows the function
        recursing through a data loop (a converter walking nested values: dacite's from_dict);
        elsewhere it mostly runs when a class is defined or registered, a note as before."""
        if self.ctx.resolve(node.func) not in _TYPE_HINTS:
            return
        fn = self.ctx.function
        arg = first_arg(node)
        if fn is None or self.ctx.is_test or memoised(fn) or type(arg) is not cst.Name or arg.value not in fn.params:
            return
        self.report(node, f"typing.get_type_hints({arg.value}) re-resolves the annotations of {arg.value} on every call "
                          f"of {fn.name}(); a class's or a function's type hints do not change after it is defined",
                    fix=HINTS_FIX, requires=("repeated", "recursive-loop-or-low"))

    def _probe(self, node: cst.Call) -> Optional[Tuple[str, str, str]]:
        qualified = self.ctx.resolve(node.func)
        if qualified in _INTROSPECTION:
            return (_INTROSPECTION[qualified] + " re-inspects the callable",
                    "a callable's parameters do not change after it is defined", "inspect-signature")
        if qualified in STAT_PROBES:
            arg = first_arg(node)
            if arg is not None and self._from_package(arg) and not self._changes_files():
                return (STAT_PROBES[qualified] + " stats a file of the package's own folder",
                        "the files installed with the package do not change while it runs", "stat-path")
            if arg is not None and self._package_marker(arg) and not self._changes_files():
                return (STAT_PROBES[qualified] + " asks whether a folder holds an __init__ module",
                        "whether a folder is a Python package does not change while the process runs "
                        "(the import system keeps the answer too)", "stat-path")
            return None
        func = node.func
        if (isinstance(func, cst.Attribute) and func.attr.value in _PATH_METHODS and not node.args
                and self._from_package(func.value) and not self._changes_files()):
            return (f"Path.{func.attr.value}() stats a file of the package's own folder",
                    "the files installed with the package do not change while it runs", "stat-path")
        return None

    def _package_marker(self, expr: cst.BaseExpression, need_parameter: bool = True) -> bool:
        """Whether `expr` is the path of a folder's `__init__` module: a package marker
        (`os.path.join(d, "__init__.py")`, `join(d, "__init__") + "." + ext`, a local set so),
        of a folder the function is given (a parameter, read here or by such a local)."""
        if not (_names_init(expr) or self._marker_locals(expr, False)):
            return False
        return not need_parameter or self._from_parameter(expr) or self._marker_locals(expr, True)

    def _marker_locals(self, expr: cst.BaseExpression, reading_parameter: bool) -> bool:
        """Whether `expr` reads a local holding an `__init__` path (one that reads a parameter)."""
        markers = self._markers
        if not markers:
            return False  # most files set none: no walk of every assigned value for them
        scope = self.ctx.function_qualname
        for node in _own_expression_nodes(expr):
            if type(node) is cst.Name:
                found = markers.get((scope, node.value))
                if found is not None and (found or not reading_parameter):
                    return True
        return False

    def _from_parameter(self, expr: cst.BaseExpression) -> bool:
        """Whether `expr` reads a parameter of the enclosing function: the folder is what the
        function is asked about, so a memo keyed by it is the fix (a folder taken from the
        configuration inside a loop of the function is not such a question)."""
        fn = self.ctx.function
        params = set(fn.params) if fn is not None else set()
        return any(type(node) is cst.Name and node.value in params for node in _own_expression_nodes(expr))

    def _from_package(self, expr: cst.BaseExpression) -> bool:
        """Whether `expr` is built from where the module is installed."""
        stack = [expr]
        while stack:
            node = stack.pop()
            node_type = type(node)  # exact types: libcst's classes are ABCs, isinstance is slow
            if node_type is cst.Name or node_type is cst.Attribute:
                text = dotted_text(node)
                if text is not None and (text in self._package_names
                                         or (self._scope_of(text), text) in self._scoped_names):
                    return True
            elif node_type is cst.Call:
                name = dotted_text(node.func)
                if name in self._package_functions:
                    return True
            elif node_type in NESTED_SCOPE_TYPES:
                continue
            if node_type is cst.Attribute:
                stack.append(node.value)  # `obj.__file__` is another module's file, not this one's
                continue
            stack.extend(iter_children(node))
        return False


def _own_expression_nodes(expr: cst.BaseExpression) -> List[cst.CSTNode]:
    """The nodes of an expression, lambdas and comprehensions aside."""
    out: List[cst.CSTNode] = []
    stack: List[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if type(node) in NESTED_SCOPE_TYPES:
            continue
        out.append(node)
        stack.extend(iter_children(node))
    return out


def _names_init(expr: cst.BaseExpression) -> bool:
    """A string literal naming a folder's `__init__` module in the expression, as a path
    part (`"__init__"`, `"__init__.py"`, `"__init__."`): the path of a package marker."""
    for node in _own_expression_nodes(expr):
        if type(node) is cst.SimpleString:
            text = node.evaluated_value
            if isinstance(text, bytes):
                text = text.decode("latin-1")
            if isinstance(text, str) and text.split("/")[-1].startswith("__init__") \
                    and text.split("/")[-1].partition(".")[0] == "__init__":
                return True
    return False


def _top_level(body) -> List[cst.SimpleStatementLine]:
    """Module-level statements, looking into `if`/`try` blocks (platform switches, fallbacks)."""
    out: List[cst.SimpleStatementLine] = []
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            out.append(stmt)
        elif isinstance(stmt, (cst.If, cst.Try)):
            blocks = [stmt.body]
            orelse = getattr(stmt, "orelse", None)
            while isinstance(orelse, cst.If):
                blocks.append(orelse.body)
                orelse = orelse.orelse
            if orelse is not None:
                blocks.append(orelse.body)
            blocks.extend(h.body for h in getattr(stmt, "handlers", ()))
            for block in blocks:
                if isinstance(block, cst.IndentedBlock):
                    out.extend(_top_level(block.body))
    return out


def _assignments(stmt: cst.SimpleStatementLine) -> List[Tuple[str, cst.BaseExpression]]:
    """(name, value) of each plain `name = value` (or annotated) in a statement line."""
    out: List[Tuple[str, cst.BaseExpression]] = []
    for small in stmt.body:
        if isinstance(small, cst.Assign):
            out.extend((t.target.value, small.value) for t in small.targets if isinstance(t.target, cst.Name))
        elif isinstance(small, cst.AnnAssign) and small.value is not None and isinstance(small.target, cst.Name):
            out.append((small.target.value, small.value))
    return out


def _binds_own_arguments(fn: cst.FunctionDef, star: Optional[str], kw: Optional[str]) -> bool:
    """`x.bind(*args, **kwargs)` (or `bind_partial`) of the function's own star parameters:
    a helper that lays out one call's arguments through the signature it inspects."""
    return any(type(call.func) is cst.Attribute and call.func.attr.value in ("bind", "bind_partial")
               and forwards(call, star, kw) for call in calls_in(fn.body))


def _fills_cache(fn: cst.FunctionDef) -> bool:
    """Whether the function reads a container with `c.get(key)` and fills the same container
    (`c[key] = value`): a cache in the process looked up on every call. A `c.set(key, value)`
    is an external cache's API (Flask-Caching, Redis), whose round trip dwarfs a signature: a
    blind label found such a wrapper FALSE (session 24)."""
    read: Set[str] = set()
    filled: Set[str] = set()
    for node, _ in own_nodes(fn.body, STATEMENTS_ONLY):
        node_type = type(node)
        if node_type is cst.Call and type(node.func) is cst.Attribute and node.args:
            container = dotted_text(node.func.value)
            if container is not None and node.func.attr.value == "get":
                read.add(container)
        elif node_type is cst.Assign:
            for target in node.targets:
                if type(target.target) is cst.Subscript:
                    container = dotted_text(target.target.value)
                    if container is not None:
                        filled.add(container)
    return bool(read & filled)


def _collection(value: cst.BaseExpression) -> bool:
    """An empty or literal list, dict or set, or `list()`/`dict()`/`set()`/`OrderedDict()`:
    a module-level collection that functions fill (a registry)."""
    if type(value) in (cst.List, cst.Dict, cst.Set):
        return True
    return type(value) is cst.Call and not value.args and \
        dotted_text(value.func) in ("list", "dict", "set", "OrderedDict", "collections.OrderedDict")


def _loop_heads(loop: cst.CSTNode) -> List[Tuple[cst.BaseExpression, cst.BaseExpression]]:
    """(target, iterable) of a `for` statement, or of each `for` of a comprehension."""
    if type(loop) is cst.For:
        return [(loop.target, loop.iter)]
    out: List[Tuple[cst.BaseExpression, cst.BaseExpression]] = []
    comp = getattr(loop, "for_in", None)
    while comp is not None:
        out.append((comp.target, comp.iter))
        comp = comp.inner_for_in
    return out
