"""Recall, rebuild family (the tenth session): what a user sees for the shapes of
coverage.py's canonical_filename (a memo filled under a rebound key, behind a no-op decorator
factory) and astroid's _has_init (a package-marker probe per extension). Each test fails on
the code before its change."""

from __future__ import annotations

import pytest

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, code, files=None):
    sources = dict(files or {})
    sources["m.py"] = src
    return [f for f in lint_sources(sources, select=(code,), config=Config(min_severity="note"))
            if f.rule == code and f.path == "m.py"]


def seen(src, code, files=None):
    return [(f.line, f.severity) for f in found(src, code, files)]


# -- PFL312 memo-key-rebound --------------------------------------------------------------
REBOUND = '''import os
import sys

CACHE = {}

def canonical(filename):
    if filename not in CACHE:
        if not os.path.isabs(filename):
            for path in [os.curdir] + sys.path:
                f = os.path.join(path, filename)
                if os.path.exists(f):
                    filename = f
                    break
        CACHE[filename] = os.path.abspath(filename)
    return CACHE[filename]

def map_all(files):
    for group in files:
        for name in group.names:
            canonical(name)
'''


def test_pfl312_a_cache_filled_under_a_rebound_key_repeats_its_probes():
    # The entry goes in under the found path, so a relative name misses every time and
    # stats the whole search path again: 1.16 us x 1,000 calls per unit of work.
    (f,) = found(REBOUND, "PFL312")
    assert (f.line, f.severity, f.frequency) == (11, "warning", 1000.0)
    assert f.message.startswith("os.path.exists() runs again on every call with the same filename: CACHE is "
                                "filled under filename after this block rebinds it")


def test_pfl312_keyed_by_the_name_asked_for_is_a_cache_miss():
    fixed = REBOUND.replace("                    filename = f\n", "                    found = f\n") \
        .replace("        if not os.path.isabs(filename):\n", "        found = filename\n        if not os.path.isabs(filename):\n") \
        .replace("CACHE[filename] = os.path.abspath(filename)", "CACHE[filename] = os.path.abspath(found)")
    assert "filename = f\n" not in fixed and "CACHE[filename] = os.path.abspath(found)" in fixed
    assert seen(REBOUND, "PFL312") == [(11, "warning")]
    assert seen(fixed, "PFL312") == []


@pytest.mark.parametrize("src", [
    # rebound only after the store: the entry is under the key tested
    "import os\nCACHE = {}\ndef canonical(name):\n    if name not in CACHE:\n"
    "        CACHE[name] = os.path.exists(name)\n        name = name.lower()\n    return name\n"
    "def run(rows):\n    for r in rows:\n        canonical(r)\n",
    # rebound, but stored under another name: nothing the test misses
    "import os\nCACHE = {}\ndef canonical(name):\n    if name not in CACHE:\n"
    "        key = name\n        name = name.lower()\n        CACHE[key] = os.path.exists(name)\n    return CACHE[key]\n",
    # memoised anyway
    "import functools, os\nCACHE = {}\n@functools.lru_cache(maxsize=None)\ndef canonical(name):\n"
    "    if name not in CACHE:\n        name = name.lower()\n        CACHE[name] = os.path.exists(name)\n    return CACHE[name]\n",
])
def test_pfl312_near_misses_are_quiet(src):
    assert seen(REBOUND, "PFL312") == [(11, "warning")]  # the shape they differ from
    assert seen(src, "PFL312") == []


def test_a_rebound_key_block_is_not_cold_for_other_rules():
    # The block is the work of every call: PFL307's stat of the package's own file in it is
    # counted at the function's frequency (before, "runs on a cache miss only": x1, as the
    # same block without the rebinding still is).
    src = ("import os\nHERE = os.path.dirname(__file__)\nCACHE = {}\n"
           "def data(name):\n"
           "    if name not in CACHE:\n"
           "        name = name.lower()\n"
           "        CACHE[name] = os.path.exists(os.path.join(HERE, name))\n"
           "    return CACHE[name]\n"
           "def run(rows):\n    for r in rows:\n        data(r)\n")
    assert [(f.line, f.frequency) for f in found(src, "PFL307")] == [(7, 100.0)]
    plain = src.replace("        name = name.lower()\n", "")
    assert [(f.line, f.frequency) for f in found(plain, "PFL307")] == [(6, 1.0)]  # a real cache miss: once


# -- a decorator factory that hands the function back ---------------------------------------
FACTORY = '''from importlib.metadata import entry_points

def dummy_decorator_with_args(*args_unused, **kwargs_unused):
    def _decorator(func):
        return func
    return _decorator

contract = dummy_decorator_with_args

@contract(a=1)
def one(x):
    return x

@contract(b=2)
def two(x):
    return x

@contract(c=3)
def three(x):
    return x

@contract(d=4)
def four(x):
    return x

@contract(returns="unicode")
def plugins(group):
    return entry_points(group=group)

def load_all(groups):
    for g in groups:
        plugins(g)
'''


def test_a_function_behind_a_no_op_decorator_factory_is_called_where_it_is_called():
    # Five functions go through the same `_decorator`: its return value merged over all of
    # them said nothing, so `plugins(g)` reached no function and its scan ran "once".
    assert seen(FACTORY, "PFL304") == [(28, "error")]


