"""Session twenty-four, alloc family: PFL206 quadratic-list-fold. python-zeroconf's
`DNSCache.entries` (python-zeroconf/python-zeroconf) listed every cached record by folding the
per-name lists together with `reduce(lambda a, b: a + b, values)`, so each step copied all the
records gathered so far, and the response handler asked for that list once per answer record
of every packet; the fix chains the lists. No rule matched a fold by addition. The count of
lists is not in the code: a fold over the values of a dict the program fills key by key (one
list per key, growing with the data) is reported with high confidence and priced as loop-trips
lists of nested-loop-trips elements; any other fold (`sum(select.select(...), [])`, a handful
of tax rates) is a note. Our own reduced code; the buggy test fails before the change."""

from __future__ import annotations

from conftest import rule_findings


def seen(source: str):
    return [(f.rule, f.line, f.severity, f.message) for f in rule_findings({"m.py": source}, "PFL206")]


CACHE = '''
{imports}


class DNSCache:
    def __init__(self):
        self.cache = {{}}

    def add(self, entry):
        self.cache.setdefault(entry.key, []).insert(0, entry)

    def entries(self):
        if not self.cache:
            return []
        values = list(self.cache.values())
        return {fold}


class Zeroconf:
    def __init__(self):
        self.cache = DNSCache()

    def handle_response(self, msg):
        for record in msg.answers:
            for entry in self.cache.entries():
                if entry == record:
                    entry.reset_ttl(record)
            self.cache.add(record)


def serve(zc, sock):
    while True:
        zc.handle_response(sock.recv_message())
'''

KEYED = (" (one per key of a dict the program fills as it runs; how many, and how long each, is not shown: "
         "priced as loop-trips of nested-loop-trips elements)")
UNKNOWN = " (how many is not shown: a note, priced at loop-trips)"


def test_zeroconf_cache_entries_fold_is_a_warning():
    source = CACHE.format(imports="from functools import reduce", fold="reduce(lambda a, b: a + b, values)")
    (finding,) = rule_findings({"m.py": source}, "PFL206")
    assert (finding.rule, finding.line, finding.severity) == ("PFL206", 16, "warning")
    assert finding.message == ("reduce(lambda a, b: a + b, ...) joins the lists of 'values' by '+': every step "
                               "copies all the elements gathered so far, quadratic in the number of lists" + KEYED)
    # 100 lists of 10 elements: 49,500 copied per run, x100 (the loop over the answers)
    assert 5e-3 < finding.score < 1e-2


def test_chained_lists_are_quiet():
    source = CACHE.format(imports="import itertools",
                          fold="list(itertools.chain.from_iterable(values))")
    assert seen(source) == []


def test_operator_add_with_start_and_annotated_dict():
    source = '''
import operator
from functools import reduce
from typing import Dict, List


class Index:
    def __init__(self):
        self.by_tag: Dict[str, List[int]] = {}

    def all_ids(self):
        return reduce(operator.add, self.by_tag.values(), [])


def report(index: Index, rows):
    for row in rows:
        row.ids = index.all_ids()
'''
    assert seen(source) == [("PFL206", 12, "warning",
                             "reduce(operator.add, ...) joins the lists of 'self.by_tag.values()' by '+': every step "
                             "copies all the elements gathered so far, quadratic in the number of lists" + KEYED)]


def test_sum_of_a_dict_of_lists_in_a_loop():
    source = '''
from collections import defaultdict


def group(rows):
    groups = defaultdict(list)
    for row in rows:
        groups[row.key].append(row)
    return groups


def flatten_all(batches):
    out = []
    for batch in batches:
        groups = group(batch)
        out.append(sum(groups.values(), []))
    return out
'''
    # `groups` of flatten_all is not the defaultdict of group(): no evidence there, a note
    assert [(rule, line, severity) for rule, line, severity, _ in seen(source)] == [("PFL206", 16, "note")]


def test_ints_reduced_are_quiet():
    source = '''
from functools import reduce


def cores(lines):
    sockets = {}
    for line in lines:
        key, value = line.split(":")
        sockets[key] = int(value)
    return reduce(lambda x, y: x + y, sockets.values())


def all_cores(hosts):
    return [cores(h.lines) for h in hosts]
'''
    assert seen(source) == []


def test_operator_iadd_is_linear_and_quiet():
    source = CACHE.format(imports="import functools, operator",
                          fold="functools.reduce(operator.iadd, values, [])")
    assert seen(source) == []


def test_fold_nothing_repeats_is_a_note():
    source = '''
from functools import reduce


class DNSCache:
    def __init__(self):
        self.cache = {}

    def add(self, entry):
        self.cache.setdefault(entry.key, []).append(entry)

    def dump(self):
        return reduce(lambda a, b: a + b, self.cache.values(), [])


def main(cache):
    print(cache.dump())
'''
    assert [(rule, line, severity) for rule, line, severity, _ in seen(source)] == [("PFL206", 13, "note")]


def test_a_few_lists_of_unknown_count_stay_a_note_in_a_loop():
    source = '''
import select


def poll(fds):
    res = select.select(fds, fds, fds)
    return sorted(set(sum(res, [])))


def serve(conns):
    while True:
        for fd in poll([c.fileno() for c in conns]):
            conns[fd].handle()
'''
    assert seen(source) == [("PFL206", 7, "note", "sum(..., []) joins the lists of 'res' by '+': every step copies "
                                                  "all the elements gathered so far, quadratic in the number of lists"
                             + UNKNOWN)]


def test_local_defaultdict_of_lists_folded_in_a_loop():
    source = '''
from collections import defaultdict


def flatten_all(batches):
    out = []
    for batch in batches:
        groups = defaultdict(list)
        for row in batch:
            groups[row.key].append(row)
        out.append(sum(groups.values(), []))
    return out
'''
    assert seen(source) == [("PFL206", 11, "warning",
                             "sum(..., []) joins the lists of 'groups.values()' by '+': every step copies all the "
                             "elements gathered so far, quadratic in the number of lists" + KEYED)]


def test_another_class_filling_its_own_attribute_is_no_evidence():
    source = '''
import operator
from functools import reduce


class Groups:
    def __init__(self):
        self.cache = {}

    def add(self, entry):
        self.cache.setdefault(entry.key, []).append(entry)


class Counters:
    def __init__(self):
        self.cache = {}

    def bump(self, key, n):
        self.cache[key] = n

    def total(self):
        return reduce(operator.add, self.cache.values())


def run(counters: Counters, rows):
    for row in rows:
        row.total = counters.total()
'''
    assert seen(source) == []
