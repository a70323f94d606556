"""The `perflint` command line: check, rules, explain, graph, baseline, clean, calibrate."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import List, NoReturn, Optional, Sequence, Tuple

import click

from perflint import __version__
from perflint.config import Config, ConfigError, find_config, load_config
from perflint.finding import SEVERITIES

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
UNEXPLAINED_TOP = 10  # functions listed by --unexplained


def _fail(message: str) -> "click.exceptions.Exit":
    click.echo(f"perflint: error: {message}", err=True)
    return click.exceptions.Exit(EXIT_ERROR)


def _split(values: Sequence[str]) -> Tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def load_run_config(config_path: Optional[str], paths: Sequence[str]) -> Config:
    """--config FILE, else the nearest perflint.toml / [tool.perflint] above the first path."""
    from perflint.registry import RuleError, families, known_codes

    try:
        codes = known_codes()
    except RuleError as exc:
        raise _fail(str(exc))
    if config_path is not None:
        path: Optional[Path] = Path(config_path)
        if not path.is_file():  # type: ignore[union-attr]
            raise _fail(f"{config_path}: config file not found")
    else:
        path = find_config(Path(paths[0]) if paths else Path.cwd())
    try:
        config = load_config(path, known_codes=codes, known_families=families())
    except ConfigError as exc:
        raise _fail(str(exc))
    for note in config.deprecations:
        click.echo(f"perflint: deprecated: {note}", err=True)
    if config.costs is not None:
        from perflint.costs import CostsError
        from perflint.engine import config_costs

        try:
            config_costs(config)
        except CostsError as exc:
            raise _fail(f"costs: {exc}")
    return config


def _check_selectors(values: Sequence[str], option: str) -> None:
    from perflint.config import selector_known
    from perflint.registry import families, known_codes

    for value in values:
        if not selector_known(value, set(known_codes()), set(families())):
            raise _fail(f"{option}: unknown rule code, prefix or family {value!r}")


def _use_color(output: Optional[str]) -> bool:
    if output is not None or "NO_COLOR" in os.environ:
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def _write(text: str, output: Optional[str]) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{output}: cannot write output: {exc.strerror or exc}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="perflint")
def cli() -> None:
    """perflint: Python performance smells that are locally plausible and globally wrong."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github", "gitlab", "html"]), default="text", show_default=True, help="Output format (html: one self-contained page, best with --output).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to FILE instead of stdout.")
