"""PFL102 reparse-per-call."""

from __future__ import annotations

import re
from typing import Dict, Optional, Set, Tuple

import libcst as cst

from perflint.attrwrites import MUTATORS, ONCE_PER_OBJECT, attribute_writes, chain as _chain
from perflint.nodes import STATEMENTS_ONLY, iter_children, own_nodes
from perflint.repetition import literal_size
from perflint.values import dotted_text
from perflint.rule import Invalid, Rule
from perflint.ruleutil import enclosing_class, first_arg, innermost_def, is_literal, memoised, names_in
from perflint.rules.clone.grammar_text import (
    FORMATS_TEXT_FOR, grammar_parse_of_parameter, module_grammar_parsers, text_formatted_for)

# Parsers of text: the name as resolved through imports -> what the call does.
_PARSERS = {
    "ast.parse": "ast.parse",
    "compile": "compile",
    "libcst.parse_module": "libcst.parse_module",
    "libcst.parse_expression": "libcst.parse_expression",
    "libcst.parse_statement": "libcst.parse_statement",
    "json.loads": "json.loads",
    "yaml.safe_load": "yaml.safe_load",
    "yaml.load": "yaml.load",
    "yaml.full_load": "yaml.full_load",
    "tomllib.loads": "tomllib.loads",
    "tomli.loads": "tomli.loads",
    "xml.etree.ElementTree.fromstring": "ElementTree.fromstring",
}
# Compilers of a query language that build their parser on every call: jsonpath-ng's parse
# (and its ext variant) and jsonpath-rw's run PLY over the text, 0.2-1 ms a path today (10 ms in
# jsonpath-ng 1.5 and jsonpath-rw, which build the parse tables each time). jmespath.compile
# is not here: it keeps its own cache of parsed expressions.
_QUERY_COMPILERS = {
    "jsonpath_ng.parse": "jsonpath_ng.parse",
    "jsonpath_ng.ext.parse": "jsonpath_ng.ext.parse",
    "jsonpath_ng.ext.parser.parse": "jsonpath_ng.ext.parse",
    "jsonpath_rw.parse": "jsonpath_rw.parse",
    "jsonpath_rw_ext.parse": "jsonpath_rw_ext.parse",
}
# CSS selectors translated to XPath: cssselect's translators (GenericTranslator, HTMLTranslator
# and the subclasses parsel and scrapy make of them) tokenise and parse the selector and build
# the XPath text on every css_to_xpath() call, with no cache of their own; lxml's CSSSelector(css)
# does that and compiles the XPath. A method of that name is cssselect's unless the program
# defines one itself (its own, perhaps cached, translation: parsel's fix).
_CSS_TRANSLATE = "css_to_xpath"
_CSS_SELECTORS = {"lxml.cssselect.CSSSelector": "CSSSelector"}
_CSS_PACKAGES = "imports:cssselect,lxml.cssselect,parsel,scrapy"
# Template engines whose construction compiles the template source into code.
# Parsers of code (and templates, which compile to code) cost ~25x a data parser per byte.
_CODE_PARSERS = {"ast.parse", "compile", "libcst.parse_module", "libcst.parse_expression", "libcst.parse_statement"}
_TEMPLATE_BUILDERS = {"jinja2.Template", "jinja2.environment.Template", "mako.template.Template",
                      # Flask compiles the text with the app's environment on each call (no cache)
                      "flask.render_template_string", "flask.templating.render_template_string"}
# Reads of a whole file's text: `open(p).read()`, `f.read()` of `with open(p) as f`, `Path(p).read_text()`.
_FILE_READS = {"read", "read_text", "read_bytes"}
_PATH_BUILDERS = {"os.path.join", "os.path.dirname", "os.path.abspath", "os.path.realpath", "os.path.normpath",
                  "pathlib.Path", "Path", "pathlib.PurePath", "str", "os.fspath"}
_ENVIRONMENTS = {"jinja2.Environment", "jinja2.environment.Environment"}
# Names of values that arrive with each call (a request body, a line read, a message):
# parsing them per call is the job, not a smell.
_PER_CALL_DATA = re.compile(
    r"(^|_)(data|payload|body|line|lines|message|msg|raw|text|response|resp|request|req|content|"
    r"input|output|stdout|stderr|result|reply|chunk|buf|buffer|packet|record|row|event|item|value|"
    r"val|s|string|doc|blob|frame|args|kwargs|params|json|js|obj)s?$",
    re.I,
)
_LOOP_TYPES = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


