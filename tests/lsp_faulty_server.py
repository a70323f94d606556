"""`perflint server` with one fault injected, for tests/test_lsp_server.py.

Analysing a buffer that contains the marker raises, as a bug in perflint would: the server
must log it through window/logMessage and keep serving."""

import sys

from perflint.lsp import project
from perflint.lsp.server import serve

MARKER = "PERFLINT_TEST_FAULT"
_real_set_buffer = project.WarmProject.set_buffer


def _faulty_set_buffer(self, file, text):
    if MARKER in text:
        raise RuntimeError("injected fault")
    return _real_set_buffer(self, file, text)


project.WarmProject.set_buffer = _faulty_set_buffer

if __name__ == "__main__":
    sys.exit(serve())
