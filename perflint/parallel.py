"""Phase 1 for a whole run: cache lookups, then the misses in a process pool (or in-process).

Workers build their rules once (the pool initializer), receive only a file (and its bytes
when the parent already read them to hash them) and send back a picklable ModuleSummary.
Results are put back in discovery order, so the output does not depend on `jobs`.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Protocol, Sequence, Tuple

from perflint.analyze import Analyzer
from perflint.discovery import SourceFile
from perflint.finding import FileError
from perflint.summary import ModuleSummary

WORKER_GC_THRESHOLD = 200_000  # young objects between collections in a worker (the parent: 50,000)

# Below these a pool costs more than it saves (starting workers takes ~0.1-0.3 s).
MIN_FILES_FOR_POOL = 20
MIN_BYTES_FOR_POOL = 160 * 1024
PROGRESS_MIN_FILES = 100


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, n: int = 1) -> None: ...
    def stop(self) -> None: ...


@dataclass
class PhaseOneStats:
    files: int = 0
    hits: int = 0
    misses: int = 0
    workers: int = 1
    cache: str = "off"  # off | on | disabled
    hash_seconds: float = 0.0
    counts: Dict[str, int] = field(default_factory=dict)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# -- the worker side ------------------------------------------------------------------------
_WORKER_ANALYZER: Optional[Analyzer] = None


def _init_worker(config, select, ignore) -> None:  # pragma: no cover - runs in the workers
    global _WORKER_ANALYZER
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    from perflint.registry import select_rules

    _WORKER_ANALYZER = Analyzer(select_rules(config, select, ignore))
    _quiet_gc()
    # A worker keeps nothing between files, and a finished file leaves little cyclic garbage
    # (FileContext.finish): the young collections mostly walk the tree being parsed. Fewer of
    # them (Twisted in one process: 4 collections and 0.4 s instead of 34 and 0.8 s).
    gc.set_threshold(WORKER_GC_THRESHOLD, 20, 20)


def _quiet_gc() -> Tuple[int, int, int]:
    """Everything alive now (modules, rules) outlives phase 1: keep it out of the cyclic
    collector's generations, and collect young objects less often (a parse allocates
    hundreds of thousands of nodes that reference counting frees): about 5% of phase 1."""
    old = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    return old  # type: ignore[return-value]


def _work(chunk: List[Tuple[int, SourceFile, Optional[bytes]]]) -> List[Tuple[int, ModuleSummary]]:  # pragma: no cover
    analyzer = _WORKER_ANALYZER
    assert analyzer is not None
    out = []
    for index, file, data in chunk:
        summary = analyzer.analyze(file) if data is None else analyzer.analyze_bytes(file, data)
        out.append((index, summary))
    return out


def _start_method() -> Optional[str]:
    # fork: workers inherit the imported libcst and rules, ~10x faster to start than spawn.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return None


# -- the parent side ------------------------------------------------------------------------
def run_phase_one(
    files: Sequence[SourceFile],
    analyzer: Analyzer,
    *,
    config,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    jobs: int = 1,
    cache=None,
    progress: Optional[Progress] = None,
    start_method: Optional[str] = None,
    delivered: Optional[Callable[[ModuleSummary], None]] = None,
) -> Tuple[List[ModuleSummary], PhaseOneStats]:
    """Summaries for `files`, in the same order, from the cache or analysed.

    `start_method`: how pool workers start; None picks fork where it exists. A process
    with threads of its own (the language server) passes "forkserver": a fork copies
    locks other threads hold, and the workers hang on them.

    `delivered` is called with each summary as it becomes available, in no set order (the
    scan indexes it for phase 2 then: callgraph.Prelinked); the parent is mostly idle while
    the pool's workers parse."""
    stats = PhaseOneStats(files=len(files), cache="on" if cache is not None else "off")
    results: List[Optional[ModuleSummary]] = [None] * len(files)
    # (index, file, bytes or None, size, stat, sha, recorded_ns)
    todo: List[Tuple[int, SourceFile, Optional[bytes], int, object, Optional[str], int]] = []
    t0 = time.perf_counter()
    if cache is None:
        for index, file in enumerate(files):
            try:
                size = file.path.stat().st_size
            except OSError:
                size = 0
            todo.append((index, file, None, size, None, None, 0))
    else:
        from perflint.cache import content_hash, file_stat

        for index, file in enumerate(files):
            try:
                st = file_stat(os.stat(file.path))
            except OSError:
                st = None
            sha = cache.known_hash(file.path, st) if st is not None else None
            data: Optional[bytes] = None
            recorded = 0
            if sha is None:
                recorded = time.time_ns()
                try:
                    data = file.path.read_bytes()
                except OSError:
                    todo.append((index, file, None, 0, None, None, 0))  # analyze() reports it
                    continue
                sha = content_hash(data)
                cache.record_stat(file.path, st, sha, recorded)
            hit = cache.get(sha, file)
            if hit is not None:
                results[index] = hit
                stats.hits += 1
                if delivered is not None:
                    delivered(hit)
                continue
            if data is None:
                recorded = time.time_ns()
                try:
                    data = file.path.read_bytes()
                except OSError:
                    todo.append((index, file, None, 0, None, None, 0))
                    continue
                new_sha = content_hash(data)
                if new_sha != sha:  # changed between the stat and the read
                    sha = new_sha
                    st = None
            todo.append((index, file, data, len(data), st, sha, recorded))
        if cache.disabled:
            stats.cache = "disabled"
    stats.hash_seconds = time.perf_counter() - t0
    stats.misses = len(todo)

    total_bytes = sum(item[3] for item in todo)
    use_pool = jobs > 1 and len(todo) >= MIN_FILES_FOR_POOL and total_bytes >= MIN_BYTES_FOR_POOL
    show = progress if progress is not None and len(todo) >= PROGRESS_MIN_FILES else None
    analysed: Dict[int, ModuleSummary] = {}
    if use_pool:
        stats.workers = min(jobs, len(todo))
        pooled = _run_pool(todo, stats.workers, config, select, ignore, show, start_method, delivered)
        if pooled is None:
            stats.workers = 1
        else:
            analysed = pooled
    if not analysed and todo:
        if show is not None:
            show.start(len(todo))
        thresholds = _quiet_gc() if len(todo) >= MIN_FILES_FOR_POOL else None
        try:
            for item in todo:
                index, file, data = item[0], item[1], item[2]
                analysed[index] = analyzer.analyze(file) if data is None else analyzer.analyze_bytes(file, data)
                if delivered is not None:
                    delivered(analysed[index])
                if show is not None:
                    show.advance(1)
        finally:
            if thresholds is not None:
                gc.set_threshold(*thresholds)
                gc.unfreeze()
            if show is not None:
                show.stop()
    for index, file, data, size, st, sha, recorded in todo:
        summary = analysed[index]
        results[index] = summary
        if cache is not None and sha is not None:
            cache.put(file.path, st, sha, recorded, file, summary)  # type: ignore[arg-type]
    if cache is not None:
        cache.flush()
        if cache.disabled:
            stats.cache = "disabled"
    return [r for r in results if r is not None], stats


