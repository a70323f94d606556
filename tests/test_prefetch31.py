"""A relation loaded by the program's own queryset or manager method (session 31): a loop over
`Billing.objects.with_plan()...`, where `with_plan` is a method of the model's QuerySet class
(`objects = BillingQuerySet.as_manager()`, `BillingManager.from_queryset(BillingQuerySet)()`)
or of its Manager (or that Manager's `get_queryset`) whose body calls
`prefetch_related("plan")`/`select_related("plan")`, reads `current.plan` from what was
loaded: no query per item (weblate's wladmin billing view, `Billing.objects.prefetch()`,
PFL503 labelled FALSE). A relation the method does not load stays reported."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources

MESSAGE = ("current.plan reads a relation of each Billing of a queryset built without "
           "select_related/prefetch_related: one query per item (N+1)")


def models(methods: str, manager: str = "objects = BillingQuerySet.as_manager()", extra: str = "") -> str:
    return f'''
from django.db import models


class Plan(models.Model):
    price = models.IntegerField()


class BillingQuerySet(models.QuerySet):
{methods}

    def active(self):
        return self.filter(state=1)

{extra}
class Billing(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE)
    {manager}
'''


def view(chain: str) -> str:
    return f'''
from app.models import Billing


def prices():
    out = []
    for current in {chain}:
        out.append(current.plan.price)
    return out
'''


WITH_PLAN = '''    def with_plan(self):
        return self.prefetch_related("owners__profile", "plan")'''


def n_plus_one(model_src: str, view_src: str):
    """(line, times per unit of work, message) of each PFL503 finding of the view."""
    return [(f.line, f.frequency, f.message)
            for f in lint_sources({"app/models.py": model_src, "app/views.py": view_src},
                                  config=Config(min_severity="note"))
            if f.rule == "PFL503"]


REPORTED = [(8, 100.0, MESSAGE)]


def test_the_relation_read_per_item_of_a_plain_queryset_is_reported():
    assert n_plus_one(models(WITH_PLAN), view('Billing.objects.active().order_by("id")')) == REPORTED


def test_a_queryset_method_that_prefetches_the_relation_loads_it():
    assert n_plus_one(models(WITH_PLAN), view('Billing.objects.with_plan().order_by("id")')) == []


def test_a_queryset_method_called_later_in_the_chain_loads_it_too():
    assert n_plus_one(models(WITH_PLAN), view('Billing.objects.active().with_plan()')) == []


def test_a_chain_bound_to_a_local_first_is_read_the_same():
    src = view("billings").replace("    out = []\n", "    out = []\n    billings = Billing.objects.with_plan()\n")
    assert n_plus_one(models(WITH_PLAN), src) == []


def test_a_manager_made_from_the_queryset_class_has_its_methods():
    extra = "class BillingManager(models.Manager):\n    def check(self):\n        return None\n\n"
    src = models(WITH_PLAN, "objects = BillingManager.from_queryset(BillingQuerySet)()", extra)
    assert n_plus_one(src, view('Billing.objects.with_plan()')) == []


def test_select_related_in_a_manager_method_loads_it():
    extra = ("class BillingManager(models.Manager):\n    def with_plan(self):\n"
             "        return self.get_queryset().select_related('plan__currency')\n\n")
    src = models("    pass", "objects = BillingManager()", extra)
    assert n_plus_one(src, view('Billing.objects.with_plan()')) == []


def test_a_manager_whose_get_queryset_selects_the_relation_loads_it_for_every_chain():
    extra = ("class BillingManager(models.Manager):\n    def get_queryset(self):\n"
             "        return super().get_queryset().select_related('plan')\n\n")
    src = models("    pass", "objects = BillingManager()", extra)
    assert n_plus_one(src, view('Billing.objects.filter(state=1)')) == []


def test_near_miss_a_method_that_prefetches_other_relations_stays_reported():
    methods = '''    def with_plan(self):
        return self.prefetch_related("owners", "plans__price")'''
    assert n_plus_one(models(methods), view('Billing.objects.with_plan()')) == REPORTED


def test_near_miss_a_prefetch_into_another_attribute_stays_reported():
    """`Prefetch("plan", to_attr="plans")` fills `plans`: reading `plan` still queries."""
    methods = '''    def with_plan(self):
        return self.prefetch_related(models.Prefetch("plan", queryset=Plan.objects.all(), to_attr="plans"))'''
    assert n_plus_one(models(methods), view('Billing.objects.with_plan()')) == REPORTED


def test_near_miss_a_method_of_another_class_that_the_manager_is_not_made_of_stays_reported():
    extra = ("class OtherQuerySet(models.QuerySet):\n    def with_plan(self):\n"
             "        return self.select_related('plan')\n\n")
    methods = '''    def with_plan(self):
        return self.filter(state=2)'''
    assert n_plus_one(models(methods, extra=extra), view('Billing.objects.with_plan()')) == REPORTED


def test_a_model_of_the_same_file_is_read_the_same():
    src = models(WITH_PLAN) + view('Billing.objects.active()').replace("from app.models import Billing\n", "")
    found = [(f.line, f.message) for f in lint_sources({"app/models.py": src}, config=Config(min_severity="note"))
             if f.rule == "PFL503"]
    assert found == [(26, MESSAGE)]
    silenced = models(WITH_PLAN) + view('Billing.objects.with_plan()').replace("from app.models import Billing\n", "")
    assert [f for f in lint_sources({"app/models.py": silenced}, config=Config(min_severity="note"))
            if f.rule == "PFL503"] == []
