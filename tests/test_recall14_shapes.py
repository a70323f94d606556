"""Session fourteen's shapes (bench/realbugs.toml): PFL106 schema-checked-per-call
(jsonrpcserver-schema-rechecked-per-request), a call through a decorator from outside the
program, and PFL403 on an HTTP helper passed in as an argument
(typesense-new-connection-per-api-call)."""

from __future__ import annotations

import pytest

from perflint.testing import lint_sources


def found(files, config, rule):
    return [f for f in lint_sources(files, select=(rule,), config=config) if f.rule == rule]


# -- PFL106: jsonrpcserver's dispatcher, reduced -------------------------------------------
DISPATCHER = (
    "from json import loads as deserialize\n"
    "from apply_defaults import apply_config\n"
    "from jsonschema import validate as jsonschema_validate\n"
    "from pkg_resources import resource_string\n"
    "schema = deserialize(resource_string(__name__, 'request-schema.json'))\n"
    "config = {}\n"
    "def validate(request, schema):\n"
    "    jsonschema_validate(request, schema)\n"
    "    return request\n"
    "def dispatch_pure(request, methods):\n"
    "    deserialized = validate(deserialize(request), schema)\n"
    "    return methods[deserialized['method']]()\n"
    "@apply_config(config)\n"
    "def dispatch(request, methods=None):\n"
    "    return dispatch_pure(request, methods or {})\n"
)
SERVER = (
    "from http.server import BaseHTTPRequestHandler\n"
    "from .dispatcher import dispatch\n"
    "class RequestHandler(BaseHTTPRequestHandler):\n"
    "    def do_POST(self):\n"
    "        request = self.rfile.read(int(self.headers['Content-Length'])).decode()\n"
    "        response = dispatch(request)\n"
    "        self.wfile.write(str(response).encode())\n"
)
SCHEMA_MESSAGE = ("jsonschema.validate() checks the schema 'schema' that every caller passes, fixed for the process, "
                  "against its metaschema and builds a new validator on every call of validate(), and the schema does "
                  "not change between calls")


def test_the_request_schema_checked_per_request_is_a_warning(round_config):
    # the handler calls dispatch directly: every edge on the way is exact
    plain = DISPATCHER.replace("@apply_config(config)\n", "")
    files = {"rpc/__init__.py": "", "rpc/dispatcher.py": plain, "rpc/server.py": SERVER}
    (f,) = found(files, round_config, "PFL106")
    assert (f.path, f.line, f.severity, f.confidence, f.frequency) == ("rpc/dispatcher.py", 8, "warning", "high", 1.0)
    assert f.cost == pytest.approx(2e-5 * 100)  # schema-check-element x 100 nodes (size unknown: loaded from a file)
    assert f.message == SCHEMA_MESSAGE
    # once per request: RequestHandler.do_POST (a BaseHTTPRequestHandler hook), dispatch,
    # dispatch_pure, validate
    assert [hop.function for hop in f.trace] == ["RequestHandler.do_POST", "RequestHandler.do_POST", "dispatch",
                                                 "dispatch_pure"]


def test_through_an_external_decorator_the_per_request_heat_is_a_guess(round_config):
    # jsonrpcserver as it was: dispatch is wrapped by @apply_config(config) from another
    # package; the call reaches its body (an edge of kind "wrapped"), but what the wrapper does
    # is not read: a guessed edge keeps the finding a note (2 ms x 1 x low 0.25)
    files = {"rpc/__init__.py": "", "rpc/dispatcher.py": DISPATCHER, "rpc/server.py": SERVER}
    (f,) = found(files, round_config, "PFL106")
    assert (f.line, f.severity, f.confidence, f.frequency) == (8, "note", "low", 1.0)
    assert f.message == SCHEMA_MESSAGE
    assert [hop.function for hop in f.trace] == ["RequestHandler.do_POST", "RequestHandler.do_POST", "dispatch",
                                                 "dispatch_pure"]


