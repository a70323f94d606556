"""PFL403 on a client object (session 31, typesense-new-connection-per-api-call): a class built
with its settings (an `__init__`) whose public operations, three or more, all send through one
method that calls a module-level HTTP helper (`requests.get`, ...) opens a new connection on
every operation. One operation is the unit of work, and a TCP and TLS handshake (3 ms) per
operation is a warning even when nothing in the scanned code repeats it. A one-shot request
(a function, a CLI command) and a client that keeps a Session stay quiet."""

from __future__ import annotations

import pytest

from perflint.testing import lint_sources


def found(src, config):
    return [f for f in lint_sources({"m.py": src}, select=("PFL403",), config=config) if f.rule == "PFL403"]


# typesense's ApiCall as it was, reduced: the verbs hand requests' helpers to make_request
PASSED = (
    "import requests\n"
    "class ApiCall:\n"
    "    def __init__(self, config):\n"
    "        self.url = config.url\n"
    "        self.retries = config.retries\n"
    "    def make_request(self, fn, endpoint, **kwargs):\n"
    "        tries = 0\n"
    "        while tries < self.retries + 1:\n"
    "            tries += 1\n"
    "            try:\n"
    "                return fn(self.url + endpoint, **kwargs).json()\n"
    "            except requests.exceptions.ConnectionError:\n"
    "                pass\n"
    "    def get(self, endpoint):\n"
    "        return self.make_request(requests.get, endpoint)\n"
    "    def post(self, endpoint, body):\n"
    "        return self.make_request(requests.post, endpoint, data=body)\n"
    "    def delete(self, endpoint):\n"
    "        return self.make_request(requests.delete, endpoint)\n"
)
PASSED_MESSAGE = ("fn() is one of the module-level HTTP helpers of requests (requests.get, requests.post, ...) that "
                  "every caller passes in: it opens a new HTTP connection (a throwaway requests.Session) on every call "
                  "of make_request(), and it runs repeatedly")

# a search client whose operations share one sender that calls requests.request
DIRECT = (
    "import requests\n"
    "class SearchClient:\n"
    "    def __init__(self, url, api_key):\n"
    "        self.url = url\n"
    "        self.headers = {'X-API-KEY': api_key}\n"
    "    def _send(self, method, path, **kwargs):\n"
    "        response = requests.request(method, self.url + path, headers=self.headers, **kwargs)\n"
    "        response.raise_for_status()\n"
    "        return response.json()\n"
    "    def search(self, query):\n"
    "        return self._send('GET', '/search', params={'q': query})\n"
    "    def add(self, doc):\n"
    "        return self._send('POST', '/documents', json=doc)\n"
    "    def remove(self, doc_id):\n"
    "        return self._send('DELETE', '/documents/' + doc_id)\n"
)
DIRECT_MESSAGE = ("requests.request() opens a new HTTP connection (a throwaway requests.Session) on every call of "
                  "_send(), and it runs repeatedly")


def test_a_client_whose_operations_pass_the_helpers_in_is_reported(round_config):
    (f,) = found(PASSED, round_config)
    assert (f.line, f.severity, f.confidence, f.frequency) == (11, "warning", "high", 1.0)
    assert f.cost == pytest.approx(3e-3)  # connect-network, once per operation
    assert f.message == PASSED_MESSAGE
    assert f.context.endswith("; once per operation of the client ApiCall: 3 of its public methods "
                              "(delete(), get(), post()) run it")


def test_a_client_whose_operations_share_a_sender_is_reported(round_config):
    (f,) = found(DIRECT, round_config)
    assert (f.line, f.severity, f.confidence, f.frequency) == (7, "warning", "high", 1.0)
    assert f.message == DIRECT_MESSAGE
    assert f.context.endswith("; once per operation of the client SearchClient: 3 of its public methods "
                              "(add(), remove(), search()) run it")


def test_the_client_called_per_document_is_still_an_error(round_config):
    (f,) = found(DIRECT + "def index(docs):\n    c = SearchClient('u', 'k')\n    for d in docs:\n        c.add(d)\n",
                 round_config)
    assert (f.line, f.severity, f.frequency) == (7, "error", 100.0)
    assert "once per operation" not in f.context  # the loop repeats it: no client reason needed


@pytest.mark.parametrize("src", [
    # the fix (typesense's): the verbs pass a kept session's bound methods
    PASSED.replace("        self.url = config.url\n",
                   "        self.url = config.url\n        self.session = requests.Session()\n")
          .replace("(requests.", "(self.session."),
    # one session kept on the object sends every operation
    DIRECT.replace("        self.url = url\n", "        self.url = url\n        self.session = requests.Session()\n")
          .replace("requests.request(", "self.session.request("),
])
def test_a_client_that_keeps_a_session_is_quiet(src, round_config):
    assert found(src, round_config) == []


