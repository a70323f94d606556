"""Session nineteen, sync family (issue 13): module-level HTTP helpers called through a dispatch
table by HTTP verb (ns1-python's requests transport, bench/realbugs.toml). PFL403 knew the helpers
called directly and a parameter every caller fills with one of them, not `self.REQ_MAP[method](url)`
where `__init__` stores `{"GET": requests.get, ...}`. Now a call through a table whose every
binding is a dict display of one library's helpers is reported; a table of a session's bound
methods, one with another value, one filled with `**` or stored into, and a table called once per
unit of work are not. Each test fails on the code before the change."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def seen(source: str):
    return [(f.line, f.severity, f.message) for f in lint_sources({"m.py": source}, select=("PFL403",),
                                                                   config=Config(min_severity="note"))
            if f.rule == "PFL403" and f.path == "m.py"]


TRANSPORT = '''
import requests


class Transport:
    def __init__(self, config):
        self.REQ_MAP = {
            "GET": requests.get,
            "POST": requests.post,
            "DELETE": requests.delete,
        }
        self._timeout = config.get("timeout")

    def _send(self, method, url):
        resp = self.REQ_MAP[method](url, timeout=self._timeout)
        return resp.headers, resp.json()

    def send(self, method, url):
        headers, body = self._send(method, url)
        out = [body]
        while headers.get("next"):
            headers, body = self._send(method, headers["next"])
            out.append(body)
        return out
'''

MESSAGE = ("self.REQ_MAP[...]() calls a module-level HTTP helper of requests (requests.get, requests.post, "
           "...) taken from the table self.REQ_MAP: it opens a new HTTP connection (a throwaway requests.Session) on every "
           "call of _send(), and it runs repeatedly")


def test_table_of_helpers_called_per_page_is_reported():
    assert seen(TRANSPORT) == [(15, "error", MESSAGE)]


def test_fixed_table_of_a_kept_sessions_methods_is_quiet():
    fixed = TRANSPORT.replace('''        self.REQ_MAP = {
            "GET": requests.get,
            "POST": requests.post,
            "DELETE": requests.delete,
        }''', '''        self._session = requests.Session()
        self.REQ_MAP = {
            "GET": self._session.get,
            "POST": self._session.post,
            "DELETE": self._session.delete,
        }''')
    assert fixed != TRANSPORT
    assert seen(fixed) == []


def test_table_with_another_value_is_quiet():
    mixed = TRANSPORT.replace('"DELETE": requests.delete,', '"DELETE": self._delete,')
    assert mixed != TRANSPORT
    assert seen(mixed) == []


def test_table_stored_into_or_splatted_is_quiet():
    stored = TRANSPORT.replace('        self._timeout = config.get("timeout")',
                               '        self.REQ_MAP["PATCH"] = config["patch"]\n        self._timeout = config.get("timeout")')
    splatted = TRANSPORT.replace('"DELETE": requests.delete,', '**config["extra"],')
    assert stored != TRANSPORT and splatted != TRANSPORT
    assert seen(stored) == []
    assert seen(splatted) == []


def test_table_called_once_per_unit_of_work_is_quiet():
    once = TRANSPORT.replace('''        while headers.get("next"):
            headers, body = self._send(method, headers["next"])
            out.append(body)
''', '')
    assert once != TRANSPORT
    assert seen(once) == []


def test_module_level_table_called_in_a_loop_is_reported():
    source = '''
import httpx

VERBS = {"get": httpx.get, "put": httpx.put}


class Mirror:
    def push(self, verb, urls):
        for url in urls:
            VERBS[verb](url)
'''
    assert seen(source) == [(10, "error", "VERBS[...]() calls a module-level HTTP helper of httpx (httpx.get, "
                                          "httpx.post, ...) taken from the table VERBS: it opens a new HTTP connection (a "
                                          "throwaway httpx.Client) on every call of push(), and it runs repeatedly")]
