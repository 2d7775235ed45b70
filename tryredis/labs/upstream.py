"""The labs' slow upstream: a stand-in for GitHub's API, and the "database" a learner edits.

``SlowUpstream`` answers deterministic star counts per repository after a delay
(300 ms by default) and counts its calls. One is made per lab request, so its
counter is exactly the number of upstream calls that request caused: measured,
per learner, and correct with any number of workers (nothing is shared in
process memory). The page adds these up for its running total.

``LabDatabase`` is the source of truth the cache-aside and HTTP caching labs
read through the upstream: a repository's stars start at the deterministic
value and the learner may change them. Changes live in the learner's sandbox
(``labdb:repo:<owner>/<name>``, a hash with ``stars`` and ``updated``), so
every worker sees them and the learner can look at them in the REPL.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from tryredis.labs.sandboxio import SandboxRedis, parse_int

REPO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}")
"""GitHub's shape: an owner of letters, digits and dashes, a repository name (not . or ..)."""

KNOWN_STARS = {
    "redis/redis": 66000,
    "redis/redis-py": 12500,
    "valkey-io/valkey": 19000,
    "antirez/sds": 5000,
}
FIRST_UPDATED = 1714550400  # 2024-05-01: when the deterministic data "last changed"
TOPICS = ["database", "cache"]


def seed_stars(repo: str) -> int:
    """The star count the fake API gives a repository nobody has edited."""
    known = KNOWN_STARS.get(repo)
    if known is not None:
        return known
    return 100 + int(hashlib.sha256(repo.encode()).hexdigest()[:8], 16) % 50_000


@dataclass(frozen=True)
class RepoRow:
    """One repository's row in the lab database."""

    repo: str
    stars: int
    updated: int


class SlowUpstream:
    """A slow third-party API that counts how often it is called (in this request)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.calls = 0
        self.seconds = 0.0

    async def call(self) -> None:
        """One request to the API: counted, then the network and server time (measured)."""
        self.calls += 1
        start = time.perf_counter()
        await asyncio.sleep(self.delay)
        self.seconds += time.perf_counter() - start

    async def repo(self, repo: str) -> dict[str, object]:
        """``GET /repos/<repo>``: the deterministic public data (lesson 12's ``fetch_repo``)."""
        await self.call()
        return {"name": repo, "stars": seed_stars(repo), "topics": TOPICS}


class LabDatabase:
    """The learner's editable source of truth, kept in their sandbox."""

    def __init__(self, redis: SandboxRedis, clock: Callable[[], float]) -> None:
        self.redis = redis
        self.clock = clock

    @staticmethod
    def key(repo: str) -> str:
        return f"labdb:repo:{repo}"

    async def read(self, repo: str) -> RepoRow:
        """The row: the learner's edit if there is one, else the deterministic data."""
        key = self.key(repo)
        stars, updated = await self.redis.hmget(key, "stars", "updated")
        return RepoRow(
            repo,
            seed_stars(repo) if stars is None else parse_int(stars, f"{key} stars"),
            FIRST_UPDATED if updated is None else parse_int(updated, f"{key} updated"),
        )

    async def write(self, repo: str, stars: int) -> RepoRow:
        """Set the stars (the "UPDATE repos SET stars = ..." of the lab)."""
        now = int(self.clock())
        await self.redis.hset(self.key(repo), {"stars": stars, "updated": now})
        return RepoRow(repo, stars, now)

    async def star(self, repo: str) -> RepoRow:
        """One more star, atomically (HINCRBY), starting from the deterministic count."""
        key = self.key(repo)
        await self.redis.hsetnx(key, "stars", seed_stars(repo))
        stars = await self.redis.hincrby(key, "stars", 1)
        now = int(self.clock())
        await self.redis.hset(key, {"updated": now})
        return RepoRow(repo, stars, now)


async def fetch_row(upstream: SlowUpstream, database: LabDatabase, repo: str) -> RepoRow:
    """The slow source call of the cache-aside and HTTP caching labs."""
    await upstream.call()
    return await database.read(repo)
