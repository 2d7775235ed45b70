"""Members' sandboxes: joining binds a learner's session to a class, ending deletes it all.

A member's session hash carries ``cls`` = the class id. ``SessionStore`` keeps such
sessions and their progress without a TTL, and they leave the idle janitor's set
(``P sandboxes``), so a member's sandbox, history and progress live exactly as
long as the class.
"""

from __future__ import annotations

from tryredis.classroom.classes import ClassError, ClassStore, Klass, Member
from tryredis.classroom.credentials import REJOIN_CODE_LENGTH, new_code
from tryredis.classroom.events import publish
from tryredis.classroom.keys import ClassKeys
from tryredis.classroom.teachers import _text
from tryredis.identity import new_learner_id
from tryredis.services import Services

MEMBER_FIELD = "cls"


class Roster:
    """Members' sandboxes: join, rejoin, reset, end."""

    def __init__(self, services: Services, classes: ClassStore, keys: ClassKeys) -> None:
        self.services = services
        self.classes = classes
        self.keys = keys
        self.redis = services.site

    async def class_of(self, learner_id: str) -> str:
        """The id of the class this learner belongs to, or ''."""
        keys = self.services.keys
        return _text(await self.redis.hget(keys.session(learner_id), MEMBER_FIELD))

    async def join(
        self, klass: Klass, name: str, address: str, adopt: str | None
    ) -> tuple[Member, str]:
        """Put a student on the roster; return the member and their rejoin code.

        ``adopt`` is the browser's current learner: their sandbox and progress come
        along unless they already belong to a class (then a new learner is made).
        """
        services = self.services
        learner_id = ""
        if adopt and await services.sessions.exists(adopt) and not await self.class_of(adopt):
            learner_id = adopt
        if not learner_id:
            learner_id = new_learner_id()
            await services.sessions.create(learner_id, address, "class")
        rejoin = new_code(REJOIN_CODE_LENGTH)
        member = await self.classes.add_member(klass, name, learner_id, rejoin)
        await self.bind(klass, learner_id)
        await publish(self.redis, self.keys, klass.id, "join", l=learner_id)
        return member, rejoin

    async def bind(self, klass: Klass, learner_id: str) -> None:
        """Tie a learner's session to the class: no TTL, out of the idle janitor's reach."""
        keys = self.services.keys
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(keys.session(learner_id), MEMBER_FIELD, klass.id)
        pipe.persist(keys.session(learner_id))
        pipe.persist(keys.progress(learner_id))
        pipe.persist(keys.journal(learner_id))
        pipe.zrem(keys.sandboxes, learner_id)
        await pipe.execute()

    async def rejoin(self, klass: Klass, name: str, code: str) -> Member:
        """The member whose name and rejoin code these are; ClassError otherwise."""
        member = await self.classes.find_rejoin(klass, name, code)
        if member is None or not await self.services.sessions.exists(member.learner_id):
            raise ClassError("That name and rejoin code do not match anyone in this class.")
        return member

    async def reissue(self, klass: Klass, member: Member) -> str:
        """A new rejoin code for a member (the old one stops working)."""
        code = new_code(REJOIN_CODE_LENGTH)
        await self.classes.set_rejoin(klass, member, code)
        return code

    async def reset(self, klass: Klass, members: list[Member]) -> int:
        """Empty these members' sandboxes (keys gone, progress kept); how many."""
        for member in members:
            await self.services.sandbox_reset(member.learner_id, keep_session=True)
            await publish(self.redis, self.keys, klass.id, "reset", l=member.learner_id)
        return len(members)

    async def end(self, klass: Klass) -> int:
        """Delete the class and every member's sandbox, session and progress; how many members."""
        members = await self.classes.members(klass)
        await publish(self.redis, self.keys, klass.id, "ended")
        for member in members:
            if await self.class_of(member.learner_id) == klass.id:
                await self.services.sandbox_reset(member.learner_id, keep_session=False)
        await self.classes.forget(klass, klass.teacher_id)
        return len(members)
