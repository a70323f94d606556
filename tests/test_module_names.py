"""Module names as Python gives them: namespace packages, package scan roots, virtualenvs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from perflint.config import Config
from perflint.discovery import discover
from perflint.engine import scan


def tree(root: Path, files) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def names(root: Path, given=(".",)):
    files = discover([root / g for g in given], root=root)
    return {f.path.relative_to(root).as_posix(): (f.module, f.alias) for f in files}


def test_namespace_packages_and_package_roots(tmp_path):
    tree(tmp_path, {
        "pkg/__init__.py": "", "pkg/a.py": "", "pkg/sub/b.py": "",  # sub: a namespace portion
        "ns/inner/c.py": "",  # a namespace package at the root
        "src/app/__init__.py": "", "src/app/d.py": "",  # src layout: src is on sys.path
        "tool.py": "",
    })
    assert names(tmp_path) == {
        "ns/inner/c.py": ("ns.inner.c", "c"),
        "pkg/__init__.py": ("pkg", ""),
        "pkg/a.py": ("pkg.a", ""),
        "pkg/sub/b.py": ("pkg.sub.b", "b"),
        "src/app/__init__.py": ("app", ""),
        "src/app/d.py": ("app.d", ""),
        "tool.py": ("tool", ""),
    }
    # Scanning the package folder itself gives the same names.
    assert names(tmp_path, ("pkg",))["pkg/sub/b.py"] == ("pkg.sub.b", "b")


def test_a_folder_named_venv_is_a_virtualenv_only_with_pyvenv_cfg(tmp_path):
    tree(tmp_path, {
        "lib/venv/__init__.py": "", "lib/venv/core.py": "",  # like the standard library's venv
        "venv/pyvenv.cfg": "home = /usr/bin\n", "venv/lib/site.py": "",
        "env2/pyvenv.cfg": "home = /usr/bin\n", "env2/x.py": "",  # any name, with pyvenv.cfg
    })
    assert names(tmp_path) == {"lib/venv/__init__.py": ("venv", ""), "lib/venv/core.py": ("venv.core", "")}


def test_imports_written_for_a_project_folder_still_resolve(tmp_path, monkeypatch):
    # A Django project: manage.py's folder is on sys.path, so `from polls.models import ...`.
    tree(tmp_path, {
        "pyproject.toml": "",
        "mysite/polls/__init__.py": "",
        "mysite/polls/models.py": "class Poll:\n    def tally(self):\n        return 0\n",
        "mysite/polls/views.py": "from polls.models import Poll\ndef results(request):\n    return Poll().tally()\n",
    })
    monkeypatch.chdir(tmp_path)
    run = scan([Path(".")], replace(Config(), root=tmp_path))
    program = run.program
    assert sorted(program.modules) == ["mysite.polls", "mysite.polls.models", "mysite.polls.views"]
    edges = {(e.caller, e.callee) for es in program.edges.values() for e in es}
    assert ("mysite.polls.views.results", "mysite.polls.models.Poll.tally") in edges
    assert program.roles["mysite.polls.views.results"].id == "django-view"


def test_a_config_outside_the_scanned_tree_leaves_namespace_packages_to_the_working_folder(tmp_path, monkeypatch):
    # `perflint check src --config ../elsewhere/perflint.toml`, run from the project: its
    # namespace package (no __init__.py in `poetry`) keeps the name Python gives it
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    tree(project, {"src/poetry/core/__init__.py": "", "src/poetry/core/markers.py": "", "tools/x/run.py": ""})
    elsewhere.mkdir()
    monkeypatch.chdir(project)
    files = discover([project / "src", project / "tools"], root=elsewhere)
    assert {f.path.relative_to(project).as_posix(): f.module for f in files} == {
        "src/poetry/core/__init__.py": "poetry.core",
        "src/poetry/core/markers.py": "poetry.core.markers",
        "tools/x/run.py": "tools.x.run",
    }
    # a file under neither the config's folder nor the working folder: no namespace portions
    monkeypatch.chdir(elsewhere)
    files = discover([project / "src"], root=elsewhere)
    assert {f.module for f in files} == {"core", "core.markers"}
