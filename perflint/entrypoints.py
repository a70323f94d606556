"""Entry points by role: functions a framework, a protocol or a library's users call."""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Set, Tuple

from perflint.effects import REGISTERS_MIGRATE_HOOK, REGISTERS_PERIODIC, connects_migrate_hook
from perflint.summary import MODULE_SCOPE, ClassSummary

if TYPE_CHECKING:  # pragma: no cover
    from perflint.callgraph import Program
    from perflint.summary import FunctionSummary, ModuleSummary


@dataclass(frozen=True)
class Role:
    id: str  # the key in `[entry-roles]` that turns it off
    label: str  # what the trace says
    hot: bool  # runs once per unit of work (a request, a message, an item), not once per run
    # "request", "message", "command": it *is* the unit of work, its body runs once per unit;
    # "item": it runs once per item of a loop elsewhere (a dunder, a visitor hook, an API
    # method users call per row), like code inside a loop; "run": once per process.
    unit: str = "request"

    @property
    def per_item(self) -> bool:
        return self.unit == "item"


# Every role, its id and what it means (docs/how-it-works.md lists them).
ROLES: Dict[str, str] = {
    "django-view": "a Django view: a function of a views module taking `request`, or one a URLconf names",
    "class-based-view": "a handler method of a Django or DRF class-based view",
    "drf-viewset": "an action of a Django REST framework viewset",
    "route": "a Flask, FastAPI or Starlette route (`@app.route`, `@router.get`, ...)",
    "task": "a Celery, RQ, Dramatiq or Huey task",
    "dispatched-by-name": "a method called by name: `getattr(self, \"do_\" + command)()`, `f\"do_{command}\"`, `\"parse_%s\" % key`",
    "item-hook": "an override of a per-item hook of an external base class (`Handler.emit`, `NodeVisitor.visit_*`, ...)",
    "protocol-dunder": "a protocol dunder that runs per item: `__len__`, `__bool__`, `__getitem__`, `__setitem__`, `__delitem__`, `__contains__`, `__next__`, `__eq__`, `__hash__`",
    "public-api": "a public per-item method of a store or client API (`put`, `get`, `insert`, ...) that nothing in the repository calls",
    "item-object": "a public method, that nothing in the repository calls, of an object the package hands out one per item (built by another class's `__getitem__`/`__next__`, or in a loop of its `__iter__`)",
    "management-command": "a Django management command's `handle`, or an admin command of a CLI package taking `args` (runs once)",
    "cli-main": "a click/typer command, an argparse main or a function named `main` (runs once)",
    "migration": "code in a migrations package or a module named `migration(s)`, and an Alembic revision's `upgrade()`/`downgrade()` (runs once)",
    "periodic": "a periodic job: a task a Celery beat schedule runs (`add_periodic_task`), a receiver of a signal named like `periodic_task`/`cron`, a function decorated `@periodic_task` (runs once per period)",
    "setup": "setup code: setup.py, conftest, AppConfig.ready, setUp/setup_module, __init_subclass__, functions named `setup`, `setup_*`, `async_setup*`, receivers of Django's `pre_migrate`/`post_migrate` signals, Django system checks (`@register(...)`) (runs once)",
}

PROTOCOL_DUNDERS = frozenset({"__len__", "__bool__", "__getitem__", "__contains__", "__next__", "__eq__", "__hash__",
                              "__setitem__", "__delitem__"})
