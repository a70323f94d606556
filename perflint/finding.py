"""The finding model: frozen records that flow one way from rules to reporters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, NamedTuple, Optional, Tuple

from perflint.units import format_time

SEVERITIES = ("note", "warning", "error")
# JSON schema 2: `score` is estimated seconds per unit of work (schema 1: a unitless number),
# with `cost`, `frequency`, `related` and `measured` beside it.
JSON_SCHEMA = 2


def seconds(value: float) -> float:
    """Six significant digits: times from 1e-9 s up, stable across platforms' float printing."""
    return float(f"{value:.6g}")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
CONFIDENCES = ("low", "medium", "high")



class Loop(NamedTuple):
    """A loop around a site: what it is, where, and how many times it is estimated to run.

    `trips` None: nothing bounds it (the config's `loop-trips` applies). `why` says where a
    known estimate comes from ("range(8)", "a literal of 5 items", "a retry loop")."""

    kind: str
    line: int
    trips: Optional[float] = None
    why: str = ""
    # Whether it iterates data (rows, items, requests: it can grow) rather than a fixed
    # handful (a literal of 3, retries, a model's fields). Only a data loop is evidence that a
    # site repeats per item; a fixed loop multiplies the count but proves nothing.
    data: bool = True
    # Bytes of the data one trip consumes when the loop walks a buffer or reads a stream to its
    # end (perflint/datawalk.py), 0 otherwise: its trips are then `data-bytes` / walks, not
    # `loop-trips` (`trips` stays None; `why` says what it walks).
    walks: float = 0.0
    # `for s in self.sheets:` with nothing bounding it here: the attribute, which phase 2 may
    # size from every class that defines it as a literal (callgraph.Program._size_loops)
    attr: str = ""


@dataclass(frozen=True)
class TraceHop:
    """One step of the chain that makes a site hot: where, in which function, and why."""

    path: str
    line: int
    function: str
    note: str

    def to_json(self) -> Dict[str, Any]:
        return {"path": self.path, "line": self.line, "function": self.function, "note": self.note}


