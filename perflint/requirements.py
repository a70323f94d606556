"""Phase 2's conditions on a candidate (`Candidate.requires`): what a rule could not know from
one file (the site repeats, the callee commits, the function is a request handler...). Each
condition passes, lowers the finding's confidence, or drops it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional

from perflint.djangomodels import has_reverse_manager, prefetched_by
from perflint.effects import BATCHES_IN, HOLDS_TRANSACTION
from perflint.finding import Candidate
from perflint.passed import external_names, passes_fixed, passes_kept, passes_settled, passes_table_entry
from perflint.repetition import per_attempt, per_batch

if TYPE_CHECKING:  # pragma: no cover
    from perflint.callgraph import Program

_CONF_RANK = {"low": 0, "medium": 1, "high": 2}
_CONF_NAME = {v: k for k, v in _CONF_RANK.items()}


# Roles whose every call is one web request: what runs once per call runs once per request.
REQUEST_ROLES = frozenset({"django-view", "class-based-view", "drf-viewset", "route"})


def _per_request(program: Program, fid: str) -> bool:
    """Whether `fid` is a request handler, or its hottest chain starts at one."""
    if fid not in program.functions:
        return False
    chain = program.hot_chain(fid)
    root = chain[0].caller if chain else fid
    role = program.roles.get(root)
    return role is not None and role.id in REQUEST_ROLES and program.hot.get(root, False)


OPERATION_REQ = "repeated-or-request-or-operation"
OPERATION_TEXT = "once per operation of the client"
# How many public methods of a class must share a sender for it to be a client's operation.
CLIENT_OPERATIONS = 3


def client_operations(program: Program, fid: str) -> list:
    """The public methods of `fid`'s class that run it (Program.public_operations), when there
    are at least CLIENT_OPERATIONS of them: the class is a client kept with its settings (an
    `__init__`), whose every operation runs `fid` once (typesense's ApiCall: get, post, put,
    patch and delete all send through make_request); else []."""
    operations = program.public_operations(fid)
    return operations if len(operations) >= CLIENT_OPERATIONS else []


def per_operation(program: Program, fid: str, cand: Candidate) -> str:
    """Why the site counts once per unit of work when only its client class shows it (the
    requirement `repeated-or-request-or-operation` passed neither by a repetition nor by a web
    request): the text a per-item reason carries (Candidate.per_item), else ""."""
    if not any(req.startswith(OPERATION_REQ) for req in cand.requires) or program.repeated(fid, cand.loops) \
            or _per_request(program, fid):
        return ""
    operations = client_operations(program, fid)
    if not operations:
        return ""
    cls = program.functions[fid][1].cls
    shown = ", ".join(f"{name}()" for name in operations[:3]) + (", ..." if len(operations) > 3 else "")
    return f"{OPERATION_TEXT} {cls}: {len(operations)} of its public methods ({shown}) run it"


def check_requires(program: Program, fid: str, cand: Candidate) -> Optional[str]:
    """The candidate's confidence after its phase-2 conditions, or None if one fails."""
    rank = _CONF_RANK[cand.confidence]
    for req in cand.requires:
        if req == "repeated":
            if not program.repeated(fid, cand.loops):
                return None
        elif req.startswith("repeated-or-request"):
            # once per web request is per unit of work too: a connection opened in a view.
            # `:low`: an HTTP call to another service once per web request, where the handshake
            # a kept session saves is a small share of that call's own round trip and the
            # remote work, is a note (pretix's geocoding, OctoPrint's backup restore and update
            # overlays: 0 TRUE of 4 labelled, runs 13 and 14); repeated within the request (a
            # loop over items), it keeps its confidence.
            # `-or-operation`: or once per public operation of a client class (client_operations).
            if not program.repeated(fid, cand.loops):
                if _per_request(program, fid):
                    if req.endswith(":low"):
                        rank = min(rank, _CONF_RANK["low"])
                elif not (req.startswith(OPERATION_REQ) and client_operations(program, fid)):
                    return None
        elif req == "repeated-or-entry":
            # once per unit of work of an entry point by role (a request handler, a task, a
            # public API method) is per unit of work too, where the cost alone makes it
            # material: a schema checked against its metaschema per request (PFL106). A
            # function nothing hot reaches (a start-up helper, a CLI's main) is not.
            if not program.repeated(fid, cand.loops) and not program.evidenced(fid, cand.loops):
                return None
        elif req.startswith("loops-repeat:"):
            # loops-repeat:<n>: the innermost n loops at the site multiply its count given the
            # loops outside them: a value they do not change is computed again per trip only if
            # they run more than once (PFL318); nested unknown loops may add nothing
            inner = int(req[len("loops-repeat:"):])
            loops = list(cand.loops)
            if inner <= 0 or inner > len(loops) or \
                    program.site_trips(fid, loops) < 2 * program.site_trips(fid, loops[:len(loops) - inner]):
                return None
        elif req.startswith("callers-pass-fixed:"):
            # every caller passes the parameter an object fixed for the process (passed.py)
            if not passes_fixed(program, fid, req[len("callers-pass-fixed:"):]):
                return None
        elif req.startswith("callers-pass-kept:"):
            # every caller passes the parameter an object kept between calls: fixed for the
            # process, or an attribute of the caller's own receiver (passed.py)
            if not passes_kept(program, fid, req[len("callers-pass-kept:"):]):
                return None
        elif req.startswith("callers-pass-settled:"):
            # every caller passes the parameter a value that stays the same between its calls:
            # fixed for the process, a literal, or an attribute of its receiver that the program
            # binds once per object (passed.py)
            if not passes_settled(program, fid, req[len("callers-pass-settled:"):]):
                return None
        elif req.startswith("callers-pass-table-entry:"):
            # every caller passes the parameter a part of a table that a caller's loop walks
            # again, unchanged, on each pass (passed.py)
            if not passes_table_entry(program, fid, req[len("callers-pass-table-entry:"):]):
                return None
        elif req.startswith("attr-set-once:"):
            # an attribute of self that the whole program binds once per object only (in an
            # __init__ or a class body): the same object on every call of the method
            if not program.attr_set_once(req[len("attr-set-once:"):]):
                return None
        elif req.startswith("latch:"):
            # latch:<attr>,<attr>: one of the change flags the guard tests is set to True after
            # construction and never set back anywhere in the program (PFL315)
            if not any(program.attr_latched(name) for name in req[len("latch:"):].split(",")):
                return None
        elif req.startswith("callers-pass:"):
            # every caller passes the parameter one of these functions from outside the
            # program (`callers-pass:fn:requests.get,requests.post`; passed.py)
            param, _, names = req[len("callers-pass:"):].partition(":")
            found = external_names(program, fid, param)
            if not found or not found <= set(names.split(",")):
                return None
        elif req.startswith("fn:"):
            if fid not in program.functions:
                return None
            conf = program.effects(fid).get(req[3:])
            if conf is None:
                return None
            rank = min(rank, _CONF_RANK[conf])
        elif req.startswith("callee:"):
            # The callee's own effect (not its callees'): the call must be the rebuild,
            # the sync or the query itself, not merely lead to one.
            callee = program.resolve_target(cand.target)
            if callee is None:
                return None
            effect = req[7:]
            conf = program.functions[callee][1].effects.get(effect)
            if conf is None:
                return None
            if effect == "rebuild" and "parse" in program.effects(callee):
                conf = "high"  # named like a rebuild and re-parses: the body confirms it
            rank = min(rank, _CONF_RANK[conf])
        elif req == "external" or req.startswith("external:"):
            if program.resolve_target(cand.target) is not None:
                return None  # an in-repo callee: its own body is analysed, with heat
            method = req.partition(":")[2]
            if method and program.defines_method(method):
                # The scanned code has its own `commit()`s: this receiver may be one of them.
                rank = min(rank, _CONF_RANK["low"])
        elif req.startswith("model-write:"):
            # `item.store()` on a loop's item: the program's own store() is analysed with heat;
            # another receiver is a model of a library (an ORM) unless the program defines a
            # method of that name and the item is not known to come from outside it.
            if program.resolve_target(cand.target) is not None:
                return None
            method = req.partition(":")[2]
            if program.defines_method(method) and not program.external_receiver(fid, cand.line, method):
                rank = min(rank, _CONF_RANK["low"])
        elif req.startswith("own-text:"):
            # own-text:<attr>:<evidence>: the attribute grown once per call is text when the
            # method's class (or a base) declares it so (rank kept); else, with evidence that
            # the piece is text ("piece", or "attr=X": made with an attribute the class declares
            # as text), when the class spells it as nothing else (medium); else dropped
            attr, _, evidence = req[len("own-text:"):].partition(":")
            kind = program.class_text_kind(fid, attr)
            if kind == "other":
                return None
            if kind != "str":
                if evidence == "piece" or (evidence.startswith("attr=")
                                           and program.class_text_kind(fid, evidence[5:]) == "str"):
                    rank = min(rank, _CONF_RANK["medium"])
                else:
                    return None
        elif req.startswith("text-attr:"):
            # the attribute grown by += is declared as text by the program's classes
            if not program.text_attr(req[len("text-attr:"):]):
                return None
        elif req.startswith("flag:"):
            if not program.has_class_attr(req[5:].split(",")):
                return None
        elif req.startswith("attr-type:"):
            # attr-type:<dotted class>:<attr>:<Type>,<Type> -- that in-repo class declares the
            # attribute as an instance of one of these types (e.g. a Django ForeignKey field).
            _, cls_name, attr, types = req.split(":", 3)
            resolved = program.resolve_dotted(cls_name)
            if resolved is None or resolved[0] != "class":
                return None
            typ = program.attr_type(resolved[1], attr)
            if typ is None or typ.rsplit(".", 1)[-1] not in types.split(","):
                return None
        elif req.startswith("reverse-name:"):
            # reverse-name:<dotted model>:<name> -- a relation field of the program declares
            # `name` as the related_name of that in-repo model (or a base), with Django's
            # %(class)s placeholders expanded for the concrete models that hold it
            model, _, name = req[len("reverse-name:"):].rpartition(":")
            if not has_reverse_manager(program, model, name):
                return None
        elif req.startswith("!prefetched-by:"):
            # !prefetched-by:<dotted model>:<relation>:<method>,<method> -- a chain from
            # `model.objects` calling these methods: one the program defines on that manager
            # or its queryset class (or the manager's get_queryset) select_related()s or
            # prefetch_related()s the relation (weblate's `Billing.objects.prefetch()`,
            # labelled FALSE in session 31)
            model, relation, methods = req[len("!prefetched-by:"):].rsplit(":", 2)
            if prefetched_by(program, model, relation, [m for m in methods.split(",") if m]):
                return None
        elif req.startswith("!custom-save:"):
            # bulk_create()/bulk_update() skip Model.save(): a model of the program that
            # overrides it (queues mail, numbers its rows) is not batched by the suggested fix
            # (weblate's AuditLog, pretix's QuestionOption: labelled FALSE in run 9)
            resolved = program.resolve_dotted(req[len("!custom-save:"):])
            if resolved is not None and resolved[0] == "class" and any(
                    "save" in program.classes[k][1].methods for k in program.mro(resolved[1]) if k in program.classes):
                return None
        elif req.startswith("callee-reaches:"):
            # The call leaves the program (an external API), or the in-repo callee has the
            # effect itself or in its callees: a wrapper around cursor.execute() queries, an
            # in-process engine's own Session.execute() does not.
            callee = program.resolve_target(cand.target)
            if callee is not None and req[len("callee-reaches:"):] not in program.effects(callee):
                return None
        elif req == "recursive-loop-or-low":
            # introspection of a class given per call is per record only where the graph shows
            # it: the function recurses through a data loop (a converter walking nested
            # values); elsewhere it mostly runs when something is defined (a note)
            if not program.recursive_loop(fid):
                rank = min(rank, _CONF_RANK["low"])
        elif req == "memo-wrapper-caller-or-low":
            # PFL307: a helper that binds one call's arguments through the signature of the
            # callable it is given is per call of that callable when the call that gives it its
            # heat comes from a caching wrapper (a decorator's returned function or a
            # `__call__` that builds its key per call, hits included); else low, as before
            chain = program.hot_chain(fid) if fid in program.functions else []
            caller = chain[-1].caller if chain else None
            if caller is None or caller not in program.functions or \
                    "memo-wrapper" not in program.functions[caller][1].effects:
                rank = min(rank, _CONF_RANK["low"])
        elif req == "repeated-caller-or-low":
            # PFL307: introspection of each callable of a module-level registry is per call of
            # the function only where that function itself repeats, from a data loop or a hot
            # entry point on the way in (the loop over the registry proves nothing: it runs
            # once per call, and at start-up a registry is what gets walked); else low
            if not (program.repeated(fid, ()) and program.evidenced(fid, ())):
                rank = min(rank, _CONF_RANK["low"])
        elif req.startswith("callee-path:"):
            # The in-repo callee, or a function it calls up to EFFECT_DEPTH down through calls
            # of one known target made outside cold blocks, has the effect itself: a row
            # helper whose own helper alters the schema (dataset's `_sync_columns`).
            callee = program.resolve_target(cand.target)
            if callee is None or program.effect_path(callee, req[len("callee-path:"):]) is None:
                return None
        elif req.startswith(("callee-deep:", "!callee-deep:")):
            if _callee_deep(program, cand, req.lstrip("!")[len("callee-deep:"):]) == req.startswith("!"):
                return None
        elif req == "!per-attempt":
            # Every call that repeats the site is made per attempt of a retry or draw loop
            # (`for i in range(10): number = self._next_number(); try: save...`): its answer
            # changes with each try, so it cannot be fetched before that loop, and the loop
            # runs once per call (pretix's invoice numbers, labelled FALSE in run 9).
            if not cand.loops and _per_pass_only(program, fid, per_attempt):
                return None
        elif req == "!per-batch":
            # Every call that repeats the site is made once per batch of rows (`while True:`
            # around a chunked DELETE, `for chunk in batched(rows, 1000)`): a transaction per
            # call is one per batch, the batched form (Prefect's vacuum, labelled FALSE in run 9).
            if not cand.loops and _per_pass_only(program, fid, per_batch):
                return None
        elif req == "caller-loop":
            # The site's function is called from inside a loop of its direct caller on the
            # hottest chain: the repetition that makes a once-per-call step add up (a buffer
            # cut to its tail once per call, each call taking the next item) is that loop's.
            if not _caller_loop(program, fid):
                return None
        elif req == "looped":
            # along the chain the finding is counted on: one that holds no transaction open
            if not program.looped(fid, outside="outside-transaction" in cand.requires):
                return None
        elif req == "!dunder-only":
            # One query per `len()`, per truth test or per index is how a lazy collection of
            # rows answers it: when only a protocol dunder's role repeats the site (no data loop
            # of the scanned code on the way), the loop to fetch before is the caller's, outside
            # the scanned code (Mailman's QuerySequence, Airflow's LazySelectSequence: FALSE in
            # runs 8 and 11). A collection built per call (PFL506) is still counted per item.
            if fid in program.functions and not any(loop.data for loop in cand.loops) and not program.looped(fid) \
                    and not any(loop.data for edge in program.callers.get(fid, ()) for loop in edge.site.loops):
                chain = program.hot_chain(fid)
                role = program.roles.get(chain[0].caller if chain else fid)
                if role is not None and role.id == "protocol-dunder":
                    return None
        elif req == "!under-lock":
            # a query that a call made under a row lock reaches repeats only as often as the
            # chains count it with each locked pass once (Frequencies.lock_heat): what runs
            # under the lock reads the locked state, and the loops that take one lock per pass
            # cannot fetch it for every pass first (pretix's transactions recounted per locked
            # order of cancel_event, labelled FALSE in session 26)
            if fid in program.under_lock and program.lock_site(fid, cand.loops, program.live_guards(fid, cand.guards))[0] <= 1.0:
                return None
        elif req == "outside-transaction":
            # A transaction opened per call commits per call only when no caller on the way
            # holds one open: nested, it waits for the outer block's one commit. Counted from
            # the chains that hold none (Frequencies.outside_heat; the scorer weighs them).
            if program.in_transaction.get(fid, False) and program.outside_heat(fid)[0] <= 0.0:
                return None
        elif req == "!batched-by-callers":
            # a context manager's transaction around its `yield` spans each caller's `with`
            # block: when every caller's block loops over items, it is one per batch, the
            # batched form (Nautobot's deferred change logging, labelled FALSE in session 29)
            if _batched_by_callers(program, fid):
                return None
        elif req.startswith("!held:"):
            # `with deferred_change_logging():` around the site, a context manager of the
            # program that yields inside `transaction.atomic()`: the block holds a transaction
            # (Nautobot's bulk edit, labelled FALSE in run 12)
            resolved = program.resolve_dotted(req[len("!held:"):])
            if resolved is not None and resolved[0] == "function" and \
                    HOLDS_TRANSACTION in program.functions[resolved[1]][1].effects:
                return None
        elif req.startswith("!fn:"):
            if fid in program.functions and req[4:] in program.effects(fid):
                return None
        elif req.startswith("!defines-method:"):
            # the program defines a method of this name itself (its own translator, a cached
            # override): the call may be that one, analysed with its own body
            if program.defines_method(req[len("!defines-method:"):]):
                return None
        elif req.startswith("imports:"):
            # some module of the program imports one of these packages (a `session.flush()`
            # is an ORM session's only in a program that has one)
            if not program.imports_any(tuple(req[len("imports:"):].split(","))):
                return None
        elif req.startswith("program-effect:"):
            # some function of the program (or a module's top level) has the effect itself:
            # a setting made once for the whole program (`sessionmaker(autoflush=False)`)
            if not program.any_function_effect(req[len("program-effect:"):]):
                return None
        elif req.startswith("callee-parses-passed:"):
            if not _parses_passed(program, cand, req[len("callee-parses-passed:"):]):
                return None
        elif req == "text-formatted-by-caller":
            if not _text_formatted_by_caller(program, fid):
                return None
    return _CONF_NAME[rank]


