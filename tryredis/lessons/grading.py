"""Grading an exercise: its checks' outputs and the learner's lines in, a verdict out.

Pure, like ``method``: the view runs the checks and reads the journal; the tests
feed the same function with lines run through the real engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tryredis.lessons.method import Ran, first_broken
from tryredis.lessons.model import Exercise


@dataclass(frozen=True)
class Verdict:
    """Whether an exercise passed and, when not, what the learner should read.

    ``state_ok`` says the checks passed (so a failure is about the method);
    ``command`` and ``printed`` are the failing check and its output, shown escaped.
    """

    passed: bool
    state_ok: bool
    message_html: str = ""
    command: str | None = None
    printed: str | None = None


def grade(exercise: Exercise, outputs: Sequence[str], entries: Iterable[Ran]) -> Verdict:
    """Grade a commands exercise: the checks' outputs (in order), then the method rules."""
    if len(outputs) != len(exercise.checks):
        raise ValueError(f"{len(exercise.checks)} checks, {len(outputs)} outputs")
    for check, output in zip(exercise.checks, outputs, strict=True):
        if not check.passes(output):
            return Verdict(False, False, check.fail_html, check.command, output)
    broken = first_broken(exercise.method, entries)
    if broken is not None:
        return Verdict(False, True, broken.fail_html)
    return Verdict(True, True)