class ReparsePerCall(Rule):
    """
    The same text parsed, compiled or turned into a template again on every call.

    ## What it does
    Flags parsers (`ast.parse`, `compile`, `libcst.parse_*`, `json.loads`,
    `yaml.safe_load`, `tomllib.loads`, `ElementTree.fromstring`), `re.compile` of a
    pattern built at run time, and template engines (`jinja2.Template`,
    `jinja2.Environment`, `env.from_string`, Flask's `render_template_string`, which compiles
    with the app's environment every call) that run repeatedly on text that does not
    change between runs: a literal, a module-level constant, an attribute of `self`, a
    value the enclosing loop never reassigns, or the whole text of a file the code names
    (`open(PATH).read()`, `f.read()` in `with open(PATH) as f:`, `Path(PATH).read_text()`,
    with a literal, a module constant, `__file__` or joins of those for the path: a template
    or schema shipped beside the code; medium confidence, a path a caller passes is data).
    A template text formatted from a literal table (`f"{{% from '{COMPONENTS[name]['path']}'
    ... %}}"`, the table a local dict display of literals nothing changes) is one of the few
    texts the table spells out, whatever key the caller passes: medium confidence too.
    An environment is a local or module-level name bound to a class whose name ends in
    `Environment` (jinja2's, a sandbox's), or a name ending in `env`/`environment`.
    It also flags constructing an in-repo class
    with such text when that class's constructor parses it, or reaches a parser of code a
    few calls down (a template language compiled to a Python function: `compile()` in a
    helper of `__init__`), and constructing an in-repo class from text formatted at the
    call (`Specifier(f"{op}{version}")`) when its `__init__` matches that parameter with a
    regex (`self._regex.fullmatch(spec)`) to take it apart again. Severity follows how
    often the code runs: it is only reported in a loop or in a function reached from one
    (or configured `hot`).

    ## Why is this slow
    Parsing is the most expensive thing most programs do to a piece of text: `ast.parse`
    or `libcst.parse_module` cost milliseconds for a module, a Jinja template compiles
    to Python source and then to bytecode, and `json.loads` of a schema allocates every
    node again. When the text is the same each time, all of that work produces the same
    result. The seed's query engine re-parsed and re-planned every statement on each
    execution instead of keeping the parsed form.

    ## Example
    ```python
    class Renderer:
        def render(self, ctx):
            template = jinja2.Template(self.source)    # compiled on every render
            return template.render(ctx)
    ```

    ## Use instead
    ```python
    class Renderer:
        def __init__(self, source):
            self._template = jinja2.Template(source)   # compiled once
        def render(self, ctx):
            return self._template.render(ctx)
    ```

    ## Notes
    Module-level code runs once and is never reported. The `re` module caches compiled
    patterns (512 in CPython 3.11, oldest evicted first), so `re.compile("literal")` in
    a function is a dictionary lookup per call: it is reported at that small cost, which
    reaches a warning only in a function run thousands of times per unit of work.
    `re.compile(name)` is not reported, except for each entry of a table that does not
    change between calls, in the loop over it (`for signature, parser in
    self.spec['objects'].items(): re.compile(signature)`): the table is a literal, a module
    constant, or an attribute of `self` (or an item of one under a literal key) that only the
    class body or `__init__` sets. Every call then looks the same patterns up in re's cache
    again, one lookup per entry: it is priced per entry of the table for each call
    (`regex-compile-cached-pattern`, 355 ns measured over a 36-pattern table with flags; the
    table's size when the code shows it, else 100), at medium confidence, not per trip of
    the loop, so a table walked two unknown loops deep still counts its entries (dsmr_parser
    compiled its specification's 36 signatures per telegram: 13 us a telegram, 6% of parsing).
    Compiling in `__init__`, on a cache miss, or into a table kept on the object is once per
    object and not reported. A pattern *built* at run time from parts that do
    not change is reported: the string is rebuilt and hashed on every call, and
    recompiled whenever the cache has evicted it. A pattern built from each entry of a
    constant table (`for abbr in ABBREVIATIONS: re.findall(" {}[.]".format(abbr), text)`),
    with `re.compile` or any `re` function, is the same set of patterns on every call,
    and a table of a few hundred entries overflows the cache: each call compiles them
    all again. `json.loads` of data that arrives
    with the call (a parameter, a request body, a line just read) is what parsing is for
    and is not reported. `string.Template(text)` is not reported either: its constructor
    only stores the text (the pattern is compiled once per class).

    A class whose `__init__` parses is reported only when the call passes the parameter
    that `__init__` parses: `Metadata(scheme=self.scheme)` builds an empty record, whatever
    `Metadata(path)` would parse.

    Text counts as unchanged when it is configuration: a local taken from a long-lived
    attribute of `self` or a module constant, an entry of a loop over one, or a parameter
    that defaults to one (`formats = formats or self._db.path_formats`, then
    `for query, fmt in formats`). A class whose construction compiles code is priced as
    `parse-python-byte` x the generated code's size: the literal's length, or 256 bytes
    when unknown (beets' default path format compiles to a ~200-byte function, 77 us).
    The fix for a value built on every call is a cache by text (an `lru_cache`'d factory);
    for one built in a loop from text the loop does not change, building it before the loop.

    Formatting parts into text only for a constructor to match it with a regex and split
    it again costs a regex match and a split per call (`parse-text-ctor`, ~2 us); such
    texts come from a small set (operators and versions of a marker), so keeping the built
    objects by their text is the fix (packaging memoised `Specifier` this way). Text passed
    in whole (`Specifier(spec)`) is the caller's data and is not reported, nor is a class
    whose constructor only stores its text. A comparison made while a recursive function
    walks a tree runs once per node of every tree walked: packaging evaluates each package's
    marker (x100) by walking its tree of comparisons (x10), 1.68 us x 1,000, a warning; the
    walk of one marker alone is a note.

    A function that runs a grammar parser built once at module level (`_parser =
    Lark(GRAMMAR, parser="lalr")`, a project's `Parser(GRAMMAR)` wrapper) on its text
    parameter (`return _parser.parse(marker)`) is reported when the program itself formats
    texts for it (a caller passes `f"{name} {op} '{value}'"`): the texts are those of a small
    language the program writes out and reads back (markers, version constraints), so the
    same few recur, and a grammar parser in Python costs tens of microseconds each
    (poetry-core's marker parser, lark LALR: 20-40 us for a marker of 20-50 characters,
    50-260 us with the tree it builds). It is priced as `parse-python-byte` x 64 bytes (a
    line), a lower bound, at medium confidence; the fix is to memoise the function by its
    text. A parse of text no caller formats (data read from a file or passed in) is the
    caller's data and is not reported, nor is a method, nor a parameter that names a file
    (`path`, `filename`, `url`: the file may change between calls).

    A JSONPath compiled on every call (`jsonpath_ng.parse`, `jsonpath_ng.ext.parse`,
    `jsonpath_rw.parse`) builds and runs a PLY parser over the text: 0.2-1 ms a path with
    jsonpath-ng 1.16 (`jsonpath-parse`, 0.56 ms, bench/jsonpath_parse.py), about 10 ms with
    jsonpath-rw and jsonpath-ng 1.5, against a few microseconds for `find()` with the
    expression kept. It is reported on text that does not change (as above), and on the
    function's text parameter when every caller hands it a part of a table that stays the
    same while a loop walks it again for each item: a mapping's template kept on the object
    (bound once per object), handed as it is to a call inside the loop over the records,
    walked field by field, its values passed on (`convert(record, value.strip())`, a bound
    method handed as the callback included). The same few paths are then compiled once per
    record (mothertongues compiled its manifest's paths for every dictionary entry: 20
    entries a second, 1,800 once the parsed paths were kept in a dict). A path read from the
    record, or a template walked once per call, is not reported, nor is a compile on a cache
    miss or in an `lru_cache`'d function. `jmespath.compile` keeps its own cache of parsed
    expressions and is not reported.

    A CSS selector translated to XPath on every call (`translator.css_to_xpath(css)` of
    cssselect's `GenericTranslator` or `HTMLTranslator`, or of the subclasses parsel and scrapy
    make of them; lxml's `CSSSelector(css)`) is tokenised and parsed and its XPath built again:
    2-70 us a selector with cssselect 1.6 (`css-translate`, 29 us, bench/css_translate.py), and
    cssselect keeps no cache. It is reported on text that does not change (as above), and on the
    function's own parameter: the selectors a program (or a spider written against a library)
    hands it are the few queries its code spells out, so the same ones are translated again each
    call (parsel translated a spider's query once per matched element, as `SelectorList.css`
    called `Selector.css` for each; an `lru_cache` on the translator's `css_to_xpath` was the
    fix). A translation in `__init__`, on a cache miss or in a memoised function is not
    reported, nor one of a selector put together per iteration, nor `css_to_xpath` in a program
    that defines a method of that name itself (its own translator, cached or analysed as code).
    """

    CODE = "PFL102"
    COST = "parse-data-byte"  # perflint/costs.py; measured by bench/costs.py
    NAME = "reparse-per-call"
    FAMILY = "clone"
    FIX = "parse or compile once (at import, in __init__, or cached by text) and reuse the result"
    # The constructor of an in-repo class that parses can have any name: run everywhere.
    TRIGGERS = ()
    VALID = [
        # module level: runs once at import
        "import json\nSCHEMA = json.loads('{\"a\": 1}')\n",
        # a literal compiled once per call of a function that runs once
        "import re\ndef f(text):\n    return re.compile(r'\\d+').findall(text)\n",
        # the table's patterns compiled once per object, then looked up per call
        "import re\nclass P:\n    def __init__(self, spec):\n        self.spec = spec\n"
        "        self.rx = {s: re.compile(s) for s in spec}\n"
        "    def parse(self, text):\n        for s in self.spec:\n            self.rx[s].findall(text)\n"
        "def read(p, lines):\n    for line in lines:\n        P.parse(p, line)\n",
        # a table another method replaces: the patterns may differ between calls
        "import re\nclass P:\n    def __init__(self, spec):\n        self.spec = spec\n"
        "    def load(self, spec):\n        self.spec = spec\n"
        "    def parse(self, text):\n        for s in self.spec:\n            re.compile(s).findall(text)\n"
        "def read(p, lines):\n    for line in lines:\n        P.parse(p, line)\n",
        # a pattern per entry of a table that is not constant
        "import re\ndef f(words, text):\n    for w in words:\n        re.findall(r'\\b{}'.format(w), text)\n",
        # per-call data: parsing it is the job
        "import json\ndef handle(messages):\n    for message in messages:\n        yield json.loads(message)\n",
        "import json\ndef on_request(request):\n    return json.loads(request.body)\n",
        # the loop variable changes what is parsed
        "import ast\ndef trees(sources):\n    return [ast.parse(src) for src in sources]\n",
        # parsed once per call of a cold function
        "import jinja2\ndef render_once(source, ctx):\n    return jinja2.Template(source).render(ctx)\n",
        # string.Template only stores its text
        "import string\ndef f(rows):\n    for r in rows:\n        string.Template('$a').substitute(a=r)\n",
        # an in-repo class constructed per item from per-item data
        "import json\nclass Msg:\n    def __init__(self, raw):\n        self.d = json.loads(raw)\n"
        "def read(lines):\n    return [Msg(line) for line in lines]\n",
        # formatted text for a constructor that only stores it
        "class Spec:\n    def __init__(self, spec):\n        self.spec = spec\n"
        "def check(pairs):\n    for op, v in pairs:\n        Spec(f'{op}{v}')\n",
        # the regex matches the text passed in, which is not formatted here
        "import re\nclass Spec:\n    _regex = re.compile(r'(.*)')\n    def __init__(self, spec):\n"
        "        self.m = self._regex.fullmatch(spec)\n"
        "def check(specs):\n    for spec in specs:\n        Spec(spec)\n",
        # the recursive walk keeps its specifiers by their text
        "import functools, re\nclass Spec:\n    _regex = re.compile(r'([<>=]+)(.*)')\n    def __init__(self, spec):\n"
        "        self.m = self._regex.fullmatch(spec)\n"
        "@functools.lru_cache(maxsize=None)\ndef spec(text):\n    return Spec(text)\n"
        "def walk(markers):\n    for m in markers:\n        if isinstance(m, list):\n            walk(m)\n"
        "        else:\n            spec(f'{m[0]}{m[1]}')\n"
        "def select(reqs):\n    for req in reqs:\n        walk(req.markers)\n",
        # a grammar parser on text no caller formats: the caller's data
        "from lark import Lark\n_parser = Lark('start: NAME')\ndef parse_marker(text):\n    return _parser.parse(text)\n"
        "def load(deps):\n    for dep in deps:\n        parse_marker(dep.marker)\n",
        # the file a caller names: it may be another file, or change, between calls
        "import jinja2\nenv = jinja2.Environment()\ndef render(rows, path):\n    for r in rows:\n"
        "        with open(path) as f:\n            yield env.from_string(f.read()).render(r=r)\n",
    ]
    INVALID = [
        # one of the few texts a literal table spells out, compiled again per field
        Invalid("from flask import render_template_string\ndef macro(kind, params):\n"
                "    paths = {'radios': 'radios.html', 'input': 'input.html'}\n"
                "    return render_template_string(f\"{{% include '{paths[kind]}' %}}\", params=params)\n"
                "def render(fields):\n    for f in fields:\n        macro(f.kind, f.params)\n", line=4),
        # a template shipped beside the code, read and compiled for every row
        Invalid("import os, jinja2\nenv = jinja2.Environment()\nPAGE = os.path.join(os.path.dirname(__file__), 'page.html')\n"
                "def render(rows):\n    for r in rows:\n        with open(PAGE) as f:\n"
                "            yield env.from_string(f.read()).render(r=r)\n", line=7),
        # a literal compiled per iteration: a cache lookup each time (a note at this cost)
        Invalid("import re\ndef f(lines):\n    for line in lines:\n        re.compile(r'\\d+').match(line)\n", line=4),
        Invalid("import re\nABBREVIATIONS = ['dr', 'mr', 'st']\ndef find(text):\n    for abbr in ABBREVIATIONS:\n"
                "        stripped = abbr.strip()\n        yield re.findall(r'\\s{}\\.'.format(stripped), text)\n", line=6),
        # each entry of a table kept on the object, compiled again on every call
        Invalid("import re\nclass P:\n    def __init__(self, spec):\n        self.spec = spec\n"
                "    def parse(self, text):\n        for s in self.spec:\n            re.compile(s).findall(text)\n"
                "def read(p, lines):\n    for line in lines:\n        P.parse(p, line)\n", line=7),
        Invalid(
            "import json\nSCHEMA_TEXT = '{}'\ndef validate(rows):\n    for row in rows:\n"
            "        schema = json.loads(SCHEMA_TEXT)\n        check(schema, row)\n",
            line=5,
        ),
        Invalid(
            "import ast\ndef lint(source, rules):\n    for rule in rules:\n        tree = ast.parse(source)\n"
            "        rule.run(tree)\n",
            line=4,
        ),
        Invalid(
            "import re\ndef grep(words, lines, sep):\n    for line in lines:\n"
            "        if re.compile(sep.join(words)).search(line):\n            yield line\n",
            line=4,
        ),
        Invalid(
            "from jinja2 import Environment\ndef render_all(pages):\n    for page in pages:\n"
            "        env = Environment()\n        yield env.from_string(page.body).render()\n",
            line=4,
        ),
        Invalid(
            "import ast\nclass Template:\n    def __init__(self, text):\n        self.tree = ast.parse(text)\n"
            "TEXT = 'x = 1'\ndef run(rows):\n    for row in rows:\n        t = Template(TEXT)\n",
            line=8,
        ),
        # the constructor's helper compiles; the text is an entry of configuration
        Invalid(
            "class Template:\n    def __init__(self, text):\n        self.code = self.translate(text)\n"
            "    def translate(self, text):\n        return compile(text, '<t>', 'eval')\n"
            "class Item:\n    def path(self):\n        for fmt in self.db.formats:\n            break\n"
            "        return Template(fmt)\n"
            "def move(items):\n    for item in items:\n        Item.path(item)\n",
            line=10,
        ),
        # text formatted only for the constructor to split it again
        Invalid(
            "import re\nclass Spec:\n    _regex = re.compile(r'([<>=]+)(.*)')\n    def __init__(self, spec):\n"
            "        self.m = self._regex.fullmatch(spec)\n"
            "def check(pairs, version):\n    for op, v in pairs:\n        Spec(f'{op}{v}')\n",
            line=8,
        ),
        # the same, in a recursive walk of each item's tree of comparisons
        Invalid(
            "import re\nclass Spec:\n    _regex = re.compile(r'([<>=]+)(.*)')\n    def __init__(self, spec):\n"
            "        self.m = self._regex.fullmatch(spec)\n"
            "def walk(markers):\n    for m in markers:\n        if isinstance(m, list):\n            walk(m)\n"
            "        else:\n            Spec(f'{m[0]}{m[1]}')\n"
            "def select(reqs):\n    for req in reqs:\n        walk(req.markers)\n",
            line=11,
        ),
        # a grammar parser on texts the program formats itself: the same few recur
        Invalid(
            "from lark import Lark\n_parser = Lark('start: NAME')\ndef parse_marker(text):\n    return _parser.parse(text)\n"
            "def invert(name, value):\n    return parse_marker(f'{name} != {value}')\n"
            "def load(deps):\n    for dep in deps:\n        parse_marker(dep.marker)\n",
            line=4,
        ),
    ]

    def begin_file(self, ctx) -> None:
        super().begin_file(ctx)
        # A module that defines its own compile() (re does) does not call the builtin.
        self._own_compile = "def compile(" in ctx.source
        self._loop_names: Dict[int, Set[str]] = {}
        self._bindings: Dict[int, Dict[str, list]] = {}
        self._grammar_parsers: Set[str] = set()
        self._class_attrs: Dict[int, Dict[str, Tuple[bool, Optional[float]]]] = {}

    def visit_Module(self, node: cst.Module) -> None:
        self._grammar_parsers = module_grammar_parsers(node)

    def visit_Call(self, node: cst.Call) -> None:
        fn = self.ctx.function
        if fn is None:
            return  # module level (and class bodies) run once at import
        formatted_for = text_formatted_for(node)
        if formatted_for is not None:
            self.effect(FORMATS_TEXT_FOR + formatted_for)  # evidence for _grammar_parse in phase 2
        if self._grammar_parsers and fn.cls is None and "." not in fn.qualname:
            self._grammar_parse(node, fn)
        qualified = self.ctx.resolve(node.func)
        if fn.name == "__init__" and _matches_parameter(node, qualified, fn):
            self.effect(PARSES_TEXT)  # the constructor takes its text apart: see _constructor
        if qualified in _PARSERS and not (qualified == "compile" and self._own_compile):
            self._parser(node, fn, _PARSERS[qualified])
        elif qualified in _QUERY_COMPILERS:
            self._query(node, fn, _QUERY_COMPILERS[qualified])
        elif qualified in _CSS_SELECTORS:
            self._css(node, fn, _CSS_SELECTORS[qualified], ("repeated",))
        elif type(node.func) is cst.Attribute and node.func.attr.value == _CSS_TRANSLATE:  # type: ignore[attr-defined]
            self._css(node, fn, _CSS_TRANSLATE, ("repeated", _CSS_PACKAGES, f"!defines-method:{_CSS_TRANSLATE}"))
        elif qualified == "re.compile":
            self._regex(node, fn)
        elif qualified in _RE_FUNCTIONS:
            self._table_regex(node, fn, qualified)
        elif qualified in _TEMPLATE_BUILDERS:
            self._template(node, fn, qualified.rpartition(".")[2])
        elif qualified in _ENVIRONMENTS:
            if fn.name != "__init__":  # an environment per object is built once per object
                self.report(node, f"a jinja2 Environment is built {_when(self.ctx)}: its template cache is "
                                  "thrown away each time", requires=("repeated",), cost="parse-python-byte")
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "from_string":
            if self._is_environment(node.func.value):
                self._template(node, fn, "from_string")
        elif qualified is None or qualified.rpartition(".")[2][:1].isupper():
            self._constructor(node, fn)

    # -- the kinds of call ------------------------------------------------------------
    def _parser(self, node: cst.Call, fn, what: str) -> None:
        arg = first_arg(node)
        if arg is None:
            return
        if what == "compile" and any(
            not is_literal(a.value) for a in node.args[1:] if a.value is not arg
        ):
            return  # same source, another filename/mode/flags: a different code object each time
        kind = self._stable(arg, fn)
        if kind is None:
            return
        text, confidence = kind
        self.report(node, f"{what}() parses {text} again {_when(self.ctx)}: the result is the same each time",
                    confidence=confidence, requires=("repeated",),
                    cost="parse-python-byte" if self.ctx.resolve(node.func) in _CODE_PARSERS else "parse-data-byte",
                    size=_text_size(arg))

    def _query(self, node: cst.Call, fn, what: str) -> None:
        """A JSONPath compiled on every call, from text that does not change (as `_parser`
        judges it), or from the function's text parameter when every caller hands it an entry
        of a table that stays the same while a caller's loop walks it again for each item
        (phase 2: `callers-pass-table-entry`): a mapping's paths, filled in per record."""
        arg = first_arg(node)
        if arg is None or fn.name in _ONCE_PER_OBJECT or self.ctx.cold_reason or memoised(fn):
            return  # compiled once per object, on a cache miss, or once per text
        kind = self._stable(arg, fn)
        if kind is not None:
            text, confidence = kind
            self.report(node, f"{what}() compiles {text} again {_when(self.ctx)}: the expression is the same each "
                              "time", confidence=confidence, requires=("repeated",), cost="jsonpath-parse",
                        fix=QUERY_CACHE_FIX)
            return
        if not self._passed_as_is(arg, fn):
            return
        self.report(node, f"{what}() compiles the '{arg.value}' it is given on every call of {fn.name}(), and every "
                          "caller hands it an entry of a table that stays the same while it is walked again for "
                          "each item: the same few expressions are compiled again and again",
                    confidence="medium", requires=("repeated", f"callers-pass-table-entry:{arg.value}"),
                    cost="jsonpath-parse", fix=QUERY_CACHE_FIX)

    def _css(self, node: cst.Call, fn, what: str, requires: Tuple[str, ...]) -> None:
        """A CSS selector translated to XPath on every call: from text that does not change (as
        `_parser` judges it), or from the function's own parameter, which callers fill with the
        selectors the program (or a spider written against it) spells out: a handful of fixed
        queries, translated again on each call. A translation once per object, on a cache miss
        or in a memoised function is not reported, nor a selector put together per iteration."""
        arg = first_arg(node)
        if arg is None or fn.name in _ONCE_PER_OBJECT or self.ctx.cold_reason or memoised(fn):
            return
        kind = self._stable(arg, fn)
        if kind is not None:
            text, confidence = kind
            self.report(node, f"{what}() translates {text} from CSS to XPath again {_when(self.ctx)}: the selector "
                              "is tokenised and parsed and the XPath built each time, for the same text",
                        confidence=confidence, requires=requires, cost="css-translate", fix=CSS_CACHE_FIX)
            return
        if not self._passed_as_is(arg, fn):
            return
        self.report(node, f"{what}() translates the CSS selector '{arg.value}' to XPath on every call of "
                          f"{fn.name}(): selectors are the few queries the code spells out, so the same ones are "
                          "tokenised and parsed again each time",
                    confidence="medium", requires=requires, cost="css-translate", fix=CSS_CACHE_FIX)

    def _passed_as_is(self, arg: cst.BaseExpression, fn) -> bool:
        """Whether `arg` is a parameter of the function (not `self`) that its body never
        rebinds: what the callers pass."""
        if not isinstance(arg, cst.Name) or arg.value not in fn.params[1 if fn.cls else 0:]:
            return False
        bindings = self._own_bindings()
        return bindings is not None and arg.value not in bindings

    def _own_bindings(self) -> Optional[Dict[str, list]]:
        """_local_bindings of the innermost function here, worked out once per function."""
        fdef = innermost_def(self.ctx)
        if fdef is None:
            return None
        bindings = self._bindings.get(id(fdef))
        if bindings is None:
            bindings = self._bindings[id(fdef)] = _local_bindings(fdef)
        return bindings

    def _regex(self, node: cst.Call, fn) -> None:
        arg = first_arg(node)
        if arg is not None and self._table_regex(node, fn, "re.compile"):
            return
        if arg is not None and is_literal(arg) and not self._leaves_loop_or_cold():
            # re.compile("literal") in a function: a lookup in re's cache per call (the
            # full compile again once 512 other patterns have evicted it). Cheap: only a
            # function run thousands of times per unit of work reaches a warning.
            self.report(node, f"re.compile() of a literal pattern {_when(self.ctx)}: a lookup in re's cache each "
                              "time (a full compile once other patterns evict it); compile it once at module level",
                        requires=("repeated",), cost="regex-compile-cached", fix=LITERAL_REGEX_FIX)
            return
        if isinstance(arg, cst.Name):
            self._table_entry_regex(node, fn, arg)
            return  # any other plain name: re's own cache makes a repeat a dict lookup
        if arg is None or is_literal(arg) or not _built(arg):
            return
        kind = self._stable(arg, fn, built=True)
        if kind is None:
            return
        text, confidence = kind
        self.report(node, f"re.compile() of a pattern built from {text}, {_when(self.ctx)}: the pattern text is "
                          "rebuilt and looked up in re's cache each time (recompiled when evicted); build it once",
                    confidence="low" if confidence == "low" else "medium", requires=("repeated",),
                    cost="regex-compile-cached")

    def _grammar_parse(self, node: cst.Call, fn) -> None:
        """A module-level grammar parser run on a function's text parameter, where callers
        format that text from parts (phase 2 checks): the same few texts recur."""
        parser = grammar_parse_of_parameter(node, self._grammar_parsers, fn.params)
        if parser is None:
            return
        self.report(node, f"{parser}.{node.func.attr.value}() runs a grammar parser on every call of {fn.name}(), and "
                          "the program formats the texts it is given from parts it already holds: the same few "
                          "texts are parsed again and again",
                    confidence="medium", requires=("repeated", "text-formatted-by-caller"), cost="parse-python-byte",
                    size=GRAMMAR_TEXT_BYTES, fix=GRAMMAR_CACHE_FIX.format(name=fn.name))

    def _leaves_loop_or_cold(self) -> bool:
        loop = self._innermost_loop()
        return loop is not None and self._leaves_loop(loop)

    def _table_regex(self, node: cst.Call, fn, what: str) -> bool:
        """A pattern formatted from each entry of a constant table, in the loop over it:
        the table's patterns are the same on every call, and a table of a hundred or more
        entries overflows re's cache, so each call compiles them all again."""
        arg = first_arg(node)
        loop = self._innermost_loop()
        if arg is None or not _built(arg) or not isinstance(loop, cst.For) or self._leaves_loop(loop):
            return False
        table = _constant_table(loop.iter)
        if table is None:
            return False
        entry = names_in(loop.target)
        derived = _derived_from(loop, entry)
        roots = _root_names(arg) - {"re", "str"}
        if not roots or not (roots & (entry | derived)):
            return False
        if any(r not in entry and r not in derived and not r.isupper() for r in roots):
            return False  # mixed with other per-call values: the patterns differ between calls
        self.report(node, f"{what}() of a pattern built from each entry of the constant table '{table}', on every "
                          "iteration: the same patterns every call, too many for re's cache, so they are "
                          "recompiled each time", confidence="medium", requires=("repeated",), cost="regex-compile",
                    fix=TABLE_REGEX_FIX)
        return True

    def _table_entry_regex(self, node: cst.Call, fn, arg: cst.Name) -> None:
        """`re.compile(signature)` for each entry of a table that does not change between calls
        (a long-lived attribute of self, a module constant, a literal), in the loop over it:
        each call looks the same patterns up in re's cache again, one lookup per entry. Priced
        per entry of the table for a whole run of that loop (its size, when the code shows it)."""
        if fn.name in _ONCE_PER_OBJECT or self.ctx.cold_reason:
            return  # compiled once per object, or on a cache miss / a failure only
        loop = self._innermost_loop()
        if loop is None or self._leaves_loop(loop):
            return
        target, iterable = _loop_clause(loop)
        if target is None or arg.value not in names_in(target) or _rebinds(loop, arg.value):
            return
        table = self._long_lived_table(iterable, fn)
        if table is None or _stores_result(self.ctx.stack, node, fn):
            return
        desc, size = table
        if size is None:
            size = self.ctx.loops[-1].trips  # a bound the loop itself shows (a configuration's few)
        self.report(node, f"re.compile() of each entry of {desc}, on every call: the table is the same each time, so "
                          "each call looks every one of its patterns up in re's cache again (and compiles them again "
                          "once other patterns evict them)",
                    confidence="medium", requires=("repeated",), cost="regex-compile-cached-pattern", size=size,
                    fix=TABLE_ENTRY_REGEX_FIX, whole_loop=loop)

    def _long_lived_table(self, expr: cst.BaseExpression, fn) -> Optional[Tuple[str, Optional[float]]]:
        """(description, entries or None) when a loop over `expr` walks a table fixed between
        calls: a literal, a module constant (`SIGNATURES`, `mod.SIGNATURES`), or an attribute of
        self (or an item of one under a literal key) that only the class body or __init__ sets."""
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and not expr.args \
                and expr.func.attr.value in ("items", "keys", "values"):
            expr = expr.func.value
        size = literal_size(expr)
        if size is not None:
            # `[regstring]` of an outer loop's entry, `(a, b)` of parameters: not constants
            return ("a literal table", size) if _constant_display(expr) else None
        if isinstance(expr, cst.Name):
            name = expr.value
            if _constant_name(name) and name not in fn.params:
                return f"the module-level constant '{name}'", self.ctx.constants.get(name)
            return None
        item = ""
        if isinstance(expr, cst.Subscript) and len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Index) \
                and is_literal(expr.slice[0].slice.value):
            item = f"[{cst.Module([]).code_for_node(expr.slice[0].slice.value)}]"
            expr = expr.value
        parts = _chain(expr)
        if not parts or len(parts) < 2:
            return None
        root = parts[0]
        if root == "self" and fn.cls is not None and fn.params and fn.params[0] == "self" and len(parts) == 2:
            attrs = self._fixed_attrs()
            if parts[1] not in attrs:
                return None  # set per call somewhere in the class, or not set by the class at all
            where = "the class body" if attrs[parts[1]][0] else "__init__"
            return f"self.{parts[1]}{item}, an attribute set in {where} only", None if item else attrs[parts[1]][1]
        if not item and _constant_name(parts[-1]) and root not in fn.params and root != "self":
            return f"the constant '{'.'.join(parts)}'", None
        return None

    def _fixed_attrs(self) -> Dict[str, Tuple[bool, Optional[float]]]:
        """Attributes of the enclosing class that its body or __init__ sets and no other method
        changes: name -> (set in the class body, literal size or None)."""
        cls = enclosing_class(self.ctx.stack)
        if cls is None:
            return {}
        attrs = self._class_attrs.get(id(cls))
        if attrs is None:
            attrs = self._class_attrs[id(cls)] = _fixed_attributes(cls)
        return attrs

    def _template(self, node: cst.Call, fn, what: str) -> None:
        arg = first_arg(node)
        if arg is None or fn.name == "__init__":
            return  # a template per object is built once per object
        kind = self._stable(arg, fn) or self._table_text(arg, fn)
        if kind is None:
            return
        text, confidence = kind
        self.report(node, f"{what}() compiles {text} into a template {_when(self.ctx)}",
                    confidence=confidence, requires=("repeated",), cost="parse-python-byte",
                    size=_text_size(arg))

    def _constructor(self, node: cst.Call, fn) -> None:
        """An in-repo class whose __init__ parses, built repeatedly from text that does not change."""
        if not node.args or not isinstance(node.func, (cst.Name, cst.Attribute)):
            return
        name = node.func.attr.value if isinstance(node.func, cst.Attribute) else node.func.value
        if not name[:1].isupper():
            return
        first = node.args[0].value
        if node.args[0].keyword is None and _built(first) and self._stable(first, fn) is None:
            # Text put together from parts the code already holds, for a constructor that
            # matches it with a regex to take it apart again: the same few texts recur.
            self.report(node, f"{name}() is built from text formatted here, and its constructor matches that text "
                              f"with a regex to take it apart again, {_when(self.ctx)}",
                        confidence="high", requires=("repeated", f"callee:{PARSES_TEXT}", "trace-callee"),
                        cost="parse-text-ctor",
                        fix=FORMATTED_TEXT_FIX)
            return
        # Every argument must be stable. The cheap answers first: an argument that is neither
        # stable nor a local name fails without _stable_local's walk of the function body (most
        # calls with a local argument also pass a parameter or an expression of one).
        stable = []
        for arg in node.args:
            kind = self._stable(arg.value, fn)
            if kind is None and (type(arg.value) is not cst.Name or arg.value.value in fn.params):  # type: ignore[attr-defined]
                return  # built from per-item data: parsing it is the point
            stable.append(kind)
        texts = []
        for arg, kind in zip(node.args, stable):
            kind = kind or self._stable_local(arg.value, fn)
            if kind is None:
                return  # built from per-item data: parsing it is the point
            texts.append(kind)
        text, confidence = texts[0]
        when = _when(self.ctx)
        hoist = self.ctx.in_loop and not text.startswith("configuration")
        # A class that compiles its text to code (a template language turned into a Python
        # function): each construction costs a compile(), priced by the generated code's size.
        self.report(node, f"{name}() parses its text as code when it is built, and is built from {text} {when}",
                    confidence=confidence, requires=("repeated", "callee-deep:parse-code"),
                    cost="parse-python-byte", size=max(_text_size(first) or 0.0, COMPILED_TEXT_BYTES),
                    fix=CONSTRUCTOR_HOIST_FIX if hoist else CONSTRUCTOR_CACHE_FIX)
        # the constructor must parse what this call passes, not another of its parameters
        passed = f"{sum(1 for a in node.args if a.keyword is None)}:" + ",".join(
            a.keyword.value for a in node.args if a.keyword is not None)
        self.report(node, f"{name}() parses its input in __init__, and is built from {text} {when}",
                    confidence=confidence,
                    requires=("repeated", "callee:parse", f"callee-parses-passed:{passed}", "!callee-deep:parse-code"))

    def _table_text(self, arg: cst.BaseExpression, fn):
        """A template text formatted from a literal table (`src = f"{{% from '{COMPONENTS[name]['path']}'
        import ... %}}"`, the table a dict display of literals that nothing changes): whatever
        key the call passes, the text is one of the few the table spells out, so each call
        compiles one of the same few templates again (notifications-admin's form macros, one of
        six per field rendered). The other parts must be literal or unchanging (`_stable`)."""
        if type(arg) is cst.Name and arg.value not in fn.params:
            bindings = self._own_bindings()
            sources = bindings.get(arg.value) if bindings is not None else None
            if not sources or len(sources) != 1 or sources[0] is None:
                return None
            arg = sources[0]
        if type(arg) is not cst.FormattedString:
            return None
        tables = []
        for part in arg.parts:
            if type(part) is cst.FormattedStringText:
                continue
            expr = part.expression  # type: ignore[attr-defined]
            if self._stable(expr, fn) is not None:
                continue
            table = self._literal_table(expr, fn)
            if table is None:
                return None
            if table not in tables:
                tables.append(table)
        if not tables:
            return None
        return f"a text formatted from table '{tables[0]}' (one of the few it spells out)", "medium"

    def _literal_table(self, expr: cst.BaseExpression, fn) -> Optional[str]:
        """The name of the table `expr` looks a literal up in (`T[key]`, `T[key]["path"]`): a
        local bound once to a dict display of literals (nested) that nothing changes."""
        if type(expr) is not cst.Subscript:
            return None
        root = expr
        while type(root) is cst.Subscript:
            root = root.value  # type: ignore[attr-defined]
        if type(root) is not cst.Name or root.value in fn.params:
            return None
        bindings = self._own_bindings()
        sources = bindings.get(root.value) if bindings is not None else None
        if not sources or len(sources) != 1 or not _literal_display(sources[0]):
            return None
        fdef = innermost_def(self.ctx)
        if fdef is None or _changed_in(fdef, root.value):
            return None
        return root.value

    def _stable_local(self, arg: cst.BaseExpression, fn):
        """A local name every binding of which is configuration: a long-lived attribute of
        `self` or a module constant, an entry of a loop over one, or a parameter that
        defaults to one (`formats = formats or self._db.path_formats`)."""
        if not isinstance(arg, cst.Name) or arg.value in fn.params:
            return None
        for loop in self.ctx.loop_nodes:
            if arg.value in self._assigned(loop):
                return None  # `for f in self.zonefiles: Zone(f)`: a different entry each iteration
        bindings = self._own_bindings()
        if bindings is None:
            return None
        if self._configuration(arg.value, bindings, fn, depth=0):
            return f"configuration ('{arg.value}', taken from a long-lived attribute)", "medium"
        return None

    def _configuration(self, name: str, bindings, fn, depth: int) -> bool:
        sources = bindings.get(name)
        if not sources or depth > 3:
            return False
        for source in sources:
            if source is None:
                return False  # bound some other way (augmented, `with ... as`, a walrus)
            if not self._config_source(source, name, bindings, fn, depth):
                return False
        return True

    def _config_source(self, expr: cst.BaseExpression, name: str, bindings, fn, depth: int) -> bool:
        if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
            # `formats = formats or self.formats`: the parameter overrides the configured value
            left, right = expr.left, expr.right
            if isinstance(left, cst.Name) and left.value == name and left.value in fn.params:
                return self._config_source(right, name, bindings, fn, depth)
            return all(self._config_source(e, name, bindings, fn, depth) for e in (left, right))
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and not expr.args \
                and expr.func.attr.value in ("items", "keys", "values"):
            expr = expr.func.value
        if isinstance(expr, cst.Name):
            if expr.value.isupper() and len(expr.value) > 1 and expr.value not in fn.params:
                return True
            # a parameter counts only when rebound as `p = p or <configuration>`
            return expr.value != name and self._configuration(expr.value, bindings, fn, depth + 1)
        parts = _chain(expr) if isinstance(expr, cst.Attribute) else None
        if not parts or any(_PER_CALL_DATA.search(p) for p in parts[1:]):
            return False
        root = parts[0]
        return (root in ("self", "cls") and root in fn.params[:1]) or \
            (root not in fn.params and (root.isupper() or root in self.ctx.imports))

    # -- what is being parsed ----------------------------------------------------------
    def _stable(self, arg: cst.BaseExpression, fn, built: bool = False):
        """(description, confidence) when `arg` is the same text each time the call runs."""
        if is_literal(arg):
            return "a literal", "high"
        loop = self._innermost_loop()
        if loop is not None and not self._leaves_loop(loop) and self._invariant(arg, loop):
            return (_describe(arg) or "text the loop does not change"), "high"
        if isinstance(arg, cst.Name):
            name = arg.value
            if name.isupper() and len(name) > 1 and name not in fn.params:
                return f"module-level constant '{name}'", "high"
            return None  # a parameter or a local: it may differ on every call
        if isinstance(arg, cst.Attribute):
            parts = _chain(arg)
            if not parts or _PER_CALL_DATA.search(parts[-1]):
                return None  # request.body, self.message: data that comes with the call
            root = parts[0]
            if root in ("self", "cls") and root in fn.params[:1]:
                if len(parts) > 2:
                    return None  # self.obj.text: a sub-object that may be replaced per call
                return f"attribute '{'.'.join(parts)}'", "medium"
            if (root.isupper() or root in self.ctx.imports) and root not in fn.params:
                return f"'{'.'.join(parts)}'", "medium"
            return None  # rooted at a parameter or a local: per-call
        if isinstance(arg, cst.Call):
            path = self._file_read(arg)
            if path is not None:
                return f"the text of file {path}", "medium"
        if built:
            roots = _root_names(arg)
            if roots and all(
                (r in ("self", "cls") and r in fn.params[:1]) or (r.isupper() and r not in fn.params)
                or (r in self.ctx.imports and r not in fn.params)
                for r in roots
            ):
                return "values that do not change", "low"
        return None

    def _file_read(self, call: cst.Call) -> Optional[str]:
        """The path, as written, when `call` reads the whole text of a file the code names:
        `open(PATH).read()`, `f.read()` inside `with open(PATH) as f:`, `Path(PATH).read_text()`,
        where the path is a literal, a module constant, `__file__` or joins of those (a template
        or a schema shipped beside the code, which does not change while the program runs)."""
        func = call.func
        if type(func) is not cst.Attribute or func.attr.value not in _FILE_READS or call.args:
            return None
        source = func.value
        if type(source) is cst.Name:  # `f` of `with open(path) as f:` around the read
            opened = self._with_opened(source.value)
            if opened is None:
                return None
            source = opened
        if type(source) is not cst.Call or not source.args:
            return None
        called = self.ctx.resolve(source.func) or dotted_text(source.func) or ""
        if func.attr.value == "read" and called not in ("open", "io.open", "builtins.open"):
            return None
        if func.attr.value != "read" and called not in ("pathlib.Path", "Path", "pathlib.PurePath"):
            return None
        if any(a.keyword is not None and a.keyword.value not in ("encoding", "mode") for a in source.args[1:]):
            return None
        path = source.args[0].value
        if not self._fixed_path(path):
            return None
        if type(path) is cst.SimpleString and isinstance(path.evaluated_value, str):
            return repr(path.evaluated_value)
        return dotted_text(path) or "a fixed path"

    def _with_opened(self, name: str) -> Optional[cst.Call]:
        """The `open(...)` call a `with ... as name:` around the current node binds, if any."""
        for node in reversed(self.ctx.stack):
            if type(node) in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
                return None
            if type(node) is cst.With:
                for item in node.items:
                    target = item.asname.name if item.asname is not None else None
                    if type(target) is cst.Name and target.value == name and type(item.item) is cst.Call:
                        return item.item
        return None

    def _fixed_path(self, expr: cst.BaseExpression) -> bool:
        """A path the code fixes: a literal, a module constant (upper case, not a parameter),
        `__file__`, or a join, dirname or `/` of those."""
        if is_literal(expr):
            return True
        if type(expr) is cst.Name:
            return expr.value == "__file__" or _constant_name(expr.value)
        if type(expr) is cst.BinaryOperation and type(expr.operator) is cst.Divide:
            return self._fixed_path(expr.left) and self._fixed_path(expr.right)
        if type(expr) is cst.Call and expr.args:
            called = self.ctx.resolve(expr.func) or dotted_text(expr.func) or ""
            return called in _PATH_BUILDERS and all(a.keyword is None and self._fixed_path(a.value) for a in expr.args)
        return False

    def _innermost_loop(self) -> Optional[cst.CSTNode]:
        if not self.ctx.in_loop:
            return None
        loops = self.ctx.loop_nodes
        if loops:
            return loops[-1]
        for node in reversed(self.ctx.stack):
            if isinstance(node, _LOOP_TYPES):
                return node
        return None

    def _leaves_loop(self, loop: cst.CSTNode) -> bool:
        """`return parse(x)` inside a loop runs once per loop, not once per iteration."""
        for node in reversed(self.ctx.stack):
            if node is loop:
                return False
            if isinstance(node, (cst.Return, cst.Raise)):
                return True
        return False

    def _invariant(self, arg: cst.BaseExpression, loop: cst.CSTNode) -> bool:
        """No call in `arg` and no name in it that the loop assigns."""
        if _has_call(arg):
            return False  # f.read(), next(it): may give different text each time
        used = names_in(arg) - _comprehension_targets(arg)
        if not used:
            return False  # a bare literal is handled as a literal
        return not (used & self._assigned(loop))

    def _assigned(self, loop: cst.CSTNode) -> Set[str]:
        assigned = self._loop_names.get(id(loop))
        if assigned is None:
            assigned = self._loop_names[id(loop)] = _assigned_in(loop)
        return assigned

    def _is_environment(self, receiver: cst.BaseExpression) -> bool:
        if isinstance(receiver, cst.Call):
            return self.ctx.resolve(receiver.func) in _ENVIRONMENTS
        parts = _chain(receiver)
        if not parts:
            return False
        if len(parts) == 1:
            # a local, or a module-level environment (`jenv = jinja2.Environment()`, a sandbox)
            typ = self.ctx.local_type(parts[0]) or self.ctx.global_type(parts[0])
            if typ and typ.rpartition(".")[2].endswith("Environment"):
                return True
        return bool(re.search(r"(^|_)(env|environment|jinja|jinja_env)$", parts[-1], re.I))


