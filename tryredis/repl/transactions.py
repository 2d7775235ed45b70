"""MULTI/EXEC/DISCARD and WATCH/UNWATCH with Redis's semantics, without sharing connections.

The queue lives in Redis (``P s:{id}.q``) so any worker can take the EXEC; EXEC
sends ``MULTI``, the queued commands and ``EXEC`` as one atomic batch. Commands
refused while queuing mark the transaction failed, so EXEC answers EXECABORT,
as Redis does for commands it rejects at queue time; errors Redis would only
raise when running a command (a bad ``numkeys``) keep their place in EXEC's reply.

WATCH is emulated with write versions: while a learner watches keys, every
write the sandbox runs for them increments the written keys' versions
(``P u:{id}.ver``). At EXEC the versions and existence of the watched keys are
compared with what WATCH recorded, under a real Redis WATCH on one pooled
connection until the batch's EXEC, so nothing can slip in between. A change,
or a watched key that existed and is gone (deleted or expired), aborts: EXEC
answers nil. Since only the sandbox writes a learner's keys, this sees every
change Redis's WATCH would; it differs only for writes that change nothing
(``SADD`` of a present member), which Redis ignores and this counts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar

from tryredis.repl.bookkeeping import TransactionState
from tryredis.repl.context import Context
from tryredis.repl.limits import setting_name
from tryredis.repl.runner import Runner
from tryredis.repl.spec import CommandError, CommandSpec, KeyRef, Refusal
from tryredis.repl.table import resolve
from tryredis.wire import Command, ErrorReply, Reply, Status

OK = Status(b"OK")
QUEUED = Status(b"QUEUED")
EXECABORT = ErrorReply(b"EXECABORT Transaction discarded because of previous errors.")


class Transactions:
    """Transaction commands for one sandbox."""

    IMMEDIATE: ClassVar[frozenset[str]] = frozenset({"exec", "discard", "multi", "watch"})
    """Commands that run at once even inside MULTI (everything else is queued)."""

    def __init__(self, context: Context, state: TransactionState, runner: Runner) -> None:
        self.context = context
        self.runner = runner
        self.state = state
        self.books = context.books
        self.learner_id = context.learner_id
        self.versions_key = context.versions_key

    async def _save(self) -> None:
        await self.books.save_transaction(self.learner_id, self.state)

    async def command(self, spec: CommandSpec, args: Sequence[bytes]) -> Reply:
        """MULTI, EXEC, DISCARD, WATCH or UNWATCH (outside the queue)."""
        name = spec.name
        if name == "multi":
            if self.state.in_multi:
                return ErrorReply(b"ERR MULTI calls can not be nested")
            self.state.in_multi, self.state.failed = True, False
            await self.books.queue_reset(self.learner_id)
            await self._save()
            return OK
        if name == "exec":
            if not self.state.in_multi:
                return ErrorReply(b"ERR EXEC without MULTI")
            return await self.exec()
        if name == "discard":
            if not self.state.in_multi:
                return ErrorReply(b"ERR DISCARD without MULTI")
            await self.reset()
            return OK
        if name == "watch":
            if self.state.in_multi:
                return ErrorReply(b"ERR WATCH inside MULTI is not allowed")
            return await self.watch(spec.analyze(args, self.context.limits).keys, args)
        self.state.watched.clear()  # UNWATCH
        await self._save()
        return OK

    async def reset(self) -> None:
        """Leave MULTI, forget the queue and every WATCH (DISCARD, EXEC, a sandbox reset)."""
        self.state.in_multi = self.state.failed = False
        self.state.watched.clear()
        await self.books.queue_reset(self.learner_id)
        await self._save()

    async def fail(self) -> None:
        """A command was rejected while queuing: EXEC will answer EXECABORT."""
        if not self.state.failed:
            self.state.failed = True
            await self._save()

    async def queue(self, spec: CommandSpec, args: Sequence[bytes]) -> Reply:
        """Check a command as Redis would at queue time, store it, answer QUEUED."""
        try:
            if spec.handler in ("emulated", "pubsub") and spec.name != "publish":
                raise Refusal(
                    f"{spec.name.upper()} cannot be queued in a transaction in this sandbox"
                )
            entry: dict[str, object] = {"a": [a.decode("latin-1") for a in args]}
            try:
                if spec.handler != "transaction":
                    spec.analyze(args, self.context.limits)
            except CommandError as error:  # Redis would report it inside EXEC's reply
                entry = {"e": self.context.error_text(error).decode("latin-1")}
            text = json.dumps(entry)
            length, size = await self.books.queue_size(self.learner_id)
            limits = self.context.limits
            if length >= limits.multi_max_commands:
                raise Refusal(
                    f"the transaction already holds {length} commands; the limit is "
                    f"{limits.multi_max_commands} ({setting_name('multi_max_commands')})"
                )
            if size + len(text) > limits.multi_max_bytes:
                raise Refusal(
                    f"the transaction would hold {size + len(text):,} bytes of commands; the "
                    f"limit is {limits.multi_max_bytes:,} ({setting_name('multi_max_bytes')})"
                )
        except Refusal:
            await self.fail()
            raise
        await self.books.queue_append(self.learner_id, text)
        return QUEUED

    async def watch(self, keys: Sequence[KeyRef], args: Sequence[bytes]) -> Reply:
        """Record the current version and existence of each key not yet watched."""
        names = [args[k.index] for k in keys]
        fresh = list(dict.fromkeys(n for n in names if n not in self.state.watched))
        limits = self.context.limits
        watched = [*self.state.watched, *fresh]
        if len(watched) > limits.watch_max_keys:
            raise Refusal(
                f"you would watch {len(watched)} keys; the limit is {limits.watch_max_keys} "
                f"({setting_name('watch_max_keys')}): UNWATCH, or watch fewer"
            )
        if sum(len(name) for name in watched) > limits.line_max_bytes:
            raise Refusal(
                f"the watched keys' names would take more than {limits.line_max_bytes} bytes "
                f"({setting_name('line_max_bytes')}): UNWATCH, or watch fewer"
            )
        if fresh:
            ns = self.context.namespace
            replies = await self.context.executor.run(
                [(b"HMGET", self.versions_key, *fresh), *((b"EXISTS", ns.key(n)) for n in fresh)]
            )
            versions = replies[0] if isinstance(replies[0], list) else [None] * len(fresh)
            for name, version, exists in zip(fresh, versions, replies[1:], strict=True):
                self.state.watched[name] = (_version(version), exists == 1)
            await self._save()
        return OK

    def bumps(self, writes: Sequence[bytes]) -> list[Command]:
        """Commands that record writes to keys while a WATCH is active."""
        if not self.state.watched or not writes:
            return []
        return [(b"HINCRBY", self.versions_key, name, b"1") for name in writes]

    async def touch_all_watched(self) -> None:
        """FLUSHALL/FLUSHDB touch every watched key."""
        if self.state.watched:
            await self.context.executor.run(self.bumps(list(self.state.watched)))

    async def exec(self) -> Reply:
        """EXEC: run the queue as one MULTI/EXEC batch (or EXECABORT, or nil after a WATCH)."""
        raw = await self.books.queue_take(self.learner_id)
        failed, watched = self.state.failed, dict(self.state.watched)
        await self.reset()
        if failed:
            return EXECABORT
        context = self.context
        entries = [json.loads(item) for item in raw]
        planned: list[tuple[CommandSpec, list[bytes]] | ErrorReply] = []
        for entry in entries:
            if "e" in entry:
                planned.append(ErrorReply(entry["e"].encode("latin-1")))
                continue
            args = [a.encode("latin-1") for a in entry["a"]]
            planned.append((resolve(args, context.server.offered), args))
        plan = []
        for item in planned:
            if isinstance(item, ErrorReply):
                continue
            spec, args = item
            if spec.handler != "transaction":  # a queued UNWATCH runs as itself
                plan.append((spec.analyze(args, context.limits), args))
        await self.runner.admit(plan)  # the whole batch, in order, before any of it runs
        commands: list[Command] = []
        writes: list[bytes] = []
        analyses = iter(plan)
        for item in planned:
            if isinstance(item, ErrorReply):
                continue
            spec, args = item
            if spec.handler == "transaction":
                commands.append((spec.name.upper().encode(),))
                continue
            analysis, _ = next(analyses)
            commands.append(context.rewrite(analysis, args))
            writes += analysis.written(args)
        writes = list(dict.fromkeys(writes))
        reply = await self._send(commands, writes, watched)
        if not isinstance(reply, list):
            return reply
        results = iter(reply)
        combined: list[Reply] = []
        for item in planned:
            if isinstance(item, ErrorReply):
                combined.append(item)
            else:
                combined.append(context.namespace.strip_reply(item[0].name, next(results)))
        return combined

    async def _send(
        self, commands: list[Command], writes: list[bytes], watched: dict[bytes, tuple[int, bool]]
    ) -> Reply:
        context = self.context
        ns = context.namespace
        batch = self.runner.atomic(commands, writes, self.bumps(writes))
        async with context.executor.hold() as held:
            if watched:
                names = list(watched)
                real = [ns.key(n) for n in names]
                replies = await held.run(
                    [
                        (b"WATCH", self.versions_key, *real),
                        (b"HMGET", self.versions_key, *names),
                        *((b"EXISTS", key) for key in real),
                    ]
                )
                versions = replies[1] if isinstance(replies[1], list) else []
                for name, version, exists in zip(names, versions, replies[2:], strict=False):
                    before_version, existed = watched[name]
                    if _version(version) != before_version or (existed and exists != 1):
                        await held.run([(b"UNWATCH",)])
                        return None
            replies = await held.run(batch, self.runner.meter.wire_limit())
        if replies[-1] is None:  # a watched key changed between the check and EXEC
            if writes:
                self.runner.usage = await context.index.resync(writes)
            return None
        settled = await self.runner.settle(replies, len(commands), writes)
        return settled


def _version(value: Reply) -> int:
    return int(value) if isinstance(value, bytes) and value.isdigit() else 0
