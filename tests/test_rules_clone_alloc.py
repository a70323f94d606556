"""PFL102-104 and PFL202-204: exact lines, messages, confidence and heat across modules."""

from __future__ import annotations

import pytest

from perflint.registry import rule_by_code
from perflint.rule import Invalid, Valid
from perflint.config import Config
from perflint.testing import lint_sources

CODES = ("PFL102", "PFL103", "PFL104", "PFL202", "PFL203", "PFL204")


def findings(files, code, options=None):
    if isinstance(files, str):
        files = {"m.py": files}
    rule_options = {code: options} if options else None
    return [f for f in lint_sources(files, select=(code,), rule_options=rule_options) if f.rule == code]


def lines(files, code, options=None):
    return sorted(f.line for f in findings(files, code, options))


# -- every example in the rules' own VALID/INVALID lists ----------------------------------
@pytest.mark.parametrize("code", CODES)
def test_examples(code):
    rule = rule_by_code(code)
    for example in rule.VALID:
        source = example.code if isinstance(example, Valid) else example
        assert findings(source, code, getattr(example, "config", None)) == [], source
    for example in rule.INVALID:
        assert isinstance(example, Invalid)
        assert example.line in lines(example.code, code, example.config), example.code


# -- PFL102 reparse-per-call ----------------------------------------------------------------
PARSER_CLASS = (
    "import ast\n"
    "class Expr:\n"
    "    def __init__(self, text):\n"
    "        self.tree = ast.parse(text, mode='eval')\n"
    "class Plain:\n"
    "    def __init__(self, text):\n"
    "        self.text = text\n"
)


def test_pfl102_constructor_whose_init_parses_is_reported_at_the_call():
    files = {
        "pkg/__init__.py": "",
        "pkg/expr.py": PARSER_CLASS,
        "pkg/run.py": (
            "from pkg.expr import Expr, Plain\n"
            "def evaluate(source, rows):\n"
            "    out = []\n"
            "    for row in rows:\n"
            "        out.append(Expr(source))\n"
            "        out.append(Plain(source))\n"
            "        out.append(Expr(row))\n"
            "    return out\n"
        ),
    }
    found = findings(files, "PFL102")
    assert [(f.path, f.line) for f in found] == [("pkg/run.py", 5)]
    assert found[0].message == (
        "Expr() parses its text as code when it is built, and is built from 'source' (unchanged by the loop) on every "
        "iteration"
    )
    assert found[0].severity == "warning" and found[0].confidence == "high"


def test_pfl102_a_constructor_counts_only_when_the_call_passes_what_it_parses():
    # distlib's Metadata(scheme=...) inside a loop: __init__ parses `path` or `mapping`, which
    # this call does not pass (labelled FALSE in run 7); passing `path` is the smell
    meta = ("import json\n"
            "class Metadata:\n"
            "    def __init__(self, path=None, mapping=None, scheme='default'):\n"
            "        self.scheme = scheme\n"
            "        self.data = json.loads(path) if path else (mapping or {})\n")
    run = ("from pkg.meta import Metadata\n"
           "class Locator:\n"
           "    def releases(self, versions):\n"
           "        return [Metadata(scheme=self.scheme) for v in versions]\n"
           "    def parsed(self, versions):\n"
           "        return [Metadata(self.text) for v in versions]\n"
           "    def by_keyword(self, versions):\n"
           "        return [Metadata(path=self.text) for v in versions]\n")
    found = findings({"pkg/__init__.py": "", "pkg/meta.py": meta, "pkg/run.py": run}, "PFL102")
    assert [(f.path, f.line) for f in found] == [("pkg/run.py", 6), ("pkg/run.py", 8)]
    assert found[0].message.startswith("Metadata() parses its input in __init__, and is built from 'self.text'")


def test_pfl102_constructor_whose_init_compiles_a_jinja_template():
    source = (
        "import jinja2\n"
        "class Page:\n"
        "    def __init__(self, src):\n"
        "        self.t = jinja2.Template(src)\n"
        "SRC = '{{ r }}'\n"
        "def run(rows):\n"
        "    for r in rows:\n"
        "        Page(SRC).t.render(r=r)\n"
    )
    (f,) = findings(source, "PFL102")
    assert (f.line, f.severity) == (8, "warning")
    assert f.message == (
        "Page() parses its text as code when it is built, and is built from 'SRC' (unchanged by the loop) on every iteration"
    )


def test_pfl102_needs_the_function_to_be_hot():
    module = (
        "import json\n"
        "SCHEMA = '{}'\n"
        "def schema():\n"
        "    return json.loads(SCHEMA)\n"
    )
    assert findings(module, "PFL102") == []  # runs once per (unknown) call: not reported
    hot = module + "def validate(rows):\n    for row in rows:\n        check(schema(), row)\n"
    found = findings(hot, "PFL102")
    assert [f.line for f in found] == [4]
    assert found[0].severity == "warning"
    assert found[0].message == (
        "json.loads() parses module-level constant 'SCHEMA' again on every call: the result is the same each time"
    )
    assert [hop.function for hop in found[0].trace][:1] == ["validate"]


def test_pfl102_heat_through_a_second_module_and_two_loops_is_an_error():
    files = {
        "app/__init__.py": "",
        "app/render.py": (
            "import jinja2\n"
            "class Page:\n"
            "    def __init__(self, source):\n"
            "        self.source = source\n"
            "    def render(self, ctx):\n"
            "        return jinja2.Template(self.source).render(**ctx)\n"
        ),
        "app/site.py": (
            "from app.render import Page\n"
            "def build(sites, page: Page):\n"
            "    for site in sites:\n"
            "        for ctx in site.pages:\n"
            "            page.render(ctx)\n"
        ),
    }
    found = findings(files, "PFL102")
    assert [(f.path, f.line, f.confidence, f.severity) for f in found] == [
        ("app/render.py", 6, "medium", "error")
    ]
    assert "compiles attribute 'self.source' into a template" in found[0].message


