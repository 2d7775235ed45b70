"""What a code cell finds ready to use: a slow fake upstream that counts calls, a clock,
a way to fire N calls at once, and a count of round trips to the sandbox. Exercises'
tests use them to check a pattern's effect (how often the source was asked, what
happens in the next time window).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tryredis.pycells import connection

T = TypeVar("T")

STARS = {"redis/redis": 66000, "redis/redis-py": 12500, "pyodide/pyodide": 12800}


class FakeUpstream:
    """A stand-in for a slow API (GitHub's ``GET /repos/{repo}``) that counts its calls."""

    def __init__(self, delay: float = 0.2) -> None:
        self.delay = delay
        self.stars = dict(STARS)
        self.calls: Counter[str] = Counter()

    @property
    def total(self) -> int:
        """How many calls were made, for any repository."""
        return sum(self.calls.values())

    async def fetch_stars(self, repo: str) -> int:
        """The repository's star count, after ``delay`` seconds (one more call counted)."""
        self.calls[repo] += 1
        await asyncio.sleep(self.delay)
        return self.stars.get(repo, 0)

    def set_stars(self, repo: str, stars: int) -> None:
        """Change the source of truth (as a write to the database would)."""
        self.stars[repo] = stars

    def reset(self) -> None:
        """Forget the calls and the changes."""
        self.stars = dict(STARS)
        self.calls.clear()


class Clock:
    """``clock.now()`` is ``time.time()``, unless a test froze it to control time windows."""

    def __init__(self) -> None:
        self.frozen: float | None = None

    def now(self) -> float:
        """Seconds since the epoch: the real time, or the frozen one."""
        return time.time() if self.frozen is None else self.frozen

    def freeze(self, at: float | None = None) -> float:
        """Stop the clock (at ``at``, or now); the time it shows."""
        self.frozen = self.now() if at is None else at
        return self.frozen

    def advance(self, seconds: float) -> float:
        """Move a frozen clock forward; the time it shows."""
        self.frozen = self.freeze() + seconds
        return self.frozen

    def reset(self) -> None:
        """Back to the real time."""
        self.frozen = None


async def concurrently(n: int, call: Callable[..., Awaitable[T]], *args: Any) -> list[T]:
    """Start ``call(*args)`` ``n`` times at once and wait for all; their results in order."""
    return list(await asyncio.gather(*(call(*args) for _ in range(n))))


def round_trips() -> int:
    """How many requests (round trips to the sandbox) redis-py has sent so far."""
    return connection.current().requests


upstream = FakeUpstream()
clock = Clock()


def namespace() -> dict[str, Any]:
    """The names a cell starts with: the helpers, their fetch function, and REDIS_URL."""
    return {
        "__name__": "__main__",
        "upstream": upstream,
        "fetch_stars": upstream.fetch_stars,
        "clock": clock,
        "concurrently": concurrently,
        "round_trips": round_trips,
        "REDIS_URL": "redis://sandbox/0",
    }


def reset() -> None:
    """Fresh helpers, before an exercise's code runs."""
    upstream.reset()
    upstream.delay = 0.2
    clock.reset()
