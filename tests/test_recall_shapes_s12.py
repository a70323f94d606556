"""Shapes from the blind-mined cases of session twelve (bench/realbugs.toml): each with the
buggy form, the fixed form and a near miss. Each test fails on the code before its change."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src, code):
    return [(f.line, f.severity) for f in
            lint_sources({"m.py": src}, select=(code,), config=Config(min_severity="note"))
            if f.rule == code and f.path == "m.py"]


# -- a reverse relation's manager queried per item (django-admin-index) --------------------
MENU = '''
from django.db.models import F
from app.models import AppGroup


def menu(lang):
    out = []
    groups = AppGroup.objects.annotate(label=F("name")).prefetch_related("models", "applink_set")
    for app in groups:
        for link in app.applink_set.annotate(localized=F(f"translations__{lang}")):
            out.append(link)
    return out
'''


def test_reverse_set_queried_per_item() -> None:
    # buggy: prefetched, then annotated per group: the prefetched rows are bypassed
    assert found(MENU, "PFL503") == [(10, "error")]
    # fixed: a Prefetch with the annotated queryset, read with .all()
    fixed = MENU.replace('"applink_set")', 'Prefetch("applink_set", queryset=AppLink.objects.annotate(x=F("name"))))').replace(
        'app.applink_set.annotate(localized=F(f"translations__{lang}"))', "app.applink_set.all()")
    assert found(fixed, "PFL503") == []
    # not prefetched at all: the classic N+1 over a reverse relation
    plain = MENU.replace('.prefetch_related("models", "applink_set")', "").replace(
        'app.applink_set.annotate(localized=F(f"translations__{lang}"))', "app.applink_set.all()")
    assert found(plain, "PFL503") == [(10, "error")]
    # near miss: a loop over what the caller passes (it may have prefetched)
    passed = MENU.replace("def menu(lang):", "def menu(lang, groups):").replace(
        '    groups = AppGroup.objects.annotate(label=F("name")).prefetch_related("models", "applink_set")\n', "")
    assert found(passed, "PFL503") == []


# -- a queryset iterated by `rows +=` or `rows.extend()`, through a manager alias ------------
HISTORY = '''
def with_history(objs, model):
    manager = model._default_manager
    found = []
    for obj in objs:
        found += manager.filter(pk=obj.pk, name=obj.name)
    return found
'''


def test_queryset_extended_into_a_list_is_run() -> None:
    # django-simple-history's per-object fallback, without the bulk_create beside it
    assert found(HISTORY, "PFL503") == [(6, "error")]
    assert found(HISTORY.replace("found += manager.filter(pk=obj.pk, name=obj.name)",
                                 "found.extend(manager.filter(pk=obj.pk, name=obj.name))"), "PFL503") == [(6, "error")]
    # near miss: an alias of something that is not a manager
    assert found(HISTORY.replace("model._default_manager", "model.registry"), "PFL503") == []
    # near miss: kept lazy, never run in the loop
    assert found(HISTORY.replace("found += manager.filter(", "found.append(manager.filter("), "PFL503") == []


# -- bytes accumulated from a part of what the function holds as bytes (Falcon) ------------
DECODE = '''
def decode(uri):
    raw = uri.encode("utf-8")
    tokens = raw.split(b"%")
    out = tokens[0]
    for token in tokens[1:]:
        out += HEX[token[:2]] + token[2:]
    return out.decode("utf-8")
'''


def test_bytes_accumulator_started_from_a_split() -> None:
    assert [line for line, _ in found(DECODE, "PFL203")] == [7]
    # fixed: a bytearray grows in place
    assert found(DECODE.replace("out = tokens[0]", "out = bytearray(tokens[0])"), "PFL203") == []
    # near miss: the same on str, which CPython grows in place
    text = DECODE.replace('    raw = uri.encode("utf-8")\n', "").replace('raw.split(b"%")', 'uri.split("%")').replace(
        'out.decode("utf-8")', "out")
    assert found(text, "PFL203") == []


# -- a deep copy of another module's object per call (openapi-core) ------------------------
CHECKER = '''
from copy import deepcopy
from openapi_schema_validator import oas30_format_checker


class Factory:
    def format_checker(self):
        checker = deepcopy(oas30_format_checker)
        for name, check in self.custom.items():
            checker.checks(name)(check)
        return checker

    def unmarshal_all(self, values):
        for value in values:
            self.format_checker()
'''


def test_deep_copy_of_an_imported_object() -> None:
    assert found(CHECKER, "PFL101") == [(8, "warning")]
    # fixed: a shallow copy of the checker
    assert found(CHECKER.replace("deepcopy(oas30_format_checker)", "copy(oas30_format_checker)"), "PFL101") == []
    # near miss: an imported module itself is not copied
    assert found(CHECKER.replace("from openapi_schema_validator import oas30_format_checker",
                                 "import oas30_format_checker"), "PFL101") == []


def test_reverse_set_near_misses_from_the_corpora() -> None:
    # weblate: the manager's own method prefetches the set inside
    custom = MENU.replace('AppGroup.objects.annotate(label=F("name")).prefetch_related("models", "applink_set")',
                          "AppGroup.objects.for_menu(lang)").replace(
        'app.applink_set.annotate(localized=F(f"translations__{lang}"))', "app.applink_set.all()")
    assert found(custom, "PFL503") == []
    # weblate: a delete through the set per item is a write, not a read a prefetch saves
    plain = MENU.replace('.prefetch_related("models", "applink_set")', "")
    deleting = plain.replace(
        'for link in app.applink_set.annotate(localized=F(f"translations__{lang}")):\n            out.append(link)',
        'app.applink_set.filter(name=lang).delete()')
    assert found(deleting, "PFL503") == []
