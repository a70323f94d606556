"""Session twenty-one, rebuild family: LEDMatrix's ConfigManager.load_config (bench/realbugs.toml,
ledmatrix-load-config-reparses-per-request) re-opened and re-parsed config.json from
self.config_path into self.config on every call, with no look at the file first, and the
plugin-state reconciliation called it once per inconsistency. PFL302's read form wanted a method
named like a single-item read (get, lookup, ...), so a loader of any other name was never
reported. Now a method of any name that parses a whole file from a path that does not change
between calls (an attribute of self, a constant) into an attribute of self, with no stat, mtime or
size check in it or in a helper it calls, is the read form too (a reload whose result the object
keeps), reported only where the call graph repeats it. The fixed shape (an mtime and size
signature compared first), a loader only the constructor calls, a loader called once per unit of
work and a loader given the path to read are quiet. The first test fails on the code before the
change."""

from __future__ import annotations

from conftest import rule_findings


def seen(source: str):
    return [(f.line, f.severity, f.message) for f in rule_findings({"m.py": source}, "PFL302") if f.path == "m.py"]


MANAGER = '''
import json
import os


class ConfigManager:
    def __init__(self, config_path=None):
        self.config_path = config_path or "config/config.json"
        self.config = {}

    def load_config(self):
        if not os.path.exists(self.config_path):
            raise FileNotFoundError(self.config_path)
        with open(self.config_path) as f:
            self.config = json.load(f)
        return self.config


class Reconciler:
    def __init__(self, manager: ConfigManager):
        self.manager = manager

    def reconcile(self, inconsistencies: list):
        fixed = []
        for item in inconsistencies:
            config = self.manager.load_config()
            fixed.append(config.get(item))
        return fixed
'''

MESSAGE = ("load_config() re-reads and re-parses the whole file self.config_path into self.config on every "
           "call, with no check that the file changed: O(size of the file) per call")


def test_loader_reloaded_per_item_is_reported():
    assert seen(MANAGER) == [(15, "error", MESSAGE)]


def test_other_parsers_and_sources_are_the_read_form_too():
    # a local kept on self afterwards, a constant path read whole, yaml and a ConfigParser
    through_local = MANAGER.replace("            self.config = json.load(f)\n",
                                    "            data = json.load(f)\n        self.config = data\n")
    assert [(s, m) for _, s, m in seen(through_local)] == [("error", MESSAGE)]
    constant = MANAGER.replace("import os\n", "import os\nCONFIG = 'config.json'\n").replace(
        '''        with open(self.config_path) as f:
            self.config = json.load(f)
''', "        self.config = json.loads(open(CONFIG).read())\n")
    assert [(s, m.split(" on every")[0]) for _, s, m in seen(constant)] == [
        ("error", "load_config() re-reads and re-parses the whole file CONFIG into self.config")]
    parser = MANAGER.replace("import json\n", "import configparser\n").replace(
        '''        with open(self.config_path) as f:
            self.config = json.load(f)
''', "        self.config = configparser.ConfigParser()\n        self.config.read(self.config_path)\n")
    assert [s for _, s, _ in seen(parser)] == ["error"]


def test_fixed_manager_comparing_an_mtime_signature_first_is_quiet():
    fixed = MANAGER.replace('''    def load_config(self):
        if not os.path.exists(self.config_path):''', '''    def _signature(self):
        st = os.stat(self.config_path)
        return st.st_mtime_ns, st.st_size

    def load_config(self):
        signature = self._signature()
        if self.config and signature == self._loaded:
            return self.config
        if not os.path.exists(self.config_path):''').replace('''            self.config = json.load(f)
''', '''            self.config = json.load(f)
        self._loaded = signature
''')
    assert "self._signature()" in fixed and "self._loaded = signature" in fixed
    assert seen(fixed) == []


def test_loader_only_the_constructor_calls_is_quiet():
    # a private loader called from __init__ alone runs once per object, even for objects
    # built in a loop: building them is the cost to look at, not a reload
    once = MANAGER.replace('''        self.config = {}

    def load_config(self):''', '''        self.config = {}
        self._load()

    def _load(self):''').replace("            config = self.manager.load_config()\n",
                                 "            config = ConfigManager().config\n")
    assert "self._load()" in once and "ConfigManager().config" in once
    assert seen(once) == []


def test_loader_called_once_per_unit_of_work_is_quiet():
    once = MANAGER.replace('''        fixed = []
        for item in inconsistencies:
            config = self.manager.load_config()
            fixed.append(config.get(item))
''', '''        config = self.manager.load_config()
        fixed = [config.get(item) for item in inconsistencies]
''')
    assert seen(once) == []


def test_loader_given_the_path_to_read_is_quiet():
    # a path parameter that varies: each call may read another file
    varies = MANAGER.replace("    def load_config(self):\n", "    def load_config(self, config_path):\n").replace(
        "open(self.config_path)", "open(config_path)").replace(
        "self.manager.load_config()", "self.manager.load_config(item)")
    assert "open(config_path)" in varies
    assert seen(varies) == []


def test_loader_behind_a_test_of_what_it_fills_is_quiet():
    # `if self.config is None:` (or `if not self.config:`) before the parse: a lazy load, once
    lazy = MANAGER.replace('''        with open(self.config_path) as f:
            self.config = json.load(f)
''', '''        if not self.config:
            with open(self.config_path) as f:
                self.config = json.load(f)
''')
    assert "        if not self.config:\n" in lazy
    assert seen(lazy) == []


def test_loader_that_sets_the_path_first_is_quiet():
    # `self.config_path = ...` in the method itself: the path changes with the call
    rebound = MANAGER.replace("    def load_config(self):\n", "    def load_config(self, name):\n"
                              "        self.config_path = os.path.join('config', name)\n").replace(
        "self.manager.load_config()", "self.manager.load_config(item)")
    assert "self.config_path = os.path.join('config', name)" in rebound
    assert seen(rebound) == []
