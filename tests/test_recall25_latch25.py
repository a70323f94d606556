"""Session twenty-five, rebuild family: asn1crypto's Sequence.contents (wbond/asn1crypto,
bench/realbugs.toml) re-encoded its children whenever `_is_mutated()` was true, and the flag
behind it was a one-way latch: `__setitem__`, `__delitem__` and `append` set `self._mutated = True`
and nothing set it back, so after the first change every read of `contents` re-encoded the
subtree. PFL315 reports a rebuild guarded by such a latch. `Asn1Value.dump` reads `self.contents`
in the base class, where it is a plain class attribute: the call graph now links a read of
`self.attr` in a method to the @property the method's class or its subclasses define for attr
(at most valueflow.MAX_VALUES of them), as it links `self.m()` to m's overrides; on that path a
property whose setter is the summary phase 1 kept counts too. The first tests fail on the code
before the change."""

from __future__ import annotations

from conftest import rule_findings
from perflint.config import Config

MSG = ("self._set_contents() runs on every pass once self._mutated is set (append() set it to True): "
       "nothing in the program sets it back to False after construction, so after the first change "
       "the guard is always true and the rebuild repeats though nothing changed (how much it "
       "rebuilds is not known here)")


def seen(files):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, "PFL315")]


def traced(files):
    """(line, severity, the trace's steps as text) of each PFL315 finding."""
    return [(f.line, f.severity, [f"{step.function}: {step.note}" for step in f.trace]) for f in rule_findings(files, "PFL315")]


# asn1crypto's shape: a base class whose dump() reads self.contents (a class attribute there);
# a subclass whose contents property re-encodes its children while a change flag is up, and
# whose mutators raise the flag; a caller that appends and dumps per row.
CORE = '''
class Value:
    contents = None
    _header = None

    def dump(self):
        contents = self.contents
        if self._header is None:
            self._header = b"\\x30" + bytes([len(self.contents)])
        return self._header + contents


class Seq(Value):
    _mutated = False

    def __init__(self, children=None):
        self.children = list(children or [])
        self._contents = b""

    def append(self, child):
        self.children.append(child)
        self._mutated = True

    def _is_mutated(self):
        mutated = self._mutated
        for child in self.children:
            if isinstance(child, Seq):
                mutated = mutated or child._is_mutated()
        return mutated

    @property
    def contents(self):
        if self._is_mutated():
            self._set_contents()
        return self._contents

    @contents.setter
    def contents(self, value):
        self._contents = value

    def _set_contents(self):
        out = []
        for child in self.children:
            out.append(child.dump())
        self._contents = b"".join(out)
        self._header = None
'''

EMIT = '''
from pkg.core import Seq


def emit(record: Seq, days, rows, out):
    for day in days:
        for row in rows:
            record.append(row)
            out.write(record.dump())
'''


def files(core=CORE, emit=EMIT, **more):
    found = {"pkg/__init__.py": "", "pkg/core.py": core, "pkg/emit.py": emit}
    found.update(more)
    return found


def test_a_rebuild_guarded_by_a_flag_nothing_clears_is_reported_through_the_base_class_read():
    found = traced(files())
    assert [(line, severity) for line, severity, _ in found] == [(34, "warning")]
    steps = found[0][2]
    assert any("Value.dump: calls Seq.contents" in step for step in steps), steps
    assert seen(files()) == [("pkg/core.py", 34, "warning", MSG)]


def test_fixed_flag_cleared_after_the_rebuild_is_quiet():
    fixed = CORE.replace('        self._contents = b"".join(out)\n',
                         '        self._contents = b"".join(out)\n        self._mutated = False\n')
    assert fixed != CORE
    assert seen(files(core=fixed)) == []


def test_a_reset_in_another_module_of_the_program_keeps_it_quiet():
    # a save() elsewhere sets the flag back on the object it writes: not a one-way latch
    saver = "def save(record, out):\n    out.write(record.dump())\n    record._mutated = False\n"
    assert seen(files(**{"pkg/save.py": saver})) == []


def test_a_flag_set_back_to_any_other_value_keeps_it_quiet():
    # `self._mutated = changed` may lower it: only `= True` after construction is a latch
    near = CORE.replace("        self._contents = value\n",
                        "        self._contents = value\n        self._mutated = value is None\n")
    assert near != CORE
    assert seen(files(core=near)) == []


