"""One learner's sandbox: a typed line in, the text redis-cli would print out.

``Sandbox.run(line)`` splits the line like redis-cli, resolves the command in
the table, checks limits, rewrites keys into the learner's namespace, runs it
(or emulates it), strips the namespace from the reply, and formats it.

Result kinds (DESIGN.md): ``reply`` and ``error`` are what Redis itself would
answer, ``refused`` is the sandbox's own policy, ``parse`` is a line that cannot
be split.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from tryredis.keys import Keys
from tryredis.repl.bookkeeping import Bookkeeping, Capacity, TransactionState
from tryredis.repl.context import Context
from tryredis.repl.emulated import ELEMENT_SCANS, Emulated, filter_scan, without_match
from tryredis.repl.formatter import format_reply
from tryredis.repl.help import help_text
from tryredis.repl.keyindex import KeyIndex, Usage
from tryredis.repl.limits import Limits
from tryredis.repl.namespace import Namespace, NamespaceLeak
from tryredis.repl.runner import Meter, Runner
from tryredis.repl.server import ServerInfo
from tryredis.repl.spec import Analysis, CommandError, CommandSpec, Refusal
from tryredis.repl.subscription import Stream, Subscriptions
from tryredis.repl.table import resolve
from tryredis.repl.tokenizer import LineRejected, ParseError, split_line
from tryredis.repl.transactions import Transactions
from tryredis.wire import ErrorReply, ExecutorError, Reply, Router

log = logging.getLogger("tryredis.engine")

Kind = Literal["reply", "error", "refused", "parse"]


@dataclass(frozen=True)
class Result:
    """What one line printed: the API's ``{"line", "output", "kind"}``."""

    line: str
    output: str
    kind: Kind


class Engine:
    """The sandbox engine of one process: its limits, key names, pools and bookkeeping."""

    def __init__(
        self,
        limits: Limits,
        keys: Keys,
        router: Router,
        books: Bookkeeping,
        *,
        server: ServerInfo | None = None,
        capacity: Capacity | None = None,
    ) -> None:
        self.limits = limits
        self.keys = keys
        self.router = router
        self.books = books
        # Which newer commands (HEXPIRE ...) are offered; None: Redis 7.0's table (probe_server).
        self.server = server or ServerInfo()
        self.capacity = capacity
        self.subscriptions = Subscriptions(limits, router, books)

    def _context(self, learner_id: str, group: str = "") -> Context:
        namespace = Namespace(self.keys.namespace(learner_id))
        executor = self.router.executor(learner_id)
        field_expiry = "hpexpiretime" in self.server.offered
        index = KeyIndex(executor, namespace, self.keys.index(learner_id).encode(), field_expiry)
        return Context(
            learner_id, self.limits, namespace, executor, self.router.blocking(learner_id),
            index, self.books, self.keys.versions(learner_id).encode(), self.server, group,
            self.capacity,
        )  # fmt: skip

    def open(
        self,
        learner_id: str,
        state: TransactionState,
        usage: Usage | None = None,
        group: str = "",
    ) -> Sandbox:
        """The sandbox of a learner whose request has been admitted (and paid for).

        ``usage`` is the sandbox's totals as the admission read them; without it
        every bound is checked against the index itself. ``group`` is the client
        address, whose learners share the per-address caps.
        """
        return Sandbox(self._context(learner_id, group), state, usage)

    async def reset(self, learner_id: str) -> None:
        """Delete every key of a sandbox, its index and its WATCH versions."""
        context = self._context(learner_id)
        await context.index.flush()
        await context.executor.run([(b"DEL", context.versions_key)])

    async def subscribe(self, learner_id: str, line: str, group: str = "") -> Stream:
        """Open a SUBSCRIBE stream in the learner's channels (SubscriptionRefused if not now)."""
        namespace = Namespace(self.keys.namespace(learner_id))
        return await self.subscriptions.open(learner_id, namespace, line, group)

    async def close(self) -> None:
        """End every stream and close every pooled connection."""
        await self.subscriptions.close()
        await self.router.close()


