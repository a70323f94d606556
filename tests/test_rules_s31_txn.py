"""PFL402 cause of a FALSE error labelled in session 31: a transaction a function opens per
call, called per item of a loop inside a `try` whose handlers catch only a failure of something
other than the database (`for o in orders: try: refund(o) except PaymentError:`). Each item is
the caller's unit of failure by design: one transaction around the loop would undo the other
items with it, so the chain counts from that call, once per item (CallSite.isolated,
Frequencies.outside_heat). The silenced shape fails on the code before the change; the near
misses stay reported at the heat they had."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def line_of(src, text):
    """The line of the first occurrence of `text` in `src`."""
    return src[:src.index(text)].count("\n") + 1


def lint(src):
    return lint_sources({"m.py": src}, select=("PFL402",), config=Config(min_severity="note"))


def found(src):
    return [(f.line, f.severity, f.message) for f in lint(src)]


PER_CALL = '''
from django.db import transaction


class PaymentError(Exception):
    pass


def refund(order):
    with transaction.atomic():
        order.refunds.create(amount=order.total)
'''

MESSAGE = "`with transaction.atomic(...)` commits a transaction on every call of refund, which runs once per item"

BUGGY = PER_CALL + '''

def refund_all(orders):
    for order in orders:
        refund(order)
'''

ISOLATED = PER_CALL + '''

def refund_all(orders):
    for order in orders:
        try:
            refund(order)
        except PaymentError:
            print(order)
'''

# the handler catches any Exception, a database error too: no unit of failure of its own
BROAD = ISOLATED.replace("except PaymentError:", "except Exception:")
# a database error: the row failing, which a bulk write with conflict handling replaces
DATABASE = ISOLATED.replace("except PaymentError:", "except IntegrityError:")
# one `try` around the whole loop: the items are not each on their own
AROUND = PER_CALL + '''

def refund_all(orders):
    try:
        for order in orders:
            refund(order)
    except PaymentError:
        print(orders)
'''
# a loop inside the `try` still repeats the block per item of that loop
INNER_LOOP = PER_CALL + '''

def refund_all(customers):
    for customer in customers:
        try:
            for order in Order.objects.filter(customer=customer):
                refund(order)
        except PaymentError:
            print(customer)
'''

# a save per line of one item, in a function the isolating `try` calls: each item's own lines
# could still share one transaction
SAVES = '''
class PaymentError(Exception):
    pass


def refund_lines(order):
    for line in order.lines:
        line.save()


def refund_each(orders):
    for order in orders:
        try:
            refund_lines(order)
        except PaymentError:
            print(order)
'''


def test_a_transaction_per_call_in_a_loop_is_still_reported():
    assert found(BUGGY) == [(line_of(BUGGY, "with transaction"), "error", MESSAGE)]


def test_a_call_per_item_in_a_try_for_an_outside_failure_commits_once_per_item_by_design():
    # counted from the isolating call, the chain has no loop left: the block runs once per
    # call, which is not what the finding says (pretix's _try_auto_refund per cancelled order)
    assert found(ISOLATED) == []


def test_a_handler_that_catches_a_database_error_isolates_nothing():
    assert found(BROAD) == [(line_of(BROAD, "with transaction"), "error", MESSAGE)]
    assert found(DATABASE) == [(line_of(DATABASE, "with transaction"), "error", MESSAGE)]


def test_a_try_around_the_whole_loop_isolates_nothing():
    assert found(AROUND) == [(line_of(AROUND, "with transaction"), "error", MESSAGE)]


def test_a_loop_inside_the_try_still_multiplies():
    (finding,) = lint(INNER_LOOP)
    assert (finding.line, finding.severity, finding.message) == (line_of(INNER_LOOP, "with transaction"), "error", MESSAGE)
    assert finding.frequency == 100.0  # the orders of one customer, not x10 inside the customers' loop


def test_saves_per_line_under_an_isolating_call_are_still_counted_per_line():
    (finding,) = lint(SAVES)
    assert (finding.line, finding.severity, finding.message) == (
        line_of(SAVES, "line.save()"), "error", "line.save() writes and commits one transaction per iteration")
    assert finding.frequency == 100.0
    assert [(hop.function, hop.note) for hop in finding.trace] == [
        ("refund_each", "makes the call below per item inside a `try` that catches a failure of something other "
                        "than the database: each item is its own unit of failure, counted once per call"),
        ("refund_each", "calls refund_lines"),
        ("refund_lines", "for loop, x100 (unknown bound: loop-trips)"),
    ]


# the loop that repeats the block is on a chain that holds a transaction open; the chain that
# holds none (a view, once per request) has no loop: "runs once per item" is not so there
HELD_IN_LOOP = PER_CALL + '''

def refund_all(orders):
    with transaction.atomic():
        for order in orders:
            refund(order)


def refund_view(request):
    refund(request.order)
'''


def test_the_loop_must_be_on_the_chain_that_holds_no_transaction():
    assert found(HELD_IN_LOOP) == []
    unheld = HELD_IN_LOOP.replace("    with transaction.atomic():\n        for order in orders:\n            refund(order)",
                                  "    for order in orders:\n        refund(order)")
    assert found(unheld) == [(line_of(unheld, "with transaction"), "error", MESSAGE)]
