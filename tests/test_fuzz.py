"""Property tests: hypothesmith programs and corrupted real files through the whole pipeline.

The checks live in bench/fuzz.py (`check()`): no exception escapes phase 1, pickling,
phase 2, finalize or any reporter; no "internal error"; JSON outputs parse; two runs are
identical. This file runs a short version; `python bench/fuzz.py all` runs thousands.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import fuzz  # noqa: E402  (bench/fuzz.py)

# hypothesmith compiles what it generates (to score examples): its SyntaxWarnings are noise here.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

SETTINGS = settings(max_examples=100, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


@SETTINGS
@given(program=hypothesmith.from_grammar(), smell=st.sampled_from(fuzz.SMELLS))
def test_grammar_programs_never_crash(program: str, smell: str) -> None:
    files = {
        "pkg/__init__.py": b"from pkg.mod import *\n",
        "pkg/mod.py": program.encode("utf-8", "surrogatepass"),
        "pkg/smell.py": smell.encode(),
    }
    result = fuzz.check(files)
    if smell:
        assert "pkg/smell.py" not in {e.path for e in result.errors}


@SETTINGS
@given(program=hypothesmith.from_node())
def test_libcst_generated_programs_always_parse(program: str) -> None:
    fuzz.check({"mod.py": program.encode("utf-8", "surrogatepass")}, from_libcst=True)


@settings(SETTINGS, max_examples=50)
@given(program=hypothesmith.from_grammar(), smell=st.sampled_from(fuzz.SMELLS[1:]))
def test_program_with_a_smell_appended_keeps_the_smell(program: str, smell: str) -> None:
    # Random code in front of a known smell: the smell is still found unless the random part
    # does not parse (then the file is one PFL000, never a partial, misleading analysis).
    text = program.rstrip("\n") + "\n\n" + smell
    result = fuzz.check({"mod.py": text.encode("utf-8", "surrogatepass")}, twice=False)
    rules = {f.rule for f in result.findings}
    if result.errors:
        assert rules == {"PFL000"}
    else:
        assert "PFL000" not in rules


def _stdlib_sample(n: int, seed: int) -> List[Path]:
    rng = random.Random(seed)
    return fuzz.corpus_files(n, rng)


@pytest.mark.parametrize("seed", range(4))
def test_corrupted_stdlib_files(seed: int) -> None:
    rng = random.Random(seed)
    sources = _stdlib_sample(30, seed)
    for i in range(25):
        index = rng.randrange(len(sources))
        kind, data = fuzz.mutate(sources[index].read_bytes(), rng)
        neighbour = sources[(index + 1) % len(sources)].read_bytes()
        result = fuzz.check({"pkg/broken.py": data, "pkg/intact.py": neighbour}, twice=(i % 5 == 0))
        # an intact file is analysed whatever its neighbour looks like
        alone = fuzz.check({"pkg/intact.py": neighbour}, twice=False)
        assert ({e.path for e in result.errors} & {"pkg/intact.py"}) == {e.path for e in alone.errors}, kind


def test_truncation_at_every_line_of_a_real_file() -> None:
    import json as json_module

    data = Path(json_module.__file__).with_name("encoder.py").read_bytes()
    cut_points = sorted({i for i, b in enumerate(data) if b == 0x0A})[::7]
    for at in cut_points:
        fuzz.check({"encoder.py": data[:at]}, twice=False)
        fuzz.check({"encoder.py": data[:at] + b"\n    (\n"}, twice=False)


@settings(max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(programs=st.lists(hypothesmith.from_grammar(), min_size=3, max_size=6))
def test_jobs_1_and_jobs_2_agree_on_generated_programs(programs: List[str], tmp_path_factory) -> None:
    root = tmp_path_factory.mktemp("jobs")
    for i, program in enumerate(programs):
        smell = fuzz.SMELLS[i % len(fuzz.SMELLS)]
        (root / f"m{i}.py").write_bytes((program.rstrip("\n") + "\n\n" + smell).encode("utf-8", "surrogatepass"))
    outputs = []
    for jobs in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-m", "perflint", "check", ".", "--format", "json", "--min-severity", "note",
             "--no-cache", "--jobs", jobs],
            cwd=root, capture_output=True, timeout=300,
        )
        assert b"Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode in (0, 1), proc.stderr
        json.loads(proc.stdout)
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
