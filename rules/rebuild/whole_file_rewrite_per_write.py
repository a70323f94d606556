"""PFL302 whole-file-rewrite-per-write."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.rule import Invalid, Rule
from perflint.ruleutil import MEMO_DECORATORS, first_arg, own_nodes

_DUMPS_TO_FILE = {"json.dump", "pickle.dump", "marshal.dump", "yaml.dump", "yaml.safe_dump", "toml.dump",
                  "tomli_w.dump", "cPickle.dump", "ujson.dump", "simplejson.dump", "plistlib.dump"}
_DUMPS_TO_TEXT = {"json.dumps", "pickle.dumps", "marshal.dumps", "yaml.dump", "yaml.safe_dump", "orjson.dumps",
                  "ujson.dumps", "simplejson.dumps", "toml.dumps", "tomli_w.dumps", "msgpack.packb", "plistlib.dumps"}
_LOADS = {"json.load", "pickle.load", "marshal.load", "yaml.safe_load", "yaml.load", "yaml.full_load", "toml.load",
          "tomllib.load", "ujson.load", "simplejson.load", "plistlib.load", "json.loads", "pickle.loads",
          "marshal.loads", "orjson.loads", "ujson.loads", "simplejson.loads", "toml.loads", "tomllib.loads",
          "msgpack.unpackb", "plistlib.loads"}
_OPENERS = {"open", "io.open", "codecs.open", "pathlib.Path", "Path"}
_FILE_OPENERS = {"open", "io.open", "codecs.open"}
_PATHS = {"pathlib.Path", "Path"}
_CONFIG_PARSERS = {"configparser.ConfigParser", "configparser.RawConfigParser", "configparser.SafeConfigParser",
                   "ConfigParser.ConfigParser", "ConfigParser.RawConfigParser", "ConfigParser.SafeConfigParser"}
# a look at the file's mtime or size: the caller reloads only what changed
_STAT_CALLS = {"os.stat", "os.lstat", "os.fstat", "os.path.getmtime", "os.path.getsize", "os.path.getctime"}
_STAT_METHODS = {"stat", "lstat", "getmtime", "getsize", "getctime"}
_STAT_FIELDS = {"st_mtime", "st_mtime_ns", "st_size", "st_ctime", "st_ctime_ns", "st_ino"}
_CONSTRUCTORS = {"__init__", "__new__", "__post_init__", "__attrs_post_init__", "__setstate__"}
_WRITE_NAME = re.compile(
    r"^_*(set|put|insert|update|upsert|add|append|extend|delete|del|remove|rem|pop|discard|store|incr|decr|"
    r"increment|decrement|push|setitem|delitem|touch|expire|rename|save_(item|entry|record|key|value|one)|"
    r"write_(item|entry|record|key|value|one)|[ld](add|rem|pop|create|extend|append|merge))(_|$)"
    r"|^__(setitem|delitem)__$",
    re.I,
)
_READ_NAME = re.compile(
    r"^_*(get|lookup|find|fetch|has|exists|contains|search|count|read_(item|entry|record|key|value|one)|"
    r"load_(item|entry|record|key|value|one))(_|$)|^__(getitem|contains|len)__$",
    re.I,
)


@dataclass
class _Method:
    dump: Optional[cst.Call] = None  # a whole-state serialisation to a file
    dump_what: str = ""
    load: Optional[cst.Call] = None  # a whole-file re-read and re-parse
    load_what: str = ""
    self_calls: Set[str] = field(default_factory=set)
    self_call_sites: List[Tuple[str, cst.Call]] = field(default_factory=list)  # in source order
    stat: bool = False  # looks at a file's mtime or size (a freshness check)


class WholeFileRewritePerWrite(Rule):
    """
    The whole store re-serialised to its file on every single-item write (or re-read per read).

    ## What it does
    Flags `json.dump(self.data, f)`, `pickle.dump(self.db, f)` or
    `f.write(json.dumps(self.data))` (the whole state, not the item) in a method named
    like a single-item write (`set`, `put`, `insert`, `update`, `add`, `append`,
    `delete`, `__setitem__`, ...), directly or through a helper of the same class
    (`self._autodump()` -> `self.dump()`); and the whole file re-read and re-parsed
    (`json.load(open(self.path))`) in a method named like a single-item read (`get`,
    `__getitem__`, `lookup`, `__contains__`, ...). This is how JSON-file databases
    (pickledb, tinydb style) work. Severity follows how often the method runs.
    A method of any other name that re-parses a whole file from a path that does not
    change between calls (an attribute of self, a constant, `Path(...)` of one or one
    joined with literals) into an attribute of self (`self.config = json.load(f)` under
    `with open(self.config_path) as f`, yaml, toml, pickle, `self.parser.read(self.path)`
    on a `ConfigParser` it makes), with no look at the file's mtime or size in it or in a
    helper it calls, is the read form too: a reload of what the object already holds.
    It is reported only where the call graph repeats it (a config manager's
    `load_config()` called once per item of a loop); a loader run once per unit of work
    or at start-up, a private one only the constructor calls, a lazy one behind a test of
    the attribute it fills (`if self._config is None:`), and one given the path to read (or
    that sets it first) are not.

    ## Why is this slow
    Writing one key costs serialising and writing every key: O(total size) per write,
    so loading n items costs O(n^2) bytes written. Re-reading per lookup makes every
    `get` parse the whole file. Real stores append to a log or update a page in place,
    and keep the parsed state in memory.

    ## Example
    ```python
    class JsonDB:
        def set(self, key, value):
            self.data[key] = value
            with open(self.path, "w") as f:
                json.dump(self.data, f)
    ```

    ## Use instead
    ```python
    class JsonDB:
        def set(self, key, value):
            self.data[key] = value
            self._dirty = True            # write once, in flush()/close()/a timer

        def flush(self):
            if self._dirty:
                with open(self.path, "w") as f:
                    json.dump(self.data, f)
                self._dirty = False
    # or: an append-only log, sqlite3, dbm, shelve
    ```

    ## Notes
    Dumps in `save`/`dump`/`flush`/`close` themselves are not reported: only their
    calls from single-item operations. Serialising the item alone (`pickle.dump(value,
    f)` into a file per key) is fine. A reload that compares the file's `os.stat()`
    signature (mtime and size) with the one it last loaded first is the fix for the
    reload form, and is quiet.
    """

    CODE = "PFL302"
    COST = "whole-file-dump-element"  # perflint/costs.py; measured by bench/costs.py
    NAME = "whole-file-rewrite-per-write"
    FAMILY = "rebuild"
    FIX = "keep the state in memory and write it once per batch (flush/close), or use an append-only log or a real store"
    TRIGGERS = ("json", "pickle", "marshal", "yaml", "toml", "msgpack", "plistlib", "onfigParser")
    VALID = [
        # Saving everything is what save() is for.
        "import json\nclass DB:\n    def save(self):\n        with open(self.path, 'w') as f:\n            json.dump(self.data, f)\n",
        # Only the item is serialised.
        "import pickle\nclass Cache:\n    def set(self, key, value):\n        with open(self.file_for(key), 'wb') as f:\n            pickle.dump(value, f)\n",
        # A dirty flag: the write is deferred.
        "import json\nclass DB:\n    def set(self, k, v):\n        self.data[k] = v\n        self.dirty = True\n"
        "    def flush(self):\n        json.dump(self.data, open(self.path, 'w'))\n",
        # A read that uses the state already in memory.
        "class DB:\n    def get(self, k):\n        return self.data.get(k)\n",
        # A reload that looks at the file's mtime first.
        "import json, os\nclass Config:\n    def load(self):\n        mtime = os.stat(self.path).st_mtime\n"
        "        if mtime == self.mtime:\n            return self.data\n"
        "        with open(self.path) as f:\n            self.data = json.load(f)\n        self.mtime = mtime\n",
    ]
    INVALID = [
        Invalid(
            "import json\n"
            "class JsonDB:\n"
            "    def set(self, key, value):\n"
            "        self.data[key] = value\n"
            "        with open(self.path, 'w') as f:\n"
            "            json.dump(self.data, f)\n",
            line=6,
        ),
        Invalid(
            "import json\n"
            "class PickleDB:\n"
            "    def set(self, key, value):\n"
            "        self.db[key] = value\n"
            "        self._autodumpdb()\n"
            "        return True\n"
            "    def _autodumpdb(self):\n"
            "        if self.auto_dump:\n"
            "            self.dump()\n"
            "    def dump(self):\n"
            "        json.dump(self.db, open(self.loco, 'w'))\n",
            line=5,
        ),
        Invalid(
            "import json\n"
            "class Store:\n"
            "    def get(self, key):\n"
            "        with open(self.path) as f:\n"
            "            return json.load(f)[key]\n",
            line=5,
        ),
        Invalid(
            "import json\n"
            "PATH = 'db.json'\n"
            "def put(key, value):\n"
            "    with open(PATH) as f:\n"
            "        data = json.load(f)\n"
            "    data[key] = value\n"
            "    with open(PATH, 'w') as f:\n"
            "        f.write(json.dumps(data))\n",
            line=8,
        ),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._classes: List[list] = []  # [class node, (methods, dumping, loading) or None]
        self._scans: Dict[Tuple[int, str], _Method] = {}  # a method is scanned once per file

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append([node, None])  # its methods are scanned on first need

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def _class_methods(self) -> Tuple[Dict[str, _Method], Set[str], Set[str]]:
        """Each method's direct dump/load and self-calls, and who reaches a dump/load."""
        entry = self._classes[-1]
        if entry[1] is None:
            methods: Dict[str, _Method] = {}
            for stmt in entry[0].body.body:
                if isinstance(stmt, cst.FunctionDef):
                    methods[stmt.name.value] = self._scan(stmt, stmt.params.params[0].name.value if stmt.params.params else "self")
            entry[1] = (methods, _closure(methods, lambda m: m.dump is not None),
                        _closure(methods, lambda m: m.load is not None))
        return entry[1]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        write, read = _WRITE_NAME.match(name), _READ_NAME.match(name)
        frames = self.ctx.frames
        in_class = bool(self._classes) and len(frames) >= 2 and frames[-2].kind == "class"
        if not write and not read:
            if in_class and node.params.params:
                self._reload(node, node.params.params[0].name.value)
            return
        self_name = node.params.params[0].name.value if in_class and node.params.params else "self"
        info = self._scan(node, self_name)
        if write and info.dump is not None:
            self.report(info.dump, f"{name}() writes one item but re-serialises the whole {info.dump_what} to the file: O(size of the store) per write",
                        per_item=f"{name}() is a single-item write")
            return
        if read and info.load is not None:
            self.report(info.load, f"{name}() reads one item but re-reads and re-parses the whole file {info.load_what}: O(size of the store) per read", per_item=f"{name}() is a single-item read",
                        confidence="high" if name in ("get", "__getitem__", "lookup", "__contains__", "has", "find") else "medium")
            return
        if not in_class:
            return
        methods, dumping, loading = self._class_methods()
        wanted = dumping if write else loading
        for callee_name, call in info.self_call_sites:
            if callee_name in wanted and callee_name != name:
                kind = "re-serialises the whole state to the file" if write else "re-reads and re-parses the whole file"
                via = _chain(methods, callee_name, lambda m: (m.dump if write else m.load) is not None)
                self.report(call, f"{name}() handles one item but {kind} through {via}: O(size of the store) per {'write' if write else 'read'}",
                            per_item=f"{name}() is a single-item {'write' if write else 'read'}")
                return

    # -- the reload form -----------------------------------------------------------------
    def _reload(self, fn: cst.FunctionDef, self_name: str) -> None:
        """A method of any other name that re-parses a whole file from a fixed path (an
        attribute of self, a constant) into an attribute of self, with no freshness check
        (a stat, an mtime or a size) first: each call reloads what the object already holds.
        Reported only where the call graph repeats it (a loader run once at start-up is not)."""
        name = fn.name.value
        if name.startswith("__") and name.endswith("__"):
            return  # __init__, __setstate__...: building the object, not reloading it
        if any(_decorator_name(d.decorator).rpartition(".")[2] in MEMO_DECORATORS for d in fn.decorators):
            return
        found = _ReloadScan(self.ctx, self_name).run(fn)
        if found is None:
            return
        call, attr, path = found
        methods, _, _ = self._class_methods()
        # a freshness check in the method or a helper it calls (`self._files_signature()`)
        if _closure_has(methods, name, lambda m: m.stat):
            return
        # a private loader that only the constructor calls runs once per object
        callers = {caller for caller, m in methods.items() if name in m.self_calls and caller != name}
        if name.startswith("_") and callers and callers <= _CONSTRUCTORS:
            return
        self.report(call, f"{name}() re-reads and re-parses the whole file {path} into {attr} on every call, "
                          "with no check that the file changed: O(size of the file) per call",
                    fix="keep the parsed state and reload only when the file's mtime and size change (os.stat), "
                        "or load once and let writers update it",
                    confidence="medium", requires=("repeated",))

    # -- scanning one function ---------------------------------------------------------
    def _scan(self, fn: cst.FunctionDef, self_name: str) -> _Method:
        key = (id(fn), self_name)
        info = self._scans.get(key)
        if info is None:
            info = self._scans[key] = self._scan_body(fn, self_name)
        return info

    def _scan_body(self, fn: cst.FunctionDef, self_name: str) -> _Method:
        info = _Method()
        loaded: Set[str] = set()  # locals holding the whole parsed file
        globals_: Set[str] = set()
        opens_same_file = False
        for node in _walk(fn.body):
            node_type = type(node)
            if node_type is cst.Global:
                globals_ |= {n.name.value for n in node.names}
            elif node_type is cst.Assign and type(node.value) is cst.Call and self.ctx.resolve(node.value.func) in _LOADS:
                for t in node.targets:
                    if type(t.target) is cst.Name:
                        loaded.add(t.target.value)
            elif node_type is cst.Attribute and node.attr.value in _STAT_FIELDS:
                info.stat = True
            if node_type is not cst.Call:
                continue
            qualified = self.ctx.resolve(node.func)
            func = node.func
            if qualified in _STAT_CALLS or (type(func) is cst.Attribute and func.attr.value in _STAT_METHODS):
                info.stat = True
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == self_name:
                info.self_calls.add(func.attr.value)
                info.self_call_sites.append((func.attr.value, node))
            if qualified in _OPENERS or (isinstance(func, cst.Attribute) and func.attr.value in ("read_text", "read_bytes")):
                path = first_arg(node) if qualified in _OPENERS else func.value  # type: ignore[union-attr]
                if isinstance(path, cst.Call) and self.ctx.resolve(path.func) in _OPENERS:
                    path = first_arg(path)
                if path is not None and _same_path(path, self_name):
                    opens_same_file = True
            state = None
            if qualified in _DUMPS_TO_FILE:
                state = first_arg(node)
            elif isinstance(func, cst.Attribute) and func.attr.value in ("write", "write_text", "write_bytes") and node.args:
                inner = node.args[0].value
                if isinstance(inner, cst.Call) and self.ctx.resolve(inner.func) in _DUMPS_TO_TEXT:
                    state = first_arg(inner)
            if state is not None and info.dump is None:
                what = _whole_state(state, self_name, loaded, globals_)
                if what:
                    info.dump, info.dump_what = node, what
            if qualified in _LOADS and info.load is None:
                info.load = node
        if info.load is not None and not opens_same_file:
            info.load = None  # parsing something else (a message, a column), not the store's file
        elif info.load is not None:
            info.load_what = "again"
        return info


