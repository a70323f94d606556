"""Session twenty-four, a PFL202 form: build-engine-randomizer's fancy_unpack (Die4Ever/build-engine-
randomizer, bench/realbugs.toml, build-randomizer-fancy-unpack-format-per-sprite) accumulated its struct
format (`format += mappings[k*2+1]`) and the field widths in a loop over the mappings parameter on
every call, then unpacked with that format; MapFile read every sprite through it, always with the
table its __init__ set once (self.sprite_format). The fix prepared a FancyPacker (format and layout)
once per map. PFL202 now reports a format accumulated from a parameter's items in a loop and handed
to a struct function after it, when every caller passes the same table (a literal, a module-level
name, an attribute the program binds once per object: passed.passes_settled), at the accumulation,
priced by struct-layout. The first test fails on the code before the change."""

from __future__ import annotations

from perflint.testing import lint_sources

from conftest import rule_findings


def seen(files):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, "PFL202")]


LIB = '''from struct import unpack


def fancy_unpack(endianness, mappings, data):
    format = endianness
    layout = []
    for k in range(len(mappings) // 2):
        format += mappings[k*2+1]
        layout.append(len(mappings[k*2+1]))
    t = unpack(format, data)
    out = {}
    i = 0
    for k, width in enumerate(layout):
        out[mappings[k*2]] = t[i] if width == 1 else list(t[i:i + width])
        i += width
    return out
'''

MAP = '''from lib import fancy_unpack


class MapFile:
    def __init__(self, data, count):
        self.sprite_format = ('pos', 'iii', 'cstat', 'h', 'picnum', 'h')
        self.data = data
        self.sprites = []
        for i in range(count):
            self.sprites.append(self.get_sprite(i))

    def get_sprite(self, num):
        start = num * 16
        return fancy_unpack('<', self.sprite_format, self.data[start:start + 16])


def load_all(maps):
    return [MapFile(data, count) for data, count in maps]
'''

MESSAGE = ("fancy_unpack() accumulates its struct format 'format' from the table 'mappings' in a loop on every "
           "call, then hands it to struct.unpack(), and every caller passes the same table: prepare the format "
           "(and any field layout built with it) once per table")


def test_format_accumulated_from_a_table_set_once_per_object_is_a_warning():
    assert seen({"lib.py": LIB, "maps.py": MAP}) == [("lib.py", 8, "warning", MESSAGE)]
    finding = [f for f in lint_sources({"lib.py": LIB, "maps.py": MAP}, select=("PFL202",))][0]
    assert finding.cost == 1.5e-6  # struct-layout, perflint/data/costs.toml
    assert [step.function for step in finding.trace][-2:] == ["MapFile.__init__", "MapFile.get_sprite"]


def test_module_constant_and_literal_tables_are_fixed_too():
    constant = MAP.replace("self.sprite_format = ('pos', 'iii', 'cstat', 'h', 'picnum', 'h')\n        ", "").replace(
        "fancy_unpack('<', self.sprite_format,", "fancy_unpack('<', SPRITE,").replace(
        "from lib import fancy_unpack\n", "from lib import fancy_unpack\n\nSPRITE = ('pos', 'iii', 'cstat', 'h')\n")
    assert [(p, line) for p, line, _, _ in seen({"lib.py": LIB, "maps.py": constant})] == [("lib.py", 8)]
    literal = MAP.replace("self.sprite_format,", "('pos', 'iii', 'cstat', 'h'),")
    assert [(p, line) for p, line, _, _ in seen({"lib.py": LIB, "maps.py": literal})] == [("lib.py", 8)]


def test_items_of_a_loop_over_the_table_and_struct_objects_are_matched():
    lib = '''import struct


def decode(order, fields, data):
    fmt = order
    for name, code in fields:
        fmt += code
    return struct.Struct(fmt).unpack(data)
'''
    callers = '''from lib import decode

FIELDS = (('a', 'I'), ('b', 'H'))


def decode_all(records):
    return [decode('>', FIELDS, r) for r in records]
'''
    found = seen({"lib.py": lib, "use.py": callers})
    # one loop of records (x100) at 1.5 us a call is 150 us: a note
    assert [(p, line, sev) for p, line, sev, _ in found] == [("lib.py", 7, "note")]
    assert "then hands it to struct.Struct()" in found[0][3]
    spelled = lib.replace("fmt += code", "fmt = fmt + code")
    assert [(p, line) for p, line, _, _ in seen({"lib.py": spelled, "use.py": callers})] == [("lib.py", 7)]
    other = lib.replace("fmt += code", "fmt = code + fmt")
    assert seen({"lib.py": other, "use.py": callers}) == []


def test_a_method_given_its_class_table_is_matched():
    reader = '''import struct


class Reader:
    HEADER = ("<", "I", "H", "H")

    def _decode(self, table, data):
        fmt = ""
        for code in table:
            fmt += code
        return struct.unpack(fmt, data)

    def read_all(self, files):
        for f in files:
            for rec in f:
                yield self._decode(self.HEADER, rec)
'''
    found = seen({"reader.py": reader})
    # x100 files (the records of a file are counted with it): 150 us, a note
    assert [(p, line, sev) for p, line, sev, _ in found] == [("reader.py", 10, "note")]
    assert found[0][3].startswith("_decode() accumulates its struct format 'fmt' from the table 'table'")
    # the receiver's own items are not a table a caller passes
    own = reader.replace("for code in table:", "for code in self:")
    assert seen({"reader.py": own}) == []


