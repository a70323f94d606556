"""Fast-path shapes of issue 13: a collection built only to be counted (PFL506), a position
found by a linear identity scan (PFL502). Exact lines, severities and frequencies (round costs)."""

from __future__ import annotations

import pytest

from perflint.testing import lint_sources


def found(src, code, config):
    return [f for f in lint_sources({"m.py": src}, select=(code,), config=config) if f.rule == code]


# -- PFL506 count-of-built-collection ---------------------------------------------------------
TABLE = ("class Table:\n"
         "    def _read_table(self):\n"
         "        data = self._storage.read() or {}\n"
         "        try:\n"
         "            return {self.document_id_class(k): v for k, v in data[self.name].items()}\n"
         "        except KeyError:\n"
         "            return {}\n"
         "    def __len__(self):\n"
         "        return {LEN}\n")


def test_pfl506_len_dunder_of_a_converted_table_is_a_warning(round_config):
    (f,) = found(TABLE.replace("{LEN}", "len(self._read_table())"), "PFL506", round_config)
    # __len__ runs once per len(table): loop-trips (100) per unit of work; 100 documents of
    # unknown count x build-element (200 ns, round costs) = 20 us per call, 2 ms per unit
    assert (f.line, f.severity, f.frequency) == (9, "warning", 100.0)
    assert f.cost == pytest.approx(100 * 2e-7)
    assert f.message == ("len() of self._read_table() returns a dict comprehension that calls "
                         "self.document_id_class() for every element of data[self.name], only to count it: "
                         "len(data[self.name]) is the same number without a call per element")


def test_pfl506_fixed_table_counts_the_stored_dict(round_config):
    fixed = TABLE.replace("{LEN}", "len(self._storage.read()[self.name])")
    assert found(fixed, "PFL506", round_config) == []


@pytest.mark.parametrize("src", [
    # a filter: the count needs the test
    "class T:\n    def docs(self):\n        return [Doc(r) for r in self.rows if r.live]\n"
    "    def __len__(self):\n        return len(self.docs())\n",
    # a set of converted keys: duplicates collapse, the count may differ
    "class T:\n    def __len__(self):\n        return len({norm(k) for k in self.keys})\n",
    # a plain copy of an iterator: the idiom for counting one
    "class T:\n    def __len__(self):\n        return len(list(self._sa_iterator()))\n",
    # a helper of another class is not this one's
    "class A:\n    def docs(self):\n        return [Doc(r) for r in self.rows]\n"
    "class B:\n    def __len__(self):\n        return len(self.docs())\n",
    # a generator helper
    "class T:\n    def docs(self):\n        for r in self.rows:\n            yield Doc(r)\n"
    "    def __len__(self):\n        return len(list(self.docs()))\n",
])
def test_pfl506_near_misses_are_not_reported(src, round_config):
    assert found(src, "PFL506", round_config) == []


def test_pfl506_once_per_call_with_no_loop_is_a_note(round_config):
    src = "def count(rows):\n    return len([Row(r) for r in rows])\n"
    (f,) = found(src, "PFL506", round_config)
    assert (f.line, f.severity, f.frequency) == (2, "note", 1.0)
