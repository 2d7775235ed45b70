"""Shutdown ends: the janitor stops when cancelled, and closing the services is bounded."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis

from tests.conftest import settings_for
from tests.support.redis_servers import RedisServer
from tryredis.janitor import Janitor
from tryredis.lessons import load_lessons
from tryredis.services import CLOSE_SECONDS, Services
from tryredis.settings import PROJECT_ROOT

LESSONS = PROJECT_ROOT / "lessons_md"


def janitor_on(
    server: RedisServer, delete: Callable[[str], Awaitable[None]]
) -> tuple[Janitor, Redis]:
    """A janitor over a private server."""
    site = Redis.from_url(server.url)
    return Janitor(site, "tryredis:sandboxes", "tryredis:janitor", 60, delete), site


@pytest.mark.asyncio
async def test_cancel_swallowed_inside_a_round_still_stops_the_loop(
    fresh_redis: RedisServer,
) -> None:
    # Python 3.11's asyncio.wait_for (used by redis-py for every socket write) returns the
    # result instead of raising when a cancel lands as the write completes (CPython
    # gh-86296): the task is left "cancelling" but running. A delete that swallows the
    # cancel stands in for it deterministically.
    entered = asyncio.Event()

    async def swallowing_delete(learner_id: str) -> None:
        entered.set()
        with contextlib.suppress(asyncio.CancelledError):  # what redis-py does under 3.11
            await asyncio.sleep(30)

    janitor, site = janitor_on(fresh_redis, swallowing_delete)
    await site.zadd("tryredis:sandboxes", {"idle": 0})
    task = asyncio.create_task(janitor.run_forever(interval=60))
    await asyncio.wait_for(entered.wait(), 5)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert done == {task}, "the janitor kept running after it was cancelled"
    assert task.cancelled()
    await site.aclose()


@pytest.mark.asyncio
async def test_services_close_is_bounded_when_a_task_ignores_its_cancel(
    fresh_redis: RedisServer,
) -> None:
    services = await Services.start(settings_for(fresh_redis), load_lessons(LESSONS))
    assert len(services.tasks) == 3  # the janitor, the memory gauge, the loop-lag probe
    stop = asyncio.Event()

    async def stubborn() -> None:
        while not stop.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await stop.wait()

    ignoring = asyncio.create_task(stubborn())
    services.tasks.append(ignoring)
    await asyncio.sleep(0)
    started = time.monotonic()
    await services.close()
    took = time.monotonic() - started
    assert CLOSE_SECONDS <= took < CLOSE_SECONDS + 2
    assert all(task.done() for task in services.tasks if task is not ignoring)
    stop.set()
    await ignoring
