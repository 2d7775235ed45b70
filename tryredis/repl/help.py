"""``help``, ``help @group`` and ``help <command>``, in redis-cli's layout.

Like redis-cli's own ``help``, this is answered by the REPL, not by Redis; it
lists what the sandbox offers on the connected server and explains what it
refuses. Summaries and syntax are the server's own ``COMMAND DOCS`` where the
engine could read them (``server.ServerInfo.docs``), else the built-in docs.
"""

from __future__ import annotations

from collections.abc import Sequence

from tryredis.repl.command_docs import DOCS
from tryredis.repl.server import ServerInfo
from tryredis.repl.spec import CommandSpec
from tryredis.repl.table import commands_by_group, find_spec

GROUP_TITLES = {
    "string": "Strings and counters",
    "bitmap": "Bitmaps",
    "hyperloglog": "HyperLogLog",
    "hash": "Hashes",
    "list": "Lists",
    "set": "Sets",
    "sorted-set": "Sorted sets",
    "geo": "Geospatial",
    "stream": "Streams",
    "generic": "Keys and expiry",
    "transactions": "Transactions",
    "pubsub": "Pub/Sub",
    "server": "Server",
    "connection": "Connection",
}


def _available(spec: CommandSpec) -> bool:
    return spec.handler not in ("refused", "container")


def _doc(spec: CommandSpec, server: ServerInfo) -> tuple[str, str, str]:
    """(group, summary, syntax) of an entry: the server's own docs first."""
    found = server.docs.get(spec.name)
    if found is not None and found[1] and found[2].startswith(spec.display):
        return found[0] or spec.group, found[1], found[2]
    group = DOCS[spec.name][0] if spec.name in DOCS else spec.group
    return group, spec.summary, spec.syntax


def help_text(args: Sequence[bytes], server: ServerInfo | None = None) -> str:
    """The text printed for ``help`` followed by ``args`` (on ``server``: Redis 7.0 if None)."""
    server = server or ServerInfo()
    topic = b" ".join(args).decode("utf-8", errors="replace").strip()
    if not topic:
        return _overview(server)
    if topic.startswith("@"):
        return _group(topic[1:].lower(), server)
    spec = find_spec(topic, server.offered)
    if spec is None:
        return f'No help for "{topic}". Type "help" for the list of commands.'
    group, summary, syntax = _doc(spec, server)
    lines = ["", f"  {syntax}", f"  summary: {summary}", f"  group: {group}"]
    if spec.handler == "container":
        subcommands = [
            s
            for specs in commands_by_group(server.offered).values()
            for s in specs
            if s.name.startswith(spec.name + "|")
        ]
        available = sorted(s.display for s in subcommands if _available(s))
        if available:
            lines.append("  in this sandbox: " + ", ".join(available))
        else:
            reason = next((s.refusal for s in subcommands if s.refusal), None)
            lines.append(
                f"  in this sandbox: not available: {reason}"
                if reason
                else "  in this sandbox: not available"
            )
    elif spec.handler == "refused":
        lines.append(f"  in this sandbox: not available: {spec.refusal}")
    elif spec.handler == "emulated":
        lines.append("  in this sandbox: answered from your own keys only")
    return "\n".join(lines)


def _overview(server: ServerInfo) -> str:
    lines = [
        'Commands you can run here, by group. "help <command>" explains one,',
        '"help @<group>" lists a group with its syntax, "clear" clears the screen.',
    ]
    for group, specs in commands_by_group(server.offered).items():
        names = sorted(s.display for s in specs if _available(s))
        if names:
            lines += ["", f"{GROUP_TITLES.get(group, group)} (@{group}):", "  " + " ".join(names)]
    return "\n".join(lines)


def _group(group: str, server: ServerInfo) -> str:
    specs = [s for s in commands_by_group(server.offered).get(group, []) if _available(s)]
    if not specs:
        groups = " ".join(f"@{g}" for g in commands_by_group(server.offered))
        return f'No group "@{group}". Groups: {groups}'
    lines: list[str] = []
    for spec in sorted(specs, key=lambda s: s.name):
        _, summary, syntax = _doc(spec, server)
        lines += ["", f"  {syntax}", f"  summary: {summary}"]
    return "\n".join(lines)
