"""What copy.deepcopy costs on a tuple of scalars, against the structure `deepcopy-element` prices.

PFL101 prices a deep copy of a value the code shows is a tuple of scalars (`self._pos =
tuple(float(v) for v in value)`) at `deepcopy-scalar-element` per element (the tuple and each
item), and a value of unknown shape at `deepcopy-element` x 100 elements. This script times,
in one process so that both see the same machine load:

- tuples of 1, 3, 10 and 100 floats, and a frozenset of 3 and 10 strings;
- an int, a string and None (copy's atomic types: handed back at once);
- the structure perflint/calibrate.py's `deepcopy-element` is measured on, per element, and a
  list of 20 dicts of 4 scalar fields (100 elements);
- the 10-scalar tuple calibrate's `deepcopy-scalar-element` is measured on, per element.

Run: python bench/deepcopy_scalars.py   (best of 7 rounds; GC off while timing)
"""

from __future__ import annotations

import copy
import gc
import timeit

from perflint.calibrate import _structure


def best(fn, number: int = 20000, rounds: int = 7) -> float:
    gc.disable()
    try:
        return min(timeit.repeat(fn, number=number, repeat=rounds)) / number
    finally:
        gc.enable()


def main() -> None:
    cases = {
        "int 7": 7, "str 'Fe'": "Fe", "None": None,
        "tuple of 1 float": (1.0,), "tuple of 3 floats": (1.0, 2.0, 3.0),
        "tuple of 10 floats": tuple(float(i) for i in range(10)), "tuple of 100 floats": tuple(float(i) for i in range(100)),
        "frozenset of 3 str": frozenset({"a", "b", "c"}), "frozenset of 10 str": frozenset(f"s{i}" for i in range(10)),
        "list of 20 dicts x 4 fields (100 elements)": [{"id": i, "kind": "k", "name": f"n{i}", "w": 0.5} for i in range(20)],
    }
    for label, value in cases.items():
        print(f"{label:45s} {best(lambda: copy.deepcopy(value)) * 1e9:9.0f} ns")
    structure = _structure(500)
    element = best(lambda: copy.deepcopy(structure), number=200) / 500
    scalars = (0.5, 1.5, 2.5, 3.5, 4.5, "Fe", "Ni", "O", 7, 8)
    scalar_element = best(lambda: copy.deepcopy(scalars)) / 11
    print(f"{'deepcopy-element (calibrate structure)':45s} {element * 1e9:9.0f} ns per element")
    print(f"{'deepcopy-scalar-element (10-scalar tuple)':45s} {scalar_element * 1e9:9.0f} ns per element "
          f"({scalar_element / element:.2f} of deepcopy-element)")


if __name__ == "__main__":
    main()
