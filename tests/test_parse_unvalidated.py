"""analyze.parse_unvalidated: libcst's parse without its per-node checks, and only there."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst._nodes.base import CSTNode

from perflint.analyze import parse_unvalidated


def test_the_same_tree_as_a_validated_parse() -> None:
    source = Path(cst.__file__).with_name("_nodes").joinpath("expression.py").read_bytes()
    tree = parse_unvalidated(source)
    assert tree.code.encode(tree.encoding) == source
    assert tree.deep_equals(cst.parse_module(source))


def test_checks_stay_on_outside_the_parse() -> None:
    hook = CSTNode.__dict__["__post_init__"]
    parse_unvalidated(b"x = 1\n")
    with pytest.raises(cst.ParserSyntaxError):
        parse_unvalidated(b"def (:\n")
    # the class is not changed per parse (each change gives every node class a new version)
    assert CSTNode.__dict__["__post_init__"] is hook
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")  # a tree built by hand is still checked


def test_valid_code_libcst_checks_reject_is_analysed() -> None:
    # libcst's check of an `if`-expression's spacing fails on this valid line (Instagram/LibCST#1061)
    source = b"() if 0 else(lambda:())\n"
    assert parse_unvalidated(source).code.encode() == source


def test_quick_inits_build_what_the_dataclass_inits_build() -> None:
    import dataclasses

    from perflint.analyze import DATACLASS_INITS, _FACTORY

    assert cst.Name.__init__ is not DATACLASS_INITS[cst.Name]  # the parse's commonest nodes are covered
    assert len(DATACLASS_INITS) > 150
    source = Path(cst.__file__).with_name("_nodes").joinpath("statement.py").read_bytes()
    seen = set()
    pending = [parse_unvalidated(source)]
    while pending:
        node = pending.pop()
        pending.extend(node.children)
        node_type = type(node)
        if node_type not in DATACLASS_INITS:
            continue
        fields = {f.name: getattr(node, f.name) for f in dataclasses.fields(node)}
        ours, theirs = object.__new__(node_type), object.__new__(node_type)
        node_type.__init__(ours, **fields)
        DATACLASS_INITS[node_type](theirs, **fields)
        assert all(getattr(ours, name) is getattr(theirs, name) for name in fields)
        if node_type not in seen:  # defaults and default factories, once per type
            seen.add(node_type)
            ours_defaults = node_type.__init__.__defaults__ or ()
            theirs_defaults = DATACLASS_INITS[node_type].__defaults__ or ()
            assert len(ours_defaults) == len(theirs_defaults)
            for mine, dataclass_default in zip(ours_defaults, theirs_defaults):
                assert mine is dataclass_default or (mine is _FACTORY and repr(dataclass_default) == "<factory>")
    assert len(seen) > 40
    # positional arguments and defaults, and the checks outside the parse
    assert cst.Name("x").deep_equals(cst.Name(value="x", lpar=(), rpar=()))
    assert cst.Call(cst.Name("f")).whitespace_after_func.deep_equals(cst.SimpleWhitespace(""))
    with pytest.raises(cst.CSTValidationError):
        cst.Name("x", lpar=[cst.LeftParen()])


def test_string_values_are_kept_per_text() -> None:
    import ast

    from perflint.analyze import _string_value

    for text in ('"a"', "b'\\x00'", "'''x\ny'''", 'r"\\d"', '"\\N{BULLET}"', 'u"é"'):
        node = cst.parse_expression(text)
        assert node.evaluated_value == ast.literal_eval(text)
        assert type(node.evaluated_value) is type(ast.literal_eval(text))
    before = _string_value.cache_info().hits
    assert cst.parse_expression('"a"').evaluated_value == "a"
    assert _string_value.cache_info().hits == before + 1
    assert cst.parse_expression('"a" "b"').evaluated_value == "ab"  # ConcatenatedString reads its parts
