"""Session seventeen, alloc family (issue 13): a str attribute grown by `+=` once per call of a
method (html2text's output sink, xmltodict's SAX character handler, bench/realbugs.toml).
PFL203's cross-call form took only attributes the file makes bytes, read any use of the
attribute after the growth as consuming it, read the first piece stored into an empty
attribute as a reset per call, and counted as steps only the loop around one call site. Now a
str attribute counts (set to ""/str() by the file, declared text by the program's classes, or
grown by a piece made with a text attribute), a read of its tail consumes nothing, and an
attribute never emptied after `__init__` takes every call per unit of work as a step. Expat
handlers assigned to a parser (`parser.CharacterDataHandler = handler.characters`) are called
per XML event. Each shape has its buggy form, the fixed form and near misses; each test fails
on the code before the change."""

from __future__ import annotations

import pytest

from perflint.config import Config
from perflint.costs import load_costs
from perflint.testing import lint_sources


def found(files, rule="PFL203"):
    if isinstance(files, str):
        files = {"m.py": files}
    return [f for f in lint_sources(files, select=(rule,), config=Config(min_severity="note"))
            if f.rule == rule and f.path == "m.py"]


def seen(files, rule="PFL203"):
    return [(f.line, f.severity, f.message) for f in found(files, rule)]


# -- an output sink: a str attribute grown per call, never emptied, its last character read ---
SINK = '''
from html.parser import HTMLParser


class Converter(HTMLParser):
    def __init__(self):
        HTMLParser.__init__(self)
        self.text = str()
        self.last_nl = False

    def emit(self, piece):
        self.text += piece
        self.last_nl = self.text[-1:] == "\\n"

    def handle_data(self, data):
        for _ in range(20):
            self.emit(data)

    def result(self):
        self.close()
        return self.text
'''

KEPT_MESSAGE = ("str attribute 'self.text' grows by concatenation once per call of emit() and nothing here "
                "consumes it: CPython extends a str in place only when it is a local variable, so every call "
                "copies the whole string held so far; it is never emptied after __init__, so all its calls copy "
                "quadratically")


def test_str_sink_never_emptied_counts_every_call() -> None:
    (hit,) = found(SINK)
    assert (hit.line, hit.severity, hit.message, hit.confidence) == (12, "warning", KEPT_MESSAGE, "high")
    assert "''.join()" in hit.fix
    # 100 items x 20 calls: 2,000 calls per unit of work, each copying what the 2,000 pieces of
    # 64 bytes hold on average (64,000 bytes): 3.3 ms
    assert hit.frequency == pytest.approx(2000)
    assert hit.cost == pytest.approx(load_costs()["text-append-byte"] * 2000 * 64 / 2)


def test_str_sink_fixed_form_is_quiet() -> None:
    fixed = SINK.replace("self.text = str()", "self.parts = []").replace(
        '''        self.text += piece
        self.last_nl = self.text[-1:] == "\\n"''', '''        self.parts.append(piece)
        self.last_nl = piece[-1:] == "\\n"''').replace("return self.text", 'return "".join(self.parts)')
    assert seen(fixed) == []


def test_str_sink_near_misses() -> None:
    # emptied by another method (a flush per paragraph): its steps are the calls one loop
    # makes in a row (20), a note
    reset = SINK + '''
    def flush(self):
        out, self.text = self.text, ""
        return out
'''
    (hit,) = found(reset)
    assert hit.severity == "note" and "a caller that repeats the call in a loop" in hit.message
    assert hit.cost == pytest.approx(load_costs()["text-append-byte"] * 20 * 64 / 2)
    # read whole right after the growth: consumed each call
    read = SINK.replace('self.last_nl = self.text[-1:] == "\\n"', "self.upper = self.text.upper()")
    assert seen(read) == []
    # the class also keeps a list under that name: not known text
    other = SINK + "\n    def clear(self):\n        self.text = []\n"
    assert seen(other) == []
    # an unrelated class names a str constant so (an enum-like `duration = "duration"`):
    # it says nothing about this class's attribute, a timedelta for all the code shows
    delta = SINK.replace("self.text = str()", "self.text = None") + '\n\nclass Mode:\n    text = "text"\n'
    assert seen(delta) == []
    # a number grown once per call
    count = SINK.replace("self.text = str()", "self.text = 0").replace("self.text += piece", "self.text += 1")
    assert seen(count) == []
    # nothing says what the attribute holds
    unknown = SINK.replace("self.text = str()", "self.text = None")
    assert seen(unknown) == []
    # set afresh in the method itself: one call's piece
    fresh = SINK.replace("        self.text += piece\n", "        self.text = ''\n        self.text += piece\n")
    assert seen(fresh) == []


