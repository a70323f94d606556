"""The rule base class: metadata, sectioned docs, and the reporting API rules use."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional, Sequence, Tuple, Union

import libcst as cst

from perflint.finding import RuleInfo

if TYPE_CHECKING:
    from perflint.walker import FileContext

FAMILIES = {"clone": 1, "alloc": 2, "rebuild": 3, "sync": 4, "fastpath": 5, "meta": 0}
REQUIRED_SECTIONS = ("What it does", "Why is this slow", "Example", "Use instead")
KNOWN_SECTIONS = REQUIRED_SECTIONS + ("Options", "Notes")
CODE_RE = re.compile(r"^PFL(?:[1-5]\d\d|0(?:0[1-9]|[1-9]\d))$")  # PFL0xx: meta (about perflint itself)
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Invalid:
    """An INVALID example: the code, and the line (1-based) the finding must be on."""

    code: str
    line: Optional[int] = None
    config: Optional[Dict[str, Any]] = None


@dataclass(frozen=True)
class Valid:
    """A VALID example that must produce no finding (optionally under a rule config)."""

    code: str
    config: Optional[Dict[str, Any]] = None


Example = Union[str, Valid, Invalid]


class Rule:
    """Base of every perflint rule.

    A rule is a visitor: it defines ``visit_<Node>``/``leave_<Node>`` methods that the
    engine's single traversal calls, reads facts from ``self.ctx`` (the enclosing
    function, the loops around the node, resolved names) and calls ``self.report``.
    Rules do no I/O and keep no state across files beyond their options.
    """

    CODE: ClassVar[str] = ""
    NAME: ClassVar[str] = ""
    FAMILY: ClassVar[str] = ""
    FIX: ClassVar[str] = ""
    CONFIDENCE: ClassVar[str] = "high"
    # The cost table key (perflint/costs.py, measured by bench/costs.py) of what one
    # execution of the flagged operation wastes beyond its fix; `report(cost=...)` may pick
    # another key for a variant (a network database versus sqlite3, say).
    COST: ClassVar[str] = ""
    # Substrings of which at least one must occur in a file for the rule to run on it.
    TRIGGERS: ClassVar[Tuple[str, ...]] = ()
    # Options a user may set under [rules.PFLnnn], with their defaults.
    OPTIONS: ClassVar[Dict[str, Any]] = {}
    DEFAULT_ENABLED: ClassVar[bool] = True
    VALID: ClassVar[Sequence[Example]] = ()
    INVALID: ClassVar[Sequence[Example]] = ()

    def __init__(self, options: Optional[Dict[str, Any]] = None) -> None:
        merged = dict(self.OPTIONS)
        merged.update(options or {})
        self.options = merged
        self.ctx: "FileContext" = None  # type: ignore[assignment]

    # -- per-file hooks ---------------------------------------------------------------
    def begin_file(self, ctx: "FileContext") -> None:
        """Called before the traversal of each file; reset per-file state here."""
        self.ctx = ctx

    def end_file(self) -> None:
        """Called after the traversal of each file."""

    # -- reporting --------------------------------------------------------------------
    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        fix: Optional[str] = None,
        confidence: Optional[str] = None,
        requires: Tuple[str, ...] = (),
        target: Optional[str] = None,
        cost: Optional[str] = None,
        size: Optional[float] = None,
        per_item: str = "",
        growth: Optional[Tuple[int, float, int, float]] = None,
        whole_loop: Optional[cst.CSTNode] = None,
    ) -> None:
        """Report local evidence at ``node``.

        ``requires`` names conditions phase 2 checks with the whole program:
        ``"repeated"`` (the site runs per iteration: a loop here or on the way in),
        ``"fn:<effect>"`` (the enclosing function has the effect, maybe through callees),
        ``"callee:<effect>"`` (the called function ``target`` has it),
        ``"callee-deep:<effect>"`` (it, or a callee of it a few calls down, has it; ``!`` negates).
        ``cost`` is a cost-table key (default: the rule's ``COST``); ``size`` the size term
        of that cost when the rule can see it (a literal's length), None when it cannot.
        ``per_item`` says why the rule knows the enclosing function runs once per item or
        request (a `__setitem__`, a `handle_get`): evidence of repetition, like a loop.
        ``growth`` replaces ``size`` for an accumulator grown in loops: (index of the first
        loop it grows in, bytes a step adds that the code shows, pieces of unknown size, bytes
        of a stream read or 0); phase 2 works out what it holds from those loops' trips
        (perflint/datawalk.growth_size).
        ``whole_loop``, an enclosing loop node: the site is priced for a whole run of that loop
        (``size`` counts its trips, e.g. the entries of a table it walks), so that loop and the
        loops inside it do not multiply its frequency.
        """
        self.ctx.add_candidate(
            self, node, message, fix or self.FIX, confidence or self.CONFIDENCE, requires, target,
            cost_key=cost or self.COST, size=size, per_item=per_item, growth=growth, whole_loop=whole_loop,
        )

    def effect(self, effect: str, confidence: str = "high") -> None:
        """Record that the enclosing function performs ``effect`` (sync, commit, query...)."""
        self.ctx.add_effect(effect, confidence)

    # -- metadata ---------------------------------------------------------------------
    @classmethod
    def docs(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def sections(cls) -> Dict[str, str]:
        return parse_sections(cls.docs())

    @classmethod
    def summary(cls) -> str:
        text = cls.sections().get("What it does", "")
        first = " ".join(text.strip().split("\n\n")[0].split())
        end = first.find(". ")
        return first if end < 0 else first[: end + 1]

    @classmethod
    def info(cls) -> RuleInfo:
        return RuleInfo(
            code=cls.CODE,
            name=cls.NAME,
            family=cls.FAMILY,
            summary=cls.summary(),
            docs=cls.docs(),
            fix=cls.FIX,
            default_severity="warning",
        )

    @classmethod
    def validate(cls) -> List[str]:
        """Problems with this rule's metadata; empty when it is well formed."""
        problems = []
        where = f"{cls.__module__}.{cls.__name__}"
        if not CODE_RE.match(cls.CODE):
            problems.append(f"{where}: CODE {cls.CODE!r} is not PFL1xx-PFL5xx (or PFL0xx for meta)")
        if not NAME_RE.match(cls.NAME):
            problems.append(f"{where}: NAME {cls.NAME!r} is not kebab-case")
        if cls.FAMILY not in FAMILIES:
            problems.append(f"{where}: FAMILY {cls.FAMILY!r} is not one of {sorted(FAMILIES)}")
        elif CODE_RE.match(cls.CODE) and int(cls.CODE[3]) != FAMILIES[cls.FAMILY]:
            problems.append(f"{where}: {cls.CODE} is outside the {cls.FAMILY} range")
        sections = cls.sections()
        for name in REQUIRED_SECTIONS:
            if not sections.get(name, "").strip():
                problems.append(f"{where}: docstring lacks a '{name}' section")
        if not cls.FIX:
            problems.append(f"{where}: FIX hint is empty")
        if not cls.VALID or not cls.INVALID:
            problems.append(f"{where}: needs VALID and INVALID examples")
        if cls.CONFIDENCE not in ("low", "medium", "high"):
            problems.append(f"{where}: CONFIDENCE {cls.CONFIDENCE!r} is not low/medium/high")
        return problems


_SECTION_RE = re.compile(r"^## (.+)$", re.M)


def parse_sections(doc: str) -> Dict[str, str]:
    """Split a rule docstring into its `## Section` parts (the first paragraph is the title)."""
    parts = _SECTION_RE.split(doc)
    sections: Dict[str, str] = {"title": parts[0].strip()}
    for i in range(1, len(parts) - 1, 2):
        sections[parts[i].strip()] = parts[i + 1].strip("\n")
    return sections
