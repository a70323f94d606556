"""Scores are time: cost per execution x executions per unit of work x confidence.

The one owner of cost, frequency, severity, pins and the budget verdict (DESIGN §6). A score
is the estimated seconds a finding wastes per unit of work (one call of a hot entry point:
a request, a row, a message). Severity comes from time thresholds in the config; a site that
nothing shows to repeat (no loop on the way, no hot entry point) stays a note whatever its
cost, because "once per call of something that runs once" is not a hot path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

from perflint.backends import LOCAL_QUERY, Backends
from perflint.config import CONFIDENCE_FACTORS, Config, Override
from perflint.costs import DEFAULT_BYTES, DEFAULT_ELEMENTS, DEFAULT_FRAMES, CostTable
from perflint.datawalk import OWN_RUN, growth_size, grower_of, own_steps, own_steps_start
from perflint.finding import SEVERITY_RANK, Candidate, Finding, Loop
from perflint.units import format_time

if TYPE_CHECKING:
    from perflint.callgraph import Edge, Program


FOLD_LISTS = "fold-lists:"  # a candidate's condition: a fold by addition of lists of <m> elements (PFL206)


def fold_lists(requires: Sequence[str]) -> Optional[float]:
    """The elements a list holds in a fold by addition (`fold-lists:<m>`), or None."""
    for req in requires:
        if req.startswith(FOLD_LISTS):
            return float(req[len(FOLD_LISTS):])
    return None


# A cost that is under 5% of an operation that runs beside it at least as often is not worth
# a patch (labelled run 4: re.compile cache hits right after an `ifconfig` subprocess).
DWARF_RATIO = 20.0


# How a frequency counted along Frequencies.lock_heat's chains is explained (the engine traces
# such a finding along that chain).
LOCK_TEXT = "counted from the row lock taken before it: each locked pass once"


@dataclass(frozen=True)
class Scored:
    """One candidate's numbers, and the words that explain them."""

    cost: float  # seconds one execution wastes
    cost_text: str  # "fsync 112 µs" / "deepcopy-element 571 ns x 100 elements (unknown size)"
    frequency: float  # executions per unit of work
    evidenced: bool  # a loop or a hot entry point says it repeats
    score: float  # seconds per unit of work
    severity: str
    pinned_by: Optional[str]
    confidence: str = "high"  # after the chain: low when the frequency rests on a guessed edge
    # The time, per execution of this site, of the slow operations beside it on its path (a
    # process started, a network request, a sleep) and where: see `Scorer.beside`.
    beside: float = 0.0
    beside_text: str = ""
    # The frequency's factors when they are not the hottest chain's (Program.sure_frequency).
    frequency_text: str = ""
    # The caller edge the trace starts from when the site's guards (guards.py) rule out its
    # function's hottest caller; None to follow the hottest chain.
    chain_start: Optional["Edge"] = None
    # The share of `cost` one execution of the site carries, when the frequency counts fewer
    # executions than run: a buffer made per call prices its whole run per counted execution
    # (datawalk.own_steps), so what is dwarfed is compared per step, as `beside` is.
    share: float = 1.0
    # What chain_start's call passes on of its caller's parameters (Program.edge_passes): the
    # trace goes on through the callers that pass them.
    chain_guards: Tuple[str, ...] = ()

    def dwarfed(self, cost: Optional[float] = None) -> bool:
        """Whether the site's cost (or `cost`, a cause's sum) is dwarfed by what runs beside it."""
        return dwarfed((self.cost if cost is None else cost) * self.share, self.beside)


def dwarfed(cost: float, beside: float) -> bool:
    """Whether `cost` is under 1/DWARF_RATIO of the slow operations `beside` it: fixing it
    would save a few percent of that path's time at most."""
    return beside > 0 and beside >= DWARF_RATIO * cost


def _units() -> Dict[str, str]:
    from perflint.calibrate import SPECS

    return {spec.key: spec.per for spec, _ in SPECS}


