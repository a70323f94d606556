"""The project kept warm for the server: every file's summary, open buffers over them, the program linked over both.

Files on disk come from the result cache (or a first analysis that fills it), as in
`perflint check`. An open buffer is analysed from its text as it stands, never read from
disk; its summary replaces the file's own for linking, so a loop typed in one file heats a
function in another. A buffer that does not parse reports its syntax error, and the last
summary of it that parsed stays in the call graph, so the other files do not flicker
while a line is half typed. Not thread-safe: the server calls it from one worker thread.

Linking is whole-program (engine.link) and takes seconds on a large project, so an edit
comes in two steps: `update` keeps the program when the edit left what it reads as it was
or only moved lines (exact, no link), and otherwise leaves the previous program to score
against for a moment; `relink` then links the whole program again, abandonably.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence

from perflint.analyze import Analyzer
from perflint.cache import default_cache_dir, open_cache
from perflint.callgraph import Program
from perflint.config import Config
from perflint.discovery import SourceFile, discover, display_path, is_test_path, module_name
from perflint.engine import finalize, link
from perflint.finding import Result
from perflint.lsp.lineshift import carry_lines, moved_lines_only, same_for_linking
from perflint.parallel import Progress, run_phase_one
from perflint.registry import select_rules
from perflint.summary import ModuleSummary


# The server has threads (the protocol loop, this worker): workers must not be forked from it.
_POOL_START = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


class WarmProject:
    """Summaries of the project's files and of the open buffers, the call graph over them."""

    def __init__(
        self,
        root: Path,
        config: Config,
        *,
        use_cache: bool = True,
        jobs: int = 1,
        warn: Optional[Callable[[str], None]] = None,
    ) -> None:
        self.root = root
        self.config = config
        self.jobs = jobs
        self.warn = warn or (lambda message: None)
        self.rules = select_rules(config)
        self.analyzer = Analyzer(self.rules)
        self.cache_dir: Optional[Path] = default_cache_dir(config.root) if use_cache else None
        self.baseline = self._load_baseline()
        self.files: Dict[str, SourceFile] = {}  # display path -> the project's files on disk
        self.disk: Dict[str, ModuleSummary] = {}  # display path -> summary of the file on disk
        self.buffers: Dict[str, ModuleSummary] = {}  # open documents, as last analysed
        self.parsed: Dict[str, ModuleSummary] = {}  # open documents: their last summary that parsed
        self.program: Optional[Program] = None
        self._linked: Dict[str, ModuleSummary] = {}  # display path -> the summary in self.program

    # -- the files on disk -------------------------------------------------------------
    def load(self, progress: Optional[Progress] = None) -> int:
        """Discover and summarise the project (cache hits, the rest analysed); the file count."""
        files = discover(
            [self.root],
            root=self.config.root,
            exclude=self.config.exclude,
            test_patterns=self.config.test_patterns,
            respect_gitignore=self.config.respect_gitignore,
        )
        summaries = self._phase_one(files, progress)
        self.files = {f.display: f for f in files}
        self.disk = {s.path: s for s in summaries}
        return len(files)

    def refresh(self, paths: Iterable[Path]) -> List[str]:
        """Re-read files changed on disk (created, edited, deleted); their display paths."""
        touched: List[str] = []
        present: List[SourceFile] = []
        for path in sorted(set(paths)):
            display = display_path(path)
            touched.append(display)
            if not path.is_file():
                self.files.pop(display, None)
                self.disk.pop(display, None)
                continue
            file = self.source_file(path)
            if file is None:  # excluded by the config
                self.files.pop(display, None)
                self.disk.pop(display, None)
                continue
            present.append(file)
        for summary, file in zip(self._phase_one(present), present):
            self.files[file.display] = file
            self.disk[file.display] = summary
        return touched

    def _phase_one(self, files: Sequence[SourceFile], progress: Optional[Progress] = None) -> List[ModuleSummary]:
        if not files:
            return []
        cache = open_cache(self.cache_dir, self.rules, warn=self.warn) if self.cache_dir is not None else None
        try:
            summaries, _ = run_phase_one(
                files, self.analyzer, config=self.config, jobs=self.jobs, cache=cache, progress=progress,
                start_method=_POOL_START,
            )
        finally:
            if cache is not None:
                cache.close()
        return summaries

    def source_file(self, path: Path) -> Optional[SourceFile]:
        """The file at `path` as the project sees it; None where the config excludes it."""
        known = self.files.get(display_path(path))
        if known is not None:
            return known
        if path.exists():
            # Discovery applies `exclude` to a file named on its own, as `check FILE` does.
            found = discover(
                [path],
                root=self.config.root,
                exclude=self.config.exclude,
                test_patterns=self.config.test_patterns,
                respect_gitignore=self.config.respect_gitignore,
            )
            return found[0] if found else None
        # A new file, not saved yet: named as discovery would name it.
        module, is_package = module_name(path)
        display = display_path(path)
        try:
            rel = path.relative_to(self.config.root).as_posix()
        except ValueError:
            rel = display
        return SourceFile(path, display, module, is_package, is_test_path(rel, self.config.test_patterns))

    # -- open buffers --------------------------------------------------------------------
    def set_buffer(self, file: SourceFile, text: str) -> ModuleSummary:
        """Analyse an open document's text as it stands (unsaved edits included)."""
        summary = self.analyzer.analyze_text(file, text)
        self.buffers[file.display] = summary
        if summary.error is None:
            self.parsed[file.display] = summary
        return summary

    def close_buffer(self, display: str) -> None:
        """The document was closed: the file on disk counts again."""
        self.buffers.pop(display, None)
        self.parsed.pop(display, None)

    # -- phase 2 and findings ----------------------------------------------------------
    def update(self) -> bool:
        """Bring the program up to date without relinking where that is exact; whether it is.

        Typing inside a line usually leaves everything the call graph reads as it was, and a
        new line only moves lines (perflint/lsp/lineshift.py): the program stands, with the
        lines carried over. Any other change (a call, a definition, a binding, a file opened
        that is not on disk) leaves the previous program in place, not exact for the edited
        files: `relink` gives the exact one. With no program yet, this links the whole one."""
        merged = self._merged()
        if self.program is None:
            self._link_whole(merged)
            return True
        return self._carry(merged)

    def relink(self, checkpoint: Optional[Callable[[], None]] = None) -> Program:
        """The exact call graph and heat over the disk summaries with the open buffers laid over
        them: the program as it stands when only lines moved, else the whole program linked
        again. `checkpoint` is called while linking and may raise to abandon it (the program
        stays as it was)."""
        merged = self._merged()
        if self.program is not None and self._carry(merged):
            return self.program
        return self._link_whole(merged, checkpoint)

    def _merged(self) -> Dict[str, ModuleSummary]:
        merged = dict(self.disk)
        merged.update(self.parsed)
        return merged

    def _link_whole(self, merged: Dict[str, ModuleSummary], checkpoint: Optional[Callable[[], None]] = None) -> Program:
        program = link([merged[path] for path in sorted(merged)], self.config, checkpoint=checkpoint)
        self.program, self._linked = program, merged
        return program

    def _carry(self, merged: Dict[str, ModuleSummary]) -> bool:
        """Carry edits that moved only lines into the program; whether it is exact for `merged`."""
        assert self.program is not None
        if merged.keys() != self._linked.keys():
            return False
        exact = True
        for path, summary in merged.items():
            linked = self._linked[path]
            if summary is linked or same_for_linking(summary, linked):
                continue
            if moved_lines_only(summary, linked):
                # `linked` stays the program's summary of this file, now with these lines
                # (when it was the file on disk, closing the buffer re-reads the file).
                carry_lines(self.program, summary, linked)
            else:
                exact = False
        return exact

    def findings(self, displays: Iterable[str]) -> Result:
        """Scored findings of these files (open buffers as typed), as `check` reports them."""
        program = self.program if self.program is not None else self.relink()  # may be provisional: update()
        reported = []
        for display in sorted(set(displays)):
            summary = self.buffers.get(display) or self.disk.get(display)
            if summary is not None:
                reported.append(summary)
        return finalize(reported, program, self.config, self.rules, baseline=self.baseline)

    def _load_baseline(self):
        if not self.config.baseline:
            return None
        from perflint.baseline import BaselineError, load

        try:
            return load(self.config.root / self.config.baseline)
        except BaselineError as exc:
            self.warn(f"baseline not used: {exc}")
            return None
