"""Commands added since Redis 7.0.15, offered only when the connected server has them.

The hash-field expiry family (Redis 7.4, Valkey 9), Redis 8.0's HGETDEL, HGETEX
and HSETEX, and the newer server commands the sandbox refuses as it refuses their
older siblings. Arity, flags and key positions are the servers' own (checked
against the recorded ``COMMAND INFO`` dumps by ``tests/repl/test_newer.py``; the
three 8.0 commands against the Redis command reference): every one takes its
one key at position 1, and its fields are never keys.
"""

from collections.abc import Sequence

from tryredis.repl.commands.refused import CLIENTS, CLUSTER, SHARED_SCRIPTS
from tryredis.repl.grammar import W, elements, key
from tryredis.repl.spec import CommandSpec, command

cmd = command("hash")
refused = command("sandbox", "refused")

WAITAOF = "it waits on the server's own disk writes and replicas, which the site manages."


def fields_set(args: Sequence[bytes]) -> int:
    """How many field/value pairs HSETEX sets: those after its ``FIELDS numfields``."""
    for index in range(2, len(args)):
        if args[index].lower() == b"fields":
            return max(len(args) - index - 2, 0) // 2
    return max(len(args) - 2, 0) // 2  # no FIELDS: Redis answers a syntax error


COMMANDS: tuple[CommandSpec, ...] = (
    cmd("hexpire", -6, "write denyoom fast", key(1, W)),
    cmd("hexpireat", -6, "write denyoom fast", key(1, W)),
    cmd("hexpiretime", -5, "readonly fast", key(1)),
    cmd("hgetdel", -5, "write fast", key(1, W)),
    cmd("hgetex", -5, "write fast", key(1, W)),
    cmd("hpersist", -5, "write fast", key(1, W)),
    cmd("hpexpire", -6, "write denyoom fast", key(1, W)),
    cmd("hpexpireat", -6, "write denyoom fast", key(1, W)),
    cmd("hpexpiretime", -5, "readonly fast", key(1)),
    cmd("hpttl", -5, "readonly fast", key(1)),
    cmd("hsetex", -6, "write denyoom fast", key(1, W), elements(1, b"HLEN", fields_set)),
    cmd("httl", -5, "readonly fast", key(1)),
    refused("client|capa", -3, "noscript loading stale", refusal=CLIENTS),
    refused("client|no-touch", 3, "noscript loading stale", refusal=CLIENTS),
    refused("client|setinfo", 4, "noscript loading stale", refusal=CLIENTS),
    refused("cluster|myshardid", 2, "stale", refusal=CLUSTER),
    refused("cluster|slot-stats", -4, "loading stale", refusal=CLUSTER),
    refused("script|show", 3, "noscript", refusal=SHARED_SCRIPTS),
    refused("waitaof", 4, "blocking", refusal=WAITAOF),
)

NAMES = frozenset(spec.name for spec in COMMANDS)
"""Entries offered only on a server whose ``COMMAND`` lists them."""