# `__setitem__` and `__delitem__` store or delete one item of a collection (warlock's Model
# validated the whole dict against its schema per item set; an attribute set goes through it
# too): hot, but one call is the unit of work, as for a store's public `set`/`delete` (no
# iteration protocol runs them, unlike a `__getitem__` without `__iter__`); a mailbox's
# `__setitem__` that fsyncs the message it writes is durable per message by design. Not
# `__setattr__`: an object has a handful of fields, and a proxy that saves each set (aiida's
# ModelWrapper commits per field outside a transaction) does so by design.
ITEM_STORES = frozenset({"__setitem__", "__delitem__"})
_VIEW_METHODS = frozenset({
    "get", "post", "put", "patch", "delete", "head", "options", "dispatch", "get_queryset",
    "get_object", "get_context_data", "form_valid", "form_invalid", "get_serializer_context",
    "perform_create", "perform_update", "perform_destroy",
})
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
_VIEWSET_ACTIONS = frozenset({"list", "retrieve", "create", "update", "partial_update", "destroy"})
_ROUTE_VERBS = frozenset({
    "route", "get", "post", "put", "patch", "delete", "head", "options", "websocket",
    "api_route", "websocket_route",
})
_NOT_ROUTERS = frozenset({"functools", "property", "abc", "typing", "contextlib", "pytest", "mock", "unittest"})
_TASK_DECORATORS = ("shared_task", "rq.job", "rq.decorators.job", "dramatiq.actor", "huey.task", "huey.periodic_task")
_CLI_DECORATORS = ("click.command", "click.group", "typer.Typer.command")
_URL_FUNCTIONS = frozenset({"path", "re_path", "url", "django.urls.path", "django.urls.re_path", "django.conf.urls.url"})
# Hooks of external base classes: method name (or prefix, ending in "*") -> a word the
# external base's name must contain. `filter` of a `Filter` is logging's, once per record: a
# query-filter library's `filter(qs, value)` (django-filter, django-ninja) runs once per request
# (Wagtail's LocaleFilter, labelled FALSE in run 12). Request handlers and middleware run once per request
# (_REQUEST_HOOKS); the rest once per item (a node, a record, a line, a row).
_REQUEST_HOOK_WORDS = frozenset({"RequestHandler", "Middleware"})
# Input hooks of serializers and form fields: they parse what one write request submits.
_INPUT_HOOK_WORDS = frozenset({"Serializer", "Field"})
_INPUT_HOOKS = frozenset({"to_internal_value", "validate"})
_ITEM_HOOKS: Tuple[Tuple[str, str], ...] = (
    ("visit_*", "Visitor"), ("leave_*", "Visitor"), ("generic_visit", "Visitor"),
    ("visit_*", "Transformer"), ("leave_*", "Transformer"),
    ("emit", "Handler"), ("handle", "Handler"), ("do_*", "RequestHandler"),
    ("filter", "Filter"), ("format", "Formatter"), ("default", "JSONEncoder"),
    ("dataReceived", "Protocol"), ("lineReceived", "Protocol"), ("rawDataReceived", "Protocol"),
    ("datagramReceived", "Protocol"), ("data_received", "Protocol"), ("datagram_received", "Protocol"),
    ("handle_starttag", "HTMLParser"), ("handle_endtag", "HTMLParser"), ("handle_data", "HTMLParser"),
    ("handle_startendtag", "HTMLParser"),
    ("to_representation", "Serializer"), ("to_internal_value", "Serializer"), ("validate_*", "Serializer"),
    ("to_representation", "Field"), ("to_internal_value", "Field"), ("from_db_value", "Field"),
    ("to_python", "Field"), ("get_prep_value", "Field"), ("get_db_prep_value", "Field"),
    ("process_request", "Middleware"), ("process_response", "Middleware"), ("process_view", "Middleware"),
    ("__call__", "Middleware"), ("parse", "Spider"), ("process_item", "Pipeline"),
)
# Names of public methods that a store or client library's users call once per item (a
# read like `load` or `read` is left out: on a framework class it is a once-per-request hook).
_PER_ITEM_API = frozenset({
    "store", "put", "insert", "upsert", "get", "set", "add", "append", "write", "fetch",
    "lookup", "enqueue", "push", "publish", "send", "delete", "remove",
})
# Classes named like framework hooks, not like a store's API (Django's BaseListView.get).
_NOT_API_CLASSES = ("View", "ViewSet", "Mixin", "Command", "Handler", "Middleware", "Admin",
                    "Form", "Serializer", "Field", "Test", "TestCase")
