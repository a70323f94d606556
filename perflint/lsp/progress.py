"""Phase 1's progress (perflint.parallel.Progress) sent to the client as `$/progress`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from perflint.lsp.server import PerflintServer


class ClientProgress:
    """phase 1's progress (perflint.parallel.Progress), sent as `$/progress` from the worker."""

    def __init__(self, server: "PerflintServer") -> None:
        self.server = server
        self.token = server._progress
        self.total = 0
        self.done = 0
        self.sent = 0.0
        self.begun = False
        self._begin("perflint: summarising the project")

    def _send(self, method, value) -> None:
        loop = self.server._loop()
        if loop is not None:
            loop.call_soon_threadsafe(method, self.token, value)

    def _begin(self, title: str) -> None:
        self.begun = True
        self._send(self.server.work_done_progress.begin, types.WorkDoneProgressBegin(title=title, percentage=0))

    def start(self, total: int) -> None:
        self.total, self.done = total, 0

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.total and now - self.sent >= 0.25:  # a few reports a second, not one per file
            self.sent = now
            self._send(self.server.work_done_progress.report, types.WorkDoneProgressReport(
                message=f"{self.done}/{self.total} files", percentage=int(100 * self.done / self.total)))

    def stop(self) -> None:
        pass  # the run may go on (linking); finish() ends the report

    def finish(self) -> None:
        if self.begun:
            self.begun = False
            self._send(self.server.work_done_progress.end, types.WorkDoneProgressEnd(message="ready"))
