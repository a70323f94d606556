"""PFL102 on templates compiled per call from text that does not change (session 32): a
module-level environment (`jenv = jinja2.Environment()`, a sandbox), Flask's
render_template_string, and the whole text of a file the code names (a template or a schema
shipped beside the code)."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src):
    return [(f.line, f.function, f.confidence, f.message)
            for f in lint_sources({"m.py": src}, select=("PFL102",), config=Config(min_severity="note"))]


TEMPLATES = '''
import json
import os
from pathlib import Path
import jinja2
from jinja2 import sandbox
from flask import render_template_string

jenv = jinja2.Environment()
SANDBOX = sandbox.ImmutableSandboxedEnvironment()
TEMPLATE = "<p>{{ r }}</p>"
TEMPLATE_PATH = os.path.join(os.path.dirname(__file__), "templates", "page.html")

def render_a(rows):
    return [jenv.from_string(TEMPLATE).render(r=r) for r in rows]

def render_b(rows):
    return [SANDBOX.from_string(TEMPLATE).render(r=r) for r in rows]

def render_c(rows):
    return [render_template_string(TEMPLATE, r=r) for r in rows]

def page(r):
    with open(TEMPLATE_PATH) as f:
        return jenv.from_string(f.read()).render(r=r)

def render_d(rows):
    return [page(r) for r in rows]

def settings(key):
    return json.loads(Path("conf/settings.json").read_text())[key]

def lookups(keys):
    return [settings(k) for k in keys]
'''


def test_templates_and_file_texts_that_do_not_change_compiled_per_call():
    assert found(TEMPLATES) == [
        (15, "render_a", "high", "from_string() compiles 'TEMPLATE' (unchanged by the loop) into a template on every iteration"),
        (18, "render_b", "high", "from_string() compiles 'TEMPLATE' (unchanged by the loop) into a template on every iteration"),
        (21, "render_c", "high",
         "render_template_string() compiles 'TEMPLATE' (unchanged by the loop) into a template on every iteration"),
        (25, "page", "medium", "from_string() compiles the text of file TEMPLATE_PATH into a template on every call"),
        (31, "settings", "medium",
         "json.loads() parses the text of file 'conf/settings.json' again on every call: the result is the same each time"),
    ]


NEAR_MISSES = '''
import jinja2

jenv = jinja2.Environment()
TEMPLATE = "<p>{{ r }}</p>"

def render_e(rows, path):
    out = []
    for r in rows:
        with open(path) as f:
            out.append(jenv.from_string(f.read()).render(r=r))
    return out

def render_f(rows):
    jenv = make_env()
    return [jenv.from_string(TEMPLATE).render(r=r) for r in rows]

def render_g(rows, request):
    for r in rows:
        with open(request.path) as f:
            jenv.from_string(f.read(100)).render(r=r)

def render_h(rows):
    for r in rows:
        with open(r.template_path) as f:
            jenv.from_string(f.read()).render(r=r)
'''


def test_a_file_the_caller_names_or_a_local_of_another_kind_is_left_alone():
    # a path parameter, a local that shadows the module's environment, a partial read, a path per row
    assert found(NEAR_MISSES) == []
