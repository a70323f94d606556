#!/usr/bin/env python3
"""Measure perflint's recall on real, fixed performance bugs (bench/realbugs.toml).

A bench script, not a test. For every case it materialises the needed folders of the
buggy and the fixed commit from a local bare mirror (`fetch` puts them under
/work/.mirror/owner+name/), scans them with perflint's CLI and decides:

- caught at warning: a finding at warning or error located in the buggy function's line
  span, or whose trace passes through that span, or located in the hot caller with a
  trace that reaches the buggy function;
- caught at any severity: the same with notes included;
- fixed still flagged: at the fixing commit, a finding at warning or above with a rule
  that matched the buggy case, in the same function (span or trace);
- trap flagged: a finding at warning or above in the trap function's span or trace.

Trees and scan results are cached outside the repository (default
~/.cache/perflint-recall); results are keyed by a hash of perflint's own source, so a
changed matcher re-scans and an unchanged one does not.

    python bench/recall.py [--family sync] [--id ID ...] [--jobs 2] [--json]
                           [--check-coordinates] [--mirrors DIR] [--cache DIR]
                           [--config perflint.toml]
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import functools
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "realbugs.toml"
FAMILIES = ("clone", "alloc", "rebuild", "sync", "fastpath")
AT_WARNING = ("warning", "error")
DEFAULT_MIRRORS = Path(os.environ.get("PERFLINT_MIRRORS", "/work/.mirror"))
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "perflint-recall"


@dataclass(frozen=True, order=True)
class Tree:
    """One repository snapshot restricted to the top-level folders a case needs."""

    repo: str
    commit: str
    folders: Tuple[str, ...]


@dataclass
class Verdict:
    case_id: str
    family: str
    result: str = "miss"  # warning | note | miss | missing-mirror | error
    rules: Tuple[str, ...] = ()
    fixed_flagged: bool = False
    heat: Optional[float] = None  # call-graph heat of the buggy function (perflint graph)
    linked: str = "-"  # the hot caller reaches the function in perflint's call graph: yes | no | self | -
    detail: str = ""
    score: Optional[float] = None  # the highest estimated time per unit of work of its findings (s)
    # lines between the case's line and the nearest warning that caught it (its site, trace
    # end or related location in the buggy file), None when no site is in that file
    distance: Optional[int] = None


@dataclass
class TrapVerdict:
    case_id: str
    flagged: bool = False
    notes: int = 0
    rules: Tuple[str, ...] = ()
    result: str = "quiet"  # quiet | flagged | missing-mirror | error
    detail: str = ""


@dataclass
class Scans:
    """Scan results by tree; `errors` holds a one-line reason per tree that failed."""

    findings: Dict[Tree, List[dict]] = field(default_factory=dict)
    graphs: Dict[Tree, dict] = field(default_factory=dict)
    errors: Dict[Tree, str] = field(default_factory=dict)


def load_cases(path: Path = DATA) -> Tuple[List[dict], List[dict]]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return list(data.get("bug", [])), list(data.get("trap", []))


def split_caller(case: dict) -> Tuple[str, str]:
    """`hot_caller` is "path:qualname", a bare qualname (same file) or ""."""
    caller = case.get("hot_caller", "")
    if not caller:
        return "", ""
    if ":" in caller:
        path, qualname = caller.split(":", 1)
        return path, qualname
    return case["path"], caller


def top_folder(path: str) -> str:
    return path.split("/", 1)[0]


def trees_for(case: dict, commit: str) -> Tree:
    folders = {top_folder(case["path"])}
    caller_path, _ = split_caller(case)
    if caller_path:
        folders.add(top_folder(caller_path))
    return Tree(case["repo"], commit, tuple(sorted(folders)))


def git_dir(mirrors: Path, repo: str) -> Optional[Path]:
    base = mirrors / repo.replace("/", "+")
    for candidate in (base / "repo", base / "repo" / ".git", base):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    return None


def materialise(tree: Tree, mirrors: Path, cache: Path) -> Path:
    """Extract the tree's folders at its commit once; later runs reuse the copy."""
    dest = cache / "trees" / tree.repo.replace("/", "+") / tree.commit
    stamp = dest / ".complete"
    wanted = set(tree.folders)
    done = set(stamp.read_text().split()) if stamp.is_file() else set()
    missing = sorted(wanted - done)
    if not missing:
        return dest
    gdir = git_dir(mirrors, tree.repo)
    if gdir is None:
        raise LookupError(f"no mirror for {tree.repo}")
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "--git-dir", str(gdir), "archive", "--format=tar", tree.commit, *missing],
        capture_output=True,
    )
    if archive.returncode != 0:
        # A mirror may leave its largest files out (firmware, data, even a generated data table
        # written as a .py module): the scan needs only the Python sources the mirror holds, so
        # take those alone before giving up.
        listing = subprocess.run(
            ["git", "--git-dir", str(gdir), "ls-tree", "-r", tree.commit, "--", *missing],
            capture_output=True, text=True,
        )
        entries = [line.split("\t", 1) for line in listing.stdout.splitlines() if "\t" in line]
        entries = [(meta.split()[-1], name) for meta, name in entries if name.endswith(".py")]
        present = subprocess.run(
            ["git", "--git-dir", str(gdir), "cat-file", "--batch-check"],
            input="".join(f"{oid}\n" for oid, _ in entries), capture_output=True, text=True,
        )
        absent = {line.split()[0] for line in present.stdout.splitlines() if line.endswith(" missing")}
        sources = [name for oid, name in entries if oid not in absent]
        if listing.returncode == 0 and sources:
            archive = subprocess.run(
                ["git", "--git-dir", str(gdir), "archive", "--format=tar", tree.commit, *sources],
                capture_output=True,
            )
    if archive.returncode != 0:
        raise RuntimeError(archive.stderr.decode(errors="replace").strip().splitlines()[-1])
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    stamp.write_text("\n".join(sorted(done | wanted)) + "\n")
    return dest


