"""Classes and their rosters: records, join codes, members, rejoin codes, reveals.

A class is the hash ``P c:{<id>}``; its roster is ``P c:{<id>}:m`` (learner id ->
member record) with ``P c:{<id>}:n`` keeping display names unique. ``P codes``
maps each open join code to its class. Nothing here touches sandboxes: that is
``roster.Roster``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tryredis.classroom.credentials import (
    check_async,
    hash_async,
    new_code,
    normal_code,
)
from tryredis.classroom.keys import ClassKeys
from tryredis.classroom.teachers import Teacher, _text, fold
from tryredis.identity import LEARNER_ID, new_learner_id

if TYPE_CHECKING:
    from tryredis.sessions import SiteRedis

NAME_MAX = 40
CLASS_NAME_MAX = 80
REVEALS = ("hint", "solution")


class ClassError(ValueError):
    """A class operation that cannot be done; the message is for the user."""


@dataclass(frozen=True)
class Klass:
    """One class's settings."""

    id: str
    name: str
    teacher_id: str
    lessons: tuple[str, ...]
    code: str
    open: bool
    ends: int  # unix seconds; 0: no end date
    solutions: bool  # solutions show from the start (else after tries, or when revealed)
    created: int
    reveals: dict[str, list[str]] = field(default_factory=dict)

    def revealed(self, exercise: str, what: str) -> bool:
        """Whether the teacher revealed the hint or solution of ``slug/exercise`` to the class."""
        default = self.solutions and what == "solution"
        return default or what in self.reveals.get(exercise, [])


@dataclass(frozen=True)
class Member:
    """One student on a roster."""

    learner_id: str
    name: str
    joined: int


def check_display_name(name: str) -> str:
    """A student's display name, tidied, or ClassError."""
    name = " ".join(name.split())
    if not name:
        raise ClassError("Type the name your teacher will see.")
    if len(name) > NAME_MAX or not name.isprintable():
        raise ClassError(f"A name is at most {NAME_MAX} printable characters.")
    return name


def _klass(class_id: str, raw: dict[Any, Any]) -> Klass | None:
    data = {_text(k): _text(v) for k, v in raw.items()}
    if "name" not in data:
        return None
    return Klass(
        id=class_id,
        name=data["name"],
        teacher_id=data.get("teacher", ""),
        lessons=tuple(json.loads(data.get("lessons") or "[]")),
        code=data.get("code", ""),
        open=data.get("open") == "1",
        ends=int(data.get("ends") or 0),
        solutions=data.get("solutions") == "1",
        created=int(data.get("created") or 0),
        reveals=json.loads(data.get("reveals") or "{}"),
    )


