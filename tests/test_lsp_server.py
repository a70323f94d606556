"""`perflint server` end to end: the real server process over stdio, driven by pytest-lsp."""

from __future__ import annotations

import ast
import asyncio
import sys
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp", reason="pytest-lsp needs Python 3.10+")
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

from conftest import round_costs_text, run_cli, write  # noqa: E402

HERE = Path(__file__).resolve().parent
SERVER = [sys.executable, "-m", "perflint", "server"]
# A server with one failure injected into linking (see the script): the server must log it
# and go on serving.
FAULTY_SERVER = [sys.executable, str(HERE / "lsp_faulty_server.py")]

STORAGE = """\
import os


def append_record(fd, data):
    os.write(fd, data)
    os.fsync(fd)
"""
IMPORTER = """\
from app.storage import append_record


def import_rows(fd, rows):
    for row in rows:
        append_record(fd, row)
"""
IMPORTER_NO_LOOP = """\
from app.storage import append_record


def import_rows(fd, rows):
    append_record(fd, rows)
"""
PROJECT = {
    # round costs (tests/conftest.py): fsync over fdatasync 20 us, so PFL401 per row is a
    # warning here, as it would be on a disk where fdatasync saves something
    "pyproject.toml": "[tool.perflint]\ncosts = \"costs.toml\"\n",
    "costs.toml": round_costs_text(),
    "app/__init__.py": "",
    "app/storage.py": STORAGE,
    "app/importer.py": IMPORTER,
}
TIMEOUT = 30.0


def uri(path: Path) -> str:
    return path.resolve().as_uri()


async def initialize(client: LanguageClient, root: Path, **options) -> types.InitializeResult:
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
            root_uri=uri(root),
            workspace_folders=[types.WorkspaceFolder(uri=uri(root), name="project")],
            initialization_options={"debounceMs": 50, **options},
        )
    )


def open_doc(client: LanguageClient, path: Path, text: str = None, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri(path), language_id="python", version=version,
                text=path.read_text(encoding="utf-8") if text is None else text,
            )
        )
    )


def replace_all(client: LanguageClient, path: Path, text: str, version: int) -> None:
    """An edit as an editor sends it: one incremental change over the whole old text."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(line=0, character=0),
                                      end=types.Position(line=10_000, character=0)),
                    text=text,
                )
            ],
        )
    )


async def until(predicate, what: str, timeout: float = TIMEOUT):
    """Poll until `predicate()` is truthy (notifications arrive asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last seen: {value!r}")
        await asyncio.sleep(0.02)


def codes(client: LanguageClient, path: Path):
    diagnostics = client.diagnostics.get(uri(path))
    return None if diagnostics is None else sorted((d.code, d.range.start.line) for d in diagnostics)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write(tmp_path / "proj", PROJECT)


def make_client() -> LanguageClient:
    """pytest-lsp's client, plus what VS Code does with client/registerCapability: accept it."""
    client = pytest_lsp.make_test_lsp_client()
    client.registrations = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)

    return client


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def client(lsp_client: LanguageClient):
    yield
    await _end(lsp_client)


async def _end(client: LanguageClient) -> None:
    """Each test ends its session itself (shutdown and exit are tested); after a failure,
    end it here so the next test does not wait on a live server."""
    server = client._server
    if server is None or server.returncode is not None:
        return
    try:
        await asyncio.wait_for(client.shutdown_session(), 10)
    except Exception:
        pass
    if server.returncode is None:
        server.kill()
        await server.wait()


@pytest.mark.asyncio
async def test_diagnostics_point_into_the_calling_file(client: LanguageClient, project: Path):
    result = await initialize(client, project)
    assert result.server_info.name == "perflint"
    await until(lambda: client.registrations, "the file watchers")
    [watch] = client.registrations
    assert watch.method == "workspace/didChangeWatchedFiles"
    assert [w["globPattern"] for w in watch.register_options["watchers"]] == [
        "**/*.py", "**/*.pyi", "**/pyproject.toml", "**/perflint.toml"]
    storage = project / "app" / "storage.py"
    open_doc(client, storage)
    await until(lambda: codes(client, storage), "diagnostics for storage.py")
    # The first summary of the project was reported as work-done progress.
    [(token, reports)] = client.progress_reports.items()
    assert token == "perflint-load-1"
    assert [r.kind for r in reports] == ["begin", "end"]
    assert reports[0].title == "perflint: summarising the project"
    diagnostics = client.diagnostics[uri(storage)]
    assert codes(client, storage) == [("PFL401", 5), ("PFL402", 5)]
    sync = next(d for d in diagnostics if d.code == "PFL402")
    assert sync.source == "perflint"
    assert sync.severity == types.DiagnosticSeverity.Error  # 100 us per fsync x 100 rows: 10 ms
    assert (sync.range.start.character, sync.range.end.character) == (4, 16)
    assert sync.message == ("os.fsync() runs once per iteration: one disk sync per item\n"
                            "in append_record; reached per iteration of a for loop in import_rows")
    assert sync.code_description.href.endswith("/docs/rules/PFL402.md")
    importer = uri(project / "app" / "importer.py")
    hops = [(r.location.uri, r.location.range.start.line, r.message) for r in sync.related_information]
    assert hops == [
        (importer, 3, "import_rows: no callers in the scanned code: runs once per call "
                      "(set `hot` if it runs per request or row)"),
        (importer, 5, "import_rows: calls append_record inside a for loop (line 5, x100 (unknown bound: loop-trips))"),
    ]
    await client.shutdown_session()


