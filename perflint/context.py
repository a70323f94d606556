"""Per-file context that the traversal keeps up to date and rules read; builds the summary."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from operator import itemgetter
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Tuple

import libcst as cst

from perflint.effects import (caught_errors, locks_row, outside_errors, REGISTERS_MIGRATE_HOOK, REGISTERS_PERIODIC,
                              SYSTEM_CHECK_REGISTERS, call_effects,
                              change_guarded, connects_migrate_hook, migrate_hook_decorated, name_effects,
                              periodic_decorated, receiver_signal,
                              transaction_block, transaction_decorated, unchanged_exit)
from perflint.guards import (argument_facts, argument_types, flag_params, guarded_params_memo, off_return,
                             optional_params, passed_arguments, receiver_facts, switch_calls, unbound_none_params,
                             built_class, built_locals, default_facts, element_attrs, element_locals,
                             init_param_attrs, rows_class,
                             bound_otherwise, either_guards, falsy_literal)
from perflint.finding import Loop
from perflint.djangomodels import LOADERS, loaded_relations
from perflint.attrwrites import MUTATORS, ONCE_PER_OBJECT, attribute_writes
from perflint.nodes import own_nodes
from perflint.positions import start_line, positioned
from perflint.datawalk import Buffers, read_field, walk_bytes
from perflint.repetition import (BATCH_PASS, DATA_TRIPS, DEFAULT_PREFIX, RETRY_BOUND, STATED_LIMIT, STATEMENT_PREFIX,
                                 TREE_WALK, class_sizes, clock_reason, counted_retry_reason, derived_size, exit_kind,
                                 flush_reason, for_service_reason, imported_constant_trips, iterable_trips,
                                 iterated_self_attr, limit_bound, literal_size, match_reason, memo_guard,
                                 else_once_reason, module_constants, module_initialisers, once_reason, returned_sizes,
                                 shim_reason, test_runner_reason, while_trips)
from perflint.summary import (
    MODULE_SCOPE,
    CallSite,
    ClassSummary,
    FunctionSummary,
    ModuleSummary,
)
from perflint.valueflow import receiver_evidence
from perflint.values import (  # noqa: F401 - dotted_parts, dotted_text, annotation_type: rules import them here
    TRANSPARENT_DECORATORS,
    NameResolution,
    annotation_type,
    annotation_types,
    call_arguments,
    callback_spec,
    delayed_call,
    dotted_parts,
    dotted_text,
    handed_call,
    literal_all,
    value_expr,
)

_CONF_RANK = {"low": 0, "medium": 1, "high": 2}
COMPREHENSION_KINDS = {
    cst.ListComp: "list comprehension",
    cst.SetComp: "set comprehension",
    cst.DictComp: "dict comprehension",
    cst.GeneratorExp: "generator expression",
}
_WRAPS = ("functools.wraps",)
_SETATTR = frozenset({"setattr", "delattr", "__setattr__", "__delattr__"})  # attrwrites.attribute_writes
_HANDLER_TYPES = frozenset({cst.ExceptHandler, cst.ExceptStarHandler})
_LOOP_OF_ENTRY = itemgetter(3)  # the Loop of a (kind, line, node, Loop) entry of FileContext._loops
_SCOPE_TYPES = frozenset({cst.FunctionDef, cst.ClassDef, cst.Lambda})

# The handler attributes of an expat parser (xml.parsers.expat's xmlparser objects): each is
# called once per XML event of that kind while the parser parses.
EXPAT_HANDLERS = frozenset({
    "StartElementHandler", "EndElementHandler", "CharacterDataHandler", "ProcessingInstructionHandler",
    "CommentHandler", "StartNamespaceDeclHandler", "EndNamespaceDeclHandler", "StartCdataSectionHandler",
    "EndCdataSectionHandler", "DefaultHandler", "DefaultHandlerExpand", "XmlDeclHandler",
    "StartDoctypeDeclHandler", "EndDoctypeDeclHandler", "ElementDeclHandler", "AttlistDeclHandler",
    "EntityDeclHandler", "NotationDeclHandler", "UnparsedEntityDeclHandler", "ExternalEntityRefHandler",
    "SkippedEntityHandler", "NotStandaloneHandler",
})
EXPAT_EVENTS = "per-event loop of the expat parser"


@dataclass
class _Frame:
    """A function or class being visited."""

    kind: str  # "function" | "class"
    qualname: str
    function: Optional[FunctionSummary] = None
    cls: Optional[ClassSummary] = None
    method_of: Optional[str] = None  # class qualname, for methods
    self_name: Optional[str] = None
    local_types: Dict[str, str] = field(default_factory=dict)
    local_ints: Dict[str, float] = field(default_factory=dict)  # `passes = 3`: bounds of range(passes)
    assigned: List[Tuple[str, Any]] = field(default_factory=list)  # `name = value` so far (datawalk.Buffers)
    optional: Optional[frozenset] = None  # parameters with a falsy default (guards.py), read once
    flags: Optional[dict] = None  # flag parameters -> the truth of their default (guards.flag_params)
    saved_loops: List[Tuple[str, int, Any]] = field(default_factory=list)
    wrapped_inner: set = field(default_factory=set)
    body: Any = None  # a function's body node: until it starts, code runs in the enclosing scope
    node: Any = None  # the FunctionDef: rules visiting it see the function as their scope
    started: bool = True
    locals: set = field(default_factory=set)  # names a function binds
    globals: set = field(default_factory=set)  # names it declares `global`
    atomic: bool = False  # a decorator holds a transaction open around the body
    exits: dict = field(default_factory=dict)  # guards.guarded_params_memo's early exits, by block
    guards: dict = field(default_factory=dict)  # guards.guarded_params_memo's steps, by id(child)
    # local flags set to True under guards: name -> what the True needs (None: set otherwise too)
    flag_aliases: dict = field(default_factory=dict)
    alias_ways: dict = field(default_factory=dict)  # local -> what each of its truthy bindings needs
    passed_on: set = field(default_factory=set)  # parameters its calls pass on as they came (`=@<param>` facts)
    switches: dict = field(default_factory=dict)  # local -> the calls its truth needs (guards.switch_calls), None if rebound
    # locals assigned an object built by a call so far (guards.built_class), and, once a call
    # passes one, those every binding in the function builds as one class (guards.built_locals)
    builds: set = field(default_factory=set)
    built: Optional[dict] = None
    elements: Optional[dict] = None  # locals that hold rows of one model class (guards.element_locals)
    # row locks taken in the body so far: (id of the block, index of the statement in it, loops
    # around the lock); a call later in that block runs under the lock (CallSite.locked)
    locks: List[Tuple[int, int, int]] = field(default_factory=list)


@dataclass
class _Pending:
    rule: Any
    node: cst.CSTNode
    message: str
    fix: str
    confidence: str
    requires: Tuple[str, ...]
    raw_target: Optional[tuple]
    function: str
    loops: Tuple[Loop, ...]
    cost_key: str = ""
    size: Optional[float] = None
    cold: str = ""
    per_item: str = ""
    growth: Optional[Tuple[int, float, int, float]] = None
    guards: Tuple[str, ...] = ()  # what a caller must pass for the site to run (guards.py)
    branches: Tuple[Tuple[int, int], ...] = ()  # Candidate.branches


class FileContext(NameResolution):
    """What rules may ask while the traversal runs, and the summary it leaves behind."""

    def __init__(self, path: str, module: str, is_package: bool, is_test: bool, source: str) -> None:
        self.path = path
        self.module_name = module
        self.is_package = is_package
        self.is_test = is_test
        self.source = source
        self.line = 1
        self.node_lines: Dict[int, int] = {}
        self.stack: List[cst.CSTNode] = []
        self._if_ordinals: Dict[int, int] = {}  # id of an `if` node -> its ordinal (_branch_path)
        self._open_withs = 0  # `with` statements around the current node (any scope)
        self.frames: List[_Frame] = []
        self._loops: List[Tuple[str, int, Any]] = []
        self._paused: List[Tuple[str, int, Any]] = []
        self._buffers: Dict[int, Buffers] = {}  # function node id -> what it holds (datawalk.py)
        self._buffer_attrs: Dict[str, Any] = {}  # the file's buffer attributes, shared by its functions
        self.in_main_guard = False
        self._main_guard_node: Optional[cst.CSTNode] = None
        self.imports: Dict[str, str] = {}
        self.module_types: Dict[str, str] = {}
        self._module_fn = FunctionSummary(qualname=MODULE_SCOPE, name=MODULE_SCOPE, line=1)
        self.summary = ModuleSummary(path=path, module=module, is_package=is_package, is_test=is_test)
        self.summary.functions[MODULE_SCOPE] = self._module_fn
        self._raw_calls: List[Tuple[CallSite, tuple, str]] = []
        self._element_attrs: Dict[int, Dict[str, str]] = {}  # guards.element_attrs, by id of the ClassDef
        self._call_raw: Dict[int, tuple] = {}
        self._keyed_dicts: Dict[Tuple[str, str], List[Tuple[str, tuple]]] = {}  # values.keyed_items
        self._pending: List[_Pending] = []
        self._raw_attr_types: List[Tuple[ClassSummary, str, str, str]] = []
        self._raw_bases: List[Tuple[ClassSummary, List[str], str]] = []
        self._raw_metaclasses: List[Tuple[ClassSummary, str, str]] = []
        self._raw_held: List[Tuple[ClassSummary, str, str]] = []  # class_held
        self._raw_related: List[Tuple[ClassSummary, str, str, str]] = []  # djangomodels.declared_relation
        self._raw_managers: List[Tuple[ClassSummary, str, str, str]] = []  # djangomodels.manager_classes
        self._enter = {
            cst.FunctionDef: self._enter_function,
            cst.ClassDef: self._enter_class,
            cst.Import: self._enter_import,
            cst.ImportFrom: self._enter_import_from,
            cst.Call: self._enter_call,
            cst.Assign: self._enter_assign,
            cst.AnnAssign: self._enter_ann_assign,
            cst.If: self._enter_if,
            cst.Return: self._enter_return,
            cst.WithItem: self._enter_with_item,
            cst.IndentedBlock: self._enter_block,
            cst.SimpleStatementSuite: self._enter_suite,
            cst.For: self._enter_for,
            cst.CompFor: self._enter_comp_for,
            cst.Global: self._enter_global,
            cst.NamedExpr: self._enter_named_expr,
            cst.ExceptHandler: self._enter_except_handler,
            cst.Attribute: self._enter_attribute,
        }
        self._before = {  # run before the node is pushed on the stack (enter)
            cst.Module: self._before_module,
            cst.Assign: self._before_assign,
            cst.AugAssign: self._before_aug_assign,
            cst.Del: self._note_attr_writes,
            cst.For: self._before_rebinding,
            cst.NamedExpr: self._before_rebinding,
            cst.AnnAssign: self._before_ann_assign,
            cst.With: self._before_with,
        }
        self._block_saves: List[Tuple[cst.CSTNode, List[Tuple[str, int, Any]]]] = []
        # Blocks that run once or on a cache miss only: (block node, why), innermost last.
        self._cold_blocks: List[Tuple[cst.CSTNode, str]] = []
        self.constants: Dict[str, float] = {}  # module-level literal sizes and ints, for trip counts
        # module function -> bounds of what it returns: worked out on the first `a, b = f()`
        self._returned: Optional[Dict[str, Tuple[Optional[float], ...]]] = None
        self._module_node: Optional[cst.Module] = None
        self._top_functions: Optional[set] = None
        self._initialisers: Optional[Dict[str, FrozenSet[str]]] = None  # module_initialisers, on first need

    # -- what rules read --------------------------------------------------------------
    @property
    def function(self) -> Optional[FunctionSummary]:
        """The enclosing function's summary; None at module or class level."""
        # _in_scope inline: rules ask this at most nodes (875,000 times on Twisted)
        for frame in reversed(self.frames):
            if frame.kind == "function" and (frame.started or (self.stack and self.stack[-1] is frame.node)):
                return frame.function
        return None

    def _in_scope(self, frame: _Frame) -> bool:
        """Whether code here runs in that function: its body, or the `def` node itself (as
        rules visiting a FunctionDef expect); not its decorators or default values."""
        return frame.started or (bool(self.stack) and self.stack[-1] is frame.node)

    @property
    def function_qualname(self) -> str:
        fn = self.function
        return fn.qualname if fn else MODULE_SCOPE

    @property
    def class_qualname(self) -> Optional[str]:
        """The class whose method we are in (the nearest function's class)."""
        for frame in reversed(self.frames):
            if frame.kind == "function" and self._in_scope(frame):
                return frame.method_of
        return None

    @property
    def loops(self) -> Tuple[Loop, ...]:
        """Loops around the current node inside the current function, outermost first."""
        if not self._loops:
            return ()  # the common case (rules ask at most nodes)
        if self.frames and not self.frames[-1].started and self.stack and self.stack[-1] is self.frames[-1].node:
            return ()  # at a `def` itself: its body runs in no loop of its own
        return tuple(map(_LOOP_OF_ENTRY, self._loops))

    @property
    def loop_nodes(self) -> Tuple[cst.CSTNode, ...]:
        """The loop nodes (For, While, comprehensions) of `loops`, outermost first."""
        return tuple(entry[2] for entry in self._loops)

    @property
    def in_loop(self) -> bool:
        return bool(self._loops)

    def parent(self, level: int = 1) -> Optional[cst.CSTNode]:
        """The ancestor `level` steps up from the node being visited (1 = its parent)."""
        index = len(self.stack) - 1 - level
        return self.stack[index] if index >= 0 else None

    def self_name(self) -> Optional[str]:
        for frame in reversed(self.frames):
            if frame.kind == "function" and self._in_scope(frame):
                return frame.self_name
        return None

    def line_of(self, node: cst.CSTNode) -> int:
        return start_line(node, self.node_lines.get(id(node), self.line))

    # -- traversal hooks ----------------------------------------------------------------
    @property
    def cold_reason(self) -> str:
        """Why the current node runs rarely whatever calls it: an except handler, a cache
        miss, a first use; "" when nothing says so."""
        if self._cold_blocks:
            return self._cold_blocks[-1][1]
        if self.in_except_handler():
            return "in an except handler: runs when something failed"
        if self._in_raise():
            return "builds what a raise throws: runs when something failed"
        return ""

    def _in_raise(self) -> bool:
        for node in reversed(self.stack):
            node_type = type(node)
            if node_type is cst.Raise:
                return True
            if node_type in _SCOPE_TYPES or node_type is cst.SimpleStatementLine or node_type is cst.IndentedBlock:
                return False
        return False

    def enter(self, node: cst.CSTNode, node_type: type) -> None:
        # One table lookup per node for each of the two steps (most node types have neither):
        # what is noted before the node is on the stack, then its hook with it on the stack.
        before = self._before.get(node_type)
        if before is not None:
            before(node)
        self.stack.append(node)
        handler = self._enter.get(node_type)
        if handler is not None:
            handler(node)

    def _before_module(self, node: cst.Module) -> None:
        self.constants = module_constants(node)
        self.summary.constants = self.constants
        self.summary.exports = literal_all(node)
        self._module_node, self._returned, self._initialisers = node, None, None

    def _before_assign(self, node: cst.Assign) -> None:
        self._note_attr_writes(node)
        if self.frames and self.frames[-1].kind == "class":
            for target in node.targets:
                if type(target.target) is cst.Name:  # `schema = {...}` in a class body
                    self.summary.attr_writes.setdefault(target.target.value, True)  # type: ignore[attr-defined]
        if not self.frames or self.frames[-1].kind != "function":
            return
        self._note_expat_handler(node)
        self._note_local_int(node)
        if len(node.targets) == 1 and type(node.targets[0].target) is cst.Name:
            self.frames[-1].assigned.append((node.targets[0].target.value, node.value))  # type: ignore[attr-defined]
            if built_class(node.value):
                self.frames[-1].builds.add(node.targets[0].target.value)  # type: ignore[attr-defined]
            self._note_switch_alias(node.targets[0].target.value, node.value)  # type: ignore[attr-defined]
            self._note_flag_alias(node.targets[0].target.value, node.value)  # type: ignore[attr-defined]
        elif self.frames[-1].flag_aliases:
            self._drop_aliases(t.target for t in node.targets)

    def _before_aug_assign(self, node: cst.AugAssign) -> None:
        self._note_attr_writes(node)
        self._before_rebinding(node)

    def _note_attr_writes(self, node: cst.CSTNode) -> None:
        """ModuleSummary.attr_writes: which attributes this store, delete or mutating call
        writes, and whether it binds one once per object (in `__init__`, on self)."""
        writes = self.summary.attr_writes
        frame = self._binding_frame()
        me = frame.self_name if frame is not None and frame.kind == "function" and frame.function is not None \
            and frame.function.name in ONCE_PER_OBJECT else None
        latch = self.summary.attr_latch
        rebinds = self.summary.attr_rebinds
        for parts, whole, value in attribute_writes(node):
            if parts[0] == me:
                if whole and len(parts) == 2 and parts[1] not in writes:
                    writes[parts[1]] = True
                continue  # filling it in (`self.X[k] = v`) is once per object too
            # `self.X = v` under a test of self.X: the guards it holds (Program.ctor_attr_verdict);
            # any other write of X (on another object, in place, augmented), none
            held = rebinds.get(parts[-1])
            if held != ():
                mine = whole and len(parts) == 2 and frame is not None and frame.kind == "function" \
                    and parts[0] == frame.self_name
                said = tuple(g for g in self._param_guards() if g.startswith(("isa:self.", "notisa:self."))) \
                    if mine else ()
                rebinds[parts[-1]] = said if held is None else tuple(g for g in held if g in said)
            for name in parts[1:]:
                writes[name] = False
            last = parts[-1]
            if whole and type(value) is cst.Name and value.value == "True":  # type: ignore[attr-defined]
                latch.setdefault(last, True)
            else:
                latch[last] = False

    def _before_rebinding(self, node: cst.CSTNode) -> None:
        """`x += 1`, `for x in ...`, `(x := ...)`: a flag alias bound so says nothing, nor does
        a parameter's default (`limit += 1`)."""
        if self.frames and self.frames[-1].kind == "function":
            frame = self.frames[-1]
            target = node.target  # type: ignore[attr-defined]
            if type(target) is cst.Name and frame.local_ints:
                frame.local_ints.pop(DEFAULT_PREFIX + target.value, None)
            if frame.flag_aliases:
                self._drop_aliases((target,))

    def _before_ann_assign(self, node: cst.AnnAssign) -> None:
        self._note_attr_writes(node)
        if self.frames and self.frames[-1].kind == "class" and type(node.target) is cst.Name:
            # `models: list[Model] = Field(default=[])`, a dataclass field: bound once per object
            self.summary.attr_writes.setdefault(node.target.value, True)
        if self.frames and self.frames[-1].kind == "function" and node.value is not None:
            # `tables: list[tuple[type, str]] = [(A, "x"), (B, "y")]`
            self._note_local_int(cst.Assign(targets=[cst.AssignTarget(node.target)], value=node.value))

    def _before_with(self, node: cst.With) -> None:
        self._open_withs += 1

    def leave(self, node: cst.CSTNode) -> None:
        self.stack.pop()
        node_type = type(node)
        if node_type is cst.With:
            self._open_withs -= 1
        if node_type is cst.FunctionDef or node_type is cst.ClassDef:
            frame = self.frames.pop()
            if frame.kind == "function" and frame.started:
                self._loops = frame.saved_loops
            if frame.flag_aliases and any(needs is not None for needs in frame.flag_aliases.values()):
                self._resolve_aliases(frame)  # (an `alias:` left unresolved needs nothing: harmless)
            if frame.kind == "function" and frame.function is not None:
                self.summary.local_names[frame.qualname] = frozenset(frame.locals)
                if frame.passed_on:
                    frame.function.none_params = unbound_none_params(frame.node, frame.passed_on)
        elif node is self._main_guard_node:
            self.in_main_guard = False
            self._main_guard_node = None
        else:
            if self._block_saves and self._block_saves[-1][0] is node:
                self._loops = self._block_saves.pop()[1]
            if self._cold_blocks and self._cold_blocks[-1][0] is node:
                self._cold_blocks.pop()

    def _start_body(self, node: cst.CSTNode) -> None:
        """A function's body begins: from here on code runs in the function, with no loops
        around it; its decorators and defaults ran in the enclosing scope."""
        frame = self.frames[-1]
        frame.started = True
        frame.saved_loops = self._loops
        self._loops = []
        if type(frame.node) is cst.FunctionDef and unchanged_exit(frame.node):
            # `if old == new: return` first: the rest writes only what changed
            self._cold_blocks.append((node, "after a did-it-change check: runs when the compared values differ"))

    def _enter_suite(self, node: cst.SimpleStatementSuite) -> None:
        if self.frames and self.frames[-1].body is node:
            self._start_body(node)
            return
        parent = self.stack[-2] if len(self.stack) >= 2 else None
        if type(parent) is cst.If and parent.body is node and self.frames:  # type: ignore[attr-defined]
            # `if _re is None: _init_re()` on one line: cold like the block form
            reason = once_reason(parent.test, node, self._module_initialisers())  # type: ignore[attr-defined]
            if reason:
                self._cold_blocks.append((node, reason))

    def _module_initialisers(self) -> Dict[str, FrozenSet[str]]:
        """repetition.module_initialisers of the module being walked, read once on first need."""
        if self._initialisers is None:
            self._initialisers = module_initialisers(self._module_node) if self._module_node is not None else {}
        return self._initialisers

    def _enter_block(self, node: cst.IndentedBlock) -> None:
        if self.frames and self.frames[-1].body is node:
            self._start_body(node)
            return
        self._enter_block_loops(node)

    def _enter_block_loops(self, node: cst.IndentedBlock) -> None:
        """A block that ends in return/raise runs at most once per call, one that ends in
        break at most once per run of its loop: `for k in ks: if k in d: return d[k].copy()`
        copies once, not per key. The body of `if key not in cache: cache[key] = build()`
        runs on a miss only, so it is cold whatever calls it."""
        parent = self.stack[-2] if len(self.stack) >= 2 else None
        if type(parent) is cst.If and parent.body is node and self.frames:  # type: ignore[attr-defined]
            reason = once_reason(parent.test, node, self._module_initialisers()) or shim_reason(parent.test) \
                or flush_reason(parent.test) or test_runner_reason(parent.test)  # type: ignore[attr-defined]
            if reason:
                self._cold_blocks.append((node, reason))
        elif type(parent) is cst.Else and self.frames and len(self.stack) >= 3 and \
                type(self.stack[-3]) is cst.If and self.stack[-3].orelse is parent:  # type: ignore[attr-defined]
            reason = else_once_reason(self.stack[-3].test, node)  # type: ignore[attr-defined]
            if reason:
                self._cold_blocks.append((node, reason))
        elif type(parent) is cst.While and parent.body is node and self.frames:  # type: ignore[attr-defined]
            reason = clock_reason(parent.test)  # type: ignore[attr-defined]
            if reason:
                self._cold_blocks.append((node, reason))
        if not self._loops or not node.body:
            return
        leaves = exit_kind(node)
        if leaves == "return":
            kept: List[Tuple[str, int, Any]] = []
        elif leaves == "break":
            kept = self._loops[:-1]
        else:
            kept = self._match_loops(parent, node)
            if kept is None:
                return
        self._block_saves.append((node, self._loops))
        self._loops = kept

    def loop_kind(self, node: cst.CSTNode, node_type: type) -> Optional[str]:
        if node_type is cst.For:
            return "async for loop" if node.asynchronous else "for loop"  # type: ignore[attr-defined]
        if node_type is cst.While:
            return "while loop"
        return COMPREHENSION_KINDS.get(node_type)

    def outer_comp_for(self) -> bool:
        return len(self.stack) >= 2 and type(self.stack[-2]) in COMPREHENSION_KINDS

    def push_loop(self, kind: str, line: int, node: cst.CSTNode) -> None:
        # Module-level code runs once, at import or as a script's `__main__` block: its loops
        # are cold (a script's loop over its inputs is the whole run, not a hot path).
        if self.function is None:
            return
        trips, why = self._trips(node)
        walks = 0.0
        if trips is None:
            walks, why = self._walks(node)
        entry = _loop_entry(kind, start_line(node, line), node, trips, why, walks)
        if trips is None and not walks:
            it = getattr(node, "iter", None)
            if it is None:
                for_in = getattr(node, "for_in", None)
                it = for_in.iter if for_in is not None and for_in.inner_for_in is None else None
            attr = iterated_self_attr(it) if it is not None else ""
            if not attr and it is not None:
                # `for obj in objs:` over a parameter: phase 2 may size it from what every
                # caller passes (callgraph.Program._size_loops)
                if type(it) is cst.Call and type(it.func) is cst.Name and it.func.value == "enumerate" and it.args:  # type: ignore[attr-defined]
                    it = it.args[0].value  # type: ignore[attr-defined]
                fn = self.function
                if type(it) is cst.Name and fn is not None and it.value in fn.params:  # type: ignore[attr-defined]
                    attr = "arg:" + it.value  # type: ignore[attr-defined]
                elif type(it) is cst.Name and it.value in self.imports and fn is not None \
                        and it.value not in fn.params and it.value not in self.frames[-1].locals:  # type: ignore[attr-defined]
                    # `for phase in task_phases:` imported from the module that lists them: phase
                    # 2 sizes it from that module's literal (callgraph.Program._imported_size)
                    attr = "imp:" + self.imports[it.value]  # type: ignore[attr-defined]
            if attr:
                entry = entry[:3] + (entry[3]._replace(attr=attr),)
        self._loops.append(entry)

    def _walks(self, node: cst.CSTNode) -> Tuple[float, str]:
        """(bytes of the data one trip consumes, why) for a loop over a buffer or a stream read
        to its end (perflint/datawalk.py); (0, "") for any other loop of unknown bound."""
        frame = next((f for f in reversed(self.frames) if f.kind == "function"), None)
        fn = frame.node if frame is not None else None
        buffers = self._buffers.get(id(fn))
        if buffers is None or buffers.function is not fn:
            buffers = self._buffers[id(fn)] = Buffers(fn if type(fn) is cst.FunctionDef else None, self.source,
                                                      self._buffer_attrs, frame.assigned if frame is not None else [])
        walk = walk_bytes(node, buffers, self._constants())
        return walk if walk is not None else (0.0, "")

    def _outer_targets(self) -> set:
        names: set = set()
        for entry in self._loops:
            loop = entry[2]
            if entry[3].why.endswith(BATCH_PASS):
                continue  # `for b in batched(rows, n): for row in b:` walks the rows, not parts of one
            target = getattr(loop, "target", None)
            if target is None:
                for_in = getattr(loop, "for_in", None)
                target = for_in.target if for_in is not None else None
            if target is not None:
                names.update(_target_names(target))
        return names

    def _note_local_int(self, node: cst.Assign) -> None:
        """`passes = 3` or `tables = ["a", "b", "c"]` in a function: a bound its loops may use
        (a later rebinding to anything else forgets it; an empty literal is a container to
        fill, not a bound)."""
        if len(node.targets) != 1:
            return
        ints = self.frames[-1].local_ints
        target = node.targets[0].target
        if type(target) is cst.Tuple:
            # `names, by_name = _pick_tables(...)`: a function of this module that returns
            # collections bounded by its constants (repetition.returned_sizes)
            call = node.value
            sizes = None
            if type(call) is cst.Call and type(call.func) is cst.Name:  # type: ignore[attr-defined]
                sizes = self._returned_size(call.func.value)  # type: ignore[attr-defined]
            elements = target.elements  # type: ignore[attr-defined]
            for i, element in enumerate(elements):
                if type(element.value) is cst.Name:
                    bound = sizes[i] if sizes is not None and len(sizes) == len(elements) else None
                    if bound:
                        ints[element.value.value] = bound
                    else:
                        ints.pop(element.value.value, None)
            return
        if type(target) is not cst.Name:
            return
        name = target.value  # type: ignore[attr-defined]
        ints.pop(DEFAULT_PREFIX + name, None)  # a parameter rebound: its default no longer says its value
        constants = self._constants()
        value_type = type(node.value)
        limited = limit_bound(node.value, constants)[0] if value_type is cst.Call or value_type is cst.Subscript else None
        if limited is not None and value_type is cst.Call:
            ints[STATEMENT_PREFIX + name] = limited  # `s = select(...).limit(10)`: execute(s) hands back 10
        else:
            ints.pop(STATEMENT_PREFIX + name, None)
        size = literal_size(node.value) or (limited if limited is not None else derived_size(node.value, constants))
        if type(node.value) is cst.Integer:
            try:
                ints[name] = float(int(node.value.value.replace("_", ""), 0))  # type: ignore[attr-defined]
            except ValueError:
                ints.pop(name, None)
        elif size:
            ints[name] = size
        else:
            ints.pop(name, None)

    def _returned_size(self, name: str) -> Optional[Tuple[Optional[float], ...]]:
        """repetition.returned_sizes of this module for the function `name`: the module's
        functions are walked once, on the first `a, b = f()` whose `f` is one of them (most
        files never unpack a call to one of their own functions)."""
        module = self._module_node
        if module is None:
            return None
        if self._returned is None:
            if self._top_functions is None:
                self._top_functions = {stmt.name.value for stmt in module.body if type(stmt) is cst.FunctionDef}
            if name not in self._top_functions:
                return None
            self._returned = returned_sizes(module, self.constants)
        return self._returned.get(name)

    def _constants(self) -> Dict[str, float]:
        frame = self.frames[-1] if self.frames else None
        if frame is None or frame.kind != "function" or not frame.local_ints:
            return self.constants
        return {**self.constants, **frame.local_ints}

    def _trips(self, node: cst.CSTNode) -> Tuple[Optional[float], str]:
        node_type = type(node)
        if node_type is cst.While:
            trips, why = while_trips(node)  # type: ignore[arg-type]
            if trips is None:
                return read_field(node, self._constants()) or (None, "")  # type: ignore[arg-type]
            return trips, why
        outer = self._outer_targets()
        constants = self._constants()
        if node_type is cst.For:
            served = for_service_reason(node)  # type: ignore[arg-type]
            if served:
                return 1.0, served
            retried = counted_retry_reason(node)  # type: ignore[arg-type]
            if retried:
                return float(RETRY_BOUND), retried
            it = node.iter  # type: ignore[attr-defined]
            if type(it) is cst.Name and it.value in self.imports and it.value not in constants:
                imported = imported_constant_trips(it)
                if imported[0] is not None:
                    return imported
            return iterable_trips(it, constants, outer)
        for_in = getattr(node, "for_in", None)
        if for_in is None:
            return None, ""
        trips, why = iterable_trips(for_in.iter, constants, outer)
        inner = for_in.inner_for_in
        bound = set(_target_names(for_in.target))
        while inner is not None and trips is not None:
            # `[x for row in rows for x in row]` walks one collection: the inner clause over the
            # outer's item adds no factor; an inner clause over anything else does.
            more, more_why = iterable_trips(inner.iter, constants, outer | bound)
            if more is None:
                return None, ""
            trips, why = trips * more, f"{why}; {more_why}"
            bound.update(_target_names(inner.target))
            inner = inner.inner_for_in
        return (trips, why) if inner is None else (None, "")

    def pop_loop(self, node: cst.CSTNode) -> None:
        if self._loops and self._loops[-1][2] is node:
            self._loops.pop()

    def _match_loops(self, parent: Optional[cst.CSTNode], block: cst.IndentedBlock) -> Optional[List[Tuple[str, int, Any]]]:
        """The loops for the body of `if item == value:` directly in `for item in ...`: the
        loop runs it for the matching item only (repetition.match_reason), once per run."""
        if type(parent) is not cst.If or parent.body is not block:  # type: ignore[attr-defined]
            return None
        kind, line, loop, _ = self._loops[-1]
        if type(loop) is not cst.For or len(self.stack) < 4 or self.stack[-4] is not loop:
            return None  # the if must sit in the loop's own body (For > IndentedBlock > If > block)
        reason = match_reason(parent.test, loop, _target_names(loop.target))  # type: ignore[attr-defined]
        if reason is None:
            return None
        return self._loops[:-1] + [_loop_entry(kind, line, loop, 1.0, reason, 0.0)]

    def pause_loop(self) -> None:
        parent = self.stack[-2] if len(self.stack) >= 2 else None
        if self._loops and self._loops[-1][2] is parent:
            self._paused.append(self._loops.pop())
        else:
            self._paused.append(None)  # type: ignore[arg-type]

    def resume_loop(self) -> None:
        entry = self._paused.pop()
        if entry is not None:
            self._loops.append(entry)

    # -- reporting API (called through Rule) ------------------------------------------
    def add_candidate(self, rule, node, message, fix, confidence, requires, target,
                      cost_key: str = "", size: Optional[float] = None, per_item: str = "",
                      growth: Optional[Tuple[int, float, int, float]] = None,
                      whole_loop: Optional[cst.CSTNode] = None) -> None:
        raw = self._call_raw.get(id(node)) if target is None else ("given", target)
        function, loops, guards = self.function_qualname, self.loops, self._param_guards()
        if whole_loop is not None:
            # priced per run of that loop (Rule.report): only the loops outside it repeat the site
            at = next((i for i, entry in enumerate(self._loops) if entry[2] is whole_loop), None)
            if at is not None:
                loops = loops[:at]
        top = self.frames[-1] if self.frames else None
        if (top is not None and top.kind == "function" and not top.started and self.stack
                and type(self.stack[-1]) is cst.FunctionDef and node is not self.stack[-1]):
            # A rule scanning a function's body from its `def` (visit_FunctionDef): the site is
            # in that function, though its frame starts only at the body (decorators and
            # defaults, visited before, belong to the enclosing scope).
            function, loops, guards = top.function.qualname, (), ()  # type: ignore[union-attr]
        self._pending.append(
            _Pending(rule, node, message, fix, confidence, tuple(requires), raw,
                     function, loops, cost_key, size, self.cold_reason, per_item, growth, guards,
                     self._branch_path())
        )

    def _branch_path(self) -> Tuple[Tuple[int, int], ...]:
        """The `if` branches the node being visited sits in, inside its function: (the `if`'s
        ordinal in this file, 0 for its body or 1 for its `else`/`elif`). One run of the function
        takes one branch of each `if`, so sites of one cause in different branches of the same
        `if` are alternatives (engine._finding_for_cause)."""
        out: List[Tuple[int, int]] = []
        stack = self.stack
        for i in range(len(stack) - 1, -1, -1):
            node = stack[i]
            kind = type(node)
            if kind is cst.FunctionDef or kind is cst.Lambda or kind is cst.ClassDef:
                break
            if kind is cst.If and i + 1 < len(stack):
                inner = stack[i + 1]
                branch = 0 if inner is node.body else 1 if inner is node.orelse else -1  # type: ignore[attr-defined]
                if branch >= 0:
                    ordinal = self._if_ordinals.setdefault(id(node), len(self._if_ordinals))
                    out.append((ordinal, branch))
        out.reverse()
        return tuple(out)

    def add_effect(self, effect: str, confidence: str = "high", fn: Optional[FunctionSummary] = None) -> None:
        fn = fn or self.function or self._module_fn
        old = fn.effects.get(effect)
        if old is None or _CONF_RANK[confidence] > _CONF_RANK[old]:
            fn.effects[effect] = confidence
            fn.effect_lines[effect] = self.line

    # -- scope bookkeeping ------------------------------------------------------------
    def _qualname(self, name: str) -> str:
        return f"{self.frames[-1].qualname}.{name}" if self.frames else name

    def _received_signals(self, node: cst.FunctionDef) -> Tuple[str, ...]:
        """The signals `@receiver(sig)` / `@receiver([a, b])` / `@receiver(signal=sig)` names,
        as dotted names (a module-level signal of this file by its module's name)."""
        out: List[str] = []
        for deco in node.decorators:
            arg = receiver_signal(deco.decorator)
            if arg is None:
                continue
            for expr in (e.value for e in arg.elements) if type(arg) in (cst.List, cst.Tuple) else (arg,):
                text = dotted_text(expr)
                if text:
                    out.append(self.resolve(expr) or f"{self.summary.module}.{text}")
        return tuple(out)

    def _enter_function(self, node: cst.FunctionDef) -> None:
        name = node.name.value
        qualname = self._qualname(name)
        parent = self.frames[-1] if self.frames else None
        outer_scope = self.value_scope()  # decorators and defaults run out there
        decorators = []
        for deco in node.decorators:
            expr = deco.decorator
            if isinstance(expr, cst.Call):
                expr = expr.func
            decorators.append(self.resolve(expr) or dotted_text(expr) or "?")
        params = [p.name.value for p in node.params.posonly_params] + [
            p.name.value for p in node.params.params
        ]
        method_of = parent.qualname if parent is not None and parent.kind == "class" else None
        self_name = None
        if method_of and params and "staticmethod" not in decorators:
            self_name = params[0]
        all_params = list(node.params.posonly_params) + list(node.params.params) + list(
            node.params.kwonly_params
        )
        summary = FunctionSummary(
            qualname=qualname,
            name=name,
            line=start_line(node, self.line),
            cls=method_of,
            params=tuple(params + [p.name.value for p in node.params.kwonly_params]),
            decorators=tuple(decorators),
            positional=len(params),
        )
        summary.memoized = memo_guard(node) or ""
        summary.default_facts = default_facts(all_params)
        if node.decorators and periodic_decorated(node):
            summary.effects["periodic"] = "high"  # a role (entrypoints.py): once per period
        if "receiver" in decorators or any(d.endswith(".receiver") for d in decorators):
            summary.receives = self._received_signals(node)
        if node.decorators and (migrate_hook_decorated(node) or SYSTEM_CHECK_REGISTERS.intersection(decorators)):
            summary.effects["run-once-hook"] = "high"  # a role (entrypoints.py): a migrate hook, a system check
        self.summary.functions[qualname] = summary
        if parent is not None and parent.kind == "class" and parent.cls is not None:
            parent.cls.methods = parent.cls.methods + (name,)
            if name == "__init__":
                parent.cls.init_attrs = init_param_attrs(node)
            if node.decorators:  # a property (or something else) of that name: not set once
                self.summary.attr_writes[name] = False
        if parent is not None and parent.kind == "function" and any(d in _WRAPS or d.endswith(".wraps") or d == "wraps" for d in decorators):
            parent.wrapped_inner.add(name)
        self._bind(node.name, self._decorated_value(node, qualname, decorators, outer_scope))
        frame = _Frame("function", qualname, function=summary, method_of=method_of,
                       self_name=self_name, body=node.body, node=node, started=False,
                       atomic=bool(node.decorators) and transaction_decorated(node))
        bindings = self.summary.bindings.setdefault(qualname, {})
        for param in all_params + [p for p in (node.params.star_arg, node.params.star_kwarg) if type(p) is cst.Param]:
            pname = param.name.value
            frame.locals.add(pname)
            typ = annotation_type(param.annotation)
            if typ:
                frame.local_types[pname] = typ
            types, container = annotation_types(param.annotation.annotation) if param.annotation else ((), False)
            if types:
                ann: tuple = ("ann", outer_scope, types)
                bindings.setdefault(pname, []).append(("S", (ann,)) if container else ann)
            if param.default is not None:
                if type(param.default) is cst.Integer:
                    # `def top_tags(limit=10)`: the size a `.limit(limit)` or `[:limit]` asks for
                    # when callers leave it out (repetition.limit_bound reads it; range() does not)
                    try:
                        frame.local_ints[DEFAULT_PREFIX + pname] = float(int(param.default.value.replace("_", ""), 0))
                    except ValueError:
                        pass
                # what a call that leaves the parameter out binds (evaluated once, out there):
                # `def convert(k, table={"a": A(), "b": B()})` makes `table[k].run()` reach both
                default = value_expr(param.default, outer_scope)
                if default is not None:
                    bindings.setdefault(pname, []).append(default)
        if node.returns is not None:
            types, container = annotation_types(node.returns.annotation)
            if types:
                ann_ret: tuple = ("ann", outer_scope, types)
                self.summary.returns.setdefault(qualname, []).append(("S", (ann_ret,)) if container else ann_ret)
        if self_name is not None:
            receiver = ("cls", method_of) if "classmethod" in decorators else ("self", method_of)
            bindings.setdefault(self_name, []).append(receiver)
        self.frames.append(frame)
        for effect, confidence in name_effects(name):
            if effect == "rebuild" and change_guarded(node):
                continue  # named like a rebuild, but it checks first whether anything changed
            self.add_effect(effect, confidence, summary)

    def _decorated_value(self, node: cst.FunctionDef, qualname: str, decorators: List[str], scope: str) -> tuple:
        """The value a decorated name holds: `f = d(f)` for each decorator that is not known
        to hand the function back; each application is a call in the enclosing scope."""
        value: tuple = ("f", qualname)
        for deco, resolved in reversed(list(zip(node.decorators, decorators))):
            if resolved in TRANSPARENT_DECORATORS or resolved.endswith((".setter", ".getter", ".deleter")):
                continue
            callee = value_expr(deco.decorator, scope)
            if callee is None:
                return ("c", ("g", "?"))  # a decorator we cannot follow: the name's value is unknown
            raw = self._raw_target(deco.decorator) if not isinstance(deco.decorator, cst.Call) else None
            site = CallSite(target="", line=self.line_of(deco), loops=self.loops,
                            text=dotted_text(deco.decorator) or "decorator", callee=callee, args=(value,))
            self._raw_calls.append((site, raw, self.function_qualname))
            # ("dec", ...) rather than ("c", callee): a decorator that hands its argument back
            # (`def _decorator(func): return func`) then gives this function, not the union of
            # every function it decorates (phase 2, valueflow)
            value = ("dec", callee, value)
        return value

    def _enter_class(self, node: cst.ClassDef) -> None:
        qualname = self._qualname(node.name.value)
        summary = ClassSummary(qualname=qualname, line=start_line(node, self.line), sized=class_sizes(node))
        self.summary.classes[qualname] = summary
        bases, metaclass = class_bases(node)
        scope = self._scope_for_resolution()
        self._raw_bases.append((summary, bases, scope))
        if metaclass:
            self._raw_metaclasses.append((summary, metaclass, scope))
        summary.base_texts = tuple(bases)
        held = class_held(node, self._module_node)
        if held is not None:
            summary.held = "?"
            if held:
                self._raw_held.append((summary, held, scope))
        self._bind(node.name, None)
        self.frames.append(_Frame("class", qualname, cls=summary))

    def _scope_for_resolution(self) -> str:
        fn = self.function
        return fn.qualname if fn else ""

    def _enter_if(self, node: cst.If) -> None:
        if self.frames or self.in_main_guard:
            return
        test = node.test
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            left = dotted_text(test.left)
            right = test.comparisons[0].comparator
            if left == "__name__" and isinstance(right, cst.SimpleString) and "__main__" in right.value:
                self.in_main_guard = True
                self._main_guard_node = node

    def _enter_return(self, node: cst.Return) -> None:
        self._record_return(node.value)
        fn_frame = self.frames[-1] if self.frames and self.frames[-1].kind == "function" else None
        if fn_frame is not None and fn_frame.function is not None and fn_frame.function.switch != "no":
            # a switch that is off by default returns only False, lookups with a False default
            # and such switches' results (guards.off_return; Program.off_switch)
            said = off_return(node.value)
            fn = fn_frame.function
            if said is None:
                fn.switch = "no"
            else:
                fn.switch = "off"
                if said not in fn.switch_calls and (said or node.value is not None and type(node.value) is cst.Call):
                    fn.switch_calls += (said,)  # "": a lookup with a False default
        if fn_frame is None or not isinstance(node.value, cst.Name):
            return
        value = node.value.value
        fn = fn_frame.function
        if fn is not None and (value in fn.params[:1] or value in fn_frame.wrapped_inner):
            fn.transparent = True
            if value in fn.params[:1]:
                fn.returns_arg = True

    # -- types of names, for resolving method calls -------------------------------------
    # -- call sites ---------------------------------------------------------------------
    def _enter_call(self, node: cst.Call) -> None:
        # the callee's name, its resolution and the enclosing function, read once per call
        # (each is asked several times below: 86k calls on Twisted)
        func = node.func
        parts = dotted_parts(func)
        qualified = self.resolve_parts(parts)
        fn = self.function
        for effect, confidence in call_effects(qualified, parts, node.args):
            if effect.startswith("external-") and self.cold_reason:
                continue  # a process started when something failed is not beside every call
            self.add_effect(effect, confidence)
            if effect == "parse":
                self._note_parsed_param(node)
        if type(func) is cst.Name and func.value == "getattr":
            self._record_dispatch(node)
        elif fn is not None and type(func) is cst.Attribute and func.attr.value in LOADERS:
            loaded = loaded_relations(node)
            if loaded:
                fn.prefetches += tuple(r for r in loaded if r not in fn.prefetches)
        elif type(func) is cst.Attribute and (func.attr.value in MUTATORS or func.attr.value in _SETATTR) \
                or type(func) is cst.Name and func.value in _SETATTR:
            self._note_attr_writes(node)
            if type(func) is cst.Attribute and func.attr.value == "append" and len(node.args) == 1 and not node.args[0].star \
                    and node.args[0].keyword is None:  # type: ignore[union-attr]
                self._note_append(func.value, node.args[0].value)  # type: ignore[union-attr]
        raw = self._raw_target(func)
        scope = fn.qualname if fn else MODULE_SCOPE  # value_scope()
        callee = value_expr(func, scope)
        if raw is None and callee is None:
            return
        if raw is not None:
            self._call_raw[id(node)] = raw
        args, kwargs, callbacks = call_arguments(node, scope, callback_spec(qualified, func), self._keyed_dicts)
        cold = self.cold_reason
        if fn is not None and not cold and locks_row(node):
            self._note_lock()
        site = CallSite(target="", line=self.line, loops=self.loops, text=(".".join(parts) if parts else None) or _callee_text(func),
                        cold=bool(cold), cold_reason=cold, callee=callee, args=args, kwargs=kwargs, callbacks=callbacks,
                        in_transaction=self.in_transaction_block(), locked=self._locked_depth(), isolated=self._isolated_depth(),
                        passed=passed_arguments(node),
                        guards=self._param_guards(), arg_types=argument_types(node, self._range_targets()),
                        arg_facts=self._argument_facts(node) + self._receiver_facts(node))
        self._raw_calls.append((site, raw, self.function_qualname))
        handed = handed_call(qualified, node, scope)
        if handed is None and type(func) is cst.Call:
            handed = delayed_call(self.resolve_parts(dotted_parts(func.func)), node, scope)
        if handed is not None:
            receiver = value_expr(func.value, scope) if qualified is None and type(func) is cst.Attribute else None  # type: ignore[attr-defined]
            self._note_handed_call(site, handed, scope, receiver)

    def _function_frame(self) -> Optional[_Frame]:
        frame = self.frames[-1] if self.frames else None
        return frame if frame is not None and frame.kind == "function" and frame.started else None

    def _statement_in_block(self, top: int) -> Optional[Tuple[int, int, int]]:
        """(id of the innermost block of the function around stack[top], the index of the
        statement of it that holds that node, position of that block on the stack); None
        inside a lambda or at a `def` itself."""
        stack = self.stack
        for i in range(top - 1, -1, -1):
            node = stack[i]
            node_type = type(node)
            if node_type is cst.IndentedBlock:
                child = stack[i + 1]
                for index, statement in enumerate(node.body):  # type: ignore[attr-defined]
                    if statement is child:
                        return id(node), index, i
                return None
            if node_type in _SCOPE_TYPES:
                return None
        return None

    def _note_lock(self) -> None:
        """A row lock taken here (`select_for_update()`, effects.locks_row): the rest of the
        block it sits in runs under it (CallSite.locked), and the rest of the block around an
        `if`/`else` whose other branch takes one too, at its top level."""
        frame = self._function_frame()
        if frame is None:
            return
        stack, depth = self.stack, len(self.loops)
        where = self._statement_in_block(len(stack) - 1)
        while where is not None:
            frame.locks.append((where[0], where[1], depth))
            at = where[2]
            branch, parent = stack[at - 1], stack[at - 2] if at >= 2 else None
            # an `if` that is a statement of a block (not an `elif`), with a plain `else`
            if type(branch) is cst.If and type(branch.orelse) is cst.Else and type(parent) is cst.IndentedBlock:  # type: ignore[attr-defined]
                other, statement = branch.orelse.body, at - 1  # type: ignore[attr-defined]
            elif type(branch) is cst.Else and type(parent) is cst.If and at >= 3 and type(stack[at - 3]) is cst.IndentedBlock:
                other, statement = parent.body, at - 2  # type: ignore[attr-defined]
            else:
                return
            if not any(type(line) is cst.SimpleStatementLine and any(
                    type(n) is cst.Call and locks_row(n) for n, _ in own_nodes(line)) for line in other.body):
                return
            where = self._statement_in_block(statement)

    def _locked_depth(self) -> int:
        """CallSite.locked: the loops around the deepest row lock taken earlier in a block of
        this function that holds the current call after the lock's statement (the lock is
        taken first on every pass that reaches the call), or -1. A lock in a nested block
        (an `if`, a `with` that ends the transaction) does not cover the calls after it."""
        frame = self._function_frame()
        if frame is None or not frame.locks:
            return -1
        found = -1
        stack = self.stack
        blocks = {}
        for i in range(len(stack) - 2, -1, -1):
            node = stack[i]
            node_type = type(node)
            if node_type in _SCOPE_TYPES:
                break
            if node_type is cst.IndentedBlock:
                blocks[id(node)] = i
        for block, index, depth in frame.locks:
            at = blocks.get(block)
            if at is None or depth <= found:
                continue
            child = stack[at + 1]
            body = stack[at].body  # type: ignore[attr-defined]
            if any(statement is child for statement in body[index + 1:]):
                found = depth
        return found

    def _isolated_depth(self) -> int:
        """CallSite.isolated: the number of loops of this function around the innermost `try`
        with handlers whose body holds the current call, when that `try` sits in a loop and
        catches only errors of something other than the database (effects.outside_errors);
        else -1."""
        if not self._loops:
            return -1
        stack = self.stack
        for i in range(len(stack) - 2, 0, -1):
            node = stack[i]
            node_type = type(node)
            if node_type in _SCOPE_TYPES:
                return -1
            if node_type is cst.Try and node.handlers:  # type: ignore[attr-defined]
                if stack[i + 1] is not node.body or not outside_errors(caught_errors(node)):  # type: ignore[attr-defined]
                    return -1  # in a handler, an else or a finally; or it catches database errors
                above = {id(n) for n in stack[:i]}
                depth = sum(1 for loop in self.loop_nodes if id(loop) in above)
                return depth if depth else -1
        return -1

    def _note_handed_call(self, site: CallSite, handed: tuple, scope: str, receiver: Optional[tuple]) -> None:
        """`executor.submit(fn, a)`, `loop.run_in_executor(None, fn, a)`, `asyncio.to_thread(fn,
        a)`, `threading.Thread(target=fn, args=(a,))`: the scheduler calls `fn(a)`; recorded
        as that call here (it binds fn's parameters), in place of the plain callback edge. The
        map forms (`pool.map(fn, items)`, `map(fn, items)`, `executor.map`) call it once per
        item: inside a loop over the iterable, sized like a `for` over it. Phase 2 takes it as
        that call only when the scheduler is not one of the program's objects and the callee
        holds functions (ValueFlow.handed_ok)."""
        fn_node, args, kwargs, iterable = handed
        callee = value_expr(fn_node, scope)
        if callee is None:
            return
        loops = self.loops
        if iterable is not None:
            trips, why = iterable_trips(iterable, self._constants(), self._outer_targets())
            kind = f"per-item loop of {site.text}()"
            loops = loops + (_loop_entry(kind, self.line, iterable, trips, why, 0.0)[3],)
        if site.callbacks:
            site.callbacks = tuple(c for c in site.callbacks if c != callee)
        text = dotted_text(fn_node) or _callee_text(fn_node)
        handed_site = CallSite(target="", line=self.line, loops=loops, text=text, cold=site.cold,
                               cold_reason=site.cold_reason, callee=callee, args=args, kwargs=kwargs,
                               in_transaction=site.in_transaction, handed=(receiver, iterable is not None))
        self._raw_calls.append((handed_site, None, self.function_qualname))

    def _note_expat_handler(self, node: cst.Assign) -> None:
        """`parser.CharacterDataHandler = handler.characters` in a file that imports expat
        (`xml.parsers.expat`, `pyexpat`): the parser calls the handler once per XML event
        while it parses. Recorded as a call of the handler inside a loop of unknown bound at
        the assignment (the parse runs in the same function, as a `.on(...)` registration is
        drawn where it is made)."""
        target = node.targets[0].target if len(node.targets) == 1 else None
        if type(target) is not cst.Attribute or target.attr.value not in EXPAT_HANDLERS:  # type: ignore[union-attr]
            return
        if not any("expat" in dotted for dotted in self.imports.values()):
            return
        scope = self.function_qualname
        callee = value_expr(node.value, scope)
        if callee is None:
            return
        loop = Loop(EXPAT_EVENTS, self.line, None, "", True)
        site = CallSite(target="", line=self.line, loops=self.loops + (loop,),
                        text=dotted_text(node.value) or "handler", callee=callee)
        self._raw_calls.append((site, None, scope))

    def _note_parsed_param(self, node: cst.Call) -> None:
        """`json.loads(text)` on a parameter: the effect `parse-of:text`, so a caller that does
        not pass `text` is known not to make this function parse (PFL102's constructors)."""
        fn = self.function
        first = node.args[0].value if node.args and node.args[0].keyword is None else None
        if fn is not None and type(first) is cst.Name and first.value in fn.params:  # type: ignore[attr-defined]
            self.add_effect(f"parse-of:{first.value}")  # type: ignore[attr-defined]

    def _argument_facts(self, node: cst.Call) -> Tuple[str, ...]:
        """What the call visibly passes (guards.argument_facts), noting the parameters of the
        function it passes on as they came (FunctionSummary.none_params)."""
        fn = self.function
        if fn is None:
            return argument_facts(node, ())
        frame = next((f for f in reversed(self.frames) if f.function is fn), None)
        built = None
        if frame is not None and frame.builds and frame.node is not None \
                and any(type(arg.value) is cst.Name and arg.value.value in frame.builds for arg in node.args):  # type: ignore[attr-defined]
            if frame.built is None:  # read the whole body once: a later binding may reach a call in a loop
                frame.built = built_locals(frame.node)
            built = frame.built
        if frame is not None and self._loops:
            for arg in node.args:
                value = arg.value
                if type(value) is cst.Name and value.value not in fn.params and not (built and value.value in built):
                    made = self._loop_element(frame, value.value)
                    if made:
                        built = dict(built or {})
                        built[value.value] = made
        facts = argument_facts(node, fn.params, built)
        if frame is not None:
            for fact in facts:
                value = fact.partition("=")[2]
                if value.startswith("@"):
                    frame.passed_on.add(value[1:])
        return facts

    def _receiver_facts(self, node: cst.Call) -> Tuple[str, ...]:
        """The keywords a local receiver was built with (guards.receiver_facts); for a receiver
        the call builds itself, `C(chart).run()`, `^=C` and what the constructor is passed,
        each argument fact (guards.argument_facts) behind a `^` (Program.ctor_attr_verdict)."""
        frame = self.frames[-1] if self.frames and self.frames[-1].kind == "function" else None
        if frame is None or type(node.func) is not cst.Attribute:
            return ()
        receiver = node.func.value  # type: ignore[attr-defined]
        if type(receiver) is cst.Call and type(receiver.func) in (cst.Name, cst.Attribute):  # type: ignore[attr-defined]
            made = dotted_text(receiver.func)  # type: ignore[attr-defined]
            if made and made.rpartition(".")[2][:1].isupper():
                return (f"^={made}",) + tuple("^" + fact for fact in self._argument_facts(receiver))
        return receiver_facts(node, frame.assigned)

    def _loop_element(self, frame: _Frame, name: str) -> str:
        """The model class of what the innermost loop around the node that binds `name` takes
        out, when it iterates rows (guards.rows_class), a local of rows (guards.element_locals)
        or an attribute of its own receiver that holds rows (guards.element_attrs); ""
        otherwise. A `for` loop whose body rebinds the name says nothing."""
        from perflint.ruleutil import bound_names, target_names  # ruleutil imports the context, which imports this module

        for loop in reversed(self.loop_nodes):
            loop_type = type(loop)
            if loop_type is cst.For:
                if type(loop.target) is not cst.Name or loop.target.value != name:  # type: ignore[attr-defined]
                    continue
                if name in bound_names(loop, params=False):  # type: ignore[arg-type]
                    return ""
                return self._rows_of(frame, loop.iter)  # type: ignore[attr-defined]
            for_in = getattr(loop, "for_in", None)
            found = None
            while for_in is not None:
                if type(for_in.target) is cst.Name and for_in.target.value == name:
                    found = for_in.iter  # the innermost binding of the name wins
                else:
                    rebound: set = set()
                    target_names(for_in.target, rebound)
                    if name in rebound:
                        found = None
                for_in = for_in.inner_for_in
            if found is not None:
                return self._rows_of(frame, found)
        return ""

    def _rows_of(self, frame: _Frame, iterated: cst.BaseExpression) -> str:
        made = rows_class(iterated)
        if made:
            return made
        if type(iterated) is cst.Name and frame.node is not None:
            if frame.elements is None:
                frame.elements = element_locals(frame.node)
            return frame.elements.get(iterated.value, "")  # type: ignore[attr-defined]
        if type(iterated) is cst.Attribute and type(iterated.value) is cst.Name \
                and iterated.value.value == frame.self_name and frame.method_of:  # type: ignore[attr-defined]
            cls = next((n for n in reversed(self.stack) if type(n) is cst.ClassDef), None)
            if cls is None:
                return ""
            known = self._element_attrs.get(id(cls))
            if known is None:
                known = self._element_attrs[id(cls)] = element_attrs(cls)  # type: ignore[arg-type]
            return known.get(iterated.attr.value, "")  # type: ignore[attr-defined]
        return ""

    def _param_guards(self) -> Tuple[str, ...]:
        """What the current node needs a caller to pass: optional parameters (falsy default)
        under `if p:` and the like, and `isa:p:T` under `if isinstance(p, T):` (guards.py)."""
        frame = self.frames[-1] if self.frames and self.frames[-1].kind == "function" else None
        if frame is None or frame.node is None or not frame.started:
            return ()
        if frame.optional is None:
            frame.optional = optional_params(frame.node)
            frame.flags = flag_params(frame.node)
        params = frame.function.params if frame.function is not None else ()
        if not frame.optional and not params:
            return ()
        return guarded_params_memo(self.stack, frame.node, frame.optional, params, frame.flags, frame.exits,
                                   frame.guards, frame.flag_aliases, frame.switches)

    def _note_switch_alias(self, name: str, value: cst.BaseExpression) -> None:
        """`run = not skip and self._should_run()`: `if run:` needs the call true (guards._switch_when).
        A name bound twice says nothing."""
        switches = self.frames[-1].switches
        calls = switch_calls(value)
        if name in switches or any(n == name for n, _ in self.frames[-1].assigned[:-1]):
            switches[name] = None
        elif calls:
            switches[name] = calls

    def _note_flag_alias(self, name: str, value: cst.BaseExpression) -> None:
        """`is_all = True` under `if field_id is None:`: `if is_all:` later needs what that
        assignment needed (guards._alias_guards). A local bound nothing but falsy literals and
        values under guards: `form_data = None`, then `form_data = query_context.form_data`
        under `if query_context:` and `form_data = viz.form_data` under `elif viz:` makes `if
        form_data:` need one of them (guards.either_guards). A value bound with no guard, a
        parameter or a global says nothing."""
        frame = self.frames[-1]
        aliases = frame.flag_aliases
        if falsy_literal(value, mutable=False) or aliases.get(name, ()) is None:
            return  # a binding that leaves it false takes no branch on it; or it says nothing already
        fn = frame.function
        needs = self._param_guards() if (fn is None or name not in fn.params) and name not in frame.globals else ()
        if not needs:
            aliases[name] = None
            return
        ways = frame.alias_ways.setdefault(name, [])
        ways.append(needs)
        aliases[name] = either_guards(ways)

    def _drop_aliases(self, targets: Iterable[cst.CSTNode]) -> None:
        """A flag bound another way (`a, is_all = ...`, a loop target, `:=`) says nothing."""
        aliases = self.frames[-1].flag_aliases
        for target in targets:
            for sub, _ in own_nodes(target):
                if type(sub) is cst.Name and sub.value in aliases:  # type: ignore[attr-defined]
                    aliases[sub.value] = None  # type: ignore[attr-defined]

    def _resolve_aliases(self, frame: _Frame) -> None:
        """Replace `alias:<flag>` in the guards of the function's call sites and findings by
        what the flag's one True needs, now that every binding of it has been seen (a flag
        bound otherwise too, `was_change |= changed()`, needs nothing)."""
        aliases = frame.flag_aliases
        if frame.node is not None:
            for name in bound_otherwise(frame.node, [n for n, needs in aliases.items() if needs is not None]):
                aliases[name] = None  # bound another way too (a loop, `with ... as`, unpacking)

        def resolved(guards: Tuple[str, ...]) -> Tuple[str, ...]:
            if not any(g.startswith("alias:") for g in guards):
                return guards
            out: List[str] = []
            for g in guards:
                needs = (aliases.get(g[6:]) or ()) if g.startswith("alias:") else (g,)
                out.extend(n for n in needs if n not in out)
            return tuple(out)

        qualname = frame.qualname
        for site, _, owner in self._raw_calls:
            if owner == qualname and site.guards:
                site.guards = resolved(site.guards)
        for i, pending in enumerate(self._pending):
            if pending.function == qualname and pending.guards:
                self._pending[i] = replace(pending, guards=resolved(pending.guards))

    def _range_targets(self) -> Tuple[str, ...]:
        """Names that loops around the node bind to the integers of a `range()`."""
        out: Tuple[str, ...] = ()
        for entry in self._loops:
            loop = entry[2]
            if type(loop) is cst.For and type(loop.target) is cst.Name and type(loop.iter) is cst.Call \
                    and type(loop.iter.func) is cst.Name and loop.iter.func.value == "range":  # type: ignore[attr-defined]
                out += (loop.target.value,)  # type: ignore[attr-defined]
        return out

    def _enter_attribute(self, node: cst.Attribute) -> None:
        """An attribute read may run a @property: record it for phase 2 (once per function).
        `obj.prop.get(k)` reads `prop` too: the read inside a longer chain counts."""
        parent = self.stack[-2] if len(self.stack) >= 2 else None
        parent_type = type(parent)
        if parent_type is cst.AssignTarget or parent_type is cst.Del:
            return
        if parent_type is cst.Call and parent.func is node:  # type: ignore[union-attr]
            return
        fn = self.function
        if fn is None or type(node.value) is not cst.Name:
            return
        expr = ("a", ("n", fn.qualname, node.value.value), node.attr.value)
        loops = self.loops
        if not any(read[2] == expr and read[1] == loops for read in fn.reads):
            fn.reads.append((self.line, loops, expr))

    def in_transaction_block(self) -> bool:
        """Whether the current node runs in the body of a `with` that holds a transaction open
        (`with transaction.atomic():`, `with lib.transaction():`, `with conn:`), inside its
        function, or in the body of a function decorated with one (`@transaction.atomic`):
        the block commits once when it exits, not per statement in it."""
        if not self._open_withs and not (self.frames and self.frames[-1].atomic):
            return False  # the common case, without a walk up the stack
        stack = self.stack
        for i in range(len(stack) - 1, 0, -1):
            node = stack[i - 1]
            node_type = type(node)
            if node_type in _SCOPE_TYPES:
                # `@transaction.atomic` on the function holds one open around its body
                return node_type is cst.FunctionDef and stack[i] is node.body and (  # type: ignore[attr-defined]
                    self.frames[-1].atomic if node is self.frames[-1].node else transaction_decorated(node))  # type: ignore[arg-type]
            if node_type is cst.With and stack[i] is node.body and any(  # type: ignore[attr-defined]
                    transaction_block(item.item) for item in node.items):  # type: ignore[attr-defined]
                return True
        return False

    def in_except_handler(self) -> bool:
        """Whether the node being visited sits in an `except` handler of its own scope."""
        for node in reversed(self.stack):
            node_type = type(node)
            if node_type in _HANDLER_TYPES:
                return True
            if node_type in _SCOPE_TYPES:
                return False
        return False

    # -- the end of a file: resolve what needed the whole module ------------------------
    def finish(self, module: cst.Module) -> ModuleSummary:
        """Resolve names that needed the whole file, compute finding positions."""
        summary = self.summary
        summary.imports = dict(self.imports)
        functions = summary.functions
        for site, raw, scope in self._raw_calls:
            target = self._finish_target(raw) if raw is not None else None
            if target is not None:
                site.target = target
            if target is not None or site.callee is not None:
                functions[scope].calls.append(site)
                if "add_periodic_task" in site.text and site.text.rpartition(".")[2] == "add_periodic_task":
                    # EntryPoints reads the periodic registrations of these functions only
                    functions[scope].effects[REGISTERS_PERIODIC] = "high"
                elif "migrate.connect" in site.text and connects_migrate_hook(site.text):
                    functions[scope].effects[REGISTERS_MIGRATE_HOOK] = "high"  # `post_migrate.connect(f)`
        receiver_evidence(summary)
        for cls, bases, scope in self._raw_bases:
            resolved = [self._resolve_raw_dotted(b, scope) for b in bases]
            cls.bases = tuple(f"g:{b}" for b in resolved if b)
        for cls, held, scope in self._raw_held:
            resolved_held = self._resolve_raw_dotted(held, scope)
            if resolved_held:
                cls.held = f"g:{resolved_held}"
        for cls, metaclass, scope in self._raw_metaclasses:
            resolved_meta = self._resolve_raw_dotted(metaclass, scope)
            if resolved_meta:
                cls.metaclass = f"g:{resolved_meta}"
        for cls, attr, typ, scope in self._raw_attr_types:
            resolved = self._resolve_raw_dotted(typ, scope)
            if resolved:
                cls.attr_types[attr] = f"g:{resolved}"
        for cls, name, target, scope in self._raw_related:
            resolved = self._resolve_raw_dotted(target, scope)
            if resolved:
                cls.related += ((name, f"g:{resolved}"),)
        for cls, attr, made_of, scope in self._raw_managers:
            resolved = self._resolve_raw_dotted(made_of, scope)
            if resolved:
                cls.managers += ((attr, f"g:{resolved}"),)
        if self._pending:
            summary.candidates.extend(positioned(self._pending, module, self.source, self.node_lines, self._finish_target))
        self._pending = []
        # The hooks are bound methods of this context: dropping them breaks the only cycle
        # through it, so the context and what it holds (the tree's line table, its frames)
        # are freed when the file is done, not left for the cyclic collector to find.
        self._enter = {}
        self._before = {}
        self._module_node = None
        return summary


