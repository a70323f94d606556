"""Read profiles (cProfile/pstats, pyinstrument, speedscope), detected from their content."""

from __future__ import annotations

import gc
import json
import marshal
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

# speedscope time units, in seconds
_UNITS = {"seconds": 1.0, "milliseconds": 1e-3, "microseconds": 1e-6, "nanoseconds": 1e-9}
_PYINSTRUMENT_SEP, _PYINSTRUMENT_ATTRS = "\x00", "\x01"
# speedscope exporters that sample: their evented profiles carry no call counts
_SAMPLERS = ("pyinstrument", "py-spy", "austin")
# marshal type codes a pstats dict can start with: TYPE_DICT, with or without FLAG_REF
_MARSHAL_DICT = (0x7B, 0xFB)


class ProfileError(Exception):
    """A profile file that cannot be read; the message is one line and names the file."""


class Entry(NamedTuple):
    """One function as a profile saw it, summed over the whole profile (a tuple: a big
    pstats file has hundreds of thousands of these)."""

    file: str
    line: int  # first line (pstats, pyinstrument) or a line inside the body (sampled stacks)
    name: str  # co_name, or the qualified name where the profiler records one
    calls: int  # primitive calls; 0 where the profiler does not count calls (sampling)
    cumulative: float  # seconds including callees (recursion counted once)
    own: float  # seconds in the function itself


@dataclass(frozen=True)
class Profile:
    """A loaded profile: its entries and the time it covers."""

    path: str
    kind: str  # "pstats", "pyinstrument" or "speedscope"
    entries: Tuple[Entry, ...]
    total: float  # seconds the profile covers (the sum of own times)
    counted: bool  # True when `calls` are real call counts (cProfile, evented speedscope)
    line_is_first: bool  # True when Entry.line is the function's first line

    @property
    def functions(self) -> int:
        return len(self.entries)


def load_profile(path: Path, display: Optional[str] = None) -> Profile:
    """Load any supported profile; raises ProfileError with a one-line message."""
    name = display or str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ProfileError(f"profile {name}: no such file") from None
    except IsADirectoryError:
        raise ProfileError(f"profile {name}: is a folder, not a profile file") from None
    except OSError as exc:
        raise ProfileError(f"profile {name}: cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise ProfileError(f"profile {name}: the file is empty")
    if _looks_like_json(data):
        return _load_json(data, name)
    if data[0] in _MARSHAL_DICT:
        return _load_pstats(data, name)
    raise ProfileError(
        f"profile {name}: not a profile perflint reads (expected cProfile/pstats output, "
        "pyinstrument session JSON or speedscope JSON)"
    )


def _looks_like_json(data: bytes) -> bool:
    """JSON objects start with `{` then `"` or `}`; a marshal dict's next byte is a tuple code."""
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"{"):
        return False
    rest = text[1:].lstrip(b" \t\r\n")
    return not rest or rest[:1] in (b'"', b"}")


# -- cProfile / pstats ---------------------------------------------------------------------
def _load_pstats(data: bytes, name: str) -> Profile:
    # marshal builds millions of tuples and dicts (the callers): the cyclic GC would scan
    # them again and again while they are built, doubling the load time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_pstats(data, name)
    finally:
        if enabled:
            gc.enable()


def _read_pstats(data: bytes, name: str) -> Profile:
    try:
        stats = marshal.loads(data)
    except EOFError:
        raise ProfileError(f"profile {name}: truncated pstats data (the file ends early)") from None
    except (ValueError, TypeError) as exc:
        raise ProfileError(
            f"profile {name}: cannot read pstats data ({exc}); written by another Python version? "
            "re-create it with this one"
        ) from None
    if not isinstance(stats, dict):
        raise ProfileError(f"profile {name}: not pstats data (marshal holds a {type(stats).__name__}, not a dict)")
    entries: List[Entry] = []
    total = 0.0
    try:
        for (file, line, func), (primitive, _calls, own, cumulative, _callers) in stats.items():
            total += own
            if file == "~":  # built-ins: ("~", 0, "<built-in method time.sleep>")
                entries.append(Entry("", 0, func, int(primitive), float(cumulative), float(own)))
            else:
                entries.append(Entry(file, int(line), func, int(primitive), float(cumulative), float(own)))
    except (TypeError, ValueError):
        raise ProfileError(f"profile {name}: not pstats data (entries are not cProfile's (file, line, name) records)") from None
    return Profile(name, "pstats", tuple(entries), total, counted=True, line_is_first=True)


