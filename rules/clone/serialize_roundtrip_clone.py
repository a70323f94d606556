"""PFL103 serialize-roundtrip-clone."""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.ruleutil import first_arg

# Serialisers whose loads(dumps(x)) is a copy: module -> (dump function, load function).
_PAIRS = {
    "json": ("dumps", "loads"),
    "simplejson": ("dumps", "loads"),
    "orjson": ("dumps", "loads"),
    "ujson": ("dumps", "loads"),
    "rapidjson": ("dumps", "loads"),
    "pickle": ("dumps", "loads"),
    "_pickle": ("dumps", "loads"),
    "cPickle": ("dumps", "loads"),
    "cloudpickle": ("dumps", "loads"),
    "dill": ("dumps", "loads"),
    "marshal": ("dumps", "loads"),
    "msgpack": ("packb", "unpackb"),
}
_DUMPS = {f"{mod}.{pair[0]}": mod for mod, pair in _PAIRS.items()}
_LOADS = {f"{mod}.{pair[1]}": mod for mod, pair in _PAIRS.items()}
_PICKLES = {"pickle", "_pickle", "cPickle", "cloudpickle", "dill"}
# dumps(x, default=str) or cls=Encoder converts values to JSON types: a conversion, not a copy.
_CONVERTING_KEYWORDS = {"default", "cls", "sort_keys"}


