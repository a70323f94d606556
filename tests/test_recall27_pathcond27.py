"""Session twenty-seven, path conditions (pathcond27): a query under `if self.<attr> == 0:` /
`if self.<attr> is None:` / `if not self.<attr>:` runs only for an object still holding that
placeholder. A caller that builds the object with the attribute set, `task = Task(...,
inner_id=n)` then `task.save()`, never takes the branch: that chain gives it no loop's
frequency (Label Studio's storage import and legacy migration, whose `Task.save` and
`Prediction.save` queries were labelled FALSE in session 26). Django's `project=` sets
`project_id` too. A branch whose test sets the attribute it tests runs at an object's first pass:
objects loaded or handed in have been through it. A branch under a switch that is off by default
(a function that returns only False, lookups with a False default and such switches' results)
is not counted per item (Label Studio's FSM transitions). Each test fails on the code before the
change, or guards what it must leave quiet."""

from __future__ import annotations

from conftest import rule_findings

MODELS = '''
from django.db import models


class Project(models.Model):
    title = models.CharField(max_length=10)


class Task(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    inner_id = models.BigIntegerField(default=0)
    data = models.JSONField()

    def save(self, *args, **kwargs):
        if self.inner_id == 0:
            last = Task.objects.filter(project=self.project).order_by("-inner_id").first()
            self.inner_id = (last.inner_id if last else 0) + 1
        super().save(*args, **kwargs)


class Prediction(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, null=True)

    def save(self, *args, **kwargs):
        if self.project_id is None and self.task_id:
            self.project_id = Task.objects.only("project_id").get(pk=self.task_id).project_id
        super().save(*args, **kwargs)
'''

IMPORT = '''
from app.models import Task, Prediction


def import_rows(project, rows, start):
    inner_id = start
    for row in rows:
        task = Task(data=row, project=project, inner_id=inner_id)
        task.save()
        inner_id += 1


def import_predictions(task, rows):
    for row in rows:
        prediction = Prediction(task=task, project=task.project)
        prediction.save()
'''

QUERY = "Task.objects.filter() runs per call, and its callers run it in a loop: one database round trip per item (N+1 queries)"
ONLY = "Task.objects.only() runs per call, and its callers run it in a loop: one database round trip per item (N+1 queries)"


def seen(source: str, models: str = MODELS):
    files = {"app/models.py": models, "app/imports.py": source}
    return sorted((f.line, f.severity, f.message) for f in rule_findings(files, "PFL503")
                  if f.path == "app/models.py")


def test_objects_built_without_the_attribute_query_per_item() -> None:
    buggy = IMPORT.replace(", inner_id=inner_id)", ")").replace("Prediction(task=task, project=task.project)",
                                                             "Prediction(task=task)")
    assert seen(buggy) == [(16, "error", QUERY), (27, "error", ONLY)]


def test_objects_built_with_the_attribute_set_never_take_the_branch() -> None:
    found = seen(IMPORT)
    assert found == [(16, "note", QUERY), (27, "note", ONLY)]
    files = {"app/models.py": MODELS, "app/imports.py": IMPORT}
    # counted once per call: the loop's callers build every object with the attribute set
    assert [f.frequency for f in rule_findings(files, "PFL503") if f.path == "app/models.py"] == [1.0, 1.0]


def test_near_misses() -> None:
    # a falsy literal is the placeholder itself: the branch runs
    zero = IMPORT.replace("inner_id=inner_id)", "inner_id=0)")
    assert seen(zero)[0] == (16, "error", QUERY)
    # the receiver also bound without it (which binding reaches the call is not shown)
    twice = IMPORT.replace("        task.save()\n", "        if not row:\n            task = Task(data=row)\n"
                                                     "        task.save()\n")
    assert seen(twice)[0] == (16, "error", QUERY)
    # another hot caller that builds the object without it still takes the branch per item
    other = IMPORT + '''

def copy_rows(project, rows):
    for row in rows:
        task = Task(data=row, project=project)
        task.save()
'''
    assert seen(other)[0] == (16, "error", QUERY)
    # the else of a `!= 0` test is the same branch; a test on an attribute no caller sets is not
    negated = MODELS.replace("        if self.inner_id == 0:\n            last",
                             "        if self.inner_id != 0:\n            pass\n        else:\n            last")
    assert seen(IMPORT, negated)[0][1] == "note"
    other_attr = MODELS.replace("if self.inner_id == 0:", "if self.pk is None:")
    assert seen(IMPORT, other_attr)[0] == (16, "error", QUERY)


MARKS = '''
from app.models import Task


def relabel(project):
    for task in Task.objects.filter(project=project):
        task.mark()


def fresh(project, rows):
    for row in rows:
        task = Task(data=row, project=project)
        task.mark()
'''

MARKING = MODELS.replace('''    def save(self, *args, **kwargs):
        if self.inner_id == 0:''', '''    def mark(self):
        self.data = {}
        self.save()

    def save(self, *args, **kwargs):
        if self.inner_id == 0:''')