# The generated code of a short template: beets' default path format (44 characters) compiles
# to a function of about 200 bytes, 77 µs to compile() here, i.e. parse-python-byte x ~256.
COMPILED_TEXT_BYTES = 256.0
CONSTRUCTOR_HOIST_FIX = "build it once before the loop (or once per object, in __init__) and reuse it"
CONSTRUCTOR_CACHE_FIX = ("keep the built objects by their text (a functools.lru_cache'd factory, or a dict on the "
                         "owner) so each distinct text is compiled once")
# A text of a small language (a marker, a constraint) formatted by the program: about a line.
# A grammar parser in Python (lark's LALR) costs 0.8-1.3 us a byte on such a text, more than
# CPython's own parser (parse-python-byte): the price is a lower bound.
GRAMMAR_TEXT_BYTES = 64.0
GRAMMAR_CACHE_FIX = ("memoise {name}() by its text (functools.lru_cache): each distinct text is parsed once; the "
                     "result must be immutable or copied by the callers that change it")
QUERY_CACHE_FIX = ("keep the compiled expressions by their text (a dict on the object filled on a miss, or a "
                   "functools.lru_cache'd helper): each distinct path is compiled once")
CSS_CACHE_FIX = ("keep the translations by the selector's text (a functools.lru_cache'd translator method or "
                 "helper, or a dict filled on a miss): each distinct selector is parsed once")