def test_pfl102_per_call_inputs_are_not_reported_and_a_literal_regex_is_a_cache_lookup():
    source = (
        "import json, re, ast\n"
        "def handle(requests):\n"
        "    for request in requests:\n"
        "        json.loads(request.body)\n"
        "        re.compile(r'[a-z]+').match(request.path)\n"
        "        ast.parse(request.code)\n"
        "        line = request.readline()\n"
        "        json.loads(line)\n"
    )
    found = findings(source, "PFL102")
    # Only the literal regex: a lookup in re's cache per request, reported at that cost.
    assert len(found) == 1, [(f.line, f.message) for f in found]
    only = found[0]
    assert only.line == 5
    assert only.message.startswith("re.compile() of a literal pattern on every iteration: a lookup in re's cache")
    assert only.fix.startswith("compile the pattern once at module level")


def test_pfl102_literal_regex_is_a_warning_only_when_the_code_says_it_runs_thousands_of_times():
    hot = (
        "import re\n"
        "def unescape(s):\n"
        "    return re.compile(r'\\\\([trn])').sub('', s)\n"
        "def parse(catalogs, messages, lines):\n"
        "    for cat in catalogs:\n"
        "        for msg in messages:\n"
        "            for line in lines:\n"
        "                unescape(line)\n"
    )
    # three unknown loops: 100 x 10, the third adds nothing (docs/scoring.md): 1,000 cache
    # lookups of ~0.2 us are a note, not thousands of guesses' worth of a warning
    found = lint_sources({"m.py": hot}, select=("PFL102",), config=Config(min_severity="note"))
    assert [(f.line, f.severity, f.frequency) for f in found] == [(3, "note", 1000.0)]
    # a bound the code states: 20,000 calls are a warning
    counted = hot.replace("def parse(catalogs, messages, lines):\n    for cat in catalogs:\n        for msg in messages:\n"
                          "            for line in lines:\n                unescape(line)\n",
                          "def parse(lines):\n    for i in range(20000):\n        unescape(lines[i])\n")
    assert counted != hot
    found = lint_sources({"m.py": counted}, select=("PFL102",), config=Config(min_severity="note"))
    assert [(f.line, f.severity, f.frequency) for f in found] == [(3, "warning", 20000.0)]
    cold = "import re\ndef f(rows):\n    for r in rows:\n        re.compile(r'x+').match(r)\n"
    found = lint_sources({"m.py": cold}, select=("PFL102",), config=Config(min_severity="note"))
    assert [(f.line, f.severity) for f in found] == [(4, "note")]


def test_pfl102_pattern_per_entry_of_a_constant_table():
    source = (
        "import re\n"
        "class Lang:\n"
        "    ABBREVIATIONS = ['dr', 'mr']\n"
        "class Replacer:\n"
        "    def search(self, text):\n"
        "        for abbr in Lang.ABBREVIATIONS:\n"
        "            stripped = abbr.strip()\n"
        "            re.findall(r'(?:^|\\s){}'.format(stripped), text, flags=re.I)\n"
        "            re.findall(r'(?:^|\\s){}{}'.format(stripped, text), text)\n"
    )
    found = findings(source, "PFL102")
    assert [f.line for f in found] == [8]  # line 9 mixes in the text: a new pattern per call
    assert "constant table 'ABBREVIATIONS'" in found[0].message
    assert found[0].severity == "warning" and found[0].confidence == "medium"


# dsmr_parser's TelegramParser.parse (before PR 131): each telegram compiled every signature of
# the parser's stored specification again; readers parse every telegram that arrives.
TELEGRAM_PARSER = (
    "import re\n"
    "class TelegramParser:\n"
    "    def __init__(self, telegram_specification):\n"
    "        self.telegram_specification = telegram_specification\n"
    "    def parse(self, telegram_data):\n"
    "        telegram = {}\n"
    "        for signature, parser in self.telegram_specification['objects'].items():\n"
    "            pattern = re.compile(signature, re.DOTALL)\n"
    "            for match in pattern.findall(telegram_data):\n"
    "                telegram[signature] = parser.parse(match)\n"
    "        return telegram\n"
    "def read(spec, ports):\n"
    "    parser = TelegramParser(spec)\n"
    "    for port in ports:\n"
    "        for telegram in receive(port):\n"
    "            parser.parse(telegram)\n"
)
TABLE_PATTERN_FIX = ("compile the table's patterns once, in __init__ (or at module level for a constant table): a dict "
                     "{entry: re.compile(entry)}, looked up in the loop")


def test_pfl102_pattern_per_entry_of_a_table_kept_on_the_object():
    from perflint.costs import load_costs

    (f,) = findings(TELEGRAM_PARSER, "PFL102")
    assert (f.line, f.severity, f.confidence) == (8, "error", "medium")  # 35.5 us x 1,000 x 0.5
    assert f.message == (
        "re.compile() of each entry of self.telegram_specification['objects'], an attribute set in __init__ only, on "
        "every call: the table is the same each time, so each call looks every one of its patterns up in re's cache "
        "again (and compiles them again once other patterns evict them)"
    )
    assert f.fix == TABLE_PATTERN_FIX
    # priced per entry of the table (its size unknown: 100) for each call of parse(), whose
    # heat the two loops of read() give (100 x 10); the loop over the table is the size term,
    # so the cap on nested unknown loops does not swallow it
    assert f.frequency == 1000.0
    assert f.cost == pytest.approx(100 * load_costs()["regex-compile-cached-pattern"])


