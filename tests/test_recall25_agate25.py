"""Session twenty-five, rebuild family: agate's Number.cast (wireservice/agate, bench/realbugs.toml
`agate-number-cast-reparses-locale-per-value`) handed the column's locale to babel's
parse_decimal by its name, so babel parsed the identifier into a Locale again for every cell;
the fix parses it once in the constructor. PFL314 locale-parsed-per-call reports a babel
formatting or parsing function handed a locale's name (a literal, a name bound only to one, or
an attribute its class binds only to a literal or to a constructor parameter with a literal
default) where the call repeats, priced at `locale-parse` (2.8 us a call, babel 2.18,
bench/locale_parse.py).

The case stayed a miss: agate reaches Number.cast through the column types' bound methods
(`cast_funcs[i](d)`) and `column_type.test(...)` on six DataType classes, over the value flow's
bound of four, or from the caller's `column_types` argument. (Session 31 catches it through
`column_type.test`: tests/test_agate31.py.) The graph does link a bound method taken from the
elements of a container of the program's own instances when they are few: the last tests pin
that, and that bound methods of five unrelated classes are still over the bound.

The buggy tests fail on the code before the change (no PFL314)."""

from __future__ import annotations

from conftest import rule_findings
from test_callgraph import program


def seen(files):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, "PFL314")]


NUMBER = '''from babel.numbers import parse_decimal


class Number:
    def __init__(self, locale='en_US', null_values=('', 'na')):
        self.locale = locale
        self.null_values = null_values

    def cast(self, d):
        d = d.strip()
        if d.lower() in self.null_values:
            return None
        return parse_decimal(d, self.locale)


class Table:
    def __init__(self, rows, columns):
        number = Number()
        self.rows = []
        for row in rows:
            for column in range(columns):
                self.rows.append(number.cast(row[column]))
'''

CAST_MESSAGE = ("parse_decimal() is handed the locale by its name (self.locale, bound only to a string): "
                "babel parses it into a Locale again on every call")


# -- 1. an attribute bound to a constructor parameter with a string default -----------------

def test_locale_name_kept_on_the_object_and_parsed_per_cell_is_a_warning():
    assert seen({"pkg/types.py": NUMBER}) == [("pkg/types.py", 13, "warning", CAST_MESSAGE)]


def test_fixed_locale_parsed_once_in_the_constructor_is_quiet():
    fixed = NUMBER.replace("from babel.numbers import parse_decimal\n",
                           "from babel.core import Locale\nfrom babel.numbers import parse_decimal\n")
    fixed = fixed.replace("        self.locale = locale\n", "        self.locale = Locale.parse(locale)\n")
    assert fixed.count("Locale.parse") == 1
    assert seen({"pkg/types.py": fixed}) == []


def test_near_miss_parameter_without_a_string_default_is_quiet():
    # what the caller hands is not shown: it may be a Locale already
    near = NUMBER.replace("def __init__(self, locale='en_US', null_values", "def __init__(self, locale, null_values")
    near = near.replace("        number = Number()\n", "        number = Number(get_locale())\n")
    assert near != NUMBER
    assert seen({"pkg/types.py": near}) == []


def test_near_miss_attribute_rebound_to_a_locale_elsewhere_is_quiet():
    near = NUMBER.replace("    def cast(self, d):\n",
                          "    def use(self, other):\n        self.locale = other.locale\n\n    def cast(self, d):\n")
    assert near != NUMBER
    assert seen({"pkg/types.py": near}) == []


def test_near_miss_cast_not_repeated_is_dropped():
    # one parse per call of a function nothing repeats: a few microseconds, not reported
    near = NUMBER.replace("        for row in rows:\n            for column in range(columns):\n"
                          "                self.rows.append(number.cast(row[column]))\n",
                          "        self.rows.append(number.cast(rows))\n")
    assert near != NUMBER
    assert seen({"pkg/types.py": near}) == []