class SerializeRoundtripClone(Rule):
    """
    An object copied by serialising it and parsing the result back.

    ## What it does
    Flags `json.loads(json.dumps(x))`, `pickle.loads(pickle.dumps(x))` and the same
    round trip through `marshal`, `orjson`, `ujson`, `simplejson`, `cloudpickle`, `dill`
    or `msgpack` (`unpackb(packb(x))`), written in one expression or through a local
    variable that holds the serialised text. It is reported in every function; severity
    follows how often the function runs (a note when it runs once).

    ## Why is this slow
    The round trip walks the structure twice and builds a complete text or byte string
    in between: it costs several times `copy.deepcopy`, which is itself far costlier than
    a structure that does not need copying. JSON also quietly changes the value (tuples
    become lists, int keys become strings, sets and datetimes fail).

    ## Example
    ```python
    def snapshot(self):
        return json.loads(json.dumps(self.state))
    ```

    ## Use instead
    ```python
    def snapshot(self):
        return copy.deepcopy(self.state)    # or an immutable state that needs no copy
    ```

    ## Notes
    Tests are not reported (a round trip there checks that a value serialises), nor is
    code inside an `assert` or a comparison. `json.dumps(x, default=..)`/`cls=...`
    followed by `json.loads` converts values to JSON types rather than copying, and is
    not reported either. Module-level code runs once and is not reported, nor is a value
    dumped in one branch of an `if` and parsed in another (a dict turned into text, or text
    into a dict: never both; mlflow's trace previews, labelled FALSE in run 10).
    """

    CODE = "PFL103"
    COST = "serialize-roundtrip-element"  # perflint/costs.py; measured by bench/costs.py
    NAME = "serialize-roundtrip-clone"
    FAMILY = "clone"
    FIX = "use copy.deepcopy (or a copy()/dataclasses.replace of what changes), or keep the data immutable"
    TRIGGERS = ("dumps", "packb")
    VALID = [
        # a check that the value pickles, its result thrown away: not a copy
        "import pickle\ndef ok(rows):\n    for exc in rows:\n        try:\n            pickle.loads(pickle.dumps(exc))\n"
        "        except Exception:\n            pass\n",
        # module level: runs once
        "import json\nDEFAULTS = json.loads(json.dumps({'a': 1}))\n",
        # a test checking that a value survives pickling
        "import pickle\ndef test_roundtrip():\n    assert pickle.loads(pickle.dumps(3)) == 3\n",
        # different formats: not a copy
        "import json, pickle\ndef f(x):\n    return pickle.loads(json.dumps(x))\n",
        # conversion to JSON types, not a copy
        "import json\ndef to_jsonable(obj):\n    return json.loads(json.dumps(obj, default=str))\n",
        # serialised text sent somewhere, parsed from elsewhere
        "import json\ndef send(sock, msg):\n    sock.send(json.dumps(msg).encode())\n    return json.loads(sock.recv(1024))\n",
        # dumped in one branch, parsed in the other: text becomes an object or the reverse
        "import json\ndef preview(x):\n    for m in x:\n        if isinstance(m, dict):\n            m = json.dumps(m)\n"
        "        elif isinstance(m, str):\n            obj = json.loads(m)\n",
    ]
    INVALID = [
        Invalid("import json\nclass Store:\n    def snapshot(self):\n        return json.loads(json.dumps(self.state))\n",
                line=4),
        Invalid("import pickle\ndef clone_all(items):\n    return [pickle.loads(pickle.dumps(i)) for i in items]\n",
                line=3),
        Invalid("import marshal\ndef fork(state):\n    blob = marshal.dumps(state)\n    return marshal.loads(blob)\n",
                line=4),
        Invalid("import orjson\ndef copy_rows(rows):\n    out = []\n    for row in rows:\n"
                "        out.append(orjson.loads(orjson.dumps(row)))\n    return out\n", line=5),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        # Per function: local name -> (serialiser module, line) of `name = mod.dumps(x)`.
        self._dumped: list = []
        parts = ctx.path.replace("\\", "/").split("/")
        self._in_tests = ctx.is_test or any(p in ("test", "tests", "testing") for p in parts[:-1]) or \
            parts[-1].startswith("test_") or parts[-1].endswith("_test.py") or parts[-1] == "conftest.py"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._dumped.append({})

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._dumped.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._dumped or len(node.targets) != 1:
            return
        target = node.targets[0].target
        if not isinstance(target, cst.Name):
            return
        names: Dict[str, Tuple[str, int]] = self._dumped[-1]
        mod = self._dump_module(node.value)
        if mod is not None:
            names[target.value] = (mod, self.ctx.line, self._branches())
        else:
            names.pop(target.value, None)  # rebound to something else

    def visit_Call(self, node: cst.Call) -> None:
        loads_mod = _LOADS.get(self.ctx.resolve(node.func) or "")
        if loads_mod is None:
            return
        fn = self.ctx.function
        if fn is None or self._in_tests or fn.name.startswith("test"):
            return  # module level runs once; tests check that values survive a round trip
        if self._in_check():
            return  # `assert loads(dumps(x)) == x`: a check that x serialises
        arg = first_arg(node)
        if arg is None:
            return
        dump_mod = self._dump_module(arg)
        via = ""
        if dump_mod is None and isinstance(arg, cst.Name) and self._dumped:
            found = self._dumped[-1].get(arg.value)
            if found is not None:
                here = self._branches()
                if any(here.get(branch, suite) != suite for branch, suite in found[2].items()):
                    return  # dumped in one branch of an `if`, loaded in another: never both
                dump_mod, line = found[0], found[1]
                via = f" (through '{arg.value}', line {line})"
        if dump_mod is None or not _same_format(dump_mod, loads_mod):
            return
        dumps_name, loads_name = _PAIRS[loads_mod]
        self.report(
            node,
            f"{loads_mod}.{loads_name}({dump_mod}.{dumps_name}(...)){via} copies the object by serialising "
            "it and parsing it back",
        )

    def _branches(self) -> Dict[int, int]:
        """The `if` statements around the node being visited -> the part of each it is in."""
        stack = self.ctx.stack
        return {id(node): id(stack[i + 1]) for i, node in enumerate(stack[:-1]) if type(node) is cst.If}

    def _dump_module(self, expr: cst.BaseExpression) -> Optional[str]:
        """The serialiser module of `mod.dumps(x)` (also `.encode()`d), if a copying dump."""
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "encode":
            if isinstance(expr.func.value, cst.Call):
                expr = expr.func.value
        if not isinstance(expr, cst.Call):
            return None
        mod = _DUMPS.get(self.ctx.resolve(expr.func) or "")
        if mod is None:
            return None
        if mod not in _PICKLES and mod != "marshal":
            if any(arg.keyword is not None and arg.keyword.value in _CONVERTING_KEYWORDS for arg in expr.args):
                return None  # converts values to JSON types: not a copy
            if any(arg.keyword is None and arg.star == "" for arg in expr.args[1:]):
                return None  # orjson.dumps(x, default): a converter again
        return mod

    def _in_check(self) -> bool:
        """`assert loads(dumps(x)) == x`, or a round trip whose result is dropped: a check that
        x serialises (`try: pickle.loads(pickle.dumps(exc))` / `except: ...`), not a copy."""
        stack = self.ctx.stack
        for i in range(len(stack) - 1, -1, -1):
            node = stack[i]
            if isinstance(node, (cst.Assert, cst.Comparison)):
                return True
            if isinstance(node, cst.Expr) and node.value is stack[-1]:
                return True  # the result is thrown away: only whether it raises matters
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.SimpleStatementLine)):
                return False
        return False


def _same_format(dump_mod: str, loads_mod: str) -> bool:
    if dump_mod == loads_mod:
        return True
    return dump_mod in _PICKLES and loads_mod in _PICKLES