@click.option("--select", multiple=True, help="Rule codes, prefixes or families to run (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes, prefixes or families to skip (comma-separated).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (perflint.toml or pyproject.toml).")
@click.option("--min-severity", type=click.Choice(SEVERITIES), help="Hide findings below this severity.")
@click.option("--fail-on", type=click.Choice(SEVERITIES + ("none",)), help="Exit 1 when a finding reaches this severity.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings fail the run.")
@click.option("--hot", multiple=True, help="Qualified-name glob of a function that runs per request/row (repeatable).")
@click.option("--no-trace", is_flag=True, help="Text output: do not print traces.")
@click.option("--verbose", "-v", is_flag=True, help="Print phase timings to stderr.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), help="Baseline file: report and fail on new findings only (default: the config's `baseline`).")
@click.option("--explain-scores", is_flag=True, help="Text output: show cost x frequency (trips at each hop) x confidence = time per unit of work, and the threshold crossed.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=None, help="Worker processes for phase 1 (default: CPUs; 1: in-process; 0: CPUs).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=str), help="Cache folder (default: .perflint_cache at the project root).")
@click.option("--no-project-context", is_flag=True, help="Files given one by one: do not take the rest of the project from the cache.")
@click.option("--docs-url", help="HTML output: rule docs links, with {code} for the rule code (default: the project's docs/rules pages).")
@click.option("--profile", "profile_paths", multiple=True, type=click.Path(path_type=str), help="A cProfile/pstats, pyinstrument or speedscope profile: measured heat replaces estimates (repeatable; default: the config's `profile`).")
@click.option("--unexplained", is_flag=True, help="With a profile: list the functions with the most own time that carry no finding.")
def check(paths, fmt, output, select, ignore, config_path, min_severity, fail_on, exit_zero, hot, no_trace, verbose, jobs, no_cache, cache_dir, no_project_context, baseline_path=None, explain_scores=False, docs_url=None, profile_paths=(), unexplained=False) -> None:
    """Scan PATHS (default: the current folder) and report findings."""
    from perflint.engine import scan
    from perflint.report import renderer as find_renderer

    paths = tuple(paths) or (".",)
    config = load_run_config(config_path, paths)
    select, ignore = _split(select), _split(ignore)
    _check_selectors(select, "--select")
    _check_selectors(ignore, "--ignore")
    config = config.with_cli(
        min_severity=min_severity, fail_on=fail_on, hot=(config.hot + tuple(hot)) if hot else None
    )
    baseline = _load_baseline(config, baseline_path)
    profiles = _load_profiles(config, profile_paths)
    if unexplained and not profiles:
        raise _fail("--unexplained needs a profile: --profile FILE or `profile = [...]` in the config")
    run = scan([Path(p) for p in paths], config, **_perf_options(config, jobs, no_cache, cache_dir, no_project_context), select=select, ignore=ignore, baseline=baseline,
               profiles=profiles, unexplained=UNEXPLAINED_TOP if unexplained else 0, reuse=True)
    for warning in _profile_warnings(run.result):
        click.echo(f"perflint: warning: {warning}", err=True)
    renderer = find_renderer(fmt)
    if renderer is None:
        raise _fail(f"--format {fmt} is not available in this version")
    excerpts = None
    if fmt == "html":  # the page shows code: read the lines around each site and hop now, not in the renderer
        from perflint.excerpts import collect

        excerpts = collect(run.result)
    text = renderer(run.result, color=_use_color(output) if fmt == "text" else False, show_trace=not no_trace,
                    explain_scores=explain_scores, excerpts=excerpts, docs_url=docs_url)
    _write(text, output)
    if fmt != "text" or output is not None:
        _baseline_note(run.result)
    if verbose:
        click.echo(f"perflint: {run.files} files, {run.lines} lines", err=True)
        for phase, seconds in run.timings.phases.items():
            click.echo(f"perflint: {phase}: {seconds:.3f}s", err=True)
        for name, value in run.timings.counts.items():
            click.echo(f"perflint: {name}: {value}", err=True)
    if run.result.failed and not exit_zero:
        raise click.exceptions.Exit(EXIT_FINDINGS)


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_cmd(fmt: str) -> None:
    """List every rule: code, name, family and summary."""
    from perflint.registry import all_rules

    rules = all_rules()
    if fmt == "json":
        data = [
            {"code": r.CODE, "name": r.NAME, "family": r.FAMILY, "summary": r.summary(),
             "default": r.DEFAULT_ENABLED, "fix": r.FIX}
            for r in rules
        ]
        click.echo(json.dumps(data, indent=2))
        return
    for r in rules:
        flag = "" if r.DEFAULT_ENABLED else " (opt-in)"
        click.echo(f"{r.CODE}  {r.NAME:<32} {r.FAMILY:<9} {r.summary()}{flag}")


@cli.command()
@click.argument("code")
def explain(code: str) -> None:
    """Print the documentation of rule CODE (e.g. PFL401 or fsync-where-fdatasync)."""
    from perflint.docs import rule_markdown
    from perflint.registry import rule_by_code

    try:
        rule = rule_by_code(code.upper() if code.lower().startswith("pfl") else code)
    except KeyError:
        raise _fail(f"unknown rule {code!r}; `perflint rules` lists them")
    click.echo(rule_markdown(rule), nl=False)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "pycg"]), default="text", show_default=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--output", "-o", type=click.Path(dir_okay=False))