def perflint_fingerprint() -> str:
    """Hash of perflint's own source: cached results are reused only for the same code."""
    digest = hashlib.sha256()
    for folder in (ROOT / "perflint", ROOT / "rules"):
        for file in sorted(folder.rglob("*.py")):
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def run_perflint(tree: Tree, mirrors: Path, cache: Path, fingerprint: str, command: str,
                 config: Optional[Path] = None) -> object:
    """`perflint check` (findings) or `perflint graph` (call graph) on one tree, cached.

    `config` replaces the empty config every scan gets by default (a what-if run: say
    `data-bytes` set to a size a team declares); its text is part of the cache key."""
    config_text = config.read_text(encoding="utf-8") if config else ""
    keyed = (tree, fingerprint, command) + ((config_text,) if config_text else ())
    key = hashlib.sha256(repr(keyed).encode()).hexdigest()[:24]
    stored = cache / "results" / f"{key}.json"
    if stored.is_file():
        return json.loads(stored.read_text())
    root = materialise(tree, mirrors, cache)
    empty_config = cache / "empty-perflint.toml"
    if not empty_config.exists():
        empty_config.write_text("# isolates the scan from any config in the scanned tree\n")
    if config:
        empty_config = config.resolve()
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        report = Path(handle.name)
    cmd = [sys.executable, "-m", "perflint", command, *tree.folders, "--format", "json",
           "--output", str(report), "--config", str(empty_config)]
    if command == "check":
        cmd += ["--min-severity", "note", "--no-cache", "--exit-zero", "--jobs", "1"]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env)
    try:
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"perflint {command} exited {proc.returncode}: {tail}")
        data = json.loads(report.read_text())
        result = data["findings"] if command == "check" else data
    finally:
        report.unlink(missing_ok=True)
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_text(json.dumps(result))
    return result


def scan(tree: Tree, mirrors: Path, cache: Path, fingerprint: str) -> List[dict]:
    return run_perflint(tree, mirrors, cache, fingerprint, "check")  # type: ignore[return-value]


def graph_node(graph: dict, path: str, qualname: str, span: Optional[Tuple[int, int]]) -> Optional[dict]:
    """The call-graph node of a function: same file, id ending in its qualified name, or
    (nested and renamed ids) a definition line inside its span."""
    nodes = [n for n in graph.get("nodes", []) if n.get("path") == path]
    named = [n for n in nodes if n["id"].endswith("." + qualname)]
    if span is not None:
        # A method and a module function can share a name: the definition line decides.
        named = [n for n in named if span[0] <= int(n.get("line") or 0) <= span[1]] or named
    if named:
        return min(named, key=lambda n: len(n["id"]))
    if span is not None and qualname != "<module>":
        inside = [n for n in nodes if span[0] <= int(n.get("line") or 0) <= span[1]]
        if inside:
            return min(inside, key=lambda n: int(n.get("line") or 0))
    return None


