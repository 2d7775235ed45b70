"""One learner's sandbox parts for one request, and how a command is rewritten to run.

The engine's steps (the plain path, transactions, the emulated keyspace) share
these, so none of them needs the others: the engine builds a ``Context`` and
hands it to each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tryredis.repl.bookkeeping import Bookkeeping, Capacity
from tryredis.repl.keyindex import KeyIndex
from tryredis.repl.limits import Limits
from tryredis.repl.namespace import Namespace
from tryredis.repl.server import BASE, ServerInfo
from tryredis.repl.spec import Analysis, CommandError
from tryredis.wire import Executor


@dataclass(frozen=True)
class Context:
    """What every step of one learner's request works with."""

    learner_id: str
    limits: Limits
    namespace: Namespace
    executor: Executor
    blocking: Executor
    index: KeyIndex
    books: Bookkeeping
    versions_key: bytes
    server: ServerInfo = BASE  # what the newer entries of the table are resolved against
    group: str = ""  # the client address: fair shares of blocking slots are per address
    capacity: Capacity | None = None  # None: no site-wide memory stage applies

    def error_text(self, error: CommandError) -> bytes:
        """A refused command's error as the connected server words it."""
        return error.reply_on(self.server.name, self.server.version)

    def rewrite(self, analysis: Analysis, args: Sequence[bytes]) -> list[bytes]:
        """The command as sent: keys and channels prefixed, timeout clamped."""
        positions = [k.index for k in analysis.keys] + list(analysis.channels)
        command = self.namespace.rewrite(args, positions)
        timeout = analysis.timeout
        if timeout is not None:
            command[timeout.index] = clamp_timeout(
                timeout.seconds(args),
                command[timeout.index],
                timeout.unit,
                self.limits.block_max_seconds,
            )
        return command


def clamp_timeout(seconds: float | None, raw: bytes, unit: str, cap_seconds: float) -> bytes:
    """The timeout to send: 0 (forever) or more than the cap becomes the cap.

    ``seconds`` is the timeout as Redis itself parses ``raw`` (hex floats
    included); None means Redis will reject it, so it goes as typed.
    """
    if seconds is None or 0 < seconds <= cap_seconds:
        return raw
    if unit == "s":
        return f"{cap_seconds:g}".encode()
    return str(int(cap_seconds * 1000)).encode()
