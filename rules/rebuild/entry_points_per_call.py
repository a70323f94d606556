"""PFL304 entry-points-per-call."""

from __future__ import annotations

from typing import List, Optional, Set, Tuple

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.ruleutil import calls_in, memoised

# Calls that find and read the metadata of every installed distribution again.
_METADATA_SCANS = {
    "importlib.metadata.entry_points": "entry_points()",
    "importlib_metadata.entry_points": "entry_points()",
    "importlib.metadata.packages_distributions": "packages_distributions()",
    "importlib_metadata.packages_distributions": "packages_distributions()",
}
# pkg_resources keeps each distribution's parsed entry map after the first read, so a call
# walks the working set and filters it in Python: the fetch-row cost per distribution.
_WORKING_SET_SCANS = {
    "pkg_resources.iter_entry_points": "pkg_resources.iter_entry_points()",
    "pkg_resources.working_set.iter_entry_points": "working_set.iter_entry_points()",
}

# Starting a program costs tens of milliseconds: a scan beside one is not what to fix.
_SPAWNS = {
    "subprocess.run", "subprocess.Popen", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "os.system", "os.popen", "os.execv", "os.execvp", "os.execve", "os.spawnv", "os.spawnvp", "os.posix_spawn",
}


class EntryPointsPerCall(Rule):
    """
    Installed entry points enumerated again on every call.

    ## What it does
    Flags `importlib.metadata.entry_points()` (and `importlib_metadata`'s),
    `packages_distributions()` and `pkg_resources.iter_entry_points()` called inside a
    function. Whether that costs anything depends on how often the function runs: the finding
    is a warning only when a loop or a hot entry point reaches it (building each named plugin
    from a list, loading a plugin per request); a function that runs once stays a note.

    ## Why is this slow
    `importlib.metadata.entry_points()` lists every directory on `sys.path`, then opens and
    parses the `entry_points.txt` of every installed distribution: milliseconds in an
    environment of a hundred packages (4 ms on the reference machine), and it caches nothing.
    The installed distributions do not change while the process runs.

    ## Example
    ```python
    from importlib.metadata import entry_points

    def build_extension(name):
        for ep in entry_points(group="markdown.extensions"):
            if ep.name == name:
                return ep.load()()

    def build_all(names):
        return [build_extension(n) for n in names]
    ```

    ## Use instead
    ```python
    from functools import lru_cache
    from importlib.metadata import entry_points

    @lru_cache(maxsize=None)
    def installed_extensions():
        return {ep.name: ep for ep in entry_points(group="markdown.extensions")}

    def build_extension(name):
        return installed_extensions()[name].load()()
    ```

    ## Notes
    Calls at module level (once per import), in memoised functions (`lru_cache`,
    `functools.cache`, or a hand-written cache guard) and in functions that also start a
    program (`subprocess.run`, `os.system`: tens of milliseconds, beside which the scan is
    small) are not reported.
    `pkg_resources.iter_entry_points()` is cheaper per call than `importlib.metadata`
    (pkg_resources keeps each distribution's parsed entry map after the first scan), so it is
    costed as a walk over the installed distributions (`fetch-row` per distribution), not as
    a metadata scan.
    """

    CODE = "PFL304"
    COST = "entry-points-scan"  # perflint/costs.py; measured by bench/costs.py
    NAME = "entry-points-per-call"
    FAMILY = "rebuild"
    FIX = "enumerate the entry points once (module level or an lru_cache'd function) and look names up in the result"
    TRIGGERS = ("entry_points", "packages_distributions")
    VALID = [
        # Once, at import.
        "from importlib.metadata import entry_points\nPLUGINS = entry_points(group='app.plugins')\n",
        # Memoised: the scan runs once per process.
        "import functools\nfrom importlib.metadata import entry_points\n"
        "@functools.lru_cache(maxsize=None)\ndef plugins():\n    return tuple(entry_points(group='app.plugins'))\n"
        "def load_all(names):\n    return [p for n in names for p in plugins() if p.name == n]\n",
        # A method of an object named entry_points, not the metadata scan.
        "def handle(dist, names):\n    for n in names:\n        dist.entry_points(n)\n",
        # The scan sits beside starting a program, which costs far more per call.
        "import subprocess, sys\nfrom importlib.metadata import entry_points\n"
        "def run_tool(name, path):\n    ep = next(e for e in entry_points(group='console_scripts') if e.name == name)\n"
        "    subprocess.run([sys.executable, '-c', f'import {ep.module}', path])\n"
        "def run_all(paths):\n    for p in paths:\n        run_tool('black', p)\n",
        # A local function of the same name.
        "def entry_points(group):\n    return []\ndef f(names):\n    for n in names:\n        entry_points(n)\n",
    ]
    INVALID = [
        Invalid(
            "from importlib.metadata import entry_points\n"
            "def build_all(names):\n"
            "    out = []\n"
            "    for name in names:\n"
            "        eps = entry_points(group='app.plugins')\n"
            "        out.extend(ep.load() for ep in eps if ep.name == name)\n"
            "    return out\n",
            line=5,
        ),
        Invalid(
            "import importlib.metadata\n"
            "def find_plugin(name):\n"
            "    return [ep for ep in importlib.metadata.entry_points(group='app.plugins') if ep.name == name]\n",
            line=3,
        ),
        Invalid(
            "import pkg_resources\n"
            "def build_extension(name):\n"
            "    return [ep for ep in pkg_resources.iter_entry_points('markdown.extensions', name)]\n",
            line=3,
        ),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._spawning: Set[int] = set()  # ids of functions that start a program
        self._functions: List[cst.FunctionDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)
        for call in calls_in(node.body):
            if self.ctx.resolve(call.func) in _SPAWNS:
                self._spawning.add(id(node))
                break

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()

    def _function_node(self) -> Optional[cst.FunctionDef]:
        return self._functions[-1] if self._functions else None

    def visit_Call(self, node: cst.Call) -> None:
        found = self._scan(node)
        if found is None:
            return
        spelled, cost = found
        fn = self.ctx.function
        if fn is None:
            return  # module level: once per import
        if memoised(fn):
            return  # lru_cache/cache or a memo guard: once per process (or per distinct argument)
        if self.ctx.is_test:
            return  # test code: not a hot path
        if id(self._function_node()) in self._spawning:
            return  # the function starts a program: the scan is a small part of each call
        what = ("walks every installed distribution's entry points" if cost == "fetch-row"
                else "finds and reads the metadata of every installed distribution")
        self.report(node, f"{spelled} {what} on every call; the installed packages do not change while the process runs",
                    cost=cost)

    def _scan(self, node: cst.Call) -> Optional[Tuple[str, str]]:
        qualified = self.ctx.resolve(node.func)
        if qualified in _METADATA_SCANS:
            return _METADATA_SCANS[qualified], self.COST
        if qualified in _WORKING_SET_SCANS:
            return _WORKING_SET_SCANS[qualified], "fetch-row"
        return None