def test_pfl102_pattern_per_entry_of_a_constant_table_of_known_size():
    from perflint.costs import load_costs

    source = (
        "import re\n"
        "SIGNATURES = ['1-0:1.8.1', '1-0:1.8.2', '1-0:2.8.1']\n"
        "def parse(lines):\n"
        "    for line in lines:\n"
        "        for signature in SIGNATURES:\n"
        "            if re.compile(signature).match(line):\n"
        "                yield signature\n"
    )
    (f,) = findings(source, "PFL102")
    assert (f.line, f.severity) == (6, "note")  # 3 lookups per line: under a millisecond
    assert f.message.startswith("re.compile() of each entry of the module-level constant 'SIGNATURES', on every call:")
    assert f.frequency == 100.0
    assert f.cost == pytest.approx(3 * load_costs()["regex-compile-cached-pattern"])


def test_pfl102_patterns_compiled_once_per_object_or_on_a_miss_are_not_reported():
    fixed = TELEGRAM_PARSER.replace(
        "        self.telegram_specification = telegram_specification\n",
        "        self.telegram_specification = telegram_specification\n"
        "        self.regexes = {s: re.compile(s, re.DOTALL) for s in telegram_specification['objects']}\n",
    ).replace("re.compile(signature, re.DOTALL)", "self.regexes[signature]")
    assert fixed.count("re.compile") == 1
    assert findings(fixed, "PFL102") == []
    # the parser built per stream (its __init__ compiling the table) is once per object
    per_stream = fixed.replace("    parser = TelegramParser(spec)\n    for port in ports:\n",
                               "    for port in ports:\n        parser = TelegramParser(spec)\n")
    assert per_stream != fixed
    assert findings(per_stream, "PFL102") == []
    near_misses = [
        # a cache-miss branch: each pattern compiled once per process
        TELEGRAM_PARSER.replace(
            "            pattern = re.compile(signature, re.DOTALL)\n",
            "            if signature not in _COMPILED:\n"
            "                _COMPILED[signature] = re.compile(signature, re.DOTALL)\n"
            "            pattern = _COMPILED[signature]\n"),
        # the compiled patterns are kept on the object: a method that fills its table of compiled
        # patterns is setup work (taken so whatever calls it, though this one refills it per call)
        TELEGRAM_PARSER.replace(
            "            pattern = re.compile(signature, re.DOTALL)\n",
            "            self._compiled[signature] = pattern = re.compile(signature, re.DOTALL)\n"),
        # another method replaces the table: what parse() compiles may differ between calls
        TELEGRAM_PARSER.replace("    def parse(self, telegram_data):\n",
                                "    def load(self, spec):\n        self.telegram_specification = spec\n"
                                "    def parse(self, telegram_data):\n"),
        # a literal of the outer loop's entry: not a table of constants
        TELEGRAM_PARSER.replace("self.telegram_specification['objects'].items()", "[(parser.name, parser)]"),
        # a table that comes with the call
        TELEGRAM_PARSER.replace("self.telegram_specification['objects'].items()", "telegram_data.items()"),
        # the pattern is the entry rebuilt in the loop (the form of a built pattern decides)
        TELEGRAM_PARSER.replace("            pattern = re.compile(signature, re.DOTALL)\n",
                                "            signature = signature.strip()\n"
                                "            pattern = re.compile(signature, re.DOTALL)\n"),
    ]
    for source in near_misses:
        assert source != TELEGRAM_PARSER
        assert findings(source, "PFL102") == [], source


# A template language compiled to a Python function by a helper of the constructor (beets'
# Template: _parse, then translate() -> compile_func() -> compile()), built per item from the
# configured path formats.
TEMPLATE_MODULE = (
    "import ast\n"
    "def compile_func(names, body):\n"
    "    return compile(ast.parse(body), '<generated>', 'exec')\n"
    "class Template:\n"
    "    def __init__(self, template):\n"
    "        self.parts = template.split('$')\n"
    "        self.compiled = self.translate()\n"
    "    def translate(self):\n"
    "        return compile_func([], ' + '.join(self.parts))\n"
    "class Plain:\n"
    "    def __init__(self, template):\n"
    "        self.parts = template.split('$')\n"
)
ITEM_MODULE = (
    "from pkg.tmpl import Template, Plain\n"
    "class Item:\n"
    "    def destination(self, path_formats=None):\n"
    "        path_formats = path_formats or self._db.path_formats\n"
    "        for query, path_format in path_formats:\n"
    "            if query == 'default':\n"
    "                break\n"
    "        return Template(path_format).substitute(self)\n"
    "def move_all(items):\n"
    "    for item in items:\n"
    "        Item.destination(item)\n"
)


def test_pfl102_constructor_that_compiles_configuration_per_item():
    files = {"pkg/__init__.py": "", "pkg/tmpl.py": TEMPLATE_MODULE, "pkg/item.py": ITEM_MODULE}
    found = findings(files, "PFL102")
    assert [(f.path, f.line, f.severity, f.confidence) for f in found] == [("pkg/item.py", 8, "warning", "medium")]
    assert found[0].message == (
        "Template() parses its text as code when it is built, and is built from configuration ('path_format', "
        "taken from a long-lived attribute) on every call"
    )
    assert found[0].fix.startswith("keep the built objects by their text (a functools.lru_cache'd factory")
    assert 50e-6 < found[0].cost < 100e-6  # parse-python-byte x 256 bytes of generated code
    # the fix: an lru_cache'd factory builds each distinct format once
    fixed = ITEM_MODULE.replace("from pkg.tmpl import Template, Plain\n",
                                "import functools\nfrom pkg.tmpl import Template, Plain\n"
                                "@functools.lru_cache(maxsize=256)\ndef template(fmt):\n    return Template(fmt)\n")
    fixed = fixed.replace("return Template(path_format)", "return template(path_format)")
    assert findings({**files, "pkg/item.py": fixed}, "PFL102") == []