def reaches(graph: dict, source: str, target: str) -> bool:
    callees = graph.get("_callees")
    if callees is None:  # index the edges once per graph, not once per question
        callees = {}
        for edge in graph.get("edges", []):
            callees.setdefault(edge["caller"], set()).add(edge["callee"])
        graph["_callees"] = callees
    seen, todo = {source}, [source]
    while todo:
        for nxt in callees.get(todo.pop(), ()):
            if nxt == target:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return source == target


def function_spans(source: str) -> Dict[str, Tuple[int, int]]:
    """Qualified name -> (first line incl. decorators, last line) of every def in a module."""
    spans: Dict[str, Tuple[int, int]] = {}
    tree = ast.parse(source)
    spans["<module>"] = (1, len(source.splitlines()) or 1)

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                start = min([child.lineno] + [d.lineno for d in child.decorator_list])
                if not isinstance(child, ast.ClassDef):
                    spans.setdefault(name, (start, child.end_lineno or child.lineno))
                walk(child, f"{name}.")
            else:
                walk(child, prefix)

    walk(tree, "")
    return spans


def enclosing(spans: Dict[str, Tuple[int, int]], line: int) -> str:
    """Innermost function whose span holds `line` ("<module>" when none does)."""
    best, width = "<module>", None
    for name, (start, end) in spans.items():
        if name != "<module>" and start <= line <= end and (width is None or end - start < width):
            best, width = name, end - start
    return best


