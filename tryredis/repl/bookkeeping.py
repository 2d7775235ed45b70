"""What the engine keeps for a learner outside their keys, and who keeps it.

A learner's MULTI queue, their transaction state (in MULTI, failed, watched
keys) and their markers (a blocking command or a subscription in flight) must
survive between requests and be seen by every worker, so they live in Redis with
the session. The engine only knows the ``Bookkeeping`` interface; the session
store implements it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal, Protocol

# What ``Bookkeeping.hold`` answers: the share is held, or who already holds too many.
Hold = Literal["held", "learner", "group"]


@dataclass
class TransactionState:
    """A learner's MULTI and WATCH state, loaded with the session at each request."""

    in_multi: bool = False
    failed: bool = False
    watched: dict[bytes, tuple[int, bool]] = field(
        default_factory=dict
    )  # key -> (version, existed)

    @classmethod
    def load(cls, in_multi: bool, failed: bool, watch_json: str) -> TransactionState:
        """From the session hash's ``m``, ``mf`` and ``w`` fields."""
        watched: dict[bytes, tuple[int, bool]] = {}
        if watch_json:
            for name, version, existed in json.loads(watch_json):
                watched[name.encode("latin-1")] = (int(version), bool(existed))
        return cls(in_multi, failed, watched)

    def watch_json(self) -> str:
        """The ``w`` field (empty when nothing is watched)."""
        if not self.watched:
            return ""
        rows = [[k.decode("latin-1"), v, e] for k, (v, e) in self.watched.items()]
        return json.dumps(rows)


class Capacity(Protocol):
    """Room left in the shared Redis, which the engine asks before any write that grows it."""

    def admit_growth(self, size: int) -> bool:
        """Whether a command that may grow memory by ``size`` bytes may run now."""


class Bookkeeping(Protocol):
    """Per-learner state the engine keeps between requests (implemented by the session store)."""

    async def save_transaction(self, learner_id: str, state: TransactionState) -> None:
        """Store the MULTI/WATCH state."""

    async def queue_reset(self, learner_id: str) -> None:
        """Empty the MULTI queue."""

    async def queue_size(self, learner_id: str) -> tuple[int, int]:
        """How many commands are queued, and how many bytes they take."""

    async def queue_append(self, learner_id: str, entry: str) -> None:
        """Queue one command (a JSON text)."""

    async def queue_take(self, learner_id: str) -> list[str]:
        """Every queued command, in order; the queue is then empty."""

    async def hold(
        self, learner_id: str, marker: str, ttl_ms: int, group: str = "", cap: int = 0
    ) -> Hold:
        """Set ``marker`` (``blocking``, ``subscription``) for ``ttl_ms``, one per learner and
        at most ``cap`` per ``group`` (a client address; no group: no cap)."""

    async def release(self, learner_id: str, marker: str, group: str = "") -> None:
        """Clear ``marker`` and the learner's share of ``group``."""

    async def charge(self, learner_id: str, tokens: int) -> float:
        """Take extra rate-limit tokens for costly work; the seconds to wait if short (0: paid)."""
