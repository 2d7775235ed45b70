"""A stand-in for the class event hub that the tests feed by hand (one queue)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from tryredis.classroom.events import Event


class Hub:
    """The class's event hub: one queue, fed by the test."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue()

    @contextlib.asynccontextmanager
    async def listen(self, class_id: str) -> AsyncIterator[asyncio.Queue[Event]]:
        """The queue the view reads, whatever the class."""
        yield self.queue
