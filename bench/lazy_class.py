"""Measure what Django's lazy(func, *resultclasses) costs when it is called per value.

    python bench/lazy_class.py [DJANGO_SOURCE_DIR]   # needs Django (not a perflint dependency)

The cost PFL105 charges a `lazy(...)` call in a function that runs per call (`lazy-proxy-class`
in perflint/calibrate.py ESTIMATES). Each call of lazy() runs a class statement (its `__proxy__`)
and, in Django 5, wraps every method of the result classes on that class; Django 2.2-4.x did the
wrapping on the first instantiation instead. The smell: `lazy(template.format, str)(max_length=n)`
per value (a validation message built lazily per field, as Django REST framework's fields did);
the class alone: `lazy(template.format, str)`; the fix: a lazy function built once, called per
value. GC off; the least of several rounds of 200 calls.
"""

from __future__ import annotations

import gc
import sys
import time

if len(sys.argv) > 1:
    sys.path.insert(0, sys.argv[1])
try:
    import django
    from django.utils.functional import lazy
except ImportError:  # pragma: no cover
    sys.exit("bench/lazy_class.py needs Django: pip install django, or pass a Django source folder")

TEMPLATE = "Ensure this field has no more than {max_length} characters."
KEPT = lazy(TEMPLATE.format, str)


def per_call(kind: str, n: int = 200) -> float:
    gc.disable()
    start = time.perf_counter()
    if kind == "smell":
        for i in range(n):
            lazy(TEMPLATE.format, str)(max_length=i)
    elif kind == "class":
        for _ in range(n):
            lazy(TEMPLATE.format, str)
    else:
        for i in range(n):
            KEPT(max_length=i)
    elapsed = time.perf_counter() - start
    gc.enable()
    return elapsed / n


def main() -> int:
    print(f"Django {django.__version__}, Python {sys.version.split()[0]}")
    results = {kind: min(per_call(kind) for _ in range(5)) for kind in ("smell", "class", "fix")}
    print(f"lazy(f, str)(...) per value {results['smell'] * 1e6:.1f} us, the class alone {results['class'] * 1e6:.1f} us, "
          f"a kept lazy function called {results['fix'] * 1e6:.2f} us; wasted {(results['smell'] - results['fix']) * 1e6:.1f} us per call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
