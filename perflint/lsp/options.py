"""The server's `initializationOptions`: what a client may set, checked with a message per mistake."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Tuple

DEFAULT_DEBOUNCE_MS = 150


@dataclass
class Options:
    """`initializationOptions` the client may send (all optional)."""

    debounce: float = DEFAULT_DEBOUNCE_MS / 1000.0  # seconds after the last change
    cache: bool = True  # read and write .perflint_cache/ as `perflint check` does
    jobs: int = 0  # worker processes for the first analysis; 0: one per CPU

    @classmethod
    def from_client(cls, raw: Any) -> Tuple["Options", List[str]]:
        """Options from the client's JSON, and a complaint for each value not understood."""
        options, problems = cls(), []
        if not isinstance(raw, dict):
            return options, ([] if raw is None else ["initializationOptions must be an object"])
        debounce = raw.get("debounceMs")
        if debounce is not None:
            if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and 0 <= debounce <= 10_000:
                options.debounce = debounce / 1000.0
            else:
                problems.append(f"debounceMs must be a number of milliseconds from 0 to 10000, not {debounce!r}")
        cache = raw.get("cache")
        if cache is not None:
            if isinstance(cache, bool):
                options.cache = cache
            else:
                problems.append(f"cache must be true or false, not {cache!r}")
        jobs = raw.get("jobs")
        if jobs is not None:
            if isinstance(jobs, int) and not isinstance(jobs, bool) and jobs >= 0:
                options.jobs = jobs
            else:
                problems.append(f"jobs must be a whole number, 0 for one per CPU, not {jobs!r}")
        unknown = sorted(set(raw) - {"debounceMs", "cache", "jobs"})
        if unknown:
            problems.append(f"unknown initializationOptions: {', '.join(unknown)}")
        return options, problems