@pytest.mark.parametrize("src", [
    # a one-shot function: one request per run
    "import requests\ndef latest_version(url):\n    return requests.get(url, timeout=5).json()['version']\n",
    # a CLI command making one request
    "import click, requests\n@click.command()\n@click.argument('url')\n"
    "def ping(url):\n    click.echo(requests.get(url).status_code)\n",
    # two operations: a notifier or a small wrapper, not a client's API
    DIRECT.replace("    def remove(self, doc_id):\n        return self._send('DELETE', '/documents/' + doc_id)\n", ""),
    # no __init__: a bag of helpers, not an object kept with its settings
    DIRECT.replace("    def __init__(self, url, api_key):\n        self.url = url\n"
                   "        self.headers = {'X-API-KEY': api_key}\n", "    url = 'https://example.org'\n"),
    # the public methods each send their own request through another sender only one reaches
    "import requests\nclass Checker:\n    def __init__(self, url):\n        self.url = url\n"
    "    def check(self):\n        return self._fetch()\n    def _fetch(self):\n        return requests.get(self.url).json()\n"
    "    def name(self):\n        return self.url\n    def describe(self):\n        return self.name()\n",
])
def test_a_one_shot_request_is_quiet(src, round_config):
    assert found(src, round_config) == []


def test_operations_reached_only_through_an_except_handler_do_not_count(round_config):
    # remove() sends only when the lookup fails: the handler is not one of its operations' paths
    src = DIRECT.replace("        return self._send('DELETE', '/documents/' + doc_id)\n",
                         "        try:\n            return self.url[doc_id]\n"
                         "        except KeyError:\n            return self._send('DELETE', '/documents/' + doc_id)\n")
    assert found(src, round_config) == []


# a plugin's hooks, declared by its framework's base class and called at the framework's pace
HOOKS = (
    "class EventHandler:\n"
    "    def on_event(self, event, payload):\n        pass\n"
    "    def on_startup(self):\n        pass\n"
    "    def on_shutdown(self):\n        pass\n"
)
PLUGIN = (
    "    def __init__(self, url):\n        self.url = url\n"
    "    def _send(self, event):\n        requests.post(self.url, data={'event': event})\n"
    "    def on_event(self, event, payload):\n        self._send(event)\n"
    "    def on_startup(self):\n        self._send('startup')\n"
    "    def on_shutdown(self):\n        self._send('shutdown')\n"
)


def test_hooks_a_base_class_declares_are_not_a_clients_operations(round_config):
    src = "import requests\n" + HOOKS + "class Tracker(EventHandler):\n" + PLUGIN
    assert found(src, round_config) == []


def test_a_base_from_outside_the_program_may_declare_the_operations(round_config):
    src = "import requests\nfrom framework import EventHandler\nclass Tracker(EventHandler):\n" + PLUGIN
    assert found(src, round_config) == []


def test_a_client_on_a_base_of_the_program_that_declares_no_operation_is_reported(round_config):
    src = DIRECT.replace("class SearchClient:\n", "class Base:\n    timeout = 5\n    def close(self):\n        pass\n"
                                                  "class SearchClient(Base):\n")
    (f,) = found(src, round_config)
    assert (f.line, f.severity, f.function) == (11, "warning", "SearchClient._send")


def test_a_client_a_view_also_calls_is_still_a_client(round_config):
    # the hottest chain into the sender starts at the client's own operations, not at the route
    # (a request handler on the hottest chain keeps the web-request note: runs 13 and 14)
    src = DIRECT + ("from flask import Flask\napp = Flask(__name__)\nclient = SearchClient('u', 'k')\n"
                    "@app.route('/search')\ndef search_view():\n    return client.search('q')\n")
    (f,) = found(src, round_config)
    assert (f.line, f.severity, f.confidence) == (7, "warning", "high")
    assert f.context.endswith("; once per operation of the client SearchClient: 3 of its public methods "
                              "(add(), remove(), search()) run it")


def test_private_methods_are_no_operations_and_a_route_keeps_its_note(round_config):
    src = DIRECT.replace("    def add", "    def _add").replace("    def remove", "    def _remove") + ("from flask import Flask\napp = Flask(__name__)\n"
                    "@app.route('/search')\ndef search_view():\n    return SearchClient('u', 'k')._send('GET', '/')\n")
    (f,) = found(src, round_config)
    assert (f.line, f.severity, f.confidence) == (7, "note", "low")
    assert "once per operation" not in f.context
