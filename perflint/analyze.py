"""Phase 1 for one file: read, parse once, one traversal with all rules, a summary out."""

from __future__ import annotations

import ast
import dataclasses
import functools
import io
import os
import re
import threading
import tokenize
import types
from concurrent.futures import ThreadPoolExecutor
from itertools import accumulate
from typing import Callable, Dict, FrozenSet, Optional, Sequence, Tuple, Union

import libcst as cst
from libcst._nodes.base import CSTNode

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

    def analyze_text(self, file: SourceFile, text: str) -> ModuleSummary:
        """A summary of `text` as the source of `file` (an editor buffer, unsaved): no disk read."""
        return self.analyze_bytes(file, encode_source(text))

    def analyze_bytes(self, file: SourceFile, data: bytes) -> ModuleSummary:
        # libcst's native parser recurses on the C stack: a deeply nested file overflows a
        # main-thread stack (SIGSEGV, nothing to catch), so parse and walk on a big-stack thread.
        if threading.current_thread().name.startswith(_THREAD_NAME):
            return self._analyze_bytes(file, data)  # already on it (a nested call)
        return _big_stack().submit(self._analyze_bytes, file, data).result()

    def _analyze_bytes(self, file: SourceFile, data: bytes) -> ModuleSummary:
        summary = ModuleSummary(path=file.display, module=file.module,
                                is_package=file.is_package, is_test=file.is_test)
        if b"\x00" in data:
            summary.error = FileError(file.display, "not a Python source file (contains NUL bytes)")
            return summary
        problem = _too_complex(data)
        if problem is not None:
            summary.error = FileError(file.display, f"cannot parse file: {problem}", problem_line(problem))
            return summary
        try:
            module = parse_unvalidated(data)
            source = data.decode(module.encoding)
        except cst.ParserSyntaxError as exc:
            line, column, message = _syntax_error(exc, data)
            summary.error = FileError(file.display, f"syntax error at line {line}: {message}", line, column)
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
            result.alias = file.alias
        except RecursionError:
            summary.error = FileError(file.display, "cannot analyse file: nested too deeply")
            return summary
        except Exception as exc:  # a rule bug must not end the run; say where it happened
            summary.error = FileError(
                file.display, f"internal error while analysing (please report): {type(exc).__name__}: {_one_line(str(exc))}"
            )
            return summary
        result.lines = source.count("\n") + source.count("\r") - source.count("\r\n") + 1
        result.suppressions = find_suppressions(source)
        return result


def parse_unvalidated(data: bytes) -> cst.Module:
    """`cst.parse_module` without checking each node as it is built (`CSTNode._validate`,
    run from `__post_init__`: about 15% of the parse). The checks are for trees built by
    hand (libcst's own comment there says the parse need not pay them); a tree its native
    parser built from source that parsed has nothing they would reject, save libcst's own
    false alarms on valid code (Instagram/LibCST#1061), which now parse instead of being
    reported. Only this call skips them (phase 1 parses on one thread per process): every
    other node built, by perflint or anyone else in the process, is checked as before."""
    global _checking
    _checking = False
    try:
        return cst.parse_module(data)
    finally:
        _checking = True


_checking = True


def _post_init(self: CSTNode) -> None:
    # libcst's own hook, but for the flag. Installed once: assigning the class attribute per
    # file gives every node class a new version twice a file, and from Python 3.13 on a class
    # that had too many loses the interpreter's specialised attribute access for good (reads
    # four times slower after 3,000 changes, measured), which a large project would reach.
    if _checking:
        self._validate()


CSTNode.__post_init__ = _post_init  # type: ignore[method-assign]