_NOT_API_MODULES = frozenset({"views", "management", "commands", "admin", "forms", "middleware"})
# Test doubles shipped in the package (twisted.internet.testing) are no one's hot API.
_TEST_PARTS = frozenset({"testing", "tests", "test", "fakes", "mocks"})
# Dunders that hand out one object per item: what they construct is a per-item object
# (whoosh's Results.__iter__ builds a Hit per document), whose uncalled public methods its
# users call in their loop over the collection.
ITEM_PRODUCERS = frozenset({"__getitem__", "__next__", "__iter__"})
_SETUP_NAMES = frozenset({
    "setUp", "setUpClass", "setup_module", "setup_class", "setup_method", "tearDown",
    "tearDownClass", "teardown_module", "__init_subclass__", "__set_name__", "__class_getitem__",
})


# A function named as a setup step (`setup`, `setup_platform`, `async_setup_entry`, `set_up_db`)
# sets a component up once: a plugin's platform setup builds its handful of devices at start-up
# (Home Assistant's integrations, labelled PLAUSIBLE in run 8: a request per configured device).
_SETUP_FUNCTION = re.compile(r"^(async_)?(setup|set_up)(_|$)")


class EntryPoints:
    """Which role, if any, each function of a program plays."""

    def __init__(self, program: "Program", enabled: Optional[Mapping[str, bool]] = None) -> None:
        self.p = program
        self.enabled = {role: True for role in ROLES}
        self.enabled.update(enabled or {})
        self._url_views: Set[str] = set()
        self._url_classes: Set[str] = set()
        self._collect_urlconfs()
        self._periodic: Set[str] = set()
        self._migrate_hooks: Set[str] = set()
        self._migration_steps: Set[str] = set()
        self._collect_registrations()
        self._collect_migration_steps()
        self._external: Dict[str, Tuple[str, ...]] = {}
        self._per_item_classes: Optional[Set[str]] = None
        self._module_facts: Dict[str, Tuple[bool, bool, bool, bool, bool]] = {}  # _cold_role
        self._command_counts: Dict[str, int] = {}  # package -> its `*_command` modules (_command_modules)
        self._public_modules: Dict[str, bool] = {}  # _public_module
        self._prefixes: Dict[str, Tuple[str, ...]] = {}  # class id -> _dispatch_prefix's prefixes

    def role(self, fid: str) -> Optional[Role]:
        found = self._role(fid)
        if found is None or not self.enabled.get(found.id, True):
            return None
        return found

    def _role(self, fid: str) -> Optional[Role]:
        mod, fn = self.p.functions[fid]
        if fn.qualname == MODULE_SCOPE or mod.is_test:
            return None
        cold = self._cold_role(mod, fn, fid)
        if cold is not None:
            return cold
        decorators = fn.decorators
        if fid in self._url_views:
            return Role("django-view", "Django view (named in a URLconf)", True)
        if decorators and any(_is_task(d) for d in decorators):
            return Role("task", "task (runs once per message)", True, "message")
        if decorators and any(_is_route(d) for d in decorators):
            return Role("route", "web route (runs once per request)", True)
        if fn.cls is None:
            if _in_views_module(mod.module) and fn.params[:1] == ("request",):
                return Role("django-view", "Django view (runs once per request)", True)
            return None
        cid = f"{mod.module}.{fn.cls}"
        if cid not in self.p.classes:
            return None
        external = self.external_bases(cid)
        name = fn.name
        if external and any(b.endswith("ViewSet") for b in external) and (
                name in _VIEWSET_ACTIONS or name in _VIEW_METHODS or any(d.rpartition(".")[2] == "action" for d in decorators)):
            return Role("drf-viewset", "DRF viewset action (runs once per request)", True)
        if name in _VIEW_METHODS and (cid in self._url_classes or any(_is_view_base(b) for b in external)
                                      or self._is_view_class(cid)):
            return Role("class-based-view", "class-based view handler (runs once per request)", True)
        if name == "__bool__":
            # a truth test (`if results:`) guards a use of the collection once; a lazy one's
            # EXISTS query is its design, not a query per item (Airflow's LazySelectSequence,
            # labelled FALSE in run 8). `__len__` still runs per item (`while len(queue):`).
            return Role("protocol-dunder", "__bool__ runs once per truth test: one use is the unit of work", True, "use")
        if name == "__getitem__" and "__iter__" in self.p.classes[cid][1].methods:
            # iteration goes through the class's own __iter__: __getitem__ serves indexing and
            # slices, once per use (Mailman's QuerySequence pages, labelled FALSE in run 11)
            return Role("protocol-dunder", "__getitem__ runs once per index or slice (its class iterates with "
                                           "__iter__): one use is the unit of work", True, "use")
        if name in ITEM_STORES:
            return Role("protocol-dunder", f"{name} runs once per item stored or deleted: one call is the unit of work",
                        True, "use")
        if name in PROTOCOL_DUNDERS:
            return Role("protocol-dunder", f"{name} runs once per item", True, "item")
        # a hook of an external base first: a visitor dispatching `visit_%s` by name still
        # visits once per node (Sphinx's translators), not once per command
        hook = _item_hook(name, external)
        prefix = self._dispatch_prefix(cid, name) if hook is None else None
        if prefix is not None:
            return Role("dispatched-by-name", f"dispatched by name (getattr {prefix!r} + ...): runs once per command", True, "command")
        if hook is not None:
            base, word = hook
            if word in _REQUEST_HOOK_WORDS:
                return Role("item-hook", f"override of {base}.{name}: runs once per request", True, "request")
            if word in _INPUT_HOOK_WORDS and (name in _INPUT_HOOKS or name.startswith("validate_")):
                # a serializer or field reads what a write request submits: one object or one
                # value per request (pretix's validate_code, pulpcore's PRN field: labelled
                # FALSE in runs 9 and 10); its output hooks (to_representation) run per item
                return Role("item-hook", f"override of {base}.{name}: runs once per submitted value (a write request)", True, "request")
            return Role("item-hook", f"override of {base}.{name}: runs once per item", True, "item")
        # Only a class of the library's own API: a method of a subclass of an external class
        # (a Django model's save) is a framework hook, called once per request or form.
        cls_name = fn.cls.rpartition(".")[2]
        uncalled_api = self._public_uncalled(mod, fn, fid, external) and not cls_name.endswith(_NOT_API_CLASSES)
        if uncalled_api and cid in self.per_item_classes():
            return Role("item-object", f"public method {fn.cls}.{name} of an object handed out per item, "
                                       "not called in the repository: runs once per item", True, "item")
        if uncalled_api and name in _PER_ITEM_API:
            # One call is the unit of work: users call it per item, but how many items their
            # loop holds is theirs to know; assuming loop-trips here made a session's load() x100.
            return Role("public-api", f"public API method {fn.cls}.{name}, not called in the repository: one call is the unit of work", True, "request")
        return None

    def _public_uncalled(self, mod: "ModuleSummary", fn: "FunctionSummary", fid: str,
                         external: Tuple[str, ...]) -> bool:
        """A public method of a public class of the library's own (no external base but
        `object`), in a public, non-test module, that nothing in the repository calls: its
        users call it."""
        cls_name = (fn.cls or "").rpartition(".")[2]
        framework = external and any(b not in ("object", "builtins.object") for b in external)  # class X(object): no framework
        return (not fn.name.startswith("_") and not cls_name.startswith("_") and not framework
                and not self.p.callers[fid] and self._public_module(mod.module))

    def _public_module(self, module: str) -> bool:
        """Whether a module's name says it is public API: no private, test or app part."""
        found = self._public_modules.get(module)
        if found is None:
            found = self._public_modules[module] = not any(
                part.startswith("_") or part in _TEST_PARTS or part in _NOT_API_MODULES for part in module.split("."))
        return found

    def per_item_classes(self) -> Set[str]:
        """Classes the package hands out one object per item: built by another class's
        `__getitem__` or `__next__`, or inside a loop of its `__iter__` (a generator yielding
        a new object per element). Not a copy of the collection itself (a slice returning the
        same class, a subclass or a base)."""
        if self._per_item_classes is not None:
            return self._per_item_classes
        found: Set[str] = set()
        functions = self.p.functions
        # the methods so named, listed per module (callgraph.ModuleTables), not every function
        producers = sorted(fid for tables in self.p.tables for fid, fn in tables.item_producers
                           if functions[fid][1] is fn)
        for fid in producers:
            mod, fn = functions[fid]
            if mod.is_test:
                continue
            owner = f"{mod.module}.{fn.cls}"
            if owner not in self.p.classes:
                continue
            family = set(self.p.mro(owner))
            for site in fn.calls:
                if site.cold or (fn.name == "__iter__" and not site.loops):
                    continue  # an error path; an iterator object built once per loop
                for value in self.p.flow.eval(mod, site.callee) or ():
                    cid = value[1] if value[0] == "C" else None
                    if cid is None or cid not in self.p.classes or cid in family or owner in self.p.mro(cid):
                        continue
                    found.add(cid)
        self._per_item_classes = found
        return found

    def _command_modules(self, package: List[str]) -> int:
        """How many `*_command` modules the package holds. Several are a CLI's admin commands
        (Airflow's `cli/commands/*_command.py`), each run once; a lone `cli/main_command.py` is
        a standalone tool's main, whose run over its input is the tool's whole job
        (check-jsonschema's per-file loop, cold before session 24). Counted once per package."""
        key = ".".join(package)
        count = self._command_counts.get(key)
        if count is None:
            prefix = key + "."
            count = self._command_counts[key] = sum(
                1 for name in self.p.modules
                if name.startswith(prefix) and "." not in name[len(prefix):] and name.endswith("_command"))
        return count

    def _cold_role(self, mod: "ModuleSummary", fn: "FunctionSummary", fid: str) -> Optional[Role]:
        # what the module's name and path say, worked out once per module (asked per function)
        facts = self._module_facts.get(mod.module)
        if facts is None:
            parts = mod.module.split(".")
            facts = self._module_facts[mod.module] = (
                _is_migration_module(mod),
                "alembic" in parts[:-1] or "/alembic/" in f"/{mod.path}",
                parts[-1] in ("setup", "conftest"),
                "commands" in parts[:-1],
                "cli" in parts[:-1] and ("commands" in parts[:-1] or (
                    parts[-1].endswith("_command") and self._command_modules(parts[:-1]) > 1)),
            )
        migration, alembic, setup_module, commands, cli_command = facts
        if "periodic" in fn.effects or fid in self._periodic:
            return Role("periodic", "periodic job (cron, beat schedule): runs once per period", False, "run")
        if fid in self._migration_steps:
            return Role("migration", "a migration's RunPython step: runs once", False, "run")
        if "run-once-hook" in fn.effects or fid in self._migrate_hooks:
            return Role("setup", "a migrate hook or a system check: runs once per command", False, "run")
        if migration:
            return Role("migration", "migration: runs once", False, "run")
        if fn.cls is None and fn.name in ("upgrade", "downgrade") and alembic:
            # an Alembic revision (`alembic/versions/<rev>_x.py`): Mailman's pendable indexes,
            # labelled FALSE in run 11
            return Role("migration", "migration: runs once", False, "run")
        if setup_module or fn.name in _SETUP_NAMES or _SETUP_FUNCTION.match(fn.name) or (
                fn.name == "ready" and fn.cls and any(
                b.endswith("AppConfig") for b in self.external_bases(f"{mod.module}.{fn.cls}"))):
            return Role("setup", "setup code: runs once", False, "run")
        if fn.cls and fn.name == "handle" and (commands or any(
                b.endswith("BaseCommand") for b in self.external_bases(f"{mod.module}.{fn.cls}"))):
            return Role("management-command", "management command: runs once", False, "run")
        if fn.cls is None and (fn.name == "main" or any(_is_cli(d) for d in fn.decorators) or any(
                site.target in ("g:argparse.ArgumentParser", "g:optparse.OptionParser") for site in fn.calls)):
            return Role("cli-main", "command-line entry point: runs once", False, "run")
        if fn.cls is None and fn.params[:1] == ("args",) and cli_command:
            # a command function of a CLI package, handed the parsed argparse namespace and
            # dispatched by a parser table (Airflow's `cli/commands/*_command.py`)
            return Role("management-command", "admin command of a CLI package (takes the parsed args): runs once", False, "run")
        return None

    def _is_view_class(self, cid: str) -> bool:
        """A view class of the scanned framework itself (Django's own generic views): a class
        in whose MRO some class is named *View, defines `as_view`, or defines `dispatch` beside
        an HTTP verb handler (an event or report dispatcher's lone `dispatch` is no view)."""
        for klass in self.p.mro(cid):
            cls = self.p.classes[klass][1]
            methods = set(cls.methods)
            if cls.qualname.rpartition(".")[2].endswith("View") or "as_view" in methods or (
                    "dispatch" in methods and methods & _HTTP_VERBS):
                return True
        return False

    def external_bases(self, cid: str) -> Tuple[str, ...]:
        """Dotted names of the bases outside the scanned code, over the class's MRO."""
        cached = self._external.get(cid)
        if cached is not None:
            return cached
        out: List[str] = []
        for klass in self.p.mro(cid):
            for base in self.p.classes[klass][1].bases:
                name = base[2:] if base.startswith("g:") else base
                resolved = self.p.resolve_dotted(name)
                if (resolved is None or resolved[0] != "class") and name not in out:
                    out.append(name)
            out.extend(t for t in _unresolved_bases(self.p.classes[klass][1]) if t not in out)
        self._external[cid] = result = tuple(out)
        return result

    def _dispatch_prefix(self, cid: str, name: str) -> Optional[str]:
        prefixes = self._prefixes.get(cid)
        if prefixes is None:
            # the prefixes of the classes of the MRO in its order, gathered once per class
            # (asked for each of its methods; most classes dispatch by no prefix)
            prefixes = self._prefixes[cid] = tuple(
                prefix for klass in self.p.mro(cid)
                for prefix in self.p.classes[klass][0].dispatch_prefixes.get(self.p.classes[klass][1].qualname, ()))
        for prefix in prefixes:
            if name.startswith(prefix) and len(name) > len(prefix):
                return prefix
        return None

    def _collect_registrations(self) -> None:
        """Tasks a Celery beat schedule runs: `sender.add_periodic_task(3600, cleanup.s())`, and
        receivers connected to a migrate signal: `post_migrate.connect(populate_roles)`.
        (Receivers of a periodic signal are marked in phase 1: effects.PERIODIC_SIGNAL.)"""
        flow = self.p.flow
        modules = [self.p.modules[name] for name in sorted(self.p.modules)]
        # phase 1 marked the few functions that make these registrations (listed per module:
        # callgraph.ModuleTables, in the order of the modules' names, as `modules`)
        for mod, tables in zip(modules, self.p.tables):
            for fn in tables.registering:
                periodic, hooks = REGISTERS_PERIODIC in fn.effects, REGISTERS_MIGRATE_HOOK in fn.effects
                for site in fn.calls:
                    last = site.text.rpartition(".")[2]
                    if periodic and last == "add_periodic_task":
                        found, args = self._periodic, list(site.args) + [value for _, value in site.kwargs]
                    elif hooks and connects_migrate_hook(site.text):
                        found, args = self._migrate_hooks, [site.args[0] if site.args else dict(site.kwargs).get("receiver")]
                    else:
                        continue
                    for arg in args:
                        if arg is None:
                            continue
                        if arg[0] == "c" and arg[1][0] == "a" and arg[1][2] in ("s", "si", "signature"):
                            arg = arg[1][1]  # cleanup.s(): the task's signature
                        if arg[0] == "n":
                            # by name: a task is what an external decorator (@shared_task) returned
                            local = arg[2]
                            if local in mod.functions:
                                found.add(f"{mod.module}.{local}")
                                continue
                            resolved = self.p.resolve_dotted(mod.imports.get(local, ""))
                            if resolved is not None and resolved[0] == "function":
                                found.add(resolved[1])
                                continue
                        for fid, _ in flow.callables(flow.eval(mod, arg)) or ():
                            found.add(fid)

    def _collect_migration_steps(self) -> None:
        """Functions a Django migration runs: `migrations.RunPython(populate, unpopulate)`,
        often defined elsewhere and imported (Nautobot's default cable types, labelled PLAUSIBLE
        in run 12: a get_or_create per row of a fixed table, once per database)."""
        flow = self.p.flow
        for name in sorted(self.p.modules):
            mod = self.p.modules[name]
            if not _is_migration_module(mod):
                continue
            for fn in mod.functions.values():
                for site in fn.calls:
                    if site.text.rpartition(".")[2] != "RunPython":
                        continue
                    for arg in list(site.args) + [value for _, value in site.kwargs]:
                        for fid, _ in flow.callables(flow.eval(mod, arg)) or ():
                            self._migration_steps.add(fid)

    def _collect_urlconfs(self) -> None:
        """Views a URLconf names: path("x/", views.detail), path("y/", Detail.as_view())."""
        flow = self.p.flow
        for name in sorted(self.p.modules):
            if name.rpartition(".")[2] != "urls":
                continue
            mod = self.p.modules[name]
            for site in mod.functions[MODULE_SCOPE].calls:
                resolved = site.target[2:] if site.target.startswith("g:") else site.text
                if resolved not in _URL_FUNCTIONS and site.text not in _URL_FUNCTIONS:
                    continue
                if len(site.args) < 2 or site.args[1] is None:
                    continue
                view = site.args[1]
                if view[0] == "c" and view[1][0] == "a" and view[1][2] == "as_view":
                    for value in flow.eval(mod, view[1][1]) or ():
                        if value[0] == "C":
                            self._url_classes.add(value[1])
                    continue
                for fid, _ in flow.callables(flow.eval(mod, view)) or ():
                    self._url_views.add(fid)


