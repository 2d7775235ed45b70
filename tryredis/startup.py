"""What start-up refuses, shared by the CLI, the embedded server and the app's lifespan."""

from __future__ import annotations

import re

MIN_REDIS = (7, 0)
"""The oldest Redis tryredis runs on (its commands and replies are Redis 7's)."""


class StartupError(RuntimeError):
    """tryredis cannot start; the message is one line naming the cause."""


def redis_version(text: str) -> tuple[int, int] | None:
    """``(major, minor)`` from a version such as ``7.0.15``; None if it is not one."""
    match = re.match(r"(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else None