def _walk(node: cst.CSTNode):
    """Every node under `node` in source order, not entering nested functions or classes."""
    return (n for n, _ in own_nodes(node))


def _same_path(path: cst.BaseExpression, self_name: str) -> bool:
    text = dotted_text(path)
    if text is None:
        return False
    parts = text.split(".")
    return (parts[0] == self_name and len(parts) > 1) or parts[-1].isupper()


def _whole_state(expr: cst.BaseExpression, self_name: str, loaded: Set[str], globals_: Set[str]) -> Optional[str]:
    """`self.data` (not `self.data[key]`), a name holding the parsed file, or a global."""
    text = dotted_text(expr)
    if text is None:
        return None
    parts = text.split(".")
    if parts[0] == self_name and len(parts) >= 2:
        return text
    if len(parts) == 1 and (parts[0] in loaded or parts[0] in globals_):
        return f"'{parts[0]}'"
    return None


def _closure(methods: Dict[str, _Method], direct) -> Set[str]:
    """Methods that do it themselves or through self-calls (any depth)."""
    found = {name for name, m in methods.items() if direct(m)}
    changed = True
    while changed:
        changed = False
        for name, m in methods.items():
            if name not in found and m.self_calls & found:
                found.add(name)
                changed = True
    return found


def _chain(methods: Dict[str, _Method], start: str, direct) -> str:
    """`_autodump() -> dump()`: the path of self-calls to the method that does it."""
    path = [start]
    seen = {start}
    current = start
    while not direct(methods[current]):
        nxt = next((c for c in sorted(methods[current].self_calls) if c in methods and c not in seen
                    and (direct(methods[c]) or methods[c].self_calls)), None)
        if nxt is None:
            break
        path.append(nxt)
        seen.add(nxt)
        current = nxt
    return " -> ".join(f"{p}()" for p in path)


