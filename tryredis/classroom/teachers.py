"""Teachers: created from the CLI, signed in with a one-time link and then a password.

A teacher record is a hash ``P t:{<id>}`` holding the name and scrypt hashes of
the password, the pending one-time sign-in link and the API token; ``P
teachers`` maps names to ids. Browser sessions are ``P ts:{<sid>}`` hashes with
a sliding TTL, carried by their own signed cookie, never a learner's.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tryredis.classroom.credentials import check_async, hash_async, new_secret
from tryredis.classroom.keys import ClassKeys
from tryredis.identity import LEARNER_ID, new_learner_id

if TYPE_CHECKING:
    from tryredis.sessions import SiteRedis

TEACHER_NAME = re.compile(r"[\w][\w .'-]{0,39}")
LINK_SECONDS = 24 * 3600
SESSION_SECONDS = 12 * 3600
PASSWORD_MIN = 10
SIGNIN_WINDOW = 900  # seconds
SIGNIN_MAX_NAME = 10  # attempts per window for one name
SIGNIN_MAX_ADDRESS = 50  # and from one address (teachers of a school may share one)


class TeacherError(ValueError):
    """A teacher operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class Teacher:
    """A teacher: id and name."""

    id: str
    name: str


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")


def fold(name: str) -> str:
    """A name as compared for uniqueness (case-insensitive, spaces collapsed)."""
    return " ".join(name.split()).casefold()


def check_name(name: str) -> str:
    """The name, stripped, if it is usable; else TeacherError."""
    name = " ".join(name.split())
    if not TEACHER_NAME.fullmatch(name):
        raise TeacherError("a teacher's name is 1-40 letters, digits, spaces, . _ ' or -")
    return name