def class_bases(node: cst.ClassDef) -> Tuple[List[str], str]:
    """The dotted bases of a class statement and the metaclass it names, "" if none: the
    `metaclass=` keyword, the bases inside a `with_metaclass(M, *bases)` base (six, future,
    Django's old copy: a temporary class whose own metaclass makes the class with M and those
    bases), and `@add_metaclass(M)` (six)."""
    bases: List[str] = []
    metaclass = ""
    for arg in (*node.bases, *node.keywords):
        value = arg.value
        if arg.keyword is not None:
            if arg.keyword.value == "metaclass":
                metaclass = dotted_text(value) or ""
            continue
        if isinstance(value, cst.Call) and value.args and arg.star == "" and (
                (dotted_text(value.func) or "").rpartition(".")[2] == "with_metaclass"):
            first = value.args[0]
            if first.keyword is None and first.star == "":
                metaclass = dotted_text(first.value) or ""
            bases.extend(t for t in (dotted_text(a.value) for a in value.args[1:]
                                     if a.keyword is None and a.star == "") if t)
            continue
        text = dotted_text(value)
        if text:
            bases.append(text)
    for deco in node.decorators:
        call = deco.decorator
        if isinstance(call, cst.Call) and call.args and (
                (dotted_text(call.func) or "").rpartition(".")[2] == "add_metaclass"):
            first = call.args[0]
            if first.keyword is None and first.star == "":
                metaclass = dotted_text(first.value) or metaclass
    return bases, metaclass