def test_pfl102_constructor_near_misses_per_item_text_and_no_compile():
    # a class that only splits its text, and per-item text (the item's own format)
    near = ITEM_MODULE.replace("return Template(path_format)", "return Plain(path_format)")
    per_item = ITEM_MODULE.replace("return Template(path_format)", "return Template(self.path_format)")
    per_item = per_item.replace("def destination(self, path_formats=None):",
                                "def destination(self, path_formats=None):\n        Template(path_formats)")
    # each entry of the configured list in turn (Twisted's `for f in self.zonefiles: Zone(f)`)
    each = ITEM_MODULE.replace("            if query == 'default':\n                break\n",
                               "            Template(path_format)\n")
    each = each.replace("return Template(path_format).substitute(self)", "return None")
    assert each != ITEM_MODULE
    for module in (near, per_item.replace("self.path_format", "self.item.path_format"), each):
        files = {"pkg/__init__.py": "", "pkg/tmpl.py": TEMPLATE_MODULE, "pkg/item.py": module}
        assert findings(files, "PFL102") == [], module


# packaging's markers: each version comparison formats the operator and the version into a
# string that Specifier's constructor matches with its regex to split them again.
SPEC_MODULE = (
    "import re\n"
    "class Specifier:\n"
    "    _regex = re.compile(r'(?P<op>[<>=!~]+)(?P<version>.*)')\n"
    "    def __init__(self, spec=''):\n"
    "        if not self._regex.fullmatch(spec):\n"
    "            raise ValueError(spec)\n"
    "        self.op, self.version = spec[:2], spec[2:]\n"
    "    def contains(self, v):\n"
    "        return v == self.version\n"
    "class Plain:\n"
    "    def __init__(self, spec=''):\n"
    "        self.spec = spec\n"
)
MARKERS_MODULE = (
    "from pkg.spec import Specifier, Plain\n"
    "def eval_op(lhs, op, rhs):\n"
    "    return Specifier(f'{op}{rhs}').contains(lhs)\n"
    "def evaluate(markers, environments):\n"
    "    for env in environments:\n"
    "        for lhs, op, rhs in markers:\n"
    "            eval_op(env[lhs], op, rhs)\n"
)


def test_pfl102_text_formatted_for_a_constructor_that_parses_it_back():
    files = {"pkg/__init__.py": "", "pkg/spec.py": SPEC_MODULE, "pkg/markers.py": MARKERS_MODULE}
    found = findings(files, "PFL102")
    assert [(f.path, f.line, f.severity) for f in found] == [("pkg/markers.py", 3, "warning")]
    assert found[0].message == ("Specifier() is built from text formatted here, and its constructor matches that "
                                "text with a regex to take it apart again, on every call")
    assert 1e-6 < found[0].cost < 3e-6  # parse-text-ctor: a regex match and a split, ~2 us
    assert "lru_cache" in found[0].fix
    # the trace ends where the constructor parses
    assert found[0].trace[-1].path == "pkg/spec.py" and found[0].trace[-1].line == 5
    # the fix: Specifier objects kept by their text
    fixed = MARKERS_MODULE.replace("def eval_op(", "import functools\n@functools.lru_cache(maxsize=64)\n"
                                   "def get_spec(text):\n    return Specifier(text)\ndef eval_op(")
    fixed = fixed.replace("Specifier(f'{op}{rhs}')", "get_spec(f'{op}{rhs}')")
    assert findings({**files, "pkg/markers.py": fixed}, "PFL102") == []


def test_pfl102_formatted_text_near_misses():
    # a constructor that stores its text; text passed in, not formatted here; a cold caller
    for old, new in (("Specifier(f'{op}{rhs}')", "Plain(f'{op}{rhs}')"),
                     ("Specifier(f'{op}{rhs}')", "Specifier(rhs)"),
                     ("            eval_op(env[lhs], op, rhs)\n", "            pass\n    eval_op(1, 2, 3)\n")):
        module = MARKERS_MODULE.replace(old, new)
        assert module != MARKERS_MODULE
        files = {"pkg/__init__.py": "", "pkg/spec.py": SPEC_MODULE, "pkg/markers.py": module}
        assert findings(files, "PFL102") == [], module


# poetry-core's markers: a module-level lark parser runs on parse_marker's text on every call,
# and the program formats marker texts itself (an inverted marker is written out and parsed
# back), so the same few texts are parsed again for every dependency.
GRAMMAR_MODULE = (
    "from lark import Lark\n"
    "GRAMMAR = 'start: NAME'\n"
    "_parser = Lark(GRAMMAR, parser='lalr')\n"
    "def parse_marker(marker):\n"
    "    if not marker:\n"
    "        return None\n"
    "    return _parser.parse(marker)\n"
    "class SingleMarker:\n"
    "    def invert(self):\n"
    "        return parse_marker(f\"{self.name} != '{self.value}'\")\n"
)
FACTORY_MODULE = (
    "from pkg.markers import parse_marker\n"
    "def create_dependency(constraint):\n"
    "    return parse_marker(constraint.get('markers'))\n"
    "def add_group(group):\n"
    "    for constraint in group.load():\n"
    "        create_dependency(constraint)\n"
    "def configure(groups):\n"
    "    for group in groups:\n"
    "        add_group(group)\n"
)