# The effect of a constructor that matches a parameter with a regex (packaging's Specifier).
PARSES_TEXT = "parse-text"
FORMATTED_TEXT_FIX = ("keep the built objects by their text (a functools.lru_cache'd factory: the same few texts "
                      "recur), or build the object from the parts you already hold")
_PATTERN_NAME = re.compile(r"(^|_)(re|regex|regexp|pattern|pat|rx)$", re.I)
LITERAL_REGEX_FIX = "compile the pattern once at module level (PATTERN = re.compile(...)) and reuse it"
TABLE_REGEX_FIX = ("compile the table's patterns once, at module level or on first use (a list of (entry, "
                   "re.compile(...)) pairs, or one alternation), and loop over the compiled patterns")
TABLE_ENTRY_REGEX_FIX = ("compile the table's patterns once, in __init__ (or at module level for a constant table): "
                         "a dict {entry: re.compile(entry)}, looked up in the loop")
# Methods that run once per object: what they compile is kept with the object.
_ONCE_PER_OBJECT = ONCE_PER_OBJECT
# Module functions of re that compile (or look up) their pattern argument on every call.
_RE_FUNCTIONS = {"re.match", "re.search", "re.fullmatch", "re.sub", "re.subn", "re.split", "re.findall",
                 "re.finditer"}


