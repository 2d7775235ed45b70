"""The classroom's JSON API (``/api/v1/classes``) for scripts and learning-management systems.

Teachers authenticate with ``Authorization: Bearer t_...`` (``tryredis teacher
token NAME``); a class another teacher owns answers 404, as if it did not
exist. ``POST /api/v1/classes/join`` needs no token: it answers a student token
that works with ``/api/v1/run``. Errors are ``{"error": ...}`` with the v1 codes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tryredis.classroom.classes import ClassError, Klass
from tryredis.classroom.dashboard_views import progress_response
from tryredis.classroom.join_views import JoinRefused, enter
from tryredis.classroom.teach_views import join_url, lesson_choice
from tryredis.classroom.teachers import Teacher
from tryredis.classroom.web import classroom_of
from tryredis.views.api import ApiError, guarded, read_json
from tryredis.views.common import client_address, services_of

NO_STORE = {"cache-control": "no-store"}
TOKEN_FAILURES_MAX = 20  # wrong teacher tokens per address per 15 minutes


async def _teacher(request: Request) -> Teacher:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "send Authorization: Bearer <token from `tryredis teacher token`>")
    if not token.startswith("t_"):
        raise ApiError(403, "this needs a teacher's token, not a student's")
    teachers = classroom_of(request).teachers
    address = client_address(request)
    if await teachers.failures(f"api:{address}") >= TOKEN_FAILURES_MAX:
        raise ApiError(429, "too many wrong tokens from this address", {"retry-after": "900"})
    teacher = await teachers.check_token(token)
    if teacher is None:
        await teachers.failed(f"api:{address}")
        raise ApiError(401, "unknown or revoked teacher token")
    return teacher


async def _owned(request: Request, teacher: Teacher) -> Klass:
    klass = await classroom_of(request).classes.owned(teacher, request.path_params["class_id"])
    if klass is None:
        raise ApiError(404, "no such class")
    return klass


def _class_json(request: Request, klass: Klass) -> dict[str, Any]:
    return {
        "id": klass.id, "name": klass.name, "lessons": list(klass.lessons),
        "code": klass.code if klass.open else None, "join_url": join_url(request, klass),
        "ends": datetime.fromtimestamp(klass.ends - 86400, UTC).strftime("%Y-%m-%d")
        if klass.ends else None,
        "solutions": klass.solutions,
    }  # fmt: skip


def _end_date(value: Any) -> int:
    if value in (None, ""):
        return 0
    try:
        day = datetime.strptime(str(value), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ApiError(400, '"ends" is a date as "YYYY-MM-DD"') from None
    return int(day.timestamp()) + 86400


@guarded
async def create(request: Request) -> Response:
    """POST /api/v1/classes: {"name", "lessons": [slug...], "ends"?, "solutions"?}."""
    teacher = await _teacher(request)
    body = await read_json(request, 8192)
    lessons = body.get("lessons", []) if isinstance(body, dict) else None
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("name"), str)
        or not (isinstance(lessons, list) and all(isinstance(s, str) for s in lessons))
    ):
        raise ApiError(400, 'send {"name": "...", "lessons": ["slug", ...]}')
    try:
        klass = await classroom_of(request).classes.create(
            teacher,
            body["name"],
            lesson_choice(request, lessons),
            ends=_end_date(body.get("ends")),
            solutions=bool(body.get("solutions", False)),
        )
    except ClassError as error:
        raise ApiError(400, str(error)) from None
    return JSONResponse(_class_json(request, klass), status_code=201, headers=NO_STORE)


@guarded
async def progress(request: Request) -> Response:
    """GET /api/v1/classes/{id}/progress (?format=csv): one entry per student."""
    klass = await _owned(request, await _teacher(request))
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "csv"):
        raise ApiError(400, "format is json or csv")
    return await progress_response(classroom_of(request), klass, fmt)


@guarded
async def join(request: Request) -> Response:
    """POST /api/v1/classes/join: {"code", "name", "rejoin"?} -> a student token for /run."""
    body = await read_json(request, 1024)
    fields = [body.get(name, "") if isinstance(body, dict) else None
              for name in ("code", "name", "rejoin")]  # fmt: skip
    if not all(isinstance(f, str) for f in fields):
        raise ApiError(400, 'send {"code": "...", "name": "..."} (and "rejoin" to come back)')
    code, name, rejoin = (str(f) for f in fields)
    try:
        klass, member, new = await enter(
            classroom_of(request), client_address(request), code, name, rejoin, None
        )
    except JoinRefused as error:
        raise ApiError(error.status, str(error)) from None
    token = services_of(request).signer.sign("token", member.learner_id)
    answer = {"token": token, "name": member.name, "rejoin": new or None,
              "class": {"name": klass.name, "lessons": list(klass.lessons)}}  # fmt: skip
    return JSONResponse(answer, status_code=201 if new else 200, headers=NO_STORE)


@guarded
async def reset(request: Request) -> Response:
    """POST /api/v1/classes/{id}/reset ({"student": name}? ): empty sandboxes, keep progress."""
    klass = await _owned(request, await _teacher(request))
    body = await read_json(request, 1024)
    classroom = classroom_of(request)
    members = await classroom.classes.members(klass)
    wanted = body.get("student") if isinstance(body, dict) else None
    if wanted is not None:
        members = [m for m in members if m.name == wanted]
        if not members:
            raise ApiError(404, "no student of that name in this class")
    count = await classroom.roster.reset(klass, members)
    return JSONResponse({"reset": count}, headers=NO_STORE)


@guarded
async def delete(request: Request) -> Response:
    """DELETE /api/v1/classes/{id}: end the class, deleting every member's data."""
    klass = await _owned(request, await _teacher(request))
    await classroom_of(request).roster.end(klass)
    return Response(status_code=204, headers=NO_STORE)
