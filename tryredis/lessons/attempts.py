"""Where a learner stands in each exercise: when they pressed Start, their tries, their answer.

One hash per learner (``Keys.attempts``), next to their progress and with its
sliding lifetime, fields named after the exercise's progress name:

- ``<name>|start``: the journal position when the learner pressed Start; the method
  checks read the lines run after it;
- ``<name>|tries``: failed tries (the solution shows after ``solution_after``);
- ``<name>|counted``: the start position a method failure was last counted for, so
  that one wrong attempt counts once however many commands follow it;
- ``<name>|choice``: the index of the last answer picked (multiple choice).
"""

from __future__ import annotations

from dataclasses import dataclass

from tryredis.keys import Keys
from tryredis.sessions import SiteRedis


@dataclass(frozen=True)
class Attempt:
    """One exercise's state for one learner."""

    start: int | None = None
    tries: int = 0
    counted: int | None = None
    choice: int | None = None

    @property
    def started(self) -> bool:
        """Whether the learner pressed Start."""
        return self.start is not None


class Attempts:
    """The learners' attempts, on the site's Redis."""

    def __init__(self, redis: SiteRedis, keys: Keys, ttl_ms: int) -> None:
        self.redis = redis
        self.keys = keys
        self.ttl_ms = ttl_ms

    async def all(self, learner_id: str) -> dict[str, Attempt]:
        """Every attempt of this learner, by progress name."""
        raw = await self.redis.hgetall(self.keys.attempts(learner_id))
        fields: dict[str, dict[str, int]] = {}
        for key, value in raw.items():
            name, _, field = _text(key).rpartition("|")
            if name and _text(value).lstrip("-").isdigit():
                fields.setdefault(name, {})[field] = int(_text(value))
        return {
            name: Attempt(
                start=found.get("start"),
                tries=found.get("tries", 0),
                counted=found.get("counted"),
                choice=found.get("choice"),
            )
            for name, found in fields.items()
        }

    async def start(self, learner_id: str, name: str, position: int) -> None:
        """Record that the learner (re)started an exercise at this journal position."""
        key = self.keys.attempts(learner_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, f"{name}|start", position)
        pipe.pexpire(key, self.ttl_ms)
        await pipe.execute()

    async def failed(self, learner_id: str, name: str, counted: int | None = None) -> None:
        """Count one failed try (for a method failure, remember the start it counted for)."""
        key = self.keys.attempts(learner_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hincrby(key, f"{name}|tries", 1)
        if counted is not None:
            pipe.hset(key, f"{name}|counted", counted)
        pipe.pexpire(key, self.ttl_ms)
        await pipe.execute()

    async def answered(self, learner_id: str, name: str, choice: int, *, right: bool) -> None:
        """Record the picked answer of a question; a wrong one is a failed try."""
        key = self.keys.attempts(learner_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, f"{name}|choice", choice)
        if not right:
            pipe.hincrby(key, f"{name}|tries", 1)
        pipe.pexpire(key, self.ttl_ms)
        await pipe.execute()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