def _is_task(decorator: str) -> bool:
    last = decorator.rpartition(".")[2]
    return decorator in _TASK_DECORATORS or last in ("task", "shared_task") or decorator.endswith(".actor")


def _is_route(decorator: str) -> bool:
    head, _, last = decorator.rpartition(".")
    return bool(head) and last in _ROUTE_VERBS and head.split(".")[0] not in _NOT_ROUTERS


def _is_cli(decorator: str) -> bool:
    last = decorator.rpartition(".")[2]
    return decorator in _CLI_DECORATORS or (decorator.startswith(("click.", "typer.")) or last in ("command", "group"))


def _is_view_base(base: str) -> bool:
    return base.startswith(("django.", "rest_framework.")) and base.endswith("View")


def _in_views_module(module: str) -> bool:
    parts = module.split(".")
    return parts[-1] == "views" or "views" in parts[:-1]


def _unresolved_bases(cls: ClassSummary) -> Tuple[str, ...]:
    """Bases as written that resolved to nothing: `htmlparser.HTMLParser` where `htmlparser`
    is a module object built at run time (Python-Markdown's copy of html.parser). Unknown,
    so outside the scanned code; their names still say which framework's hooks they call."""
    resolved = {b.rpartition(".")[2] for b in cls.bases}
    return tuple(t for t in cls.base_texts if t.rpartition(".")[2] not in resolved)


def _is_migration_module(mod: "ModuleSummary") -> bool:
    parts = mod.module.split(".")
    return "migrations" in parts[:-1] or "/migrations/" in f"/{mod.path}" or parts[-1] in ("migration", "migrations")


def _item_hook(name: str, external: Tuple[str, ...]) -> Optional[Tuple[str, str]]:
    """(external base, the word that matched) when `name` overrides one of its hooks."""
    if not external:
        return None  # most classes: no base outside the program
    words = _HOOK_WORDS.get(name)
    if words is None:
        words = _HOOK_WORDS[name] = _hook_words(name)
    for word in words:
        for base in external:
            module, _, cls = base.rpartition(".")
            if word in cls and not (word == "Filter" and module and not module.startswith("logging")):
                return cls, word
    return None


# method name -> the words of the _ITEM_HOOKS patterns it matches, in order: asked for every
# method of the program, and matching forty patterns each time was most of the role's time
_HOOK_WORDS: Dict[str, Tuple[str, ...]] = {}


def _hook_words(name: str) -> Tuple[str, ...]:
    return tuple(word for pattern, word in _ITEM_HOOKS
                 if (name.startswith(pattern[:-1]) if pattern.endswith("*") else name == pattern))
