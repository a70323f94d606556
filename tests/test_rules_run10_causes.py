"""Causes of FALSE findings found in session eight (run 10: run 9's remaining FALSE, and the
never-seen corpora pulpcore, indico and mlflow)."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, code):
    return [f for f in lint_sources({"m.py": src}, select=(code,), config=Config(min_severity="note"))
            if f.rule == code]


# -- a query that decides an attempt of a retry or draw loop --------------------------------
ATTEMPTS = '''
import os
from django.db import DatabaseError, transaction

def remove_user(user):
    user.username = f"deleted-{user.pk}"
    while User.objects.filter(username=user.username).exists():
        user.username = f"deleted-{user.pk}-{os.urandom(5).hex()}"
    user.save()

def remove_all(users):
    for user in users:
        remove_user(user)

class Invoice:
    def next_number(self):
        return Invoice.objects.filter(event=self.event).count() + 1

    def save(self):
        for i in range(10):
            self.number = self.next_number()
            try:
                with transaction.atomic():
                    return self.insert()
            except DatabaseError:
                if i == 9:
                    raise

    def renumber(self, invoices):
        for invoice in invoices:
            invoice.number = self.next_number()

def cancel_all(invoices):
    for invoice in invoices:
        Invoice().save()
'''


def test_a_query_that_decides_an_attempt_is_not_fetched_before_the_loop():
    # remove_user's uniqueness check (line 8) runs once per removed user, and Invoice.save's
    # number per attempt (line 17 through next_number, line 21): neither can be fetched
    # before its loop, though remove_all() and cancel_all() loop over them.
    src = ATTEMPTS.replace("invoice.number = self.next_number()", "invoice.number = 0")
    assert found(src, "PFL503") == []


def test_the_same_query_called_per_item_by_another_caller_is_reported():
    # renumber() calls next_number() once per invoice: that caller repeats it per item
    assert [(f.line, f.function) for f in found(ATTEMPTS, "PFL503")] == [(17, "Invoice.next_number")]


# -- a worker's main loop: each pass takes one job, the unit of work -------------------------
WORKER = '''
import select
from django.db import transaction

class Worker:
    def handle_tasks(self):
        while not self.shutdown_requested:
            task = self.fetch_task()
            if task is None:
                break
            self.supervise(task)
            Task.objects.filter(pk=task.pk).update(app_lock=None)

    def supervise(self, task):
        proc = start(task)
        while proc.is_alive():
            select.select([proc.sentinel], [], [], 5)
            self.beat()

    def beat(self):
        Worker.objects.filter(name=self.name).update(last_heartbeat=now())

    def drain(self):
        while not self.shutdown_requested:
            line = self.stream.readline()
            if not line:
                break
            Line.objects.filter(text=line).update(seen=True)
'''


def test_a_worker_loop_that_takes_one_job_per_pass_is_one_unit_of_work_per_pass():
    # handle_tasks' pass is one job (the release at line 12); supervise's pass waits for the
    # job's process (beat at line 21, once per tick). drain() reads lines: data, still N+1.
    got = {(f.line, f.function, f.frequency) for f in found(WORKER, "PFL503")}
    assert got == {(28, "Worker.drain", 1024.0)}


# -- a savepoint per row that lets one row fail inside the batch's transaction --------------
SAVEPOINTS = '''
from django.db import IntegrityError, transaction

def save_batch(batch):
    with transaction.atomic():
        for content in batch:
            try:
                with transaction.atomic():
                    content.save()
            except IntegrityError:
                content = Content.objects.get(digest=content.digest)

def save_each(batch):
    with transaction.atomic():
        for content in batch:
            with transaction.atomic():
                content.save()
'''


def test_a_savepoint_that_lets_one_row_fail_in_the_batch_transaction_is_not_reported():
    # save_each's savepoint per row guards nothing: two statements per row (reported)
    got = [(f.line, f.function) for f in found(SAVEPOINTS, "PFL402")]
    assert got == [(16, "save_each")]


def test_a_django_queryset_handed_to_a_field_runs_no_query():
    # `.all()` is lazy in Django (SQLAlchemy's query.all() is not): only the iterated one runs
    src = '''
from rest_framework.relations import RelatedField

class ArtifactsField:
    def run_validation(self, data):
        for path, url in data.items():
            field = RelatedField(view_name="artifacts-detail", queryset=Artifact.objects.all())
            field.run_validation(url)
            for other in Artifact.objects.all():
                check(other)
'''
    assert [f.line for f in found(src, "PFL503")] == [9]


# -- migrate hooks and system checks run once per command ------------------------------------
HOOKS = '''
from django.apps import AppConfig
from django.core.checks import Tags, register
from django.db.models.signals import post_migrate
from django.dispatch import receiver

class PulpAppConfig(AppConfig):
    def ready(self):
        post_migrate.connect(populate_roles, sender=self, dispatch_uid="populate_roles")

def populate_roles(sender, apps, **kwargs):
    for name in ROLE_NAMES:
        Role.objects.get_or_create(name=name)

@receiver(post_migrate)
def populate_policies(sender, **kwargs):
    for name in VIEWSETS:
        AccessPolicy.objects.get_or_create(viewset=name)

@register(Tags.database)
def check_checksums(app_configs, **kwargs):
    for checksum in allowed():
        Artifact.objects.filter(**{checksum: None}).exists()

def sync_roles(names):
    for name in names:
        Role.objects.get_or_create(name=name)
'''


def test_migrate_hooks_and_system_checks_run_once_per_command():
    by_line = {f.line: f.severity for f in found(HOOKS, "PFL503")}
    assert by_line == {13: "note", 18: "note", 23: "note", 27: "error"}


# -- a serializer's input hooks read one write request's submission --------------------------
SERIALIZERS = '''
from rest_framework import serializers

class OrderSerializer(serializers.ModelSerializer):
    def validate_code(self, code):
        if Order.objects.filter(code=code).exists():
            raise serializers.ValidationError("taken")
        return code

    def to_representation(self, order):
        data = super().to_representation(order)
        data["event"] = Event.objects.get(pk=order.event_id).slug
        return data

class FileField(serializers.Field):
    def to_internal_value(self, value):
        return CachedFile.objects.get(pk=value)
'''


def test_input_hooks_run_once_per_submitted_value_and_output_hooks_per_item():
    # validate_code and to_internal_value run once per request: not repeated, not reported
    by_line = {f.line: f.severity for f in found(SERIALIZERS, "PFL503")}
    assert by_line == {12: "error"}


# -- a chunked statement repeated until it changes nothing: one transaction per batch --------
CHUNKS = '''
import sqlalchemy as sa

async def batch_delete(db, model, condition, batch_size):
    total = 0
    while True:
        async with maintenance_session(db) as session:
            sub = sa.select(model.id).where(condition).limit(batch_size).scalar_subquery()
            result = await session.execute(sa.delete(model).where(model.id.in_(sub)))
            deleted = result.rowcount
        if deleted == 0:
            break
        total += deleted
    return total

async def maintenance_session(db):
    async with db.session.begin():
        yield db.session

async def vacuum(db, overrides):
    for model, condition in overrides:
        await batch_delete(db, model, condition, 1000)

async def poll_rows(db):
    while True:
        async with db.session.begin():
            row = await db.session.execute(sa.select(Row).limit(1))
            handle(row)
'''


def test_a_transaction_per_pass_of_a_chunked_delete_is_one_per_batch():
    # poll_rows' loop builds a select: that is no wait, and no batch (reported per pass)
    got = [(f.line, f.function, f.frequency) for f in found(CHUNKS, "PFL402")]
    assert got == [(26, "poll_rows", 100.0)]


def test_a_statement_locked_by_a_project_helper_is_a_locked_read():
    # Airflow's scheduler takes the next batch of task instances under row locks through its
    # own with_row_locks(); plain() reads one row per id (reported)
    src = '''
import itertools
from sqlalchemy import select

class Scheduler:
    def to_queue(self, session, max_tis):
        for loop_count in itertools.count(start=1):
            query = select(TI).where(TI.state == "scheduled").limit(max_tis)
            query = with_row_locks(query, of=TI, session=session, skip_locked=True)
            tis = session.scalars(query).all()
            if len(tis) < max_tis:
                break

    def plain(self, session, ids):
        for i in ids:
            query = select(TI).where(TI.id == i)
            session.scalars(query).all()
'''
    assert [f.line for f in found(src, "PFL503")] == [17]


def test_a_loop_whose_pass_takes_a_slice_of_a_batch_size_is_one_pass_per_batch():
    # pulpcore's purge deletes up to DELETE_LIMIT tasks per pass until none is left
    src = '''
DELETE_LIMIT = 1000

def purge(candidates):
    go_on = True
    while go_on:
        pks = list(candidates.values_list("pk", flat=True)[:DELETE_LIMIT])
        deleted, details = Task.objects.filter(pk__in=pks).delete()
        go_on = deleted > 0

def drain(queue):
    going = True
    while going:
        item = queue.first()
        deleted, _ = Task.objects.filter(pk=item.pk).delete()
        going = deleted > 0
'''
    assert [f.line for f in found(src, "PFL503")] == [15]
