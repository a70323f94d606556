"""Session twenty-five, call graph: a class reached through a property and a metaclass.

1. A call of a property's value (`self.handler_class()`, `handler_class` a @property): the
   call runs the getter, then calls what the getter returns. When the value flow knows that
   as a class or function of the program, the call is linked to it too (before, to the getter
   alone).
2. In a metaclass's `__new__`, `super().__new__(mcs, name, bases, attrs)` is the class being
   made: one of the classes that name the metaclass (`metaclass=M`, a base
   `six.with_metaclass(M, ...)`, `@six.add_metaclass(M)`) or their subclasses. What the
   metaclass hands it to (`field.contribute_to_class(new_class, name)`, on fields read from a
   dict: a receiver of unknown type) binds the parameters of that method when only one
   hierarchy of the program defines the name (value flow only: no edge is drawn by name).
3. `getattr(obj, "name")` is the read `obj.name` (`getattr(obj, "name", d)` that or d).

Together they link tastypie's shape: a related field's `to_class` property returns the
resource class the metaclass stored on the field, and building a related resource per item
deep-copies the declared fields in `Resource.__init__`. The buggy tests fail on the code
before the change (no edge, heat 1)."""

from __future__ import annotations

from conftest import rule_findings
from test_callgraph import program


def seen(files, rule="PFL101"):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, rule)]


def kinds(p, caller):
    """(callee, kind, guess) of each edge out of `caller`, sorted."""
    return sorted((e.callee, e.kind, e.guess) for e in p.edges.get(caller, ()))


DEEPCOPY_MESSAGE = ("copy.deepcopy() of an attribute in __init__, and objects of this class are built per "
                    "item: every object clones the structure")

# -- 1. a call of a property's value ----------------------------------------------------------

HANDLER = '''import copy


class Handler:
    fields = {"a": 1}

    def __init__(self):
        self.fields = copy.deepcopy(self.fields)


class Field:
    def __init__(self, handler):
        self._handler = handler

    @property
    def handler_class(self):
        return self._handler

    def build(self, value):
        handler = self.handler_class()
        return handler

    def build_all(self, values):
        return [self.build(v) for v in values]


def make():
    return Field(Handler)
'''


def test_a_call_of_a_property_value_reaches_the_class_it_returns():
    files = {"pkg/mod.py": HANDLER}
    assert seen(files) == [("pkg/mod.py", 8, "warning", DEEPCOPY_MESSAGE)]
    p = program(files)
    assert kinds(p, "pkg.mod.Field.build") == [
        ("pkg.mod.Field.handler_class", "exact", False),
        ("pkg.mod.Handler.__init__", "exact", False),
    ]
    assert p.heat["pkg.mod.Handler.__init__"] == 100.0


def test_fixed_a_shallow_copy_through_the_property_is_quiet():
    files = {"pkg/mod.py": HANDLER.replace("copy.deepcopy(", "copy.copy(")}
    assert seen(files) == []


def test_near_miss_a_property_returning_a_class_named_at_run_time_links_the_getter_alone():
    src = HANDLER.replace("import copy\n", "import copy\nimport importlib\n").replace(
        "        return self._handler\n",
        "        return getattr(importlib.import_module(self._handler), 'Handler')\n")
    files = {"pkg/mod.py": src}
    assert seen(files) == []
    p = program(files)
    assert kinds(p, "pkg.mod.Field.build") == [("pkg.mod.Field.handler_class", "exact", False)]


# -- 2. the class a metaclass makes, handed to its fields -------------------------------------

FIELDS = '''
class Field:
    def __init__(self, to=None):
        self.to = to
        self._resource = None

    def contribute_to_class(self, cls, name):
        self.name = name
        self._resource = cls

    @property
    def to_class(self):
        if self.to == "self":
            return self._resource
        return self.to

    def build(self, value):
        resource = self.to_class()
        return resource.load(value)

    def build_all(self, values):
        return [self.build(v) for v in values]


class ToOneField(Field):
    def contribute_to_class(self, cls, name):
        super().contribute_to_class(cls, name)
        self.single = True
'''

METACLASS = '''import copy

from .fields import Field


class Declarative(type):
    def __new__(mcs, name, bases, attrs):
        fields = {k: v for k, v in attrs.items() if isinstance(v, Field)}
        attrs["base_fields"] = fields
        new_class = super().__new__(mcs, name, bases, attrs)
        for field_name, field in new_class.base_fields.items():
            field.contribute_to_class(new_class, field_name)
        return new_class

'''

