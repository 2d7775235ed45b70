"""Batches from concurrent requests share one write and one read (auto-pipelining).

Every REPL request makes two small round trips on the site's connection (the
session touch and the journal record). On a busy worker many requests make
them at the same moment, and each round trip pays its own pool checkout,
deadline, write system call and read wake-up, which on a small VM cost more
than the commands themselves. ``Coalescer.run`` sends a batch at once when
the wire is free; while ``flushes`` round trips are already out, it queues the
batch, and the next flush sends every queued batch in one pipeline on one
connection and hands each caller its own replies (bench/RESULTS.md: 18-27%
less worker CPU per REPL request at 16 learners, the same at 1).

Only for site batches with small, bounded replies (no ``max_bytes``): the
batches of one flush share a connection, so one that breaks it fails them all,
exactly as a Redis outage would. A queued flush runs in its own task, so a
caller that is cancelled never cancels a round trip carrying others' commands,
and a cancelled caller's queued batch is never sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from tryredis.wire.pool import Executor, ExecutorError, busy_error
from tryredis.wire.protocol import Command
from tryredis.wire.replies import Reply

FLUSHES = 2
"""Round trips in flight at once: one on the wire while the next batch gathers."""
MAX_COMMANDS = 512
"""Commands per flush at most, so that one pipeline's write and replies stay small."""


@dataclass
class _Waiting:
    commands: Sequence[Command]
    future: asyncio.Future[list[Reply]]
    since: float = field(default_factory=time.monotonic)


class Coalescer:
    """An executor front that pipelines concurrent callers' batches together."""

    def __init__(self, executor: Executor, *, flushes: int = FLUSHES) -> None:
        self.executor = executor
        self.flushes = flushes
        self.wait = executor.pool.wait  # as long as a pool checkout may wait, then "busy"
        self._waiting: list[_Waiting] = []
        self._in_flight = 0
        self.round_trips = 0  # sent so far: fewer than the batches when they were coalesced
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, commands: Sequence[Command]) -> list[Reply]:
        """Send the commands (in one pipeline with others' batches) and return their replies."""
        if self._in_flight < self.flushes and not self._waiting:
            # The wire is free: go out at once from the caller's task. Only this
            # caller's commands are on this round trip, so cancelling it costs nobody else.
            self._in_flight += 1
            self.round_trips += 1
            try:
                return await self.executor.run(commands)
            finally:
                self._done()
        future: asyncio.Future[list[Reply]] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(commands, future))
        return await future

    def _done(self) -> None:
        self._in_flight -= 1
        if self._waiting and self._in_flight < self.flushes:
            self._start()

    def _start(self) -> None:
        """Take the queued batches (up to MAX_COMMANDS) into one flush task."""
        batch: list[_Waiting] = []
        commands = 0
        stale = time.monotonic() - self.wait
        while self._waiting:
            waiting = self._waiting[0]
            if waiting.future.done():  # its caller was cancelled: never send it
                self._waiting.pop(0)
                continue
            if waiting.since < stale:  # queued longer than a pool checkout may wait
                self._waiting.pop(0)
                waiting.future.set_exception(busy_error())
                continue
            if batch and commands + len(waiting.commands) > MAX_COMMANDS:
                break
            batch.append(self._waiting.pop(0))
            commands += len(waiting.commands)
        if not batch:
            return
        self._in_flight += 1
        self.round_trips += 1
        task = asyncio.get_running_loop().create_task(self._flush(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self, batch: list[_Waiting]) -> None:
        try:
            commands = [command for waiting in batch for command in waiting.commands]
            try:
                replies = await self.executor.run(commands)
            except BaseException as error:  # every caller of this flush learns why
                for waiting in batch:
                    if not waiting.future.done():
                        waiting.future.set_exception(
                            ExecutorError(error.message, maybe_ran=error.maybe_ran, busy=error.busy)
                            if isinstance(error, ExecutorError)
                            else ExecutorError("Redis is unreachable right now.", maybe_ran=True)
                        )
                if not isinstance(error, Exception):
                    raise
                return
            start = 0
            for waiting in batch:
                end = start + len(waiting.commands)
                if not waiting.future.done():
                    waiting.future.set_result(replies[start:end])
                start = end
        finally:
            self._done()

    async def close(self) -> None:
        """Wait for the flushes in flight, then close the executor's connections."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.executor.close()
