"""Session twenty-eight: a CSS selector translated to XPath once per matched element (the real bug
in bench/realbugs.toml `parsel-css-query-translated-per-selector`).

parsel's `Selector.css(query)` translated the query through cssselect's `css_to_xpath` on every
call, and `SelectorList.css` (a subclass of list that the program fills with Selectors) calls
`x.css(query)` for each of its elements, so a spider's few fixed queries were parsed again for
every matched element. Two general changes catch it:

1. PFL102 knows cssselect's translation as a parse: `translator.css_to_xpath(css)` (cssselect's
   GenericTranslator and HTMLTranslator, and the subclasses programs make of them) and lxml's
   `CSSSelector(css)`, priced at `css-translate` (29 us, cssselect 1.6, bench/css_translate.py).
   It is reported on text that does not change and on the function's own parameter (selectors
   are the few queries the code spells out); not in `__init__`, on a cache miss, in a memoised
   function, for a selector put together per iteration, nor when the program defines a
   `css_to_xpath` of its own (parsel's fix: an lru_cache'd override).
2. The value flow knows what the program's list and tuple subclasses hold: the elements of what
   the program constructs them from (`self.selectorlist_cls(result)`, `self.__class__(items)`:
   `__class__` of an instance is now its class) and what it appends or extends them with, and
   the class a generic base names (`List[Row]`, a TypeVar bound). A method called on an element
   of `self` (`[x.css(q) for x in self]`) then reaches that class's method, within the value
   flow's bound of four values.

The buggy tests fail on the code before the change (no PFL102 on css_to_xpath; no edge)."""

from __future__ import annotations

from conftest import rule_findings
from test_callgraph import program

TRANSLATOR = '''from cssselect import GenericTranslator as OriginalGenericTranslator
from cssselect import HTMLTranslator as OriginalHTMLTranslator


class GenericTranslator(OriginalGenericTranslator):
    pass


class HTMLTranslator(OriginalHTMLTranslator):
    pass
'''

CACHED_TRANSLATOR = '''from functools import lru_cache

from cssselect import GenericTranslator as OriginalGenericTranslator
from cssselect import HTMLTranslator as OriginalHTMLTranslator


class GenericTranslator(OriginalGenericTranslator):
    @lru_cache(maxsize=256)
    def css_to_xpath(self, css, prefix="descendant-or-self::"):
        return super().css_to_xpath(css, prefix)


class HTMLTranslator(OriginalHTMLTranslator):
    @lru_cache(maxsize=256)
    def css_to_xpath(self, css, prefix="descendant-or-self::"):
        return super().css_to_xpath(css, prefix)
'''

SELECTOR = '''from .translator import HTMLTranslator, GenericTranslator

_ctgroup = {
    "html": {"_csstranslator": HTMLTranslator()},
    "xml": {"_csstranslator": GenericTranslator()},
}


def flatten(x):
    return list(x)


class SelectorList(list):
    def css(self, query):
        return self.__class__(flatten([x.css(query) for x in self]))

    def extract(self):
        return [x.extract() for x in self]


class Selector(object):
    selectorlist_cls = SelectorList

    def __init__(self, text=None, type=None, root=None):
        self.type = st = type or "html"
        self._csstranslator = _ctgroup[st]["_csstranslator"]
        self.root = root

    def xpath(self, query):
        result = self.root.xpath(query)
        result = [self.__class__(root=x, type=self.type) for x in result]
        return self.selectorlist_cls(result)

    def css(self, query):
        return self.xpath(self._css2xpath(query))

    def _css2xpath(self, query):
        return self._csstranslator.css_to_xpath(query)

    def extract(self):
        return str(self.root)
'''

MESSAGE = ("css_to_xpath() translates the CSS selector 'query' to XPath on every call of _css2xpath(): selectors "
           "are the few queries the code spells out, so the same ones are tokenised and parsed again each time")


def files(translator=TRANSLATOR, selector=SELECTOR):
    return {"pkg/__init__.py": "", "pkg/translator.py": translator, "pkg/selector.py": selector}


def seen(found):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(found, "PFL102")]


def kinds(p, caller):
    return sorted((e.callee, e.kind, e.guess) for e in p.edges.get(caller, ()))


# -- the real bug's shape ---------------------------------------------------------------------

def test_query_translated_for_each_selector_of_the_list_is_a_warning():
    assert seen(files()) == [("pkg/selector.py", 38, "warning", MESSAGE)]


def test_the_list_reaches_the_css_of_the_selectors_it_is_built_from():
    p = program(files())
    assert ("pkg.selector.Selector.css", "exact", False) in kinds(p, "pkg.selector.SelectorList.css")
    assert p.heat["pkg.selector.Selector._css2xpath"] == 100.0


def test_translators_with_a_cached_css_to_xpath_are_quiet():
    # parsel's fix: each translator class keeps its translations in an lru_cache
    assert seen(files(translator=CACHED_TRANSLATOR)) == []


