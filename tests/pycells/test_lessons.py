"""The lessons' code cells and coding exercises, run under CPython against a real Redis.

Through the same endpoint and connection classes as in the browser: every exercise's
reference solution passes its tests and its starter code fails them; every cell of a
lesson runs, in page order, sharing names as on the page.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.pycells.transport import sandbox_clients
from tryredis.lessons import Lesson, load_lessons
from tryredis.pycells import helpers
from tryredis.pycells.fences import CodeExercise
from tryredis.pycells.lessons import lesson_cells, lesson_code_exercises
from tryredis.pycells.runner import Report, default_run_async, run_code, run_exercise
from tryredis.settings import PROJECT_ROOT

LESSONS = load_lessons(PROJECT_ROOT / "lessons_md")
EXERCISES = [(lesson, ex) for lesson in LESSONS for ex in lesson_code_exercises(lesson)]
WITH_CELLS = [lesson for lesson in LESSONS if lesson_cells(lesson)]
PATTERN_LESSONS = (
    "python-client",
    "cache-aside",
    "invalidation-and-stampedes",
    "rate-limiting",
    "sessions",
    "http-caching",
)


def explain(report: Report) -> str:
    """A failed report, readable in pytest's output."""
    lines = [report.error or ""] + [f"{t.name}: {t.message}" for t in report.tests if not t.passed]
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("lesson", "exercise"), EXERCISES, ids=[f"{x.slug}/{e.id}" for x, e in EXERCISES]
)
def test_reference_passes_and_starter_fails(
    live_server: str, lesson: Lesson, exercise: CodeExercise
) -> None:
    with sandbox_clients(live_server):
        reference = run_exercise(exercise.solution, exercise.tests, default_run_async)
    assert reference.passed, f"{lesson.path.name}:{exercise.line}: {explain(reference)}"
    assert [t.name for t in reference.tests] == list(exercise.test_names)
    with sandbox_clients(live_server):
        starter = run_exercise(exercise.starter, exercise.tests, default_run_async)
    assert starter.error is None, f"the starter code itself fails: {starter.error}"
    assert not starter.passed, f"{lesson.path.name}:{exercise.line}: the starter passes"


def test_every_pattern_lesson_has_a_coding_exercise() -> None:
    for slug in PATTERN_LESSONS:
        lesson = LESSONS.get(slug)
        assert lesson is not None, slug
        assert lesson_code_exercises(lesson), f"{lesson.path.name} has no ```exercise python"


@pytest.mark.parametrize("lesson", WITH_CELLS, ids=[x.slug for x in WITH_CELLS])
def test_cells_run_in_page_order(live_server: str, lesson: Lesson) -> None:
    namespace = helpers.namespace()
    with sandbox_clients(live_server):
        for cell in lesson_cells(lesson):
            error = run_code(cell.code, namespace, default_run_async)
            assert error is None, f"{lesson.path.name}:{cell.line}:\n{error}"


def test_progress_is_recorded_for_the_browser_only(client: TestClient) -> None:
    lesson, exercise = EXERCISES[0]
    url = f"/lesson/{lesson.slug}/code-exercise"
    page = client.get(f"/lesson/{lesson.slug}")
    csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
    headers = {"X-CSRF-Token": csrf, "Origin": "http://testserver"}
    assert client.post(url, json={"exercise": exercise.id}).status_code == 403
    assert client.post(url, json={"exercise": "nope"}, headers=headers).status_code == 404
    assert client.post(url, json={"exercise": exercise.id}, headers=headers).json() == {
        "done": True
    }
    services = client.app.state.services  # type: ignore[attr-defined]
    learner = services.signer.unsign("cookie", client.cookies.get("tryredis_session"))
    done = client.portal.call(services.sessions.progress, learner)  # type: ignore[union-attr]
    assert lesson.progress_name(exercise.id) in done