def test_fixed_packer_prepared_once_per_table_is_quiet():
    lib = '''from struct import unpack


class FancyPacker:
    def __init__(self, endianness, mappings):
        format = endianness
        lens = []
        for k in range(len(mappings) // 2):
            format += mappings[k*2+1]
            lens.append(len(mappings[k*2+1]))
        self.format = format
        self.keys = mappings[0::2]
        self.lens = lens

    def unpack(self, data):
        return dict(zip(self.keys, unpack(self.format, data)))
'''
    fixed_map = MAP.replace("from lib import fancy_unpack", "from lib import FancyPacker").replace(
        "self.sprite_format = ('pos', 'iii', 'cstat', 'h', 'picnum', 'h')",
        "self.packer = FancyPacker('<', ('pos', 'iii', 'cstat', 'h', 'picnum', 'h'))").replace(
        "fancy_unpack('<', self.sprite_format, self.data[start:start + 16])",
        "self.packer.unpack(self.data[start:start + 16])")
    # the attribute format of the prepared packer is the existing PFL202 note, not this form
    assert [(p, line, sev) for p, line, sev, _ in seen({"lib.py": lib, "maps.py": fixed_map})] == [
        ("lib.py", 16, "note")]


def test_table_callers_pass_per_record_is_quiet():
    varying = MAP.replace("fancy_unpack('<', self.sprite_format,", "fancy_unpack('<', self.formats[num],")
    assert seen({"lib.py": LIB, "maps.py": varying}) == []
    rebuilt = MAP.replace("fancy_unpack('<', self.sprite_format,", "fancy_unpack('<', make_table(num),")
    assert seen({"lib.py": LIB, "maps.py": rebuilt}) == []


def test_table_attribute_another_method_rebinds_is_quiet():
    rebound = MAP + '''

    def set_format(self, table):
        self.sprite_format = table
'''
    rebound = rebound.replace("\n\ndef load_all(maps):\n    return [MapFile(data, count) for data, count in maps]\n", "\n")
    rebound += "\n\ndef load_all(maps):\n    return [MapFile(data, count) for data, count in maps]\n"
    assert seen({"lib.py": LIB, "maps.py": rebound}) == []


def test_order_callers_pass_varying_is_quiet():
    varying = MAP.replace("fancy_unpack('<', self.sprite_format,", "fancy_unpack(self.order, self.sprite_format,")
    varying = varying.replace("self.data = data\n", "self.data = data\n        self.order = '<'\n")
    varying += "\n\ndef swap(m):\n    m.order = '>'\n"
    assert seen({"lib.py": LIB, "maps.py": varying}) == []


def test_format_used_inside_its_loop_or_rebuilt_otherwise_is_quiet():
    per_step = LIB.replace("    t = unpack(format, data)\n", "").replace(
        "        layout.append(len(mappings[k*2+1]))\n",
        "        layout.append(len(mappings[k*2+1]))\n        t = unpack(format, data[:len(format)])\n")
    assert seen({"lib.py": per_step, "maps.py": MAP}) == []
    other_piece = LIB.replace("format += mappings[k*2+1]", "format += str(k)")
    assert seen({"lib.py": other_piece, "maps.py": MAP}) == []
    rebound = LIB.replace("    t = unpack(format, data)\n", "    format = format.upper()\n    t = unpack(format, data)\n")
    assert seen({"lib.py": rebound, "maps.py": MAP}) == []


def test_once_per_call_of_a_cold_function_is_quiet():
    once = MAP.replace("        for i in range(count):\n            self.sprites.append(self.get_sprite(i))\n",
                       "        self.sprites.append(self.get_sprite(0))\n").replace(
        "\n\ndef load_all(maps):\n    return [MapFile(data, count) for data, count in maps]\n", "\n")
    assert seen({"lib.py": LIB, "maps.py": once}) == []


def test_literal_formats_keep_their_findings():
    literal = '''import struct


def read(buf):
    for off in range(0, len(buf), 8):
        k, v = struct.unpack_from('<II', buf, off)
'''
    found = seen({"lib.py": literal})
    assert found == [("lib.py", 6, "note",
                      "struct.unpack_from() looks the format '<II' up on every call (and compiles it again on a "
                      "cache miss): use a module-level struct.Struct")]


# -- PFL313's TRIGGERS: the files it runs on ---------------------------------------------------

DDL_BASE = '''import pymongo


class Base:
    @classmethod
    def ensure_indexes(cls):
        cls.coll.create_index("a")
        cls.coll.create_index("b")
        cls.coll.create_index("c")
        cls.coll.create_index("d")
'''

DDL_SAVE = '''from base import Base


class Document(Base):
    async def _save_one(self):
        self.ensure_indexes()
        await self.coll.insert_one({})


def import_all(docs):
    for d in docs:
        d._save_one()
'''


def test_ddl_triggers_keep_a_per_save_call_to_a_helper_in_another_file():
    from rules.rebuild.ddl_per_operation import DdlPerOperation

    assert "create" not in DDL_SAVE and "ensure_index" in DDL_SAVE  # the helper's name, not a DDL call
    found = [(f.path, f.line) for f in rule_findings({"base.py": DDL_BASE, "doc.py": DDL_SAVE}, "PFL313")]
    assert found == [("doc.py", 6)]
    # without the helper's name in it, the file is still read for its `def _save...`
    renamed = DDL_SAVE.replace("ensure_indexes", "load_collection")
    base = DDL_BASE.replace("ensure_indexes", "load_collection")
    found = [(f.path, f.line) for f in rule_findings({"base.py": base, "doc.py": renamed}, "PFL313")]
    assert found == [("doc.py", 6)]
    triggers = DdlPerOperation.TRIGGERS
    assert "def _save" in triggers and "def Commit" in triggers and "def __HANDLE" in triggers
    assert not any(t in "def run(self):\n    return self.value + 1\n" for t in triggers)
