"""A lesson's exercises: their panels, Start, Check, and the answers to questions.

- ``GET  /lesson/{slug}/exercises``: every panel, from the stored state (no command runs).
- ``POST /lesson/{slug}/exercises/check``: sent after each REPL command; checks the
  exercises that are under way and shows those that passed or failed by their method.
- ``POST /lesson/{slug}/exercises/{exercise}/start``: runs the setup and records the
  learner's journal position: the method rules read the lines run after it. That is
  what "since the learner opened the exercise" means (docs/lesson-format.md).
- ``POST /lesson/{slug}/exercises/{exercise}/check``: one exercise, asked for by the
  learner: a failure shows its message and counts as a try.
- ``POST /lesson/{slug}/exercises/{exercise}/answer``: a multiple-choice answer.

Every endpoint that runs commands goes through ``api.open_sandbox`` (authentication,
the CSRF header, and the learner's rate limit, one token per command it runs). Errors
answer a fragment saying what happened, since htmx shows whatever comes back.

Solutions show after ``solution_after`` failed tries, once the exercise is done, or
when a hook registered with ``add_solution_reveal`` says so (a teacher's reveal).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from tryredis.lessons import Exercise, Lesson
from tryredis.lessons.attempts import Attempt
from tryredis.lessons.grading import Verdict, grade
from tryredis.repl import Sandbox
from tryredis.sessions import RateLimited
from tryredis.turns import Busy
from tryredis.views.api import BUSY, ApiError, identify, open_sandbox
from tryredis.views.common import browser_learner, client_address, services_of
from tryredis.views.exercise_state import (
    Panel,
    State,
    add_solution_reveal,
    attempts_of,
    exercise_of,
    lesson_of,
    load_state,
    progress_of,
)
from tryredis.views.pages import conditional
from tryredis.wire import ExecutorError

SETUP_SOURCE = "setup"  # the journal's source for setup lines: never part of a method check
FAILURES = (ApiError, RateLimited, RedisError, ExecutorError, OSError)

__all__ = ["add_solution_reveal", "answer", "check", "check_all", "panels", "start"]


def _problem(error: Exception) -> tuple[int, str]:
    if isinstance(error, RateLimited):
        return 429, f"Slow down: try again in {error.retry_after:g} s."
    if isinstance(error, ApiError):
        if error.status in (401, 403):
            return error.status, "Your session expired or this page is stale: reload the page."
        return error.status, error.message
    return 503, "Redis is unreachable right now: try again in a moment."


async def _render(
    request: Request, template: str, lesson: Lesson, panels: list[Panel], status: int = 200,
    **context: Any,
) -> Response:  # fmt: skip
    services = services_of(request)
    learner = browser_learner(request)
    csrf = services.signer.csrf_token(learner.learner_id)
    try:
        async with services.turns.turn(client_address(request)):  # tryredis.turns
            response: Response = request.app.state.templates.TemplateResponse(
                request,
                template,
                {
                    "lesson": lesson,
                    "panels": panels,
                    "csrf_headers": json.dumps({"X-CSRF-Token": csrf}),
                    "notice": None,
                    "progress": None,
                    **context,
                },
                status_code=status,
            )
    except Busy:
        return HTMLResponse(
            f'<p class="notice">{BUSY}</p>', 503, {"retry-after": "1", "cache-control": "no-store"}
        )
    response.headers["cache-control"] = "no-store"
    return response


async def panels(request: Request) -> Response:
    """GET: every panel of the lesson, as stored; no command runs."""
    lesson = lesson_of(request)
    learner = browser_learner(request)
    try:
        state = (
            State(learner.learner_id, set(), {}, set())
            if learner.is_new
            else await load_state(request, learner.learner_id, lesson)
        )
    except RedisError:
        empty = [
            Panel(e, False, Attempt(), problem="Cannot show right now.") for e in lesson.exercises
        ]
        return await _render(
            request,
            "_exercise_status.html",
            lesson,
            empty,
            notice="Progress is not available right now.",
        )
    shown = [state.panel(lesson, exercise) for exercise in lesson.exercises]
    response = await _render(
        request, "_exercise_status.html", lesson, shown, progress=progress_of(lesson, state.done)
    )
    response.headers["cache-control"] = "private, no-cache"
    return conditional(request, response)


def _checked(exercise: Exercise) -> bool:
    return exercise.kind != "choice" and bool(exercise.checks or exercise.method)


async def _grade(
    request: Request, sandbox: Sandbox | None, state: State, lesson: Lesson, exercise: Exercise
) -> Verdict:
    outputs: list[str] = []
    if exercise.checks:
        assert sandbox is not None, "checks run in a sandbox paid for by the caller"
        outputs = [(await sandbox.run(check.command)).output for check in exercise.checks]
        if not all(check.passes(out) for check, out in zip(exercise.checks, outputs, strict=True)):
            return grade(exercise, outputs, [])  # the state is wrong: no need for the journal
    if not exercise.method:
        return grade(exercise, outputs, [])
    journal = services_of(request).journal
    start = state.panel(lesson, exercise).attempt.start or 0
    if await journal.head(state.learner_id) - start > journal.size:
        return Verdict(
            False,
            True,
            f"You ran more than {journal.size} commands since you pressed Start, more than "
            "this page remembers. Press <strong>Start again</strong>.",
        )
    entries = await journal.since(state.learner_id, start)
    return grade(exercise, outputs, [e for e in entries if e.source != SETUP_SOURCE])


async def check_all(request: Request) -> Response:
    """POST after each REPL command: check what is under way; show what passed or went wrong."""
    lesson = lesson_of(request)
    try:
        state = await load_state(request, identify(request).learner_id, lesson)
        due = [
            e
            for e in lesson.exercises
            if _checked(e)
            and lesson.progress_name(e.id) not in state.done
            and (state.panel(lesson, e).attempt.started or not e.needs_start)
        ]
        cost = sum(len(e.checks) for e in due)
        sandbox = await open_sandbox(request, cost, own_state=True) if cost else None
        shown, newly = [], []
        for exercise in due:
            name = lesson.progress_name(exercise.id)
            verdict = await _grade(request, sandbox, state, lesson, exercise)
            attempt = state.panel(lesson, exercise).attempt
            if verdict.passed:
                newly.append(name)
                state.done.add(name)
            elif verdict.state_ok and attempt.counted != attempt.start:
                # Reached the state the wrong way: say so, and count it once per Start.
                await attempts_of(request).failed(state.learner_id, name, attempt.start)
                state.attempts[name] = Attempt(attempt.start, attempt.tries + 1, attempt.start)
            else:
                continue
            shown.append(state.panel(lesson, exercise, verdict=verdict))
        await services_of(request).sessions.mark_done(state.learner_id, newly)
    except FAILURES as error:
        status, message = _problem(error)
        return await _render(request, "_exercise_status.html", lesson, [], status, notice=message)
    return await _render(
        request, "_exercise_status.html", lesson, shown, progress=progress_of(lesson, state.done)
    )


async def _one(
    request: Request, action: Callable[[Lesson, Exercise], Awaitable[tuple[State, Panel]]]
) -> Response:
    """Run an action on one exercise and answer its panel (and the lesson's progress)."""
    lesson = lesson_of(request)
    exercise = exercise_of(request, lesson)
    try:
        state, panel = await action(lesson, exercise)
    except FAILURES as error:
        status, message = _problem(error)
        failed = Panel(exercise, False, Attempt(), problem=message)
        return await _render(request, "_exercise_one.html", lesson, [failed], status)
    return await _render(
        request, "_exercise_one.html", lesson, [panel], progress=progress_of(lesson, state.done)
    )


async def start(request: Request) -> Response:
    """POST: run the exercise's setup and open its window in the journal."""

    async def action(lesson: Lesson, exercise: Exercise) -> tuple[State, Panel]:
        if exercise.kind == "choice":
            raise ApiError(400, "a question has nothing to start")
        sandbox = await open_sandbox(request, len(exercise.setup), own_state=True)
        results = [await sandbox.run(line) for line in exercise.setup]
        services = services_of(request)
        rows = [(r.line, r.output, r.kind) for r in results]
        await services.journal.record(sandbox.learner_id, rows, SETUP_SOURCE)
        position = await services.journal.head(sandbox.learner_id)
        name = lesson.progress_name(exercise.id)
        await attempts_of(request).start(sandbox.learner_id, name, position)
        state = await load_state(request, sandbox.learner_id, lesson)
        return state, state.panel(lesson, exercise)

    return await _one(request, action)


async def check(request: Request) -> Response:
    """POST: check one exercise now; a failure shows why and counts as a try."""

    async def action(lesson: Lesson, exercise: Exercise) -> tuple[State, Panel]:
        state = await load_state(request, identify(request).learner_id, lesson)
        name = lesson.progress_name(exercise.id)
        if not _checked(exercise) or name in state.done:
            return state, state.panel(lesson, exercise)
        if exercise.needs_start and not state.panel(lesson, exercise).attempt.started:
            return state, state.panel(lesson, exercise, problem="Press Start first.")
        cost = len(exercise.checks)
        sandbox = await open_sandbox(request, cost, own_state=True) if cost else None
        verdict = await _grade(request, sandbox, state, lesson, exercise)
        if verdict.passed:
            await services_of(request).sessions.mark_done(state.learner_id, [name])
            state.done.add(name)
        else:
            await attempts_of(request).failed(state.learner_id, name)
            attempt = state.panel(lesson, exercise).attempt
            state.attempts[name] = Attempt(attempt.start, attempt.tries + 1, attempt.counted)
        return state, state.panel(lesson, exercise, verdict=verdict)

    return await _one(request, action)


async def answer(request: Request) -> Response:
    """POST: record the answer picked for a question, and say whether it is right."""
    body = (await request.body())[:256].decode("utf-8", "replace")
    picked = (parse_qs(body).get("choice") or [""])[0]

    async def action(lesson: Lesson, exercise: Exercise) -> tuple[State, Panel]:
        if exercise.kind != "choice" or not picked.isdigit():
            raise ApiError(400, "Pick one of the answers first.")
        choice = int(picked)
        if choice >= len(exercise.choices):
            raise ApiError(400, "Pick one of the answers first.")
        sandbox = await open_sandbox(request, 1, own_state=True)  # authenticates and pays
        right = exercise.choices[choice].correct
        name = lesson.progress_name(exercise.id)
        await attempts_of(request).answered(sandbox.learner_id, name, choice, right=right)
        if right:
            await services_of(request).sessions.mark_done(sandbox.learner_id, [name])
        state = await load_state(request, sandbox.learner_id, lesson)
        return state, state.panel(lesson, exercise)

    return await _one(request, action)
