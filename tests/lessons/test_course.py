"""The whole course, run through the live site as a learner pressing every Run button.

For every lesson: its blocks, run top to bottom in one sandbox, print exactly
what the page shows, with or without the exercises solved where they stand.
For every exercise: an empty sandbox (even after the setup) never passes; the
reference solution passes alone and after the lesson's blocks; a wrong-method
solution reaches the same state and fails with its rule's message.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.lessons.course import Learner, mismatches, page_order
from tryredis.lessons import Exercise, Lesson, load_lessons
from tryredis.lessons.grading import grade
from tryredis.repl import find_spec, resolve, split_line
from tryredis.settings import PROJECT_ROOT

LESSONS = list(load_lessons(PROJECT_ROOT / "lessons_md"))
EXERCISES = [(lesson, ex) for lesson in LESSONS for ex in lesson.exercises]
COMMAND_EXERCISES = [(lesson, ex) for lesson, ex in EXERCISES if ex.kind == "commands"]
METHOD_EXERCISES = [(lesson, ex) for lesson, ex in COMMAND_EXERCISES if ex.method]


def ids(pairs: list[tuple[Lesson, Exercise]]) -> list[str]:
    """Test ids: ``slug/exercise``."""
    return [lesson.progress_name(exercise.id) for lesson, exercise in pairs]


@pytest.fixture
def learner(live_server: str) -> Iterator[Learner]:
    """A fresh, empty sandbox on the live site."""
    one = Learner(live_server)
    yield one
    one.close()


def solve(learner: Learner, lesson: Lesson, exercise: Exercise) -> None:
    """Solve an exercise as intended; it must pass."""
    verdict = learner.attempt(exercise, exercise.solution)
    assert verdict.passed, f"{lesson.path}:{exercise.line}: {exercise.id}: {verdict}"


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.slug for lesson in LESSONS])
def test_blocks_in_page_order_match_the_page(learner: Learner, lesson: Lesson) -> None:
    problems = [p for block in lesson.redis_blocks for p in mismatches(learner, lesson, block)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.slug for lesson in LESSONS])
def test_blocks_and_exercises_in_page_order(learner: Learner, lesson: Lesson) -> None:
    problems = []
    for item in page_order(lesson):
        if isinstance(item, Exercise):
            if item.kind == "commands":
                solve(learner, lesson, item)
        else:
            problems += mismatches(learner, lesson, item)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("lesson", "exercise"), COMMAND_EXERCISES, ids=ids(COMMAND_EXERCISES))
def test_an_empty_sandbox_never_passes(
    learner: Learner, lesson: Lesson, exercise: Exercise
) -> None:
    empty = [learner.out(check.command) for check in exercise.checks]
    assert not grade(exercise, empty, []).passed, f"{lesson.path}:{exercise.line}"
    assert not learner.attempt(exercise, []).passed, f"{lesson.path}:{exercise.line}: setup"


@pytest.mark.parametrize(("lesson", "exercise"), COMMAND_EXERCISES, ids=ids(COMMAND_EXERCISES))
def test_the_solution_passes_alone(learner: Learner, lesson: Lesson, exercise: Exercise) -> None:
    solve(learner, lesson, exercise)


@pytest.mark.parametrize(("lesson", "exercise"), COMMAND_EXERCISES, ids=ids(COMMAND_EXERCISES))
def test_the_solution_passes_after_the_lessons_blocks(
    learner: Learner, lesson: Lesson, exercise: Exercise
) -> None:
    for block in lesson.redis_blocks:
        learner.run_all(block.commands)
    solve(learner, lesson, exercise)


@pytest.mark.parametrize(("lesson", "exercise"), METHOD_EXERCISES, ids=ids(METHOD_EXERCISES))
def test_the_wrong_method_reaches_the_state_and_fails_with_its_message(
    learner: Learner, lesson: Lesson, exercise: Exercise
) -> None:
    verdict = learner.attempt(exercise, exercise.wrong)
    where = f"{lesson.path}:{exercise.line}: {exercise.id}"
    assert verdict.state_ok, f"{where}: 'wrong' must reach the solved state: {verdict}"
    assert not verdict.passed, f"{where}: the wrong method passes"
    assert verdict.message_html in [rule.fail_html for rule in exercise.method], where


def test_checks_are_read_only_and_rules_name_real_commands() -> None:
    for lesson, exercise in COMMAND_EXERCISES:
        where = f"{lesson.path}:{exercise.line}"
        for check in exercise.checks:
            spec = resolve(split_line(check.command))
            assert "write" not in spec.flags, f"{where}: {check.command}"
            assert spec.handler != "transaction", f"{where}: {check.command}"
        for rule in exercise.method:
            for name in rule.commands:
                found = find_spec(name)
                assert found is not None and found.name == name, f"{where}: {name}"


def test_the_course_size() -> None:
    assert len(LESSONS) >= 23
    for lesson in LESSONS:
        assert lesson.exercises, f"{lesson.path} has no exercise"
        assert any(block.is_transcript for block in lesson.redis_blocks), lesson.path
    assert len(EXERCISES) >= 50