class Scorer:
    """Scores candidates of one run: the cost table, the config and the program's frequencies."""

    def __init__(self, config: Config, costs: CostTable, program: "Program") -> None:
        self.config = config
        self.costs = costs
        self.program = program
        self.per = _units()
        # fid -> the slowest external operation it runs on every call (see `_external`)
        self._external_cache: Dict[str, Optional[Tuple[float, str]]] = {}
        self._backends: Optional[Backends] = None  # built on first use: which packages use SQLite

    # -- cost ---------------------------------------------------------------------------
    def cost(self, code: str, default_key: str, cand: Candidate, fid: Optional[str] = None) -> Tuple[float, str]:
        """Seconds one execution wastes, and how that was worked out."""
        settings = self.config.rules.get(code)
        if settings is not None and settings.cost is not None:
            return settings.cost, f"{format_time(settings.cost)} ([rules.{code}] cost)"
        key, local = self._cost_key(cand, default_key, fid)
        if not key or key not in self.costs.costs:
            return 0.0, "no cost model"
        unit = self.costs[key]
        per = self.per.get(key, "execution")
        if per == "execution":
            value, text = unit, f"{key} {format_time(unit)}{local}"
        else:
            own = own_steps_start(cand.requires)
            if cand.growth is not None:  # an accumulator: what it holds, from its loops' trips
                size, why = growth_size(self.program, grower_of(self.program, fid, cand), cand.loops, cand.growth,
                                        own=own is not None, unit=per)
            else:
                if cand.size is not None:
                    size, why = cand.size, f"{cand.size:g} {per}s"
                else:
                    # a fold's own count (PFL206), the count its callee records beside an
                    # effect, or the default for the unit: each worked out only if needed
                    size, why = self.fold_size(cand) or self._effect_size(cand, per) or self.default_size(per)
                if own is not None:
                    # a buffer made per call and cut in its own loops: a step's copy per step of
                    # its run in one call, of which the frequency counts only some
                    steps, counted = own_steps(self.program, fid, cand.loops, own)
                    if steps > counted:
                        size *= steps / counted
                        why = f"{why} x {steps:g} steps per {OWN_RUN}, of which the frequency counts {counted:g}"
            value, text = unit * size, f"{key} {format_time(unit)} x {why}"
        if settings is not None and settings.weight is not None:
            value *= settings.weight / 10.0
            text += f" x {settings.weight:g}/10 ([rules.{code}] weight, deprecated)"
        return value, text

    def _effect_size(self, cand: Candidate, per: str) -> Optional[Tuple[float, str]]:
        """The size term a `size-effect:<effect>` candidate's callee records beside the effect
        (`<effect>#<n>`, the largest n: e.g. the DDL statements one call sends), read at the
        function where the callee path ends; None when there is none."""
        effect = next((r[len("size-effect:"):] for r in cand.requires if r.startswith("size-effect:")), None)
        if effect is None:
            return None
        program = self.program
        callee = program.resolve_target(cand.target)
        path = program.effect_path(callee, effect) if callee is not None else None
        if path is None:
            return None
        where = path[-1].callee if path else callee
        fn = program.functions[where][1]
        counts = [float(key[len(effect) + 1:]) for key in fn.effects if key.startswith(effect + "#")]
        if not counts:
            return None
        return max(counts), f"{max(counts):g} {per}s per call of {program.display_name(where)}"

    def fold_size(self, cand: Candidate) -> Optional[Tuple[float, str]]:
        """The elements a fold by addition copies in one run (`fold-lists:<m>`, PFL206): over k
        lists of m elements, step j copies the j lists gathered so far, m x k x (k - 1) / 2 in
        all. Walking k lists of m elements is a loop nested in a loop, neither bound in the
        code: k is `loop-trips` and m, when the code does not show it (`fold-lists:0`),
        `nested-loop-trips`. None for any other candidate."""
        per_list = fold_lists(cand.requires)
        if per_list is None:
            return None
        k, m = self._fold_counts(per_list)
        size = m * k * (k - 1) / 2
        each = f"{m:g} a list" if per_list else f"{m:g} a list (unknown: nested-loop-trips)"
        return size, (f"{size:g} elements ({each} x {k:g} lists x {k - 1:g} / 2: each step copies all "
                      "gathered so far; how many lists is unknown: loop-trips)")

    def _fold_counts(self, per_list: float) -> Tuple[float, float]:
        """(lists, elements a list) of a fold: loop-trips, and the elements the code shows or
        nested-loop-trips."""
        return self.config.loop_trips, per_list or self.config.nested_loop_trips

    def _cost_key(self, cand: Candidate, default_key: str, fid: Optional[str]) -> Tuple[str, str]:
        """The cost-table key of a candidate, and a note when the program changed it: a
        server's query is an in-process one in a package that talks to SQLite only."""
        key = cand.cost_key or default_key
        if key in LOCAL_QUERY and fid is not None:
            if self._backends is None:
                self._backends = Backends(self.program)
            entry = self.program.functions.get(fid)
            if entry is not None and self._backends.sqlite_only(entry[0].module):
                return LOCAL_QUERY[key], " (its package talks to SQLite, in-process)"
        return key, ""

    def fixed_time(self, code: str, default_key: str, cand: Candidate, frequency: float,
                   fid: Optional[str] = None) -> float:
        """Seconds per unit of work the fixed code still spends at this site (0: unknown)."""
        settings = self.config.rules.get(code)
        if settings is not None and settings.cost is not None:
            return 0.0
        key, _ = self._cost_key(cand, default_key, fid)
        fix = self.costs.fix.get(key, 0.0)
        if not fix:
            return 0.0
        per = self.per.get(key, "execution")
        if per != "execution":
            per_list = fold_lists(cand.requires) if cand.size is None else None
            if per_list is not None:  # the fix copies every element once: m x k
                lists, each = self._fold_counts(per_list)
                fix *= lists * each
            else:
                fix *= cand.size if cand.size is not None else self.default_size(per)[0]
        return fix * frequency

    def default_size(self, per: str) -> Tuple[float, str]:
        """The size term when the rule could not see it, and why that size."""
        if per == "byte":
            return float(DEFAULT_BYTES), f"{DEFAULT_BYTES} bytes (size unknown: a page)"
        if per == "statement":
            return 1.0, "1 statement (how many the callee sends is not known)"
        if per == "frame":
            return float(DEFAULT_FRAMES), f"{DEFAULT_FRAMES} frames (stack depth unknown: a framework's call stack)"
        if per in ("row", "item"):
            return self.config.loop_trips, f"{self.config.loop_trips:g} {per}s (size unknown: loop-trips)"
        return float(DEFAULT_ELEMENTS), f"{DEFAULT_ELEMENTS} {per}s (size unknown: a modest structure)"

    # -- frequency and score ---------------------------------------------------------------
    def score(self, code: str, default_key: str, cand: Candidate, fid: str, confidence: str,
              overrides: Sequence[Override]) -> Scored:
        cost, cost_text = self.cost(code, default_key, cand, fid)
        sure, guard_text = None, ""
        program = self.program
        # the site runs only for callers that pass what its guards need (guards.py); a function
        # with a role or no callers is called from outside and may be given anything
        guards = program.live_guards(fid, cand.guards) if cand.guards and fid in program.functions else ()
        switched = any(g.startswith("switch:") for g in guards)
        guarded = bool(guards) and (switched or bool(program.callers.get(fid)) and fid not in program.roles)
        best = program.guarded_edge(fid, guards) if guarded else None
        # every chain as hot as the hottest nests the site in a transaction: only the chains
        # that hold none commit per call, and they are counted alone (Frequencies.outside_heat,
        # along sure edges only)
        outside = not cand.cold and "outside-transaction" in cand.requires and program.in_transaction.get(fid, False)
        if self.program.guessed.get(fid, False) and not outside and not any(loop.data for loop in cand.loops):
            sure = None if cand.cold else self.program.sure_frequency(fid, cand.loops)
            if sure is None:
                confidence = "low"  # its frequency rests on a guessed edge (Edge.guess): a note at most
        if cand.cold:
            frequency, evidenced = 1.0, False
        elif sure is not None:
            frequency, evidenced = sure[0], True  # only what the sure calls below the guess prove
        else:
            frequency = self.program.site_heat(fid, cand.loops)
            evidenced = self.program.evidenced(fid, cand.loops) or bool(cand.per_item)
            if guarded:
                needs = ", ".join(_guard_words(g) for g in guards)
                if switched:
                    frequency, evidenced = 1.0, False
                    guard_text = f"runs only when {needs}: off by default"
                elif best is None and program.guarded_edge(fid, guards, cold=True) is not None:
                    # only callers that run once pass it (a script's main): once per call, and
                    # per trip of the loops around the site in its function
                    frequency, evidenced = program.once_per_call(fid, cand.loops)
                    guard_text = f"runs only when a caller passes {needs}: only callers that run once do"
                elif best is None:
                    frequency, evidenced = 1.0, False
                    guard_text = f"runs only when a caller passes {needs}: no caller on a hot chain does"
                elif best[0] < program.heat.get(fid, 1.0):
                    frequency = frequency * best[0] / program.heat[fid]
                    guard_text = f"counted from the callers that pass {needs}"
            elif _slice_branch(program, fid, cand.guards):
                # `seq[a:b]` asks for a page once per use; only an integer index runs per item
                # (Mailman's QuerySequence, labelled FALSE in run 11)
                frequency = max(frequency / program.loop_trips, 1.0)
                guard_text = "under isinstance(..., slice): one call per slice (a page), not per item"
        lock_start: object = False  # the first edge of lock_heat's chain (None: it starts at fid), when counted so
        if not cand.cold and sure is None and "!under-lock" in cand.requires and fid in program.under_lock:
            locked, lock_edge = program.lock_site(fid, cand.loops, guards)
            if locked < frequency:
                frequency, lock_start = locked, lock_edge
                guard_text = "; ".join(filter(None, (guard_text, LOCK_TEXT)))
        if outside:
            frequency = program.outside_site_heat(fid, cand.loops)
            guard_text = "; ".join(filter(None, (guard_text, "counted from the callers that hold no transaction open")))
        value = cost * frequency * CONFIDENCE_FACTORS[confidence]
        pinned, pinned_by = pinned_severity(self.config, code, overrides)
        beside, beside_text = (0.0, "") if cand.cold else self.beside(fid, cand.loops)
        share = self._share(fid, cand)
        severity = self.severity(value, evidenced, pinned, confidence, dwarfed(cost * share, beside))
        passed_on = program.guards_passed_on(fid, best[1], guards) if best is not None else ()
        start = best[1] if best is not None and (passed_on or best[1] is not program.pred.get(fid)) else None
        if lock_start is not False:
            start, passed_on = lock_start, ()  # type: ignore[assignment]
        return Scored(cost, cost_text, frequency, evidenced, value, severity, pinned_by, confidence, beside, beside_text,
                      "; ".join(sure[1]) if sure is not None else guard_text, start, share, passed_on)

    def _share(self, fid: str, cand: Candidate) -> float:
        """The share of a counted execution's cost that one execution of the site carries: the
        steps the frequency counts of a per-call buffer's run / the steps it runs (the cost
        prices the whole run per counted step), else 1. `beside` is per execution, counted from
        each level as if it were the root: the comparison is per step, so per call."""
        own = own_steps_start(cand.requires)
        walked = any(loop.walks and loop.trips is None for loop in cand.loops[own:]) if own is not None else False
        if own is None or (cand.growth is not None and walked):
            return 1.0  # a walk of the data already counted its run in full (datawalk.growth_size)
        steps, counted = own_steps(self.program, fid, cand.loops, own)
        return counted / steps if steps > counted else 1.0

    def beside(self, fid: str, loops: Sequence[Loop]) -> Tuple[float, str]:
        """The slow operations on the site's path, in seconds per execution of the site.

        At the site's function, and at each caller up the hottest chain, an external operation
        (a process started, a network request, a sleep: perflint/effects.py) runs once per call
        of that function, while the site runs `trips` times per call (the loops between them).
        Its time divided by `trips` is what runs beside each execution of the site; the largest
        over the chain is returned, with where it is. (0, "") when there is none."""
        program = self.program
        if fid not in program.functions:
            return 0.0, ""
        best, text = 0.0, ""
        # The loops from a level down to the site, counted as if that level were the root:
        # how often the site runs per call of it (the chain's cap on unknown loops is about
        # the product from the real root, and would hide a loop right here).
        chain = program.hot_chain(fid)
        below: List[Loop] = list(loops)
        levels = [(fid, program.trips(below, 0))]
        for edge in reversed(chain):
            below = list(edge.site.loops) + below
            levels.append((edge.caller, program.trips(below, 0)))
        for level, level_trips in levels:
            found = self._external(level)
            if found is not None and found[0] / level_trips > best:
                best = found[0] / level_trips
                text = f"{found[1]} ({format_time(found[0])}) once per call of {program.display_name(level)}"
                if level_trips > 1:
                    text += f", which runs this site {level_trips:g} times"
        return best, text

    def _external(self, fid: str) -> Optional[Tuple[float, str]]:
        """The slowest external operation a function runs on every call: its own, or one of a
        callee up to EFFECT_DEPTH calls down, through calls that are not cold (an except
        handler, a raise, a cache miss) and not memoised (they do not run on every call)."""
        cache = self._external_cache
        if fid in cache:
            return cache[fid]
        from perflint.callgraph import EFFECT_DEPTH
        from perflint.effects import EXTERNAL_EFFECTS, SLEEP_SECONDS

        program = self.program
        found = None
        frontier, seen = [fid], {fid}
        for depth in range(EFFECT_DEPTH + 1):
            for f in frontier:
                mod, fn = program.functions[f]
                for effect, (key, words) in EXTERNAL_EFFECTS.items():
                    if effect not in fn.effects:
                        continue
                    seconds = self.costs.get(key) if key else SLEEP_SECONDS[effect]
                    if seconds and (found is None or seconds > found[0]):
                        where = f"in {program.display_name(f)} ({mod.path}:{fn.effect_lines.get(effect, fn.line)})"
                        found = (seconds, f"{words} {where}")
            if depth == EFFECT_DEPTH:
                break
            nxt = []
            for f in frontier:
                for edge in program.edges.get(f, ()):
                    if edge.site.cold or edge.callee in seen or program.memoized(edge.callee):
                        continue
                    seen.add(edge.callee)
                    nxt.append(edge.callee)
            frontier = nxt
        cache[fid] = found
        return found

    def severity(self, value: float, evidenced: bool, pinned: Optional[str] = None,
                 confidence: str = "high", dwarfed: bool = False) -> str:
        """A pinned severity wins; a site with no evidence of repetition is a note, and so is
        a low-confidence one (a name heuristic is a guess, and a warning says "fix this"), and
        one dwarfed by a slow operation beside it."""
        if pinned is not None:
            return pinned
        if not evidenced or confidence == "low" or dwarfed:
            return "note"
        value *= 1 + 1e-9  # 1 us x 100 x 100 is 0.009999999999999998 in floats: it is 10 ms
        if value >= self.config.severity["error"]:
            return "error"
        if value >= self.config.severity["warning"]:
            return "warning"
        return "note"

    # -- explanations -------------------------------------------------------------------
    def explain(self, scored: Scored, confidence: str, fid: Optional[str], loops: Sequence[Loop],
                cold: str = "", members: int = 1, per_item: str = "", frequency_text: str = "") -> str:
        """cost x frequency (each hop's trips) x confidence = time; the threshold it crossed.
        `members` counts the sites of the cause, negative when only one branch of an `if` runs.
        `frequency_text` replaces the estimate's factors (a profile's measured counts)."""
        factors = self.frequency_factors(fid, loops) if fid is not None and not cold else []
        frequency_text = frequency_text or scored.frequency_text
        if frequency_text:
            why = f"{scored.frequency:g} ({frequency_text})"
        elif cold:
            why = f"1 ({cold})"
        elif not factors and per_item:
            why = f"1 ({per_item}: one call per unit of work)"
        elif factors:
            why = f"{scored.frequency:g} ({'; '.join(factors)})"
        else:
            why = "1 (no loop on the way)"
        text = (
            f"{format_time(scored.score)} per unit of work = cost {format_time(scored.cost)} [{scored.cost_text}] "
            f"x frequency {why} x confidence {confidence} {CONFIDENCE_FACTORS[confidence]:g}"
        )
        if members > 1:
            text = f"{text}; summed over {members} sites of this cause"
        elif members < -1:  # engine._one_pass: sites in different branches of an `if` do not all run
            text = f"{text}; summed over {-members} sites of this cause, one branch of each `if`"
        warning, error = self.config.severity["warning"], self.config.severity["error"]
        if scored.pinned_by is not None:
            return f"{text}; severity {scored.severity} pinned by {scored.pinned_by}"
        if not scored.evidenced:
            return f"{text}; note: no loop or hot entry point shows that it repeats"
        if confidence == "low":
            return f"{text}; note: low confidence (a name heuristic), never more than a note"
        if scored.dwarfed() and scored.severity == "note" and scored.score * (1 + 1e-9) >= warning:
            share = 100.0 * scored.cost * scored.share / scored.beside
            return (f"{text}; note: dwarfed by {scored.beside_text}: this site's cost is {share:.2g}% of "
                    f"the {format_time(scored.beside)} beside each execution")
        if scored.severity == "error":
            return f"{text}; >= error {format_time(error)}"
        if scored.severity == "warning":
            return f"{text}; >= warning {format_time(warning)} (error at {format_time(error)})"
        return f"{text}; < warning {format_time(warning)}: note"

    def frequency_factors(self, fid: str, loops: Sequence[Loop]) -> List[str]:
        """The root and each loop that multiplies, with its trip estimate, root first."""
        program = self.program
        if fid not in program.functions:
            return []
        chain = program.hot_chain(fid)
        factors: List[str] = []
        root = chain[0].caller if chain else fid
        if program.hot.get(root, False) and root not in program.pred:
            factors.append(f"{program.display_name(root)}: {program.root_note.get(root, 'hot entry point')}")
        depths = program.chain_depths(chain, fid)
        for edge, depth in zip(chain, depths):
            for loop, text in program.edge_trips(edge, depth):
                factors.append(f"{loop.kind} in {program.display_name(edge.caller)} line {loop.line} {text}")
        for loop, text in program.site_trips_shown(fid, loops, depths[-1]):
            factors.append(f"{loop.kind} in {program.display_name(fid)} line {loop.line} {text}")
        return factors


