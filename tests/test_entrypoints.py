"""Entry points by role: which functions run per request, per item or once, and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perflint.analyze import Analyzer
from perflint.callgraph import Program
from perflint.config import Config, ConfigError, parse_config
from perflint.discovery import SourceFile
from perflint.testing import lint_sources

SOURCES = {
    "shop/views.py": (
        "from django.views import View\n"
        "from django.views.generic import ListView\n"
        "from rest_framework import viewsets\n"
        "from rest_framework.decorators import action\n"
        "def detail(request, pk):\n    return pk\n"
        "def helper(x):\n    return x\n"
        "def named_in_urls(req):\n    return req\n"
        "class Home(View):\n    def get(self, request):\n        return 1\n    def _private(self):\n        return 2\n"
        "class Orders(ListView):\n    def get_queryset(self):\n        return []\n"
        "class OrderViewSet(viewsets.ModelViewSet):\n    def list(self, request):\n        return []\n"
        "    @action(detail=True)\n    def ship(self, request, pk=None):\n        return pk\n"
        "class Plain:\n    def get(self, request):\n        return 1\n"
    ),
    "shop/urls.py": (
        "from django.urls import path\nfrom shop import views\n"
        "urlpatterns = [path('a/', views.named_in_urls), path('b/', views.Plain.as_view())]\n"
    ),
    "web/app.py": (
        "from flask import Flask\nfrom fastapi import APIRouter\n"
        "app = Flask(__name__)\nrouter = APIRouter()\n"
        "@app.route('/')\ndef index():\n    return 'x'\n"
        "@router.get('/items')\nasync def items():\n    return []\n"
        "@property\ndef not_a_route():\n    return 1\n"
    ),
    "work/tasks.py": (
        "from celery import shared_task, Celery\napp = Celery()\n"
        "@shared_task\ndef resize(i):\n    return i\n"
        "@app.task\ndef email(i):\n    return i\n"
    ),
    "work/shell.py": (
        "import ast\nimport logging\n"
        "class Shell:\n"
        "    def run(self, cmd):\n        return getattr(self, 'do_' + cmd)()\n"
        "    def do_list(self):\n        return []\n"
        "    def other(self):\n        return 1\n"
        "class Names(ast.NodeVisitor):\n    def visit_Name(self, node):\n        return node\n    def report(self):\n        return 1\n"
        "class Sink(logging.Handler):\n    def emit(self, record):\n        return record\n"
        "from django.middleware.locale import LocaleMiddleware\n"
        "class Locale(LocaleMiddleware):\n    def process_request(self, request):\n        return request\n"
        "class Bag:\n    def __len__(self):\n        return 0\n    def __iter__(self):\n        return iter(())\n"
    ),
    "store/testing.py": "class FakeStore:\n    def put(self, key):\n        return key\n",
    "store/kv.py": (
        "class Store:\n    def put(self, key):\n        return key\n    def get(self, key):\n        return key\n"
        "    def compact(self):\n        return 0\n"
        "class _Internal:\n    def put(self, key):\n        return key\n"
        "class PageMixin:\n    def get(self, request):\n        return request\n"
        "class Loader:\n    def load(self, key):\n        return key\n"
        "def use(s: Store):\n    return s.get(1)\n"
        "from django.db import models\n"
        "class Banner(models.Model):\n    def save(self, *args):\n        return args\n"
    ),
    "ops/management/commands/rebuild.py": (
        "from django.core.management.base import BaseCommand\n"
        "class Command(BaseCommand):\n    def handle(self, *args, **options):\n        return 0\n"
    ),
    "ops/cli.py": (
        "import argparse\nimport click\n"
        "@click.command()\ndef sync():\n    return 0\n"
        "def main():\n    return 0\n"
        "def parse():\n    p = argparse.ArgumentParser()\n    return p\n"
    ),
    "shop/migrations/m0001.py": "def forwards(apps, schema_editor):\n    return 0\n",
    # a module named `migration`; a plugin's platform setup (named as a setup step)
    "rec/migration.py": "def apply_update(session, version):\n    return 0\n",
    "rec/switch.py": (
        "def setup_platform(hass, config, add_entities):\n    return 0\n"
        "async def async_setup_entry(hass, entry):\n    return 0\n"
        "def setup_logging(level):\n    return level\n"
        "def setupper(x):\n    return x\n"
    ),
}


def build(sources, roles=None) -> Program:
    analyzer = Analyzer([])
    summaries = []
    for path, src in sorted(sources.items()):
        module = path[:-3].replace("/", ".")
        summaries.append(analyzer.analyze_bytes(SourceFile(Path(path), path, module, False, False), src.encode()))
    return Program(summaries, roles=roles)


@pytest.fixture(scope="module")
def program():
    return build(SOURCES)


def roles_of(p: Program):
    return {fid: (role.id, role.hot) for fid, role in p.roles.items()}


EXPECTED = {
    "shop.views.detail": ("django-view", True),
    "shop.views.named_in_urls": ("django-view", True),
    "shop.views.Home.get": ("class-based-view", True),
    "shop.views.Orders.get_queryset": ("class-based-view", True),
    "shop.views.OrderViewSet.list": ("drf-viewset", True),
    "shop.views.OrderViewSet.ship": ("drf-viewset", True),
    "shop.views.Plain.get": ("class-based-view", True),  # named in a URLconf via .as_view()
    "web.app.index": ("route", True),
    "web.app.items": ("route", True),
    "work.tasks.resize": ("task", True),
    "work.tasks.email": ("task", True),
    "work.shell.Shell.do_list": ("dispatched-by-name", True),
    "work.shell.Names.visit_Name": ("item-hook", True),
    "work.shell.Sink.emit": ("item-hook", True),
    "work.shell.Locale.process_request": ("item-hook", True),
    "work.shell.Bag.__len__": ("protocol-dunder", True),
    "store.kv.Store.put": ("public-api", True),
    "ops.management.commands.rebuild.Command.handle": ("management-command", False),
    "ops.cli.sync": ("cli-main", False),
    "ops.cli.main": ("cli-main", False),
    "ops.cli.parse": ("cli-main", False),
    "shop.migrations.m0001.forwards": ("migration", False),
    "rec.migration.apply_update": ("migration", False),
    "rec.switch.setup_platform": ("setup", False),
    "rec.switch.async_setup_entry": ("setup", False),
    "rec.switch.setup_logging": ("setup", False),
}


def test_roles_are_exactly_the_expected_ones(program):
    assert roles_of(program) == EXPECTED


def test_hot_roles_start_hot_and_say_why(program):
    # A route is the unit of work: its body runs once per request (heat 1), loops in it multiply.
    assert program.heat["web.app.index"] == 1.0
    assert program.root_note["web.app.index"] == "web route (runs once per request)"
    # Code that runs once per item of a loop elsewhere starts as hot as a loop body.
    assert program.heat["work.shell.Bag.__len__"] == program.loop_trips
    assert program.heat["work.shell.Names.visit_Name"] == program.loop_trips
    # An uncalled public API method: one call is the unit of work (hot, x1)
    assert program.heat["store.kv.Store.put"] == 1.0 and program.hot["store.kv.Store.put"]
    assert program.heat["work.shell.Shell.do_list"] == 1.0
    assert program.heat["work.shell.Locale.process_request"] == 1.0  # once per request, not per item
    assert program.root_note["work.shell.Locale.process_request"] == "override of LocaleMiddleware.process_request: runs once per request"
    assert program.root_note["work.shell.Shell.do_list"] == "dispatched by name (getattr 'do_' + ...): runs once per command"
    assert program.root_note["work.shell.Names.visit_Name"] == "override of NodeVisitor.visit_Name: runs once per item (x100, loop-trips)"
    assert program.heat["ops.cli.main"] == 1.0
    assert program.root_note["ops.cli.main"] == "command-line entry point: runs once"
    # not roles: a helper, a private method, __iter__ (once per loop), a method with callers
    for fid in ("shop.views.helper", "shop.views.Home._private", "work.shell.Bag.__iter__",
                "store.kv.Store.get", "store.kv._Internal.put", "store.kv.Store.compact",
                "work.shell.Shell.other", "work.shell.Names.report", "web.app.not_a_route",
                "store.kv.Banner.save", "store.testing.FakeStore.put",
                "store.kv.PageMixin.get", "store.kv.Loader.load"):  # a model's save is a framework hook, not a per-item API
        assert fid not in program.roles, fid
        assert program.heat[fid] == 1.0, fid


def test_roles_can_be_turned_off():
    p = build(SOURCES, roles={"public-api": False, "route": False})
    found = roles_of(p)
    assert "store.kv.Store.put" not in found and "web.app.index" not in found
    assert found["work.tasks.resize"] == ("task", True)


def test_entry_roles_config_is_validated():
    cfg = parse_config({"entry-roles": {"public-api": False}}, Path("perflint.toml"), "perflint.toml", set(), set())
    assert cfg.entry_roles == {"public-api": False}
    with pytest.raises(ConfigError, match=r"key 'entry-roles.public_api': unknown role"):
        parse_config({"entry-roles": {"public_api": False}}, Path("perflint.toml"), "perflint.toml", set(), set())
    with pytest.raises(ConfigError, match=r"key 'entry-roles.route': must be true or false"):
        parse_config({"entry-roles": {"route": "no"}}, Path("perflint.toml"), "perflint.toml", set(), set())


def test_traces_name_the_role_and_per_item_roles_heat_their_findings():
    route = ("import os\nfrom flask import Flask\napp = Flask(__name__)\n"
             "def harden(fd):\n    os.fsync(fd)\n"
             "@app.post('/save')\ndef save(fds):\n    for fd in fds:\n        harden(fd)\n")
    f = next(f for f in lint_sources({"app.py": route}) if f.rule == "PFL402")
    assert f.severity in ("warning", "error") and f.frequency == 100.0  # an fsync (~100 us) per item of the request's loop
    assert [(h.function, h.note) for h in f.trace] == [
        ("save", "web route (runs once per request)"),
        ("save", "calls harden inside a for loop (line 8, x100 (unknown bound: loop-trips))")]
    # Once per request, no loop: one fsync per unit of work is not a repeated one.
    once = route.replace("    for fd in fds:\n        harden(fd)", "    harden(fds)")
    assert not [f for f in lint_sources({"app.py": once}) if f.rule == "PFL402"]
    dunder = "import os\nclass Journal:\n    def __len__(self):\n        os.fsync(self.fd)\n        return 0\n"
    f = next(f for f in lint_sources({"j.py": dunder}) if f.rule == "PFL402")
    assert f.severity in ("warning", "error") and f.frequency == 100.0  # an fsync (~100 us) per item
    assert f.trace[0].note == "__len__ runs once per item (x100, loop-trips)"


def test_graph_shows_edge_kinds_and_roles(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from perflint.cli import cli

    (tmp_path / "app.py").write_text(
        "from flask import Flask\napp = Flask(__name__)\n"
        "class A:\n    def run(self):\n        return self.step()\n    def step(self):\n        return 1\n"
        "class B(A):\n    def step(self):\n        return 2\n"
        "@app.route('/')\ndef index():\n    return A().run()\n")
    monkeypatch.chdir(tmp_path)
    text = CliRunner().invoke(cli, ["graph", "."]).output
    assert "app.index  heat=1  role=route (hot)" in text
    assert "  -> app.A.run  (line 13; exact)" in text
    assert "  -> app.B.step  (line 5; bounded)" in text
    data = json.loads(CliRunner().invoke(cli, ["graph", ".", "--format", "json"]).output)
    node = next(n for n in data["nodes"] if n["id"] == "app.index")
    assert (node["role"], node["hot_role"]) == ("route", True)
    kinds = {(e["caller"], e["callee"]): e["kind"] for e in data["edges"]}
    assert kinds[("app.A.run", "app.A.step")] == "bounded"
    assert kinds[("app.index", "app.A.run")] == "exact"
    pycg = json.loads(CliRunner().invoke(cli, ["graph", ".", "--format", "pycg"]).output)
    assert pycg["app.A.run"] == ["app.A.step", "app.B.step"]


def test_public_api_needs_no_callers_and_a_per_item_name():
    p = build({"kv.py": "class Store:\n    def put(self, k):\n        return k\ndef fill(s: Store, ks):\n    for k in ks:\n        s.put(k)\n"})
    assert "kv.Store.put" not in p.roles
    assert p.heat["kv.Store.put"] == 100.0  # heat from the loop instead
    assert p.root_note["kv.Store.put"].startswith("called once per run of its callers")


def test_a_lone_dispatch_method_is_no_view_but_a_framework_view_class_is():
    # kube-hunter's HTTPDispatcher.dispatch(report) sends one report per run: not a request handler.
    p = build({
        "report.py": "class HTTPDispatcher:\n    def dispatch(self, report):\n        return report\n",
        "views.py": "class View:\n    def dispatch(self, request):\n        return self.get(request)\n"
                    "    def get(self, request):\n        return 1\n"
                    "class Page(View):\n    def get(self, request):\n        return 2\n",
    })
    assert "report.HTTPDispatcher.dispatch" not in p.roles
    assert p.roles["views.Page.get"].id == "class-based-view"
    assert p.roles["views.View.dispatch"].id == "class-based-view"


def test_default_config_enables_every_role():
    assert Config().entry_roles == {}


def test_a_base_that_resolves_to_nothing_still_names_its_hooks():
    # Python-Markdown subclasses a copy of html.parser built at run time: `htmlparser` is a
    # module object, not an import, so its HTMLParser resolves to nothing.
    src = ("import importlib.util\n"
           "htmlparser = importlib.util.module_from_spec(importlib.util.find_spec('html.parser'))\n"
           "class Extractor(htmlparser.HTMLParser):\n"
           "    def handle_starttag(self, tag, attrs):\n"
           "        return tag\n"
           "class Plain(htmlparser.Thing):\n"
           "    def handle_starttag(self, tag, attrs):\n"
           "        return tag\n")
    p = build({"ext.py": src})
    assert p.roles["ext.Extractor.handle_starttag"].id == "item-hook"
    assert p.heat["ext.Extractor.handle_starttag"] == 100.0
    assert "ext.Plain.handle_starttag" not in p.roles  # the base's name says no framework


ITEM_OBJECTS = {
    "search/results.py": (
        "class Hit(object):\n"
        "    def __init__(self, results, docnum):\n        self.results = results\n        self.docnum = docnum\n"
        "    def more_like_this(self, field):\n        return self.docnum\n"
        "    def fields(self):\n        return {}\n"
        "    def _private(self):\n        return 0\n"
        "class Results:\n"
        "    def __init__(self, docs):\n        self.docs = docs\n"
        "    def __iter__(self):\n        for d in self.docs:\n            yield Hit(self, d)\n"
        "    def __getitem__(self, n):\n        if isinstance(n, slice):\n            return Results(self.docs[n])\n"
        "        return Hit(self, self.docs[n])\n"
        "    def first(self):\n        return Hit(self, self.docs[0]).fields()\n"
        # an iterator object built once per loop: not a per-item object
        "class Cursor:\n    def __init__(self, rows):\n        self.rows = rows\n"
        "    def rewind(self):\n        return 0\n"
        "class Table:\n    def __iter__(self):\n        return Cursor([])\n"
        # a row handed out per item, but its method has a caller in the repository
        "class Row:\n    def render(self):\n        return ''\n"
        "class Rows:\n    def __next__(self):\n        return Row()\n"
        "def show(r: Row):\n    return r.render()\n"
    ),
}


def test_public_methods_of_objects_handed_out_per_item_run_per_item():
    # whoosh's Results yields a Hit per document; users call hit.more_like_this() in their
    # loop over the results, once per hit.
    p = build(ITEM_OBJECTS)
    assert p.entry_points.per_item_classes() == {"search.results.Hit", "search.results.Row"}
    assert p.roles["search.results.Hit.more_like_this"].id == "item-object"
    assert p.heat["search.results.Hit.more_like_this"] == p.loop_trips
    assert p.root_note["search.results.Hit.more_like_this"] == (
        "public method Hit.more_like_this of an object handed out per item, not called in the "
        "repository: runs once per item (x100, loop-trips)")
    # not roles: a method the package calls itself (heat from its caller), a private method,
    # the collection that is sliced into a copy of itself, an iterator built once per loop,
    # a per-item object's method that has a caller
    for fid in ("search.results.Hit.fields", "search.results.Hit._private", "search.results.Results.first",
                "search.results.Cursor.rewind", "search.results.Row.render"):
        assert fid not in p.roles, fid
    assert "search.results.Results" not in p.entry_points.per_item_classes()
    assert "search.results.Cursor" not in p.entry_points.per_item_classes()
    assert not build(ITEM_OBJECTS, roles={"item-object": False}).roles.get("search.results.Hit.more_like_this")


def test_a_per_item_object_method_heats_what_it_reaches():
    src = ("import os\n"
           "class Entry(object):\n"
           "    def __init__(self, fd):\n        self.fd = fd\n"
           "    def persist(self):\n        os.fsync(self.fd)\n"
           "class Journal:\n"
           "    def __init__(self, fds):\n        self.fds = fds\n"
           "    def __iter__(self):\n        for fd in self.fds:\n            yield Entry(fd)\n")
    f = next(f for f in lint_sources({"journal.py": src}) if f.rule == "PFL402")
    assert f.frequency == 100.0 and f.severity in ("warning", "error")  # an fsync per entry
    assert f.trace[0].note.startswith("public method Entry.persist of an object handed out per item")
    # The same object built once, outside a per-item dunder: no role, one fsync per call.
    once = src.replace("    def __iter__(self):\n        for fd in self.fds:\n            yield Entry(fd)\n",
                       "    def last(self):\n        return Entry(self.fds[-1])\n")
    assert not [f for f in lint_sources({"journal.py": once}) if f.rule == "PFL402"]


def test_methods_named_by_percent_or_format_templates_are_dispatched_by_name():
    # mistune's block lexer: getattr(self, 'parse_%s' % key)(m); a shell's "do_{}".format(cmd)
    p = build({
        "lex.py": (
            "class BlockLexer:\n"
            "    def parse(self, text, rules):\n"
            "        for key in rules:\n            getattr(self, 'parse_%s' % key)(text)\n"
            "    def parse_block_code(self, m):\n        pass\n"
            "    def helper(self):\n        pass\n"
            "class Shell:\n"
            "    def run(self, cmd):\n        return getattr(self, 'do_{}'.format(cmd))()\n"
            "    def do_list(self):\n        pass\n"
            "from docutils.nodes import NodeVisitor\n"
            "class Translator(NodeVisitor):\n"
            "    def dispatch_visit(self, node):\n        getattr(self, 'visit_%s' % node.tagname)(node)\n"
            "    def visit_paragraph(self, node):\n        pass\n"
        ),
    })
    roles = roles_of(p)
    # an external visitor's hook keeps its per-node role (Sphinx's translators)
    assert roles["lex.Translator.visit_paragraph"] == ("item-hook", True)
    assert roles["lex.BlockLexer.parse_block_code"] == ("dispatched-by-name", True)
    assert roles["lex.Shell.do_list"] == ("dispatched-by-name", True)
    assert "lex.BlockLexer.helper" not in roles