def graph(paths, fmt, config_path, output) -> None:
    """Print the resolved call graph with heat (json: nodes and edges; pycg: PyCG's shape)."""
    from perflint.engine import scan

    paths = tuple(paths) or (".",)
    config = load_run_config(config_path, paths)
    run = scan([Path(p) for p in paths], config)
    program = run.program
    if fmt == "json":
        text = json.dumps(program.graph_json(), indent=2, sort_keys=True) + "\n"
    elif fmt == "pycg":
        text = json.dumps(program.graph_pycg(), indent=2, sort_keys=True) + "\n"
    else:
        lines: List[str] = []
        for fid in sorted(program.functions):
            edges = program.edges[fid]
            role = program.roles.get(fid)
            if not edges and program.heat[fid] <= 1.0 and role is None:
                continue
            shown = f"  role={role.id} ({'hot' if role.hot else 'runs once'})" if role else ""
            lines.append(f"{fid}  heat={program.heat[fid]:g}{shown}")
            for edge in edges:
                loops = ", ".join(f"{loop.kind} x{program.trips([loop]):g}" for loop in edge.site.loops)
                lines.append(f"  -> {edge.callee}  (line {edge.site.line}; {edge.kind}{'; ' + loops if loops else ''})")
        text = "\n".join(lines) + ("\n" if lines else "")
    _write(text, output)


def _perf_options(config: Config, jobs: Optional[int], no_cache: bool, cache_dir: Optional[str], no_project_context: bool) -> dict:
    from perflint.cache import default_cache_dir
    from perflint.parallel import RichProgress, default_jobs

    return {
        "jobs": jobs or default_jobs(),
        "cache_dir": None if no_cache else (Path(cache_dir) if cache_dir else default_cache_dir(config.root)),
        "project_context": not no_project_context,
        "progress": RichProgress() if RichProgress.wanted() else None,
    }


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file whose folder holds the cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=str), help="Cache folder (default: .perflint_cache at the project root).")
def clean(config_path: Optional[str], cache_dir: Optional[str]) -> None:
    """Remove the result cache (only perflint's own files in it)."""
    from perflint.cache import clean_cache, default_cache_dir

    directory = Path(cache_dir) if cache_dir else default_cache_dir(load_run_config(config_path, ()).root)
    if clean_cache(directory):
        click.echo(f"perflint: removed {directory}", err=True)


def _load_profiles(config: Config, given: Sequence[str]):
    """--profile FILEs (relative to the working folder), else `profile` (relative to the config)."""
    from perflint.profiles import ProfileError, load_profile

    if given:
        pairs = [(Path(p), p, "") for p in given]
    else:
        where = f" (from `profile` in {config.source.name})" if config.source is not None else ""
        pairs = [(config.root / p, p, where) for p in config.profile]
    profiles = []
    for path, display, where in pairs:
        try:
            profiles.append(load_profile(path, display))
        except ProfileError as exc:
            raise _fail(f"{exc}{where}")
    return profiles


def _profile_warnings(result) -> List[str]:
    """A profile that matched nothing in the scan: say so rather than report nothing measured."""
    return [f"profile {p['path']}: none of its {p['functions']:,} functions are in the scanned code"
            for p in result.extra.get("profiles", []) if not p["matched"]]


def _baseline_file(config: Config, given: Optional[str]) -> Optional[Path]:
    """--baseline FILE (relative to the working folder), else `baseline` (relative to the config)."""
    if given is not None:
        return Path(given)
    if config.baseline:
        return config.root / config.baseline
    return None


def _load_baseline(config: Config, given: Optional[str]):
    from perflint.baseline import BaselineError, load

    path = _baseline_file(config, given)
    if path is None:
        return None
    try:
        return load(path)
    except BaselineError as exc:
        raise _fail(str(exc))


def _baseline_note(result) -> None:
    """For formats other than text: the baseline's bookkeeping goes to stderr."""
    stale = result.extra.get("stale_baseline", 0)
    if stale:
        click.echo(f"perflint: {stale} baseline entr{'y' if stale == 1 else 'ies'} no longer occur{'s' if stale == 1 else ''}; "
                   "run `perflint baseline --prune`", err=True)