def _matches_parameter(node: cst.Call, qualified: Optional[str], fn) -> bool:
    """`self._regex.fullmatch(spec)`, `VERSION_RE.match(text)`, `re.match(P, text)`: a regex
    matched against a parameter of the function (not `self`)."""
    if qualified in ("re.match", "re.fullmatch"):
        args = node.args[1:2]
    elif isinstance(node.func, cst.Attribute) and node.func.attr.value in ("match", "fullmatch"):
        parts = _chain(node.func.value)
        if not parts or not _PATTERN_NAME.search(parts[-1]):
            return False
        args = node.args[:1]
    else:
        return False
    return bool(args) and isinstance(args[0].value, cst.Name) and args[0].value.value in fn.params[1:]


def _literal_display(value) -> bool:
    """A dict, list or tuple display whose leaves are all literals."""
    if value is None:
        return False
    if type(value) is cst.Dict:
        return bool(value.elements) and all(type(e) is cst.DictElement and is_literal(e.key) and
                                             (is_literal(e.value) or _literal_display(e.value)) for e in value.elements)
    if type(value) in (cst.List, cst.Tuple):
        return bool(value.elements) and all(type(e) is cst.Element and (is_literal(e.value) or _literal_display(e.value))
                                            for e in value.elements)
    return False


