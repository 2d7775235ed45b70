"""A teacher's read-only look into a student's sandbox: key names, types, TTLs, sizes.

Only read commands, run through the engine's ``Sandbox.execute`` (the same
namespace and table as the student's REPL), outside any MULTI the student has
open. The caller pays from the teacher's own rate limit, never the student's.
"""

from __future__ import annotations

from dataclasses import dataclass

from tryredis.repl import ErrorReply, Reply, TransactionState
from tryredis.services import Services

KEYS_SHOWN = 50


@dataclass(frozen=True)
class KeyInfo:
    """One key as the teacher sees it."""

    name: str
    type: str
    ttl: str  # "no expiry", "12 s", ...
    bytes: int | None


def _int(reply: Reply) -> int | None:
    return reply if isinstance(reply, int) and not isinstance(reply, bool) else None


def _ttl(reply: Reply) -> str:
    ms = _int(reply)
    if ms is None or ms == -2:
        return "gone"
    if ms == -1:
        return "no expiry"
    return f"{ms / 1000:.1f} s" if ms < 10_000 else f"{ms // 1000} s"


async def key_overview(services: Services, learner_id: str) -> tuple[list[KeyInfo], int]:
    """Up to ``KEYS_SHOWN`` keys of the sandbox, sorted by name, and how many there are."""
    sandbox = services.engine.open(learner_id, TransactionState())
    total = _int(await sandbox.execute([b"DBSIZE"])) or 0
    names: list[bytes] = []
    cursor = b"0"
    while len(names) < KEYS_SHOWN:
        reply = await sandbox.execute([b"SCAN", cursor, b"COUNT", b"100"])
        if not isinstance(reply, list) or len(reply) != 2 or not isinstance(reply[1], list):
            break
        names += [n for n in reply[1] if isinstance(n, bytes)]
        cursor = reply[0] if isinstance(reply[0], bytes) else b"0"
        if cursor == b"0":
            break
    found = []
    for name in sorted(set(names))[:KEYS_SHOWN]:
        kind = await sandbox.execute([b"TYPE", name])
        ttl = await sandbox.execute([b"PTTL", name])
        size = await sandbox.execute([b"MEMORY", b"USAGE", name])
        type_name = bytes(kind).decode() if isinstance(kind, bytes) else "?"
        if isinstance(kind, ErrorReply):
            type_name = "?"
        found.append(
            KeyInfo(name.decode("utf-8", errors="replace"), type_name, _ttl(ttl), _int(size))
        )
    return found, total
