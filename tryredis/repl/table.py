"""The sandbox's command table: every command of Redis 7.0, and newer ones, found by name.

Every command has one declarative entry in ``tryredis/repl/commands/`` (see
``spec.CommandSpec``). ``resolve()`` finds the entry for a learner's argument
list and answers the errors Redis itself would give before running anything, in
Redis's order: unknown command, unknown subcommand, wrong number of arguments.

Entries added after Redis 7.0 (``commands/newer.py``) exist only for a server
that has them: every function here takes ``offered``, the names of those the
connected server reports (``server.ServerInfo.offered``). Without it, the table
is Redis 7.0.15's, and a newer command gets 7.0's own "unknown command" error.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from tryredis.repl.command_docs import DOCS
from tryredis.repl.commands import ALL, NEWER
from tryredis.repl.spec import CommandError, CommandSpec, Refusal

__all__ = [
    "acl_command_names", "commands_by_group", "find_spec", "newer_acl_names", "resolve",
]  # fmt: skip

NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Table:
    commands: dict[bytes, CommandSpec]  # top-level names, containers included
    subcommands: dict[bytes, dict[bytes, CommandSpec]]  # container -> subcommand -> spec


@functools.cache
def _table() -> _Table:
    commands: dict[bytes, CommandSpec] = {}
    subcommands: dict[bytes, dict[bytes, CommandSpec]] = {}
    for spec in ALL:
        parent, _, sub = spec.name.partition("|")
        if not sub:
            commands[parent.encode()] = spec
            continue
        subcommands.setdefault(parent.encode(), {})[sub.encode()] = spec
        if parent.encode() not in commands:
            _, summary, syntax, since = DOCS[parent]
            children = [s for s in ALL if s.name.startswith(parent + "|")]
            groups = [s.group for s in children if s.handler != "refused"] + ["sandbox"]
            commands[parent.encode()] = CommandSpec(
                parent, -2, frozenset(), groups[0], summary, syntax, "container", since=since
            )
    return _Table(commands, subcommands)


def _quoted(arg: bytes, room: int) -> bytes:
    # Redis formats arguments with "%.*s": a C string, so it stops at a NUL byte.
    return arg.split(b"\0", 1)[0][:room]


def _reject(text: bytes) -> CommandError:
    # rejectCommandFormat() turns CR and LF into spaces so the reply stays one line.
    return CommandError(text.replace(b"\r", b" ").replace(b"\n", b" "))


def _offered(spec: CommandSpec | None, offered: Collection[str]) -> CommandSpec | None:
    return spec if spec is None or spec.name not in NEWER or spec.name in offered else None


def resolve(args: Sequence[bytes], offered: Collection[str] = NONE) -> CommandSpec:
    """The entry for ``args`` (exact, case-insensitive names); raises CommandError or Refusal."""
    args = list(args) or [b""]
    table = _table()
    spec = _offered(table.commands.get(args[0].lower()), offered)
    subs = table.subcommands.get(args[0].lower())
    if spec is None:
        tail = b""
        for arg in args[1:]:
            if len(tail) >= 128:
                break
            tail += b"'" + _quoted(arg, 128 - len(tail)) + b"' "
        name = _quoted(args[0], 128)
        raise _reject(b"ERR unknown command '" + name + b"', with args beginning with: " + tail)
    if subs is not None and len(args) > 1:
        found = _offered(subs.get(args[1].lower()), offered)
        if found is None:
            sub = _quoted(args[1], 128)
            container = spec.name.upper().encode()
            raise _reject(b"ERR unknown subcommand '" + sub + b"'. Try " + container + b" HELP.")
        spec = found
    if (error := spec.arity_error(len(args))) is not None:
        raise error
    if spec.refusal is not None:
        raise Refusal(f"{spec.display} is not available in the sandbox: {spec.refusal}")
    return spec


def find_spec(name: str, offered: Collection[str] = NONE) -> CommandSpec | None:
    """The entry named ``set``, ``object encoding`` or ``object|encoding`` (for ``help``)."""
    words = name.lower().replace("|", " ").split()
    table = _table()
    if not words or len(words) > 2:
        return None
    try:
        spec = table.commands.get(words[0].encode("ascii"))
        if len(words) == 2:
            subs = table.subcommands.get(words[0].encode("ascii"), {})
            spec = subs.get(words[1].encode("ascii"))
    except UnicodeEncodeError:
        return None
    return _offered(spec, offered)


def commands_by_group(offered: Collection[str] = NONE) -> dict[str, list[CommandSpec]]:
    """Every command and subcommand (no containers) by help group, sorted by name."""
    groups: dict[str, list[CommandSpec]] = {}
    table = _table()
    leaves = [s for s in table.commands.values() if s.handler != "container"]
    leaves += [s for subs in table.subcommands.values() for s in subs.values()]
    leaves = [s for s in leaves if _offered(s, offered) is not None]
    for spec in sorted(leaves, key=lambda s: s.name):
        groups.setdefault(spec.group, []).append(spec)
    return groups


# What the engine itself sends on the sandbox connection, besides learners' commands.
# The key index's scripts (keyindex.py) run as the sandbox's user too, so the
# commands they call are here: a script can do no more than its user.
ENGINE_COMMANDS = (
    "multi", "exec", "watch", "unwatch", "discard", "ping", "evalsha", "script|load",
    "memory|usage", "exists", "type", "time", "hset", "hget", "hgetall", "hkeys", "hdel",
    "hmget", "hincrby", "sadd", "smembers", "del", "unlink", "zadd", "zrem", "zrangebyscore",
    "pexpiretime", "llen", "scard", "zcard", "hlen", "xlen", "strlen", "publish", "subscribe",
    "unsubscribe", "psubscribe", "punsubscribe", "pubsub|channels", "pubsub|numsub",
    "cluster|slots", "command|info", "command|docs",
)  # fmt: skip
# COMMAND INFO and DOCS: the engine reads which newer commands the server has, and their
# docs, at start-up (server.py); learners cannot send them (the table refuses COMMAND).


def acl_command_names(offered: Collection[str] = NONE) -> list[str]:
    """The exact command names the sandbox's Redis ACL user must be allowed, sorted."""
    names = set(ENGINE_COMMANDS)
    for specs in commands_by_group(offered).values():
        names.update(spec.name for spec in specs if spec.handler == "redis")
    return sorted(names)


def newer_acl_names() -> dict[str, list[str]]:
    """The newer commands the ACL user needs where the server has them, by Redis version."""
    found: dict[str, list[str]] = {}
    for spec in sorted(ALL, key=lambda s: (s.since, s.name)):
        if spec.name in NEWER and spec.handler == "redis":
            found.setdefault(spec.since, []).append(spec.name)
    return found
