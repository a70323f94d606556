"""Session seventeen's rebuild shapes (bench/realbugs.toml): PFL306 on a buffer attribute that
one method grows and another searches from its start once per call, leaving it uncut when the
search finds nothing (werkzeug-multipart-rescan-buffer), and PFL303 on a per-row call of the
object's own helper that alters or reflects the schema, two calls down
(dataset-insert-many-sync-columns-per-row), and PFL307 on typing.get_type_hints() of a class
given per call in a converter that recurses through data loops
(dacite-from-dict-type-hints-per-call). The buggy form, the fixed form and near misses; each
buggy test fails on the code before the change (PFL306 read only while conditions, PFL303 only
reflection spellings at the call itself, PFL307 did not know get_type_hints)."""

from __future__ import annotations

import pytest

from perflint.testing import lint_sources


def found(src, rule, config, name="m.py"):
    return [f for f in lint_sources({name: src}, select=(rule,), config=config) if f.rule == rule]


# -- PFL306: a push parser searches its whole buffer again per event ----------------------
DECODER = '''import re

BLANK_LINE = re.compile(rb"\\r\\n\\r\\n|\\n\\n")


class Decoder:
    def __init__(self):
        self.buffer = bytearray()
        self.in_headers = True

    def receive(self, data):
        self.buffer.extend(data)

    def next_event(self):
        if self.in_headers:
            match = BLANK_LINE.search(self.buffer)
            if match is not None:
                headers = bytes(self.buffer[: match.start()])
                del self.buffer[: match.end()]
                self.in_headers = False
                return headers
        return None


def parse(chunks):
    decoder = Decoder()
    events = []
    for chunk in chunks:
        decoder.receive(chunk)
        event = decoder.next_event()
        if event is not None:
            events.append(event)
    return events
'''
RESCAN_MESSAGE = ("BLANK_LINE.search() searches self.buffer from its start on every call of next_event(), while "
                  "receive() grows it in place and nothing here consumes it when the search finds nothing: each "
                  "call scans again the bytes the calls before it scanned, quadratic in what the buffer holds")


def test_a_buffer_searched_from_its_start_per_call_while_another_method_grows_it_is_reported(round_config):
    (f,) = found(DECODER, "PFL306", round_config)
    assert (f.line, f.severity, f.message) == (16, "warning", RESCAN_MESSAGE)  # 3.2 ms
    # what the buffer holds on average: 100 receive() calls (parse's loop) of 64 bytes, halved
    assert f.cost == pytest.approx(1e-8 * 3200)
    assert f.frequency == 100
    assert f.fix.startswith("keep the position the last search reached")


def test_the_search_resumed_from_a_kept_position_is_quiet(round_config):
    fixed = DECODER.replace("BLANK_LINE.search(self.buffer)", "BLANK_LINE.search(self.buffer, self.searched)")
    assert found(fixed, "PFL306", round_config) == []


def test_a_buffer_cut_on_every_path_after_the_search_is_quiet(round_config):
    # the search's statement is followed, in the same block, by a cut of the buffer: the next
    # call searches only what arrived since (werkzeug's data state hands the searched bytes on)
    old = """            if match is not None:
                headers = bytes(self.buffer[: match.start()])
                del self.buffer[: match.end()]
                self.in_headers = False
                return headers
"""
    assert old in DECODER
    src = DECODER.replace(old, """            end = match.end() if match is not None else max(0, len(self.buffer) - 3)
            headers = bytes(self.buffer[:end])
            del self.buffer[:end]
            return headers
""")
    assert found(src, "PFL306", round_config) == []


def test_a_find_on_the_buffer_is_priced_per_byte_of_a_find(round_config):
    src = DECODER.replace("match = BLANK_LINE.search(self.buffer)\n            if match is not None:",
                          "end = self.buffer.find(b'\\\\r\\\\n\\\\r\\\\n')\n            if end != -1:")
    src = src.replace("self.buffer[: match.start()]", "self.buffer[:end]").replace("self.buffer[: match.end()]", "self.buffer[: end + 4]")
    (f,) = found(src, "PFL306", round_config)
    assert f.message.startswith("self.buffer.find() searches self.buffer from its start on every call of next_event()")
    assert f.cost == pytest.approx(1e-9 * 3200)


