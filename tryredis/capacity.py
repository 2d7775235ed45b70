"""How full the learners' Redis is, and what the site stops doing as it fills.

Each sandbox stays within its own quota, but the quotas of every sandbox the site
could admit add up to more than any Redis. So the site watches ``INFO memory``
(every ``INTERVAL`` seconds, one call per worker) against ``maxmemory`` and steps
back in three stages, each a setting (percent of ``maxmemory``):

* ``TRYREDIS_ADMIT_MEMORY_PERCENT`` (70): no new sandboxes; a new learner gets
  "the site is full, try later" (503). Learners already in carry on.
* ``TRYREDIS_EVICT_MEMORY_PERCENT`` (75): the janitor deletes the longest-idle
  sandboxes first (never one active in the last ``SPARE_SECONDS``) until below.
* ``TRYREDIS_WRITE_MEMORY_PERCENT`` (85): learners' commands that may grow
  memory are refused; reads, deletes and the site's own keys go on.

The rest (15% by default) is the headroom the site's own keys (sessions, rate
limits, progress, the journal) need to keep working while Redis is nearly full:
under ``noeviction`` a full Redis refuses every script that writes, which is
every request's session touch. Between two readings each worker counts the
growth it admitted, times the number of workers, so a burst cannot overshoot by
more than one reading's worth of every worker's writes.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Literal

from redis.exceptions import RedisError
from starlette.exceptions import HTTPException

log = logging.getLogger("tryredis.capacity")

INTERVAL = 0.25  # seconds between two readings of INFO memory
SPARE_SECONDS = 300  # eviction never takes a sandbox active this recently

State = Literal["ok", "full", "evicting", "writes paused", "unknown"]


@dataclass(frozen=True)
class Thresholds:
    """The three stages, as fractions of maxmemory."""

    admit: float = 0.70
    evict: float = 0.75
    write: float = 0.85

    @classmethod
    def from_percent(cls, admit: float, evict: float, write: float) -> Thresholds:
        """From the settings' percentages."""
        return cls(admit / 100, evict / 100, write / 100)


RETRY_FULL_SECONDS = 120


class SiteFull(HTTPException):
    """No new sandboxes now: a 503 page (or JSON under /api/) asking to come back later."""

    def __init__(self) -> None:
        super().__init__(
            503,
            "The site is full right now, so no new sandboxes can start: please try again "
            "in a few minutes. (Redis is past TRYREDIS_ADMIT_MEMORY_PERCENT of its maxmemory.)",
            headers={"retry-after": str(RETRY_FULL_SECONDS)},
        )


class MemoryGauge:
    """The latest reading of Redis's memory, and the admission decisions made from it."""

    def __init__(self, redis: Any, thresholds: Thresholds, workers: int = 1) -> None:
        self.redis = redis
        self.thresholds = thresholds
        self.workers = max(1, workers)
        self.used = 0
        self.maximum = 0  # 0: the Redis has no maxmemory, so no stage applies
        self.known = False
        self.readings = 0  # how many readings were taken (tests wait on a fresh one)
        self.pending = 0  # growth this worker admitted since the last reading
        # The smallest growth refused while it still would not fit: the admission refuses
        # on used + what may be on its way, so writes can be refused while the reading
        # alone is below the stage; /healthz must say so too (0: nothing refused).
        self.refused = 0
        self.pressure = asyncio.Event()  # set while eviction is due: wakes the janitor

    async def read(self) -> None:
        """Take one reading (``INFO memory``); keep the last one if Redis does not answer."""
        info = await self.redis.info("memory")
        self.used = int(info.get("used_memory", 0))
        self.maximum = int(info.get("maxmemory", 0))
        self.known = True
        self.readings += 1
        self.pending = 0
        if self.refused and not self.past(self.thresholds.write, self.refused * self.workers):
            self.refused = 0  # that write would be admitted now
        if self.past(self.thresholds.evict):
            self.pressure.set()
        else:
            self.pressure.clear()

    async def run_forever(self) -> None:
        """Read every ``INTERVAL`` seconds until cancelled; Redis outages are skipped."""
        warned = False
        while True:
            try:
                await self.read()
                if self.maximum == 0 and not warned:
                    log.warning(
                        "Redis has no maxmemory: the site cannot tell when it is full "
                        "(set maxmemory; see docs/sandbox.md, Capacity)"
                    )
                    warned = True
            except (RedisError, OSError, ValueError) as error:
                log.debug("memory reading skipped: %s", error)
            await asyncio.sleep(INTERVAL)

    def past(self, fraction: float, extra: int = 0) -> bool:
        """Whether used memory (plus ``extra``) is past ``fraction`` of maxmemory."""
        return self.maximum > 0 and self.used + extra > fraction * self.maximum

    def admit_new(self) -> None:
        """Raise SiteFull unless a new sandbox may start."""
        if self.past(self.thresholds.admit):
            raise SiteFull

    def admit_growth(self, size: int) -> bool:
        """Whether a command that may grow memory by ``size`` bytes may run now."""
        if size <= 0 or self.maximum == 0:
            return True
        ahead = (self.pending + size) * self.workers  # every worker may be doing the same
        if self.past(self.thresholds.write, ahead):
            self.refused = min(self.refused or size, size)
            return False
        self.pending += size
        return True

    @property
    def writes_paused(self) -> bool:
        """Whether learners' growing writes are refused now."""
        return self.past(self.thresholds.write) or self.refused > 0

    @property
    def state(self) -> State:
        """The stage Redis is in now."""
        if not self.known:
            return "unknown"
        if self.writes_paused:
            return "writes paused"
        if self.past(self.thresholds.evict):
            return "evicting"
        if self.past(self.thresholds.admit):
            return "full"
        return "ok"

    def report(self) -> dict[str, object]:
        """What ``/healthz`` shows."""
        percent = round(100 * self.used / self.maximum, 1) if self.maximum else None
        return {
            "state": self.state,
            "used_bytes": self.used,
            "max_bytes": self.maximum,
            "used_percent": percent,
            "admit_percent": round(self.thresholds.admit * 100, 1),
            "evict_percent": round(self.thresholds.evict * 100, 1),
            "write_percent": round(self.thresholds.write * 100, 1),
        }
