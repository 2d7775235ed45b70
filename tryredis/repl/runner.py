"""Running analysed commands on Redis: bounded first, then one atomic round trip.

``Runner.admit`` checks a command (or a whole MULTI batch, in order, as each
command would change the sandbox) against the cost model, first with the
sandbox's totals and, only if those would refuse, with the exact index entries
of the keys involved. Nothing runs unless every bound holds.

A write then goes out as one pipeline::

    SADD <pending> <keys>        write-ahead: the keys are known before they exist
    MULTI
    <the command>                (and, while a WATCH is open, HINCRBY of versions)
    EVALSHA <sync> <keys>        the index records exactly what the command left
    EXEC

so the write and its record happen together or not at all, even if the reply is
lost (a timeout, an output buffer overflow, a dropped connection). Commands
inside MULTI reply exactly as outside it, apart from blocking commands, which
therefore run on their own pool with only the write-ahead before them.

``Meter`` is the request's own budget: the bytes its replies may still take
(``TRYREDIS_REQUEST_REPLY_MAX_BYTES``) and extra rate-limit tokens for work the
worker itself does on big data (parsing and formatting replies, matching globs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import tryredis.repl.cost as cost
from tryredis.repl.context import Context
from tryredis.repl.keyindex import Entry, Usage
from tryredis.repl.limits import setting_name
from tryredis.repl.refusals import refusal
from tryredis.repl.spec import Analysis, Refusal
from tryredis.wire import Command, ErrorReply, Reply

WORKER_BYTES_PER_TOKEN = 65536
"""Bytes of reply (or of key names to match) the worker handles per rate-limit token."""

EXECABORT = ErrorReply(b"EXECABORT Transaction discarded because of previous errors.")
REPLY_SLACK = 4096  # QUEUED statuses and the index totals around the replies themselves


class Meter:
    """One request's reply budget and worker-work payments."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.reply_left = context.limits.request_reply_max_bytes

    async def pay(self, worker_bytes: int, what: str) -> None:
        """Take one extra token per 64 KiB of worker work beyond the first; Refusal if short."""
        tokens = worker_bytes // WORKER_BYTES_PER_TOKEN
        if tokens <= 0:
            return
        wait = await self.context.books.charge(self.context.learner_id, tokens)
        if wait > 0:
            raise Refusal(
                f"{what} costs {tokens + 1} commands of your rate limit "
                f"({setting_name('rate_per_second')}); try again in {wait:.1f} s"
            )

    async def spend(self, reply: int) -> None:
        """Take ``reply`` bytes from the request's budget and pay the worker's work on them."""
        self.reply_left -= reply
        await self.pay(reply, "reading replies this big")

    def wire_limit(self) -> int:
        """The most bytes a reply may take on the wire now (a hard cap, whatever the bounds)."""
        limits = self.context.limits
        return min(limits.reply_max_bytes, max(self.reply_left, 0)) + REPLY_SLACK


def _keys(plan: Sequence[tuple[Analysis, Sequence[bytes]]]) -> list[bytes]:
    return list(dict.fromkeys(args[k.index] for analysis, args in plan for k in analysis.keys))


def _after(view: cost.View, analysis: Analysis, args: Sequence[bytes], found: cost.Bounds) -> None:
    """Move ``view`` to where the command may leave the sandbox (upper bounds)."""
    writes = analysis.written(args)
    view.usage = view.usage.grown(found.growth, found.new_keys, found.added)
    if view.entries is None:
        return
    sources = [view.entries.get(args[k.index]) for k in analysis.keys if not k.write]
    copied = sum(entry.elements for entry in sources if entry)  # a store may take them all
    for name in writes:
        entry = view.entries.get(name) or Entry(0, 0, b"none", 0)
        elements = entry.elements + max(found.added, copied)
        view.entries[name] = replace(entry, size=entry.size + found.growth, elements=elements)
        view.changed.add(name)