# -- 2. a literal, or a module-level name bound to one --------------------------------------

LITERAL = '''import babel.dates


def column(days):
    out = []
    for day in days:
        out.append(babel.dates.format_date(day, 'short', 'fr_FR'))
    return out


def report(columns):
    return [column(c) for c in columns]
'''

MODULE = '''from babel.numbers import format_currency

LOCALE = 'de_DE'


def prices(rows):
    return [[format_currency(v, 'EUR', locale=LOCALE) for v in row.values] for row in rows]
'''


def test_literal_locale_in_a_loop_is_reported():
    assert seen({"m.py": LITERAL}) == [
        ("m.py", 7, "warning", "format_date() is handed the locale by its name (a string literal): "
                               "babel parses it into a Locale again on every call")]


def test_module_level_name_bound_to_a_literal_is_reported():
    found = seen({"m.py": MODULE})
    assert [(path, line, message) for path, line, _, message in found] == [
        ("m.py", 7, "format_currency() is handed the locale by its name (LOCALE, a module-level string): "
                    "babel parses it into a Locale again on every call")]


def test_fixed_module_level_locale_object_is_quiet():
    fixed = MODULE.replace("from babel.numbers import format_currency\n\nLOCALE = 'de_DE'\n",
                           "from babel import Locale\nfrom babel.numbers import format_currency\n\n"
                           "LOCALE = Locale.parse('de_DE')\n")
    assert fixed != MODULE
    assert seen({"m.py": fixed}) == []


def test_near_miss_module_name_imported_or_from_a_helper_is_quiet():
    near = MODULE.replace("LOCALE = 'de_DE'\n", "from flask_babel import get_locale\nLOCALE = get_locale()\n")
    assert near != MODULE
    assert seen({"m.py": near}) == []
    # the same function name from another library
    other = LITERAL.replace("import babel.dates\n", "import mylib.dates as babel_dates\n").replace(
        "babel.dates.format_date", "babel_dates.format_date")
    assert seen({"m.py": other}) == []


def test_near_miss_locale_left_out_or_passed_through_is_quiet():
    left_out = LITERAL.replace("format_date(day, 'short', 'fr_FR')", "format_date(day, 'short')")
    assert seen({"m.py": left_out}) == []
    through = LITERAL.replace("def column(days):", "def column(days, locale):").replace(
        "'fr_FR'", "locale").replace("column(c)", "column(c, 'fr_FR')")
    assert seen({"m.py": through}) == []


# -- 3. the graph: a bound method taken from the elements of a container ---------------------

TYPES = '''class Number:
    def cast(self, d):
        return float(d)


class Text:
    def cast(self, d):
        return d


class Table:
    def __init__(self, rows):
        self.types = (Number(), Text())
        cast_funcs = [c.cast for c in self.types]
        self.rows = []
        for row in rows:
            self.rows.append(tuple(cast_funcs[i](d) for i, d in enumerate(row)))
'''


def test_bound_methods_taken_from_a_tuple_of_the_programs_instances_are_linked():
    p = program({"pkg/table.py": TYPES})
    found = sorted((e.callee, e.kind, e.guess) for e in p.edges["pkg.table.Table.__init__"] if e.callee.endswith(".cast"))
    assert found == [("pkg.table.Number.cast", "bounded", False), ("pkg.table.Text.cast", "bounded", False)]
    assert p.heat["pkg.table.Number.cast"] == 100.0


def test_bound_methods_of_five_classes_are_over_the_bound_and_not_linked():
    extra = "".join(f"\n\nclass T{k}:\n    def cast(self, d):\n        return d\n" for k in range(3))
    many = TYPES.replace("(Number(), Text())", "(Number(), Text(), T0(), T1(), T2())") + extra
    p = program({"pkg/table.py": many})
    assert [e.callee for e in p.edges["pkg.table.Table.__init__"] if e.callee.endswith(".cast")] == []
    assert p.heat["pkg.table.Number.cast"] == 1.0
