"""PFL307: introspection keeps its confidence where the code's shape shows it runs per call of
the callable it inspects, not when that callable is defined or registered
(nutils-signature-inspected-per-immutable-call, vibetuner-provider-signature-per-request).

Three shapes: a caching wrapper (a `__call__`, or the function a decorator returns) that
builds its key through the wrapped callable's signature; a helper that binds one call's
`*args`/`**kwargs` through the signature of the callable a caching wrapper gives it; a loop
over a module-level registry of callables that inspects each and calls it, in a function a
data loop repeats. Elsewhere introspection stays a low-confidence note. Each buggy test
fails on the code before the change (every introspection was a low-confidence note)."""

from __future__ import annotations

from tests.conftest import rule_findings

SIGNATURE_WHY = "a callable's parameters do not change after it is defined"


def seen(src):
    return [(f.line, f.severity, f.confidence, f.frequency) for f in rule_findings({"m.py": src}, "PFL307")]


# -- a caching wrapper's helper binds each call's arguments through the signature -----------
WRAPPER_CLASS = '''import inspect


def _position_args(func, *args, **kwargs):
    sig = inspect.signature(func)
    bound = sig.bind(*args, **kwargs)
    return tuple(bound.arguments.values())


class Wrapper:
    def __init__(self, func):
        self.func = func
        self.cache = {}

    def __call__(self, *args, **kwargs):
        key = _position_args(self.func, *args, **kwargs)
        value = self.cache.get(key)
        if value is None:
            value = self.func(*args, **kwargs)
            self.cache[key] = value
        return value


def square(x):
    return x * x


square_cached = Wrapper(square)


def table(rows):
    return [square_cached(r) for r in rows]
'''


def test_helper_binding_the_arguments_of_a_caching_wrappers_call_is_a_warning():
    (f,) = rule_findings({"m.py": WRAPPER_CLASS}, "PFL307")
    # inspect-signature 11.3 us x 100 (the comprehension in table), at high confidence
    assert (f.line, f.severity, f.confidence, f.frequency, f.function) == (5, "warning", "high", 100.0, "_position_args")
    assert f.message == ("inspect.signature() re-inspects the callable on every call of _position_args(); "
                         + SIGNATURE_WHY)


def test_wrapper_that_keeps_the_signature_from_its_constructor_is_quiet():
    fixed = WRAPPER_CLASS.replace(
        "        self.cache = {}\n",
        "        self.cache = {}\n        self.sig = inspect.signature(func)\n", 1).replace(
        "        key = _position_args(self.func, *args, **kwargs)\n",
        "        key = tuple(self.sig.bind(*args, **kwargs).arguments.values())\n", 1)
    # the constructor runs once per decorated function, at import (the helper, now unused, runs
    # nowhere): notes
    assert seen(fixed) == [(5, "note", "low", 1.0), (14, "note", "low", 1.0)]


def test_helper_called_by_a_wrapper_without_a_cache_stays_a_low_note():
    # a plain forwarding wrapper: its call does the wrapped function's work, which dwarfs a
    # signature as often as not (a request to a service, a query); the cache is what makes a
    # hit cheap enough for the signature to matter
    plain = WRAPPER_CLASS.replace(
        "        value = self.cache.get(key)\n        if value is None:\n"
        "            value = self.func(*args, **kwargs)\n            self.cache[key] = value\n        return value\n",
        "        print(key)\n        return self.func(*args, **kwargs)\n", 1)
    assert seen(plain) == [(5, "note", "low", 100.0)]


def test_helper_binding_arguments_for_a_caller_that_is_no_wrapper_stays_a_low_note():
    # the same helper, called per row by an ordinary function: nothing shows the callable is
    # one call's target rather than, say, each handler checked at start-up
    src = WRAPPER_CLASS.replace("    return [square_cached(r) for r in rows]\n",
                                "    return [_position_args(square, r) for r in rows]\n", 1)
    assert seen(src) == [(5, "note", "low", 100.0)]


# -- a decorator's caching wrapper builds its key through the signature ----------------------
DECORATOR = '''import inspect


def memoized(func):
    cache = {}

    def wrapped(*args, **kwargs):
        key = tuple(inspect.signature(func).bind(*args, **kwargs).arguments.items())
        value = cache.get(key)
        if value is None:
            value = cache[key] = func(*args, **kwargs)
        return value

    return wrapped


@memoized
def area(w, h):
    return w * h


def total(shapes):
    return sum(area(s.w, s.h) for s in shapes)
'''


