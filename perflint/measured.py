"""Measured heat: map profile functions onto call-graph nodes and let their counts replace estimates."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from perflint.finding import Finding, Measured
from perflint.profiles import Entry, Profile
from perflint.summary import MODULE_SCOPE, ModuleSummary

if TYPE_CHECKING:
    from perflint.callgraph import Program

Rescore = Callable[[Finding, float], Finding]
UNEXPLAINED_FLOOR = 0.001  # --unexplained lists functions with at least this share of own time


@dataclass(frozen=True)
class Site:
    """Where a finding sits, for the join: its function, the static trips of the loops
    around it inside that function (a profile cannot see those), and whether config pins
    its severity."""

    fid: Optional[str]
    trips: float = 1.0
    pinned: bool = False


@dataclass
class FunctionTime:
    """What the profiles say about one call-graph node, summed over every profile given."""

    calls: int = 0
    cumulative: float = 0.0
    own: float = 0.0
    counted: bool = False  # at least one profile that counts calls ran it
    profiles: Set[str] = field(default_factory=set)


@dataclass(frozen=True)
class MatchReport:
    """How much of one profile landed in the scanned code."""

    path: str
    kind: str
    functions: int
    matched: int  # entries mapped to a function of the call graph
    unmatched_in_scan: int  # in a scanned file but no function node (lambda, comprehension, class body)
    outside: int  # not in the scanned code (stdlib, site-packages, built-ins)
    total: float

    def to_json(self) -> Dict[str, object]:
        return {"path": self.path, "format": self.kind, "functions": self.functions, "matched": self.matched,
                "unmatched_in_scan": self.unmatched_in_scan, "outside": self.outside,
                "seconds": round(self.total, 6)}


@dataclass
class ProfileIndex:
    """Every profile joined to the program: times per function id, modules covered, counts."""

    times: Dict[str, FunctionTime]
    covered: Set[str]  # ModuleSummary.path of every module a profile saw
    total: float
    runs: int  # profiles that count calls
    reports: List[MatchReport]

    def to_json(self) -> List[Dict[str, object]]:
        return [r.to_json() for r in self.reports]

    def measured(self, fid: str) -> Measured:
        t = self.times[fid]
        return Measured(ran=True, calls=t.calls, cumulative=t.cumulative, own=t.own,
                        share=t.cumulative / self.total if self.total > 0 else 0.0,
                        profile=", ".join(sorted(t.profiles)), sampled=not t.counted)


# -- matching ----------------------------------------------------------------------------
class _Matcher:
    """Profile file -> scanned module by the longest path suffix; (line, name) -> function."""

    def __init__(self, program: "Program", root: Path) -> None:
        self.program = program
        self.by_suffix: Dict[Tuple[str, ...], List[str]] = {}
        self.depth = 0
        for name in sorted(program.modules):
            parts = _root_parts(program.modules[name].path, root)
            self.depth = max(self.depth, len(parts))
            for k in range(1, len(parts) + 1):
                # A bare file name is no evidence for a file deeper in the tree: every
                # package has an __init__.py. One component must be the whole relative path.
                if k >= 2 or k == len(parts):
                    self.by_suffix.setdefault(tuple(parts[-k:]), []).append(name)
        self._files: Dict[str, Optional[str]] = {}
        self._names: Dict[str, Dict[str, List[Tuple[int, int, str, str]]]] = {}

    def module(self, file: str) -> Optional[str]:
        """The scanned module a profile's file name is, or None (ambiguous or outside)."""
        if file in self._files:
            return self._files[file]
        parts = [p for p in file.replace("\\", "/").split("/") if p not in ("", ".")]
        found = None
        for k in range(min(len(parts), self.depth), 0, -1):
            hit = self.by_suffix.get(tuple(parts[-k:]))
            if hit is not None:
                # The longest suffix decides; if two scanned files share it, a shorter one will too.
                found = hit[0] if len(hit) == 1 else None
                break
        self._files[file] = found
        return found

    def function(self, module: str, entry: Entry, line_is_first: bool) -> Optional[str]:
        """The function id a profile entry is, within its module."""
        short = entry.name.rsplit(".", 1)[-1]
        if short == MODULE_SCOPE:
            return f"{module}.{MODULE_SCOPE}"
        names = self._names.get(module)
        if names is None:
            names = self._names[module] = _functions_by_name(self.program.modules[module])
        cands = names.get(short)
        if not cands:
            return None  # a lambda, a comprehension, a class body
        if "." in entry.name:  # pyinstrument and py-spy may give the qualified name
            exact = [c for c in cands if c[3] == entry.name or c[3].endswith("." + entry.name)]
            cands = exact or cands
        if len(cands) == 1:
            return cands[0][2]
        for start, line, fid, _ in cands:
            if start <= entry.line <= line:  # the first line: a decorator or the def
                return fid
        if not line_is_first:  # a line inside the body: the nearest def above it
            above = [c for c in cands if c[0] <= entry.line]
            if above:
                return max(above)[2]
        return min(cands, key=lambda c: (abs(c[1] - entry.line), c[1]))[2]


