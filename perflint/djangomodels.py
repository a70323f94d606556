"""Django models' reverse relations across the program: the names under which a model's
related managers are reached (`document.revisions`), from the relation fields other models
declare with `related_name=`.

Phase 1 (context.py) records, per class, each relation field's declared `related_name` and
target as written (ClassSummary.related), and what its `class Meta:` says (`abstract = True`,
`app_label`); the managers a class body makes of the program's queryset and manager classes
(ClassSummary.managers), and per function the relations its select_related/prefetch_related
calls name (FunctionSummary.prefetches), for `prefetched_by`. Phase 2 (`reverse_names`) expands Django's `%(class)s`, `%(model_name)s` and
`%(app_label)s` placeholders for every concrete class that holds the field (an abstract
model's fields are copied into each concrete subclass), drops `+` (no reverse manager) and
files each name under the class the field points to. Both halves read only summaries, so a
cached file's facts stay correct when another file changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Set, Tuple

import libcst as cst

from perflint import values  # values.py imports this module back: its names are read at call time

if TYPE_CHECKING:  # pragma: no cover
    from perflint.callgraph import Program

# Django model fields that hold a relation (modelcluster's ParentalKey is a ForeignKey).
RELATION_FIELDS = ("ForeignKey", "OneToOneField", "ManyToManyField", "ParentalKey")


def declared_relation(value: cst.BaseExpression) -> Optional[Tuple[str, str, bool]]:
    """(related_name, target, target is a string) of `models.ForeignKey(Target,
    related_name="x")` in a class body (the target also as `to=`); None for anything else,
    or when no literal related_name is given (the default `<model>_set` needs no record)."""
    if type(value) is not cst.Call:
        return None
    called = values.dotted_text(value.func)  # type: ignore[attr-defined]
    if called is None or called.rpartition(".")[2] not in RELATION_FIELDS:
        return None
    name: Optional[str] = None
    target: Optional[cst.BaseExpression] = None
    for arg in value.args:  # type: ignore[attr-defined]
        if arg.keyword is None and not arg.star and target is None:
            target = arg.value
        elif arg.keyword is not None and arg.keyword.value == "to":
            target = arg.value
        elif arg.keyword is not None and arg.keyword.value == "related_name":
            text = arg.value.evaluated_value if isinstance(arg.value, cst.SimpleString) else None
            if not isinstance(text, str):
                return None
            name = text
    if name is None or target is None:
        return None
    if isinstance(target, cst.SimpleString):
        text = target.evaluated_value
        return (name, text, True) if isinstance(text, str) else None
    written = values.dotted_text(target)
    return (name, written, False) if written else None


def app_label(module: str, declared: str) -> str:
    """The model's app label: its Meta's, else the package that holds the models module
    (`kitsune.wiki.models` -> `wiki`), as Django's AppConfig derives it."""
    if declared:
        return declared
    parts = module.split(".")
    if "models" in parts[1:]:
        return parts[parts.index("models", 1) - 1]
    return parts[-2] if len(parts) > 1 else parts[0]


def _targets(program: Program, target: str, holder: str, by_name: Dict[str, List[str]]) -> List[str]:
    """The class ids a field's target names: `g:<dotted>` resolved, `s:self` the class that
    holds the field, `s:Model` or `s:app_label.Model` every class of that name (in that app)."""
    if target.startswith("g:"):
        found = program.resolve_dotted(target[2:])
        return [found[1]] if found is not None and found[0] == "class" else []
    text = target[2:]
    if text == "self":
        return [holder]
    label, _, model = text.rpartition(".")
    out = []
    for cid in by_name.get(model, ()):
        mod, cls = program.classes[cid]
        if not label or app_label(mod.module, cls.app_label) == label:
            out.append(cid)
    return out


def reverse_names(program: Program) -> Dict[str, Set[str]]:
    """Class id -> the reverse manager names other models' relation fields declare for it
    (worked out once per program)."""
    cached = program.reverse_names
    if cached is not None:
        return cached
    found: Dict[str, Set[str]] = {}
    declaring = [cid for cid, (_, cls) in program.classes.items() if cls.related]
    by_name: Dict[str, List[str]] = {}
    if declaring:
        for cid in sorted(program.classes):
            by_name.setdefault(cid.rpartition(".")[2], []).append(cid)
    for cid in sorted(declaring):
        _, cls = program.classes[cid]
        for holder in [cid] + program.flow.subclasses(cid):
            hmod, hcls = program.classes[holder]
            if hcls.abstract:
                continue  # an abstract model has no table: its concrete subclasses hold the field
            lowered = holder.rpartition(".")[2].lower()
            fill = {"class": lowered, "model_name": lowered, "app_label": app_label(hmod.module, hcls.app_label).lower()}
            for declared, target in cls.related:
                try:
                    name = declared % fill
                except (KeyError, ValueError, TypeError):
                    continue
                if not name or name.endswith("+"):
                    continue  # `related_name="+"`: no reverse manager
                for model in _targets(program, target, holder, by_name):
                    found.setdefault(model, set()).add(name)
    program.reverse_names = found
    return found