def test_signature_in_a_decorators_caching_wrapper_is_a_warning():
    (f,) = rule_findings({"m.py": DECORATOR}, "PFL307")
    assert (f.line, f.severity, f.confidence, f.frequency, f.function) == (8, "warning", "high", 100.0, "memoized.wrapped")
    assert f.message == ("inspect.signature() re-inspects the callable on every call of wrapped() (a caching wrapper: "
                         "every call of the callable it wraps, cache hits included); " + SIGNATURE_WHY)


def test_signature_taken_in_the_decorator_body_is_quiet_in_the_wrapper():
    fixed = DECORATOR.replace("    cache = {}\n", "    cache = {}\n    sig = inspect.signature(func)\n", 1).replace(
        "inspect.signature(func).bind", "sig.bind", 1)
    # the decorator body runs once per decorated function: a low-confidence note at most
    assert seen(fixed) == [(6, "note", "low", 1.0)]


def test_decorator_body_inspecting_per_registration_stays_a_low_note():
    # a registration decorator applied in a loop: definition time, where loop estimates overshoot
    src = '''import inspect

HANDLERS = {}


def register(func):
    HANDLERS[func.__name__] = (func, len(inspect.signature(func).parameters))
    return func


def register_all(funcs):
    for func in funcs:
        register(func)
'''
    assert seen(src) == [(7, "note", "low", 100.0)]


def test_forwarding_wrapper_without_a_cache_stays_a_low_note():
    plain = DECORATOR.replace(
        "        value = cache.get(key)\n        if value is None:\n"
        "            value = cache[key] = func(*args, **kwargs)\n        return value\n",
        "        print(key)\n        return func(*args, **kwargs)\n", 1)
    assert seen(plain) == [(8, "note", "low", 100.0)]


def test_wrapper_over_an_external_cache_stays_a_low_note():
    # an external cache's get/set (Flask-Caching, Redis) is a round trip that dwarfs the
    # signature: Superset's memoized_func, labelled FALSE blind in session 24
    external = DECORATOR.replace("    cache = {}\n", "    cache = make_cache()\n", 1).replace(
        "            value = cache[key] = func(*args, **kwargs)\n",
        "            value = func(*args, **kwargs)\n            cache.set(key, value)\n", 1)
    assert seen(external) == [(8, "note", "low", 100.0)]


# -- each callable of a module-level registry inspected per call ----------------------------
REGISTRY = '''import inspect

_providers = []


def register(fn):
    _providers.append(fn)
    return fn


def context(request):
    result = {}
    for provider in list(_providers):
        if "request" in inspect.signature(provider).parameters:
            result.update(provider(request=request))
        else:
            result.update(provider())
    return result


def render_all(requests):
    return [context(r) for r in requests]
'''


def test_registered_callables_inspected_per_call_of_a_repeated_function_is_a_warning():
    (f,) = rule_findings({"m.py": REGISTRY}, "PFL307")
    # 11.3 us x 100 requests x 10 providers x medium 0.5 = 5.65 ms
    assert (f.line, f.severity, f.confidence, f.frequency, f.function) == (14, "warning", "medium", 1000.0, "context")
    assert f.message == ("inspect.signature() re-inspects the callable on every call of context() (each callable of a "
                         "module-level registry, on every call); " + SIGNATURE_WHY)


def test_flag_recorded_at_registration_is_quiet():
    fixed = REGISTRY.replace(
        "    _providers.append(fn)\n",
        "    _providers.append((fn, \"request\" in inspect.signature(fn).parameters))\n", 1).replace(
        "    for provider in list(_providers):\n        if \"request\" in inspect.signature(provider).parameters:\n",
        "    for provider, takes_request in list(_providers):\n        if takes_request:\n", 1)
    assert seen(fixed) == [(7, "note", "low", 1.0)]


def test_registry_walked_by_a_function_nothing_repeats_stays_a_low_note():
    # checked once (start-up, a health check): only the loop over the registry repeats it
    src = REGISTRY.replace("    return [context(r) for r in requests]\n", "    return context(requests)\n", 1)
    assert seen(src) == [(14, "note", "low", 100.0)]


def test_registered_callables_inspected_but_not_called_stay_a_low_note():
    # validation of what was registered (nothing called): a definition-time check
    src = REGISTRY.replace("            result.update(provider(request=request))\n        else:\n"
                           "            result.update(provider())\n",
                           "            result[provider.__name__] = True\n", 1)
    assert seen(src) == [(14, "note", "low", 1000.0)]


def test_loop_over_a_parameter_is_no_registry():
    src = REGISTRY.replace("def context(request):", "def context(request, providers=()):", 1).replace(
        "list(_providers)", "list(providers)", 1)
    assert seen(src) == [(14, "note", "low", 1000.0)]
