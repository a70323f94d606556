"""Findings that share a trace root as a tree: entry point -> the functions it calls -> costly sites."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from perflint.finding import Finding, Measured
from perflint.hotpaths import group_by_root

Key = Tuple[str, str]  # (path, function)


@dataclass
class Node:
    """One function on the way from an entry point to the flagged sites."""

    path: str
    function: str
    line: int  # where this function calls the next one on the way, or the root's definition
    note: str  # the trace's note for that line ("calls X inside a for loop (line 53)")
    role: str = ""  # a root only: why it is hot (the first hop's note)
    entry_line: int = 0  # a root only: the line the trace starts at (its definition)
    id: str = ""
    here: List[int] = field(default_factory=list)  # indexes of findings whose site is in this function
    under: List[int] = field(default_factory=list)  # indexes of every finding at or below this node
    time: float = 0.0  # sum of the scores of `under`
    children: List["Node"] = field(default_factory=list)
    measured: Optional[Measured] = None  # of the function, when a finding here carries it

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def steps(f: Finding) -> List[Tuple[Key, int, str]]:
    """((path, function), line, note) from the root to the finding's function, one per function.

    Consecutive hops in one function collapse into the last one: where it calls on."""
    out: List[Tuple[Key, int, str]] = []
    for hop in f.trace:
        key = (hop.path, hop.function)
        if out and out[-1][0] == key:
            out[-1] = (key, hop.line, hop.note)
        else:
            out.append((key, hop.line, hop.note))
    site = (f.path, f.function)
    if not out or out[-1][0] != site:
        out.append((site, f.line, "the flagged site"))
    return out


def build(findings: Sequence[Finding]) -> List[Node]:
    """One tree per trace root, the root with the most estimated time first; ids n1, n2, ... in page order."""
    index = {id(f): i for i, f in enumerate(findings)}
    roots: List[Node] = []
    for members in group_by_root(findings).values():
        root: Optional[Node] = None
        for f in members:
            path = steps(f)
            (key, line, note), rest = path[0], path[1:]
            if root is None:
                root = Node(key[0], key[1], line, note, role=f.trace[0].note, entry_line=f.trace[0].line)
            node = root
            node.under.append(index[id(f)])
            for key, line, note in rest:
                child = next((c for c in node.children if (c.path, c.function) == key), None)
                if child is None:
                    child = Node(key[0], key[1], line, note)
                    node.children.append(child)
                node = child
                node.under.append(index[id(f)])
            node.here.append(index[id(f)])
            if node.measured is None and f.measured is not None:
                node.measured = f.measured
        if root is not None:
            roots.append(root)
    for root in roots:
        _total(root, findings)
    roots.sort(key=_order)
    counter = 0
    stack = list(reversed(roots))
    while stack:  # pre-order, so ids follow the page
        node = stack.pop()
        counter += 1
        node.id = f"n{counter}"
        stack.extend(reversed(node.children))
    return roots


def _total(node: Node, findings: Sequence[Finding]) -> None:
    node.time = sum(findings[i].score for i in node.under)
    for child in node.children:
        _total(child, findings)
    node.children.sort(key=_order)


def _order(node: Node) -> Tuple[float, str, str, int]:
    return (-node.time, node.path, node.function, node.line)


def walk(roots: Sequence[Node]) -> List[Node]:
    """Every node, in page order."""
    out: List[Node] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


def nodes_of(roots: Sequence[Node]) -> Dict[int, List[str]]:
    """Finding index -> the ids of the nodes it is reached through (root first)."""
    out: Dict[int, List[str]] = {}
    for node in walk(roots):
        for i in node.under:
            out.setdefault(i, []).append(node.id)
    return out