def _quick_init(node_type: type) -> Optional[Callable[..., None]]:
    """An `__init__` for a libcst node class that does what the dataclass one does, cheaper.

    The native parser builds every node by calling its class (4.3 million nodes on Twisted,
    a sixth of the parse). The dataclass `__init__` of a frozen class stores each field
    through `object.__setattr__` and then calls `__post_init__` (the hook above); this one
    stores through the fields' slot descriptors and reads the flag inline, at less than
    half the cost per node. Same parameters, defaults and default factories, and the same
    check (`_validate`) outside `parse_unvalidated`. None for a class it does not cover
    (not a slotted dataclass of plain fields): that class keeps its own."""
    if "__slots__" not in node_type.__dict__ or "__init__" not in node_type.__dict__ \
            or not dataclasses.is_dataclass(node_type) or node_type.__post_init__ is not _post_init:
        return None
    fields = dataclasses.fields(node_type)
    code = node_type.__init__.__code__
    if code.co_varnames[:code.co_argcount + code.co_kwonlyargcount] != ("self", *(f.name for f in fields)):
        return None  # an InitVar, a field left out of __init__: not plain fields
    env: Dict[str, object] = {"_FACTORY": _FACTORY}
    params, body = ["self"], []
    for i, f in enumerate(fields):
        slot = next((k.__dict__[f.name] for k in node_type.__mro__ if f.name in k.__dict__), None)
        if getattr(f, "kw_only", False) or type(slot) is not types.MemberDescriptorType:  # type: ignore[attr-defined]
            return None
        env[f"_set{i}"] = slot.__set__
        if f.default is not dataclasses.MISSING:
            env[f"_default{i}"] = f.default
            params.append(f"{f.name}=_default{i}")
            body.append(f"    _set{i}(self, {f.name})")
        elif f.default_factory is not dataclasses.MISSING:
            env[f"_factory{i}"] = f.default_factory
            params.append(f"{f.name}=_FACTORY")
            body.append(f"    _set{i}(self, _factory{i}() if {f.name} is _FACTORY else {f.name})")
        else:
            params.append(f.name)
            body.append(f"    _set{i}(self, {f.name})")
    body.append("    if _checking:\n        self._validate()")
    source = f"def __init__({', '.join(params)}):\n" + "\n".join(body) + "\n"
    source = f"def _make({', '.join(env)}):\n" + "".join(f"    {line}\n" for line in source.splitlines()) + "    return __init__\n"
    made: Dict[str, Callable[..., Callable[..., None]]] = {}
    exec(source, globals(), made)  # globals: `_checking` is read from this module at each call
    init = made["_make"](**env)
    init.__qualname__ = f"{node_type.__qualname__}.__init__"
    return init


class _Factory:
    """The default of a parameter whose field has a default factory (dataclasses' own marker)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _install_quick_inits() -> None:
    """Every libcst node class gets its `_quick_init`, once, at import (see `_post_init`:
    class attributes are not changed per file)."""
    pending, seen = [CSTNode], set()
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                pending.append(sub)
                init = _quick_init(sub)
                if init is not None:
                    DATACLASS_INITS[sub] = sub.__init__  # type: ignore[misc]
                    sub.__init__ = init  # type: ignore[misc]


DATACLASS_INITS: Dict[type, Callable[..., None]] = {}  # the inits replaced (tests compare them)
_install_quick_inits()


@functools.lru_cache(maxsize=8192)
def _string_value(text: str) -> Union[str, bytes]:
    return ast.literal_eval(text)


def _evaluated_value(self: cst.SimpleString) -> Union[str, bytes]:
    """libcst's `SimpleString.evaluated_value`, `ast.literal_eval` of the literal's text, kept
    per text: rules ask it of the same strings again and again (22,000 times on Twisted, for
    7,600 texts), and each evaluation compiles the text and leaves its closures to the cyclic
    collector (two thirds of the garbage phase 1 makes)."""
    return _string_value(self.value)


cst.SimpleString.evaluated_value = property(_evaluated_value)  # type: ignore[assignment,method-assign]


def encode_source(text: str) -> bytes:
    """Bytes that decode back to `text` under the file's own coding cookie (PEP 263).

    UTF-8 unless the text declares another encoding that can hold it; the parser then
    decodes with that cookie, so columns and the text rules see are the editor's."""
    data = text.encode("utf-8", "surrogatepass")
    head = data.split(b"\n", 2)[:2]
    try:
        encoding, _ = tokenize.detect_encoding(iter(line + b"\n" for line in head).__next__)
    except (SyntaxError, LookupError, StopIteration):
        return data
    if encoding in ("utf-8", "utf-8-sig"):
        return data
    try:
        return text.encode(encoding)
    except (UnicodeError, LookupError):
        return data  # a cookie the text cannot honour: libcst reports the mismatch


def _one_line(text: str) -> str:
    return " ".join(text.split())


_PARSER_AT = re.compile(r"^parser error: error at (\d+):(\d+): ")


def _syntax_error(exc: cst.ParserSyntaxError, data: bytes) -> Tuple[int, int, str]:
    """(line, column, message) of a libcst syntax error, located as well as possible.

    libcst's parser errors point at the token after the problem, sometimes on the next line
    (`print "x"` is reported on line 2), and its tokenizer errors always say 1:1; Python's
    own tokenizer (no compiling, no executing) finds the line of those."""
    message = _one_line(exc.message)
    line, column = exc.raw_line, exc.raw_column + 1
    match = _PARSER_AT.match(message)
    if match is not None:
        message = message[match.end():]
        at_line, at_column = int(match.group(1)), int(match.group(2)) + 1
        if 0 < at_line < line or (at_line == line and line > 0):
            line, column = at_line, at_column
    elif message.startswith("tokenizer error: "):
        message = message[len("tokenizer error: "):]
        found = _tokenizer_error_line(data)
        if found is not None:
            line, column = found
    return max(line, 1), max(column, 1), message


