"""Phase 1 for one file: read, parse once, one traversal with all rules, a summary out."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, FrozenSet, List, Sequence, Tuple

import libcst as cst

from perflint.context import FileContext
from perflint.discovery import SourceFile
from perflint.finding import FileError
from perflint.rule import Rule
from perflint.summary import ModuleSummary
from perflint.suppression import find_suppressions
from perflint.walker import Dispatch, walk


class Analyzer:
    """Holds the rule instances and dispatch tables for a run (or a worker): built once."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self._dispatch: Dict[FrozenSet[int], Dispatch] = {}

    def _dispatch_for(self, source: str) -> Dispatch:
        # A rule whose trigger words never occur in the text cannot fire: skip it here.
        active = frozenset(
            i for i, rule in enumerate(self.rules)
            if not rule.TRIGGERS or any(t in source for t in rule.TRIGGERS)
        )
        dispatch = self._dispatch.get(active)
        if dispatch is None:
            dispatch = self._dispatch[active] = Dispatch([self.rules[i] for i in sorted(active)])
        return dispatch

    def analyze(self, file: SourceFile) -> ModuleSummary:
        summary = ModuleSummary(path=file.display, module=file.module,
                                is_package=file.is_package, is_test=file.is_test)
        try:
            data = file.path.read_bytes()
        except OSError as exc:
            summary.error = FileError(file.display, f"cannot read file: {exc.strerror or exc}")
            return summary
        return self.analyze_bytes(file, data)

    def analyze_bytes(self, file: SourceFile, data: bytes) -> ModuleSummary:
        summary = ModuleSummary(path=file.display, module=file.module,
                                is_package=file.is_package, is_test=file.is_test)
        if b"\x00" in data:
            summary.error = FileError(file.display, "not a Python source file (contains NUL bytes)")
            return summary
        try:
            module = cst.parse_module(data)
            source = data.decode(module.encoding)
        except cst.ParserSyntaxError as exc:
            summary.error = FileError(
                file.display, f"syntax error: {_one_line(exc.message)}", exc.raw_line, exc.raw_column + 1
            )
            return summary
        except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
            summary.error = FileError(file.display, f"cannot decode file: {_one_line(str(exc))}")
            return summary
        except RecursionError:
            summary.error = FileError(file.display, "cannot parse file: nested too deeply")
            return summary
        except Exception as exc:  # libcst raises a few other types on odd input
            summary.error = FileError(file.display, f"cannot parse file: {type(exc).__name__}: {_one_line(str(exc))}")
            return summary
        ctx = FileContext(file.display, file.module, file.is_package, file.is_test, source)
        try:
            walk(module, ctx, self._dispatch_for(source))
            result = ctx.finish(module)
        except RecursionError:
            summary.error = FileError(file.display, "cannot analyse file: nested too deeply")
            return summary
        except Exception as exc:  # a rule bug must not end the run; say where it happened
            summary.error = FileError(
                file.display, f"internal error while analysing (please report): {type(exc).__name__}: {_one_line(str(exc))}"
            )
            return summary
        result.lines = source.count("\n") + 1
        result.suppressions = find_suppressions(source)
        return result


def _one_line(text: str) -> str:
    return " ".join(text.split())
