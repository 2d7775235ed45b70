"""A learner for the course tests: lines sent to the live site exactly as the REPL sends them.

``SUBSCRIBE`` lines open the streamed subscription in the background, as the
browser does, so a Pub/Sub exercise can be solved for real (``PUBLISH`` then
reaches a subscriber). Each ``Learner`` is a fresh, empty sandbox.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import httpx

from tryredis.lessons import Exercise, Lesson
from tryredis.lessons.grading import Verdict, grade
from tryredis.lessons.model import RedisBlock

SUBSCRIBE = re.compile(r"^\s*SUBSCRIBE\b", re.IGNORECASE)
UNSUBSCRIBE = re.compile(r"^\s*UNSUBSCRIBE\b", re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    """One line run and what it printed, as the API (and the journal) report it."""

    line: str
    output: str
    kind: str


class Learner:
    """One sandbox on the live site, driven over its HTTP API."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=20)
        response = self.http.post("/api/v1/sessions", json={})
        assert response.status_code == 201, response.text
        self.headers = {"Authorization": f"Bearer {response.json()['token']}"}
        self.streams = ExitStack()
        self.subscribed = False

    def close(self) -> None:
        """Close the subscription (if any) and the client."""
        self.streams.close()
        self.http.close()

    def run(self, line: str) -> Line:
        """Run one line (a SUBSCRIBE opens the stream and waits for its confirmations)."""
        if SUBSCRIBE.match(line):
            if self.subscribed:  # the REPL only shows "Already subscribed" (repl.js)
                return Line(line, "", "reply")
            return self._subscribe(line)
        if UNSUBSCRIBE.match(line) and self.subscribed:
            # The REPL closes its stream itself; nothing is sent (static/js/repl.js).
            self.streams.close()
            self.subscribed = False
            return Line(line, "", "reply")
        response = self.http.post("/api/v1/run", json={"line": line}, headers=self.headers)
        assert response.status_code == 200, f"{line}: {response.status_code} {response.text}"
        result = response.json()["results"][0]
        return Line(result["line"], result["output"], result["kind"])

    def run_all(self, lines: Iterable[str]) -> list[Line]:
        """Run lines in order."""
        return [self.run(line) for line in lines]

    def out(self, line: str) -> str:
        """Just the output of one line."""
        return self.run(line).output

    def _subscribe(self, line: str) -> Line:
        channels = len(line.split()) - 1
        url = f"/repl/subscribe?line={urllib.parse.quote(line)}"
        stream = self.streams.enter_context(self.http.stream("GET", url, headers=self.headers))
        assert stream.status_code == 200, line
        lines: Iterator[str] = stream.iter_lines()
        confirmed = threading.Event()
        shown: list[str] = []

        def read() -> None:
            try:
                for text in lines:
                    shown.append(text.removeprefix("data: "))
                    if text == f"data: 3) (integer) {channels}":
                        confirmed.set()
            except (httpx.HTTPError, httpx.StreamError):
                pass  # UNSUBSCRIBE or the end of the test closed the stream

        threading.Thread(target=read, daemon=True).start()
        assert confirmed.wait(10), f"{line}: no confirmation in {shown}"
        self.subscribed = True
        return Line(line, "\n".join(s for s in shown if s), "reply")

    def attempt(self, exercise: Exercise, lines: Iterable[str]) -> Verdict:
        """Press Start (run the setup), run ``lines``, and grade the exercise."""
        for result in self.run_all(exercise.setup):
            assert result.kind in ("reply", "error"), f"setup {result}"
        entries = self.run_all(lines)
        outputs = [self.out(check.command) for check in exercise.checks]
        return grade(exercise, outputs, entries)


def page_order(lesson: Lesson) -> list[RedisBlock | Exercise]:
    """The lesson's Redis blocks and exercises, top to bottom."""
    items: list[RedisBlock | Exercise] = [*lesson.redis_blocks, *lesson.exercises]
    return sorted(items, key=lambda item: item.line)


def items(output: str) -> list[str]:
    """An array reply's lines without their numbering, sorted (for ``unordered`` blocks)."""
    return sorted(re.sub(r"^\s*\d+\) ", "", line) for line in output.split("\n"))


def mismatches(learner: Learner, lesson: Lesson, block: RedisBlock) -> list[str]:
    """Run one block; describe every line whose output differs from the page."""
    problems = []
    if not block.is_transcript:
        for command in block.commands:
            result = learner.run(command)
            if result.kind in ("refused", "parse"):
                problems.append(f"{lesson.path}:{block.line}: {command} -> {result.output}")
        return problems
    for step in block.steps:
        result = learner.run(step.command)
        where = f"{lesson.path}:{step.line}: {step.command}"
        if result.kind in ("refused", "parse"):
            problems.append(f"{where} -> {result.output}")
        elif block.checked and (
            items(result.output) != items(step.expected)
            if block.unordered
            else result.output != step.expected
        ):
            problems.append(f"{where}\n  page: {step.expected!r}\n  got:  {result.output!r}")
    return problems
