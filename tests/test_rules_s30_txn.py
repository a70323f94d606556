"""PFL402 causes of FALSE errors labelled in session 30: a per-row save that is the fallback
branch of a bulk write of the same items (`if can_bulk: bulk_create(objs) else: for o in objs:
o.save()`), and a transaction block that only reads through a model's manager. Each test of a
silenced shape fails on the code before its change; the near misses stay reported."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def line_of(src, text):
    """The line of the first occurrence of `text` in `src`."""
    return src[:src.index(text)].count("\n") + 1


def found(src):
    return [(f.line, f.severity, f.message)
            for f in lint_sources({"m.py": src}, select=("PFL402",), config=Config(min_severity="note"))]


BUGGY = '''
from django.db import models


class EntryQuerySet(models.QuerySet):
    def add_entries(self, entries):
        for entry in entries:
            entry.save()
        return entries
'''

FALLBACK = '''
from django.db import connection, models


class EntryQuerySet(models.QuerySet):
    def bulk_create(self, *args, **kwargs):
        if connection.features.can_return_rows_from_bulk_insert:
            entries = super().bulk_create(*args, **kwargs)
        else:
            entries = []
            for entry in args[0]:
                entry.save()
                entries.append(entry)
        return entries
'''

# the other branch writes other rows in bulk: these items are still saved one by one
NEAR_MISS = '''
from django.db import connection, models


class EntryQuerySet(models.QuerySet):
    def store(self, entries, tags):
        if connection.features.can_return_rows_from_bulk_insert:
            Tag.objects.bulk_create(tags)
        else:
            for entry in entries:
                entry.save()
        return entries
'''

MSG = "entry.save() writes and commits one transaction per iteration"


def test_per_row_save_still_reported():
    assert found(BUGGY) == [(line_of(BUGGY, "entry.save()"), "error", MSG)]


def test_bulk_fallback_branch_not_reported():
    assert found(FALLBACK) == []


def test_unrelated_bulk_branch_still_reported():
    assert found(NEAR_MISS) == [(line_of(NEAR_MISS, "entry.save()"), "error", MSG)]


# -- a block that only reads through the ORM, per call of a function a loop reaches ----------
READ_ONLY = '''
from django.db import DataError, transaction


class Term:
    def check(self, pattern):
        with transaction.atomic():
            try:
                Unit.objects.annotate(probe=Value("")).filter(probe__regex=pattern).exists()
            except DataError as error:
                raise ValueError(str(error)) from error
        return pattern


def parse(terms):
    for term in terms:
        Term().check(term)
'''

# the same block also writes the item: one commit per call
WRITES_TOO = READ_ONLY.replace(
    '                Unit.objects.annotate(probe=Value("")).filter(probe__regex=pattern).exists()\n',
    '                Unit.objects.annotate(probe=Value("")).filter(probe__regex=pattern).exists()\n'
    '                Unit.objects.filter(source=pattern).update(checked=True)\n')

BLOCK_MSG = "`with transaction.atomic(...)` commits a transaction on every call of Term.check, which runs once per item"


def test_block_that_only_reads_not_reported():
    assert found(READ_ONLY) == []


def test_block_that_writes_still_reported():
    assert found(WRITES_TOO) == [(line_of(WRITES_TOO, "with transaction"), "error", BLOCK_MSG)]