class Sandbox:
    """The REPL for one learner, for the duration of one request (made by ``Engine.open``)."""

    def __init__(self, context: Context, state: TransactionState, usage: Usage | None) -> None:
        self.context = context
        self.limits = context.limits
        self.learner_id = context.learner_id
        self.namespace = context.namespace
        self.executor = context.executor
        self.index = context.index
        self.meter = Meter(context)
        self.usage_known = usage is not None
        self.runner = Runner(context, usage or Usage(), self.meter)
        self.emulated = Emulated(context, self.meter)
        self.transactions = Transactions(context, state, self.runner)

    async def run(self, line: str) -> Result:
        """Run one typed line; never raises for anything a learner types."""
        try:
            result = await self._run(line)
        except Exception:  # a bug must cost one line, not the request: log it, answer plainly
            log.exception("unexpected error running %r", line)
            result = Result(line, refused("internal error; it has been logged"), "refused")
        # JSON strings may carry lone surrogates, which UTF-8 cannot: show them escaped.
        return Result(printable(result.line), printable(result.output), result.kind)

    async def _run(self, line: str) -> Result:
        try:
            args = split_line(
                line, max_bytes=self.limits.line_max_bytes, max_args=self.limits.args_max
            )
        except ParseError as error:
            return Result(line, str(error), "parse")
        except LineRejected as error:
            return Result(line, refused(str(error)), "refused")
        if not args:
            return Result(line, "", "reply")
        if args[0].lower() == b"help":
            return Result(line, help_text(args[1:], self.context.server), "reply")
        try:
            reply = await self.execute(args)
        except CommandError as error:
            return Result(line, format_reply(ErrorReply(self.context.error_text(error))), "error")
        except Refusal as error:
            return Result(line, refused(str(error)), "refused")
        except ExecutorError as error:
            note = " The command may or may not have run." if error.maybe_ran else ""
            return Result(line, refused(error.message + note), "refused")
        except NamespaceLeak:
            return Result(line, refused("internal error: the reply was withheld"), "refused")
        kind: Kind = "error" if isinstance(reply, ErrorReply) else "reply"
        return Result(line, format_reply(reply), kind)

    async def execute(self, args: list[bytes]) -> Reply:
        """Resolve and run parsed arguments; raise CommandError/Refusal/ExecutorError."""
        transactions = self.transactions
        try:
            spec = resolve(args, self.context.server.offered)
        except (CommandError, Refusal) as error:
            if transactions.state.in_multi:
                await transactions.fail()
            raise error from None
        if transactions.state.in_multi and spec.name not in Transactions.IMMEDIATE:
            return await transactions.queue(spec, args)
        if spec.handler == "transaction":
            return await transactions.command(spec, args)
        if spec.handler == "emulated":
            spec.analyze(args, self.limits)  # arity, pattern length, flush mode
            if spec.name in ("flushdb", "flushall"):
                await transactions.touch_all_watched()
            reply = await self.emulated.run(spec.name, args)
            if spec.name in ("flushdb", "flushall"):
                self.runner.usage = Usage()
            return reply
        if spec.handler == "pubsub":
            return await self.pubsub(spec, args)
        analysis = spec.analyze(args, self.limits)
        if spec.name in ELEMENT_SCANS:  # the pattern is matched here, never in Redis
            sent, pattern = without_match(args)
            reply = await self.run_redis(spec.analyze(sent, self.limits), sent)
            if pattern is None:
                return reply
            return await filter_scan(reply, pattern, ELEMENT_SCANS[spec.name], self.meter)
        return await self.run_redis(analysis, args)

    async def run_redis(self, analysis: Analysis, args: list[bytes]) -> Reply:
        """Run an analysed command on Redis within the learner's namespace and limits."""
        runner = self.runner
        if not self.usage_known:  # opened without the admission's totals: read them once
            runner.usage = await self.index.usage()
            self.usage_known = True
        (bounds,) = await runner.admit([(analysis, args)])
        command = self.context.rewrite(analysis, args)
        writes = analysis.written(args)
        if analysis.timeout is not None:
            reply = await runner.blocking(command, writes)
        elif writes:
            bumps = self.transactions.bumps(writes)
            reply = await runner.write(command, writes, bumps, bounds.reply)
        else:
            reply = await runner.read(command, bounds.reply)
        return self.check_reply_size(self.namespace.strip_reply(analysis.spec.name, reply))

    async def pubsub(self, spec: CommandSpec, args: list[bytes]) -> Reply:
        """PUBLISH and PUBSUB within the learner's own channels; subscriptions stream elsewhere."""
        name = spec.name
        if name == "pubsub|numpat":
            return 0  # pattern subscriptions are not available in the sandbox, so none exist
        if name not in ("publish", "pubsub|channels", "pubsub|numsub"):
            raise Refusal(
                f"{spec.display} streams messages, and this endpoint answers one reply "
                "per command: in the web REPL, SUBSCRIBE opens a stream (Ctrl-C closes it); "
                "over HTTP, GET /repl/subscribe?line=SUBSCRIBE+channel"
            )
        analysis = spec.analyze(args, self.limits)
        command = self.context.rewrite(analysis, args)
        if name == "pubsub|channels" and len(command) == 2:
            command.append(self.namespace.prefix + b"*")  # every channel of this sandbox
        (reply,) = await self.executor.run([command])
        if isinstance(reply, ErrorReply):
            return self.namespace.strip_error(reply)
        if name == "pubsub|channels" and isinstance(reply, list):
            return [self.namespace.strip_key(channel) for channel in reply]
        if name == "pubsub|numsub" and isinstance(reply, list):
            return [
                self.namespace.strip_key(item) if i % 2 == 0 else item
                for i, item in enumerate(reply)
            ]
        return reply

    def check_reply_size(self, reply: Reply) -> Reply:
        """Withhold a reply with more top-level items than the limit."""
        limit = self.limits.reply_max_items
        if isinstance(reply, list) and len(reply) > limit:
            raise Refusal(
                f"the reply has {len(reply)} items; the limit is {limit} items per reply "
                f"(TRYREDIS_REPLY_MAX_ITEMS): read it in parts (a range, COUNT or a SCAN)"
            )
        return reply


def printable(text: str) -> str:
    """``text`` as valid Unicode: lone surrogates become ``\\udXXX`` escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def refused(message: str) -> str:
    """How a refusal prints in the REPL."""
    return f"(refused) {message}"
