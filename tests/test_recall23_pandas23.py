"""Session twenty-three, fastpath family: eland's FieldMappings (elastic/eland, bench/realbugs.toml,
eland-mapping-dataframe-lookup-per-field-per-row) looked each field's pandas dtype and date format
up in its mappings DataFrame, kept on the object, with a boolean mask over a column compared with
the field name (`df.loc[df.es_field_name == name].pd_dtype.squeeze()`): pandas compares every row
and builds a new frame per lookup (about 0.1 ms), and flattening the search results did it once
per field of every hit. The fix builds a dict-backed cache once per result set. PFL502 now knows
such a mask lookup on a kept frame (an attribute of self, a module's frame, or a parameter every
caller passes a kept frame) with the key a parameter, reported where it runs repeatedly, priced
by dataframe-mask-lookup. eland's QueryCompiler imports FieldMappings as `from eland import
FieldMappings`, bound in eland/__init__.py by a star import: the call graph now follows such a
from-import. The first tests fail on the code before the change."""

from __future__ import annotations

from perflint.testing import lint_sources

from conftest import rule_findings
from test_callgraph import edges, program


def seen(files):
    return [(f.path, f.line, f.severity, f.message) for f in rule_findings(files, "PFL502")]


MAPPINGS = '''
import pandas as pd


class FieldMappings:
    def __init__(self, fields):
        self._caps = pd.DataFrame(fields)

    def pd_dtype(self, es_field_name):
        return self._caps.loc[self._caps.es_field_name == es_field_name].pd_dtype.squeeze()
'''

RESULTS = '''
from pkg import FieldMappings


class Results:
    def __init__(self, fields):
        self._mappings = FieldMappings(fields)

    def to_rows(self, hits):
        rows = []
        for hit in hits:
            row = {}
            for name, value in hit.items():
                if self._mappings.pd_dtype(name) == "datetime64[ns]":
                    value = str(value)
                row[name] = value
            rows.append(row)
        return rows
'''

INIT = "from pkg.mappings import *\nfrom pkg.results import *\n"


def package(mappings=MAPPINGS, results=RESULTS, init=INIT):
    return {"pkg/__init__.py": init, "pkg/mappings.py": mappings, "pkg/results.py": results}


MESSAGE = ("self._caps.loc[self._caps.es_field_name == es_field_name] looks one 'es_field_name' up by a "
           "boolean mask over the DataFrame kept in self._caps: pandas compares every row and builds a new "
           "frame on each call (about 0.1 ms)")


def test_mask_lookup_on_a_kept_frame_per_field_of_every_row_is_a_warning():
    # 100 us x 100 hits (the fields of a hit are counted with it) x medium 0.5 = 5 ms
    assert seen(package()) == [("pkg/mappings.py", 10, "warning", MESSAGE)]
    finding = [f for f in lint_sources(package(), select=("PFL502",)) if f.rule == "PFL502"][0]
    assert finding.cost == 1e-4
    assert [(hop.path, hop.function) for hop in finding.trace][-1] == ("pkg/results.py", "Results.to_rows")


def test_from_import_of_a_name_the_package_binds_by_a_star_import_is_linked():
    p = program(package())
    assert ("pkg.results.Results.to_rows", "pkg.mappings.FieldMappings.pd_dtype") in edges(p)
    assert ("pkg.results.Results.__init__", "pkg.mappings.FieldMappings.__init__") in edges(p)
    # the module the package star-imports after mappings imports the name back from the
    # package: that does not rebind it to itself
    assert p.star_names(p.modules["pkg"])["FieldMappings"] == "pkg.mappings.FieldMappings"


def test_the_package_attribute_read_from_another_module_stays_unresolved():
    # only `from pkg import Name` names the object; `pkg.FieldMappings` read as an attribute
    # of the package is left as session 22 left it
    attr = RESULTS.replace("from pkg import FieldMappings", "import pkg").replace(
        "FieldMappings(fields)", "pkg.FieldMappings(fields)")
    assert attr != RESULTS
    p = program(package(results=attr))
    assert p.resolve_dotted("pkg.FieldMappings") is None
    assert seen(package(results=attr)) == []


def test_fixed_dict_built_once_per_result_set_is_quiet():
    mappings = MAPPINGS + '''
    def pd_dtypes(self):
        return dict(zip(self._caps.es_field_name, self._caps.pd_dtype))
'''
    results = RESULTS.replace("        rows = []\n", "        dtypes = self._mappings.pd_dtypes()\n        rows = []\n").replace(
        "self._mappings.pd_dtype(name)", "dtypes.get(name)")
    assert results != RESULTS
    assert seen(package(mappings=mappings, results=results)) == []


