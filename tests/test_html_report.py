"""`--format html`: the page as a user opens it (headless system Chromium) and as a parser reads it."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest
from conftest import ROOT, run_cli
from html_support import browser_missing, distinct_colours, launch, synthetic

from perflint.excerpts import collect
from perflint.finding import Finding, Location, Measured, Result, TraceHop
from perflint.report import FORMATS, renderers
from perflint.report import html as html_report
from perflint.report.hot_tree import build, walk
from perflint.units import format_time

SEEDSQL = ROOT / "fixtures" / "seedsql"
HOSTILE = ROOT / "fixtures" / "hostile"
# A folder name that is itself an attack: quotes, a tag with a handler, a bidi override.
HOSTILE_DIR = 'x"><img src=x onerror=alert(9)>\u202e'

Key = Tuple[str, str, int]


class Scan:
    def __init__(self, html_path: Path, data: dict, code: int) -> None:
        self.path = html_path
        self.text = html_path.read_text(encoding="utf-8")
        self.data = data
        self.code = code

    def keys(self, keep=lambda f: True) -> Set[Key]:
        return {(f["rule"], f["path"], f["line"]) for f in self.data["findings"] if keep(f)}


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Scan:
    out = tmp_path_factory.mktemp("seed")
    args = ["check", "seedsql", "--no-cache", "--min-severity", "note"]
    report = run_cli([*args, "--format", "html", "-o", str(out / "report.html")], SEEDSQL)
    again = run_cli([*args, "--format", "html", "--output", str(out / "again.html")], SEEDSQL)
    data = run_cli([*args, "--format", "json"], SEEDSQL).json()
    assert report.out == "" and again.code == report.code
    scan = Scan(out / "report.html", data, report.code)
    scan.again = (out / "again.html").read_text(encoding="utf-8")  # type: ignore[attr-defined]
    return scan


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Scan:
    base = tmp_path_factory.mktemp("hostile")
    shutil.copytree(HOSTILE, base / HOSTILE_DIR)
    args = ["check", HOSTILE_DIR, "--no-cache"]
    report = run_cli([*args, "--format", "html", "-o", "report.html"], base)
    data = run_cli([*args, "--format", "json"], base).json()
    assert len(data["findings"]) == 3, data
    return Scan(base / "report.html", data, report.code)


# -- the page as a parser reads it -------------------------------------------------------
class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: List[Tuple[str, Dict[str, str]]] = []
        self.scripts: List[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(text: str) -> Tags:
    tags = Tags()
    tags.feed(text)
    return tags


def test_html_is_a_listed_format(cli):
    assert "html" in FORMATS and renderers()["html"] is html_report.render
    assert "html" in cli(["check", "--help"], ROOT).out


def test_cli_writes_the_report_and_keeps_the_exit_code(seed):
    assert seed.code == 1  # findings at warning fail the run, whatever the format
    assert seed.text.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert seed.text.endswith("</html>\n")


def test_self_contained_no_network_references(seed):
    page = parse(seed.text)
    names = [tag for tag, _ in page.tags]
    assert "link" not in names and "iframe" not in names and "img" not in names
    for tag, attrs in page.tags:
        assert "src" not in attrs, tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        href = attrs.get("href")
        if href is not None:  # in-page anchors, and rule docs links a reader may follow
            assert href.startswith("#") or re.fullmatch(
                r"https://github\.com/perflint-cst/perflint/blob/main/docs/rules/PFL\d{3}\.md", href), href
    assert len(page.scripts) == 2  # the data block and the hand-written script


def test_csp_allows_only_the_inline_script(seed):
    page = parse(seed.text)
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    digest = base64.b64encode(hashlib.sha256(page.scripts[1].encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp


def test_same_input_same_bytes_and_relative_paths(seed):
    assert seed.text == seed.again
    assert str(ROOT) not in seed.text and "/tmp/" not in seed.text


def test_score_explanations_are_shown(seed):
    # the --explain-scores line: time = cost x frequency x confidence, and the threshold
    assert re.search(r'<p class="why">[0-9.]+ (ns|µs|ms|s) per unit of work = cost ', seed.text)


def test_embedded_data_carries_the_json_summary(seed):
    data = json.loads(parse(seed.text).scripts[0])
    assert data["summary"] == seed.data["summary"] and data["version"] == seed.data["version"]


def test_finding_shows_cost_frequency_measured_and_related_sites():
    measured = Measured(True, calls=1200, cumulative=0.5, own=0.1, share=0.25, profile="run.prof")
    f = Finding(rule="PFL402", name="sync-per-statement", family="sync", severity="error", score=0.0123,
                confidence="medium", path="m.py", line=4, column=5, end_line=4, end_column=17, function="save",
                message="os.fsync() runs once per iteration", fix="sync once", cost=1.23e-4, frequency=100.0,
                trace=(TraceHop("m.py", 2, "save", "for loop"),), measured=measured,
                related=(Location("m.py", 6, 5, 6, 17, "a second fsync in the same loop"),))
    lines = {n: f"line_{n} = {n}" for n in range(1, 9)}
    page = html_report.render(Result(version="0", findings=(f,), errors=(), files=1, total_score=0.0123),
                              excerpts={"m.py": lines})
    assert '<dd class="score">12.3 ms</dd>' in page
    assert '<dd class="cost">123 µs</dd>' in page
    assert '<dd class="frequency">x100</dd>' in page
    assert '<dd class="confidence">medium</dd>' in page
    assert '<dd class="measured">measured: 1,200 calls, 500 ms cumulative (25% of the profile)</dd>' in page
    assert "1 more site of the same cause" in page and "a second fsync in the same loop" in page
    assert page.count('<template id="c') == 2  # the hop's and the related site's excerpts
    assert '<span class="hll"><span class="linenos">4</span>line_4' in page


def test_rule_docs_are_embedded_for_every_reported_rule(seed):
    for code in {f["rule"] for f in seed.data["findings"]}:
        assert f'id="rule-{code}"' in seed.text
        assert f'href="#rule-{code}"' in seed.text
    assert "<h2>What it does</h2>" in seed.text  # the docstring sections, rendered


def test_docs_url_option_reaches_the_links(tmp_path):
    out = tmp_path / "r.html"
    run = run_cli(["check", "seedsql", "--no-cache", "--select", "PFL402", "--format", "html", "-o", str(out),
                   "--docs-url", "https://docs.example.invalid/rules/{code}/"], SEEDSQL)
    assert run.code == 1
    assert 'href="https://docs.example.invalid/rules/PFL402/"' in out.read_text(encoding="utf-8")
    assert html_report.docs_link("https://x.invalid/docs/", "PFL201") == "https://x.invalid/docs/PFL201.md"


def test_unwritable_output_is_a_one_line_error(tmp_path):
    run = run_cli(["check", "seedsql", "--no-cache", "--format", "html", "-o", str(tmp_path / "no" / "r.html")], SEEDSQL)
    assert run.code == 2
    assert run.err.startswith("perflint: error: ") and run.err.count("\n") == 1


def test_hostile_source_is_escaped_in_the_markup(hostile):
    page = parse(hostile.text)
    assert not any(tag in ("img", "b", "i") for tag, _ in page.tags)
    assert len(page.scripts) == 2
    assert "<script>alert" not in hostile.text and "<img" not in hostile.text
    assert '&lt;/script&gt;&lt;script&gt;alert("fsync")&lt;/script&gt;' in hostile.text
    data = json.loads(page.scripts[0])
    assert {node["path"] for node in data["nodes"].values()} == {f"{HOSTILE_DIR}/app.py"}


def test_script_json_cannot_close_the_script_tag():
    nasty = "</script><!--<script>&\u2028\u2029"
    out = html_report.script_json({"k": nasty})
    assert not set(out) & set("<>&\u2028\u2029")
    assert json.loads(out) == {"k": nasty}


def test_excerpts_missing_source_says_so(tmp_path):
    f = Finding(rule="PFL401", name="fsync-where-fdatasync", family="sync", severity="warning", score=1e-3,
                confidence="high", path="gone.py", line=3, column=1, end_line=3, end_column=9, function="f",
                message="m", fix="x", trace=(TraceHop("gone.py", 1, "f", "entry"),))
    result = Result(version="0", findings=(f,), errors=(), files=1)
    assert collect(result, base=tmp_path) == {}
    assert '<p class="nosrc">source not available</p>' in html_report.render(result)


def test_excerpts_keep_python_line_numbers(tmp_path):
    (tmp_path / "m.py").write_text("a = 1\nb = '\u2028'\x0c\nc = 3\nd = 4\n", encoding="utf-8")
    f = Finding(rule="PFL401", name="n", family="sync", severity="note", score=0.0, confidence="high",
                path="m.py", line=3, column=1, end_line=3, end_column=5, function="<module>", message="m", fix="")
    lines = collect(Result(version="0", findings=(f,), errors=(), files=1), base=tmp_path)["m.py"]
    assert lines[3] == "c = 3" and lines[1] == "a = 1"


def test_hot_tree_groups_seedsql_under_its_entry_point(seed):
    from perflint.finding import Finding as F

    findings = [F(**{**f, "trace": tuple(TraceHop(**h) for h in f["trace"]), "related": (), "measured": None})
                for f in seed.data["findings"]]
    roots = build(findings)
    assert [(r.function, r.id, len(r.under)) for r in roots] == [("Session.executemany", "n1", len(findings))]
    assert [n.id for n in walk(roots)] == [f"n{i}" for i in range(1, len(walk(roots)) + 1)]
    commit = next(n for n in walk(roots) if n.function == "Session.commit")
    expected = sum(1 for f in findings
                   if f.function == "Session.commit" or any(h.function == "Session.commit" for h in f.trace))
    assert len(commit.under) == expected


# -- the page in a browser ---------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch(pw)
        yield chromium
        chromium.close()


class Opened:
    """A page opened from a file:// URL with every other request blocked and recorded."""

    def __init__(self, browser, path: Path) -> None:
        self.url = path.resolve().as_uri()
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.requests: List[str] = []
        self.dialogs: List[str] = []
        self.errors: List[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.goto(self.url)

    def _route(self, route):
        if route.request.url == self.url:
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visible(self) -> Set[Key]:
        rows = self.page.eval_on_selector_all(
            "article.finding", "els => els.filter(e => !e.hidden).map(e => [e.dataset.rule, e.dataset.path, +e.dataset.line])")
        return {tuple(r) for r in rows}

    def close(self) -> None:
        assert self.requests == [], f"the page tried the network: {self.requests}"
        assert self.dialogs == [] and self.errors == []
        self.context.close()


@pytest.fixture
def seed_page(browser, seed):
    opened = Opened(browser, seed.path)
    yield opened
    opened.close()


def test_browser_summary_matches_the_json_output(seed_page, seed):
    page, data = seed_page.page, seed.data
    counts = data["summary"]["findings"]
    for severity in ("error", "warning", "note"):
        assert page.text_content(f"#count-{severity}") == str(counts[severity])
    assert page.text_content("#total-findings") == str(len(data["findings"]))
    assert page.text_content("#files") == str(data["summary"]["files"])
    assert float(page.get_attribute("#total-time", "data-seconds")) == pytest.approx(data["summary"]["score"], abs=0.005)
    assert page.text_content("#total-time") == format_time(data["summary"]["score"])
    per = Counter((f["family"], f["severity"]) for f in data["findings"])
    rows = page.eval_on_selector_all("#by-family tbody tr", """rows => rows.map(r => [r.dataset.family,
        Array.from(r.querySelectorAll('td[data-severity]')).map(td => [td.dataset.severity, +td.textContent])])""")
    assert sorted(family for family, _ in rows) == sorted({f["family"] for f in data["findings"]})
    for family, cells in rows:
        for severity, number in cells:
            assert number == per[(family, severity)], (family, severity)
    assert seed_page.visible() == seed.keys()
    assert page.text_content("#status") == f"Showing {len(data['findings'])} of {len(data['findings'])} findings"


def test_browser_clicking_a_hot_path_node_shows_its_findings(seed_page, seed):
    page = seed_page.page
    node = page.locator("#tree button.node", has=page.locator(".fn", has_text=re.compile(r"^Session\.commit$")))
    node.click()
    expected = seed.keys(lambda f: f["function"] == "Session.commit"
                         or any(h["function"] == "Session.commit" for h in f["trace"]))
    assert 0 < len(expected) < len(seed.data["findings"])
    assert node.get_attribute("aria-pressed") == "true"
    assert seed_page.visible() == expected
    panel = page.eval_on_selector_all("#node-panel li a", "as => as.map(a => a.getAttribute('href'))")
    assert len(panel) == len(expected)
    shown = page.eval_on_selector_all("article.finding", "els => els.filter(e => !e.hidden).map(e => '#' + e.id)")
    assert sorted(panel) == sorted(shown)
    assert page.is_visible("#node-filter") and "Session.commit" in page.text_content("#node-filter strong")
    page.click("#node-filter button")  # "Show all"
    assert seed_page.visible() == seed.keys() and node.get_attribute("aria-pressed") == "false"
    page.click("#top-paths button.bar")  # the entry point's bar selects the whole tree
    assert seed_page.visible() == seed.keys(lambda f: bool(f["trace"]))
    assert page.get_attribute("#n1", "aria-pressed") == "true"


def test_browser_filters_hide_and_show_the_right_findings(seed_page, seed):
    page = seed_page.page
    for family in sorted({f["family"] for f in seed.data["findings"]}):
        page.select_option("#filter-family", family)
        assert seed_page.visible() == seed.keys(lambda f: f["family"] == family), family
    page.select_option("#filter-family", "")
    page.select_option("#filter-severity", "error")
    assert seed_page.visible() == seed.keys(lambda f: f["severity"] == "error")
    page.select_option("#filter-severity", "")
    page.select_option("#filter-rule", "PFL402")
    assert seed_page.visible() == seed.keys(lambda f: f["rule"] == "PFL402")
    page.select_option("#filter-rule", "")
    page.fill("#filter-path", "PAGER")
    assert seed_page.visible() == seed.keys(lambda f: "pager" in f["path"])
    page.select_option("#filter-family", "sync")  # filters combine
    assert seed_page.visible() == seed.keys(lambda f: "pager" in f["path"] and f["family"] == "sync")
    page.click("#filter-clear")
    assert seed_page.visible() == seed.keys()
    page.fill("#filter-search", "fdatasync")
    texts = page.eval_on_selector_all("article.finding", "els => els.map(e => [e.hidden, e.textContent.toLowerCase()])")
    assert all(("fdatasync" in t) != hidden for hidden, t in texts)
    assert ("PFL401", "seedsql/pager.py", 87) in seed_page.visible()
    page.fill("#filter-search", "no such text anywhere")
    assert seed_page.visible() == set() and page.is_visible("#empty")


def test_browser_keyboard_alone(seed_page, seed):
    page = seed_page.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    for _ in range(30):  # Tab reaches the hot-path tree
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('node')"):
            break
    else:
        pytest.fail("no hot-path node reachable with Tab")
    focused = page.evaluate("document.activeElement.id")
    page.keyboard.press("Enter")
    assert page.get_attribute(f"#{focused}", "aria-pressed") == "true"
    page.keyboard.press("Escape")
    assert page.get_attribute(f"#{focused}", "aria-pressed") == "false"
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "filter-search"
    page.keyboard.type("bytearray")
    assert seed_page.visible() == seed.keys(lambda f: f["rule"] == "PFL201")


def test_browser_screenshot_is_not_blank(seed_page, tmp_path):
    shot = tmp_path / "seedsql-report.png"
    seed_page.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert distinct_colours(shot.read_bytes()) > 50


def test_browser_shows_hostile_text_as_text(browser, hostile):
    opened = Opened(browser, hostile.path)
    page = opened.page
    source = (HOSTILE / "app.py").read_text(encoding="utf-8").split("\n")
    for summary in page.locator("article.finding details > summary").all():
        summary.click()  # trace excerpts are placed when their <details> opens
    page.wait_for_function("document.querySelectorAll('div.lazy:empty').length === 0", timeout=5000)  # toggle is async
    # every excerpt line reads exactly as the file does (line numbers aside)
    code = page.eval_on_selector_all("article.finding .hl code", """els => els.map(e => { const c = e.cloneNode(true);
        c.querySelectorAll('.linenos').forEach(n => n.remove()); return c.textContent; })""")
    numbers = page.eval_on_selector_all("article.finding .hl code", "els => els.map(e => +e.querySelector('.linenos').textContent)")
    assert code and len(code) == len(numbers)
    for text, first in zip(code, numbers):
        assert text == "\n".join(source[first - 1: first - 1 + text.count("\n")]) + "\n"
    joined = "".join(code)
    for hostile_text in ('</script><script>alert("fsync")</script>', "<img src=x onerror=\"alert('hop')\">",
                         "access\u202e \"evil\" \u2066# admin\u2069\u2066"):
        assert hostile_text in joined
    assert page.evaluate("document.querySelectorAll('img, b, i').length") == 0
    assert page.evaluate("document.scripts.length") == 2
    bidi = page.eval_on_selector_all(".bidi", "els => els.map(e => [e.textContent, e.dataset.cp])")
    assert ["\u202e", "U+202E"] in bidi and ["\u2066", "U+2066"] in bidi
    paths = page.eval_on_selector_all("article.finding", "els => els.map(e => e.dataset.path)")
    assert set(paths) == {f"{HOSTILE_DIR}/app.py"}
    locs = page.eval_on_selector_all("article.finding .loc", "els => els.map(e => e.textContent)")
    assert all(loc.startswith(f"{HOSTILE_DIR}/app.py:") for loc in locs)
    page.click("#n1")
    page.fill("#filter-search", "onerror")
    opened.close()  # no dialog, no page error, no request


def test_browser_large_report_size_and_opens(browser, tmp_path):
    # Its open time is a benchmark's (bench/html_report.py prints it against the 1 s budget),
    # not a unit test's: on a shared machine a timed assertion fails with the load.
    result, excerpts = synthetic(findings=100)
    text = html_report.render(result, excerpts=excerpts)
    path = tmp_path / "large.html"
    path.write_text(text, encoding="utf-8")
    assert len(text.encode("utf-8")) < 2_000_000
    opened = Opened(browser, path)
    assert opened.page.text_content("#total-findings") == "100"
    opened.close()


def test_browser_empty_report_and_parse_errors(browser, tmp_path):
    (tmp_path / "bad.py").write_text("def broken(:\n    pass\n", encoding="utf-8")
    (tmp_path / "ok.py").write_text("x = 1\n", encoding="utf-8")
    run = run_cli(["check", ".", "--no-cache", "--format", "html", "-o", "r.html"], tmp_path)
    assert run.code == 1  # a parse error is an error finding
    opened = Opened(browser, tmp_path / "r.html")
    assert [(rule, path) for rule, path, _ in opened.visible()] == [("PFL000", "bad.py")]
    assert opened.page.is_visible("#errors") and "bad.py" in opened.page.text_content("#errors")
    opened.close()
    (tmp_path / "bad.py").unlink()
    assert run_cli(["check", ".", "--no-cache", "--format", "html", "-o", "r.html"], tmp_path).code == 0
    opened = Opened(browser, tmp_path / "r.html")
    assert opened.page.text_content("#total-findings") == "0" and opened.visible() == set()
    assert opened.page.text_content("#status") == "Showing 0 of 0 findings"
    opened.close()