def test_a_decorator_that_replaces_the_function_still_hides_it():
    assert seen(FACTORY, "PFL304") == [(28, "error")]  # the shape it differs from
    replaced = FACTORY.replace("    def _decorator(func):\n        return func\n",
                               "    def _decorator(func):\n        return lambda *a: None\n")
    assert seen(replaced, "PFL304") == [(28, "note")]


# -- PFL307: a probe for a folder's __init__ module ----------------------------------------
HAS_INIT = '''import os
import sys

if sys.platform.startswith("win"):
    PY_SOURCE_EXTS = ("py", "pyw", "pyi")
else:
    PY_SOURCE_EXTS = ("py", "pyi")

def has_init(directory):
    mod_or_pack = os.path.join(directory, "__init__")
    for ext in (*PY_SOURCE_EXTS, "pyc", "pyo"):
        if os.path.exists(mod_or_pack + "." + ext):
            return mod_or_pack + "." + ext
    return None

def resolve(paths):
    for path in paths:
        has_init(path)
'''


def test_pfl307_a_package_marker_probe_per_extension():
    # One stat per extension tried: the platform switch bounds PY_SOURCE_EXTS by its largest
    # literal (3), the display unpacks it and adds two: x5 per call, x100 calls.
    (f,) = found(HAS_INIT, "PFL307")
    assert (f.line, f.severity, f.frequency) == (12, "note", 500.0)
    assert f.message.startswith("os.path.exists() asks whether a folder holds an __init__ module on every call "
                                "of has_init()")


def test_pfl307_a_marker_name_built_apart_from_the_folder_asked_about():
    # Twisted's isPackageDirectory(dirname): `initFile = "__init__" + ext`, then
    # `os.path.exists(os.path.join(dirname, initFile))`, per suffix.
    src = ("import importlib.machinery, os\n"
           "def is_package_directory(dirname):\n"
           "    for ext in importlib.machinery.all_suffixes():\n"
           "        init_file = '__init__' + ext\n"
           "        if os.path.exists(os.path.join(dirname, init_file)):\n"
           "            return init_file\n"
           "    return False\n")
    assert seen(src, "PFL307") == [(5, "note")]
    assert seen(src.replace("dirname, init_file", "'setup', init_file"), "PFL307") == []


@pytest.mark.parametrize("src", [
    # another file of a folder: its answer can change
    HAS_INIT.replace('"__init__"', '"setup"'),
    # a function that creates files: its checks guard its own changes
    HAS_INIT.replace("    return None\n", "    os.makedirs(directory)\n    return None\n"),
    # memoised
    "import functools\n" + HAS_INIT.replace("def has_init", "@functools.lru_cache(maxsize=None)\ndef has_init"),
    # a folder from the configuration, not one the function is asked about (Salt's thin
    # tarball checks each configured dependency while it packs: no memo to key by it)
    "import os\nCONFIG = {}\ndef tops():\n    out = []\n    for mod in CONFIG.get('deps', []):\n"
    "        if os.path.isfile(os.path.join(mod, '__init__.py')):\n            out.append(mod)\n    return out\n"
    "def run(rows):\n    for r in rows:\n        tops()\n",
])
def test_pfl307_package_marker_near_misses_are_quiet(src):
    assert seen(HAS_INIT, "PFL307") == [(12, "note")]  # the shape they differ from
    assert seen(src, "PFL307") == []


def test_a_constant_only_one_branch_bounds_stays_unknown():
    # A name a branch assigns from something that is not a literal bounds nothing.
    src = HAS_INIT.replace('    PY_SOURCE_EXTS = ("py", "pyi")\n', "    PY_SOURCE_EXTS = tuple(os.environ)\n")
    (f,) = found(src, "PFL307")
    assert f.frequency == 1000.0  # the extension loop is an unknown loop inside the caller's


# -- a call of a parameter that every call site binds to one function ------------------------
CALLBACK = '''from importlib.metadata import entry_points

def walk(names, check):
    for name in names:
        check(name)

def plugins(part):
    return entry_points(group=part)

def check_parts(parts):
    for part in parts:
        plugins(part)

def resolve(names):
    return walk(names, check_parts)
'''


def test_a_parameter_every_caller_binds_to_one_function_is_a_sure_call():
    # walk() calls `check` per name, and the only function any call binds it to is
    # check_parts: nothing is merged, so the scan runs per part per name (x100 x10), not
    # "counted from check_parts" (x100) as if walk's call were a guess (astroid's
    # modpath_from_file_with_callback calling check_modpath_has_init).
    (f,) = found(CALLBACK, "PFL304")
    assert (f.line, f.severity, f.frequency, f.confidence) == (8, "error", 1000.0, "high")


def test_a_parameter_bound_to_two_functions_stays_a_guess():
    assert [(f.line, f.frequency) for f in found(CALLBACK, "PFL304")] == [(8, 1000.0)]
    two = CALLBACK + "\ndef other(parts):\n    return len(parts)\n\ndef count(names):\n    return walk(names, other)\n"
    # counted from check_parts, the callee of the guess: its own loop x100
    assert [(f.line, f.frequency) for f in found(two, "PFL304")] == [(8, 100.0)]
