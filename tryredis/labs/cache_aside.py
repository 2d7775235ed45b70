"""The cache-aside lab (lessons 12 and 13): read through the cache, write with or without DEL.

``get_stars`` is lesson 12's function step by step: look in the cache, return a
hit, or ask the (slow) source and store its answer with a TTL. ``update_stars``
is lesson 13's write path: database first, then (optionally) delete the key.
Times are measured around the real calls; hit or miss is what GET answered.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tryredis.labs.sandboxio import SandboxRedis, parse_int
from tryredis.labs.upstream import LabDatabase, SlowUpstream, fetch_row


def stars_key(repo: str) -> str:
    """Lesson 12's key: ``cache:stars:<owner>/<name>``."""
    return f"cache:stars:{repo}"


@dataclass(frozen=True)
class Fetch:
    """One read through the cache, as measured."""

    repo: str
    key: str
    hit: bool
    stars: int
    ms: float
    upstream_calls: int
    ttl: int
    database_stars: int

    @property
    def stale(self) -> bool:
        """The cache answered something the database no longer says."""
        return self.stars != self.database_stars


async def get_stars(
    redis: SandboxRedis, upstream: SlowUpstream, database: LabDatabase, repo: str, ttl: int
) -> tuple[int, bool]:
    """Cache-aside: (stars, hit). Lesson 12's ``get_stars``, with the lab's database as source."""
    key = stars_key(repo)
    cached = await redis.get(key)  # 1. look in the cache
    if cached is not None:
        return parse_int(cached, key), True  # 2. hit
    row = await fetch_row(upstream, database, repo)  # 3. miss: ask the source...
    await redis.set(key, row.stars, ex=ttl)  # ...and store the answer with a TTL
    return row.stars, False


async def fetch(
    redis: SandboxRedis, upstream: SlowUpstream, database: LabDatabase, repo: str, ttl: int
) -> Fetch:
    """Time one ``get_stars``, then look (untimed) at the key's TTL and the database."""
    calls_before = upstream.calls
    start = time.perf_counter()
    stars, hit = await get_stars(redis, upstream, database, repo, ttl)
    ms = (time.perf_counter() - start) * 1000
    key_ttl = await redis.ttl(stars_key(repo))
    truth = (await database.read(repo)).stars
    return Fetch(
        repo, stars_key(repo), hit, stars, ms, upstream.calls - calls_before, key_ttl, truth
    )


@dataclass(frozen=True)
class Update:
    """One write to the database, with or without invalidation."""

    repo: str
    stars: int
    invalidated: bool
    deleted: int
    ms: float


async def update_stars(
    redis: SandboxRedis, database: LabDatabase, repo: str, stars: int, *, invalidate: bool
) -> Update:
    """Lesson 13: 1. the database (the source of truth), 2. then delete the cache key."""
    start = time.perf_counter()
    await database.write(repo, stars)
    deleted = await redis.delete(stars_key(repo)) if invalidate else 0
    return Update(repo, stars, invalidate, deleted, (time.perf_counter() - start) * 1000)
