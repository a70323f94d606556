"""PFL307 fixed-answer-per-call and PFL308 constant-table-per-call: lines, messages, costs, severities."""

from __future__ import annotations

import pytest

from perflint.testing import lint_sources


def found(src, config, files=None):
    sources = files or {"m.py": src}
    return [f for f in lint_sources(sources, select=("PFL307",), config=config) if f.rule == "PFL307"]


SIGNATURE = ("import inspect\n"
             "def takes_data(factory):\n"
             "    return len(inspect.signature(factory).parameters) == 1\n")


def test_signature_per_item_of_a_loop_is_costed_as_a_signature_but_stays_a_note(round_config):
    src = SIGNATURE + "def build(fs, data):\n    return [f(data) if takes_data(f) else f() for f in fs]\n"
    (f,) = found(src, round_config)
    # 20 us x 100 = 2 ms, but introspection is low confidence: loops at definition time overshoot
    assert (f.line, f.severity, f.frequency, f.confidence) == (3, "note", 100.0, "low")
    assert f.cost == pytest.approx(2e-5)  # inspect-signature, per execution
    assert f.message == ("inspect.signature() re-inspects the callable on every call of takes_data(); "
                         "a callable's parameters do not change after it is defined")


def test_signature_with_no_repetition_is_a_note(round_config):
    (f,) = found(SIGNATURE, round_config)
    assert f.severity == "note"


@pytest.mark.parametrize("src", [
    # lru_cache'd
    "import functools, inspect\n@functools.lru_cache(maxsize=None)\ndef arity(fn):\n"
    "    return len(inspect.signature(fn).parameters)\n",
    # a hand-written memo guard
    "import inspect\n_SIGS = {}\ndef sig(fn):\n    if fn in _SIGS:\n        return _SIGS[fn]\n"
    "    _SIGS[fn] = s = inspect.signature(fn)\n    return s\n",
    # module level
    "import inspect\ndef f(a):\n    return a\nPARAMS = inspect.signature(f).parameters\n",
])
def test_memoised_or_once_is_not_reported(src, round_config):
    assert found(src, round_config) == []


def test_stat_of_package_data_through_a_resolver_is_costed_as_a_stat(round_config):
    src = ("import os\n"
           "_dirname = os.path.join(os.path.dirname(__file__), 'locale-data')\n"
           "def resolve(name):\n    return os.path.join(_dirname, name + '.dat')\n"
           "def exists(name):\n    return os.path.exists(resolve(name))\n"
           "def parse_all(names):\n    for n in names:\n        for m in n.split():\n            exists(m)\n")
    (f,) = found(src, round_config)
    assert (f.line, f.frequency) == (6, 1000.0)
    assert f.cost == pytest.approx(2e-6)  # stat-path
    assert (f.severity, f.confidence) == ("warning", "medium")  # 2 us x 1000 x 0.5 = 1 ms
    assert f.message.startswith("os.path.exists() stats a file of the package's own folder on every call of exists()")


def test_pinned_severity_promotes_introspection(round_config):
    from dataclasses import replace

    from perflint.config import RuleSettings

    config = replace(round_config, rules={"PFL307": RuleSettings(severity="warning")})
    (f,) = found(SIGNATURE, config)
    assert f.severity == "warning"


def test_stat_through_a_self_attribute_and_a_local(round_config):
    src = ("import os\n"
           "class Store:\n"
           "    def __init__(self):\n"
           "        self.root = os.path.join(os.path.dirname(__file__), 'data')\n"
           "    def has(self, name):\n"
           "        path = os.path.join(self.root, name)\n"
           "        return os.path.isfile(path)\n")
    (f,) = found(src, round_config)
    assert f.line == 7