def _changed_in(fdef: cst.FunctionDef, name: str) -> bool:
    """Whether the function stores into `name` or calls a method on it (`t[k] = v`, `t.update()`)."""
    for node, _ in own_nodes(fdef.body, STATEMENTS_ONLY):
        node_type = type(node)
        if node_type in (cst.AssignTarget, cst.AugAssign) and type(node.target) is cst.Subscript:  # type: ignore[attr-defined]
            root = node.target  # type: ignore[attr-defined]
            while type(root) is cst.Subscript:
                root = root.value
            if type(root) is cst.Name and root.value == name:
                return True
        elif node_type is cst.Call and type(node.func) is cst.Attribute:  # type: ignore[attr-defined]
            root = node.func.value  # type: ignore[attr-defined]
            while type(root) is cst.Subscript:
                root = root.value
            if type(root) is cst.Name and root.value == name:
                return True
        elif node_type is cst.Del and name in {n.value for n, _ in own_nodes(node) if type(n) is cst.Name}:  # type: ignore[attr-defined]
            return True
    return False


def _local_bindings(fdef: cst.FunctionDef) -> Dict[str, list]:
    """name -> the values a function body binds it to (for a loop target: the loop's iterable;
    None for a binding whose value is not visible), nested scopes excluded."""
    out: Dict[str, list] = {}

    def bind(target: cst.CSTNode, value) -> None:
        target_type = type(target)
        if target_type is cst.Name:
            out.setdefault(target.value, []).append(value)  # type: ignore[attr-defined]
        elif target_type is cst.Tuple or target_type is cst.List:
            for element in target.elements:  # type: ignore[attr-defined]
                bind(element.value, value)  # an entry's parts come from the same source
        elif target_type is cst.StarredElement:
            bind(target.value, value)  # type: ignore[attr-defined]

    # exact types: libcst's node classes are ABCs, and an isinstance per node per kind was
    # this rule's largest cost on Django
    for node, _ in own_nodes(fdef.body, STATEMENTS_ONLY):
        node_type = type(node)
        if node_type is cst.Assign:
            for t in node.targets:  # type: ignore[attr-defined]
                bind(t.target, node.value if type(t.target) is cst.Name or len(node.targets) == 1 else None)  # type: ignore[attr-defined]
        elif node_type is cst.AnnAssign:
            bind(node.target, node.value)  # type: ignore[attr-defined]
        elif node_type is cst.AugAssign:
            bind(node.target, None)  # type: ignore[attr-defined]
        elif node_type is cst.For or node_type is cst.CompFor:
            bind(node.target, node.iter)  # type: ignore[attr-defined]
        elif node_type is cst.NamedExpr:
            bind(node.target, None)  # type: ignore[attr-defined]
        elif node_type is cst.AsName:
            bind(node.name, None)  # type: ignore[attr-defined]
    return out