# Generic bases whose instances hold their parameter's values (class_held), as written.
_GENERIC_SEQUENCES = frozenset({"List", "list", "Tuple", "tuple", "typing.List", "typing.Tuple"})


def class_held(node: cst.ClassDef, module: Optional[cst.Module]) -> Optional[str]:
    """For a class statement with a generic list or tuple base (`List[Row]`, `list["Row"]`,
    `Tuple[Row, ...]`), the dotted name of the element class as written: the parameter, its
    forward reference's text, or the `bound=` of a module-level TypeVar it names (`List[_T]`,
    `_T = TypeVar("_T", bound="Row")`); "" when the element is none of these (a union, an
    unbound TypeVar); None without such a base."""
    for arg in node.bases:
        value = arg.value
        if arg.keyword is not None or arg.star or not isinstance(value, cst.Subscript) or \
                dotted_text(value.value) not in _GENERIC_SEQUENCES:
            continue
        names = set()
        for element in value.slice:
            index = element.slice
            if not isinstance(index, cst.Index):
                return ""
            if isinstance(index.value, cst.Ellipsis):
                continue
            names.add(_type_name(index.value))
        if len(names) != 1 or "" in names:
            return ""
        name = names.pop()
        bound = _typevar_bound(module, name) if "." not in name else None
        return name if bound is None else bound
    return None


