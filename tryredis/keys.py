"""Names of every key the site writes (see docs/architecture.md, "Keys in Redis").

All of one learner's keys carry the hash tag ``{id}`` so that on a Redis
Cluster they live in one slot.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    """Key names under one site prefix (``TRYREDIS_KEY_PREFIX``)."""

    prefix: str

    def namespace(self, learner_id: str) -> bytes:
        """The prefix of the learner's own keys: ``P u:{id}:``."""
        return f"{self.prefix}u:{{{learner_id}}}:".encode()

    def index(self, learner_id: str) -> str:
        """The sandbox key index (hash: learner key -> bytes used)."""
        return f"{self.prefix}u:{{{learner_id}}}"

    def sandbox_totals(self, learner_id: str) -> str:
        """The key index's totals: bytes, elements, keys, stream entries (hash)."""
        return f"{self.prefix}u:{{{learner_id}}}.t"

    def versions(self, learner_id: str) -> str:
        """Write versions of watched keys (hash)."""
        return f"{self.prefix}u:{{{learner_id}}}.ver"

    def session(self, learner_id: str) -> str:
        """The session hash."""
        return f"{self.prefix}s:{{{learner_id}}}"

    def queue(self, learner_id: str) -> str:
        """Commands queued by MULTI (list)."""
        return f"{self.prefix}s:{{{learner_id}}}.q"

    def blocking(self, learner_id: str) -> str:
        """Marker of the learner's one blocking command in flight."""
        return f"{self.prefix}s:{{{learner_id}}}.b"

    def subscription(self, learner_id: str) -> str:
        """Marker of the learner's one open SUBSCRIBE stream."""
        return f"{self.prefix}s:{{{learner_id}}}.sub"

    def ended(self, learner_id: str) -> str:
        """Set when the learner deleted their session: its id is never a session again (TTL)."""
        return f"{self.prefix}s:{{{learner_id}}}.end"

    def progress(self, learner_id: str) -> str:
        """Exercises done (hash: ``slug/exercise`` -> unix time)."""
        return f"{self.prefix}p:{{{learner_id}}}"

    def attempts(self, learner_id: str) -> str:
        """Exercise attempts: where each was started, its tries, its last answer (hash)."""
        return f"{self.prefix}p:{{{learner_id}}}.ex"

    def journal(self, learner_id: str) -> str:
        """The learner's last lines and what they printed (list of JSON rows)."""
        return f"{self.prefix}j:{{{learner_id}}}"

    def ip_bucket(self, address: str) -> str:
        """Rate-limit bucket of one client address."""
        return f"{self.prefix}ip:{address}"

    def fair_share(self, marker: str, address: str) -> str:
        """The learners of one client address holding a ``marker`` (a zset: id -> expiry ms)."""
        return f"{self.prefix}fair:{marker}:{address}"

    def ip_new_sessions(self, address: str) -> str:
        """Counter of sandboxes created by one client address this hour."""
        return f"{self.prefix}ipnew:{address}"

    @property
    def sandboxes(self) -> str:
        """Sorted set: learner id -> last seen (unix seconds)."""
        return f"{self.prefix}sandboxes"

    @property
    def secret(self) -> str:
        """The signing secret when none is configured."""
        return f"{self.prefix}secret"

    @property
    def janitor_lock(self) -> str:
        """The idle janitor's lock."""
        return f"{self.prefix}janitor"
