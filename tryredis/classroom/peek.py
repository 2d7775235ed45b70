"""A teacher's read-only look into a student's sandbox: key names, types, TTLs, sizes.

The keys panel's own reads (``tryredis.repl.overview``: only read commands through
the engine, the same namespace and table as the student's REPL), outside any MULTI
the student has open. The caller pays from the teacher's own rate limit, never the
student's.
"""

from __future__ import annotations

from dataclasses import dataclass

from tryredis.repl import TransactionState, overview
from tryredis.services import Services

KEYS_SHOWN = 50


@dataclass(frozen=True)
class KeyInfo:
    """One key as the teacher sees it."""

    name: str
    type: str
    ttl: str  # "no expiry", "12.0 s", ...
    size: int  # characters of a string, elements of anything else


def _ttl(ms: int | None) -> str:
    if ms is None:
        return "no expiry"
    return f"{ms / 1000:.1f} s" if ms < 10_000 else f"{ms // 1000} s"


async def key_overview(services: Services, learner_id: str) -> tuple[list[KeyInfo], int]:
    """Up to ``KEYS_SHOWN`` keys of the sandbox, sorted by name, and how many there are."""
    sandbox = services.engine.open(learner_id, TransactionState())
    found = await overview(sandbox, limit=KEYS_SHOWN)
    keys = [
        KeyInfo(k.name.decode("utf-8", errors="replace"), k.type, _ttl(k.ttl_ms), k.size)
        for k in found.keys
    ]
    return keys, found.total