SPELLINGS = {
    "keyword": ("class Resource(metaclass=Declarative):\n", 17),
    "six.with_metaclass": ("import six\n\n\nclass Resource(six.with_metaclass(Declarative)):\n", 20),
    "six.add_metaclass": ("import six\n\n\n@six.add_metaclass(Declarative)\nclass Resource(object):\n", 21),
}

RESOURCE = '''    def __init__(self):
        self.fields = copy.deepcopy(self.base_fields)

    def load(self, value):
        return value
'''


def resource_files(head, body=RESOURCE, fields=FIELDS):
    return {"pkg/__init__.py": "", "pkg/fields.py": fields, "pkg/res.py": METACLASS + head + body}


def test_the_class_a_metaclass_makes_reaches_its_fields_in_each_spelling():
    for spelling, (head, line) in SPELLINGS.items():
        files = resource_files(head)
        assert seen(files) == [("pkg/res.py", line, "warning", DEEPCOPY_MESSAGE)], spelling
        p = program(files)
        assert p.flow.param_in["pkg.fields.Field.contribute_to_class"]["cls"] == frozenset(
            {("C", "pkg.res.Resource", True)}), spelling
        assert kinds(p, "pkg.fields.Field.build") == [
            ("pkg.fields.Field.to_class", "exact", False),
            ("pkg.res.Resource.__init__", "exact", False),
            ("pkg.res.Resource.load", "exact", False),
        ], spelling
        assert p.heat["pkg.res.Resource.__init__"] == 100.0, spelling


def test_with_metaclass_bases_are_the_class_bases():
    files = resource_files("import six\n\n\nclass Base(object):\n    pass\n\n\n"
                           "class Resource(six.with_metaclass(Declarative, Base)):\n")
    p = program(files)
    assert p.mro("pkg.res.Resource") == ["pkg.res.Resource", "pkg.res.Base"]
    assert p.classes["pkg.res.Resource"][1].metaclass == "g:pkg.res.Declarative"


def test_fixed_a_shallow_copy_of_the_declared_fields_is_quiet():
    head = SPELLINGS["keyword"][0]
    assert seen(resource_files(head, RESOURCE.replace("copy.deepcopy(", "copy.copy("))) == []


def test_near_miss_a_class_without_the_metaclass_is_not_made_by_it():
    files = resource_files("class Resource:\n    base_fields = {}\n\n")
    assert seen(files) == []
    p = program(files)
    assert p.flow.param_in.get("pkg.fields.Field.contribute_to_class", {}).get("cls") is None
    assert p.heat["pkg.res.Resource.__init__"] == 1.0


def test_near_miss_a_method_name_two_hierarchies_define_binds_nothing():
    other = FIELDS + '''

class Manager:
    def contribute_to_class(self, cls, name):
        self.model = cls
'''
    files = resource_files(SPELLINGS["keyword"][0], fields=other)
    assert seen(files) == []
    p = program(files)
    assert p.flow.param_in.get("pkg.fields.Field.contribute_to_class", {}).get("cls") is None
    assert ("pkg.res.Resource.__init__", "exact", False) not in kinds(p, "pkg.fields.Field.build")


def test_near_miss_a_plain_class_new_makes_nothing_known():
    src = '''class Singleton:
    _instance = None

    def __new__(cls):
        made = super().__new__(cls)
        made.ready = True
        return made
'''
    p = program({"pkg/single.py": src})
    mod = p.modules["pkg.single"]
    assert p.flow.name(mod, "Singleton.__new__", "made") == frozenset()


# -- 3. getattr with a literal name ---------------------------------------------------------

GETATTR = '''class Loader:
    def load(self, value):
        return value


class Owner:
    loader_class = Loader

    def run(self, name, values):
        first = getattr(self, "loader_class")
        second = getattr(self, "loader_class", None)
        third = getattr(self, name)
        return first, second, third
'''


def test_getattr_with_a_literal_name_is_the_attribute_read():
    p = program({"pkg/own.py": GETATTR})
    mod = p.modules["pkg.own"]
    loader = frozenset({("C", "pkg.own.Loader", False)})
    assert p.flow.name(mod, "Owner.run", "first") == loader
    assert p.flow.name(mod, "Owner.run", "second") == loader
    assert p.flow.name(mod, "Owner.run", "third") == frozenset({("X",)})  # a name known at run time