def test_a_config_loop_at_start_up_is_a_note(round_config):
    # synapse's oEmbed provider files: a loop over what the configuration lists runs a
    # handful of times, once per process (x10, not data: not evidence of repetition)
    src = ("import jsonschema\nSCHEMA = {'type': 'object'}\n"
           "def validate_config(schema, config):\n    jsonschema.validate(config, schema)\n"
           "class OembedConfig:\n    def read(self, oembed_config):\n"
           "        for i, file in enumerate(oembed_config.get('additional_providers') or []):\n"
           "            validate_config(SCHEMA, file)\n")
    (f,) = found({"m.py": src}, round_config, "PFL106")
    assert (f.line, f.severity, f.frequency) == (4, "note", 10.0)


def test_the_fixed_dispatcher_prepares_the_validator_once(round_config):
    fixed = DISPATCHER.replace(
        "from jsonschema import validate as jsonschema_validate\n",
        "from jsonschema.validators import validator_for\n").replace(
        "config = {}\n", "config = {}\nklass = validator_for(schema)\nklass.check_schema(schema)\nvalidator = klass(schema)\n").replace(
        "    jsonschema_validate(request, schema)\n", "    validator.validate(request)\n")
    files = {"rpc/__init__.py": "", "rpc/dispatcher.py": fixed, "rpc/server.py": SERVER}
    assert found(files, round_config, "PFL106") == []


def test_without_a_hot_caller_the_check_is_not_reported(round_config):
    # dispatch() is called by nothing in the program: a function of heat 1 with no role
    files = {"rpc/__init__.py": "", "rpc/dispatcher.py": DISPATCHER}
    assert found(files, round_config, "PFL106") == []


def test_a_caching_external_decorator_is_not_called_through(round_config):
    cached = DISPATCHER.replace("from apply_defaults import apply_config\n", "import cachetools\n").replace(
        "@apply_config(config)\n", "@cachetools.cached(cache={})\n")
    files = {"rpc/__init__.py": "", "rpc/dispatcher.py": cached, "rpc/server.py": SERVER}
    assert found(files, round_config, "PFL106") == []


def test_a_literal_schema_in_a_loop_is_priced_by_its_nodes(round_config):
    src = ("import jsonschema\n"
           "def check(messages):\n"
           "    for m in messages:\n"
           "        jsonschema.validate(m, {'type': 'object', 'required': ['id']})\n")
    (f,) = found({"m.py": src}, round_config, "PFL106")
    assert (f.line, f.severity, f.frequency) == (4, "warning", 100.0)
    assert f.cost == pytest.approx(2e-5 * 4)  # nodes: the dict, its two values, the list's item
    assert f.message.startswith("jsonschema.validate() checks a literal schema against its metaschema")


def test_a_module_constant_and_a_constant_of_an_imported_module(round_config):
    src = ("import jsonschema\nfrom app import schemas\n"
           "REQUEST = {'type': 'object'}\n"
           "def check(messages):\n"
           "    for m in messages:\n"
           "        jsonschema.validate(instance=m, schema=REQUEST)\n"
           "def check_events(events):\n"
           "    for e in events:\n"
           "        jsonschema.validate(e, schemas.EVENT)\n")
    assert [(f.line, f.message.split(" against")[0], f.cost) for f in found({"m.py": src}, round_config, "PFL106")] == [
        # the module's own literal schema: its nodes counted (the dict and its value)
        (6, "jsonschema.validate() checks the module-level schema 'REQUEST'", pytest.approx(2e-5 * 2)),
        # an imported one: 100 nodes, a modest schema
        (9, "jsonschema.validate() checks the schema 'schemas.EVENT'", pytest.approx(2e-5 * 100)),
    ]


@pytest.mark.parametrize("src", [
    # the schema comes with each item
    "import jsonschema\ndef check(pairs):\n    for doc, schema in pairs:\n        jsonschema.validate(doc, schema)\n",
    # loaded in the function each time
    "import json, jsonschema\ndef check(docs, path):\n    for d in docs:\n"
    "        schema = json.load(open(path))\n        jsonschema.validate(d, schema)\n",
    # an attribute of self: the object may be built per request
    "import jsonschema\nclass Field:\n    def clean(self, values):\n        for v in values:\n"
    "            jsonschema.validate(v, self.schema)\n",
    # a parameter a caller fills from per-item data
    "import jsonschema\ndef validate(doc, schema):\n    jsonschema.validate(doc, schema)\n"
    "def check(docs):\n    for d in docs:\n        validate(d, d['schema'])\n",
    # memoised
    "import functools, jsonschema\nSCHEMA = {}\n@functools.lru_cache(maxsize=None)\n"
    "def valid(text):\n    jsonschema.validate(text, SCHEMA)\n"
    "def check(docs):\n    for d in docs:\n        valid(d)\n",
    # a prepared validator
    "import jsonschema\nSCHEMA = {}\nV = jsonschema.Draft7Validator(SCHEMA)\n"
    "def check(docs):\n    for d in docs:\n        V.validate(d)\n",
])
def test_near_misses_are_quiet(src, round_config):
    assert found({"m.py": src}, round_config, "PFL106") == []


