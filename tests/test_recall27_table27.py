"""Session twenty-seven, rebuild family: dbt-bouncer's chained-views check (bench/realbugs.toml
`dbt-bouncer-models-dict-rebuilt-per-model`) built `{m.unique_id: m for m in self.models}` each
time it ran, from an attribute nothing changes, once per model. PFL319 lookup-rebuilt-per-access
reports a dict indexing every element of an attribute of self by a key (or a set over one), built
in a method, only looked up or handed back, from an attribute the whole program binds once per
object, in a method the call graph repeats; priced at index-build-element (49 ns per element) x
the default size (100) x how often the method runs.

The case itself stays a miss (heat 1: the runner's checks come from parsed configuration, the
graph does not reach execute()). The buggy tests fail on the code before the change (no PFL319)."""

from __future__ import annotations

from conftest import rule_findings


def seen(files):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, "PFL319")]


CHECK = '''class Check:
    def __init__(self, models):
        self.models = models

    def model_for(self, uid):
        by_id = {m.unique_id: m for m in self.models}
        return by_id[uid]

    def has_name(self, name):
        return name in {m.name for m in self.models}


def run(models, uids):
    check = Check(models)
    for u in uids:
        for v in uids:
            check.model_for(u)
            check.has_name(v)
'''

BY_ID = ("a dict of every element of 'self.models' is built again on each call of 'model_for' and used only "
         "for lookups, although 'self.models' does not change after the object is made: every call walks all of it")
NAMES = ("a set of every element of 'self.models' is built again on each call of 'has_name' and used for one "
         "membership test, although 'self.models' does not change after the object is made: every call walks all of it")


def test_index_and_name_set_rebuilt_per_call_are_warnings():
    assert seen({"pkg/check.py": CHECK}) == [
        ("pkg/check.py", 6, "warning", BY_ID),
        ("pkg/check.py", 10, "warning", NAMES),
    ]


def test_one_loop_of_calls_is_a_note():
    # 100 calls x 100 elements x 49 ns: 0.49 ms per unit of work, under the warning threshold
    code = CHECK.replace("        for v in uids:\n            check.model_for(u)\n            check.has_name(v)\n",
                         "        check.model_for(u)\n")
    assert seen({"pkg/check.py": code}) == [("pkg/check.py", 6, "note", BY_ID)]


def test_property_handing_the_index_back_is_reported():
    code = '''class Manifest:
    def __init__(self, nodes):
        self.nodes = nodes

    @property
    def by_id(self):
        return {n.uid: n for n in self.nodes.values()}


def resolve(manifest: Manifest, refs, deps):
    for ref in refs:
        for dep in deps:
            manifest.by_id.get(dep)
'''
    # `manifest.by_id.get(dep)`: the property read inside a longer chain is a call edge
    assert seen({"pkg/manifest.py": code}) == [(
        "pkg/manifest.py", 7, "warning",
        "a dict of every element of 'self.nodes' is built again on each call of 'by_id' and handed back, although "
        "'self.nodes' does not change after the object is made: every call walks all of it")]


# -- 2. the fix: the table kept on the object ------------------------------------------------

def test_table_built_once_in_init_is_quiet():
    code = CHECK.replace("        self.models = models\n",
                         "        self.models = models\n        self.by_id = {m.unique_id: m for m in models}\n"
                         ).replace("        by_id = {m.unique_id: m for m in self.models}\n        return by_id[uid]\n",
                                   "        return self.by_id[uid]\n")
    assert [f[1] for f in seen({"pkg/check.py": code})] == [10]  # has_name only


def test_cached_property_is_quiet():
    code = '''import functools


class Manifest:
    def __init__(self, nodes):
        self.nodes = nodes

    @functools.cached_property
    def by_id(self):
        return {n.uid: n for n in self.nodes}


def resolve(manifest: Manifest, refs, deps):
    for ref in refs:
        for dep in deps:
            if dep not in manifest.by_id:
                raise KeyError(dep)
'''
    assert seen({"pkg/manifest.py": code}) == []


# -- 3. near misses --------------------------------------------------------------------------

def test_table_from_a_parameter_is_quiet():
    code = CHECK.replace("in self.models}\n        return by_id", "in models}\n        return by_id").replace(
        "def model_for(self, uid):", "def model_for(self, uid, models):").replace(
        "check.model_for(u)", "check.model_for(u, models)")
    assert [f[1] for f in seen({"pkg/check.py": code})] == [10]


def test_attribute_changed_after_construction_is_quiet():
    code = CHECK + '''

def grow(check, model):
    check.models.append(model)
'''
    assert seen({"pkg/check.py": code}) == []


def test_comprehension_reading_a_parameter_is_quiet():
    code = CHECK.replace("{m.name for m in self.models}", "{m.name for m in self.models if m.kind == name}")
    assert [f[1] for f in seen({"pkg/check.py": code})] == [6]


def test_table_iterated_after_it_is_built_is_quiet():
    code = CHECK.replace("        return by_id[uid]\n", "        return [by_id[k] for k in by_id if k != uid]\n")
    assert [f[1] for f in seen({"pkg/check.py": code})] == [10]


def test_dict_of_derived_values_is_not_an_index():
    code = CHECK.replace("{m.unique_id: m for m in self.models}", "{m.unique_id: m.name for m in self.models}")
    assert [f[1] for f in seen({"pkg/check.py": code})] == [10]


# -- 4. the case's shape: a declared field, a table looked up in a nested function -----------

FIELD_CHECK = '''from pydantic import BaseModel, Field


class ChainedViews(BaseModel):
    models: list = Field(default=[])
    limit: int = 3

    def execute(self, model):
        models_by_id = {m.unique_id: m for m in self.models}

        def upstream(ids, depth=0):
            if depth == self.limit:
                return ids
            return upstream([d for i in ids for d in models_by_id.get(i).depends_on], depth + 1)

        return upstream([model.unique_id])


def run(check: ChainedViews, models):
    for model in models:
        check.execute(model)
'''


def test_declared_field_index_per_call_is_reported():
    # a class-body annotated field is bound once per object (attr-set-once)
    assert seen({"pkg/checks.py": FIELD_CHECK}) == [(
        "pkg/checks.py", 9, "note",
        "a dict of every element of 'self.models' is built again on each call of 'execute' and used only for "
        "lookups, although 'self.models' does not change after the object is made: every call walks all of it")]


def test_declared_field_assigned_elsewhere_is_quiet():
    code = FIELD_CHECK + '''

def refresh(check, models):
    check.models = models
'''
    assert seen({"pkg/checks.py": code}) == []
