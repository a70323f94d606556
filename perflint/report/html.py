"""`--format html`: one self-contained page (summary, hot-path tree, findings with code), no network."""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from perflint.excerpts import Excerpts, hop_window, site_window
from perflint.finding import SEVERITIES, Finding, Result, RuleInfo
from perflint.hotpaths import function_chain
from perflint.report import hot_tree
from perflint.report.html_assets import CSS, JS
from perflint.report.html_code import Highlighter
from perflint.report.html_escape import attr, mark_bidi, script_json, text
from perflint.report.sarif import INFORMATION_URI, PARSE_ERROR
from perflint.units import format_time

DEFAULT_DOCS_URL = f"{INFORMATION_URI}/blob/main/docs/rules/{{code}}.md"
TOP_PATHS = 10  # bars in the summary chart
SEVERITY_ORDER = tuple(reversed(SEVERITIES))  # error, warning, note

# -- how numbers read: one place, so the time model's look can change here alone --------
def fmt_time(seconds: float) -> str:
    """A score or cost in seconds, for people ("3.4 ms")."""
    return format_time(seconds)


def fmt_frequency(count: float) -> str:
    """Executions per unit of work ("x100", "x2,500", "x0.5")."""
    if count >= 1000:
        return f"x{count:,.0f}"
    return f"x{count:.3g}"


def fmt_count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def docs_link(template: str, code: str) -> str:
    """The rule's docs URL: `{code}` in the template is replaced, else `<base>/<code>.md`."""
    if "{code}" in template:
        return template.replace("{code}", code)
    return f"{template.rstrip('/')}/{code}.md"


# -- the page -------------------------------------------------------------------------
def render(result: Result, *, excerpts: Optional[Excerpts] = None, docs_url: Optional[str] = None,
           **_: object) -> str:
    """The whole page. `excerpts` (perflint.excerpts.collect) supplies the source lines shown."""
    page = _Page(result, excerpts or {}, docs_url or DEFAULT_DOCS_URL)
    return page.render()