def _constant_table(expr: cst.BaseExpression) -> Optional[str]:
    """The name of a constant table a loop iterates: `ABBREVIATIONS`, `self.lang.ABBREVIATIONS`,
    `TABLE.items()`; None for anything else."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and not expr.args \
            and expr.func.attr.value in ("items", "keys", "values"):
        expr = expr.func.value
    if isinstance(expr, cst.Name):
        last = expr.value
    elif isinstance(expr, cst.Attribute):
        last = expr.attr.value
    else:
        return None
    return last if last.isupper() and len(last) > 2 and any(c.isalpha() for c in last) else None


def _constant_name(name: str) -> bool:
    return name.isupper() and len(name) > 1 and any(c.isalpha() for c in name)


def _constant_display(expr: cst.BaseExpression) -> bool:
    """A display of constants: `['a', 'b']`, `(('x', 1), ('y', 2))`, `{'a', 'b'}`, or a dict
    whose keys are constants (its values may be handlers: `{'1-0:1.8.1': parser}`)."""
    if isinstance(expr, cst.Call) and expr.args:  # frozenset({...}), tuple([...])
        expr = expr.args[0].value
    if isinstance(expr, cst.Set):
        return all(isinstance(e, cst.Element) and is_literal(e.value) for e in expr.elements)
    if isinstance(expr, cst.Dict):
        return all(isinstance(e, cst.DictElement) and is_literal(e.key) for e in expr.elements)
    return is_literal(expr)


def _loop_clause(loop: cst.CSTNode):
    """(target, iterable) of a `for` statement or of a comprehension's only clause."""
    if isinstance(loop, cst.For):
        return loop.target, loop.iter
    for_in = getattr(loop, "for_in", None)
    if for_in is not None and for_in.inner_for_in is None:
        return for_in.target, for_in.iter
    return None, None


