"""Static assets with fingerprinted URLs.

``static_url("css/site.css")`` gives ``/static/<hash>/css/site.css``; that URL is
served with ``Cache-Control: public, max-age=31536000, immutable`` because its
content can never change (a new content means a new hash). The plain
``/static/css/site.css`` also works, revalidated on every use.

The files of a vendored bundle (a directory directly under ``vendor/``, named with
its version, such as ``vendor/pyodide-314.0.8/``) share one fingerprint, the hash of
all of them: they load each other by relative URL (Pyodide's loader finds its
``.wasm`` beside itself), which per-file hashes would break. A file with a ``.gz``
sibling is served gzipped to browsers that accept it.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from tryredis.routepaths import route_path

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
# Not left to the platform's MIME table: module scripts and WebAssembly streaming
# compilation refuse anything else, and macOS or a bare container may not know them.
MEDIA_TYPES = {".mjs": "text/javascript", ".wasm": "application/wasm", ".whl": "application/zip"}


def fingerprint_files(directory: Path) -> dict[str, str]:
    """Map every file under ``directory`` (as a POSIX relative path) to a short content hash.

    A bundle's files all get the bundle's hash, and the bundle itself is listed with a
    trailing slash (``vendor/pyodide-314.0.8/``) so its URL can be asked for.
    """
    hashes = {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }
    bundles: defaultdict[str, list[str]] = defaultdict(list)
    for name in hashes:
        parts = PurePosixPath(name).parts
        if len(parts) > 2 and parts[0] == "vendor":
            bundles[f"vendor/{parts[1]}/"].append(name)
    for bundle, members in bundles.items():
        listing = "".join(f"{member} {hashes[member]}\n" for member in members)
        digest = hashlib.sha256(listing.encode()).hexdigest()
        hashes.update(dict.fromkeys([bundle, *members], digest))
    return {name: digest[:12] for name, digest in hashes.items()}


class StaticAssets(StaticFiles):
    """StaticFiles that understands ``/<hash>/<path>`` and sets cache headers for both forms."""

    def __init__(
        self, directory: Path, headers: Mapping[str, Mapping[str, str]] | None = None
    ) -> None:
        super().__init__(directory=directory)
        self.hashes = fingerprint_files(directory)
        self.headers = dict(headers or {})  # extra response headers for some files

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
        gzipped = path + ".gz" in self.hashes and _accepts_gzip(scope)
        response = await self.get_response(path + ".gz" if gzipped else path, scope)
        if isinstance(response, FileResponse) or response.status_code == 304:
            response.headers["cache-control"] = IMMUTABLE if immutable else REVALIDATE
            response.headers.update(self.headers.get(path, {}))
            media_type = MEDIA_TYPES.get(PurePosixPath(path).suffix)
            if media_type is not None or gzipped:
                response.headers["content-type"] = media_type or _guess(path)
            if path + ".gz" in self.hashes:
                response.headers["vary"] = "Accept-Encoding"
            if gzipped:
                response.headers["content-encoding"] = "gzip"
        await response(scope, receive, send)

    async def get_response(self, path: str, scope: Scope) -> Response:
        """Serve the file; a missing one raises a 404 the app renders as its page."""
        try:
            return await super().get_response(path, scope)
        except HTTPException:
            raise HTTPException(status_code=404) from None


def _accepts_gzip(scope: Scope) -> bool:
    accept = Headers(scope=scope).get("accept-encoding", "").lower().replace(" ", "")
    return any(
        part == "gzip" or (part.startswith("gzip;") and part not in ("gzip;q=0", "gzip;q=0.0"))
        for part in accept.split(",")
    )


def _guess(path: str) -> str:
    media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def static_url(request: Request, path: str) -> str:
    """The fingerprinted URL of a static file (for templates)."""
    assets: StaticAssets = request.app.state.assets
    return route_path(request, "static", path="").rstrip("/") + assets.url_path(path)
