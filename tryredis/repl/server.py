"""What the connected server is and which of the table's newer commands it has.

``probe_server`` asks once, at start-up, on the sandbox's own connection: ``HELLO``
(the server's name and version), ``COMMAND INFO`` of the entries added after Redis
7.0 (``commands/newer.py``; a server without one answers nil for it), and
``COMMAND DOCS`` (the server's own help text). The engine then offers exactly the
newer commands the server reports, and ``help`` prints the server's docs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from tryredis.repl.commands import NEWER
from tryredis.repl.docs_render import Docs, docs_from_reply
from tryredis.wire import ErrorReply, Executor, ExecutorError, Reply

log = logging.getLogger("tryredis.engine")

DOCS_MAX_BYTES = 4 << 20  # COMMAND DOCS of a whole server is about 300 KB of RESP
NAMES = {"redis": "Redis", "valkey": "Valkey"}


@dataclass(frozen=True)
class ServerInfo:
    """The connected server: its product name, version, newer commands and docs."""

    name: str = "Redis"
    version: str = ""
    offered: frozenset[str] = frozenset()  # the table's newer entries this server has
    docs: Mapping[str, tuple[str, str, str, str]] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        """``Redis 7.0.15``, ``Valkey 8.1.8``."""
        return f"{self.name} {self.version}".strip()


BASE = ServerInfo()
"""Redis 7.0's table: no newer commands, the built-in docs."""


def _map(reply: Reply) -> dict[bytes, Reply]:
    items = reply if isinstance(reply, list) else []
    return {k: v for k, v in zip(items[::2], items[1::2], strict=False) if isinstance(k, bytes)}


def hello_identity(reply: Reply) -> tuple[str, str]:
    """``(name, version)`` from a RESP2 ``HELLO`` reply (``server``, ``version`` fields)."""
    fields = _map(reply)
    server, version = fields.get(b"server", b"redis"), fields.get(b"version", b"")
    name = server.decode("utf-8", "replace") if isinstance(server, bytes) else "redis"
    text = version.decode("utf-8", "replace") if isinstance(version, bytes) else ""
    return NAMES.get(name.lower(), name), text


def offered_from_info(names: list[str], reply: Reply) -> frozenset[str]:
    """The names whose ``COMMAND INFO`` entry is not nil."""
    entries = reply if isinstance(reply, list) else []
    return frozenset(n for n, e in zip(names, entries, strict=False) if isinstance(e, list))


async def probe_server(executor: Executor, probe_key: bytes = b"tryredis:probe") -> ServerInfo:
    """Ask the server on ``executor`` what it is; without permission, Redis 7.0's table.

    ``probe_key`` is a key the sandbox user may read (one of the executor's slot on a
    Cluster): on it, the user's right to HPEXPIRETIME is tried.
    """
    names = sorted(NEWER)
    commands = [(b"HELLO",), (b"COMMAND", b"INFO", *(n.encode() for n in names)),
                (b"COMMAND", b"DOCS")]  # fmt: skip
    try:
        hello, info, docs = await executor.run(commands, max_bytes=DOCS_MAX_BYTES)
    except ExecutorError as error:
        log.warning("could not read the server's commands (%s): offering Redis 7.0's", error)
        return ServerInfo()
    name, version = hello_identity(hello)
    denied = next((r for r in (info, docs) if isinstance(r, ErrorReply)), None)
    if denied is not None:
        log.warning(
            "the sandbox's Redis user may not run COMMAND INFO/DOCS (%s): offering Redis "
            "7.0's commands only; `tryredis acl` prints the lines that allow them",
            denied.decode("utf-8", "replace"),
        )
        return ServerInfo(name, version)
    offered = offered_from_info(names, info)
    if "hpexpiretime" in offered and not await _may_read_field_expiry(executor, probe_key):
        # The key index reads field TTLs with HPEXPIRETIME whenever the server has it: if
        # the sandbox user may not, writes to hashes would go unrecorded. Offer none.
        log.warning(
            "the server has commands newer than Redis 7.0 but the sandbox's Redis user may "
            "not run them: offering Redis 7.0's commands only; `tryredis acl` prints the "
            "lines that allow them"
        )
        offered = frozenset()
    return ServerInfo(name, version, offered, _docs(docs))


async def _may_read_field_expiry(executor: Executor, probe_key: bytes) -> bool:
    try:
        (reply,) = await executor.run([(b"HPEXPIRETIME", probe_key, b"FIELDS", b"1", b"f")])
    except ExecutorError:
        return False
    return not (isinstance(reply, ErrorReply) and reply.startswith(b"NOPERM"))


def _docs(reply: Reply) -> Docs:
    try:
        return docs_from_reply(reply)
    except (KeyError, TypeError, IndexError, AttributeError):  # an unexpected shape: keep ours
        log.warning("the server's COMMAND DOCS has an unexpected shape: help uses the built-in")
        return {}
