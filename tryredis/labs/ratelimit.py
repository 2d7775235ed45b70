"""The rate-limit lab (lesson 14): a fixed window (INCR, EXPIRE NX) and a sliding window (ZSET).

Both are lesson 14's functions, command for command, with one difference: the
lesson sends them inside MULTI/EXEC, and a lab cannot (MULTI in the sandbox is
the learner's own transaction, shared with their REPL), so they run one after
the other. For the fixed window that leaves a crash between INCR and EXPIRE
able to leave a counter without a TTL; the lesson explains why MULTI closes
that gap.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

from tryredis.labs.sandboxio import SandboxRedis


@dataclass(frozen=True)
class Decision:
    """What a limiter decided for one request."""

    limiter: str
    allowed: bool
    count: int
    limit: int
    window: int
    retry_after: int
    key: str

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)


def fixed_key(client: str, number: int) -> str:
    return f"rate:fixed:{client}:{number}"


def sliding_key(client: str) -> str:
    return f"rate:sliding:{client}"


async def fixed_window(
    redis: SandboxRedis, client: str, limit: int, window: int, now: float
) -> Decision:
    """Count this request in the current window; refuse over ``limit``."""
    number = int(now // window)
    key = fixed_key(client, number)
    count = await redis.incr(key)
    await redis.expire(key, window, nx=True)  # the clock starts with the window's first request
    if count <= limit:
        return Decision("fixed", True, count, limit, window, 0, key)
    retry = max(1, math.ceil((number + 1) * window - now))  # until the next window
    return Decision("fixed", False, count, limit, window, retry, key)


async def sliding_window(
    redis: SandboxRedis, client: str, limit: int, window: int, now: float
) -> Decision:
    """Log this request in a sorted set of timestamps; refuse over ``limit`` in the last window."""
    key = sliding_key(client)
    now_ms = int(now * 1000)
    member = f"{now_ms}-{secrets.token_hex(4)}"  # unique even for two requests in the same ms
    await redis.zremrangebyscore(key, "-inf", now_ms - window * 1000)
    await redis.zadd(key, now_ms, member)
    count = await redis.zcard(key)
    await redis.expire(key, window)
    if count <= limit:
        return Decision("sliding", True, count, limit, window, 0, key)
    await redis.zrem(key, member)  # a refused request does not use up the budget
    oldest = await redis.zrange_withscores(key, 0, 0)
    frees_at_ms = oldest[0][1] + window * 1000 if oldest else now_ms
    # The learner may have stored any score (inf included): a wait is never over the window.
    wait = (frees_at_ms - now_ms) / 1000
    retry = max(1, min(window, math.ceil(wait))) if math.isfinite(wait) else window
    return Decision("sliding", False, count, limit, window, retry, key)