class Runner:
    """Runs one sandbox's commands on Redis within every bound."""

    def __init__(self, context: Context, usage: Usage, meter: Meter) -> None:
        self.context = context
        self.usage = usage
        self.meter = meter

    def _pass(
        self, plan: Sequence[tuple[Analysis, Sequence[bytes]]], view: cost.View
    ) -> tuple[list[cost.Bounds], tuple[int, Refusal] | None]:
        limits = self.context.limits
        found: list[cost.Bounds] = []
        reply_left = self.meter.reply_left
        for position, (analysis, args) in enumerate(plan):
            bounds = cost.bounds(analysis, args, limits, view)
            refused = refusal(analysis, args, limits, view, bounds, reply_left)
            if refused is not None:
                return found, (position, refused)
            found.append(bounds)
            reply_left -= bounds.reply
            _after(view, analysis, args, bounds)
        return found, None

    async def admit(self, plan: Sequence[tuple[Analysis, Sequence[bytes]]]) -> list[cost.Bounds]:
        """Check the plan in order; raise the first Refusal (with its position in a batch)."""
        found, failed = self._pass(plan, cost.View(self.usage))
        if failed is not None:  # the totals were too coarse: ask for the keys' exact sizes
            entries = await self.context.index.entries(_keys(plan))
            found, failed = self._pass(plan, cost.View(self.usage, dict(entries)))
        if failed is not None:
            position, refused = failed
            if len(plan) > 1:
                name = plan[position][0].spec.display
                raise Refusal(f"command {position + 1} of the transaction ({name}): {refused}")
            raise refused
        growth = sum(b.growth for b in found)
        capacity = self.context.capacity
        if growth > 0 and capacity is not None and not capacity.admit_growth(growth):
            raise Refusal(
                "the site's Redis is nearly full, so commands that add data are paused for "
                f"everyone ({setting_name('write_memory_percent')} of its maxmemory); reads "
                "and deletes still work: try again in a few minutes"
            )
        await self.meter.spend(sum(b.reply for b in found))
        return found

    def atomic(
        self, commands: Sequence[Command], writes: Sequence[bytes], extra: Sequence[Command]
    ) -> list[Command]:
        """The pipeline that runs ``commands`` and records ``writes`` in one MULTI/EXEC."""
        index = self.context.index
        return [
            *index.write_ahead(writes),
            (b"MULTI",),
            *commands,
            *extra,
            index.sync(writes),
            (b"EXEC",),
        ]

    async def settle(
        self, replies: Sequence[Reply], commands: int, writes: Sequence[bytes]
    ) -> list[Reply] | ErrorReply:
        """The commands' replies out of an ``atomic`` pipeline's; the index totals kept.

        If Redis refused a command while queuing (OOM, NOPERM), EXEC aborted and
        the answer is that command's own error: what it would have said alone.
        """
        exec_reply = replies[-1]
        if not isinstance(exec_reply, list):
            head = (1 if writes else 0) + 1  # the write-ahead, then MULTI
            queued = replies[head : head + commands]
            errors = [r for r in queued if isinstance(r, ErrorReply)]
            return errors[0] if errors and commands == 1 else EXECABORT
        recorded = exec_reply[-1]
        if isinstance(recorded, ErrorReply):  # NOSCRIPT after a restart: record it now
            self.usage = await self.context.index.resync(writes)
        else:
            self.usage = Usage.parse(recorded)
        return list(exec_reply[:commands])

    async def write(
        self, command: Command, writes: Sequence[bytes], extra: Sequence[Command], reply: int
    ) -> Reply:
        """Run one write atomically with its record (``reply``: its reply's bound)."""
        replies = await self.context.executor.run(
            self.atomic([command], writes, extra),
            max_bytes=self.meter.wire_limit(),
            expected=reply + REPLY_SLACK,
        )
        settled = await self.settle(replies, 1, writes)
        return settled if isinstance(settled, ErrorReply) else settled[0]

    async def read(self, command: Command, reply: int) -> Reply:
        """Run one read-only command (``reply``: its reply's bound)."""
        (answer,) = await self.context.executor.run(
            [command], max_bytes=self.meter.wire_limit(), expected=reply + REPLY_SLACK
        )
        return answer

    async def blocking(self, command: Command, writes: Sequence[bytes]) -> Reply:
        """A blocking command on its own pool: written ahead, recorded after (MULTI won't block)."""
        context = self.context
        books = context.books
        ttl_ms = int((context.limits.block_max_seconds + 5) * 1000)
        cap = context.limits.blocking_per_address
        held = await books.hold(context.learner_id, "blocking", ttl_ms, context.group, cap)
        if held == "learner":
            raise Refusal(
                "another blocking command of yours is still waiting; the sandbox runs one at a time"
            )
        if held == "group":
            raise Refusal(
                f"{cap} blocking commands from your network address are already waiting "
                f"({setting_name('blocking_per_address')}); try again when one has returned"
            )
        try:
            replies = await context.blocking.run(
                [*context.index.write_ahead(writes), command], max_bytes=self.meter.wire_limit()
            )
        finally:
            await books.release(context.learner_id, "blocking", context.group)
        if writes:
            self.usage = await context.index.resync(writes)
        return replies[-1]
