"""Batches from concurrent requests share one write and one read (auto-pipelining).

Every REPL request makes three small round trips: the session touch and the
journal record on the site's connection, the learner's command on the
sandbox's. On a busy worker many requests make them at the same moment, and
each round trip pays its own pool checkout, deadline, write system call and
read wake-up, which on a small VM cost more than the commands themselves.
``Coalescer.run`` queues a batch; at the end of the event loop's step (or,
while ``flushes`` round trips are already out, when one comes back) a flush
sends every queued batch in one pipeline on one connection and hands each
caller its own replies (bench/RESULTS.md).

Sharing keeps each batch's guarantees:

* every batch is self-contained (a MULTI always goes with its EXEC), so
  batches of different learners in one pipeline run exactly as they would on
  connections of their own; a batch with a WATCH never shares (it would
  change the next EXEC on its connection);
* each batch's replies are read within its own ``max_bytes``: one that runs
  past it is cut there, the batches before it keep their replies, and the
  ones after it learn that their commands may have run (the cost model bounds
  every reply below its limit, so this is a backstop);
* a broken connection or a timeout fails every batch of the flush, exactly as
  a Redis outage would fail them on connections of their own;
* a queued flush runs in its own task, so a caller that is cancelled never
  cancels a round trip carrying others' commands, and a cancelled caller's
  queued batch is never sent.
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
FLUSH_REPLY_BYTES = 1 << 20
"""Expected reply bytes per flush at most. Redis holds a pipeline's replies in one
client's output buffer, which it cuts at 4 MB (redisconf: ``client-output-buffer-limit
normal 4mb``): that would fail every batch of the flush."""
SHARED_REPLY_BYTES = 64 << 10
"""A batch that may take more than this goes on a connection of its own."""
ALONE = 1 << 62
"""``expected=`` for a batch whose replies have no small bound: it never shares."""


@dataclass
class _Waiting:
    commands: Sequence[Command]
    max_bytes: int | None
    expected: int
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
        self._scheduled = False

    async def run(
        self, commands: Sequence[Command], max_bytes: int | None = None, expected: int = 0
    ) -> list[Reply]:
        """Send the commands (in one pipeline with others' batches) and return their replies.

        ``max_bytes`` bounds this batch's own replies, wherever it is in a pipeline;
        ``expected`` is what they should take, so that a flush's replies stay small.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Reply]] = loop.create_future()
        self._waiting.append(_Waiting(commands, max_bytes, expected, future))
        if not self._scheduled and self._in_flight < self.flushes:
            # Not at once: the other requests this loop step wakes (say, every caller of
            # the flush that just came back) join the same round trip.
            self._scheduled = True
            loop.call_soon(self._tick)
        return await future

    def _tick(self) -> None:
        self._scheduled = False
        self._fill()

    def _done(self) -> None:
        self._in_flight -= 1
        self._fill()

    def _fill(self) -> None:
        """Start flushes of the queued batches while fewer than ``flushes`` are out."""
        while self._waiting and self._in_flight < self.flushes:
            self._start()

    def _start(self) -> None:
        """Take the queued batches (up to MAX_COMMANDS, FLUSH_REPLY_BYTES) into one flush task."""
        batch: list[_Waiting] = []
        commands = expected = 0
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
            if batch and (
                commands + len(waiting.commands) > MAX_COMMANDS
                or expected + waiting.expected > FLUSH_REPLY_BYTES
            ):
                break
            batch.append(self._waiting.pop(0))
            commands += len(waiting.commands)
            expected += waiting.expected
        if not batch:
            return
        self._in_flight += 1
        self.round_trips += 1
        task = asyncio.get_running_loop().create_task(self._flush(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self, batch: list[_Waiting]) -> None:
        try:
            try:
                outcomes = await self.executor.run_segments(
                    [(waiting.commands, waiting.max_bytes) for waiting in batch]
                )
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
            for waiting, outcome in zip(batch, outcomes, strict=True):
                if waiting.future.done():
                    continue
                if isinstance(outcome, ExecutorError):
                    waiting.future.set_exception(outcome)
                else:
                    waiting.future.set_result(outcome)
        finally:
            self._done()

    async def close(self) -> None:
        """Wait for the flushes in flight, then close the executor's connections."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.executor.close()


# A WATCH (or UNWATCH) changes what every later EXEC on its connection does, so a
# batch carrying one never shares a pipeline with anyone else's (the engine sends
# them on a connection it holds; this is the backstop).
_CONNECTION_STATE = frozenset({b"WATCH", b"UNWATCH"})


def _changes_connection(name: bytes | str | int) -> bool:
    if type(name) is bytes and len(name) > 7:  # neither name: most commands stop here
        return False
    if isinstance(name, str):
        name = name.encode()
    return isinstance(name, bytes) and name.upper() in _CONNECTION_STATE


class CoalescingExecutor(Executor):
    """An executor whose ``run`` shares round trips with concurrent callers (``Coalescer``).

    ``hold`` still checks out a connection of its own, for WATCH ... EXEC.
    """

    def __init__(self, executor: Executor, *, flushes: int = FLUSHES) -> None:
        super().__init__(executor.pool)
        self.coalescer = Coalescer(executor, flushes=flushes)

    async def run(
        self,
        commands: Sequence[Command],
        max_bytes: int | None = None,
        expected: int | None = None,
    ) -> list[Reply]:
        """The commands' replies, from a round trip that may carry other callers' batches.

        Without ``expected`` a batch is taken to need all of ``max_bytes``.
        """
        size = expected if expected is not None else (max_bytes or 0)
        if size > SHARED_REPLY_BYTES:
            return await super().run(commands, max_bytes)
        for command in commands:  # a loop, not any(): this runs for every command typed
            if _changes_connection(command[0]):
                return await super().run(commands, max_bytes)
        return await self.coalescer.run(commands, max_bytes, size)

    async def close(self) -> None:
        """Wait for the flushes in flight, then close the pool's connections."""
        await self.coalescer.close()
