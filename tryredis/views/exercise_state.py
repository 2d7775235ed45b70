"""A learner's standing in a lesson's exercises: what each panel shows, read from Redis.

Which exercises are done (the session's progress), each one's attempt (Start, tries,
the answer picked: ``tryredis.lessons.attempts``), and which solutions a hook
registered with ``add_solution_reveal`` reveals (a teacher's reveal). The endpoints
that use it are ``tryredis.views.exercises``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request

from tryredis.lessons import Exercise, Lesson
from tryredis.lessons.attempts import Attempt, Attempts
from tryredis.lessons.grading import Verdict
from tryredis.views.common import services_of

SolutionReveal = Callable[[Request, str, Lesson], Awaitable[Collection[str]]]


def add_solution_reveal(app: Starlette, hook: SolutionReveal) -> None:
    """Let ``hook(request, learner_id, lesson)`` reveal solutions: it answers exercise ids."""
    app.state.solution_reveals = [*getattr(app.state, "solution_reveals", ()), hook]


@dataclass
class Panel:
    """What one exercise's panel shows."""

    exercise: Exercise
    done: bool
    attempt: Attempt
    revealed: bool = False
    verdict: Verdict | None = None
    problem: str | None = None

    @property
    def show_solution(self) -> bool:
        """Done, revealed by a teacher, or enough tries."""
        return self.done or self.revealed or self.attempt.tries >= self.exercise.solution_after


@dataclass
class State:
    """A learner's standing in one lesson."""

    learner_id: str
    done: set[str]
    attempts: dict[str, Attempt]
    revealed: set[str]

    def panel(self, lesson: Lesson, exercise: Exercise, **more: Any) -> Panel:
        """The panel of one exercise."""
        name = lesson.progress_name(exercise.id)
        return Panel(
            exercise,
            name in self.done,
            self.attempts.get(name, Attempt()),
            exercise.id in self.revealed,
            **more,
        )


def lesson_of(request: Request) -> Lesson:
    """The lesson the path names; 404 if there is none."""
    lesson: Lesson | None = request.app.state.lessons.get(request.path_params["slug"])
    if lesson is None:
        raise HTTPException(status_code=404, detail="No such lesson.")
    return lesson


def exercise_of(request: Request, lesson: Lesson) -> Exercise:
    """The exercise of ``lesson`` the path names; 404 if there is none."""
    found = next((e for e in lesson.exercises if e.id == request.path_params["exercise"]), None)
    if found is None:
        raise HTTPException(status_code=404, detail="No such exercise.")
    return found


def attempts_of(request: Request) -> Attempts:
    """The attempts store (Start positions, tries, answers) of this site."""
    services = services_of(request)
    return Attempts(services.site, services.keys, services.sessions.ttl_ms)


async def load_state(request: Request, learner_id: str, lesson: Lesson) -> State:
    """The learner's standing in ``lesson``: done, attempts, solutions revealed."""
    services = services_of(request)
    revealed: set[str] = set()
    for hook in getattr(request.app.state, "solution_reveals", ()):
        revealed |= set(await hook(request, learner_id, lesson))
    return State(
        learner_id,
        await services.sessions.progress(learner_id),
        await attempts_of(request).all(learner_id),
        revealed,
    )


def progress_of(lesson: Lesson, done: set[str]) -> tuple[int, int]:
    """(exercises done, exercises) of ``lesson``."""
    names = [lesson.progress_name(e.id) for e in lesson.exercises]
    return sum(1 for name in names if name in done), len(names)
