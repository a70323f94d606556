"""Session twenty-six, clone family: mothertongues' JSON dictionary parser (roedoejet/mothertongues,
bench/realbugs.toml `mothertongues-jsonpath-parsed-per-entry`) handed its JSONPath lookup as a
callback to the entry-template filler, which called it for every field of the manifest's target
template for every entry, and the lookup compiled the field's path with jsonpath_ng.parse each
time; the fix keeps compiled expressions in a dict keyed by the path.

PFL102 now knows the JSONPath compilers (jsonpath_ng.parse and its ext variant, jsonpath_rw.parse)
and prices a compile at `jsonpath-parse` (0.56 ms, jsonpath-ng 1.16, bench/jsonpath_parse.py).
On a text parameter it reports only when every caller hands it a part of a table that stays the
same while a caller's loop walks it again per item (passed.passes_table_entry): the template
kept on the object, handed as it is to a call inside the loop over the entries, walked entry by
entry, its values passed on (through the callback's binding) to the compiling function.

The buggy tests fail on the code before the change (no PFL102 on jsonpath_ng.parse)."""

from __future__ import annotations

from conftest import rule_findings


def seen(files):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, "PFL102")]


MAPPER = '''from jsonpath_ng import parse as json_parse


class Mapper:
    def __init__(self, manifest, records):
        self.records = records
        self.template = manifest["targets"]

    def lookup(self, record, path):
        found = json_parse(path).find(record)
        return found or ""

    def fill(self, template, record, convert):
        out = {}
        for key, value in template.items():
            if isinstance(value, dict):
                out[key] = self.fill(value, record, convert)
            else:
                out[key] = convert(record, value.strip())
        return out

    def resolve(self):
        return [self.fill(self.template, record, self.lookup) for record in self.records]


def load(manifests, records):
    for manifest in manifests:
        Mapper(manifest, records).resolve()
'''

MESSAGE = ("jsonpath_ng.parse() compiles the 'path' it is given on every call of lookup(), and every caller hands "
           "it an entry of a table that stays the same while it is walked again for each item: the same few "
           "expressions are compiled again and again")


def test_template_paths_compiled_per_record_through_a_callback_are_reported():
    assert seen({"pkg/mapper.py": MAPPER}) == [("pkg/mapper.py", 10, "error", MESSAGE)]


def test_paths_kept_in_a_dict_on_a_miss_are_quiet():
    fixed = MAPPER.replace('''    def lookup(self, record, path):
        found = json_parse(path).find(record)''', '''    def compiled(self, path):
        if path not in self.cache:
            self.cache[path] = json_parse(path)
        return self.cache[path]

    def lookup(self, record, path):
        found = self.compiled(path).find(record)''').replace(
        '        self.records = records\n', '        self.records = records\n        self.cache = {}\n')
    assert fixed != MAPPER
    assert seen({"pkg/mapper.py": fixed}) == []


def test_an_lru_cached_compile_is_quiet():
    fixed = MAPPER.replace('''    def lookup(self, record, path):
        found = json_parse(path).find(record)''', '''    def lookup(self, record, path):
        found = compiled(path).find(record)''').replace('''class Mapper:''', '''@functools.lru_cache(maxsize=None)
def compiled(path):
    return json_parse(path)


class Mapper:''').replace("from jsonpath_ng", "import functools\nfrom jsonpath_ng")
    assert fixed != MAPPER
    assert seen({"pkg/mapper.py": fixed}) == []


def test_a_path_read_from_the_record_itself_is_quiet():
    # each record names its own path: the texts differ from record to record
    per_record = MAPPER.replace("self.fill(self.template, record, self.lookup)",
                                "self.fill(record['template'], record, self.lookup)")
    assert per_record != MAPPER
    assert seen({"pkg/mapper.py": per_record}) == []


def test_a_path_taken_from_the_records_walked_by_the_loop_is_quiet():
    # the records are kept on the object too, but the loop walks them: each pass a new text
    per_record = MAPPER.replace(
        "        return [self.fill(self.template, record, self.lookup) for record in self.records]",
        "        return [self.lookup(record, record['path']) for record in self.records]")
    assert per_record != MAPPER
    assert seen({"pkg/mapper.py": per_record}) == []


def test_a_template_walked_once_is_quiet():
    # handed to one call, not to a call per record: each path is compiled once per resolve()
    once = MAPPER.replace("        return [self.fill(self.template, record, self.lookup) for record in self.records]",
                          "        return self.fill(self.template, self.records, self.lookup)")
    assert once != MAPPER
    assert seen({"pkg/mapper.py": once}) == []


def test_a_template_another_method_replaces_is_quiet():
    # not bound once per object: the paths may change between passes
    replaced = MAPPER.replace("    def resolve(self):", "    def reload(self, manifest):\n"
                              "        self.template = manifest['targets']\n\n    def resolve(self):")
    assert replaced != MAPPER
    assert seen({"pkg/mapper.py": replaced}) == []


def test_a_literal_path_compiled_per_record_is_reported():
    source = '''import jsonpath_ng.ext


def names(records):
    out = []
    for record in records:
        out.extend(m.value for m in jsonpath_ng.ext.parse("$.people[*].name").find(record))
    return out


def run(batches):
    for batch in batches:
        names(batch)
'''
    assert seen({"pkg/names.py": source}) == [
        ("pkg/names.py", 7, "error", "jsonpath_ng.ext.parse() compiles a literal again on every iteration: the "
                                     "expression is the same each time")]


def test_jmespath_compile_is_quiet():
    # jmespath keeps its own cache of parsed expressions: a repeat is a lookup
    source = '''import jmespath


def names(records):
    return [jmespath.compile("people[*].name").search(record) for record in records]
'''
    assert seen({"pkg/names.py": source}) == []


def test_the_walk_through_a_base_class_override_counts_as_the_recursive_walk():
    # the base class's own fill() calls self.fill(), which the subclass overrides: the same walk
    base = '''class Base:
    def fill(self, template, record, convert):
        out = {}
        for key, value in template.items():
            if isinstance(value, dict):
                out[key] = self.fill(value, record, convert)
            else:
                out[key] = convert(record, value)
        return out
'''
    sub = MAPPER.replace("class Mapper:", "from pkg.base import Base\n\n\nclass Mapper(Base):")
    assert seen({"pkg/base.py": base, "pkg/mapper.py": sub}) == [("pkg/mapper.py", 13, "error", MESSAGE)]


def test_a_path_rebound_in_the_walk_is_quiet():
    # the walk may hand on the record's own path instead: what reaches lookup() is not the template's
    rebound = MAPPER.replace('''                out[key] = convert(record, value.strip())''', '''                path = value.strip()
                if record.get("override"):
                    path = record["override"]
                out[key] = convert(record, path)''')
    assert rebound != MAPPER
    assert seen({"pkg/mapper.py": rebound}) == []
