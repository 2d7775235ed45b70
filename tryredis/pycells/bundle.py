"""The Python modules the code cells' worker loads into Pyodide, as one zip.

They are this package's own files (the ones that import only the standard library and
redis-py), so the browser runs exactly the code the test suite runs under CPython. The
zip is built once, byte for byte the same for the same sources, and served under its
hash with an immutable cache lifetime, like the static files.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# Paths inside the zip (the worker extracts it into site-packages) -> source files.
MODULES = {
    "tryredis/__init__.py": PACKAGE.parent / "__init__.py",
    **{
        f"tryredis/pycells/{name}.py": PACKAGE / f"{name}.py"
        for name in ("__init__", "endpoint", "connection", "helpers", "runner", "trace", "browser")
    },
}
_EPOCH = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp keeps the bytes (and the hash) stable


@dataclass(frozen=True)
class Bundle:
    """The zip's bytes and the short hash its URL carries."""

    data: bytes
    digest: str


@cache
def runtime_bundle() -> Bundle:
    """The zip of the browser-side modules (built once per process)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, source in MODULES.items():
            info = zipfile.ZipInfo(name, _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, source.read_bytes())
    data = out.getvalue()
    return Bundle(data, hashlib.sha256(data).hexdigest()[:12])
