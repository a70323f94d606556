"""Measure what a struct format and field layout prepared from a table on every call cost.

    python bench/struct_layout.py

The cost PFL202 charges a record decoder that builds its format string (`fmt += table[i]`) and
its field widths in a loop over a table the callers pass fixed, then unpacks with that format
(`struct-layout` in perflint/calibrate.py SPECS, measured there on the 13-field table). Our own
reduced shape: a flat table of (name, format) pairs, a record of matching bytes; the smell
prepares the format and the widths per call and groups the unpacked values by field; the fix
prepares a struct.Struct, the names and the widths once and does the same grouping. Both return
the same dict. GC off, best of 5 runs, per call. The table sizes: 4, 13 (a 44-byte game-map
sprite record) and 32 fields.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perflint.calibrate import _pair, struct_layout_table, unpack_prepared_per_call, LayoutPrepared  # noqa: E402
from perflint.units import format_time  # noqa: E402


def _format_only(order: str, table: tuple) -> str:
    fmt = order
    for k in range(len(table) // 2):
        fmt += table[k * 2 + 1]
    return fmt


def main() -> int:
    print("| fields | bytes | prepared per call | prepared once | wasted | of which the format loop |")
    print("|---|---|---|---|---|---|")
    for fields in (4, 13, 32):
        table = struct_layout_table(fields)
        prepared = LayoutPrepared("<", table)
        data = bytes(prepared.struct.size)
        assert unpack_prepared_per_call("<", table, data) == prepared.unpack(data)
        smell, fix = _pair(lambda: unpack_prepared_per_call("<", table, data), lambda: prepared.unpack(data))
        loop, _ = _pair(lambda: _format_only("<", table), lambda: None)
        print(f"| {fields} | {prepared.struct.size} | {format_time(smell)} | {format_time(fix)} | "
              f"**{format_time(smell - fix)}** | {format_time(loop)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