# -- PFL403: an HTTP helper passed in ------------------------------------------------------
API_CALL = (
    "import requests\n"
    "class ApiCall:\n"
    "    def make_request(self, fn, endpoint, as_json, **kwargs):\n"
    "        num_tries = 0\n"
    "        while num_tries < self.num_retries + 1:\n"
    "            num_tries += 1\n"
    "            try:\n"
    "                r = fn(self.url + endpoint, **kwargs)\n"
    "                return r.json() if as_json else r.text\n"
    "            except requests.exceptions.ConnectionError:\n"
    "                pass\n"
    "    def get(self, endpoint, params=None):\n"
    "        return self.make_request(requests.get, endpoint, True, params=params)\n"
    "    def post(self, endpoint, body):\n"
    "        return self.make_request(requests.post, endpoint, True, data=body)\n"
)
HTTP_MESSAGE = ("fn() is one of the module-level HTTP helpers of requests (requests.get, requests.post, ...) that every "
                "caller passes in: it opens a new HTTP connection (a throwaway requests.Session) on every call of "
                "make_request(), and it runs repeatedly")


def test_an_http_helper_passed_in_and_called_per_item_is_reported(round_config):
    src = API_CALL + "def index(docs):\n    api = ApiCall()\n    for d in docs:\n        api.post('/documents', d)\n"
    (f,) = found({"m.py": src}, round_config, "PFL403")
    assert (f.line, f.severity, f.confidence, f.frequency) == (8, "error", "high", 100.0)
    assert f.cost == pytest.approx(3e-3)  # connect-network
    assert f.message == HTTP_MESSAGE
    assert "requests.Session()" in f.fix


def test_one_call_per_public_api_call_is_not_repeated(round_config):
    # typesense's ApiCall as it was: get()/post() are what its users call, once per unit of
    # work; the retry loop's body ends in a return (one try per call): not repeated
    assert found({"m.py": API_CALL}, round_config, "PFL403") == []


@pytest.mark.parametrize("caller", [
    # the fix: a kept session's bound methods
    "    def put(self, endpoint, body):\n        return self.make_request(self.session.put, endpoint, True, data=body)\n",
    # a helper of the program (it is analysed on its own)
    "    def put(self, endpoint, body):\n        return self.make_request(self._send, endpoint, True, data=body)\n"
    "    def _send(self, url, **kw):\n        return url\n",
])
def test_a_caller_that_passes_anything_else_keeps_it_quiet(caller, round_config):
    src = API_CALL + caller + "def index(docs):\n    api = ApiCall()\n    for d in docs:\n        api.post('/documents', d)\n"
    assert found({"m.py": src}, round_config, "PFL403") == []


def test_a_parameter_rebound_in_the_body_is_not_what_callers_pass(round_config):
    src = API_CALL.replace("        num_tries = 0\n", "        num_tries = 0\n        fn = fn or requests.get\n") + (
        "def index(docs):\n    api = ApiCall()\n    for d in docs:\n        api.post('/documents', d)\n")
    assert found({"m.py": src}, round_config, "PFL403") == []


def test_a_loop_over_a_configuration_get_is_bounded_by_the_configuration():
    import libcst as cst

    from perflint.repetition import iterable_trips
    expr = cst.parse_expression("oembed_config.get('additional_providers') or []")
    assert iterable_trips(expr, {}, set()) == (10.0, "oembed_config.get(): bounded by the configuration, not the data")
    assert iterable_trips(cst.parse_expression("rows.get('items')"), {}, set()) == (None, "")
