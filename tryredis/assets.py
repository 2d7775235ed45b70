"""Static assets with fingerprinted URLs.

``static_url("css/site.css")`` gives ``/static/<hash>/css/site.css``; that URL is
served with ``Cache-Control: public, max-age=31536000, immutable`` because its
content can never change (a new content means a new hash). The plain
``/static/css/site.css`` also works, revalidated on every use.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"


def fingerprint_files(directory: Path) -> dict[str, str]:
    """Map every file under ``directory`` (as a POSIX relative path) to a short content hash."""
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


class StaticAssets(StaticFiles):
    """StaticFiles that understands ``/<hash>/<path>`` and sets cache headers for both forms."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory)
        self.hashes = fingerprint_files(directory)

    def url_path(self, path: str) -> str:
        """The fingerprinted path (below the mount point) for a file."""
        digest = self.hashes.get(path)
        if digest is None:
            raise KeyError(f"no static file {path!r}")
        return f"/{digest}/{path}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = self.get_path(scope)
        head, _, rest = path.partition("/")
        immutable = bool(rest) and self.hashes.get(rest) == head
        if immutable:
            path = rest
        elif head in self.hashes.values():
            # An old fingerprint: the file changed since that page was rendered.
            raise HTTPException(status_code=404)
        response = await self.get_response(path, scope)
        if isinstance(response, FileResponse) or response.status_code == 304:
            response.headers["cache-control"] = IMMUTABLE if immutable else REVALIDATE
        await response(scope, receive, send)

    async def get_response(self, path: str, scope: Scope) -> Response:
        """Serve the file; a missing one raises a 404 the app renders as its page."""
        try:
            return await super().get_response(path, scope)
        except HTTPException:
            raise HTTPException(status_code=404) from None


def static_url(request: Request, path: str) -> str:
    """The fingerprinted URL of a static file (for templates)."""
    assets: StaticAssets = request.app.state.assets
    return request.url_for("static", path="").path.rstrip("/") + assets.url_path(path)