def test_a_buffer_grown_and_searched_by_the_same_method_is_quiet(round_config):
    # a protocol's data_received that grows its buffer and splits it: the remainder is one item
    src = DECODER.replace("    def receive(self, data):\n        self.buffer.extend(data)\n", "")
    src = src.replace("    def next_event(self):\n", "    def next_event(self, data=b''):\n        self.buffer.extend(data)\n")
    src = src.replace("decoder.receive(chunk)\n        event = decoder.next_event()", "event = decoder.next_event(chunk)")
    assert found(src, "PFL306", round_config) == []


def test_a_search_of_an_attribute_that_is_not_a_buffer_is_quiet(round_config):
    # `self.buffer = []` in __init__: a list of chunks, not bytes a pattern can search
    src = DECODER.replace("self.buffer = bytearray()", "self.buffer = []")
    assert found(src, "PFL306", round_config) == []


# -- PFL303: a per-row helper that alters the schema on a miss ---------------------------
STORE = '''from sqlalchemy import MetaData, Table as SATable
from sqlalchemy.schema import Column


class Table:
    def __init__(self, db, name):
        self.db = db
        self.name = name
        self._table = None

    def _refresh(self):
        self._table = SATable(self.name, MetaData(), autoload_with=self.db.engine)

    def _alter(self, missing):
        for column in missing:
            self.db.op.add_column(self.name, column)
        self._refresh()

    def _ensure_columns(self, row):
        known = set(self._table.columns.keys())
        missing = [Column(key) for key in row if key not in known]
        if missing:
            self._alter(missing)
        return row

    def insert_many(self, rows):
        chunk = []
        for row in rows:
            chunk.append(self._ensure_columns(row))
        self.db.execute(self._table.insert(), chunk)
'''
HELPER_MESSAGE = ("self._ensure_columns() reflects or alters the table's schema (see the trace), and it runs once "
                  "per item of this loop: a column check, and DDL on a miss, per row")


def test_a_per_row_call_of_a_helper_that_alters_the_schema_is_reported_with_the_chain(round_config):
    (f,) = [f for f in found(STORE, "PFL303", round_config) if f.line == 29]
    # schema-read 200 us (the round table) x 100 rows x medium 0.5: 10 ms, an error here; the
    # shipped 101 us makes it 5 ms, a warning (dataset's insert_many in bench/realbugs.toml)
    assert (f.severity, f.message, f.confidence) == ("error", HELPER_MESSAGE, "medium")
    assert f.cost == pytest.approx(2e-4) and f.frequency == 100
    # the trace goes down to the DDL: _ensure_columns calls _alter, whose op.add_column alters
    assert [(hop.function, hop.note) for hop in f.trace[-2:]] == [
        ("Table._ensure_columns", "calls Table._alter"), ("Table._alter", "schema work here")]
    assert f.trace[-1].line == 16


def test_the_schema_synced_once_before_the_loop_is_quiet(round_config):
    fixed = STORE.replace('''        chunk = []
        for row in rows:
            chunk.append(self._ensure_columns(row))
''', '''        self._ensure_columns({key: None for row in rows for key in row})
        chunk = list(rows)
''')
    assert [f for f in found(fixed, "PFL303", round_config) if f.line >= 26] == []


def test_a_helper_whose_schema_work_runs_on_first_use_only_is_quiet(round_config):
    # the reflection sits in a block that fills what it tests: once per object, not per row
    src = STORE.replace('''        known = set(self._table.columns.keys())''', '''        if self._table is None:
            self._table = self._load()
        known = set(self._table.columns.keys())''').replace('''            self._alter(missing)
''', '''            raise KeyError(missing)
''').replace('''    def _refresh(self):''', '''    def _load(self):
        return SATable(self.name, MetaData(), autoload_with=self.db.engine)

    def _refresh(self):''')
    assert [f for f in found(src, "PFL303", round_config) if "per item of this loop" in f.message] == []