@cli.command("baseline")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Baseline file to write (default: the config's `baseline`, else .perflint-baseline.json at the config root).")
@click.option("--prune", is_flag=True, help="Only drop entries that no longer occur; never add new ones.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (perflint.toml or pyproject.toml).")
@click.option("--select", multiple=True, help="Rule codes, prefixes or families to run (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes, prefixes or families to skip (comma-separated).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
def baseline_cmd(paths, output, prune, config_path, select, ignore, no_cache) -> None:
    """Accept the current findings: write them to a baseline file so only new ones fail."""
    from perflint.baseline import DEFAULT_BASELINE, BaselineError, Entry, entries_from_findings, load, write
    from perflint.engine import _relative_to_root, scan

    paths = tuple(paths) or (".",)
    config = load_run_config(config_path, paths)
    select, ignore = _split(select), _split(ignore)
    _check_selectors(select, "--select")
    _check_selectors(ignore, "--ignore")
    target = Path(output) if output else (_baseline_file(config, None) or config.root / DEFAULT_BASELINE)
    perf = _perf_options(config, None, no_cache, None, False)
    try:
        if prune:
            old = load(target)
            run = scan([Path(p) for p in paths], config, **perf, select=select, ignore=ignore, baseline=old, reuse=True)
            entries = [Entry(**e) for e in run.result.extra.get("baseline_pruned", [])]
            dropped = sum(e.count for e in old.entries) - sum(e.count for e in entries)
            write(target, entries, __version__)
            click.echo(f"perflint: pruned {dropped} finding{'s' if dropped != 1 else ''} that no longer occur "
                       f"from {target} ({len(entries)} entries left)", err=True)
            return
        run = scan([Path(p) for p in paths], config, **perf, select=select, ignore=ignore, reuse=True)
        entries = entries_from_findings(run.result.findings, lambda p: _relative_to_root(p, config.root))
        write(target, entries, __version__)
    except BaselineError as exc:
        raise _fail(str(exc))
    total = sum(e.count for e in entries)
    click.echo(f"perflint: wrote {total} finding{'s' if total != 1 else ''} ({len(entries)} entries) to {target}", err=True)
    if not output and not config.baseline:
        click.echo(f"perflint: use it with `perflint check --baseline {target}` or "
                   f"`baseline = \"{DEFAULT_BASELINE}\"` in the config", err=True)


@cli.command("profile", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=str), help="Where to write the profile (default: .perflint_cache/profiles/<time>-<command>.pstats).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file whose folder holds the cache.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def profile_cmd(output: Optional[str], config_path: Optional[str], command: Tuple[str, ...]) -> None:
    """Run a Python COMMAND under cProfile and print the `perflint check --profile` line to use.

    perflint check never runs code; this command runs exactly what you name:
    `perflint profile -- pytest tests/test_x.py`, `perflint profile -- python app.py`,
    `perflint profile -- python -m mypkg.job`, `perflint profile -- script.py ARGS`."""
    from perflint.cache import default_cache_dir
    from perflint.profile_run import CommandError, default_output, profile_command, run
    from perflint.profiles import ProfileError, load_profile

    target = Path(output) if output else default_output(default_cache_dir(load_run_config(config_path, ()).root), command)
    try:
        argv = profile_command(command, target.resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
    except CommandError as exc:
        raise _fail(str(exc))
    except OSError as exc:
        raise _fail(f"{target.parent}: cannot create the profile folder: {exc.strerror or exc}")
    click.echo(f"perflint: running {' '.join(argv)}", err=True)
    try:
        status = run(argv)
    except CommandError as exc:
        raise _fail(str(exc))
    shown = _relative(target)
    try:
        profile = load_profile(target, shown)
    except ProfileError as exc:
        raise _fail(f"the command (exit status {status}) left no readable profile: {exc}")
    click.echo(f"perflint: wrote {shown}: {profile.functions:,} functions, {profile.total:.3g} s profiled"
               + (f"; the command exited with status {status}" if status else ""), err=True)
    click.echo(f"perflint check --profile {shlex.quote(shown)}")
    if status:
        raise click.exceptions.Exit(status if 0 < status < 256 else EXIT_ERROR)


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


@cli.command()
@click.option("--stdio", is_flag=True, help="Talk over stdin/stdout (the default and only transport; accepted for clients that pass it).")
def server(stdio: bool) -> None:
    """Run the language server (LSP over stdio) for editors: see docs/editors.md."""
    try:
        from perflint.lsp.server import serve
    except ImportError as exc:
        raise _fail(f"`perflint server` needs pygls and lsprotocol ({exc}); "
                    "install them with: python -m pip install 'perflint-cst[lsp]'")
    code = serve()
    if code:
        raise click.exceptions.Exit(code)


# import name -> distribution, for what pyproject.toml declares (the lsp extra says so itself)
_DEPENDENCIES = {"libcst": "libcst", "rich": "rich", "pygments": "pygments", "markdown_it": "markdown-it-py",
                 "pathspec": "pathspec", "tomli": "tomli"}


def _leave(code: int) -> NoReturn:
    """End the process once the command is done, without the interpreter's teardown: freeing a
    whole scan's summaries and call graph one object at a time took 1.9 s of a 23 s cold run on
    Twisted. Nothing is pending by then (the cache is closed and the worker pool shut down
    before a command returns); the output streams are flushed here."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`perflint check | head`) or stream
            pass
    os._exit(code)


def main(argv: Optional[List[str]] = None) -> None:
    """Console entry point: never lets a traceback reach the user."""
    try:
        code = cli.main(args=argv, prog_name="perflint", standalone_mode=False)
        _leave(code if isinstance(code, int) else EXIT_OK)
    except click.exceptions.Exit as exc:
        _leave(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except click.exceptions.Abort:
        click.echo("perflint: aborted", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        click.echo("perflint: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except ModuleNotFoundError as exc:
        top = (exc.name or "").partition(".")[0]
        if top not in _DEPENDENCIES:
            click.echo(f"perflint: internal error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(EXIT_ERROR)
        # an environment without perflint's declared dependencies (a copied source tree, a
        # broken virtualenv): say what to install, not "internal error"
        click.echo(f"perflint: missing dependency '{_DEPENDENCIES[top]}' (cannot import {top}): install perflint "
                   f"with its dependencies: python -m pip install perflint-cst", err=True)
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # pragma: no cover - last line of defence
        click.echo(f"perflint: internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK)


@cli.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False), default="perflint-costs.toml", show_default=True,
              help="Where to write the cost table.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no table, only the file.")
def calibrate(output: str, quiet: bool) -> None:
    """Measure what each smell costs on this machine and write a cost table.

    Runs small standard-library workloads (fsync on a file in a temporary folder, sqlite3
    commits, deep copies, parses...), timing each smell against its fix. Point the config at
    the file with `costs = "perflint-costs.toml"` to score with these numbers."""
    import datetime

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    from perflint.calibrate import SPECS, measure
    from perflint.costs import machine_meta, render_table
    from perflint.units import format_time

    err = Console(stderr=True)
    if quiet:
        result = measure()
    else:
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      console=err, transient=True) as progress:
            task = progress.add_task("measuring", total=len(SPECS))

            def tick(key: str, done: int, total: int) -> None:
                progress.update(task, completed=done, description=f"measuring {key}" if key else "done")

            result = measure(progress=tick)
    meta = machine_meta(__version__, datetime.date.today().isoformat())
    try:
        Path(output).write_text(render_table(result, meta), encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{output}: cannot write the cost table: {exc.strerror or exc}")
    if not quiet:
        for spec, _ in SPECS:
            m = result[spec.key]
            note = " (estimate: not measurable here)" if spec.estimated else ""
            click.echo(f"{spec.key:<30} {format_time(m['cost']):>10} per {spec.per}{note}")
    click.echo(f'wrote {output}; use it with costs = "{output}" in [tool.perflint]', err=True)