def _chunks(todo, workers: int) -> List[List[Tuple[int, SourceFile, Optional[bytes]]]]:
    """Largest files first, grouped into chunks of about equal bytes: the big files start
    early and the small ones fill the gaps at the end (load balance), and a chunk costs one
    round trip instead of one per file."""
    ordered = sorted(todo, key=lambda item: (-item[3], item[0]))
    total = sum(item[3] for item in ordered) or 1
    budget = max(total // (workers * 24), 16 * 1024)
    chunks: List[List[Tuple[int, SourceFile, Optional[bytes]]]] = []
    current: List[Tuple[int, SourceFile, Optional[bytes]]] = []
    size = 0
    for item in ordered:
        current.append((item[0], item[1], item[2]))
        size += item[3]
        if size >= budget or len(current) >= 64:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks


def _run_pool(todo, workers, config, select, ignore, show, start_method=None,
              delivered=None) -> Optional[Dict[int, ModuleSummary]]:
    method = start_method or _start_method()
    context = multiprocessing.get_context(method) if method else None
    try:
        executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(config, select, ignore)
        )
    except (OSError, ValueError, NotImplementedError):
        return None  # no processes here (sandbox, missing /dev/shm): run in-process
    chunks = _chunks(todo, workers)
    analysed: Dict[int, ModuleSummary] = {}
    futures = {}
    # The summaries arriving here live until the run ends, and hold no reference cycles:
    # the cyclic collector walked all that had arrived a dozen times (3 s of a 31 s run on
    # Twisted). Each chunk is frozen as it arrives (gc.freeze is O(1)); all is unfrozen at
    # the end, so that nothing frozen here outlives the run uncollectable.
    thresholds = _quiet_gc()
    try:
        try:
            for chunk in chunks:
                futures[executor.submit(_work, chunk)] = chunk
        except (OSError, BrokenProcessPool):
            executor.shutdown(wait=False, cancel_futures=True)
            return None
        if show is not None:
            show.start(len(todo))  # after the workers were forked: rich's refresh thread is not
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    for index, summary in future.result():
                        analysed[index] = summary
                        if delivered is not None:
                            delivered(summary)
                except BrokenProcessPool:
                    # A worker died (killed, out of memory, a crash in the native parser):
                    # name the files it had instead of hanging or crashing the run.
                    for index, file, _ in futures[future]:
                        summary = ModuleSummary(path=file.display, module=file.module,
                                                is_package=file.is_package, is_test=file.is_test)
                        summary.error = FileError(file.display, "internal error: the analysis worker process died on this file or one analysed with it")
                        analysed[index] = summary
                gc.freeze()
                if show is not None:
                    show.advance(len(futures[future]))
    except BaseException:
        # Ctrl-C (workers ignore SIGINT) or an error here: stop the workers now.
        for process in list(getattr(executor, "_processes", {}).values()):
            process.terminate()
        raise
    finally:
        if show is not None:
            show.stop()
        executor.shutdown(wait=True, cancel_futures=True)
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    return analysed


class RichProgress:
    """A transient progress bar on stderr (the CLI uses it only on a terminal, not in CI)."""

    def __init__(self) -> None:
        self._progress = None
        self._task = None

    @staticmethod
    def wanted() -> bool:
        if os.environ.get("CI") or os.environ.get("PERFLINT_NO_PROGRESS"):
            return False
        try:
            return sys.stderr.isatty()
        except (AttributeError, ValueError):
            return False

    def start(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("perflint: analysing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("files", total=total)

    def advance(self, n: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
