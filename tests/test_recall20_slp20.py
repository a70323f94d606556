"""Session twenty, sync family: Shodan's search_cursor (shodan-python, bench/realbugs.toml) walks
a search's result pages in a while loop whose `except` handler sleeps a second before trying a
failed page again. The loop model took any sleep in a pass for a poll (each pass waits until
something outside changes: one trip), so _request, which calls requests.get or requests.post once
per page, ran once and PFL403 stayed quiet. Now only a sleep on the pass that succeeds (in the
body, or the `try`'s `else` or `finally`) makes a poll, not a back-off in an `except` handler. A
loop that waits for a name a `try` sets (`while stream is None: try: stream = connect() except:
sleep(backoff)`: Salt's reconnect loops, which the handler's sleep kept at one trip) is a retry
loop: three trips, not an item loop. The first and last tests fail on the code before the change."""

from __future__ import annotations

from test_recall19_sync import seen  # PFL403's (line, severity, message) on one module m.py


CLIENT = '''
import time

import requests


class Client:
    def __init__(self, key):
        self.api_key = key
        self.base_url = "https://api.example.com"

    def _request(self, function, params, method="get"):
        params["key"] = self.api_key
        if method == "post":
            data = requests.post(self.base_url + function, params=params)
        else:
            data = requests.get(self.base_url + function, params=params)
        return data.json()

    def search(self, query, page=1):
        return self._request("/search", {"query": query, "page": page})

    def search_cursor(self, query, retries=5):
        page = 1
        tries = 0
        while page == 1 or results["matches"]:
            try:
                results = self.search(query, page=page)
                for banner in results["matches"]:
                    yield banner
                page += 1
                tries = 0
            except Exception:
                if tries >= retries:
                    break
                tries += 1
                time.sleep(1.0)
'''

MESSAGE = ("requests.post() opens a new HTTP connection (a throwaway requests.Session) on every call of "
           "_request(), and it runs repeatedly (and 1 more like it in this function: line 17)")


def test_page_loop_with_a_back_off_in_its_handler_is_reported():
    assert seen(CLIENT) == [(15, "error", MESSAGE)]


def test_fixed_client_with_a_kept_session_is_quiet():
    fixed = CLIENT.replace('''        self.base_url = "https://api.example.com"
''', '''        self.base_url = "https://api.example.com"
        self._session = requests.Session()
''').replace("requests.post(", "self._session.post(").replace("requests.get(", "self._session.get(")
    assert fixed.count("self._session.") == 2 and "self._session = requests.Session()" in fixed
    assert seen(fixed) == []


def test_a_sleep_on_the_pass_that_succeeds_still_polls():
    # the same loop sleeping after each page (in the body, the `else` or the `finally`) waits
    # for something outside on every pass: one poll per pass, as before
    handler = '''                tries += 1
                time.sleep(1.0)
'''
    after_try = CLIENT.replace(handler, "                tries += 1\n            time.sleep(1.0)\n")
    in_else = CLIENT.replace(handler, "                tries += 1\n            else:\n                time.sleep(1.0)\n")
    in_finally = CLIENT.replace(handler, "                tries += 1\n            finally:\n                time.sleep(1.0)\n")
    for variant in (after_try, in_else, in_finally):
        assert variant != CLIENT
        assert seen(variant) == []


RECONNECT = '''
import asyncio

import requests


class PubClient:
    def __init__(self, url, backoff):
        self.url = url
        self.backoff = backoff
        self._closing = False

    async def _open(self):
        return requests.get(self.url, stream=True)

    async def getstream(self):
        stream = None
        while stream is None and not self._closing:
            try:
                stream = await self._open()
            except Exception:
                await asyncio.sleep(self.backoff)
        return stream
'''


def test_reconnect_loop_until_its_stream_is_set_is_a_retry():
    # the pass that connects ends the loop: it goes round again only after an error (three
    # trips, a note), not once per item as a loop with an unknown bound
    assert seen(RECONNECT) == [(14, "note", "requests.get() opens a new HTTP connection (a throwaway "
                                            "requests.Session) on every call of _open(), and it runs repeatedly")]
    # a loop that sets its name outside a `try` is no retry: it has no error to go round after
    plain = RECONNECT.replace('''            try:
                stream = await self._open()
            except Exception:
                await asyncio.sleep(self.backoff)''', '''            stream = await self._open()
            self.log(stream)
            await self.check()
            await asyncio.sleep(self.backoff)''')
    assert plain != RECONNECT
    assert seen(plain) == []
