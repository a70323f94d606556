"""Per-module summaries: what phase 2 needs of a file once its tree is gone (picklable)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Tuple

from perflint.finding import Candidate, FileError, Loop

MODULE_SCOPE = "<module>"
# `g:pkg.play.*.Round`: Round, a global of pkg.play that only a star import can bind
# (values.NameResolution._resolve_raw_dotted); phase 2 looks it up in pkg.play's star imports
STAR_SEGMENT = "*"
# `slots` from Python 3.10 (perflint runs on 3.9: a plain dataclass there), here and for the
# call graph's edges (callgraph.Edge). Phase 2 reads every call site and function summary
# several times over: without an instance dict each object is one small block, and reading a
# field is an offset, not a dict lookup.
DATACLASS_SLOTS: Dict[str, bool] = {"slots": True} if sys.version_info >= (3, 10) else {}

# Symbolic call targets, resolved in phase 2 (callgraph.py):
#   g:<dotted>              a global name: module function, class (constructor), imported name
#   m:<class id>:<meth>     self.meth() / cls.meth(), looked up through the class's MRO
#   S:<class id>:<meth>     super().meth(), looked up from the first base on
#   a:<class id>:<attr>:<m> self.attr.meth(), where the class records attr's type
#   t:<dotted class>:<meth> x.meth() where x's class is known from an assignment/annotation


@dataclass(**DATACLASS_SLOTS)
class CallSite:
    target: str
    line: int
    loops: Tuple[Loop, ...]
    text: str  # the callee as written, e.g. "self.pager.sync"
    cold: bool = False  # an except handler, a cache miss, a first use: passes no heat on
    cold_reason: str = ""
    # Value expressions (values.py) of the callee and the arguments, for phase 2's binding.
    callee: Optional[tuple] = None
    args: Tuple[Optional[tuple], ...] = ()
    kwargs: Tuple[Tuple[str, tuple], ...] = ()
    callbacks: Tuple[tuple, ...] = ()  # functions handed to a scheduler that calls them
    # The call a scheduler makes of a function handed to it with its arguments
    # (`executor.submit(fn, x)` recorded as `fn(x)`; context._note_handed_call): (the
    # scheduler's receiver value expression, None for a function such as `map`; whether the
    # last loop is the per-item loop of a map form). Phase 2 takes it as that call only when
    # the scheduler is not one of the program's objects and the callee holds functions
    # (ValueFlow.handed_ok); otherwise as the plain callback it was before.
    handed: Optional[Tuple[Optional[tuple], bool]] = None
    # Made inside a `with` block that holds a transaction open (`with lib.transaction():`):
    # commits the callee makes through nested transactions wait for that block's one commit.
    in_transaction: bool = False
    # Made after a row lock that its function takes earlier in the same pass (`o =
    # Order.objects.select_for_update().get(pk=pk)` in a block that then makes the call): the
    # number of loops around the lock, whose passes each take their own lock (the loops of
    # the site inside them still repeat under it); -1 when no lock precedes the call. A query
    # under the lock reads the locked state: reading it for every pass before the loop would
    # read it outside the lock (Frequencies.lock_heat).
    locked: int = -1
    # Made per item of a loop inside a `try` whose handlers catch only errors of something
    # other than the database (`for o in orders: try: refund(o) except PaymentError:`): the
    # number of loops around that `try`; -1 when not. Each item is the caller's unit of
    # failure by design, so a transaction its callee opens per call is one per item on
    # purpose (Frequencies.outside_heat counts from the call, as from a root).
    isolated: int = -1
    # What the call passes: (positional count, keyword names, has *args or **kwargs).
    passed: Tuple[int, Tuple[str, ...], bool] = (0, (), True)
    # Parameters of the enclosing function, with a falsy default, that the site needs given:
    # it sits under `if p:`, `if p is not None:` or the else of `if p is None:`.
    guards: Tuple[str, ...] = ()
    # The type of each positional argument when the call shows it (guards.argument_types).
    arg_types: Tuple[str, ...] = ()
    # Literals and passed-on parameters, by position or keyword (guards.argument_facts).
    arg_facts: Tuple[str, ...] = ()


@dataclass(**DATACLASS_SLOTS)
class FunctionSummary:
    qualname: str
    name: str
    line: int
    cls: Optional[str] = None  # qualname of the class a method belongs to
    params: Tuple[str, ...] = ()
    decorators: Tuple[str, ...] = ()  # resolved dotted names, or the text as written
    calls: List[CallSite] = field(default_factory=list)
    # effect -> confidence ("high" from an operation seen, "low" from a name heuristic)
    effects: Dict[str, str] = field(default_factory=dict)
    effect_lines: Dict[str, int] = field(default_factory=dict)
    transparent: bool = False  # a decorator that returns the function it wraps
    returns_arg: bool = False  # it returns its first parameter itself (`def deco(func): return func`)
    memoized: str = ""  # why its body runs on a cache miss only (a hand-written memo guard)
    positional: int = 0  # how many of `params` take positional arguments
    # attribute reads that may run a @property: (line, loops, value expression of the read)
    reads: List[Tuple[int, Tuple[Loop, ...], tuple]] = field(default_factory=list)
    # dotted names of the signals it is a receiver of (`@receiver(order_placed)`): each
    # `order_placed.send(...)` in the program calls it
    receives: Tuple[str, ...] = ()
    # "off" when every return is False, a lookup with a False default ("" in `switch_calls`)
    # or a call named in `switch_calls` (guards.off_return): a switch off by default if those
    # are and one reads a lookup (Program.off_switch); "no" when some return is anything else
    switch: str = ""
    switch_calls: Tuple[str, ...] = ()
    # parameters with a None default that the body never rebinds and passes on as they came
    # (`mail(..., files=files)`): a callee's branch that needs its own parameter given needs
    # these given here (guards.none_params, Program.edge_passes)
    none_params: Tuple[str, ...] = ()
    # `<param>=<fact>` for each parameter whose default is a literal (guards.default_facts): what
    # a call that leaves it out passes, for the `isinstance` tests it decides (flag_verdict)
    default_facts: Tuple[str, ...] = ()
    # the relations its body names to `select_related(...)`/`prefetch_related(...)`, each
    # lookup's first part (djangomodels.loaded_relations): a queryset or manager method of the
    # program that a caller's chain calls loads them as if the caller had spelled them (PFL503)
    prefetches: Tuple[str, ...] = ()

    def takes_receiver(self) -> bool:
        """Whether its first parameter is the receiver (`self`, `cls`), not a caller's argument."""
        return self.cls is not None and self.params[:1] in (("self",), ("cls",))


