"""The atomic-replacement idiom: write a temporary (lock) file, sync it, rename it over the target;
and its cousin for a database, a commit before the file it loaded is removed.

The sync there is the durability contract of one whole-file write, not a sync per statement:
moving it out of the function, or weakening it, would let a crash leave a renamed but empty
file. If a caller replaces the same file once per item, the waste is the whole rewrite per
item, and the fix is to write the file once after the loop. That is not a sync that could
be batched in place, so PFL401 and PFL402 leave it alone.
"""

from __future__ import annotations

from typing import Callable, Set

import libcst as cst

from perflint.context import FileContext, dotted_text
from perflint.ruleutil import enclosing_function, names_in
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
    return _later_in_pass(ctx, sync, lambda call: _renames(ctx, call))


def commits_before_consuming(ctx: FileContext, commit: cst.Call) -> bool:
    """Whether, after the commit being visited, the same pass deletes or moves away the file it
    was handed (`os.remove(path)`, `path.unlink()`, `shutil.move(path, done)`, with `path` the
    innermost loop's item or, outside a loop, a parameter of the function).

    A consumer of a spool directory commits what one file holds, then removes the file: the
    rows must be durable before their source is gone, or a crash later in the loop loses them
    (Indico's resend of failed e-mails, labelled FALSE in session 29). One commit after the
    loop would delete every file but the last before its rows are safe.
    """
    if ctx.loops:
        loop = ctx.loop_nodes[-1] if ctx.loop_nodes else None
        target = getattr(loop, "target", None)
        given = names_in(target) if target is not None else set()
    else:
        fn = enclosing_function(ctx)
        given = {p.name.value for p in (*fn.params.posonly_params, *fn.params.params)} if fn is not None else set()
        given -= {"self", "cls"}  # the object's own files are no input of the call
    return bool(given) and _later_in_pass(ctx, commit, lambda call: _consumes(ctx, call, given))


def _later_in_pass(ctx: FileContext, site: cst.Call, found: Callable[[cst.Call], bool]) -> bool:
    """Whether a call `found` accepts comes after `site` in the same pass: the body of the
    innermost `for`/`while` loop around it, or its function's body when no loop repeats it."""
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
    seen = False
    stack = [body]
    while stack:  # pre-order, in source order: a call counts only after the site
        node = stack.pop()
        if node is site:
            seen = True
            continue
        node_type = type(node)
        if node_type in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
            continue
        if seen and node_type is cst.Call and found(node):  # type: ignore[arg-type]
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


# Calls that delete a file.
REMOVE_CALLS = frozenset({"os.remove", "os.unlink", "shutil.rmtree"})


def _consumes(ctx: FileContext, call: cst.Call, given: Set[str]) -> bool:
    """A call that deletes or moves away one of the `given` names' files: `os.remove(path)`,
    `shutil.move(path, done)`, `path.unlink()`, `path.rename(done)`."""
    func = call.func
    if type(func) is cst.Attribute and func.attr.value in ("unlink", "rename", "replace") and _root(func.value) in given:
        return func.attr.value == "unlink" or _renames(ctx, call)
    qualified = ctx.resolve(func)
    return (qualified in REMOVE_CALLS or qualified in RENAME_CALLS) and bool(call.args) and _root(call.args[0].value) in given


def _root(expr: cst.BaseExpression) -> str:
    """The name an expression starts from (`path` of `path.name`), or ""."""
    return (dotted_text(expr) or "").partition(".")[0]
