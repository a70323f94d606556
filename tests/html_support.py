"""Helpers for the HTML report's browser tests and bench: the system Chromium, a large synthetic result."""

from __future__ import annotations

import shutil
from typing import Dict, List, Optional, Tuple

from perflint.finding import Finding, Result, TraceHop

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
# No sandbox: CI runs as root in a container; the rest keeps Chromium from phoning home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> Optional[str]:
    for path in CHROMIUM_PATHS:
        if shutil.which(path):
            return path
    return shutil.which("chromium")


def browser_missing() -> Optional[str]:
    """Why no browser test can run here, or None. `.ci/run` installs both halves."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if chromium_path() is None:
        return "no system Chromium (apt-get install -y chromium); playwright's own browser download is not used"
    return None


def launch(playwright):
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def distinct_colours(png: bytes) -> int:
    """How many colours a screenshot has (a blank page has one)."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    return len(colours) if colours is not None else 1 << 16


def synthetic(findings: int = 100, roots: int = 12, depth: int = 8, files: int = 60) -> Tuple[Result, Dict[str, Dict[int, str]]]:
    """A Twisted-sized result: `findings` findings at every severity, each reached from one of
    `roots` entry points through `depth` calls, with the source lines a real run would collect."""
    out: List[Finding] = []
    excerpts: Dict[str, Dict[int, str]] = {}

    def lines(path: str, around: int) -> None:
        numbers = excerpts.setdefault(path, {})
        for n in range(max(1, around - 3), around + 4):
            numbers[n] = f"        result = self.handler_{n % 17}.process(item, options=self.options)  # line {n}"

    severities = ("error", "warning", "note")
    rules = (("PFL101", "deepcopy-per-call", "clone"), ("PFL201", "buffer-per-read", "alloc"),
             ("PFL301", "rebuild-on-commit", "rebuild"), ("PFL402", "sync-per-statement", "sync"),
             ("PFL503", "query-in-loop", "fastpath"))
    for i in range(findings):
        root = i % roots
        trace = []
        for d in range(depth):
            branch = (i // roots) % (d + 1)  # shared prefixes, then branching: a real tree
            path = f"twisted/mod{(root * depth + d + branch) % files}.py"
            line = 10 + 7 * d + branch
            trace.append(TraceHop(path, line, f"Class{root}.method_{d}_{branch}",
                                  f"calls Class{root}.method_{d + 1} inside a for loop (line {line - 1})"))
            lines(path, line)
        code, name, family = rules[i % len(rules)]
        path = f"twisted/site{i % files}.py"
        line = 100 + i
        lines(path, line)
        out.append(Finding(
            rule=code, name=name, family=family, severity=severities[i % 3], score=10.0 ** (-(i % 6)),
            confidence="high", path=path, line=line, column=9, end_line=line, end_column=40,
            function=f"Site{i}.run", message=f"synthetic finding {i}: an operation that costs per item",
            fix="do it once, outside the loop", trace=tuple(trace), context=f"in Site{i}.run; reached per item",
            cost=1e-4, frequency=100.0,
        ))
    out.sort(key=lambda f: f.sort_key)
    result = Result(version="0.0.0", findings=tuple(out), errors=(), files=files,
                    total_score=sum(f.score for f in out))
    return result, excerpts