def test_pfl102_grammar_parse_of_texts_the_program_formats():
    files = {"pkg/__init__.py": "", "pkg/markers.py": GRAMMAR_MODULE, "pkg/factory.py": FACTORY_MODULE}
    found = findings(files, "PFL102")
    assert [(f.path, f.line, f.severity, f.confidence) for f in found] == [("pkg/markers.py", 7, "warning", "medium")]
    assert found[0].message.startswith("_parser.parse() runs a grammar parser on every call of parse_marker()")
    assert "lru_cache" in found[0].fix and "parse_marker()" in found[0].fix
    assert 15e-6 < found[0].cost < 25e-6  # parse-python-byte x 64 bytes: a lower bound for lark
    # the fix: parse_marker memoised by its text
    fixed = GRAMMAR_MODULE.replace("def parse_marker(", "import functools\n@functools.lru_cache(maxsize=None)\n"
                                   "def parse_marker(")
    assert findings({**files, "pkg/markers.py": fixed}, "PFL102") == []


def test_pfl102_grammar_parse_near_misses():
    # no caller formats the text (it is the caller's data); a parser that is not a grammar's;
    # a method (self's state may change what it parses); a cold caller
    for old, new in (("return parse_marker(f\"{self.name} != '{self.value}'\")", "return parse_marker(self.text)"),
                     ("_parser = Lark(GRAMMAR, parser='lalr')", "_parser = Formatter(GRAMMAR)"),
                     ("def parse_marker(marker):", "class M:\n  def parse_marker(self, marker):"),
                     # a file's name, not its text: the file may change between calls
                     ("(marker):\n    if not marker:\n        return None\n    return _parser.parse(marker)",
                      "(path):\n    if not path:\n        return None\n    return _parser.parse(path)")):
        module = GRAMMAR_MODULE.replace(old, new)
        assert module != GRAMMAR_MODULE
        files = {"pkg/__init__.py": "", "pkg/markers.py": module, "pkg/factory.py": FACTORY_MODULE}
        assert findings(files, "PFL102") == [], module
    cold = FACTORY_MODULE.replace("        add_group(group)\n", "        pass\n    add_group(groups)\n")
    cold = cold.replace("        create_dependency(constraint)\n", "        pass\n    create_dependency(group)\n")
    files = {"pkg/__init__.py": "", "pkg/markers.py": GRAMMAR_MODULE, "pkg/factory.py": cold}
    assert findings(files, "PFL102") == []


def test_pfl102_loop_that_mutates_the_text_is_not_invariant():
    source = (
        "import json\n"
        "def stream(sock):\n"
        "    buf = ''\n"
        "    while True:\n"
        "        buf += sock.recv(10).decode()\n"
        "        yield json.loads(buf)\n"
    )
    assert findings(source, "PFL102") == []


# -- PFL103 serialize-roundtrip-clone ---------------------------------------------------------
def test_pfl103_cold_note_hot_warning_and_tests_skipped():
    files = {
        "lib/__init__.py": "",
        "lib/state.py": (
            "import json\n"
            "def snapshot(state):\n"
            "    return json.loads(json.dumps(state))\n"
            "def cold(state):\n"
            "    return json.loads(json.dumps(state))\n"
        ),
        "lib/loop.py": "from lib.state import snapshot\ndef run(states):\n    return [snapshot(s) for s in states]\n",
        "tests/test_state.py": (
            "import pickle\n"
            "def helper(x):\n"
            "    return pickle.loads(pickle.dumps(x))\n"
        ),
    }
    found = findings(files, "PFL103")
    assert [(f.path, f.line, f.severity) for f in found] == [
        ("lib/state.py", 3, "warning"),
        ("lib/state.py", 5, "note"),
    ]
    assert found[0].message == "json.loads(json.dumps(...)) copies the object by serialising it and parsing it back"


def test_pfl103_through_a_local_names_the_line():
    source = "import pickle\ndef fork(x):\n    blob = pickle.dumps(x)\n    return pickle.loads(blob)\n"
    (f,) = findings(source, "PFL103")
    assert f.line == 4
    assert "(through 'blob', line 3)" in f.message


def test_pfl103_rebound_local_is_forgotten():
    source = (
        "import pickle\n"
        "def fork(x, sock):\n"
        "    blob = pickle.dumps(x)\n"
        "    sock.send(blob)\n"
        "    blob = sock.recv(100)\n"
        "    return pickle.loads(blob)\n"
    )
    assert findings(source, "PFL103") == []


# -- PFL104 sql-text-per-call ----------------------------------------------------------------
def test_pfl104_value_pasted_is_high_identifier_is_medium():
    source = (
        "TABLE = 'users'\n"
        "def load(cur, ids, name):\n"
        "    for i in ids:\n"
        "        cur.execute(f'SELECT * FROM {TABLE} WHERE id = {i}')\n"
        "        cur.execute(f'SELECT * FROM {TABLE}')\n"
        "        cur.execute('SELECT * FROM t WHERE id = ?', (i,))\n"
        "        cur.execute('SELECT * FROM t WHERE name = %s', (name,))\n"
        "        cur.execute(\"UPDATE t SET name = '%s'\" % name)\n"
    )
    found = findings(source, "PFL104")
    # one cause (SQL text built per row, one fix): one finding, the other sites related to it;
    # three statement-cache misses per row of an unknown loop, summed (a warning from 1 ms)
    assert [(f.line, f.confidence, [loc.line for loc in f.related]) for f in found] == [(4, "high", [5, 8])]
    assert found[0].severity == ("warning" if found[0].score >= 1e-3 else "note")
    assert found[0].message == (
        "execute() runs SQL text with 'i' pasted in: a new statement to parse and plan for every value, "
        "instead of a bound parameter (and 2 more like it in this for loop: lines 5, 8)"
    )
    assert found[0].related[0].note == (
        "execute() runs SQL text rebuilt from 'TABLE' on every call, though it comes out the same each time: "
        "build it once"
    )


