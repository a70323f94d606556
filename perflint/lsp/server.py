"""The language server (pygls): diagnostics on open/change/save, hover, code actions, config reload.

Threading: pygls runs the protocol on an asyncio loop. Everything that touches the warm
project (analysis, linking, scoring) runs on one worker thread, one job at a time, so the
loop keeps answering hovers while a file is analysed, and jobs never interleave. Results
come back to the loop, which alone sends messages.

An edit is published in two stages. First the edited files are analysed and scored against
the program as it stands (exact when the edit left what the call graph reads as it was,
or only moved lines: perflint/lsp/project.py). When it was not, the whole program is then
relinked as a job of its own, and every open document whose diagnostics changed is
published again. A newer edit abandons that relink where it stands (its own analysis
comes first, and relinks again after it), so typing never waits for a whole relink.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from perflint import __version__
from perflint.config import Config
from perflint.docs import rule_docs_url
from perflint.finding import Finding, Result
from perflint.lsp.configuration import CONFIG_NAMES, ConfigProblem, load_workspace_config
from perflint.lsp.convert import SOURCE, diagnostic, path_uri
from perflint.lsp import actions
from perflint.lsp.actions import SHOW_DOCS_COMMAND
from perflint.lsp.options import Options
from perflint.lsp.progress import ClientProgress
from perflint.lsp.project import WarmProject

WATCHED = ("**/*.py", "**/*.pyi") + tuple(f"**/{name}" for name in CONFIG_NAMES)


@dataclass
class Published:
    """What a document shows now: its findings and the diagnostics made of them, in step."""

    version: Optional[int]
    findings: List[Finding] = field(default_factory=list)
    diagnostics: List[types.Diagnostic] = field(default_factory=list)


class Superseded(Exception):
    """A newer edit arrived: the whole relink under way is abandoned (it would be stale)."""


class PerflintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("perflint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.options = Options()
        self.root = Path.cwd()
        self.project: Optional[WarmProject] = None
        self.config: Optional[Config] = None
        self.config_problem: Optional[ConfigProblem] = None
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="perflint-lsp")
        self.lock: Optional[asyncio.Lock] = None
        self.ready: Optional[asyncio.Event] = None
        self.dirty: Dict[str, int] = {}  # uri -> version changed since it was last analysed
        self.timers: Dict[str, asyncio.TimerHandle] = {}
        self.tasks: set = set()
        # Set from the loop when documents or files change; the relink job checks it.
        self.superseded = threading.Event()
        self.published: Dict[str, Published] = {}
        self.explanations: Dict[str, str] = {}
        self.shutting_down = False
        self.progress_token = 0
        self._progress = ""

    # -- messages to the client --------------------------------------------------------
    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def log_threadsafe(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        loop = self._loop()
        if loop is not None:
            loop.call_soon_threadsafe(self.log, message, kind)

    def report_server_error(self, error: Exception, source: Any) -> None:
        # pygls's default pops up a message box; a linter should not interrupt typing.
        self.log(f"perflint: internal error: {type(error).__name__}: {error}", types.MessageType.Error)

    def _loop(self) -> Optional[asyncio.AbstractEventLoop]:
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return getattr(self, "_event_loop", None)

    # -- lifecycle -----------------------------------------------------------------------
    def on_initialize(self, params: types.InitializeParams) -> None:
        self.options, problems = Options.from_client(params.initialization_options)
        for problem in problems:
            self.log(f"perflint: {problem}; using the default", types.MessageType.Warning)
        folder = None
        if params.workspace_folders:
            folder = to_fs_path(params.workspace_folders[0].uri)
        elif params.root_uri:
            folder = to_fs_path(params.root_uri)
        elif params.root_path:
            folder = params.root_path
        if folder:
            self.root = Path(folder).resolve()
            # Display paths, the cache's keys and finalize's relative paths are taken from
            # the working folder: the same as `perflint check` run at the project root.
            os.chdir(self.root)

    async def on_initialized(self) -> None:
        self._event_loop = asyncio.get_running_loop()
        self.lock = asyncio.Lock()
        self.ready = asyncio.Event()
        await self._register_watchers()
        await self._load_project(first=True)

    async def _register_watchers(self) -> None:
        caps = self.client_capabilities.workspace
        watched = caps.did_change_watched_files if caps is not None else None
        if watched is None or not watched.dynamic_registration:
            return  # saves of the config files still reload it
        registration = types.Registration(
            id="perflint-watched-files",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED]
            ),
        )
        try:
            await self.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
        except Exception as exc:  # a client that refuses: config saves still reload
            self.log(f"perflint: file watching not available: {exc}", types.MessageType.Warning)

    # -- the project -------------------------------------------------------------------
    async def _load_project(self, first: bool = False) -> None:
        """Read the config and summarise the project; again when the config changes."""
        assert self.lock is not None and self.ready is not None
        async with self.lock:
            config, problem = load_workspace_config(self.root)
            self._publish_config_problem(problem)
            if config is None:
                if self.config is not None:
                    self.log(f"perflint: config error, keeping the last good config: {problem.message}",
                             types.MessageType.Error)
                    return
                self.log(f"perflint: config error, using the defaults until it is fixed: {problem.message}",
                         types.MessageType.Error)
                config = Config(root=self.root)
            elif not first and config == self.config and self.project is not None:
                return  # a config file was touched, nothing perflint reads changed
            self.config = config
            began = time.perf_counter()
            progress = ClientProgress(self) if await self._create_progress() else None
            try:
                project, count = await self._run(self._build_project, config, progress)
            except Exception as exc:
                self._log_failure("loading the project", exc)
                return
            finally:
                if progress is not None:
                    progress.finish()
                self.ready.set()  # analyses wait for the first load, not for ever
            self.project = project
            self.log(f"perflint: {count} files of {self.root} summarised in {time.perf_counter() - began:.1f}s")
            for uri in self._open_uris():
                self.dirty[uri] = self._version(uri)
        await self._analyse()

    def _build_project(self, config: Config, progress: Optional["ClientProgress"]) -> Tuple[WarmProject, int]:
        from perflint.parallel import default_jobs

        project = WarmProject(self.root, config, use_cache=self.options.cache,
                              jobs=self.options.jobs or default_jobs(), warn=self.log_threadsafe)
        count = project.load(progress)
        # The summaries live as long as the project: out of the collector's sight, so a
        # collection during a relink does not walk the whole project each time.
        gc.collect()
        gc.freeze()
        return project, count

    async def _create_progress(self) -> bool:
        window = self.client_capabilities.window
        if window is None or not window.work_done_progress:
            return False
        self.progress_token += 1
        token = f"perflint-load-{self.progress_token}"
        try:
            await self.work_done_progress.create_async(token)
        except Exception:
            return False
        self._progress = token
        return True

    async def _run(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self.worker, function, *args)

    # -- analysis ------------------------------------------------------------------------
    def schedule(self, uri: str, delay: Optional[float] = None) -> None:
        """Analyse `uri` once no change came for `delay` seconds (the debounce)."""
        self.dirty[uri] = self._version(uri)
        self.superseded.set()
        timer = self.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        wait = self.options.debounce if delay is None else delay

        def fire() -> None:
            self.timers.pop(uri, None)
            self._spawn(self._analyse())

        self.timers[uri] = loop.call_later(wait, fire)

    async def _analyse(self, relink: bool = False) -> None:
        """Analyse every dirty open document, relink, publish what changed.

        `relink`: something besides the buffers changed (a file closed, files changed on
        disk), so relink and republish even when no document is dirty."""
        if self.lock is None or self.ready is None or self.shutting_down:
            return
        await self.ready.wait()
        async with self.lock:
            if (not self.dirty and not relink) or self.project is None:
                return
            dirty, self.dirty = self.dirty, {}
            snapshot = []
            for uri in sorted(dirty):
                document = self._document(uri)
                if document is None:
                    continue
                snapshot.append((uri, document.source, document.version))
            open_docs = {uri: self._version(uri) for uri in self._open_uris()}
            try:
                result, paths, exact = await self._run(self._analysis_job, snapshot, open_docs)
            except Exception as exc:
                self._log_failure("analysing " + ", ".join(_short(uri) for uri in sorted(dirty)), exc)
                return
            self._publish(result, paths, open_docs, always=set(dirty))
        if not exact:
            self._spawn(self._relink_whole())

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self.tasks.discard)

    async def _relink_whole(self) -> None:
        """The second stage: relink the whole program, republish what changed."""
        assert self.lock is not None
        async with self.lock:
            if self.dirty or self.shutting_down or self.project is None:
                return  # a newer edit waits for its analysis, which relinks after it
            self.superseded.clear()
            open_docs = {uri: self._version(uri) for uri in self._open_uris()}
            began = time.perf_counter()
            try:
                result, paths = await self._run(self._relink_job, open_docs)
            except Superseded:
                return
            except Exception as exc:
                self._log_failure("relinking the project", exc)
                return
            self._publish(result, paths, open_docs, always=set())
            self.log(f"perflint: whole program relinked in {time.perf_counter() - began:.2f}s", types.MessageType.Log)

    def _relink_job(self, open_docs) -> Tuple[Result, Dict[str, str]]:
        """Worker thread: the whole relink, abandoned when a newer change arrives."""
        project = self.project
        assert project is not None

        def checkpoint() -> None:
            if self.superseded.is_set():
                raise Superseded()

        project.relink(checkpoint)
        paths = self._open_paths(project, open_docs)
        return project.findings(paths.values()), paths

    def _open_paths(self, project: WarmProject, open_docs) -> Dict[str, str]:
        """uri -> display path of the open documents perflint analyses."""
        paths: Dict[str, str] = {}
        for uri in open_docs:
            file = self._source_file(project, uri)
            if file is not None:
                paths[uri] = file.display
        return paths

    def _analysis_job(self, snapshot, open_docs) -> Tuple[Result, Dict[str, str], bool]:
        """Worker thread: set buffers, update the program, score the open documents; whether
        the program was exact for them (else the whole relink follows)."""
        project = self.project
        assert project is not None
        paths = self._open_paths(project, open_docs)
        for uri, text, _version in snapshot:
            file = self._source_file(project, uri)
            if file is None:
                continue  # excluded by the config, or not a file: nothing to report
            project.set_buffer(file, text)
        exact = project.update()
        return project.findings(paths.values()), paths, exact

    def _source_file(self, project: WarmProject, uri: str):
        path = to_fs_path(uri)
        if not path or not uri.startswith("file:") or not path.endswith((".py", ".pyi")):
            return None
        return project.source_file(Path(path))

    def _publish(self, result: Result, paths: Dict[str, str], open_docs: Dict[str, Optional[int]], always: set) -> None:
        by_path: Dict[str, List[Finding]] = {}
        for finding in result.findings:
            by_path.setdefault(finding.path, []).append(finding)
        self.explanations = dict(result.extra.get("explanations", {}))
        for uri, version in sorted(open_docs.items()):
            findings = by_path.get(paths.get(uri, ""), [])
            document = self._document(uri)
            lines = document.lines if document is not None else []
            diagnostics = [diagnostic(f, self._position_mapper(lines)) for f in findings]
            previous = self.published.get(uri)
            if previous is not None and previous.diagnostics == diagnostics and uri not in always:
                continue
            self.published[uri] = Published(version, findings, diagnostics)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
            )

    def _position_mapper(self, lines: Sequence[str]):
        codec = self.workspace.position_codec

        def position(line: int, column: int) -> types.Position:
            if line >= len(lines):
                return types.Position(line=line, character=column)
            return codec.position_to_client_units(lines, types.Position(line=line, character=column))

        return position

    def _publish_config_problem(self, problem: Optional[ConfigProblem]) -> None:
        old = self.config_problem
        self.config_problem = problem
        if old is not None and (problem is None or old.path != problem.path):
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=path_uri(str(old.path)), diagnostics=[]))
        if problem is None:
            return
        at = types.Position(line=problem.line, character=problem.column)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=path_uri(str(problem.path)),
                diagnostics=[
                    types.Diagnostic(
                        range=types.Range(start=at, end=types.Position(line=problem.line + 1, character=0)),
                        message=f"perflint config: {problem.message}",
                        severity=types.DiagnosticSeverity.Error,
                        source=SOURCE,
                        code="config",
                    )
                ],
            )
        )

    def _log_failure(self, what: str, exc: BaseException) -> None:
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.log(f"perflint: internal error while {what} (please report; the server goes on): "
                 f"{type(exc).__name__}: {exc}\n{detail}", types.MessageType.Error)

    # -- documents -----------------------------------------------------------------------
    def _document(self, uri: str):
        if uri not in self.workspace.text_documents:
            return None
        return self.workspace.get_text_document(uri)

    def _version(self, uri: str) -> Optional[int]:
        document = self._document(uri)
        return document.version if document is not None else None

    def _open_uris(self) -> List[str]:
        return sorted(uri for uri in self.workspace.text_documents if _is_python(uri))

    async def closed(self, uri: str) -> None:
        self.superseded.set()
        timer = self.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self.dirty.pop(uri, None)
        if self.published.pop(uri, None) is not None:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        path = to_fs_path(uri)
        if self.ready is None or self.lock is None or not path:
            return
        await self.ready.wait()
        project = self.project
        if project is None:
            return
        async with self.lock:

            def back_to_disk() -> None:
                # The file on disk counts again, as saved (or as it was, if the edits were
                # dropped): through the cache, so an unchanged file costs a stat.
                project.close_buffer(_display(path))
                project.refresh([Path(path)])

            try:
                await self._run(back_to_disk)
            except Exception as exc:
                self._log_failure(f"re-reading {_short(uri)}", exc)
                return
        await self._analyse(relink=True)  # the other open documents may change

    async def files_changed(self, changes: Sequence[types.FileEvent]) -> None:
        """Files changed on disk (a checkout, a formatter, another editor)."""
        config_changed = any(Path(to_fs_path(c.uri) or "").name in CONFIG_NAMES for c in changes)
        if config_changed:
            await self._load_project()
            return
        paths = [Path(p) for p in (to_fs_path(c.uri) for c in changes) if p and p.endswith((".py", ".pyi"))]
        if not paths or self.ready is None or self.lock is None:
            return
        self.superseded.set()
        await self.ready.wait()
        project = self.project
        if project is None:
            return
        async with self.lock:
            try:
                await self._run(project.refresh, paths)
            except Exception as exc:
                self._log_failure("re-reading changed files", exc)
                return
        await self._analyse(relink=True)

    # -- hover and code actions (perflint/lsp/actions.py) --------------------------------
    def findings_at(self, uri: str, line: int, character: Optional[int] = None) -> List[Tuple[Finding, types.Diagnostic]]:
        return actions.findings_at(self, uri, line, character)

    def hover(self, params: types.HoverParams) -> Optional[types.Hover]:
        return actions.hover(self, params)

    def code_actions(self, params: types.CodeActionParams) -> Optional[List[types.CodeAction]]:
        return actions.code_actions(self, params)

    async def show_rule_docs(self, code: Any) -> None:
        if not isinstance(code, str) or not code.upper().startswith("PFL"):
            self.log(f"perflint: {SHOW_DOCS_COMMAND} needs a rule code, got {code!r}", types.MessageType.Warning)
            return
        url = rule_docs_url(code.upper())
        window = self.client_capabilities.window
        if window is not None and window.show_document is not None and window.show_document.support:
            await self.window_show_document_async(types.ShowDocumentParams(uri=url, external=True))
        else:
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=f"{code}: {url}"))


def _is_python(uri: str) -> bool:
    return uri.startswith("file:") and uri.endswith((".py", ".pyi"))


def _display(path: str) -> str:
    from perflint.discovery import display_path

    return display_path(Path(os.path.abspath(path)))


def _short(uri: str) -> str:
    path = to_fs_path(uri)
    return _display(path) if path else uri


def build_server() -> PerflintServer:
    """The server with its features registered (a function: tests and `serve` build their own)."""
    server = PerflintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: PerflintServer, params: types.InitializeParams) -> None:
        ls.on_initialize(params)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: PerflintServer, params: types.InitializedParams) -> None:
        await ls.on_initialized()

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: PerflintServer, params: None) -> None:
        ls.shutting_down = True
        ls.superseded.set()  # a relink under way stops: the process can exit without waiting for it
        for timer in ls.timers.values():
            timer.cancel()
        ls.timers.clear()

    @server.feature(types.EXIT)
    def exit_(ls: PerflintServer, params: None) -> None:
        ls.worker.shutdown(wait=False, cancel_futures=True)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PerflintServer, params: types.DidOpenTextDocumentParams) -> None:
        if _is_python(params.text_document.uri):
            ls.schedule(params.text_document.uri, delay=0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PerflintServer, params: types.DidChangeTextDocumentParams) -> None:
        if _is_python(params.text_document.uri):
            ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    async def did_save(ls: PerflintServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = to_fs_path(uri) or ""
        if Path(path).name in CONFIG_NAMES:
            await ls._load_project()
        elif _is_python(uri) and uri in ls.timers:
            ls.schedule(uri, delay=0.0)  # a change still waiting for its debounce: now

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: PerflintServer, params: types.DidCloseTextDocumentParams) -> None:
        if _is_python(params.text_document.uri):
            await ls.closed(params.text_document.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: PerflintServer, params: types.DidChangeWatchedFilesParams) -> None:
        await ls.files_changed(params.changes)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: PerflintServer, params: types.HoverParams) -> Optional[types.Hover]:
        return ls.hover(params)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(ls: PerflintServer, params: types.CodeActionParams) -> Optional[List[types.CodeAction]]:
        return ls.code_actions(params)

    @server.command(SHOW_DOCS_COMMAND)
    async def show_rule_docs(ls: PerflintServer, *args: Any) -> None:
        await ls.show_rule_docs(args[0] if args else None)

    return server


def serve() -> int:
    """Speak LSP on stdin/stdout until the client says exit; the process exit code."""
    stdout = sys.stdout.buffer
    # Only the protocol may write to stdout: a stray print would corrupt the stream.
    sys.stdout = sys.stderr
    server = build_server()
    server.start_io(sys.stdin.buffer, stdout)
    return 0 if server.protocol._shutdown else 1
