"""How often a site runs, and why: trip counts along the hottest chain, and its trace.

A mixin of `callgraph.Program`: it reads the heat, the hottest callers (`pred`, `entry`) and
the unknown-loop depth (`unknown`) that `Program` computes, and turns them into a site's
executions per unit of work and the hops that explain them."""

from __future__ import annotations

from typing import TYPE_CHECKING, FrozenSet, List, Optional, Sequence, Set, Tuple

from perflint.finding import Loop, TraceHop
from perflint.repetition import TREE_WALK
from perflint.summary import MODULE_SCOPE, FunctionSummary

# how many callers up a receiver is looked for through self-calls (callgraph.Program.receiver_edge)
RECEIVER_DEPTH = 2

if TYPE_CHECKING:  # pragma: no cover
    from perflint.callgraph import Edge

# A loop around the recursive call that made its function hot: its trips are the visits.
RECURSION_LOOP = "x1 (each trip is a visit the recursion already counts)"
# The root of a trace counted from a row lock (Frequencies.lock_heat): whatever loop calls it,
# each call is one locked pass.
LOCK_ROOT = "locks a row, then makes the call below under the lock: counted once per call, one locked pass"
# The root of a trace outside a transaction counted from a call that makes each item its own unit
# of failure (CallSite.isolated; Frequencies.outside_heat).
ISOLATED_ROOT = ("makes the call below per item inside a `try` that catches a failure of something other than "
                 "the database: each item is its own unit of failure, counted once per call")
HEAT_CAP = 1e9  # executions per unit of work: deep chains and recursion do not overflow


def at_full_heat(brought: float, callee_heat: float) -> bool:
    """Whether a call that brings `brought` executions (capped) gives its callee as much heat as
    its hottest chain, to a relative rounding tolerance (Frequencies.gives_full_heat)."""
    return min(brought, HEAT_CAP) * (1 + 1e-9) >= callee_heat
# Unknown loops deeper than this on one chain add nothing: at most loop-trips x
# nested-loop-trips^2 executions per unit of work come from loops nobody can bound.
MAX_UNKNOWN_DEPTH = 2  # unknown loops on a chain that multiply: loop-trips, then nested-loop-trips