async def _caller_and_callee_open(client: LanguageClient, project: Path):
    await initialize(client, project)
    storage, importer = project / "app" / "storage.py", project / "app" / "importer.py"
    open_doc(client, storage)
    open_doc(client, importer)
    await until(lambda: codes(client, storage) == [("PFL401", 5), ("PFL402", 5)], "the fsync findings")
    await until(lambda: codes(client, importer) == [], "importer.py published clean")
    return storage, importer


@pytest.mark.asyncio
async def test_editing_the_caller_updates_the_callee(client: LanguageClient, project: Path):
    storage, importer = await _caller_and_callee_open(client, project)
    # The loop goes away in the unsaved buffer of the caller: the callee's findings go too.
    replace_all(client, importer, IMPORTER_NO_LOOP, version=2)
    await until(lambda: codes(client, storage) == [], "storage.py cleared after the caller's edit")
    assert (project / "app" / "importer.py").read_text() == IMPORTER  # nothing was saved
    # ...and come back when the loop does.
    replace_all(client, importer, IMPORTER, version=3)
    await until(lambda: codes(client, storage) == [("PFL401", 5), ("PFL402", 5)], "findings back")
    await client.shutdown_session()


@pytest.mark.asyncio
async def test_hover_and_code_actions(client: LanguageClient, project: Path):
    await initialize(client, project)
    storage = project / "app" / "storage.py"
    open_doc(client, storage)
    await until(lambda: codes(client, storage), "diagnostics")
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri(storage)),
                          position=types.Position(line=5, character=8))
    )
    text = hover.contents.value
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert "**PFL401**" in text and "**PFL402**" in text
    report = run_cli(["check", ".", "--format", "json", "--no-cache"], cwd=project).json()
    from perflint.units import format_time

    for finding in report["findings"]:
        assert f"score: {format_time(finding['score'])} per unit of work" in text
    assert "- frequency: " in text and "- estimated cost: " in text
    assert "app/importer.py:6" in text and "`import\\_rows`" not in text and "`import_rows`" in text
    assert "calls append\\_record inside a for loop" in text
    # No hover away from a flagged line.
    nothing = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri(storage)),
                          position=types.Position(line=0, character=3))
    )
    assert nothing is None

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(storage)),
            range=types.Range(start=types.Position(line=5, character=4), end=types.Position(line=5, character=4)),
            context=types.CodeActionContext(diagnostics=list(client.diagnostics[uri(storage)])),
        )
    )
    titles = [a.title for a in actions]
    assert titles == [
        "Ignore PFL401 on this line (# perflint: ignore[PFL401])",
        "Show documentation for PFL401 (fsync-where-fdatasync)",
        "Ignore PFL402 on this line (# perflint: ignore[PFL402])",
        "Show documentation for PFL402 (sync-per-statement)",
    ]
    edit = actions[2].edit.changes[uri(storage)][0]
    assert (edit.range.start.line, edit.range.start.character, edit.range.end.character) == (5, 16, 16)
    assert edit.new_text == "  # perflint: ignore[PFL402]"
    assert actions[2].diagnostics[0].code == "PFL402"

    # Apply the edit as the editor would: PFL402 goes, PFL401 stays.
    ignored = STORAGE.replace("    os.fsync(fd)\n", "    os.fsync(fd)  # perflint: ignore[PFL402]\n")
    replace_all(client, storage, ignored, version=2)
    await until(lambda: codes(client, storage) == [("PFL401", 5)], "PFL402 suppressed")
    # The quick fix for the other code extends the existing comment.
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri(storage)),
            range=types.Range(start=types.Position(line=5, character=0), end=types.Position(line=5, character=0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    edit = actions[0].edit.changes[uri(storage)][0]
    assert edit.new_text == "PFL402, PFL401"
    assert ignored.splitlines()[5][edit.range.start.character:edit.range.end.character] == "PFL402"

    # "Show documentation" runs a server command that asks the editor to open the page.
    # (pygls's client takes a CodeAction that carries a command for a Command, and keeps
    # the command object as its text: read it back from that text)
    docs = actions[1]
    command = docs.command
    if isinstance(command, str):
        command = ast.literal_eval(command)
    else:
        command = {"command": command.command, "arguments": command.arguments}
    assert (command["command"], command["arguments"]) == ("perflint.showRuleDocs", ["PFL401"])
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command["command"], arguments=command["arguments"])
    )
    await until(lambda: client.shown_documents, "window/showDocument")
    shown = client.shown_documents[0]
    assert shown.uri.endswith("/docs/rules/PFL401.md") and shown.external is True
    await client.shutdown_session()