def _batched_by_callers(program: Program, fid: str) -> bool:
    """Every warm call into `fid` comes from a function that loops over items in a `with` block
    of it (BATCHES_IN), and there is one."""
    edges = [edge for edge in program.callers.get(fid, ()) if not edge.site.cold and edge.caller not in program.cold_roots]
    for edge in edges:
        effects = program.functions[edge.caller][1].effects if edge.caller in program.functions else {}
        if not any(key.startswith(BATCHES_IN) and program.resolve_dotted(key[len(BATCHES_IN):]) == ("function", fid)
                   for key in effects):
            return False
    return bool(edges)


def _caller_loop(program: Program, fid: str) -> bool:
    """The last call on `fid`'s hottest chain sits in a loop of its caller that multiplies it."""
    if fid not in program.functions:
        return False
    chain = program.hot_chain(fid)
    edge = chain[-1] if chain else None
    return edge is not None and not edge.site.cold and bool(program.edge_loops(edge))


def _per_pass_only(program: Program, fid: str, kind: Callable[[str], bool], depth: int = 0) -> bool:
    """Whether each caller edge that makes `fid` run more than once per unit of work calls it
    from inside a loop of that kind (a retry or draw loop, a loop over batches), or makes a
    plain call from a function that is itself called so (a transaction helper that a batch
    helper calls once per pass: Prefect's `begin_transaction` under `_maintenance_session`,
    up to three calls up), and at least one does."""
    if fid not in program.callers:
        return False
    found = False
    for edge in program.callers[fid]:
        if edge.site.cold or edge.caller in program.cold_roots:
            continue
        loops = edge.site.loops
        if loops and kind(loops[-1].why):
            found = True
        elif program.heat.get(edge.caller, 1.0) * program.trips(loops) > 1.0:
            if not loops and depth < 3 and edge.caller != fid and _per_pass_only(program, edge.caller, kind, depth + 1):
                found = True
                continue
            return False  # a caller repeats it for another reason: a per-item call
    return found


