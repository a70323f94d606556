"""The atomic-replacement idiom: write a temporary (lock) file, sync it, rename it over the target.

The sync there is the durability contract of one whole-file write, not a sync per statement:
moving it out of the function, or weakening it, would let a crash leave a renamed but empty
file. If a caller replaces the same file once per item, the waste is the whole rewrite per
item, and the fix is to write the file once after the loop. That is not a sync that could
be batched in place, so PFL401 and PFL402 leave it alone.
"""

from __future__ import annotations

import libcst as cst

from perflint.context import FileContext
from perflint.ruleutil import enclosing_function
from perflint.nodes import iter_children

# Calls that move a finished file over its target atomically.
RENAME_CALLS = frozenset({"os.replace", "os.rename", "os.renames", "shutil.move"})


def syncs_a_replacement(ctx: FileContext, sync: cst.Call) -> bool:
    """Whether the sync being visited is the one of an atomic replacement: no loop of its
    own function repeats it, and that function renames a file after it.

    A sync inside a local loop followed by one rename after the loop (a flush and sync per
    written line, then the rename) is still a sync per item: only the last one is needed. A
    sync followed by a rename in the same pass of the innermost loop is one atomic replacement
    per file (Mailman's recovery of each queue file: every file must reach the disk before
    its own rename, labelled FALSE in run 11).
    """
    if ctx.loops:
        root = ctx.loop_nodes[-1] if ctx.loop_nodes else None
        if root is None or type(root) not in (cst.For, cst.While):
            return False
        body = root.body  # type: ignore[attr-defined]
    else:
        fn = enclosing_function(ctx)
        if fn is None:
            return False
        body = fn.body
    seen_sync = False
    stack = [body]
    while stack:  # pre-order, in source order: a rename counts only after the sync
        node = stack.pop()
        if node is sync:
            seen_sync = True
            continue
        node_type = type(node)
        if node_type in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
            continue
        if seen_sync and node_type is cst.Call and _renames(ctx, node):  # type: ignore[arg-type]
            return True
        stack.extend(reversed(list(iter_children(node))))
    return False


def _renames(ctx: FileContext, call: cst.Call) -> bool:
    """`os.replace(a, b)` and friends, `path.replace(target)` / `path.rename(target)` on a
    pathlib path (one argument: `str.replace` takes two), or a helper named for renaming."""
    if ctx.resolve(call.func) in RENAME_CALLS:
        return True
    func = call.func
    name = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else ""
    if type(func) is cst.Attribute and name in ("replace", "rename"):
        return len([a for a in call.args if a.keyword is None]) == 1
    return "rename" in name.lower()
