"""PFL310 ancestor-rendered-per-step."""

from __future__ import annotations

from typing import Dict, Optional, Set

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.ruleutil import NESTED_SCOPES, own_nodes

# Attributes (or no-argument methods) that step from a tree node to the node holding it.
_UP = {"parent", "parent_node", "parentNode", "getparent", "get_parent", "enclosing"}
# Calls that render a node's whole subtree to text.
_RENDER_BUILTINS = {"str", "repr"}
_RENDER_METHODS = {
    "render", "to_string", "tostring", "as_string", "dumps", "serialize", "to_source", "unparse", "astext", "get_text",
}


class AncestorRenderedPerStep(Rule):
    """
    A tree node rendered to text at every step of a walk up its ancestors.

    ## What it does
    Flags a loop that walks up a tree (`node = node.parent`, `getparent()`) and renders the
    current node to text on each step: `str(node)`, `repr(node)`, `node.render()`,
    `node.to_string()`, ... Each ancestor's text contains all of the previous one's, so the
    walk renders the same leaves again at every level: quadratic in the size of the subtree
    it climbs out of.

    ## Why is this slow
    Rendering a node visits every node under it and joins their text. Climbing k levels out
    of a subtree of n leaves renders about n leaves per level, and the last levels hold most
    of the tree: on a large literal or a long document, each check re-renders the whole of
    it.

    ## Example
    ```python
    def string_context(leaf, line_text):
        ctx = leaf
        found = []
        while str(ctx) in line_text:
            found.append(ctx)
            if ctx.parent is None:
                break
            ctx = ctx.parent
        return found
    ```

    ## Use instead
    ```python
    def string_context(leaf, line_leaf_ids):
        ctx = leaf
        found = []
        # compare the subtree's first and last leaves with the line's, not its rendered text
        while id(first_leaf(ctx)) in line_leaf_ids and id(last_leaf(ctx)) in line_leaf_ids:
            found.append(ctx)
            if ctx.parent is None:
                break
            ctx = ctx.parent
        return found
    ```

    ## Notes
    Only renders of the variable the loop moves up are reported, not of other nodes. A render
    used as a mapping key (`styles[str(ttype)]`, `.get(str(ttype))`) names the node rather than
    spelling out its subtree, and is not reported. Test code is not reported.
    """

    CODE = "PFL310"
    COST = "render-node-element"  # perflint/calibrate.py SPECS: per node rendered
    NAME = "ancestor-rendered-per-step"
    FAMILY = "rebuild"
    FIX = "compare nodes by identity or by their first and last leaves instead of rendering each ancestor to text"
    TRIGGERS = ("parent",)
    VALID = [
        # Renders the leaf only, not the node the loop moves up.
        "def depth(leaf):\n    n, d, text = leaf, 0, str(leaf)\n    while n.parent is not None:\n"
        "        n = n.parent\n        d += 1\n    return d, text\n",
        # Walks down, not up.
        "def walk(node, out):\n    while node.children:\n        out.append(str(node))\n        node = node.children[0]\n",
        # The text is a key that names the node (pygments' token types), not a rendered subtree.
        "def style_for(ttype, styles):\n    while ttype:\n        try:\n            return styles[str(ttype)]\n"
        "        except KeyError:\n            ttype = ttype.parent\n",
    ]
    INVALID = [
        Invalid(
            "def context(leaf, line):\n"
            "    ctx = leaf\n"
            "    while str(ctx) in line:\n"
            "        if ctx.parent is None:\n"
            "            break\n"
            "        ctx = ctx.parent\n"
            "    return ctx\n",
            line=3,
        ),
        Invalid(
            "def enclosing_text(el):\n"
            "    texts = []\n"
            "    for _ in range(100):\n"
            "        texts.append(el.to_string())\n"
            "        el = el.getparent()\n"
            "    return texts\n",
            line=4,
        ),
    ]

    def visit_While(self, node: cst.While) -> None:
        self._check(node)

    def visit_For(self, node: cst.For) -> None:
        self._check(node)

    def _check(self, loop: cst.CSTNode) -> None:
        fn = self.ctx.function
        if fn is None or self.ctx.is_test:
            return
        climbing = _climbing(loop.body)
        if not climbing:
            return
        parts = [loop.body] + ([loop.test] if isinstance(loop, cst.While) else [])
        for part in parts:
            render = _render_of(part, climbing)
            if render is not None:
                call, name = render
                self._pending[id(call)] = name  # reported when the traversal reaches it, inside the loop
                return

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        self._pending: Dict[int, str] = {}  # id of a render call -> the name the loop moves up

    def visit_Call(self, node: cst.Call) -> None:
        name = self._pending.pop(id(node), None)
        if name is not None:
            self.report(node, f"renders {name} to text at each step up its ancestors; every ancestor's "
                              "text holds the previous one's, so the walk re-renders the same leaves at every level")


def _climbing(body: cst.CSTNode) -> Set[str]:
    """Names the loop body moves to their parent: `n = n.parent`, `n = n.getparent()`."""
    out: Set[str] = set()
    for node in _walk(body):
        # exact types first: libcst's node classes are ABCs, an isinstance per node is slow
        if type(node) is not cst.Assign or len(node.targets) != 1 or type(node.targets[0].target) is not cst.Name:  # type: ignore[attr-defined]
            continue
        name = node.targets[0].target.value
        value = node.value
        if isinstance(value, cst.Call) and not value.args:
            value = value.func
        if (isinstance(value, cst.Attribute) and value.attr.value in _UP
                and isinstance(value.value, cst.Name) and value.value.value == name):
            out.add(name)
    return out


def _render_of(part: cst.CSTNode, names: Set[str]) -> Optional[tuple]:
    """(the call, the name) of a render of a climbing name in `part`. A render used as a key
    (`styles[str(ttype)]`, `styles.get(str(ttype))`) names the node, it does not spell out a
    subtree: pygments' token types are tuples whose text is a dotted name, and the parent's is
    the shorter one (labelled FALSE in run 7)."""
    keys = _lookup_keys(part)
    for node in _walk(part):
        if not isinstance(node, cst.Call) or id(node) in keys:
            continue
        func = node.func
        if (isinstance(func, cst.Name) and func.value in _RENDER_BUILTINS and len(node.args) == 1
                and isinstance(node.args[0].value, cst.Name) and node.args[0].value.value in names):
            return node, node.args[0].value.value
        if (isinstance(func, cst.Attribute) and func.attr.value in _RENDER_METHODS
                and isinstance(func.value, cst.Name) and func.value.value in names):
            return node, func.value.value
    return None


def _lookup_keys(part: cst.CSTNode) -> Set[int]:
    """ids of the expressions used as a mapping key in `part`: `d[key]`, `d.get(key)`."""
    keys: Set[int] = set()
    for node in _walk(part):
        node_type = type(node)
        if node_type is cst.Subscript and len(node.slice) == 1 and type(node.slice[0].slice) is cst.Index:  # type: ignore[attr-defined]
            keys.add(id(node.slice[0].slice.value))  # type: ignore[attr-defined]
        elif node_type is cst.Call and type(node.func) is cst.Attribute and node.func.attr.value in ("get", "pop", "setdefault") \
                and node.args:  # type: ignore[attr-defined]
            keys.add(id(node.args[0].value))  # type: ignore[attr-defined]
    return keys


def _walk(node: cst.CSTNode):
    """Every node under `node`, nested scopes and loops aside (an inner loop is checked on
    its own)."""
    return (n for n, _ in own_nodes(node, NESTED_SCOPES + (cst.For, cst.While)))