def _parses_passed(program: Program, cand: Candidate, passed: str) -> bool:
    """The callee parses one of the parameters the call passes (`parse-of:<param>`, recorded in
    phase 1): distlib's `Metadata(scheme=...)` passes a scheme name, and its `__init__` parses
    the `path`, `fileobj` or `mapping` it was not given (labelled FALSE in run 7)."""
    callee = program.resolve_target(cand.target)
    if callee is None:
        return False
    fn = program.functions[callee][1]
    count, _, keywords = passed.partition(":")
    offset = 1 if fn.cls else 0  # a constructor's `self`
    names = set(fn.params[offset:offset + int(count)]) | set(filter(None, keywords.split(",")))
    return any(f"parse-of:{name}" in fn.effects for name in names)


def _text_formatted_by_caller(program: Program, fid: str) -> bool:
    """Some caller of `fid` passes it text formatted from parts (`parse_marker(f"{name} {op}
    '{value}'")`, the `formats-text-for:<name>` effect of PFL102): the program produces the
    texts it parses, so the same few recur."""
    wanted = "formats-text-for:" + fid.rpartition(".")[2]
    return any(wanted in program.functions[edge.caller][1].effects
               for edge in program.callers.get(fid, ()) if edge.caller in program.functions)


def _callee_deep(program: Program, cand: Candidate, effect: str) -> bool:
    """The call reaches an in-repo function that has `effect` itself or in its callees (up to
    EFFECT_DEPTH down): a constructor whose helper compiles the text it was given."""
    callee = program.resolve_target(cand.target)
    return callee is not None and effect in program.effects(callee)
