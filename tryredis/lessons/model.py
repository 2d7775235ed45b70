"""What a parsed lesson is made of: its front matter, rendered HTML and checkable blocks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal


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
    ``fail_html`` is what the learner reads when this check fails.
    """

    command: str
    expect: str | None = None
    match: str | None = None
    unordered: bool = False
    fail_html: str = ""

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


RuleKind = Literal["used", "forbid", "max_commands", "in_multi"]


@dataclass(frozen=True)
class MethodRule:
    """A rule about *how* the learner solved an exercise, checked over the lines they ran.

    - ``used``: one of ``commands`` ran (with every word of ``words`` among its
      arguments, and its output matching ``output`` when given);
    - ``forbid``: none of ``commands`` ran;
    - ``max_commands``: at most ``limit`` commands that write ran;
    - ``in_multi``: the ``commands`` that ran (at least one) all ran inside one
      committed MULTI/EXEC, none of them outside it.

    Command names are lower case, subcommands joined with ``|`` (``xgroup|create``).
    """

    kind: RuleKind
    fail_html: str
    commands: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    output: str | None = None
    limit: int = 0


@dataclass(frozen=True)
class Choice:
    """One answer of a multiple-choice question, with what the learner reads after picking it."""

    answer_html: str
    correct: bool
    why_html: str


@dataclass(frozen=True)
class Exercise:
    """An ```` ```exercise ```` block.

    ``kind`` is ``"commands"`` (the learner types commands; ``checks`` read the final
    state and ``method`` rules read the lines they ran since pressing Start, after
    ``setup`` ran) or ``"choice"`` (a question with ``choices``). Fence plug-ins may add
    kinds of their own and keep what else they parsed in ``extra``.

    ``solution`` is the reference solution (shown after ``solution_after`` failed tries,
    or when a teacher reveals it); ``wrong`` reaches the same final state by a method
    the rules refuse, and is used only by the test suite.
    """

    id: str
    kind: str
    task_html: str
    hints_html: tuple[str, ...]
    line: int
    checks: tuple[ExerciseCheck, ...] = ()
    method: tuple[MethodRule, ...] = ()
    setup: tuple[str, ...] = ()
    solution: tuple[str, ...] = ()
    wrong: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    solution_after: int = 3
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def needs_start(self) -> bool:
        """Whether the learner presses Start first (to run the setup or open the method window)."""
        return self.kind == "commands" and bool(self.setup or self.method)

    @property
    def correct_choice(self) -> int | None:
        """The index of the right answer of a multiple-choice question."""
        return next((i for i, c in enumerate(self.choices) if c.correct), None)


@dataclass(frozen=True)
class PythonBlock:
    """A ```` ```python ```` block; ``fragment`` blocks are shown but not executed."""

    code: str
    fragment: bool
    line: int


@dataclass(frozen=True)
class Part:
    """A group of lessons on the lesson list, named by the lessons' ``part`` front matter."""

    id: str
    title: str
    summary: str


PARTS = (
    Part("basics", "Basics", "What Redis is, strings, expiry and counting safely."),
    Part(
        "data-types",
        "Data types",
        "Hashes, lists, sets, sorted sets, the probabilistic types, and finding your keys.",
    ),
    Part(
        "patterns",
        "Patterns",
        "Transactions, then Redis from Python: caching, rate limiting, sessions, "
        "HTTP caching, messaging, queues and locks.",
    ),
    Part(
        "running",
        "Running Redis",
        "What one thread means for your latency, memory, eviction and persistence.",
    ),
)


@dataclass(frozen=True)
class Lesson:
    """One lesson: ``lessons_md/NN-slug.md`` parsed, validated and rendered once."""

    number: int
    slug: str
    title: str
    summary: str
    minutes: int
    part: str
    html: str
    path: Path
    redis_blocks: tuple[RedisBlock, ...] = ()
    exercises: tuple[Exercise, ...] = ()
    python_blocks: tuple[PythonBlock, ...] = ()
    links: tuple[tuple[str, int], ...] = field(default=())
    extra: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    @property
    def exercise_ids(self) -> tuple[str, ...]:
        """The ids of this lesson's exercises, in page order."""
        return tuple(exercise.id for exercise in self.exercises)

    def progress_name(self, exercise_id: str) -> str:
        """How a learner's progress records this exercise: ``slug/exercise``."""
        return f"{self.slug}/{exercise_id}"