@dataclass(frozen=True)
class Location:
    """Another place that belongs to the same finding (one finding per cause)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    note: str = ""

    def to_json(self) -> Dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column,
                "end_line": self.end_line, "end_column": self.end_column, "note": self.note}


@dataclass(frozen=True)
class Measured:
    """What a profile says about the function a finding sits in (docs/profiles.md).

    `ran` False: the profile covered the module but never ran this function.
    `sampled` True: the profile samples stacks (pyinstrument, py-spy), so it has times but
    no call counts, and "never ran" means "never sampled"."""

    ran: bool
    calls: int = 0  # primitive calls (recursion counted once per outer call); 0 when sampled
    cumulative: float = 0.0  # seconds, including callees
    own: float = 0.0  # seconds, excluding callees
    share: float = 0.0  # cumulative / the profile's total time, 0..1
    profile: str = ""  # which profile file(s) said so
    sampled: bool = False

    def to_json(self) -> Dict[str, Any]:
        return {"ran": self.ran, "calls": None if self.sampled else self.calls,
                "cumulative": round(self.cumulative, 6), "own": round(self.own, 6),
                "share": round(self.share, 4), "profile": self.profile, "sampled": self.sampled}

    def describe(self) -> str:
        """"measured: 48,000 calls, 3.1 s cumulative (78% of the profile)"."""
        if not self.ran:
            return "not sampled in the profile" if self.sampled else "not run in the profile"
        share = "<1%" if 0 < self.share < 0.005 else f"{self.share:.0%}"
        calls = "" if self.sampled else f"{self.calls:,} call{'s' if self.calls != 1 else ''}, "
        sampled = "; sampled, no call counts" if self.sampled else ""
        return f"measured: {calls}{format_time(self.cumulative)} cumulative ({share} of the profile{sampled})"


@dataclass(frozen=True)
class Candidate:
    """Local evidence found in phase 1, before heat and scoring (picklable, no tree)."""

    rule: str
    line: int
    column: int
    end_line: int
    end_column: int
    function: str  # qualname inside the module, "<module>" at module level
    loops: Tuple[Loop, ...]
    message: str
    fix: str
    confidence: str
    snippet: str  # normalised flagged code, for fingerprints
    # Conditions checked in phase 2, e.g. ("repeated",), ("fn:commit", "callee:rebuild").
    requires: Tuple[str, ...] = ()
    target: Optional[str] = None  # symbolic call target when `requires` names the callee
    cost_key: str = ""  # the cost table's key (perflint/costs.py); "" = the rule's COST
    size: Optional[float] = None  # the size term, when the cost grows with data and it is known
    cold: str = ""  # why the site runs rarely whatever calls it ("an except handler", "a cache miss")
    per_item: str = ""  # why the rule knows its function runs per item ("a single-item write method")
    # An accumulator's growth (perflint/datawalk.growth_size): (index of the first loop it grows
    # in, bytes a step adds that the code shows, pieces of unknown size, bytes of a stream read
    # when the piece is one, else 0). The size term is then what it holds on average, from the
    # trips of those loops, worked out in phase 2.
    growth: Optional[Tuple[int, float, int, float]] = None
    # What a caller must pass for the site to run: optional parameters it sits under
    # (`if p:`), `isa:p:T` under `if isinstance(p, T):` (perflint/guards.py).
    guards: Tuple[str, ...] = ()
    # The `if` branches the site sits in within its function: (the `if`'s ordinal in the file,
    # 0 body / 1 else or elif). Sites of one cause in different branches of one `if` do not
    # both run in one pass: their time is the costlier branch's, not the sum.
    branches: Tuple[Tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Finding:
    """A scored finding, as every reporter sees it."""

    rule: str
    name: str
    family: str
    severity: str
    score: float
    confidence: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    function: str
    message: str
    fix: str
    trace: Tuple[TraceHop, ...] = ()
    weight: float = 0.0
    heat: float = 1.0
    fingerprint: str = ""
    context: str = ""  # "in a for loop in Session.executemany"
    # The time model (DESIGN §6): `score` is estimated seconds wasted per unit of work,
    # = cost (seconds per execution) x frequency (executions per unit of work) x confidence.
    cost: float = 0.0
    frequency: float = 1.0
    related: Tuple[Location, ...] = ()  # further sites of the same cause
    measured: Optional[Measured] = None  # from --profile, where a profile covers the code

    @property
    def sort_key(self) -> Tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.rule)

    def to_json(self) -> Dict[str, Any]:
        """The DESIGN §5 shape, keys in a fixed order."""
        return {
            "rule": self.rule,
            "name": self.name,
            "family": self.family,
            "severity": self.severity,
            "score": seconds(self.score),
            "confidence": self.confidence,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "function": self.function,
            "message": self.message,
            "fix": self.fix,
            "trace": [hop.to_json() for hop in self.trace],
            "cost": seconds(self.cost),
            "frequency": seconds(self.frequency),
            "related": [loc.to_json() for loc in self.related],
            "measured": self.measured.to_json() if self.measured is not None else None,
        }


@dataclass(frozen=True)
class FileError:
    """A file perflint could not analyse (parse error, bad encoding, unreadable)."""

    path: str
    message: str
    line: int = 1
    column: int = 1

    def to_json(self) -> Dict[str, Any]:
        return {"path": self.path, "message": self.message}


@dataclass(frozen=True)
class RuleInfo:
    """Rule metadata that reporters need (SARIF rules, explain), no rule code."""

    code: str
    name: str
    family: str
    summary: str
    docs: str
    fix: str
    default_severity: str


@dataclass(frozen=True)
class Result:
    """Everything a reporter renders; reporters are pure functions of this."""

    version: str
    findings: Tuple[Finding, ...]
    errors: Tuple[FileError, ...]
    files: int
    rules: Tuple[RuleInfo, ...] = ()
    total_score: float = 0.0
    failed: bool = False
    fail_reasons: Tuple[str, ...] = ()
    extra: Dict[str, Any] = field(default_factory=dict)

    def counts(self) -> Dict[str, int]:
        counts = {"error": 0, "warning": 0, "note": 0}
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def to_json(self) -> Dict[str, Any]:
        out = {
            "version": self.version,
            "schema": JSON_SCHEMA,
            "findings": [f.to_json() for f in self.findings],
            "errors": [e.to_json() for e in self.errors],
            "summary": {
                "files": self.files,
                "findings": self.counts(),
                "score": seconds(self.total_score),
            },
        }
        # With --profile: how each profile matched the scan; with --unexplained: the time no finding explains.
        for key in ("profiles", "unexplained"):
            if key in self.extra:
                out[key] = self.extra[key]
        return out
