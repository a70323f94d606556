"""The baseline file: accepted findings of a legacy repo, so that only new findings fail.

`.perflint-baseline.json` is written sorted and pretty-printed so that a change to it reads
well in a diff::

    {"version": 1, "perflint": "0.1.0",
     "findings": [{"rule": "PFL401", "path": "pkg/pages.py", "function": "PageFile.harden",
                   "fingerprint": "3f0c...", "count": 1, "message": "..."}, ...]}

An entry is keyed by the finding's fingerprint without its occurrence number:
sha256(rule | root-relative path | function | whitespace-normalised code)[:16]. No line
numbers go in, so a finding keeps its entry when lines are inserted above it. `count` says
how many identical findings (same rule, function and code) the entry accepts: a third copy
of a smell that was baselined twice is new.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from perflint.finding import SEVERITY_RANK, Finding

BASELINE_VERSION = 1
DEFAULT_BASELINE = ".perflint-baseline.json"
_ENTRY_KEYS = ("rule", "path", "function", "fingerprint", "count", "message")


class BaselineError(Exception):
    """A baseline file that cannot be used; the message is one line and names the file."""


@dataclass(frozen=True)
class Entry:
    rule: str
    path: str  # relative to the config root, with forward slashes
    function: str
    fingerprint: str  # the hash part of Finding.fingerprint (no occurrence number)
    count: int
    message: str

    @property
    def sort_key(self) -> Tuple[str, str, str, str]:
        return (self.path, self.function, self.rule, self.fingerprint)

    def to_json(self) -> Dict[str, Any]:
        return {key: getattr(self, key) for key in _ENTRY_KEYS}


@dataclass(frozen=True)
class Baseline:
    entries: Tuple[Entry, ...]
    path: Optional[Path] = None

    def counts(self) -> Dict[str, int]:
        out: Dict[str, int] = {}
        for entry in self.entries:
            out[entry.fingerprint] = out.get(entry.fingerprint, 0) + entry.count
        return out


def fingerprint_hash(fingerprint: str) -> str:
    """"3f0c...:2" -> "3f0c..." (the occurrence number is what `count` replaces)."""
    return fingerprint.rpartition(":")[0] or fingerprint


def load(path: Path) -> Baseline:
    """Read and validate a baseline file; BaselineError (one line) when it is unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found (create it with `perflint baseline`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not a perflint baseline: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(data, dict) or "findings" not in data or "version" not in data:
        raise BaselineError(f"{path}: not a perflint baseline: expected an object with 'version' and 'findings'")
    version = data["version"]
    if version != BASELINE_VERSION:
        raise BaselineError(
            f"{path}: baseline format version {version!r} is not supported (this perflint reads version "
            f"{BASELINE_VERSION}); regenerate it with `perflint baseline`"
        )
    items = data["findings"]
    if not isinstance(items, list):
        raise BaselineError(f"{path}: not a perflint baseline: 'findings' must be a list")
    entries: List[Entry] = []
    for i, item in enumerate(items):
        entries.append(_entry(path, i, item))
    return Baseline(tuple(entries), path)


def _entry(path: Path, index: int, item: Any) -> Entry:
    where = f"{path}: not a perflint baseline: findings[{index}]"
    if not isinstance(item, dict):
        raise BaselineError(f"{where} must be an object")
    for key in ("rule", "path", "fingerprint"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise BaselineError(f"{where} needs a string '{key}'")
    count = item.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise BaselineError(f"{where}: 'count' must be a positive integer")
    return Entry(
        rule=item["rule"],
        path=item["path"],
        function=str(item.get("function", "")),
        fingerprint=item["fingerprint"],
        count=count,
        message=str(item.get("message", "")),
    )


def sites_of(finding: Finding) -> int:
    """How many sites a finding stands for: its own and its related locations."""
    return 1 + len(finding.related)


def apply(
    findings: Sequence[Finding], baseline: Baseline
) -> Tuple[List[Finding], Dict[str, int]]:
    """Drop the findings the baseline accepts: per hash, up to `count` sites.

    A finding stands for its sites (one finding per cause: the lead and its related
    locations), so `count` counts sites: a cause that grew a site since (a second fsync in
    the same loop) no longer fits and is new; one that lost a site still fits.
    `findings` must hold every severity (not only what min-severity shows), so that an
    accepted smell that cooled down to a note is still matched, not reported as stale.
    When a hash has more sites than its count, the hottest findings are accepted and the
    rest (the copies added since) are new; on a tie, the later occurrence is new.
    Returns the kept findings and, per hash, how many sites were matched.
    """
    allowed = baseline.counts()
    groups: Dict[str, List[Tuple[float, int, int]]] = {}
    for index, finding in enumerate(findings):
        if not finding.fingerprint:
            continue
        digest, _, occurrence = finding.fingerprint.rpartition(":")
        if digest in allowed:
            order = int(occurrence) if occurrence.isdigit() else 0
            groups.setdefault(digest, []).append((-finding.score, order, index))
    dropped = set()
    matched: Dict[str, int] = {}
    for digest, members in groups.items():
        members.sort()
        budget = allowed[digest]
        used = 0
        for _, _, index in members:
            sites = sites_of(findings[index])
            if used + sites > budget:
                break
            used += sites
            dropped.add(index)
        matched[digest] = used
    kept = [f for i, f in enumerate(findings) if i not in dropped]
    return kept, matched


def stale_entries(
    baseline: Baseline, matched: Mapping[str, int], in_scope: Callable[[Entry], bool]
) -> List[Entry]:
    """Entries (in the scanned files, for rules that ran) that match fewer findings than their count."""
    used = dict(matched)
    out = []
    for entry in sorted(baseline.entries, key=lambda e: e.sort_key):
        if not in_scope(entry):
            continue
        take = min(entry.count, used.get(entry.fingerprint, 0))
        used[entry.fingerprint] = used.get(entry.fingerprint, 0) - take
        if take < entry.count:
            out.append(entry)
    return out


def pruned(baseline: Baseline, matched: Mapping[str, int], in_scope: Callable[[Entry], bool]) -> List[Entry]:
    """The baseline minus what no longer occurs; never adds an entry or raises a count."""
    used = dict(matched)
    out = []
    for entry in sorted(baseline.entries, key=lambda e: e.sort_key):
        if not in_scope(entry):
            out.append(entry)  # not scanned this time: nothing says it is gone
            continue
        take = min(entry.count, used.get(entry.fingerprint, 0))
        used[entry.fingerprint] = used.get(entry.fingerprint, 0) - take
        if take:
            out.append(Entry(entry.rule, entry.path, entry.function, entry.fingerprint, take, entry.message))
    return out


def entries_from_findings(
    findings: Iterable[Finding], relpath: Callable[[str], str], min_severity: str = "note"
) -> List[Entry]:
    """One entry per fingerprint hash, counting identical findings (parse errors excluded)."""
    floor = SEVERITY_RANK[min_severity]
    by_hash: Dict[str, Entry] = {}
    for f in findings:
        if not f.fingerprint or SEVERITY_RANK[f.severity] < floor:
            continue
        digest = fingerprint_hash(f.fingerprint)
        known = by_hash.get(digest)
        if known is None:
            by_hash[digest] = Entry(f.rule, relpath(f.path), f.function, digest, sites_of(f), f.message)
        else:
            by_hash[digest] = Entry(known.rule, known.path, known.function, digest, known.count + sites_of(f),
                                    known.message)
    return sorted(by_hash.values(), key=lambda e: e.sort_key)


def dumps(entries: Sequence[Entry], version: str) -> str:
    """Sorted, stable, pretty-printed: one key per line so a diff shows what changed."""
    data = {
        "version": BASELINE_VERSION,
        "perflint": version,
        "findings": [e.to_json() for e in sorted(entries, key=lambda e: e.sort_key)],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write(path: Path, entries: Sequence[Entry], version: str) -> None:
    try:
        path.write_text(dumps(entries, version), encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None
