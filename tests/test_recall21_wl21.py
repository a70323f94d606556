"""Session twenty-one, clone family: warlock's Model.validate (bcwaldon/warlock, bench/realbugs.toml)
called `jsonschema.validate(obj, self.schema)` on construction and on every item or attribute
set, which checks the schema against its metaschema and builds a fresh validator each time. Two
things kept PFL106 quiet. It passed over an attribute of self (the object may be built per
request), although the only binding of `schema` anywhere in the program is a store into
`self.__dict__` in the `__init__` of the class model_factory generates (another module): now an
attribute of self that every binding in the program (tests aside) sets once per object, in an
`__init__` or a class body, is a fixed schema, at medium confidence (phase 1 records each
module's attribute writes with the test PFL102 uses for its re.compile tables,
perflint/attrwrites.py). And `__setitem__`, through which `__setattr__` and every item set run,
was no entry point: `__setitem__` and `__delitem__` now take the protocol-dunder role, one call
the unit of work as for a store's public set/delete (per item, x100, made the standard
library's MH.__setitem__ fsync a warning); not `__setattr__` (an object has a handful of fields,
and aiida's ModelWrapper, which commits each field set outside a transaction by design, became
an error). The reported
tests fail on the code before the change; the quiet ones are near misses."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources

from conftest import rule_findings


def seen(sources, rule="PFL106"):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(sources, rule)]


MODEL = '''
import jsonschema


class Model(dict):
    def __init__(self, *args, **kwargs):
        d = dict(*args, **kwargs)
        self.validate(d)
        dict.__init__(self, d)

    def __setitem__(self, key, value):
        mutation = dict(self.items())
        mutation[key] = value
        self.validate(mutation)
        dict.__setitem__(self, key, value)

    def __setattr__(self, key, value):
        self.__setitem__(key, value)

    def validate(self, obj):
        if self.resolver is not None:
            jsonschema.validate(obj, self.schema, resolver=self.resolver)
        else:
            jsonschema.validate(obj, self.schema)
'''

CORE = '''
import copy

from m import Model as Base


def model_factory(schema, base_class=Base, resolver=None):
    schema = copy.deepcopy(schema)

    class Model(base_class):
        def __init__(self, *args, **kwargs):
            self.__dict__["schema"] = schema
            self.__dict__["resolver"] = resolver
            base_class.__init__(self, *args, **kwargs)

    return Model
'''

MESSAGE = ("jsonschema.validate() checks the schema 'self.schema' (set once per object) against its metaschema and "
           "builds a new validator on every call of validate(), and the schema does not change between calls "
           "(and 1 more like it in this function: line 24)")


def test_schema_of_self_set_once_per_object_checked_per_item_set_is_reported():
    # a note since session 31: the two validate() calls sit in the two branches of one if, and one
    # call of validate() makes one of them (0.94 ms, under the warning threshold), not both
    assert seen({"m.py": MODEL, "core.py": CORE}) == [("m.py", 22, "note", MESSAGE)]


def test_validator_built_in_init_is_quiet():
    # the fix: the validator is built with the model class's __init__ and reused
    fixed_model = MODEL[:MODEL.index("        if self.resolver")] + "        self.validator_instance.validate(obj)\n"
    fixed_core = CORE.replace(
        '            self.__dict__["schema"] = schema\n',
        '            self.__dict__["schema"] = schema\n'
        '            cls = validator_for(self.schema)\n'
        '            self.__dict__["validator_instance"] = cls(schema)\n',
    ).replace("import copy\n", "import copy\n\nfrom jsonschema.validators import validator_for\n")
    assert seen({"m.py": fixed_model, "core.py": fixed_core}) == []


def test_schema_set_outside_init_too_is_quiet():
    # another method rebinds it: the schema may differ from call to call
    core = CORE.replace("    return Model\n", "        def use(self, other):\n"
                        "            self.__dict__[\"schema\"] = other\n\n    return Model\n")
    assert seen({"m.py": MODEL, "core.py": core}) == []
    setter = MODEL + "\n    def set_schema(self, schema):\n        self.schema = schema\n"
    assert seen({"m.py": setter, "core.py": CORE}) == []


def test_schema_stored_on_another_object_is_quiet():
    # `model.schema = s` in a plain function: not once per object
    core = CORE + "\n\ndef retarget(model, schema):\n    model.schema = schema\n"
    assert seen({"m.py": MODEL, "core.py": core}) == []


def test_schema_property_is_quiet():
    # a property computes it on each read (it may build a new schema each time)
    prop = MODEL + "\n    @property\n    def schema(self):\n        return {'type': 'object', 'title': str(id(self))}\n"
    assert seen({"m.py": prop}) == []


def test_schema_set_in_a_class_body_is_reported_at_medium_confidence():
    source = MODEL.replace("class Model(dict):\n", "class Model(dict):\n    schema = {'type': 'object'}\n\n")
    found = [(f.line, f.confidence) for f in lint_sources({"m.py": source}, select=("PFL106",),
                                                          config=Config(min_severity="note")) if f.rule == "PFL106"]
    assert found == [(24, "medium")]


STORE = '''
import json

import jsonschema

SCHEMA = json.load(open("schema.json"))


class Store:
    def __init__(self):
        self._items = {}

    def __setitem__(self, key, value):
        jsonschema.validate(value, SCHEMA)
        self._items[key] = value

    def __delitem__(self, key):
        jsonschema.validate({}, SCHEMA)
        del self._items[key]
'''


def test_item_assignment_dunders_are_entry_points():
    # nothing in the repository calls them: their users do, once per item stored or deleted
    assert [(line, severity) for _, line, severity, _ in seen({"m.py": STORE})] == [(14, "warning"), (18, "warning")]


def test_attribute_set_dunder_is_no_entry_point():
    # __setattr__ runs once per field set, a handful per object
    source = STORE.replace("__setitem__", "__setattr__").replace("self._items[key] = value", "object.__setattr__(self, key, value)")
    assert [(line, severity) for _, line, severity, _ in seen({"m.py": source})] == [(18, "warning")]
