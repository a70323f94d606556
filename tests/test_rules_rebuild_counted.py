"""PFL311 counted-pattern-per-call: lines, messages, cost and severities (round costs)."""

from __future__ import annotations

import pytest

from perflint.testing import lint_sources


def found(src, config):
    return [f for f in lint_sources({"m.py": src}, select=("PFL311",), config=config) if f.rule == "PFL311"]


LINE_OFFSET = ("import re\n"
               "class Extractor:\n"
               "    @property\n"
               "    def line_offset(self):\n"
               "        m = re.match(r'([^\\n]*\\n){{{}}}'.format(self.lineno - 1), self.rawdata)\n"
               "        return m.end() if m else 0\n")


def test_property_read_per_item_is_costed_as_a_compile_per_read(round_config):
    src = LINE_OFFSET + ("def offsets(ex: Extractor, tags):\n"
                         "    return [ex.line_offset for t in tags]\n")
    (f,) = found(src, round_config)
    # regex-compile (0.1 ms in round costs; 88 us measured: a warning) x 100 reads: 10 ms
    assert (f.line, f.severity, f.frequency) == (5, "error", 100.0)
    assert f.cost == pytest.approx(1e-4)
    assert f.message == ("the pattern's repeat count is formatted from a number on each call: every new count "
                         "compiles a new pattern, and the match walks the text from its start again")


def test_read_once_is_a_note(round_config):
    (f,) = found(LINE_OFFSET + "def first(ex: Extractor):\n    return ex.line_offset\n", round_config)
    assert f.severity == "note"


def test_compile_says_nothing_about_a_match(round_config):
    src = "import re\ndef skipper(n):\n    return re.compile('(?:.*\\n){%d}' % n)\n"
    (f,) = found(src, round_config)
    assert f.message.endswith("every new count compiles a new pattern")


@pytest.mark.parametrize("src", [
    # the line starts kept and extended: the fix
    "class Extractor:\n    @property\n    def line_offset(self):\n        starts = self._starts\n"
    "        while len(starts) < self.lineno:\n            starts.append(self.rawdata.find('\\n', starts[-1]) + 1)\n"
    "        return starts[self.lineno - 1]\n",
    # a formatted value that is not a repeat count
    "import re\ndef tag(text, name):\n    return re.search('<%s>' % name, text)\n",
    # a count formatted from a literal: one pattern
    "import re\ndef two(text):\n    return re.match('(x){%d}' % 2, text)\n",
    # memoised per count
    "import functools, re\n@functools.cache\ndef skipper(n):\n    return re.compile(f'(.*\\n){{{n}}}')\n",
])
def test_near_misses_are_quiet(src, round_config):
    assert found(src, round_config) == []
