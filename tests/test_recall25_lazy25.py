"""Session twenty-five, clone family: Django REST framework's CharField.__init__ (and the numeric,
duration and list fields; encode/django-rest-framework, bench/realbugs.toml,
drf-lazy-message-proxy-class-per-field) wrapped each bounded field's validation message in
Django's `lazy(self.error_messages['max_length'].format, str)(max_length=...)`: every call of
`lazy()` defines a new proxy class and wraps the result classes' methods on it (47 us with
Django 5.2, 69 us with 2.2), and fields are built per serializer. The fix formats the message
lazily with one small module-level class. PFL105 now knows `lazy()` imported from
django.utils.functional, called in a function that runs per call, priced by lazy-proxy-class;
module-level and decoration-time calls stay quiet. (The case itself is still missed: the
field constructors are reached from ModelSerializer.get_fields through a class table behind a
lookup wrapper, which the call graph does not link; the blocker says why.) The first test fails
on the code before the change."""

from __future__ import annotations

from perflint.testing import lint_sources

from conftest import rule_findings


def seen(source, path="pkg/fields.py"):
    return [(f.line, f.severity, f.message) for f in rule_findings({path: source}, "PFL105")]


CALLERS = '''


def build_fields(limits):
    return [CharField(max_length=n) for n in limits]
'''

BUGGY = '''from django.utils.functional import lazy


class CharField:
    error_messages = {"max_length": "Ensure this field has no more than {max_length} characters."}

    def __init__(self, max_length=None):
        self.validators = []
        if max_length is not None:
            message = lazy(self.error_messages["max_length"].format, str)(max_length=max_length)
            self.validators.append(message)
''' + CALLERS

MESSAGE = ("lazy() creates a new proxy class on every call of __init__(), wrapping every method of its "
           "result classes; calling a lazy function built once costs a small fraction of that")


def test_lazy_per_field_built_in_a_loop_is_a_warning():
    assert seen(BUGGY) == [(10, "warning", MESSAGE)]
    finding = [f for f in lint_sources({"pkg/fields.py": BUGGY}, select=("PFL105",)) if f.rule == "PFL105"][0]
    assert finding.cost == 4.7e-5  # perflint/data/costs.toml
    assert "format_lazy" in finding.fix


def test_module_and_aliased_spellings_are_matched():
    for head, call in (("from django.utils import functional\n", "functional.lazy"),
                       ("import django.utils.functional as dj\n", "dj.lazy")):
        source = head + BUGGY.replace("from django.utils.functional import lazy\n", "").replace(
            "lazy(self.error_messages", f"{call}(self.error_messages")
        assert [line for line, _, _ in seen(source)] == [10], head


def test_fixed_with_a_module_level_lazy_function_is_quiet():
    fixed = '''from django.utils.functional import lazy


def _format(template, **kwargs):
    return template.format(**kwargs)


format_lazy = lazy(_format, str)


class CharField:
    error_messages = {"max_length": "Ensure this field has no more than {max_length} characters."}

    def __init__(self, max_length=None):
        self.validators = []
        if max_length is not None:
            message = format_lazy(self.error_messages["max_length"], max_length=max_length)
            self.validators.append(message)
''' + CALLERS
    assert seen(fixed) == []


def test_fixed_with_a_small_message_class_is_quiet():
    # the upstream fix: a module-level class that formats on str()
    fixed = '''class CustomValidatorMessage(str):
    def __new__(cls, *args, **kwargs):
        return super().__new__(cls, *args)


class CharField:
    error_messages = {"max_length": "Ensure this field has no more than {max_length} characters."}

    def __init__(self, max_length=None):
        self.validators = []
        if max_length is not None:
            message = CustomValidatorMessage(self.error_messages["max_length"])
            self.validators.append(message)
''' + CALLERS
    assert seen(fixed) == []


def test_module_level_gettext_lazy_is_quiet():
    source = '''from django.utils.functional import lazy
from django.utils.translation import gettext

gettext_lazy = lazy(gettext, str)


def labels(names):
    return [gettext_lazy(n) for n in names]
'''
    assert seen(source) == []


def test_decorator_factory_applied_at_import_is_quiet():
    # Django's keep_lazy: lazy() runs once per decorated function, when the module is imported
    source = '''from functools import wraps
from django.utils.functional import lazy


def keep_lazy(*resultclasses):
    def decorator(func):
        lazy_func = lazy(func, *resultclasses)

        @wraps(func)
        def wrapper(*args, **kwargs):
            return lazy_func(*args, **kwargs)

        return wrapper

    return decorator


@keep_lazy(str)
def capfirst(text):
    return text[:1].upper() + text[1:]


def titles(names):
    return [capfirst(n) for n in names]
'''
    assert seen(source) == []


def test_lazy_in_a_function_nothing_repeats_is_quiet():
    source = '''from django.utils.functional import lazy


def site_title(settings):
    return lazy(settings.TITLE.format, str)(site="example")
'''
    assert seen(source) == []


def test_a_lazy_of_another_library_or_of_the_module_is_quiet():
    other = BUGGY.replace("from django.utils.functional import lazy", "from mylib.promises import lazy")
    assert seen(other) == []
    own = BUGGY.replace("from django.utils.functional import lazy",
                        "def lazy(func, *resultclasses):\n    return func")
    assert seen(own) == []


def test_a_closure_of_the_call_made_lazy_is_a_note():
    # pretix's date widget: a placeholder computed when rendered, one widget per form field
    source = '''from django.utils.functional import lazy


class DatePickerWidget:
    def __init__(self, attrs=None, date_format=None):
        attrs = dict(attrs or {})

        def placeholder():
            return (date_format or "%Y-%m-%d").replace("%", "")

        attrs["placeholder"] = lazy(placeholder, str)
        self.attrs = attrs


def build_widgets(questions):
    return [DatePickerWidget(date_format=q) for q in questions]
'''
    assert [(line, severity) for line, severity, _ in seen(source)] == [(11, "note")]
    lam = source.replace("lazy(placeholder, str)", "lazy(lambda: placeholder(), str)")
    assert [(line, severity) for line, severity, _ in seen(lam)] == [(11, "note")]
