"""Find the Python files to scan: sorted, .gitignore and excludes honoured, symlink-loop safe."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import pathspec

# Folders nobody wants linted (ruff's defaults, roughly); `exclude` adds to these.
DEFAULT_EXCLUDES = (
    ".bzr", ".direnv", ".eggs", ".git", ".hg", ".mypy_cache", ".nox", ".pants.d",
    ".pytype", ".ruff_cache", ".svn", ".tox", ".venv", "__pypackages__", "_build",
    "buck-out", "dist", "node_modules", "__pycache__", ".perflint_cache",
)


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    display: str  # relative to the working directory when under it
    module: str  # dotted module name from the package root
    is_package: bool
    is_test: bool
    # The name today's package-only walk gives (`b` for pkg/sub/b.py): imports written for a
    # different sys.path entry (a Django project folder, a tests folder) still resolve.
    alias: str = ""


def display_path(path: Path, cwd: Optional[Path] = None) -> str:
    cwd = cwd or Path.cwd()
    try:
        text = path.relative_to(cwd).as_posix()
    except ValueError:
        text = path.as_posix()
    if not text.isascii():
        # A file name that is not valid UTF-8 arrives with surrogate escapes, which no
        # UTF-8 output (JSON, SARIF, a terminal) can encode: show U+FFFD for those bytes.
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


def module_name(path: Path, root: Optional[Path] = None, memo: Optional[Dict] = None) -> Tuple[str, bool]:
    """Dotted name of a module as Python gives it with the project root on sys.path: walk up
    through regular packages (with __init__.py) and, below `root`, through namespace package
    folders (without one), stopping at a `src` folder or another project's root.

    `memo` (one dict per discovery) keeps each folder's package chain: the files of one
    folder share it, so each folder is looked at once instead of once per file."""
    is_package = path.name == "__init__.py"
    parts = _package_parts(path.parent, root, {} if memo is None else memo)
    if not is_package:
        parts = parts + (path.stem,)
    return ".".join(p for p in parts if p) or path.stem, is_package


def _package_parts(directory: Path, root: Optional[Path], memo: Dict) -> Tuple[str, ...]:
    key = (directory, root)
    parts = memo.get(key)
    if parts is None:
        if (directory / "__init__.py").is_file() or (root is not None and _namespace_portion(directory, root)):
            above = () if directory.parent == directory else _package_parts(directory.parent, root, memo)
            parts = above + (directory.name,)
        else:
            parts = ()
        memo[key] = parts
    return parts


def _namespace_portion(directory: Path, root: Path) -> bool:
    if root not in directory.parents or not directory.name.isidentifier() or directory.name in _IMPORT_ROOTS:
        return False
    return not any((directory / marker).is_file() for marker in PACKAGING_MARKERS)


_IMPORT_ROOTS = frozenset({"src", "lib", "site-packages", "dist-packages"})
# Packaging metadata: a folder holding one is a project's root (engine._is_project reads it too).
PACKAGING_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")


def is_virtualenv(directory: Path) -> bool:
    """A virtual environment is a folder with pyvenv.cfg, whatever its name (the standard
    library's own `venv` package is a package, not one)."""
    return (directory / "pyvenv.cfg").is_file()


class _Matcher:
    """gitignore-style patterns relative to a base folder."""

    def __init__(self, base: Path, patterns: Sequence[str]) -> None:
        self.base = base
        self.spec = pathspec.GitIgnoreSpec.from_lines(patterns)

    def matches(self, path: Path, is_dir: bool) -> bool:
        try:
            rel = path.relative_to(self.base).as_posix()
        except ValueError:
            # Outside the project root (e.g. --config elsewhere): unanchored patterns such
            # as `site-packages/` still match at any depth; anchored ones cannot.
            rel = path.as_posix().lstrip("/")
        if is_dir:
            rel += "/"
        return self.spec.match_file(rel)


def _read_gitignore(directory: Path) -> Optional[_Matcher]:
    path = directory / ".gitignore"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return _Matcher(directory, lines)


def is_test_path(display: str, patterns: Sequence[str]) -> bool:
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    return spec.match_file(display)


def discover(
    paths: Iterable[Path],
    *,
    root: Path,
    exclude: Sequence[str] = (),
    test_patterns: Sequence[str] = (),
    respect_gitignore: bool = True,
    errors: Optional[List[Tuple[str, str]]] = None,
) -> List[SourceFile]:
    """Python files under `paths`, each once, sorted by display path.

    Files named explicitly are kept even if .gitignore'd (as ruff does), but `exclude`
    applies to them too, so a pre-commit run and a full scan agree.
    """
    cwd = Path.cwd()
    excluder = _Matcher(root, list(DEFAULT_EXCLUDES) + list(exclude))
    tests = pathspec.GitIgnoreSpec.from_lines(test_patterns)
    found: Dict[Path, SourceFile] = {}
    errors = errors if errors is not None else []
    memo: Dict = {}

    def add(path: Path) -> None:
        absolute = Path(os.path.abspath(path))
        if absolute in found:
            return
        # Namespace packages are read below the project root: the config's folder, or, for a
        # file outside it (`--config` from elsewhere), the working folder when the file is
        # under it, as `python -m` would put it on sys.path (a poetry-core scan with its config
        # in another folder named `poetry/core/...` as `core...` and lost its imports)
        naming = root if root in absolute.parents or cwd not in absolute.parents else cwd
        module, is_package = module_name(absolute, naming, memo)
        alias = module_name(absolute, None, memo)[0]
        display = display_path(absolute, cwd)
        try:
            rel_root = absolute.relative_to(root).as_posix()
        except ValueError:
            rel_root = display
        found[absolute] = SourceFile(absolute, display, module, is_package, tests.match_file(rel_root),
                                     alias if alias != module else "")

    for given in paths:
        given = Path(os.path.abspath(given))
        if given.is_file() or (given.suffix in (".py", ".pyi") and given.is_symlink()):
            if not excluder.matches(given, False):
                add(given)
            continue
        if not given.exists():
            errors.append((display_path(given, cwd), "no such file or directory"))
            continue
        if not given.is_dir():
            continue
        ignores: List[_Matcher] = []
        if respect_gitignore:
            # .gitignore files of the folders above the scanned one, up to the root.
            for parent in reversed([given, *given.parents]):
                if parent == root or root in parent.parents or parent == given:
                    matcher = _read_gitignore(parent)
                    if matcher is not None:
                        ignores.append(matcher)
        _walk(given, excluder, ignores, respect_gitignore, add, given)
    return sorted(found.values(), key=lambda f: f.display)


def _walk(directory, excluder, ignores, respect_gitignore, add, top) -> None:
    # os.walk with followlinks=False never enters a symlinked folder, so loops are impossible.
    own: Dict[str, _Matcher] = {}
    for current, dirs, files in os.walk(directory, followlinks=False):
        here = Path(current)
        active = list(ignores)
        for base, matcher in own.items():
            if current == base or current.startswith(base + os.sep):
                active.append(matcher)
        if respect_gitignore and here != top:
            matcher = _read_gitignore(here)
            if matcher is not None:
                own[current] = matcher
                active.append(matcher)
        kept = []
        for name in sorted(dirs):
            path = here / name
            if excluder.matches(path, True) or name in DEFAULT_EXCLUDES or is_virtualenv(path):
                continue
            if any(m.matches(path, True) for m in active):
                continue
            kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            if not (name.endswith(".py") or name.endswith(".pyi")):
                continue
            path = here / name
            if excluder.matches(path, False) or any(m.matches(path, False) for m in active):
                continue
            add(path)
