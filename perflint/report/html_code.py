"""Highlighted code for the HTML report: source excerpts and rule docs, through Pygments and markdown-it."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from perflint.excerpts import Excerpts
from perflint.report.html_escape import mark_bidi

NO_SOURCE = '<p class="nosrc">source not available</p>'
Key = Tuple[str, int, int, Tuple[int, ...]]


class Highlighter:
    """Excerpts of the collected source lines as highlighted HTML, each computed once."""

    def __init__(self, excerpts: Excerpts) -> None:
        from pygments.lexers import PythonLexer

        self.excerpts = excerpts
        self.lexer = PythonLexer(stripnl=False, ensurenl=True)
        self.lexer.add_filter(_plain_tokens())
        self.lexer.add_filter("tokenmerge")
        self._cache: Dict[Key, str] = {}
        self._shared: Dict[Key, str] = {}  # excerpt -> template id
        self._templates: List[str] = []

    @staticmethod
    def style() -> str:
        from pygments.formatters import HtmlFormatter

        return HtmlFormatter(style="default").get_style_defs(".hl")

    def excerpt(self, path: str, first: int, last: int, marked: Sequence[int]) -> str:
        """Lines first..last of `path` (as far as they were collected), the `marked` ones lit."""
        key = (path, first, last, tuple(marked))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        lines = self.excerpts.get(path, {})
        run: List[int] = []
        for n in range(first, last + 1):
            if n in lines:
                run.append(n)
            elif run:
                break  # past the end of the file
        if not run:
            out = NO_SOURCE
        else:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter

            start = run[0]
            formatter = HtmlFormatter(
                cssclass="hl", linenos="inline", linenostart=start, wrapcode=True,
                hl_lines=[n - start + 1 for n in marked if run[0] <= n <= run[-1]],
            )
            out = mark_bidi(highlight("\n".join(lines[n] for n in run) + "\n", self.lexer, formatter))
        self._cache[key] = out
        return out

    def shared(self, path: str, first: int, last: int, marked: Sequence[int]) -> str:
        """An excerpt inside a closed <details>: written once as a <template>, placed when opened.

        Findings that share an entry point share most hops; writing each hop's code once
        keeps a large report small, and the browser parses it faster."""
        code = self.excerpt(path, first, last, marked)
        if code == NO_SOURCE:
            return code
        key = (path, first, last, tuple(marked))
        tid = self._shared.get(key)
        if tid is None:
            tid = self._shared[key] = f"c{len(self._shared) + 1}"
            self._templates.append(f'<template id="{tid}">{code}</template>')
        return f'<div class="lazy" data-code="{tid}"></div>'

    def templates(self) -> str:
        return "".join(self._templates)

    def markdown(self) -> Any:
        """A renderer for rule docstrings: raw HTML in them is escaped, Python blocks highlighted."""
        from markdown_it import MarkdownIt
        from pygments import highlight
        from pygments.formatters import HtmlFormatter

        def code_block(code: str, lang: str, _attrs: str) -> str:
            if lang in ("python", "py", ""):
                return highlight(code, self.lexer, HtmlFormatter(cssclass="hl", wrapcode=True))
            return ""  # markdown-it escapes it and wraps it in <pre><code>

        return MarkdownIt("commonmark", {"html": False, "highlight": code_block})


def _plain_tokens() -> Any:
    """A Pygments filter: plain names, punctuation and operators as unstyled text.

    The default style leaves them black anyway (operators grey); a span for each tripled the
    size of a large report."""
    from pygments.filter import simplefilter
    from pygments.token import Name, Operator, Punctuation, Text

    plain = {Name, Punctuation, Operator, Text.Whitespace}

    @simplefilter
    def plain_tokens(self, lexer, stream, options):
        for ttype, value in stream:
            yield (Text if ttype in plain else ttype), value

    return plain_tokens()