def _decorator_name(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.Call):
        expr = expr.func
    return dotted_text(expr) or ""


def _closure_has(methods: Dict[str, _Method], start: str, direct) -> bool:
    """Whether `start` or a method it calls on self (any depth) does it."""
    todo, seen = [start], {start}
    while todo:
        m = methods.get(todo.pop())
        if m is None:
            continue
        if direct(m):
            return True
        for c in m.self_calls:
            if c not in seen:
                seen.add(c)
                todo.append(c)
    return False


class _ReloadScan:
    """Finds, in one method, a whole-file parse from a fixed path kept on self:
    `self.config = json.load(f)` under `with open(self.config_path) as f`,
    `self.data = yaml.safe_load(Path(self.path).read_text())`, `data = tomllib.load(...)` then
    `self.data = data`, `self.parser.read(self.path)` on a ConfigParser the method makes."""

    def __init__(self, ctx, self_name: str) -> None:
        self.ctx, self.self_name = ctx, self_name
        self.handles: Dict[str, str] = {}  # local name -> the fixed path of the file it holds open
        self.texts: Dict[str, str] = {}  # local name -> the fixed path whose whole text it holds
        self.parsers: Set[str] = set()  # names (or self attributes) bound to a new ConfigParser
        self.parsed: Dict[str, Tuple[cst.Call, str]] = {}  # local name -> (its parse, the path)
        self.tested: Set[str] = set()  # attributes an `if` or `while` before the parse tests
        self.rebound: Set[str] = set()  # names and attributes the method assigns before the parse

    def run(self, fn: cst.FunctionDef) -> Optional[Tuple[cst.Call, str, str]]:
        found = self._find(fn)
        if found is not None and found[1] in self.tested:
            return None  # `if self._cache is None: self._cache = json.load(...)`: loaded once
        return found

    def _find(self, fn: cst.FunctionDef) -> Optional[Tuple[cst.Call, str, str]]:
        for node, _parent in own_nodes(fn.body):
            t = type(node)
            if t is cst.If or t is cst.While or t is cst.IfExp:
                self.tested.update(filter(None, (dotted_text(n) for n, _ in own_nodes(node.test)
                                                 if type(n) is cst.Attribute)))
            elif t is cst.WithItem and node.asname is not None and type(node.asname.name) is cst.Name:
                path = self._opened(node.item)
                if path:
                    self.handles[node.asname.name.value] = path
            elif t is cst.Assign or t is cst.AnnAssign:
                value = node.value
                if value is None:
                    continue
                targets = [tg.target for tg in node.targets] if t is cst.Assign else [node.target]
                found = self._assigned(targets, value)
                if found is not None:
                    return found
                # `self.path = os.path.join(root, name)` first: the path changes with the call
                self.rebound.update(filter(None, (dotted_text(tg) for tg in targets)))
            elif t is cst.Call and type(node.func) is cst.Attribute and node.func.attr.value in ("read", "read_file") \
                    and dotted_text(node.func.value) in self.parsers and node.args:
                # parser.read(self.path): ConfigParser reads the whole file into itself
                arg = node.args[0].value
                path = self._fixed(arg) if node.func.attr.value == "read" else self._opened(arg)
                receiver = dotted_text(node.func.value) or ""
                if path and receiver.startswith(self.self_name + "."):
                    return node, receiver, path
                if path:
                    self.parsed[receiver] = (node, path)
        return None

    def _assigned(self, targets, value) -> Optional[Tuple[cst.Call, str, str]]:
        resolve = self.ctx.resolve
        names = [tg.value for tg in targets if type(tg) is cst.Name]
        attrs = [text for text in (dotted_text(tg) for tg in targets if type(tg) is cst.Attribute)
                 if text and text.startswith(self.self_name + ".")]
        if type(value) is cst.Call:
            qualified = resolve(value.func)
            if qualified in _LOADS and value.args:
                path = self._source(value.args[0].value)
                if path:
                    if attrs:
                        return value, attrs[0], path
                    for n in names:
                        self.parsed[n] = (value, path)
                return None
            if qualified in _CONFIG_PARSERS:
                self.parsers.update(names)
                self.parsers.update(attrs)
                return None
            if qualified in _FILE_OPENERS:
                path = self._opened(value)
                if path:
                    for n in names:
                        self.handles[n] = path
                return None
            text_of = self._text(value)
            if text_of:
                for n in names:
                    self.texts[n] = text_of
                return None
        source = dotted_text(value) if type(value) is cst.Name else None
        if source in self.parsed and attrs:
            call, path = self.parsed[source]
            return call, attrs[0], path
        return None

    def _fixed(self, expr: cst.BaseExpression) -> Optional[str]:
        """The text of a path that does not change between calls: an attribute of self, a
        constant, `Path(...)` of one, or one joined with literals."""
        if type(expr) is cst.Call:
            qualified = self.ctx.resolve(expr.func)
            if qualified in _PATHS or qualified == "os.path.join":
                parts = [a.value for a in expr.args]
                if parts and all(self._fixed(p) or type(p) is cst.SimpleString for p in parts) \
                        and any(type(p) is not cst.SimpleString for p in parts):
                    return self._fixed(next(p for p in parts if type(p) is not cst.SimpleString))
            return None
        if type(expr) is cst.BinaryOperation and type(expr.operator) is cst.Divide:
            left = self._fixed(expr.left)
            if left and (type(expr.right) is cst.SimpleString or self._fixed(expr.right)):
                return left
            return None
        text = dotted_text(expr)
        if text and _same_path(expr, self.self_name) and text not in self.rebound:
            return text
        return None

    def _opened(self, expr: cst.BaseExpression) -> Optional[str]:
        """`open(<fixed>)` or `<fixed path>.open()`: the fixed path."""
        if type(expr) is not cst.Call:
            return None
        if self.ctx.resolve(expr.func) in _FILE_OPENERS and expr.args:
            return self._fixed(expr.args[0].value)
        if type(expr.func) is cst.Attribute and expr.func.attr.value == "open" and not expr.args:
            return self._fixed(expr.func.value)
        return None

    def _text(self, expr: cst.BaseExpression) -> Optional[str]:
        """The whole text of a fixed file: `f.read()` of a handle, `open(<fixed>).read()`,
        `<fixed path>.read_text()`."""
        if type(expr) is not cst.Call or type(expr.func) is not cst.Attribute:
            return None
        attr, receiver = expr.func.attr.value, expr.func.value
        if attr == "read" and not expr.args:
            if type(receiver) is cst.Name and receiver.value in self.handles:
                return self.handles[receiver.value]
            return self._opened(receiver)
        if attr in ("read_text", "read_bytes"):
            return self._fixed(receiver)
        return None

    def _source(self, expr: cst.BaseExpression) -> Optional[str]:
        """The fixed path a parse's argument reads whole: a handle, an open call, a text."""
        if type(expr) is cst.Name:
            return self.handles.get(expr.value) or self.texts.get(expr.value)
        return self._opened(expr) or self._text(expr)
