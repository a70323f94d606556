"""PFL102's grammar shape: a module-level grammar parser run on a function's text parameter,
and the calls that format text for a function (the evidence that its texts recur)."""

from __future__ import annotations

import builtins
import re
from typing import Optional, Set

import libcst as cst

from perflint.values import dotted_parts

# A parser of a small language built once at import: lark's `Lark(...)`/`Lark.open(...)`, a
# project's `Parser(GRAMMAR, "lalr")` wrapper, a `Grammar(...)`.
_GRAMMAR_CLASS = re.compile(r"(Lark|Parser|Grammar)$")
PARSE_METHODS = frozenset({"parse", "parse_string", "parseString"})
# The effect a function gets for calling `name(<text formatted from parts>)`; phase 2's
# `text-formatted-by-caller` condition looks for it on the callers of the parsing function.
FORMATS_TEXT_FOR = "formats-text-for:"
_BUILTINS = frozenset(dir(builtins)) | {"_", "gettext", "ngettext"}
# A parameter that names a file to read, not the text: `parser.parse(path)` reads the file,
# whose content may change between calls, so keeping the result by the name would be wrong.
_FILE_PARAM = re.compile(r"(^|_)(path|file|filename|fname|fp|fh|stream|url|uri|dir|location)$", re.I)


def module_grammar_parsers(module: cst.Module) -> Set[str]:
    """Top-level names bound to a grammar parser object: `_parser = Parser(GRAMMAR, "lalr")`,
    `parser = Lark(text)`, `P = lark.Lark.open(path)`."""
    out: Set[str] = set()
    for stmt in module.body:
        if type(stmt) is not cst.SimpleStatementLine:
            continue
        for small in stmt.body:
            if type(small) is cst.Assign and len(small.targets) == 1 and type(small.targets[0].target) is cst.Name \
                    and type(small.value) is cst.Call and _grammar_class(small.value.func):
                out.add(small.targets[0].target.value)  # type: ignore[attr-defined]
    return out


def _grammar_class(func: cst.BaseExpression) -> bool:
    # `Parser(...)`, `lark.Lark(...)`, `Lark.open(...)`: the class is the last capitalised part
    cls = next((n for n in reversed(dotted_parts(func) or ()) if n[:1].isupper()), None)
    return cls is not None and bool(_GRAMMAR_CLASS.search(cls))


def grammar_parse_of_parameter(node: cst.Call, parsers: Set[str], params) -> Optional[str]:
    """`_parser.parse(text)` with `_parser` a module-level grammar parser and `text` a
    parameter: the receiver's name, else None."""
    func = node.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in PARSE_METHODS and isinstance(func.value, cst.Name)
            and func.value.value in parsers and node.args and node.args[0].keyword is None):
        return None
    arg = node.args[0].value
    if not isinstance(arg, cst.Name) or arg.value not in params or _FILE_PARAM.search(arg.value):
        return None
    return func.value.value


def text_formatted_for(node: cst.Call) -> Optional[str]:
    """The name of the function `node` calls with text formatted from parts as its first
    argument (`parse_marker(f"{name} {op} '{value}'")`), None otherwise or for a builtin."""
    func = node.func
    if type(func) is not cst.Name or func.value in _BUILTINS or not func.value[:1].islower():
        return None
    if not node.args or node.args[0].keyword is not None or node.args[0].star:
        return None
    return func.value if formatted_text(node.args[0].value) else None


def formatted_text(expr: cst.BaseExpression) -> bool:
    """An f-string with a placeholder, `"..." % x`, `"...".format(x)`, or `"..." + x`."""
    if isinstance(expr, cst.FormattedString):
        return any(isinstance(p, cst.FormattedStringExpression) for p in expr.parts)
    if isinstance(expr, cst.BinaryOperation):
        if isinstance(expr.operator, cst.Modulo):
            return isinstance(expr.left, (cst.SimpleString, cst.ConcatenatedString))
        if isinstance(expr.operator, cst.Add):
            return any(isinstance(side, (cst.SimpleString, cst.FormattedString)) for side in (expr.left, expr.right))
        return False
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "format":
        return isinstance(expr.func.value, (cst.SimpleString, cst.ConcatenatedString))
    return False