class _Page:
    def __init__(self, result: Result, excerpts: Excerpts, docs_url: str) -> None:
        self.result = result
        self.code = Highlighter(excerpts)
        self.docs_url = docs_url
        # worst first; ties in the report's own order (path, line, column, rule)
        order = sorted(range(len(result.findings)), key=lambda i: (-result.findings[i].score, i))
        self.findings: List[Finding] = [result.findings[i] for i in order]
        self.ids = [f"f{n}" for n in range(1, len(self.findings) + 1)]
        self.roots = hot_tree.build(self.findings)
        self.rules = _rule_infos(result)

    def render(self) -> str:
        script_hash = base64.b64encode(hashlib.sha256(JS.encode("utf-8")).digest()).decode("ascii")
        csp = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               f"script-src 'sha256-{script_hash}'; base-uri 'none'; form-action 'none'")
        style = Highlighter.style() + CSS
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{attr(csp)}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="perflint {attr(self.result.version)}">',
            "<title>perflint report</title>",
            f"<style>{style}</style>",
            "</head>",
            "<body>",
            '<a class="skip" href="#findings">Skip to the findings</a>',
            self._header(),
            "<main>",
            self._summary(),
            self._hot_paths(),
            self._finding_list(),
            self._rule_docs(),
            self._errors(),
            "</main>",
            self.code.templates(),
            f'<script type="application/json" id="perflint-data">{script_json(self._data())}</script>',
            f"<script>{JS}</script>",
            "</body>",
            "</html>",
        ]
        return "\n".join(p for p in parts if p) + "\n"

    # -- header and summary -----------------------------------------------------------
    def _header(self) -> str:
        r = self.result
        verdict = ("failing: " + "; ".join(r.fail_reasons)) if r.failed else "passing"
        extra = ""
        baselined = r.extra.get("baselined", 0)
        if baselined:
            extra = f" · {fmt_count(baselined, 'known finding')} accepted by the baseline"
        return (
            '<header class="top"><h1>perflint report</h1>'
            f"<p>perflint {text(r.version)} · {fmt_count(r.files, 'file')} scanned · "
            f"{fmt_count(len(r.findings), 'finding')} · <span id=\"verdict\">{text(verdict)}</span>{text(extra)}</p>"
            "</header>"
        )

    def _summary(self) -> str:
        r = self.result
        counts = r.counts()
        cards = [
            f'<div class="card"><div class="big" id="total-time" data-seconds="{r.total_score!r}">'
            f"{text(fmt_time(r.total_score))}</div><div>estimated time per unit of work</div></div>",
            f'<div class="card"><div class="big" id="total-findings">{len(r.findings)}</div><div>findings</div></div>',
        ]
        for severity in SEVERITY_ORDER:
            cards.append(
                f'<div class="card {severity}"><div class="big" id="count-{severity}">{counts[severity]}</div>'
                f"<div>{severity}</div></div>"
            )
        cards.append(f'<div class="card"><div class="big" id="files">{r.files}</div><div>files scanned</div></div>')
        per: Dict[str, Counter] = {}
        times: Dict[str, float] = {}
        for f in r.findings:
            per.setdefault(f.family, Counter())[f.severity] += 1
            times[f.family] = times.get(f.family, 0.0) + f.score
        rows = []
        for family in sorted(per):
            cells = "".join(
                f'<td data-severity="{s}">{per[family][s]}</td>' for s in SEVERITY_ORDER
            )
            rows.append(
                f'<tr data-family="{attr(family)}"><td>{text(family)}</td>{cells}'
                f'<td data-seconds="{times[family]!r}">{text(fmt_time(times[family]))}</td></tr>'
            )
        head = "".join(f"<th scope=\"col\">{s}</th>" for s in SEVERITY_ORDER)
        foot = "".join(f"<td>{counts[s]}</td>" for s in SEVERITY_ORDER)
        table = (
            '<table class="counts" id="by-family"><caption class="muted">Findings per family and severity, '
            "and their estimated time per unit of work</caption>"
            f'<thead><tr><th scope="col">family</th>{head}<th scope="col">time</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody>"
            f"<tfoot><tr><td>total</td>{foot}<td>{text(fmt_time(r.total_score))}</td></tr></tfoot></table>"
        ) if rows else '<p class="muted">No findings.</p>'
        return (
            '<section id="summary" aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2>'
            f'<div class="cards">{"".join(cards)}</div>'
            f'<div class="overview"><div>{table}</div><div>{self._bars()}</div></div></section>'
        )

    def _bars(self) -> str:
        roots = self.roots[:TOP_PATHS]
        if not roots:
            return ""
        top = max(root.time for root in roots) or 1.0
        items = []
        for root in roots:
            width = 100.0 * root.time / top if root.time > 0 else 0.0
            measured = f" · {text(root.measured.describe())}" if root.measured is not None else ""
            items.append(
                f'<li><button type="button" class="bar" data-node="{root.id}" aria-pressed="false">'
                f'<span class="fill" style="width:{width:.1f}%"></span>'
                f'<span><span class="fn">{text(root.function)}</span> '
                f'<span class="loc">{text(root.path)}:{root.entry_line}</span> · <strong>{text(fmt_time(root.time))}</strong> · '
                f"{fmt_count(len(root.under), 'finding')}{measured}</span></button></li>"
            )
        return (
            '<h3 id="top-h">Top hot paths by estimated time</h3>'
            '<p class="muted">Each bar is an entry point and everything reached from it; choose one to see its findings.</p>'
            f'<ol class="bars" id="top-paths" aria-labelledby="top-h">{"".join(items)}</ol>'
        )

    # -- hot-path tree ----------------------------------------------------------------
    def _hot_paths(self) -> str:
        if not self.roots:
            body = '<p class="muted">No finding is reached through a call chain.</p>'
        else:
            body = (
                '<div class="paths"><ul class="tree" id="tree">'
                + "".join(self._node(root, root.time) for root in self.roots)
                + "</ul>"
                '<aside class="panel" id="node-panel" aria-live="polite"><h3>Findings on a path</h3>'
                "<p>Choose a function in the tree (or a bar above) to list the findings reached through it; "
                "the list below is filtered too. Esc clears the choice.</p><ul></ul></aside></div>"
            )
        return (
            '<section id="hot-paths" aria-labelledby="paths-h"><h2 id="paths-h">Hot paths</h2>'
            '<p class="muted">From each entry point through the calls it makes to the costly operations; '
            "bars show each function's share of its entry point's estimated time.</p>"
            f"{body}</section>"
        )

    def _node(self, node: hot_tree.Node, total: float) -> str:
        width = 100.0 * node.time / total if total > 0 else 0.0
        codes = sorted({self.findings[i].rule for i in node.here})
        badges = "".join(f' <span class="rule-code">{text(c)}</span>' for c in codes)
        note = node.role if node.role else node.note
        if node.role and node.children:
            note = f"{node.role}; {node.note}"
        measured = f"; {node.measured.describe()}" if node.measured is not None else ""
        children = ""
        if node.children:
            children = "<ul>" + "".join(self._node(child, total) for child in node.children) + "</ul>"
        return (
            f'<li><button type="button" class="node" id="{node.id}" data-node="{node.id}" aria-pressed="false">'
            f'<span class="fill" style="width:{width:.1f}%"></span>'
            f'<span><span class="fn">{text(node.function)}</span>{badges} · <strong>{text(fmt_time(node.time))}</strong>'
            f" · {fmt_count(len(node.under), 'finding')}</span></button>"
            f'<span class="node-note"><span class="loc">{text(node.where)}</span> {text(note + measured)}</span>'
            f"{children}</li>"
        )

    # -- findings ---------------------------------------------------------------------
    def _finding_list(self) -> str:
        families = sorted({f.family for f in self.findings})
        rules = sorted({(f.rule, f.name) for f in self.findings})
        paths = sorted({f.path for f in self.findings})

        def options(values: Sequence[Tuple[str, str]]) -> str:
            return '<option value="">all</option>' + "".join(
                f'<option value="{attr(v)}">{text(label)}</option>' for v, label in values
            )

        form = (
            '<form class="filters" id="filters" role="search" aria-label="Filter findings">'
            f'<label>Family<select id="filter-family">{options([(x, x) for x in families])}</select></label>'
            f'<label>Severity<select id="filter-severity">{options([(s, s) for s in SEVERITY_ORDER])}</select></label>'
            f'<label>Rule<select id="filter-rule">{options([(c, f"{c} {n}") for c, n in rules])}</select></label>'
            '<label>Path contains<input id="filter-path" type="search" list="filter-paths" autocomplete="off"></label>'
            '<datalist id="filter-paths">' + "".join(f'<option value="{attr(p)}">' for p in paths) + "</datalist>"
            '<label>Search (press /)<input id="filter-search" type="search" autocomplete="off"></label>'
            '<button type="button" id="filter-clear">Clear filters</button></form>'
        )
        articles = "".join(self._finding(f, fid) for f, fid in zip(self.findings, self.ids))
        return (
            '<section id="findings" aria-labelledby="findings-h"><h2 id="findings-h">Findings</h2>'
            "<p class=\"muted\">Worst first: estimated time per unit of work.</p>"
            f"{form}"
            f'<p id="status" role="status">Showing {len(self.findings)} of {len(self.findings)} findings</p>'
            '<p class="banner" id="node-filter" hidden>Only findings reached through <strong></strong>. '
            '<button type="button">Show all</button></p>'
            f'<div id="finding-list">{articles}</div>'
            '<p id="empty" class="muted" hidden>No findings match the filters.</p></section>'
        )

    def _finding(self, f: Finding, fid: str) -> str:
        nums = [("time per unit of work", fmt_time(f.score), "score")]
        if f.cost > 0:
            nums.append(("cost per execution", fmt_time(f.cost), "cost"))
        nums.append(("executions per unit of work", fmt_frequency(f.frequency), "frequency"))
        nums.append(("confidence", f.confidence, "confidence"))
        if f.measured is not None:
            nums.append(("profile", f.measured.describe(), "measured"))
        dl = "".join(
            f'<div><dt>{text(label)}</dt><dd class="{cls}">{text(value)}</dd></div>' for label, value, cls in nums
        )
        parts = [
            f'<article class="finding sev-{attr(f.severity)}" id="{fid}" data-family="{attr(f.family)}" '
            f'data-severity="{attr(f.severity)}" data-rule="{attr(f.rule)}" data-path="{attr(f.path)}" '
            f'data-line="{f.line}" data-seconds="{f.score!r}" aria-labelledby="{fid}-h">',
            f'<header id="{fid}-h"><span class="sev">{text(f.severity)}</span>'
            f'<a class="rule-code" href="#rule-{attr(f.rule)}">{text(f.rule)}</a>'
            f'<span class="name">{text(f.name)}</span>'
            f'<span class="loc">{text(f.path)}:{f.line}:{f.column}</span>'
            + (f"<span>in <code>{text(f.function)}</code></span>" if f.function else "")
            + "</header>",
            f'<p class="msg">{text(f.message)}</p>',
            f'<dl class="nums">{dl}</dl>',
        ]
        if f.context:
            parts.append(f'<p class="ctx">{text(f.context)}</p>')
        why = self.result.extra.get("explanations", {}).get(f.fingerprint)
        if why:  # the --explain-scores line: how the score was reached
            parts.append(f'<p class="why">{text(why)}</p>')
        if f.rule != PARSE_ERROR.code:
            first, last = site_window(f.line, f.end_line)
            parts.append(self.code.excerpt(f.path, first, last, range(f.line, min(f.end_line, last) + 1)))
        if f.trace:
            chain = " → ".join(function_chain(f))
            hops = "".join(
                f'<li><div><span class="loc">{text(hop.path)}:{hop.line}</span> <code>{text(hop.function)}</code>: '
                f"{text(hop.note)}</div>{self.code.shared(hop.path, *hop_window(hop.line), [hop.line])}</li>"
                for hop in f.trace
            )
            parts.append(
                f'<details class="trace"><summary>Trace, {fmt_count(len(f.trace), "hop")}: {text(chain)}</summary>'
                f'<ol class="trace">{hops}</ol></details>'
            )
        if f.related:
            sites = "".join(
                f'<li><div><span class="loc">{text(loc.path)}:{loc.line}:{loc.column}</span> {text(loc.note)}</div>'
                f"{self.code.shared(loc.path, *site_window(loc.line, loc.end_line), range(loc.line, loc.end_line + 1))}</li>"
                for loc in f.related
            )
            parts.append(
                f"<details class=\"related\"><summary>{fmt_count(len(f.related), 'more site')} of the same cause"
                f'</summary><ol class="trace">{sites}</ol></details>'
            )
        if f.fix:
            parts.append(f'<p class="fix"><strong>Fix:</strong> {text(f.fix)}</p>')
        links = [f'<a href="#rule-{attr(f.rule)}">about {text(f.rule)} in this report</a>']
        if f.rule != PARSE_ERROR.code:
            links.append(
                f'<a href="{attr(docs_link(self.docs_url, f.rule))}" rel="noreferrer">{text(f.rule)} documentation</a>'
            )
        parts.append(f'<p class="links">{" · ".join(links)}</p></article>')
        return "".join(parts)

    # -- rules, errors, data ----------------------------------------------------------
    def _rule_docs(self) -> str:
        codes = sorted({f.rule for f in self.findings})
        if not codes:
            return ""
        md = self.code.markdown()
        articles = []
        for code in codes:
            info = self.rules.get(code)
            if info is None:
                info = RuleInfo(code, "", "", "", "", "", "warning")
            doc = md.render(info.docs) if info.docs else f"<p>{text(info.summary)}</p>"
            link = "" if code == PARSE_ERROR.code else (
                f'<p><a href="{attr(docs_link(self.docs_url, code))}" rel="noreferrer">Full documentation of '
                f"{text(code)}</a></p>"
            )
            fix = f'<p class="fix"><strong>Fix:</strong> {text(info.fix)}</p>' if info.fix else ""
            articles.append(
                f'<article class="rule-doc" id="rule-{attr(code)}"><h3>{text(code)} {text(info.name)} '
                f'<span class="muted">({text(info.family)})</span></h3>{mark_bidi(doc)}{fix}{link}</article>'
            )
        return (
            '<section id="rules" aria-labelledby="rules-h"><h2 id="rules-h">Rules in this report</h2>'
            + "".join(articles) + "</section>"
        )

    def _errors(self) -> str:
        if not self.result.errors:
            return ""
        items = "".join(
            f'<li><span class="loc">{text(e.path)}</span>: {text(e.message)}</li>' for e in self.result.errors
        )
        return (
            '<section id="errors" aria-labelledby="errors-h"><h2 id="errors-h">Files not analysed</h2>'
            f'<ul class="errors">{items}</ul></section>'
        )

    def _data(self) -> Dict[str, Any]:
        """What the script needs, plus the summary for tools that read the page."""
        nodes = {}
        for node in hot_tree.walk(self.roots):
            nodes[node.id] = {
                "function": node.function,
                "path": node.path,
                "line": node.line,
                "time": fmt_time(node.time),
                "seconds": node.time,
                "findings": [self.ids[i] for i in node.under],
            }
        summary = self.result.to_json()["summary"]
        return {"version": self.result.version, "summary": summary, "nodes": nodes}


def _rule_infos(result: Result) -> Mapping[str, RuleInfo]:
    infos = {info.code: info for info in result.rules}
    infos.setdefault(PARSE_ERROR.code, PARSE_ERROR)
    return infos
