"""PFL302 whole-file-rewrite-per-write."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from perflint.context import dotted_text
from perflint.rule import Invalid, Rule
from perflint.ruleutil import first_arg, own_nodes

_DUMPS_TO_FILE = {"json.dump", "pickle.dump", "marshal.dump", "yaml.dump", "yaml.safe_dump", "toml.dump",
                  "tomli_w.dump", "cPickle.dump", "ujson.dump", "simplejson.dump", "plistlib.dump"}
_DUMPS_TO_TEXT = {"json.dumps", "pickle.dumps", "marshal.dumps", "yaml.dump", "yaml.safe_dump", "orjson.dumps",
                  "ujson.dumps", "simplejson.dumps", "toml.dumps", "tomli_w.dumps", "msgpack.packb", "plistlib.dumps"}
_LOADS = {"json.load", "pickle.load", "marshal.load", "yaml.safe_load", "yaml.load", "yaml.full_load", "toml.load",
          "tomllib.load", "ujson.load", "simplejson.load", "plistlib.load", "json.loads", "pickle.loads",
          "marshal.loads", "orjson.loads", "ujson.loads", "simplejson.loads", "toml.loads", "tomllib.loads",
          "msgpack.unpackb", "plistlib.loads"}
_OPENERS = {"open", "io.open", "codecs.open", "pathlib.Path", "Path"}
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
    f)` into a file per key) is fine.
    """

    CODE = "PFL302"
    COST = "whole-file-dump-element"  # perflint/costs.py; measured by bench/costs.py
    NAME = "whole-file-rewrite-per-write"
    FAMILY = "rebuild"
    FIX = "keep the state in memory and write it once per batch (flush/close), or use an append-only log or a real store"
    TRIGGERS = ("json", "pickle", "marshal", "yaml", "toml", "msgpack", "plistlib")
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
        if not write and not read:
            return
        frames = self.ctx.frames
        in_class = bool(self._classes) and len(frames) >= 2 and frames[-2].kind == "class"
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
            if node_type is not cst.Call:
                continue
            qualified = self.ctx.resolve(node.func)
            func = node.func
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
