"""Fair turns at the worker's heavy steps, so that one address's burst waits on itself.

A page render is one synchronous step of several milliseconds: nothing else in the
worker runs until it is done. The rate limits bound how much an address spends on
average, not how much of it arrives at once: nine page views sent together (the
flood of ``bench/abuse.py``) put nine renders, 75 to 100 ms, ahead of every other
learner's next step in the event loop's queue, and an exercise check that needs 2 ms
of the worker was answered in 50 to 100 ms.

``Turns.turn(address)`` is entered before such a step. When no heavy step is running
or waiting, it is granted at once. Otherwise the caller waits, and turns are handed
out one at a time, round-robin across client addresses, each only after everything
already ready in the loop has run. So another learner's step waits behind at most
one heavy step, however many one address sends. At most
``TRYREDIS_TURNS_WAITING_PER_ADDRESS`` steps of one address wait at once; one more is
refused (``Busy``: a 503 with Retry-After) instead of holding a connection and memory.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Busy(Exception):
    """Too many heavy steps of one client address are already waiting their turn."""

    def __init__(self, address: str, waiting: int) -> None:
        super().__init__(
            f"{waiting} requests from {address} are already waiting for the worker "
            "(TRYREDIS_TURNS_WAITING_PER_ADDRESS)"
        )


class Turns:
    """One heavy step at a time per worker, handed round-robin across client addresses."""

    def __init__(self, waiting_per_address: int) -> None:
        self.waiting_per_address = waiting_per_address
        self.held = False
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()

    def waiting(self, address: str) -> int:
        """How many steps of this address wait for their turn."""
        return len(self._waiting.get(address, ()))

    @asynccontextmanager
    async def turn(self, address: str) -> AsyncIterator[None]:
        """Hold the worker's turn for a heavy step (best without awaits inside); Busy if full."""
        if self.held or self._waiting:
            await self._wait(address)
        else:
            self.held = True
        try:
            yield
        finally:
            # Handed on only after what is ready now has run: others' steps go between.
            asyncio.get_running_loop().call_soon(self._next)

    async def _wait(self, address: str) -> None:
        queue = self._waiting.get(address)
        if queue is not None and len(queue) >= self.waiting_per_address:
            raise Busy(address, len(queue))
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(address, deque()).append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._next()  # granted, then cancelled before it ran: pass the turn on
            else:
                self._forget(address, granted)
            raise

    def _forget(self, address: str, granted: asyncio.Future[None]) -> None:
        queue = self._waiting.get(address)
        if queue is not None and granted in queue:
            queue.remove(granted)
            if not queue:
                del self._waiting[address]

    def _next(self) -> None:
        """Give the turn to the longest-waiting address's next step, or free it."""
        while self._waiting:
            address, queue = next(iter(self._waiting.items()))
            granted = queue.popleft()
            if queue:
                self._waiting.move_to_end(address)  # its next step goes after the others'
            else:
                del self._waiting[address]
            if not granted.done():
                granted.set_result(None)
                return  # still held: now by that step
        self.held = False
