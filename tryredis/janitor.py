"""Deletes idle sandboxes: one worker at a time, under a lock in Redis.

Every worker runs the loop; each round, the worker that takes the lock
(``SET P janitor <token> NX PX``) deletes the sandboxes whose last activity
is older than ``TRYREDIS_SANDBOX_IDLE_HOURS``, a batch at a time. Under memory
pressure (``capacity.MemoryGauge``) the round also evicts: the longest-idle
sandboxes first, never one active in the last ``SPARE_SECONDS``, a few at a
time, until the next reading of Redis's memory is below the eviction stage. The
gauge wakes the loop within a second of the pressure, not at the next round.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

from tryredis.capacity import SPARE_SECONDS, MemoryGauge
from tryredis.sessions import SiteRedis

log = logging.getLogger("tryredis.janitor")

BATCH = 100
EVICT_BATCH = 10  # sandboxes evicted between two readings of memory
PRESSURE_POLL = 1.0  # the loop checks for memory pressure this often between rounds

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
        gauge: MemoryGauge | None = None,
    ) -> None:
        self.site = site
        self.gauge = gauge
        self._warned = -60.0
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
                    await self._forget(raw)
                    deleted += 1
            deleted += await self._evict(time.time() if now is None else now)
        finally:
            await self._release(keys=[self.lock_key], args=[token])
        if deleted:
            log.info("deleted %d idle sandbox(es)", deleted)
        return deleted

    async def _forget(self, raw: object) -> None:
        learner_id = raw.decode() if isinstance(raw, bytes) else str(raw)
        await self.delete(learner_id)
        await self.site.zrem(self.sandboxes_key, learner_id)

    async def _evict(self, now: float) -> int:
        """Delete the longest-idle sandboxes while memory is past the eviction stage."""
        gauge = self.gauge
        if gauge is None:
            return 0
        evicted = 0
        while gauge.past(gauge.thresholds.evict):
            oldest = await self.site.zrangebyscore(
                self.sandboxes_key, "-inf", now - SPARE_SECONDS, start=0, num=EVICT_BATCH
            )
            if not oldest:
                if time.monotonic() - self._warned > 60:  # once a minute, not every second
                    log.warning("memory is past the eviction stage, but every sandbox is in use")
                    self._warned = time.monotonic()
                break
            for raw in oldest:
                await self._forget(raw)
            evicted += len(oldest)
            await gauge.read()  # measure again before taking more
        if evicted:
            log.warning("memory pressure: evicted %d longest-idle sandbox(es)", evicted)
        return evicted

    async def _pause(self, interval: float) -> None:
        """Wait for the next round, or for memory pressure, whichever comes first."""
        if self.gauge is not None and self.gauge.pressure.is_set():
            await asyncio.sleep(PRESSURE_POLL)  # still under pressure: try again in a second
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + interval
        while (left := deadline - loop.time()) > 0:
            if self.gauge is None:
                await asyncio.sleep(left)
                return
            try:
                async with asyncio.timeout(min(left, PRESSURE_POLL)):
                    await self.gauge.pressure.wait()
                return
            except TimeoutError:
                continue

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
            await self._pause(interval)
