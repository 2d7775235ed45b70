"""The learner's namespace: add the prefix to key arguments, strip it from replies.

Everything is bytes: keys are binary-safe, and the prefix is compared byte for
byte (never ``str.replace`` or a regex built from it). A reply that should hold
one of the learner's keys but does not start with their prefix is an internal
error: it is logged and answered with a generic error, never shown (fail closed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from tryredis.wire import ErrorReply, Reply, Status

log = logging.getLogger("tryredis.namespace")


class NamespaceLeak(Exception):
    """A reply would have shown a key outside the learner's namespace."""


class Namespace:
    """One learner's key prefix, e.g. ``tryredis:u:{abc...}:``."""

    def __init__(self, prefix: bytes) -> None:
        self.prefix = prefix

    def key(self, name: bytes) -> bytes:
        """The real Redis key for a learner's key name."""
        return self.prefix + name

    def rewrite(self, args: Sequence[bytes], positions: Sequence[int]) -> list[bytes]:
        """A copy of ``args`` with the prefix added at each key (or channel) position."""
        rewritten = list(args)
        for index in positions:
            rewritten[index] = self.prefix + rewritten[index]
        return rewritten

    def strip_key(self, value: Reply) -> bytes:
        """The learner's name for a real key from a reply; NamespaceLeak if it is not theirs."""
        if not isinstance(value, bytes) or not value.startswith(self.prefix):
            log.error("reply key outside the namespace %r: %r", self.prefix, value)
            raise NamespaceLeak("a reply held a key outside the sandbox")
        return value[len(self.prefix) :]

    def strip_error(self, error: ErrorReply) -> ErrorReply:
        """An error text with the learner's prefix removed wherever it appears."""
        return ErrorReply(error.replace(self.prefix, b""))

    def strip_reply(self, command: str, reply: Reply) -> Reply:
        """Remove the prefix from a command's reply, at the places that command puts keys."""
        if isinstance(reply, ErrorReply):
            return self.strip_error(reply)
        shape = REPLY_KEYS.get(command)
        if shape is None or reply is None or isinstance(reply, Status):
            return reply
        return shape(self, reply)


def _first(namespace: Namespace, reply: Reply) -> Reply:
    # [key, ...]: BLPOP, BRPOP, BZPOPMIN, BZPOPMAX, LMPOP, BLMPOP, ZMPOP, BZMPOP
    if not isinstance(reply, list) or not reply:
        raise NamespaceLeak(f"unexpected reply shape {type(reply).__name__}")
    return [namespace.strip_key(reply[0]), *reply[1:]]


def _streams(namespace: Namespace, reply: Reply) -> Reply:
    # [[key, entries], ...]: XREAD, XREADGROUP
    if not isinstance(reply, list):
        raise NamespaceLeak(f"unexpected reply shape {type(reply).__name__}")
    return [_first(namespace, item) for item in reply]


REPLY_KEYS: dict[str, Callable[[Namespace, Reply], Reply]] = {
    "blpop": _first,
    "brpop": _first,
    "bzpopmin": _first,
    "bzpopmax": _first,
    "lmpop": _first,
    "blmpop": _first,
    "zmpop": _first,
    "bzmpop": _first,
    "xread": _streams,
    "xreadgroup": _streams,
}
"""Commands whose replies name keys, and where (KEYS, SCAN, RANDOMKEY are emulated)."""
