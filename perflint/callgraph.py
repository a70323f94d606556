"""Phase 2: link module summaries into a call graph, compute heat, explain it with traces."""

from __future__ import annotations

import fnmatch
from collections import deque
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set, Tuple

from perflint.finding import Loop, TraceHop
from perflint.summary import MODULE_SCOPE, CallSite, ClassSummary, FunctionSummary, ModuleSummary

# Decorators that hand back the function they wrap (or call it): edges through them are right.
TRANSPARENT_DECORATORS = {
    "staticmethod", "classmethod", "property", "functools.wraps", "functools.lru_cache",
    "functools.cache", "functools.cached_property", "functools.singledispatch",
    "functools.singledispatchmethod", "abc.abstractmethod", "typing.final", "typing.override",
    "typing_extensions.override", "contextlib.contextmanager", "contextlib.asynccontextmanager",
    "lru_cache", "cache", "cached_property", "abstractmethod", "contextmanager", "wraps",
}
# Dunders that run once per item of whatever iterates, indexes, hashes or compares the
# object. `__iter__` is left out (DESIGN §6 lists it): it runs once per loop, not per item.
ITERATION_DUNDERS = ("__next__", "__getitem__", "__contains__", "__eq__", "__hash__")
HEAT_CAP = 1e9
EFFECT_DEPTH = 2  # how far below a function its callees' effects count as its own


@dataclass(frozen=True)
class Edge:
    caller: str
    callee: str
    site: CallSite


