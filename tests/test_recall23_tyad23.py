"""Session twenty-three, clone family: openai-python's _validate_non_model_type (openai/openai-python,
bench/realbugs.toml, openai-python-typeadapter-built-per-validation) built a new pydantic
TypeAdapter for every value construct_type validated against a type that is not a model class:
constructing an adapter generates the type's core schema and compiles a validator (tens of
microseconds), validating through a kept one is under a microsecond. The fix memoised the adapter
per type by rebinding the name at module level (`TypeAdapter = lru_cache(_TypeAdapter)`), which
the trap trap-openai-python-typeadapter-name-bound-to-lru-cache keeps. PFL105 now knows
`TypeAdapter(T)` built per call of a repeated function, priced by typeadapter-build; a module-level
rebinding of the name silences it. The first test fails on the code before the change."""

from __future__ import annotations

from perflint.testing import lint_sources

from conftest import rule_findings


def seen(source, path="pkg/models.py"):
    return [(f.line, f.severity, f.message) for f in rule_findings({path: source}, "PFL105")]


CALLERS = '''

def construct_type(value, type_):
    return _validate_non_model_type(type_=type_, value=value)


def build(values, type_):
    return [construct_type(v, type_) for v in values]
'''

BUGGY = '''from pydantic import TypeAdapter


def _validate_non_model_type(*, type_, value):
    return TypeAdapter(type_).validate_python(value)
''' + CALLERS

MESSAGE = ("TypeAdapter() generates and compiles a pydantic core schema again on every call of "
           "_validate_non_model_type(); validating through a kept adapter costs a small fraction of that")


def test_adapter_built_per_validated_value_is_a_warning():
    assert seen(BUGGY) == [(5, "warning", MESSAGE)]
    finding = [f for f in lint_sources({"pkg/models.py": BUGGY}, select=("PFL105",)) if f.rule == "PFL105"][0]
    assert finding.cost == 4.1e-5  # perflint/data/costs.toml


def test_qualified_and_submodule_spellings_are_matched():
    for head in ("import pydantic\n", "from pydantic import type_adapter as pydantic\n"):
        source = head + BUGGY.replace("from pydantic import TypeAdapter\n", "").replace(
            "TypeAdapter(type_)", "pydantic.TypeAdapter(type_)")
        assert [line for line, _, _ in seen(source)] == [5], head


def test_fixed_with_a_memoised_factory_is_quiet():
    fixed = '''import functools
from pydantic import TypeAdapter


@functools.lru_cache(maxsize=None)
def _adapter(type_):
    return TypeAdapter(type_)


def _validate_non_model_type(*, type_, value):
    return _adapter(type_).validate_python(value)
''' + CALLERS
    assert seen(fixed) == []


def test_fixed_with_a_module_level_adapter_is_quiet():
    fixed = '''from typing import List
from pydantic import TypeAdapter

_INTS = TypeAdapter(List[int])


def _validate_non_model_type(*, type_, value):
    return _INTS.validate_python(value)
''' + CALLERS
    assert seen(fixed) == []


def test_name_rebound_at_module_level_to_a_cached_factory_is_quiet():
    # the trap's spelling: the import under TYPE_CHECKING, the rebinding in the else branch
    trap = '''from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import TypeAdapter
else:
    from pydantic import TypeAdapter as _TypeAdapter
    TypeAdapter = lru_cache(_TypeAdapter)


def _validate_non_model_type(*, type_, value):
    return TypeAdapter(type_).validate_python(value)
''' + CALLERS
    assert seen(trap) == []


def test_name_rebound_only_inside_a_function_does_not_silence_it():
    source = BUGGY + '''

def unrelated():
    TypeAdapter = None
    return TypeAdapter
'''
    assert [line for line, _, _ in seen(source)] == [5]


def test_adapter_built_once_in_a_setup_function_is_quiet():
    source = '''from pydantic import TypeAdapter


class Converter:
    def __init__(self, type_):
        self._adapter = TypeAdapter(type_)

    def decode(self, data):
        return self._adapter.validate_json(data)


def main(type_, payloads):
    converter = Converter(type_)
    return [converter.decode(p) for p in payloads]
'''
    assert seen(source) == []


def test_adapter_built_in_a_function_nothing_repeats_is_quiet():
    source = '''from pydantic import TypeAdapter


def load_config(type_, text):
    return TypeAdapter(type_).validate_json(text)
'''
    assert seen(source) == []


def test_a_class_of_another_library_named_type_adapter_is_quiet():
    source = BUGGY.replace("from pydantic import TypeAdapter", "from mylib.adapters import TypeAdapter")
    assert seen(source) == []


def test_type_taken_from_a_parameter_through_a_local_is_reported():
    # Temporal's converter: `_type_hint = type_hint if type_hint is not None else Any`
    source = '''from typing import Any
from pydantic import TypeAdapter


def from_payload(data, type_hint=None):
    _type_hint = type_hint if type_hint is not None else Any
    return TypeAdapter(_type_hint).validate_json(data)


def from_payloads(payloads, hints):
    return [from_payload(p, h) for p, h in zip(payloads, hints)]
'''
    assert [(line, severity) for line, severity, _ in seen(source)] == [(7, "warning")]


def test_type_written_at_the_call_is_quiet():
    # a builtin or a model class: pydantic reuses its schema (5-12 us a construction)
    source = '''from pydantic import TypeAdapter


def parse_part(text):
    return TypeAdapter(float).validate_strings(text)


def parse(text):
    return [parse_part(p) for p in text.split(",")]
'''
    assert seen(source) == []


def test_fixed_with_a_dict_keyed_by_the_type_is_quiet():
    fixed = '''from pydantic import TypeAdapter

_ADAPTERS = {}


def _validate_non_model_type(*, type_, value):
    if type_ not in _ADAPTERS:
        _ADAPTERS[type_] = TypeAdapter(type_)
    return _ADAPTERS[type_].validate_python(value)
''' + CALLERS
    assert seen(fixed) == []
