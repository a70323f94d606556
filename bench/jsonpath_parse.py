"""What a JSONPath compiler call costs when the expression could have been kept: `jsonpath-parse`
in perflint/calibrate.py (an estimate there, as jsonpath-ng and jsonpath-rw are not perflint
dependencies). Run it where they are installed:

    python bench/jsonpath_parse.py

For each of five short paths of the kind a manifest or a mapping lists (a field, a nested
field, an index, a wildcard, a filter for the ext parser), the parse is timed against the find
on a small document with the expression kept: the parse is what a cache by the path's text
saves. jmespath.compile is timed too: it keeps up to 128 parsed expressions in its own cache,
so a repeat is a lookup. Each figure is the least of five rounds with the cyclic GC off."""

from __future__ import annotations

import gc
import timeit
from importlib.metadata import version

PATHS = ["name", "senses[0].definition", "entry.audio[*].filename", "$.translation.en", "meta.source.title"]
DOC = {"name": "x", "senses": [{"definition": "d"}], "entry": {"audio": [{"filename": "a.mp3"}]},
       "translation": {"en": "t"}, "meta": {"source": {"title": "s"}}}


def least(fn, number: int, rounds: int = 5) -> float:
    gc.disable()
    try:
        return min(timeit.repeat(fn, number=number, repeat=rounds)) / number
    finally:
        gc.enable()


def report(label: str, parse, number: int) -> None:
    parses, finds = [], []
    for path in PATHS:
        parses.append(least(lambda: parse(path), number))
        kept = parse(path)
        if hasattr(kept, "find"):
            finds.append(least(lambda: kept.find(DOC), number * 10))
    mean = sum(parses) / len(parses)
    tail = f", find with the kept expression {sum(finds) / len(finds) * 1e6:.1f} us" if finds else ""
    print(f"{label:32s} parse {mean * 1e6:9.1f} us a path (least {min(parses) * 1e6:.1f}){tail}")


def main() -> None:
    import jmespath
    import jsonpath_ng
    import jsonpath_ng.ext
    import jsonpath_rw

    report(f"jsonpath_ng.parse {version('jsonpath-ng')}", jsonpath_ng.parse, 20)
    report(f"jsonpath_ng.ext.parse {version('jsonpath-ng')}", jsonpath_ng.ext.parse, 20)
    report(f"jsonpath_rw.parse {version('jsonpath-rw')}", jsonpath_rw.parse, 5)
    report(f"jmespath.compile {version('jmespath')}", lambda p: jmespath.compile(p.lstrip("$.")), 2000)


if __name__ == "__main__":
    main()
