"""Escaping for the HTML report: scanned text is never markup, embedded JSON never closes its tag."""

from __future__ import annotations

import html
import json
import re
from typing import Any

# Bidirectional controls reorder how text is displayed (CVE-2021-42574, "Trojan Source"):
# shown as a visible, isolated marker, while the text itself stays as written.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def text(value: object) -> str:
    """Element content: HTML-escaped, bidi controls made visible."""
    return mark_bidi(html.escape(str(value), quote=True))


def attr(value: object) -> str:
    """An attribute value (always written inside double quotes)."""
    return html.escape(str(value), quote=True)


def mark_bidi(escaped: str) -> str:
    return _BIDI.sub(
        lambda m: f'<span class="bidi" data-cp="U+{ord(m.group()):04X}" title="bidirectional control '
                  f'U+{ord(m.group()):04X}">{m.group()}</span>',
        escaped,
    )


def script_json(data: Any) -> str:
    """JSON safe inside <script>: no `</script>`, `<!--`, `&` or line separators survive."""
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