# -- JSON formats ----------------------------------------------------------------------------
def _load_json(data: bytes, name: str) -> Profile:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ProfileError(f"profile {name}: not UTF-8 text, so not a JSON profile") from None
    except json.JSONDecodeError as exc:
        raise ProfileError(f"profile {name}: truncated or invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if isinstance(doc, dict) and "frame_records" in doc:
        return _load_pyinstrument_session(doc, name)
    if isinstance(doc, dict) and "root_frame" in doc:
        return _load_pyinstrument_tree(doc, name)
    if isinstance(doc, dict) and isinstance(doc.get("shared"), dict) and "profiles" in doc:
        return _load_speedscope(doc, name)
    raise ProfileError(
        f"profile {name}: JSON, but neither a pyinstrument session (frame_records) nor speedscope (shared.frames, profiles)"
    )


class _Accumulator:
    """Sums sampled or traced stacks per function; recursion counts once per stack."""

    def __init__(self) -> None:
        self.cumulative: Dict[Tuple[str, int, str], float] = {}
        self.own: Dict[Tuple[str, int, str], float] = {}
        self.calls: Dict[Tuple[str, int, str], int] = {}
        self.total = 0.0

    def add_stack(self, stack: Sequence[Tuple[str, int, str]], seconds: float) -> None:
        if not stack:
            return
        self.total += seconds
        for key in set(stack):
            self.cumulative[key] = self.cumulative.get(key, 0.0) + seconds
        leaf = stack[-1]
        self.own[leaf] = self.own.get(leaf, 0.0) + seconds

    def entries(self) -> Tuple[Entry, ...]:
        return tuple(
            Entry(file, line, func, self.calls.get((file, line, func), 0), cum, self.own.get((file, line, func), 0.0))
            for (file, line, func), cum in sorted(self.cumulative.items())
        )


def _pyinstrument_frame(info: Any) -> Tuple[str, int, str]:
    """"func\\x00file\\x00line\\x01l12" -> (file, line, func); built-ins and threads -> no file."""
    identifier = str(info).split(_PYINSTRUMENT_ATTRS, 1)[0]
    parts = identifier.split(_PYINSTRUMENT_SEP)
    if len(parts) != 3:
        raise ValueError(f"bad frame identifier {identifier[:60]!r}")
    func, file, line = parts
    if file.startswith("<") and file.endswith(">"):  # <built-in>, <thread>, <frozen runpy>
        file = ""
    return file, int(line), func


def _load_pyinstrument_session(doc: Dict[str, Any], name: str) -> Profile:
    """`pyinstrument -r pyisession` / Session.save(): frame_records = [[stack], seconds]."""
    acc = _Accumulator()
    try:
        for stack, seconds in doc["frame_records"]:
            acc.add_stack([_pyinstrument_frame(info) for info in stack], float(seconds))
    except (TypeError, ValueError) as exc:
        raise ProfileError(f"profile {name}: malformed pyinstrument session ({exc})") from None
    return Profile(name, "pyinstrument", acc.entries(), acc.total, counted=False, line_is_first=True)


def _load_pyinstrument_tree(doc: Dict[str, Any], name: str) -> Profile:
    """`pyinstrument -r json`: a frame tree, each node with its cumulative `time`."""
    cumulative: Dict[Tuple[str, int, str], float] = {}
    own: Dict[Tuple[str, int, str], float] = {}
    try:
        work: List[Tuple[Dict[str, Any], frozenset]] = [(doc["root_frame"], frozenset())]
        while work:
            node, above = work.pop()
            file = str(node.get("file_path") or "")
            key = ("" if file.startswith("<") else file, int(node.get("line_no") or 0), str(node["function"]))
            seconds = float(node["time"])
            children = node.get("children") or []
            if key not in above:  # recursion: the outermost frame already holds this time
                cumulative[key] = cumulative.get(key, 0.0) + seconds
            own[key] = own.get(key, 0.0) + max(0.0, seconds - sum(float(c["time"]) for c in children))
            work.extend((child, above | {key}) for child in children)
        total = float(doc["root_frame"]["time"])
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ProfileError(f"profile {name}: malformed pyinstrument JSON ({type(exc).__name__}: {exc})") from None
    entries = tuple(Entry(f, ln, fn, 0, cum, own.get((f, ln, fn), 0.0)) for (f, ln, fn), cum in sorted(cumulative.items()))
    return Profile(name, "pyinstrument", entries, total, counted=False, line_is_first=True)


def _load_speedscope(doc: Dict[str, Any], name: str) -> Profile:
    """speedscope (py-spy `--format speedscope`, austin): sampled or evented profiles."""
    try:
        raw = [(str(f.get("file") or ""), int(f.get("line") or 0), str(f["name"])) for f in doc["shared"]["frames"]]
        # py-spy makes one frame per line that ran; one function is one entry, at its lowest line.
        lowest: Dict[Tuple[str, str], int] = {}
        for file, line, func in raw:
            lowest[file, func] = min(line, lowest.get((file, func), line))
        frames = [(file, lowest[file, func], func) for file, _, func in raw]
        acc = _Accumulator()
        evented = False
        for profile in doc["profiles"]:
            scale = _UNITS.get(profile.get("unit", "seconds"))
            if scale is None:
                raise ProfileError(f"profile {name}: speedscope unit {profile.get('unit')!r} is not a time unit")
            if profile.get("type") == "evented":
                evented = True
                _add_evented(acc, profile, frames, scale)
            else:
                samples, weights = profile["samples"], profile.get("weights") or [1.0] * len(profile["samples"])
                for stack, weight in zip(samples, weights):
                    acc.add_stack([frames[i] for i in stack], float(weight) * scale)
    except ProfileError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise ProfileError(f"profile {name}: malformed speedscope JSON ({type(exc).__name__}: {exc})") from None
    # Evented profiles from a tracer record each call. Samplers that write evented files
    # (pyinstrument's speedscope renderer) replay an aggregated tree: its opens are not calls.
    counted = evented and not str(doc.get("exporter", "")).lower().startswith(_SAMPLERS)
    return Profile(name, "speedscope", acc.entries(), acc.total, counted=counted, line_is_first=counted)


def _add_evented(acc: _Accumulator, profile: Dict[str, Any], frames: List[Tuple[str, int, str]], scale: float) -> None:
    """Open/close events: each open is a call; time between events goes to the open stack."""
    stack: List[Tuple[str, int, str]] = []
    last = float(profile.get("startValue", 0.0))
    for event in profile["events"]:
        at = float(event["at"])
        acc.add_stack(stack, (at - last) * scale)
        last = at
        frame = frames[event["frame"]]
        if event["type"] == "O":
            stack.append(frame)
            acc.calls[frame] = acc.calls.get(frame, 0) + (0 if frame in stack[:-1] else 1)
        elif event["type"] == "C" and stack:
            stack.pop()
