"""The code cells' routes: the Python modules for the worker, and exercise progress."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tryredis.assets import IMMUTABLE
from tryredis.lessons import Lesson
from tryredis.pycells.bundle import runtime_bundle
from tryredis.pycells.lessons import lesson_code_exercises
from tryredis.views.api import ApiError, guarded, identify, read_json
from tryredis.views.common import services_of


async def modules_zip(request: Request) -> Response:
    """GET /cells/modules/<hash>.zip: the browser-side modules (immutable under their hash)."""
    bundle = runtime_bundle()
    if request.path_params["digest"] != bundle.digest:
        raise HTTPException(status_code=404)
    return Response(bundle.data, media_type="application/zip", headers={"cache-control": IMMUTABLE})


def modules_url(request: Request) -> str:
    """The modules' current URL (for the page that starts the worker)."""
    return request.url_for("cells-modules", digest=runtime_bundle().digest).path


@guarded
async def exercise_done(request: Request) -> Response:
    """POST /lesson/<slug>/code-exercise: the learner's browser ran a coding exercise's
    tests and they passed; record it as the REPL exercises' progress is recorded.

    The server cannot re-check (it never sees the learner's code): like any client-side
    grading, a learner could claim it without solving it. Teachers see the commands the
    code sent in the learner's journal.
    """
    caller = identify(request)  # the browser: cookie, same origin, CSRF token
    lesson: Lesson | None = request.app.state.lessons.get(request.path_params["slug"])
    payload = await read_json(request, 1024)
    wanted = payload.get("exercise") if isinstance(payload, dict) else None
    if lesson is None or wanted not in {e.id for e in lesson_code_exercises(lesson)}:
        raise ApiError(404, "no such coding exercise in this lesson")
    await services_of(request).sessions.mark_done(
        caller.learner_id, [lesson.progress_name(str(wanted))]
    )
    return JSONResponse({"done": True}, headers={"cache-control": "no-store"})
