"""PFL311 counted-pattern-per-call."""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.ruleutil import first_arg, is_literal, memoised

# `re` functions whose first argument is the pattern text (compiled through re's cache).
_RE_FUNCTIONS = {
    "re.compile", "re.match", "re.search", "re.fullmatch", "re.findall", "re.finditer",
    "re.sub", "re.subn", "re.split",
}
# Constructors build their patterns from the object's settings (a tab width, a field count):
# one compile per object, and objects built with the same settings share re's cache entry.
_SETUP_METHODS = {"__init__", "__new__", "__post_init__", "__init_subclass__", "__set_name__"}
# A repeat count a `str.format` call or `%` fills in: `{{{}}}`, `{{{0}}}`, `{{{n}}}`, `{%d}`,
# `{%s}`, and the `{m,n}` forms with one bound formatted (`{{{},}}`, `{1,%d}`).
_FORMAT_COUNT = re.compile(r"\{\{\{[\w.]*\}(?:,\d*)?\}\}|\{\{\d*,\{[\w.]*\}\}\}")
_PERCENT_COUNT = re.compile(r"\{(?:\d*,)?%[ds](?:,\d*)?\}")


class CountedPatternPerCall(Rule):
    """
    A regex whose repeat count is formatted from a run-time number, built on every call.

    ## What it does
    Flags `re.match`, `re.search`, `re.compile` and the other `re` functions when the pattern
    text is formatted on each call with a number in a repeat count: `'([^\\n]*\\n){%d}' % n`,
    `r'(.*\\n){{{}}}'.format(self.lineno - 1)`, `f'(.*\\n){{{n}}}'`. The usual purpose is
    to skip `n` lines (or fields, or tokens) from the start of a text, to find where the
    n-th one begins.

    ## Why is this slow
    Every new count is a new pattern text: `re` compiles it again (about 0.1 ms for a short
    pattern; its cache of 512 patterns only helps while the count repeats), and the match
    then walks the text from its start to the n-th line. Called once per line or per tag of
    a document, as a parser's position helper is, that is a compile per line and a scan
    quadratic in the document's length. Python-Markdown's HTML extractor found the start of
    the current line this way on every read of a property, per tag of a raw-HTML block.

    ## Example
    ```python
    class Extractor(HTMLParser):
        @property
        def line_offset(self):
            m = re.match(r'([^\\n]*\\n){{{}}}'.format(self.lineno - 1), self.rawdata)
            return m.end() if m else 0
    ```

    ## Use instead
    ```python
    class Extractor(HTMLParser):
        @property
        def line_offset(self):
            # extend a list of line starts as far as needed, and keep it
            starts = self._line_starts
            while len(starts) < self.lineno:
                starts.append(self.rawdata.find('\\n', starts[-1]) + 1)
            return starts[self.lineno - 1]
    ```

    ## Notes
    A literal count (`{3}`) is one pattern, compiled once and cached: not reported. A
    function memoised with `functools.lru_cache`/`cache` compiles each count once: not
    reported. Module level and class bodies run once, and a constructor's pattern sized from
    the object's settings (`'{0,%d}' % (tab_length - 1)`) is built once per object with the
    same text each time: not reported.
    """

    CODE = "PFL311"
    COST = "regex-compile"  # perflint/costs.py; measured by bench/costs.py
    NAME = "counted-pattern-per-call"
    FAMILY = "rebuild"
    FIX = ("find the n-th line's start with str.find from a kept offset (or a list of line starts "
           "extended as needed) instead of a pattern with the count formatted into it")
    TRIGGERS = ("{{", "{%", ",%")  # every counted pattern text holds one of these
    VALID = [
        # A literal count: one pattern text, compiled once.
        "import re\ndef first_lines(text):\n    return re.match(r'([^\\n]*\\n){3}', text)\n",
        # Module level runs once.
        "import re\nN = 4\nSKIP = re.compile(r'(.*\\n){%d}' % N)\n",
        # Memoised per count.
        "import functools, re\n@functools.lru_cache(maxsize=None)\ndef skipper(n):\n"
        "    return re.compile(r'(.*\\n){%d}' % n)\n",
        # Built in a constructor from the object's settings: once per object.
        "import re\nclass Lists:\n    def __init__(self, tab):\n        self.re = re.compile(r'^[ ]{0,%d}\\d+' % (tab - 1))\n",
        # The number is not a repeat count: a group name or a literal digit run.
        "import re\ndef field(text, name):\n    return re.search(r'(?P<%s>\\d{2})' % name, text)\n",
        # Not the re module.
        "def count(parser, n):\n    return parser.match('(x){%d}' % n)\n",
    ]
    INVALID = [
        Invalid(
            "import re\n"
            "class Extractor:\n"
            "    @property\n"
            "    def line_offset(self):\n"
            "        m = re.match(r'([^\\n]*\\n){{{}}}'.format(self.lineno - 1), self.rawdata)\n"
            "        return m.end() if m else 0\n",
            line=5,
        ),
        Invalid("import re\ndef skip(text, n):\n    return re.match('(.*\\n){%d}' % n, text)\n", line=3),
        Invalid("import re\ndef skip(text, n):\n    return re.compile(f'(?:[^,]*,){{{n}}}').match(text)\n", line=3),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        fn = self.ctx.function
        if fn is None:
            return  # module level and class bodies run once at import
        if self.ctx.resolve(node.func) not in _RE_FUNCTIONS:
            return
        pattern = first_arg(node)
        if pattern is None or not _counted(pattern):
            return
        if memoised(fn):
            return
        if fn.name in _SETUP_METHODS:
            return  # a pattern sized from the object's settings: once per object, the same text each time
        message = "the pattern's repeat count is formatted from a number on each call: every new count compiles a new pattern"
        if self.ctx.resolve(node.func) != "re.compile":
            message += ", and the match walks the text from its start again"
        self.report(node, message)


def _counted(pattern: cst.BaseExpression) -> bool:
    """Whether `pattern` formats a run-time value into a regex repeat count."""
    if isinstance(pattern, cst.Call) and isinstance(pattern.func, cst.Attribute) \
            and pattern.func.attr.value == "format" and pattern.args:
        text = _literal_text(pattern.func.value)
        return text is not None and bool(_FORMAT_COUNT.search(text)) and \
            not all(is_literal(a.value) for a in pattern.args)
    if isinstance(pattern, cst.BinaryOperation) and isinstance(pattern.operator, cst.Modulo):
        text = _literal_text(pattern.left)
        return text is not None and bool(_PERCENT_COUNT.search(text)) and not is_literal(pattern.right)
    if isinstance(pattern, cst.FormattedString):
        return _fstring_count(pattern)
    return False


def _literal_text(node: cst.BaseExpression) -> Optional[str]:
    """The text of a string literal (concatenated pieces too), quotes and prefix dropped."""
    if isinstance(node, cst.SimpleString):
        return node.raw_value
    if isinstance(node, cst.ConcatenatedString):
        left, right = _literal_text(node.left), _literal_text(node.right)
        return left + right if left is not None and right is not None else None
    return None


def _fstring_count(node: cst.FormattedString) -> bool:
    """`f'(x){{{n}}}'`: an expression between a text ending in `{{` and one starting `}}`
    (or `,...}}`), the expression not a literal."""
    parts = node.parts
    for i, part in enumerate(parts):
        if not isinstance(part, cst.FormattedStringExpression) or is_literal(part.expression):
            continue
        before = parts[i - 1] if i > 0 else None
        after = parts[i + 1] if i + 1 < len(parts) else None
        if isinstance(before, cst.FormattedStringText) and isinstance(after, cst.FormattedStringText) \
                and re.search(r"\{\{(\d*,)?$", before.value) and re.match(r"(,\d*)?\}\}", after.value):
            return True
    return False
