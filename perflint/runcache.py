"""The linked-result cache: a scan whose inputs are all unchanged reuses its last result.

The per-file cache (perflint/cache.py) saves parsing, but a warm run still unpickles every
summary, relinks the whole program and scores it again: on Twisted (390k lines) that is
several seconds for an answer that cannot have changed. This module names a run by
everything its result depends on, and the cache keeps the finished `Result` under that name:

- every file in the program with its content hash (from the stat pre-check, so unchanged
  files are not even read), its display path, module name and flags;
- which of them are reported (project context), and the discovery errors;
- the rule selection with its options and the code of perflint itself (all modules that
  run before a reporter, not only phase 1's);
- the config's result-changing settings, the cost table, the baseline, and `--unexplained`.

Profiles are not in the key: a run with `--profile` always relinks (the profile file can
change without anything else changing, and such runs are rare).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional, Sequence, Tuple

from perflint import __version__
from perflint.cache import NOT_PHASE_ONE, content_hash, file_stat, module_stats

if TYPE_CHECKING:
    from perflint.baseline import Baseline
    from perflint.cache import ResultCache
    from perflint.config import Config
    from perflint.costs import CostTable
    from perflint.discovery import SourceFile

# The modules that run after phase 1 and shape a Result. Every other module of perflint (and
# every rule) is in the per-file cache's run key, which is part of this key already.
_AFTER_PHASE_ONE = NOT_PHASE_ONE - {"__main__.py", "cli.py", "docs.py", "testing.py"}


def _engine_fingerprint() -> str:
    """Sizes and mtimes of the modules that score a result after phase 1 (a checkout edited
    between two runs gives a new key, as for the per-file cache)."""
    import perflint

    pinned = os.environ.get("PERFLINT_CODE_FINGERPRINT")
    if pinned:
        return pinned
    return "\n".join(module_stats(perflint, ("report", "lsp", "data"), frozenset(), only=_AFTER_PHASE_ONE))


def _content_hashes(cache: "ResultCache", files: Sequence["SourceFile"]) -> Optional[Iterable[str]]:
    """One line per file with its content hash; None if a file cannot be read (the full
    run reports it, and its result is not worth keeping under a key)."""
    lines = []
    for file in files:
        try:
            stat = file_stat(os.stat(file.path))
        except OSError:
            return None
        sha = cache.known_hash(file.path, stat)
        if sha is None:  # new or changed since it was recorded: hash its bytes (no parse)
            try:
                sha = content_hash(file.path.read_bytes())
            except OSError:
                return None
        lines.append(f"{file.display}\0{file.module}\0{file.alias}\0{int(file.is_package)}\0{int(file.is_test)}\0{sha}")
    return lines


def scan_key(
    cache: "ResultCache",
    files: Sequence["SourceFile"],
    report_only: Optional[Iterable[str]],
    discover_errors: Sequence[Tuple[str, str]],
    config: "Config",
    costs: "CostTable",
    baseline: Optional["Baseline"],
    unexplained: int,
) -> Optional[str]:
    """The name of this run's result, or None when it cannot be named (an unreadable file)."""
    hashes = _content_hashes(cache, files)
    if hashes is None:
        return None
    digest = hashlib.sha256()
    for part in (
        __version__,
        cache.run_key,  # rules, their options and phase 1's code
        _engine_fingerprint(),
        str(Path(config.root)),
        config.cache_key(),
        repr((costs.source, sorted(costs.costs.items()), sorted(costs.fix.items()))),
        repr(baseline),
        str(unexplained),
        repr(sorted(report_only) if report_only is not None else None),
        repr(sorted(discover_errors)),
        *hashes,
    ):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\1")
    return digest.hexdigest()
