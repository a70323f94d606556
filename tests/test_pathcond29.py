"""Session twenty-nine, path conditions (pathcond29): a branch on a parameter that every call on
the hot chain makes false carries no heat, where the value flow shows it three more ways.

- Passed on as it came: `mail(..., files=files)` from a method whose own `files=None` it never
  rebinds gives `mail`'s `if files:` branch only where that method's callers pass some (pretix's
  cancel_event loop sends mails without attachments: labelled FALSE in session 28).
- A local bound only falsy literals and values under guards: `form_data = None`, set under `if
  query_context:` or `elif viz:`, makes `form_data and <query>` need one of them (Superset's
  `raise_for_access(datasource=...)`: labelled FALSE twice in session 28).
- The caller's own receiver: `_check(task_instance=self)` from a method of TaskInstance never
  takes the else of `isinstance(task_instance, TaskInstance)` (Airflow: labelled FALSE).

Each test fails on the code before the change, or guards what it must leave quiet."""

from __future__ import annotations

from conftest import rule_findings

MODELS = '''
from django.db import models


class CachedFile(models.Model):
    name = models.CharField(max_length=10)


class Order(models.Model):
    email = models.CharField(max_length=10)

    def send_mail(self, subject, files=None):
        from app.mail import mail
        return mail(self.email, subject, files=files)
'''

MAIL = '''
from app.models import CachedFile


def mail(email, subject, files=None):
    out = [email, subject]
    if files:
        for pk in files:
            out.append(CachedFile.objects.get(pk=pk))
    return out
'''

CANCEL = '''
from app.models import Order


def cancel_all(orders):
    for order in Order.objects.filter(pk__in=orders):
        for line in order.lines.all():
            order.send_mail("cancelled")
'''

EXPORT = '''

def export(orders, files):
    for order in Order.objects.filter(pk__in=orders):
        order.send_mail("export", files=files)


def run_export(orders, files):
    export(orders, files)
'''

GET = "CachedFile.objects.get() runs per iteration: one database round trip per item (N+1 queries)"


def mails(cancel: str = CANCEL, models: str = MODELS) -> list:
    files = {"app/models.py": models, "app/mail.py": MAIL, "app/cancel.py": cancel}
    return [f for f in rule_findings(files, "PFL503") if f.path == "app/mail.py"]


def test_a_parameter_passed_on_as_it_came_needs_the_callers_callers_to_give_it() -> None:
    assert [(f.line, f.severity, f.message) for f in mails()] == [(9, "note", GET)]
    # another caller that passes files: counted and traced from it, not from the hotter cancel loop
    found = mails(CANCEL + EXPORT)
    assert [(f.line, f.severity, f.message) for f in found] == [(9, "error", GET)]
    assert [(hop.path, hop.function) for hop in found[0].trace] == [
        ("app/cancel.py", "export"), ("app/cancel.py", "export"), ("app/models.py", "Order.send_mail"),
        ("app/mail.py", "mail")]


def test_passed_on_near_misses() -> None:
    # the cancel loop passes files itself
    given = CANCEL.replace('send_mail("cancelled")', 'send_mail("cancelled", files=[1, 2])')
    assert [(f.line, f.severity) for f in mails(given)] == [(9, "error")]
    # the method rebinds its parameter before passing it on: not what its callers gave
    rebound = MODELS.replace("        return mail(", "        files = files or [1]\n        return mail(")
    assert [(f.line, f.severity) for f in mails(models=rebound)] == [(9, "error")]
    # a default that is no None: left out, it is still something
    default = MODELS.replace("files=None):", "files=()):")
    assert [(f.line, f.severity) for f in mails(models=default)] == [(9, "error")]


SECURITY = '''
from app.models import Dashboard


class Manager:
    def ok(self, datasource):
        return bool(datasource)

    def raise_for_access(self, datasource=None, query_context=None, viz=None):
        if datasource or query_context or viz:
            form_data = None
            if query_context:
                datasource = query_context.datasource
                form_data = query_context.form_data
            elif viz:
                form_data = viz.form_data
            if not (self.ok(datasource) or (form_data and Dashboard.objects.filter(pk=form_data["id"]).first())):
                raise ValueError(datasource)

    def can_access_datasource(self, datasource):
        try:
            self.raise_for_access(datasource=datasource)
        except ValueError:
            return False
        return True


def import_charts(charts):
    for chart in charts:
        Manager().can_access_datasource(chart.datasource)
'''

DASHBOARDS = '''
from django.db import models


class Dashboard(models.Model):
    name = models.CharField(max_length=10)
'''

FILTER = "Dashboard.objects.filter() runs per call, and its callers run it in a loop: one database round trip per item (N+1 queries)"


def security(source: str = SECURITY) -> list:
    files = {"app/models.py": DASHBOARDS, "app/security.py": source}
    return sorted((f.line, f.severity, f.message) for f in rule_findings(files, "PFL503"))


def test_a_local_set_only_under_guards_needs_one_of_them() -> None:
    assert security() == [(17, "note", FILTER)]


def test_local_alias_near_misses() -> None:
    # a caller that passes one of the two the local is set under
    viz = SECURITY.replace("self.raise_for_access(datasource=datasource)", "self.raise_for_access(viz=datasource)")
    assert security(viz) == [(17, "error", FILTER)]
    # the local also set with no guard
    unguarded = SECURITY.replace("            form_data = None\n", "            form_data = datasource.form_data\n")
    assert security(unguarded) == [(17, "error", FILTER)]
    # the local also bound another way (a loop's target)
    looped = SECURITY.replace("            form_data = None\n",
                              "            form_data = None\n            for form_data in datasource.forms:\n"
                              "                pass\n")
    assert security(looped) == [(19, "error", FILTER)]
    # an empty list filled later without being bound again
    filled = SECURITY.replace("            form_data = None\n", "            form_data = []\n"
                              "            form_data.append(datasource)\n")
    assert security(filled) == [(18, "error", FILTER)]


TASKS = '''
from django.db import models


class TaskInstance(models.Model):
    name = models.CharField(max_length=10)

    @staticmethod
    def _check(task_instance, verbose=False):
        if isinstance(task_instance, TaskInstance):
            ti = task_instance
        else:
            ti = TaskInstance.objects.filter(name=task_instance.name).first()
        return ti

    def check(self, verbose=False):
        return TaskInstance._check(task_instance=self, verbose=verbose)


class Other:
    pass


def run_all(names):
    for name in names:
        TaskInstance(name=name).check()
'''

TASK_QUERY = ("TaskInstance.objects.filter() runs per call, and its callers run it in a loop: one database round "
              "trip per item (N+1 queries)")


def tasks(source: str = TASKS) -> list:
    return sorted((f.line, f.severity, f.message) for f in rule_findings({"app/models.py": source}, "PFL503"))


def test_the_callers_own_receiver_is_an_instance_of_its_class() -> None:
    assert tasks() == [(13, "note", TASK_QUERY)]


def test_receiver_near_misses() -> None:
    # a test on another class: a subclass of TaskInstance may be one too
    other = TASKS.replace("isinstance(task_instance, TaskInstance)", "isinstance(task_instance, Other)")
    assert tasks(other) == [(13, "error", TASK_QUERY)]
    # something other than the receiver passed on
    handed = TASKS.replace("    def check(self, verbose=False):\n        return TaskInstance._check(task_instance=self,",
                           "    def check(self, ti, verbose=False):\n        return TaskInstance._check(task_instance=ti,") \
        .replace("TaskInstance(name=name).check()", "TaskInstance(name=name).check(name)")
    assert tasks(handed) == [(13, "error", TASK_QUERY)]
