"""A teacher's dashboard stream outlives a Redis restart: a failed refresh is skipped."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.classroom.fake_hub import Hub
from tryredis.classroom import dashboard_views, progress
from tryredis.classroom.events import Event


class Classes:
    def __init__(self) -> None:
        self.down = False

    async def members(self, klass: Any) -> list[Any]:
        if self.down:
            raise RedisConnectionError("Connection refused.")
        return []


class Classroom:
    def __init__(self) -> None:
        self.hub = Hub()
        self.classes = Classes()
        self.lessons: Any = None


class Klass:
    id = "c1"


@pytest.mark.asyncio
async def test_the_stream_goes_on_through_an_outage(monkeypatch: pytest.MonkeyPatch) -> None:
    classroom: Any = Classroom()
    monkeypatch.setattr(progress, "columns", lambda klass, lessons: [])

    async def rows(classroom: Any, klass: Any, members: list[Any]) -> list[Any]:
        return []

    monkeypatch.setattr(progress, "rows", rows)
    klass: Any = Klass()
    stream: Any = dashboard_views._dashboard_stream(classroom, klass)
    assert b"event: rows" in await anext(stream)
    classroom.classes.down = True  # Redis goes away; a student joins meanwhile
    await classroom.hub.queue.put(Event("1", "join", {"l": "new"}))
    async with asyncio.timeout(2):
        assert await anext(stream) == b": keep-alive\n\n"  # not an exception
    classroom.classes.down = False
    await classroom.hub.queue.put(Event("2", "ended", {}))
    async with asyncio.timeout(2):
        assert b"event: ended" in await anext(stream)
    await stream.aclose()
