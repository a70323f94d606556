"""PFL401 fsync-where-fdatasync."""

from __future__ import annotations

import libcst as cst

from perflint.rule import Invalid, Rule
from perflint.ruleutil import enclosing_if_tests, first_arg, names_in
from perflint.rules.sync.durable_replace import syncs_a_replacement


class FsyncWhereFdatasync(Rule):
    """
    `os.fsync()` on a data file where `os.fdatasync()` would do.

    ## What it does
    Flags calls to `os.fsync(fd)`. Its severity follows how often the call runs: a
    note in `close()`, an error when every statement of a bulk load reaches it.

    ## Why is this slow
    `fsync` also forces file metadata (modification time, size, inode) to disk, which on
    most file systems is an extra journal write per call. `fdatasync` flushes the data
    and only the metadata needed to read it back (the size when the file grew). For a
    database page file that is rewritten in place, that halves the disk work per sync.

    ## Example
    ```python
    def sync(self):
        self._file.flush()
        os.fsync(self._fd)
    ```

    ## Use instead
    ```python
    def sync(self):
        self._file.flush()
        if hasattr(os, "fdatasync"):   # not on macOS or Windows
            os.fdatasync(self._fd)
        else:
            os.fsync(self._fd)
    ```

    ## Notes
    The fallback branch of a `hasattr(os, "fdatasync")` guard is not reported, nor an
    `fsync` of a directory descriptor (needed to make a rename durable), nor the `fsync`
    of an atomic replacement (a fresh file synced, then renamed over its target in the
    same function): its inode must reach the disk anyway for the size and blocks it
    gained, so `fdatasync` would save nothing there.
    """

    CODE = "PFL401"
    COST = "fsync-over-fdatasync"  # perflint/costs.py; measured by bench/costs.py
    NAME = "fsync-where-fdatasync"
    FAMILY = "sync"
    FIX = "use os.fdatasync(fd) for data files (guard with hasattr(os, 'fdatasync') for macOS/Windows)"
    TRIGGERS = ("fsync",)
    VALID = [
        "import os\ndef sync(fd):\n    os.fdatasync(fd)\n",
        "import os\ndef sync(fd):\n    if hasattr(os, 'fdatasync'):\n        os.fdatasync(fd)\n    else:\n        os.fsync(fd)\n",
        "import os\ndef durable_rename(dir_fd):\n    os.fsync(dir_fd)\n",
        "def sync(f):\n    f.fsync()\n",
        "import os\ndef save(path, data):\n    with open(path + '.tmp', 'wb') as f:\n        f.write(data)\n"
        "        f.flush()\n        os.fsync(f.fileno())\n    os.replace(path + '.tmp', path)\n",
    ]
    INVALID = [
        Invalid("import os\ndef sync(fd):\n    for _ in range(3):\n        os.fsync(fd)\n", line=4),
        Invalid("from os import fsync\ndef flush_all(fds):\n    for fd in fds:\n        fsync(fd)\n", line=4),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.resolve(node.func) != "os.fsync":
            return
        # The portability fallback of a fdatasync guard is the right code, not a finding.
        for test in enclosing_if_tests(self.ctx):
            if "fdatasync" in names_in(test):
                return
        arg = first_arg(node)
        # fsync of a directory makes a rename durable; fdatasync is not the idiom there.
        if arg is not None and any("dir" in name.lower() for name in names_in(arg)):
            return
        # A fresh file synced before it is renamed over its target: its inode is written anyway
        # (the size and the blocks it gained), so fdatasync would save nothing there.
        if syncs_a_replacement(self.ctx, node):
            return
        self.report(node, "os.fsync() also flushes file metadata; os.fdatasync() is enough for data files")
