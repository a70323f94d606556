"""PFL402 causes of FALSE errors labelled in session 29: a transaction that a decorator of the
program holds around the function, a savepoint per item that lets one item fail inside it, and
a commit made durable before the file it loaded is removed. Each test fails on the code before
its change; the near misses stay reported."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def line_of(src, text):
    """The line of the first occurrence of `text` in `src`."""
    return src[:src.index(text)].count("\n") + 1


def found(src):
    return [(f.line, f.severity, f.message)
            for f in lint_sources({"m.py": src}, select=("PFL402",), config=Config(min_severity="note"))]


# -- a decorator of the program whose wrapper runs the function inside a transaction ---------
EXCLUSIVE = '''
import functools
from django.db import connection, transaction


def exclusive(lock):
    def _decorator(f):
        @functools.wraps(f)
        def _f(self, *args, **kwargs):
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [0, lock])
                    acquired = cursor.fetchone()[0]
                if acquired:
                    return f(self, *args, **kwargs)
                return None
        return _f
    return _decorator


def dispatch_due(schedules):
    for schedule in schedules:
        try:
            with transaction.atomic():
                schedule.last_task = dispatch(schedule.task_name)
                schedule.save(update_fields=["last_task"])
        except Exception as e:
            log(e)


class Worker:
    @exclusive(42)
    def dispatch_scheduled(self, schedules):
        dispatch_due(schedules)

    def beat(self, schedules):
        self.dispatch_scheduled(schedules)
'''
PER_ITEM = "`with transaction.atomic(...)` runs once per iteration: one transaction and commit per item"
DECORATED = "    @exclusive(42)\n"
TRY_BLOCK = '''        try:
            with transaction.atomic():
                schedule.last_task = dispatch(schedule.task_name)
                schedule.save(update_fields=["last_task"])
        except Exception as e:
            log(e)
'''


def test_a_savepoint_per_item_under_a_decorator_that_holds_a_transaction_is_not_a_commit():
    # pulpcore's dispatch_scheduled_tasks: its worker method runs under `@exclusive(lock)`,
    # whose wrapper calls it inside transaction.atomic(); the per-schedule block is a savepoint
    # that lets one schedule fail alone (labelled FALSE in session 29)
    assert found(EXCLUSIVE) == []
    # without the decorator, nothing holds a transaction: one commit per schedule
    assert found(EXCLUSIVE.replace(DECORATED, "")) == [(line_of(EXCLUSIVE, "with transaction.atomic():\n                schedule"), "error", PER_ITEM)]


def test_the_wrapper_must_hold_the_transaction_around_the_call():
    # a decorator whose wrapper opens no transaction holds none
    plain = EXCLUSIVE.replace("            with transaction.atomic():\n                with connection",
                              "            if lock:\n                with connection")
    assert found(plain) == [(line_of(plain, "with transaction.atomic():\n                schedule"), "error", PER_ITEM)]
    # the wrapper opens one, but calls the function after it has closed
    after = EXCLUSIVE.replace("                if acquired:\n                    return f(self, *args, **kwargs)\n"
                              "                return None\n",
                              "                acquired = 1\n            return f(self, *args, **kwargs)\n")
    assert found(after) == [(line_of(after, "with transaction.atomic():\n                schedule"), "error", PER_ITEM)]


def test_a_nested_savepoint_per_item_that_catches_no_error_is_still_reported():
    # a savepoint per row inside the decorator's transaction, with no handler that lets the
    # row fail alone: two statements per row (django-import-export's bulk import, a fixed bug)
    bare = EXCLUSIVE.replace(TRY_BLOCK, "        with transaction.atomic():\n"
                                        "            schedule.save(update_fields=['last_task'])\n")
    assert found(bare) == [(line_of(bare, "with transaction.atomic():\n            schedule"), "error", PER_ITEM)]


def test_writes_per_call_and_saves_per_item_under_the_decorator_nest_in_its_transaction():
    per_call = EXCLUSIVE.replace(TRY_BLOCK, "        one(schedule)\n\n\ndef one(schedule):\n"
                                            "    with transaction.atomic():\n"
                                            "        schedule.save(update_fields=['last_task'])\n")
    assert found(per_call) == []
    assert found(per_call.replace(DECORATED, "")) == [
        (line_of(per_call, "with transaction.atomic():\n        schedule"), "error", "`with transaction.atomic(...)` commits a transaction on every call of one, which runs once per item")]
    saves = EXCLUSIVE.replace(TRY_BLOCK, "        schedule.save()\n")
    assert found(saves) == []
    assert found(saves.replace(DECORATED, "")) == [(line_of(saves, "schedule.save()"), "error", "schedule.save() writes and commits one transaction per iteration")]


# -- a savepoint per item in an open block, in a `try` that catches any Exception -------------
NESTED = '''
from django.db import transaction


def repair(versions):
    with transaction.atomic():
        for version in versions:
            try:
                with transaction.atomic():
                    version.recount()
                    version.save()
            except Exception as error:
                log(version, error)
'''


def test_a_savepoint_per_item_that_catches_any_exception_lets_the_item_fail_alone():
    # `except Exception` catches the database error too: without the savepoint PostgreSQL would
    # abort the outer transaction at the first failing item
    assert found(NESTED) == []
    # with no handler, the savepoint lets nothing fail alone: two statements per row for nothing
    bare = NESTED.replace("            try:\n", "            if version:\n").replace(
        "            except Exception as error:\n                log(version, error)\n", "")
    assert found(bare) == [(line_of(bare, "with transaction.atomic():\n                    version"), "error", PER_ITEM)]


# -- a commit before the file it loaded is removed ---------------------------------------------
SPOOL = '''
import os
import pickle


def resend(path):
    with open(path, "rb") as f:
        email = pickle.load(f)
    send(email)
    db.session.add(Log(email))
    db.session.commit()
    os.remove(path)


def resend_all(paths):
    for path in paths:
        resend(path)


def load_all(conn, files):
    for file in files:
        conn.execute("INSERT INTO t VALUES (?)", (file.name,))
        conn.commit()
        file.unlink()
'''


def test_a_commit_before_its_source_file_is_removed_is_the_durability_point():
    # Indico's resend of failed e-mails: each file's log entry is committed, then the file
    # removed; one commit after the loop would delete files whose rows are not safe yet
    # (labelled FALSE in session 29)
    assert found(SPOOL) == []


def test_a_commit_before_removing_another_file_or_after_removing_it_is_still_reported():
    other = SPOOL.replace("os.remove(path)", "os.remove(tmp)").replace("file.unlink()", "scratch.unlink()")
    assert found(other) == [(line_of(other, "db.session.commit()"), "error", "db.session.commit() runs once per iteration: one transaction and sync per item"),
                            (line_of(other, "conn.commit()"), "error", "conn.commit() runs once per iteration: one transaction and sync per item")]
    before = SPOOL.replace("    db.session.commit()\n    os.remove(path)\n", "    os.remove(path)\n    db.session.commit()\n")
    assert found(before)[:1] == [(line_of(before, "db.session.commit()"), "error", "db.session.commit() runs once per iteration: one transaction and sync per item")]


# -- a retry loop on a database error around a block that takes a unique value -----------------
RETRY = '''
from django.db import DatabaseError, models, transaction


class Invoice(models.Model):
    def save(self, *args, **kwargs):
        for i in range(10):
            self.number = self.next_number()
            try:
                with transaction.atomic():
                    return super().save(*args, **kwargs)
            except DatabaseError:
                if i == 9:
                    raise


def import_orders(orders):
    for order in orders:
        Invoice(order=order).save()
'''
PER_CALL = "`with transaction.atomic(...)` commits a transaction on every call of Invoice.save, which runs once per item"


def test_a_block_retried_on_a_database_error_keeps_the_contended_value_locked_briefly():
    # pretix's invoice numbers: each attempt takes the next number, and a duplicate raises; one
    # transaction around the import's loop would hold every number taken until the end and block
    # the other writers (labelled FALSE in session 29)
    assert found(RETRY) == []


def test_a_block_retried_on_any_exception_or_caught_once_is_still_reported():
    broad = RETRY.replace("except DatabaseError:", "except Exception:")
    assert found(broad) == [(line_of(broad, "with transaction.atomic()"), "error", PER_CALL)]
    once = RETRY.replace("        for i in range(10):\n", "        if self.pk is None:\n").replace(
        "                if i == 9:\n                    raise\n", "                raise\n")
    assert found(once) == [(line_of(once, "with transaction.atomic()"), "error", PER_CALL)]


# -- a record committed before an operation outside the database uses it -----------------------
REFUNDS = '''
from django.db import transaction


def auto_refund(order, proposals):
    for payment, value in proposals.items():
        with transaction.atomic():
            refund = order.refunds.create(payment=payment, amount=value)
            order.log_action("refund.created", {"id": refund.pk})
        try:
            refund.payment_provider.execute_refund(refund)
        except PaymentException as e:
            notify(order, e)
'''


def test_a_record_committed_before_an_outside_operation_on_it_is_not_batched():
    # pretix's automatic refunds: each refund row is committed before the payment provider is
    # asked to move the money (labelled FALSE in session 29)
    assert found(REFUNDS) == []


def test_an_operation_that_may_fail_on_the_database_or_ignores_the_record_is_no_such_case():
    broad = REFUNDS.replace("except PaymentException as e:", "except Exception as e:")
    assert found(broad) == [(line_of(broad, "with transaction.atomic()"), "error", PER_ITEM)]
    unrelated = REFUNDS.replace("refund.payment_provider.execute_refund(refund)", "ping(order.pk)")
    assert found(unrelated) == [(line_of(unrelated, "with transaction.atomic()"), "error", PER_ITEM)]


def test_removing_a_file_of_the_object_itself_is_no_input_consumed():
    src = ('import os\nimport sqlite3\n\nclass Store:\n    def __init__(self, path):\n'
           '        self.conn = sqlite3.connect(path)\n\n    def put(self, row):\n'
           '        self.conn.execute("INSERT INTO t VALUES (?)", row)\n        self.conn.commit()\n'
           '        os.remove(self.journal)\n\n\ndef fill(store: Store, rows):\n    for row in rows:\n        store.put(row)\n')
    assert found(src) == [(line_of(src, "self.conn.commit()"), "error",
                           "self.conn.commit() runs once per iteration: one transaction and sync per item")]


# -- a context manager's transaction around its `yield`, whose callers loop in the block ---------
DEFERRED = '''
from contextlib import contextmanager
from django.db import transaction


@contextmanager
def deferred_logging():
    with transaction.atomic():
        try:
            start()
            yield
            flush()
        finally:
            reset()


def log_changes(queryset):
    with deferred_logging():
        for instance in queryset.iterator():
            record(instance)


def remove_orphans(keys, types):
    for key in keys:
        for ct in types:
            log_changes(ct.objects.filter(key=key))
'''
PER_CM_CALL = "`with transaction.atomic(...)` commits a transaction on every call of deferred_logging, which runs once per item"


def test_a_context_manager_transaction_over_a_callers_loop_is_one_per_batch():
    # Nautobot's deferred change logging: the atomic block around the `yield` holds the
    # caller's whole loop over a queryset (labelled FALSE in session 29)
    assert found(DEFERRED) == []


def test_a_context_manager_transaction_around_one_item_is_still_reported():
    single = DEFERRED.replace("        for instance in queryset.iterator():\n            record(instance)\n",
                              "        record(queryset)\n")
    assert found(single) == [(line_of(single, "with transaction.atomic()"), "error", PER_CM_CALL)]
    # one caller loops in its block, another enters it once per item: that one commits per item
    mixed = DEFERRED + "\n\ndef touch(items):\n    for item in items:\n        with deferred_logging():\n            item.save()\n"
    assert found(mixed) == [(line_of(mixed, "with transaction.atomic()"), "error", PER_CM_CALL)]
