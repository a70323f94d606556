"""Every engine module imports on its own, whatever was imported before it: a library user (or
a rule) importing perflint.requirements first must not meet an import cycle (djangomodels and
values import each other; session 31 found `import perflint.djangomodels` failing alone)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import importlib, pkgutil, sys
import perflint
names = sorted(m.name for m in pkgutil.walk_packages(perflint.__path__, "perflint.")
               if ".rules" not in m.name and ".lsp" not in m.name and not m.name.endswith("__main__"))
failed = []
for name in names:
    for loaded in [k for k in sys.modules if k == "perflint" or k.startswith("perflint.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print(len(names))
print("\n".join(failed))
"""


def test_every_module_imports_first():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    count, *failed = out.stdout.splitlines()
    assert int(count) > 40
    assert [f for f in failed if f] == []
