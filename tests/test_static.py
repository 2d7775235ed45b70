"""Vendored assets are exactly what was vendored."""

from __future__ import annotations

import base64
import hashlib

from tryredis.settings import PROJECT_ROOT

VENDOR = PROJECT_ROOT / "static" / "vendor"
# npm's htmx.org@4.0.1 dist/htmx.min.js (the 4.0.1 README's hash is 4.0.0's).
HTMX_SHA384 = "Qp9rdC8H7EqOoX+nR0P3RPG2Noji+qdwJlGpfzwQJsfOpp3sGwIdSP9xO3+UlEhn"


def test_htmx_is_the_released_4_0_1_file() -> None:
    digest = hashlib.sha384((VENDOR / "htmx-4.0.1.min.js").read_bytes()).digest()
    assert base64.b64encode(digest).decode() == HTMX_SHA384


def test_htmx_licence_is_shipped_beside_it() -> None:
    licence = (VENDOR / "htmx-4.0.1-LICENSE").read_text()
    assert "Zero-Clause BSD" in licence
