"""Session thirty-one, call graph: calls on an element of a container of instances of one family.

agate's type inference (bench/realbugs.toml `agate-number-cast-reparses-locale-per-value`) keeps
one instance of each of its six data types, copies them per column with set() and per row with
copy(), and calls `column_type.test(value)` on each; the base's `test` calls `self.cast(value)`,
and Number.cast hands the locale's name to babel. Three things kept Number.cast at heat 1:

1. The value flow dropped any set of more than four values (MAX_VALUES) unless they were classes
   alone. A set of instances alone (outside objects beside them allowed) is now kept up to
   MAX_CLASSES (8). A method is read through it only when every class descends from one class
   of the program whose own body declares the method (ValueFlow.family). Other attribute reads
   and calls of such a set stay unknown, as before.
2. set(), frozenset() and copy.copy() of a container were calls from outside that hold
   nothing. Like list() and tuple(), they now hold their argument's elements.
3. An edge to one of more than MAX_VALUES overrides of a `self.m()` is a guess, because a
   receiver nothing is known about may be any subclass. Such an edge is no guess when every
   caller that may heat it passes a receiver the flow knows exactly: instances the flow sees
   built of their own classes (Edge.exact_receivers). Then each call runs the override its
   class finds (Program._sure_overrides).

A call on such an element whose classes each find their own method links those methods, up to
MAX_CLASSES, when the container is one the program builds in sight (ValueFlow.from_container;
Program._family_targets). A container of unrelated classes over the bound links nothing.

The buggy tests fail on the code before the change (no edge, heat 1, or a guessed chain)."""

from __future__ import annotations

from conftest import rule_findings
from test_callgraph import program


def seen(files):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, "PFL314")]


def kinds(p, caller, suffix=""):
    """(callee, kind, guess) of each edge out of `caller` whose callee ends with `suffix`."""
    return sorted((e.callee, e.kind, e.guess) for e in p.edges.get(caller, ()) if e.callee.endswith(suffix))


KINDS = ("Flag", "Amount", "Span", "Day", "Moment", "Label")

BASE = '''from copy import copy

from babel.numbers import parse_decimal


class Kind:
    def check(self, raw):
        try:
            self.convert(raw)
        except ValueError:
            return False
        return True

    def convert(self, raw):
        raise NotImplementedError


class Amount(Kind):
    def __init__(self, locale="de_DE"):
        self.locale = locale

    def convert(self, raw):
        return parse_decimal(raw.strip(), self.locale)
'''

OTHERS = "".join(f'''

class {name}(Kind):
    def convert(self, raw):
        return raw
''' for name in KINDS if name != "Amount")

GUESSER = '''

class Guesser:
    def __init__(self):
        self.candidates = [''' + ", ".join(f"{name}()" for name in KINDS) + ''']

    def guess(self, rows, width):
        remaining = [set(self.candidates) for _ in range(width)]
        for row in rows:
            for i in range(width):
                left = remaining[i]
                for kind in copy(left):
                    if not kind.check(row[i]):
                        left.discard(kind)
        return remaining
'''

SOURCE = BASE + OTHERS + GUESSER
CONVERT_LINE = SOURCE.splitlines().index("        return parse_decimal(raw.strip(), self.locale)") + 1
LOCALE_MESSAGE = ("parse_decimal() is handed the locale by its name (self.locale, bound only to a string): "
                  "babel parses it into a Locale again on every call")
CONVERTS = [(f"pkg.kinds.{name}.convert", "bounded", False) for name in sorted(KINDS)]


# -- 1. six data types tested per cell through a set() and a copy() ---------------------------

def test_check_on_copied_elements_reaches_each_convert_and_the_locale_parse_is_a_warning():
    files = {"pkg/kinds.py": SOURCE}
    assert seen(files) == [("pkg/kinds.py", CONVERT_LINE, "warning", LOCALE_MESSAGE)]
    p = program(files)
    # the six instances find the base's check: one target
    assert kinds(p, "pkg.kinds.Guesser.guess", ".check") == [("pkg.kinds.Kind.check", "exact", False)]
    # seven overrides in all, over MAX_VALUES, but the one caller's receivers are built in
    # sight: each convert a receiver finds is no guess; the base's own, which none finds, is
    assert kinds(p, "pkg.kinds.Kind.check") == sorted(CONVERTS + [("pkg.kinds.Kind.convert", "bounded", True)])
    assert p.heat["pkg.kinds.Amount.convert"] == 1000.0
    assert not p.guessed.get("pkg.kinds.Amount.convert", False)