def test_pfl104_placeholders_and_non_sql_are_not_reported():
    source = (
        "def load(cur, ids, shell, name):\n"
        "    qs = ', '.join(['%s'] * len(ids))\n"
        "    cur.execute('SELECT * FROM t WHERE id IN (%s)' % qs, ids)\n"
        "    cur.execute('SELECT * FROM t WHERE id IN ({})'.format(','.join('?' * len(ids))), ids)\n"
        "    shell.execute(f'rm -rf {name}')\n"
        "    cur.execute('SELECT 1')\n"
    )
    assert findings(source, "PFL104") == []


def test_pfl104_local_built_then_executed_in_a_hot_function():
    files = {
        "db/__init__.py": "",
        "db/repo.py": (
            "class Repo:\n"
            "    def __init__(self, conn):\n"
            "        self.conn = conn\n"
            "    def get(self, key):\n"
            "        query = 'SELECT v FROM kv WHERE k = ' + repr(key)\n"
            "        return self.conn.execute(query).fetchone()\n"
        ),
        "db/job.py": "from db.repo import Repo\ndef run(conn, keys):\n    r = Repo(conn)\n    return [r.get(k) for k in keys]\n",
    }
    (f,) = findings(files, "PFL104")
    # a statement-cache miss (microseconds) per key of an unknown loop: reached, but a note
    assert (f.path, f.line, f.severity, f.confidence, f.frequency) == ("db/repo.py", 6, "note", "high", 100.0)
    assert f.trace[0].function == "run"
    assert "('query', built on line 5)" in f.message


# -- PFL202 struct-format-per-call ------------------------------------------------------------
def test_pfl202_weight_is_lower_and_needs_repetition():
    source = (
        "import struct\n"
        "def one(b):\n"
        "    return struct.unpack('<I', b)\n"
        "def many(bs):\n"
        "    for b in bs:\n"
        "        struct.unpack('<I', b)\n"
        "def nested(rows):\n"
        "    for row in rows:\n"
        "        for b in row:\n"
        "            struct.unpack('<I', b)\n"
    )
    found = findings(source, "PFL202")
    # a format-cache hit costs nanoseconds: a note even per item of a loop. The inner loop
    # walks the parts of the outer loop's item: counted with it, not multiplied again.
    assert [(f.line, f.severity, f.frequency) for f in found] == [(6, "note", 100.0), (10, "note", 100.0)]
    assert found[0].message == (
        "struct.unpack() looks the format '<I' up on every call (and compiles it again on a cache miss): "
        "use a module-level struct.Struct"
    )


def test_pfl202_hot_through_a_caller_in_another_module():
    files = {
        "bin/__init__.py": "",
        "bin/codec.py": "from struct import pack\ndef enc(a, b):\n    return pack('>HH', a, b)\n",
        "bin/main.py": "from bin.codec import enc\ndef encode(pairs):\n    return [enc(a, b) for a, b in pairs]\n",
    }
    (f,) = findings(files, "PFL202")
    assert (f.path, f.line, f.severity, f.frequency) == ("bin/codec.py", 3, "note", 100.0)
    assert f.trace and f.trace[0].function == "encode"


# -- PFL203 bytes-concat-in-loop ----------------------------------------------------------------
def test_pfl203_bytes_high_str_medium_bytearray_never():
    source = (
        "def f(parts):\n"
        "    b = b''\n"
        "    s = ''\n"
        "    ba = bytearray()\n"
        "    for p in parts:\n"
        "        b += p\n"
        "        s = s + p.decode()\n"
        "        ba += p\n"
        "    return b, s, ba\n"
    )
    found = findings(source, "PFL203")
    assert [(f.line, f.confidence) for f in found] == [(6, "high")]
    assert found[0].message == "bytes 'b' grows by concatenation in a loop: every step copies all the bytes so far"
    # str appends that CPython grows in place are only reported when asked for
    opted = findings(source, "PFL203", {"str-append": True})
    assert [(f.line, f.confidence, f.frequency) for f in opted] == [(6, "high", 100.0), (7, "low", 100.0)]
    assert opted[1].severity == "note"  # low confidence: never more than a note


def test_pfl203_str_chain_copies_before_storing():
    source = "def csv(rows):\n    s = ''\n    for r in rows:\n        s = s + r + ','\n    return s\n"
    (f,) = findings(source, "PFL203")
    assert (f.line, f.confidence) == (4, "medium")
    assert f.message.startswith("str 's' grows by 's = s + a + b' in a loop")


def test_pfl203_str_prepend_is_medium():
    source = "def rev(xs):\n    s = str()\n    for x in xs:\n        s = x + s\n    return s\n"
    (f,) = findings(source, "PFL203")
    assert (f.line, f.confidence, f.frequency) == (4, "medium", 100.0)
    assert f.message == "str 's' grows by putting pieces in front of it in a loop: every step copies the whole string"


def test_pfl203_reset_inside_the_loop_and_rebinding_are_not_reported():
    source = (
        "def lines(chars):\n"
        "    line = ''\n"
        "    for c in chars:\n"
        "        line += c\n"
        "        if c == '\\n':\n"
        "            yield line\n"
        "            line = ''\n"
        "def g(parts):\n"
        "    out = b''\n"
        "    out = []\n"
        "    for p in parts:\n"
        "        out += [p]\n"
    )
    assert findings(source, "PFL203") == []


