"""``help``, ``help @group`` and ``help <command>``, in redis-cli's layout.

Like redis-cli's own ``help``, this is answered by the REPL, not by Redis; it
lists what the sandbox offers and explains what it refuses.
"""

from __future__ import annotations

from collections.abc import Sequence

from tryredis.repl.command_docs import DOCS
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


def help_text(args: Sequence[bytes]) -> str:
    """The text printed for ``help`` followed by ``args``."""
    topic = b" ".join(args).decode("utf-8", errors="replace").strip()
    if not topic:
        return _overview()
    if topic.startswith("@"):
        return _group(topic[1:].lower())
    spec = find_spec(topic)
    if spec is None:
        return f'No help for "{topic}". Type "help" for the list of commands.'
    group = DOCS[spec.name][0] if spec.name in DOCS else spec.group
    lines = ["", f"  {spec.syntax}", f"  summary: {spec.summary}", f"  group: {group}"]
    if spec.handler == "container":
        subcommands = [
            s
            for specs in commands_by_group().values()
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


def _overview() -> str:
    lines = [
        'Commands you can run here, by group. "help <command>" explains one,',
        '"help @<group>" lists a group with its syntax, "clear" clears the screen.',
    ]
    for group, specs in commands_by_group().items():
        names = sorted(s.display for s in specs if _available(s))
        if names:
            lines += ["", f"{GROUP_TITLES.get(group, group)} (@{group}):", "  " + " ".join(names)]
    return "\n".join(lines)


def _group(group: str) -> str:
    specs = [s for s in commands_by_group().get(group, []) if _available(s)]
    if not specs:
        groups = " ".join(f"@{g}" for g in commands_by_group())
        return f'No group "@{group}". Groups: {groups}'
    lines: list[str] = []
    for spec in sorted(specs, key=lambda s: s.name):
        lines += ["", f"  {spec.syntax}", f"  summary: {spec.summary}"]
    return "\n".join(lines)
