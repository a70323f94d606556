"""PFL508 stack-inspected-per-call."""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import libcst as cst

from perflint.nodes import own_nodes
from perflint.rule import Invalid, Rule
from perflint.ruleutil import runs_per_call

CODE = "PFL508"
FIX = ("walk the frames themselves: sys._getframe(k) or inspect.currentframe().f_back (then f_code.co_name, "
       "co_filename, f_lineno); or traceback.extract_stack(), whose lines are read only when used")
# What builds a record of every frame on the stack: the call that takes the calling frame.
_WHOLE_STACK = {"inspect.stack": "inspect.stack()", "inspect.getouterframes": "inspect.getouterframes()"}
_BARE = "stack-frame-record-bare"


class StackInspectedPerCall(Rule):
    """
    The whole call stack turned into frame records, on every call, to read a frame or two.

    ## What it does
    Flags `inspect.stack()` and `inspect.getouterframes(frame)` in a function that runs
    again on every call (not memoised, not at module level) when
    what it builds is only indexed (`inspect.stack()[1]`, `[1][3]`), sliced
    (`inspect.stack()[1:]`) or walked by a loop, directly or through a local: code that
    wants the caller's name, file or locals.

    ## Why is this slow
    Both build a `FrameInfo` for every frame between the call and the bottom of the stack,
    and each one asks `inspect.getframeinfo()`: it finds the frame's source file (a stat, and
    a scan of `sys.modules` when the file is not yet known), reads the source lines around
    the frame through `linecache`, and on Python 3.11+ decodes the instruction positions.
    That is several microseconds per frame whether the caller reads it or not (measured per
    frame: `stack-frame-record`, `stack-frame-record-bare` with `context=0`); a framework's
    stack is tens of frames deep, so each call costs a fraction of a millisecond where
    `sys._getframe(1)` costs a fraction of a microsecond. Per log message, per signal or per
    saved object, it adds up.

    ## Example
    ```python
    import inspect

    def report(self, msg):
        caller = inspect.stack()[1].function
        self.logger.info("[%s] %s", caller, msg)
    ```

    ## Use instead
    ```python
    import sys

    def report(self, msg):
        caller = sys._getframe(1).f_code.co_name
        self.logger.info("[%s] %s", caller, msg)
    ```

    ## Notes
    How deep the stack is at run time is not in the code: the records are priced for 30
    frames (`perflint/costs.py` DEFAULT_FRAMES), which at the reference machine's cost is a
    note for a call made once per unit of work and a warning when a loop or a hot entry
    point repeats it. A stack passed on whole (printed, logged, returned, or yielded record by
    record from a generator) is left alone: its records may be what the code wants. In an except handler the site counts as cold (it runs
    when something failed), a note; `inspect.trace()`, which only works there, is not flagged.
    """

    CODE = CODE
    NAME = "stack-inspected-per-call"
    FAMILY = "fastpath"
    COST = "stack-frame-record"  # perflint/calibrate.py SPECS, per frame
    FIX = FIX
    TRIGGERS = ("stack(", "getouterframes(")
    VALID = [
        # sys._getframe walks to one frame.
        "import sys\n\ndef caller_name():\n    return sys._getframe(1).f_code.co_name\n",
        # Module level: once per import.
        "import inspect\nHERE = inspect.stack()[0].filename\n",
        # Memoised: once per argument.
        "import functools\nimport inspect\n\n@functools.lru_cache\ndef origin(name):\n"
        "    return inspect.stack()[1].filename\n",
        # The whole stack handed on: its records may be what is wanted.
        "import inspect\n\ndef dump():\n    return '\\n'.join(map(str, inspect.stack()))\n",
        # A generator yielding each record: its caller takes them as they are.
        "import inspect\n\ndef frames():\n    for info in inspect.stack():\n        if info.function != 'skip':\n"
        "            yield info\n",
    ]
    INVALID = [
        Invalid("import inspect\n\ndef report(self, msg):\n    caller = inspect.stack()[1].function\n"
                "    self.logger.info('[%s] %s', caller, msg)\n", line=4),
        Invalid("import inspect\n\ndef request_of():\n    for record in inspect.stack():\n"
                "        if record.function == 'get_response':\n            return record.frame.f_locals['request']\n",
                line=4),
        Invalid("import inspect\n\ndef caller_file():\n    stack = inspect.stack()\n    return stack[2].filename\n", line=4),
        Invalid("import inspect\n\ndef caller_module():\n    frame = inspect.currentframe()\n"
                "    return inspect.getouterframes(frame)[1].frame.f_globals['__name__']\n", line=5),
        Invalid("from inspect import stack\n\ndef who():\n    return stack(0)[1][3]\n", line=4),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        # Locals bound to a whole stack in the function being visited: name -> the call.
        self._bound: Dict[Tuple[str, str], cst.Call] = {}

    def visit_Call(self, node: cst.Call) -> None:
        what = _WHOLE_STACK.get(self.ctx.resolve(node.func) or "")
        if what is None or runs_per_call(self.ctx) is None:
            return
        parent = self.ctx.parent()
        use = _use(node, parent)
        if use is None and type(parent) is cst.Assign and len(parent.targets) == 1 \
                and type(parent.targets[0].target) is cst.Name:
            # `stack = inspect.stack()`: reported where the local is indexed or walked.
            self._bound[(self.ctx.function_qualname, parent.targets[0].target.value)] = node
            return
        if use is not None:
            self._report(node, what, use)

    def visit_Name(self, node: cst.Name) -> None:
        if not self._bound or self.ctx.function is None:
            return
        call = self._bound.get((self.ctx.function_qualname, node.value))
        if call is None:
            return
        use = _use(node, self.ctx.parent())
        if use is not None:
            del self._bound[(self.ctx.function_qualname, node.value)]
            self._report(call, _WHOLE_STACK.get(self.ctx.resolve(call.func) or "", "inspect.stack()"), use)

    def _report(self, call: cst.Call, what: str, use: str) -> None:
        fn = self.ctx.function
        bare = _bare(call)
        detail = " (without source lines, still a frame record each)" if bare else ""
        self.report(call, f"{what} builds a record of every frame on the stack{detail} on every call of "
                          f"{fn.name}(), only to {use}",
                    cost=_BARE if bare else None)


def _use(node: cst.CSTNode, parent: Optional[cst.CSTNode]) -> Optional[str]:
    """What the code does with the whole stack `node`: read one frame, a slice of it, or walk
    it; None when it is handed on whole."""
    kind = type(parent)
    if kind is cst.Subscript and parent.value is node:
        index = parent.slice[0].slice if len(parent.slice) == 1 else None
        return "read one frame of it" if type(index) is cst.Index else "take a slice of it"
    if (kind is cst.For or kind is cst.CompFor) and parent.iter is node:
        if kind is cst.For and _yields_target(parent):
            return None  # a generator handing each record on: its caller takes them whole
        return "walk it for a frame"
    return None


def _yields_target(loop: cst.For) -> bool:
    """The loop's body yields the record it walks (`for info in inspect.stack(): yield info`)."""
    if type(loop.target) is not cst.Name:
        return False
    name = loop.target.value
    return any(type(node) is cst.Yield and type(node.value) is cst.Name and node.value.value == name
               for node, _ in own_nodes(loop.body))


def _bare(call: cst.Call) -> bool:
    """`inspect.stack(0)` / `context=0`: no source lines read, the rest of each record built."""
    for arg in call.args:
        if (arg.keyword is None or arg.keyword.value == "context") and type(arg.value) is cst.Integer:
            return arg.value.value == "0"
    return False
