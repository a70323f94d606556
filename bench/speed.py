#!/usr/bin/env python
"""perflint's speed against its peers, on real projects from PyPI (a script, not a test).

    python bench/speed.py --quick          # Django only, 1 run, no pylint/Fixit: a few minutes
    python bench/speed.py                  # Django, SQLAlchemy, Twisted; 3 runs; all peers
    python bench/speed.py --corpora django,twisted --runs 5 --skip fixit --markdown out.md
    python bench/speed.py --floor /work/corpora/twisted --runs 3   # cold run vs parse floor, phase 2 share

--floor DIR (repeatable) measures a folder already on disk, downloads and installs nothing,
and prints one table: the libcst parse floor, perflint's cold run, their ratio, and phase 2
(call graph + heat) in seconds and as a share of the cold run (issue 12's speed goals).

Everything downloaded or installed goes under ~/.cache/perflint-bench (--work DIR), never
into the repository or the current environment:
  dl/         wheels from PyPI (`pip download --no-deps --only-binary :all:`; --sdist: sdists)
  corpora/    the unpacked packages, and copies for the scaling table
  peers/      a venv with ruff, pylint + the PyPI `perflint` plugin, and Fixit. PyPI's
              `perflint` is an unrelated pylint plugin whose name clashes with ours, so it
              lives only in that venv; its pylint runs with --load-plugins=perflint.

Every measured command runs in a fresh process under /usr/bin/time -v (else a wrapper
reading getrusage(RUSAGE_CHILDREN)); tools alternate within a round, the median of
--runs rounds is reported. Peak RSS is that of the largest single process (a worker pool
is not summed). CPU is user + sys over all processes: on a busy machine it is steadier
than wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent

CORPORA = {
    # name: (PyPI requirement, top-level package folder inside the distribution)
    "django": ("Django==5.1.4", "django"),
    "sqlalchemy": ("SQLAlchemy==2.0.36", "sqlalchemy"),
    "twisted": ("Twisted==24.11.0", "twisted"),
}
PEER_PACKAGES = ["ruff", "pylint", "perflint", "fixit"]
PYLINT_PERFLINT_MESSAGES = "W8101,W8102,W8201,W8202,W8204,W8205,W8301,W8401,W8402,W8403,R8203"
SLOW_PEERS = {"pylint-perflint", "fixit"}

PARSE_FLOOR = r'''
import sys
from multiprocessing import Pool
from pathlib import Path

import libcst


def parse(path):
    try:
        libcst.parse_module(Path(path).read_bytes())
        return 1
    except Exception:
        return 0


if __name__ == "__main__":
    files = sorted(str(p) for p in Path(sys.argv[1]).rglob("*.py"))
    files.sort(key=lambda p: -Path(p).stat().st_size)
    with Pool(int(sys.argv[2])) as pool:
        print(sum(pool.imap_unordered(parse, files, chunksize=4)), "files parsed")
'''

RUSAGE_WRAPPER = r'''
import json, resource, subprocess, sys, time
t = time.perf_counter()
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
wall = time.perf_counter() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "rss_kb": r.ru_maxrss, "cpu": r.ru_utime + r.ru_stime, "code": code}), file=sys.stderr)
'''


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_kb: int
    code: int
    # `perflint check -v` phase timings read from the run's stderr ("perflint: NAME: 1.234s")
    phases: Dict[str, float] = field(default_factory=dict)


@dataclass
class Tool:
    name: str
    argv: List[str]
    cwd: Path
    prepare: Optional[object] = None  # callable run before each timed run (not timed)
    samples: List[Sample] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in self.samples) if self.samples else float("nan")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- setup ---------------------------------------------------------------------------------------
def fetch_corpus(work: Path, name: str, sdist: bool) -> Path:
    """The unpacked corpus folder (holding the package folder and an empty perflint.toml)."""
    requirement, package = CORPORA[name]
    target = work / "corpora" / name
    if (target / package).is_dir():
        if not (target / "perflint.toml").exists():
            (target / "perflint.toml").write_text("# benchmark corpus: defaults\n")
        return target
    dl = work / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    dist = requirement.split("==")[0].lower()
    have = [p for p in dl.iterdir() if p.name.lower().startswith(dist.lower() + "-")]
    if not have:
        kind = ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
        log(f"downloading {requirement}")
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", *kind, requirement, "-d", str(dl)], check=True)
        have = [p for p in dl.iterdir() if p.name.lower().startswith(dist.lower() + "-")]
    archive = sorted(have)[-1]
    tmp = Path(tempfile.mkdtemp(dir=work))
    if archive.suffix == ".whl" or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
    else:
        shutil.unpack_archive(str(archive), str(tmp))
    found = next((p for p in sorted(tmp.rglob(package)) if p.is_dir() and (p / "__init__.py").is_file()), None)
    if found is None:
        raise SystemExit(f"{archive}: no {package}/ package inside")
    target.mkdir(parents=True, exist_ok=True)
    shutil.move(str(found), str(target / package))
    shutil.rmtree(tmp, ignore_errors=True)
    (target / "perflint.toml").write_text("# benchmark corpus: defaults\n")
    return target


def scaled_corpus(work: Path, name: str, factor: int) -> Path:
    """`factor` copies of the package under different names (django, django_copy1, ...)."""
    base = work / "corpora" / name
    package = CORPORA[name][1]
    if factor == 1:
        return base
    target = work / "corpora" / f"{name}_x{factor}"
    if not target.is_dir():
        target.mkdir(parents=True)
        shutil.copytree(base / package, target / package)
        for i in range(1, factor):
            shutil.copytree(base / package, target / f"{package}_copy{i}")
        (target / "perflint.toml").write_text("# benchmark corpus: defaults\n")
    return target


def ensure_peers(work: Path) -> Path:
    venv = work / "peers"
    bin_dir = venv / "bin"
    if not (bin_dir / "python").exists():
        log("creating the peers venv (ruff, pylint + PyPI perflint plugin, fixit)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    missing = [p for p in ("ruff", "pylint", "fixit") if not (bin_dir / p).exists()]
    if missing or not list((venv / "lib").glob("python*/site-packages/perflint")):
        subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
    return bin_dir


def count_lines(folder: Path) -> Tuple[int, int, int]:
    files = lines = size = 0
    for path in folder.rglob("*.py"):
        data = path.read_bytes()
        files += 1
        lines += data.count(b"\n")
        size += len(data)
    return files, lines, size


# -- measuring -----------------------------------------------------------------------------------
_TIME_V = Path("/usr/bin/time")


def measure(argv: Sequence[str], cwd: Path, env: Dict[str, str]) -> Sample:
    if _TIME_V.exists():
        t = time.perf_counter()
        proc = subprocess.run([str(_TIME_V), "-v", *argv], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, errors="replace")
        wall = time.perf_counter() - t
        err = proc.stderr
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))  # type: ignore[union-attr]
        user = float(re.search(r"User time \(seconds\): ([\d.]+)", err).group(1))  # type: ignore[union-attr]
        system = float(re.search(r"System time \(seconds\): ([\d.]+)", err).group(1))  # type: ignore[union-attr]
        status = re.search(r"Exit status: (\d+)", err)
        return Sample(wall, user + system, rss, int(status.group(1)) if status else proc.returncode, phases(err))
    proc = subprocess.run([sys.executable, "-c", RUSAGE_WRAPPER, *argv], cwd=cwd, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    data = json.loads(proc.stderr.strip().splitlines()[-1])
    return Sample(data["wall"], data["cpu"], data["rss_kb"], data["code"], phases(proc.stderr))


def phases(stderr: str) -> Dict[str, float]:
    """The phase timings `perflint check -v` prints ("perflint: phase 2 (...): 1.234s")."""
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^perflint: ([^:\n]+): ([\d.]+)s$", stderr, re.M)}


def run_rounds(tools: List[Tool], runs: int, env: Dict[str, str]) -> None:
    for round_no in range(runs):
        for tool in tools:
            if tool.prepare is not None:
                tool.prepare()  # type: ignore[operator]
            sample = measure(tool.argv, tool.cwd, env)
            tool.samples.append(sample)
            log(f"round {round_no + 1}/{runs} {tool.name}: {sample.wall:.2f}s wall, {sample.cpu:.2f}s cpu, "
                f"{sample.rss_kb / 1024:.0f} MB, exit {sample.code}")


# -- the tools -----------------------------------------------------------------------------------
def perflint_tools(corpus: Path, package: str, jobs: Optional[int]) -> List[Tool]:
    py = sys.executable
    base = [py, "-m", "perflint", "check", "--exit-zero", "--format", "json", "-o", os.devnull]
    jobs_arg = ["--jobs", str(jobs)] if jobs else []
    tools = [
        Tool("perflint cold", base + ["--no-cache", *jobs_arg, package], corpus),
        Tool("perflint cold -j1", base + ["--no-cache", "--jobs", "1", package], corpus),
    ]
    warm = Tool("perflint warm", base + [*jobs_arg, package], corpus)
    warm.prepare = lambda: subprocess.run(base + [*jobs_arg, package], cwd=corpus, env=bench_env(),
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tools.append(warm)
    # The pre-commit case: one file edited, only it passed; the rest comes from the cache.
    files = sorted(corpus.joinpath(package).rglob("*.py"), key=lambda p: (p.stat().st_size, str(p)))
    changed = files[len(files) * 3 // 4]  # a larger-than-median module
    rel = changed.relative_to(corpus).as_posix()
    counter = [0]

    def touch() -> None:
        counter[0] += 1
        with open(changed, "a", encoding="utf-8") as fh:
            fh.write(f"# perflint bench edit {counter[0]}\n")

    one = Tool("perflint one file changed", base + [*jobs_arg, rel], corpus, prepare=touch)
    one.changed = changed  # type: ignore[attr-defined]
    tools.append(one)
    return tools


def peer_tools(corpus: Path, package: str, bin_dir: Path, jobs: int, include: Sequence[str]) -> List[Tool]:
    tools = []
    if "ruff" in include:
        ruff = str(bin_dir / "ruff")
        tools.append(Tool("ruff --select ALL", [ruff, "check", "--select", "ALL", "--no-cache", "--exit-zero", "-q", package], corpus))
        tools.append(Tool("ruff --select PERF", [ruff, "check", "--select", "PERF", "--no-cache", "--exit-zero", "-q", package], corpus))
    if "pylint-perflint" in include:
        tools.append(Tool("pylint + perflint plugin", [
            str(bin_dir / "pylint"), "--load-plugins=perflint", "--disable=all",
            f"--enable={PYLINT_PERFLINT_MESSAGES}", f"--jobs={jobs}", "--exit-zero", "--score=n", package], corpus))
    if "fixit" in include:
        tools.append(Tool("fixit lint", [str(bin_dir / "fixit"), "lint", package], corpus))
    if "libcst" in include:
        tools.append(Tool(f"libcst parse floor ({jobs} procs)", [sys.executable, "-c", PARSE_FLOOR, package, str(jobs)], corpus))
    return tools


def bench_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["CI"] = "1"  # no progress bars
    env["PERFLINT_NO_PROGRESS"] = "1"
    # perflint's cache key includes a fingerprint of its own source files; pin it for the
    # benchmark so that edits elsewhere in a working checkout cannot turn "warm" into cold.
    env["PERFLINT_CODE_FINGERPRINT"] = _PIN
    # Measure perflint as installed: `pip install` compiles its modules to bytecode, as it did
    # libcst's (which the parse floor imports), but an editable checkout run with
    # PYTHONDONTWRITEBYTECODE set recompiles every perflint module from source on each run (0.3 s
    # of CPU per run on the 2-core machine), a cost no installed copy pays. Without it Python
    # keeps the bytecode in __pycache__ (git-ignored); warm_bytecode() writes it before the rounds.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def warm_bytecode(env: Dict[str, str]) -> None:
    """One untimed check of an empty folder: imports (and so compiles) perflint and every rule."""
    with tempfile.TemporaryDirectory() as empty:
        subprocess.run([sys.executable, "-m", "perflint", "check", "--exit-zero", "--no-cache", empty],
                       cwd=empty, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


_PIN = f"bench-{os.getpid()}-{time.time():.0f}"


# -- reporting -----------------------------------------------------------------------------------
def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    from importlib.metadata import version

    return (f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, libcst {version('libcst')}, "
            f"{platform.system()} {platform.release()}; load average at the end {load}")


def table(name: str, lines: int, files: int, tools: List[Tool]) -> str:
    ref = next(t for t in tools if t.name == "perflint cold")
    out = [f"### {name}: {files} files, {lines:,} lines", "",
           "| tool | wall (median) | CPU user+sys | peak RSS | lines/s | wall vs perflint cold |",
           "|---|---:|---:|---:|---:|---:|"]
    for tool in tools:
        wall = tool.median("wall")
        ratio = wall / ref.median("wall")
        runs = f" ({len(tool.samples)} runs)" if len(tool.samples) != len(ref.samples) else ""
        out.append(
            f"| {tool.name}{runs} | {wall:.2f} s | {tool.median('cpu'):.2f} s | {tool.median('rss_kb') / 1024:.0f} MB "
            f"| {lines / wall:,.0f} | {ratio:.2f}x |"
        )
    return "\n".join(out) + "\n"


PHASE_2 = "phase 2 (call graph + heat)"


def floor_table(folder: Path, runs: int, jobs: Optional[int], env: Dict[str, str]) -> str:
    """Parse floor against a cold run on a folder on disk, and phase 2's part of that run.

    Both read the same folder with as many processes as CPUs (perflint: its default --jobs),
    alternating within each round; medians of `runs` rounds. perflint skips what discovery
    excludes (virtualenvs, .gitignore'd files), so its cold run reads at most what the floor
    parses: the ratio, if anything, flatters perflint."""
    procs = os.cpu_count() or 1
    files, lines, _ = count_lines(folder)
    jobs_arg = ["--jobs", str(jobs)] if jobs else []
    cold = Tool("perflint cold", [sys.executable, "-m", "perflint", "check", "--exit-zero", "--format", "json",
                                  "-o", os.devnull, "--no-cache", "-v", *jobs_arg, str(folder)], folder)
    floor = Tool(f"libcst parse floor ({procs} procs)", [sys.executable, "-c", PARSE_FLOOR, str(folder), str(procs)], folder)
    warm_bytecode(env)
    run_rounds([floor, cold], runs, env)
    link = [s.phases.get(PHASE_2, float("nan")) for s in cold.samples]
    phase2 = statistics.median(link)
    share = statistics.median(p / s.wall for p, s in zip(link, cold.samples))
    out = [f"### {folder}: {files} files, {lines:,} lines ({runs} rounds, medians)", "",
           "| parse floor wall | parse floor CPU | cold wall | cold CPU | cold / floor (wall) | cold / floor (CPU) "
           "| phase 2 | phase 2 share of cold wall |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|",
           f"| {floor.median('wall'):.2f} s | {floor.median('cpu'):.2f} s | {cold.median('wall'):.2f} s "
           f"| {cold.median('cpu'):.2f} s | {cold.median('wall') / floor.median('wall'):.2f}x "
           f"| {cold.median('cpu') / floor.median('cpu'):.2f}x | {phase2:.2f} s | {share:.1%} |"]
    names = list(cold.samples[0].phases)  # perflint prints them in the order they ran
    out += ["", "perflint's phases (median s): " + ", ".join(
        f"{n} {statistics.median(s.phases.get(n, 0.0) for s in cold.samples):.2f}" for n in names)]
    return "\n".join(out) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache" / "perflint-bench")
    parser.add_argument("--corpora", default="django,sqlalchemy,twisted")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="perflint --jobs (default: its own default)")
    parser.add_argument("--skip", default="", help="peers to skip: ruff,pylint-perflint,fixit,libcst")
    parser.add_argument("--skip-slow-on", default="twisted", help="corpora where pylint/Fixit are skipped (too slow)")
    parser.add_argument("--scaling", default="1,2,4", help="copies of the first corpus for the scaling table ('' to skip)")
    parser.add_argument("--quick", action="store_true", help="Django only, 1 run, no pylint/Fixit, scaling 1,2")
    parser.add_argument("--sdist", action="store_true", help="download sdists instead of wheels")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    parser.add_argument("--floor", type=Path, action="append", metavar="DIR",
                        help="only: cold run vs libcst parse floor and phase 2's share, on this folder (repeatable)")
    args = parser.parse_args(argv)
    if args.floor:
        missing = [str(d) for d in args.floor if not d.is_dir()]
        if missing:
            raise SystemExit(f"--floor: not a folder: {', '.join(missing)}")
        sections = [floor_table(d.resolve(), args.runs, args.jobs, bench_env()) for d in args.floor]
        text = f"Machine: {machine()}\n\n" + "\n".join(sections)
        print(text, flush=True)
        if args.markdown:
            args.markdown.write_text(text)
        return 0
    if args.quick:
        args.corpora, args.runs, args.scaling = "django", 1, "1,2"
        args.skip = ",".join(sorted(set(filter(None, args.skip.split(","))) | SLOW_PEERS))
    skip = set(filter(None, args.skip.split(",")))
    work = args.work.expanduser().resolve()
    if work == REPO or REPO in work.parents:
        raise SystemExit("--work must be outside the repository")
    work.mkdir(parents=True, exist_ok=True)
    bin_dir = ensure_peers(work)
    jobs = os.cpu_count() or 1
    env = bench_env()
    warm_bytecode(env)
    report = [f"Machine: {machine()}", ""]
    for name in filter(None, args.corpora.split(",")):
        corpus = fetch_corpus(work, name, args.sdist)
        package = CORPORA[name][1]
        files, lines, _ = count_lines(corpus / package)
        peers = [p for p in ("ruff", "pylint-perflint", "fixit", "libcst") if p not in skip]
        if name in args.skip_slow_on.split(","):
            peers = [p for p in peers if p not in SLOW_PEERS]
        log(f"{name}: {files} files, {lines} lines; peers: {', '.join(peers)}")
        shutil.rmtree(corpus / ".perflint_cache", ignore_errors=True)
        tools = perflint_tools(corpus, package, args.jobs) + peer_tools(corpus, package, bin_dir, jobs, peers)
        changed = next(t for t in tools if t.name == "perflint one file changed").changed  # type: ignore[attr-defined]
        original = changed.read_bytes()
        try:
            # the one-file run needs a warm cache of the whole project first
            subprocess.run(tools[2].argv, cwd=corpus, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            run_rounds(tools, args.runs, env)
        finally:
            changed.write_bytes(original)
        skipped = sorted((set(("ruff", "pylint-perflint", "fixit", "libcst")) - set(peers)))
        section = table(name, lines, files, tools)
        if skipped:
            section += f"\nSkipped here: {', '.join(skipped)}.\n"
        report.append(section)
        print(section, flush=True)
    factors = [int(x) for x in args.scaling.split(",") if x.strip()]
    if factors:
        name = args.corpora.split(",")[0]
        package = CORPORA[name][1]
        rows = ["### Scaling: perflint cold (`--no-cache`) on copies of " + name, "",
                "| copies | files | lines | wall (median) | CPU user+sys | peak RSS | lines/s |", "|---:|---:|---:|---:|---:|---:|---:|"]
        for factor in factors:
            corpus = scaled_corpus(work, name, factor)
            folders = sorted(p.name for p in corpus.iterdir() if p.is_dir() and p.name.startswith(package))
            files = lines = 0
            for folder in folders:
                f, l, _ = count_lines(corpus / folder)
                files, lines = files + f, lines + l
            jobs_arg = ["--jobs", str(args.jobs)] if args.jobs else []
            tool = Tool(f"perflint cold x{factor}", [sys.executable, "-m", "perflint", "check", "--exit-zero", "--format", "json",
                                                     "-o", os.devnull, "--no-cache", *jobs_arg, *folders], corpus)
            run_rounds([tool], args.runs, env)
            wall = tool.median("wall")
            rows.append(f"| {factor} | {files} | {lines:,} | {wall:.2f} s | {tool.median('cpu'):.2f} s | "
                        f"{tool.median('rss_kb') / 1024:.0f} MB | {lines / wall:,.0f} |")
        section = "\n".join(rows) + "\n"
        report.append(section)
        print(section, flush=True)
    report[0] = f"Machine: {machine()}"
    text = "\n".join(report)
    print(report[0])
    if args.markdown:
        args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
