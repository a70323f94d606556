"""Session thirteen, clone recall: fixed bugs of the clone family that perflint kept at note,
moved by general changes to the value flow. Each test fails on the code before its change."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(files, code):
    """(path, line, severity, message) of every `code` finding, notes included."""
    return sorted((f.path, f.line, f.severity, f.message)
                  for f in lint_sources(files, select=(code,), config=Config(min_severity="note"))
                  if f.rule == code)


# -- a factory that picks a class from a table and passes itself through `**kwargs` ----------
# openapi-core's unmarshallers: the factory builds a node object per schema, picking the class
# from a table of seven (more than the four values a set may hold), and hands itself to the
# nodes through a dict of keywords (`kwargs = dict(..., builder=self)`, then
# `klass(x, **kwargs)`). A branch node calls the factory back per child, so what the factory
# does per build runs per child of every converted value: here a deep copy of an imported
# options object. Before, neither the class set nor the keywords of the dict reached the
# constructor, `self.builder` had no value and the per-child call was not linked.
SETTINGS = '''DEFAULT_OPTIONS = {"strict": True, "formats": {"date": "iso", "time": "iso"}}
'''

BUILDER = '''import copy

from pkg.settings import DEFAULT_OPTIONS


class Node:
    def __init__(self, options, spec):
        self.options = options
        self.spec = spec

    def convert(self, value):
        return value


class Text(Node):
    pass


class Whole(Node):
    pass


class Real(Node):
    pass


class Flag(Node):
    pass


class Branch(Node):
    def __init__(self, options, spec, builder):
        super().__init__(options, spec)
        self.builder = builder

    def convert(self, value):
        out = {}
        for key, child in self.spec.children.items():
            out[key] = self.builder.build(child).convert(value[key])
        return out


class Sequence(Branch):
    pass


class Anything(Branch):
    pass


class Builder:
    LEAVES = {"str": Text, "int": Whole, "float": Real, "bool": Flag}
    BRANCHES = {"object": Branch, "array": Sequence, "any": Anything}

    def build(self, spec):
        if spec.kind in self.LEAVES:
            klass = self.LEAVES[spec.kind]
            kwargs = dict(spec=spec)
        else:
            klass = self.BRANCHES[spec.kind]
            kwargs = dict(spec=spec, builder=self)
        return klass(self._options(), **kwargs)

    def _options(self):
        options = copy.deepcopy(DEFAULT_OPTIONS)
        options["strict"] = False
        return options
'''
COPY_LINE = 65  # copy.deepcopy(DEFAULT_OPTIONS) in Builder._options


def _package(builder=BUILDER):
    return {"pkg/__init__.py": "", "pkg/settings.py": SETTINGS, "pkg/builder.py": builder}


def test_a_factory_passed_through_kwargs_to_a_class_table_is_called_back_per_child():
    findings = found(_package(), "PFL101")
    assert [(path, line, severity) for path, line, severity, _ in findings] == [
        ("pkg/builder.py", COPY_LINE, "warning")]
    assert "DEFAULT_OPTIONS" in findings[0][3]


def test_the_fixed_shallow_copy_is_quiet():
    fixed = BUILDER.replace("copy.deepcopy(DEFAULT_OPTIONS)", "dict(DEFAULT_OPTIONS)")
    assert found(_package(fixed), "PFL101") == []


def test_keywords_spread_from_a_parameter_bind_nothing():
    # near miss: the keywords come from the caller (`**kwargs` a parameter), so nothing says the
    # nodes hold the builder: the per-child call is not linked and the copy stays a note
    passthrough = BUILDER.replace("    def build(self, spec):\n", "    def build(self, spec, **kwargs):\n") \
        .replace("            kwargs = dict(spec=spec)\n", "            kwargs.update(spec=spec)\n") \
        .replace("            kwargs = dict(spec=spec, builder=self)\n", "            kwargs.update(spec=spec)\n")
    assert [severity for _, _, severity, _ in found(_package(passthrough), "PFL101")] == ["note"]


def test_a_table_mixing_classes_and_a_function_stays_unbounded():
    # near miss: past four values, only a set of classes alone stays bounded; a factory
    # function in the table makes it too many to say, as before
    mixed = BUILDER.replace('"any": Anything}', '"any": Anything, "raw": make_raw}') + '''

def make_raw(options, spec):
    return Node(options, spec)
'''
    assert [severity for _, _, severity, _ in found(_package(mixed), "PFL101")] == ["note"]


def test_a_string_keyed_dict_display_spreads_its_keywords():
    display = BUILDER.replace("kwargs = dict(spec=spec, builder=self)", 'kwargs = {"spec": spec, "builder": self}')
    assert [(line, severity) for _, line, severity, _ in found(_package(display), "PFL101")] == [
        (COPY_LINE, "warning")]


# -- near miss: a method looked up on a table of classes ---------------------------------------
# weblate's profile view walks seven form classes and calls `audit` on the one that defines it;
# the loop's seven trips are not seven calls. Past four values a set of classes is for calling
# (its constructors), not for reading attributes: a name looked up on it stays unknown.
FORMS = '''import copy

from pkg.settings import DEFAULT_OPTIONS


class Form:
    def __init__(self, data):
        self.data = data


class NameForm(Form):
    pass


class MailForm(Form):
    pass


class LanguageForm(Form):
    pass


class ThemeForm(Form):
    pass


class AuditedForm(Form):
    @classmethod
    def prepare(cls, data):
        options = copy.deepcopy(DEFAULT_OPTIONS)
        options["data"] = data
        return options


def save_all(submissions):
    for data in submissions:
        for klass in (NameForm, MailForm, LanguageForm, ThemeForm, AuditedForm):
            if hasattr(klass, "prepare"):
                klass.prepare(data)
'''


def test_a_method_looked_up_on_a_table_of_classes_is_not_linked():
    files = {"pkg/__init__.py": "", "pkg/settings.py": SETTINGS, "pkg/forms.py": FORMS}
    assert [severity for _, _, severity, _ in found(files, "PFL101")] in ([], ["note"])