# -- PFL204 slice-copy-in-loop -------------------------------------------------------------------
def test_pfl204_consuming_buffer_is_high_other_slices_medium():
    source = (
        "def frames(sock):\n"
        "    buf = sock.recv(1 << 16)\n"
        "    while len(buf) > 4:\n"
        "        n = int.from_bytes(buf[:4], 'big')\n"
        "        yield n\n"
        "        buf = buf[4 + n:]\n"
    )
    found = findings(source, "PFL204")
    assert [(f.line, f.confidence) for f in found] == [(4, "medium"), (6, "high")]
    assert found[1].message == (
        "'buf = buf[...]' in a loop copies the rest of the bytes on every step: quadratic in the number of "
        "steps; keep an offset or a memoryview"
    )


def test_pfl204_binary_file_read_is_bytes_text_read_is_not():
    source = (
        "def chunks(path):\n"
        "    with open(path, 'rb') as f:\n"
        "        data = f.read()\n"
        "    return [data[i:i + 8] for i in range(0, len(data), 8)]\n"
        "def text_chunks(path):\n"
        "    with open(path) as f:\n"
        "        data = f.read()\n"
        "    return [data[i:i + 8] for i in range(0, len(data), 8)]\n"
    )
    assert lines(source, "PFL204") == [4]


def test_pfl204_not_outside_a_loop_and_not_after_memoryview():
    source = (
        "def head(data: bytes):\n"
        "    return data[:4], data[4:]\n"
        "def walk(data: bytes):\n"
        "    data = memoryview(data)\n"
        "    while data:\n"
        "        data = data[1:]\n"
    )
    assert findings(source, "PFL204") == []


def test_pfl104_keywords_inside_a_quoted_sql_string_are_text():
    # sqlite3.dump builds INSERT statements with SQL: VALUES( there is inside a string
    source = (
        "def dump(cu, names):\n"
        "    for name in names:\n"
        "        q = \"\"\"SELECT 'INSERT INTO \"{0}\" VALUES({1})' FROM \"{0}\";\"\"\".format(name, name)\n"
        "        cu.execute(q)\n"
        "def find(cur, names):\n"
        "    for n in names:\n"
        "        cur.execute(\"SELECT * FROM t WHERE name LIKE '%\" + n + \"%'\")\n"
    )
    assert [(f.line, f.confidence) for f in findings(source, "PFL104")] == [(7, "high")]


def test_pfl204_error_paths_and_fresh_values_per_iteration_are_not_reported():
    # uu.decode: `s` is a fresh line each iteration, and the slice is on the error path
    source = (
        "import binascii\n"
        "def decode(path, out):\n"
        "    f = open(path, 'rb')\n"
        "    s = f.readline()\n"
        "    while s:\n"
        "        try:\n"
        "            data = binascii.a2b_uu(s)\n"
        "        except binascii.Error:\n"
        "            data = binascii.a2b_uu(s[:10])\n"
        "        out.write(data)\n"
        "        s = f.readline()\n"
    )
    assert findings(source, "PFL204") == []


def test_pfl204_pending_output_buffer_is_the_quadratic_case():
    # pty._copy: the unwritten rest of a buffer is re-sliced after every partial write
    source = (
        "import os\n"
        "def pump(fd, chunks):\n"
        "    pending = b''\n"
        "    for chunk in chunks:\n"
        "        pending += chunk\n"
        "        n = os.write(fd, pending)\n"
        "        pending = pending[n:]\n"
    )
    assert [(f.line, f.confidence) for f in findings(source, "PFL204")] == [(7, "high")]
    assert [(f.line, f.confidence) for f in findings(source, "PFL203")] == [(5, "high")]


# -- session seven: shapes from the blind-mined real bugs ------------------------------------------
def test_pfl204_str_rebound_to_its_tail_per_line_found():
    # httpx's LineDecoder: the chunk rebound to the text after each line found, ended by `text = ""`
    buggy = (
        "class LineDecoder:\n"
        "    def decode(self, text: str):\n"
        "        lines = []\n"
        "        while text:\n"
        "            for idx in range(len(text)):\n"
        "                if text[idx] == '\\n':\n"
        "                    lines.append(text[: idx + 1])\n"
        "                    text = text[idx + 1:]\n"
        "                    break\n"
        "                elif idx + 1 == len(text):\n"
        "                    self.buffer = text\n"
        "                    text = ''\n"
        "                    break\n"
        "        return lines\n"
    )
    found = findings(buggy, "PFL204")
    assert [(f.line, f.confidence) for f in found] == [(8, "high")]
    assert "copies the rest of the str" in found[0].message
    fixed = (
        "class LineDecoder:\n"
        "    def decode(self, text: str):\n"
        "        lines = text.splitlines(keepends=True)\n"
        "        return lines\n"
    )
    assert findings(fixed, "PFL204") == []
    # near misses: substrings taken at an offset, a fresh line per trip, and a str of unknown type
    near = (
        "def words(text: str):\n"
        "    i = 0\n"
        "    while i < len(text):\n"
        "        j = text.find(' ', i)\n"
        "        yield text[i:j]\n"
        "        i = j + 1\n"
        "def strip_all(f):\n"
        "    for line in f:\n"
        "        line = str(line)\n"
        "        line = line[1:]\n"
        "def tails(seq):\n"
        "    while seq:\n"
        "        seq = seq[1:]\n"
    )
    assert findings(near, "PFL204") == []


