"""Which Redis node runs a learner's commands: one server, or the slot's owner in a Cluster.

Every key of a learner carries the hash tag ``{id}``, so all of them live in one
Cluster slot and every batch a sandbox sends goes to one node. On a Cluster the
router asks the slot map (kept by redis-py's cluster client) for that node and
keeps a small pool per node. A ``MOVED`` or ``ASK`` answer (the slot moved while
resharding) refreshes the map and sends the batch again, once: Redis ran none
of it.
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from redis.crc import key_slot
from redis.exceptions import RedisError

from tryredis.wire.coalesce import CoalescingExecutor
from tryredis.wire.pool import Executor, Held, RawConnection, make_pool
from tryredis.wire.protocol import Command
from tryredis.wire.replies import ErrorReply, Reply


class Router(Protocol):
    """Gives each sandbox the executors for its keys."""

    def executor(self, learner_id: str) -> Executor:
        """For ordinary commands."""

    def blocking(self, learner_id: str) -> Executor:
        """For blocking commands (their own, smaller pool)."""

    async def subscriber(self, learner_id: str) -> RawConnection:
        """A new dedicated connection (for SUBSCRIBE: it changes the connection's state)."""

    async def close(self) -> None:
        """Close every connection."""


@dataclass
class PoolSizes:
    """How each pool (one per node) is sized."""

    size: int
    timeout: float
    blocking_size: int
    blocking_timeout: float
    wait: float = 5.0  # how long a request waits for a free connection before "busy"


class SingleNode:
    """A standalone Redis: one pool for ordinary commands, one for blocking ones."""

    def __init__(self, url: str, sizes: PoolSizes) -> None:
        self.url = url
        # Ordinary commands share round trips with other learners' (wire/coalesce.py);
        # blocking ones would hold a shared pipeline up, so they never do.
        self._executor = CoalescingExecutor(
            Executor(make_pool(url, size=sizes.size, socket_timeout=sizes.timeout, wait=sizes.wait))
        )
        self._blocking = Executor(
            make_pool(url, size=sizes.blocking_size, socket_timeout=sizes.blocking_timeout,
                      wait=sizes.wait)
        )  # fmt: skip

    def executor(self, learner_id: str) -> Executor:
        """The one pool."""
        return self._executor

    def blocking(self, learner_id: str) -> Executor:
        """The one blocking pool."""
        return self._blocking

    async def subscriber(self, learner_id: str) -> RawConnection:
        """A dedicated connection to the server."""
        return await RawConnection.open(self.url)

    async def close(self) -> None:
        """Close both pools."""
        await self._executor.close()
        await self._blocking.close()


def _moved(reply: Reply) -> bool:
    return isinstance(reply, ErrorReply) and reply.code in (b"MOVED", b"ASK")


def _not_run(replies: Sequence[Reply]) -> bool:
    """Whether a batch was turned away by a moved slot before its last command ran.

    A learner's keys share one slot, so the batch's last command (or the EXEC that
    aborted because a queued command was moved) tells: nothing of it ran there,
    and sending it again to the slot's new owner runs it once. Anything before it
    is engine bookkeeping that may safely run twice.
    """
    if not replies:
        return False
    last = replies[-1]
    if _moved(last):
        return True
    aborted = isinstance(last, ErrorReply) and last.code == b"EXECABORT"
    return aborted and any(_moved(reply) for reply in replies)


class ClusterNodes:
    """A Redis Cluster: a pool per node, chosen by the learner's slot."""

    def __init__(self, url: str, sizes: PoolSizes) -> None:
        self.url = url
        self.sizes = sizes
        self._seed = Executor(make_pool(url, size=1, socket_timeout=2.0))
        self._owners: list[tuple[int, int, str, int]] = []  # (first, last, host, port), sorted
        self._pools: dict[tuple[str, int, bool], Executor] = {}

    async def start(self) -> None:
        """Read the slot map."""
        await self.refresh()

    async def refresh(self) -> None:
        """(Re-)read the slot map: one CLUSTER SLOTS, allowed to the sandbox's ACL user.

        Not redis-py's cluster client: it also needs COMMAND, which that user may not run.
        """
        (reply,) = await self._seed.run([(b"CLUSTER", b"SLOTS")])
        if not isinstance(reply, list):
            raise RedisError(f"CLUSTER SLOTS answered {reply!r}")
        seed_host = urlsplit(self.url).hostname or "127.0.0.1"
        owners = []
        for entry in reply:
            match entry:
                case [int(first), int(last), [bytes(host), int(port), *_], *_]:
                    # An empty host means "the address you reached me at": the seed's.
                    owners.append((first, last, host.decode() or seed_host, port))
                case _:
                    raise RedisError(f"unexpected CLUSTER SLOTS entry {entry!r}")
        self._owners = sorted(owners)

    def _owner(self, slot: int) -> tuple[str, int]:
        index = bisect.bisect_right(self._owners, (slot, 16384)) - 1
        if index < 0 or not self._owners[index][0] <= slot <= self._owners[index][1]:
            raise RedisError(f"no node serves slot {slot}")
        return self._owners[index][2], self._owners[index][3]

    def _node_url(self, host: str, port: int) -> str:
        # Same scheme, user and password as the seed URL; the node's address.
        parts = urlsplit(self.url)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@{host}:{port}" if credentials else f"{host}:{port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def node_executor(self, slot: int, blocking: bool) -> Executor:
        """The pool of the node that owns ``slot`` now."""
        host, port = self._owner(slot)
        key = (host, port, blocking)
        if key not in self._pools:
            sizes = self.sizes
            size, timeout = (
                (sizes.blocking_size, sizes.blocking_timeout) if blocking
                else (sizes.size, sizes.timeout)
            )  # fmt: skip
            executor = Executor(
                make_pool(self._node_url(host, port), size=size,
                          socket_timeout=timeout, wait=sizes.wait)
            )  # fmt: skip
            self._pools[key] = executor if blocking else CoalescingExecutor(executor)
        return self._pools[key]

    def executor(self, learner_id: str) -> Executor:
        """The learner's slot's node, following moves."""
        return SlotExecutor(self, key_slot(learner_id.encode()), blocking=False)

    def blocking(self, learner_id: str) -> Executor:
        """The learner's slot's node, blocking pool."""
        return SlotExecutor(self, key_slot(learner_id.encode()), blocking=True)

    async def subscriber(self, learner_id: str) -> RawConnection:
        """A dedicated connection to the learner's slot's node (publishes reach every node)."""
        host, port = self._owner(key_slot(learner_id.encode()))
        return await RawConnection.open(self._node_url(host, port))

    async def close(self) -> None:
        """Close every pool."""
        for executor in [self._seed, *self._pools.values()]:
            await executor.close()


class SlotExecutor(Executor):
    """An Executor bound to a slot rather than to a node."""

    def __init__(self, nodes: ClusterNodes, slot: int, *, blocking: bool) -> None:
        self.nodes = nodes
        self.slot = slot
        self.is_blocking = blocking

    async def run(
        self,
        commands: Sequence[Command],
        max_bytes: int | None = None,
        expected: int | None = None,
    ) -> list[Reply]:
        """Run on the slot's node; after MOVED/ASK, refresh the map and run once more."""
        node = self.nodes.node_executor(self.slot, self.is_blocking)
        replies = await node.run(commands, max_bytes, expected)
        if _not_run(replies):
            await self.nodes.refresh()
            node = self.nodes.node_executor(self.slot, self.is_blocking)
            replies = await node.run(commands, max_bytes, expected)
        return replies

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[Held]:
        """A connection on the slot's node (a move during it fails that request only)."""
        async with self.nodes.node_executor(self.slot, self.is_blocking).hold() as held:
            yield held

    async def close(self) -> None:
        """Pools belong to the router."""
