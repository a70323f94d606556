"""PFL102: a template text formatted from a literal table by a key the caller passes is one of
the few texts the table spells out, compiled again on every call (notifications-admin's form
macros: render_template_string of an f-string over a dict of six components, per field)."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src):
    return [(f.line, f.function, f.confidence, f.message)
            for f in lint_sources({"m.py": src}, select=("PFL102",), config=Config(min_severity="note"))]


MACROS = '''
from flask import render_template_string

def render_macro(component, params):
    components = {
        "radios": {"path": "components/radios/macro.html", "macro": "govukRadios"},
        "input": {"path": "components/input/macro.html", "macro": "govukInput"},
    }
    template_string = f"""
        {{%- from '{components[component]["path"]}' import {components[component]["macro"]} -%}}
        {{{{ {components[component]["macro"]}(params) }}}}
    """
    return render_template_string(template_string, params=params)

def render_fields(fields):
    return [render_macro(f.kind, f.params) for f in fields]
'''


def test_a_template_text_formatted_from_a_literal_table_is_one_of_few():
    assert found(MACROS) == [
        (13, "render_macro", "medium",
         "render_template_string() compiles a text formatted from table 'components' (one of the few it spells out) "
         "into a template on every call"),
    ]


NEAR_MISSES = '''
from flask import render_template_string

def from_param(name, params):
    return render_template_string(f"<p>{name}</p>", params=params)

def from_changed_table(component, extra, params):
    components = {"radios": "a.html"}
    components["other"] = extra
    return render_template_string(f"{{% include '{components[component]}' %}}", params=params)

def from_table_changed_after_a_del(component, extra, params):
    components = {"radios": "a.html"}
    scratch = 1
    del scratch
    components.update(extra)
    return render_template_string(f"{{% include '{components[component]}' %}}", params=params)

def from_built_table(component, paths, params):
    components = {"radios": paths[0]}
    return render_template_string(f"{{% include '{components[component]}' %}}", params=params)

def from_param_table(components, component, params):
    return render_template_string(f"{{% include '{components[component]}' %}}", params=params)

def render_fields(fields, paths):
    for f in fields:
        from_param(f.name, f.params)
        from_changed_table(f.kind, f.extra, f.params)
        from_table_changed_after_a_del(f.kind, f.extra, f.params)
        from_built_table(f.kind, paths, f.params)
        from_param_table(f.table, f.kind, f.params)
'''


def test_a_text_from_a_parameter_or_a_table_that_is_not_literal_is_data():
    # a parameter in the text, a table the function changes, a table holding a parameter's
    # item, a table that is itself a parameter
    assert found(NEAR_MISSES) == []
