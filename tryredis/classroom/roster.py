"""Members' sandboxes: joining binds a learner's session to a class, ending deletes it all.

A member's session hash carries ``cls`` = the class id. ``SessionStore`` keeps such
sessions and their progress without a TTL, and they leave the idle janitor's set
(``P sandboxes``), so a member's sandbox, history and progress live exactly as
long as the class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tryredis.classroom.classes import ClassError, Klass, Member
from tryredis.classroom.credentials import REJOIN_CODE_LENGTH, new_code
from tryredis.classroom.events import publish
from tryredis.classroom.teachers import _text
from tryredis.identity import new_learner_id

if TYPE_CHECKING:
    from tryredis.classroom.service import Classroom

MEMBER_FIELD = "cls"


async def class_of(classroom: Classroom, learner_id: str) -> str:
    """The id of the class this learner belongs to, or ''."""
    keys = classroom.services.keys
    return _text(await classroom.redis.hget(keys.session(learner_id), MEMBER_FIELD))


async def join(
    classroom: Classroom, klass: Klass, name: str, address: str, adopt: str | None
) -> tuple[Member, str]:
    """Put a student on the roster; return the member and their rejoin code.

    ``adopt`` is the browser's current learner: their sandbox and progress come
    along unless they already belong to a class (then a new learner is made).
    """
    services = classroom.services
    learner_id = ""
    if adopt and await services.sessions.exists(adopt) and not await class_of(classroom, adopt):
        learner_id = adopt
    if not learner_id:
        learner_id = new_learner_id()
        await services.sessions.create(learner_id, address, "class")
    rejoin = new_code(REJOIN_CODE_LENGTH)
    member = await classroom.classes.add_member(klass, name, learner_id, rejoin)
    await bind(classroom, klass, learner_id)
    await publish(classroom.redis, classroom.keys, klass.id, "join", l=learner_id)
    return member, rejoin


async def bind(classroom: Classroom, klass: Klass, learner_id: str) -> None:
    """Tie a learner's session to the class: no TTL, out of the idle janitor's reach."""
    keys = classroom.services.keys
    pipe = classroom.redis.pipeline(transaction=False)
    pipe.hset(keys.session(learner_id), MEMBER_FIELD, klass.id)
    pipe.persist(keys.session(learner_id))
    pipe.persist(keys.progress(learner_id))
    pipe.persist(keys.journal(learner_id))
    pipe.zrem(keys.sandboxes, learner_id)
    await pipe.execute()


async def rejoin(classroom: Classroom, klass: Klass, name: str, code: str) -> Member:
    """The member whose name and rejoin code these are; ClassError otherwise."""
    member = await classroom.classes.find_rejoin(klass, name, code)
    if member is None or not await classroom.services.sessions.exists(member.learner_id):
        raise ClassError("That name and rejoin code do not match anyone in this class.")
    return member


async def reissue(classroom: Classroom, klass: Klass, member: Member) -> str:
    """A new rejoin code for a member (the old one stops working)."""
    code = new_code(REJOIN_CODE_LENGTH)
    await classroom.classes.set_rejoin(klass, member, code)
    return code


async def reset(classroom: Classroom, klass: Klass, members: list[Member]) -> int:
    """Empty these members' sandboxes (keys gone, progress kept); how many."""
    for member in members:
        await classroom.services.sandbox_reset(member.learner_id, keep_session=True)
        await publish(classroom.redis, classroom.keys, klass.id, "reset", l=member.learner_id)
    return len(members)


async def end(classroom: Classroom, klass: Klass) -> int:
    """Delete the class and every member's sandbox, session and progress; how many members."""
    members = await classroom.classes.members(klass)
    await publish(classroom.redis, classroom.keys, klass.id, "ended")
    for member in members:
        if await class_of(classroom, member.learner_id) == klass.id:
            await classroom.services.sandbox_reset(member.learner_id, keep_session=False)
    await classroom.classes.forget(klass, klass.teacher_id)
    return len(members)
