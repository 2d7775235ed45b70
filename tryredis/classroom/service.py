"""The classroom as the running site holds it: stores, the event hub, the end-date sweep."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

from redis.exceptions import RedisError

from tryredis.buckets import ADDRESS
from tryredis.classroom.classes import ClassStore, Member
from tryredis.classroom.events import Hub, publish
from tryredis.classroom.keys import ClassKeys
from tryredis.classroom.roster import Roster
from tryredis.classroom.teachers import Teacher, TeacherStore, _text
from tryredis.journal import JournalEntry
from tryredis.lessons import LessonIndex
from tryredis.services import Services, site_client
from tryredis.sessions import RateLimited

log = logging.getLogger("tryredis.classroom")

# A teacher's reads of students' sandboxes are paid from the teacher's own bucket,
# never the student's: looking must not slow the student down, and stays bounded.
TEACHER_RATE = 5.0  # per second
TEACHER_BURST = 60
SWEEP_SECONDS = 60.0
CLOSE_SECONDS = 2.0
ACTIVITY_BATCH = 8
RECENT_LINES = 20
FAILED_KINDS = ("error", "refused", "parse")

# Release the lock only if it is still ours.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Classroom:
    """Teachers, classes, rosters and live events over the site's Redis."""

    def __init__(self, services: Services, lessons: LessonIndex) -> None:
        self.services = services
        self.lessons = lessons
        self.redis = services.site
        self.keys = ClassKeys(services.settings.key_prefix)
        self.teachers = TeacherStore(self.redis, self.keys)
        self.classes = ClassStore(self.redis, self.keys)
        # The hub's blocking reads get their own connections: they must never wait behind,
        # or hold up, the site's requests.
        self._hub_redis = site_client(
            services.settings.redis_url or "", services.settings.redis_cluster
        )
        self.hub = Hub(self._hub_redis, self.keys)
        self.roster = Roster(services, self.classes, self.keys)
        self._bucket = self.redis.register_script(ADDRESS)
        self._release = self.redis.register_script(RELEASE)
        self._sweeper: asyncio.Task[None] | None = None

    @classmethod
    def start(cls, services: Services, lessons: LessonIndex) -> Classroom:
        """The classroom of a started site: progress events on, the sweep running."""
        classroom = cls(services, lessons)
        services.sessions.progress_hooks.append(classroom.on_progress)
        classroom._sweeper = asyncio.create_task(classroom._sweep_forever())
        return classroom

    async def on_progress(self, class_id: str, learner_id: str, names: list[str], at: int) -> None:
        """A member finished exercises: tell the class's dashboards."""
        for name in names:
            await publish(self.redis, self.keys, class_id, "done", l=learner_id, x=name, at=str(at))

    async def teacher_pays(self, teacher: Teacher, cost: int) -> None:
        """Take ``cost`` tokens from the teacher's bucket; RateLimited when it is empty."""
        ttl = int(TEACHER_BURST / TEACHER_RATE * 1000) + 1000
        wait = await self._bucket(
            keys=[self.keys.teacher_bucket(teacher.id)],
            args=[int(time.time() * 1000), TEACHER_RATE, TEACHER_BURST, cost, ttl],
        )
        if int(wait):
            raise RateLimited(int(wait) / 1000, "a teacher's reads of sandboxes")

    def stuck_reason(
        self,
        now: float,
        member: Member,
        done: dict[str, int],
        assigned: set[str],
        last_active: int,
        errors_in_a_row: int,
        active_seconds: float,
    ) -> str:
        """Why a member looks stuck (errors in a row, or long on one exercise), or ''."""
        settings = self.services.settings
        if errors_in_a_row >= settings.class_stuck_errors:
            return f"{errors_in_a_row} errors in a row"
        if not assigned or assigned <= set(done) or now - last_active > active_seconds:
            return ""
        since = max([member.joined, *(at for name, at in done.items() if name in assigned)])
        minutes = (now - since) / 60
        if minutes >= settings.class_stuck_minutes:
            return f"no exercise finished for {minutes:.0f} min"
        return ""

    async def recent_lines(self, learner_id: str) -> list[JournalEntry]:
        """The member's recent lines and replies from their journal, oldest first."""
        return await self.services.journal.recent(learner_id, RECENT_LINES)

    async def activity(self, members: list[Member]) -> dict[str, tuple[int, int]]:
        """Per learner: commands run (their journal's count) and errors in a row at its end."""
        window = self.services.settings.class_stuck_errors

        async def one(member: Member) -> tuple[str, tuple[int, int]]:
            entries = await self.services.journal.recent(member.learner_id, window)
            in_a_row = 0
            for entry in reversed(entries):
                if entry.kind not in FAILED_KINDS:
                    break
                in_a_row += 1
            return member.learner_id, (entries[-1].seq if entries else 0, in_a_row)

        found: dict[str, tuple[int, int]] = {}
        for start in range(0, len(members), ACTIVITY_BATCH):  # a bounded share of the pool
            batch = members[start : start + ACTIVITY_BATCH]
            found.update(await asyncio.gather(*(one(m) for m in batch)))
        return found

    async def sweep(self, now: float | None = None) -> int:
        """End the classes whose end date has passed (one worker at a time); how many."""
        token = secrets.token_hex(8)
        if not await self.redis.set(self.keys.sweep_lock, token, nx=True, px=60_000):
            return 0
        ended = 0
        try:
            cutoff = time.time() if now is None else now
            for raw in await self.redis.zrangebyscore(self.keys.ends, "-inf", cutoff):
                klass = await self.classes.get(_text(raw))
                if klass is None:
                    await self.redis.zrem(self.keys.ends, _text(raw))
                    continue
                await self.roster.end(klass)
                ended += 1
        finally:
            await self._release(keys=[self.keys.sweep_lock], args=[token])
        if ended:
            log.info("ended %d class(es) past their end date", ended)
        return ended

    async def _sweep_forever(self) -> None:
        task = asyncio.current_task()
        while True:
            try:
                await self.sweep()
            except RedisError as error:
                log.warning("class sweep skipped: %s", error)
            except Exception:
                log.exception("class sweep failed")
            # redis-py can swallow a cancel (CPython gh-86296, see tryredis/janitor.py).
            if task is not None and task.cancelling():
                raise asyncio.CancelledError
            await asyncio.sleep(SWEEP_SECONDS)

    async def close(self) -> None:
        """Stop the sweep and the event readers; never waits more than a few seconds."""
        tasks = [t for t in (self._sweeper, *self.hub.readers()) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=CLOSE_SECONDS)
            if late:
                log.warning("%d classroom task(s) did not stop; left behind", len(late))
        try:
            async with asyncio.timeout(CLOSE_SECONDS):
                await self._hub_redis.aclose()
        except TimeoutError:
            log.warning("closing the classroom's event connections took over 2 s")
