"""`--format text`: one block per finding with its context and trace, then a summary (rich)."""

from __future__ import annotations

import io
from collections import Counter
from typing import Dict

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from perflint.finding import Result
from perflint.units import format_time

_STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan"}


def render(result: Result, *, color: bool = False, width: int = 100, show_trace: bool = True,
           explain_scores: bool = False, **_: object) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=color, no_color=not color, width=width,
                      highlight=False, soft_wrap=True, emoji=False)
    for f in result.findings:
        style = _STYLE.get(f.severity, "")
        console.print(
            f"[bold]{escape(f.path)}:{f.line}:{f.column}:[/bold] [{style}]{f.rule}[/{style}] "
            f"{escape(f.message)} [dim]({f.name}, {escape(_time(f))})[/dim]"
        )
        if f.rule != "PFL000":
            if f.context:
                console.print(f"    [dim]= {escape(f.context)}[/dim]")
            if f.measured is not None:
                console.print(f"    [magenta]{escape(f.measured.describe())}[/magenta]")
            if explain_scores and f.fingerprint in result.extra.get("explanations", {}):
                console.print(f"    [dim]{escape(result.extra['explanations'][f.fingerprint])}[/dim]")
            for loc in f.related:
                console.print(f"    [dim]also {escape(loc.path)}:{loc.line}:{loc.column}[/dim]")
            if f.measured is not None:
                console.print(f"    [dim]{escape(f.measured.describe())}[/dim]")
            if show_trace and len(f.trace) > 1:
                console.print("    [dim]trace:[/dim]")
                for hop in f.trace:
                    console.print(f"      [dim]{escape(hop.path)}:{hop.line} {escape(hop.function)}: {escape(hop.note)}[/dim]")
            if f.fix:
                console.print(f"    [green]fix:[/green] {escape(f.fix)}")
        console.print()
    counts = result.counts()
    total = sum(counts.values())
    if total:
        table = Table(title=None, show_edge=False, box=None, pad_edge=False)
        table.add_column("family")
        for severity in ("error", "warning", "note"):
            table.add_column(severity, justify="right")
        table.add_column("time per unit of work", justify="right")
        per: Dict[str, Counter] = {}
        scores: Dict[str, float] = {}
        for f in result.findings:
            per.setdefault(f.family, Counter())[f.severity] += 1
            scores[f.family] = scores.get(f.family, 0.0) + f.score
        for family in sorted(per):
            c = per[family]
            table.add_row(family, str(c["error"]), str(c["warning"]), str(c["note"]), format_time(scores[family]))
        console.print(table)
        _hot_paths(console, result)
    noun = "file" if result.files == 1 else "files"
    summary = (
        f"Found {total} finding{'s' if total != 1 else ''} "
        f"({counts['error']} error, {counts['warning']} warning, {counts['note']} note) "
        f"in {result.files} {noun}; estimated {format_time(result.total_score)} wasted per unit of work."
    )
    console.print(summary if total else f"No findings in {result.files} {noun}.")
    baselined, stale = result.extra.get("baselined", 0), result.extra.get("stale_baseline", 0)
    if baselined:
        console.print(f"{baselined} known finding{'s' if baselined != 1 else ''} accepted by the baseline "
                      f"({escape(str(result.extra.get('baseline', '')))}).")
    if stale:
        console.print(f"{stale} baseline entr{'y' if stale == 1 else 'ies'} no longer occur{'s' if stale == 1 else ''}; "
                      "run `perflint baseline --prune`")
    _profiles(console, result)
    for error in result.errors:
        console.print(f"[red]error:[/red] {escape(error.path)}: {escape(error.message)}")
    for reason in result.fail_reasons:
        console.print(f"[bold]failing:[/bold] {escape(reason)}")
    return out.getvalue()


def _hot_paths(console: Console, result: Result) -> None:
    """Findings that share a trace root, with the time they cost together (hotpaths.py)."""
    from perflint.hotpaths import hot_paths, render_lines

    groups = hot_paths(result.findings, result.extra.get("fixed_time", {}))
    if not groups:
        return
    console.print()
    console.print("[bold]Top hot paths[/bold] (findings that share a trace root; estimated time per unit of work of the root):")
    for line in render_lines(groups):
        console.print(escape(line))
    console.print()


def _time(f) -> str:
    """"11.2 ms/unit = 112 µs x 100" in a finding's header: time per unit of work, cost x frequency."""
    if f.rule in ("PFL000", "PFL001"):
        return f.severity
    return f"{f.severity}, {format_time(f.score)}/unit = {format_time(f.cost)} x {f.frequency:,.4g}"


def _profiles(console: Console, result: Result) -> None:
    """How much of each profile matched the scan, then `--unexplained`: time no finding explains."""
    from perflint.units import format_time

    for p in result.extra.get("profiles", []):
        console.print(
            f"Profile {escape(p['path'])} ({p['format']}, {format_time(p['seconds'])}): {p['functions']:,} functions, "
            f"{p['matched']:,} matched in the scanned code, {p['unmatched_in_scan']:,} in scanned files without a "
            f"function (lambdas, comprehensions, class bodies), {p['outside']:,} outside the scan."
        )
    rows = result.extra.get("unexplained")
    if rows is None:
        return
    console.print()
    if not rows:
        if any(p["matched"] for p in result.extra.get("profiles", [])):
            console.print("Unexplained time: every function of the scanned code with time in the profile carries a finding.")
        else:
            console.print("Unexplained time: the profile has no function of the scanned code.")
        return
    console.print("[bold]Unexplained time[/bold] (scanned functions with the most own time in the profile and no finding):")
    for i, row in enumerate(rows, 1):
        calls = "" if row["calls"] is None else f", {row['calls']:,} call{'s' if row['calls'] != 1 else ''}"
        share = "<1%" if 0 < row["share"] < 0.005 else f"{row['share']:.0%}"
        console.print(f"{i:>3}. {escape(row['path'])}:{row['line']} {escape(row['function'])}: "
                      f"{format_time(row['own'])} own ({share} of the profile){calls}")
