"""PFL403 in a module function: a host the code fixes (a literal URL, a module constant, an
f-string or `+` starting with one, a local bound once to one) is the same server on every call,
so the throwaway connection is medium confidence, not a guess (segment's analytics `post()`,
called once per batch by its consumer thread; the fix was a module-global Session)."""

from __future__ import annotations

from perflint.config import Config
from perflint.testing import lint_sources


def found(src):
    return [(f.line, f.function, f.severity, f.confidence)
            for f in lint_sources({"m.py": src}, select=("PFL403",), config=Config(min_severity="note"))]


SENDERS = '''
import requests

API_URL = "https://api.example.com/v1"

def post(write_key, **kwargs):
    url = 'https://api.segment.io/v1/batch'
    return requests.post(url, json=kwargs, timeout=15)

def post_const(body):
    return requests.post(API_URL + "/batch", json=body)

def post_fstring(item):
    return requests.get(f"https://api.github.com/repos/{item}")

def fetch(url):
    return requests.get(url)

def fetch_built(host, item):
    url = f"https://{host}/items/{item}"
    return requests.get(url)

def fetch_rebound(item):
    url = "https://a.example.com/x"
    if item.mirror:
        url = item.mirror
    return requests.get(url)

def run(batches):
    for b in batches:
        post("k", batch=b)
        post_const(b)
        post_fstring(b)
        fetch(b.url)
        fetch_built(b.host, b)
        fetch_rebound(b)
'''


def test_a_module_function_that_reconnects_to_a_host_the_code_fixes_is_medium_confidence():
    assert found(SENDERS) == [
        (8, "post", "error", "medium"),
        (11, "post_const", "error", "medium"),
        (14, "post_fstring", "error", "medium"),
        # the URL is the caller's, built from a host parameter, or rebound from an item
        (17, "fetch", "note", "low"),
        (21, "fetch_built", "note", "low"),
        (27, "fetch_rebound", "note", "low"),
    ]
