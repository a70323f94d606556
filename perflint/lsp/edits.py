"""The `# perflint: ignore[CODE]` quick fix: where the comment goes and what it says."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from typing import List, Optional, Tuple

_PERFLINT_IGNORE = re.compile(r"#\s*perflint\s*:\s*ignore(?P<bracket>\[(?P<codes>[^\]]*)\])?", re.I)


@dataclass(frozen=True)
class LineEdit:
    """Replace code points [start, end) of a 0-based line with `text`."""

    line: int
    start: int
    end: int
    text: str


def ignore_edit(source: str, line: int, code: str) -> Optional[LineEdit]:
    """The edit that suppresses `code` on 1-based `line`, or None when no comment can go there.

    An existing `# perflint: ignore[...]` gets the code added to its list; a bare
    `# perflint: ignore` already covers it. Any other comment stays and the suppression goes
    after it. A line that ends inside a string or with a backslash continuation cannot
    take a comment, and suppressions are read on the reported line only, so: None."""
    lines = source.splitlines()
    if not 0 < line <= len(lines):
        return None
    text = lines[line - 1]
    tokens = _tokens(source)
    comment = _comment_start(tokens, text, line)
    if comment is None and not _can_end_with_comment(tokens, line, text):
        return None
    if comment is not None:
        match = _PERFLINT_IGNORE.search(text, comment)
        if match is not None:
            if match.group("bracket") is None:
                return None  # a bare ignore already suppresses every code here
            codes = [c.strip() for c in re.split(r"[\s,]+", match.group("codes")) if c.strip()]
            if code in (c.upper() for c in codes):
                return None
            joined = ", ".join(codes + [code])
            return LineEdit(line - 1, match.start("codes"), match.end("codes"), joined)
    body = text.rstrip()
    return LineEdit(line - 1, len(body), len(text), f"  # perflint: ignore[{code}]")


def _tokens(source: str) -> Optional[List[tokenize.TokenInfo]]:
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return None


def _comment_start(tokens: Optional[List[tokenize.TokenInfo]], text: str, line: int) -> Optional[int]:
    """Column of the comment on `line` (a real one: not a `#` inside a string)."""
    if tokens is None:
        found = text.find("#")  # the file does not tokenize (mid-edit): the best guess
        return found if found >= 0 else None
    for tok in tokens:
        if tok.type == tokenize.COMMENT and tok.start[0] == line:
            return tok.start[1]
    return None


def _can_end_with_comment(tokens: Optional[List[tokenize.TokenInfo]], line: int, text: str) -> bool:
    """Whether a comment may follow the last character of `line` without changing the code."""
    if text.rstrip().endswith("\\"):
        return False  # a continuation backslash must end its line
    if tokens is None:
        return True  # the file does not tokenize yet; the comment is the user's to place
    for tok in tokens:
        start, end = tok.start, tok.end
        if start[0] <= line < end[0] and tok.type in _STRING_TYPES:
            return False  # the line ends inside a triple-quoted string
    return True


def _string_types() -> Tuple[int, ...]:
    names = ("STRING", "FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
    return tuple(getattr(tokenize, name) for name in names if hasattr(tokenize, name))


_STRING_TYPES = _string_types()
