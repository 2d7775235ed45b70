"""The student's notice stream sends its keep-alive on time while other students' events flow."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.classroom.fake_hub import Hub
from tryredis.classroom import join_views
from tryredis.classroom.events import Event


class Classroom:
    def __init__(self) -> None:
        self.hub = Hub()


@pytest.mark.asyncio
async def test_others_events_do_not_hold_back_the_keep_alive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(join_views, "KEEPALIVE", 0.3)
    classroom: Any = Classroom()
    stream: Any = join_views._student_stream(classroom, "c1", "me", "")  # an async generator
    assert b"event: ready" in await anext(stream)

    async def others() -> None:  # every 0.1 s a classmate solves something: not for "me"
        for n in range(100):
            await classroom.hub.queue.put(Event(str(n), "done", {"l": "other", "x": "a/b"}))
            await asyncio.sleep(0.1)

    feeder = asyncio.create_task(others())
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with asyncio.timeout(2):
            first = await anext(stream)
        assert first == b": keep-alive\n\n"
        assert loop.time() - started < 0.6  # within about KEEPALIVE, not never
    finally:
        feeder.cancel()
        await stream.aclose()
