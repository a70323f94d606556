"""Session twenty, fastpath family (issue 13): kitsune's KB dashboard queried each document's
revisions and translations (bench/realbugs.toml, kitsune-kb-overview-rows-revision-query-per-doc).
PFL503's reverse-manager form knew a related manager only as `<model>_set` and the loop's queryset
only at its last binding. Now the names relation fields declare (`related_name`, with `%(class)s`
and `%(app_label)s` expanded for the concrete subclasses of an abstract model, in another module)
count, and a slice rebind (`docs = docs[:max]`) is followed to the chain it slices. Each test
fails on the code before the change, or guards what it must leave quiet."""

from __future__ import annotations

import os
from typing import Dict

from perflint.config import Config
from perflint.testing import lint_sources

from conftest import rule_findings

MODELS = '''
from django.db import models
from app.accounts.models import User


class Product(models.Model):
    name = models.CharField(max_length=10)


class Document(models.Model):
    title = models.CharField(max_length=10)
    parent = models.ForeignKey("self", on_delete=models.CASCADE, related_name="translations", null=True)
    current_revision = models.ForeignKey("Revision", on_delete=models.CASCADE, null=True, related_name="current_for+")


class AbstractRevision(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="%(class)ss")
    creator = models.ForeignKey(User, on_delete=models.CASCADE, related_name="%(app_label)s_created_%(class)ss")

    class Meta:
        abstract = True


class Revision(AbstractRevision):
    comment = models.TextField()


class DraftRevision(AbstractRevision):
    pass


class Vote(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="votes")
'''

ACCOUNTS = '''
from django.db import models


class User(models.Model):
    name = models.CharField(max_length=10)
'''

LINKS = '''
from django.db import models


class Link(models.Model):
    source = models.ForeignKey("wiki.Document", on_delete=models.CASCADE, related_name="links")
'''

ROWS = '''
from app.wiki.models import Document


def rows(max=None):
    docs = Document.objects.filter(is_archived=False).order_by("title")
    if max:
        docs = docs[:max]
    out = []
    for d in docs:
        out.append(d.revisions.filter(reviewed=None).first())
        out.append(d.revisions.count())
        out.append(d.translations.filter(locale="de").first())
    return out
'''


def seen(rows: str, models: str = MODELS):
    files: Dict[str, str] = {
        "app/__init__.py": "", "app/wiki/__init__.py": "", "app/accounts/__init__.py": "",
        "app/links/__init__.py": "", "app/dash/__init__.py": "",
        "app/wiki/models.py": models, "app/accounts/models.py": ACCOUNTS, "app/links/models.py": LINKS,
        "app/dash/readouts.py": rows,
    }
    return [(f.line, f.severity, f.message) for f in rule_findings(files, "PFL503") if f.path == "app/dash/readouts.py"]


def per_item(item: str, relation: str, method: str) -> str:
    return (f"{item}.{relation}.{method}() runs one query for each {item} of the queryset: "
            "one database round trip per item (N+1 queries)")


def test_declared_reverse_names_through_a_slice_rebind() -> None:
    # buggy (kitsune): `revisions` from the abstract revision's `%(class)ss`, `translations`
    # from Document.parent, in a loop over a queryset rebound to a slice of itself; the second
    # read of the same relation is the same cause
    assert seen(ROWS) == [
        (11, "error", per_item("d", "revisions", "filter")),
        (13, "error", per_item("d", "translations", "filter")),
    ]


def test_app_label_placeholder_and_string_target_with_app_label() -> None:
    rows = '''
from app.accounts.models import User
from app.wiki.models import Document


def created(limit):
    for u in User.objects.filter(active=True)[:limit]:
        yield u.wiki_created_revisions.count()


def linked():
    for d in Document.objects.all():
        yield d.links.exists()
'''
    assert seen(rows) == [
        (8, "error", per_item("u", "wiki_created_revisions", "count")),
        (13, "error", per_item("d", "links", "exists")),
    ]


def test_fixed_forms_are_quiet() -> None:
    # prefetched at the first binding, then filtered and sliced: served from the prefetched rows
    prefetched = ROWS.replace(
        '    docs = Document.objects.filter(is_archived=False).order_by("title")\n',
        '    docs = Document.objects.prefetch_related("revisions", "translations")\n'
        '    docs = docs.filter(is_archived=False).order_by("title")\n').replace(
        'd.revisions.filter(reviewed=None).first()', 'list(d.revisions.all())').replace(
        'd.translations.filter(locale="de").first()', 'd.translations.exists()')
    assert seen(prefetched) == []
    # kitsune's fix: subquery annotations on the one documents query, read as attributes
    annotated = ROWS.replace(
        '.order_by("title")', '.annotate(comment=Subquery(revs), has_translation=Exists(trans)).order_by("title")').replace(
        'd.revisions.filter(reviewed=None).first()', 'd.comment').replace(
        'd.revisions.count()', 'd.comment is None').replace(
        'd.translations.filter(locale="de").first()', 'd.has_translation')
    assert seen(annotated) == []