def test_fixed_locale_parsed_once_in_the_constructor_is_quiet():
    fixed = SOURCE.replace("from babel.numbers import parse_decimal\n",
                           "from babel.core import Locale\nfrom babel.numbers import parse_decimal\n")
    fixed = fixed.replace('        self.locale = locale\n', '        self.locale = Locale.parse(locale)\n')
    assert fixed.count("Locale.parse(locale)") == 1
    assert seen({"pkg/kinds.py": fixed}) == []


def test_near_miss_a_receiver_nothing_is_known_about_keeps_the_overrides_a_guess():
    # another caller checks a kind handed in by whoever calls it: the receiver may be any
    # subclass, so heat through the seven overrides stays a guess (a note at most)
    source = SOURCE + '''

def check_one(kind, value):
    return kind.check(value)
'''
    files = {"pkg/kinds.py": source}
    assert seen(files) == [("pkg/kinds.py", CONVERT_LINE, "note", LOCALE_MESSAGE)]
    assert all(guess for _, _, guess in kinds(program(files), "pkg.kinds.Kind.check"))


# -- 2. a method each class overrides, called on the element itself ---------------------------

DIRECT = SOURCE.replace("                    if not kind.check(row[i]):", "                    if kind.convert(row[i]) is None:")


def test_convert_called_on_the_element_links_each_classs_own_method():
    files = {"pkg/kinds.py": DIRECT}
    p = program(files)
    assert kinds(p, "pkg.kinds.Guesser.guess", ".convert") == CONVERTS
    assert p.heat["pkg.kinds.Amount.convert"] == 1000.0
    assert seen(files) == [("pkg/kinds.py", CONVERT_LINE, "warning", LOCALE_MESSAGE)]


def test_near_miss_unrelated_classes_over_the_bound_stay_unlinked():
    # the same six classes without their common base: nothing says the call dispatches among
    # them alone, and six is over MAX_VALUES
    unrelated = DIRECT.replace("class Amount(Kind):", "class Amount:")
    for name in KINDS:
        unrelated = unrelated.replace(f"class {name}(Kind):", f"class {name}:")
    assert "(Kind)" not in unrelated
    files = {"pkg/kinds.py": unrelated}
    p = program(files)
    assert kinds(p, "pkg.kinds.Guesser.guess", ".convert") == []
    assert p.heat["pkg.kinds.Amount.convert"] == 1.0
    assert seen(files) == []  # not repeated: dropped


def test_near_miss_a_base_that_does_not_declare_the_method_links_nothing():
    # a common base, but the method is each class's own: `convert` is no method of Kind
    source = DIRECT.replace('''    def convert(self, raw):
        raise NotImplementedError
''', '''    def describe(self):
        return type(self).__name__
''')
    p = program({"pkg/kinds.py": source})
    assert kinds(p, "pkg.kinds.Guesser.guess", ".convert") == []
    assert p.heat["pkg.kinds.Amount.convert"] == 1.0


def test_near_miss_a_container_filled_from_a_parameter_links_no_family():
    # what every caller passes, merged over the call sites: not a container in sight
    source = DIRECT.replace("    def __init__(self):\n        self.candidates = [",
                            "    def __init__(self, candidates):\n        self.candidates = candidates\n\n"
                            "    def unused(self):\n        return [") + '''

def make():
    return Guesser([''' + ", ".join(f"{name}()" for name in KINDS) + '''])
'''
    p = program({"pkg/kinds.py": source})
    assert kinds(p, "pkg.kinds.Guesser.guess", ".convert") == []


# -- 3. set(), frozenset() and copy() keep the elements ------------------------------------------

COPIES = '''import copy


class A:
    def run(self, x):
        return x


class B:
    def run(self, x):
        return x


class Holder:
    def __init__(self):
        self.items = [A(), B()]

    def as_set(self, rows):
        for row in rows:
            for item in set(self.items):
                item.run(row)

    def as_frozenset(self, rows):
        for row in rows:
            for item in frozenset(self.items):
                item.run(row)

    def as_copy(self, rows):
        for row in rows:
            for item in copy.copy(self.items):
                item.run(row)
'''


def test_set_frozenset_and_copy_of_a_container_hold_its_elements():
    p = program({"m.py": COPIES})
    both = [("m.A.run", "bounded", False), ("m.B.run", "bounded", False)]
    for caller in ("as_set", "as_frozenset", "as_copy"):
        assert kinds(p, f"m.Holder.{caller}") == both, caller


def test_near_miss_a_program_function_named_copy_is_called_as_written():
    source = COPIES.replace("import copy\n", "class copy:\n    @staticmethod\n    def copy(items):\n        return []\n")
    p = program({"m.py": source})
    assert kinds(p, "m.Holder.as_copy") == [("m.copy.copy", "exact", False)]
