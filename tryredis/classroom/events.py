"""A class's events: one Redis stream per class, fanned out to this worker's listeners.

Producers (progress, notices, reveals, resets, joins) ``XADD`` to ``P c:{<id>}:ev``.
Each worker runs one reader per class that has listeners here (dashboards,
students' notice streams), blocking on ``XREAD``, and hands every entry to
every listener's queue. So any number of open dashboards and students costs
one blocked read per class and worker, never a poll per browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from tryredis.classroom.keys import ClassKeys
from tryredis.classroom.teachers import _text

if TYPE_CHECKING:
    from tryredis.sessions import SiteRedis

log = logging.getLogger("tryredis.classroom")

STREAM_MAX = 2000
BLOCK_MS = 1000  # below the site client's 2 s socket timeout
QUEUE_MAX = 500


@dataclass(frozen=True)
class Event:
    """One entry of a class's stream: its id, type and fields."""

    id: str
    type: str
    fields: dict[str, str]


def _event(entry_id: Any, raw: Any) -> Event:
    fields = {_text(k): _text(v) for k, v in raw.items()}
    return Event(_text(entry_id), fields.pop("t", ""), fields)


async def publish(
    redis: SiteRedis, keys: ClassKeys, class_id: str, type_: str, **fields: str
) -> str:
    """Append one event to the class's stream; its id."""
    entry: Any = {"t": type_, **fields}
    entry = await redis.xadd(keys.events(class_id), entry, maxlen=STREAM_MAX, approximate=True)
    return _text(entry)


async def since(redis: SiteRedis, keys: ClassKeys, class_id: str, last_id: str) -> list[Event]:
    """Events after ``last_id`` still in the stream (at most 100), oldest first."""
    try:
        entries: Any = await redis.xrange(keys.events(class_id), f"({last_id}", "+", count=100)
    except RedisError:
        return []  # a malformed id from a client: nothing to replay
    return [_event(entry_id, raw) for entry_id, raw in entries]


class Hub:
    """This worker's readers of class streams and their listeners' queues."""

    def __init__(self, redis: SiteRedis, keys: ClassKeys) -> None:
        self.redis = redis
        self.keys = keys
        self._listeners: dict[str, set[asyncio.Queue[Event]]] = {}
        self._readers: dict[str, asyncio.Task[None]] = {}

    @contextlib.asynccontextmanager
    async def listen(self, class_id: str) -> AsyncIterator[asyncio.Queue[Event]]:
        """A queue that receives the class's new events while the block runs."""
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_MAX)
        self._listeners.setdefault(class_id, set()).add(queue)
        if class_id not in self._readers:
            start = _text(await self._last_id(class_id))
            self._readers[class_id] = asyncio.create_task(self._read(class_id, start))
        try:
            yield queue
        finally:
            listeners = self._listeners.get(class_id, set())
            listeners.discard(queue)
            if not listeners:
                self._listeners.pop(class_id, None)
                reader = self._readers.pop(class_id, None)
                if reader is not None:
                    reader.cancel()

    async def _last_id(self, class_id: str) -> str:
        try:
            info: Any = await self.redis.xrevrange(self.keys.events(class_id), count=1)
        except RedisError:
            return "0-0"
        return _text(info[0][0]) if info else "0-0"

    async def _read(self, class_id: str, last_id: str) -> None:
        stream = self.keys.events(class_id)
        task = asyncio.current_task()
        while True:
            if task is not None and task.cancelling():  # a cancel redis-py swallowed
                raise asyncio.CancelledError
            try:
                found: Any = await self.redis.xread({stream: last_id}, count=200, block=BLOCK_MS)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as error:
                log.warning("class events: %s", error)
                await asyncio.sleep(1.0)
                continue
            for _, entries in found or []:
                for entry_id, raw in entries:
                    last_id = _text(entry_id)
                    event = _event(entry_id, raw)
                    for queue in list(self._listeners.get(class_id, ())):
                        if queue.full():  # a stuck listener: it gets a gap, not our memory
                            queue.get_nowait()
                        queue.put_nowait(event)

    def readers(self) -> list[asyncio.Task[None]]:
        """The running readers (the classroom cancels them at shutdown)."""
        return list(self._readers.values())
