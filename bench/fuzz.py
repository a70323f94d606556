#!/usr/bin/env python3
"""Fuzz perflint's whole pipeline: parse, rules, summaries, call graph, scoring, every reporter.

    python bench/fuzz.py grammar --examples 2000      # hypothesmith programs (hypothesis)
    python bench/fuzz.py mutate  --examples 2000      # real stdlib files, truncated / corrupted
    python bench/fuzz.py all     --examples 2000      # both

Properties checked on every example:
  * no exception escapes `pipeline()` (phase 1, pickling a summary as the workers and the
    cache do, phase 2, finalize, every renderer from perflint.report.renderers(), the graph);
  * no file error says "internal error" (a rule or the walker raised and was caught);
  * JSON, SARIF, GitLab and graph output are valid JSON;
  * running the pipeline twice gives identical output (determinism);
  * a program that libcst itself generated (hypothesmith.from_node) is never a parse error.
In mutate mode, every `--jobs-every` examples the last files are written to a folder and
scanned with jobs=1 and jobs=2 (engine.scan, no cache): the JSON must be identical.

tests/test_fuzz.py runs a short version of the same checks through `pipeline()`.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import sys
import tempfile
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from perflint.analyze import Analyzer  # noqa: E402
from perflint.callgraph import Program  # noqa: E402
from perflint.config import Config  # noqa: E402
from perflint.discovery import SourceFile  # noqa: E402
from perflint.engine import finalize, scoped_hot  # noqa: E402
from perflint.finding import Result  # noqa: E402
from perflint.registry import select_rules  # noqa: E402
from perflint.report import renderers  # noqa: E402

JSON_FORMATS = ("json", "sarif", "gitlab")

# Known smells appended to generated programs so that the rules and the call graph have
# something to chew on besides random code.
SMELLS = (
    "",
    "import os\n\ndef _w(fd, xs):\n    for x in xs:\n        os.fsync(fd)\n",
    "import copy\n\nclass _C:\n    def get(self):\n        return copy.deepcopy(self._d)\n\ndef _run(c, n):\n    for i in range(n):\n        c.get()\n",
    "def _read(f):\n    buf = bytearray(4096)\n    f.readinto(buf)\n    return buf\n\ndef _all(fs):\n    for f in fs:\n        _read(f)\n",
    "def _load(conn, rows):\n    for row in rows:\n        conn.execute('INSERT INTO t VALUES (?)', row)\n        conn.commit()\n",
    "import json\n\ndef _parse(t):\n    return json.loads(t)\n\ndef _each(ts):\n    return [_parse(t) for t in ts]\n",
)


class FuzzFailure(AssertionError):
    pass


def _source_file(path: str) -> SourceFile:
    module = path[:-3].replace("/", ".")
    is_package = module.endswith(".__init__")
    if is_package:
        module = module[: -len(".__init__")]
    return SourceFile(Path("/nonexistent-fuzz") / path, path, module, is_package, path.startswith("tests/"))


_ANALYZERS: Dict[Tuple[str, ...], Tuple[list, Analyzer]] = {}


def _analyzer(config: Config, select: Tuple[str, ...]) -> Tuple[list, Analyzer]:
    key = (repr(config.cache_key()), *select)
    if key not in _ANALYZERS:
        rules = select_rules(config, select)
        _ANALYZERS[key] = (rules, Analyzer(rules))
    return _ANALYZERS[key]


def pipeline(files: Dict[str, bytes], config: Optional[Config] = None,
             select: Tuple[str, ...] = ("ALL",)) -> Tuple[Result, Dict[str, str]]:
    """The whole run in memory, for {"pkg/mod.py": bytes}; returns the result and every output."""
    config = config or Config(min_severity="note", root=Path("/nonexistent-fuzz"))
    rules, analyzer = _analyzer(config, select)
    summaries = []
    for path, data in sorted(files.items()):
        summary = analyzer.analyze_bytes(_source_file(path), data)
        # Workers and the cache ship summaries pickled: the round trip must be lossless.
        summaries.append(pickle.loads(pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL)))
    program = Program(
        [s for s in summaries if s.error is None], loop_trips=config.loop_trips, nested_loop_trips=config.nested_loop_trips,
        data_bytes=config.data_bytes, hot=config.hot,
        scoped_hot=scoped_hot(summaries, config),
    )
    result = finalize(summaries, program, config, rules)
    outputs: Dict[str, str] = {}
    for name, render in sorted(renderers().items()):
        outputs[name] = render(result)
        if name == "text":
            outputs["text-color"] = render(result, color=True)
            outputs["text-no-trace"] = render(result, show_trace=False)
    outputs["graph"] = json.dumps(program.graph_json(), indent=2, sort_keys=True)
    outputs["pycg"] = json.dumps(program.graph_pycg(), indent=2, sort_keys=True)
    return result, outputs


def check(files: Dict[str, bytes], *, from_libcst: bool = False, twice: bool = True) -> Result:
    """Run the pipeline and check every property; raise FuzzFailure with a reason."""
    try:
        result, outputs = pipeline(files)
    except Exception as exc:
        raise FuzzFailure(f"exception escaped: {type(exc).__name__}: {exc}\n{traceback.format_exc()}") from exc
    for error in result.errors:
        if "internal error" in error.message:
            raise FuzzFailure(f"{error.path}: {error.message}")
        if "\n" in error.message:
            raise FuzzFailure(f"{error.path}: multi-line error message {error.message!r}")
    if from_libcst and result.errors:
        raise FuzzFailure(f"libcst-generated code reported as an error: {result.errors}")
    for name in JSON_FORMATS + ("graph", "pycg"):
        if name in outputs:
            try:
                json.loads(outputs[name])
            except ValueError as exc:
                raise FuzzFailure(f"--format {name} is not valid JSON: {exc}") from exc
    for name, text in outputs.items():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise FuzzFailure(f"--format {name} cannot be written as UTF-8: {exc}") from exc
    errors = {e.path for e in result.errors}
    for finding in result.findings:
        if finding.rule == "PFL000":
            if finding.path not in errors:
                raise FuzzFailure(f"PFL000 without an errors entry: {finding}")
            continue
        if finding.path in errors:
            raise FuzzFailure(f"finding in a file that has an error: {finding}")
        data = files.get(finding.path)
        if data is not None:
            lines = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n") + 1
            if not 1 <= finding.line <= lines or finding.end_line < finding.line:
                raise FuzzFailure(f"finding outside the file ({lines} lines): {finding}")
    if twice:
        _, again = pipeline(files)
        for name in outputs:
            if outputs[name] != again[name]:
                raise FuzzFailure(f"--format {name} differs between two runs")
    return result


def jobs_agree(files: Dict[str, bytes], workdir: Path) -> None:
    """Write `files` to `workdir` and scan them with jobs=1 and jobs=2 (no cache)."""
    from perflint.engine import scan
    from perflint.report import json_format

    for path, data in files.items():
        target = workdir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    config = Config(min_severity="note", root=workdir)
    old = os.getcwd()
    os.chdir(workdir)
    try:
        one = json_format.render(scan([workdir], config, jobs=1).result)
        two = json_format.render(scan([workdir], config, jobs=2).result)
    finally:
        os.chdir(old)
    if one != two:
        raise FuzzFailure("jobs=1 and jobs=2 give different JSON")


# --- grammar mode (hypothesis + hypothesmith) --------------------------------------------------


def run_grammar(examples: int, seed: int) -> int:
    import hypothesmith
    from hypothesis import HealthCheck, given, seed as hseed, settings
    from hypothesis import strategies as st

    count = [0]
    failures: List[str] = []

    @hseed(seed)
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    # One draw of each strategy per example: hypothesmith's target() labels may not repeat.
    @given(
        grammar=hypothesmith.from_grammar(),
        node=st.one_of(st.just(""), hypothesmith.from_node()),
        smells=st.lists(st.sampled_from(SMELLS), min_size=2, max_size=2),
    )
    def prop(grammar: str, node: str, smells: List[str]) -> None:
        count[0] += 1
        programs = [grammar, node] if node else [grammar]
        files = {}
        for i, (program, smell) in enumerate(zip(programs, smells * 3)):
            text = program if not smell else program.rstrip("\n") + "\n\n" + smell if program.strip() else smell
            files[f"pkg/m{i}.py"] = text.encode("utf-8", "surrogatepass")
        files["pkg/__init__.py"] = b"from pkg.m0 import *\n"
        check(files)

    start = time.perf_counter()
    try:
        prop()
    except Exception as exc:  # hypothesis has shrunk it: print the minimal example
        failures.append(f"{type(exc).__name__}: {exc}")
    print(f"grammar: {count[0]} examples (hypothesmith from_grammar + from_node), "
          f"{time.perf_counter() - start:.0f}s, {len(failures)} failure(s)")
    for failure in failures:
        print(failure[:5000])
    return len(failures)


# --- mutate mode (real files, corrupted) -------------------------------------------------------


def corpus_files(limit: int, rng: random.Random) -> List[Path]:
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    paths = sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts and p.stat().st_size < 200_000)
    rng.shuffle(paths)
    return paths[:limit]


def mutate(data: bytes, rng: random.Random) -> Tuple[str, bytes]:
    kind = rng.choice(("truncate", "insert", "delete", "flip", "duplicate", "swap-lines",
                       "indent", "brackets", "encoding"))
    n = len(data)
    at = rng.randrange(n + 1) if n else 0
    if kind == "truncate":
        return kind, data[:at]
    if kind == "insert":
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        return kind, data[:at] + junk + data[at:]
    if kind == "delete":
        return kind, data[:at] + data[at + rng.randint(1, 200):]
    if kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            if out:
                out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return kind, bytes(out)
    if kind == "duplicate":
        end = min(n, at + rng.randint(1, 2000))
        return kind, data[:end] + data[at:end] + data[end:]
    lines = data.split(b"\n")
    if kind == "swap-lines" and len(lines) > 2:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return kind, b"\n".join(lines)
    if kind == "indent" and lines:
        i = rng.randrange(len(lines))
        lines[i] = rng.choice((b"\t", b"  ", b"\x0c", b"")) + lines[i].lstrip() if rng.random() < 0.5 else b" " + lines[i]
        return kind, b"\n".join(lines)
    if kind == "brackets":
        return kind, data[:at] + rng.choice((b"(", b")", b"[", b"{", b"}", b"'", b'"""', b"\\", b":")) * rng.randint(1, 300) + data[at:]
    if kind == "encoding":
        cookie = rng.choice((b"latin-1", b"utf-16", b"bogus", b"utf-8", b"cp1252", b"ascii", b"rot13"))
        head = rng.choice((b"", b"\xef\xbb\xbf"))
        return kind, head + b"# -*- coding: " + cookie + b" -*-\n" + data
    return "truncate", data[:at]


