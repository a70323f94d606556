"""What translating a CSS selector to XPath costs when the translation could have been kept:
`css-translate` in perflint/calibrate.py (an estimate there, as cssselect is not a perflint
dependency). Run it where cssselect (and lxml, for its CSSSelector) is installed:

    python bench/css_translate.py

For four selectors of the kind a scraper writes (a tag, a class path with a child step, an id
path to a class, four steps with a structural pseudo-class), `HTMLTranslator().css_to_xpath` is
timed, and lxml's `CSSSelector(css)`, which translates and then compiles the XPath: each is
what a cache by the selector's text saves. Each figure is the least of five rounds with the
cyclic GC off (jsonpath_parse.least, beside this script)."""

from __future__ import annotations

from importlib.metadata import version

from jsonpath_parse import least

SELECTORS = ["a", "div.product > h2 a", "ul#results li.item span.price",
             "table.data tr:nth-child(2n+1) td.price > span"]


def main() -> None:
    from cssselect import HTMLTranslator

    translator = HTMLTranslator()
    print(f"cssselect {version('cssselect')}")
    for css in SELECTORS:
        print(f"  css_to_xpath {css!r:50s} {least(lambda: translator.css_to_xpath(css), 200) * 1e6:8.1f} us")
    try:
        from lxml.cssselect import CSSSelector
    except ImportError:
        return
    print(f"lxml {version('lxml')}")
    for css in SELECTORS:
        print(f"  CSSSelector  {css!r:50s} {least(lambda: CSSSelector(css), 200) * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