@functools.lru_cache(maxsize=256)
def spans_in(file: Path) -> Optional[Dict[str, Tuple[int, int]]]:
    """Function spans of one file, parsed once per run (every finding is matched against them)."""
    if not file.is_file():
        return None
    try:
        return function_spans(file.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        return None


def span_of(root: Path, path: str, qualname: str) -> Optional[Tuple[int, int]]:
    spans = spans_in(root / path)
    if spans is None:
        return None
    if qualname == "<module>":
        return spans["<module>"]
    return spans.get(qualname)


def touches(finding: dict, path: str, qualname: str, span: Optional[Tuple[int, int]]) -> bool:
    """The finding sits in the function, or its trace passes through it down to the cause.

    A trace "passes through" when its deepest step (the call site nearest the flagged
    operation) or one of the finding's related locations is in the function. A finding
    deeper down, whose trace merely crosses the function on the way to some other cost
    (a decoder's byte concatenation under a stream read), is about something else.
    """
    trace = list(finding.get("trace") or [])
    sites = [finding] + trace[-1:] + list(finding.get("related") or [])
    for site in sites:
        if site.get("path") != path:
            continue
        if span is not None and span[0] <= int(site.get("line") or 0) <= span[1]:
            return True
        if site.get("function") == qualname and qualname != "<module>":
            return True
    return False


def matches(finding: dict, case: dict, root: Path) -> bool:
    if finding.get("family") != case["family"]:
        # Another kind of smell in the same function (an N+1 query beside the per-row flush
        # the case is about) is not this bug, and usually stays after its fix.
        return False
    span = span_of(root, case["path"], case["function"])
    if touches(finding, case["path"], case["function"], span):
        return True
    caller_path, caller = split_caller(case)
    if caller and finding.get("path") == caller_path and finding.get("function") == caller:
        # Reported at the hot caller's call site: its trace must reach the buggy function.
        return any(site.get("function") == case["function"] for site in finding.get("trace") or [])
    return False


def judge_bug(case: dict, scans: Scans, mirrors: Path, cache: Path) -> Verdict:
    verdict = Verdict(case["id"], case["family"])
    buggy, fixed = trees_for(case, case["buggy"]), trees_for(case, case["fixed"])
    for tree in (buggy, fixed):
        if tree in scans.errors:
            verdict.result = "missing-mirror" if "no mirror" in scans.errors[tree] else "error"
            verdict.detail = scans.errors[tree]
            return verdict
    root = materialise(buggy, mirrors, cache)
    graph = scans.graphs.get(buggy)
    if graph is not None:
        node = graph_node(graph, case["path"], case["function"], span_of(root, case["path"], case["function"]))
        verdict.heat = None if node is None else float(node.get("heat", 0.0))
        caller_path, caller = split_caller(case)
        if caller and (caller_path, caller) == (case["path"], case["function"]):
            verdict.linked = "self"  # hot by role (a dunder, a view, a public per-item method)
        elif caller and node is not None:
            start = graph_node(graph, caller_path, caller, span_of(root, caller_path, caller))
            verdict.linked = "yes" if start is not None and reaches(graph, start["id"], node["id"]) else "no"
    hits = [f for f in scans.findings[buggy] if matches(f, case, root)]
    verdict.rules = tuple(sorted({f["rule"] for f in hits}))
    verdict.score = max((float(f.get("score") or 0.0) for f in hits), default=None)
    distances = {id(f): _distance(f, case) for f in hits}
    near = [d for f in hits if f["severity"] in AT_WARNING for d in [distances[id(f)]] if d is not None]
    verdict.distance = min(near) if near else None
    if any(f["severity"] in AT_WARNING for f in hits):
        verdict.result = "warning"
    elif hits:
        verdict.result = "note"
    if verdict.rules:
        # The fix leaves the bug when the finding nearest the case's line (the bug's own, not
        # another smell of the same function) is still reported: same rule, same message.
        closest = min((d for d in distances.values() if d is not None), default=None)
        primary = {(f["rule"], f["message"]) for f in hits
                   if distances[id(f)] == closest or closest is None} if hits and "message" in hits[0] else None
        fixed_root = materialise(fixed, mirrors, cache)
        verdict.fixed_flagged = any(
            f["severity"] in AT_WARNING and f["rule"] in verdict.rules and matches(f, case, fixed_root)
            and (primary is None or (f["rule"], f.get("message")) in primary)
            for f in scans.findings[fixed]
        )
    return verdict


def _distance(finding: dict, case: dict) -> Optional[int]:
    """Lines between the case's line and the nearest of the finding's site, its trace's
    deepest step and its related locations in the case's file (None: none is there)."""
    sites = [finding] + list(finding.get("trace") or [])[-1:] + list(finding.get("related") or [])
    near = [abs(int(site.get("line") or 0) - int(case["line"])) for site in sites if site.get("path") == case["path"]]
    return min(near) if near else None


def judge_trap(case: dict, scans: Scans, mirrors: Path, cache: Path) -> TrapVerdict:
    verdict = TrapVerdict(case["id"])
    tree = Tree(case["repo"], case["commit"], (top_folder(case["path"]),))
    if tree in scans.errors:
        verdict.result = "missing-mirror" if "no mirror" in scans.errors[tree] else "error"
        verdict.detail = scans.errors[tree]
        return verdict
    root = materialise(tree, mirrors, cache)
    span = span_of(root, case["path"], case["function"])
    if case["function"] == "<module>":
        # Module-level code: only findings outside any function at or near the line count.
        span = (case["line"], case["line"])
    # A trap that names a family is about that kind of smell only (a flush once after the
    # loops is no per-row sync, whatever other smell the function holds).
    hits = [f for f in scans.findings[tree] if touches(f, case["path"], case["function"], span)
            and f.get("family") == case.get("family", f.get("family"))]
    verdict.rules = tuple(sorted({f["rule"] for f in hits}))
    verdict.notes = sum(1 for f in hits if f["severity"] == "note")
    verdict.flagged = any(f["severity"] in AT_WARNING for f in hits)
    verdict.result = "flagged" if verdict.flagged else "quiet"
    return verdict


def needed_trees(bugs: Sequence[dict], traps: Sequence[dict]) -> List[Tree]:
    trees: Set[Tree] = set()
    for case in bugs:
        trees.add(trees_for(case, case["buggy"]))
        trees.add(trees_for(case, case["fixed"]))
    for case in traps:
        trees.add(Tree(case["repo"], case["commit"], (top_folder(case["path"]),)))
    # One scan per (repo, commit): merge the folders different cases need.
    merged: Dict[Tuple[str, str], Set[str]] = {}
    for tree in trees:
        merged.setdefault((tree.repo, tree.commit), set()).update(tree.folders)
    return sorted(Tree(repo, commit, tuple(sorted(folders))) for (repo, commit), folders in merged.items())


def run_scans(trees: Sequence[Tree], mirrors: Path, cache: Path, jobs: int,
              command: str = "check", config: Optional[Path] = None) -> Dict[Tuple[str, str], object]:
    fingerprint = perflint_fingerprint()
    out: Dict[Tuple[str, str], object] = {}

    def one(tree: Tree) -> object:
        try:
            return run_perflint(tree, mirrors, cache, fingerprint, command, config)
        except LookupError as exc:
            return f"no mirror: {exc}"
        except (RuntimeError, OSError, subprocess.CalledProcessError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for tree, result in zip(trees, pool.map(one, trees)):
            out[(tree.repo, tree.commit)] = result
            status = "failed" if isinstance(result, str) else (
                f"{len(result)} findings" if command == "check" else f"{len(result['nodes'])} graph nodes")
            print(f"  {command} {tree.repo}@{tree.commit[:10]} {','.join(tree.folders)}: {status}",
                  file=sys.stderr)
    return out


def index_scans(bugs: Sequence[dict], traps: Sequence[dict], by_commit: Dict, graphs: Dict) -> Scans:
    scans = Scans()
    for case in bugs:
        tree = trees_for(case, case["buggy"])
        result = graphs.get((tree.repo, tree.commit))
        if isinstance(result, dict):
            scans.graphs[tree] = result
    wanted = [trees_for(c, c["buggy"]) for c in bugs] + [trees_for(c, c["fixed"]) for c in bugs]
    wanted += [Tree(c["repo"], c["commit"], (top_folder(c["path"]),)) for c in traps]
    for tree in wanted:
        result = by_commit[(tree.repo, tree.commit)]
        if isinstance(result, str):
            scans.errors[tree] = result
        else:
            scans.findings[tree] = result
    return scans


def missing_mirrors(cases: Iterable[dict], mirrors: Path) -> List[str]:
    return sorted({c["repo"] for c in cases if git_dir(mirrors, c["repo"]) is None})


def check_coordinates(bugs: Sequence[dict], traps: Sequence[dict], mirrors: Path, cache: Path) -> int:
    """Each case's line must fall in the named function at the named commit."""
    problems = 0
    for case in list(bugs) + list(traps):
        commit = case.get("buggy") or case["commit"]
        tree = Tree(case["repo"], commit, (top_folder(case["path"]),))
        try:
            root = materialise(tree, mirrors, cache)
            spans = function_spans((root / case["path"]).read_text(encoding="utf-8", errors="replace"))
        except (LookupError, RuntimeError, OSError, SyntaxError) as exc:
            print(f"{case['id']}: cannot check: {exc}")
            problems += 1
            continue
        found = enclosing(spans, case["line"])
        if found != case["function"]:
            print(f"{case['id']}: line {case['line']} is in {found!r}, not {case['function']!r}")
            problems += 1
        caller_path, caller = split_caller(case)
        if caller and caller_path and (root / caller_path).is_file():
            caller_spans = function_spans((root / caller_path).read_text(encoding="utf-8", errors="replace"))
            if caller not in caller_spans:
                print(f"{case['id']}: hot caller {caller!r} not found in {caller_path}")
                problems += 1
    print(f"{len(bugs) + len(traps)} cases checked, {problems} problem(s)")
    return 1 if problems else 0


def percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.0f}%" if whole else "-"


BLOCKERS = ("caught", "matcher-shape", "no-rule", "heat-callgraph", "cost-model")


def blocker_table(bugs: Sequence[dict]) -> str:
    """Cases per recorded blocker category and family (the `blocker` field of the data)."""
    lines = ["| blocker | " + " | ".join(FAMILIES) + " | all |", "|---|" + "---:|" * (len(FAMILIES) + 1)]
    for category in BLOCKERS:
        counts = [sum(1 for b in bugs if b["family"] == f and b.get("blocker", "").startswith(category + ":"))
                  for f in FAMILIES]
        lines.append(f"| {category} | " + " | ".join(map(str, counts)) + f" | {sum(counts)} |")
    return "\n".join(lines)


def render(verdicts: Sequence[Verdict], traps: Sequence[TrapVerdict]) -> str:
    from perflint.units import format_time  # perflint is installed where this bench runs

    lines = ["| family | cases | caught at warning | caught at any severity | recall at warning | fixed still flagged |",
             "|---|---:|---:|---:|---:|---:|"]
    for family in FAMILIES + ("all",):
        rows = [v for v in verdicts if family in ("all", v.family) and v.result not in ("missing-mirror", "error")]
        warn = sum(v.result == "warning" for v in rows)
        anyv = sum(v.result in ("warning", "note") for v in rows)
        fixed = sum(v.fixed_flagged for v in rows)
        lines.append(f"| {family} | {len(rows)} | {warn} | {anyv} | {percent(warn, len(rows))} | {fixed} |")
    scanned = [t for t in traps if t.result in ("quiet", "flagged")]
    flagged = sum(t.flagged for t in scanned)
    lines.append("")
    lines.append(f"Clean traps: {len(scanned)} scanned, {flagged} flagged at warning or above, "
                 f"{sum(t.notes > 0 for t in scanned)} with notes only or more.")
    skipped = [v for v in verdicts if v.result in ("missing-mirror", "error")]
    skipped += [t for t in traps if t.result in ("missing-mirror", "error")]  # type: ignore[misc]
    if skipped:
        lines.append(f"Not scanned: {len(skipped)} case(s) (see below).")
    lines.append("")
    lines.append("| case | family | result | rules seen | time per unit of work | fixed still flagged | heat | caller linked |")
    lines.append("|---|---|---|---|---:|---|---:|---|")
    for v in sorted(verdicts, key=lambda v: (FAMILIES.index(v.family), v.case_id)):
        heat = "-" if v.heat is None else f"{v.heat:g}"
        score = "-" if v.score is None else format_time(v.score)
        lines.append(f"| {v.case_id} | {v.family} | {v.result} | {' '.join(v.rules) or '-'} | {score} | "
                     f"{'yes' if v.fixed_flagged else 'no'} | {heat} | {v.linked} |")
    for t in sorted(traps, key=lambda t: t.case_id):
        lines.append(f"| {t.case_id} | trap | {t.result} | {' '.join(t.rules) or '-'} | - | - | - | - |")
    for item in skipped:
        lines.append(f"- {item.case_id}: {item.result}: {item.detail}")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", action="append", choices=FAMILIES, help="only this family (repeatable)")
    parser.add_argument("--id", action="append", dest="ids", help="only this case id (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="scans run in parallel (default 1)")
    parser.add_argument("--json", action="store_true", help="print verdicts as JSON")
    parser.add_argument("--check-coordinates", action="store_true",
                        help="only check that each line lies in its named function")
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS, help="folder of bare mirrors")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="trees and results cache")
    parser.add_argument("--config", type=Path,
                        help="scan with this perflint config instead of an empty one (what-if runs)")
    parser.add_argument("--data", type=Path, default=DATA, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.config and not args.config.is_file():
        print(f"recall: no config file at {args.config}", file=sys.stderr)
        return 2

    bugs, traps = load_cases(args.data)
    if args.family:
        bugs = [c for c in bugs if c["family"] in args.family]
        traps = [] if not args.ids else traps
    if args.ids:
        known = {c["id"] for c in bugs} | {c["id"] for c in traps}
        unknown = sorted(set(args.ids) - known)
        if unknown:
            print(f"recall: unknown case id(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        bugs = [c for c in bugs if c["id"] in args.ids]
        traps = [c for c in traps if c["id"] in args.ids]
    args.cache.mkdir(parents=True, exist_ok=True)

    absent = missing_mirrors(bugs + traps, args.mirrors)
    if absent:
        print(f"recall: {len(absent)} mirror(s) missing under {args.mirrors}; their cases are skipped. "
              "Fetch them with:", file=sys.stderr)
        for repo in absent:
            print(f"  fetch github:{repo}", file=sys.stderr)

    if args.check_coordinates:
        present = [c for c in bugs if c["repo"] not in absent]
        return check_coordinates(present, [c for c in traps if c["repo"] not in absent], args.mirrors, args.cache)

    by_commit = run_scans(needed_trees(bugs, traps), args.mirrors, args.cache, args.jobs, config=args.config)
    buggy_trees = [t for t in needed_trees(bugs, []) if any(
        (t.repo, t.commit) == (c["repo"], c["buggy"]) and c.get("hot_caller") for c in bugs)]
    graphs = run_scans(buggy_trees, args.mirrors, args.cache, args.jobs, command="graph", config=args.config)
    scans = index_scans(bugs, traps, by_commit, graphs)
    verdicts = [judge_bug(c, scans, args.mirrors, args.cache) for c in bugs]
    trap_verdicts = [judge_trap(c, scans, args.mirrors, args.cache) for c in traps]
    if args.json:
        print(json.dumps({"bugs": [v.__dict__ for v in verdicts],
                          "traps": [t.__dict__ for t in trap_verdicts]}, indent=2, sort_keys=True))
    else:
        print(render(verdicts, trap_verdicts))
        print()
        print("Recorded blockers (bench/realbugs.toml `blocker`), cases per category and family:")
        print()
        print(blocker_table(bugs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
