"""HTML pages: the lesson list, a lesson beside the REPL, the REPL alone, and fragments."""

from __future__ import annotations

import hashlib
from typing import Any

from redis.exceptions import RedisError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tryredis.classroom.join_views import membership
from tryredis.lessons import Lesson
from tryredis.sessions import RateLimited
from tryredis.turns import Busy
from tryredis.views.api import BUSY
from tryredis.views.common import browser_learner, client_address, services_of, set_learner_cookie


async def _progress(request: Request, learner_id: str, is_new: bool) -> set[str] | None:
    """Exercises done, or None when Redis cannot say right now (the page still renders)."""
    if is_new:
        return set()
    try:
        return await services_of(request).sessions.progress(learner_id)
    except RedisError:
        return None


async def _membership(request: Request, learner_id: str) -> dict[str, Any] | None:
    # The class a learner is in (tryredis.classroom): a banner, assigned lessons, notices.
    try:
        return await membership(request, learner_id)
    except RedisError:
        return None


def _lesson_parts(
    request: Request, done: set[str] | None, assigned: set[str]
) -> list[dict[str, Any]]:
    """The lesson list: the course's parts, each with its lessons, minutes and progress."""
    parts = []
    for part, lessons in request.app.state.lessons.parts():
        rows = []
        for lesson in lessons:
            ids = [lesson.progress_name(e) for e in lesson.exercise_ids]
            rows.append(
                {
                    "lesson": lesson,
                    "total": len(ids),
                    "done": sum(1 for name in ids if done and name in done),
                    "assigned": lesson.slug in assigned,
                }
            )
        parts.append({"part": part, "rows": rows, "minutes": sum(x.minutes for x in lessons)})
    return parts


async def render_page(request: Request, template: str, context: dict[str, Any]) -> Response:
    """Render a personalised page: learner cookie, CSRF token, ETag, private caching.

    A page costs the worker about as much as a few commands, so it pays
    ``TRYREDIS_PAGE_COST`` tokens of the client address's rate limit (429 when
    they are short): otherwise page views would be an unmetered way to keep a
    worker busy. A Redis that cannot say lets the page through.
    """
    services = services_of(request)
    try:
        await services.sessions.pay_address(client_address(request), services.settings.page_cost)
    except RateLimited as limited:
        raise HTTPException(
            429,
            "Too many page views from your network address; wait a moment and reload.",
            headers={"retry-after": str(limited.retry_after)},
        ) from None
    except RedisError:
        pass
    learner = browser_learner(request)
    done = await _progress(request, learner.learner_id, learner.is_new)
    member = None if learner.is_new else await _membership(request, learner.learner_id)
    context = {
        **context,
        "csrf_token": services_of(request).signer.csrf_token(learner.learner_id),
        "lesson_parts": _lesson_parts(request, done, member["lessons"] if member else set()),
        "class_member": member,
        "course_minutes": request.app.state.lessons.minutes,
        "progress_known": done is not None,
    }
    try:
        # A render holds the worker for milliseconds: take turns with other addresses.
        async with services.turns.turn(client_address(request)):
            templates = request.app.state.templates
            response: Response = templates.TemplateResponse(request, template, context)
            if learner.is_new:
                set_learner_cookie(request, response, learner.learner_id)
            return conditional(request, response)
    except Busy:
        raise HTTPException(503, BUSY, headers={"retry-after": "1"}) from None


def conditional(request: Request, response: Response) -> Response:
    """Add an ETag; answer 304 with no body when the client already has this version."""
    etag = '"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'
    response.headers["etag"] = etag
    response.headers["cache-control"] = "private, no-cache"
    response.headers["vary"] = "Cookie"
    wanted = [
        t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")
    ]
    if etag in wanted or "*" in wanted:
        headers = {
            k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")
        }
        return Response(status_code=304, headers=headers)
    return response


async def index(request: Request) -> Response:
    """The list of lessons with each one's progress."""
    return await render_page(request, "index.html", {})


def _lesson_or_404(request: Request, slug: str) -> Lesson:
    lesson: Lesson | None = request.app.state.lessons.get(slug)
    if lesson is None:
        raise HTTPException(status_code=404, detail="No such lesson.")
    return lesson


async def lesson(request: Request) -> Response:
    """A lesson beside the REPL, with previous/next navigation."""
    found = _lesson_or_404(request, request.path_params["slug"])
    before, after = request.app.state.lessons.neighbours(found)
    return await render_page(
        request, "lesson.html", {"lesson": found, "previous": before, "next": after}
    )


async def repl_page(request: Request) -> Response:
    """The REPL on its own page."""
    return await render_page(request, "repl.html", {})
