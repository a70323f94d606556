"""perflint as a pre-commit hook: the manifest, and a real `pre-commit try-repo` run.

The slow test installs perflint from this repository into pre-commit's own virtualenv
(pip, with libcst/click/rich/pathspec from the package index, or pip's cache) and runs
the hook on a smelly and on a clean file in a throwaway git repository.

`pre-commit try-repo` only sees files that git tracks (plus its staged changes), so a
hook manifest or module that is not committed yet would be missing. The test therefore
snapshots the working tree -- tracked and untracked files, minus .gitignore'd ones --
into a temporary git repository and points try-repo at that: the hook that is tested is
exactly the code on disk, committed or not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

ROOT = Path(__file__).resolve().parents[1]

SMELLY = (
    "import os\n"
    "\n"
    "\n"
    "def save_all(fds):\n"
    "    for fd in fds:\n"
    "        os.fsync(fd)\n"
)
CLEAN = (
    "def total(values):\n"
    "    return sum(values)\n"
)


def _manifest() -> List[dict]:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def test_hook_manifest():
    (hook,) = _manifest()
    assert hook["id"] == "perflint"
    assert hook["name"]
    assert hook["entry"] == "perflint check"
    assert hook["language"] == "python"
    assert hook["types"] == ["python"]
    assert hook["require_serial"] is True


def test_hook_manifest_is_valid_for_pre_commit():
    clientlib = pytest.importorskip("pre_commit.clientlib")
    hooks = clientlib.load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert [h["id"] for h in hooks] == ["perflint"]


def _git_env(tmp: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}  # e.g. when run from a git hook
    empty = tmp / "gitconfig"
    empty.write_text("", encoding="utf-8")
    env.update({
        "GIT_CONFIG_GLOBAL": str(empty),  # no user-level git config, hooks or signing leak in
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "perflint tests", "GIT_AUTHOR_EMAIL": "tests@perflint.invalid",
        "GIT_COMMITTER_NAME": "perflint tests", "GIT_COMMITTER_EMAIL": "tests@perflint.invalid",
        "PRE_COMMIT_COLOR": "never", "NO_COLOR": "1",
    })
    env.pop("FORCE_COLOR", None)
    # try-repo installs the hook into a fresh temporary store on every run, whatever
    # PRE_COMMIT_HOME says; the user's pip cache is kept, so that install is quick.
    return env


def _run(args: List[str], cwd: Path, env: Dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=str(cwd), env=env, capture_output=True, text=True, timeout=timeout)


def _git(args: List[str], cwd: Path, env: Dict[str, str]) -> None:
    proc = _run(["git", *args], cwd, env)
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)


def _snapshot(dest: Path, env: Dict[str, str]) -> None:
    """Copy the working tree (what `git add -A` would commit) into `dest` and commit it."""
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT, env)
    if listed.returncode == 0:
        names = [n for n in listed.stdout.split("\0") if n]
    else:  # not a git checkout (an unpacked sdist): the files the package needs
        names = [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*")
                 if p.is_file() and not {".git", "__pycache__", ".pytest_cache"} & set(p.parts)
                 and not any(part.endswith(".egg-info") for part in p.parts)]
    for name in names:
        src = ROOT / name
        if not src.is_file():  # deleted but still tracked
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    _git(["init", "-q"], dest, env)
    _git(["add", "-A"], dest, env)
    _git(["commit", "-q", "--no-verify", "-m", "snapshot of the perflint working tree"], dest, env)


@pytest.mark.slow
def test_pre_commit_hook_fails_on_smelly_and_passes_on_clean(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        pytest.skip("pre-commit is not installed (pip install pre-commit)")
    env = _git_env(tmp_path)

    hook_repo = tmp_path / "hook-repo"
    hook_repo.mkdir()
    _snapshot(hook_repo, env)

    project = tmp_path / "project"
    project.mkdir()
    _git(["init", "-q"], project, env)
    (project / "smelly.py").write_text(SMELLY, encoding="utf-8")
    (project / "clean.py").write_text(CLEAN, encoding="utf-8")
    _git(["add", "-A"], project, env)
    _git(["commit", "-q", "--no-verify", "-m", "init"], project, env)

    pre_commit = [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "perflint", "--color", "never"]
    smelly = _run([*pre_commit, "--files", "smelly.py"], project, env)
    smelly_out = smelly.stdout + smelly.stderr
    assert "An unexpected error has occurred" not in smelly_out, smelly_out
    assert "An error has occurred" not in smelly_out, smelly_out
    assert smelly.returncode == 1, smelly_out
    assert "perflint" in smelly_out and "Failed" in smelly_out, smelly_out
    assert "smelly.py:6:9: PFL401" in smelly_out, smelly_out
    assert "PFL402" in smelly_out, smelly_out

    clean = _run([*pre_commit, "--files", "clean.py"], project, env)
    clean_out = clean.stdout + clean.stderr
    assert clean.returncode == 0, clean_out
    assert "Passed" in clean_out, clean_out
    assert "PFL" not in clean_out, clean_out

