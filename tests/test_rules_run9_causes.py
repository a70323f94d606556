"""Causes of FALSE findings on code perflint was never tuned on (pretix, weblate, prefect, beets;
labelled in run 9)."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, code):
    return [f for f in lint_sources({"m.py": src}, select=(code,), config=Config(min_severity="note"))
            if f.rule == code]


# -- a decorator that holds a transaction open around the body: one commit per call ----------
ATOMIC_VIEW = '''
from django.db import transaction

class EventView:
    @transaction.atomic
    def post(self, request):
        for form in self.formset:
            form.save()
        copy_all(request.items)

    def get(self, request):
        for form in self.formset:
            form.save()

def copy_all(items):
    for i in items:
        i.save()

@transaction.atomic()
def move(items):
    for i in items:
        i.save()
'''


def test_saves_in_a_function_decorated_with_atomic_commit_once():
    # post() and move() hold one transaction; copy_all() runs only inside post()'s
    (f,) = found(ATOMIC_VIEW, "PFL402")
    assert (f.line, f.function, f.message) == (13, "EventView.get", "form.save() writes and commits one transaction per iteration")


def test_a_decorator_that_opens_a_savepoint_or_names_no_transaction_does_not_hold_one():
    src = ATOMIC_VIEW.replace("@transaction.atomic()", "@log_calls()")
    assert sorted(f.line for f in found(src, "PFL402")) == [13, 22]


# -- a value drawn at random until it is unused: one pass, not one per item ------------------
RANDOM_CODES = '''
import secrets
from django.utils.crypto import get_random_string

def gen_code():
    while True:
        code = get_random_string(length=8)
        if not Voucher.objects.filter(code=code).exists():
            return code

def gen_serial():
    serial = secrets.token_hex(8)
    while Device.objects.filter(serial=serial).exists():
        serial = secrets.token_hex(8)
    return serial

def sample(n, pool):
    out = set()
    while len(out) < n:
        out.add(random.choice(pool))
        Log.objects.filter(x=1).count()
    return out

def drain(q):
    while q:
        item = q.pop()
        Device.objects.filter(serial=item).exists()
'''


def test_drawing_a_random_code_until_it_is_unused_is_one_pass():
    # sample() draws but checks nothing (it fills n slots); drain() checks but draws nothing
    assert [(f.line, f.function) for f in found(RANDOM_CODES, "PFL503")] == [(21, "sample"), (27, "drain")]