def _slice_branch(program, fid: str, guards: Sequence[str]) -> bool:
    """Whether the site is in the slice branch of a per-item `__getitem__` dunder."""
    role = program.roles.get(fid)
    if role is None or not role.per_item or program.functions[fid][1].name != "__getitem__":
        return False
    return any(g.startswith("isa:") and not g.startswith("isa:self.") and "slice" in g.split(":", 2)[2].split(",")
               for g in guards)


def _guard_words(guard: str) -> str:
    """`isa:idx:bytes` -> "idx as bytes"; an optional parameter's name -> "idx"."""
    if guard.startswith(("isa:", "notisa:")):
        kind, name, kinds = guard.split(":", 2)
        return f"{name} {'as' if kind == 'isa' else 'not as'} {' or '.join(kinds.split(','))}"
    if guard.startswith(("truthy:", "falsy:")):
        kind, name, _ = guard.split(":", 2)
        return f"{name} {'true' if kind == 'truthy' else 'false'}"
    if guard.startswith("absent:"):
        return f"no {guard[7:]}"
    if guard.startswith("any:"):
        return " or ".join(guard[4:].split(","))
    if guard.startswith("switch:"):
        return f"{guard[7:]}() returns true"
    if guard.startswith("unset:"):
        return f"an object without {guard[6:]}"
    return guard


def pinned_severity(config: Config, code: str, overrides: Sequence[Override]) -> Tuple[Optional[str], Optional[str]]:
    """A severity pinned for this code here (the last matching override wins, then [rules.X])."""
    pinned, by = None, None
    for override in overrides:
        if code in override.severity:
            pinned = override.severity[code]
            by = f"[[overrides]] files = {list(override.files)}"
    if pinned is None:
        settings = config.rules.get(code)
        if settings is not None and settings.severity is not None:
            pinned, by = settings.severity, f"[rules.{code}] severity"
    return pinned, by


def verdict(config: Config, findings: Sequence[Finding], total: float) -> Tuple[bool, List[str]]:
    """Whether the run fails: findings at or above fail-on, or a total over max-score."""
    reasons = []
    if config.fail_on != "none":
        threshold = SEVERITY_RANK[config.fail_on]
        failing = [f for f in findings if SEVERITY_RANK[f.severity] >= threshold]
        if failing:
            reasons.append(f"{len(failing)} finding(s) at or above fail-on = {config.fail_on}")
    if config.max_score is not None and total > config.max_score:
        reasons.append(
            f"total estimated time {format_time(total)} per unit of work exceeds max-score = {format_time(config.max_score)}"
        )
    return bool(reasons), reasons