@dataclass
class ClassSummary:
    qualname: str
    line: int
    bases: Tuple[str, ...] = ()  # symbolic g: targets
    # the bases as written (dotted text): one that resolves to nothing (a base taken from a
    # module object built at run time, `htmlparser.HTMLParser`) still names its framework hook
    base_texts: Tuple[str, ...] = ()
    methods: Tuple[str, ...] = ()
    attr_types: Dict[str, str] = field(default_factory=dict)  # attr -> g:<dotted class>
    attrs: Tuple[str, ...] = ()  # attribute names the class declares or assigns on self
    # attributes the class declares as text (`content: str = ""`, `self.buf = ""`) -> "str",
    # or as something else it spells out (`count: int`, `self.n = 0`) -> "other" (PFL203)
    text_kinds: Dict[str, str] = field(default_factory=dict)
    # names the class defines as a literal collection: `sheets = (...)`, or a method or
    # property whose one statement returns one (repetition.class_sizes) -> its size
    sized: Dict[str, float] = field(default_factory=dict)
    # Django relation fields that declare a reverse manager name: (related_name as written,
    # with its %(class)s placeholders, target: "g:<dotted class>" or "s:<string as written>"),
    # and what the model's `class Meta:` says (djangomodels.py)
    related: Tuple[Tuple[str, str], ...] = ()
    abstract: bool = False
    app_label: str = ""
    # managers a class body makes of the program's classes (`objects = QS.as_manager()`,
    # `objects = M.from_queryset(QS)()`): (attribute, "g:<dotted class>"), one per class it
    # draws methods from; a plain `objects = M()` is in attr_types (djangomodels.manager_classes)
    managers: Tuple[Tuple[str, str], ...] = ()
    # the metaclass the class statement names (`metaclass=M`, a base `six.with_metaclass(M,
    # ...)`, a decorator `@six.add_metaclass(M)`): "g:<dotted class>", or "" (ValueFlow.made_by)
    metaclass: str = ""
    # a generic list or tuple base (`List[Row]`, `list["Row"]`, `List[_T]` with `_T` a TypeVar
    # bound to a class): "g:<dotted class>" of its elements, "?" when the element is no class
    # the statement names (ValueFlow.held_by); "" for any other class
    held: str = ""
    # what its own `__init__` binds on the receiver (guards.init_param_attrs): `<attr>=<param>`
    # for `self.attr = param`, the one binding, `<attr>=` for any other (Program.ctor_attr_verdict)
    init_attrs: Tuple[str, ...] = ()