class TeacherStore:
    """Teachers, their credentials and their browser sessions, in the site's Redis."""

    def __init__(self, redis: SiteRedis, keys: ClassKeys) -> None:
        self.redis = redis
        self.keys = keys
        self._verified: dict[tuple[str, str], float] = {}  # (sha256(token), stored hash)

    async def add(self, name: str) -> tuple[Teacher, str]:
        """Create a teacher; return it and a one-time sign-in secret (``<id>.<secret>``)."""
        name = check_name(name)
        teacher = Teacher(new_learner_id(), name)
        if not await self.redis.hsetnx(self.keys.teachers, fold(name), teacher.id):
            raise TeacherError(f"a teacher named {name!r} already exists")
        await self.redis.hset(
            self.keys.teacher(teacher.id), mapping={"name": name, "created": int(time.time())}
        )
        return teacher, await self.new_link(teacher)

    async def new_link(self, teacher: Teacher) -> str:
        """A fresh one-time sign-in secret (the previous one stops working)."""
        secret = new_secret()
        await self.redis.hset(
            self.keys.teacher(teacher.id),
            mapping={
                "link": await hash_async(secret),
                "link_until": int(time.time()) + LINK_SECONDS,
            },
        )
        return f"{teacher.id}.{secret}"

    async def new_token(self, teacher: Teacher) -> str:
        """A fresh API bearer token (the previous one stops working)."""
        secret = new_secret()
        await self.redis.hset(self.keys.teacher(teacher.id), "token", await hash_async(secret))
        return f"t_{teacher.id}.{secret}"

    async def by_name(self, name: str) -> Teacher | None:
        """The teacher of this name, if any."""
        teacher_id = _text(await self.redis.hget(self.keys.teachers, fold(name)))
        return await self.get(teacher_id) if teacher_id else None

    async def get(self, teacher_id: str) -> Teacher | None:
        """The teacher with this id, if it exists."""
        if not LEARNER_ID.fullmatch(teacher_id):
            return None
        name = _text(await self.redis.hget(self.keys.teacher(teacher_id), "name"))
        return Teacher(teacher_id, name) if name else None

    async def all(self) -> list[Teacher]:
        """Every teacher, by name."""
        found = await self.redis.hgetall(self.keys.teachers)
        teachers = [await self.get(_text(tid)) for tid in found.values()]
        return sorted((t for t in teachers if t), key=lambda t: fold(t.name))

    async def remove(self, teacher: Teacher) -> list[str]:
        """Delete a teacher and their sessions' access; return their class ids (to end)."""
        classes = sorted(
            _text(c) for c in await self.redis.smembers(self.keys.teacher_classes(teacher.id))
        )
        await self.redis.hdel(self.keys.teachers, fold(teacher.name))
        await self.redis.delete(self.keys.teacher(teacher.id))
        await self.redis.delete(self.keys.teacher_classes(teacher.id))
        return classes

    async def use_link(self, link: str, password: str) -> Teacher:
        """Spend a one-time sign-in link to set the teacher's password."""
        teacher_id, _, secret = link.partition(".")
        teacher = await self.get(teacher_id)
        if teacher is None:
            raise TeacherError("this sign-in link is not valid; ask for a new one")
        stored, until = await self.redis.hmget(
            self.keys.teacher(teacher.id), ["link", "link_until"]
        )
        if int(_text(until) or 0) < time.time() or not await check_async(secret, _text(stored)):
            raise TeacherError("this sign-in link is used or expired; ask for a new one")
        if len(password) < PASSWORD_MIN:
            raise TeacherError(f"choose a password of at least {PASSWORD_MIN} characters")
        await self.redis.hset(self.keys.teacher(teacher.id), "password", await hash_async(password))
        await self.redis.hdel(self.keys.teacher(teacher.id), "link", "link_until")
        return teacher

    async def link_valid(self, link: str) -> Teacher | None:
        """The teacher a sign-in link is for, if it is pending and not expired (no KDF)."""
        teacher = await self.get(link.partition(".")[0])
        if teacher is None:
            return None
        until = await self.redis.hget(self.keys.teacher(teacher.id), "link_until")
        return teacher if int(_text(until) or 0) >= time.time() else None

    async def signin_allowed(self, address: str, name: str) -> bool:
        """Count one sign-in attempt; False when the address or name made too many."""
        pipe = self.redis.pipeline(transaction=False)
        for scope in (f"a:{address}", f"n:{hashlib.sha256(fold(name).encode()).hexdigest()}"):
            key = self.keys.signin_attempts(scope)
            pipe.incr(key)
            pipe.expire(key, SIGNIN_WINDOW, nx=True)
        made = await pipe.execute()
        return int(made[0]) <= SIGNIN_MAX_ADDRESS and int(made[2]) <= SIGNIN_MAX_NAME

    async def failures(self, scope: str) -> int:
        """Failed attempts counted for this scope in the current window."""
        return int(await self.redis.get(self.keys.signin_attempts(scope)) or 0)

    async def failed(self, scope: str) -> None:
        """Count one failed attempt for this scope."""
        key = self.keys.signin_attempts(scope)
        pipe = self.redis.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, SIGNIN_WINDOW, nx=True)
        await pipe.execute()

    async def check_password(self, name: str, password: str) -> Teacher | None:
        """The teacher if the name and password match (scrypt in a thread)."""
        teacher = await self.by_name(name)
        stored = (
            _text(await self.redis.hget(self.keys.teacher(teacher.id), "password"))
            if teacher
            else ""
        )
        if teacher is None or not await check_async(password, stored):
            return None
        return teacher

    async def check_token(self, token: str) -> Teacher | None:
        """The teacher an API token belongs to; a verified token is remembered in memory."""
        body = token.removeprefix("t_")
        teacher_id, _, secret = body.partition(".")
        if body == token or not secret:
            return None
        teacher = await self.get(teacher_id)
        if teacher is None:
            return None
        stored = _text(await self.redis.hget(self.keys.teacher(teacher.id), "token"))
        # scrypt costs ~50 ms: a script calling the API pays it once per token and
        # worker. The stored hash is part of the key, so a new token revokes at once.
        memo = (hashlib.sha256(token.encode()).hexdigest(), stored)
        if memo in self._verified:
            return teacher
        if not await check_async(secret, stored):
            return None
        if len(self._verified) > 1000:
            self._verified.clear()
        self._verified[memo] = time.time()
        return teacher

    async def open_session(self, teacher: Teacher) -> str:
        """A new browser session for the teacher; its id."""
        session_id = new_learner_id()
        key = self.keys.teacher_session(session_id)
        await self.redis.hset(key, mapping={"teacher": teacher.id, "created": int(time.time())})
        await self.redis.expire(key, SESSION_SECONDS)
        return session_id

    async def session_teacher(self, session_id: str) -> Teacher | None:
        """The teacher of a live session (its TTL slides), or None."""
        key = self.keys.teacher_session(session_id)
        teacher_id = _text(await self.redis.hget(key, "teacher"))
        if not teacher_id:
            return None
        teacher = await self.get(teacher_id)
        if teacher is None:
            await self.redis.delete(key)
            return None
        await self.redis.expire(key, SESSION_SECONDS)
        return teacher

    async def close_session(self, session_id: str) -> None:
        """Sign out."""
        await self.redis.delete(self.keys.teacher_session(session_id))
