"""Measure the cost table on this machine and print it (the table docs/scoring.md cites).

    python bench/costs.py            # print the table
    python bench/costs.py --write    # also rewrite perflint/data/costs.toml (the shipped defaults)

Each row times the smell and its fix on the same workload (best of 5 runs, GC off) and
keeps the difference: the seconds one execution wastes. `perflint calibrate` runs the same
measurements and writes a file for `costs = "..."` in the config.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perflint import __version__  # noqa: E402
from perflint.calibrate import SPECS, measure  # noqa: E402
from perflint.costs import SHIPPED, machine_meta, render_table  # noqa: E402
from perflint.units import format_time  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite the shipped table")
    args = parser.parse_args()
    result = measure(progress=lambda key, i, n: print(f"  measuring {key} ({i + 1}/{n})", file=sys.stderr) if key else None)
    print(f"| cost key | smell | per | smell | fix | wasted (cost) |")
    print(f"|---|---|---|---|---|---|")
    for spec, _ in SPECS:
        m = result[spec.key]
        note = " (estimate)" if spec.estimated else ""
        print(f"| `{spec.key}` | {spec.what} vs {spec.fix} | {spec.per} | {format_time(m['smell'])} | "
              f"{format_time(m['fix'])} | **{format_time(m['cost'])}**{note} |")
    if args.write:
        meta = machine_meta(__version__, datetime.date.today().isoformat())
        SHIPPED.parent.mkdir(exist_ok=True)
        SHIPPED.write_text(render_table(result, meta), encoding="utf-8")
        print(f"wrote {SHIPPED.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
