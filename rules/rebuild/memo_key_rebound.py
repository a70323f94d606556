"""PFL312 memo-key-rebound."""

from __future__ import annotations

from typing import Dict, Optional

import libcst as cst

from perflint.nodes import own_nodes
from perflint.repetition import rebound_key
from perflint.rule import Invalid, Rule
from perflint.ruleutil import STAT_PROBES, runs_per_call


class MemoKeyRebound(Rule):
    """
    A cache that is filled under a different key than the one it is asked for: the lookups it
    exists to save run again on every call.

    ## What it does
    Flags the file-system probes (`os.path.exists`, `isfile`, `isdir`, `lexists`, `os.stat`,
    `os.access`) inside an `if key not in cache:` block that rebinds `key`
    and then stores `cache[key] = ...`. The entry goes in under the new value of `key`, so
    the next call with the value the test saw misses again and probes again. Each probe is
    reported where it runs, so the loops around it (a search of `sys.path`, of a list of
    folders) count; whether that is a warning depends, as always, on how often the function
    runs per unit of work.

    ## Why is this slow
    The block is written as a cache miss and reads like one, but for every argument the
    block changes it is the work of every call: a stat is a system call (about 1.2 µs), and a
    search that tries each folder on a path list makes one per folder. coverage.py's
    `canonical_filename` rebound a relative file name to the path it found on `sys.path`
    before storing, so each relative name stat'ed the whole of `sys.path` again on every
    call; keying the cache by the name it was asked for made it 25 times faster.

    ## Example
    ```python
    import os
    import sys

    CACHE = {}

    def canonical(filename):
        if filename not in CACHE:
            for folder in sys.path:
                candidate = os.path.join(folder, filename)
                if os.path.exists(candidate):
                    filename = candidate
                    break
            CACHE[filename] = os.path.abspath(filename)
        return CACHE[filename]
    ```

    ## Use instead
    ```python
    def canonical(filename):
        if filename not in CACHE:
            found = filename
            for folder in sys.path:
                candidate = os.path.join(folder, filename)
                if os.path.exists(candidate):
                    found = candidate
                    break
            CACHE[filename] = os.path.abspath(found)
        return CACHE[filename]
    ```

    ## Notes
    Only the probes are priced (the `stat-path` cost each); other work in the block is
    repeated too but has no measured cost here. A block that stores under the key it tested
    (also after rebinding other names), memoised functions (`lru_cache`, `functools.cache`)
    and test code are not reported. Because the block is not a cache miss, perflint also
    stops treating it as one for heat (it passes the function's frequency on).
    """

    CODE = "PFL312"
    COST = "stat-path"  # perflint/calibrate.py SPECS: a stat system call
    NAME = "memo-key-rebound"
    FAMILY = "rebuild"
    FIX = "store the entry under the key the cache is asked for (keep the found value in another name)"
    TRIGGERS = ("not in",)
    VALID = [
        # The key the test saw is the key stored: a real cache miss.
        "import os, sys\nCACHE = {}\ndef canonical(name):\n    if name not in CACHE:\n"
        "        found = name\n        for d in sys.path:\n            p = os.path.join(d, name)\n"
        "            if os.path.exists(p):\n                found = p\n                break\n"
        "        CACHE[name] = os.path.abspath(found)\n    return CACHE[name]\n",
        # Rebound, but after the store: the entry is under the tested key.
        "import os\nCACHE = {}\ndef canonical(name):\n    if name not in CACHE:\n"
        "        CACHE[name] = os.path.exists(name)\n        name = name.lower()\n    return name\n",
        # Rebound with no probe in the block: nothing priced.
        "CACHE = {}\ndef norm(name):\n    if name not in CACHE:\n        name = name.lower()\n"
        "        CACHE[name] = name.strip()\n    return CACHE[name]\n",
    ]
    INVALID = [
        Invalid(
            "import os, sys\n"
            "CACHE = {}\n"
            "def canonical(name):\n"
            "    if name not in CACHE:\n"
            "        for d in sys.path:\n"
            "            p = os.path.join(d, name)\n"
            "            if os.path.exists(p):\n"
            "                name = p\n"
            "                break\n"
            "        CACHE[name] = os.path.abspath(name)\n"
            "    return CACHE[name]\n",
            line=7,
        ),
    ]

    def begin_file(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().begin_file(ctx)
        self._probes: Dict[int, str] = {}  # id of a probe call -> why it repeats

    def visit_If(self, node: cst.If) -> None:
        found = rebound_key(node.test, node.body)
        if found is None:
            return
        key, cache = found[0], found[1]
        for inner, _ in own_nodes(node.body):
            if type(inner) is cst.Call:
                what = self._probe(inner)
                if what is not None:
                    self._probes[id(inner)] = (
                        f"{what} runs again on every call with the same {key}: {cache} is filled under "
                        f"{key} after this block rebinds it, so the `{key} not in {cache}` test misses "
                        f"for the value it was asked about")

    def visit_Call(self, node: cst.Call) -> None:
        why = self._probes.pop(id(node), None)
        if why is None:
            return
        if runs_per_call(self.ctx) is not None:
            self.report(node, why, confidence="high")

    def _probe(self, node: cst.Call) -> Optional[str]:
        return STAT_PROBES.get(self.ctx.resolve(node.func) or "")
