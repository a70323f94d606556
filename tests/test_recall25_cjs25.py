"""Session twenty-five, clone family: check-jsonschema's checker (python-jsonschema/check-jsonschema,
bench/realbugs.toml) asked its schema loader for a validator once per instance file, and the
loader's get_validator spelled out what jsonschema.validate does before validating: it picked
the validator class with validator_for(schema), checked the schema against its metaschema with
check_schema, and built a validator, for a schema read from the loader itself. PFL106 knew only
jsonschema.validate(): now `check_schema(schema)` on a jsonschema validator class (one of
jsonschema's by name, or a local that holds what validator_for returned) is reported too, when
the schema is one the rule already takes as fixed, or is derived from the method's object alone
(`schema = self.get_schema()`) in a method that is handed other per-call data and that a loop
repeats. The case itself stays missed: the checker holds the loader in an attribute annotated
with the abstract base, and the call edge ends at the base method (linking the implementations
the program builds, tried on branch cjs25-heat, made two false errors on mlflow). Here the
receiver is annotated with the loader class itself. The reported tests fail on the code before
the change; the quiet ones are near misses."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources

from conftest import rule_findings


def seen(sources, rule="PFL106"):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(sources, rule)]


LOADER = '''
import functools

import jsonschema


class LoaderBase:
    def get_validator(self, path, doc):
        raise NotImplementedError


class Loader(LoaderBase):
    def __init__(self, reader):
        self.reader = reader

    def get_schema(self):
        return self.reader.read_schema()

    def get_validator(self, path, doc):
        schema = self.get_schema()
        validator_cls = jsonschema.validators.validator_for(schema)
        validator_cls.check_schema(schema)
        return validator_cls(schema)


class MetaLoader(LoaderBase):
    def get_validator(self, path, doc):
        return jsonschema.Draft7Validator(doc)
'''

CHECKER = '''
from loader import Loader


class Checker:
    def __init__(self, loader: Loader):
        self._loader = loader

    def run(self, files):
        failed = []
        for path, doc in files:
            validator = self._loader.get_validator(path, doc)
            failed.extend(validator.iter_errors(doc))
        return failed
'''

MESSAGE = ("check_schema() checks the schema 'schema' (from self.get_schema()) against its metaschema on every "
           "call of get_validator(), and the schema does not change between calls")


def test_schema_of_the_object_checked_per_file_is_reported():
    assert seen({"loader.py": LOADER, "checker.py": CHECKER}) == [("loader.py", 22, "error", MESSAGE)]


def test_through_the_abstract_base_the_loader_is_not_reached():
    # the case as it is: the attribute is annotated with the base class, whose method only
    # raises, and the edge ends there (no heat reaches Loader.get_validator)
    checker = CHECKER.replace("from loader import Loader\n", "from loader import LoaderBase\n").replace(
        "loader: Loader)", "loader: LoaderBase)")
    assert checker != CHECKER
    assert seen({"loader.py": LOADER, "checker.py": checker}) == []


# the fix: the builder is memoised on the loader, one validator serves every file
FIXED_LOADER = LOADER.replace(
    "    def get_validator(self, path, doc):\n        schema = self.get_schema()\n",
    "    def get_validator(self, path, doc):\n        return self._get_validator()\n\n"
    "    @functools.lru_cache\n    def _get_validator(self):\n        schema = self.get_schema()\n")


def test_validator_built_once_per_loader_is_quiet():
    assert FIXED_LOADER != LOADER
    assert seen({"loader.py": FIXED_LOADER, "checker.py": CHECKER}) == []


def test_schema_attribute_set_once_checked_by_name_is_reported_at_medium_confidence():
    loader = LOADER.replace("        self.reader = reader\n", "        self.reader = reader\n        self.schema = reader.read_schema()\n").replace(
        "        schema = self.get_schema()\n        validator_cls = jsonschema.validators.validator_for(schema)\n"
        "        validator_cls.check_schema(schema)\n        return validator_cls(schema)\n",
        "        jsonschema.Draft7Validator.check_schema(self.schema)\n        return jsonschema.Draft7Validator(self.schema)\n")
    assert loader != LOADER
    found = [(f.line, f.severity, f.confidence, f.message) for f in lint_sources(
        {"loader.py": loader, "checker.py": CHECKER}, select=("PFL106",), config=Config(min_severity="note"))
        if f.rule == "PFL106"]
    assert found == [(21, "error", "medium", "check_schema() checks the schema 'self.schema' (set once per object) "
                      "against its metaschema on every call of get_validator(), and the schema does not change "
                      "between calls")]


def test_schema_handed_in_per_call_is_quiet():
    # the schema comes with each call: checking it is part of the work
    loader = LOADER.replace("    def get_validator(self, path, doc):\n        schema = self.get_schema()\n",
                            "    def get_validator(self, path, doc):\n        schema = doc['$schema']\n")
    assert loader != LOADER
    assert seen({"loader.py": loader, "checker.py": CHECKER}) == []


def test_schema_derived_with_a_per_call_argument_is_quiet():
    loader = LOADER.replace("schema = self.get_schema()", "schema = self.reader.read_schema(path)")
    assert loader != LOADER
    assert seen({"loader.py": loader, "checker.py": CHECKER}) == []


def test_not_repeated_is_quiet():
    # one validator per run: no loop repeats the call
    checker = CHECKER.replace("        for path, doc in files:\n            validator",
                              "        path, doc = files[0]\n        if path:\n            validator")
    assert checker != CHECKER
    assert seen({"loader.py": LOADER, "checker.py": checker}) == []


MODEL = '''
from jsonschema import Draft7Validator, SchemaError


class Definition:
    def __init__(self, data_schema):
        self.data_schema = data_schema

    def clean(self):
        try:
            Draft7Validator.check_schema(self.data_schema)
        except SchemaError as e:
            raise ValueError(e.message)


def clean_all(schemas):
    for s in schemas:
        d = Definition(s)
        d.clean()
'''


def test_object_checking_its_own_schema_is_quiet():
    # each call is about one object, and checking the schema it holds is the point of the call
    assert seen({"m.py": MODEL}) == []


HANDLER = '''
from jsonschema import Draft7Validator

SCHEMA = {"type": "object", "required": ["method"]}


def handle_all(requests):
    for request in requests:
        Draft7Validator.check_schema(SCHEMA)
        Draft7Validator(SCHEMA).validate(request)
'''


def test_module_schema_checked_per_request_is_reported_at_high_confidence():
    found = [(f.line, f.severity, f.confidence, f.message) for f in lint_sources(
        {"h.py": HANDLER}, select=("PFL106",), config=Config(min_severity="note")) if f.rule == "PFL106"]
    assert found == [(9, "warning", "high", "check_schema() checks the module-level schema 'SCHEMA' against its "
                      "metaschema on every call of handle_all(), and the schema does not change between calls")]


def test_module_schema_checked_once_is_quiet():
    fixed = HANDLER.replace("def handle_all(requests):\n    for request in requests:\n"
                            "        Draft7Validator.check_schema(SCHEMA)\n        Draft7Validator(SCHEMA).validate(request)\n",
                            "Draft7Validator.check_schema(SCHEMA)\nVALIDATOR = Draft7Validator(SCHEMA)\n\n\n"
                            "def handle_all(requests):\n    for request in requests:\n        VALIDATOR.validate(request)\n")
    assert fixed != HANDLER
    assert seen({"h.py": fixed}) == []


def test_check_schema_of_another_class_is_quiet():
    other = HANDLER.replace("from jsonschema import Draft7Validator\n",
                            "class Draft7Validator:\n    @staticmethod\n    def check_schema(s):\n        return s\n\n"
                            "    def __init__(self, s):\n        self.s = s\n\n    def validate(self, r):\n        return r\n")
    assert seen({"h.py": other}) == []
