"""A module global filled by an initialiser function on first use (session 30): the call under
`if _X is None:` runs once per process, so what the initialiser does is not repeated per call
(distutils' `split_quoted` calls `_init_regex()` only while `_wordchars_re` is None; its
PFL102 warning under a larger data-bytes was labelled FALSE blind)."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def compiles(src):
    """(line, times per unit of work, context) of each PFL102 finding."""
    return [(f.line, f.frequency, f.context)
            for f in lint_sources({"m.py": src}, select=("PFL102",), config=Config(min_severity="note"))
            if f.rule == "PFL102"]


REPEATED = "in _init; reached per iteration of a for loop in split_all"


def program(guard, init):
    return f'''
import re

_word_re = None
{init}

def split(s):
{guard}
    return _word_re.findall(s)

def split_all(lines):
    for line in lines:
        for part in line.split(";"):
            split(part)
'''


INIT = '''def _init():
    global _word_re
    _word_re = re.compile(r"[a-z]+")'''


def test_the_compile_repeated_per_call_is_reported():
    assert compiles(program("    _init()", INIT)) == [(7, 1000.0, REPEATED)]


def test_an_initialiser_called_on_one_line_under_its_global_test_runs_once():
    assert compiles(program("    if _word_re is None: _init()", INIT)) == []


def test_an_initialiser_called_in_a_block_under_its_global_test_runs_once():
    assert compiles(program("    if _word_re is None:\n        _init()", INIT)) == []


def test_a_one_line_fill_of_the_global_itself_runs_once():
    src = program("    global _word_re\n    if _word_re is None: _word_re = re.compile(r'[a-z]+')", "")
    assert compiles(src) == [(9, 1.0, "in split; reached per iteration of a for loop in split_all; "
                                      "runs once, when _word_re is first needed")]


def test_near_miss_a_function_that_does_not_set_the_tested_global_stays_reported():
    init = '''def _init():
    global _other_re
    _other_re = re.compile(r"[a-z]+")'''
    assert compiles(program("    if _word_re is None: _init()", init)) == [(7, 1000.0, REPEATED)]


def test_near_miss_a_global_declared_but_only_read_stays_reported():
    init = '''def _init():
    global _word_re
    return re.compile(r"[a-z]+")'''
    assert compiles(program("    if _word_re is None: _init()", init)) == [(7, 1000.0, REPEATED)]