def test_a_translation_kept_in_a_dict_on_a_miss_is_quiet():
    cached = SELECTOR.replace('''    def _css2xpath(self, query):
        return self._csstranslator.css_to_xpath(query)''', '''    def _css2xpath(self, query):
        if query not in _XPATHS:
            _XPATHS[query] = self._csstranslator.css_to_xpath(query)
        return _XPATHS[query]''').replace("_ctgroup = {", "_XPATHS = {}\n_ctgroup = {")
    assert cached != SELECTOR
    assert seen(files(selector=cached)) == []


def test_a_list_nothing_fills_with_selectors_links_nothing():
    # near miss: the list is built from what the parser hands back (outside the program), not
    # from the program's own Selectors: no edge, so a translation per call of css() is not
    # repeated by anything the program shows
    unfilled = SELECTOR.replace("        result = [self.__class__(root=x, type=self.type) for x in result]\n", "")
    assert unfilled != SELECTOR
    p = program(files(selector=unfilled))
    assert all(callee != "pkg.selector.Selector.css" for callee, _, _ in kinds(p, "pkg.selector.SelectorList.css"))
    assert seen(files(selector=unfilled)) == []


# -- PFL102 on CSS translation, other shapes ---------------------------------------------------

def test_a_literal_selector_compiled_per_document_is_reported():
    source = '''from lxml.cssselect import CSSSelector


def links(documents):
    out = []
    for doc in documents:
        out.extend(CSSSelector("div.product > h2 a")(doc))
    return out
'''
    assert seen({"pkg/links.py": source}) == [
        ("pkg/links.py", 7, "warning", "CSSSelector() translates a literal from CSS to XPath again on every "
                                       "iteration: the selector is tokenised and parsed and the XPath built each "
                                       "time, for the same text")]


def test_selectors_put_together_per_item_and_translated_per_object_are_quiet():
    source = '''from cssselect import HTMLTranslator


class Extractor:
    def __init__(self, restrict_css):
        self.xpaths = [HTMLTranslator().css_to_xpath(css) for css in restrict_css]

    def ids(self, documents, names):
        translator = HTMLTranslator()
        for doc in documents:
            for name in names:
                doc.xpath(translator.css_to_xpath("#" + name))
'''
    assert seen({"pkg/extract.py": source}) == []


# -- what the program's list subclasses hold ----------------------------------------------------

ROWS = '''from typing import List, TypeVar

_R = TypeVar("_R", bound="Row")


class Row:
    def render(self):
        return "<tr/>"


class Rows(List[_R]):
    def render(self):
        return "".join(r.render() for r in self)
'''


def test_a_generic_list_base_names_what_its_elements_are():
    p = program({"pkg/rows.py": ROWS})
    assert kinds(p, "pkg.rows.Rows.render") == [("pkg.rows.Row.render", "exact", False)]
    plain = ROWS.replace("class Rows(List[_R]):", 'class Rows(List["Row"]):')
    assert kinds(program({"pkg/rows.py": plain}), "pkg.rows.Rows.render") == [("pkg.rows.Row.render", "exact", False)]


def test_what_is_appended_to_a_list_subclass_is_what_it_holds():
    source = ROWS.replace("class Rows(List[_R]):", "class Rows(list):") + '''

def table(records):
    rows = Rows()
    for record in records:
        rows.append(Row())
    return rows.render()
'''
    p = program({"pkg/rows.py": source})
    assert kinds(p, "pkg.rows.Rows.render") == [("pkg.rows.Row.render", "exact", False)]


def test_a_list_subclass_of_more_classes_than_the_bound_links_none():
    classes = "".join(f"class R{i}:\n    def render(self):\n        return {i}\n\n\n" for i in range(5))
    source = classes + '''class Rows(list):
    def render(self):
        return [r.render() for r in self]


def table():
    return Rows([R0(), R1(), R2(), R3(), R4()]).render()
'''
    p = program({"pkg/rows.py": source})
    assert kinds(p, "pkg.rows.Rows.render") == []
    fewer = source.replace("R3(), R4()", "R3()")
    assert len(kinds(program({"pkg/rows.py": fewer}), "pkg.rows.Rows.render")) == 4


def test_a_list_subclass_with_its_own_constructor_or_iterator_is_not_read():
    # its __init__ takes a name first: the constructor's first argument is not what it holds
    named = '''class Row:
    def render(self):
        return 1


class Group(list):
    def __init__(self, name, rows=()):
        super().__init__()
        self.name = name

    def render(self):
        return [r.render() for r in self]


def table():
    return Group(Row()).render()
'''
    assert kinds(program({"pkg/rows.py": named}), "pkg.rows.Group.render") == []
    # its __iter__ hands back something else than its elements
    iterating = ROWS.replace("        return \"\".join(r.render() for r in self)",
                             "        return \"\".join(r.render() for r in self)\n\n"
                             "    def __iter__(self):\n        return iter(())")
    assert iterating != ROWS
    assert kinds(program({"pkg/rows.py": iterating}), "pkg.rows.Rows.render") == []
