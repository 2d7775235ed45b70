"""Deletes idle sandboxes: one worker at a time, under a lock in Redis.

Every worker runs the loop; each round, the worker that takes the lock
(``SET P janitor <token> NX PX``) deletes the sandboxes whose last activity
is older than ``TRYREDIS_SANDBOX_IDLE_HOURS``, a batch at a time.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

from tryredis.sessions import SiteRedis

log = logging.getLogger("tryredis.janitor")

BATCH = 100

# Release the lock only if it is still ours (it may have expired and been retaken).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Janitor:
    """Finds and deletes idle sandboxes."""

    def __init__(
        self,
        site: SiteRedis,
        sandboxes_key: str,
        lock_key: str,
        idle_seconds: float,
        delete: Callable[[str], Awaitable[None]],
    ) -> None:
        self.site = site
        self.sandboxes_key = sandboxes_key
        self.lock_key = lock_key
        self.idle_seconds = idle_seconds
        self.delete = delete
        self._release = site.register_script(RELEASE)

    async def sweep(self, now: float | None = None) -> int:
        """One round: if this worker gets the lock, delete idle sandboxes; return how many."""
        token = secrets.token_hex(8)
        if not await self.site.set(self.lock_key, token, nx=True, px=60_000):
            return 0
        deleted = 0
        try:
            cutoff = (time.time() if now is None else now) - self.idle_seconds
            while True:
                idle = await self.site.zrangebyscore(
                    self.sandboxes_key, "-inf", cutoff, start=0, num=BATCH
                )
                if not idle:
                    break
                for raw in idle:
                    learner_id = raw.decode() if isinstance(raw, bytes) else str(raw)
                    await self.delete(learner_id)
                    await self.site.zrem(self.sandboxes_key, learner_id)
                    deleted += 1
        finally:
            await self._release(keys=[self.lock_key], args=[token])
        if deleted:
            log.info("deleted %d idle sandbox(es)", deleted)
        return deleted

    async def run_forever(self, interval: float = 60.0) -> None:
        """Sweep every ``interval`` seconds until cancelled; Redis outages are logged, not fatal."""
        task = asyncio.current_task()
        while True:
            try:
                await self.sweep()
            except RedisError as error:
                log.warning("janitor round skipped: %s", error)
            except Exception:
                log.exception("janitor round failed")
            # A cancel can be swallowed inside a round: Python 3.11's asyncio.wait_for, which
            # redis-py wraps around every socket write, returns instead of raising when the
            # cancel lands as the write completes (CPython gh-86296). The task still counts
            # the request, so honour it here, or shutdown waits for the next round forever.
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            await asyncio.sleep(interval)
