#!/usr/bin/env python3
"""Join a scan of the labelled corpora with the labels in docs/precision.md (a script, not a test).

    python bench/precision_labels.py SCANDIR [--tsv OUT.tsv]

SCANDIR holds one `perflint check . --format json --min-severity note` report per corpus,
named after the corpus folder (`pretix.json`, ...), as docs/precision.md describes. Each warning
and error is matched, by corpus, path, line and rule, to the newest label row for that site
(the file's newest sections come first) and the counts of TRUE, PLAUSIBLE, FALSE and unlabelled
are printed, in all and per rule. `--tsv` writes one row per finding with the labeller's reason,
for reading the FALSE ones by cause. A finding that moved to another line counts as unlabelled:
label it blind before trusting the table.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
from pathlib import Path
from typing import Dict, Tuple

DOC = Path(__file__).resolve().parent.parent / "docs" / "precision.md"
# Corpus names in the labelled tables -> scan file names, where they differ.
NAMES = {"aiida_core": "aiida", "django_cms": "djangocms", "label_studio": "labelstudio", "django_oscar": "oscar"}
PREFIXES = ("salt-3007.1/",)  # the Salt sdist's folder, which the tables leave out
LABEL = re.compile(r"(TRUE|FALSE|PLAUSIBLE)")
SITE = re.compile(r"`?([^`\s]+):(\d+)`?$")


def labels(doc: Path) -> Dict[Tuple[str, str, int, str], Tuple[str, str]]:
    """(corpus, path, line, rule) -> (label, reason), the first row of a site in the file."""
    out: Dict[Tuple[str, str, int, str], Tuple[str, str]] = {}
    for line in doc.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("| ") else []
        if len(cells) != 7:  # corpus | site | rule | severity | time | label | reason
            continue
        corpus, site, rule, _, _, label, reason = cells
        m, s = LABEL.match(label), SITE.match(site)
        if m and s and rule.startswith("PFL"):
            out.setdefault((NAMES.get(corpus, corpus), s.group(1), int(s.group(2)), rule), (m.group(1), reason))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scans", type=Path)
    parser.add_argument("--tsv", type=Path)
    args = parser.parse_args()
    known = labels(DOC)
    rows, total, per_rule = [], collections.Counter(), collections.Counter()
    for report in sorted(args.scans.glob("*.json")):
        corpus, seen = report.stem, set()
        for f in json.loads(report.read_text()).get("findings", []):
            key = (corpus, f["path"], f["line"], f["rule"])
            if f["severity"] == "note" or key in seen:
                continue
            seen.add(key)
            path = next((f["path"][len(p):] for p in PREFIXES if f["path"].startswith(p)), f["path"])
            label, reason = known.get(key) or known.get((corpus, path, f["line"], f["rule"])) or ("UNLABELLED", "")
            total[label] += 1
            per_rule[f["rule"], label] += 1
            rows.append((corpus, f"{f['path']}:{f['line']}", f["rule"], f["severity"], f.get("function", ""), label,
                         reason, f["message"]))
    n = sum(total.values())
    print(f"{n} warnings and errors: " + ", ".join(f"{total[k]} {k}" for k in ("TRUE", "PLAUSIBLE", "FALSE", "UNLABELLED")))
    for rule in sorted({r for r, _ in per_rule}):
        print(f"  {rule}: " + ", ".join(f"{per_rule[rule, k]} {k}" for k in ("TRUE", "PLAUSIBLE", "FALSE", "UNLABELLED")
                                         if per_rule[rule, k]))
    if args.tsv:
        with args.tsv.open("w", encoding="utf-8") as out:
            out.write("corpus\tsite\trule\tseverity\tfunction\tlabel\treason\tmessage\n")
            for row in rows:
                out.write("\t".join(cell.replace("\t", " ") for cell in row) + "\n")


if __name__ == "__main__":
    main()