def _rebinds(loop: cst.CSTNode, name: str) -> bool:
    """Whether the loop's body assigns `name` again (`sig = prefix + sig`)."""
    body = loop.body if isinstance(loop, cst.For) else getattr(loop, "elt", None) or getattr(loop, "value", None)
    return body is not None and name in _assigned_in(body)


def _stores_result(stack, call: cst.Call, fn) -> bool:
    """The compiled pattern is kept on the object (`self._rx[sig] = re.compile(sig)`,
    `self.patterns.append(re.compile(sig))`, `self.rx = [re.compile(s) for s in ...]`):
    compiled once, then reused."""
    me = fn.params[0] if fn.cls is not None and fn.params else None
    if me is None:
        return False
    for outer in reversed(stack):
        outer_type = type(outer)
        if outer_type in (cst.Assign, cst.AnnAssign, cst.AugAssign):
            targets = [t.target for t in outer.targets] if outer_type is cst.Assign else [outer.target]
            return any(me in _root_names(t) and not isinstance(t, cst.Name) for t in targets)
        if outer_type is cst.Call and outer is not call and isinstance(outer.func, cst.Attribute) \
                and outer.func.attr.value in ("append", "add", "setdefault", "update", "extend", "insert") \
                and _chain(outer.func.value) and _chain(outer.func.value)[0] == me:
            return True
        if outer_type in (cst.SimpleStatementLine, cst.IndentedBlock, cst.FunctionDef):
            return False
    return False


def _fixed_attributes(cls: cst.ClassDef) -> Dict[str, Tuple[bool, Optional[float]]]:
    """Attributes the class body or a once-per-object method sets and no other method changes
    (assigns, deletes, grows in place): name -> (set in the class body, literal size)."""
    fixed: Dict[str, Tuple[bool, Optional[float]]] = {}
    changed: Set[str] = set()
    for stmt in getattr(cls.body, "body", ()):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                        and isinstance(small.targets[0].target, cst.Name):
                    fixed[small.targets[0].target.value] = (True, literal_size(small.value))
            continue
        if not isinstance(stmt, cst.FunctionDef):
            continue
        params = stmt.params.posonly_params or stmt.params.params
        if not params:
            continue
        me = params[0].name.value
        once = stmt.name.value in _ONCE_PER_OBJECT
        for node, _ in own_nodes(stmt.body, STATEMENTS_ONLY):
            for parts, whole, value in attribute_writes(node):
                if parts[0] != me:
                    continue
                if not once:
                    changed.add(parts[1])
                elif whole and len(parts) == 2:  # filling it in __init__ (`self.X[k] = v`) is once per object too
                    fixed.setdefault(parts[1], (False, literal_size(value)))
    return {name: how for name, how in fixed.items() if name not in changed}


def _derived_from(loop: cst.For, entry: Set[str]) -> Set[str]:
    """Names the loop body assigns from the entry alone (`stripped = abbr.strip()`)."""
    out: Set[str] = set()
    for stmt in getattr(loop.body, "body", ()):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                roots = _root_names(small.value) - {"str", "re"}
                if roots and roots <= (entry | out):
                    out.add(small.targets[0].target.value)
    return out


def _when(ctx) -> str:
    return "on every iteration" if ctx.in_loop else "on every call"


def _describe(arg: cst.BaseExpression) -> Optional[str]:
    if isinstance(arg, cst.Name):
        return f"'{arg.value}' (unchanged by the loop)"
    parts = _chain(arg)
    if parts:
        return f"'{'.'.join(parts)}' (unchanged by the loop)"
    return None


def _built(arg: cst.BaseExpression) -> bool:
    """A string put together at run time: f-string, `+`, `%`, `.format()`, `.join()`, re.escape."""
    if isinstance(arg, cst.FormattedString):
        return any(isinstance(p, cst.FormattedStringExpression) for p in arg.parts)
    if isinstance(arg, cst.BinaryOperation):
        return isinstance(arg.operator, (cst.Add, cst.Modulo))
    if isinstance(arg, cst.Call) and isinstance(arg.func, cst.Attribute):
        return arg.func.attr.value in ("format", "join", "escape")
    return False


def _has_call(expr: cst.CSTNode) -> bool:
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call):
            # str.join / str.format / re.escape of invariant parts are pure
            if not (isinstance(node.func, cst.Attribute) and node.func.attr.value in ("join", "format", "escape")):
                return True
        if isinstance(node, (cst.Await, cst.Yield, cst.NamedExpr)):
            return True
        stack.extend(iter_children(node))
    return False


def _comprehension_targets(expr: cst.CSTNode) -> Set[str]:
    """Names a comprehension inside `expr` binds for itself (`w` in `(f(w) for w in ws)`)."""
    out: Set[str] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.CompFor):
            out |= {n.value for n in _walk_names(node.target)}
        stack.extend(iter_children(node))
    return out


def _walk_names(expr: cst.CSTNode):
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            yield node
        stack.extend(iter_children(node))


def _root_names(expr: cst.CSTNode) -> Set[str]:
    """Names that start a value (not attribute names after a dot)."""
    out = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            out.add(node.value)
            continue
        if isinstance(node, cst.Attribute):
            stack.append(node.value)
            continue
        stack.extend(iter_children(node))
    return out


def _assigned_in(loop: cst.CSTNode) -> Set[str]:
    """Every name (and attribute name) the loop binds or rebinds, per iteration."""
    out: Set[str] = set()

    def bind(target: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            out.add(target.value)
        elif isinstance(target, cst.Attribute):
            out.add(target.attr.value)
        elif isinstance(target, cst.Subscript):
            bind(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                bind(element.value)
        elif isinstance(target, cst.StarredElement):
            bind(target.value)

    if isinstance(loop, cst.For):
        bind(loop.target)
        roots = [loop.body]
    elif isinstance(loop, cst.While):
        roots = [loop.test, loop.body]
    else:
        roots = [loop]
    stack = list(roots)
    while stack:
        node = stack.pop()
        node_type = type(node)  # exact types: libcst's classes are ABCs, isinstance is slow
        if node_type is cst.Assign:
            for t in node.targets:
                bind(t.target)
        elif node_type in _BINDS_TARGET:
            bind(node.target)
        elif node_type is cst.AsName:
            bind(node.name)
        elif node_type is cst.FunctionDef or node_type is cst.ClassDef:
            out.add(node.name.value)
            continue
        elif node_type is cst.Call and type(node.func) is cst.Attribute:
            # x.append(...), self.buf.extend(...): the receiver changes in place
            if node.func.attr.value in _MUTATORS:
                bind(node.func.value)
        stack.extend(iter_children(node))
    return out


_BINDS_TARGET = frozenset({cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor, cst.NamedExpr, cst.Del})
_MUTATORS = MUTATORS


def _text_size(arg: cst.BaseExpression) -> Optional[float]:
    """The length of a literal text argument (the size term of a parse), None when unknown."""
    if isinstance(arg, cst.SimpleString):
        value = arg.evaluated_value
        return float(len(value)) if isinstance(value, (str, bytes)) else None
    if isinstance(arg, cst.ConcatenatedString):
        value = arg.evaluated_value
        return float(len(value)) if isinstance(value, (str, bytes)) else None
    return None
