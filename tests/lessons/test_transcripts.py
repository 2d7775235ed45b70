"""Every transcript in the course, and every exercise, run through the real REPL engine.

Each transcript block runs in a fresh, empty sandbox and every output must be
exactly what the lesson shows. Each exercise must fail in an empty sandbox and
pass after its reference solution.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.conftest import ApiSession, settings_for
from tests.support.redis_servers import RedisServer
from tryredis.app import create_app
from tryredis.lessons import Lesson, load_lessons
from tryredis.settings import PROJECT_ROOT

LESSONS = list(load_lessons(PROJECT_ROOT / "lessons_md"))
# Commands the API answers as "refused" because they stream (the page subscribes instead).
STREAMING = re.compile(r"^\s*P?SUBSCRIBE\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def course_client(redis_server: RedisServer) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(redis_server))) as client:
        yield client


def items(output: str) -> list[str]:
    """An array reply's lines without their numbering, sorted (for ``unordered`` blocks)."""
    return sorted(re.sub(r"^\s*\d+\) ", "", line) for line in output.split("\n"))


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.slug for lesson in LESSONS])
def test_transcripts_match_the_engine(course_client: TestClient, lesson: Lesson) -> None:
    for block in lesson.redis_blocks:
        sandbox = ApiSession.open(course_client)
        if not block.is_transcript:
            for command in block.commands:
                result = sandbox.run(command)
                if not STREAMING.match(command):
                    assert result["kind"] not in ("refused", "parse"), (
                        f"{lesson.path}:{block.line}: {command} -> {result}"
                    )
            continue
        for step in block.steps:
            result = sandbox.run(step.command)
            where = f"{lesson.path}:{step.line}: {step.command}"
            assert result["kind"] not in ("refused", "parse"), f"{where} -> {result}"
            if not block.checked:
                continue
            if block.unordered:
                assert items(result["output"]) == items(step.expected), where
            else:
                assert result["output"] == step.expected, where


EXERCISES = [(lesson, exercise) for lesson in LESSONS for exercise in lesson.exercises]


@pytest.mark.parametrize(
    ("lesson", "exercise"),
    EXERCISES,
    ids=[f"{lesson.slug}/{exercise.id}" for lesson, exercise in EXERCISES],
)
def test_exercise_fails_empty_and_passes_with_its_solution(
    course_client: TestClient, lesson: Lesson, exercise: object
) -> None:
    from tryredis.lessons import Exercise

    assert isinstance(exercise, Exercise)
    sandbox = ApiSession.open(course_client)

    def passes() -> bool:
        return all(check.passes(sandbox.out(check.command)) for check in exercise.checks)

    assert not passes(), f"{lesson.path}:{exercise.line}: an empty sandbox passes"
    for line in exercise.solution:
        result = sandbox.run(line)
        assert result["kind"] not in ("refused", "parse"), f"{lesson.path}: {line} -> {result}"
    for check in exercise.checks:
        output = sandbox.out(check.command)
        assert check.passes(output), f"{lesson.path}:{exercise.line}: {check.command} -> {output}"


def test_exercise_checks_are_read_only() -> None:
    from tryredis.repl import resolve, split_line

    for lesson in LESSONS:
        for exercise in lesson.exercises:
            for check in exercise.checks:
                spec = resolve(split_line(check.command))
                assert "write" not in spec.flags, f"{lesson.path}: {check.command}"
                assert spec.handler != "transaction", f"{lesson.path}: {check.command}"
                assert spec.name not in ("flushdb", "flushall"), f"{lesson.path}: {check.command}"


def test_course_has_an_exercise_per_lesson_from_lesson_two() -> None:
    assert len(LESSONS) == 17
    for lesson in LESSONS[1:]:
        assert lesson.exercises, f"{lesson.path} has no exercise"
        assert any(block.is_transcript for block in lesson.redis_blocks), (
            f"{lesson.path} has no transcript block"
        )