def _functions_by_name(mod: ModuleSummary) -> Dict[str, List[Tuple[int, int, str, str]]]:
    """name -> [(first line incl. decorators, def line, fid, qualname)], sorted."""
    out: Dict[str, List[Tuple[int, int, str, str]]] = {}
    for qual, fn in mod.functions.items():
        if qual == MODULE_SCOPE:
            continue
        start = fn.line - len(fn.decorators)  # co_firstlineno is the first decorator's line
        out.setdefault(fn.name, []).append((start, fn.line, f"{mod.module}.{qual}", qual))
    for cands in out.values():
        cands.sort()
    return out


def _root_parts(display: str, root: Path) -> List[str]:
    path = Path(display)
    if not path.is_absolute():
        path = Path.cwd() / path
    try:
        return list(path.resolve().relative_to(root.resolve()).parts)
    except (ValueError, OSError):
        return [p for p in path.parts if p not in ("/", "\\")]


def build_index(profiles: Sequence[Profile], program: "Program", root: Path) -> ProfileIndex:
    """Join loaded profiles to the program's functions (summed over profiles)."""
    matcher = _Matcher(program, root)
    times: Dict[str, FunctionTime] = {}
    covered: Set[str] = set()
    reports: List[MatchReport] = []
    for profile in profiles:
        matched = in_scan = 0
        for entry in profile.entries:
            module = matcher.module(entry.file) if entry.file else None
            if module is None:
                continue
            covered.add(program.modules[module].path)
            fid = matcher.function(module, entry, profile.line_is_first)
            if fid is None or fid not in program.functions:
                in_scan += 1
                continue
            matched += 1
            t = times.setdefault(fid, FunctionTime())
            t.calls += entry.calls
            t.cumulative += entry.cumulative
            t.own += entry.own
            t.counted = t.counted or (profile.counted and entry.calls > 0)
            t.profiles.add(profile.path)
        reports.append(MatchReport(profile.path, profile.kind, profile.functions, matched, in_scan,
                                   profile.functions - matched - in_scan, profile.total))
    return ProfileIndex(times, covered, sum(p.total for p in profiles),
                        sum(1 for p in profiles if p.counted), reports)


# -- applying ----------------------------------------------------------------------------
def apply_profile(findings: Sequence[Finding], program: "Program", index: ProfileIndex,
                  rescore: Rescore, sites: Mapping[str, Site]) -> List[Finding]:
    """Findings with `measured` set where a profile covers their code (a pure function).

    Ran, with call counts: frequency = calls of the finding's function per call of its
    trace's root (per profile run when the root never ran), times the static trips of the
    loops around the site; `rescore(finding, frequency)` turns that into score and severity.
    Ran, sampled (no counts): measured time is attached, the static frequency stays.
    In a covered module but never run: frequency 0, and the finding drops to note unless
    its severity is pinned."""
    out: List[Finding] = []
    for f in findings:
        site = sites.get(f.fingerprint)
        entry = program.functions.get(site.fid) if site is not None and site.fid else None
        if site is None or entry is None:
            out.append(f)
            continue
        fid = site.fid
        t = index.times.get(fid)
        if t is None:
            if entry[0].path not in index.covered or entry[1].qualname == MODULE_SCOPE:
                # The profile never looked at this module, or imported it before it started
                # (module-level code runs once, at import): nothing to say.
                out.append(f)
                continue
            cold = rescore(f, 0.0)
            if not site.pinned:
                cold = replace(cold, severity="note")
            out.append(replace(cold, measured=Measured(ran=False, profile=_covering(index),
                                                       sampled=index.runs == 0)))
            continue
        measured = index.measured(fid)
        if t.counted and t.calls > 0:
            f = rescore(f, _per_unit(program, index, fid, t) * site.trips)
        out.append(replace(f, measured=measured))
    return out


def _per_unit(program: "Program", index: ProfileIndex, fid: str, t: FunctionTime) -> float:
    """Calls of `fid` per call of its trace's root, or per profile run without one."""
    chain = program.hot_chain(fid)
    root = chain[0].caller if chain else fid
    rt = index.times.get(root)
    if rt is not None and rt.counted and rt.calls > 0:
        return t.calls / rt.calls
    return t.calls / max(1, index.runs)


def _covering(index: ProfileIndex) -> str:
    return ", ".join(sorted(r.path for r in index.reports if r.matched))


# -- the inverse view --------------------------------------------------------------------
def unexplained(index: ProfileIndex, program: "Program", with_findings: Set[str], top: int = 10) -> List[Dict[str, object]]:
    """The scanned functions with the most own time in the profile that carry no finding."""
    rows = []
    for fid, t in index.times.items():
        if fid in with_findings or t.own < UNEXPLAINED_FLOOR * index.total or t.own <= 0:
            continue  # below a thousandth of the profile: noise, not a rule to write
        mod, fn = program.functions[fid]
        rows.append((-t.own, fid, mod, fn, t))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [
        {"function": "module level" if fn.qualname == MODULE_SCOPE else fn.qualname, "path": mod.path,
         "line": fn.line, "own": round(t.own, 6), "cumulative": round(t.cumulative, 6),
         "calls": t.calls if t.counted else None, "share": round(t.own / index.total, 4) if index.total > 0 else 0.0}
        for _, fid, mod, fn, t in rows[:top]
    ]