def test_a_latch_that_guards_no_rebuild_is_quiet():
    # a write-back flag: tested before saving, nothing of self rebuilt under it
    near = CORE.replace("        if self._is_mutated():\n            self._set_contents()\n",
                        "        if self._is_mutated():\n            print('changed')\n")
    assert near != CORE
    assert seen(files(core=near)) == []


def test_a_latch_not_named_like_a_change_flag_is_quiet():
    near = CORE.replace("_mutated", "_grown")
    assert near != CORE
    assert seen(files(core=near)) == []


def test_without_the_base_class_read_the_rebuild_is_a_note_at_the_rule_price():
    # nothing reads contents per row: the latch alone, at the rule's own price (15.6 us x 1)
    emit = EMIT.replace("            out.write(record.dump())\n", "")
    assert emit != EMIT
    found = rule_findings(files(emit=emit), "PFL315")
    assert [(f.line, f.severity, f.score) for f in found] == [(34, "note", 7.79e-06)]


def graph_callers(sources, fid):
    from perflint.analyze import Analyzer
    from perflint.callgraph import Program
    from perflint.discovery import SourceFile
    from perflint.registry import select_rules
    from pathlib import Path

    analyzer = Analyzer(select_rules(Config(min_severity="note"), ("ALL",)))
    summaries = []
    for path, source in sorted(sources.items()):
        module = path[:-3].replace("/", ".")
        if module.endswith(".__init__"):
            module = module[: -len(".__init__")]
        summaries.append(analyzer.analyze_bytes(SourceFile(Path(path), path, module, path.endswith("__init__.py"), False),
                                                source.encode("utf-8")))
    program = Program([s for s in summaries if s.error is None])
    return sorted({(edge.caller, edge.kind) for edge in program.callers.get(fid, ())})


def test_base_class_read_of_self_attr_links_to_the_subclass_property():
    assert ("pkg.core.Value.dump", "bounded") in graph_callers(files(), "pkg.core.Seq.contents")


def test_too_many_property_overrides_link_none():
    # five subclasses define contents as a property: more than MAX_VALUES, no edge (as for self.m())
    extra = "".join(
        f"\n\nclass S{i}(Value):\n    @property\n    def contents(self):\n        return b'{i}'\n" for i in range(4))
    assert graph_callers(files(core=CORE + extra), "pkg.core.Seq.contents") == []
    # four in all: linked
    extra3 = "".join(
        f"\n\nclass S{i}(Value):\n    @property\n    def contents(self):\n        return b'{i}'\n" for i in range(3))
    assert ("pkg.core.Value.dump", "bounded") in graph_callers(files(core=CORE + extra3), "pkg.core.Seq.contents")


def test_a_read_of_another_objects_attr_is_not_linked_to_subclass_properties():
    # `other.contents` on an object nothing is known about: no class to look the overrides up in
    near = CORE.replace("    def dump(self):\n        contents = self.contents\n",
                        "    def dump(self, other=None):\n        contents = other.contents\n")
    near = near.replace("bytes([len(self.contents)])", "bytes([len(contents)])")
    assert near != CORE
    assert graph_callers(files(core=near), "pkg.core.Seq.contents") == []


def test_a_property_with_a_setter_is_linked_from_reads_of_self():
    # Seq's own method reads self.contents, a property with a setter (whose summary is the one
    # phase 1 keeps under the name): linked by the class, as the base class's read is
    core = CORE + "\n    def size(self):\n        return len(self.contents)\n"
    assert ("pkg.core.Seq.size", "exact") in graph_callers(files(core=core), "pkg.core.Seq.contents")


def test_a_read_of_a_property_with_a_setter_on_another_object_is_not_linked():
    # by the receiver's value only properties without a setter are linked, as before
    emit = EMIT.replace("            out.write(record.dump())\n", "            out.write(record.contents)\n")
    assert emit != EMIT
    assert ("pkg.emit.emit", "exact") not in graph_callers(files(emit=emit), "pkg.core.Seq.contents")


def test_a_guard_method_that_reads_the_flag_without_returning_it_is_quiet():
    # `_is_mutated()` only logs the flag and answers something else: the guard is not the flag
    near = CORE.replace("    def _is_mutated(self):\n        mutated = self._mutated\n",
                        "    def _is_mutated(self):\n        print(self._mutated)\n        mutated = False\n")
    assert near != CORE
    assert seen(files(core=near)) == []