class ClassStore:
    """Class records and rosters in the site's Redis."""

    def __init__(self, redis: SiteRedis, keys: ClassKeys) -> None:
        self.redis = redis
        self.keys = keys

    async def create(
        self,
        teacher: Teacher,
        name: str,
        lessons: list[str],
        *,
        ends: int = 0,
        solutions: bool = False,
    ) -> Klass:
        """A new class with an open join code."""
        name = " ".join(name.split())
        if not name or len(name) > CLASS_NAME_MAX:
            raise ClassError(f"A class needs a name of 1-{CLASS_NAME_MAX} characters.")
        if ends and ends <= time.time():
            raise ClassError("The end date must be in the future.")
        class_id = new_learner_id()
        code = await self._claim_code(class_id)
        record = {
            "name": name, "teacher": teacher.id, "lessons": json.dumps(lessons), "code": code,
            "open": "1", "ends": str(ends), "solutions": "1" if solutions else "0",
            "created": str(int(time.time())),
        }  # fmt: skip
        await self.redis.hset(self.keys.klass(class_id), mapping=record)  # type: ignore[arg-type]
        await self.redis.sadd(self.keys.teacher_classes(teacher.id), class_id)
        if ends:
            await self.redis.zadd(self.keys.ends, {class_id: ends})
        found = await self.get(class_id)
        assert found is not None
        return found

    async def _claim_code(self, class_id: str) -> str:
        for _ in range(20):  # 23^6 = 148M codes: a clash is rare, ten in a row impossible
            code = new_code()
            if await self.redis.hsetnx(self.keys.codes, code, class_id):
                return code
        raise ClassError("Could not find a free join code; try again.")

    async def get(self, class_id: str) -> Klass | None:
        """The class, if it exists."""
        if not LEARNER_ID.fullmatch(class_id):
            return None
        return _klass(class_id, await self.redis.hgetall(self.keys.klass(class_id)))

    async def owned(self, teacher: Teacher, class_id: str) -> Klass | None:
        """The class if it exists and is this teacher's (others' classes do not exist)."""
        found = await self.get(class_id)
        return found if found is not None and found.teacher_id == teacher.id else None

    async def of_teacher(self, teacher: Teacher) -> list[Klass]:
        """The teacher's classes, newest first."""
        ids = await self.redis.smembers(self.keys.teacher_classes(teacher.id))
        found = [await self.get(_text(i)) for i in ids]
        return sorted((k for k in found if k), key=lambda k: -k.created)

    async def by_code(self, code: str) -> Klass | None:
        """The class whose join code this is, if the code is open."""
        code = normal_code(code)
        if not code or len(code) > 16:
            return None
        class_id = _text(await self.redis.hget(self.keys.codes, code))
        found = await self.get(class_id) if class_id else None
        return found if found is not None and found.open and found.code == code else None

    async def set_code(self, klass: Klass, *, rotate: bool, open_: bool) -> Klass:
        """Rotate, close or reopen the join code."""
        await self.redis.hdel(self.keys.codes, klass.code)
        code = await self._claim_code(klass.id) if rotate else klass.code
        if not open_:
            await self.redis.hdel(self.keys.codes, code)
        elif not rotate:
            await self.redis.hset(self.keys.codes, code, klass.id)
        await self.redis.hset(
            self.keys.klass(klass.id), mapping={"code": code, "open": "1" if open_ else "0"}
        )
        found = await self.get(klass.id)
        assert found is not None
        return found

    async def reveal(self, klass: Klass, exercise: str, what: str) -> Klass:
        """Show an exercise's hint or solution to the whole class."""
        if what not in REVEALS:
            raise ClassError("Reveal a hint or a solution.")
        reveals = dict(klass.reveals)
        reveals[exercise] = sorted({*reveals.get(exercise, []), what})
        await self.redis.hset(self.keys.klass(klass.id), "reveals", json.dumps(reveals))
        found = await self.get(klass.id)
        assert found is not None
        return found

    async def members(self, klass: Klass) -> list[Member]:
        """The roster, in joining order."""
        raw = await self.redis.hgetall(self.keys.members(klass.id))
        members = []
        for learner_id, record in raw.items():
            data = json.loads(record)
            members.append(Member(_text(learner_id), data["name"], int(data["joined"])))
        return sorted(members, key=lambda m: (m.joined, fold(m.name)))

    async def member(self, klass: Klass, learner_id: str) -> Member | None:
        """One member of the roster, if they are on it."""
        record = await self.redis.hget(self.keys.members(klass.id), learner_id)
        if not record:
            return None
        data = json.loads(record)
        return Member(learner_id, data["name"], int(data["joined"]))

    async def add_member(self, klass: Klass, name: str, learner_id: str, rejoin: str) -> Member:
        """Put a student on the roster under a name nobody in the class has."""
        name = check_display_name(name)
        if not await self.redis.hsetnx(self.keys.names(klass.id), fold(name), learner_id):
            raise ClassError(
                f"Someone in this class is already called {name!r}. If that is you, "
                "type your rejoin code; if not, choose another name."
            )
        now = int(time.time())
        record = {"name": name, "joined": now, "rejoin": await hash_async(rejoin)}
        await self.redis.hset(self.keys.members(klass.id), learner_id, json.dumps(record))
        return Member(learner_id, name, now)

    async def find_rejoin(self, klass: Klass, name: str, rejoin: str) -> Member | None:
        """The member of this name if the rejoin code is theirs."""
        learner_id = _text(await self.redis.hget(self.keys.names(klass.id), fold(name)))
        record = await self.redis.hget(self.keys.members(klass.id), learner_id or "-")
        if not record:
            return None
        data = json.loads(record)
        if not await check_async(normal_code(rejoin), data.get("rejoin")):
            return None
        return Member(learner_id, data["name"], int(data["joined"]))

    async def set_rejoin(self, klass: Klass, member: Member, rejoin: str) -> None:
        """Replace a member's rejoin code (the teacher reissued it)."""
        record = {"name": member.name, "joined": member.joined, "rejoin": await hash_async(rejoin)}
        await self.redis.hset(self.keys.members(klass.id), member.learner_id, json.dumps(record))

    async def forget(self, klass: Klass, teacher_id: str) -> None:
        """Delete the class's records (its members' data is ``Roster``'s to delete)."""
        await self.redis.hdel(self.keys.codes, klass.code)
        await self.redis.zrem(self.keys.ends, klass.id)
        await self.redis.srem(self.keys.teacher_classes(teacher_id), klass.id)
        await self.redis.delete(
            self.keys.klass(klass.id),
            self.keys.members(klass.id),
            self.keys.names(klass.id),
            self.keys.events(klass.id),
        )