def has_reverse_manager(program: Program, model: str, name: str) -> bool:
    """Whether the in-repo model class (dotted name) or one of its bases is the target of a
    relation field that declares `name` as its related_name."""
    resolved = program.resolve_dotted(model)
    if resolved is None or resolved[0] != "class":
        return False
    names = reverse_names(program)
    return any(name in names.get(klass, ()) for klass in program.mro(resolved[1]))


# Queryset methods that load relations with the rows (`select_related("plan")`).
LOADERS = ("select_related", "prefetch_related")


def loaded_relations(call: cst.Call) -> Tuple[str, ...]:
    """The relations a `select_related(...)`/`prefetch_related(...)` call loads onto each
    row: the first part of each literal lookup (`"owners__profile"`: owners) and of each
    `Prefetch("plan", ...)`. A `Prefetch("projects", to_attr="x")` fills the list `x`, not the
    relation's own cache (reading `row.projects` still queries): only a longer lookup's first
    part is loaded then, on the way."""
    out: List[str] = []
    for arg in call.args:
        if arg.star or arg.keyword is not None:
            continue
        value = arg.value
        whole = True
        if type(value) is cst.Call:
            if (values.dotted_text(value.func) or "").rpartition(".")[2] != "Prefetch":  # type: ignore[attr-defined]
                continue
            given = [a for a in value.args if not a.star]  # type: ignore[attr-defined]
            first = next((a.value for a in given if a.keyword is None or a.keyword.value == "lookup"), None)
            whole = not any(a.keyword is not None and a.keyword.value == "to_attr" for a in given)
            if first is None:
                continue
            value = first
        text = value.evaluated_value if type(value) is cst.SimpleString else None  # type: ignore[attr-defined]
        if not isinstance(text, str) or not text:
            continue
        head, sep, _ = text.partition("__")
        if whole or sep:
            out.append(head)
    return tuple(out)


def manager_classes(value: cst.BaseExpression) -> Tuple[str, ...]:
    """The classes, as written, a manager built in a class body draws its methods from:
    `QS.as_manager()` (QS), `M.from_queryset(QS)()` (M and QS). Empty for anything else (a
    plain `M()` is an attribute type already)."""
    if type(value) is not cst.Call or value.args:  # type: ignore[attr-defined]
        return ()
    func = value.func  # type: ignore[attr-defined]
    if type(func) is cst.Attribute and func.attr.value == "as_manager":  # type: ignore[attr-defined]
        text = values.dotted_text(func.value)  # type: ignore[attr-defined]
        return (text,) if text else ()
    if type(func) is cst.Call and type(func.func) is cst.Attribute and func.func.attr.value == "from_queryset" \
            and len(func.args) == 1 and not func.args[0].star:  # type: ignore[attr-defined]
        texts = (values.dotted_text(func.func.value), values.dotted_text(func.args[0].value))  # type: ignore[attr-defined]
        return tuple(t for t in texts if t)
    return ()


def prefetched_by(program: Program, model: str, relation: str, methods: Iterable[str]) -> bool:
    """Whether a chain from `model.objects` that calls `methods` loads `relation` in one of
    them: a method of the manager's own classes in the program (the queryset class of
    `as_manager()`/`from_queryset()`, the manager class, their bases), or the manager's
    `get_queryset`, which every chain from it goes through, names the relation to
    select_related/prefetch_related in its body."""
    resolved = program.resolve_dotted(model)
    if resolved is None or resolved[0] != "class":
        return False
    sources: List[str] = []
    for klass in program.mro(resolved[1]):  # the first class that declares `objects` sets it
        cls = program.classes[klass][1]
        sources = [typ for attr, typ in cls.managers if attr == "objects"]
        if not sources and cls.attr_types.get("objects"):
            sources = [cls.attr_types["objects"]]
        if sources or "objects" in cls.attrs:
            break
    wanted = set(methods) | {"get_queryset"}
    for source in sources:
        found = program.resolve_dotted(source[2:])
        if found is None or found[0] != "class":
            continue
        for method in sorted(wanted):
            fid = program.lookup_method(found[1], method)
            if fid is not None and fid in program.functions and relation in program.functions[fid][1].prefetches:
                return True
    return False