def test_a_first_pass_branch_runs_for_fresh_objects_not_loaded_ones() -> None:
    # `if self.inner_id == 0: ...; self.inner_id = ...` runs at an object's first save: rows
    # loaded from the database have been through it; objects built in the loop have not
    # (reached through `self.save()` in another method: that method's callers decide)
    files = {"app/models.py": MARKING, "app/marks.py": MARKS}
    found = [f for f in rule_findings(files, "PFL503") if f.path == "app/models.py" and f.line == 20]
    assert [(f.severity, f.message) for f in found] == [("error", QUERY)]
    assert found[0].trace[0].function == "fresh"
    loaded = {"app/models.py": MARKING, "app/marks.py": MARKS.split("\n\ndef fresh")[0] + "\n"}
    found = [f for f in rule_findings(loaded, "PFL503") if f.path == "app/models.py" and f.line == 20]
    assert [(f.severity, f.frequency) for f in found] == [("note", 1.0)]
    # near miss: a test on the attribute that the branch does not set is no first pass
    unset = MARKING.replace("            self.inner_id = (last.inner_id if last else 0) + 1\n",
                            "            print(last)\n")
    found = [f for f in rule_findings({"app/models.py": unset, "app/marks.py": MARKS.split("\n\ndef fresh")[0] + "\n"},
                                      "PFL503") if f.path == "app/models.py" and f.line == 20]
    assert [f.severity for f in found] == ["error"]


CONTEXT = '''
from threading import local

_locals = local()


class Context:
    @classmethod
    def get(cls, key, default=None):
        return getattr(_locals, "data", {}).get(key, default)

    @classmethod
    def set(cls, key, value):
        _locals.data = {key: value}

    @classmethod
    def is_disabled(cls):
        return cls.get("disabled", False)

    @classmethod
    def is_enabled(cls):
        if cls.is_disabled():
            return False
        return cls.get("enabled_cached", False)
'''

TRACKED = '''
from django.db import models
from app.ctx import Context


class History(models.Model):
    name = models.CharField(max_length=10)


class Tracked(models.Model):
    title = models.CharField(max_length=10)

    def _should_track(self):
        if getattr(self, "_skip", False):
            return False
        return Context.is_enabled()

    def save(self, *args, **kwargs):
        skip = kwargs.pop("skip", False)
        super().save(*args, **kwargs)
        should = not skip and self._should_track()
        if not skip and should:
            for name in ["a", "b"]:
                self._track(name)

    def _track(self, name):
        History.objects.create(name=name)
'''

JOBS = '''
from app.models import Tracked


def migrate(rows):
    for row in rows:
        item = Tracked(title=row)
        item.save()
'''

CREATE = "History.objects.create() runs per call, and its callers run it in a loop: one database round trip per item (a write per row)"


def tracked(context: str = CONTEXT, models: str = TRACKED):
    files = {"app/ctx.py": context, "app/models.py": models, "app/jobs.py": JOBS}
    return [(f.line, f.severity, f.message) for f in rule_findings(files, "PFL503") if f.path == "app/models.py"]


def test_a_switch_off_by_default_gives_its_branch_no_loop() -> None:
    # `is_enabled()` returns False or a lookup with a False default, through two calls and a
    # local (`should = not skip and self._should_track()`): nothing in the program turns it
    # on, so the per-item write behind it is not counted per item (nor reported: once per call)
    assert tracked() == []


def test_a_switch_on_by_default_or_computed_is_no_reading() -> None:
    on = CONTEXT.replace('return cls.get("enabled_cached", False)', 'return cls.get("enabled_cached", True)')
    assert tracked(on) == [(27, "error", CREATE)]
    computed = CONTEXT.replace('return cls.get("enabled_cached", False)', 'return cls.get("enabled_cached") == "on"')
    assert tracked(computed) == [(27, "error", CREATE)]
    # a stub that returns False (subclasses may override it) reads no flag: no reading
    stub = CONTEXT.replace('return cls.get("enabled_cached", False)', 'return False')
    assert tracked(stub) == [(27, "error", CREATE)]
    # the branch taken when the switch is off is not under it
    negated = TRACKED.replace("        if not skip and should:", "        if not should:")
    assert tracked(CONTEXT, negated) == [(27, "error", CREATE)]


def test_a_lookup_of_data_is_no_switch() -> None:
    # `data.get(key, False)` with the key passed in looks data up; only a named flag is a switch
    keyed = CONTEXT.replace('return cls.get("enabled_cached", False)',
                            'return getattr(_locals, "data", {}).get(cls.__name__, False)')
    assert tracked(keyed) == [(27, "error", CREATE)]


def test_an_elif_under_a_placeholder_test_is_read_without_failing() -> None:
    # the else of `if self.inner_id != 0:` is an `elif`: a branch of its own, not a block
    elif_models = MODELS.replace("        if self.inner_id == 0:\n            last",
                                 "        if self.inner_id != 0:\n            pass\n        elif self.project_id:\n"
                                 "            last")
    assert seen(IMPORT, elif_models)[0][:2] == (18, "note")
