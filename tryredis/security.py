"""Security headers on every response, and the checks that keep cross-site requests out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script or style anywhere: every script and stylesheet is a static file.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)

# Code cells run Pyodide (CPython compiled to WebAssembly) in a Web Worker. A worker's
# policy is the one its own script is served with, so only that script may compile
# WebAssembly; every page keeps the policy above.
WASM_WORKER_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'"
)
STATIC_HEADERS = {"js/cells-worker.js": {"content-security-policy": WASM_WORKER_POLICY}}

SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "SAMEORIGIN",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


_ENCODED = [(name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]


class SecurityMiddleware:
    """Security headers on every HTTP response, and the 500 page for unhandled errors.

    One layer does both so that the 500 page carries the headers too (Starlette's
    own 500 handler sits outside every middleware). Tracebacks are logged by
    ``render``, never shown; if the response had already started, the exception
    propagates and the server closes the connection.
    """

    def __init__(
        self, app: ASGIApp, render: Callable[[Request, Exception], Awaitable[Response]]
    ) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {name for name, _ in message.get("headers", ())}
                message["headers"] = [
                    *message.get("headers", ()),
                    *(header for header in _ENCODED if header[0] not in present),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if started:
                raise
            response = await self.render(Request(scope), exc)
            await response(scope, receive, send_with_headers)