def test_near_misses() -> None:
    # `related_name="+"`: no reverse manager; `votes` is Product's, not Document's; the
    # abstract model's own expansion names no manager
    others = ROWS.replace('d.revisions.filter(reviewed=None).first()', 'd.current_for.count()').replace(
        'd.revisions.count()', 'd.votes.count()').replace(
        'd.translations.filter(locale="de").first()', 'd.abstractrevisions.first()')
    assert seen(others) == []
    # a slice of what the caller passes, not a queryset built here
    passed = ROWS.replace("def rows(max=None):", "def rows(docs, max=None):").replace(
        '    docs = Document.objects.filter(is_archived=False).order_by("title")\n', "")
    assert seen(passed) == []
    # a slice of a list the function sorts: not a queryset chain
    listed = ROWS.replace('Document.objects.filter(is_archived=False).order_by("title")',
                          'sorted(load(), key=title)')
    assert seen(listed) == []
    # the same name declared with `+`: nothing, even though the field exists
    plus = MODELS.replace('related_name="translations"', 'related_name="translations+"')
    assert seen(ROWS, plus) == [(11, "error", per_item("d", "revisions", "filter"))]


def test_a_cached_loop_sees_the_models_module_change(tmp_path) -> None:
    # the names live in the models module's summary and are matched in phase 2: editing only
    # the models re-analyses that file, and the loop's cached candidate is judged again
    from test_cache import findings, run, stat_counts

    files = {"app/__init__.py": "", "app/wiki/__init__.py": "", "app/accounts/__init__.py": "",
             "app/dash/__init__.py": "", "app/wiki/models.py": MODELS, "app/accounts/models.py": ACCOUNTS,
             "app/dash/readouts.py": ROWS}
    past = 1_600_000_000
    for path, text in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        os.utime(target, (past, past))  # older than the racy-clean window: cache entries trusted
    args = ("check", ".", "--select", "PFL503", "--format", "json", "--exit-zero", "-v")

    def reverse_lines(proc):
        return [f["line"] for f in findings(proc) if f["path"] == "app/dash/readouts.py"]

    assert reverse_lines(run(tmp_path, *args)) == [11, 13]
    models = tmp_path / "app/wiki/models.py"
    models.write_text(MODELS.replace('related_name="translations"', 'related_name="translations+"'))
    os.utime(models, (past + 10, past + 10))
    warm = run(tmp_path, *args)
    assert stat_counts(warm.stderr)["files analysed"] == "1"
    assert reverse_lines(warm) == [11]


# -- labelled in session twenty (pulpcore's role_util PLAUSIBLE x10 overstated; nautobot FALSE advice)
GROUPS = '''
from django.db import models


class Group(models.Model):
    name = models.CharField(max_length=10)


class GroupRole(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE)
    role = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="role_of")


def names(res):
    for group_role in GroupRole.objects.filter(role__name="x"):
        for user in group_role.group.user_set.all():
            res[user].add(group_role.role.name)
    return res


def ids(names):
    out = []
    for group in Group.objects.filter(name__in=names):
        out.extend(group.role_of.values_list("id", flat=True))
    return out
'''


def test_a_related_object_read_in_an_inner_loop_counts_once_per_item():
    """The related object is fetched on its first read and kept on the item: a loop inside the
    walk over the items repeats no query (x100, not x1000)."""
    found = {f.line: f for f in lint_sources({"app/models.py": GROUPS}, config=Config(min_severity="note"))
             if f.rule == "PFL503"}
    assert (found[16].frequency, found[17].frequency) == (100.0, 100.0)
    assert found[17].message.startswith("group_role.role reads a relation of each GroupRole")


def test_values_list_on_a_related_manager_is_not_advised_a_prefetch():
    """A Prefetch cannot hold a values() queryset and the manager ignores a prefetch cache: the
    advice is one query over the related model for the whole queryset."""
    found = [f for f in lint_sources({"app/models.py": GROUPS}, config=Config(min_severity="note"))
             if f.rule == "PFL503" and f.line == 24]
    assert [f.message for f in found] == [
        "group.role_of.values_list() runs one query for each group of the queryset: one database round trip "
        "per item (N+1 queries)"]
    assert "prefetch" not in found[0].fix and found[0].fix.startswith("read the related rows once")
