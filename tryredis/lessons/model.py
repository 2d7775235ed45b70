"""What a parsed lesson is made of: its front matter, rendered HTML and checkable blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


class LessonError(ValueError):
    """A lesson file is invalid; the message starts with ``file:line:``."""


@dataclass(frozen=True)
class TranscriptStep:
    """One ``redis> CMD`` line of a transcript block and the output printed after it."""

    command: str
    expected: str
    line: int


@dataclass(frozen=True)
class RedisBlock:
    """A runnable ```` ```redis ```` block; a transcript when its lines start with ``redis>``."""

    commands: tuple[str, ...]
    steps: tuple[TranscriptStep, ...]
    unordered: bool
    checked: bool
    line: int

    @property
    def is_transcript(self) -> bool:
        """Whether the block records expected output that the test suite checks."""
        return bool(self.steps)


@dataclass(frozen=True)
class ExerciseCheck:
    """A read-only command run in the learner's sandbox and the output it must print.

    ``expect`` is compared exactly (as a multiset of reply lines when ``unordered``);
    ``match``, when given instead, is a regular expression the whole output must match.
    """

    command: str
    expect: str | None = None
    match: str | None = None
    unordered: bool = False

    def passes(self, output: str) -> bool:
        """Whether the output the check's command printed satisfies it."""
        if self.match is not None:
            return re.fullmatch(self.match, output) is not None
        if self.unordered:
            return sorted(_items(output)) == sorted(_items(self.expect or ""))
        return output == self.expect


def _items(output: str) -> list[str]:
    # "1) a" / " 2) b": compare the values, not their numbering.
    return [re.sub(r"^\s*\d+\) ", "", line) for line in output.split("\n")]


@dataclass(frozen=True)
class Exercise:
    """A ```` ```exercise ```` block: a task, its checks, a hint and a reference solution."""

    id: str
    task_html: str
    hint_html: str
    checks: tuple[ExerciseCheck, ...]
    solution: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class PythonBlock:
    """A ```` ```python ```` block; ``fragment`` blocks are shown but not executed."""

    code: str
    fragment: bool
    line: int


@dataclass(frozen=True)
class Lesson:
    """One lesson: ``lessons_md/NN-slug.md`` parsed, validated and rendered once."""

    number: int
    slug: str
    title: str
    summary: str
    minutes: int
    html: str
    path: Path
    redis_blocks: tuple[RedisBlock, ...] = ()
    exercises: tuple[Exercise, ...] = ()
    python_blocks: tuple[PythonBlock, ...] = ()
    links: tuple[tuple[str, int], ...] = field(default=())

    @property
    def exercise_ids(self) -> tuple[str, ...]:
        """The ids of this lesson's exercises, in page order."""
        return tuple(exercise.id for exercise in self.exercises)

    def progress_name(self, exercise_id: str) -> str:
        """How a learner's progress records this exercise: ``slug/exercise``."""
        return f"{self.slug}/{exercise_id}"
