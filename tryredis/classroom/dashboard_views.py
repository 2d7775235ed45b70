"""The dashboard of one class: the live grid, a student's sandbox, the teacher's actions."""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from redis.exceptions import RedisError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from tryredis.classroom import progress
from tryredis.classroom.classes import REVEALS, ClassError, Klass, Member
from tryredis.classroom.events import publish
from tryredis.classroom.peek import key_overview
from tryredis.classroom.service import Classroom
from tryredis.classroom.teach_views import ended, ends_text, join_url
from tryredis.classroom.web import (
    SignedIn,
    classroom_of,
    done,
    owned_class,
    render,
    require_teacher,
    teacher_form,
)
from tryredis.views.common import services_of

NOTICE_MAX = 300
REFRESH_SECONDS = 5.0  # activity (last active, commands, stuck) between progress events
STREAM_LIFETIME = 600.0  # EventSource reconnects by itself


async def _class(request: Request) -> tuple[SignedIn, Klass]:
    who = await require_teacher(request)
    return who, await owned_class(request, who)


async def dashboard(request: Request) -> Response:
    """GET /teach/classes/{id}: the grid, the code, the actions."""
    who, klass = await _class(request)
    classroom = classroom_of(request)
    cols = progress.columns(klass, classroom.lessons)
    rows = await progress.rows(classroom, klass, await classroom.classes.members(klass))
    exercises = [(c, classroom.lessons.get(c.name.split("/")[0])) for c in cols]
    return render(
        request,
        "teach/dashboard.html",
        {
            "klass": klass,
            "columns": cols,
            "rows": rows,
            "exercises": exercises,
            "join_url": join_url(request, klass),
            "csrf": who.csrf(request),
            "ends": ends_text(klass),
            "ended": ended(klass),
            "message": request.query_params.get("message", ""),
            "iso": progress.iso,
        },
    )


def _sse(event: str, data: Any, event_id: str = "") -> bytes:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n".encode()