@dataclass
class ModuleSummary:
    path: str
    module: str
    is_package: bool
    is_test: bool
    alias: str = ""  # another name imports may use for it (discovery.SourceFile.alias)
    imports: Dict[str, str] = field(default_factory=dict)  # module-level name -> dotted target
    # the modules it star-imports at module level (`from .rounds import *`), dotted, in order
    star_imports: Tuple[str, ...] = ()
    # its `__all__` when a top-level assignment spells it as a literal list or tuple of
    # strings: the names a star import of it binds (else its public top-level names)
    exports: Optional[Tuple[str, ...]] = None
    functions: Dict[str, FunctionSummary] = field(default_factory=dict)
    classes: Dict[str, ClassSummary] = field(default_factory=dict)
    candidates: List[Candidate] = field(default_factory=list)
    error: Optional[FileError] = None
    lines: int = 0
    # Values (values.py): scope -> name -> value expressions; class/instance attributes by
    # class qualname; return value expressions by function qualname; each function's locals.
    bindings: Dict[str, Dict[str, List[tuple]]] = field(default_factory=dict)
    class_attrs: Dict[str, Dict[str, List[tuple]]] = field(default_factory=dict)
    inst_attrs: Dict[str, Dict[str, List[tuple]]] = field(default_factory=dict)
    returns: Dict[str, List[tuple]] = field(default_factory=dict)
    local_names: Dict[str, FrozenSet[str]] = field(default_factory=dict)
    # class qualname -> name prefixes of methods it calls by name: getattr(self, "do_" + x)
    dispatch_prefixes: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    # line -> codes suppressed there (None: all), from `# perflint: ignore[...]` / `# noqa: ...`
    suppressions: Dict[int, Optional[FrozenSet[str]]] = field(default_factory=dict)
    # top-level names bound to a literal collection (or an int) -> its size (or value):
    # another module's loop over one it imports is bounded by it (repetition.module_constants)
    constants: Dict[str, float] = field(default_factory=dict)
    # Calls that may bind a method's receiver (valueflow.ValueFlow._guess_bound_receivers):
    # names of attributes of something but `self` called with arguments, passed as one or
    # held in a stored value, `g:` targets called with arguments, qualnames of functions
    # passed as arguments.
    receiver_names: FrozenSet[str] = frozenset()
    receiver_targets: FrozenSet[str] = frozenset()
    receiver_functions: FrozenSet[str] = frozenset()
    # attribute name -> whether every write of it the module makes (attrwrites.attribute_writes)
    # binds it once per object: `self.X = v` in `__init__` (or `self.__dict__["X"] = v`), or
    # `X = v` in a class body; False once anything else stores, deletes or mutates it (a
    # store in another method, on another object, a decorated method or property of the name)
    attr_writes: Dict[str, bool] = field(default_factory=dict)
    # attribute name -> whether every write of it the module makes outside a once-per-object
    # method of its own receiver (`__init__`, a class body) is the plain store `X.name = True`:
    # False once anything else stores it (False, another value), deletes or mutates it
    # (attrwrites.attribute_writes). Names only written at construction are absent. Phase 2
    # merges these into Program.attr_latched: a change flag nothing ever clears (PFL315).
    attr_latch: Dict[str, bool] = field(default_factory=dict)
    # attribute name -> the guards (guards.py) every write of it outside a once-per-object
    # method holds: `self.X = chart` under `if not isinstance(self.X, Slice):` (or past its
    # early return) gives `notisa:self.X:Slice`; any other write, none (Program.ctor_attr_verdict)
    attr_rebinds: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
