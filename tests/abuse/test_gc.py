"""The collector: what start-up built is frozen, so a full collection does not stall a worker.

bench/abuse.py on 7edc240: a full (generation 2) collection in the worker took 67 to
73 ms, the longest event-loop stalls of the run once the flood's renders took turns;
they walked every object the worker had built at start-up (modules, lessons,
templates), which live as long as it does.
"""

from __future__ import annotations

import asyncio
import gc
import time

from tests.conftest import settings_for
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app


def test_startup_objects_are_frozen_while_the_app_runs(server: RedisServer) -> None:
    async def main() -> tuple[int, float, int]:
        app = create_app(settings_for(server))
        async with app.router.lifespan_context(app):
            frozen = gc.get_freeze_count()
            started = time.perf_counter()
            gc.collect()
            full = time.perf_counter() - started
        return frozen, full, gc.get_freeze_count()

    frozen, full, after = asyncio.run(main())
    assert frozen > 50_000, frozen  # the site's own objects (76,000 here)
    print(f"{frozen} objects frozen; a full collection then took {full * 1000:.1f} ms")
    assert after == 0, "unfrozen when the app stops: a later app's garbage is collectable"
