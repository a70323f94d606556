"""Session twenty-one, clone family: pygrok's grok_match (garyelephant/pygrok, bench/realbugs.toml)
deep-copied the module's dict of predefined patterns on every call, one call per log line. The
function also loads that dict lazily on its first call under a `global` statement, and PFL101
took every name a function assigns for a local, so the copy of the shared dict was not seen.
A name a function declares `global` is the module's, whatever the function assigns to it. The
first test fails on the code before the change."""

from __future__ import annotations

from conftest import rule_findings


def seen(source: str):
    return [(f.line, f.severity, f.message) for f in rule_findings({"m.py": source}, "PFL101") if f.path == "m.py"]


LAZY = '''
import copy
import os

PATTERNS = {}


def load_patterns():
    out = {}
    for name in os.listdir("patterns"):
        out[name] = name
    return out


def grok_match(text, pattern, custom_patterns=None):
    global PATTERNS
    if not PATTERNS:
        PATTERNS = load_patterns()
    all_patterns = copy.deepcopy(PATTERNS)
    if custom_patterns:
        all_patterns.update(custom_patterns)
    return all_patterns.get(pattern)
'''


def test_copy_of_a_module_table_the_function_loads_under_global_is_reported():
    assert seen(LAZY) == [(19, "note", "copy.deepcopy() of module-level 'PATTERNS' on every call: "
                                       "the structure is cloned each time this runs")]


def test_fixed_copy_only_when_custom_patterns_are_merged_is_quiet():
    fixed = LAZY.replace("    all_patterns = copy.deepcopy(PATTERNS)\n    if custom_patterns:\n"
                         "        all_patterns.update(custom_patterns)\n",
                         "    all_patterns = PATTERNS\n    if custom_patterns:\n"
                         "        all_patterns = dict(PATTERNS, **custom_patterns)\n")
    assert fixed != LAZY
    assert seen(fixed) == []


def test_a_local_of_the_same_name_without_global_is_quiet():
    # without the declaration the name is the function's own local, built on this call
    near = LAZY.replace("    global PATTERNS\n    if not PATTERNS:\n        PATTERNS = load_patterns()\n",
                        "    PATTERNS = load_patterns()\n")
    assert near != LAZY
    assert seen(near) == []