@pytest.mark.parametrize("src", [
    # a user's file
    "import os\ndef load(paths):\n    return [p for p in paths if os.path.exists(p)]\n",
    # a local of the same name in another function is not a package path
    "import os\ndef a():\n    path = os.path.dirname(__file__)\n    return path\n"
    "def b(path):\n    return os.path.exists(path)\n",
    # another module's file: `getfile()` returns `module.__file__` of whatever it is given
    "import os\ndef getfile(module):\n    return module.__file__\n"
    "def source(obj):\n    filename = getfile(obj)\n    return os.path.exists(filename)\n",
    # a function that creates what it checks for: the answer changes
    "import os\nCACHE = os.path.join(os.path.dirname(__file__), 'cache')\ndef ensure(names):\n"
    "    for n in names:\n        p = os.path.join(CACHE, n)\n        if not os.path.exists(p):\n"
    "            os.makedirs(p)\n",
    # a package path stat'ed once at import
    "import os\nHERE = os.path.dirname(__file__)\nHAS_DATA = os.path.isdir(os.path.join(HERE, 'data'))\n",
])
def test_other_stats_are_not_reported(src, round_config):
    assert found(src, round_config) == []


# -- PFL308 constant-table-per-call -----------------------------------------------------------
def table(n, indent="    "):
    return "{" + ", ".join(f"'k{i}': 'name {i}'" for i in range(n)) + "}"


def found308(src, config):
    return [f for f in lint_sources({"m.py": src}, select=("PFL308",), config=config) if f.rule == "PFL308"]


def test_table_per_call_is_costed_per_entry(round_config):
    src = (f"def arch(k):\n    names = {table(200)}\n    return names.get(k, '?')\n"
           "def relocate(rows, keys):\n    for row in rows:\n        for k in keys:\n            arch(k)\n")
    (f,) = found308(src, round_config)
    assert (f.line, f.frequency, f.severity) == (2, 1000.0, "error")
    assert f.cost == pytest.approx(200 * 1e-7)  # constant-table-element x 200 entries
    assert f.message == "arch() builds the 200-entry table names on every call to look entries up; it never changes"


def test_table_indexed_in_place_with_no_loop_is_a_note(round_config):
    (f,) = found308(f"def code(k):\n    return {table(20)}[k]\n", round_config)
    assert f.severity == "note"
    assert f.message.startswith("code() builds a 20-entry constant table")


@pytest.mark.parametrize("src", [
    f"def fresh():\n    return {table(20)}\n",  # returned: the caller owns it
    f"def merged(extra):\n    t = {table(20)}\n    t.update(extra)\n    return t['k1']\n",  # changed
    f"def stored(self):\n    t = {table(20)}\n    self.t = t\n",  # kept elsewhere
    f"def rebound(k):\n    t = {table(20)}\n    t = dict(t)\n    return t[k]\n",  # bound twice
    f"def computed(x):\n    return {{'a': x, {table(20)[1:]}.get('a')\n",  # a computed value
    f"def small(k):\n    return {table(15)}[k]\n",  # under 16 entries
    f"import functools\n@functools.lru_cache(maxsize=None)\ndef cached(k):\n    return {table(20)}[k]\n",
])
def test_tables_that_escape_or_are_small_or_memoised_are_not_reported(src, round_config):
    assert found308(src, round_config) == []


# -- PFL309 stored-object-rewritten -----------------------------------------------------------
WRITE_FIRST = ("import hashlib, os, tempfile\n"
               "def write_object(root, chunks):\n"
               "    sha = hashlib.sha256()\n"
               "    with tempfile.NamedTemporaryFile(dir=root, mode='wb', delete=False) as f:\n"
               "        for chunk in chunks:\n"
               "            sha.update(chunk)\n"
               "            f.write(chunk)\n"
               "    path = os.path.join(root, sha.hexdigest()[:2], sha.hexdigest())\n"
               "    if os.path.exists(path):\n"
               "        os.remove(f.name)\n"
               "    else:\n"
               "        os.rename(f.name, path)\n"
               "    return sha.hexdigest()\n")


def found309(src, config):
    return [f for f in lint_sources({"m.py": src}, select=("PFL309",), config=config) if f.rule == "PFL309"]


