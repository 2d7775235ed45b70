"""Where a code cell's runtime is: the vendored files' URLs and the worker's limits.

The versions in these paths are the vendored directories' (tools/vendor_pyodide.py,
tools/vendor_codemirror.py); the test suite checks every file exists.
"""

from __future__ import annotations

from starlette.requests import Request

from tryredis.assets import static_url
from tryredis.pycells.views import modules_url
from tryredis.settings import Settings

PYODIDE = "vendor/pyodide-314.0.8/"
WHEEL = "vendor/redis-py-8.1.0/redis-8.1.0-py3-none-any.whl"
PYCACHE = "vendor/redis-py-8.1.0/redis-8.1.0-py3-none-any.cpython-314-pycache.zip"
EDITOR = "vendor/codemirror-6.0.2/codemirror.min.js"
WORKER = "js/cells-worker.js"
STATIC_FILES = (PYODIDE, WHEEL, PYCACHE, EDITOR, WORKER, "js/cells.js", "css/cells.css")


def cells_runtime(request: Request) -> dict[str, str]:
    """The data-* attributes the page's cells.js reads (see site/_cells.html)."""
    settings: Settings = request.app.state.settings
    return {
        "worker-url": static_url(request, WORKER),
        "editor-url": static_url(request, EDITOR),
        "css-url": static_url(request, "css/cells.css"),
        "pyodide-url": static_url(request, PYODIDE),
        "wheel-url": static_url(request, WHEEL),
        "pycache-url": static_url(request, PYCACHE),
        "modules-url": modules_url(request),
        "resp-url": request.url_for("api-resp").path,
        "time-limit": f"{settings.cell_time_limit_seconds:g}",
        "output-limit": str(settings.cell_output_max_bytes),
    }
