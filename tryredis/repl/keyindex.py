"""The sandbox key index: which keys a learner has, and how many bytes each used.

KEYS, SCAN, DBSIZE, RANDOMKEY and FLUSHALL are answered from this index, so
their cost grows with the learner's own keys, never with the whole server, and
it works the same on a Redis Cluster (the index shares the learner's slot).

After every write the engine records the written keys with their ``MEMORY
USAGE``; a key that no longer exists is dropped. Keys that vanish on their own
(expiry) are pruned lazily whenever the index is listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tryredis.repl.namespace import Namespace
from tryredis.wire import Command, ErrorReply, Executor, Reply


class KeyIndex:
    """One learner's key index (a hash ``P u:{id}``: learner key -> bytes)."""

    def __init__(self, executor: Executor, namespace: Namespace, index_key: bytes) -> None:
        self.executor = executor
        self.namespace = namespace
        self.key = index_key

    def measure_commands(self, names: Iterable[bytes]) -> list[Command]:
        """``MEMORY USAGE`` for each learner key (appended after a write, same round trip)."""
        return [(b"MEMORY", b"USAGE", self.namespace.key(name)) for name in names]

    async def record(self, names: Sequence[bytes], sizes: Sequence[Reply]) -> None:
        """Store measured sizes: a key with a size is indexed, a missing one is dropped."""
        present: list[bytes] = []
        absent: list[bytes] = []
        for name, size in zip(names, sizes, strict=True):
            if isinstance(size, int):
                present += [name, str(size).encode()]
            elif not isinstance(size, ErrorReply):
                absent.append(name)
        commands: list[Command] = []
        if present:
            commands.append((b"HSET", self.key, *present))
        if absent:
            commands.append((b"HDEL", self.key, *absent))
        if commands:
            await self.executor.run(commands)

    async def live_keys(self) -> list[bytes]:
        """Every key the learner has now, in index order; expired ones are pruned."""
        (names,) = await self.executor.run([(b"HKEYS", self.key)])
        if not isinstance(names, list) or not names:
            return []
        checks = await self.executor.run(
            [(b"EXISTS", self.namespace.key(name)) for name in names if isinstance(name, bytes)]
        )
        keys = [name for name in names if isinstance(name, bytes)]
        live = [n for n, exists in zip(keys, checks, strict=True) if exists == 1]
        gone = [n for n, exists in zip(keys, checks, strict=True) if exists == 0]
        if gone:
            await self.executor.run([(b"HDEL", self.key, *gone)])
        return live

    def usage_commands(self, names: Sequence[bytes]) -> list[Command]:
        """Commands measuring the quota: key count, bytes used, which ``names`` are indexed."""
        commands: list[Command] = [(b"HLEN", self.key), (b"HVALS", self.key)]
        if names:
            commands.append((b"HMGET", self.key, *names))
        return commands

    @staticmethod
    def parse_usage(replies: Sequence[Reply], names: Sequence[bytes]) -> tuple[int, int, int]:
        """(keys indexed, bytes used, how many of ``names`` would be new keys)."""
        count = replies[0] if isinstance(replies[0], int) else 0
        values = replies[1] if isinstance(replies[1], list) else []
        used = sum(int(v) for v in values if isinstance(v, bytes) and v.isdigit())
        indexed = replies[2] if len(replies) > 2 and isinstance(replies[2], list) else []
        new = {name for name, size in zip(names, indexed, strict=False) if size is None}
        return count, used, len(new)

    async def usage(self, names: Sequence[bytes]) -> tuple[int, int, int]:
        """Measure the quota now (see ``parse_usage``)."""
        return self.parse_usage(await self.executor.run(self.usage_commands(names)), names)

    async def prune(self) -> None:
        """Drop index entries whose keys expired (before re-checking a quota)."""
        await self.live_keys()

    async def flush(self) -> None:
        """Delete every key of the sandbox and the index itself."""
        names = await self.live_keys()
        commands: list[Command] = [
            (b"UNLINK", *(self.namespace.key(n) for n in names[i : i + 100]))
            for i in range(0, len(names), 100)
        ]
        commands.append((b"DEL", self.key))
        await self.executor.run(commands)