class Program:
    """The whole program: every summary, the resolved call graph, and heat per function."""

    def __init__(
        self,
        summaries: Sequence[ModuleSummary],
        *,
        loop_factor: float = 10.0,
        hot: Sequence[str] = (),
        scoped_hot: Optional[Dict[str, Tuple[str, ...]]] = None,
        previous: Optional["Program"] = None,
    ) -> None:
        """`previous`: the program before an edit (the language server relinks per edit);
        the edges of modules it shares are reused when the edit left every module's
        link interface as it was (see `link_interface`). Same result, less work."""
        self.loop_factor = loop_factor
        self.hot_patterns = tuple(hot)
        # module path -> extra `hot` globs from [[overrides]] whose `files` match that path
        self.scoped_hot: Dict[str, Tuple[str, ...]] = dict(scoped_hot or {})
        self.modules: Dict[str, ModuleSummary] = {}
        for summary in sorted(summaries, key=lambda s: s.path):
            # Two files claiming one module name: the first (by path) wins, deterministically.
            self.modules.setdefault(summary.module, summary)
        self.functions: Dict[str, Tuple[ModuleSummary, FunctionSummary]] = {}
        self.classes: Dict[str, Tuple[ModuleSummary, ClassSummary]] = {}
        for name in sorted(self.modules):
            mod = self.modules[name]
            for qual, fn in mod.functions.items():
                self.functions[f"{name}.{qual}"] = (mod, fn)
            for qual, cls in mod.classes.items():
                self.classes[f"{name}.{qual}"] = (mod, cls)
        self.edges: Dict[str, List[Edge]] = {fid: [] for fid in self.functions}
        self.callers: Dict[str, List[Edge]] = {fid: [] for fid in self.functions}
        self._mro: Dict[str, List[str]] = {}
        self._link(previous)
        self.heat: Dict[str, float] = {}
        self.pred: Dict[str, Edge] = {}
        self.root_note: Dict[str, str] = {}
        self._compute_heat()
        self._effects: Dict[str, Dict[str, str]] = {}

    # -- resolution -------------------------------------------------------------------
    def resolve_dotted(self, name: str, depth: int = 0) -> Optional[Tuple[str, str]]:
        """("function"|"class"|"module", id) for a dotted name, following re-exports."""
        if depth > 8 or not name:
            return None
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            mod_name = ".".join(parts[:i])
            if mod_name in self.modules:
                return self._resolve_in_module(self.modules[mod_name], parts[i:], depth)
        return None

    def _resolve_in_module(self, mod: ModuleSummary, rest: List[str], depth: int) -> Optional[Tuple[str, str]]:
        if not rest:
            return ("module", mod.module)
        head = rest[0]
        if head in mod.classes:
            cid = f"{mod.module}.{head}"
            return self._resolve_in_class(cid, rest[1:], depth)
        if head in mod.functions and len(rest) == 1:
            return ("function", f"{mod.module}.{head}")
        qualname = ".".join(rest)
        if head in mod.functions and qualname in mod.functions:
            return ("function", f"{mod.module}.{qualname}")  # a nested function
        target = mod.imports.get(head)
        if target is not None and target != f"{mod.module}.{head}":
            return self.resolve_dotted(".".join([target] + rest[1:]), depth + 1)
        # A submodule not imported in the package's __init__: pkg.sub.
        sub = f"{mod.module}.{head}"
        if sub in self.modules:
            return self._resolve_in_module(self.modules[sub], rest[1:], depth)
        return None

    def _resolve_in_class(self, cid: str, rest: List[str], depth: int) -> Optional[Tuple[str, str]]:
        if not rest:
            return ("class", cid)
        mod, cls = self.classes[cid]
        nested = f"{cls.qualname}.{rest[0]}"
        if nested in mod.classes:
            return self._resolve_in_class(f"{mod.module}.{nested}", rest[1:], depth)
        if len(rest) == 1:
            fid = self.lookup_method(cid, rest[0])
            if fid:
                return ("function", fid)
        return None

    def mro(self, cid: str) -> List[str]:
        """In-repo classes in method resolution order (depth-first, left to right, no repeats)."""
        cached = self._mro.get(cid)
        if cached is not None:
            return cached
        self._mro[cid] = [cid]  # recursion guard for cyclic bases
        order: List[str] = [cid]
        _, cls = self.classes[cid]
        for base in cls.bases:
            resolved = self.resolve_dotted(base[2:]) if base.startswith("g:") else None
            if resolved and resolved[0] == "class":
                for item in self.mro(resolved[1]):
                    if item not in order:
                        order.append(item)
        self._mro[cid] = order
        return order

    def lookup_method(self, cid: str, name: str, skip_first: bool = False) -> Optional[str]:
        for klass in self.mro(cid)[1 if skip_first else 0:]:
            mod, cls = self.classes[klass]
            qual = f"{cls.qualname}.{name}"
            if qual in mod.functions:
                return f"{mod.module}.{qual}"
        return None

    def attr_type(self, cid: str, attr: str) -> Optional[str]:
        for klass in self.mro(cid):
            typ = self.classes[klass][1].attr_types.get(attr)
            if typ:
                return typ
        return None

    def resolve_target(self, target: Optional[str]) -> Optional[str]:
        """The in-repo function a symbolic call target reaches, or None (never a guess)."""
        if not target:
            return None
        kind, _, rest = target.partition(":")
        fid: Optional[str] = None
        if kind == "g":
            resolved = self.resolve_dotted(rest)
            if resolved is None:
                return None
            if resolved[0] == "class":
                fid = self.lookup_method(resolved[1], "__init__")
            elif resolved[0] == "function":
                fid = resolved[1]
        elif kind in ("m", "S"):
            cid, _, meth = rest.rpartition(":")
            if cid in self.classes:
                fid = self.lookup_method(cid, meth, skip_first=(kind == "S"))
        elif kind == "a":
            cid, attr, meth = rest.rsplit(":", 2)
            if cid in self.classes:
                typ = self.attr_type(cid, attr)
                if typ:
                    resolved = self.resolve_dotted(typ[2:])
                    if resolved and resolved[0] == "class":
                        fid = self.lookup_method(resolved[1], meth)
        elif kind == "t":
            cls_name, _, meth = rest.rpartition(":")
            resolved = self.resolve_dotted(cls_name)
            if resolved and resolved[0] == "class":
                fid = self.lookup_method(resolved[1], meth)
        if fid is None or fid not in self.functions:
            return None
        if not self._decorators_transparent(fid):
            return None
        return fid

    def _memoized(self, fid: str) -> bool:
        decorators = self.functions[fid][1].decorators
        return any(d.rpartition(".")[2] in ("lru_cache", "cache", "cached_property") for d in decorators)

    def _decorators_transparent(self, fid: str) -> bool:
        _, fn = self.functions[fid]
        for deco in fn.decorators:
            if deco in TRANSPARENT_DECORATORS or deco.endswith((".setter", ".getter", ".deleter")):
                continue
            resolved = self.resolve_dotted(deco)
            if resolved and resolved[0] == "function" and self.functions[resolved[1]][1].transparent:
                continue
            return False
        return True

    def _link(self, previous: Optional["Program"] = None) -> None:
        reusable = self._unchanged_modules(previous)
        for fid in sorted(self.functions):
            mod, fn = self.functions[fid]
            if mod.module in reusable:
                for edge in previous.edges[fid]:  # type: ignore[union-attr]
                    self.edges[fid].append(edge)
                    self.callers[edge.callee].append(edge)
                continue
            for site in fn.calls:
                callee = self.resolve_target(site.target)
                if callee is not None and callee != fid or (callee == fid and site.loops):
                    edge = Edge(fid, callee, site)  # type: ignore[arg-type]
                    self.edges[fid].append(edge)
                    self.callers[callee].append(edge)  # type: ignore[index]

    def _unchanged_modules(self, previous: Optional["Program"]) -> Set[str]:
        """Modules whose call sites resolve as they did in `previous`: the very same
        summaries, when every module that did change kept its link interface."""
        if previous is None or previous.modules.keys() != self.modules.keys():
            return set()
        changed = [name for name, mod in self.modules.items() if previous.modules[name] is not mod]
        for name in changed:
            if link_interface(self.modules[name]) != link_interface(previous.modules[name]):
                return set()
        return set(self.modules).difference(changed)

    # -- heat -------------------------------------------------------------------------
    def _hot_match(self, fid: str) -> Optional[str]:
        mod, fn = self.functions[fid]
        for pattern in self.hot_patterns:
            if fnmatch.fnmatchcase(fid, pattern) or fnmatch.fnmatchcase(fn.qualname, pattern):
                return f"config hot = {pattern!r}"
        for pattern in self.scoped_hot.get(mod.path, ()):
            if fnmatch.fnmatchcase(fid, pattern) or fnmatch.fnmatchcase(fn.qualname, pattern):
                return f"override hot = {pattern!r}"
        return None

    def _compute_heat(self) -> None:
        lf = self.loop_factor
        heat = self.heat
        for fid in sorted(self.functions):
            mod, fn = self.functions[fid]
            pattern = self._hot_match(fid)
            if pattern is not None:
                heat[fid] = lf
                self.root_note[fid] = f"hot entry point ({pattern})"
            elif fn.cls and fn.name in ITERATION_DUNDERS:
                heat[fid] = lf
                self.root_note[fid] = f"{fn.name} runs once per item"
            else:
                heat[fid] = 1.0
                if fn.qualname == MODULE_SCOPE:
                    self.root_note[fid] = "module level: runs once at import"
                elif not self.callers[fid]:
                    self.root_note[fid] = "no callers in the scanned code: heat assumed (set `hot` if it runs per request or row)"
                else:
                    self.root_note[fid] = "called only from cold code"
        scc = self._components()
        queue = deque(sorted(self.functions))
        queued: Set[str] = set(queue)
        while queue:
            fid = queue.popleft()
            queued.discard(fid)
            mod, _ = self.functions[fid]
            if mod.is_test:
                continue  # tests exercise code; they say nothing about how often it runs
            base = heat[fid]
            for edge in self.edges[fid]:
                if edge.site.cold:
                    continue  # error handling runs when something failed, not per item
                if self._memoized(edge.callee):
                    continue  # lru_cache/cache: the body runs once per distinct argument
                if scc[edge.caller] == scc[edge.callee]:
                    h = base  # recursion: a cycle passes heat on but never multiplies it
                else:
                    h = min(base * lf ** len(edge.site.loops), HEAT_CAP)
                if h > heat[edge.callee] * (1 + 1e-9):
                    heat[edge.callee] = h
                    self.pred[edge.callee] = edge
                    if edge.callee not in queued:
                        queued.add(edge.callee)
                        queue.append(edge.callee)

    def _components(self) -> Dict[str, int]:
        """Strongly connected components of the call graph (iterative Tarjan)."""
        index: Dict[str, int] = {}
        low: Dict[str, int] = {}
        comp: Dict[str, int] = {}
        on_stack: Set[str] = set()
        stack: List[str] = []
        counter = 0
        for start in sorted(self.functions):
            if start in index:
                continue
            work = [(start, 0)]
            while work:
                node, i = work.pop()
                if i == 0:
                    index[node] = low[node] = counter
                    counter += 1
                    stack.append(node)
                    on_stack.add(node)
                edges = self.edges[node]
                if i < len(edges):
                    work.append((node, i + 1))
                    nxt = edges[i].callee
                    if nxt not in index:
                        work.append((nxt, 0))
                    elif nxt in on_stack:
                        low[node] = min(low[node], index[nxt])
                    continue
                if low[node] == index[node]:
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        comp[member] = index[node]
                        if member == node:
                            break
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
        return comp

    def function_id(self, module: str, qualname: str) -> str:
        return f"{module}.{qualname}"

    def _in_tests(self, fid: str) -> bool:
        entry = self.functions.get(fid)
        return entry is not None and entry[0].is_test

    def site_heat(self, fid: str, loops: Sequence[Loop]) -> float:
        if self._in_tests(fid):
            return 1.0  # a loop over test cases says nothing about production cost
        return min(self.heat.get(fid, 1.0) * self.loop_factor ** len(loops), HEAT_CAP)

    def repeated(self, fid: str, loops: Sequence[Loop]) -> bool:
        if self._in_tests(fid):
            return False
        return bool(loops) or self.heat.get(fid, 1.0) > 1.0

    def defines_method(self, name: str) -> bool:
        """Whether any class in the program defines a method of this name."""
        cached = getattr(self, "_method_names", None)
        if cached is None:
            cached = self._method_names = {m for _, cls in self.classes.values() for m in cls.methods}
        return name in cached

    def has_class_attr(self, names: Sequence[str]) -> bool:
        """Whether any class in the program declares one of these attributes."""
        wanted = set(names)
        return any(wanted.intersection(cls.attrs) for _, cls in self.classes.values())

    # -- effects ----------------------------------------------------------------------
    def effects(self, fid: str) -> Dict[str, str]:
        """Effects of a function and of its callees up to EFFECT_DEPTH calls down."""
        cached = self._effects.get(fid)
        if cached is not None:
            return cached
        rank = {"low": 0, "medium": 1, "high": 2}
        out: Dict[str, str] = {}
        frontier = [fid]
        seen = {fid}
        for depth in range(EFFECT_DEPTH + 1):
            nxt = []
            for f in frontier:
                for effect, conf in self.functions[f][1].effects.items():
                    if effect not in out or rank[conf] > rank[out[effect]]:
                        out[effect] = conf
                if depth < EFFECT_DEPTH:
                    for edge in self.edges.get(f, ()):
                        if edge.callee not in seen:
                            seen.add(edge.callee)
                            nxt.append(edge.callee)
            frontier = nxt
        self._effects[fid] = out
        return out

    # -- traces -----------------------------------------------------------------------
    def hot_chain(self, fid: str) -> List[Edge]:
        """The edges that gave `fid` its heat, hottest root first (cycle-safe)."""
        chain: List[Edge] = []
        seen = {fid}
        current = fid
        while current in self.pred:
            edge = self.pred[current]
            chain.append(edge)
            if edge.caller in seen:
                break
            seen.add(edge.caller)
            current = edge.caller
        chain.reverse()
        return chain

    def trace(self, fid: str, loops: Sequence[Loop]) -> Tuple[TraceHop, ...]:
        """From the hottest root to the site: each hop where it is and why it is hot."""
        chain = self.hot_chain(fid)
        hops: List[TraceHop] = []
        root = chain[0].caller if chain else fid
        rmod, rfn = self.functions[root] if root in self.functions else (None, None)
        if rmod is not None and (chain or loops or self.heat.get(root, 1.0) > 1.0):
            hops.append(TraceHop(rmod.path, rfn.line, _display(rfn), self.root_note.get(root, "")))
        for edge in chain:
            cmod, cfn = self.functions[edge.caller]
            _, callee = self.functions[edge.callee]
            where = ", ".join(f"{kind} (line {line})" for kind, line in edge.site.loops)
            note = f"calls {_display(callee)}" + (f" inside a {where}" if where else "")
            hops.append(TraceHop(cmod.path, edge.site.line, _display(cfn), note))
        if loops and fid in self.functions:
            mod, fn = self.functions[fid]
            for kind, line in loops:
                hops.append(TraceHop(mod.path, line, _display(fn), kind))
        return tuple(hops)

    def context(self, fid: str, loops: Sequence[Loop]) -> str:
        """One line for text output: "in a for loop in Session.executemany"."""
        fn = self.functions[fid][1] if fid in self.functions else None
        name = _display(fn) if fn else "module level"
        parts = []
        if loops:
            parts.append(f"in a {loops[-1][0]} in {name}")
        elif fn is not None and fn.qualname != MODULE_SCOPE:
            parts.append(f"in {name}")
        else:
            parts.append("at module level")
        if fid in self.pred:
            chain = self.hot_chain(fid)
            current = chain[0].caller
            hot_edge = next((e for e in reversed(chain) if e.site.loops), None)
            if hot_edge is not None:
                caller = self.functions[hot_edge.caller][1]
                parts.append(f"reached per iteration of a {hot_edge.site.loops[-1][0]} in {_display(caller)}")
            elif current in self.root_note and self.heat.get(current, 1.0) > 1.0:
                parts.append(f"reached from {_display(self.functions[current][1])}: {self.root_note[current]}")
        elif fid in self.root_note and self.heat.get(fid, 1.0) > 1.0:
            parts.append(self.root_note[fid])
        return "; ".join(parts)

    # -- export -----------------------------------------------------------------------
    def graph_json(self) -> Dict[str, object]:
        nodes = []
        for fid in sorted(self.functions):
            mod, fn = self.functions[fid]
            nodes.append({"id": fid, "path": mod.path, "line": fn.line, "heat": self.heat[fid]})
        edges = []
        for fid in sorted(self.edges):
            for edge in self.edges[fid]:
                edges.append({"caller": edge.caller, "callee": edge.callee,
                              "path": self.functions[fid][0].path, "line": edge.site.line,
                              "loops": [kind for kind, _ in edge.site.loops]})
        return {"nodes": nodes, "edges": edges}

    def graph_pycg(self) -> Dict[str, List[str]]:
        out: Dict[str, List[str]] = {}
        for fid in sorted(self.functions):
            if fid.endswith("." + MODULE_SCOPE):
                key = fid[: -len(MODULE_SCOPE) - 1]
            else:
                key = fid
            callees = sorted({e.callee for e in self.edges[fid]})
            out.setdefault(key, [])
            out[key] = sorted(set(out[key]) | set(callees))
        return out


def link_interface(mod: ModuleSummary) -> Tuple[object, ...]:
    """All that resolving a call in another module can read of this one: its imports,
    functions with their decorators, classes with bases, methods and attribute types.
    Keep it in step with resolve_target and the lookups it makes."""
    return (
        sorted(mod.imports.items()),
        sorted((qual, fn.decorators, fn.transparent) for qual, fn in mod.functions.items()),
        sorted((qual, cls.qualname, cls.bases, cls.methods, sorted(cls.attr_types.items()))
               for qual, cls in mod.classes.items()),
    )


def _display(fn: Optional[FunctionSummary]) -> str:
    if fn is None:
        return "?"
    return "module level" if fn.qualname == MODULE_SCOPE else fn.qualname