def _tokenizer_error_line(data: bytes) -> Optional[Tuple[int, int]]:
    try:
        for tok in tokenize.tokenize(io.BytesIO(data).readline):
            if tok.type == tokenize.ERRORTOKEN and tok.string.strip():
                return tok.start[0], tok.start[1] + 1  # e.g. the quote of an unterminated string
    except tokenize.TokenError as exc:
        if len(exc.args) > 1 and isinstance(exc.args[1], tuple):
            return exc.args[1][0], exc.args[1][1] + 1
    except SyntaxError as exc:  # IndentationError, unterminated strings (3.12+)
        if exc.lineno:
            return exc.lineno, exc.offset or 1
    except Exception:  # a best effort: libcst's own position stands
        return None
    return None


# --- guards against input that libcst's parser cannot handle in bounded time/stack ---------

_STACK_SIZE = 512 * 1024 * 1024  # address space only; pages are touched as the parser recurses
_EXECUTOR: Optional[ThreadPoolExecutor] = None
_EXECUTOR_PID = 0
_EXECUTOR_LOCK = threading.Lock()
_THREAD_NAME = "perflint-parse"


def _big_stack() -> ThreadPoolExecutor:
    """A one-thread executor whose thread has a big stack (recreated after a fork)."""
    global _EXECUTOR, _EXECUTOR_PID
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None or _EXECUTOR_PID != os.getpid():
            previous = threading.stack_size(_STACK_SIZE)
            try:
                executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_THREAD_NAME)
                executor.submit(int).result()  # start the thread while the size is set
            finally:
                threading.stack_size(previous)
            _EXECUTOR, _EXECUTOR_PID = executor, os.getpid()
        return _EXECUTOR


# CPython refuses more than 200 nested brackets ("too many nested parentheses"); libcst
# takes seconds and gigabytes on a few hundred nested calls, so perflint stops at the same
# depth CPython does. Long runs of prefix operators or lambdas (`- - - ... 1`) make both
# parsers give up too (CPython: MemoryError / "too complex"); libcst takes quadratic time.
MAX_NESTING = 200
MAX_PREFIX_RUN = 200
_BRACKETS = bytes.maketrans(b"([{)]}", b"\x01\x01\x01\x02\x02\x02")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"([{)]}")
_OPERATOR_RUN = re.compile(rb"[-+~](?:[ \t]*[-+~]){%d}" % (MAX_PREFIX_RUN - 1))
_PREFIX_TOKENS = {"-", "+", "~", "not", "await", "lambda", ":"}


def problem_line(problem: str) -> int:
    match = re.search(r"line (\d+)", problem)
    return int(match.group(1)) if match else 1


def _too_complex(data: bytes) -> Optional[str]:
    """Why `data` is too deeply nested to parse, or None. Linear, C-speed in the common case.

    A byte-level over-estimate (brackets inside strings count too) decides whether the
    exact check, Python's tokenizer, needs to run at all; it almost never does.
    """
    only = data.translate(_BRACKETS, _NOT_BRACKETS)
    suspicious = False
    if len(only) > 2 * MAX_NESTING:
        depth = max(accumulate(1 if b == 1 else -1 for b in only))
        suspicious = depth > MAX_NESTING
    if not suspicious and data.count(b"lambda") <= MAX_PREFIX_RUN and _OPERATOR_RUN.search(data) is None:
        return None
    depth = run = 0
    in_lambda = False
    try:
        for tok in tokenize.tokenize(io.BytesIO(data).readline):
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
                if depth > MAX_NESTING:
                    return f"too many nested brackets at line {tok.start[0]} (more than {MAX_NESTING}, the limit CPython has too)"
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth -= 1
            if tok.string in _PREFIX_TOKENS and (tok.type == tokenize.OP or tok.type == tokenize.NAME):
                in_lambda = tok.string == "lambda" or (in_lambda and tok.string != ":")
                run += 1
                if run > MAX_PREFIX_RUN:
                    return f"expression nested too deeply at line {tok.start[0]} (a chain of more than {MAX_PREFIX_RUN} unary operators or lambdas)"
            elif in_lambda or tok.type in (tokenize.NL, tokenize.COMMENT):
                pass  # lambda parameters, line breaks and comments do not end a chain
            else:
                run = 0
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, LookupError, RecursionError, MemoryError):
        return None  # libcst reports the real problem
    return None