def test_memoised_lookup_runs_once_per_key_and_is_quiet():
    # eland's fix: a small cache consulted first, the frame asked on a miss only
    mappings = MAPPINGS.replace("        self._caps = pd.DataFrame(fields)\n",
                                "        self._caps = pd.DataFrame(fields)\n        self._cache = {}\n").replace(
        "    def pd_dtype(self, es_field_name):\n",
        "    def pd_dtype(self, es_field_name):\n        if es_field_name in self._cache:\n"
        "            return self._cache[es_field_name]\n        self._cache[es_field_name] = self._lookup(es_field_name)\n"
        "        return self._cache[es_field_name]\n\n    def _lookup(self, es_field_name):\n")
    assert mappings != MAPPINGS
    assert seen(package(mappings=mappings)) == []


def test_mask_over_a_frame_built_in_the_same_call_is_quiet():
    built = MAPPINGS.replace(
        "        return self._caps.loc[self._caps.es_field_name == es_field_name].pd_dtype.squeeze()\n",
        "        caps = pd.DataFrame(self.fields())\n"
        "        return caps.loc[caps.es_field_name == es_field_name].pd_dtype.squeeze()\n")
    assert built != MAPPINGS
    assert seen(package(mappings=built)) == []
    rebuilt = MAPPINGS.replace(
        "        return self._caps.loc",
        "        self._caps = pd.DataFrame(self.fields())\n        return self._caps.loc")
    assert rebuilt != MAPPINGS
    assert seen(package(mappings=rebuilt)) == []


def test_mask_lookup_used_once_outside_any_hot_path_is_quiet():
    once = RESULTS.replace(
        "        for hit in hits:\n            row = {}\n            for name, value in hit.items():\n"
        "                if self._mappings.pd_dtype(name) == \"datetime64[ns]\":\n                    value = str(value)\n"
        "                row[name] = value\n            rows.append(row)\n",
        "        rows.append(self._mappings.pd_dtype(hits))\n")
    assert once != RESULTS
    assert seen(package(results=once)) == []


def test_filter_by_a_range_is_not_a_key_lookup():
    ranged = MAPPINGS.replace("self._caps.es_field_name == es_field_name", "self._caps.size >= es_field_name")
    assert ranged != MAPPINGS
    assert seen(package(mappings=ranged)) == []


def test_mask_with_a_loop_variable_or_a_constant_key_is_quiet():
    # a walk over groups (`for k in keys: df[df.col == k]`) and a constant filter are other shapes
    looped = MAPPINGS + '''
    def groups(self, keys):
        return [self._caps[self._caps.kind == k] for k in keys]

    def dates(self, unused):
        return self._caps[self._caps.pd_dtype == "datetime64[ns]"]
'''
    results = RESULTS.replace("self._mappings.pd_dtype(name)", "self._mappings.groups(name) or self._mappings.dates(name)")
    assert seen(package(mappings=looped, results=results)) == []


def test_module_frame_and_a_kept_frame_passed_by_every_caller_are_reported():
    source = '''
import pandas as pd

TABLE = pd.read_csv("codes.csv")


def code_of(name):
    return TABLE[TABLE["name"] == name]


def dtype_of(frame, name):
    return frame.loc[frame["name"] == name, "dtype"]


class Reader:
    def __init__(self, path):
        self.frame = pd.read_csv(path)

    def read(self, rows):
        return [(code_of(r), dtype_of(self.frame, r)) for r in rows]
'''
    found = seen({"m.py": source})
    assert [(line, severity) for _, line, severity, _ in found] == [(8, "warning"), (12, "warning")]
    assert "over the module's DataFrame TABLE" in found[0][3]
    assert "over the DataFrame every caller passes as frame" in found[1][3]


def test_a_frame_parameter_a_caller_builds_per_call_is_quiet():
    source = '''
import pandas as pd


def dtype_of(frame, name):
    return frame.loc[frame["name"] == name, "dtype"]


class Reader:
    def read(self, path, rows):
        frame = pd.read_csv(path)
        return [dtype_of(frame, r) for r in rows]
'''
    assert seen({"m.py": source}) == []


def test_without_pandas_in_the_module_a_mask_is_not_priced_as_pandas():
    # a structured numpy array or another library's table: not priced at pandas' overhead
    source = MAPPINGS.replace("import pandas as pd\n", "import numpy as np\n").replace("pd.DataFrame", "np.asarray")
    assert seen(package(mappings=source)) == []
