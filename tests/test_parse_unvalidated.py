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