def test_pfl101_model_deep_copy_of_an_outer_loop_entry():
    # dbt-bouncer: each configured check deep-copied (pydantic) once per resource it applies to
    buggy = (
        "def assemble(checks, resources):\n"
        "    out = []\n"
        "    for check in checks:\n"
        "        for r in resources:\n"
        "            if not applies(check, r):\n"
        "                continue\n"
        "            c = check.model_copy(deep=True)\n"
        "            c.set_resource(r)\n"
        "            out.append(c)\n"
        "    return out\n"
    )
    found = findings(buggy, "PFL101")
    assert [(f.line, f.confidence) for f in found] == [(7, "medium")]
    assert found[0].message.startswith(
        "model_copy(deep=True) of 'check', an entry of an outer loop that this loop does not change, on every iteration")
    assert found[0].severity in ("warning", "error")
    fixed = buggy.replace("check.model_copy(deep=True)", "check.model_copy()")
    assert findings(fixed, "PFL101") == []
    v1 = buggy.replace("model_copy(deep=True)", "copy(deep=True)")
    assert [f.line for f in findings(v1, "PFL101")] == [7]
    # near misses: the inner loop changes the structure between copies (a snapshot per step),
    # the copy is of the loop's own entry, a comprehension over the entries
    near = (
        "import copy\n"
        "def play(games):\n"
        "    for board in games:\n"
        "        history = []\n"
        "        for move in board.moves:\n"
        "            board.apply(move)\n"
        "            history.append(copy.deepcopy(board))\n"
        "def each(models):\n"
        "    for m in models:\n"
        "        yield m.model_copy(deep=True)\n"
        "def rebound(items):\n"
        "    state = {}\n"
        "    for i in items:\n"
        "        state = merge(state, i)\n"
        "        yield copy.deepcopy(state)\n"
        # salt's state compiler: a record the function builds, copied per name (a fresh record
        # per item is what the copy is for)
        "def compile_chunks(states):\n"
        "    for state in states:\n"
        "        chunk = {'state': state.name}\n"
        "        for entry in state.names:\n"
        "            live = copy.deepcopy(chunk)\n"
        "            live['name'] = entry\n"
        "def commands(prefix, names):\n"
        "    cmd_prefix = [prefix, 'se']\n"
        "    for name in names:\n"
        "        for flag in ('-p', '-q'):\n"
        "            cmd = copy.deepcopy(cmd_prefix)\n"
        "            cmd.append(flag)\n"
    )
    assert findings(near, "PFL101") == []


# -- PFL205 record-parsed-per-index -----------------------------------------------------------
SYMTAB = ("def struct_parse(struct, stream, stream_pos=None):\n"
          "    if stream_pos is not None:\n"
          "        stream.seek(stream_pos)\n"
          "    return struct.parse_stream(stream)\n"
          "class SymbolTable:\n"
          "    def get_symbol(self, n):\n"
          "        entry_offset = self['sh_offset'] + n * self['sh_entsize']\n"
          "        entry = struct_parse(self.structs.Elf_Sym, self.stream, stream_pos=entry_offset)\n"
          "        return Symbol(entry)\n"
          "    def iter_symbols(self):\n"
          "        for i in range(self.num_symbols()):\n"
          "            yield self.get_symbol(i)\n")


def _pfl205(src, config):
    return [f for f in lint_sources({"m.py": src}, select=("PFL205",), config=config) if f.rule == "PFL205"]


def test_pfl205_record_parsed_per_index_through_a_helper(round_config):
    (f,) = _pfl205(SYMTAB, round_config)
    # iter_symbols' range loop (x100) x record-parse (4 us, round costs) = 0.4 ms: a note alone;
    # a caller's loop over sections (below) makes it a warning
    assert (f.line, f.severity, f.frequency) == (8, "note", 100.0)
    assert f.message == ("struct_parse() parses one record at an offset computed from n (it seeks there and calls "
                         "parse_stream()), and this runs per index: a seek and a declarative parse per record")
    hot = SYMTAB + ("def dump(sections):\n    for s in sections:\n        table = SymbolTable()\n"
                    "        for sym in table.iter_symbols():\n            print(sym)\n")
    (f,) = _pfl205(hot, round_config)
    assert (f.line, f.severity, f.frequency) == (8, "warning", 1000.0)


def test_pfl205_local_seek_then_parse_stream(round_config):
    src = ("class Relocations:\n"
           "    def get_relocation(self, n):\n"
           "        self.stream.seek(self.offset + n * self.entsize)\n"
           "        return self.structs.Elf_Rel.parse_stream(self.stream)\n"
           "    def iter_relocations(self):\n"
           "        n = 0\n"
           "        while n < self.count:\n"
           "            yield self.get_relocation(n)\n"
           "            n += 1\n")
    (f,) = _pfl205(src, round_config)
    assert (f.line, f.frequency) == (4, 100.0)
    assert f.message == ("self.structs.Elf_Rel.parse_stream() parses one record at an offset computed from n, "
                         "and this runs per index: a seek and a declarative parse per record")


def test_pfl205_fixed_table_read_once_is_quiet(round_config):
    fixed = ("import struct\nSYM = struct.Struct('<IBBHQQ')\n"
             "class SymbolTable:\n"
             "    def iter_symbols(self):\n"
             "        self.stream.seek(self['sh_offset'])\n"
             "        data = self.stream.read(self['sh_size'])\n"
             "        for fields in SYM.iter_unpack(data):\n"
             "            yield Symbol(*fields)\n")
    assert _pfl205(fixed, round_config) == []


@pytest.mark.parametrize("src", [
    # an index read from the data (a table slot named by an attribute): a lookup, not a walk
    SYMTAB.replace("        for i in range(self.num_symbols()):\n            yield self.get_symbol(i)\n",
                   "        for die in self.dies:\n            yield self.get_symbol(die.value)\n"),
    # a helper that does not parse with a declarative parser (struct per record: cheap)
    SYMTAB.replace("    return struct.parse_stream(stream)\n", "    return stream.read(24)\n"),
    # an offset that does not multiply the index
    SYMTAB.replace("self['sh_offset'] + n * self['sh_entsize']", "self['sh_offset'] + 16"),
])
def test_pfl205_near_misses(src, round_config):
    assert _pfl205(src, round_config) == []