def run_mutate(examples: int, seed: int, jobs_every: int) -> int:
    rng = random.Random(seed)
    sources = corpus_files(400, rng)
    texts = [p.read_bytes() for p in sources]
    failures: List[str] = []
    kinds: Dict[str, int] = {}
    slowest = (0.0, "")
    recent: Dict[str, bytes] = {}
    jobs_checks = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="perflint-fuzz-") as tmp:
        for i in range(examples):
            index = rng.randrange(len(texts))
            kind, data = mutate(texts[index], rng)
            kinds[kind] = kinds.get(kind, 0) + 1
            # the corrupted file next to an intact neighbour that must still be analysed
            neighbour = texts[(index + 1) % len(texts)]
            files = {"pkg/__init__.py": b"", "pkg/broken.py": data, "pkg/intact.py": neighbour}
            t0 = time.perf_counter()
            try:
                result = check(files, twice=(i % 10 == 0))
                if any(e.path == "pkg/intact.py" for e in result.errors):
                    intact_alone = check({"pkg/intact.py": neighbour}, twice=False)
                    if not intact_alone.errors:
                        raise FuzzFailure("an intact file failed only next to a corrupted one")
            except FuzzFailure as exc:
                name = f"fuzz-failure-{seed}-{i}.py"
                Path(tmp, name).write_bytes(data)
                keep = Path(tempfile.gettempdir()) / name
                keep.write_bytes(data)
                failures.append(f"example {i} ({kind} of {sources[index]}): {exc} [input kept in {keep}]")
                if len(failures) >= 10:
                    break
                continue
            elapsed = time.perf_counter() - t0
            if elapsed > slowest[0]:
                slowest = (elapsed, f"{kind} of {sources[index].name}")
            recent[f"pkg/f{i % 20}.py"] = data
            if jobs_every and (i + 1) % jobs_every == 0:
                work = Path(tmp) / f"jobs{i}"
                work.mkdir()
                (work / "pkg").mkdir()
                try:
                    jobs_agree({"pkg/__init__.py": b"", **recent}, work)
                    jobs_checks += 1
                except FuzzFailure as exc:
                    failures.append(f"jobs check after example {i}: {exc}")
            if (i + 1) % 250 == 0:
                print(f"  mutate: {i + 1} examples, {time.perf_counter() - start:.0f}s", flush=True)
    print(f"mutate: {examples if len(failures) < 10 else i + 1} examples from {len(sources)} stdlib files "
          f"{dict(sorted(kinds.items()))}, {jobs_checks} jobs=1/jobs=2 comparisons, "
          f"{time.perf_counter() - start:.0f}s, slowest {slowest[0]:.2f}s ({slowest[1]}), {len(failures)} failure(s)")
    for failure in failures:
        print(failure[:5000])
    return len(failures)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Fuzz perflint's pipeline.")
    parser.add_argument("mode", choices=("grammar", "mutate", "all"))
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--jobs-every", type=int, default=250,
                        help="mutate mode: compare jobs=1 and jobs=2 every N examples (0: never)")
    args = parser.parse_args(argv)
    failed = 0
    if args.mode in ("grammar", "all"):
        failed += run_grammar(args.examples, args.seed)
    if args.mode in ("mutate", "all"):
        failed += run_mutate(args.examples, args.seed, args.jobs_every)
    print("OK" if not failed else "FAILED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
