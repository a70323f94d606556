"""The walker's own line counting agrees with libcst's PositionProvider on real code."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from perflint.context import FileContext
from perflint.rule import Rule
from perflint.walker import Dispatch, walk

STDLIB = Path(sysconfig.get_paths()["stdlib"])
FILES = sorted(STDLIB.glob("*.py"))[::6][:40]


class _Every(Rule):
    CODE = "PFL100"

    def visit_Call(self, node):
        self.report(node, "call")

    def visit_Return(self, node):
        self.report(node, "return")


class _Leaves(Rule):
    """Visits a quiet leaf and a trivia type: the walk then enters every node (the slow path)."""

    CODE = "PFL100"

    def visit_Name(self, node):
        self.report(node, "name")

    def visit_Comma(self, node):
        pass

    def visit_Comparison(self, node):
        self.report(node, "comparison")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("rule, kinds", [(_Every, (cst.Call, cst.Return)), (_Leaves, (cst.Name, cst.Comparison))],
                         ids=["fast-path", "every-node"])
def test_lines_match_libcst_positions(path, rule, kinds):
    data = path.read_bytes()
    module = cst.parse_module(data)
    ctx = FileContext(path.name, "m", False, False, data.decode(module.encoding))
    walk(module, ctx, Dispatch([rule()]))
    summary = ctx.finish(module)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    expected = sorted(positions[n].start.line for n in positions if type(n) in kinds)
    got = sorted(c.line for c in summary.candidates)
    assert got == expected


def test_loops_exclude_iterables_evaluated_once():
    from perflint.testing import lint_sources

    src = (
        "import os\n"
        "def f(fds, conn):\n"
        "    for fd in [os.fsync(x) for x in fds]:\n"  # the outer iterable runs once
        "        pass\n"
        "    for row in conn.execute('SELECT 1'):\n"
        "        os.fsync(row)\n"
    )
    findings = lint_sources({"m.py": src}, select=("PFL402",))
    lines = sorted(f.line for f in findings)
    # line 3: inside the comprehension (per item); line 6: in the for body
    assert lines == [3, 6]
