"""The result cache, the process pool and the changed-files path, through the real CLI."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

STORE = '''import sqlite3


def save_row(conn, row):
    conn.execute("INSERT INTO t VALUES (?)", (row,))
    conn.commit()
'''

LOADER = '''from pkg.store import save_row


def load_all(conn, rows):
    for row in rows:
        save_row(conn, row)
'''

# Each generated module: a commit per row in a loop (PFL402 at warning), so outputs are not empty.
MODULE = '''import os


def write_all_{i}(conn, rows):
    for row in rows:
        conn.execute("INSERT INTO t{i} VALUES (?)", (row,))
        conn.commit()


def helper_{i}(fd):
    os.fsync(fd)
    return {i}
'''


def run(cwd: Path, *args: str, env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.pop("CI", None)
    # Pin the code fingerprint so that edits elsewhere in this checkout cannot turn hits
    # into misses while a test runs.
    full_env["PERFLINT_CODE_FINGERPRINT"] = "tests"
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "perflint", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300,
    )


def findings(proc: subprocess.CompletedProcess) -> List[dict]:
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)["findings"]


def stat_counts(stderr: str) -> Dict[str, str]:
    out = {}
    for line in stderr.splitlines():
        if line.startswith("perflint: ") and ": " in line[10:]:
            key, _, value = line[10:].partition(": ")
            out[key] = value
    return out


def warnings(stderr: str) -> List[str]:
    return [line for line in stderr.splitlines() if "warning" in line.lower()]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "perflint.toml").write_text('min-severity = "note"\n')
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "store.py").write_text(STORE)
    (pkg / "loader.py").write_text(LOADER)
    return tmp_path


@pytest.fixture
def big_project(tmp_path: Path) -> Path:
    """More files than the pool cutoff, and enough bytes, so --jobs 2 really uses workers."""
    (tmp_path / "perflint.toml").write_text('min-severity = "note"\n')
    pkg = tmp_path / "big"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    filler = "".join(f"\n\ndef filler_{{i}}_{n}(x):\n    return [y * {n} for y in x if y]\n" for n in range(100))
    for i in range(30):
        (pkg / f"mod_{i:02d}.py").write_text((MODULE + filler).replace("{i}", str(i)))
    return tmp_path


def test_cache_hit_returns_identical_output(project: Path) -> None:
    cold = run(project, "check", ".", "--format", "json", "-v")
    assert stat_counts(cold.stderr)["cache hits"] == "0"
    warm = run(project, "check", ".", "--format", "json", "-v")
    counts = stat_counts(warm.stderr)
    assert counts["cache hits"] == "3" and counts["files analysed"] == "0"
    assert warm.stdout == cold.stdout
    nocache = run(project, "check", ".", "--format", "json", "--no-cache")
    assert nocache.stdout == cold.stdout
    assert findings(cold), "the fixture project must have findings"
    assert (project / ".perflint_cache" / ".gitignore").read_text().strip().endswith("*")


def test_edited_file_is_reanalysed(project: Path) -> None:
    first = findings(run(project, "check", ".", "--format", "json"))
    assert any(f["rule"] == "PFL402" and f["path"] == "pkg/store.py" for f in first)
    # Same size, and the mtime put back: only the content hash can tell it changed.
    store = project / "pkg" / "store.py"
    st = store.stat()
    store.write_text(STORE.replace("conn.commit()", "conn.rollbk()"))
    os.utime(store, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert store.stat().st_size == st.st_size
    proc = run(project, "check", ".", "--format", "json", "-v")
    assert stat_counts(proc.stderr)["files analysed"] == "1"
    assert not any(f["rule"] == "PFL402" for f in findings(proc))


def test_old_entries_are_replaced_not_accumulated(project: Path) -> None:
    store = project / "pkg" / "store.py"
    for n in range(3):
        store.write_text(STORE + f"# edit {n}\n")
        run(project, "check", ".", "--format", "json")
    db = sqlite3.connect(str(project / ".perflint_cache" / "cache.sqlite3"))
    rows = db.execute("SELECT COUNT(*) FROM results WHERE path = 'pkg/store.py'").fetchone()[0]
    db.close()
    assert rows == 1


def test_version_mismatch_rebuilds(project: Path) -> None:
    cold = run(project, "check", ".", "--format", "json")
    db = sqlite3.connect(str(project / ".perflint_cache" / "cache.sqlite3"))
    db.execute("UPDATE meta SET value = '0.0.0-old' WHERE key = 'version'")
    db.commit()
    db.close()
    proc = run(project, "check", ".", "--format", "json", "-v")
    assert proc.stdout == cold.stdout
    assert len(warnings(proc.stderr)) == 1 and "0.0.0-old" in proc.stderr
    assert stat_counts(proc.stderr)["cache hits"] == "0"
    again = run(project, "check", ".", "--format", "json", "-v")
    assert warnings(again.stderr) == []
    assert stat_counts(again.stderr)["cache hits"] == "3"


def test_corrupt_database_warns_once_and_output_is_correct(project: Path) -> None:
    cold = run(project, "check", ".", "--format", "json")
    cache = project / ".perflint_cache"
    for name in ("cache.sqlite3-wal", "cache.sqlite3-shm"):
        (cache / name).unlink(missing_ok=True)
    (cache / "cache.sqlite3").write_bytes(b"this is not a database at all" * 100)
    proc = run(project, "check", ".", "--format", "json")
    assert proc.stdout == cold.stdout
    assert len(warnings(proc.stderr)) == 1, proc.stderr
    again = run(project, "check", ".", "--format", "json", "-v")
    assert again.stdout == cold.stdout
    assert warnings(again.stderr) == []
    assert stat_counts(again.stderr)["cache hits"] == "3"


def test_cache_dir_that_cannot_be_created(project: Path) -> None:
    blocker = project / "blocker"
    blocker.write_text("a file where the cache folder's parent should be")
    cold = run(project, "check", ".", "--format", "json", "--no-cache")
    proc = run(project, "check", ".", "--format", "json", "--cache-dir", str(blocker / "cache"))
    assert proc.stdout == cold.stdout
    assert len(warnings(proc.stderr)) == 1, proc.stderr


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_read_only_cache_dir(project: Path) -> None:
    cold = run(project, "check", ".", "--format", "json", "--no-cache")
    cache = project / "ro_cache"
    cache.mkdir()
    cache.chmod(0o555)
    try:
        proc = run(project, "check", ".", "--format", "json", "--cache-dir", str(cache))
        assert proc.stdout == cold.stdout
        if os.geteuid() != 0:  # root may write anyway; then there is nothing to warn about
            assert len(warnings(proc.stderr)) == 1, proc.stderr
        else:
            assert len(warnings(proc.stderr)) <= 1, proc.stderr
    finally:
        cache.chmod(0o755)


def test_jobs_1_and_jobs_2_identical(big_project: Path) -> None:
    one = run(big_project, "check", ".", "--format", "json", "--no-cache", "--jobs", "1", "-v")
    two = run(big_project, "check", ".", "--format", "json", "--no-cache", "--jobs", "2", "-v")
    assert stat_counts(one.stderr)["workers"] == "1"
    assert stat_counts(two.stderr)["workers"] == "2"
    assert one.stdout == two.stdout
    assert len(findings(one)) >= 30
    # and through the cache: a cold cached parallel run, then a warm one
    cold = run(big_project, "check", ".", "--format", "json", "--jobs", "2")
    warm = run(big_project, "check", ".", "--format", "json", "--jobs", "2", "-v")
    assert cold.stdout == one.stdout == warm.stdout
    assert stat_counts(warm.stderr)["files analysed"] == "0"


def test_clean_removes_the_cache(project: Path) -> None:
    run(project, "check", ".", "--format", "json")
    assert (project / ".perflint_cache").is_dir()
    proc = run(project, "clean")
    assert proc.returncode == 0, proc.stderr
    assert not (project / ".perflint_cache").exists()
    # clean never removes files it did not create
    other = project / "not_a_cache"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    run(project, "clean", "--cache-dir", str(other))
    assert (other / "keep.txt").read_text() == "mine"


def test_changed_file_gets_project_context_from_warm_cache(project: Path) -> None:
    # Without project context, the changed file alone has no caller loop: the commit is cold.
    alone = run(project, "check", "pkg/store.py", "--format", "json", "--no-cache")
    assert not any(f["severity"] == "warning" for f in findings(alone))
    run(project, "check", ".", "--format", "json")  # warm the cache
    store = project / "pkg" / "store.py"
    store.write_text(STORE + "# a change\n")
    proc = run(project, "check", "pkg/store.py", "--format", "json", "-v")
    found = findings(proc)
    hot = [(f["rule"], f["path"], f["severity"]) for f in found if f["severity"] != "note"]
    assert ("PFL402", "pkg/store.py", "error") in hot  # an fsync per item of an unknown loop
    assert {f["path"] for f in found} == {"pkg/store.py"}  # only the given file is reported
    assert json.loads(proc.stdout)["summary"]["files"] == 1
    counts = stat_counts(proc.stderr)
    assert counts["project context files"] == "2"
    assert counts["files analysed"] == "1" and counts["cache hits"] == "2"
    # --no-project-context: back to the file alone
    off = run(project, "check", "pkg/store.py", "--format", "json", "--no-project-context")
    assert not any(f["severity"] == "warning" for f in findings(off))


def test_a_working_folder_that_is_no_project_gives_no_context(project: Path) -> None:
    # no config, no pyproject.toml/setup.py/setup.cfg/.git: the root is only where perflint
    # ran, and a cache left there must not make one file's check analyse every tree below it
    (project / "perflint.toml").unlink()
    run(project, "check", ".", "--format", "json")  # leaves a cache at the working folder
    proc = run(project, "check", "pkg/store.py", "--format", "json", "-v")
    assert "project context files" not in stat_counts(proc.stderr)
    assert not any(f["severity"] == "warning" for f in findings(proc))  # the file alone, as --no-cache
    (project / "setup.cfg").write_text("[metadata]\nname = pkg\n")  # now it is a project
    marked = run(project, "check", "pkg/store.py", "--format", "json", "-v")
    assert stat_counts(marked.stderr)["project context files"] == "2"


def test_no_progress_bar_when_piped(big_project: Path) -> None:
    proc = run(big_project, "check", ".", "--format", "json", "--no-cache")
    assert "analysing" not in proc.stderr


# -- the linked-result cache (perflint/runcache.py) --------------------------------------------
def test_unchanged_run_reuses_the_whole_result(project: Path) -> None:
    cold = run(project, "check", ".", "--format", "json", "-v")
    assert stat_counts(cold.stderr)["linked result"] == "stored"
    warm = run(project, "check", ".", "--format", "json", "-v")
    counts = stat_counts(warm.stderr)
    assert counts["linked result"] == "hit"
    assert "phase 2 (call graph + heat)" not in counts  # nothing was relinked
    assert warm.stderr.splitlines()[0] == cold.stderr.splitlines()[0] == "perflint: 3 files, 15 lines"
    assert warm.stdout == cold.stdout
    text_cold = run(project, "check", ".", "--explain-scores", "--no-cache")
    text_warm = run(project, "check", ".", "--explain-scores")
    assert text_warm.stdout == text_cold.stdout and text_warm.returncode == text_cold.returncode == 1


@pytest.mark.parametrize("change", ["content", "config", "select", "baseline", "one file"])
def test_the_whole_result_is_not_reused_when_an_input_changed(project: Path, change: str) -> None:
    run(project, "check", ".", "--format", "json")
    args = ["check", ".", "--format", "json"]
    if change == "content":
        (project / "pkg" / "loader.py").write_text(LOADER.replace("for row in rows:", "for row in rows[:1]:"))
    elif change == "config":
        (project / "perflint.toml").write_text('min-severity = "note"\nloop-trips = 7\n')
    elif change == "select":
        args.append("--select=PFL402")
    elif change == "baseline":
        assert run(project, "baseline", ".", "-o", "base.json").returncode == 0
        args.append("--baseline=base.json")
    else:
        args[1] = "pkg/store.py"
    proc = run(project, *args, "-v")
    assert stat_counts(proc.stderr)["linked result"] == "stored", proc.stderr
    if change == "one file":  # with the project as context, as a fresh run gives it: not the whole result
        assert {f["path"] for f in findings(proc)} == {"pkg/store.py"}
        assert ("PFL402", "error") in {(f["rule"], f["severity"]) for f in findings(proc)}
        return
    fresh = run(project, *args, "--no-cache")
    assert proc.stdout == fresh.stdout


def test_a_damaged_whole_result_is_recomputed(project: Path) -> None:
    cold = run(project, "check", ".", "--format", "json")
    db = sqlite3.connect(str(project / ".perflint_cache" / "cache.sqlite3"))
    assert db.execute("UPDATE linked SET blob = ?", (b"not a pickle",)).rowcount == 1
    db.commit()
    db.close()
    proc = run(project, "check", ".", "--format", "json", "-v")
    assert proc.stdout == cold.stdout and warnings(proc.stderr) == []
    assert stat_counts(proc.stderr)["linked result"] == "stored"
    assert stat_counts(run(project, "check", ".", "--format", "json", "-v").stderr)["linked result"] == "hit"
