"""What a babel formatting or parsing function wastes per call when it is handed a locale name
instead of a Locale: `locale-parse` in perflint/calibrate.py (an estimate there, as babel is
not a perflint dependency). Run it where babel is installed:

    python bench/locale_parse.py

Each pair calls the same function on the same value, once with the locale's identifier
('en_US', 'de_DE') and once with the Locale that `Locale.parse` made of it beforehand; the
difference is the identifier parsed and the Locale looked up again (babel 2.x does it once
per call; babel 2.3, the version in agate's profile of issue #601, did it three times in
parse_decimal). Each figure is the least of seven rounds with the cyclic GC off."""

from __future__ import annotations

import datetime
import gc
import timeit

from babel import __version__
from babel.core import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, parse_decimal

DAY = datetime.date(2020, 1, 2)
CASES = [
    ("parse_decimal('1,234.5', {})", lambda loc: lambda: parse_decimal("1,234.5", loc), "en_US"),
    ("parse_decimal('1.234,5', {})", lambda loc: lambda: parse_decimal("1.234,5", loc), "de_DE"),
    ("format_decimal(1234.5, locale={})", lambda loc: lambda: format_decimal(1234.5, locale=loc), "en_US"),
    ("format_currency(12.5, 'EUR', locale={})", lambda loc: lambda: format_currency(12.5, "EUR", locale=loc), "de_DE"),
    ("format_date(day, locale={})", lambda loc: lambda: format_date(DAY, locale=loc), "en_US"),
]


def least(fn, number: int = 20000, rounds: int = 7) -> float:
    gc.disable()
    try:
        return min(timeit.repeat(fn, number=number, repeat=rounds)) / number
    finally:
        gc.enable()


def main() -> None:
    print(f"babel {__version__}")
    wasted = []
    for text, make, name in CASES:
        by_name = least(make(name))
        by_locale = least(make(Locale.parse(name)))
        wasted.append(by_name - by_locale)
        print(f"{text.format(repr(name)):48s} {by_name * 1e6:6.2f} us by name, "
              f"{by_locale * 1e6:6.2f} us with a Locale: {(by_name - by_locale) * 1e6:5.2f} us wasted")
    wasted.sort()
    print(f"median wasted per call: {wasted[len(wasted) // 2] * 1e6:.2f} us")


if __name__ == "__main__":
    main()