@pytest.mark.asyncio
async def test_syntax_error_mid_edit_is_one_diagnostic(client: LanguageClient, project: Path):
    await initialize(client, project)
    storage, importer = project / "app" / "storage.py", project / "app" / "importer.py"
    open_doc(client, storage)
    open_doc(client, importer)
    await until(lambda: codes(client, storage) == [("PFL401", 5), ("PFL402", 5)], "the fsync findings")
    half_typed = IMPORTER.replace("append_record(fd, row)", "append_record(fd, row) +")
    replace_all(client, importer, half_typed, version=2)
    await until(lambda: codes(client, importer) == [("PFL000", 5)], "one syntax error diagnostic")
    error = client.diagnostics[uri(importer)][0]
    assert error.severity == types.DiagnosticSeverity.Error
    assert error.message.startswith("syntax error at line 6: ")
    # The callee keeps the caller's last good summary: no flicker in other files.
    await asyncio.sleep(0.3)
    assert codes(client, storage) == [("PFL401", 5), ("PFL402", 5)]
    replace_all(client, importer, IMPORTER, version=3)
    await until(lambda: codes(client, importer) == [], "the syntax error gone")
    await client.shutdown_session()


@pytest.mark.asyncio
async def test_broken_config_is_one_diagnostic_and_the_server_goes_on(client: LanguageClient, tmp_path: Path):
    project = write(tmp_path / "proj", {**PROJECT, "pyproject.toml": "[tool.perflint]\nmin-severity = \"loud\"\n"})
    await initialize(client, project)
    config = project / "pyproject.toml"
    await until(lambda: client.diagnostics.get(uri(config)), "the config diagnostic")
    [problem] = client.diagnostics[uri(config)]
    assert problem.range.start.line == 1
    assert problem.severity == types.DiagnosticSeverity.Error
    assert problem.message == ("perflint config: [tool.perflint] key 'min-severity': "
                               "must be one of note, warning, error, not 'loud'")
    await until(lambda: any("using the defaults until it is fixed" in m.message and m.type == types.MessageType.Error
                            for m in client.log_messages), "the config error logged")
    # Still serving, with the defaults.
    storage = project / "app" / "storage.py"
    open_doc(client, storage)
    # (the defaults use the shipped cost table: PFL402 for sure; PFL401 as the measured fsync
    # over fdatasync difference puts it, near the 1 ms threshold at 100 rows)
    await until(lambda: codes(client, storage) in ([("PFL402", 5)], [("PFL401", 5), ("PFL402", 5)]),
                "diagnostics despite the config")

    # Fixed and saved: the diagnostic goes; the new config applies (notes now shown).
    config.write_text("[tool.perflint]\ncosts = \"costs.toml\"\nmin-severity = \"note\"\nignore = [\"PFL401\"]\n", encoding="utf-8")
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri(config))))
    await until(lambda: list(client.diagnostics.get(uri(config))) == [], "the config diagnostic cleared")
    await until(lambda: codes(client, storage) == [("PFL402", 5)], "the new config applied")

    # Broken again (bad TOML), announced as a watched-file change: the last good config stays.
    config.write_text("[tool.perflint\n", encoding="utf-8")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=uri(config), type=types.FileChangeType.Changed)])
    )
    await until(lambda: client.diagnostics.get(uri(config)), "the TOML error")
    [problem] = client.diagnostics[uri(config)]
    assert problem.message.startswith("perflint config: invalid TOML")
    assert problem.range.start.line == 0
    replace_all(client, storage, STORAGE + "\n", version=2)
    await asyncio.sleep(0.5)
    assert codes(client, storage) == [("PFL402", 5)]  # still the last good config
    await client.shutdown_session()


@pytest.mark.asyncio
async def test_shutdown_and_exit(client: LanguageClient, project: Path):
    await initialize(client, project)
    storage = project / "app" / "storage.py"
    open_doc(client, storage)
    await until(lambda: codes(client, storage), "diagnostics")
    await client.shutdown_async(None)
    client.exit(None)
    server = client._server
    code = await asyncio.wait_for(server.wait(), TIMEOUT)
    assert code == 0
    assert (project / ".perflint_cache" / "cache.sqlite3").is_file()  # the warm start for next time