def test_a_loop_over_the_tables_of_a_schema_is_quiet(round_config):
    # one ALTER per table of the schema is the job, not a per-row cost
    src = STORE.replace("        for row in rows:\n            chunk.append(self._ensure_columns(row))",
                        "        for table in rows:\n            chunk.append(self._ensure_columns(table))")
    assert [f for f in found(src, "PFL303", round_config) if "per item of this loop" in f.message] == []


def test_a_per_row_helper_without_schema_work_is_quiet(round_config):
    src = STORE.replace("            self._alter(missing)\n", "            raise KeyError(missing)\n")
    assert [f for f in found(src, "PFL303", round_config) if "per item of this loop" in f.message] == []


def test_the_helper_called_for_each_missing_key_only_is_quiet(round_config):
    # `if key not in known: self._alter(key)` in a loop over a row's keys: the DDL for the
    # missing columns is what the sync is for; its caller's per-row loop is the finding
    src = STORE.replace('''        missing = [Column(key) for key in row if key not in known]
        if missing:
            self._alter(missing)
''', '''        for key in row:
            if key not in known:
                self._alter([Column(key)])
''')
    lines = [f.line for f in found(src, "PFL303", round_config) if "per item of this loop" in f.message]
    assert lines == [29]


# -- PFL307: a recursive converter resolves the target class's hints per call -------------
CONVERTER = '''import dataclasses
import typing


def from_dict(cls, data):
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):
        values[field.name] = build(hints[field.name], data[field.name])
    return cls(**values)


def build(kind, value):
    if dataclasses.is_dataclass(kind):
        return from_dict(kind, value)
    if typing.get_origin(kind) is list:
        (item,) = typing.get_args(kind)
        return [build(item, v) for v in value]
    return value
'''
HINTS_MESSAGE = ("typing.get_type_hints(cls) re-resolves the annotations of cls on every call of from_dict(); "
                 "a class's or a function's type hints do not change after it is defined")


def test_type_hints_resolved_per_call_of_a_converter_recursing_through_a_loop_are_reported(round_config):
    (f,) = found(CONVERTER, "PFL307", round_config)
    # inspect-signature 20 us (the round table) x 100: the recursion per field and per list item
    assert (f.line, f.severity, f.message, f.confidence) == (6, "warning", HINTS_MESSAGE, "high")
    assert f.frequency == 100
    assert f.fix.startswith("keep the hints per class")


def test_type_hints_kept_per_class_are_quiet(round_config):
    fixed = CONVERTER.replace("import typing\n", "import functools\nimport typing\n\n\n"
                              "@functools.lru_cache(maxsize=None)\ndef hints_of(cls):\n"
                              "    return typing.get_type_hints(cls)\n", 1)
    fixed = fixed.replace("hints = typing.get_type_hints(cls)", "hints = hints_of(cls)")
    assert found(fixed, "PFL307", round_config) == []


def test_type_hints_in_a_function_that_does_not_recurse_stay_a_low_confidence_note(round_config):
    # registering classes in a loop: definition-time work as far as the graph shows
    src = '''import typing


def register(registry, cls):
    registry[cls.__name__] = typing.get_type_hints(cls)


def register_all(registry, classes):
    for cls in classes:
        register(registry, cls)
'''
    (f,) = found(src, "PFL307", round_config)
    assert (f.line, f.severity, f.confidence) == (5, "note", "low")


def test_type_hints_of_a_fixed_class_are_not_this_form(round_config):
    src = CONVERTER.replace("typing.get_type_hints(cls)", "typing.get_type_hints(Config)")
    assert found(src, "PFL307", round_config) == []
