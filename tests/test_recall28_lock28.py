"""Session twenty-eight: a query read under a row lock is counted per locked pass.

A function that locks a row (`Order.objects.select_for_update().get(...)`) and then makes a call
in the same block runs that call under the lock, in the lock's transaction
(CallSite.locked). A query the call reaches reads the locked state: fetching it for every
pass before a loop of the callers would read it outside the locks, so for PFL503 the loops
around the lock do not multiply it (Frequencies.lock_heat), while loops inside the lock still
do. pretix's OrderChangeManager.commit locks the order, then recounts its transactions, per
order of cancel_event (labelled FALSE in session 26); the same chain made lock_objects and
_create_split_order FALSE errors in earlier runs.

The locked tests fail on the code before the change (an error per order of the loop)."""

from __future__ import annotations

from conftest import rule_findings

MODELS = '''from django.db import models


class Transaction(models.Model):
    count = models.IntegerField()


class Order(models.Model):
    pass


def recount(order):
    return sum(t.count for t in Transaction.objects.filter(order=order))
'''

CHANGE = '''from django.db import transaction

from pkg.models import Order, recount


class Change:
    def __init__(self, order):
        self.order = order

    def commit(self):
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=self.order.pk)
            recount(self.order)
        return locked


def cancel_all(orders):
    for order in orders:
        Change(order).commit()
'''

RECOUNT = ("Transaction.objects.filter() runs per call, and its callers run it in a loop: one database "
           "round trip per item (N+1 queries)")


def seen(change):
    found = rule_findings({"pkg/__init__.py": "", "pkg/models.py": MODELS, "pkg/change.py": change}, "PFL503")
    return [(f.path, f.line, f.severity, f.message) for f in found]


def test_query_per_item_without_a_lock_is_reported():
    plain = CHANGE.replace("Order.objects.select_for_update().get(", "Order.objects.get(")
    assert seen(plain) == [
        ("pkg/change.py", 12, "error", "Order.objects.get() runs per call, and its callers run it in a loop: one "
                                       "database round trip per item (N+1 queries)"),
        ("pkg/models.py", 13, "error", RECOUNT),
    ]


def test_query_after_a_row_lock_is_counted_once_per_lock():
    # commit locks the order, then recounts it: one locked transaction per order of the loop
    assert seen(CHANGE) == []


def test_lock_taken_per_pass_of_the_loop_itself():
    # cancel_event's own shape: each pass opens a transaction and locks the row it changes
    change = '''from django.db import transaction

from pkg.models import Order, recount


def cancel_each(ids):
    for pk in ids:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=pk)
            recount(order)
'''
    assert seen(change) == []


def test_loops_inside_the_lock_still_repeat_the_query():
    # one lock, then a query per line under it: the lines can be fetched together inside it
    change = '''from django.db import transaction

from pkg.models import Order, recount


def recount_lines(pk, lines):
    with transaction.atomic():
        Order.objects.select_for_update().get(pk=pk)
        for line in lines:
            recount(line)


def recount_all(pks, lines):
    for pk in pks:
        recount_lines(pk, lines)
'''
    found = rule_findings({"pkg/__init__.py": "", "pkg/models.py": MODELS, "pkg/change.py": change}, "PFL503")
    assert [(f.path, f.line, f.severity, f.message) for f in found] == [("pkg/models.py", 13, "error", RECOUNT)]
    assert found[0].frequency == 100.0  # the lines under one lock, not x100 more for the pks
    assert [(h.line, h.note) for h in found[0].trace] == [
        (6, "locks a row, then makes the call below under the lock: counted once per call, one locked pass"),
        (10, "calls recount inside a for loop (line 9, x100 (unknown bound: loop-trips)) after locking a row first"),
    ]


def test_another_caller_without_a_lock_is_still_reported():
    # the lock is judged per chain: a caller that recounts per order without one repeats it
    change = CHANGE + '''

def report(orders):
    return [recount(order) for order in orders]
'''
    assert seen(change) == [("pkg/models.py", 13, "error", RECOUNT)]


def test_lock_in_one_branch_does_not_cover_the_call_after_it():
    change = CHANGE.replace('''            locked = Order.objects.select_for_update().get(pk=self.order.pk)
''', '''            locked = None
            if self.order.pk:
                locked = Order.objects.select_for_update().get(pk=self.order.pk)
''')
    assert seen(change) == [("pkg/models.py", 13, "error", RECOUNT)]


def test_lock_in_both_branches_covers_the_call_after_them():
    # pretix's change_payment_provider locks the last payment in either branch of an if/else
    change = CHANGE.replace('''            locked = Order.objects.select_for_update().get(pk=self.order.pk)
''', '''            if self.order.pk:
                locked = Order.objects.select_for_update().get(pk=self.order.pk)
            else:
                locked = Order.objects.select_for_update().first()
''')
    assert seen(change) == []


def test_lock_released_by_its_own_block_does_not_cover_later_calls():
    # the transaction (and its lock) ends with its `with` block: the recount after it is not
    # read under the lock
    change = CHANGE.replace('''            recount(self.order)
        return locked''', '''            pass
        recount(self.order)
        return locked''')
    assert seen(change) == [("pkg/models.py", 13, "error", RECOUNT)]
