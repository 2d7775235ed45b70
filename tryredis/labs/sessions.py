"""The session lab (lesson 15): a toy app whose server-side session is a hash with a sliding TTL.

The cookie holds only a random token; the session lives in the learner's
sandbox under ``session:<sha256(token)>`` (so a copy of the data holds no usable
token), with ``user:<id>:sessions`` listing a user's sessions. Every request
that uses the session pushes its TTL back (the idle timeout); an absolute
timeout ends it however active it is. Logging in issues a new token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from tryredis.labs.sandboxio import SandboxRedis, parse_int

COOKIE = "lab_sid"
USERS = {"ada": "correct horse battery staple", "grace": "nanoseconds"}
"""The toy app's user table (a stand-in for password hashes in a database)."""


def session_key(token: str) -> str:
    """Lesson 15: the session is stored under a hash of the token."""
    return "session:" + hashlib.sha256(token.encode()).hexdigest()


def user_sessions_key(user: str) -> str:
    return f"user:{user}:sessions"


def check_password(user: str, password: str) -> bool:
    """Constant-time comparison against the toy user table."""
    expected = USERS.get(user)
    return expected is not None and secrets.compare_digest(expected.encode(), password.encode())


@dataclass(frozen=True)
class SessionView:
    """A session as the lab page shows it."""

    key: str
    fields: dict[str, str]
    ttl_before: int
    ttl: int


class SessionStore:
    """Lesson 15's session functions over the learner's sandbox."""

    def __init__(self, redis: SandboxRedis, idle: int, absolute: int) -> None:
        self.redis = redis
        self.idle = idle
        self.absolute = absolute

    async def create(self, user: str, now: float) -> tuple[str, SessionView]:
        """A new session for ``user``: a fresh token and its hash in Redis."""
        token = secrets.token_urlsafe(32)
        key = session_key(token)
        fields = {"user_id": user, "created": str(int(now))}
        await self.redis.hset(key, fields)
        await self.redis.expire(key, self.idle)
        await self.redis.sadd(user_sessions_key(user), key)  # for "log out everywhere"
        await self.redis.expire(user_sessions_key(user), self.absolute)
        return token, SessionView(key, fields, -2, self.idle)

    async def load(self, token: str | None, now: float) -> SessionView | None:
        """The session, its TTL pushed back (sliding); None when gone or too old."""
        if not token:
            return None
        key = session_key(token)
        ttl_before = await self.redis.ttl(key)
        fields = await self.redis.hgetall(key)
        if not fields:
            return None
        created = parse_int(fields.get("created"), f"{key} created")
        if now - created > self.absolute:
            await self.delete(token)
            return None
        await self.redis.expire(key, self.idle)  # the sliding TTL
        return SessionView(key, fields, ttl_before, self.idle)

    async def delete(self, token: str) -> str:
        """Log out: the session key is gone, so the token points at nothing."""
        key = session_key(token)
        fields = await self.redis.hgetall(key)
        await self.redis.delete(key)
        if fields.get("user_id"):
            await self.redis.srem(user_sessions_key(fields["user_id"]), key)
        return key