async def events(request: Request) -> Response:
    """GET /teach/classes/{id}/events: the grid's live updates (one stream per dashboard)."""
    _, klass = await _class(request)
    classroom = classroom_of(request)
    return StreamingResponse(
        _dashboard_stream(classroom, klass),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


async def _dashboard_stream(classroom: Classroom, klass: Klass) -> AsyncIterator[bytes]:
    cols = progress.columns(klass, classroom.lessons)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STREAM_LIFETIME
    async with classroom.hub.listen(klass.id) as queue:
        try:
            members = await classroom.classes.members(klass)
            shown = {
                r.member.learner_id: r.as_json(cols)
                for r in await progress.rows(classroom, klass, members)
            }
        except RedisError:  # Redis is restarting: end the stream, EventSource connects again
            return
        yield b"retry: 1000\n\n" + _sse("rows", list(shown.values()))
        next_refresh = loop.time() + REFRESH_SECONDS
        stale = False  # the member list could not be read again after a join or reset
        while loop.time() < deadline:
            try:
                async with asyncio.timeout(max(0.05, next_refresh - loop.time())):
                    event = await queue.get()
            except TimeoutError:
                event = None
            if event is not None and event.type == "ended":
                yield _sse("ended", {})
                return
            if event is not None and event.type == "done" and event.fields.get("l") in shown:
                at = int(event.fields.get("at") or 0)
                yield _sse("done", {"id": event.fields["l"], "x": event.fields.get("x", ""),
                                    "at": progress.iso(at)}, event.id)  # fmt: skip
                # Their activity columns follow shortly (one refresh for a burst of events).
                next_refresh = min(next_refresh, loop.time() + 0.5)
                continue
            if event is not None and event.type not in ("join", "reset"):
                continue
            if event is None:
                next_refresh = loop.time() + REFRESH_SECONDS
            try:
                if event is not None or stale:
                    stale = True
                    members = await classroom.classes.members(klass)
                    stale = False
                rows = await progress.rows(classroom, klass, members)
            except RedisError:  # Redis is restarting: keep the stream, the next refresh catches up
                yield b": keep-alive\n\n"
                continue
            changed = []
            for row in rows:
                data = row.as_json(cols)
                if shown.get(row.member.learner_id) != data:
                    shown[row.member.learner_id] = data
                    changed.append(data)
            if changed:
                yield _sse("rows", changed)
            elif event is None:
                yield b": keep-alive\n\n"


async def _member(request: Request, klass: Klass, learner_id: str) -> Member:
    member = await classroom_of(request).classes.member(klass, learner_id)
    if member is None:
        raise HTTPException(404, "No such student in this class.")
    return member


async def student(request: Request) -> Response:
    """GET /teach/classes/{id}/students/{learner}: their keys (read-only) and recent lines."""
    who, klass = await _class(request)
    member = await _member(request, klass, request.path_params["learner_id"])
    classroom = classroom_of(request)
    await classroom.teacher_pays(who.teacher, 5)
    keys, total = await key_overview(services_of(request), member.learner_id)
    lines = await classroom.recent_lines(member.learner_id)
    template = "teach/_student.html" if request.query_params.get("part") else "teach/student.html"
    return render(
        request,
        template,
        {"klass": klass, "member": member, "keys": keys, "total": total, "lines": lines,
         "csrf": who.csrf(request)},
    )  # fmt: skip


async def notice(request: Request) -> Response:
    """POST /teach/classes/{id}/notice: a message in one student's REPL, or everyone's."""
    who, klass = await _class(request)
    form = await teacher_form(request, who)
    text = " ".join(form.get("text").split())[:NOTICE_MAX]
    to = form.get("to", "all")
    back = request.url_for("teach-class", class_id=klass.id).path
    if not text:
        return _refused(request, "Type the notice first.")
    if to != "all":
        await _member(request, klass, to)
    classroom = classroom_of(request)
    await publish(classroom.redis, classroom.keys, klass.id, "notice", to=to, text=text)
    return done(request, back, "Notice sent.")


def reveal_text(classroom: Classroom, exercise: str, what: str) -> str:
    """What the students' REPLs show for a reveal: the hint as text, or the solution's lines."""
    slug, _, exercise_id = exercise.partition("/")
    lesson = classroom.lessons.get(slug)
    found = next((e for e in lesson.exercises if e.id == exercise_id), None) if lesson else None
    if found is None:
        return ""
    if what == "solution":
        return " ; ".join(found.solution)
    # The hints are our own rendered Markdown: their text, without the tags.
    return " / ".join(
        html.unescape(re.sub(r"<[^>]+>", "", hint)).strip() for hint in found.hints_html
    )


def _refused(request: Request, message: str) -> Response:
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": message}, status_code=400)
    raise HTTPException(400, message)


async def reveal(request: Request) -> Response:
    """POST /teach/classes/{id}/reveal: show an exercise's hint or solution to the class."""
    who, klass = await _class(request)
    form = await teacher_form(request, who)
    exercise, what = form.get("exercise"), form.get("what")
    classroom = classroom_of(request)
    if what not in REVEALS or exercise not in {c.name for c in progress.columns(
            klass, classroom.lessons)}:  # fmt: skip
        return _refused(request, "Choose an assigned exercise and hint or solution.")
    await classroom.classes.reveal(klass, exercise, what)
    text = reveal_text(classroom, exercise, what)
    await publish(
        classroom.redis, classroom.keys, klass.id, "reveal", x=exercise, what=what, text=text
    )
    back = request.url_for("teach-class", class_id=klass.id).path
    return done(request, back, f"The {what} of {exercise} is shown to the class.")


async def reset(request: Request) -> Response:
    """POST /teach/classes/{id}/reset: empty one student's sandbox, or everyone's."""
    who, klass = await _class(request)
    form = await teacher_form(request, who)
    classroom = classroom_of(request)
    who_ = form.get("student", "all")
    members = (
        await classroom.classes.members(klass)
        if who_ == "all"
        else [await _member(request, klass, who_)]
    )
    count = await classroom.roster.reset(klass, members)
    back = request.url_for("teach-class", class_id=klass.id).path
    return done(request, back, f"Reset {count} sandbox{'es' if count != 1 else ''}.")


async def code(request: Request) -> Response:
    """POST /teach/classes/{id}/code: rotate, close or reopen the join code."""
    who, klass = await _class(request)
    form = await teacher_form(request, who)
    action = form.get("action")
    if action not in ("rotate", "close", "open"):
        return _refused(request, "Rotate, close or open the code.")
    klass = await classroom_of(request).classes.set_code(
        klass, rotate=action == "rotate", open_=action != "close"
    )
    back = request.url_for("teach-class", class_id=klass.id).path
    state = f"The join code is now {klass.code}." if klass.open else "Joining is closed."
    return done(request, back, state, code=klass.code, open=klass.open)


async def rejoin_code(request: Request) -> Response:
    """POST /teach/classes/{id}/students/{learner}/rejoin: a new rejoin code for a student."""
    who, klass = await _class(request)
    await teacher_form(request, who)
    member = await _member(request, klass, request.path_params["learner_id"])
    new = await classroom_of(request).roster.reissue(klass, member)
    back = request.url_for("teach-class", class_id=klass.id).path
    return done(request, back, f"{member.name}'s new rejoin code is {new}.", rejoin=new)


async def end(request: Request) -> Response:
    """GET: confirm ending the class; POST: delete the class and all its members' data."""
    who, klass = await _class(request)
    classroom = classroom_of(request)
    if request.method == "GET":
        count = len(await classroom.classes.members(klass))
        return render(
            request, "teach/end.html", {"klass": klass, "count": count, "csrf": who.csrf(request)}
        )
    form = await teacher_form(request, who)
    if form.get("confirm") != "yes":
        return _refused(request, "Tick the box to confirm.")
    count = await classroom.roster.end(klass)
    target = request.url_for("teach").include_query_params(
        error=f"{klass.name} has ended: the data of its {count} student(s) is deleted."
    )
    return done(request, f"{target.path}?{target.query}", "Class ended.")


async def export(request: Request) -> Response:
    """GET /teach/classes/{id}/progress.{csv,json}: one row per student."""
    _, klass = await _class(request)
    return await progress_response(classroom_of(request), klass, request.path_params["fmt"])


async def progress_response(classroom: Classroom, klass: Klass, fmt: str) -> Response:
    """The class's progress as CSV or JSON (shared with the API)."""
    if fmt not in ("csv", "json"):
        raise ClassError("format is csv or json")
    cols = progress.columns(klass, classroom.lessons)
    found = await progress.rows(classroom, klass, await classroom.classes.members(klass))
    headers = {"cache-control": "no-store"}
    if fmt == "csv":
        name = "".join(ch if ch.isalnum() else "-" for ch in klass.name)[:40] or "class"
        headers["content-disposition"] = f'attachment; filename="{name}-progress.csv"'
        return PlainTextResponse(
            progress.to_csv(klass, cols, found), media_type="text/csv", headers=headers
        )
    return Response(
        json.dumps(progress.to_json(klass, cols, found), separators=(",", ":")),
        media_type="application/json",
        headers=headers,
    )
