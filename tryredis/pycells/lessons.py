"""The code cells' fences plugged into the lesson pipeline (tryredis/lessons/fences.py).

``render_python_cell`` and ``render_python_exercise`` are the renderers the pipeline
calls for ```` ```python cell ```` and ```` ```exercise python ````. A coding exercise
is an ``Exercise`` of kind ``"python"`` (so lesson progress and classroom dashboards
count it like any other), whose ``extra["code"]`` is the ``CodeExercise``; cells go in
the lesson's ``extra["cells"]``. Their progress is recorded by the learner's browser
when the tests pass there (``views.exercise_done``): the server never sees the code.
"""

from __future__ import annotations

from typing import Any, Protocol

import yaml

from tryredis.lessons.exercises import hints_html
from tryredis.lessons.model import Exercise, Lesson
from tryredis.pycells.fences import (
    CodeCell,
    CodeExercise,
    code_exercise_html,
    parse_code_exercise,
    render_cell,
)

KIND = "python"


class _Collected(Protocol):
    @property
    def extra(self) -> dict[str, list[Any]]: ...

    @property
    def exercises(self) -> list[Exercise]: ...

    def add_exercise(self, exercise: Exercise, line: int) -> None: ...


class _Fence(Protocol):
    """What the pipeline hands a renderer (``tryredis.lessons.fences.Fence``)."""

    @property
    def content(self) -> str: ...

    @property
    def line(self) -> int: ...

    @property
    def collected(self) -> _Collected: ...

    def error(self, message: str) -> Exception: ...

    def no_options(self, name: str) -> None: ...


def render_python_cell(fence: _Fence) -> str:
    """```` ```python cell ````: runnable Python (the learner's browser runs it)."""
    fence.no_options("python cell")
    cells = fence.collected.extra.setdefault("cells", [])
    html, cell = render_cell(fence.content, len(cells) + 1, fence.line)
    cells.append(cell)
    return html


def render_python_exercise(fence: _Fence) -> str:
    """```` ```exercise python ````: a coding exercise checked by tests in the browser."""
    fence.no_options("exercise python")
    try:
        data: Any = yaml.safe_load(fence.content)
    except yaml.YAMLError as error:
        raise fence.error(f"exercise is not valid YAML: {error}") from None
    number = len(fence.collected.exercises) + 1
    code = parse_code_exercise(data, number, fence.line, fence.error)
    exercise = Exercise(
        id=code.id,
        kind=KIND,
        task_html=code.task_html,
        hints_html=code.hints_html,
        line=fence.line,
        solution=tuple(code.solution.splitlines()),
        extra={"code": code},
    )
    fence.collected.add_exercise(exercise, fence.line)
    return code_exercise_html(code, hints_html(code.hints_html), number)


def lesson_cells(lesson: Lesson) -> tuple[CodeCell, ...]:
    """The lesson's ```` ```python cell ```` blocks."""
    cells: tuple[CodeCell, ...] = lesson.extra.get("cells", ())
    return cells


def lesson_code_exercises(lesson: Lesson) -> tuple[CodeExercise, ...]:
    """The lesson's coding exercises."""
    return tuple(e.extra["code"] for e in lesson.exercises if e.kind == KIND)


def has_code_cells(lesson: Lesson) -> bool:
    """Whether the lesson page needs the cells' script (site/_cells.html)."""
    return bool(lesson_cells(lesson) or lesson_code_exercises(lesson))