def test_write_before_the_check_per_item_is_an_error(round_config):
    src = WRITE_FIRST + "def status(root, files):\n    return [write_object(root, [f.read()]) for f in files]\n"
    (f,) = found309(src, round_config)
    assert (f.line, f.frequency, f.severity) == (4, 100.0, "error")  # 200 us x 100 = 20 ms
    assert f.cost == pytest.approx(2e-4)  # temp-file-write
    assert f.message == ("write_object() writes the content to a file before asking whether an object of its "
                         "hash is already stored; storing unchanged content writes it again every time")


def test_a_move_with_no_check_at_all_is_reported(round_config):
    src = ("import hashlib, os\n"
           "def put(root, data):\n"
           "    key = hashlib.sha1(data).hexdigest()\n"
           "    with open(os.path.join(root, 'tmp'), 'wb') as f:\n"
           "        f.write(data)\n"
           "    os.replace(os.path.join(root, 'tmp'), os.path.join(root, key))\n")
    (f,) = found309(src, round_config)
    assert (f.line, f.severity) == (4, "note")  # no loop: once


@pytest.mark.parametrize("src", [
    # checked first
    "import hashlib, os, tempfile\ndef put(root, data):\n"
    "    path = os.path.join(root, hashlib.sha256(data).hexdigest())\n"
    "    if os.path.isfile(path):\n        return\n"
    "    with tempfile.NamedTemporaryFile(dir=root, delete=False) as f:\n        f.write(data)\n"
    "    os.replace(f.name, path)\n",
    # an atomic save under a name that is not a digest
    "import os, tempfile\ndef save(path, data):\n"
    "    with tempfile.NamedTemporaryFile(dir=os.path.dirname(path), delete=False) as f:\n        f.write(data)\n"
    "    os.replace(f.name, path)\n",
    # a digest written into the file, the file moved to a fixed name
    "import hashlib, os\ndef save(path, data):\n    with open(path + '.tmp', 'w') as f:\n"
    "        f.write(hashlib.md5(data).hexdigest())\n    os.replace(path + '.tmp', path)\n",
    # read, not written
    "import hashlib, os, shutil\ndef load(root, data):\n    key = hashlib.sha1(data).hexdigest()\n"
    "    with open(os.path.join(root, key), 'rb') as f:\n        return f.read()\n",
])
def test_checked_or_not_content_addressed_is_not_reported(src, round_config):
    assert found309(src, round_config) == []


# -- PFL310 ancestor-rendered-per-step --------------------------------------------------------
def found310(src, config):
    return [f for f in lint_sources({"m.py": src}, select=("PFL310",), config=config) if f.rule == "PFL310"]


def test_render_per_step_up_is_costed_per_node_of_the_subtree(round_config):
    src = ("def context(leaf, line):\n"
           "    ctx = leaf\n"
           "    while str(ctx) in line:\n"
           "        if ctx.parent is None:\n"
           "            break\n"
           "        ctx = ctx.parent\n"
           "    return ctx\n")
    (f,) = found310(src, round_config)
    assert (f.line, f.frequency) == (3, 10.0)  # a walk up the tree: one step per level, at most 10
    assert f.cost == pytest.approx(100 * 1e-6)  # render-node-element x 100 nodes (size unknown)
    assert f.severity == "warning"  # 100 us x 10 = 1 ms
    assert f.message.startswith("renders ctx to text at each step up its ancestors")


def test_method_render_of_getparent_walk(round_config):
    src = ("def texts(el, out):\n"
           "    while el is not None:\n"
           "        out.append(el.astext())\n"
           "        el = el.getparent()\n")
    (f,) = found310(src, round_config)
    assert f.line == 3


@pytest.mark.parametrize("src", [
    # renders another node, not the one moving up
    "def f(leaf, line):\n    n = leaf\n    while n.parent:\n        line.append(str(leaf))\n        n = n.parent\n",
    # walks down
    "def f(node, out):\n    while node.children:\n        out.append(str(node))\n        node = node.children[0]\n",
    # moves up by something else than its own parent
    "def f(a, b, out):\n    while a:\n        out.append(str(a))\n        a = b.parent\n",
])
def test_other_walks_are_not_reported(src, round_config):
    assert found310(src, round_config) == []
