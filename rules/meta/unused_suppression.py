"""PFL001 unused-suppression."""

from __future__ import annotations

from perflint.rule import Invalid, Rule


class UnusedSuppression(Rule):
    """
    A `# perflint: ignore[...]` or `# noqa: PFLnnn` comment that suppresses nothing.

    ## What it does
    Reports a suppression comment when no finding of the codes it names is on its line
    (like ruff's RUF100), and a code in it that is not a perflint rule. A bare
    `# perflint: ignore` is reported when no finding at all is on its line. Opt-in: enable
    it with `select = ["ALL", "PFL001"]` (or `--select ALL,PFL001`).

    ## Why is this slow
    It is not slow itself. A suppression outlives the smell it silenced: after a fix or
    a move, it still sits on the line and silently hides the next real finding there, for
    instance the per-row sync that a later edit puts back on that line.

    ## Example
    ```python
    def flush(self):
        os.fdatasync(self.fd)  # perflint: ignore[PFL401]   (fixed long ago)
    ```

    ## Use instead
    ```python
    def flush(self):
        os.fdatasync(self.fd)
    ```

    ## Notes
    A code is judged only when its rule ran on the file: a suppression of a rule that is
    not selected (or ignored for that path) is left alone, since perflint cannot tell
    whether it is still needed. A suppression counts as used when it hides a finding of
    any severity, including notes that `min-severity` would hide anyway. The finding is a
    warning unless `[rules.PFL001] severity` says otherwise; it has no heat, so its score
    is its weight. The engine does the check after scoring (it needs to know which
    suppressions hid a finding): this class carries the metadata, the switch and the docs.
    """

    CODE = "PFL001"
    NAME = "unused-suppression"
    FAMILY = "meta"
    FIX = "remove the suppression comment (or the codes in it that suppress nothing)"
    TRIGGERS = ("perflint", "noqa")
    DEFAULT_ENABLED = False
    VALID = [
        "x = 1\n",
        "x = 1  # noqa: E501\n",
        "import os\ndef f(fd):\n    os.fsync(fd)  # perflint: ignore[PFL401]\n",
    ]
    INVALID = [
        Invalid("x = 1  # perflint: ignore[PFL999]\n", line=1),
        Invalid("def f():\n    return 2  # noqa: PFL9\n", line=2),
    ]
