"""Students: join a class at /join (or come back with a rejoin code), and the notice stream.

A wrong code says only that no open class has it; failed attempts are counted
per client address, and past the limit every attempt is refused for a while.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from tryredis.classroom.classes import ClassError, Klass, Member, check_display_name
from tryredis.classroom.events import Event, since
from tryredis.classroom.service import Classroom
from tryredis.classroom.web import classroom_of, read_form, render
from tryredis.lessons import Lesson
from tryredis.sessions import RateLimited
from tryredis.views.api import ApiError, guarded, identify
from tryredis.views.common import (
    browser_learner,
    client_address,
    same_origin,
    set_learner_cookie,
)

JOIN_WINDOW = 600  # seconds
JOIN_FAILURES_MAX = 40  # per address and window: a classroom behind one NAT makes typos
STREAM_LIFETIME = 600.0
KEEPALIVE = 20.0


class JoinRefused(Exception):
    """A join or rejoin that failed; the message is for the student."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def _failures_exceeded(classroom: Classroom, address: str) -> bool:
    count = await classroom.redis.get(classroom.keys.join_attempts(address))
    return int(count or 0) >= JOIN_FAILURES_MAX


async def _failed(classroom: Classroom, address: str) -> None:
    key = classroom.keys.join_attempts(address)
    pipe = classroom.redis.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, JOIN_WINDOW, nx=True)
    await pipe.execute()


async def enter(
    classroom: Classroom, address: str, code: str, name: str, rejoin: str, adopt: str | None
) -> tuple[Klass, Member, str]:
    """Join (or rejoin) a class; the class, the member and a new rejoin code ('' on rejoin)."""
    if await _failures_exceeded(classroom, address):
        raise JoinRefused("Too many wrong codes from this network. Wait 10 minutes.", 429)
    try:
        name = check_display_name(name)
    except ClassError as error:
        raise JoinRefused(str(error)) from None
    klass = await classroom.classes.by_code(code)
    if klass is None:
        await _failed(classroom, address)
        raise JoinRefused("No open class has this code. Check it with your teacher.", 404)
    try:
        if rejoin.strip():
            member = await classroom.roster.rejoin(klass, name, rejoin)
            return klass, member, ""
        member, new = await classroom.roster.join(klass, name, address, adopt)
    except ClassError as error:
        await _failed(classroom, address)
        raise JoinRefused(str(error), 409 if not rejoin.strip() else 403) from None
    return klass, member, new


async def join(request: Request) -> Response:
    """GET /join: the form (the code may come from the URL); POST: join or rejoin."""
    if request.method == "GET":
        code = request.query_params.get("code", "")
        return render(request, "join.html", {"code": code, "name": "", "error": ""})
    form = await read_form(request)
    code, name, rejoin = form.get("code"), form.get("name"), form.get("rejoin")
    context = {"code": code, "name": name, "error": ""}
    if not same_origin(request):
        return render(request, "join.html", {**context, "error": "Wrong site."}, 403)
    classroom = classroom_of(request)
    learner = browser_learner(request)
    try:
        klass, member, new = await enter(
            classroom, client_address(request), code, name, rejoin,
            None if learner.is_new else learner.learner_id,
        )  # fmt: skip
    except JoinRefused as error:
        return render(request, "join.html", {**context, "error": str(error)}, error.status)
    except RateLimited:
        message = "Too many new sandboxes from this network this hour. Ask your teacher."
        return render(request, "join.html", {**context, "error": message}, 429)
    lessons = [classroom.lessons.get(slug) for slug in klass.lessons]
    response = render(
        request,
        "joined.html",
        {"klass": klass, "member": member, "rejoin": new, "lessons": [x for x in lessons if x]},
    )
    set_learner_cookie(request, response, member.learner_id)
    return response


def _for_student(event: Event, learner_id: str) -> dict[str, str] | None:
    if event.type == "notice" and event.fields.get("to") in ("all", learner_id):
        return {"kind": "notice", "text": event.fields.get("text", "")}
    if event.type == "reveal":
        return {
            "kind": "reveal",
            "x": event.fields.get("x", ""),
            "what": event.fields.get("what", ""),
            "text": event.fields.get("text", ""),
        }
    if event.type == "reset" and event.fields.get("l") == learner_id:
        return {"kind": "reset"}
    if event.type == "ended":
        return {"kind": "ended"}
    return None


@guarded
async def student_events(request: Request) -> Response:
    """GET /class/events: a class member's notices, reveals and resets (server-sent events)."""
    learner_id = identify(request, csrf=False).learner_id
    classroom = classroom_of(request)
    class_id = await classroom.roster.class_of(learner_id)
    if not class_id:
        raise ApiError(404, "you are not in a class")
    last = request.headers.get("last-event-id") or request.query_params.get("since", "")
    return StreamingResponse(
        _student_stream(classroom, class_id, learner_id, last),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


async def _student_stream(
    classroom: Classroom, class_id: str, learner_id: str, last: str
) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STREAM_LIFETIME
    async with classroom.hub.listen(class_id) as queue:
        yield b"retry: 2000\n\nevent: ready\ndata: {}\n\n"
        # What the student missed while changing pages (the script remembers the last id).
        backlog = await since(classroom.redis, classroom.keys, class_id, last) if last else []
        for missed in backlog:
            shown = _for_student(missed, learner_id)
            if shown:
                yield f"id: {missed.id}\ndata: {json.dumps(shown)}\n\n".encode()
        # A keep-alive after KEEPALIVE s without a write: the class's other events (joins,
        # "done"s) wake this loop too, and must not put the next keep-alive off for ever.
        quiet_until = loop.time() + KEEPALIVE
        while loop.time() < deadline:
            try:
                async with asyncio.timeout(max(0.0, quiet_until - loop.time())):
                    event = await queue.get()
            except TimeoutError:
                yield b": keep-alive\n\n"
                quiet_until = loop.time() + KEEPALIVE
                continue
            shown = _for_student(event, learner_id)
            if shown:
                yield f"id: {event.id}\ndata: {json.dumps(shown)}\n\n".encode()
                quiet_until = loop.time() + KEEPALIVE
            if shown and shown["kind"] == "ended":
                return


async def revealed_solutions(request: Request, learner_id: str, lesson: Lesson) -> list[str]:
    """The exercise view's reveal hook: the lesson's exercises whose solution the class shows."""
    classroom = classroom_of(request)
    class_id = await classroom.roster.class_of(learner_id)
    klass = await classroom.classes.get(class_id) if class_id else None
    if klass is None:
        return []
    return [e for e in lesson.exercise_ids if klass.revealed(lesson.progress_name(e), "solution")]


async def membership(request: Request, learner_id: str) -> dict[str, object] | None:
    """For pages: the class this learner is in (name, their name, assigned lessons)."""
    classroom = classroom_of(request)
    class_id = await classroom.roster.class_of(learner_id)
    klass = await classroom.classes.get(class_id) if class_id else None
    member = await classroom.classes.member(klass, learner_id) if klass else None
    if klass is None or member is None:
        return None
    return {"class": klass.name, "name": member.name, "lessons": set(klass.lessons),
            "events_url": request.url_for("class-events").path}  # fmt: skip
