"""`perflint server` whose whole relinks in the background take two seconds, for
tests/test_lsp_server.py: long enough to see the first stage published before the relink
ends, and to supersede a relink with a newer edit.

The delay goes through the relink's own checkpoint, as the real linking work does, so a
newer edit abandons it at the next check. A link without a checkpoint (the first one) is
not slowed."""

import sys
import time

from perflint.lsp import project
from perflint.lsp.server import serve

SLOW_SECONDS = 2.0
_real_link = project.link


def _slow_link(summaries, config, checkpoint=None):
    if checkpoint is not None:
        began = time.monotonic()
        while time.monotonic() - began < SLOW_SECONDS:
            checkpoint()
            time.sleep(0.02)
    return _real_link(summaries, config, checkpoint=checkpoint)


project.link = _slow_link

if __name__ == "__main__":
    sys.exit(serve())
