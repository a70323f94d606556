"""Sync family shapes from the recall set (issue 13): what a loop really repeats.

Each shape has a buggy, a fixed and a near-miss case, checked at the severity a user sees.
"""

from __future__ import annotations

from perflint.config import Config, RuleSettings
from perflint.testing import lint_sources

# Round costs: a sync 1 ms, so one per item of an unknown loop (x100) is 100 ms, an error.
NOTES = Config(min_severity="note", rules={"PFL401": RuleSettings(cost=1e-3), "PFL402": RuleSettings(cost=1e-3)})


def found(files, codes=("PFL401", "PFL402"), config=NOTES):
    if isinstance(files, str):
        files = {"m.py": files}
    return sorted((f.rule, f.function, f.line, f.severity) for f in lint_sources(files, select=codes, config=config))


# -- an atomic replacement's sync is one durable file write, not a sync per statement -------
LOCKFILE = """\
import os


class LockedFile:
    def __init__(self, name):
        self._name = name
        self._lock = name + ".lock"
        self._file = open(self._lock, "wb")

    def write(self, data):
        self._file.write(data)

    def close(self):
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._lock, self._name)


def set_refs(refs):
    for name, value in refs.items():
        f = LockedFile(name)
        f.write(value)
        f.close()
"""


def test_the_sync_of_an_atomic_replacement_is_quiet_however_often_a_loop_reaches_it():
    # One ref per file: each replacement must be durable on its own; nothing to batch.
    assert found(LOCKFILE) == []


def test_a_sync_that_is_not_followed_by_a_rename_is_still_a_sync_per_item():
    # Near miss: the same writer without the rename is an append log synced per record.
    appending = LOCKFILE.replace("        os.replace(self._lock, self._name)\n", "")
    assert [(rule, fn, sev) for rule, fn, _, sev in found(appending)] == [
        ("PFL401", "LockedFile.close", "error"),
        ("PFL402", "LockedFile.close", "error"),
    ]


def test_a_sync_per_written_line_before_one_rename_is_reported():
    # The buggy shape of an atomic writer: it syncs every line, then renames once.
    src = (
        "import os\n"
        "def save(path, lines):\n"
        "    with open(path + '.tmp', 'w') as f:\n"
        "        for line in lines:\n"
        "            f.write(line)\n"
        "            f.flush()\n"
        "            os.fdatasync(f.fileno())\n"
        "    os.replace(path + '.tmp', path)\n"
    )
    assert found(src) == [("PFL402", "save", 7, "error")]
    fixed = src.replace("            f.flush()\n            os.fdatasync(f.fileno())\n", "") \
        .replace("    os.replace(", "        f.flush()\n        os.fdatasync(f.fileno())\n    os.replace(")
    assert found(fixed) == []


def test_a_rename_before_the_sync_does_not_make_it_a_replacement():
    src = (
        "import os\n"
        "def rotate(path, records):\n"
        "    for rec in records:\n"
        "        append(path, rec)\n"
        "def append(path, rec):\n"
        "    os.replace(path, path + '.old')\n"
        "    with open(path, 'ab') as f:\n"
        "        f.write(rec)\n"
        "        os.fsync(f.fileno())\n"
    )
    assert ("PFL402", "append", 9, "error") in found(src)
