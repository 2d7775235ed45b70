"""The sandbox's command table: every command of Redis 7.0, found by name.

Every command has one declarative entry in ``tryredis/repl/commands/`` (see
``spec.CommandSpec``). ``resolve()`` finds the entry for a learner's argument
list and answers the errors Redis itself would give before running anything, in
Redis's order: unknown command, unknown subcommand, wrong number of arguments.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from tryredis.repl.command_docs import DOCS
from tryredis.repl.commands import ALL
from tryredis.repl.spec import CommandError, CommandSpec, Refusal

__all__ = ["acl_command_names", "commands_by_group", "find_spec", "resolve"]


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


def resolve(args: Sequence[bytes]) -> CommandSpec:
    """The entry for ``args`` (exact, case-insensitive names); raises CommandError or Refusal."""
    args = list(args) or [b""]
    table = _table()
    spec = table.commands.get(args[0].lower())
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
        found = subs.get(args[1].lower())
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


def find_spec(name: str) -> CommandSpec | None:
    """The entry named ``set``, ``object encoding`` or ``object|encoding`` (for ``help``)."""
    words = name.lower().replace("|", " ").split()
    table = _table()
    if not words or len(words) > 2:
        return None
    try:
        spec = table.commands.get(words[0].encode("ascii"))
        if len(words) == 2:
            return table.subcommands.get(words[0].encode("ascii"), {}).get(words[1].encode("ascii"))
    except UnicodeEncodeError:
        return None
    return spec


def commands_by_group() -> dict[str, list[CommandSpec]]:
    """Every command and subcommand (no containers) by help group, sorted by name."""
    groups: dict[str, list[CommandSpec]] = {}
    table = _table()
    leaves = [s for s in table.commands.values() if s.handler != "container"]
    leaves += [s for subs in table.subcommands.values() for s in subs.values()]
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
    "cluster|slots",
)  # fmt: skip


def acl_command_names() -> list[str]:
    """The exact command names the sandbox's Redis ACL user must be allowed, sorted."""
    names = set(ENGINE_COMMANDS)
    for specs in commands_by_group().values():
        names.update(spec.name for spec in specs if spec.handler == "redis")
    return sorted(names)
