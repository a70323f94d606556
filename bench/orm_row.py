"""Measure what testing a Django queryset for emptiness with len() costs per row over .exists().

    PYTHONPATH=<a folder with Django> python bench/orm_row.py     # needs Django (not a perflint dependency)

The cost PFL507 charges `if len(qs):` per row the queryset holds (`orm-row` in
perflint/calibrate.py ESTIMATES). Django against SQLite in memory: a model of six fields (an
integer key, two short strings, an integer, a boolean and a date-time), N rows matching the
filter; `len(Model.objects.filter(status="x"))` (every row fetched, a model instance built per
row) against `Model.objects.filter(status="x").exists()` (one `SELECT 1 ... LIMIT 1`). GC off;
the difference divided by N; the least of several rounds. In memory there is no network: what is
left is the rows' transfer from SQLite and Django's per-row work (the cursor's rows converted, a
model instance built with `from_db`), which a server's wire transfer only adds to.
"""

from __future__ import annotations

import gc
import sys
import time

try:
    import django
    from django.conf import settings
except ImportError:  # pragma: no cover
    sys.exit("bench/orm_row.py needs Django: pip install django")

settings.configure(DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
                   INSTALLED_APPS=[], USE_TZ=False)
django.setup()

from django.db import connection, models  # noqa: E402


class Item(models.Model):
    name = models.CharField(max_length=50)
    status = models.CharField(max_length=10, db_index=True)
    size = models.IntegerField(default=0)
    active = models.BooleanField(default=True)
    created = models.DateTimeField()

    class Meta:
        app_label = "bench"


def _best(fn, number: int, rounds: int = 7) -> float:
    best = float("inf")
    gc.disable()
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            best = min(best, (time.perf_counter() - start) / number)
    finally:
        gc.enable()
    return best


def main() -> None:
    import datetime
    with connection.schema_editor() as editor:
        editor.create_model(Item)
    now = datetime.datetime(2026, 12, 3)
    for rows in (10, 100, 1000):
        Item.objects.all().delete()
        Item.objects.bulk_create([Item(name=f"n{i}", status="x", size=i, created=now) for i in range(rows)]
                                 + [Item(name=f"o{i}", status="y", size=i, created=now) for i in range(1000)])
        smell = _best(lambda: len(Item.objects.filter(status="x")), max(2, 2000 // rows))
        fix = _best(lambda: Item.objects.filter(status="x").exists(), 500)
        count = _best(lambda: Item.objects.filter(status="x").count(), 500)
        print(f"{rows:5d} rows: len() {smell * 1e6:9.1f} us  exists() {fix * 1e6:7.1f} us  count() {count * 1e6:7.1f} us  "
              f"-> {(smell - fix) / rows * 1e6:6.2f} us per row (len), {(count - fix) / rows * 1e9:6.1f} ns per row (count)")
    print(f"Django {django.get_version()}, CPython {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