def test_tail_reads_consume_nothing() -> None:
    for tail in ('self.text.endswith("\\n")', 'self.text[-1] == "\\n"', "len(self.text) > 80"):
        src = SINK.replace('self.text[-1:] == "\\n"', tail)
        assert [(line, severity) for line, severity, _ in seen(src)] == [(12, "warning")], tail
    # a flag of the object stored or read afterwards consumes nothing
    flag = SINK.replace('self.last_nl = self.text[-1:] == "\\n"', "self.count += 1\n        if self.count:\n"
                        "            self.pending = False")
    assert [(line, severity) for line, severity, _ in seen(flag)] == [(12, "warning")]
    # an object it holds called afterwards may hold it too
    held = SINK.replace('self.last_nl = self.text[-1:] == "\\n"', "self.sink.write(piece)")
    assert flag != SINK and held != SINK
    # the base class's method called afterwards (`return super().close()`) may write it out
    closing = SINK.replace('self.last_nl = self.text[-1:] == "\\n"', "return super().close()")
    assert closing != SINK and seen(closing) == []
    assert seen(held) == []
    # a method of the object called afterwards may consume it
    called = SINK.replace('self.last_nl = self.text[-1:] == "\\n"', "self.wrap()") + \
        "\n    def wrap(self):\n        pass\n"
    assert seen(called) == []


# -- a SAX handler's text grown per character-data event, registered with expat ---------------
SAX = '''
from xml.parsers import expat


class Handler:
    def __init__(self, separator=""):
        self.separator = separator
        self.data = None
        self.items = []

    def start(self, name, attrs):
        self.data = None

    def end(self, name):
        self.items.append((name, self.data))
        self.data = None

    def characters(self, chunk):
        if not self.data:
            self.data = chunk
        else:
            self.data += self.separator + chunk


def parse(text):
    handler = Handler()
    parser = expat.ParserCreate()
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.characters
    parser.Parse(text, True)
    return handler.items
'''

SAX_MESSAGE = ("str attribute 'self.data' grows by concatenation once per call of characters() and nothing here "
               "consumes it: CPython extends a str in place only when it is a local variable, so every call copies "
               "the whole string held so far; a caller that repeats the call in a loop copies quadratically")


def test_sax_text_grown_per_expat_event() -> None:
    (hit,) = found(SAX)
    assert (hit.line, hit.severity, hit.message, hit.confidence) == (22, "note", SAX_MESSAGE, "medium")
    # expat calls the handler per XML event: x100 from parse(), the assignment's line
    assert hit.frequency == pytest.approx(100)
    assert any(hop.line == 30 and "per-event loop of the expat parser" in hop.note for hop in hit.trace)
    # emptied per element (start, end): the steps are the events one parse feeds, 100 of 64 bytes
    assert hit.cost == pytest.approx(load_costs()["text-append-byte"] * 100 * 64 / 2)


def test_sax_fixed_form_is_quiet() -> None:
    fixed = SAX.replace('''        if not self.data:
            self.data = chunk
        else:
            self.data += self.separator + chunk''', "        self.data.append(chunk)").replace(
        "self.data = None", "self.data = []")
    assert seen(fixed) == []


def test_sax_near_misses() -> None:
    # not an expat parser: the attribute is no handler, characters() runs once
    other = SAX.replace("from xml.parsers import expat", "import mylib").replace("expat.ParserCreate()",
                                                                                "mylib.make()")
    (hit,) = found(other)
    assert hit.frequency == pytest.approx(1)
    # the chunk stored whatever the attribute held: a reset per call
    reset = SAX.replace("        if not self.data:\n            self.data = chunk\n        else:\n"
                        "            self.data += self.separator + chunk",
                        "        self.data = chunk\n        self.data += self.separator")
    assert seen(reset) == []
    # the separator is not known text: nothing says what the attribute holds
    assert seen(SAX.replace('separator=""', "separator=None")) == []
