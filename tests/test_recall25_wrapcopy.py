"""Session twenty-five, clone family: gdsfactory's cell decorator (gdsfactory/gdsfactory,
bench/realbugs.toml) deep-copied the call's **kwargs and the arguments it laid out from them on
every call of every decorated component factory, only to build the component's name, and then
called the factory with the original arguments. PFL101 took a deep copy of a parameter for a
caller's value (a note at most) and did not count `**kwargs` as a parameter at all; a deep copy
of the star parameters in a decorator's wrapper that forwards them uncopied is now reported at
medium confidence. The first test fails on the code before the change. Our own reduced code."""

from __future__ import annotations

from conftest import rule_findings


def seen(source: str):
    return [(f.line, f.severity, f.message) for f in rule_findings({"m.py": source}, "PFL101") if f.path == "m.py"]


CELL = '''
import copy
import functools
import inspect

CACHE = {}


def cell(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        name = kwargs.pop("name", None)
        sig = inspect.signature(func)
        passed = dict(zip(sig.parameters.keys(), args))
        passed.update(**copy.deepcopy(kwargs))
        changed = passed
        snapshot = copy.deepcopy(changed)
        key = name or func.__name__ + "_".join(f"{k}={snapshot[k]!r}" for k in sorted(snapshot))
        if key in CACHE:
            return CACHE[key]
        component = func(*args, **kwargs)
        CACHE[key] = component
        return component

    return wrapper


@cell
def straight(length=10.0, layer=(1, 0)):
    return {"length": length, "layer": layer}


def array(lengths):
    return [straight(length=n) for n in lengths]
'''

MESSAGE = ("copy.deepcopy() of {} on every call of the function it wraps: the wrapper passes the "
           "originals on and clones them only for what it computes beside the call")


def test_deep_copies_of_a_wrappers_forwarded_arguments_are_reported():
    assert seen(CELL) == [(15, "warning", MESSAGE.format("the wrapper's own **kwargs")
                           + " (and 1 more like it in this function: line 17)")]


def test_the_local_built_from_the_arguments_is_named():
    alone = CELL.replace("        passed.update(**copy.deepcopy(kwargs))\n", "        passed.update(kwargs)\n")
    assert alone != CELL
    assert seen(alone) == [(17, "warning", MESSAGE.format("'changed', a local built from the wrapper's arguments,"))]


def test_fixed_shallow_copies_are_quiet():
    fixed = CELL.replace("copy.deepcopy(kwargs)", "kwargs").replace("copy.deepcopy(changed)", "changed.copy()")
    assert fixed != CELL
    assert seen(fixed) == []


def test_a_copy_the_wrapped_function_gets_is_quiet():
    # the wrapper hands the callee its own copy: the defensive copy the semantics need
    near = CELL.replace("        component = func(*args, **kwargs)\n",
                        "        fresh = copy.deepcopy(kwargs)\n        component = func(*args, **fresh)\n")
    near = near.replace("        passed.update(**copy.deepcopy(kwargs))\n", "        passed.update(kwargs)\n")
    near = near.replace("copy.deepcopy(changed)", "dict(changed)")
    assert near.count("deepcopy") == 1
    assert seen(near) == []


def test_a_wrapper_that_forwards_the_copy_is_quiet():
    near = CELL.replace("        name = kwargs.pop(\"name\", None)\n",
                        "        kwargs = copy.deepcopy(kwargs)\n        name = kwargs.pop(\"name\", None)\n")
    near = near.replace("        passed.update(**copy.deepcopy(kwargs))\n", "        passed.update(kwargs)\n")
    near = near.replace("copy.deepcopy(changed)", "dict(changed)")
    assert near.count("deepcopy") == 1
    # what the callee gets is the copy: only the low-confidence note on a parameter's copy
    assert seen(near) == [(12, "note", "copy.deepcopy() of parameter 'kwargs' on every call: "
                                       "the structure is cloned each time this runs")]


def test_a_recorded_copy_is_quiet():
    # a decorator that records each call's arguments keeps the snapshot: the copy is the point
    near = CELL.replace("        passed.update(**copy.deepcopy(kwargs))\n", "        passed.update(kwargs)\n")
    near = near.replace("        snapshot = copy.deepcopy(changed)\n",
                        "        snapshot = copy.deepcopy(changed)\n        CALLS.append(snapshot)\n")
    assert near.count("deepcopy") == 1
    assert seen(near.replace("CACHE = {}\n", "CACHE = {}\nCALLS = []\n")) == []


def test_a_nested_helper_that_is_no_wrapper_is_quiet():
    # not returned by the decorator and calls nothing with the arguments: a local helper
    near = '''
import copy


def build(items):
    def key(*args, **kwargs):
        return repr(copy.deepcopy(kwargs))

    return [key(length=n) for n in items]
'''
    assert seen(near) == []


def test_a_snapshot_read_after_the_wrapped_call_is_quiet():
    # a test helper's decorator reports the arguments as they were before the call, which the
    # callee may have changed: the copy is the point
    near = '''
import copy


def returns_none(function):
    def call_and_assert(*args, **kwargs):
        original = copy.deepcopy(kwargs)
        result = function(*args, **kwargs)
        assert result is None, f"returned {result!r} for {original!r}"
        return result

    return call_and_assert


@returns_none
def check(value):
    return None


def run(values):
    for v in values:
        check(value=v)
'''
    assert seen(near) == []
    # read before the call only: reported
    before = near.replace('        assert result is None, f"returned {result!r} for {original!r}"\n', "") \
        .replace("        original = copy.deepcopy(kwargs)\n",
                 "        original = copy.deepcopy(kwargs)\n        print(original)\n")
    assert [(line, severity) for line, severity, _ in seen(before)] == [(7, "warning")]


def test_a_copy_handed_in_place_to_the_wrapped_function_is_quiet():
    # one branch forwards the originals, the other hands the callee a copy of its own
    near = '''
import copy


def fresh(func):
    def wrapper(*args, **kwargs):
        if kwargs.pop("shared", False):
            func(*args, **kwargs)
        else:
            func(*args, **copy.deepcopy(kwargs))

    return wrapper


@fresh
def build(size):
    print([0] * size)


def run(sizes):
    return [build(size=s) for s in sizes]
'''
    assert seen(near) == []
    merged = near.replace("            func(*args, **copy.deepcopy(kwargs))\n",
                          "            kwargs.update(copy.deepcopy(kwargs))\n            func(*args, **kwargs)\n")
    assert merged != near
    assert seen(merged) == []