@pytest_lsp.fixture(config=ClientServerConfig(server_command=FAULTY_SERVER, client_factory=make_client))
async def faulty_client(lsp_client: LanguageClient):
    yield
    await _end(lsp_client)


@pytest.mark.asyncio
async def test_an_exception_in_analysis_is_logged_and_the_server_goes_on(faulty_client: LanguageClient, project: Path):
    client = faulty_client
    await initialize(client, project)
    storage = project / "app" / "storage.py"
    open_doc(client, storage)
    await until(lambda: codes(client, storage), "diagnostics")
    # The injected fault fires when a module mentions the marker.
    replace_all(client, storage, STORAGE + "# PERFLINT_TEST_FAULT\n", version=2)
    logged = await until(
        lambda: [m for m in client.log_messages if m.type == types.MessageType.Error and "injected fault" in m.message],
        "the error in window/logMessage",
    )
    assert "internal error while analysing app/storage.py" in logged[0].message
    assert "Traceback" in logged[0].message
    # Still serving: hover answers, and the next edit is analysed.
    replace_all(client, storage, STORAGE.replace("    os.fsync(fd)\n", ""), version=3)
    await until(lambda: codes(client, storage) == [], "the next edit analysed")
    await client.shutdown_session()


SLOW_SERVER = [sys.executable, str(HERE / "lsp_slow_server.py")]  # whole relinks take 2 s
RELINKED = "whole program relinked"


class _Recorded(dict):
    """client.diagnostics that also keeps every publication, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.history = []

    def __setitem__(self, key, value) -> None:
        self.history.append((key, sorted((d.code, d.range.start.line) for d in value)))
        super().__setitem__(key, value)


def make_recording_client() -> LanguageClient:
    client = make_client()
    client.diagnostics = _Recorded()
    return client


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SLOW_SERVER, client_factory=make_recording_client))
async def slow_client(lsp_client: LanguageClient):
    yield
    await _end(lsp_client)


def relinks(client: LanguageClient):
    return [m.message for m in client.log_messages if RELINKED in m.message]


async def _loop_typed_out_of_the_caller(client: LanguageClient, project: Path):
    """Both files open, then the caller's loop removed (version 2) and that edit's first
    step published: storage.py, and the diagnostics published for a file since the edit."""
    storage, importer = await _caller_and_callee_open(client, project)
    history = client.diagnostics.history
    mark = len(history)
    replace_all(client, importer, IMPORTER_NO_LOOP, version=2)

    def since(path: Path):
        return [shown for published, shown in history[mark:] if published == uri(path)]

    await until(lambda: since(importer), "importer.py published")
    return storage, importer, since


@pytest.mark.asyncio
async def test_a_call_graph_edit_is_published_first_then_corrected_by_the_relink(slow_client: LanguageClient,
                                                                                  project: Path):
    client = slow_client
    # First the edited file, scored against the program as it stands, while the whole
    # relink (two seconds in this server) is still under way: the other file still shows
    # what it showed.
    storage, _, since = await _loop_typed_out_of_the_caller(client, project)
    assert codes(client, storage) == [("PFL401", 5), ("PFL402", 5)]
    assert relinks(client) == []
    # Then the relink ends and corrects the other open file.
    await until(lambda: codes(client, storage) == [], "storage.py corrected by the relink")
    # the server logs the relink just after publishing what it corrected: wait for that too
    await until(lambda: relinks(client), "the relink logged")
    assert len(relinks(client)) == 1
    assert since(storage) == [[]]


@pytest.mark.asyncio
async def test_a_newer_edit_abandons_the_relink_under_way(slow_client: LanguageClient, project: Path):
    client = slow_client
    storage, importer, since = await _loop_typed_out_of_the_caller(client, project)
    await asyncio.sleep(0.5)  # the relink for version 2 is under way
    # The loop is typed back: the program linked before version 2 is exact again.
    replace_all(client, importer, IMPORTER, version=3)
    await until(lambda: len(since(importer)) == 2, "version 3 published")
    await asyncio.sleep(3.0)  # longer than the abandoned relink would have taken
    assert relinks(client) == []
    # storage.py never showed what version 2 alone would have given it.
    assert since(storage) == []
    assert codes(client, storage) == [("PFL401", 5), ("PFL402", 5)]


def test_server_without_pygls_says_how_to_install(tmp_path: Path):
    """`perflint server` where pygls is missing: one line, exit 2, no traceback."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "pygls").mkdir()
    (blocker / "pygls" / "__init__.py").write_text("raise ImportError('No module named pygls')\n")
    result = run_cli(["server"], cwd=tmp_path, env={"PYTHONPATH": str(blocker)})
    assert result.code == 2
    assert result.err.strip().splitlines()[-1].startswith("perflint: error: `perflint server` needs pygls and lsprotocol")
    assert "pip install 'perflint-cst[lsp]'" in result.err