def _type_name(expr: cst.BaseExpression) -> str:
    """The dotted name a type expression spells (`Row`, `models.Row`, `"Row"`), "" for others."""
    if isinstance(expr, cst.SimpleString):
        text = expr.evaluated_value
        return text if isinstance(text, str) and all(p.isidentifier() for p in text.split(".")) else ""
    return dotted_text(expr) or ""


def _typevar_bound(module: Optional[cst.Module], name: str) -> Optional[str]:
    """What a module-level `name = TypeVar("name", bound=X)` binds to: X's dotted name ("" when
    the TypeVar has no class bound); None when `name` is no such TypeVar."""
    if module is None:
        return None
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and \
                    isinstance(small.targets[0].target, cst.Name) and small.targets[0].target.value == name and \
                    isinstance(small.value, cst.Call) and \
                    (dotted_text(small.value.func) or "").rpartition(".")[2] == "TypeVar":
                for a in small.value.args:
                    if a.keyword is not None and a.keyword.value == "bound":
                        return _type_name(a.value)
                return ""
    return None


def _loop_entry(kind: str, line: int, node: cst.CSTNode, trips: Optional[float], why: str,
                walks: float) -> Tuple[str, int, cst.CSTNode, Loop]:
    """(kind, line, node, its Loop): rules read `loops` at most nodes, so each Loop is built once."""
    # A walk up a tree repeats its body once per level: data, like a range of ten or more.
    # So is a query's rows under a stated limit: fewer than loop-trips, but rows all the same.
    data = trips is None or (trips >= DATA_TRIPS and ("range(" in why or why.endswith((TREE_WALK, STATED_LIMIT))))
    return kind, line, node, Loop(kind, line, trips, why, data, walks)


def _target_names(target: cst.CSTNode) -> List[str]:
    """Names a loop target binds: `x`, `k, v`, `(a, (b, c))`."""
    if type(target) is cst.Name:
        return [target.value]  # type: ignore[attr-defined]
    if type(target) in (cst.Tuple, cst.List):
        out: List[str] = []
        for element in target.elements:  # type: ignore[attr-defined]
            out.extend(_target_names(element.value))
        return out
    return []


def _callee_text(func: cst.BaseExpression) -> str:
    if isinstance(func, cst.Attribute):
        return f"(...).{func.attr.value}"
    return "super()" if isinstance(func, cst.Call) else "(...)"