class Frequencies:
    """Executions of a site per unit of work, and the trace that explains them."""

    def trips(self, loops: Sequence[Loop], depth: int = 0) -> float:
        """Estimated iterations of nested loops: their product. The first unknown loop on a
        chain counts `loop-trips`, the next `nested-loop-trips`, deeper ones nothing more."""
        return self._trips(loops, depth)[0]

    def _unknown_factor(self, depth: int) -> float:
        if depth == 0:
            return self.loop_trips
        return self.nested_loop_trips if depth < MAX_UNKNOWN_DEPTH else 1.0

    def _trips(self, loops: Sequence[Loop], depth: int) -> Tuple[float, int]:
        product = 1.0
        for loop in loops:
            if loop.trips is not None and loop.why.endswith(TREE_WALK):
                product *= min(loop.trips, self._unknown_factor(depth))  # a tree's depth: unknown, and small
                depth += 1
            elif loop.trips is not None:
                product *= loop.trips
            elif loop.walks and depth == 0:
                product *= self.walk_trips(loop)
                depth = MAX_UNKNOWN_DEPTH  # unknown loops inside a walk are part of the data it counts
            else:
                product *= self._unknown_factor(depth)
                depth += 1
        return product, depth

    def walk_trips(self, loop: Loop) -> float:
        """Trips of a loop that walks a buffer: `data-bytes` / the bytes one trip consumes.
        Only the first loop of unknown bound on a chain counts so; a walk inside another
        unknown loop is one more unknown loop (a scanline of a picture, not the whole file)."""
        return max(self.data_bytes / loop.walks, 1.0)

    def site_trips(self, fid: str, loops: Sequence[Loop]) -> float:
        """The trips of the loops at a site, given the chain that reaches its function."""
        return self.trips(self.multiplying(fid, loops), self.unknown.get(fid, 0))

    def recursion_loops(self, fid: str) -> FrozenSet[Tuple[str, int]]:
        """The loops around the recursive call that made `fid` hot, when its own call in a loop
        did: a tree walk visits each node once, so that loop's trips are the visits the
        recursion already counted. Work beside the recursive call in the same loop runs once per
        child, that is once per visit: multiplying by the loop again would count fanout twice."""
        pred = self.pred.get(fid)
        if pred is None or pred.caller != fid or pred.callee != fid:
            return frozenset()
        return frozenset((loop.kind, loop.line) for loop in pred.site.loops)

    def multiplying(self, fid: str, loops: Sequence[Loop]) -> Sequence[Loop]:
        """The loops at a site in `fid` that multiply its count (not the recursion's own)."""
        counted = self.recursion_loops(fid)
        if not counted:
            return loops
        return [loop for loop in loops if (loop.kind, loop.line) not in counted]

    def edge_loops(self, edge: Edge) -> Sequence[Loop]:
        """The loops that multiply a call's count: all of them for the recursive call itself."""
        if edge.callee == edge.caller:
            return edge.site.loops
        return self.multiplying(edge.caller, edge.site.loops)

    def locked_loops(self, edge: Edge) -> Sequence[Loop]:
        """The loops that multiply a call made under a row lock (CallSite.locked), counted
        from the lock: those inside the loops around the lock."""
        inside = edge.site.loops[edge.site.locked:]
        return [loop for loop in self.edge_loops(edge) if loop in inside]

    def isolated_loops(self, edge: Edge) -> Sequence[Loop]:
        """The loops that multiply a call made per item inside a `try` that makes each item its
        own unit of failure (CallSite.isolated): those inside that `try`."""
        inside = edge.site.loops[edge.site.isolated:]
        return [loop for loop in self.edge_loops(edge) if loop in inside]

    def edge_trips(self, edge: "Edge", depth: int) -> List[Tuple[Loop, str]]:
        """The loops that multiply a call's count on a chain, each with its trip text."""
        shown = self.edge_loops(edge)
        return list(zip(shown, self.trip_texts(shown, depth)))

    def site_trips_shown(self, fid: str, loops: Sequence[Loop], depth: int) -> List[Tuple[Loop, str]]:
        """The loops around a site, each with its trip text: those that multiply, then those
        whose trips the recursion already counted (RECURSION_LOOP)."""
        shown = self.multiplying(fid, loops)
        out = list(zip(shown, self.trip_texts(shown, depth)))
        out.extend((loop, RECURSION_LOOP) for loop in loops if loop not in shown)
        return out

    def trip_texts(self, loops: Sequence[Loop], depth: int = 0) -> List[str]:
        """"x100 (unknown bound: loop-trips)" / "x8 (range(8))" / "x10 (unknown, nested: ...)"."""
        out = []
        for loop in loops:
            if loop.trips is not None and loop.why.endswith(TREE_WALK):
                out.append(f"x{min(loop.trips, self._unknown_factor(depth)):g} ({loop.why})")
                depth += 1
            elif loop.trips is not None:
                out.append(f"x{loop.trips:g} ({loop.why})" if loop.why else f"x{loop.trips:g}")
            elif loop.walks and depth == 0:
                out.append(f"x{self.walk_trips(loop):g} ({loop.why}: data-bytes {self.data_bytes:.0f} / {loop.walks:.0f})")
                depth = MAX_UNKNOWN_DEPTH
                continue
            elif depth == 0:
                out.append(f"x{self.loop_trips:g} (unknown bound: loop-trips)")
            elif depth < MAX_UNKNOWN_DEPTH:
                out.append(f"x{self.nested_loop_trips:g} (unknown bound inside another: nested-loop-trips)")
            else:
                out.append("x1 (unknown bound, two unknown loops deep already or inside a walk of the data: adds nothing)")
            if loop.walks:  # a walk inside unknown loops counts as one more of them
                out[-1] = f"{out[-1][:-1]}; {loop.why})"
            if loop.trips is None:
                depth += 1
        return out

    def site_heat(self, fid: str, loops: Sequence[Loop]) -> float:
        """Estimated executions of a site per unit of work."""
        if self._in_tests(fid):
            return 1.0  # a loop over test cases says nothing about production cost
        return min(self.heat.get(fid, 1.0) * self.site_trips(fid, loops), HEAT_CAP)

    def once_per_call(self, fid: str, loops: Sequence[Loop]) -> Tuple[float, bool]:
        """Executions of a site in one call of its function (its loops' trips), and whether a
        data loop among them shows it repeats: a function whose callers each run once."""
        if self._in_tests(fid):
            return 1.0, False
        return min(self.site_trips(fid, loops), HEAT_CAP), any(loop.data for loop in loops)

    def sure_frequency(self, fid: str, loops: Sequence[Loop]) -> Optional[Tuple[float, List[str]]]:
        """When the hottest chain into `fid` passes a guessed edge (Edge.guess): the site's
        executions counted from the callee of the last guess, as a root run once, along the
        sure edges below it, with the factors that multiply; None unless a data loop on that
        sure part shows the site repeats. A lower bound the code proves: beets' import stages
        are called through a decorator's flow set (a guess), but ImportTask.manipulate_files
        then calls item.move() per item (sure), and that loop alone repeats destination()."""
        chain = self.hot_chain(fid)
        last = max((i for i, edge in enumerate(chain) if edge.guess), default=None)
        if last is None or self._in_tests(fid):
            return None
        sure = chain[last + 1:]
        if not any(loop.data for edge in sure for loop in edge.site.loops):
            return None
        factors = [f"counted from {self.display_name(chain[last].callee)}: the calls above it are guessed"]
        frequency, depth = 1.0, 0
        for edge in sure:
            for loop, text in self.edge_trips(edge, depth):
                factors.append(f"{loop.kind} in {self.display_name(edge.caller)} line {loop.line} {text}")
            trips, depth = self._trips(self.edge_loops(edge), depth)
            frequency *= trips
        loops = self.multiplying(fid, loops)
        for loop, text in zip(loops, self.trip_texts(loops, depth)):
            factors.append(f"{loop.kind} in {self.display_name(fid)} line {loop.line} {text}")
        return min(frequency * self._trips(loops, depth)[0], HEAT_CAP), factors

    def repeated(self, fid: str, loops: Sequence[Loop]) -> bool:
        """The site runs more than once per unit of work: a loop here or on the way in."""
        if self._in_tests(fid):
            return False
        return self.site_heat(fid, loops) > 1.0

    def evidenced(self, fid: str, loops: Sequence[Loop]) -> bool:
        """The site's frequency rests on a loop or a hot entry point, not on an assumption."""
        if self._in_tests(fid) or fid in self.cold_roots:
            return False
        return self.hot.get(fid, False) or any(loop.data for loop in loops)

    def looped(self, fid: str, outside: bool = False) -> bool:
        """Whether a data loop in the scanned code calls, on the hottest chain, into `fid`:
        the repetition is ours to see, not only a role's assumption (a `__getitem__` runs per
        item of some caller's loop, but that caller's item is its unit of work). With
        `outside`, on the chain a write outside a transaction is counted on (outside_heat),
        when every chain as hot as the hottest holds one: the loop must be on that chain."""
        if outside and self.in_transaction.get(fid, False):
            held = self.chain_outside
            self.chain_outside = {fid}
            try:
                chain = self.hot_chain(fid)
                return any(loop.data for i in range(len(chain)) for loop in self._chain_loops(fid, chain, i))
            finally:
                self.chain_outside = held
        return any(loop.data for edge in self.hot_chain(fid) for loop in edge.site.loops)

    def hot_chain(self, fid: str) -> List[Edge]:
        """The edges that gave `fid` its heat, hottest root first (cycle-safe)."""
        chain: List[Edge] = []
        seen = {fid}
        current = fid
        # a site under guards (guards.py) is reached through the hottest caller that passes them
        first = self.chain_start.get(fid)
        # a finding that holds only outside a transaction is traced along a chain that holds
        # none open: the hottest may pass through one (pretix's build_cancellation, reached
        # inside _cancel_order's atomic block and, as hot, from generate_invoice without one)
        outside = fid in self.chain_outside
        # a query counted per pass of a row lock (lock_heat) is traced from the lock's function
        unlocked = fid in self.chain_unlocked
        receiver: Optional[Tuple[str, str, int]] = None  # (callee, target, depth): receiver_edge
        pending: Tuple[str, ...] = ()  # what the edge taken last needs of its caller's callers
        while current in self.pred:
            edge = first if first is not None and not chain else self.pred[current]
            if outside and self.in_transaction.get(current, False):
                # every chain as hot as the hottest holds a transaction open: the site is
                # counted from the chains that hold none (outside_heat), and traced along them
                below = self.outside_heat(current)[1]
                if below is None:
                    break
                edge = below
            if chain and chain[-1].param and chain[-1].caller == current and current not in self.roles:
                # a call of a parameter: go on through the hottest caller that passes the
                # function called (callgraph.Program.param_edge), as the heat was counted
                passed_in = self.param_edge(current, chain[-1].callee, chain[-1].param)  # type: ignore[attr-defined]
                if passed_in is not None and passed_in[1] is not None:
                    edge = passed_in[1]
            guards: Tuple[str, ...] = ()
            if chain and chain[-1].caller == current:
                guards = self.live_guards(current, chain[-1].site.guards) if chain[-1].site.guards else ()
                guards = tuple(dict.fromkeys(guards + pending)) if pending else guards
            if guards and current not in self.roles:
                # the call made from here runs only for the callers that pass what it needs (or
                # what the call below passes on of this function's parameters): go on through
                # the hottest of those, not through the hottest caller of `current`
                guarded = self.guarded_edge(current, guards)
                if guarded is not None:
                    edge = guarded[1]
            if chain and chain[-1].by_receiver and chain[-1].caller == current and current not in self.roles:
                # a self-call whose target depends on the receiver: go on through the hottest
                # caller whose receiver finds it (callgraph.Program.receiver_edge), and from a
                # self-call up to that caller's callers, the same way, as the heat was counted
                receiver = (chain[-1].callee, chain[-1].site.target, 0)
            if receiver is not None:
                through = self.receiver_edge(current, receiver[0], receiver[1], receiver[2])  # type: ignore[attr-defined]
                if through is not None and through[1] is not None:
                    edge = through[1]
                target = edge.site.target
                receiver = (receiver[0], receiver[1], receiver[2] + 1) if through is not None and \
                    through[1] is not None and target and target[0] in "mS" and \
                    receiver[2] + 1 <= RECEIVER_DEPTH and edge.caller not in self.roles else None
            if outside and (edge.site.in_transaction or edge.site.isolated >= 0 or self.in_transaction.get(edge.caller, False)):
                edge = self._edge_outside_transaction(current, seen) or edge
            if unlocked and current in self.under_lock:
                # counted along the chain lock_heat took (its first edge, for the site's guards,
                # is the scorer's chain_start): it starts at the call made under a row lock,
                # when it passes one
                below = self.lock_heat(current)[1] if chain else first
                if below is None:
                    break
                edge = below
            if not chain:  # the scorer's first edge passes on what the site's guards need
                pending = self.chain_guards.get(fid, ()) if edge is first else ()
            else:
                pending = self.guards_passed_on(current, edge, guards) if guards else ()
            chain.append(edge)
            if unlocked and edge.site.locked >= 0:
                break
            if outside and edge.site.isolated >= 0 and not edge.site.in_transaction:
                break  # outside_heat counts from the call that makes each item its own unit of failure
            if edge.caller in seen:
                # a recursion multiplied it last: go on from the call that entered the cycle
                entry = self.entry.get(edge.caller)
                if entry is None or entry.caller in seen:
                    break
                chain.append(entry)
                edge = entry
            seen.add(edge.caller)
            current = edge.caller
        chain.reverse()
        return chain

    def guards_passed_on(self, fid: str, edge: Edge, guards: Sequence[str]) -> Tuple[str, ...]:
        """The guards the call `edge` into `fid` passes on to its caller's callers
        (Program.edge_passes): the trace goes on through the callers that pass them."""
        if edge.callee != fid:
            return ()
        fn = self.functions[fid][1]
        return tuple(self.edge_passes(fn, fn.takes_receiver(), edge, guards) or ())  # type: ignore[attr-defined]

    def outside_heat(self, fid: str) -> Tuple[float, Optional[Edge], int]:
        """(heat, the edge into `fid`, unknown-loop depth) along the hottest chain into `fid`
        that holds no transaction open: a transaction opened per call still commits per call for the
        callers that do not nest it. `fid`'s own when some chain as hot as its hottest holds
        none; (0, None, 0) when none does. Wagtail's page copy commits each revision for the
        admin's copy view, though the hottest chain copies pages for translation inside one
        atomic block (a TRUE warning of run 14, lost when only the hottest chains were weighed).
        A call made per item inside a `try` that catches only failures of something other than
        the database (CallSite.isolated: `for o in orders: try: refund(o) except
        PaymentError:`) counts from its caller as a root, times the loops inside that `try`:
        each item is the caller's unit of failure, and one transaction around its loop would
        undo the other items with it (pretix's automatic refunds per cancelled order).
        A recursive call and a guessed edge (Edge.guess) are not followed: the recursion's
        multiplication is not counted here, and the heat is no guess."""
        if not self.in_transaction.get(fid, False):
            return self.heat.get(fid, 1.0), None, self.unknown.get(fid, 0)
        memo = self._outside
        if fid not in memo:
            memo[fid] = (0.0, None, 0)  # a cycle back to here adds nothing
            best: Tuple[float, Optional[Edge], int] = (0.0, None, 0)
            for edge in self.callers.get(fid, ()):
                caller, site = edge.caller, edge.site
                if site.cold or site.in_transaction or edge.guess or caller == fid or caller in self.cold_roots:
                    continue
                if site.isolated >= 0:
                    given, depth, loops = 1.0, 0, self.isolated_loops(edge)
                else:
                    given, _, depth = self.outside_heat(caller)
                    loops = self.edge_loops(edge)
                if given <= 0.0:
                    continue
                trips, depth = self._trips(loops, depth)
                h = min(given * trips, HEAT_CAP)
                if h > best[0]:
                    best = (h, edge, depth)
            memo[fid] = best
        return memo[fid]

    def lock_heat(self, fid: str, guards: Sequence[str] = ()) -> Tuple[float, Optional[Edge], int]:
        """(heat, the edge into `fid`, unknown-loop depth) of `fid` for a query, counted along
        its chains with the passes of a row lock taken each: a call made after its caller
        locked a row (CallSite.locked) counts from that caller as a root, times the loops of
        the call inside the lock's own (the loops around the lock each lock a row per pass:
        pretix's OrderChangeManager.commit locks the order, then recounts its transactions, per
        order of cancel_event; a query read under the lock cannot be fetched for every pass
        before the loop, outside the locks). `fid`'s heat when no such call reaches it. Never
        more than its heat; a recursive call and a guessed edge are not followed. `guards`: a
        site's (guards.py), which the callers into `fid` must pass."""
        if fid not in self.under_lock:
            return self.heat.get(fid, 1.0), None, self.unknown.get(fid, 0)
        if guards:
            return self._lock_best(fid, guards)
        memo = self._locked
        if fid not in memo:
            memo[fid] = (0.0, None, 0)  # a cycle back to here adds nothing
            memo[fid] = self._lock_best(fid, ())
        return memo[fid]

    def _lock_best(self, fid: str, guards: Sequence[str]) -> Tuple[float, Optional[Edge], int]:
        role = self.roles.get(fid)
        per_item = role is not None and role.per_item
        best: Tuple[float, Optional[Edge], int] = (self.loop_trips if per_item else 1.0, None, 1 if per_item else 0)
        fn = self.functions[fid][1] if guards else None
        bound = fn is not None and fn.takes_receiver()
        for edge in self.callers.get(fid, ()):
            caller, site = edge.caller, edge.site
            if site.cold or edge.guess or caller == fid or caller in self.cold_roots:
                continue
            if fn is not None and self.edge_passes(fn, bound, edge, guards) is None:  # type: ignore[attr-defined]
                continue
            if site.locked >= 0:
                given, depth = 1.0, 0
                loops = self.locked_loops(edge)
            else:
                given, _, depth = self.lock_heat(caller)
                loops = self.edge_loops(edge)
            trips, depth = self._trips(loops, depth)
            h = min(given * trips, HEAT_CAP)
            if h > best[0]:
                best = (h, edge, depth)
        return min(best[0], self.heat.get(fid, 1.0)), best[1], best[2]

    def lock_site(self, fid: str, loops: Sequence[Loop], guards: Sequence[str] = ()) -> Tuple[float, Optional[Edge]]:
        """(a site's executions per unit of work counted along lock_heat's chain, that chain's
        edge into `fid`)."""
        given, edge, depth = self.lock_heat(fid, guards)
        return min(given * self.trips(self.multiplying(fid, loops), depth), HEAT_CAP), edge

    def outside_site_heat(self, fid: str, loops: Sequence[Loop]) -> float:
        """A site's executions per unit of work counted along outside_heat's chain."""
        given, _, depth = self.outside_heat(fid)
        return min(given * self.trips(self.multiplying(fid, loops), depth), HEAT_CAP)

    def _edge_outside_transaction(self, fid: str, seen: Set[str]) -> Optional[Edge]:
        """A caller edge as hot as `fid`'s hottest that opens no transaction around the call and
        is not inside one itself (the chains _spread_transactions found), or None."""
        for edge in self.callers.get(fid, ()):
            caller = edge.caller
            if edge.site.cold or caller in seen or caller in self.cold_roots:
                continue
            if edge.site.in_transaction or edge.site.isolated >= 0 or self.in_transaction.get(caller, False):
                continue
            if self.gives_full_heat(edge):
                return edge
        return None

    def gives_full_heat(self, edge: Edge) -> bool:
        """Whether `edge` brings its callee as much heat as its hottest chain: the caller's
        heat times the trips of the loops around the call (a chain _spread_transactions and
        the traces outside a transaction weigh)."""
        caller, loops = edge.caller, edge.site.loops
        brought = self.heat[caller] * self.trips(loops, self.unknown.get(caller, 0)) if loops else self.heat[caller]
        return at_full_heat(brought, self.heat[edge.callee])

    def chain_depths(self, chain: Sequence[Edge], fid: str) -> List[int]:
        """The unknown-loop depth before each edge of a hot chain, then at the site: how the
        heat was multiplied along it. A root that recursion made hot (its hottest edge is its
        own call in a loop) counts from 0, not from the depth the recursion left it at."""
        if not chain:
            return [self.unknown.get(fid, 0)]
        root = chain[0].caller
        depth = 0 if root in self.pred or self._lock_root(fid, chain) or self._isolated_root(fid, chain) \
            else self.unknown.get(root, 0)
        out = []
        for i, edge in enumerate(chain):
            out.append(depth)
            depth = self._trips(self._chain_loops(fid, chain, i), depth)[1]
        out.append(depth)
        return out

    def _lock_root(self, fid: str, chain: Sequence[Edge]) -> bool:
        """Whether `fid`'s trace is counted from a call made under a row lock (lock_heat)."""
        return fid in self.chain_unlocked and bool(chain) and chain[0].site.locked >= 0

    def _isolated_root(self, fid: str, chain: Sequence[Edge]) -> bool:
        """Whether `fid`'s trace outside a transaction is counted from a call that makes each
        item its own unit of failure (outside_heat; hot_chain stops there)."""
        return fid in self.chain_outside and bool(chain) and chain[0].site.isolated >= 0 and \
            not chain[0].site.in_transaction

    def _chain_loops(self, fid: str, chain: Sequence[Edge], i: int) -> Sequence[Loop]:
        """The loops that multiply the i-th call of a hot chain: at a call made under a row
        lock that starts the chain (lock_heat), only those inside the lock's own; at a call
        that makes each item its own unit of failure (outside_heat), those inside its `try`."""
        edge = chain[i]
        if i == 0 and self._lock_root(fid, chain):
            return self.locked_loops(edge)
        if i == 0 and self._isolated_root(fid, chain):
            return self.isolated_loops(edge)
        return self.edge_loops(edge)

    def trace(self, fid: str, loops: Sequence[Loop]) -> Tuple[TraceHop, ...]:
        """From the hottest root to the site: each hop where it is and why it is hot."""
        chain = self.hot_chain(fid)
        depths = self.chain_depths(chain, fid)
        hops: List[TraceHop] = []
        root = chain[0].caller if chain else fid
        rmod, rfn = self.functions[root] if root in self.functions else (None, None)
        if rmod is not None and (chain or loops or self.hot.get(root, False)):
            note = LOCK_ROOT if self._lock_root(fid, chain) else ISOLATED_ROOT if self._isolated_root(fid, chain) \
                else self.root_note.get(root, "")
            hops.append(TraceHop(rmod.path, rfn.line, _display(rfn), note))
        for i, (edge, depth) in enumerate(zip(chain, depths)):
            cmod, cfn = self.functions[edge.caller]
            _, callee = self.functions[edge.callee]
            shown = self._chain_loops(fid, chain, i)
            where = ", ".join(f"{loop.kind} (line {loop.line}, {text})"
                              for loop, text in zip(shown, self.trip_texts(shown, depth)))
            note = f"calls {_display(callee)}" + (f" inside a {where}" if where else "")
            if i == 0 and self._lock_root(fid, chain):
                note += " after locking a row first"
            hops.append(TraceHop(cmod.path, edge.site.line, _display(cfn), note))
        if loops and fid in self.functions:
            mod, fn = self.functions[fid]
            for loop, text in self.site_trips_shown(fid, loops, depths[-1]):
                hops.append(TraceHop(mod.path, loop.line, _display(fn), f"{loop.kind}, {text}"))
        return tuple(hops)

    def context(self, fid: str, loops: Sequence[Loop]) -> str:
        """One line for text output: "in a for loop in Session.executemany"."""
        fn = self.functions[fid][1] if fid in self.functions else None
        name = _display(fn) if fn else "module level"
        parts = []
        if loops:
            parts.append(f"in a {loops[-1].kind} in {name}")
        elif fn is not None and fn.qualname != MODULE_SCOPE:
            parts.append(f"in {name}")
        else:
            parts.append("at module level")
        chain = self.hot_chain(fid) if fid in self.pred else []
        if chain:
            current = chain[0].caller
            hot = next(((chain[i], loops) for i in range(len(chain) - 1, -1, -1)
                        for loops in (self._chain_loops(fid, chain, i),) if loops), None)
            if hot is not None:
                caller = self.functions[hot[0].caller][1]
                parts.append(f"reached per iteration of a {hot[1][-1].kind} in {_display(caller)}")
            elif current in self.root_note and self.hot.get(current, False):
                parts.append(f"reached from {_display(self.functions[current][1])}: {self.root_note[current]}")
        elif fid in self.root_note and self.hot.get(fid, False):
            parts.append(self.root_note[fid])
        return "; ".join(parts)


def _display(fn: Optional[FunctionSummary]) -> str:
    if fn is None:
        return "?"
    return "module level" if fn.qualname == MODULE_SCOPE else fn.qualname
