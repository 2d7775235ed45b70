"""What start-up refuses, shared by the CLI, the embedded server and the app's lifespan."""

from __future__ import annotations

import re
import sys

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIN_REDIS = (7, 0)
"""The oldest Redis tryredis runs on (its commands and replies are Redis 7's)."""


class StartupError(RuntimeError):
    """tryredis cannot start; the message is one line naming the cause."""


def redis_version(text: str) -> tuple[int, int] | None:
    """``(major, minor)`` from a version such as ``7.0.15``; None if it is not one."""
    match = re.match(r"(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else None


class OneLineStartupErrors:
    """ASGI middleware: a lifespan that fails with ``StartupError`` reports its one line.

    Starlette sends the whole traceback as the ``lifespan.startup.failed`` message and
    uvicorn prints it; a StartupError is the user's setup, not a bug, so its message is
    enough.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass everything through; rewrite the failure message of a StartupError."""
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def one_line(message: Message) -> None:
            # Starlette sends the failure from inside its `except` block, so the error is current.
            error = sys.exc_info()[1]
            if message["type"] == "lifespan.startup.failed" and isinstance(error, StartupError):
                message = {**message, "message": f"tryredis: {error}"}
            await send(message)

        await self.app(scope, receive, one_line)
